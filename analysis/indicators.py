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


# -- survey ------------------------------------------------------------------------------------

STICK_CONSISTENT = ("Always / every week", "Often / most weeks", "Around half the time")
LIKERT_ITEMS = {
    "q10_work_life_balance": "Work-life balance",
    "q11_motivation": "Motivation at work",
    "q12_autonomy": "Sense of autonomy",
    "q13_productivity": "Productivity",
}
LIKERT_LABELS = ["Much worse", "Somewhat worse", "About the same", "Somewhat better", "Much better"]
Q9_REASONS = {
    "q9_workload": "Workload",
    "q9_manager": "Unable to agree time with manager",
    "q9_coworkers_leave": "Co-workers on leave",
    "q9_other": "Other reason",
}


def consistent_use_survey(survey: pd.DataFrame, study: Study) -> Proportion:
    """Survey Q8 among respondents who took up the offer (Q4 = Yes): sticking to plans at least
    around half the time counts as consistent use (at least 50% of planned uses)."""
    takers = survey[survey["q4_taken_up"].astype("string") == "Yes"]
    answered = takers["q8_stick_to_plans"].dropna().astype(str)
    k = int(answered.isin(STICK_CONSISTENT).sum())
    return wilson(k, len(answered), study.thresholds["confidence"])


def take_up_survey(survey: pd.DataFrame, study: Study) -> Proportion:
    """Survey Q4: respondents who say they took up the offer, among those who answered Q4."""
    answered = survey["q4_taken_up"].dropna().astype(str)
    return wilson(int((answered == "Yes").sum()), len(answered), study.thresholds["confidence"])


def likert_counts(survey: pd.DataFrame) -> pd.DataFrame:
    """Q10-Q13: respondents per item and answer (1 = much worse ... 5 = much better); a long
    table ``item, answer, label, respondents``."""
    rows = []
    for col, item in LIKERT_ITEMS.items():
        values = survey[col].dropna().astype(int)
        for answer, label in enumerate(LIKERT_LABELS, start=1):
            rows.append({"item": item, "answer": answer, "label": label, "respondents": int((values == answer).sum())})
    return pd.DataFrame(rows)


def q9_reasons(survey: pd.DataFrame) -> pd.DataFrame:
    """Q9: how many respondents gave each reason for not sticking to compressed hours."""
    answered = survey[[c for c in Q9_REASONS]].any(axis=1)
    rows = [
        {"reason": label, "respondents": int(survey[col].fillna(False).astype(bool).sum())}
        for col, label in Q9_REASONS.items()
    ]
    out = pd.DataFrame(rows)
    out.attrs["answered"] = int(answered.sum())
    return out


def banded(values: pd.Series, edges: list[float], labels: list[str]) -> pd.DataFrame:
    """Counts in bands (never the raw values, minima or maxima of individuals)."""
    cut = pd.cut(values.dropna(), bins=edges, labels=labels, right=False, include_lowest=True)
    return cut.value_counts().reindex(labels, fill_value=0).rename_axis("band").reset_index(name="respondents")
