"""Statistics suited to a pilot this small: Wilson intervals, paired before/after comparisons
within workers, and red / amber / green ratings from intervals. Every result is indicative.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint


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


@dataclass(frozen=True)
class PairedChange:
    """Change in the visit-level on-time rate between two waves within the same workers."""

    workers: int
    visits_before: int
    visits_after: int
    rate_before: float
    rate_after: float
    odds_ratio: float
    or_low: float
    or_high: float
    p_value: float
    method: str


def gee_change(visits: pd.DataFrame, before: str, after: str, confidence: float = 0.95) -> PairedChange:
    """Visit-level GEE logistic regression of on-time write-up on wave, clustered by worker
    (exchangeable working correlation), over workers seen at both waves. Paired, never an
    independent-samples test.

    ``visits`` has columns ``worker_id``, ``wave`` and boolean ``on_time``.
    """
    import statsmodels.formula.api as smf
    from statsmodels.genmod.cov_struct import Exchangeable
    from statsmodels.genmod.families import Binomial

    v = visits[visits["wave"].isin([before, after])].copy()
    both = set(v.loc[v["wave"] == before, "worker_id"]) & set(v.loc[v["wave"] == after, "worker_id"])
    v = v[v["worker_id"].isin(both)].copy()
    v["after"] = (v["wave"] == after).astype(int)
    v["y"] = v["on_time"].astype(int)
    nb, na = int((v["after"] == 0).sum()), int((v["after"] == 1).sum())
    rb = float(v.loc[v["after"] == 0, "y"].mean()) if nb else math.nan
    ra = float(v.loc[v["after"] == 1, "y"].mean()) if na else math.nan
    nan = PairedChange(
        len(both), nb, na, rb, ra, math.nan, math.nan, math.nan, math.nan, "GEE logistic, worker clusters"
    )
    if len(both) < 2 or v["y"].nunique() < 2:
        return nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = smf.gee(
            "y ~ after",
            groups="worker_id",
            data=v.sort_values("worker_id"),
            family=Binomial(),
            cov_struct=Exchangeable(),
        ).fit()
    b = float(res.params["after"])
    lo, hi = res.conf_int(alpha=1 - confidence).loc["after"]
    return PairedChange(
        len(both),
        nb,
        na,
        rb,
        ra,
        math.exp(b),
        math.exp(lo),
        math.exp(hi),
        float(res.pvalues["after"]),
        "GEE logistic, worker clusters",
    )


def paired_worker_difference(
    per_worker: pd.DataFrame, before: str, after: str, confidence: float = 0.95
) -> tuple[int, float, float, float]:
    """Mean within-worker change in on-time share (after - before) with a t interval, over
    workers seen at both waves. ``per_worker`` has columns ``worker_id``, ``wave``, ``share``.

    Returns (workers, mean difference, low, high).
    """
    from scipy import stats as st

    wide = per_worker.pivot_table(index="worker_id", columns="wave", values="share")
    if before not in wide or after not in wide:
        return 0, math.nan, math.nan, math.nan
    d = (wide[after] - wide[before]).dropna().to_numpy()
    n = len(d)
    if n < 2:
        return n, float(d.mean()) if n else math.nan, math.nan, math.nan
    m, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(n))
    t = st.t.ppf(0.5 + confidence / 2, n - 1)
    return n, m, m - t * se, m + t * se
