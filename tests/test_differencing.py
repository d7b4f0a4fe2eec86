"""The differencing audit: the four recoveries an intruder made from the two HTML reports (issue 12),
encoded by hand as published facts, each caught; and a safe variant of each, which passes.

Every expected range is worked out by hand in the comments (subtraction of published counts).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.differencing import DifferencingError, Model, failing

T = 10  # the study's threshold (config/study.yml)


def by_name(ranges):
    return {r.name: r for r in ranges}


# -- 1. managers by subtraction ---------------------------------------------------------------------

WORKFORCE = pd.DataFrame(
    # true counts: social workers 6/6/6 (18), assistant managers 1/1/1 (3), team managers 1/1/1 (3); 24 in all
    {
        "Team A": ["<10", "<10", "<10", "<10"],
        "Team B": ["<10", "<10", "<10", "<10"],
        "Team C": ["<10", "<10", "<10", "<10"],
        "Total": ["<10", "<10", "<10", "24"],
    },
    index=["social worker", "assistant manager", "team manager", "Total"],
)
# The social-worker row total (18) is suppressed only to protect the manager totals (secondary).
REASONS = pd.DataFrame("threshold", index=WORKFORCE.index, columns=WORKFORCE.columns)
REASONS.loc["social worker", "Total"] = "secondary (column:sum)"
REASONS.loc["Total", "Total"] = ""


def workforce_model(grand_total: str = "24", with_take_up: bool = True) -> tuple[Model, pd.DataFrame]:
    m = Model(T)
    display = WORKFORCE.copy()
    reasons = REASONS.copy()
    display.loc["Total", "Total"] = grand_total
    if grand_total.startswith("<"):
        reasons.loc["Total", "Total"] = "secondary (total:one)"
    names = m.add_table("august/tbl-workforce", display, cell_reasons=reasons)
    if with_take_up:
        # the take-up table prints the 18 social workers: the same people as the workforce row total
        m.publish("take-up n", 18, output="august/tbl-take-up", row="Social workers", column="n")
        m.same("take-up n", names.loc["social worker", "Total"])
    return m, names


def test_managers_by_subtraction_is_caught():
    m, names = workforce_model()
    r = by_name(m.audit())
    # 24 - 18 = 6 managers: assistant-manager total + team-manager total = 6, so each manager cell is in 0..6
    # (7 values, fewer than the 10 that "<10" promises).
    for role in ("assistant manager", "team manager"):
        for team in ("Team A", "Team B", "Team C", "Total"):
            cell = r[names.loc[role, team]]
            assert (cell.low, cell.high) == (0, 6), (role, team)
            assert cell.fails
            assert set(cell.culprits) == {"august/tbl-take-up", "august/tbl-workforce"}
    # Each social-worker cell can still be anything in 0..9 (the other two can make up the 18).
    assert (r[names.loc["social worker", "Team A"]].low, r[names.loc["social worker", "Team A"]].high) == (0, 9)
    assert not r[names.loc["social worker", "Team A"]].fails


def test_managers_without_the_take_up_table_are_safe():
    m, names = workforce_model(with_take_up=False)
    r = by_name(m.audit())
    # Without the 18, the social-worker total is unbounded (secondary), so managers can be 0..9 per cell.
    assert (r[names.loc["team manager", "Total"]].low, r[names.loc["team manager", "Total"]].high) == (0, 9)
    assert not r[names.loc["team manager", "Team B"]].fails


def test_managers_safe_variant_total_also_suppressed_passes():
    m, _ = workforce_model(grand_total="<10")
    assert failing(m.audit()) == []


def test_every_less_than_ten_read_literally_contradicts_the_published_total():
    # Without cell_reasons every "<10" is taken as 0..9, but the social-worker row is 18 (published in the
    # take-up table): the audit refuses to run and names the facts that cannot all hold.
    m = Model(T)
    names = m.add_table("august/tbl-workforce", WORKFORCE)
    m.publish("take-up n", 18, output="august/tbl-take-up", row="Social workers", column="n")
    m.same("take-up n", names.loc["social worker", "Total"])
    with pytest.raises(DifferencingError, match="contradict") as e:
        m.audit()
    assert "take-up n == 18" in str(e.value)
    assert "august/tbl-workforce [social worker / Total]: shown suppressed" in str(e.value)


# -- 2. interviews per wave (and what August published stays published in December) -----------------


def interviews_model(safe: bool = False) -> Model:
    m = Model(T)
    tbl, app = "august/tbl-interviews", "august/appendix-validation"
    # interviews table: Croydon by wave (8 and 8), suppressed; the Croydon total 16; Stockport interim 12
    m.suppressed("croydon baseline", output=tbl, row="Croydon", column="Baseline")
    m.suppressed("croydon interim", output=tbl, row="Croydon", column="Interim")
    if safe:
        m.suppressed("croydon total", output=tbl, row="Croydon", column="Total", high=math.inf)
    else:
        m.publish("croydon total", 16, output=tbl, row="Croydon", column="Total")
    m.total("croydon total", ["croydon baseline", "croydon interim"], output=tbl)
    m.publish("stockport interim", 12, output=tbl, row="Stockport", column="Interim")
    # methods: Stockport joined at the interim wave (no baseline interviews)
    m.publish("stockport baseline", 0, output="august/txt-methods")
    # validation appendix: interviews delivered per wave
    m.suppressed("wave baseline", output=app, row="Baseline", column="Interviews")
    m.total("wave baseline", ["croydon baseline", "stockport baseline"], output=app)
    if safe:
        m.suppressed("wave interim", output=app, row="Interim", column="Interviews", high=math.inf)
    else:
        m.publish("wave interim", 20, output=app, row="Interim", column="Interviews")
    m.total("wave interim", ["croydon interim", "stockport interim"], output=app)
    return m


def test_interviews_per_wave_is_caught():
    r = by_name(interviews_model().audit())
    # interim: 20 - 12 (Stockport) = 8 in Croydon; baseline: 16 - 8 = 8; the appendix's baseline = 8 + 0
    for name in ("croydon interim", "croydon baseline", "wave baseline"):
        assert (r[name].low, r[name].high, r[name].fails) == (8, 8, True), name
    # The interviews table alone already narrows each Croydon wave to 7..9 (two cells of at most 9 adding up to
    # 16), so the smallest set of outputs that gives it away is that table; the appendix makes it exact.
    assert r["croydon interim"].culprits == ("august/tbl-interviews",)
    alone = Model(T)
    alone.suppressed("b", output="t")
    alone.suppressed("i", output="t")
    alone.publish("c", 16, output="t")
    alone.total("c", ["b", "i"], output="t")
    assert (by_name(alone.audit())["i"].low, by_name(alone.audit())["i"].high) == (7, 9)  # 16 - 9 = 7


def test_interviews_safe_variant_passes():
    # The appendix's interim count and the Croydon total also withheld: each Croydon wave is anywhere in 0..9.
    r = by_name(interviews_model(safe=True).audit())
    assert (r["croydon interim"].low, r["croydon interim"].high) == (0, 9)
    assert failing(r.values()) == []


def test_december_facts_with_augusts_pin_the_endline():
    m = interviews_model()
    dec, app = "december/tbl-interviews", "december/appendix-validation"
    m.suppressed("croydon endline", output=dec, row="Croydon", column="Endline")
    m.suppressed("stockport endline", output=dec, row="Stockport", column="Endline")
    m.publish("croydon total dec", 20, output=dec, row="Croydon", column="Total")
    m.total("croydon total dec", ["croydon baseline", "croydon interim", "croydon endline"], output=dec)
    m.publish("stockport total dec", 16, output=dec, row="Stockport", column="Total")
    m.total("stockport total dec", ["stockport interim", "stockport endline"], output=dec)
    m.suppressed("wave endline", output=app, row="Endline", column="Interviews")
    m.total("wave endline", ["croydon endline", "stockport endline"], output=app)
    r = by_name(m.audit())
    # Croydon endline = 20 - 16 (August's Croydon total) = 4; Stockport endline = 16 - 12 = 4; the wave = 8
    assert (r["croydon endline"].low, r["croydon endline"].high) == (4, 4)
    assert (r["stockport endline"].low, r["stockport endline"].high) == (4, 4)
    assert (r["wave endline"].low, r["wave endline"].high) == (8, 8)
    assert "august/tbl-interviews" in r["croydon endline"].culprits  # the August report is part of it


# -- 3. survey quarantine ---------------------------------------------------------------------------


def survey_model(delivered_published: bool = True) -> Model:
    m = Model(T)
    app = "august/appendix-validation"
    if delivered_published:
        m.publish("survey delivered", 18, output=app, row="Survey", column="Delivered")
    else:
        m.suppressed("survey delivered", output=app, row="Survey", column="Delivered", high=math.inf)
    m.suppressed("survey quarantined", output=app, row="Survey", column="Quarantined")
    m.total("survey delivered", ["survey accepted", "survey quarantined"], output=app)
    m.publish("respondents", 17, output="august/tbl-survey-context", row="Total", column="Respondents")
    m.same("respondents", "survey accepted")
    return m


def test_survey_quarantine_is_caught():
    q = by_name(survey_model().audit())["survey quarantined"]
    # 18 delivered - 17 respondents = 1 quarantined, under a "<10"
    assert (q.low, q.high, q.fails) == (1, 1, True)
    assert set(q.culprits) == {"august/appendix-validation", "august/tbl-survey-context"}


def test_survey_quarantine_safe_variant_passes():
    q = by_name(survey_model(delivered_published=False).audit())["survey quarantined"]
    assert (q.low, q.high, q.fails) == (0, 9, False)


# -- 4. workers without visits ----------------------------------------------------------------------


def visits_model(total_published: bool = True) -> Model:
    m = Model(T)
    if total_published:
        m.publish("workforce", 24, output="august/tbl-workforce", row="Total", column="Total")
    else:
        m.suppressed("workforce", output="august/tbl-workforce", row="Total", column="Total", high=math.inf)
    m.publish("workers with visits", 21, output="august/tbl-timeliness", row="Interim", column="Workers")
    # Never published anywhere, but a count of people: protect it.
    m.protect("workers without visits", {"workforce": 1, "workers with visits": -1})
    return m


def test_workers_without_visits_is_caught():
    r = by_name(visits_model().audit())["workers without visits"]
    assert (r.low, r.high, r.fails) == (3, 3, True)  # 24 - 21
    assert set(r.culprits) == {"august/tbl-workforce", "august/tbl-timeliness"}


def test_workers_without_visits_safe_variant_passes():
    r = by_name(visits_model(total_published=False).audit())["workers without visits"]
    assert (r.low, r.fails) == (0, False) and math.isinf(r.high)


# -- the rule and the facts --------------------------------------------------------------------------


def test_the_rule_promised_values_and_large_counts():
    m = Model(T)
    # zeros shown as 0: a "<10" is 1..9, nine values; still 1..9 given nothing else -> passes
    m.suppressed("a", output="o", low=1)
    # a secondary cell (may be 10 or more) pinned to 28..32: not a small count -> passes
    m.suppressed("b", output="o", high=math.inf)
    m.fact({"b": 1}, ">=", 28, output="o2")
    m.fact({"b": 1}, "<=", 32, output="o2")
    # a secondary cell pinned to 5..12: may be a small count, 8 values < 10 -> fails
    m.suppressed("c", output="o", high=math.inf)
    m.fact({"c": 1}, ">=", 5, output="o3")
    m.fact({"c": 1}, "<=", 12, output="o3")
    r = by_name(m.audit())
    assert (r["a"].promised, r["a"].fails) == (9, False)
    assert (r["b"].low, r["b"].high, r["b"].fails) == (28, 32, False)
    assert (r["c"].low, r["c"].high, r["c"].fails) == (5, 12, True)
    assert r["c"].culprits == ("o3",)


def test_counts_are_integers():
    # 2x = 9 has a real solution (4.5) but no whole one: the facts contradict each other.
    m = Model(T)
    m.fact({"x": 2, "y": -1}, "==", 0, output="o")
    m.publish("y", 9, output="o")
    with pytest.raises(DifferencingError, match="contradict"):
        m.audit()


def test_rounded_counts_and_percentages_are_facts():
    m = Model(T)
    # 5 published rounded to base 5 (acro: halves to even cannot occur with an odd base): true value 3..7
    m.suppressed("k", output="t")
    m.rounded("k", 5, 5, output="r")
    r = by_name(m.audit())["k"]
    assert (r.low, r.high, r.fails) == (3, 7, True)
    # base 10, 10 published: 10/10 = 1 is odd, so the ties 5 and 15 round to 0 and 20; true value 6..14
    m2 = Model(T)
    m2.rounded("n", 10, 10)
    m2.protect("n")
    assert (by_name(m2.audit())["n"].low, by_name(m2.audit())["n"].high) == (6, 14)
    # 33% of 18 (whole percents): 100k/18 in [32.5, 33.5] -> k = 6 (33.3%); 5 is 27.8%, 7 is 38.9%
    m3 = Model(T)
    m3.publish("n", 18, output="t")
    m3.suppressed("k", output="t")
    m3.share("k", "n", 33, output="t2")
    assert (by_name(m3.audit())["k"].low, by_name(m3.audit())["k"].high) == (6, 6)


def test_add_table_reads_counts_and_refuses_a_wrong_marker():
    m = Model(T)
    d = pd.DataFrame({"n": ["1,204", "<10", "35%"]}, index=["a", "b", "c"])
    names = m.add_table("o", d, row_total=None, column_total=None)
    assert names.loc["a", "n"] == "o[a / n]"
    assert [f.rhs for f in m.facts if f.op == "=="] == [1204.0]  # "35%" states nothing
    with pytest.raises(DifferencingError, match=r"reads '<5', but the threshold is 10"):
        Model(T).add_table("o", pd.DataFrame({"n": ["<5"]}))


def test_bad_facts_are_refused():
    m = Model(T)
    with pytest.raises(DifferencingError, match="whole number"):
        m.publish("x", 2.5, output="o")
    with pytest.raises(DifferencingError, match="operator"):
        m.fact({"x": 1}, "<", 3)
    with pytest.raises(DifferencingError, match="not a multiple"):
        m.rounded("x", 7, 5)
    with pytest.raises(DifferencingError, match="threshold must be"):
        Model(0)


def test_add_table_released_and_rounded_tables():
    # Released under an exception: "4†" is a published 4.
    m = Model(T)
    m.add_table("o", pd.DataFrame({"n": ["4†", "14†", "18"]}, index=["no", "yes", "Total"]))
    m.protect("o[no / n]")
    r = by_name(m.audit())["o[no / n]"]
    assert (r.low, r.high, r.fails) == (4, 4, True)
    # Rounded to 5 (true 4 and 14): 5 -> 3..7, 15 -> 13..17; the rounded total 20 says nothing exact,
    # but the total is still the sum of its parts: 16..24.
    m = Model(T)
    names = m.add_table("o", pd.DataFrame({"n": ["5", "15", "20"]}, index=["no", "yes", "Total"]), round_base=5)
    for name in names["n"]:
        m.protect(name)
    r = by_name(m.audit())
    assert [(r[n].low, r[n].high) for n in names["n"]] == [(3, 7), (13, 17), (16, 24)]
    assert r[names.loc["no", "n"]].fails and not r[names.loc["Total", "n"]].fails


def test_one_population_suppressed_in_two_outputs_is_reported_at_both():
    m = Model(T)
    m.suppressed("quarantined", output="august/appendix", row="Survey", column="Quarantined")
    m.suppressed("quarantined", output="december/appendix", row="Survey", column="Quarantined")
    m.protect("quarantined")  # already protected: no third, placeless entry
    m.publish("delivered", 18, output="august/appendix")
    m.publish("accepted", 17, output="august/tbl-survey")
    m.total("delivered", ["accepted", "quarantined"], output="august/appendix")
    ranges = m.audit()
    # 18 - 17 = 1, in both reports' appendices
    assert [(r.output, r.low, r.high, r.fails) for r in ranges] == [
        ("august/appendix", 1, 1, True),
        ("december/appendix", 1, 1, True),
    ]
