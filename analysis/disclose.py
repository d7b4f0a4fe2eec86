"""Statistical disclosure control: every table bound for a report passes through here.

The rules are the ones UK trusted research environments' output checkers apply, as SACRO's
``acro`` package (v1.0.2: ``acro/sdcchecks.py``, ``acro/table_utils.py``, ``acro/default.yaml``)
implements them. The numbers come from the study configuration (``disclosure:`` in
``config/study.yml``, read into :class:`analysis.config.Disclosure`), never from this file:

* **threshold** (acro ``safe_threshold``, ``MinimumThresholdCheck``): a count below the threshold
  is suppressed.
* **zeros** (acro ``zeros_are_disclosive: True``, ``PresenceOfZeroCheck``): acro counts a zero as
  below the threshold and blanks zeros in its redacted tables, because a zero can show that
  everyone in a row or column shares a characteristic (class disclosure). We do the same by
  default: a zero reads "<10". Cells that are zero *by definition* (a combination that cannot
  occur, e.g. a team manager on a pattern only social workers may take) may be declared
  ``structural_zeros``; those carry no information about anyone and are shown as 0.
  ``zeros_disclosive=False`` is acro's ``zeros_are_disclosive: False``: zeros are shown as 0.
* **shares** (:func:`share`): shown only when the numerator, the denominator and the remainder
  (denominator less numerator) are all at or above the threshold, since a share with its
  denominator is the two counts of a two-cell table, which acro would check cell by cell.

No report table publishes a sum, mean, minimum or maximum of individual values (hours, say). One
that did would need acro's dominance (``safe_nk_n``, ``safe_nk_k``) and p-ratio (``safe_pratio_p``)
rules as well, which the study configuration carries and :func:`rule_text` states; they were
implemented and tested against acro (``suppress_magnitudes``, in the history of this file) and
removed while nothing used them.

Why the rules are re-implemented rather than acro called: acro works on record-level data and
keeps a session of outputs for a human checker; importing it calls ``logging.basicConfig`` and
silences ``FutureWarning`` for the whole process. Its suppression re-runs the table with the
disclosive records removed, so its margins are the totals of the *published* cells only and do not
add up to the true totals. Our report tables arrive as counts, and readers need the true totals
(how many social workers there are), so we publish true totals and add **secondary suppression**
instead. ``tests/test_disclose.py`` checks every primary decision against acro's own output.

Secondary suppression. A table with its totals is a set of
additions: each row adds up to its row total, each column to its column total, and the totals add
up to the grand total. Suppressed cells are the unknowns. Cells are added to the suppressed set,
until none of the following holds:

1. a row or column (total included) has exactly one suppressed cell: it is the total less the
   published cells;
2. (counts only) a row or column with a published total whose suppressed cells add up to fewer
   than the threshold (or to zero, when zeros are disclosive): that sum is itself a small count
   anyone can work out;
3. a suppressed cell can still be worked out exactly by combining several rows and columns (e.g.
   two blocks of suppressed cells joined by a single one); tested exactly with linear algebra.

Every suppressed count reads "<10" (the threshold), whether it failed the threshold itself or was
suppressed to protect another, so that a reader cannot tell the small cells from their protectors;
the rule text says that a "<10" cell may therefore hold 10 or more.

The cell added is, among the unsuppressed cells of the offending row or column: an inner cell
before a total; then one whose other row or column also has exactly one suppressed cell (so one
added cell mends two lines, and suppressed cells form compact rectangles); then the smallest value
("the next-smallest cell"); then the first in reading order.

Interval disclosure (bounds from non-negativity) is not ruled out beyond rule 2, and neither is
differencing between tables: acro leaves both to the human output checker, and so do we.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.config import Disclosure

# Per-cell reason codes (``DisclosedTable.cell_reasons`` holds them, joined by "; ").
THRESHOLD = "threshold"
ZERO = "zero"
SECONDARY = "secondary"

_TOTAL_LABEL = re.compile(r"^\s*(all|total)\b", re.IGNORECASE)
_TOL = 1e-9


# -- the rule, in words -------------------------------------------------------------------------


def rule_text(settings: Disclosure, *, zeros_disclosive: bool = True) -> str:
    """The disclosure rule, stated in full, for the report and its provenance appendix.

    >>> s = Disclosure(threshold=10, dominance_n=2, dominance_k=0.9, p_ratio=0.1)
    >>> rule_text(s)[:74]
    'Counts below 10 are suppressed and shown as "<10", and so are zero counts '
    """
    t = settings.threshold
    zeros = (
        ", and so are zero counts (a zero can show that everyone in a group shares a characteristic)"
        if zeros_disclosive
        else ""
    )
    return (
        f'Counts below {t} are suppressed and shown as "<{t}"{zeros}, unless zero by definition. '
        f'Further cells are suppressed, and also shown as "<{t}", where the totals would otherwise let a '
        f"suppressed count be worked out or show that suppressed counts add up to fewer than {t} "
        f'(secondary suppression), so a "<{t}" cell may hold {t} or more. '
        f"A percentage is shown only when its numerator, its denominator and the remainder "
        f"(denominator less numerator) are all at least {t}. "
        f"Sums and means of individual values (such as hours) are shown only with at least {t} "
        f"contributors, and not when the largest {settings.dominance_n} contributions make up "
        f"{settings.dominance_k:.0%} or more of the total (dominance) or when the total less the two "
        f"largest contributions is under {settings.p_ratio:.0%} of the largest (p-ratio). "
        "No minimum or maximum of individual values is shown. These are the rules UK trusted "
        "research environments apply, as implemented by the SACRO project's acro package."
    )


# -- formatting: one place for "<10", percentages and intervals ---------------------------------


def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float | np.floating) and math.isnan(x)) or x is pd.NA


def format_count(n: int | float | None, settings: Disclosure) -> str:
    """A count as a report shows it: "<threshold" below the threshold (zero included), else the
    number with thousands separators. A missing value (NaN, None) is a count suppressed upstream.

    >>> s = Disclosure(threshold=10, dominance_n=2, dominance_k=0.9, p_ratio=0.1)
    >>> format_count(3, s), format_count(0, s), format_count(10, s), format_count(12345, s)
    ('<10', '<10', '10', '12,345')
    >>> format_count(float("nan"), s)
    '<10'
    """
    if _is_missing(n) or n < settings.threshold:
        return f"<{settings.threshold}"
    return f"{int(round(n)):,}"


def suppressed_share_text(settings: Disclosure) -> str:
    """What a suppressed percentage reads as.

    >>> suppressed_share_text(Disclosure(10, 2, 0.9, 0.1))
    'suppressed (<10)'
    """
    return f"suppressed (<{settings.threshold})"


def _percent(x: float) -> str:
    # Never let a reportable share that is not 0 or 100% round to "0%" or "100%".
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 < x < 1:
        return ">99%"
    return f"{x:.0%}"


def format_share(
    k: int,
    n: int,
    settings: Disclosure,
    interval: Any = None,
    *,
    confidence: float | None = None,
    complement: bool = True,
) -> str:
    """A share as a report shows it, with its interval when given, or the suppressed marker.

    ``interval`` is ``(low, high)`` or an object with ``low``, ``high`` (and ``confidence``, e.g.
    :class:`analysis.stats.Proportion`). ``confidence`` labels the interval; it defaults to the
    interval's own ``confidence``, else 0.95. The share is shown only when :func:`share` says so.

    >>> s = Disclosure(threshold=10, dominance_n=2, dominance_k=0.9, p_ratio=0.1)
    >>> format_share(14, 40, s, interval=(0.2214, 0.5050))
    '35% (95% CI 22% to 50%)'
    >>> format_share(14, 40, s)
    '35%'
    >>> format_share(7, 40, s), format_share(35, 40, s)
    ('suppressed (<10)', 'suppressed (<10)')
    >>> format_share(12, 5000, s)
    '<1%'
    """
    if not share(k, n, settings, complement=complement).reportable:
        return suppressed_share_text(settings)
    text = _percent(k / n)
    if interval is not None:
        if isinstance(interval, tuple | list):
            low, high = interval
        else:
            low, high = interval.low, interval.high
        if confidence is None:
            confidence = getattr(interval, "confidence", 0.95)
        if not (_is_missing(low) or _is_missing(high)):
            text += f" ({confidence:.0%} CI {low:.0%} to {high:.0%})"
    return text


# -- shares -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """A share after disclosure control."""

    k: int
    n: int
    reportable: bool
    reason: str  # "" when reportable, else which count is below the threshold

    @property
    def estimate(self) -> float:
        """``k / n`` when reportable, else NaN."""
        return self.k / self.n if self.reportable else math.nan


def share(numerator: int, denominator: int, settings: Disclosure, *, complement: bool = True) -> Share:
    """Whether ``numerator / denominator`` may be shown.

    Reportable when the numerator and the denominator are both at or above the threshold and,
    with ``complement=True`` (the default), so is the remainder ``denominator - numerator``. Why
    the remainder: a share published with its denominator gives away the remainder (95% of 100
    is 5 people without the characteristic), and that is exactly the other cell of the two-cell
    table acro would check, and suppress, for the same data (TRE practice: treat a percentage as
    the counts it is made of). A numerator of zero, or a share of 100%, is a zero count and, as
    in acro, is not shown either.

    >>> s = Disclosure(threshold=10, dominance_n=2, dominance_k=0.9, p_ratio=0.1)
    >>> share(12, 30, s).reportable, share(9, 30, s).reason
    (True, 'numerator below 10')
    >>> share(25, 30, s).reason
    'remainder (denominator less numerator) below 10'
    """
    k, n = int(numerator), int(denominator)
    if k < 0 or n < 0 or k > n:
        raise ValueError(f"A share needs 0 <= numerator <= denominator, got {k} of {n}.")
    t = settings.threshold
    reasons = []
    if k < t:
        reasons.append(f"numerator below {t}")
    if n < t:
        reasons.append(f"denominator below {t}")
    if complement and n - k < t:
        reasons.append(f"remainder (denominator less numerator) below {t}")
    return Share(k, n, not reasons, "; ".join(reasons))


# -- the result of disclosure control on a table ------------------------------------------------


@dataclass(frozen=True)
class DisclosedTable:
    """A table after disclosure control.

    ``display``: what the report shows (strings; a suppressed count reads exactly "<10"; never
    blank, never 0). ``numeric``: the same table with NaN
    in suppressed cells (for figures). ``mask``: True where suppressed. ``reasons``: one
    sentence per rule that suppressed something. ``rule_text``: the rule, for the report.
    ``cell_reasons``: per cell, the rule codes that suppressed it ("" when shown), e.g.
    "threshold" or "secondary".
    """

    display: pd.DataFrame
    numeric: pd.DataFrame
    mask: pd.DataFrame
    reasons: list[str]
    rule_text: str
    cell_reasons: pd.DataFrame

    @property
    def n_suppressed(self) -> int:
        return int(self.mask.to_numpy().sum())

    @property
    def primary(self) -> pd.DataFrame:
        """True where a cell fails a rule itself (not only to protect another)."""
        return self.mask & ~self.secondary

    @property
    def secondary(self) -> pd.DataFrame:
        """True where a cell is suppressed only so that totals do not reveal another."""
        return self.cell_reasons.map(lambda r: r.startswith(SECONDARY))

    @property
    def summary(self) -> str:
        """The reasons in one line, for a caption."""
        return "; ".join(self.reasons) if self.reasons else "no cells suppressed"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- the additive structure of a table with totals ----------------------------------------------

Cell = tuple[int, int]


@dataclass(frozen=True)
class _Line:
    """One addition in a table: ``parts`` add up to ``total``."""

    kind: str  # "row", "column" or "total" (the totals adding up to the grand total)
    parts: tuple[Cell, ...]
    total: Cell

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (*self.parts, self.total)


def _lines(n_rows: int, n_cols: int, r_tot: int | None, c_tot: int | None) -> list[_Line]:
    rows_in = [i for i in range(n_rows) if i != r_tot]
    cols_in = [j for j in range(n_cols) if j != c_tot]
    out: list[_Line] = []
    if c_tot is not None:
        out += [
            _Line("row" if i != r_tot else "total", tuple((i, j) for j in cols_in), (i, c_tot)) for i in range(n_rows)
        ]
    if r_tot is not None:
        out += [
            _Line("column" if j != c_tot else "total", tuple((i, j) for i in rows_in), (r_tot, j))
            for j in range(n_cols)
        ]
    return out


def _determined_cells(suppressed: np.ndarray, lines: Sequence[_Line]) -> list[Cell]:
    """The suppressed cells whose value the published cells and totals pin down exactly.

    Unknowns are the suppressed cells; each line is an equation (parts minus total = published
    amount). A cell is determined when its unit vector lies in the row space of the equations,
    i.e. every vector of the null space is zero at that cell.
    """
    unknown = [tuple(c) for c in np.argwhere(suppressed)]
    if not unknown or not lines:
        return []
    pos = {c: k for k, c in enumerate(unknown)}
    a = np.zeros((len(lines), len(unknown)))
    for r, line in enumerate(lines):
        for c in line.parts:
            if c in pos:
                a[r, pos[c]] += 1.0
        if line.total in pos:
            a[r, pos[line.total]] -= 1.0
    _, s, vh = np.linalg.svd(a)
    rank = int((s > _TOL).sum())
    null = vh[rank:]
    return [c for c in unknown if not np.any(np.abs(null[:, pos[c]]) > 1e-7)]


def _protect(
    values: np.ndarray,
    suppressed: np.ndarray,
    known: np.ndarray,
    margin: np.ndarray,
    lines: list[_Line],
    sum_floor: float | None,
    zeros_ok: bool,
) -> dict[Cell, str]:
    """Secondary suppression (see the module docstring). Mutates ``suppressed``; returns the cells
    added with why: "<line kind>:one", "<line kind>:sum" or "combined"."""
    added: dict[Cell, str] = {}
    lines_of: dict[Cell, list[_Line]] = {}
    for line in lines:
        for c in line.cells:
            lines_of.setdefault(c, []).append(line)

    def n_sup(line: _Line) -> int:
        return sum(bool(suppressed[c]) for c in line.cells)

    def violation(line: _Line) -> str | None:
        k = n_sup(line)
        if k == 1:
            return "one"
        if sum_floor is not None and k >= 2 and not suppressed[line.total]:
            s = sum(values[c] for c in line.parts if suppressed[c])
            if s < sum_floor and not (s == 0 and zeros_ok):
                return "sum"
        return None

    def key(c: Cell, line: _Line | None) -> tuple:
        others = [ln for ln in lines_of.get(c, []) if ln is not line]
        mends = any(n_sup(ln) == 1 for ln in others)
        return (bool(margin[c]), not mends, float(values[c]), c)

    def candidates(cells: Sequence[Cell]) -> list[Cell]:
        return [c for c in cells if not suppressed[c] and not known[c]]

    while True:
        changed = False
        for line in lines:
            why = violation(line)
            if why is None:
                continue
            cand = candidates(line.cells)
            if not cand:
                continue  # only structural zeros left: nothing more to hide
            c = min(cand, key=lambda c: key(c, line))
            suppressed[c] = True
            added[c] = f"{line.kind}:{why}"
            changed = True
        if changed:
            continue
        det = _determined_cells(suppressed, lines)
        if not det:
            return added
        pick = None
        for d in det:
            cand = candidates([c for ln in lines_of.get(d, []) for c in ln.cells])
            if cand:
                pick = min(cand, key=lambda c: key(c, None))
                break
        if pick is None:
            cand = candidates([tuple(c) for c in np.argwhere(~suppressed)])
            if not cand:
                return added
            pick = min(cand, key=lambda c: key(c, None))
        suppressed[pick] = True
        added[pick] = "combined"


_SECONDARY_TEXT = {
    "row:one": "so that a row total does not reveal a suppressed cell",
    "column:one": "so that a column total does not reveal a suppressed cell",
    "total:one": "so that the grand total does not reveal a suppressed total",
    "sum": "so that the suppressed cells of a row or column do not add up to fewer than {t}",
    "combined": "so that no combination of totals reveals a suppressed cell",
}


def _secondary_reasons(added: dict[Cell, str], threshold: int) -> list[str]:
    tally: dict[str, int] = {}
    for why in added.values():
        k = "sum" if why.endswith(":sum") else why
        tally[k] = tally.get(k, 0) + 1
    return [
        f"{_plural(n, 'cell')} suppressed {_SECONDARY_TEXT[k].format(t=threshold)} (secondary)"
        for k, n in tally.items()
    ]


# -- totals: find them, or add them -------------------------------------------------------------


def _is_total_label(label: Hashable) -> bool:
    if isinstance(label, tuple):
        label = label[0] if label else ""
    return bool(_TOTAL_LABEL.match(str(label)))


def _margin_label(index: pd.Index, name: str) -> Hashable:
    return (name, *([""] * (index.nlevels - 1))) if index.nlevels > 1 else name


def _find_total(counts: pd.DataFrame, axis: Literal[0, 1]) -> int | None:
    """Position of a total row (axis 0) or column (axis 1) already in the table: the last one,
    labelled "All ..." or "Total ...", equal to the sum of the others."""
    labels = counts.index if axis == 0 else counts.columns
    if len(labels) < 2 or not _is_total_label(labels[-1]):
        return None
    a = counts.to_numpy(dtype=float)
    if axis == 1:
        a = a.T
    if not np.allclose(a[-1], a[:-1].sum(axis=0)):
        what = "row" if axis == 0 else "column"
        raise ValueError(
            f"The last {what}, {labels[-1]!r}, is labelled as a total but is not the sum of the other "
            f"{what}s. Rename it, or correct it, before disclosure control."
        )
    return len(labels) - 1


def _check_counts(frame: pd.DataFrame) -> None:
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise ValueError(f"Count columns must be numeric; {bad} are not. Pass value_cols= to name the count columns.")
    a = frame.to_numpy(dtype=float)
    if np.isnan(a).any():
        raise ValueError("A count table may not contain missing values; use 0 for an empty cell.")
    if (a < 0).any() or not np.allclose(a, np.round(a)):
        raise ValueError("Counts must be whole numbers, 0 or more.")


# -- frequency tables ---------------------------------------------------------------------------


def suppress_counts(
    table: pd.DataFrame,
    settings: Disclosure,
    *,
    value_cols: Sequence[Hashable] | None = None,
    totals: bool = True,
    zeros_disclosive: bool = True,
    structural_zeros: pd.DataFrame | None = None,
    margins_name: str = "Total",
) -> DisclosedTable:
    """Disclosure control for a frequency table: primary, then secondary suppression.

    Parameters
    ----------
    table
        Rows x columns of counts. Other columns (labels) may be present if ``value_cols`` names
        the count columns; they pass through untouched. A total row and/or column may already be
        there: the last row (column) labelled "All ..." or "Total ..." that is the sum of the
        others (e.g. pandas' ``margins=True``). Totals in the table are always protected.
    settings
        The study's :class:`~analysis.config.Disclosure` settings (threshold etc.).
    value_cols
        The count columns; default all columns.
    totals
        Add the totals the table lacks (a total row when there are two rows or more, a total
        column when there are two count columns or more), named ``margins_name``, and suppress
        so that none of them reveals a suppressed cell. With ``totals=False`` nothing is added
        and only the totals already in the table are protected: use it only when no total of
        this table is published anywhere.
    zeros_disclosive
        acro's ``zeros_are_disclosive`` (default True, as acro's default): zeros read "<10".
    structural_zeros
        Boolean frame (same index, count columns) marking cells that are zero by definition;
        they are shown as 0 and never suppressed.
    margins_name
        Label of added totals.

    Returns
    -------
    DisclosedTable

    Examples
    --------
    >>> s = Disclosure(threshold=10, dominance_n=2, dominance_k=0.9, p_ratio=0.1)
    >>> t = pd.DataFrame({"yes": [45, 3, 30], "no": [40, 20, 12]}, index=["A", "B", "C"])
    >>> d = suppress_counts(t, s)
    >>> d.display  # doctest: +NORMALIZE_WHITESPACE
          yes   no Total
    A      45   40    85
    B     <10  <10    23
    C     <10  <10    42
    Total  78   72   150
    >>> for r in d.reasons: print(r)
    1 cell below 10 suppressed (threshold)
    1 cell suppressed so that a row total does not reveal a suppressed cell (secondary)
    2 cells suppressed so that a column total does not reveal a suppressed cell (secondary)
    """
    cols = list(table.columns) if value_cols is None else list(value_cols)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise KeyError(f"value_cols {missing} are not columns of the table ({list(table.columns)}).")
    _check_counts(table[cols])
    work = table.copy()
    r_tot = _find_total(work[cols], 0)
    c_tot = _find_total(work[cols], 1)
    if totals and c_tot is None and len(cols) >= 2:
        label = _margin_label(work.columns, margins_name)
        pos = work.columns.get_loc(cols[-1]) + 1
        work.insert(pos, label, work[cols].sum(axis=1))
        cols.append(label)
        c_tot = len(cols) - 1
    if totals and r_tot is None and len(work) >= 2:
        label = _margin_label(work.index, margins_name)
        row = pd.DataFrame(
            [{c: (work[c].sum() if c in cols else "") for c in work.columns}],
            index=pd.Index([label]) if work.index.nlevels == 1 else pd.MultiIndex.from_tuples([label]),
        )
        row.index.names = work.index.names
        work = pd.concat([work, row.astype({c: work[c].dtype for c in cols})])
        r_tot = len(work) - 1

    values = work[cols].to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    margin = np.zeros(values.shape, bool)
    if r_tot is not None:
        margin[r_tot, :] = True
    if c_tot is not None:
        margin[:, c_tot] = True
    known = np.zeros(values.shape, bool)
    if structural_zeros is not None:
        sz = (
            structural_zeros.astype(bool).reindex(index=work.index, columns=cols, fill_value=False).to_numpy(dtype=bool)
        )
        if (values[sz] != 0).any():
            raise ValueError("A cell marked as a structural zero holds a count other than 0.")
        known |= sz & ~margin
    lines = _lines(n_rows, n_cols, r_tot, c_tot)
    # A total is structurally zero when everything it adds up is.
    for _ in range(2):
        for line in lines:
            if all(known[c] for c in line.parts):
                known[line.total] = True

    t = settings.threshold
    small = (values > 0) & (values < t)
    zero = (values == 0) & ~known & zeros_disclosive
    suppressed = small | zero
    added = _protect(values, suppressed, known, margin, lines, sum_floor=t, zeros_ok=not zeros_disclosive)

    codes = np.full(values.shape, "", dtype=object)
    codes[small] = THRESHOLD
    codes[zero] = ZERO
    for c, why in added.items():
        codes[c] = f"{SECONDARY} ({why})"
    reasons = []
    if small.any():
        reasons.append(f"{_plural(int(small.sum()), 'cell')} below {t} suppressed (threshold)")
    if zero.any():
        reasons.append(
            f"{_plural(int(zero.sum()), 'zero cell')} suppressed (a zero can show that everyone "
            "in a row or column shares a characteristic)"
        )
    reasons += _secondary_reasons(added, t)
    return _assemble(
        work,
        cols,
        values,
        suppressed,
        codes,
        reasons,
        rule_text(settings, zeros_disclosive=zeros_disclosive),
        fmt=lambda v: f"{int(round(v)):,}",
        marker=f"<{t}",
    )


def _assemble(
    work: pd.DataFrame,
    cols: list[Hashable],
    values: np.ndarray,
    suppressed: np.ndarray,
    codes: np.ndarray,
    reasons: list[str],
    rule: str,
    fmt: Callable[[float], str],
    marker: str,
) -> DisclosedTable:
    mask = pd.DataFrame(False, index=work.index, columns=work.columns)
    cell_reasons = pd.DataFrame("", index=work.index, columns=work.columns)
    numeric = work.copy()
    display = work.copy()
    for j, c in enumerate(cols):
        k = work.columns.get_loc(c)
        mask.iloc[:, k] = suppressed[:, j]
        cell_reasons.iloc[:, k] = codes[:, j]
        numeric[c] = np.where(suppressed[:, j], np.nan, values[:, j])
        display[c] = [
            marker if s else ("" if math.isnan(v) else fmt(v))
            for s, v in zip(suppressed[:, j], values[:, j], strict=False)
        ]
    return DisclosedTable(display, numeric, mask.astype(bool), reasons, rule, cell_reasons)
