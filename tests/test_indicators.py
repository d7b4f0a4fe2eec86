"""Indicators on tiny hand-made tables; every expected value is worked out by hand."""

import math

import pandas as pd
import pytest

from analysis.studies.flexitime import indicators


def workers():
    # 5 social workers (2 on 4-day week, 1 on 9-day fortnight, 2 standard) + 1 team manager on a 4-day week
    return pd.DataFrame(
        {
            "worker_id": ["a", "b", "c", "d", "e", "m"],
            "role": ["social worker"] * 5 + ["team manager"],
            "working_pattern": ["4-day week", "4-day week", "9-day fortnight", "standard", "standard", "4-day week"],
            "planned_flex_days_last_month": [4, 4, 2, 0, 0, 4],
            "flex_days_taken_last_month": [2, 1, 2, 0, 0, 4],
        }
    )


def test_take_up_counts_social_workers_only(study):
    p = indicators.take_up(workers(), study)
    # 3 of the 5 social workers are on a flexible pattern; the team manager does not count
    assert (p.k, p.n) == (3, 5)
    assert math.isclose(p.estimate, 0.6)


def test_pattern_split(study):
    split = indicators.pattern_split(workers(), study).set_index("pattern")
    assert split.loc["4-day week", "workers"] == 2
    assert split.loc["9-day fortnight", "workers"] == 1
    assert math.isclose(split.loc["4-day week", "share"], 2 / 3)


def test_consistent_use_is_at_least_half_of_planned(study):
    # a: 2/4 = 50% (counts: at least 50%), b: 1/4 = 25% (no), c: 2/2 = 100% (yes) -> 2 of 3
    p = indicators.consistent_use(workers(), study)
    assert (p.k, p.n) == (2, 3)


# -- take-up from flexible-pattern spells (launch 2021-03-01, config/study.yml) ---------------------------


def spells(rows):
    frame = pd.DataFrame(rows, columns=["worker_id", "pattern", "start", "end"])
    return frame.assign(start=pd.to_datetime(frame["start"]), end=pd.to_datetime(frame["end"]))


def roster(ids, planned=None, taken=None):
    n = len(ids)
    return pd.DataFrame(
        {
            "worker_id": ids,
            "role": ["social worker"] * n,
            "planned_flex_days_last_month": planned or [0] * n,
            "flex_days_taken_last_month": taken or [0] * n,
        }
    )


def test_take_up_counts_those_who_stopped(study):
    # a started in April and stopped in May; b started in April and carries on; c never started:
    # took up = a, b -> 2 of 3 (a current-pattern count would give 1 of 3)
    sp = spells([["a", "9-day fortnight", "2021-04-01", "2021-05-10"], ["b", "4-day week", "2021-04-06", None]])
    p = indicators.take_up(roster(["a", "b", "c"]), study, sp, cut="2021-06-01")
    assert (p.k, p.n) == (2, 3)


def test_pre_launch_users_are_reported_apart(study):
    # p on a 4-day week since 2020 (ongoing), q from 2020 to 2021-02-28 (still on it the day before
    # launch), r whose spell ended 2021-02-26 (before the eve of launch) and who started again in April:
    # pre-launch users p, q (2 of 4 social workers); take-up among r, s = r only -> 1 of 2
    sp = spells(
        [
            ["p", "4-day week", "2020-06-01", None],
            ["q", "9-day fortnight", "2020-01-06", "2021-02-28"],
            ["r", "4-day week", "2020-01-06", "2021-02-26"],
            ["r", "9-day fortnight", "2021-04-01", None],
        ]
    )
    w = roster(["p", "q", "r", "s"])
    assert (indicators.pre_launch_users(w, study, sp).k, indicators.pre_launch_users(w, study, sp).n) == (2, 4)
    p = indicators.take_up(w, study, sp, cut="2021-06-01")
    assert (p.k, p.n) == (1, 2)


def test_take_up_respects_the_cut_date(study):
    # started on launch day (counts), on the cut date (counts), the day after the cut (does not): 2 of 3
    sp = spells(
        [
            ["a", "4-day week", "2021-03-01", None],
            ["b", "4-day week", "2021-06-01", None],
            ["c", "4-day week", "2021-06-02", None],
        ]
    )
    p = indicators.take_up(roster(["a", "b", "c"]), study, sp, cut="2021-06-01")
    assert (p.k, p.n) == (2, 3)


def test_consistent_use_counts_stoppers_as_not_consistent(study):
    # takers a (stopped in May, 0 of 0 last month), b (on, 2 of 4 = 50%: yes), c (on, 1 of 4: no),
    # d (on, started on the cut date, no planned day yet: no) -> 1 of 4; e never took it up
    sp = spells(
        [
            ["a", "9-day fortnight", "2021-04-01", "2021-05-10"],
            ["b", "4-day week", "2021-04-01", None],
            ["c", "4-day week", "2021-04-01", None],
            ["d", "4-day week", "2021-06-01", None],
        ]
    )
    w = roster(["a", "b", "c", "d", "e"], planned=[0, 4, 4, 0, 0], taken=[0, 2, 1, 0, 0])
    p = indicators.consistent_use(w, study, sp, cut="2021-06-01")
    assert (p.k, p.n) == (1, 4)


def test_consistent_use_needs_the_pattern_on_the_cut_date(study):
    # a's spell ended the day before the cut although last month's days were all taken: not consistent;
    # b's spell ends on the cut date itself (still on it that day): consistent -> 1 of 2
    sp = spells([["a", "4-day week", "2021-04-01", "2021-05-31"], ["b", "4-day week", "2021-04-01", "2021-06-01"]])
    w = roster(["a", "b"], planned=[4, 4], taken=[4, 4])
    p = indicators.consistent_use(w, study, sp, cut="2021-06-01")
    assert (p.k, p.n) == (1, 2)


def test_pattern_split_counts_each_taker_once_by_first_pattern(study):
    # a: 4-day week then 9-day fortnight (counted under 4-day week); b: 9-day fortnight; c: pre-launch
    # 4-day week (not a taker) -> 4-day week 1, 9-day fortnight 1, shares of 2 takers
    sp = spells(
        [
            ["a", "4-day week", "2021-03-10", "2021-04-30"],
            ["a", "9-day fortnight", "2021-05-01", None],
            ["b", "9-day fortnight", "2021-04-01", None],
            ["c", "4-day week", "2020-04-01", None],
        ]
    )
    split = indicators.pattern_split(roster(["a", "b", "c"]), study, sp, cut="2021-06-01").set_index("pattern")
    assert split["workers"].to_dict() == {"4-day week": 1, "9-day fortnight": 1}
    assert split["share"].to_dict() == {"4-day week": 0.5, "9-day fortnight": 0.5}


def test_on_time_is_within_48_hours_and_outstanding_is_late(study):
    v = pd.DataFrame(
        {
            "worker_id": ["a"] * 4,
            "visit_datetime": pd.to_datetime(["2021-03-01 10:00"] * 4),
            "writeup_datetime": pd.to_datetime(["2021-03-03 10:00", "2021-03-03 10:01", "2021-03-01 11:00", None]),
        }
    )
    # exactly 48h is on time; 48h01m is late; 1h on time; outstanding is not on time
    assert indicators.on_time(v, 48).tolist() == [True, False, True, False]
    p = indicators.timeliness(v, study)
    assert (p.k, p.n) == (2, 4)


def test_timeliness_by_worker(study):
    v = pd.DataFrame(
        {
            "worker_id": ["a", "a", "b"],
            "visit_datetime": pd.to_datetime(["2021-03-01 10:00"] * 3),
            "writeup_datetime": pd.to_datetime(["2021-03-01 12:00", "2021-03-05 12:00", "2021-03-02 09:00"]),
        }
    )
    g = indicators.timeliness_by_worker(v, study).set_index("worker_id")
    assert g.loc["a", "visits"] == 2 and g.loc["a", "on_time"] == 1 and g.loc["a", "share"] == 0.5
    assert g.loc["b", "share"] == 1.0


# -- censoring at the extract, clustered intervals, the paired change --------------------------------

CUT = pd.Timestamp("2021-06-01 00:00")


def test_writeup_status_at_the_extract():
    v = pd.DataFrame(
        {
            "visit_datetime": pd.to_datetime(
                [
                    "2021-05-30 00:01",  # outstanding, 47h59 before the cut: not yet due
                    "2021-05-30 00:00",  # outstanding, exactly 48h before the cut: late
                    "2021-05-20 10:00",  # outstanding for days: late
                    "2021-05-31 10:00",  # written 20h later, after the cut: its time is known, on time
                    "2021-05-31 10:00",  # written 49h later: late although due after the cut
                    "2021-05-28 10:00",  # written at exactly 48h: on time
                ]
            ),
            "writeup_datetime": pd.to_datetime(
                [None, None, None, "2021-06-01 06:00", "2021-06-02 11:00", "2021-05-30 10:00"]
            ),
        }
    )
    assert indicators.writeup_status(v, 48, CUT).tolist() == [
        "not yet due",
        "late",
        "late",
        "on time",
        "late",
        "on time",
    ]


def timeliness_visits() -> pd.DataFrame:
    # worker a: 3 on time, 1 late (outstanding 3 days); worker b: 1 on time, 2 late, 1 not yet due (10h)
    return pd.DataFrame(
        {
            "worker_id": ["a"] * 4 + ["b"] * 4,
            "visit_datetime": pd.to_datetime(
                ["2021-05-20 09:00"] * 3 + ["2021-05-29 00:00"] + ["2021-05-20 09:00"] * 3 + ["2021-05-31 14:00"]
            ),
            "writeup_datetime": pd.to_datetime(
                ["2021-05-20 12:00"] * 3 + [None] + ["2021-05-21 09:00", "2021-05-25 09:00", "2021-05-23 09:00", None]
            ),
        }
    )


def test_timeliness_leaves_not_yet_due_out_of_the_denominator(study):
    p = indicators.timeliness(timeliness_visits(), study, CUT)
    # countable: a 3 of 4, b 1 of 3 -> 4 of 7; b's visit 10h before the cut is censored
    assert (p.k, p.n, p.workers, p.censored) == (4, 7, 2, 1)
    # without the cut (no extract): the outstanding one counts as late, 4 of 8
    plain = indicators.timeliness(timeliness_visits(), study)
    assert (plain.k, plain.n, plain.censored) == (4, 8, 0)
    g = indicators.timeliness_by_worker(timeliness_visits(), study, CUT).set_index("worker_id")
    assert g.loc["b", "visits"] == 3 and g.loc["b", "on_time"] == 1


def test_timeliness_interval_is_clustered_by_worker_by_hand(study):
    # p = 4/7; residuals k - p m: a 3 - 16/7 = 5/7, b 1 - 12/7 = -5/7; sum of squares 50/49
    # v_cluster = 2/1 * (50/49) / 49 = 0.041649; v_binomial = (4/7)(3/7)/7 = 0.034985
    # deff = 0.041649 / 0.034985 = 1.190476 (= 25/21), n_eff = 7 / (25/21) = 5.88
    p = indicators.timeliness(timeliness_visits(), study, CUT)
    assert p.deff == pytest.approx(25 / 21) and p.n_eff == pytest.approx(5.88)
    # Wilson at p = 4/7, n = 5.88, z = 1.959964 (formula by hand): shrink 1 + 3.841459/5.88 = 1.653309,
    # centre (0.571429 + 3.841459/11.76) / 1.653309 = 0.898084 / 1.653309 = 0.543204,
    # half-width 1.185479 * sqrt(0.041649 + 3.841459/138.2976) = 1.185479 * 0.263489 = 0.312359
    assert (p.low, p.high) == pytest.approx((0.230845, 0.855563), abs=1e-5)


def change_visits(study, reissue: bool = False) -> pd.DataFrame:
    """Three workers at baseline and interim, visits a week before each wave's date (so none censored),
    plus one visit 10 hours before the interim extract still outstanding (censored)."""
    rows = []
    hand = {"a": (1, 2, 2, 2), "b": (2, 4, 3, 4), "c": (1, 2, 1, 2)}
    for wave, col in (("baseline", 0), ("interim", 2)):
        visit = pd.Timestamp(study.wave(wave).date) - pd.Timedelta(days=7)
        for w, counts in hand.items():
            k, m = counts[col], counts[col + 1]
            wid = f"new-{w}" if reissue and wave == "interim" else w
            rows += [
                {
                    "worker_id": wid,
                    "wave": wave,
                    "visit_datetime": visit,
                    "writeup_datetime": visit + pd.Timedelta(hours=2 if i < k else 72),
                }
                for i in range(m)
            ]
    late_night = pd.Timestamp(study.wave("interim").date) - pd.Timedelta(hours=10)
    rows.append({"worker_id": "b", "wave": "interim", "visit_datetime": late_night, "writeup_datetime": pd.NaT})
    return pd.DataFrame(rows)


def test_timeliness_change_pp_headline_and_gee_beside(study):
    pp, gee = indicators.timeliness_change(change_visits(study), study, "baseline", "interim")
    # the censored visit is left out: before 4 of 8, after 6 of 8 (hand case of tests/test_stats.py)
    assert (pp.visits_before, pp.on_time_before, pp.visits_after, pp.on_time_after) == (8, 4, 8, 6)
    assert pp.difference == pytest.approx(0.25) and (pp.low, pp.high) == pytest.approx((-0.215776, 0.715776), abs=1e-6)
    assert gee.odds_ratio == pytest.approx(3.0) and "bias" in gee.covariance


def test_timeliness_change_with_reissued_pseudonyms_says_so(study):
    pp, gee = indicators.timeliness_change(change_visits(study, reissue=True), study, "baseline", "interim")
    assert not pp.estimable and not gee.estimable
    assert pp.reason == (
        f"0 of 3 workers at {study.wave('interim').label} match a worker at {study.wave('baseline').label}: the "
        "local authority may have re-issued pseudonyms, so the within-worker change cannot be estimated"
    )
