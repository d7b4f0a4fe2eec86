"""Report tables: built from indicators, passed through disclosure control, then formatted by
one function so that "<10", percentages and intervals read the same everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analysis import disclose, indicators
from analysis.config import Study
from analysis.stats import Proportion, rag

NOT_REPORTABLE = "not reportable at this threshold"


@dataclass(frozen=True)
class DisclosedProportion:
    """A proportion after disclosure control: the figures readers may see."""

    proportion: Proportion
    reportable: bool
    text: str        # e.g. "22% (95% CI 9% to 45%)" or "not reportable at this threshold"
    n_text: str      # e.g. "n = 212" or "n <10"

    def as_row(self) -> dict:
        p = self.proportion
        ok = self.reportable
        return {"estimate": p.estimate if ok else math.nan, "low": p.low if ok else math.nan,
                "high": p.high if ok else math.nan, "reportable": ok, "n_text": self.n_text}


def disclosed(p: Proportion, study: Study) -> DisclosedProportion:
    """Apply the share rule (numerator and denominator at or above the threshold)."""
    s = study.disclosure
    ok = disclose.share(p.k, p.n, s).reportable
    text = disclose.format_share(p.k, p.n, s, interval=(p.low, p.high)) if ok else NOT_REPORTABLE
    return DisclosedProportion(p, ok, text, "n = " + disclose.format_count(p.n, s).lstrip())


def to_markdown(frame: pd.DataFrame) -> str:
    """A pipe table that pandoc and Quarto both read (no extra dependency).

    >>> print(to_markdown(pd.DataFrame({"a": [1], "b": ["x|y"]})))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    """
    def cell(v: object) -> str:
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def show(frame: pd.DataFrame):
    """Display a report table in a notebook as Markdown (Quarto and the built-in renderer both
    embed it as a real table)."""
    from IPython.display import Markdown

    return Markdown(to_markdown(frame))


# -- the success criteria -------------------------------------------------------------------

def success_criteria(study: Study, waves: list[str], workers_by_wave: dict[str, pd.DataFrame | None]) -> pd.DataFrame:
    """The success-criteria table: criterion, threshold, wave, observed with interval, RAG, status.

    A value below the disclosure threshold is shown as not reportable (and so is its RAG, which
    would otherwise narrow the count down); a wave not yet collected reads "not yet measurable".
    """
    t = study.thresholds
    rows = []
    criteria = [
        ("Take-up: social workers on a 4-day week or 9-day fortnight", t["take_up"], indicators.take_up),
        ("Consistent use: takers using at least half their planned flexible days in the past month",
         t["adherence"], indicators.consistent_use),
    ]
    for name, threshold, fn in criteria:
        for w in study.waves:
            if w.months_since_launch <= 0:
                continue  # nothing to take up before launch
            label = f"{w.months_since_launch} months"
            workers = workers_by_wave.get(w.id) if w.id in waves else None
            if workers is None:
                rows.append({"Criterion": name, "Threshold": f"{threshold:.0%}", "At": label,
                             "Observed (95% CI)": "not yet measurable", "RAG": "–", "Status": "not yet measurable"})
                continue
            d = disclosed(fn(workers, study), study)
            if d.reportable:
                r = rag(d.proportion.low, d.proportion.high, threshold)
                status = {"green": "met", "red": "not met", "amber": "uncertain (interval spans threshold)"}[r]
            else:
                r, status = "–", NOT_REPORTABLE
            rows.append({"Criterion": name, "Threshold": f"{threshold:.0%}", "At": label,
                         "Observed (95% CI)": d.text, "RAG": r, "Status": status})
    return pd.DataFrame(rows)


# -- RQ1a: take-up ----------------------------------------------------------------------------

def _workers(study: Study, upto: str) -> dict[str, pd.DataFrame | None]:
    from analysis import tidy

    return {w.id: tidy.read(w.id, "workers") for w in study.waves_up_to(upto)}


def take_up_by_wave(study: Study, wave: str) -> pd.DataFrame:
    """Take-up among social workers at every wave up to ``wave``, disclosed."""
    rows = []
    for w_id, workers in _workers(study, wave).items():
        if workers is None:
            continue
        d = disclosed(indicators.take_up(workers, study), study)
        rows.append({"wave": w_id, "wave_label": study.wave(w_id).label, **d.as_row(), "text": d.text})
    return pd.DataFrame(rows)


def take_up_display(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"wave_label": "Wave", "n_text": "Social workers", "text": "On a flexible pattern (95% CI)"})[
        ["Wave", "Social workers", "On a flexible pattern (95% CI)"]]


def pattern_split_display(study: Study, workers: pd.DataFrame | None) -> pd.DataFrame:
    """Takers by pattern, counts disclosed (primary and secondary suppression)."""
    if workers is None:
        return pd.DataFrame({"Pattern": [], "Social workers": []})
    split = indicators.pattern_split(workers, study).set_index("pattern")[["workers"]]
    split.loc["All takers"] = split["workers"].sum()
    d = disclose.suppress_counts(split, study.disclosure, totals=True)
    out = d.display.reset_index()
    out.columns = ["Pattern", "Social workers"]
    return out


# -- RQ2b: timeliness ------------------------------------------------------------------------

def visits_up_to(study: Study, wave: str) -> pd.DataFrame:
    """Visits of every wave up to ``wave`` with ``wave`` and ``on_time`` columns."""
    from analysis import tidy

    frames = []
    for w in study.waves_up_to(wave):
        v = tidy.read(w.id, "visits")
        if v is not None:
            frames.append(v.assign(wave=w.id, on_time=indicators.on_time(v, study.thresholds["writeup_hours"])))
    if not frames:
        return pd.DataFrame(columns=["visit_id", "worker_id", "visit_datetime", "writeup_datetime", "wave", "on_time"])
    return pd.concat(frames, ignore_index=True)


def timeliness_by_wave(study: Study, visits: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for w_id, v in visits.groupby("wave", sort=False):
        d = disclosed(indicators.timeliness(v, study), study)
        rows.append({"wave": w_id, "wave_label": study.wave(w_id).label, **d.as_row(), "text": d.text,
                     "workers": v["worker_id"].nunique()})
    return pd.DataFrame(rows)


def timeliness_display(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    out = frame.rename(columns={"wave_label": "Wave", "n_text": "Visits",
                                "text": f"Written up within {study.thresholds['writeup_hours']:.0f} hours (95% CI)"})
    out["Workers"] = [disclose.format_count(n, study.disclosure) for n in frame["workers"]]
    return out[["Wave", "Visits", "Workers", out.columns[out.columns.str.startswith("Written")][0]]]


def timeliness_change(study: Study, visits: pd.DataFrame) -> pd.DataFrame:
    """Change from the first wave, within the same workers (paired): GEE odds ratio with interval.
    Labelled indicative: no counterfactual, not powered."""
    from analysis.stats import gee_change

    first = study.waves[0].id
    rows = []
    s = study.disclosure
    for w in study.waves[1:]:
        if w.id not in set(visits["wave"]):
            continue
        c = gee_change(visits, first, w.id, study.thresholds["confidence"])
        ok = c.workers >= s.threshold and min(c.visits_before, c.visits_after) >= s.threshold
        rows.append({
            "Comparison": f"{study.wave(first).label} → {w.label}",
            "Workers in both waves": disclose.format_count(c.workers, s),
            "On time before": f"{c.rate_before:.0%}" if ok else NOT_REPORTABLE,
            "On time after": f"{c.rate_after:.0%}" if ok else NOT_REPORTABLE,
            "Odds ratio (95% CI)": f"{c.odds_ratio:.2f} ({c.or_low:.2f} to {c.or_high:.2f})" if ok and not math.isnan(c.odds_ratio) else NOT_REPORTABLE,
            "Evidence": "indicative only",
        })
    return pd.DataFrame(rows)
