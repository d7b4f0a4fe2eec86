"""Differencing audit: can a reader work out a suppressed count from everything the study publishes?

Every number a study publishes (in any table, figure label, sentence or appendix, in any of its
reports, earlier reports included: what August published stays published) is a *linear fact* about
the true counts. A published exact count is an equality; a suppressed cell shown "<10" is a pair of
bounds (0 <= x <= 9, or 1 <= x <= 9 when zeros are shown as 0); a total is the sum of its cells; the
same population published in two places is the same variable (or two variables declared equal); a
count rounded to a base is a range; a percentage rounded to whole percents is a pair of inequalities
on its numerator and denominator. Given all the facts, each protected quantity's *feasible range*
is found exactly with integer linear programming (``scipy.optimize.milp``, all counts integers):
the smallest and the largest value it can take that is consistent with every fact.

The rule (stated the same way in ``docs/assumptions_caveats.md``)
------------------------------------------------------------------
A protected quantity fails ("differencing") when its feasible range ``lo..hi`` holds fewer whole
numbers than its marker promises, and ``lo`` is below the threshold (so it may be a small count).
The marker promises ``threshold`` values ("<10": any of 0..9), or fewer when its own bounds are
narrower (1..9 when zeros are shown: nine values). So "<10" pinned to exactly 6, or to 3..5, fails;
a "<10" cell still anywhere in 0..9 passes; a secondary-suppressed cell known to be in 28..32 passes
(it is not a small count). Protected quantities are every suppressed cell, and any count that is
published nowhere but might be worked out by subtraction (e.g. workers with no visits: the workforce
total less the workers in the timeliness table), declared with :meth:`Model.protect`.

The auditor knows more than a reader: it assumes a reader takes every "<10" at its word (x <= 9),
which errs on the side of finding too much.

How to use it
-------------
>>> m = Model(threshold=10)
>>> m.publish("social workers", 18, output="august/tbl-headline", row="Social workers", column="n")
>>> m.publish("workforce", 24, output="august/tbl-workforce", row="Total", column="Total")
>>> m.suppressed("managers", output="august/tbl-workforce", row="Managers", column="Total")
>>> m.total("workforce", ["social workers", "managers"], output="august/tbl-workforce")
>>> [(r.name, r.low, r.high, r.fails) for r in m.audit()]
[('managers', 6, 6, True)]

:meth:`Model.add_table` turns a whole displayed table (strings as the report shows them, "<10"
for suppressed cells, a total row and column) into facts in one call. :meth:`Model.same` says that
two variables are the same population. :func:`analysis.outputs.apply_audit` puts each failing
range on the registered outputs as the reason "differencing".
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.errors import AnalysisError

DIFFERENCING = "differencing"

_SUPPRESSED = re.compile(r"^\s*<\s*(\d[\d,]*)\s*$")
_NUMBER = re.compile(r"^\s*(\d[\d,]*)\s*\u2020?\s*$")  # a count, or one released under an exception (dagger)


class DifferencingError(AnalysisError, ValueError):
    """The facts given to the audit are malformed or contradict each other."""


@dataclass(frozen=True)
class Fact:
    """One linear fact: ``sum(coef * variable) <op> rhs`` with ``op`` one of "==", "<=", ">=".

    ``output``, ``row`` and ``column`` say where it was published (``row``/``column`` empty for a
    fact that is not one cell, such as a table's additivity); ``note`` says what it is.
    """

    terms: tuple[tuple[str, float], ...]
    op: str
    rhs: float
    output: str = ""
    row: str = ""
    column: str = ""
    note: str = ""

    def describe(self) -> str:
        lhs = " + ".join(f"{name}" if c == 1 else f"{c:g}*{name}" for name, c in self.terms)
        where = self.output + (f" [{self.row} / {self.column}]" if self.row or self.column else "")
        return f"{lhs} {self.op} {self.rhs:g}" + (f" ({where}{': ' if where and self.note else ''}{self.note})")


@dataclass(frozen=True)
class Protected:
    """A quantity the audit checks: a suppressed cell, or a count published nowhere."""

    name: str
    low: int  # the marker's own bounds ("<10": 0..9); for an unpublished count 0..inf
    high: float
    output: str = ""
    row: str = ""
    column: str = ""


@dataclass(frozen=True)
class Range:
    """The audit's finding for one protected quantity.

    ``low``/``high``: its feasible range given every fact (``high`` may be ``math.inf``).
    ``promised``: how many values its marker promises (threshold, or fewer for a narrower marker).
    ``fails``: the range holds fewer values than promised while ``low`` is below the threshold.
    ``culprits``: the outputs whose facts, together, narrow it (a minimal set; empty when it passes).
    """

    name: str
    output: str
    row: str
    column: str
    low: int
    high: float
    promised: int
    fails: bool
    culprits: tuple[str, ...] = ()

    @property
    def values(self) -> float:
        """How many whole numbers the range holds (``inf`` when unbounded)."""
        return self.high - self.low + 1

    def describe(self) -> str:
        hi = "no upper bound" if math.isinf(self.high) else f"{int(self.high)}"
        where = f"{self.output} [{self.row} / {self.column}]" if self.output else self.name
        verdict = "FAILS differencing" if self.fails else "passes"
        text = f"{where}: feasible range {self.low}..{hi} ({verdict}; the marker promises {self.promised} values)"
        if self.culprits:
            text += "; narrowed by " + ", ".join(self.culprits)
        return text


@dataclass
class Model:
    """Published facts about a study's true counts, and the quantities to protect.

    Variables are non-negative integers named by strings; using the same name in two places
    says they are the same population. Every method that states a fact takes ``output`` (the
    output id, e.g. "august/tbl-workforce") and ``row``/``column`` (the cell) so that a failing
    range can be traced to the outputs that give it away.
    """

    threshold: int
    facts: list[Fact] = field(default_factory=list)
    protected: dict[str, list[Protected]] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if int(self.threshold) < 1:
            raise DifferencingError(f"The threshold must be 1 or more, got {self.threshold!r}.")

    # -- variables and facts ------------------------------------------------------------------

    def variable(self, name: str) -> str:
        """Declare a variable (a non-negative integer count); facts declare theirs implicitly."""
        if not isinstance(name, str) or not name:
            raise DifferencingError(f"A variable needs a non-empty string name, got {name!r}.")
        if name not in self.variables:
            self.variables.append(name)
        return name

    def fact(
        self,
        terms: Mapping[str, float] | Iterable[tuple[str, float]],
        op: str,
        rhs: float,
        *,
        output: str = "",
        row: str = "",
        column: str = "",
        note: str = "",
    ) -> None:
        """Any linear fact ``sum(coef * variable) op rhs`` (``op``: "==", "<=" or ">=")."""
        if op not in ("==", "<=", ">="):
            raise DifferencingError(f"A fact's operator must be '==', '<=' or '>=', got {op!r} ({output} {note}).")
        items = list(terms.items()) if isinstance(terms, Mapping) else list(terms)
        if not items:
            raise DifferencingError(f"A fact needs at least one variable ({output} {note}).")
        if not math.isfinite(float(rhs)):
            raise DifferencingError(f"A fact's right-hand side must be a finite number, got {rhs!r} ({output}).")
        for name, _ in items:
            self.variable(name)
        self.facts.append(
            Fact(tuple((n, float(c)) for n, c in items), op, float(rhs), output, str(row), str(column), note)
        )

    def publish(self, name: str, value: int, *, output: str = "", row: str = "", column: str = "") -> None:
        """A count published exactly: ``name == value``."""
        self.fact({name: 1}, "==", _count(value, f"{output} [{row} / {column}]"), output=output, row=row, column=column)

    def suppressed(
        self,
        name: str,
        *,
        output: str = "",
        row: str = "",
        column: str = "",
        low: int = 0,
        high: float | None = None,
    ) -> None:
        """A count shown suppressed ("<10"): ``low <= name <= high``, and the audit protects it.

        ``high`` defaults to ``threshold - 1``; pass ``math.inf`` for a cell that may hold the
        threshold or more (a secondary suppression). ``low=1`` when zeros are shown as 0.
        """
        hi = self.threshold - 1 if high is None else high
        if hi < low:
            raise DifferencingError(f"Suppressed cell {name!r} ({output}): bounds {low}..{hi} are empty.")
        self.variable(name)
        if low > 0:
            self.fact({name: 1}, ">=", low, output=output, row=row, column=column, note="shown suppressed")
        if not math.isinf(hi):
            self.fact({name: 1}, "<=", hi, output=output, row=row, column=column, note="shown suppressed")
        # the same population may be suppressed in several outputs: each place is reported
        self.protected.setdefault(name, []).append(Protected(name, int(low), float(hi), output, str(row), str(column)))

    def protect(self, name: str, terms: Mapping[str, float] | None = None, *, note: str = "") -> None:
        """Protect a count that is published nowhere, e.g. workers with no visits.

        With ``terms``, ``name`` is defined as that linear combination of other variables (for
        instance ``{"workforce": 1, "workers with visits": -1}``); otherwise it must appear in
        facts of its own.
        """
        if terms:
            self.fact({**{k: float(v) for k, v in terms.items()}, name: -1.0}, "==", 0, note=note or f"defines {name}")
        self.variable(name)
        if name not in self.protected:  # a suppressed cell is protected already, at its place
            self.protected[name] = [Protected(name, 0, math.inf)]

    def total(self, total: str, parts: Sequence[str], *, output: str = "", note: str = "") -> None:
        """``total`` is the sum of ``parts`` (a table's row or column adding up to its margin)."""
        if not parts:
            raise DifferencingError(f"Total {total!r} ({output}) needs at least one part.")
        self.fact([*((p, 1.0) for p in parts), (total, -1.0)], "==", 0, output=output, note=note or f"{total} = sum")

    def same(self, a: str, b: str, *, note: str = "") -> None:
        """``a`` and ``b`` count the same people (e.g. one population in two reports)."""
        self.fact({a: 1, b: -1}, "==", 0, note=note or "same population")

    def rounded(self, name: str, value: int, base: int, *, output: str = "", row: str = "", column: str = "") -> None:
        """A count published rounded to ``base`` as acro rounds (nearest multiple, halves to even).

        The true count ``x`` lies in ``value - base//2 .. value + base//2``; with an even base the
        two end points round to ``value`` only when ``value / base`` is even.
        """
        v, b = _count(value, output), int(base)
        if b < 1 or v % b:
            raise DifferencingError(f"{output} [{row} / {column}]: {value} is not a multiple of the base {base}.")
        lo, hi = v - b // 2, v + b // 2
        if b % 2 == 0 and (v // b) % 2 == 1:
            lo, hi = lo + 1, hi - 1
        self.variable(name)
        self.fact({name: 1}, ">=", max(lo, 0), output=output, row=row, column=column, note=f"rounded to {b}")
        self.fact({name: 1}, "<=", hi, output=output, row=row, column=column, note=f"rounded to {b}")

    def share(
        self,
        numerator: str,
        denominator: str,
        percent: float,
        *,
        decimals: int = 0,
        output: str = "",
        row: str = "",
        column: str = "",
    ) -> None:
        """A percentage published rounded to ``decimals``: ``p - h <= 100 k / n <= p + h``, ``h`` half a unit.

        Linear in ``k`` and ``n``: ``100 k - (p - h) n >= 0`` and ``100 k - (p + h) n <= 0``.
        """
        h = 0.5 * 10 ** (-decimals)
        where = dict(output=output, row=row, column=column)
        self.fact({numerator: 100, denominator: -(percent - h)}, ">=", 0, note=f"{percent}%", **where)
        self.fact({numerator: 100, denominator: -(percent + h)}, "<=", 0, note=f"{percent}%", **where)

    def add_table(
        self,
        output: str,
        display: pd.DataFrame,
        *,
        names: pd.DataFrame | None = None,
        cell_reasons: pd.DataFrame | None = None,
        row_total: Hashable | None = "Total",
        column_total: Hashable | None = "Total",
        zeros_shown: bool = False,
        round_base: int | None = None,
    ) -> pd.DataFrame:
        """State every fact a displayed table publishes, and return the variable names used.

        ``display`` is the table as printed: counts as "24" or "1,024", suppressed counts as
        "<10". Other text (labels, percentages) states no fact. ``names`` (same shape) names the
        variables, so that a cell can be the same variable as a cell of another table; by default
        a cell is ``"<output>[<row> / <column>]"``. A row labelled ``row_total`` adds up the other
        rows and a column labelled ``column_total`` the other columns (pass ``None`` when there is
        none). With ``cell_reasons`` (``DisclosedTable.cell_reasons``), a cell suppressed only to
        protect another ("secondary ...") may hold the threshold or more; without it, every "<10"
        is taken as below the threshold. ``zeros_shown``: zeros are printed as 0, so a "<10" cell
        is 1..9. ``round_base``: the table was rounded to this base (acro's rounding): each inner count
        is a range (:meth:`rounded`); a published total, acro's rounded sum of rounded cells, states
        nothing about the true total beyond its parts adding up to it.
        """
        if names is None:
            names = pd.DataFrame(
                [[f"{output}[{r} / {c}]" for c in display.columns] for r in display.index],
                index=display.index,
                columns=display.columns,
            )
        elif names.shape != display.shape:
            raise DifferencingError(f"{output}: names has shape {names.shape}, the table {display.shape}.")
        low = 1 if zeros_shown else 0
        for i, r in enumerate(display.index):
            for j, c in enumerate(display.columns):
                text, name = display.iat[i, j], names.iat[i, j]
                if not isinstance(text, str):
                    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
                m = _SUPPRESSED.match(text)
                if m:
                    marker = int(m.group(1).replace(",", ""))
                    if marker != self.threshold:
                        raise DifferencingError(
                            f"{output} [{r} / {c}]: the cell reads {text!r}, but the threshold is {self.threshold}."
                        )
                    secondary = cell_reasons is not None and str(cell_reasons.iat[i, j]).startswith("secondary")
                    self.suppressed(
                        name, output=output, row=str(r), column=str(c), low=low, high=math.inf if secondary else None
                    )
                elif _NUMBER.match(text):
                    value = int(_NUMBER.match(text).group(1).replace(",", ""))
                    where = dict(output=output, row=str(r), column=str(c))
                    if round_base is None:
                        self.publish(name, value, **where)
                    elif r != row_total and c != column_total:
                        self.rounded(name, value, round_base, **where)
                    else:
                        self.variable(name)
        rows = list(display.index)
        cols = list(display.columns)
        inner_rows = [k for k, r in enumerate(rows) if r != row_total]
        inner_cols = [k for k, c in enumerate(cols) if c != column_total]
        if column_total is not None and column_total in cols:
            jt = cols.index(column_total)
            for i in range(len(rows)):
                self.total(names.iat[i, jt], [names.iat[i, j] for j in inner_cols], output=output, note="row total")
        if row_total is not None and row_total in rows:
            it = rows.index(row_total)
            for j in range(len(cols)):
                self.total(names.iat[it, j], [names.iat[i, j] for i in inner_rows], output=output, note="column total")
        return names

    # -- the audit ----------------------------------------------------------------------------

    def audit(self, *, culprits: bool = True) -> list[Range]:
        """The feasible range of every protected quantity, and whether it fails.

        Raises :class:`DifferencingError` naming the facts when they contradict each other (a
        wrong number somewhere, or two variables wrongly declared the same).

        With ``culprits`` (default), each failing range names a minimal set of outputs whose facts
        together narrow it: dropping any one of them would widen the range enough to pass.
        """
        out = []
        for variables, facts in _components(self.variables, self.facts):
            lp = _Program(variables, facts)
            if not lp.feasible():
                sub = Model(self.threshold, facts=list(facts), variables=list(variables))
                raise DifferencingError(
                    "The published facts contradict each other, so the audit cannot run. A smallest set of "
                    "facts that cannot all hold:\n  " + "\n  ".join(f.describe() for f in _conflict(sub))
                )
            for name in variables:
                places = self.protected.get(name)
                if not places:
                    continue
                lo, hi = lp.range(name)
                promised = min(_promised(p, self.threshold) for p in places)
                fails = _fails(lo, hi, promised, self.threshold)
                who = _culprits(self.threshold, variables, facts, name, promised) if (fails and culprits) else ()
                out += [Range(name, p.output, p.row, p.column, lo, hi, promised, fails, who) for p in places]
        order = {name: k for k, name in enumerate(self.protected)}
        return sorted(out, key=lambda r: order[r.name])


def _components(variables: Sequence[str], facts: Sequence[Fact]) -> list[tuple[list[str], list[Fact]]]:
    """Split the facts into independent groups (no variable shared between groups): each group is a
    separate, much smaller, integer program."""
    parent = {v: v for v in variables}

    def find(v: str) -> str:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for f in facts:
        names = [n for n, _ in f.terms]
        for other in names[1:]:
            a, b = find(names[0]), find(other)
            if a != b:
                parent[b] = a
    groups: dict[str, tuple[list[str], list[Fact]]] = {}
    for v in variables:
        groups.setdefault(find(v), ([], []))[0].append(v)
    for f in facts:
        groups[find(f.terms[0][0])][1].append(f)
    return list(groups.values())


def _count(value: object, where: str) -> int:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DifferencingError(f"{where}: a published count must be a whole number, got {value!r}.") from None
    if not math.isfinite(v) or v < 0 or v != int(v):
        raise DifferencingError(f"{where}: a published count must be a whole number, 0 or more, got {value!r}.")
    return int(v)


def _promised(p: Protected, threshold: int) -> int:
    own = p.high - p.low + 1
    return int(min(threshold, own))


def _fails(lo: int, hi: float, promised: int, threshold: int) -> bool:
    return (hi - lo + 1) < promised and lo < threshold


class _Program:
    """The facts as one integer program over non-negative integer variables."""

    def __init__(self, variables: Sequence[str], facts: Sequence[Fact]) -> None:
        self.index = {v: k for k, v in enumerate(variables)}
        n = len(variables)
        a = np.zeros((len(facts), n))
        lb = np.full(len(facts), -np.inf)
        ub = np.full(len(facts), np.inf)
        for i, f in enumerate(facts):
            for name, c in f.terms:
                a[i, self.index[name]] += c
            if f.op in ("==", ">="):
                lb[i] = f.rhs
            if f.op in ("==", "<="):
                ub[i] = f.rhs
        self.constraints = [LinearConstraint(a, lb, ub)] if len(facts) else []
        self.bounds = Bounds(np.zeros(n), np.full(n, np.inf))
        self.integrality = np.ones(n)
        self.n = n

    def _solve(self, c: np.ndarray):
        return milp(c, constraints=self.constraints, integrality=self.integrality, bounds=self.bounds)

    def feasible(self) -> bool:
        if self.n == 0:
            return True
        res = self._solve(np.zeros(self.n))
        return res.status == 0

    def range(self, name: str) -> tuple[int, int | float]:
        c = np.zeros(self.n)
        c[self.index[name]] = 1.0
        low = self._solve(c)
        if low.status != 0:
            raise DifferencingError(f"The audit could not minimise {name!r}: {low.message}")
        high = self._solve(-c)
        if high.status == 3 or (high.status != 0 and "unbounded" in str(high.message).lower()):
            hi: int | float = math.inf
        elif high.status != 0:
            raise DifferencingError(f"The audit could not maximise {name!r}: {high.message}")
        else:
            hi = int(round(-high.fun))
        return int(round(low.fun)), hi


def _culprits(
    threshold: int, variables: Sequence[str], facts: Sequence[Fact], name: str, promised: int
) -> tuple[str, ...]:
    """A minimal set of outputs whose facts still make ``name`` fail (deletion filter over outputs)."""
    keep = list(dict.fromkeys(f.output for f in facts))
    for out in list(keep):
        trial = [f for f in facts if f.output in keep and f.output != out]
        lo, hi = _Program(variables, trial).range(name)
        if _fails(lo, hi, promised, threshold):
            keep.remove(out)
    return tuple(o for o in keep if o)


def _conflict(model: Model) -> list[Fact]:
    """A smallest-by-deletion set of facts that cannot all hold."""
    facts = list(model.facts)
    if len(facts) > 400:
        return facts[:20]
    k = 0
    while k < len(facts):
        trial = facts[:k] + facts[k + 1 :]
        if not _Program(model.variables, trial).feasible():
            facts = trial
        else:
            k += 1
    return facts


def failing(ranges: Iterable[Range]) -> list[Range]:
    """The ranges that fail.

    >>> failing([Range("a", "", "", "", 6, 6, 10, True), Range("b", "", "", "", 0, 9, 10, False)])[0].name
    'a'
    """
    return [r for r in ranges if r.fails]
