"""The tables' contracts: one specification per table, from which the pandera schema, the
column aliases the loaders accept and the local authority's data request template are all made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa

from analysis.config import Study, load_study

# The data request workbook's layout (analysis.template writes it; analysis.load reads a filled-in
# copy back): row 1 the column names, row 2 a note per column starting NOTE_MARKER, data from row 3.
NOTE_MARKER = "Note:"
HEADER_ROW = 1
NOTES_ROW = 2
FIRST_DATA_ROW = 3

# A cell that starts with one of these is run as a formula by a spreadsheet that opens the file
# (OWASP, "CSV Injection"): "=", "+", "-", "@", and the tab and carriage return that can hide one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def starts_formula(value: Any) -> bool:
    """Whether a spreadsheet would read ``value`` as the start of a formula.

    >>> [starts_formula(v) for v in ["=1+2", "-1", "@SUM(A1)", "+44", "W01", 3]]
    [True, True, True, True, False, False]
    """
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


@dataclass(frozen=True)
class Column:
    """One column of a delivered table.

    ``kind`` is one of ``str``, ``int``, ``float``, ``bool``, ``datetime``, ``date``, ``category``.
    """

    name: str
    kind: str
    description: str
    example: str
    aliases: tuple[str, ...] = ()
    required: bool = True  # the column must be present in the file
    nullable: bool = False  # an empty cell is allowed
    allowed: tuple[str, ...] = ()  # for categories
    minimum: float | None = None
    maximum: float | None = None
    unique: bool = False

    def note(self) -> str:
        """The one-line note printed in the data request template."""
        bits = [self.description, f"Type: {self.kind}"]
        if self.allowed:
            bits.append("Allowed: " + ", ".join(self.allowed))
        if self.minimum is not None or self.maximum is not None:
            bits.append(
                f"Range: {self.minimum if self.minimum is not None else ''}"
                f" to {self.maximum if self.maximum is not None else ''}"
            )
        bits.append("May be empty" if self.nullable else "Required")
        bits.append(f"Example: {self.example}")
        return ". ".join(bits)


@dataclass(frozen=True)
class RowRule:
    """A rule on whole rows of a typed table, run by :func:`analysis.validate.check_table`.

    ``fails(typed, context)`` returns, for every row of the typed table, whether it breaks the
    rule (a boolean array or Series; a missing value counts as not failing, since an empty or
    mistyped cell is its own problem). ``message(rows, context)`` gives one message per failing
    row (``rows``: the failing typed rows). ``context`` maps the name of another table of the same
    wave to its accepted rows; a rule reads only the tables it ``needs``, and is not run when
    :func:`~analysis.validate.check_table` is given no context (the table checked on its own).
    Rows that already failed a type check are skipped unless ``typed_rows_only`` is False.
    """

    name: str
    description: str  # what the rule requires, in the words of the data request
    column: str  # the column a failing row is reported under
    fails: Callable[[pd.DataFrame, Mapping[str, pd.DataFrame]], Any]
    message: Callable[[pd.DataFrame, Mapping[str, pd.DataFrame]], list[str]]
    needs: tuple[str, ...] = ()
    typed_rows_only: bool = True


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[Column, ...]
    row_rules: tuple[RowRule, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def normalise_header(text: Any) -> str:
    """Column names are matched case- and space-insensitively.

    >>> normalise_header("  Worker ID ")
    'worker_id'
    >>> normalise_header("Visit-Date/Time")
    'visit_date_time'
    """
    s = str(text).replace("\ufeff", "").strip().lower()
    out = []
    for ch in s:
        out.append(ch if ch.isalnum() else "_")
    return "_".join(p for p in "".join(out).split("_") if p)


def workers_spec(study: Study | None = None) -> TableSpec:
    study = study or load_study()
    return TableSpec(
        name="workers",
        description="One row per pseudonymised worker in the participating teams, at this wave.",
        columns=(
            Column(
                "worker_id",
                "str",
                "Meaningless identifier made by the local authority, the same at every wave",
                "W0001",
                aliases=("worker", "worker_ref", "staff_id", "pseudonym"),
                unique=True,
            ),
            Column(
                "team",
                "category",
                "Team the worker belongs to",
                study.admin_site.teams[0] if study.admin_site.teams else "Team A",
                aliases=("team_name",),
                allowed=study.admin_site.teams,
            ),
            Column("role", "category", "Role", "social worker", aliases=("job_role", "position"), allowed=study.roles),
            Column(
                "fte",
                "float",
                "Full-time equivalent",
                "1.0",
                aliases=("fte_hours", "full_time_equivalent"),
                minimum=0.1,
                maximum=1.0,
            ),
            Column(
                "working_pattern",
                "category",
                "Working pattern at the end of the last month",
                "9-day fortnight",
                aliases=("pattern", "work_pattern"),
                allowed=study.working_patterns,
            ),
            Column(
                "pattern_start",
                "date",
                "Date the current flexible pattern started (empty for standard)",
                "2021-03-15",
                aliases=("pattern_start_date", "flex_start"),
                nullable=True,
            ),
            Column(
                "planned_flex_days_last_month",
                "int",
                "Flexible (non-working) days planned in the last month",
                "2",
                aliases=("planned_flex_days", "planned_days"),
                minimum=0,
                maximum=31,
            ),
            Column(
                "flex_days_taken_last_month",
                "int",
                "Flexible days actually taken in the last month",
                "2",
                aliases=("flex_days_taken", "taken_days"),
                minimum=0,
                maximum=31,
            ),
        ),
        row_rules=(
            RowRule(
                "standard_pattern_has_no_planned_days",
                "A worker on the standard pattern has no planned flexible days",
                "planned_flex_days_last_month",
                lambda t, _: t["working_pattern"].eq("standard") & t["planned_flex_days_last_month"].gt(0),
                lambda rows, _: [
                    f"a worker on the standard pattern has planned flexible days ({n})"
                    for n in rows["planned_flex_days_last_month"]
                ],
            ),
        ),
    )


def visits_spec(study: Study | None = None) -> TableSpec:
    return TableSpec(
        name="visits",
        description="One row per case visit by a worker in the participating teams, in the wave's period.",
        columns=(
            Column(
                "visit_id", "str", "Identifier of the visit", "V000001", aliases=("visit", "visit_ref"), unique=True
            ),
            Column(
                "worker_id",
                "str",
                "Pseudonymised worker identifier, as in the workers table",
                "W0001",
                aliases=("worker", "worker_ref", "staff_id"),
            ),
            Column(
                "visit_datetime",
                "datetime",
                "Date and time of the visit",
                "2021-03-02 10:30",
                aliases=("visit_date", "visit_date_time", "visited_at"),
            ),
            Column(
                "writeup_datetime",
                "datetime",
                "Date and time the visit was written up (empty while outstanding)",
                "2021-03-03 16:00",
                aliases=("writeup_date", "write_up_datetime", "write_up_date", "recorded_at"),
                nullable=True,
            ),
        ),
        row_rules=(
            RowRule(
                "writeup_not_before_visit",
                "The write-up is not dated before the visit",
                "writeup_datetime",
                lambda t, _: t["writeup_datetime"] < t["visit_datetime"],
                lambda rows, _: [
                    f"write-up {w} is before the visit {v}"
                    for w, v in zip(rows["writeup_datetime"], rows["visit_datetime"], strict=True)
                ],
            ),
            worker_known("visit"),
        ),
    )


def worker_known(what: str) -> RowRule:
    """The rule that a row's ``worker_id`` is in the workers table of the same wave."""
    return RowRule(
        "worker_known",
        f"The {what}'s worker_id is in the workers table of the same wave",
        "worker_id",
        lambda t, context: t["worker_id"].notna() & ~t["worker_id"].isin(ids_in(context["workers"], "worker_id")),
        lambda rows, _: [f"worker_id {v!r} is not in the workers table" for v in rows["worker_id"]],
        needs=("workers",),
        typed_rows_only=False,
    )


def overlapping_spells(t: pd.DataFrame) -> pd.Series:
    """Whether each spell starts on or before the end of an earlier spell of the same worker (an
    ongoing spell, with no end, runs on for ever). The later of two overlapping spells fails.

    >>> t = pd.DataFrame({"worker_id": ["a", "a", "a", "b"],
    ...                   "start": pd.to_datetime(["2021-03-01", "2021-04-01", "2021-04-20", "2021-03-01"]),
    ...                   "end": pd.to_datetime(["2021-03-31", "2021-05-01", None, None])})
    >>> overlapping_spells(t).tolist()
    [False, False, True, False]
    """
    out = pd.Series(False, index=t.index)
    ok = t["worker_id"].notna() & t["start"].notna()
    ordered = t[ok].sort_values(["worker_id", "start"], kind="stable")
    far = pd.Timestamp.max
    for _, g in ordered.groupby("worker_id", sort=False):
        reach = g["end"].fillna(far).cummax().shift(1)  # the latest end of the spells before each
        out.loc[g.index] = (g["start"] <= reach).fillna(False).to_numpy()
    return out


def spells_spec(study: Study | None = None) -> TableSpec:
    """Flexible-pattern spells: one row per period a worker was on a 4-day week or 9-day
    fortnight. A local authority's HR system records each flexible working arrangement as an
    agreement with a start date and, when it ends, an end date (a change of pattern or a return to
    standard hours ends one arrangement and may start another); so a long table of spells is what
    it can export, however many times a worker started, changed or stopped, with no repeated
    columns. Spells that started before launch are asked for too: they tell those already on
    compressed hours at launch apart from those who took the offer up.
    """
    study = study or load_study()
    return TableSpec(
        name="spells",
        description=(
            "One row per period on a 4-day week or 9-day fortnight that was in place at any time since "
            f"{study.launch_date:%d %B %Y} (the launch), including periods that started before it or have "
            "since ended. A worker who changed pattern or stopped and restarted has one row per period."
        ),
        columns=(
            Column(
                "worker_id",
                "str",
                "Pseudonymised worker identifier, as in the workers table",
                "W0001",
                aliases=("worker", "worker_ref", "staff_id", "pseudonym"),
            ),
            Column(
                "pattern",
                "category",
                "The compressed-hours pattern worked in this period",
                study.flexible_patterns[0] if study.flexible_patterns else "4-day week",
                aliases=("working_pattern", "flexible_pattern", "arrangement"),
                allowed=study.flexible_patterns,
            ),
            Column(
                "start",
                "date",
                "First day on this pattern",
                "2021-03-15",
                aliases=("start_date", "spell_start", "pattern_start", "from", "date_from"),
            ),
            Column(
                "end",
                "date",
                "Last day on this pattern (empty while it continues)",
                "2021-05-28",
                aliases=("end_date", "spell_end", "pattern_end", "to", "date_to"),
                nullable=True,
            ),
        ),
        row_rules=(
            RowRule(
                "end_not_before_start",
                "A period does not end before it starts",
                "end",
                lambda t, _: t["end"] < t["start"],
                lambda rows, _: [
                    f"the period ends ({e:%Y-%m-%d}) before it starts ({s:%Y-%m-%d})"
                    for s, e in zip(rows["start"], rows["end"], strict=True)
                ],
            ),
            RowRule(
                "spells_do_not_overlap",
                "A worker's periods do not overlap (one pattern at a time)",
                "start",
                lambda t, _: overlapping_spells(t),
                lambda rows, _: [
                    f"worker_id {w!r}: this period (from {s:%Y-%m-%d}) starts before an earlier period of the "
                    "same worker has ended"
                    for w, s in zip(rows["worker_id"], rows["start"], strict=True)
                ],
            ),
            worker_known("period"),
        ),
    )


def ids_in(table: pd.DataFrame | None, column: str) -> list[str]:
    """The distinct ids in ``table[column]`` (none when the table was not delivered)."""
    if table is None or column not in table:
        return []
    return sorted(set(table[column].dropna().astype(str)))


def pandera_schema(spec: TableSpec) -> pa.DataFrameSchema:
    """The pandera schema for a typed table. Types are enforced before this by
    :func:`analysis.validate.coerce`, which quarantines cells that are not of their type.
    """
    dtypes = {
        "str": "string",
        "category": "string",
        "int": "Int64",
        "float": "float64",
        "bool": "boolean",
        "datetime": "datetime64[ns]",
        "date": "datetime64[ns]",
    }
    cols = {}
    for c in spec.columns:
        checks = []
        if c.allowed:
            checks.append(pa.Check.isin(list(c.allowed), name="allowed_values"))
        if c.minimum is not None:
            checks.append(pa.Check.ge(c.minimum, name="minimum"))
        if c.maximum is not None:
            checks.append(pa.Check.le(c.maximum, name="maximum"))
        cols[c.name] = pa.Column(
            dtypes[c.kind], checks=checks, nullable=c.nullable, required=c.required, unique=False, name=c.name
        )
    return pa.DataFrameSchema(cols, strict=False, name=spec.name)


SPECS = {"workers": workers_spec, "spells": spells_spec, "visits": visits_spec}


def spec_for(table: str, study: Study | None = None) -> TableSpec:
    return SPECS[table](study)
