"""Validation: types, allowed values, ranges, unique ids and row rules, checked lazily so every
problem is found in one pass. Failing rows are quarantined as delivered, with the file, row,
column, rule and a message; the rest become typed tidy tables. Rows delivered = accepted +
quarantined, always.

Speed: a visits extract can hold tens of millions of rows. Columns read by
:func:`analysis.load.read_csv_fast` are Arrow strings, and every rule is first computed as a
vectorised mask over the whole column (Arrow compute kernels, pandas' Arrow-backed ``isin``):
the common exact date format is parsed by Arrow's ISO 8601 cast and only the cells it cannot
read go to the general parser; uniqueness is found by sorting; pandera checks only the rows some
mask flags, so its failure cases, rule names and messages are those it always gave; and a
:class:`Problem` is made only for a failing row. Columns of Python objects (Excel cells, or a
CSV that :func:`analysis.load.read_csv_text` read) take the same rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc
from pandera.errors import SchemaErrors

from analysis.load import ROW, Delivered, Formula
from analysis.schemas import TableSpec, pandera_schema, starts_formula

QUARANTINE_COLUMNS = ["file", "row", "column", "rule", "message"]
# pandera's check names -> the rule names analysts see (and the data request template states)
RULE_NAMES = {
    "isin": "allowed_values",
    "less_than_or_equal_to": "maximum",
    "greater_than_or_equal_to": "minimum",
    "not_nullable": "not_null",
    "field_uniqueness": "unique",
    "dtype": "type",
    "coerce_dtype": "type",
}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
TRUE_TEXT, FALSE_TEXT = ("true", "1"), ("false", "0")  # a bool column's cells (any case)
LOCAL_TZ = "Europe/London"  # a date-time given with a UTC offset or zone is read as the clock time in England
# a time (hours alone, as in "2021-01-01 00Z", or hh:mm[:ss]) followed by a zone: Z, an offset
# (+01:00, +0100, -05) or UTC / GMT
_ZONED = r"[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)$"


@dataclass
class Problem:
    index: int  # position in the delivered frame
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
            f"{self.file}: {len(self.accepted)} accepted + {len(self.quarantined)} quarantined"
            f" != {self.delivered} delivered"
        )

    def rule_counts(self) -> pd.Series:
        if self.quarantined.empty:
            return pd.Series(dtype="int64")
        return self.quarantined["rule"].value_counts()


# -- Arrow-backed text ------------------------------------------------------------------------
# Columns of Arrow strings are worked on a chunk at a time (a chunk is a block of the CSV reader,
# some tens of thousands of cells), so that no step holds a second copy of a whole column.

_TIMESTAMP = pyarrow.timestamp("ns")  # pandas' range: a year outside 1677-2262 is not cast
_NULL_TEXT = pyarrow.scalar(None, pyarrow.string())
_ISO_EXACT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$"
_YEARS = (1678, 2261)  # whole years inside pandas' nanosecond range; the edges go to the general parser
_SECOND = 1_000_000_000  # nanoseconds


def _arrow(s: pd.Series) -> pyarrow.ChunkedArray | None:
    """The cells of an Arrow-backed text column, without a copy (else ``None``)."""
    dtype = s.dtype
    arrow_string = (isinstance(dtype, pd.StringDtype) and str(dtype.storage).startswith("pyarrow")) or (
        isinstance(dtype, pd.ArrowDtype)
        and (pyarrow.types.is_string(dtype.pyarrow_dtype) or pyarrow.types.is_large_string(dtype.pyarrow_dtype))
    )
    if not arrow_string:
        return None
    cells = s.array.__arrow_array__()
    return cells if isinstance(cells, pyarrow.ChunkedArray) else pyarrow.chunked_array([cells])


def _text(s: pd.Series) -> pyarrow.ChunkedArray | None:
    """The cells as Arrow strings when every cell is text or missing (else ``None``: Excel
    numbers and dates keep their own types)."""
    cells = _arrow(s)
    if cells is not None or s.dtype != object:
        return cells
    try:
        return pyarrow.chunked_array([pyarrow.array(s.to_numpy(), type=pyarrow.string(), from_pandas=True)])
    except (pyarrow.ArrowTypeError, pyarrow.ArrowInvalid):
        return None


def _text_bytes(chunk: pyarrow.Array) -> int:
    return pc.sum(pc.binary_length(chunk)).as_py() or 0


def _strip(cells: pyarrow.ChunkedArray) -> pyarrow.ChunkedArray:
    """White space removed from both ends of every cell: the characters Python's
    ``str.strip()`` removes (Arrow's Unicode white space is the same set). A chunk with no such
    character is returned as it is, sharing the delivered buffers."""
    out = []
    for chunk in cells.chunks:
        stripped = pc.utf8_trim_whitespace(chunk)
        out.append(chunk if _text_bytes(stripped) == _text_bytes(chunk) else stripped)
    return pyarrow.chunked_array(out, type=cells.type)


def _numpy_bool(cells) -> np.ndarray:
    return np.asarray(cells.to_numpy(zero_copy_only=False), dtype=bool)


def _empty(stripped: pyarrow.ChunkedArray) -> np.ndarray:
    """Missing, or nothing but white space (``stripped``: the cells after :func:`_strip`)."""
    return _numpy_bool(pc.or_kleene(pc.is_null(stripped), pc.equal(pc.utf8_length(stripped), 0)).fill_null(True))


# -- coercion ---------------------------------------------------------------------------------


def _blank(s: pd.Series) -> pd.Series:
    cells = _arrow(s)
    if cells is not None:
        return pd.Series(_empty(_strip(cells)), index=s.index)
    return s.isna() | s.astype(str).str.strip().eq("")


def _iso(cells: pyarrow.Array) -> pyarrow.Array:
    """Arrow's ISO 8601 cast of a chunk of text cells, null where it does not apply.

    A clean chunk is one cast. In a chunk the cast rejects (a 30 February, a 24:00, a word), the
    cells in the exact formats ``YYYY-MM-DD``, ``YYYY-MM-DD hh:mm`` and ``YYYY-MM-DD hh:mm:ss``
    (or with ``T``) whose fields are a real date and time are cast; every other cell is left
    null for the general parser, which decides what it is.
    """
    try:
        return pc.cast(cells, _TIMESTAMP)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowNotImplementedError):
        pass
    exact = pc.if_else(pc.match_substring_regex(cells, _ISO_EXACT), cells, _NULL_TEXT)
    padded = pc.utf8_rpad(exact, width=19, padding="0")  # a date alone reads as midnight

    def field(start: int, stop: int) -> np.ndarray:
        part = pc.cast(pc.utf8_slice_codeunits(padded, start, stop), pyarrow.int32())
        return np.asarray(part.fill_null(0).to_numpy(zero_copy_only=False))

    year, month, day = field(0, 4), field(5, 7), field(8, 10)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)] + (leap & (month == 2))
    real = (
        (year >= _YEARS[0])
        & (year <= _YEARS[1])
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= days)
        & (field(11, 13) <= 23)
        & (field(14, 16) <= 59)
        & (field(17, 19) <= 59)
    )
    try:
        return pc.cast(pc.if_else(pyarrow.array(real), exact, _NULL_TEXT), _TIMESTAMP)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowNotImplementedError):
        return pyarrow.nulls(len(cells), _TIMESTAMP)  # not expected: the general parser reads them all


def _iso_column(stripped: pyarrow.ChunkedArray) -> np.ndarray:
    """``datetime64[ns]`` of every cell Arrow's ISO cast reads (NaT elsewhere), rounded to the
    second as :func:`_to_datetime_general` rounds."""
    out = np.empty(len(stripped), dtype="datetime64[ns]")
    at = 0
    for chunk in stripped.chunks:
        parsed = _iso(pc.if_else(pc.equal(pc.utf8_length(chunk), 0), _NULL_TEXT, chunk))
        values = np.asarray(parsed.to_numpy(zero_copy_only=False), dtype="datetime64[ns]")
        ns = values.view("int64")
        if (ns[~np.isnat(values)] % _SECOND).any():
            values = pd.DatetimeIndex(values).round("s").to_numpy()
        out[at : at + len(values)] = values
        at += len(values)
    return out


def _to_datetime(s: pd.Series, stripped: pyarrow.ChunkedArray | None = None) -> pd.Series:
    """Dates and date-times as Excel cells, Excel serial numbers, ISO text or UK day-first text.

    Text cells in ISO 8601 (``2021-03-02 10:30``, the format the data request asks for) are
    parsed by Arrow, vectorised; the rest (serial numbers, day-first text, ...) by
    :func:`_to_datetime_general`, which gives the same result for an ISO cell.
    """
    if stripped is None:
        cells = _text(s)
        if cells is None:
            return _to_datetime_general(s)
        stripped = _strip(cells)
    out = pd.Series(_iso_column(stripped), index=s.index)
    left = out.isna().to_numpy() & ~_empty(stripped)
    if left.any():
        out[left] = _to_datetime_general(s[left])
    return out


def _to_datetime_general(s: pd.Series) -> pd.Series:
    """The general parser: Excel cells, Excel serial numbers, ISO text or UK day-first text."""
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
    zoned = text.str.contains(_ZONED, case=False, regex=True)
    for part, utc in ((text[~zoned], False), (text[zoned], True)):
        if len(part):
            out[part.index] = _parse_text(part, utc)
    return out.dt.round("s") if len(out) else out


def _parse_text(part: pd.Series, utc: bool) -> pd.Series:
    """Text cells as naive ``datetime64[ns]`` (NaT where unreadable): ISO 8601 first, then UK day
    first. A cell with a zone is read as the clock time in England. pandas may hand back a zone
    where none was expected, or a mix of values; any such result is made naive cell by cell, so
    that no delivered text can raise here."""
    try:
        iso = pd.to_datetime(part, format="ISO8601", errors="coerce", utc=utc)
        left = iso.isna()
        if left.any():
            more = _local_naive(pd.to_datetime(part[left], dayfirst=True, errors="coerce", format="mixed", utc=utc))
            iso = _local_naive(iso)
            iso[left] = more
        return _local_naive(iso)
    except (ValueError, TypeError, OverflowError, AttributeError):
        return pd.Series([_parse_one(v) for v in part], index=part.index, dtype="datetime64[ns]")


def _local_naive(values: pd.Series) -> pd.Series:
    """Parsed date-times as naive clock times in England (a zone-aware value is converted)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).astype("datetime64[ns]")
    if values.dtype.kind == "M":
        return values.astype("datetime64[ns]")
    return pd.Series([_naive(v) for v in values], index=values.index, dtype="datetime64[ns]")


def _naive(value) -> pd.Timestamp:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return pd.NaT
    t = pd.Timestamp(value)
    if t is pd.NaT:
        return pd.NaT
    t = t.tz_convert(LOCAL_TZ).tz_localize(None) if t.tzinfo is not None else t
    return t if pd.Timestamp.min <= t <= pd.Timestamp.max else pd.NaT


def _parse_one(text: str) -> pd.Timestamp:
    """One text cell, when the column-wise parse could not be used: NaT where unreadable."""
    for kwargs in ({"format": "ISO8601"}, {"dayfirst": True}):
        try:
            return _naive(pd.to_datetime(text, **kwargs))
        except (ValueError, TypeError, OverflowError):
            continue
    return pd.NaT


def _text_column(stripped: pyarrow.ChunkedArray, allowed: tuple[str, ...], index: pd.Index) -> pd.Series:
    """A ``str`` or ``category`` column typed with Arrow: stripped, canonical spelling of the
    allowed values (each distinct value looked up once), empty cells missing."""
    t = stripped
    if allowed:
        canon = {" ".join(a.lower().split()): a for a in allowed}
        distinct = pc.unique(t)
        spelled = pyarrow.array(
            [None if v is None else canon.get(" ".join(v.lower().split()), v) for v in distinct.to_pylist()],
            type=pyarrow.string(),
        )
        t = pc.take(spelled, pc.index_in(t, value_set=distinct))
    empty = pc.equal(pc.utf8_length(t), 0)
    if pc.any(empty).as_py():
        # an empty cell is missing (no allowed value is empty, so spelling keeps empty cells empty)
        t = pc.if_else(empty, _NULL_TEXT, t)
    return pd.Series(pd.arrays.ArrowStringArray(t), index=index)


def _cells(s: pd.Series, mask) -> list:
    """The delivered cells where ``mask`` holds (each the value ``s[i]`` gives)."""
    picked = s[mask]
    return picked.tolist() if _arrow(s) is not None else [picked.iat[k] for k in range(len(picked))]


FORMULA_MESSAGE = "formula with no saved value: open and save the workbook in Excel, or paste values"


def _formula_cells(s: pd.Series) -> np.ndarray | None:
    """Where a column of workbook cells holds :class:`analysis.load.Formula` (``None``: nowhere)."""
    if s.dtype != object:
        return None
    found = np.fromiter((type(v) is Formula for v in s), dtype=bool, count=len(s))
    return found if found.any() else None


def coerce(frame: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, list[Problem]]:
    """Type every column; a non-empty cell that is not of its type is a ``type`` problem and an
    empty cell in a required column a ``not_null`` problem. A workbook cell holding a formula with
    no saved value (:class:`analysis.load.Formula`) is a ``formula`` problem, whatever the column.
    """
    typed = pd.DataFrame(index=frame.index)
    problems: list[Problem] = []
    for col in spec.columns:
        s = frame[col.name]
        formula = _formula_cells(s)
        if formula is not None:
            for i, v in zip(s.index[formula], s[formula], strict=True):
                problems.append(
                    Problem(i, col.name, "formula", f"{col.name} is a {FORMULA_MESSAGE} (the cell holds {v})")
                )
            s = s.mask(formula, None)
        # text cells stripped once, in Arrow (Arrow-backed columns; for dates also object text)
        cells = _text(s) if col.kind in ("datetime", "date") else _arrow(s)
        stripped = _strip(cells) if cells is not None else None
        blank = pd.Series(_empty(stripped), index=s.index) if stripped is not None else _blank(s)
        if col.kind in ("str", "category"):
            if stripped is not None:
                t = _text_column(stripped, col.allowed, s.index)
            else:
                t = s.astype("string").str.strip()
                if col.allowed:  # canonical spelling, case- and space-insensitive
                    canon = {" ".join(a.lower().split()): a for a in col.allowed}

                    def spelled(v, canon=canon):
                        return canon.get(" ".join(str(v).lower().split()), v) if not pd.isna(v) else v

                    t = t.map(spelled).astype("string")
                t[blank] = pd.NA
            bad = pd.Series(False, index=s.index)
        elif col.kind in ("int", "float"):
            t = pd.to_numeric(s.astype(str).str.strip().str.replace(",", ".", regex=False), errors="coerce")
            t = t.astype("float64").where(np.isfinite(t.astype("float64")))  # "inf" and "nan" are not numbers
            bad = t.isna() & ~blank
            if col.kind == "int":
                # a fraction, or a whole number too large to hold exactly
                frac = t.notna() & ((t != np.floor(t.fillna(0))) | (t.abs() > 2**53))
                bad |= frac
                t = t.where(~frac).astype("Float64").round().astype("Int64")
            else:
                t = t.astype("float64")
        elif col.kind == "bool":  # True/False, as text (any case) or 1/0
            text = s.astype("string").str.strip().str.lower()
            t = pd.Series(pd.NA, index=s.index, dtype="boolean")
            t[text.isin(TRUE_TEXT).fillna(False).to_numpy(dtype=bool)] = True
            t[text.isin(FALSE_TEXT).fillna(False).to_numpy(dtype=bool)] = False
            bad = t.isna() & ~blank
        else:  # datetime, date
            t = _to_datetime(s, stripped)
            bad = t.isna() & ~blank
            if col.kind == "date":
                t = t.dt.normalize()
        if formula is not None:  # reported above, as a formula, not as empty
            bad, blank = bad & ~formula, blank & ~formula
        if bad.any():
            for i, v in zip(s.index[bad], _cells(s, bad), strict=False):
                problems.append(Problem(i, col.name, "type", f"{col.name} must be a {col.kind}; got {v!r}"))
        if not col.nullable:
            for i in s.index[blank]:
                problems.append(Problem(i, col.name, "not_null", f"{col.name} is required but empty"))
        typed[col.name] = t
    return typed, problems


def _kept(index: pd.Index, skip: set[int]) -> np.ndarray:
    """True for the rows not in ``skip`` (rows already quarantined for their types)."""
    return ~index.isin(list(skip)) if skip else np.ones(len(index), dtype=bool)


def _failing(t: pd.Series, col) -> np.ndarray:
    """Rows that fail one of the column's schema checks (a superset of what pandera reports)."""
    present = t.notna().to_numpy()
    out = ~present if not col.nullable else np.zeros(len(t), dtype=bool)
    if col.allowed:
        out |= present & ~np.asarray(t.isin(list(col.allowed)), dtype=bool)
    for bound, holds in ((col.minimum, t.ge), (col.maximum, t.le)):
        if bound is not None:
            within = holds(bound)
            within = within.fillna(True) if within.dtype != bool else within
            out |= present & ~within.to_numpy(dtype=bool)
    return out


def _duplicated(t: pd.Series, kept: np.ndarray) -> np.ndarray:
    """Rows (among ``kept``) whose value appears more than once among ``kept``.

    Arrow text is sorted (an index array) and neighbours compared: for ten million ids this
    takes less time and far less memory than a hash table of every value.
    """
    dup = np.zeros(len(t), dtype=bool)
    cells = _arrow(t)
    if cells is None:
        ok = t[kept]
        dup[np.flatnonzero(kept)] = (ok.notna() & ok.duplicated(keep=False)).to_numpy()
        return dup
    some = not kept.all()
    if some:
        cells = cells.filter(pyarrow.array(kept))
    valid = len(cells) - cells.null_count
    if valid < 2:
        return dup
    order = pc.sort_indices(cells).slice(0, valid)  # nulls sort last
    ordered = pc.take(cells, order)
    same = _numpy_bool(pc.equal(ordered.slice(1), ordered.slice(0, valid - 1)))
    if not same.any():
        return dup
    repeated = np.zeros(valid, dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    rows = order.to_numpy()[repeated]
    dup[np.flatnonzero(kept)[rows] if some else rows] = True
    return dup


def _for_pandera(rows: pd.DataFrame) -> pd.DataFrame:
    """Arrow-backed text as the ``string`` dtype the schema states (only the rows pandera sees)."""
    out = rows.copy()
    for c in out.columns:
        if _arrow(out[c]) is not None:
            out[c] = out[c].astype(pd.StringDtype("python"))
    return out


def schema_problems(typed: pd.DataFrame, spec: TableSpec, skip: set[int]) -> list[Problem]:
    """Run the pandera schema lazily (every failure in one pass) on rows that typed cleanly.

    The checks are first computed as masks over whole columns; pandera then validates only the
    rows a mask flags, so the failure cases (and so the rules and messages) are pandera's.
    """
    kept = _kept(typed.index, skip)
    flagged = np.zeros(len(typed), dtype=bool)
    for col in spec.columns:
        if col.name in typed.columns:
            flagged |= _failing(typed[col.name], col)
    schema = pandera_schema(spec)
    problems: list[Problem] = []
    try:
        schema.validate(_for_pandera(typed[flagged & kept]), lazy=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        for rec in fc.itertuples(index=False):
            if pd.isna(rec.index):
                continue
            check = str(rec.check)
            rule = check.split("(")[0] if "(" in check else check
            rule = RULE_NAMES.get(rule, rule)
            problems.append(
                Problem(int(rec.index), str(rec.column), rule, f"{rec.column} fails {check}: got {rec.failure_case!r}")
            )
    for col in spec.columns:
        if col.unique:
            t = typed[col.name]
            for i in typed.index[_duplicated(t, kept)]:
                problems.append(Problem(i, col.name, "unique", f"{col.name} {t.at[i]!r} appears more than once"))
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


# -- writing quarantine files that analysts open in Excel ---------------------------------------

SPREADSHEET_NOTE = (
    "In the quarantine CSV files, a cell that begins with =, +, - or @ is written with an apostrophe (') in "
    "front, so that Excel shows it as text instead of running it as a formula (OWASP's advice on CSV "
    "injection). The value delivered is everything after the apostrophe; this page shows it as delivered."
)


def spreadsheet_text(value):
    """A text cell made safe to open in a spreadsheet: a leading apostrophe when it would start a
    formula; anything else unchanged.

    >>> [spreadsheet_text(v) for v in ["=1+2", "-1", "@SUM(A1)", "W01", 3, None]]
    ["'=1+2", "'-1", "'@SUM(A1)", 'W01', 3, None]
    """
    return "'" + value if starts_formula(value) else value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are :func:`spreadsheet_text`."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or isinstance(out[c].dtype, pd.StringDtype):
            out[c] = out[c].astype(object).map(spreadsheet_text)
    out.columns = [spreadsheet_text(str(c)) for c in out.columns]
    return out


def write_quarantine(frame: pd.DataFrame, path: Path) -> Path:
    """Write quarantined rows to a CSV an analyst can open in Excel safely (see :data:`SPREADSHEET_NOTE`)."""
    spreadsheet_safe(frame).to_csv(path, index=False)
    return path


def check_table(
    delivered: Delivered,
    spec: TableSpec,
    extra: list[Problem] | None = None,
    context: Mapping[str, pd.DataFrame | None] | None = None,
    frame: pd.DataFrame | None = None,
) -> Checked:
    """Validate a delivered table: types, the pandera schema, the spec's row rules, then quarantine.

    The one path every reader's table goes through.

    Parameters
    ----------
    delivered : Delivered
        The table as delivered; quarantined rows are kept exactly as these cells.
    spec : TableSpec
        The table's contract: its columns and its :class:`~analysis.schemas.RowRule` s.
    extra : list of Problem, optional
        Problems a reader found on its own (e.g. a selection outside its transcript).
    context : mapping of str to DataFrame, optional
        The accepted rows of the wave's other tables that row rules ``need`` (``None`` for a table
        that was not delivered: then every row fails such a rule). Without a context those rules
        are not run: the table is checked on its own.
    frame : DataFrame, optional
        The delivered cells after a reader's format-specific normalisation (canonical spellings,
        say), typed instead of ``delivered.frame``; the same rows in the same order.
    """
    typed, problems = coerce(delivered.frame if frame is None else frame, spec)
    problems += extra or []
    known = {p.index for p in problems}  # rows already failing: the schema and typed-row rules skip them
    problems += schema_problems(typed, spec, known)
    problems += row_problems(typed, spec, known, context)
    idx, q = quarantine(delivered, problems)
    if len(idx) or not typed.index.equals(pd.RangeIndex(len(typed))):
        typed = typed[~typed.index.isin(idx)].reset_index(drop=True)
    return Checked(spec.name, delivered.file, delivered.n, typed, q, problems)


def row_problems(
    typed: pd.DataFrame, spec: TableSpec, skip: set[int], context: Mapping[str, pd.DataFrame | None] | None = None
) -> list[Problem]:
    """The spec's row rules over a typed table (see :class:`analysis.schemas.RowRule`)."""
    out: list[Problem] = []
    kept = _kept(typed.index, skip)
    for rule in spec.row_rules:
        if rule.needs and context is None:
            continue  # a rule across tables: only where the wave's other tables are known
        fails = rule.fails(typed, context or {})
        fails = np.asarray(pd.Series(fails, index=typed.index).fillna(False), dtype=bool)
        if rule.typed_rows_only:
            fails &= kept
        if not fails.any():
            continue
        rows = typed[fails]
        for i, message in zip(rows.index, rule.message(rows, context or {}), strict=True):
            out.append(Problem(i, rule.column, rule.name, message))
    return out
