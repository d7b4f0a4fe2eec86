"""Disclosure control: hand-computed tables, acro's own decisions, and properties that must hold
whatever the table.

Expected values are worked out by hand in the comments beside them. The comparisons with acro
run SACRO's acro 1.0.2 (the package UK trusted research environments use) on record-level data
made from the same counts, quietly and in a temporary directory.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections import deque

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from analysis import disclose
from analysis.config import Disclosure
from analysis.disclose import format_count, format_share, share, suppress_counts
from analysis.stats import wilson

S = Disclosure(threshold=10, dominance_n=2, dominance_k=0.90, p_ratio=0.10)  # acro's default.yaml
LT = "<10"


def frame(rows: dict[str, list[int]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def mask_of(table: pd.DataFrame, suppressed: list[tuple[str, str]]) -> pd.DataFrame:
    m = pd.DataFrame(False, index=table.index, columns=table.columns)
    for r, c in suppressed:
        m.loc[r, c] = True
    return m


# -- settings come from the study configuration -------------------------------------------------


def test_study_settings_are_acros_defaults(study):
    # config/study.yml copies acro's default.yaml: safe_threshold 10, safe_nk_n 2, safe_nk_k 0.9,
    # safe_pratio_p 0.1
    acro = ("threshold", "dominance_n", "dominance_k", "p_ratio", "mitigation", "round_base")
    assert [getattr(study.disclosure, f) for f in acro] == [getattr(S, f) for f in acro]  # the interview rules aside
    d = suppress_counts(frame({"A": [12, 3]}, ["x", "y"]), study.disclosure, totals=False)
    assert d.display.loc["A", "y"] == "<10"
    assert "Counts below 10" in d.rule_text


def test_threshold_follows_the_settings():
    s5 = Disclosure(5, 2, 0.9, 0.1)
    d = suppress_counts(frame({"A": [4, 5, 9]}, ["x", "y", "z"]), s5, totals=False)
    assert list(d.display.loc["A"]) == ["<5", "5", "9"]
    assert format_count(4, s5) == "<5" and format_count(5, s5) == "5"


# -- primary suppression, by hand ---------------------------------------------------------------


def test_primary_threshold_and_zeros_by_hand():
    t = frame({"A": [9, 10, 0], "B": [1, 40, 11]}, ["x", "y", "z"])
    d = suppress_counts(t, S, totals=False)  # no totals: primary suppression only
    # 9 and 1 are in 1..9 -> "<10"; 0 is a zero (acro: zeros_are_disclosive: True) -> "<10";
    # 10, 40 and 11 are shown.
    assert d.display.to_dict("index") == {"A": {"x": LT, "y": "10", "z": LT}, "B": {"x": LT, "y": "40", "z": "11"}}
    assert d.mask.equals(mask_of(t, [("A", "x"), ("A", "z"), ("B", "x")]))
    assert np.isnan(d.numeric.loc["A", "x"]) and d.numeric.loc["B", "y"] == 40
    assert d.reasons == [
        "2 cells below 10 suppressed (threshold)",
        "1 zero cell suppressed (a zero can show that everyone in a row or column shares a characteristic)",
    ]
    assert (d.cell_reasons.loc["A"] == ["threshold", "", "zero"]).all()


def test_zeros_shown_when_not_disclosive():
    t = frame({"A": [9, 10, 0], "B": [1, 40, 11]}, ["x", "y", "z"])
    d = suppress_counts(t, S, totals=False, zeros_disclosive=False)
    assert d.display.loc["A", "z"] == "0" and not d.mask.loc["A", "z"]
    assert "zero counts" not in d.rule_text


def test_structural_zero_is_shown_and_protects_nothing():
    # Team managers cannot take a 9-day fortnight in this made-up example: the 0 is by definition.
    t = frame({"social worker": [12, 15], "team manager": [11, 0]}, ["4-day week", "9-day fortnight"])
    sz = mask_of(t, [("team manager", "9-day fortnight")])
    d = suppress_counts(t, S, structural_zeros=sz)
    # Every other count is >= 10 and the totals are 27, 11, 23, 15, 38: nothing is suppressed.
    assert d.n_suppressed == 0
    assert d.display.loc["team manager", "9-day fortnight"] == "0"
    # Without the declaration the 0 is suppressed like any zero.
    assert suppress_counts(t, S).mask.loc["team manager", "9-day fortnight"]
    with pytest.raises(ValueError, match="structural zero"):
        suppress_counts(t, S, structural_zeros=mask_of(t, [("social worker", "4-day week")]))


# -- secondary suppression, by hand -------------------------------------------------------------


def test_secondary_one_cell_in_a_row_and_a_column():
    t = frame({"A": [45, 40], "B": [3, 20], "C": [30, 12]}, ["yes", "no"])
    d = suppress_counts(t, S)
    # Totals added: rows A 85, B 23, C 42; columns yes 78, no 72; grand 150.
    # Primary: (B, yes) = 3.
    # Row B then has one suppressed cell and a published total (23): 23 - 20 = 3 would give it
    # away, so the next cell of row B is suppressed: (B, no) = 20 (inner cells before totals).
    # Column yes has one suppressed cell: candidates (A, yes) = 45 and (C, yes) = 30 -> the
    # smaller, 30. Column no now has one suppressed cell, (B, no): candidates (A, no) = 40 and
    # (C, no) = 12; (C, no) also mends row C (which has one suppressed cell) -> (C, no).
    # Rows B, C and columns yes, no each hold two suppressed cells adding to 23, 42, 33, 32 (>= 10).
    assert d.mask.equals(mask_of(d.display, [("B", "yes"), ("B", "no"), ("C", "yes"), ("C", "no")]))
    assert list(d.display.loc["Total"]) == ["78", "72", "150"]
    assert list(d.display["Total"]) == ["85", "23", "42", "150"]
    assert d.reasons == [
        "1 cell below 10 suppressed (threshold)",
        "1 cell suppressed so that a row total does not reveal a suppressed cell (secondary)",
        "2 cells suppressed so that a column total does not reveal a suppressed cell (secondary)",
    ]
    assert d.primary.to_numpy().sum() == 1 and d.secondary.to_numpy().sum() == 3


def test_single_column_with_total_row_as_in_the_pattern_split():
    t = pd.DataFrame({"workers": [12, 3, 15]}, index=["4-day week", "9-day fortnight", "All takers"])
    d = suppress_counts(t, S, totals=True)
    # "All takers" is the last row, labelled "All ...", and 12 + 3 = 15: a total already there.
    # 3 is suppressed; 15 - 12 would reveal it, so 12 is suppressed too (an inner cell before
    # the total). 3 + 12 = 15 >= 10, so the total may stay.
    assert list(d.display["workers"]) == [LT, LT, "15"]
    assert list(d.display.index) == list(t.index) and list(d.display.columns) == ["workers"]


def test_suppressed_cells_adding_to_less_than_the_threshold_are_protected_too():
    t = frame({"A": [25, 40], "B": [3, 20], "C": [4, 30]}, ["yes", "no"])
    d = suppress_counts(t, S)
    # Primary: (B, yes) = 3 and (C, yes) = 4. Rows B and C each need a second cell: (B, no) = 20
    # and (C, no) = 30. Column yes then has two suppressed cells, but 32 - 25 = 7 tells that
    # B and C together have 7 "yes": a count below 10, so (A, yes) = 25 goes as well, and then row
    # A needs a second cell, (A, no) = 40. Only the totals remain: every line adds to >= 10.
    inner = [(r, c) for r in "ABC" for c in ("yes", "no")]
    assert d.mask.equals(mask_of(d.display, inner))
    assert list(d.display["Total"]) == ["65", "23", "34", "122"]
    assert list(d.display.loc["Total"]) == ["32", "90", "122"]
    assert any("do not add up to fewer than 10" in r for r in d.reasons)


def test_a_total_below_the_threshold_is_suppressed_and_protected():
    t = frame({"A": [20, 30], "B": [3, 4]}, ["x", "y"])
    d = suppress_counts(t, S)
    # Row totals A 50, B 7; column totals x 23, y 34; grand 57.
    # Primary: (B, x) = 3, (B, y) = 4 and the row total (B, Total) = 7.
    # Column x has one suppressed cell -> (A, x) = 20; column y -> (A, y) = 30 (mends row A);
    # the column of row totals has one, (B, Total) -> (A, Total) = 50 (smaller than 57).
    # Left: the total row 23, 34, 57.
    assert d.mask.loc[["A", "B"]].all().all() and not d.mask.loc["Total"].any()
    assert d.cell_reasons.loc["B", "Total"] == "threshold"
    assert list(d.display.loc["Total"]) == ["23", "34", "57"]


def test_a_zero_in_a_two_by_two_table():
    t = frame({"A": [20, 0], "B": [15, 30]}, ["x", "y"])
    # zeros disclosive: (A, y) = 0 goes; row A -> (A, x); column y -> (B, y); column x now has one
    # -> (B, x). All four inner cells; totals A 20, B 45, x 35, y 30, grand 80 stay.
    d = suppress_counts(t, S)
    assert d.mask.iloc[:2, :2].all().all() and not d.mask["Total"].any() and not d.mask.loc["Total"].any()
    assert list(d.display["Total"]) == ["20", "45", "65"]
    # zeros not disclosive: nothing to hide.
    assert suppress_counts(t, S, zeros_disclosive=False).n_suppressed == 0


def test_a_cell_pinned_down_by_combining_rows_and_columns_is_protected():
    # Two 2x2 blocks of suppressed cells joined by one cell (row 1, column 2) in a 4x4 table with
    # totals. Every row and column holds 0 or >= 2 suppressed cells, yet adding the equations of
    # rows 0 and 1 and taking away those of columns 0 and 1 leaves x[1, 2] alone: it is known.
    lines = disclose._lines(5, 5, 4, 4)
    sup = np.zeros((5, 5), bool)
    for c in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (1, 2)]:
        sup[c] = True
    assert disclose._determined_cells(sup, lines) == [(1, 2)]
    assert bridges(sup) == [(1, 2)]  # the independent graph check agrees
    margin = np.zeros((5, 5), bool)
    margin[4, :] = margin[:, 4] = True
    added = disclose._protect(np.full((5, 5), 20.0), sup, np.zeros((5, 5), bool), margin, lines, None, True)
    assert added and set(added.values()) <= {"combined", "row:one", "column:one"}
    assert bridges(sup) == [] and disclose._determined_cells(sup, lines) == []


def test_nothing_suppressed_when_every_count_is_large():
    t = frame({"A": [10, 25], "B": [11, 40]}, ["x", "y"])
    d = suppress_counts(t, S)
    assert d.n_suppressed == 0 and d.reasons == [] and d.summary == "no cells suppressed"
    assert d.display.loc["Total", "Total"] == "86"


def test_totals_in_the_table_are_found_and_checked():
    raw = pd.DataFrame({"team": list("AABBB"), "pattern": ["x", "y", "x", "x", "y"]})
    ct = pd.crosstab(raw["team"], raw["pattern"], margins=True)  # pandas names its margins "All"
    d = suppress_counts(ct, S)
    assert list(d.display.index) == ["A", "B", "All"] and list(d.display.columns) == ["x", "y", "All"]
    assert d.mask.all().all()  # every count, grand total 5 included, is below 10
    bad = frame({"A": [1, 2], "Total": [5, 5]}, ["x", "y"])
    with pytest.raises(ValueError, match="labelled as a total"):
        suppress_counts(bad, S)


def test_label_columns_pass_through():
    t = pd.DataFrame({"team": ["A", "B"], "yes": [30, 12], "no": [20, 25]})
    d = suppress_counts(t, S, value_cols=["yes", "no"])
    assert list(d.display.columns) == ["team", "yes", "no", "Total"]
    assert list(d.display["team"]) == ["A", "B", ""] and not d.mask["team"].any()
    with pytest.raises(ValueError, match="numeric"):
        suppress_counts(t, S)


# -- acro's own decisions on the same tables ----------------------------------------------------


@contextlib.contextmanager
def quiet():
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def acro_session(tmp_path_factory):
    """An acro session that prints nothing, writes nothing here, and leaves logging as it was
    (importing acro calls logging.basicConfig)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("acro"))
    try:
        with quiet():
            from acro import ACRO

            session = ACRO(suppress=True)
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
    logging.getLogger("acro").disabled = True
    yield session
    logging.getLogger("acro").disabled = False
    os.chdir(here)


def records(counts: pd.DataFrame) -> pd.DataFrame:
    """One record per counted person, so that acro can make the same table from data."""
    rows = [(r, c) for r in counts.index for c in counts.columns for _ in range(int(counts.loc[r, c]))]
    d = pd.DataFrame(rows, columns=["row", "col"])
    d["row"] = pd.Categorical(d["row"], categories=list(counts.index))
    d["col"] = pd.Categorical(d["col"], categories=list(counts.columns))
    return d


def acro_crosstab(session, counts: pd.DataFrame, *, threshold: int = 10, zeros: bool = True, margins: bool = False):
    """acro's published table and its decision (True = acro flags the cell)."""
    session.config["safe_threshold"] = threshold
    session.config["zeros_are_disclosive"] = zeros
    d = records(counts)
    with quiet():
        out = session.crosstab(d["row"], d["col"], margins=margins)
    outcome = list(session.results.results.values())[-1].outcome
    idx, cols = list(counts.index), list(counts.columns)
    if margins:
        idx, cols = [*idx, "All"], [*cols, "All"]
    if out.empty or not (out.index.is_unique and out.columns.is_unique):
        out = pd.DataFrame(np.nan, index=idx, columns=cols)  # acro withheld every record
    for f in (out, outcome):
        f.index, f.columns = list(f.index.astype(object)), list(f.columns.astype(object))
    return out.reindex(index=idx, columns=cols), outcome.reindex(index=idx, columns=cols).fillna("ok") != "ok"


ACRO_TABLES = [
    frame({"A": [25, 3, 0], "B": [12, 30, 15], "C": [5, 20, 40]}, ["x", "y", "z"]),
    frame({"A": [9, 10, 11], "B": [1, 2, 100]}, ["x", "y", "z"]),
    frame({"A": [10, 10], "B": [10, 10]}, ["x", "y"]),
    frame({"A": [0, 7, 14, 21], "B": [28, 35, 0, 3], "C": [19, 20, 9, 40]}, ["p", "q", "r", "s"]),
]


@pytest.mark.parametrize("table", ACRO_TABLES, ids=range(len(ACRO_TABLES)))
def test_primary_suppression_matches_acro(acro_session, table):
    acro_table, acro_flags = acro_crosstab(acro_session, table)
    ours = suppress_counts(table, S, totals=False)
    # Same cells withheld (acro shows NaN), and the same numbers where both publish.
    assert ours.mask.equals(acro_flags)
    assert ours.mask.equals(acro_table.isna())
    shown = ~ours.mask.to_numpy()
    assert np.array_equal(ours.numeric.to_numpy(float)[shown], acro_table.to_numpy(float)[shown])


@pytest.mark.parametrize("table", ACRO_TABLES, ids=range(len(ACRO_TABLES)))
def test_zeros_and_threshold_settings_match_acro(acro_session, table):
    # acro with zeros_are_disclosive: False and a threshold of 5. acro still *flags* a zero (its
    # MinimumThresholdCheck is count < threshold) but, as it suppresses by deleting records, a
    # zero cell comes out as 0: shown, as in ours. Cells 1..4 it flags and we suppress.
    s5 = Disclosure(5, 2, 0.9, 0.1)
    acro_table, acro_flags = acro_crosstab(acro_session, table, threshold=5, zeros=False)
    ours = suppress_counts(table, s5, totals=False, zeros_disclosive=False)
    assert ours.mask.equals(acro_flags & (table != 0))
    assert (acro_table[table == 0] == 0).sum().sum() == (table == 0).sum().sum()


def test_acro_margins_count_only_published_cells_ours_are_true_totals(acro_session):
    # Why we add secondary suppression: acro re-runs the table without the suppressed records,
    # so its "All" row and column add up the published cells only. Row A is 25, 3, 0: acro's
    # total is 25 (3 and 0 withheld), the true one 28; its grand total 142 leaves out 3, 0 and 5.
    table = ACRO_TABLES[0]
    acro_table, acro_flags = acro_crosstab(acro_session, table, margins=True)
    assert acro_table.loc["A", "All"] == 25 and acro_table.loc["All", "All"] == 142
    ours = suppress_counts(table, S)
    # Ours (traced by hand through the rules): primary (A, y) = 3, (A, z) = 0, (C, x) = 5; row A's
    # withheld cells add to 3 -> (A, x); row C -> (C, y) = 20; column z -> (B, z) = 15; row B ->
    # (B, x) = 12. Every total is published and true.
    assert ours.mask.equals(
        mask_of(ours.display, [("A", "x"), ("A", "y"), ("A", "z"), ("B", "x"), ("B", "z"), ("C", "x"), ("C", "y")])
    )
    assert ours.numeric.loc["A", "Total"] == 28 and ours.numeric.loc["Total", "Total"] == 150
    # The cells acro flags inside the table are exactly our primary suppressions.
    assert ours.primary.iloc[:3, :3].equals(acro_flags.iloc[:3, :3])


small_counts = st.one_of(st.integers(0, 12), st.integers(0, 40))


@st.composite
def count_tables(draw, max_count: int = 40) -> pd.DataFrame:
    r, c = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    cells = draw(st.lists(small_counts, min_size=r * c, max_size=r * c))
    return pd.DataFrame(
        np.array(cells).reshape(r, c), index=[f"r{i}" for i in range(r)], columns=[f"c{j}" for j in range(c)]
    )


@hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=count_tables(), zeros=st.booleans())
def test_primary_suppression_matches_acro_on_any_table(acro_session, table, zeros):
    assume(table.to_numpy().sum() > 0)  # acro fails on a table with no records at all
    _, acro_flags = acro_crosstab(acro_session, table, zeros=zeros)
    ours = suppress_counts(table, S, totals=False, zeros_disclosive=zeros)
    expected = acro_flags if zeros else acro_flags & (table != 0)
    assert ours.mask.equals(expected)


# -- properties: whatever the table -------------------------------------------------------------


def bridges(suppressed: np.ndarray) -> list[tuple[int, int]]:
    """Suppressed cells that a table with a total row and column pins down, found as graph bridges.

    Independent of the implementation's linear algebra: rows and columns are nodes, suppressed
    cells edges. Writing x[i, j] = a[i] * b[j] * y[i, j] with a, b = -1 on the total row /
    column turns every row and column equation into "the y's of this node add up to a known
    number", whose free solutions are the cycles of the graph. A cell is known exactly iff its edge
    lies on no cycle: iff removing it disconnects its two ends.
    """
    edges = [tuple(map(int, c)) for c in np.argwhere(suppressed)]
    out = []
    for e in edges:
        adj: dict[tuple, list[tuple]] = {}
        for f in edges:
            if f != e:
                a, b = ("r", f[0]), ("c", f[1])
                adj.setdefault(a, []).append(b)
                adj.setdefault(b, []).append(a)
        start, goal = ("r", e[0]), ("c", e[1])
        seen, todo = {start}, deque([start])
        while todo:
            n = todo.popleft()
            for m in adj.get(n, []):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        if goal not in seen:
            out.append(e)
    return out


def check_safe(table: pd.DataFrame, d: disclose.DisclosedTable, s: Disclosure, zeros: bool) -> None:
    full = d.numeric.where(~d.mask, np.nan)
    grid = np.array(table.to_numpy(), dtype=float)
    original = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1))
    original[:-1, :-1] = grid
    original[:-1, -1] = grid.sum(axis=1)
    original[-1, :-1] = grid.sum(axis=0)
    original[-1, -1] = grid.sum()
    m = d.mask.to_numpy()
    shown = original[~m]
    # no published count in 1..threshold-1, and no published zero when zeros are disclosive
    assert not ((shown > 0) & (shown < s.threshold)).any()
    if zeros:
        assert not (shown == 0).any()
    # published cells are the true counts and totals; suppressed cells are NaN and read "<t"
    assert np.array_equal(full.to_numpy()[~m], shown)
    assert np.isnan(d.numeric.to_numpy(dtype=float)[m]).all()
    assert (d.display.to_numpy()[m] == f"<{s.threshold}").all()
    assert not (d.display.to_numpy()[~m] == "").any()
    # no suppressed cell is the only one in its row or its column (total included)
    assert not (m.sum(axis=1) == 1).any() and not (m.sum(axis=0) == 1).any()
    # and none is pinned down by any combination of rows and columns
    assert bridges(m) == []
    # the suppressed cells of a line with a published total do not add up to a small count
    for line, tot_hidden in [(i, m[i, -1]) for i in range(m.shape[0])]:
        if m[line].any() and not tot_hidden:
            hidden = original[line, :-1][m[line, :-1]].sum()
            assert hidden >= s.threshold or (hidden == 0 and not zeros)
    for col in range(m.shape[1]):
        if m[:, col].any() and not m[-1, col]:
            hidden = original[:-1, col][m[:-1, col]].sum()
            assert hidden >= s.threshold or (hidden == 0 and not zeros)


@hyp_settings(max_examples=300, deadline=None)
@given(table=count_tables(), zeros=st.booleans(), threshold=st.sampled_from([5, 10]))
def test_no_small_count_escapes_and_nothing_is_recoverable(table, zeros, threshold):
    s = Disclosure(threshold, 2, 0.9, 0.1)
    d = suppress_counts(table, s, totals=True, zeros_disclosive=zeros)
    assert d.display.shape == (table.shape[0] + 1, table.shape[1] + 1)
    check_safe(table, d, s, zeros)


@hyp_settings(max_examples=100, deadline=None)
@given(table=count_tables())
def test_large_counts_are_left_alone(table):
    table = table + S.threshold  # every count at or above the threshold
    assert suppress_counts(table, S).n_suppressed == 0


# -- shares -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "k, n, ok",
    [
        (12, 30, True),  # 12, 30 and 18 all >= 10
        (10, 20, True),  # on the threshold: 10, 20, 10
        (9, 30, False),  # numerator 9 < 10
        (5, 8, False),  # numerator and denominator < 10
        (25, 30, False),  # remainder 5 < 10: 83% of 30 says 5 people do not
        (0, 40, False),  # a zero numerator is a zero count
        (40, 40, False),  # 100%: the remainder is a zero count
    ],
)
def test_share_rule(k, n, ok):
    assert share(k, n, S).reportable is ok
    text = format_share(k, n, S)
    if ok:
        assert text == f"{k / n:.0%}"
    else:
        assert text == "suppressed (<10)" and "<10" in text
        assert np.isnan(share(k, n, S).estimate)


def test_share_without_the_remainder_rule():
    assert share(25, 30, S, complement=False).reportable
    assert format_share(25, 30, S, complement=False) == "83%"  # 25 / 30 = 0.833


def test_share_rejects_impossible_counts():
    with pytest.raises(ValueError):
        share(12, 9, S)


def test_format_share_with_a_wilson_interval():
    # Wilson 95% for 14 of 40, by hand (z = 1.96): centre (0.35 + 1.9208/40) / 1.09604 = 0.3632,
    # half-width 1.96 * sqrt(0.35*0.65/40 + 3.8416/6400) / 1.09604 = 0.1418 -> 22.1% to 50.5%.
    p = wilson(14, 40)
    assert format_share(14, 40, S, interval=p) == "35% (95% CI 22% to 50%)"
    assert format_share(14, 40, S, interval=(p.low, p.high)) == "35% (95% CI 22% to 50%)"
    assert format_share(14, 40, S, interval=(p.low, p.high), confidence=0.9).startswith("35% (90% CI")
    assert format_share(9, 40, S, interval=p) == "suppressed (<10)"  # no interval for a suppressed share


def test_format_count():
    assert [format_count(n, S) for n in (0, 1, 9, 10, 999, 1000, None)] == [
        "<10",
        "<10",
        "<10",
        "10",
        "999",
        "1,000",
        "<10",
    ]
