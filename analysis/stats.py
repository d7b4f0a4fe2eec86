"""Statistics suited to a pilot this small: Wilson intervals, intervals for visit-level shares that
allow for clustering by worker, the paired (within-worker) before/after change in a share, and red /
amber / green ratings from intervals. Every result is indicative.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as st
from statsmodels.stats.proportion import proportion_confint

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20210301  # fixed: the same data always give the same interval


@dataclass(frozen=True)
class Proportion:
    k: int
    n: int
    estimate: float
    low: float
    high: float
    confidence: float


def wilson(k: int, n: int, confidence: float = 0.95) -> Proportion:
    """A proportion with its Wilson score interval.

    Hand calculation (z = 1.96): centre 0.2711, half-width 0.1811, so 0.0900 to 0.4521.

    >>> p = wilson(4, 18)
    >>> round(p.estimate, 4), round(p.low, 4), round(p.high, 4)
    (0.2222, 0.09, 0.4521)
    """
    if n == 0:
        return Proportion(k, n, math.nan, math.nan, math.nan, confidence)
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    return Proportion(int(k), int(n), k / n, float(low), float(high), confidence)


def wilson_bounds(p: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for an observed share ``p`` out of a (possibly fractional) ``n``.

    The effective sample size of a clustered sample is rarely a whole number, so this is the
    formula itself: centre (p + z²/2n) / (1 + z²/n), half-width z / (1 + z²/n) · √(p(1-p)/n + z²/4n²).

    >>> [round(b, 4) for b in wilson_bounds(4 / 18, 18)]
    [0.09, 0.4521]
    """
    z = float(st.norm.ppf(0.5 + confidence / 2))
    shrink = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / shrink
    half = z / shrink * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


# -- visit-level shares, clustered by worker ---------------------------------------------------


@dataclass(frozen=True)
class ClusteredProportion(Proportion):
    """A share of visits (``k`` of ``n``) made by ``workers`` workers, with an interval that allows
    for clustering: ``n_eff`` = ``n`` / ``deff``. ``censored`` visits (not yet due at the extract)
    are outside ``n``."""

    workers: int = 0
    deff: float = math.nan
    n_eff: float = math.nan
    censored: int = 0
    method: str = ""


CLUSTERED_METHOD = "Wilson interval on the effective sample size (visits / design effect, worker clusters)"


def _counts(on_time: ArrayLike, visits: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    k = np.asarray(on_time, dtype=float)
    m = np.asarray(visits, dtype=float)
    if k.shape != m.shape or (k < 0).any() or (k > m).any():
        raise ValueError("per-worker counts need 0 <= on time <= visits for every worker")
    keep = m > 0
    return k[keep], m[keep]


def design_effect(on_time: ArrayLike, visits: ArrayLike) -> float:
    """Design effect of a share of visits clustered in workers: the cluster-robust (linearised
    ratio-estimator) variance over the simple binomial variance, never below 1.

    With G workers, worker i having k_i of m_i visits on time, n = Σm_i and p = Σk_i / n:
    v_cluster = G / (G - 1) · Σ(k_i - p·m_i)² / n², v_binomial = p(1 - p) / n. An estimate below 1
    from about twenty clusters is noise, so the design effect is floored at 1: the interval is never
    narrower than the visit-level Wilson interval. When every visit is on time (or none is), or there
    is one worker, the variance ratio is undefined; the design effect is then the mean visits per
    worker, as if all visits of a worker were one observation (intra-worker correlation 1).

    >>> design_effect([2, 0], [2, 2])  # p = 0.5: v_cluster = 2·(1² + 1²)/16 = 0.25, v_binomial = 0.0625
    4.0
    """
    k, m = _counts(on_time, visits)
    g, n = len(m), m.sum()
    if n == 0:
        return math.nan
    p = k.sum() / n
    if g < 2 or p in (0.0, 1.0):
        return float(n / g)
    v_cluster = g / (g - 1) * float(((k - p * m) ** 2).sum()) / n**2
    return float(max(1.0, v_cluster / (p * (1 - p) / n)))


def clustered_share(
    on_time: ArrayLike, visits: ArrayLike, confidence: float = 0.95, censored: int = 0
) -> ClusteredProportion:
    """A share of visits with an interval that allows for clustering by worker: the headline.

    ``on_time`` and ``visits`` are per-worker counts. The interval is the Wilson score interval
    at the effective sample size n / deff (:func:`design_effect`). Why this rather than the
    bootstrap over workers (:func:`bootstrap_share`, kept as a check): with about twenty workers a
    percentile bootstrap is too narrow (its variance is (G - 1)/G of the cluster variance and its
    tails are ragged), it collapses to a single point when every visit is on time, and it depends
    on random draws; the design-effect Wilson interval is closed-form, stays inside 0-100%, keeps
    Wilson's good coverage for small samples, and can be checked by hand.

    Hand calculation: deff 4 (see :func:`design_effect`), n_eff 1, Wilson for 0.5 of 1 with
    z = 1.96: centre 0.5, half-width 1.96 / 4.8415 · √(0.25 + 0.9604) = 0.4454.

    >>> c = clustered_share([2, 0], [2, 2])
    >>> c.k, c.n, c.workers, c.deff, c.n_eff, round(c.low, 4), round(c.high, 4)
    (2, 4, 2, 4.0, 1.0, 0.0546, 0.9454)
    """
    k, m = _counts(on_time, visits)
    kk, n = int(k.sum()), int(m.sum())
    if n == 0:
        return ClusteredProportion(
            0, 0, math.nan, math.nan, math.nan, confidence, 0, math.nan, math.nan, censored, CLUSTERED_METHOD
        )
    deff = design_effect(k, m)
    low, high = wilson_bounds(kk / n, n / deff, confidence)
    return ClusteredProportion(kk, n, kk / n, low, high, confidence, len(m), deff, n / deff, censored, CLUSTERED_METHOD)


def bootstrap_share(
    on_time: ArrayLike,
    visits: ArrayLike,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """Percentile interval of the pooled share from a bootstrap over workers (whole workers are
    drawn with replacement, each with all their visits). Deterministic for a given ``seed``.

    >>> bootstrap_share([1, 1], [1, 1])  # every resample has every visit on time
    (1.0, 1.0)
    """
    k, m = _counts(on_time, visits)
    if m.sum() == 0:
        return math.nan, math.nan
    g = len(m)
    draws = np.random.default_rng(seed).multinomial(g, np.full(g, 1 / g), size=resamples)
    shares = (draws @ k) / (draws @ m)
    low, high = np.quantile(shares, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


# -- linkage of workers between two waves --------------------------------------------------------


@dataclass(frozen=True)
class Linkage:
    """Which workers seen at ``after`` were also seen at ``before`` (the paired analysis uses only
    those). ``estimable`` needs at least 2 linked workers; ``partial`` flags linkage of under
    half the workers at ``after``; ``reason`` says why the change cannot be estimated and
    ``note`` warns about partial linkage (both empty when there is nothing to say)."""

    before: str
    after: str
    workers_before: int
    workers_after: int
    linked: int
    estimable: bool
    partial: bool
    reason: str
    note: str

    def describe(self, count: Callable[[int], str] = str) -> tuple[str, str]:
        """(reason, note) with each count of workers written by ``count`` (e.g. the disclosure
        step's formatter, so that a count under the threshold reads "<10")."""
        return _linkage_text(self.before, self.after, self.workers_before, self.workers_after, self.linked, count)


def _linkage_text(before: str, after: str, nb: int, na: int, linked: int, fmt: Callable[[int], str]) -> tuple[str, str]:
    head = f"{fmt(linked)} of {fmt(na)} workers at {after} match a worker at {before}"
    cannot = "so the within-worker change cannot be estimated"
    if not nb or not na:
        return f"no countable visits at {before if not nb else after}, {cannot}", ""
    if linked == 0:
        return f"{head}: the local authority may have re-issued pseudonyms, {cannot}", ""
    if linked < 2:
        return f"{head}: at least 2 workers seen at both waves are needed, {cannot}", ""
    if linked < na / 2:
        note = f"{head} (under half): the change covers those workers only; were some pseudonyms re-issued?"
        return "", note
    return "", ""


def linkage(before_ids: Iterable, after_ids: Iterable, before: str, after: str) -> Linkage:
    """Match workers between two waves by identifier.

    >>> lk = linkage(["a", "b"], ["x", "y", "z"], "baseline", "interim")
    >>> lk.estimable, lk.reason.split(":")[0]
    (False, '0 of 3 workers at interim match a worker at baseline')
    """
    b, a = set(before_ids), set(after_ids)
    linked = len(a & b)
    reason, note = _linkage_text(before, after, len(b), len(a), linked, str)
    return Linkage(before, after, len(b), len(a), linked, not reason, bool(a) and linked < len(a) / 2, reason, note)


# -- the paired change in a share: the headline ----------------------------------------------------


@dataclass(frozen=True)
class PercentagePointChange:
    """The change in the pooled on-time share (after - before, as a proportion: 0.05 is 5
    percentage points) over workers seen at both waves, with its interval. When ``estimable`` is
    False the numbers are NaN and ``reason`` says why."""

    estimable: bool
    reason: str
    linkage: Linkage
    workers: int
    visits_before: int
    on_time_before: int
    visits_after: int
    on_time_after: int
    rate_before: float
    rate_after: float
    difference: float
    low: float
    high: float
    confidence: float
    method: str


PP_METHOD = (
    "difference in pooled on-time shares over workers seen at both waves; cluster-robust variance "
    "(worker clusters, G/(G-1) correction), t interval with G-1 degrees of freedom"
)


def _paired_counts(visits: pd.DataFrame, before: str, after: str, names: tuple[str, str] | None):
    v = visits[visits["wave"].isin([before, after])]
    ids = {w: v.loc[v["wave"] == w, "worker_id"].unique() for w in (before, after)}
    nb, na = names or (before, after)
    link = linkage(ids[before], ids[after], nb, na)
    both = v[v["worker_id"].isin(set(ids[before]) & set(ids[after]))]
    per = (
        both.assign(y=both["on_time"].astype(bool).astype(int))
        .groupby(["worker_id", "wave"], observed=True)["y"]
        .agg(k="sum", m="size")
        .unstack("wave", fill_value=0)
    )
    return link, per


def pp_change(
    visits: pd.DataFrame,
    before: str,
    after: str,
    confidence: float = 0.95,
    names: tuple[str, str] | None = None,
) -> PercentagePointChange:
    """Percentage-point change in the share of visits on time between two waves, paired within
    worker: only workers seen at both waves count, and each worker's visits at both waves stay
    together in the variance (so their correlation is allowed for).

    ``visits`` has columns ``worker_id``, ``wave`` and boolean ``on_time``, and holds only
    countable visits (not those still not yet due at the extract). ``names`` are the wave names
    used in messages (default: the ids).

    With G linked workers, worker i with k_bi of m_bi visits on time before and k_ai of m_ai after,
    p_b = Σk_bi / Σm_bi, p_a likewise, d = p_a - p_b; the linearised (cluster-robust) variance is
    G/(G-1) · Σ z_i², z_i = (k_ai - p_a m_ai)/Σm_ai - (k_bi - p_b m_bi)/Σm_bi, and the interval is
    d ± t(G-1) · √var, kept within -1 to 1.
    """
    link, per = _paired_counts(visits, before, after, names)
    if not link.estimable:
        nan = math.nan
        return PercentagePointChange(
            False, link.reason, link, link.linked, 0, 0, 0, 0, nan, nan, nan, nan, nan, confidence, PP_METHOD
        )
    kb, mb = per[("k", before)].to_numpy(float), per[("m", before)].to_numpy(float)
    ka, ma = per[("k", after)].to_numpy(float), per[("m", after)].to_numpy(float)
    g = len(per)
    pb, pa = float(kb.sum() / mb.sum()), float(ka.sum() / ma.sum())
    z = (ka - pa * ma) / ma.sum() - (kb - pb * mb) / mb.sum()
    se = math.sqrt(g / (g - 1) * float((z**2).sum()))
    t = float(st.t.ppf(0.5 + confidence / 2, g - 1))
    d = pa - pb
    return PercentagePointChange(
        True,
        "",
        link,
        g,
        int(mb.sum()),
        int(kb.sum()),
        int(ma.sum()),
        int(ka.sum()),
        pb,
        pa,
        d,
        max(-1.0, d - t * se),
        min(1.0, d + t * se),
        confidence,
        PP_METHOD,
    )


# -- the odds ratio beside it: GEE with a small-sample correction --------------------------------


@dataclass(frozen=True)
class GeeChange:
    """The odds ratio of an on-time write-up after vs before, from a GEE logistic model with worker
    clusters over workers seen at both waves. ``covariance`` names the small-sample correction."""

    estimable: bool
    reason: str
    workers: int
    visits_before: int
    on_time_before: int
    visits_after: int
    on_time_after: int
    rate_before: float
    rate_after: float
    odds_ratio: float
    or_low: float
    or_high: float
    p_value: float
    confidence: float
    method: str
    covariance: str


GEE_METHOD = "GEE logistic, worker clusters, independence working correlation"
GEE_COVARIANCE = "bias-reduced (Mancl and DeRouen 2001) sandwich covariance, statsmodels cov_type='bias_reduced'"


def gee_change(
    visits: pd.DataFrame, before: str, after: str, confidence: float = 0.95, names: tuple[str, str] | None = None
) -> GeeChange:
    """Visit-level GEE logistic regression of on-time write-up on wave, clustered by worker, over
    workers seen at both waves: the odds ratio beside the headline :func:`pp_change`. Paired,
    never an independent-samples test.

    The working correlation is independence, so the odds ratio is that of the same two pooled
    shares as the headline (an exchangeable one would re-weight workers, and its correlation is
    poorly estimated from about twenty clusters); the clustering enters through the sandwich
    covariance, with Mancl and DeRouen's bias reduction because the robust covariance is too small
    with few clusters.

    ``visits`` has columns ``worker_id``, ``wave`` and boolean ``on_time`` (countable visits only).
    """
    import statsmodels.formula.api as smf
    from statsmodels.genmod.cov_struct import Independence
    from statsmodels.genmod.families import Binomial

    link, per = _paired_counts(visits, before, after, names)
    nan = math.nan
    if not link.estimable:
        return GeeChange(
            False,
            link.reason,
            link.linked,
            0,
            0,
            0,
            0,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            confidence,
            GEE_METHOD,
            GEE_COVARIANCE,
        )
    kb, mb = int(per[("k", before)].sum()), int(per[("m", before)].sum())
    ka, ma = int(per[("k", after)].sum()), int(per[("m", after)].sum())
    counts = (link.linked, mb, kb, ma, ka, kb / mb, ka / ma)
    nb, na = names or (before, after)
    for name, k, m in ((nb, kb, mb), (na, ka, ma)):
        if k in (0, m):
            which = "on time" if k == m else "late"
            reason = f"every visit at {name} was {which}, so the odds ratio is not finite"
            return GeeChange(False, reason, *counts, nan, nan, nan, nan, confidence, GEE_METHOD, GEE_COVARIANCE)
    v = visits[visits["wave"].isin([before, after]) & visits["worker_id"].isin(per.index)]
    v = v.assign(after=(v["wave"] == after).astype(int), y=v["on_time"].astype(bool).astype(int))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = smf.gee(
                "y ~ after",
                groups="worker_id",
                data=v.sort_values("worker_id", kind="stable"),
                family=Binomial(),
                cov_struct=Independence(),
            ).fit(cov_type="bias_reduced")
        b = float(res.params["after"])
        lo, hi = (float(x) for x in res.conf_int(alpha=1 - confidence).loc["after"])
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError) as exc:
        b = lo = hi = math.nan
        failure = f"the GEE model could not be fitted ({type(exc).__name__}: {exc})"
    else:
        failure = "" if all(map(math.isfinite, (b, lo, hi))) else "the GEE model gave no finite interval"
    if failure:
        return GeeChange(False, failure, *counts, nan, nan, nan, nan, confidence, GEE_METHOD, GEE_COVARIANCE)
    return GeeChange(
        True,
        "",
        *counts,
        math.exp(b),
        math.exp(lo),
        math.exp(hi),
        float(res.pvalues["after"]),
        confidence,
        GEE_METHOD,
        GEE_COVARIANCE,
    )


# -- ratings -------------------------------------------------------------------------------------


def rag(low: float, high: float, threshold: float) -> str:
    """Red / amber / green from an interval against a threshold.

    Green if the lower bound clears the threshold, amber if the interval spans it, red if the
    upper bound is below it; "not yet measurable" when there is no interval.

    >>> rag(0.32, 0.6, 0.3), rag(0.2, 0.45, 0.3), rag(0.05, 0.25, 0.3)
    ('green', 'amber', 'red')
    """
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "not yet measurable"
    if low >= threshold:
        return "green"
    if high < threshold:
        return "red"
    return "amber"
