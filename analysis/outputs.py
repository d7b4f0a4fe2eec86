"""Output checking as UK trusted research environments do it: every output registered and checked.

Every table, figure and number quoted in the text of a report is an *output*. Each has a stable id
(``"<report>/<label>"``, e.g. ``august/tbl-headline``), a kind (``table``, ``figure``, ``text``),
its cells as published with per-cell reasons, a status, and the exception request for it, if any.
For the output checker the build writes, per report, a folder ``_output/<report>_outputs/`` with
``results.json`` in the format of SACRO's acro 1.0.2 (``acro.record.load_records(folder)`` reads
it, and so does the SACRO viewer), one CSV per output, ``checking.html`` (a browsable page) and
acro's ``config.json`` and ``checksums/``.

Statuses (as acro's)
--------------------
* ``pass``: every cell passes every rule; published as it is.
* ``review``: cells failed a rule and were mitigated (suppressed, or rounded to a base), or a figure
  registered without its numbers: a checker should look, as acro marks its mitigated tables.
* ``fail``: a published cell fails a rule without mitigation: released under an exception, or a
  suppressed cell that the differencing audit (:mod:`analysis.differencing`) shows can be worked
  out from other published numbers (suppression does not mitigate that).

Reasons per cell: ``threshold``, ``zeros``, ``dominance``, ``p-ratio``, ``negative``,
``secondary`` (suppressed to protect another cell), ``differencing``.

How a notebook registers its outputs
------------------------------------
A notebook shows each table with ``tables.show(...)`` in a cell labelled ``#| label: tbl-...``.
In the build, :func:`analysis.execute.execute_one` tells the kernel where the notebook's log is
(``paths.output_log(wave, notebook)``, made afresh each run) and which report it writes for (the
report whose last wave it is); :func:`watch_cells` reads each cell's label and caption as IPython
starts it. ``show`` then registers the table as ``<report>/<label>``: builders that disclose attach
their record (:class:`analysis.tables.OutputSpec`: cells, reasons, true values, and the table as it
would be released), any other table is registered as printed (:func:`from_frame`). Under an
approved exception for that id, ``show`` displays the released table, with a dagger on each
released value and the footnote (:func:`footnote`). A ``fig-`` cell registers the texts drawn on its
figure (:func:`figure_output`); any other labelled cell that registered nothing registers what it
shows (:func:`text_output`). Run by hand, a notebook registers nothing, and shows its outputs as
the report of its ``wave`` parameter publishes them.

How the build collects them
---------------------------
The report task (:func:`analysis.build.check_outputs`) collects the outputs of the cells the report
embeds (a report whose embedded cell registered nothing is not built) and its validation appendix
(``<report>/app-validation``), runs the differencing audit over them and every earlier report's
(:func:`audit_study`, with the links in ``config/output_links.yml``), puts the findings on the
outputs (:func:`apply_audit`, :func:`audit_notes`) and writes the checker's folder
(:func:`write_output_folder`). An exception request is a dependency only of the notebook execution
that makes its output and of the reports that check it (``analysis.build.exception_entries``).

The checker's folder holds the values as published. For an output with an exception request
(pending, approved or refused) it also holds the unsuppressed table (``<uid>_unsuppressed.csv``),
because the checker must see what they are asked to release; a suppressed cell the audit finds
recoverable shows its feasible range. The folder is for the output checker, not for release.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import math
import re
import shutil
import tempfile
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis import paths
from analysis.config import Disclosure
from analysis.differencing import Model, Range
from analysis.disclose import DisclosedTable, Share, rule_text
from analysis.errors import AnalysisError, ConfigError

ACRO_VERSION = "1.0.2"  # the acro whose results.json format (and loader) this follows

TABLE, FIGURE, TEXT = "table", "figure", "text"
KINDS = (TABLE, FIGURE, TEXT)
PASS, FAIL, REVIEW = "pass", "fail", "review"

THRESHOLD = "threshold"
ZEROS = "zeros"
DOMINANCE = "dominance"
P_RATIO = "p-ratio"
NEGATIVE = "negative"
SECONDARY = "secondary"
DIFFERENCING = "differencing"
REASONS = {
    THRESHOLD: "a count, or the contributors to a sum or mean, below the threshold",
    ZEROS: "a zero count (it can show that everyone in a group shares a characteristic)",
    DOMINANCE: "the largest contributions make up too much of the total (dominance)",
    P_RATIO: "the total less the two largest contributions is too small a part of the largest (p-ratio)",
    NEGATIVE: "negative contributions (dominance is not defined)",
    SECONDARY: "suppressed so that totals do not reveal another suppressed cell (secondary suppression)",
    DIFFERENCING: "can be worked out from other published numbers (differencing)",
}
# disclose.py's codes -> ours
_FROM_DISCLOSE = {"threshold": THRESHOLD, "zero": ZEROS, "dominance": DOMINANCE, "p-ratio": P_RATIO}
_FROM_DISCLOSE |= {"negative": NEGATIVE, "secondary": SECONDARY}
# acro's check names for the sdc block of results.json (ours where acro has none)
_ACRO_CHECK = {
    THRESHOLD: "MinimumThresholdCheck",
    ZEROS: "PresenceOfZeroCheck",
    DOMINANCE: "NKCheck",
    P_RATIO: "PPercentCheck",
    NEGATIVE: "NKCheck",
    SECONDARY: "SecondarySuppression",
    DIFFERENCING: "DifferencingCheck",
}
_SECONDARY_DETAIL = {
    "row:one": "a row total would reveal a suppressed cell",
    "column:one": "a column total would reveal a suppressed cell",
    "total:one": "the grand total would reveal a suppressed total",
    "combined": "a combination of totals would reveal a suppressed cell",
    "row:sum": "the suppressed cells of a row would add up to fewer than the threshold",
    "column:sum": "the suppressed cells of a column would add up to fewer than the threshold",
    "total:sum": "the suppressed totals would add up to fewer than the threshold",
}

SUPPRESSED, ROUNDED = "suppressed", "rounded"
DAGGER = "\u2020"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class OutputError(AnalysisError, ValueError):
    """An output cannot be registered as given (bad id, duplicate cells, missing true values)."""


class ExceptionsError(ConfigError):
    """``config/disclosure_exceptions.yml`` is malformed: the message names file, entry and field."""


# -- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One published cell.

    ``value``: the text as published. ``held``: the true number behind a suppressed, rounded or
    released cell (kept for the checker; ``None`` when the cell is published exactly or is a label).
    ``reasons``: rule codes (see :data:`REASONS`). ``mitigated``: ``"suppressed"``, ``"rounded"`` or
    ``""`` (published as it is). ``detail``: words for the checker (e.g. the feasible range).
    """

    row: str
    column: str
    value: str
    reasons: tuple[str, ...] = ()
    mitigated: str = ""
    held: float | None = None
    detail: str = ""

    @property
    def failing(self) -> bool:
        """Disclosive as published: a reason without mitigation, or recoverable by differencing."""
        return DIFFERENCING in self.reasons or (bool(self.reasons) and not self.mitigated)


@dataclass(frozen=True)
class Output:
    """A registered output. Build one with :func:`from_disclosed`, :func:`text_number`,
    :func:`from_share` or :func:`figure` rather than by hand.

    ``rows``/``columns``: the table's labels in order (cells are keyed by them). ``source``:
    where it is made (notebook and cell label). ``released``: published unsuppressed under an
    approved exception. ``findings``: output-level findings of the differencing audit (this output,
    with others, gives away a count). ``exception``: the request for it, attached by
    :func:`attach_exceptions`. ``attachments``: files to hand the checker (e.g. the figure PNG).
    """

    id: str
    kind: str
    title: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[Cell, ...]
    source: str = ""
    mitigation: str = "suppress"
    round_base: int | None = None
    released: bool = False
    notes: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    exception: ExceptionRequest | None = None

    def __post_init__(self) -> None:
        check_id(self.id)
        if self.kind not in KINDS:
            raise OutputError(f"Output {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}.")
        if len(set(self.rows)) != len(self.rows) or len(set(self.columns)) != len(self.columns):
            raise OutputError(f"Output {self.id!r}: row and column labels must be unique.")
        seen = set()
        for c in self.cells:
            key = (c.row, c.column)
            if key in seen:
                raise OutputError(f"Output {self.id!r}: cell {key} is given twice.")
            if c.row not in self.rows or c.column not in self.columns:
                raise OutputError(f"Output {self.id!r}: cell {key} is not in the table's rows and columns.")
            bad = [r for r in c.reasons if r not in REASONS]
            if bad:
                raise OutputError(f"Output {self.id!r}: cell {key} has unknown reasons {bad} (known: {list(REASONS)}).")
            seen.add(key)

    @property
    def status(self) -> str:
        """``pass``, ``review`` or ``fail`` (see the module docstring)."""
        if self.findings or any(c.failing for c in self.cells):
            return FAIL
        if any(c.mitigated for c in self.cells) or (self.kind == FIGURE and not self.cells):
            return REVIEW
        return PASS

    def cell(self, row: str, column: str) -> Cell:
        for c in self.cells:
            if (c.row, c.column) == (row, column):
                return c
        raise KeyError(f"Output {self.id!r} has no cell ({row!r}, {column!r}).")

    def grid(self, *, held: bool = False) -> pd.DataFrame:
        """The output as a table of published texts (``held=True``: true values where held)."""
        g = pd.DataFrame("", index=list(self.rows), columns=list(self.columns), dtype=object)
        for c in self.cells:
            g.loc[c.row, c.column] = _number(c.held) if (held and c.held is not None) else c.value
        return g

    def reason_counts(self) -> dict[str, int]:
        """How many cells carry each reason."""
        out: dict[str, int] = {}
        for c in self.cells:
            for r in c.reasons:
                out[r] = out.get(r, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("exception")
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Output:
        d = dict(d)
        cells = tuple(Cell(**{**c, "reasons": tuple(c.get("reasons", ()))}) for c in d.pop("cells"))
        tup = {k: tuple(d.get(k, ())) for k in ("rows", "columns", "notes", "findings", "attachments")}
        return cls(**{**d, **tup, "cells": cells})


def check_id(output_id: str) -> str:
    """An output id: segments of letters, digits, ".", "_" and "-", joined by "/".

    >>> check_id("august/tbl-headline")
    'august/tbl-headline'
    >>> check_id("august/tbl take up")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    analysis.outputs.OutputError: 'august/tbl take up' is not a valid output id...
    """
    if not isinstance(output_id, str) or not _ID.match(output_id):
        raise OutputError(
            f"{output_id!r} is not a valid output id: use segments of letters, digits, '.', '_' and '-' "
            "joined by '/', e.g. 'august/tbl-headline'."
        )
    return output_id


def uid(output_id: str) -> str:
    """The output's name in ``results.json`` and its file names (``/`` becomes ``__``).

    >>> uid("august/tbl-headline")
    'august__tbl-headline'
    """
    return check_id(output_id).replace("/", "__")


def _label(x: Hashable) -> str:
    if isinstance(x, tuple):
        return " / ".join(str(p) for p in x if str(p) != "")
    return str(x)


def _number(v: float | None, decimals: int | None = None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if decimals is None:
        return f"{int(round(v)):,}" if float(v).is_integer() else f"{v:,}"
    return f"{v:,.{decimals}f}"


def _parse_reasons(code: str) -> tuple[tuple[str, ...], str]:
    """disclose.py's cell code ("threshold; zero", "secondary (row:one)") -> (reasons, detail)."""
    reasons, details = [], []
    for part in [p.strip() for p in str(code).split(";") if p.strip()]:
        m = re.match(r"^([a-z-]+)\s*(?:\((.*)\))?$", part)
        if not m or m.group(1) not in _FROM_DISCLOSE:
            raise OutputError(f"Unknown disclosure reason {part!r} in a DisclosedTable's cell_reasons.")
        reasons.append(_FROM_DISCLOSE[m.group(1)])
        if m.group(2):
            details.append(_SECONDARY_DETAIL.get(m.group(2), m.group(2)))
    return tuple(dict.fromkeys(reasons)), "; ".join(details)


def add_totals(counts: pd.DataFrame, margins_name: str = "Total") -> pd.DataFrame:
    """Counts with the totals :func:`analysis.disclose.suppress_counts` adds: a total column when
    there are two columns or more, a total row when there are two rows or more.

    >>> add_totals(pd.DataFrame({"x": [1, 2], "y": [3, 4]}, index=["a", "b"]))
           x  y  Total
    a      1  3      4
    b      2  4      6
    Total  3  7     10
    """
    out = counts.copy()
    if out.shape[1] >= 2 and not str(out.columns[-1]).lower().startswith(("total", "all")):
        out[margins_name] = out.sum(axis=1)
    if out.shape[0] >= 2 and not str(out.index[-1]).lower().startswith(("total", "all")):
        out.loc[margins_name] = out.sum(axis=0)
    return out


def from_disclosed(
    output_id: str,
    disclosed: DisclosedTable,
    *,
    title: str,
    kind: str = TABLE,
    true_values: pd.DataFrame | None = None,
    released: bool = False,
    source: str = "",
    fmt: Callable[[float], str] | None = None,
    round_base: int | None = None,
    notes: Sequence[str] = (),
) -> Output:
    """Register a table that went through :mod:`analysis.disclose` (or :func:`rounded_table`).

    ``true_values``: the counts before disclosure control, with totals (:func:`add_totals`),
    labelled as ``disclosed.display``; needed when ``released`` and recommended always (the checker
    sees the true value behind each suppressed cell of an output with an exception request).
    ``released=True``: the output is published unsuppressed under an approved exception; its
    suppressed cells are published as :func:`released_display` shows them (true value and dagger),
    and they fail. ``round_base``: the table was rounded (:func:`rounded_table`); its cells are
    mitigated by rounding.
    """
    display, mask, codes = disclosed.display, disclosed.mask, disclosed.cell_reasons
    held = None if true_values is None else true_values.reindex(index=display.index, columns=display.columns)
    shown = released_display(disclosed, true_values, fmt=fmt) if released else display
    cells = []
    for i, r in enumerate(display.index):
        for j, c in enumerate(display.columns):
            reasons, detail = _parse_reasons(codes.iat[i, j]) if str(codes.iat[i, j]) else ((), "")
            masked = bool(mask.iat[i, j])
            h = None
            if held is not None and (masked or round_base is not None):
                v = held.iat[i, j]
                h = None if pd.isna(v) else float(v)
                if masked and h is None:
                    raise OutputError(
                        f"{output_id}: the true value of suppressed cell ({_label(r)}, {_label(c)}) is missing "
                        "from true_values (pass the counts with their totals, e.g. add_totals(counts))."
                    )
            if round_base is not None and _is_count_text(display.iat[i, j]):
                mitigated = ROUNDED
            elif masked and not released:
                mitigated = SUPPRESSED
            else:
                mitigated = ""
            cells.append(Cell(_label(r), _label(c), str(shown.iat[i, j]), reasons, mitigated, h, detail))
    return Output(
        check_id(output_id),
        kind,
        title,
        tuple(_label(r) for r in display.index),
        tuple(_label(c) for c in display.columns),
        tuple(cells),
        source=source,
        mitigation="round" if round_base is not None else "suppress",
        round_base=round_base,
        released=released,
        notes=tuple([*disclosed.reasons, *notes]),
    )


def _is_count_text(text: object) -> bool:
    return bool(re.match(r"^\s*\d[\d,]*\s*$", str(text)))


def released_display(
    disclosed: DisclosedTable, true_values: pd.DataFrame | None, *, fmt: Callable[[float], str] | None = None
) -> pd.DataFrame:
    """The table as published under an approved exception: every suppressed cell shows its true
    value followed by a dagger (:data:`DAGGER`); every other cell is as disclosure control left it.

    >>> from analysis.disclose import suppress_counts
    >>> s = Disclosure(10, 2, 0.9, 0.1)
    >>> counts = pd.DataFrame({"n": [12, 6]}, index=["social worker", "manager"])
    >>> d = suppress_counts(counts, s, totals=False)
    >>> list(released_display(d, counts)["n"])
    ['12', '6†']
    """
    if true_values is None:
        raise OutputError("An output released under an exception needs its true values (true_values=...).")
    fmt = fmt or (lambda v: f"{int(round(v)):,}")
    held = true_values.reindex(index=disclosed.display.index, columns=disclosed.display.columns)
    out = disclosed.display.copy()
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            if disclosed.mask.iat[i, j]:
                v = held.iat[i, j]
                if pd.isna(v):
                    raise OutputError(
                        f"The true value of suppressed cell ({_label(out.index[i])}, {_label(out.columns[j])}) "
                        "is missing (pass the counts with their totals, e.g. add_totals(counts))."
                    )
                out.iat[i, j] = mark(fmt(float(v)))
    return out


def text_number(
    output_id: str,
    value: str,
    *,
    title: str,
    reasons: Sequence[str] = (),
    mitigated: str = "",
    held: float | None = None,
    source: str = "",
) -> Output:
    """A number quoted in the text of a report (e.g. "17 respondents"), as one cell.

    >>> o = text_number("august/txt-respondents", "17", title="Survey respondents")
    >>> o.status, o.cells[0].value
    ('pass', '17')
    """
    return Output(
        check_id(output_id),
        TEXT,
        title,
        (title,),
        ("value",),
        (Cell(title, "value", str(value), tuple(reasons), mitigated, held),),
        source=source,
    )


def from_share(output_id: str, share: Share, published: str, *, title: str, source: str = "") -> Output:
    """A share quoted in a report (e.g. a success criterion), from :func:`analysis.disclose.share`.

    The numerator, denominator and share are cells; a share that is not reportable is suppressed
    with the reason "threshold" and its detail (which count is too small).
    """
    sup = not share.reportable
    reasons = (THRESHOLD,) if sup else ()
    m = SUPPRESSED if sup else ""
    cells = (
        Cell(title, "numerator", "" if sup else str(share.k), reasons, m, float(share.k) if sup else None),
        Cell(title, "denominator", str(share.n), (), ""),
        Cell(title, "share", published, reasons, m, share.k / share.n if (sup and share.n) else None, share.reason),
    )
    return Output(check_id(output_id), TEXT, title, (title,), ("numerator", "denominator", "share"), cells, source)


def figure(
    output_id: str,
    *,
    title: str,
    data: Output | None = None,
    attachments: Sequence[Path | str] = (),
    source: str = "",
) -> Output:
    """A figure: its plotted numbers (an output built by :func:`from_disclosed`, whose cells it
    takes) and its image files for the checker. A figure registered without its numbers is
    ``review``: the checker must read it off the image.
    """
    if data is None:
        return Output(check_id(output_id), FIGURE, title, (), (), (), source, attachments=tuple(map(str, attachments)))
    return dataclasses.replace(
        data, id=check_id(output_id), kind=FIGURE, title=title, source=source, attachments=tuple(map(str, attachments))
    )


class Registry:
    """The outputs one notebook execution registers, written through to a JSON log.

    Creating it empties the log (a re-executed notebook registers afresh); :meth:`add` replaces
    an output registered before under the same id.
    """

    def __init__(self, log: Path | str | None = None) -> None:
        self.log = None if log is None else Path(log)
        self.outputs: dict[str, Output] = {}
        self._write()

    def add(self, output: Output) -> Output:
        self.outputs[output.id] = output
        self._write()
        return output

    def _write(self) -> None:
        if self.log is None:
            return
        self.log.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.log.with_suffix(".tmp")
        tmp.write_text(json.dumps([o.to_dict() for o in self.outputs.values()], indent=1), encoding="utf-8")
        tmp.replace(self.log)


def load_log(path: Path | str) -> list[Output]:
    """The outputs a :class:`Registry` wrote."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise OutputError(f"{p}: cannot read the output log ({exc}). Re-run the notebook that writes it.") from exc
    return [Output.from_dict(d) for d in data]


def collect(logs: Iterable[Path | str], *, prefix: str | None = None) -> list[Output]:
    """Every output in ``logs``; ``prefix`` (a report id) is put before ids that lack it. Two outputs
    with the same id are an error (two cells registering under one label)."""
    out: dict[str, Output] = {}
    for log in logs:
        for o in load_log(log):
            if prefix and not o.id.startswith(f"{prefix}/"):
                o = dataclasses.replace(o, id=f"{prefix}/{o.id}")
            if o.id in out:
                raise OutputError(f"Output {o.id!r} is registered twice (the second time in {log}).")
            out[o.id] = o
    return list(out.values())


# -- exceptions -----------------------------------------------------------------------------------

APPROVED, PENDING, REFUSED = "approved", "pending", "refused"
_FIELDS = ("output", "reason", "requested_by", "approved_by", "approved_on")


def _person(name: str) -> str:
    return " ".join(str(name).split()).casefold()


@dataclass(frozen=True)
class ExceptionRequest:
    """One entry of ``config/disclosure_exceptions.yml``.

    Approved only when ``approved_by`` and ``approved_on`` are both given and ``approved_by`` is not
    ``requested_by`` (compared ignoring case and spacing); self-approval is refused; anything
    else is pending. Only an approved request releases its output.
    """

    output: str
    reason: str
    requested_by: str
    approved_by: str = ""
    approved_on: dt.date | None = None
    entry: int = 0
    file: str = ""

    @property
    def state(self) -> str:
        if self.approved_by and _person(self.approved_by) == _person(self.requested_by):
            return REFUSED
        if self.approved_by and self.approved_on:
            return APPROVED
        return PENDING

    @property
    def why(self) -> str:
        """The state in words, for the checker's page."""
        if self.state == APPROVED:
            return f"approved by {self.approved_by} on {self.approved_on.isoformat()}"  # type: ignore[union-attr]
        if self.state == REFUSED:
            return (
                f"refused: approved by its own requester ({self.approved_by}); an exception must be approved "
                "by someone other than the person who requests it"
            )
        missing = [f for f in ("approved_by", "approved_on") if not getattr(self, f)]
        return f"pending: no {' and no '.join(missing)}; it releases nothing until approved"


@dataclass(frozen=True)
class Exceptions:
    """The exception requests of a study (see :func:`load_exceptions`)."""

    requests: tuple[ExceptionRequest, ...] = ()
    file: str = ""

    def get(self, output_id: str) -> ExceptionRequest | None:
        for r in self.requests:
            if r.output == output_id:
                return r
        return None

    def released(self, output_id: str) -> bool:
        """Whether ``output_id`` is released unsuppressed under an approved exception."""
        r = self.get(output_id)
        return r is not None and r.state == APPROVED

    def approved(self) -> list[ExceptionRequest]:
        return [r for r in self.requests if r.state == APPROVED]

    def unknown(self, output_ids: Iterable[str]) -> list[ExceptionRequest]:
        """Requests naming an output that is not registered (a typo, or an output since removed)."""
        ids = set(output_ids)
        return [r for r in self.requests if r.output not in ids]

    def for_report(self, report: str) -> Exceptions:
        """The requests for one report's outputs (ids ``<report>/...``)."""
        return Exceptions(tuple(r for r in self.requests if r.output.startswith(f"{report}/")), self.file)


def _entry_lines(text: str) -> list[int]:
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for k, v in node.value:
        if getattr(k, "value", None) == "exceptions" and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []


def parse_exceptions(text: str, file: str = "config/disclosure_exceptions.yml", *, today: dt.date | None = None):
    """Parse the exceptions file's text; every problem names the file, the entry (number and line)
    and the field.

    >>> book = parse_exceptions('''
    ... exceptions:
    ...   - output: august/tbl-headline
    ...     reason: The protocol's 30% criterion needs the count.
    ...     requested_by: A. Analyst
    ...     approved_by: C. Checker
    ...     approved_on: 2021-08-20
    ... ''')
    >>> book.released("august/tbl-headline"), book.released("august/tbl-other")
    (True, False)
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ExceptionsError(f"{file}: not valid YAML ({exc}).") from exc
    if data is None:
        return Exceptions((), file)
    if not isinstance(data, dict) or set(data) - {"exceptions"}:
        raise ExceptionsError(f"{file}: the file must hold one key, `exceptions:`, with a list of requests.")
    items = data.get("exceptions") or []
    if not isinstance(items, list):
        raise ExceptionsError(f"{file}: `exceptions:` must be a list of requests (entries starting with '-').")
    lines = _entry_lines(text)
    today = today or dt.date.today()
    out: list[ExceptionRequest] = []
    seen: dict[str, int] = {}
    for k, item in enumerate(items, start=1):
        where = f"{file}, entry {k}" + (f" (line {lines[k - 1]})" if k - 1 < len(lines) else "")
        out.append(_parse_entry(item, where, k, file, today))
        oid = out[-1].output
        if oid in seen:
            raise ExceptionsError(
                f"{where}: output {oid!r} already has a request (entry {seen[oid]}); keep one entry per output "
                "and edit it."
            )
        seen[oid] = k
    return Exceptions(tuple(out), file)


def _parse_entry(item: Any, where: str, k: int, file: str, today: dt.date) -> ExceptionRequest:
    if not isinstance(item, dict):
        raise ExceptionsError(f"{where}: each request must be a mapping with fields {', '.join(_FIELDS)}.")
    unknown = [f for f in item if f not in _FIELDS]
    if unknown:
        raise ExceptionsError(f"{where}: field {unknown[0]!r} is not known (fields: {', '.join(_FIELDS)}).")
    vals: dict[str, Any] = {}
    for f in ("output", "reason", "requested_by"):
        v = item.get(f)
        if not isinstance(v, str) or not v.strip():
            raise ExceptionsError(f"{where}, field `{f}`: required, and must be non-empty text.")
        vals[f] = v.strip()
    try:
        check_id(vals["output"])
    except OutputError as exc:
        raise ExceptionsError(f"{where}, field `output`: {exc}") from None
    by = item.get("approved_by")
    if by is not None and not isinstance(by, str):
        raise ExceptionsError(f"{where}, field `approved_by`: must be a name (text), got {by!r}.")
    on = item.get("approved_on")
    if on is not None and not isinstance(on, dt.date):
        try:
            on = dt.date.fromisoformat(str(on))
        except ValueError:
            raise ExceptionsError(
                f"{where}, field `approved_on`: must be a date like 2021-08-20, got {on!r}."
            ) from None
    if isinstance(on, dt.datetime):
        on = on.date()
    if on is not None and on > today:
        raise ExceptionsError(f"{where}, field `approved_on`: {on.isoformat()} is in the future.")
    return ExceptionRequest(vals["output"], vals["reason"], vals["requested_by"], (by or "").strip(), on, k, file)


def load_exceptions(path: Path | str | None = None, *, today: dt.date | None = None) -> Exceptions:
    """Read ``config/disclosure_exceptions.yml`` (or ``path``). A missing file means no requests."""
    p = Path(path) if path is not None else paths.DISCLOSURE_EXCEPTIONS
    if not p.exists():
        return Exceptions((), str(p))
    return parse_exceptions(p.read_text(encoding="utf-8"), str(p), today=today)


def attach_exceptions(outputs: Iterable[Output], book: Exceptions) -> list[Output]:
    """Each output with its exception request (if any) attached."""
    return [dataclasses.replace(o, exception=book.get(o.id)) for o in outputs]


def mark(text: str) -> str:
    """A released value with its dagger.

    >>> mark("6")
    '6†'
    """
    return f"{text}{DAGGER}"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$@^])")


def md_escape(text: str) -> str:
    """Text from a configuration file made safe for Markdown (no markup, no raw HTML, no line breaks).

    >>> md_escape("a|b *c* <script>")
    'a\\\\|b \\\\*c\\\\* \\\\<script\\\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def footnote(request: ExceptionRequest | None) -> str:
    """The footnote (Markdown) under an output released under an approved exception: who approved
    it and when; the case for it is listed in the provenance appendix.

    >>> r = ExceptionRequest("august/tbl-headline", "Needed for the criterion.", "A. Analyst", "C. Checker",
    ...                      dt.date(2021, 8, 20))
    >>> print(footnote(r))  # doctest: +NORMALIZE_WHITESPACE
    † Released under an exception to the disclosure rule, approved by C. Checker on 2021-08-20 at the
    request of A. Analyst; the case for it is given in the provenance appendix.
    """
    if request is None or request.state != APPROVED:
        raise OutputError("A footnote is only for an output released under an approved exception.")
    return (
        f"{DAGGER} Released under an exception to the disclosure rule, approved by {md_escape(request.approved_by)} "
        f"on {md_escape(request.approved_on.isoformat())} at the request of "  # type: ignore[union-attr]
        f"{md_escape(request.requested_by)}; the case for it is given in the provenance appendix."
    )


def provenance_table(book: Exceptions, output_ids: Iterable[str] | None = None) -> str:
    """The provenance appendix's Markdown table of approved exceptions (optionally only those for
    ``output_ids``), or a sentence saying there are none."""
    ids = None if output_ids is None else set(output_ids)
    rows = [r for r in book.approved() if ids is None or r.output in ids]
    if not rows:
        return "No output was released under an exception to the disclosure rule."
    lines = [
        "| Output | Reason | Requested by | Approved by | Approved on |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {md_escape(r.output)} | {md_escape(r.reason)} | {md_escape(r.requested_by)} | "
            f"{md_escape(r.approved_by)} | {r.approved_on.isoformat()} |"  # type: ignore[union-attr]
        )
    return "\n".join(lines)


# -- rounding (acro's safe_round_base) ------------------------------------------------------------


def round_count(x: int | float, base: int) -> int:
    """``x`` rounded to the nearest multiple of ``base`` as acro does (``(x / base).round() * base``
    in pandas: a half goes to the even multiple).

    >>> [round_count(x, 5) for x in (0, 2, 3, 7, 8, 12, 13)]
    [0, 0, 5, 5, 10, 10, 15]
    >>> [round_count(x, 10) for x in (5, 15, 25, 35)]
    [0, 20, 20, 40]
    """
    b = int(base)
    if b < 1:
        raise ValueError(f"The rounding base must be 1 or more, got {base!r}.")
    v = int(round(x))
    if v != x:
        raise ValueError(f"Only whole counts are rounded, got {x!r}.")
    q, r = divmod(v, b)
    if 2 * r > b or (2 * r == b and q % 2 == 1):
        q += 1
    return q * b


def round_counts(counts: pd.DataFrame, base: int, *, margins_name: str = "Total") -> pd.DataFrame:
    """A count table rounded as acro rounds it with margins: every inner cell rounded to ``base``;
    each total the sum of the rounded cells it adds up, rounded again. A total column is added when
    there are two columns or more, a total row when there are two rows or more (as
    :func:`analysis.disclose.suppress_counts` does), replacing any given.

    >>> c = pd.DataFrame({"yes": [12, 3], "no": [7, 14]}, index=["A", "B"])
    >>> round_counts(c, 5)
           yes  no  Total
    A       10   5     15
    B        5  15     20
    Total   15  20     35
    """
    inner = counts.copy()
    if inner.shape[1] >= 2 and str(inner.columns[-1]).lower().startswith(("total", "all")):
        inner = inner.iloc[:, :-1]
    if inner.shape[0] >= 2 and str(inner.index[-1]).lower().startswith(("total", "all")):
        inner = inner.iloc[:-1]
    out = inner.map(lambda v: round_count(v, base)).astype(int)
    if out.shape[1] >= 2:
        out[margins_name] = out.sum(axis=1).map(lambda v: round_count(v, base))
    if out.shape[0] >= 2:
        row = out.sum(axis=0).map(lambda v: round_count(v, base))
        if out.shape[1] >= 2 and margins_name in out.columns:
            row[margins_name] = round_count(int(out.iloc[:, :-1].to_numpy().sum()), base)
        out.loc[margins_name] = row
    return out


def rounded_share(numerator: int, denominator: int, base: int) -> float:
    """A share computed from the rounded counts (NaN when the denominator rounds to 0).

    >>> rounded_share(7, 18, 5)  # 7 -> 5, 18 -> 20
    0.25
    """
    n = round_count(denominator, base)
    return math.nan if n == 0 else round_count(numerator, base) / n


def rounding_rule_text(base: int) -> str:
    """The rounding rule, as the report states it."""
    return (
        f"Counts are rounded to the nearest multiple of {base} (a count exactly halfway goes to the even "
        f"multiple, as the SACRO project's acro package rounds); a total is the sum of the rounded counts it adds "
        f"up, rounded again, so totals may differ from the sum of the published cells. Percentages are "
        f"computed from the rounded counts. Means and sums of individual values follow the usual rules "
        f"(at least the threshold of contributors, dominance and p-ratio)."
    )


def rounded_table(counts: pd.DataFrame, settings: Disclosure, *, margins_name: str = "Total") -> DisclosedTable:
    """A count table under the ``round`` mitigation, as a :class:`~analysis.disclose.DisclosedTable`
    (nothing suppressed; ``cell_reasons`` say which true counts fail the threshold or are zeros,
    which rounding mitigates). Register it with ``from_disclosed(..., round_base=settings.round_base)``.
    """
    base = settings.round_base
    true = add_totals(counts, margins_name)
    rounded = round_counts(counts, base, margins_name=margins_name)
    if list(rounded.index) != list(true.index) or list(rounded.columns) != list(true.columns):
        true = true.reindex(index=rounded.index, columns=rounded.columns)
    t = settings.threshold
    codes = true.map(lambda v: "threshold" if 0 < v < t else ("zero" if v == 0 else "")).astype(object)
    display = rounded.map(lambda v: f"{int(v):,}").astype(object)
    n_small = int((codes != "").to_numpy().sum())
    reasons = [f"counts rounded to the nearest multiple of {base}"]
    if n_small:
        reasons.append(f"{n_small} cell{'s' if n_small != 1 else ''} below {t} or zero, mitigated by rounding")
    return DisclosedTable(
        display,
        rounded.astype(float),
        pd.DataFrame(False, index=rounded.index, columns=rounded.columns),
        reasons,
        rounding_rule_text(base),
        codes,
    )


def mitigate_counts(counts: pd.DataFrame, settings: Disclosure, **options: Any) -> DisclosedTable:
    """The study's mitigation for a count table: :func:`analysis.disclose.suppress_counts` under
    ``suppress`` (``options`` passed on), :func:`rounded_table` under ``round``."""
    if settings.mitigation == "round":
        return rounded_table(counts, settings)
    from analysis.disclose import suppress_counts

    return suppress_counts(counts, settings, **options)


def mitigation_rule_text(settings: Disclosure) -> str:
    """The rule the report states for the study's mitigation."""
    return rounding_rule_text(settings.round_base) if settings.mitigation == "round" else rule_text(settings)


# -- the differencing audit's findings ------------------------------------------------------------


def apply_audit(outputs: Iterable[Output], ranges: Iterable[Range]) -> list[Output]:
    """Put the differencing audit's failing ranges (:meth:`analysis.differencing.Model.audit`) on
    the outputs: the reason "differencing" on the recoverable cell (with its feasible range), and a
    finding on every output in the range's culprits (the outputs that together give it away)."""
    outs = {o.id: o for o in outputs}
    for r in ranges:
        if not r.fails:
            continue
        hi = "no upper bound" if math.isinf(r.high) else str(int(r.high))
        text = f"feasible range {r.low}..{hi} from published numbers"
        if r.culprits:
            text += " (" + ", ".join(r.culprits) + ")"
        o = outs.get(r.output)
        if o is not None:
            cells = []
            for c in o.cells:
                if (c.row, c.column) == (r.row, r.column):
                    detail = "; ".join(x for x in (c.detail, text) if x)
                    c = dataclasses.replace(c, reasons=tuple(dict.fromkeys([*c.reasons, DIFFERENCING])), detail=detail)
                cells.append(c)
            outs[o.id] = dataclasses.replace(o, cells=tuple(cells))
        what = f"{r.output} [{r.row} / {r.column}]" if r.output else r.name
        for cid in r.culprits:
            if cid in outs and cid != r.output:
                c_out = outs[cid]
                outs[cid] = dataclasses.replace(
                    c_out, findings=(*c_out.findings, f"with others, gives away {what}: {text}")
                )
    return list(outs.values())


def cell_name(output_id: str, row: str, column: str) -> str:
    """The audit's variable for a registered cell (as :func:`audit_model` names it), for linking two
    cells that count the same people with :meth:`analysis.differencing.Model.same`.

    >>> cell_name("august/tbl-workforce", "Total", "Total")
    'august/tbl-workforce[Total / Total]'
    """
    return f"{output_id}[{row} / {column}]"


_TOTAL_LABEL = re.compile(r"^\s*(all|total)\b", re.IGNORECASE)


def audit_model(outputs: Iterable[Output], threshold: int, *, zeros_shown: bool = False) -> Model:
    """Every registered output's published numbers as facts for the differencing audit.

    Each output's cells become variables named by :func:`cell_name`; a count is an equality (a
    value released under an exception too), "<10" a pair of bounds (a secondary suppression may
    hold 10 or more), a last row or column labelled "Total ..." or "All ..." the sum of the others,
    a rounded output's counts ranges. The caller then says which cells of different outputs count
    the same people (``model.same(cell_name(...), cell_name(...))``) and protects counts published
    nowhere (``model.protect``), and calls ``model.audit()``; :func:`apply_audit` takes the result.
    """
    m = Model(threshold)
    for o in outputs:
        if not o.cells:
            continue
        reasons = pd.DataFrame("", index=list(o.rows), columns=list(o.columns), dtype=object)
        for c in o.cells:
            if SECONDARY in c.reasons:
                reasons.loc[c.row, c.column] = SECONDARY
        row_total = o.rows[-1] if len(o.rows) >= 2 and _TOTAL_LABEL.match(o.rows[-1]) else None
        column_total = o.columns[-1] if len(o.columns) >= 2 and _TOTAL_LABEL.match(o.columns[-1]) else None
        m.add_table(
            o.id,
            o.grid(),
            cell_reasons=reasons,
            row_total=row_total,
            column_total=column_total,
            zeros_shown=zeros_shown,
            round_base=o.round_base if o.mitigation == "round" else None,
        )
    return m


# -- results.json (acro's format) -----------------------------------------------------------------


def _sdc(o: Output) -> dict[str, Any]:
    summary: dict[str, int] = {}
    cells: dict[str, list[list[int]]] = {}
    rpos = {r: i for i, r in enumerate(o.rows)}
    cpos = {c: j for j, c in enumerate(o.columns)}
    for c in o.cells:
        for reason in c.reasons:
            name = _ACRO_CHECK[reason]
            pos = [rpos[c.row], cpos[c.column]]
            cells.setdefault(name, [])
            if pos not in cells[name]:
                cells[name].append(pos)
    for name, pos in cells.items():
        summary[name] = len(pos)
    return {"summary": summary, "cells": cells}


def _summary(o: Output) -> str:
    counts = o.reason_counts()
    parts = [f"{k}: {n} cell{'s' if n != 1 else ''}" for k, n in counts.items()]
    text = f"{o.status}; " + ("; ".join(parts) if parts else "no rule fails")
    if o.findings:
        text += f"; differencing: {len(o.findings)} finding{'s' if len(o.findings) != 1 else ''}"
    if o.released:
        text += "; released unsuppressed under an approved exception"
    return text


def _outcome(o: Output) -> pd.DataFrame:
    g = pd.DataFrame("ok", index=list(o.rows), columns=list(o.columns), dtype=object)
    for c in o.cells:
        if c.reasons:
            g.loc[c.row, c.column] = "; ".join(c.reasons) + "; "
    return g


def _exception_text(o: Output) -> str:
    if o.exception is not None:
        return o.exception.reason
    if any(c.mitigated == SUPPRESSED for c in o.cells):
        return "Suppression automatically applied where needed"  # acro's own words
    if o.mitigation == "round":
        return f"Rounding automatically applied to nearest {o.round_base}"  # acro's own words
    return ""


def _record(o: Output, files: list[str], timestamp: str) -> dict[str, Any]:
    sdc = _sdc(o)
    props: dict[str, Any] = {
        "method": f"report {o.kind}",
        "mitigation": o.mitigation,
        "output_id": o.id,
        "title": o.title,
        "released_under_exception": o.released,
    }
    if o.round_base is not None:
        props["round_base"] = o.round_base
    comments = list(o.notes) + [f"differencing: {f}" for f in o.findings]
    if o.exception is not None:
        e = o.exception
        comments.append(f"exception requested by {e.requested_by}: {e.why}")
    return {
        "uid": uid(o.id),
        "status": o.status,
        "type": o.kind,
        "properties": props,
        "files": [{"name": f, "sdc": sdc} for f in files],
        "outcome": json.loads(_outcome(o).to_json()),
        "command": o.source or o.id,
        "summary": _summary(o),
        "timestamp": timestamp,
        "comments": comments,
        "exception": _exception_text(o),
        "fair": {},
    }


def _write_files(o: Output, folder: Path, include_held: bool) -> list[str]:
    name = uid(o.id)
    files = []
    if o.cells or not o.attachments:
        grid = o.grid() if o.cells else pd.DataFrame({"figure": [o.title]})
        grid.to_csv(folder / f"{name}.csv", encoding="utf-8")
        files.append(f"{name}.csv")
    if include_held and o.exception is not None and any(c.held is not None for c in o.cells):
        o.grid(held=True).to_csv(folder / f"{name}_unsuppressed.csv", encoding="utf-8")
        files.append(f"{name}_unsuppressed.csv")
    for k, a in enumerate(o.attachments):
        src = Path(a)
        if not src.is_file():
            raise OutputError(f"Output {o.id!r}: attachment {src} does not exist.")
        dest = f"{name}_{k}{src.suffix}"
        shutil.copyfile(src, folder / dest)
        files.append(dest)
    return files


def results_json(
    outputs: Sequence[Output], folder: Path, *, timestamp: str, include_held: bool = True
) -> dict[str, Any]:
    """Write each output's files into ``folder`` and return acro's ``results.json`` structure."""
    uids = [uid(o.id) for o in outputs]
    if len(set(uids)) != len(uids):
        raise OutputError(f"Two outputs share a name in results.json: {sorted(u for u in uids if uids.count(u) > 1)}.")
    results = {}
    for o in outputs:
        results[uid(o.id)] = _record(o, _write_files(o, folder, include_held), timestamp)
    return {
        "version": ACRO_VERSION,
        "tool": {
            "@type": "SoftwareApplication",
            "name": "ACRO",
            "url": "https://github.com/AI-SDC/ACRO",
            "version": ACRO_VERSION,
        },
        "results": results,
    }


def acro_config(settings: Disclosure) -> dict[str, Any]:
    """The disclosure settings under acro's names (acro writes its config as ``config.json``)."""
    return {
        "safe_threshold": settings.threshold,
        "safe_nk_n": settings.dominance_n,
        "safe_nk_k": settings.dominance_k,
        "safe_pratio_p": settings.p_ratio,
        "zeros_are_disclosive": True,
        "safe_round_base": settings.round_base,
        "mitigation": settings.mitigation,
    }


def write_output_folder(
    outputs: Sequence[Output],
    folder: Path | str,
    settings: Disclosure,
    *,
    exceptions: Exceptions | None = None,
    timestamp: str | None = None,
    title: str = "Output checking",
    include_held: bool = True,
) -> Path:
    """Write the checker's folder: ``results.json``, each output's files, ``checking.html``,
    ``config.json`` and ``checksums/`` (as acro does). The folder is replaced as a whole, so no
    file of an output since removed stays behind. ``timestamp`` (ISO) defaults to now; pass the
    build time so that an unchanged build writes the same bytes.
    """
    folder = Path(folder)
    book = exceptions or Exceptions()
    outs = attach_exceptions(outputs, book)
    stamp = timestamp or dt.datetime.now().isoformat(timespec="seconds")
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    work.chmod(0o755)  # mkdtemp makes it private; the folder is read by the output checker
    try:
        data = results_json(outs, work, timestamp=stamp, include_held=include_held)
        (work / "results.json").write_text(json.dumps(data, indent=4), encoding="utf-8")
        (work / "config.json").write_text(json.dumps(acro_config(settings), indent=4), encoding="utf-8")
        (work / "checking.html").write_text(checking_page(outs, book, settings, title=title), encoding="utf-8")
        sums = work / "checksums"
        sums.mkdir()
        for f in sorted(work.iterdir()):
            if f.is_file():
                (sums / f"{f.name}.txt").write_text(hashlib.sha256(f.read_bytes()).hexdigest(), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        work.replace(folder)
    finally:
        if work.exists():
            shutil.rmtree(work)
    return folder


# -- checking.html --------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #888;padding:.25rem .5rem;
text-align:left;vertical-align:top}thead th{background:#eee}caption{text-align:left;font-weight:600;padding:.25rem 0}
.status{font-weight:700;padding:0 .35rem;border:2px solid}.pass{color:#05620f}.review{color:#7a4a00}
.fail{color:#a30000}.reason{display:block;font-size:.85em;color:#333}.flag{background:#fff4d6}
.bad{background:#fde2e2}section{border-top:2px solid #ccc;margin-top:1.5rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _anchor(output_id: str) -> str:
    return "o-" + re.sub(r"[^A-Za-z0-9_-]", "-", output_id)


def _status_html(status: str) -> str:
    return f'<span class="status {_e(status)}">{_e(status.upper())}</span>'


def _exception_html(req: ExceptionRequest | None) -> str:
    if req is None:
        return "<p>No exception requested.</p>"
    rows = [
        ("State", req.state),
        ("Why", req.why),
        ("Reason given", req.reason),
        ("Requested by", req.requested_by),
        ("Approved by", req.approved_by or "(none)"),
        ("Approved on", req.approved_on.isoformat() if req.approved_on else "(none)"),
        ("Entry", f"{req.file}, entry {req.entry}"),
    ]
    body = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in rows)
    return f"<table><caption>Exception request</caption><tbody>{body}</tbody></table>"


def _cells_html(o: Output) -> str:
    if not o.cells:
        return "<p>No numbers registered with this output: read them off the attached files.</p>"
    by = {(c.row, c.column): c for c in o.cells}
    head = '<th scope="col">Row</th>' + "".join(f'<th scope="col">{_e(c)}</th>' for c in o.columns)
    body = []
    for r in o.rows:
        tds = []
        for col in o.columns:
            c = by.get((r, col))
            if c is None:
                tds.append("<td></td>")
                continue
            cls = ' class="bad"' if c.failing else (' class="flag"' if c.reasons or c.mitigated else "")
            extra = ""
            if c.reasons:
                extra += f'<span class="reason">{_e(", ".join(c.reasons))}</span>'
            if c.mitigated:
                extra += f'<span class="reason">{_e(c.mitigated)}</span>'
            if c.held is not None and (o.exception is not None or DIFFERENCING in c.reasons or c.mitigated == ROUNDED):
                extra += f'<span class="reason">true value {_e(_number(c.held))}</span>'
            if c.detail:
                extra += f'<span class="reason">{_e(c.detail)}</span>'
            tds.append(f"<td{cls}>{_e(c.value)}{extra}</td>")
        body.append(f'<tr><th scope="row">{_e(r)}</th>{"".join(tds)}</tr>')
    return (
        f"<table><caption>Cells as published, with reasons</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _output_html(o: Output) -> str:
    parts = [
        f'<section id="{_anchor(o.id)}" aria-labelledby="{_anchor(o.id)}-h">',
        f'<h2 id="{_anchor(o.id)}-h">{_e(o.id)} {_status_html(o.status)}</h2>',
        f"<p><strong>{_e(o.title)}</strong> ({_e(o.kind)}; mitigation: {_e(o.mitigation)}"
        + (f", base {_e(o.round_base)}" if o.round_base else "")
        + (f"; made in {_e(o.source)}" if o.source else "")
        + ")</p>",
    ]
    if o.released:
        parts.append("<p><strong>Released unsuppressed under an approved exception</strong> (values marked †).</p>")
    if o.notes:
        parts.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in o.notes) + "</ul>")
    if o.findings:
        parts.append("<p>Differencing findings:</p><ul>" + "".join(f"<li>{_e(f)}</li>" for f in o.findings) + "</ul>")
    if o.attachments:
        parts.append(f"<p>Attached files: {_e(len(o.attachments))} (see results.json).</p>")
    parts += [_exception_html(o.exception), _cells_html(o), "</section>"]
    return "\n".join(parts)


def checking_page(outputs: Sequence[Output], book: Exceptions, settings: Disclosure, *, title: str) -> str:
    """The output checker's page: a summary of every output, the exception requests, then each
    output with its status, exception and cells (published value, reasons, mitigation). Every text
    is escaped; the page needs no other file."""
    outs = attach_exceptions(outputs, book)
    tally = {s: sum(o.status == s for o in outs) for s in (PASS, REVIEW, FAIL)}
    summary_rows = "".join(
        f'<tr><th scope="row"><a href="#{_anchor(o.id)}">{_e(o.id)}</a></th><td>{_e(o.kind)}</td>'
        f"<td>{_status_html(o.status)}</td><td>{_e(', '.join(f'{k} {n}' for k, n in o.reason_counts().items()))}</td>"
        f"<td>{_e(o.exception.state if o.exception else '')}</td></tr>"
        for o in outs
    )
    ids = {o.id for o in outs}
    req_rows = "".join(
        f'<tr><th scope="row">{_e(r.output)}</th><td>{_e(r.state)}</td><td>{_e(r.why)}</td><td>{_e(r.reason)}</td>'
        f"<td>{_e('' if r.output in ids else 'no such output in this report')}</td></tr>"
        for r in book.requests
    )
    requests = (
        '<table><caption>Exception requests</caption><thead><tr><th scope="col">Output</th><th scope="col">State</th>'
        f'<th scope="col">Why</th><th scope="col">Reason given</th><th scope="col">Note</th></tr></thead>'
        f"<tbody>{req_rows}</tbody></table>"
        if book.requests
        else "<p>No exception requests.</p>"
    )
    legend = "".join(f"<li><strong>{_e(k)}</strong>: {_e(v)}</li>" for k, v in REASONS.items())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<a class="skip" href="#outputs">Skip to the outputs</a>
<main>
<h1>{_e(title)}</h1>
<p>{_e(len(outs))} outputs: {tally[PASS]} pass, {tally[REVIEW]} review, {tally[FAIL]} fail.
Status <strong>pass</strong>: every cell passes every rule. <strong>review</strong>: failing cells were mitigated
(suppressed or rounded), or a figure carries no numbers. <strong>fail</strong>: a published cell fails a rule
(released under an exception, or recoverable from other published numbers).</p>
<p>Rule: {_e(mitigation_rule_text(settings))}</p>
<details><summary>Reasons</summary><ul>{legend}</ul></details>
<table><caption>Every output</caption><thead><tr><th scope="col">Output</th><th scope="col">Kind</th>
<th scope="col">Status</th><th scope="col">Cells by reason</th><th scope="col">Exception</th></tr></thead>
<tbody>{summary_rows}</tbody></table>
<h2>Exception requests</h2>
{requests}
<div id="outputs">
{"".join(_output_html(o) for o in outs)}
</div>
</main>
</body>
</html>
"""


# -- registering from a notebook ------------------------------------------------------------------
#
# The build executes each notebook with two environment variables set in its kernel (see
# :func:`analysis.execute.execute_one`): where its outputs are logged (``paths.output_log``) and the
# report its outputs belong to. A cell's label is read from its ``#| label:`` line as IPython starts
# the cell (a ``pre_run_cell`` hook), so ``tables.show(...)`` in a labelled cell registers the
# output ``<report>/<label>`` without the notebook naming it twice. A figure cell registers the
# texts drawn on its figure (values, n, labels) as IPython finishes the cell. Outside the build
# (JupyterLab, nbval, papermill by hand) nothing is logged, but the report is worked out from the
# notebook's ``wave`` parameter and approved exceptions apply: a notebook shows its outputs as its
# report publishes them.

LOG_ENV = "ANALYSIS_OUTPUT_LOG"
REPORT_ENV = "ANALYSIS_OUTPUT_REPORT"
EXCEPTIONS_ENV = "ANALYSIS_DISCLOSURE_EXCEPTIONS"
RUN_ENV = "ANALYSIS_OUTPUT_RUN"  # a new value for every execution: a re-run starts a fresh registry

_LABEL_LINE = re.compile(r"^#\|\s*label:\s*([A-Za-z0-9][A-Za-z0-9_-]*)\s*$")


def cell_label(source: str) -> str | None:
    """The ``#| label:`` of a code cell, from its leading option lines.

    >>> cell_label("#| label: tbl-headline\\n#| tbl-cap: x\\ntables.show(t)")
    'tbl-headline'
    >>> cell_label("x = 1") is None
    True
    """
    for line in str(source).splitlines():
        if not line.startswith("#|"):
            break
        m = _LABEL_LINE.match(line.strip())
        if m:
            return m.group(1)
    return None


@dataclass
class _Session:
    """The registration state of the notebook running in this process (one kernel runs one
    notebook at a time; a warm kernel runs many, one after another)."""

    label: str | None = None
    caption: str = ""
    registry: Registry | None = None
    log: str = ""
    figure_cell: bool = False


_SESSION = _Session()


def _registry() -> Registry | None:
    """The registry of the notebook now running in the build, or ``None`` outside the build. A new
    log path (the next notebook in a warm kernel) starts a new registry."""
    import os

    log = os.environ.get(LOG_ENV, "")
    if not log:
        return None
    key = f"{log}|{os.environ.get(RUN_ENV, '')}"
    if _SESSION.registry is None or _SESSION.log != key:
        _SESSION.registry, _SESSION.log = Registry(log), key
    return _SESSION.registry


def report_for_wave(wave: str) -> str:
    """The report whose outputs a notebook executed for ``wave`` makes (the report whose last wave
    it is; the wave itself when no report ends at it): the first part of its output ids."""
    from analysis.config import load_study

    return load_study().report_for_wave(wave)


def _current_report() -> str:
    """The report of the notebook now running: named by the build, else worked out from the
    notebook's ``wave`` (and ``site``) parameters (so a notebook run by hand shows what its report
    publishes; see :meth:`analysis.config.Study.report_for_run`)."""
    import os

    report = os.environ.get(REPORT_ENV, "")
    if report:
        return report
    try:
        from IPython import get_ipython

        shell = get_ipython()
        wave = shell.user_ns.get("wave") if shell is not None else None
        site = shell.user_ns.get("site") if shell is not None else None
        if not (isinstance(wave, str) and wave):
            return ""
        from analysis.config import load_study

        return load_study().report_for_run(wave, site if isinstance(site, str) else None)
    except Exception:  # no study configuration to read: nothing to attribute the output to
        return ""


def current_id() -> str | None:
    """``<report>/<label>`` of the labelled cell now running in a notebook, else ``None``."""
    if not _SESSION.label:
        return None
    report = _current_report()
    return f"{report}/{_SESSION.label}" if report else None


def register(output: Output) -> Output:
    """Log ``output`` for the notebook now running (no-op outside the build); an output without a
    source or title gets the notebook and cell label, and the cell's caption."""
    import os

    reg = _registry()
    if reg is not None:
        notebook = Path(os.environ.get(LOG_ENV, "")).stem
        if not output.source and _SESSION.label:
            output = dataclasses.replace(output, source=f"notebooks/{notebook}.ipynb#{_SESSION.label}")
        if _SESSION.caption and output.title in ("", output.id):
            output = dataclasses.replace(output, title=_SESSION.caption)
        reg.add(output)
    return output


def exceptions_in_force() -> Exceptions:
    """The exceptions that apply (``config/disclosure_exceptions.yml``, or the file the build names):
    in the build and by hand alike, so that a notebook shows its outputs as its report publishes them."""
    import os

    return load_exceptions(os.environ.get(EXCEPTIONS_ENV) or None)


def figure_texts(fig: Any) -> list[str]:
    """Every text drawn on a matplotlib figure (titles, axis and tick labels, annotations, legend),
    in drawing order and without repeats: what a reader can read off it."""
    texts: list[str] = []
    for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_visible")):
        if not t.get_visible():
            continue
        s = " ".join(str(t.get_text()).split())
        if s and s not in texts:
            texts.append(s)
    return texts


def figure_output(output_id: str, fig: Any, *, title: str = "") -> Output:
    """A figure registered with the texts it shows (each a cell: values, n, labels); a number on
    it that fails a rule can only be a suppressed marker ("<10") or an error in the plotting code."""
    texts = figure_texts(fig)
    rows = tuple(f"text {k + 1}" for k in range(len(texts)))
    cells = tuple(
        Cell(
            r,
            "text",
            t,
            (THRESHOLD,) if _SUPPRESSED_TEXT.search(t) else (),
            SUPPRESSED if _SUPPRESSED_TEXT.search(t) else "",
        )
        for r, t in zip(rows, texts, strict=True)
    )
    return Output(check_id(output_id), FIGURE, title or output_id, rows, ("text",), cells)


_SUPPRESSED_TEXT = re.compile(r"<\s*\d")
_CAPTION_LINE = re.compile(r"^#\|\s*(?:tbl|fig)-cap:\s*(.*)$")


def cell_caption(source: str) -> str:
    """The ``#| tbl-cap:`` or ``#| fig-cap:`` of a code cell ("" when none).

    >>> cell_caption('#| label: tbl-x\\n#| tbl-cap: "Workers by role."\\nshow(t)')
    'Workers by role.'
    """
    for line in str(source).splitlines():
        if not line.startswith("#|"):
            break
        m = _CAPTION_LINE.match(line.strip())
        if m:
            try:
                value = yaml.safe_load(m.group(1))
            except yaml.YAMLError:
                value = m.group(1)
            return " ".join(str(value or "").split())
    return ""


def _row_labels(frame: pd.DataFrame) -> tuple[list[str], list[str], pd.DataFrame]:
    """Row labels from the first column when its values are unique texts, else "row 1", ...; the
    remaining columns are the cells."""
    first = [_label(v) for v in frame.iloc[:, 0]] if frame.shape[1] >= 2 else []
    if first and len(set(first)) == len(first) and all(first):
        return first, [_label(c) for c in frame.columns[1:]], frame.iloc[:, 1:]
    return [f"row {k + 1}" for k in range(len(frame))], [_label(c) for c in frame.columns], frame


def from_frame(output_id: str, frame: pd.DataFrame, *, title: str = "", kind: str = TABLE) -> Output:
    """A displayed table registered as printed, for a table whose builder gives no richer record:
    every cell as text; a cell that reads as suppressed ("<10", "suppressed (<10)", "not reportable
    ...") carries the reason "threshold" and is marked suppressed.

    >>> o = from_frame("r/tbl-x", pd.DataFrame({"Role": ["a", "b"], "Workers": ["12", "<10"]}))
    >>> o.rows, o.cell("b", "Workers").reasons, o.status
    (('a', 'b'), ('threshold',), 'review')
    """
    rows, columns, body = _row_labels(frame)
    cells = []
    for i, r in enumerate(rows):
        for j, c in enumerate(columns):
            text = "" if pd.isna(body.iat[i, j]) else str(body.iat[i, j])
            hidden = bool(_SUPPRESSED_TEXT.search(text)) or text.startswith("not reportable")
            cells.append(Cell(r, c, text, (THRESHOLD,) if hidden else (), SUPPRESSED if hidden else ""))
    return Output(check_id(output_id), kind, title or output_id, tuple(rows), tuple(columns), tuple(cells))


def _pre_run_cell(info: Any) -> None:
    source = getattr(info, "raw_cell", "") or ""
    _registry()  # the first cell of a new execution starts its log afresh
    _SESSION.label = cell_label(source)
    _SESSION.caption = cell_caption(source)
    _SESSION.figure_cell = bool(_SESSION.label and _SESSION.label.startswith("fig-"))


def _post_execute() -> None:
    """Register the figure a ``fig-`` cell drew, before the inline backend closes it."""
    if not _SESSION.figure_cell:
        return
    _SESSION.figure_cell = False
    oid = current_id()
    if oid is None:
        return
    reg = _registry()
    if reg is None or oid in reg.outputs:
        return
    import matplotlib.pyplot as plt

    nums = plt.get_fignums()
    if nums:
        register(figure_output(oid, plt.figure(nums[-1])))


def _post_run_cell(result: Any) -> None:
    """A labelled cell that registered nothing (its value shown some other way than with
    ``tables.show``) registers what it shows: a table as printed, or the numbers of a text."""
    oid = current_id()
    reg = _registry()
    if oid is None or reg is None or oid in reg.outputs:
        return
    value = getattr(result, "result", None)
    if value is None:
        return
    if isinstance(value, pd.DataFrame):
        register(from_frame(oid, value))
        return
    text = getattr(value, "data", None)
    if isinstance(text, str):
        register(text_output(oid, text))


_NUMBER_TOKEN = re.compile(r"<\s*\d[\d,]*|\d[\d,]*(?:\.\d+)?%?")


def text_output(output_id: str, text: str, *, title: str = "") -> Output:
    """Text shown in a report (a sentence, a paragraph) as an output: each number in it a cell, in
    order; a number read as suppressed ("<10") is marked so.

    >>> o = text_output("r/txt-x", "17 responded; <10 did not.")
    >>> [(c.value, c.mitigated) for c in o.cells]
    [('17', ''), ('<10', 'suppressed')]
    """
    tokens = [t.replace(" ", "") for t in _NUMBER_TOKEN.findall(str(text))]
    rows = tuple(f"number {k + 1}" for k in range(len(tokens)))
    cells = tuple(
        Cell(r, "value", t, (THRESHOLD,) if t.startswith("<") else (), SUPPRESSED if t.startswith("<") else "")
        for r, t in zip(rows, tokens, strict=True)
    )
    return Output(check_id(output_id), TEXT, title or output_id, rows, ("value",), cells)


def watch_cells(shell: Any = None) -> bool:
    """Install the hooks that tell :func:`current_id` which labelled cell is running (once per
    IPython shell). Returns whether a shell was found."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or getattr(shell, "_analysis_outputs_hooked", False):
        return shell is not None
    shell.events.register("pre_run_cell", _pre_run_cell)
    shell.events.register("post_run_cell", _post_run_cell)
    # before matplotlib-inline's flush_figures, which closes the figures it shows
    shell.events.callbacks["post_execute"].insert(0, _post_execute)
    shell._analysis_outputs_hooked = True
    return True


# -- the study's audit: every report's outputs, with the facts that link them ---------------------
#
# ``config/output_links.yml`` says which registered cells count the same people, or are part of one
# another, across outputs (a study's knowledge: the engine cannot guess that one table's
# social workers are among the workforce table's). A cell is written ``<label>[<row> / <column>]``
# (the report's own output) or ``<report>/<label>[<row> / <column>]``; a name without brackets is a
# count published nowhere (e.g. ``workforce@{last_wave}``). ``{last_wave}`` is the label of the
# report's last wave; a link with ``each_wave: true`` is stated once per wave of the report, with
# ``{wave}`` its label. Kinds: ``same: [a, b]`` (a = b), ``at_most: [a, b]`` (a <= b),
# ``sum: {total: t, parts: [...]}`` (t = sum of parts) and ``protect: {name: n, terms: {a: 1, b: -1}}``
# (n = the combination, a count no output publishes and the audit must keep unrecoverable).
# Besides these, a cell in a row of one wave (its label starts with the wave's label) counts the
# same people in every report that has it: what August published stays published.


class LinksError(ConfigError):
    """``config/output_links.yml`` is malformed: the message names the file, the link and the field."""


@dataclass(frozen=True)
class Link:
    kind: str  # same, at_most, sum, protect
    terms: tuple[str, ...]  # same/at_most: (a, b); sum: (total, *parts); protect: (name, *terms)
    coefs: tuple[float, ...] = ()  # protect: the coefficient of each term
    note: str = ""
    each_wave: bool = False


_LINK_KINDS = ("same", "at_most", "sum", "protect")


def parse_links(text: str, file: str = "config/output_links.yml") -> list[Link]:
    """The links of ``config/output_links.yml``; every problem names the file, link and field.

    >>> [l.kind for l in parse_links("links:\\n  - same: [a, b]\\n  - sum: {total: t, parts: [a, b]}")]
    ['same', 'sum']
    """
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise LinksError(f"{file}: not valid YAML ({exc}).") from exc
    items = data.get("links") if isinstance(data, dict) else None
    if items is None:
        return []
    if not isinstance(items, list):
        raise LinksError(f"{file}: `links:` must be a list.")
    out = []
    for k, item in enumerate(items, start=1):
        where = f"{file}, link {k}"
        kinds = [x for x in _LINK_KINDS if isinstance(item, dict) and x in item]
        if len(kinds) != 1:
            raise LinksError(f"{where}: give exactly one of {', '.join(_LINK_KINDS)}.")
        kind, body = kinds[0], item[kinds[0]]
        note, each = str(item.get("note", "")), bool(item.get("each_wave", False))
        if kind in ("same", "at_most"):
            if not (isinstance(body, list) and len(body) == 2 and all(isinstance(x, str) for x in body)):
                raise LinksError(f"{where}, field `{kind}`: a list of two cell names.")
            out.append(Link(kind, tuple(body), note=note, each_wave=each))
        elif kind == "sum":
            if not (
                isinstance(body, dict) and isinstance(body.get("total"), str) and isinstance(body.get("parts"), list)
            ):
                raise LinksError(f"{where}, field `sum`: needs `total:` (a name) and `parts:` (a list of names).")
            out.append(Link(kind, (body["total"], *map(str, body["parts"])), note=note, each_wave=each))
        else:
            if not (
                isinstance(body, dict) and isinstance(body.get("name"), str) and isinstance(body.get("terms"), dict)
            ):
                raise LinksError(f"{where}, field `protect`: needs `name:` and `terms:` (name: coefficient).")
            terms = body["terms"]
            out.append(
                Link(kind, (body["name"], *terms), tuple(float(v) for v in terms.values()), note=note, each_wave=each)
            )
    return out


def load_links(path: Path | str | None = None) -> list[Link]:
    """Read ``config/output_links.yml`` (or ``path``); a missing file means no links."""
    p = Path(path) if path is not None else paths.OUTPUT_LINKS
    return parse_links(p.read_text(encoding="utf-8"), str(p)) if p.exists() else []


_CELL_REF = re.compile(r"^(?P<out>[^\[\]]+)\[(?P<row>.*) / (?P<col>[^/\]]*)\]$")


def _resolve(name: str, report: str, subs: Mapping[str, str]) -> str:
    name = name.format(**subs)
    m = _CELL_REF.match(name)
    if not m:
        return f"unpublished:{name}"  # a count published nowhere: the same people in every report
    out = m.group("out") if "/" in m.group("out") else f"{report}/{m.group('out')}"
    return cell_name(out, m.group("row"), m.group("col"))


def add_links(model: Model, links: Sequence[Link], report: str, wave_labels: Sequence[str]) -> None:
    """State ``links`` for one report whose waves have ``wave_labels`` (in order)."""
    for link in links:
        waves = wave_labels if link.each_wave else wave_labels[-1:]
        for w in waves:
            subs = {"last_wave": wave_labels[-1], "wave": w, "report": report}
            terms = [
                t.replace("{each_wave}", x) for t in link.terms for x in (wave_labels if "{each_wave}" in t else [""])
            ]
            names = [_resolve(t, report, subs) for t in terms]
            note = link.note or link.kind
            if link.kind == "same":
                model.same(names[0], names[1], note=note)
            elif link.kind == "at_most":
                model.fact({names[0]: 1, names[1]: -1}, "<=", 0, note=note)
            elif link.kind == "sum":
                model.total(names[0], names[1:], note=note)
            else:
                model.protect(names[0], dict(zip(names[1:], link.coefs, strict=True)), note=note)


def link_waves(
    model: Model, outputs: Sequence[Output], wave_labels: Sequence[str], scopes: Mapping[str, str] | None = None
) -> None:
    """A cell in a row of one wave counts the same people in every report that registers it (same
    label, row and column): what an earlier report published stays published. ``scopes`` (report id
    -> its site, "" for the whole study): reports about different sites count different people, so
    only cells of reports with the same scope are linked."""
    first: dict[tuple[str, str, str, str], str] = {}
    for o in outputs:
        report, _, label = o.id.partition("/")
        scope = (scopes or {}).get(report, "")
        for c in o.cells:
            if not _is_count_text(c.value) and not _SUPPRESSED_TEXT.search(c.value):
                continue
            if not any(c.row == w or c.row.startswith(f"{w} / ") for w in wave_labels):
                continue
            key = (scope, label, c.row, c.column)
            name = cell_name(o.id, c.row, c.column)
            if key in first and first[key] != name:
                model.same(first[key], name, note=f"the same wave's count in two reports ({label})")
            else:
                first.setdefault(key, name)


def audit_study(
    reports: Sequence[tuple[str, Sequence[str], Sequence[Output]]],
    threshold: int,
    links: Sequence[Link] = (),
    *,
    zeros_shown: bool = False,
    scopes: Mapping[str, str] | None = None,
) -> list[Range]:
    """The differencing audit over everything the study has published: ``reports`` is each report
    (in order) as ``(report id, its wave labels, its outputs)``; ``scopes``: report id -> the site it
    is about ("" for the whole study; see :func:`link_waves`). Returns every protected range."""
    everything = [o for _, _, outs in reports for o in outs]
    model = audit_model(everything, threshold, zeros_shown=zeros_shown)
    all_waves = list(dict.fromkeys(w for _, waves, _ in reports for w in waves))
    link_waves(model, everything, all_waves, scopes)
    for report, waves, _ in reports:
        add_links(model, links, report, list(waves))
    return model.audit()


def failing_outputs(outputs: Iterable[Output]) -> list[str]:
    """Lines for the build's log: each output that fails, and why (differencing, or a failing cell
    not released under an exception)."""
    lines = []
    for o in outputs:
        if o.status != FAIL or o.released:
            continue
        why = [f"{c.row} / {c.column}: {c.detail or ', '.join(c.reasons)}" for c in o.cells if c.failing]
        lines.append(f"{o.id}: " + "; ".join(why + list(o.findings)))
    return lines


def audit_notes(outputs: Iterable[Output], ranges: Iterable[Range]) -> list[Output]:
    """Each output with the differencing audit's result in words (a note, shown in ``results.json``'s
    comments and on the checker's page): its suppressed cells' feasible ranges when they pass; the
    failing ones are the cells' reasons and the outputs' findings (:func:`apply_audit`)."""
    by: dict[str, list[Range]] = {}
    for r in ranges:
        if r.output and not r.fails:
            by.setdefault(r.output, []).append(r)
    out = []
    for o in outputs:
        passed = by.get(o.id, [])
        if passed:
            spans = "; ".join(
                f"{r.row} / {r.column}: {r.low}..{'no upper bound' if math.isinf(r.high) else int(r.high)}"
                for r in passed
            )
            note = (
                f"differencing audit: passed; each suppressed cell can still take {passed[0].promised} values "
                f"or more ({spans})"
            )
        elif o.status == FAIL and (o.findings or any(DIFFERENCING in c.reasons for c in o.cells)):
            note = "differencing audit: failed (see the findings and the cells marked differencing)"
        else:
            note = "differencing audit: no suppressed cell here; its numbers are facts in the audit of the others"
        out.append(dataclasses.replace(o, notes=(*o.notes, note)))
    return out


# In a Jupyter kernel, importing this module (as every notebook does, through analysis.tables)
# installs the cell hooks, so that a notebook run by hand also knows its cells' labels.
watch_cells()
