"""Indicators from the tidy tables: pure functions, tidy tables in, small tables out."""

from __future__ import annotations

import pandas as pd

from analysis.config import Study
from analysis.stats import Proportion, wilson


def social_workers(workers: pd.DataFrame) -> pd.DataFrame:
    """Take-up is measured among social workers (the protocol's denominator)."""
    return workers[workers["role"] == "social worker"]


def take_up(workers: pd.DataFrame, study: Study) -> Proportion:
    """Share of social workers on a 4-day week or 9-day fortnight, with a Wilson interval.

    >>> import pandas as pd
    >>> from analysis.config import load_study
    >>> w = pd.DataFrame({"role": ["social worker"] * 4 + ["team manager"],
    ...                   "working_pattern": ["4-day week", "standard", "9-day fortnight", "standard", "4-day week"]})
    >>> p = take_up(w, load_study())
    >>> p.k, p.n
    (2, 4)
    """
    sw = social_workers(workers)
    k = int(sw["working_pattern"].isin(study.flexible_patterns).sum())
    return wilson(k, len(sw), study.thresholds["confidence"])


def pattern_split(workers: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Among social workers who took up a flexible pattern: how many on each pattern."""
    sw = social_workers(workers)
    takers = sw[sw["working_pattern"].isin(study.flexible_patterns)]
    counts = takers["working_pattern"].value_counts().reindex(list(study.flexible_patterns), fill_value=0)
    out = counts.rename_axis("pattern").reset_index(name="workers")
    out["share"] = out["workers"] / max(len(takers), 1)
    return out


def consistent_use(workers: pd.DataFrame, study: Study) -> Proportion:
    """Share of social workers on a flexible pattern who took at least the adherence threshold
    (50%) of their planned flexible days in the past month.
    """
    sw = social_workers(workers)
    takers = sw[sw["working_pattern"].isin(study.flexible_patterns) & (sw["planned_flex_days_last_month"] > 0)]
    ratio = takers["flex_days_taken_last_month"] / takers["planned_flex_days_last_month"]
    k = int((ratio >= study.thresholds["adherence"]).sum())
    return wilson(k, len(takers), study.thresholds["confidence"])


def on_time(visits: pd.DataFrame, hours: float) -> pd.Series:
    """True when the write-up is within ``hours`` of the visit. A write-up still outstanding at
    the extract is counted as not on time (assumptions log).
    """
    delay = visits["writeup_datetime"] - visits["visit_datetime"]
    return (delay <= pd.Timedelta(hours=hours)).fillna(False).astype(bool)


def timeliness(visits: pd.DataFrame, study: Study) -> Proportion:
    """Share of case-visit write-ups within the threshold (48 hours), with a Wilson interval."""
    ok = on_time(visits, study.thresholds["writeup_hours"])
    return wilson(int(ok.sum()), len(ok), study.thresholds["confidence"])


def timeliness_by_worker(visits: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Per worker: visits, on-time write-ups and the on-time share (never printed as such)."""
    v = visits.assign(on_time=on_time(visits, study.thresholds["writeup_hours"]))
    g = v.groupby("worker_id")["on_time"].agg(visits="size", on_time="sum").reset_index()
    g["share"] = g["on_time"] / g["visits"]
    return g
