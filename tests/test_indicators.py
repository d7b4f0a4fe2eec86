"""Indicators on tiny hand-made tables; every expected value is worked out by hand."""

import math

import pandas as pd

from analysis import indicators


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
