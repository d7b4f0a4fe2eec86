"""Indicators from the tidy tables: pure functions, tidy tables in, small tables out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.config import Study
from analysis.stats import (
    ClusteredProportion,
    GeeChange,
    PercentagePointChange,
    Proportion,
    clustered_share,
    gee_change,
    pp_change,
    wilson,
)


def social_workers(workers: pd.DataFrame) -> pd.DataFrame:
    """Take-up is measured among social workers (the protocol's denominator)."""
    return workers[workers["role"] == "social worker"]


SPELL_COLUMNS = ["worker_id", "pattern", "start", "end"]


def spells_from_workers(workers: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The spells the workers table alone can show: one ongoing spell per worker whose current
    pattern is flexible, from ``pattern_start`` (the launch date when it is empty).

    Used only when a wave has no spells table: it misses everyone who took a pattern up and has
    since stopped, so take-up from it is a lower bound (assumptions log).
    """
    flex = workers[workers["working_pattern"].isin(study.flexible_patterns)]
    start = pd.to_datetime(flex["pattern_start"]) if "pattern_start" in flex else pd.Series(pd.NaT, index=flex.index)
    return pd.DataFrame(
        {
            "worker_id": flex["worker_id"],
            "pattern": flex["working_pattern"],
            "start": start.fillna(pd.Timestamp(study.launch_date)),
            "end": pd.Series(pd.NaT, index=flex.index, dtype="datetime64[ns]"),
        }
    ).reset_index(drop=True)


def _spells(workers: pd.DataFrame, study: Study, spells: pd.DataFrame | None) -> pd.DataFrame:
    return spells_from_workers(workers, study) if spells is None else spells


def _day(value) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def pre_launch_ids(spells: pd.DataFrame, study: Study) -> set[str]:
    """Workers already on compressed hours before launch: on a flexible pattern on the day before
    the launch day (a spell that started by then and had not ended before it)."""
    eve = pd.Timestamp(study.launch_date) - pd.Timedelta(days=1)
    on = (spells["start"] <= eve) & (spells["end"].isna() | (spells["end"] >= eve))
    return set(spells.loc[on, "worker_id"].dropna().astype(str))


def taker_spells(spells: pd.DataFrame, study: Study, cut=None) -> pd.DataFrame:
    """Spells that started between the launch day and the cut date (both included; no cut: any
    time since launch). Anyone with one took the offer up, whether or not they have since stopped."""
    launch = pd.Timestamp(study.launch_date)
    keep = spells["start"] >= launch
    if cut is not None:
        keep &= spells["start"] <= _day(cut)
    return spells[keep]


def _eligible_and_takers(workers, study, spells, cut) -> tuple[pd.DataFrame, pd.Series]:
    """Social workers not already on compressed hours at launch, and whether each took the offer up."""
    sp = _spells(workers, study, spells)
    sw = social_workers(workers)
    eligible = sw[~sw["worker_id"].astype(str).isin(pre_launch_ids(sp, study))]
    took = eligible["worker_id"].astype(str).isin(set(taker_spells(sp, study, cut)["worker_id"].astype(str)))
    return eligible, took


def take_up(workers: pd.DataFrame, study: Study, spells: pd.DataFrame | None = None, cut=None) -> Proportion:
    """Share of social workers who took up either offer (a 4-day week or a 9-day fortnight) at any
    time between launch and ``cut``, including those who have since stopped, with a Wilson interval.

    The denominator is the social workers in the wave's workers table, less those already on
    compressed hours before launch (:func:`pre_launch_users`, reported apart). ``spells`` is the wave's
    spells table (``worker_id, pattern, start, end``); without one, the current-pattern columns
    stand in (:func:`spells_from_workers`). ``cut`` is the wave's cut date (default: none).

    >>> import pandas as pd
    >>> from analysis.config import load_study
    >>> w = pd.DataFrame({"worker_id": ["a", "b", "c", "d", "m"],
    ...                   "role": ["social worker"] * 4 + ["team manager"]})
    >>> sp = pd.DataFrame({"worker_id": ["a", "b", "c", "m"],
    ...                    "pattern": ["4-day week", "9-day fortnight", "4-day week", "4-day week"],
    ...                    "start": pd.to_datetime(["2021-04-01", "2021-04-01", "2020-06-01", "2021-04-01"]),
    ...                    "end": pd.to_datetime(["2021-05-01", None, None, None])})
    >>> p = take_up(w, load_study(), sp, cut="2021-06-01")  # a stopped, b ongoing, c before launch
    >>> p.k, p.n
    (2, 3)
    """
    eligible, took = _eligible_and_takers(workers, study, spells, cut)
    return wilson(int(took.sum()), len(eligible), study.thresholds["confidence"])


def pre_launch_users(workers: pd.DataFrame, study: Study, spells: pd.DataFrame | None = None, cut=None) -> Proportion:
    """Social workers already on compressed hours before launch, of all social workers in the
    wave's workers table: reported apart from take-up (they did not take up the pilot's offer).
    ``cut`` is accepted, and not needed, so that it can stand where :func:`take_up` does."""
    sp = _spells(workers, study, spells)
    sw = social_workers(workers)
    k = int(sw["worker_id"].astype(str).isin(pre_launch_ids(sp, study)).sum())
    return wilson(k, len(sw), study.thresholds["confidence"])


def pattern_split(workers: pd.DataFrame, study: Study, spells: pd.DataFrame | None = None, cut=None) -> pd.DataFrame:
    """Among social workers who took up the offer (as :func:`take_up`): how many took up each
    pattern, by the first pattern they took up after launch (each taker counted once)."""
    eligible, took = _eligible_and_takers(workers, study, spells, cut)
    ids = set(eligible.loc[took, "worker_id"].astype(str))
    sp = taker_spells(_spells(workers, study, spells), study, cut)
    sp = sp[sp["worker_id"].astype(str).isin(ids)].sort_values(["worker_id", "start"], kind="stable")
    first = sp.drop_duplicates("worker_id")["pattern"].astype(str)
    counts = first.value_counts().reindex(list(study.flexible_patterns), fill_value=0)
    out = counts.rename_axis("pattern").reset_index(name="workers")
    out["share"] = out["workers"] / max(len(ids), 1)
    return out


def consistent_use(workers: pd.DataFrame, study: Study, spells: pd.DataFrame | None = None, cut=None) -> Proportion:
    """Share of everyone who took up the offer by ``cut`` (as :func:`take_up`) who still used it
    consistently: still on a flexible pattern at the cut, and took at least the adherence threshold
    (50%) of their planned flexible days in the past month. Someone who has stopped counts as not
    using it consistently, and so does a taker with no planned flexible day in the past month.
    """
    eligible, took = _eligible_and_takers(workers, study, spells, cut)
    takers = eligible[took]
    sp = _spells(workers, study, spells)
    on = sp["end"].isna() if cut is None else (sp["start"] <= _day(cut)) & (sp["end"].isna() | (sp["end"] >= _day(cut)))
    still = takers["worker_id"].astype(str).isin(set(sp.loc[on, "worker_id"].astype(str)))
    planned = takers["planned_flex_days_last_month"].astype("Float64")
    ratio = takers["flex_days_taken_last_month"].astype("Float64") / planned.where(planned > 0)
    ok = still & (ratio >= study.thresholds["adherence"]).fillna(False).astype(bool)
    return wilson(int(ok.sum()), len(takers), study.thresholds["confidence"])


ON_TIME, LATE, NOT_YET_DUE = "on time", "late", "not yet due"
STATUSES = (ON_TIME, LATE, NOT_YET_DUE)


def extract_cut(study: Study, wave: str) -> pd.Timestamp:
    """The moment a wave's extract stands at: the start (00:00) of the wave's date in the study
    config (assumptions log). The visits contract has no extract-time column; if one is added,
    pass its value to :func:`writeup_status` instead."""
    return pd.Timestamp(study.wave(wave).date)


def on_time(visits: pd.DataFrame, hours: float) -> pd.Series:
    """True when the write-up is within ``hours`` of the visit (exactly ``hours`` counts).
    An outstanding write-up is False here; whether it is late or not yet due depends on the
    extract: see :func:`writeup_status`.
    """
    delay = visits["writeup_datetime"] - visits["visit_datetime"]
    return (delay <= pd.Timedelta(hours=hours)).fillna(False).astype(bool)


def writeup_status(visits: pd.DataFrame, hours: float, cut: pd.Timestamp) -> pd.Series:
    """Each visit's write-up at the extract ``cut``: "on time", "late" or "not yet due".

    A write-up made within ``hours`` of the visit is on time, one made later is late (whatever the
    cut: its date is known). An outstanding write-up is late once ``hours`` or more have passed
    between the visit and the cut, and not yet due before that: it could still be on time, so it
    leaves the denominator (assumptions log).

    >>> v = pd.DataFrame({"visit_datetime": pd.to_datetime(["2021-05-30 09:00", "2021-05-29 23:59"]),
    ...                   "writeup_datetime": pd.to_datetime([None, None])})
    >>> writeup_status(v, 48, pd.Timestamp("2021-06-01")).tolist()  # 39h and 48h01 before the cut
    ['not yet due', 'late']
    """
    ok = on_time(visits, hours).to_numpy()
    outstanding = visits["writeup_datetime"].isna().to_numpy()
    young = ((pd.Timestamp(cut) - visits["visit_datetime"]) < pd.Timedelta(hours=hours)).to_numpy()
    codes = np.where(ok, 0, np.where(outstanding & young, 2, 1))
    return pd.Series(pd.Categorical.from_codes(codes, STATUSES), index=visits.index)


def with_writeup_status(visits: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Visits of one or more waves (a ``wave`` column) with ``status`` (:func:`writeup_status` at
    each wave's :func:`extract_cut`) and ``on_time`` columns."""
    hours = study.thresholds["writeup_hours"]
    parts = [
        writeup_status(v, hours, extract_cut(study, str(w)))
        for w, v in visits.groupby("wave", sort=False, observed=True)
    ]
    status = pd.concat(parts).reindex(visits.index) if parts else pd.Series(pd.Categorical([], STATUSES))
    return visits.assign(status=status, on_time=status.eq(ON_TIME))


def _countable(visits: pd.DataFrame, study: Study, cut: pd.Timestamp | None) -> tuple[pd.DataFrame, int]:
    hours = study.thresholds["writeup_hours"]
    if cut is None:
        return visits.assign(on_time=on_time(visits, hours)), 0
    status = writeup_status(visits, hours, cut)
    due = status.ne(NOT_YET_DUE)
    return visits[due].assign(on_time=status[due].eq(ON_TIME)), int((~due).sum())


def timeliness(visits: pd.DataFrame, study: Study, cut: pd.Timestamp | None = None) -> ClusteredProportion:
    """Share of case-visit write-ups within the threshold (48 hours), with an interval that allows
    for clustering by worker (:func:`analysis.stats.clustered_share`).

    ``cut`` is the extract's moment (:func:`extract_cut`): write-ups outstanding but not yet due
    then leave the denominator (counted in ``censored``). Without ``cut`` every outstanding
    write-up counts as late: pass it for any wave's extract.
    """
    hours = study.thresholds["writeup_hours"]
    if cut is None:
        ok, due = on_time(visits, hours).to_numpy(), np.ones(len(visits), dtype=bool)
    else:
        status = writeup_status(visits, hours, cut)
        ok, due = status.eq(ON_TIME).to_numpy(), status.ne(NOT_YET_DUE).to_numpy()
    # per-worker counts with bincount: the visits path runs to tens of millions of rows
    codes = pd.factorize(visits["worker_id"], use_na_sentinel=False)[0][due]
    k = np.bincount(codes, weights=ok[due])
    m = np.bincount(codes)
    return clustered_share(k, m, study.thresholds["confidence"], int((~due).sum()))


def timeliness_by_worker(visits: pd.DataFrame, study: Study, cut: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per worker: visits, on-time write-ups and the on-time share (never printed as such); with
    ``cut``, visits not yet due at the extract are left out."""
    v, _ = _countable(visits, study, cut)
    g = v.groupby("worker_id")["on_time"].agg(visits="size", on_time="sum").reset_index()
    g["share"] = g["on_time"] / g["visits"]
    return g


def timeliness_change(
    visits: pd.DataFrame, study: Study, before: str, after: str
) -> tuple[PercentagePointChange, GeeChange]:
    """The change in write-up timeliness from ``before`` to ``after`` within workers seen at both:
    the percentage-point difference (the headline) and the GEE odds ratio beside it.

    ``visits`` holds both waves (a ``wave`` column); each wave's write-ups are judged at its own
    extract (:func:`with_writeup_status`) and those not yet due are left out.
    """
    v = with_writeup_status(visits[visits["wave"].isin([before, after])], study)
    v = v[v["status"].ne(NOT_YET_DUE)]
    names = (study.wave(before).label, study.wave(after).label)
    conf = study.thresholds["confidence"]
    return pp_change(v, before, after, conf, names), gee_change(v, before, after, conf, names)


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
