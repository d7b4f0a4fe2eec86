import math

import numpy as np
import pandas as pd
import pytest

from analysis import stats


@pytest.mark.parametrize(
    "k,n,low,high",
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score):
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(k, n, low, high):
    p = stats.wilson(k, n)
    assert p.low == pytest.approx(low, abs=6e-5)
    assert p.high == pytest.approx(high, abs=6e-5)


def test_wilson_with_no_denominator_is_not_measurable():
    p = stats.wilson(0, 0)
    assert math.isnan(p.estimate) and stats.rag(p.low, p.high, 0.3) == "not yet measurable"


@pytest.mark.parametrize(
    "low,high,expected",
    [
        (0.30, 0.50, "green"),  # lower bound exactly at the threshold clears it
        (0.29, 0.50, "amber"),
        (0.10, 0.2999, "red"),
        (0.10, 0.30, "amber"),  # upper bound at the threshold: the interval still reaches it
    ],
)
def test_rag_boundaries(low, high, expected):
    assert stats.rag(low, high, 0.30) == expected


def test_gee_change_is_paired_within_workers():
    # Worker w1..w6 seen at both waves, w7 only at baseline (excluded from the paired analysis).
    rows = []
    rng = np.random.default_rng(0)
    for w in range(1, 7):
        for wave, p in (("baseline", 0.5), ("interim", 0.8)):
            for _ in range(20):
                rows.append({"worker_id": f"w{w}", "wave": wave, "on_time": rng.random() < p})
    rows += [{"worker_id": "w7", "wave": "baseline", "on_time": False}] * 20
    v = pd.DataFrame(rows)
    c = stats.gee_change(v, "baseline", "interim")
    assert c.workers == 6
    assert c.visits_before == 120 and c.visits_after == 120
    # with no worker effect and a single binary covariate, the GEE odds ratio equals the
    # crude odds ratio of the pooled 2x2 table (hand check from the pooled counts)
    b = v[(v.wave == "baseline") & (v.worker_id != "w7")].on_time
    a = v[v.wave == "interim"].on_time
    crude = (a.mean() / (1 - a.mean())) / (b.mean() / (1 - b.mean()))
    assert c.odds_ratio == pytest.approx(crude, rel=0.05)
    assert c.or_low < c.odds_ratio < c.or_high


def test_paired_worker_difference_by_hand():
    # differences after - before: 0.1, 0.3, 0.2 -> mean 0.2, sd 0.1, se 0.0577; t(2, .975) = 4.3027
    pw = pd.DataFrame(
        {"worker_id": ["a", "b", "c"] * 2, "wave": ["b"] * 3 + ["i"] * 3, "share": [0.5, 0.4, 0.6, 0.6, 0.7, 0.8]}
    )
    n, m, lo, hi = stats.paired_worker_difference(pw, "b", "i")
    assert n == 3 and m == pytest.approx(0.2)
    assert lo == pytest.approx(0.2 - 4.3027 * 0.1 / math.sqrt(3), abs=1e-4)
    assert hi == pytest.approx(0.2 + 4.3027 * 0.1 / math.sqrt(3), abs=1e-4)
