"""Validation: types, allowed values, ranges, unique ids and row rules, checked lazily so every
problem is found in one pass. Failing rows are quarantined as delivered, with the file, row,
column, rule and a message; the rest become typed tidy tables. Rows delivered = accepted +
quarantined, always.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from analysis.load import ROW, Delivered
from analysis.schemas import TableSpec, pandera_schema

QUARANTINE_COLUMNS = ["file", "row", "column", "rule", "message"]
# pandera's check names -> the rule names analysts see (and the data request template states)
RULE_NAMES = {"isin": "allowed_values", "less_than_or_equal_to": "maximum", "greater_than_or_equal_to": "minimum",
              "not_nullable": "not_null", "field_uniqueness": "unique", "dtype": "type", "coerce_dtype": "type"}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass
class Problem:
    index: int      # position in the delivered frame
    column: str
    rule: str
    message: str


@dataclass
class Checked:
    """The outcome of validating one delivered table."""

    table: str
    file: Path
    delivered: int
    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        # the invariant every downstream count relies on
        assert len(self.accepted) + len(self.quarantined) == self.delivered, (
            f"{self.file}: {len(self.accepted)} accepted + {len(self.quarantined)} quarantined != {self.delivered} delivered"
        )

    def rule_counts(self) -> pd.Series:
        if self.quarantined.empty:
            return pd.Series(dtype="int64")
        return self.quarantined["rule"].value_counts()


# -- coercion ---------------------------------------------------------------------------------

def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | s.astype(str).str.strip().eq("")


def _to_datetime(s: pd.Series) -> pd.Series:
    """Dates and date-times as Excel cells, Excel serial numbers, ISO text or UK day-first text."""
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    is_dt = s.map(lambda v: isinstance(v, (dt.datetime, dt.date, pd.Timestamp)))
    if is_dt.any():
        out[is_dt] = pd.to_datetime(s[is_dt].map(pd.Timestamp))
    rest = s[~is_dt].astype(str).str.strip()
    num = pd.to_numeric(rest, errors="coerce")
    serial = num.between(20000, 80000)  # Excel serial days: 1954 to 2119
    if serial.any():
        out[serial[serial].index] = EXCEL_EPOCH + pd.to_timedelta(num[serial], unit="D")
    text = rest[~serial & rest.ne("")]
    if len(text):
        iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
        left = iso.isna()
        if left.any():
            iso[left] = pd.to_datetime(text[left], dayfirst=True, errors="coerce", format="mixed")
        out[text.index] = iso
    return out.dt.round("s") if len(out) else out


def coerce(frame: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, list[Problem]]:
    """Type every column; a non-empty cell that is not of its type is a ``type`` problem and an
    empty cell in a required column a ``not_null`` problem.
    """
    typed = pd.DataFrame(index=frame.index)
    problems: list[Problem] = []
    for col in spec.columns:
        s = frame[col.name]
        blank = _blank(s)
        if col.kind in ("str", "category"):
            t = s.astype("string").str.strip()
            if col.allowed:  # canonical spelling, case- and space-insensitive
                canon = {" ".join(a.lower().split()): a for a in col.allowed}
                t = t.map(lambda v: canon.get(" ".join(str(v).lower().split()), v) if not pd.isna(v) else v).astype("string")
            t[blank] = pd.NA
            bad = pd.Series(False, index=s.index)
        elif col.kind in ("int", "float"):
            t = pd.to_numeric(s.astype(str).str.strip().str.replace(",", ".", regex=False), errors="coerce")
            bad = t.isna() & ~blank
            if col.kind == "int":
                frac = t.notna() & (t != np.floor(t.fillna(0)))
                bad |= frac
                t = t.where(~frac).astype("Float64").round().astype("Int64")
            else:
                t = t.astype("float64")
        else:  # datetime, date
            t = _to_datetime(s)
            bad = t.isna() & ~blank
            if col.kind == "date":
                t = t.dt.normalize()
        for i in s.index[bad]:
            problems.append(Problem(i, col.name, "type", f"{col.name} must be a {col.kind}; got {s[i]!r}"))
        if not col.nullable:
            for i in s.index[blank]:
                problems.append(Problem(i, col.name, "not_null", f"{col.name} is required but empty"))
        typed[col.name] = t
    return typed, problems


def schema_problems(typed: pd.DataFrame, spec: TableSpec, skip: set[int]) -> list[Problem]:
    """Run the pandera schema lazily (every failure in one pass) on rows that typed cleanly."""
    ok = typed.drop(index=list(skip))
    schema = pandera_schema(spec)
    problems: list[Problem] = []
    try:
        schema.validate(ok, lazy=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        for rec in fc.itertuples(index=False):
            if pd.isna(rec.index):
                continue
            check = str(rec.check)
            rule = check.split("(")[0] if "(" in check else check
            rule = RULE_NAMES.get(rule, rule)
            problems.append(Problem(int(rec.index), str(rec.column), rule,
                                    f"{rec.column} fails {check}: got {rec.failure_case!r}"))
    for col in spec.columns:
        if col.unique:
            dup = ok[col.name].notna() & ok[col.name].duplicated(keep=False)
            for i in ok.index[dup]:
                problems.append(Problem(i, col.name, "unique", f"{col.name} {ok.at[i, col.name]!r} appears more than once"))
    return problems


def quarantine(delivered: Delivered, problems: list[Problem]) -> tuple[pd.Index, pd.DataFrame]:
    """One quarantine line per failing row, as delivered: the first problem (in column order)
    names the column and rule; the message lists them all.
    """
    order = {c: i for i, c in enumerate(delivered.frame.columns)}
    by_row: dict[int, list[Problem]] = {}
    for p in problems:
        by_row.setdefault(p.index, []).append(p)
    idx = pd.Index(sorted(by_row), dtype="int64")
    if not len(idx):
        cols = [c for c in delivered.frame.columns if c != ROW] + QUARANTINE_COLUMNS
        return idx, pd.DataFrame(columns=cols)
    q = delivered.frame.loc[idx].copy()
    firsts = [sorted(by_row[i], key=lambda p: order.get(p.column, 99))[0] for i in idx]
    q["file"] = str(delivered.file)
    q["row"] = q.pop(ROW).astype(int)
    q["column"] = [p.column for p in firsts]
    q["rule"] = [p.rule for p in firsts]
    q["message"] = ["; ".join(f"{p.rule} ({p.column}): {p.message}" for p in by_row[i]) for i in idx]
    return idx, q.reset_index(drop=True)


def check_table(delivered: Delivered, spec: TableSpec, extra: list[Problem] | None = None) -> Checked:
    """Validate a delivered table: coerce, schema, optional cross-table problems, quarantine."""
    typed, problems = coerce(delivered.frame, spec)
    bad_types = {p.index for p in problems}
    problems += schema_problems(typed, spec, bad_types)
    problems += extra_rules(typed, spec, bad_types)
    problems += extra or []
    idx, q = quarantine(delivered, problems)
    accepted = typed.drop(index=idx).reset_index(drop=True)
    return Checked(spec.name, delivered.file, delivered.n, accepted, q, problems)


def extra_rules(typed: pd.DataFrame, spec: TableSpec, skip: set[int]) -> list[Problem]:
    """Row rules that involve more than one column of the same table."""
    out: list[Problem] = []
    ok = typed.drop(index=list(skip))
    if spec.name == "visits":
        before = ok["writeup_datetime"].notna() & (ok["writeup_datetime"] < ok["visit_datetime"])
        for i in ok.index[before]:
            out.append(Problem(i, "writeup_datetime", "writeup_not_before_visit",
                               f"write-up {ok.at[i, 'writeup_datetime']} is before the visit {ok.at[i, 'visit_datetime']}"))
    if spec.name == "workers":
        std = ok["working_pattern"].eq("standard") & ok["planned_flex_days_last_month"].fillna(0).gt(0)
        for i in ok.index[std.fillna(False)]:
            out.append(Problem(i, "planned_flex_days_last_month", "standard_pattern_has_no_planned_days",
                               "a worker on the standard pattern has planned flexible days"))
    return out


def unknown_workers(delivered_visits: Delivered, known: pd.Series) -> list[Problem]:
    """Visits whose worker_id is not among the accepted workers of the same wave."""
    ids = delivered_visits.frame["worker_id"].astype(str).str.strip()
    missing = ~ids.isin(set(known.astype(str))) & ids.ne("")
    return [Problem(i, "worker_id", "worker_known", f"worker_id {ids[i]!r} is not in the workers table")
            for i in ids.index[missing]]
