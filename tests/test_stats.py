import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint

from analysis import stats

Z = 1.959963985  # standard normal 97.5% point


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
    # the formula for fractional n gives the same at whole n
    assert stats.wilson_bounds(k / n, n) == pytest.approx((low, high), abs=6e-5)


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


# -- clustered share -------------------------------------------------------------------------------


def simulated_workers(seed: int, workers: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Per-worker (on time, visits) with a strong worker effect, so that the design effect is > 1."""
    rng = np.random.default_rng(seed)
    m = rng.integers(3, 15, workers)
    p = rng.beta(2, 2, workers)
    return rng.binomial(m, p), m


def test_clustered_share_by_hand():
    # workers (on time, visits): (4, 4), (0, 4), (2, 4); n = 12, p = 0.5
    # residuals k - p m: 2, -2, 0 -> sum of squares 8; v_cluster = 3/2 * 8 / 144 = 0.083333
    # v_binomial = 0.25 / 12 = 0.020833 -> deff = 4, n_eff = 3
    # Wilson for 0.5 of 3: shrink 1 + 3.841459/3 = 2.280486, centre 0.5,
    # half-width 1.959964 / 2.280486 * sqrt(0.25/3 + 3.841459/36) = 0.859452 * 0.435936 = 0.374669
    c = stats.clustered_share([4, 0, 2], [4, 4, 4])
    assert (c.k, c.n, c.workers) == (6, 12, 3)
    assert c.deff == pytest.approx(4.0) and c.n_eff == pytest.approx(3.0)
    assert (c.low, c.high) == pytest.approx((0.5 - 0.374669, 0.5 + 0.374669), abs=1e-5)
    assert "design effect" in c.method


def test_design_effect_matches_statsmodels_cluster_robust_variance():
    # independent computation: the cluster-robust (CR1) variance of the mean from an intercept-only OLS,
    # whose small-sample factor is G/(G-1) * (N-1)/(N-K) = G/(G-1) with K = 1
    k, m = simulated_workers(1)
    y = np.concatenate([[1.0] * ki + [0.0] * (mi - ki) for ki, mi in zip(k, m, strict=True)])
    groups = np.repeat(np.arange(len(m)), m)
    fit = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    p, n = y.mean(), len(y)
    expected = fit.bse[0] ** 2 / (p * (1 - p) / n)
    assert expected > 1.5  # the simulated worker effect is strong: the test would notice a floor at 1
    assert stats.design_effect(k, m) == pytest.approx(expected, rel=1e-9)
    c = stats.clustered_share(k, m)
    assert (c.low, c.high) == pytest.approx(stats.wilson_bounds(p, n / expected), rel=1e-9)


def test_design_effect_below_one_is_floored_so_the_interval_is_the_visit_wilson():
    # baseline of the back test: (2, 3), (2, 3), (1, 2), (1, 2); p = 0.6, residuals .2 .2 -.2 -.2
    # v_cluster = 4/3 * 0.16 / 100 = 0.002133 < v_binomial = 0.024 -> deff 1
    c = stats.clustered_share([2, 2, 1, 1], [3, 3, 2, 2])
    assert c.deff == 1.0
    assert (c.low, c.high) == pytest.approx(proportion_confint(6, 10, method="wilson"), abs=1e-12)


def test_all_on_time_treats_each_worker_as_one_observation():
    # p = 1: no variance to estimate clustering from; deff = mean visits per worker (12 / 3 = 4),
    # n_eff = 3 workers: the Wilson interval for 3 of 3 (statsmodels, independent)
    c = stats.clustered_share([5, 4, 3], [5, 4, 3])
    assert c.deff == pytest.approx(4.0) and c.estimate == 1.0
    assert (c.low, c.high) == pytest.approx(proportion_confint(3, 3, method="wilson"), abs=1e-12)


def test_clustered_share_is_wider_than_the_visit_wilson_when_workers_differ():
    k, m = simulated_workers(2)
    c = stats.clustered_share(k, m)
    plain = stats.wilson(int(k.sum()), int(m.sum()))
    assert c.low < plain.low and c.high > plain.high


def test_clustered_share_rejects_impossible_counts_and_handles_no_visits():
    with pytest.raises(ValueError, match="on time <= visits"):
        stats.clustered_share([3], [2])
    c = stats.clustered_share([], [])
    assert c.n == 0 and math.isnan(c.estimate) and math.isnan(c.low)


# -- bootstrap over workers (the check beside the headline) ---------------------------------------


def test_bootstrap_two_workers_enumerated_by_hand():
    # a: 1 of 2, b: 4 of 4. Resamples of 2 workers: {a,a} 1/4 -> 0.5, {a,b} 1/2 -> 5/6, {b,b} 1/4 -> 1.0
    # so the 2.5% and 97.5% points are 0.5 and 1.0
    assert stats.bootstrap_share([1, 4], [2, 4]) == (0.5, 1.0)


def test_bootstrap_ten_single_visit_workers_is_binomial():
    # 10 workers with one visit each, 5 on time: a resample's on-time count is Binomial(10, 1/2)
    # P(X <= 1) = 11/1024 = 0.011 < 0.025 < P(X <= 2) = 56/1024 = 0.055, so the 2.5% point is 2/10;
    # by symmetry the 97.5% point is 8/10 (Monte Carlo margin: about 6 standard errors each side)
    assert stats.bootstrap_share([1] * 5 + [0] * 5, [1] * 10) == pytest.approx((0.2, 0.8))


def test_bootstrap_is_deterministic_and_close_to_the_headline():
    k, m = simulated_workers(3)
    first = stats.bootstrap_share(k, m)
    assert stats.bootstrap_share(k, m) == first
    assert stats.bootstrap_share(k, m, seed=1) != first
    c = stats.clustered_share(k, m)
    assert first[0] < c.estimate < first[1]
    # the two clustered intervals agree to within a few points (the bootstrap is a little narrower)
    assert first == pytest.approx((c.low, c.high), abs=0.04)


# -- linkage ----------------------------------------------------------------------------------------


def test_reissued_pseudonyms_cannot_be_estimated():
    lk = stats.linkage([f"w{i}" for i in range(21)], [f"x{i}" for i in range(21)], "baseline", "interim")
    assert (lk.estimable, lk.linked, lk.workers_before, lk.workers_after, lk.partial) == (False, 0, 21, 21, True)
    assert lk.reason == (
        "0 of 21 workers at interim match a worker at baseline: the local authority may have re-issued "
        "pseudonyms, so the within-worker change cannot be estimated"
    )


def test_one_linked_worker_is_not_enough():
    lk = stats.linkage(["a", "b"], ["a", "x", "y"], "baseline", "interim")
    assert not lk.estimable and lk.reason.startswith("1 of 3 workers at interim match a worker at baseline")
    assert "at least 2" in lk.reason


@pytest.mark.parametrize("linked,partial", [(5, True), (6, False)])
def test_partial_linkage_is_flagged_under_half(linked, partial):
    after = [f"w{i}" for i in range(linked)] + [f"new{i}" for i in range(12 - linked)]
    lk = stats.linkage([f"w{i}" for i in range(12)], after, "baseline", "interim")
    assert lk.estimable and lk.reason == "" and lk.partial is partial
    assert lk.note.startswith(f"{linked} of 12 workers at interim") if partial else lk.note == ""


def test_linkage_counts_can_be_written_by_the_disclosure_formatter():
    lk = stats.linkage(["a", "b", "c"], ["a", "x", "y", "z"], "baseline", "interim")
    reason, note = lk.describe(lambda n: "<10" if n < 10 else str(n))
    assert reason.startswith("<10 of <10 workers at interim match a worker at baseline: at least 2")
    assert note == "" and (reason, note) != (lk.reason, lk.note)


def test_a_wave_without_visits_cannot_be_estimated():
    lk = stats.linkage(["a", "b"], [], "baseline", "interim")
    assert not lk.estimable and lk.reason.startswith("no countable visits at interim")


# -- the paired percentage-point change ------------------------------------------------------------


def visits_from(counts: dict[str, tuple[int, int, int, int]], before: str = "b", after: str = "a") -> pd.DataFrame:
    """Visits from per-worker (on time before, visits before, on time after, visits after)."""
    rows = []
    for w, (kb, mb, ka, ma) in counts.items():
        rows += [{"worker_id": w, "wave": before, "on_time": i < kb} for i in range(mb)]
        rows += [{"worker_id": w, "wave": after, "on_time": i < ka} for i in range(ma)]
    return pd.DataFrame(rows)


HAND = {"a": (1, 2, 2, 2), "b": (2, 4, 3, 4), "c": (1, 2, 1, 2)}


def test_pp_change_by_hand():
    # before 4 of 8 = 0.5, after 6 of 8 = 0.75, d = 0.25
    # z_i = (k_ai - 0.75 m_ai)/8 - (k_bi - 0.5 m_bi)/8: a 0.0625, b 0, c -0.0625
    # var = 3/2 * (2 * 0.0625^2) = 0.01171875, se = 0.1082532; t(2, 0.975) = 4.302653
    # half-width 4.302653 * 0.1082532 = 0.465776: interval -0.215776 to 0.715776
    c = stats.pp_change(visits_from(HAND), "b", "a")
    assert c.estimable and c.reason == ""
    assert (c.workers, c.visits_before, c.on_time_before, c.visits_after, c.on_time_after) == (3, 8, 4, 8, 6)
    assert (c.rate_before, c.rate_after, c.difference) == pytest.approx((0.5, 0.75, 0.25))
    assert (c.low, c.high) == pytest.approx((-0.215776, 0.715776), abs=1e-6)


def test_pp_change_standard_error_matches_statsmodels_cluster_robust_ols():
    # independent computation: OLS of on-time on an after-wave dummy, worker-clustered (CR1) covariance;
    # its coefficient is the difference of the pooled shares, its variance ours times (N-1)/(N-2)
    rng = np.random.default_rng(4)
    counts = {}
    for i in range(20):
        mb, ma = rng.integers(3, 12, 2)
        p = rng.beta(2, 2)
        counts[f"w{i}"] = (rng.binomial(mb, p), mb, rng.binomial(ma, min(p + 0.1, 1)), ma)
    v = visits_from(counts)
    c = stats.pp_change(v, "b", "a")
    x = sm.add_constant((v["wave"] == "a").astype(float).to_numpy())
    fit = sm.OLS(v["on_time"].astype(float).to_numpy(), x).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(v["worker_id"])[0]}
    )
    n = len(v)
    se = fit.bse[1] / math.sqrt((n - 1) / (n - 2))
    assert c.difference == pytest.approx(fit.params[1], abs=1e-12)
    t = 2.093024  # t(19, 0.975)
    assert (c.low, c.high) == pytest.approx((c.difference - t * se, c.difference + t * se), abs=1e-6)


def test_pp_change_uses_only_workers_seen_at_both_waves():
    only_before = pd.DataFrame([{"worker_id": "z", "wave": "b", "on_time": False}] * 10)
    only_after = pd.DataFrame([{"worker_id": "y", "wave": "a", "on_time": True}] * 10)
    v = pd.concat([visits_from(HAND), only_before, only_after], ignore_index=True)
    c = stats.pp_change(v, "b", "a")
    assert (c.workers, c.visits_before, c.difference) == (3, 8, pytest.approx(0.25))
    assert c.linkage.workers_after == 4 and c.linkage.linked == 3


def test_pp_change_with_reissued_ids_says_why_instead_of_nan_arithmetic():
    v = visits_from(HAND)
    v.loc[v["wave"] == "a", "worker_id"] = "new-" + v.loc[v["wave"] == "a", "worker_id"]
    c = stats.pp_change(v, "b", "a", names=("Baseline", "Interim (3 months)"))
    assert not c.estimable
    assert c.reason.startswith("0 of 3 workers at Interim (3 months) match a worker at Baseline: the local")
    assert math.isnan(c.difference) and math.isnan(c.low)
    assert (c.visits_before, c.on_time_before, c.visits_after, c.on_time_after) == (0, 0, 0, 0)  # ints, not NaN


def test_pp_change_interval_stays_within_minus_one_and_one():
    # before: a 0 of 3, b 1 of 3 -> 1/6; after: a 3 of 3, b 2 of 3 -> 5/6; d = 4/6
    # z_a = (3 - 2.5)/6 - (0 - 0.5)/6 = 1/6, z_b = -1/6; var = 2 * 2/36, se = 1/3; t(1) = 12.706:
    # the raw interval 0.667 -/+ 4.24 is cut to -1 .. 1
    c = stats.pp_change(visits_from({"a": (0, 3, 3, 3), "b": (1, 3, 2, 3)}), "b", "a")
    assert c.difference == pytest.approx(4 / 6)
    assert (c.low, c.high) == (-1.0, 1.0)


# -- the GEE odds ratio beside it -------------------------------------------------------------------


def mancl_derouen(v: pd.DataFrame, before: str, after: str) -> tuple[float, float]:
    """Independent numpy computation: logistic GEE with independence working correlation (so the
    estimate is the pooled log odds ratio), and the Mancl-DeRouen bias-reduced sandwich variance:
    B = sum X_i' A_i X_i, H_i = A_i X_i B^-1 X_i', meat = sum X_i' (I - H_i)^-1 r_i r_i' (I - H_i)^-T X_i."""
    pb = v.loc[v.wave == before, "on_time"].mean()
    pa = v.loc[v.wave == after, "on_time"].mean()
    b1 = math.log(pa / (1 - pa)) - math.log(pb / (1 - pb))
    bread, parts = np.zeros((2, 2)), []
    for _, g in v.groupby("worker_id"):
        x = np.column_stack([np.ones(len(g)), (g.wave == after).to_numpy(float)])
        mu = np.where(x[:, 1] == 1, pa, pb)
        a = np.diag(mu * (1 - mu))
        bread += x.T @ a @ x
        parts.append((x, a, g.on_time.to_numpy(float) - mu))
    binv = np.linalg.inv(bread)
    meat = np.zeros((2, 2))
    for x, a, r in parts:
        h = a @ x @ binv @ x.T
        s = x.T @ np.linalg.solve(np.eye(len(r)) - h, r)
        meat += np.outer(s, s)
    cov = binv @ meat @ binv
    return b1, math.sqrt(cov[1, 1])


def test_gee_odds_ratio_by_hand_and_bias_reduced_covariance_checked_independently():
    # odds after 0.75/0.25 = 3, before 0.5/0.5 = 1: odds ratio 3 exactly
    v = visits_from(HAND)
    g = stats.gee_change(v, "b", "a")
    assert g.estimable and g.odds_ratio == pytest.approx(3.0)
    b1, se = mancl_derouen(v, "b", "a")
    assert (g.or_low, g.or_high) == pytest.approx((math.exp(b1 - Z * se), math.exp(b1 + Z * se)), rel=1e-6)
    assert "bias_reduced" in g.covariance and "Mancl" in g.covariance


def test_gee_bias_reduced_on_twenty_workers_matches_independent_computation():
    rng = np.random.default_rng(5)
    counts = {}
    for i in range(20):
        mb, ma = rng.integers(4, 12, 2)
        p = rng.beta(3, 2)
        counts[f"w{i:02d}"] = (rng.binomial(mb, p), mb, rng.binomial(ma, min(p + 0.1, 1)), ma)
    v = visits_from(counts)
    g = stats.gee_change(v, "b", "a")
    b1, se = mancl_derouen(v, "b", "a")
    assert math.log(g.odds_ratio) == pytest.approx(b1, rel=1e-6)
    assert math.log(g.or_high) - math.log(g.odds_ratio) == pytest.approx(Z * se, rel=1e-5)


def test_gee_with_reissued_ids_or_no_late_visit_says_why():
    v = visits_from(HAND)
    v.loc[v["wave"] == "a", "worker_id"] = "x" + v.loc[v["wave"] == "a", "worker_id"]
    g = stats.gee_change(v, "b", "a")
    assert not g.estimable and g.reason.startswith("0 of 3 workers at a match a worker at b")
    assert math.isnan(g.odds_ratio)
    all_on_time = stats.gee_change(visits_from({"a": (1, 2, 2, 2), "b": (1, 2, 2, 2)}), "b", "a")
    assert (
        not all_on_time.estimable
        and all_on_time.reason == "every visit at a was on time, so the odds ratio is not finite"
    )
    assert (all_on_time.visits_after, all_on_time.on_time_after) == (4, 4)


def test_gee_that_cannot_be_fitted_says_so(monkeypatch):
    import statsmodels.formula.api as smf

    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(smf, "gee", singular)
    g = stats.gee_change(visits_from(HAND), "b", "a")
    assert not g.estimable and g.reason == "the GEE model could not be fitted (LinAlgError: Singular matrix)"
    assert (g.visits_before, g.on_time_before) == (8, 4) and math.isnan(g.odds_ratio)
