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
    text: str  # e.g. "22% (95% CI 9% to 45%)" or "not reportable at this threshold"
    n_text: str  # e.g. "n = 212" or "n <10"

    def as_row(self) -> dict:
        p = self.proportion
        ok = self.reportable
        return {
            "estimate": p.estimate if ok else math.nan,
            "low": p.low if ok else math.nan,
            "high": p.high if ok else math.nan,
            "reportable": ok,
            "n_text": self.n_text,
        }


def disclosed(p: Proportion, study: Study) -> DisclosedProportion:
    """Apply the share rule (numerator and denominator at or above the threshold)."""
    s = study.disclosure
    ok = disclose.share(p.k, p.n, s).reportable
    text = disclose.format_share(p.k, p.n, s, interval=(p.low, p.high)) if ok else NOT_REPORTABLE
    n = disclose.format_count(p.n, s)
    return DisclosedProportion(p, ok, text, f"n {n}" if n.startswith("<") else f"n = {n}")


def to_markdown(frame: pd.DataFrame) -> str:
    """A pipe table that pandoc and Quarto both read (no extra dependency).

    Columns are left-aligned; the dashes under the header are proportional to the widest cell
    (capped), which pandoc turns into relative column widths when a table is wide.

    >>> print(to_markdown(pd.DataFrame({"a": [1], "b": ["x|y"]})))
    | a | b |
    |:-----|:-----|
    | 1 | x\\|y |
    """

    def cell(v: object) -> str:
        return (
            ""
            if v is None or (isinstance(v, float) and math.isnan(v))
            else str(v).replace("|", "\\|").replace("\n", " ")
        )

    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"

    def width(col: object) -> int:
        longest_word = max((len(w) for w in cell(col).split()), default=1) + 2
        longest_cell = max((len(cell(v)) for v in frame[col]), default=0)
        return max(longest_word, min(longest_cell, 45), 5)

    rule = "|" + "|".join(":" + "-" * width(c) for c in frame.columns) + "|"
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
        (
            "Consistent use: takers using at least half their planned flexible days in the past month",
            t["adherence"],
            indicators.consistent_use,
        ),
    ]
    for name, threshold, fn in criteria:
        for w in study.waves:
            if w.months_since_launch <= 0:
                continue  # nothing to take up before launch
            label = f"{w.months_since_launch} months"
            workers = workers_by_wave.get(w.id) if w.id in waves else None
            if workers is None:
                rows.append(
                    {
                        "Criterion": name,
                        "Threshold": f"{threshold:.0%}",
                        "At": label,
                        "Observed (95% CI)": "not yet measurable",
                        "RAG": "–",
                        "Status": "not yet measurable",
                    }
                )
                continue
            d = disclosed(fn(workers, study), study)
            if d.reportable:
                r = rag(d.proportion.low, d.proportion.high, threshold)
                status = {"green": "met", "red": "not met", "amber": "uncertain (interval spans threshold)"}[r]
            else:
                r, status = "–", NOT_REPORTABLE
            rows.append(
                {
                    "Criterion": name,
                    "Threshold": f"{threshold:.0%}",
                    "At": label,
                    "Observed (95% CI)": d.text,
                    "RAG": r,
                    "Status": status,
                }
            )
    return pd.DataFrame(rows)


# -- RQ1a: take-up ----------------------------------------------------------------------------


def _workers(study: Study, upto: str) -> dict[str, pd.DataFrame | None]:
    from analysis import tidy

    return {w.id: tidy.read(w.id, "workers") for w in study.waves_up_to(upto)}


def take_up_by_wave(study: Study, wave: str, indicator=indicators.take_up) -> pd.DataFrame:
    """Take-up (or another workers-table proportion) at every wave up to ``wave``, disclosed."""
    rows = []
    for w_id, workers in _workers(study, wave).items():
        if workers is None:
            continue
        d = disclosed(indicator(workers, study), study)
        rows.append({"wave": w_id, "wave_label": study.wave(w_id).label, **d.as_row(), "text": d.text})
    return pd.DataFrame(rows)


def take_up_display(
    frame: pd.DataFrame, denominator: str = "Social workers", measure: str = "On a flexible pattern (95% CI)"
) -> pd.DataFrame:
    out = frame.rename(columns={"wave_label": "Wave", "n_text": denominator, "text": measure})[
        ["Wave", denominator, measure]
    ]
    out[denominator] = out[denominator].str.replace(r"^n =? ?", "", regex=True)  # a table column needs no "n ="
    return out


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
        rows.append(
            {
                "wave": w_id,
                "wave_label": study.wave(w_id).label,
                **d.as_row(),
                "text": d.text,
                "workers": v["worker_id"].nunique(),
            }
        )
    return pd.DataFrame(rows)


def timeliness_display(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    frame = frame.assign(n_text=frame["n_text"].str.replace(r"^n =? ?", "", regex=True))
    out = frame.rename(
        columns={
            "wave_label": "Wave",
            "n_text": "Visits",
            "text": f"Written up within {study.thresholds['writeup_hours']:.0f} hours (95% CI)",
        }
    )
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
        # the on-time rates are shares: each needs numerator, denominator and remainder at or
        # above the threshold; the comparison also needs enough workers
        k_before, k_after = round(c.rate_before * c.visits_before), round(c.rate_after * c.visits_after)
        ok = (
            c.workers >= s.threshold
            and disclose.share(k_before, c.visits_before, s).reportable
            and disclose.share(k_after, c.visits_after, s).reportable
        )
        rows.append(
            {
                "Comparison": f"{study.wave(first).label} → {w.label}",
                "Workers in both waves": disclose.format_count(c.workers, s),
                "On time before": f"{c.rate_before:.0%}" if ok else NOT_REPORTABLE,
                "On time after": f"{c.rate_after:.0%}" if ok else NOT_REPORTABLE,
                "Odds ratio (95% CI)": f"{c.odds_ratio:.2f} ({c.or_low:.2f} to {c.or_high:.2f})"
                if ok and not math.isnan(c.odds_ratio)
                else NOT_REPORTABLE,
                "Evidence": "indicative only",
            }
        )
    return pd.DataFrame(rows)


# -- helpers shared by the notebooks -----------------------------------------------------------


def note(message: str) -> pd.DataFrame:
    """A one-cell table that says why there is nothing to show (e.g. no survey at this wave)."""
    return pd.DataFrame({"Note": [message]})


def latest(study: Study, wave: str, table: str) -> tuple[str | None, pd.DataFrame | None]:
    """The most recent wave up to ``wave`` that has ``table``, and that table."""
    from analysis import tidy

    for w in reversed(study.waves_up_to(wave)):
        frame = tidy.read(w.id, table)
        if frame is not None and len(frame):
            return w.id, frame
    return None, None


def combined(study: Study, wave: str, table: str) -> pd.DataFrame | None:
    """``table`` from every wave up to ``wave`` stacked, or None if no wave has it."""
    from analysis import tidy

    frames = [f for w in study.waves_up_to(wave) if (f := tidy.read(w.id, table)) is not None and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else None


def _counts_display(frame: pd.DataFrame, study: Study, index: str) -> pd.DataFrame:
    d = disclose.suppress_counts(frame.set_index(index), study.disclosure, totals=True)
    return d.display.reset_index()


# -- workforce and survey context ----------------------------------------------------------------


def workforce_display(study: Study, workers: pd.DataFrame | None) -> pd.DataFrame:
    """Workers by role at this wave (counts disclosed)."""
    if workers is None:
        return note("No workers table was delivered for this wave.")
    counts = workers["role"].value_counts().reindex(list(study.roles), fill_value=0)
    frame = counts.rename_axis("Role").reset_index(name="Workers")
    frame.loc[len(frame)] = ["All roles", int(counts.sum())]
    return _counts_display(frame, study, "Role")


def survey_context_display(study: Study, survey: pd.DataFrame | None) -> pd.DataFrame:
    """Q1 years in social work, Q2 overtime and Q3 dependants, in bands (counts disclosed)."""
    if survey is None:
        return note("The survey has not been run by this wave.")
    parts = [
        (
            "Years as a social worker (Q1)",
            indicators.banded(survey["q1_years"], [0, 3, 10, 200], ["under 3", "3 to 9", "10 or more"]),
        ),
        (
            "Overtime hours a week (Q2)",
            indicators.banded(survey["q2_overtime_hours"], [0, 1, 6, 200], ["none", "1 to 5", "6 or more"]),
        ),
        (
            "Dependants at home (Q3)",
            survey["q3_dependants"]
            .astype("string")
            .map(lambda v: "none" if v == "0" else "one or more")
            .value_counts()
            .reindex(["none", "one or more"], fill_value=0)
            .rename_axis("band")
            .reset_index(name="respondents"),
        ),
    ]
    rows = []
    for question, frame in parts:
        d = disclose.suppress_counts(frame.set_index("band")[["respondents"]], study.disclosure, totals=True)
        for band, value in d.display["respondents"].items():
            rows.append({"Question": question, "Answer": band, "Respondents": value})
    return pd.DataFrame(rows)


def survey_take_up_display(study: Study, survey: pd.DataFrame | None, survey_wave: str | None) -> pd.DataFrame:
    """Q4 take-up and Q8 consistent use among takers, disclosed."""
    if survey is None:
        return note("The survey has not been run by this wave.")
    rows = []
    for label, p in (
        ("Took up compressed hours since March 2021 (Q4)", indicators.take_up_survey(survey, study)),
        (
            "Of those, kept to their plans at least around half the time (Q8)",
            indicators.consistent_use_survey(survey, study),
        ),
    ):
        d = disclosed(p, study)
        rows.append(
            {
                "Survey measure": label,
                "Respondents": disclose.format_count(p.n, study.disclosure),
                "Share (95% CI)": d.text,
            }
        )
    return pd.DataFrame(rows)


def q9_display(study: Study, survey: pd.DataFrame | None) -> pd.DataFrame:
    if survey is None:
        return note("The survey has not been run by this wave.")
    frame = indicators.q9_reasons(survey).rename(columns={"reason": "Reason", "respondents": "Respondents"})
    return _counts_display(frame, study, "Reason")


def likert_collapsed(counts: pd.DataFrame) -> pd.DataFrame:
    """Q10-Q13 collapsed to worse / about the same / better (so that more cells reach the threshold)."""
    c = counts.copy()
    c["level"] = c["answer"].map({1: "Worse", 2: "Worse", 3: "About the same", 4: "Better", 5: "Better"})
    wide = c.pivot_table(index="item", columns="level", values="respondents", aggfunc="sum", sort=False)
    wide = wide.reindex(columns=["Worse", "About the same", "Better"], fill_value=0)
    wide["All who answered"] = wide.sum(axis=1)
    return wide.astype(int)


def likert_display(study: Study, survey: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(display table, disclosed numeric table or None) for the perceived-impact items."""
    if survey is None:
        return note("The survey has not been run by this wave."), None
    wide = likert_collapsed(indicators.likert_counts(survey))
    d = disclose.suppress_counts(wide, study.disclosure, totals=True)
    out = d.display.reset_index().rename(columns={"item": "Perceived change (Q10-Q13)"})
    numeric = d.numeric.drop(index=[i for i in d.numeric.index if i not in wide.index])
    return out, numeric


# -- interviews -----------------------------------------------------------------------------------


def interview_tables(study: Study, wave: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Register and coded segments of every wave up to ``wave``."""
    return combined(study, wave, "interviews"), combined(study, wave, "segments")


def screening_names() -> list[str]:
    """Names quotes are screened for: the synthetic data's name list and, when present, a staff
    list the analyst keeps beside the real data (``data/raw/names.txt``, one name a line)."""
    from analysis import paths
    from analysis.synthetic.interviews import SYNTHETIC_NAMES

    names = list(SYNTHETIC_NAMES)
    extra = paths.RAW / "names.txt"
    if extra.exists():
        names += [n.strip() for n in extra.read_text(encoding="utf-8").splitlines() if n.strip()]
    return names


def themes_display(study: Study, wave: str, rq: str) -> pd.DataFrame:
    """Codes of one research question with how widely they came up, in words (never counts)."""
    from analysis import qda, qualitative

    register, segments = interview_tables(study, wave)
    if register is None or segments is None:
        return note("No interviews had been coded by this wave.")
    t = qualitative.themes_by_rq(segments, register, qda.load_codebook(), rq=rq)
    if t.empty:
        return note(f"No code in the codebook addresses RQ{rq}.")
    out = t.drop(columns=["rq", "code_id", "parent_id"]).rename(
        columns={"code_name": "Theme (code)", "prevalence": "All interviews"}
    )
    out.columns = [c[:1].upper() + c[1:] for c in out.columns]
    return out


def quotes_display(study: Study, wave: str, rq: str, k: int = 1, limit: int = 4) -> pd.DataFrame:
    """Screened illustrative quotes, attributed by respondent group, site and wave only."""
    from analysis import qda, qualitative

    register, segments = interview_tables(study, wave)
    if register is None or segments is None:
        return note("No interviews had been coded by this wave.")
    q = qualitative.select_quotes(segments, register, qda.load_codebook(), rq, screening_names(), k=k, study=study)
    if q.empty:
        return note("No quote passed the identifier screen for this question.")
    q = q.head(limit)
    return pd.DataFrame({"Quote": [f"“{t}”" for t in q["quote"]], "Theme": q["code_name"], "Who": q["attribution"]})


def framework_words_by_group(study: Study, wave: str, rq: str | None = None) -> pd.DataFrame | None:
    """Codes (rows) × respondent groups (columns) in prevalence words, across sites and waves."""
    from analysis import qda, qualitative

    register, segments = interview_tables(study, wave)
    if register is None or segments is None:
        return None
    t = qualitative.themes_by_rq(segments, register, qda.load_codebook(), rq=rq)
    groups = [c for c in t.columns if c not in ("rq", "code_id", "code_name", "parent_id", "prevalence")]
    return t.set_index("code_name")[groups]


def interviews_achieved(study: Study, wave: str) -> pd.DataFrame:
    """Interviews achieved per site against the protocol's plan, over the waves up to ``wave``.

    Counts are per site over all waves so far (small per-wave counts would fall below the
    disclosure threshold); each wave is marked as achieved as planned or not.
    """
    from analysis.synthetic.interviews import schedule_for

    plan = schedule_for(study)
    register, _ = interview_tables(study, wave)
    s = study.disclosure
    rows = []
    for site in study.sites:
        waves, planned, got, short = [], 0, 0, []
        for w in study.waves_up_to(wave):
            p = sum((plan.get(w.id) or {}).get(site.id, {}).values())
            g = 0 if register is None else int(((register["site"] == site.id) & (register["wave"] == w.id)).sum())
            if p == 0 and g == 0:
                continue
            waves.append(w.label)
            planned, got = planned + p, got + g
            if g < p:
                short.append(w.label)
        if not waves:
            continue
        rows.append(
            {
                "Site": site.name,
                "Waves": ", ".join(waves),
                "Planned (protocol)": disclose.format_count(planned, s),
                "Achieved": disclose.format_count(got, s),
                "Short of plan": ", ".join(short) or "none",
            }
        )
    return pd.DataFrame(rows) if rows else note("No interviews were planned by this wave.")


# -- the research questions and their headline findings ----------------------------------------


def _top_theme(study: Study, wave: str, rq: str) -> str:
    """The most widely raised specific theme (a code with no sub-codes) of a research question."""
    from analysis import qda, qualitative

    register, segments = interview_tables(study, wave)
    if register is None or segments is None:
        return "no interviews coded yet"
    t = qualitative.themes_by_rq(segments, register, qda.load_codebook(), rq=rq)
    parents = set(t["parent_id"].dropna().astype(str))
    leaves = t[~t["code_id"].astype(str).isin(parents) & (t["prevalence"] != "none")]
    if leaves.empty:
        return "no theme raised in interviews"
    top = leaves.iloc[0]
    return f"{top['prevalence'].capitalize()} interviews raised “{str(top['code_name']).lower()}”"


def rq_findings(study: Study, wave: str) -> pd.DataFrame:
    """The protocol's research questions, each with its evidence and a headline, as at ``wave``."""
    workers = _workers(study, wave)
    post = [w for w in study.waves_up_to(wave) if w.months_since_launch > 0 and workers.get(w.id) is not None]
    last = post[-1] if post else None
    if last is not None:
        tu = disclosed(indicators.take_up(workers[last.id], study), study)
        cu = disclosed(indicators.consistent_use(workers[last.id], study), study)
        split = pattern_split_display(study, workers[last.id])
        split_text = "; ".join(
            f"{p}: {n}" for p, n in zip(split["Pattern"], split["Social workers"], strict=False) if p != "All takers"
        )
        at = f"At {last.months_since_launch} months"
        take_up_head = f"{at}: {tu.text} (criterion {study.thresholds['take_up']:.0%})"
        split_head = f"{at}: {split_text}"
        cu_head = f"{at}: {cu.text} (criterion {study.thresholds['adherence']:.0%})"
    else:
        take_up_head = split_head = cu_head = "not yet measurable (no wave after launch)"
    visits = visits_up_to(study, wave)
    tl = timeliness_by_wave(study, visits) if len(visits) else pd.DataFrame()
    if len(tl):
        tl_head = "; ".join(f"{r.wave_label}: {r.text}" for r in tl.itertuples()) + " (indicative)"
    else:
        tl_head = "no case-visit data yet"
    _, survey = latest(study, wave, "survey")
    if survey is not None:
        lik, _ = likert_display(study, survey)
        reportable = not lik.drop(columns=lik.columns[0]).astype(str).apply(lambda c: c.str.startswith("<")).any().any()
        survey_head = (
            "perceived change reported in the survey"
            if reportable
            else (f"survey distributions not reportable at the disclosure threshold of {study.disclosure.threshold}")
        )
    else:
        survey_head = "survey not yet run"
    rows = [
        ("1a", "Did 30% of social workers take up a flexible pattern?", "Workers table; survey Q4", take_up_head),
        ("1a", "Which pattern did takers use?", "Workers table", split_head),
        ("1a", "Was it used consistently (at least half of planned uses)?", "Workers table; survey Q8", cu_head),
        ("1a", "Was it used as intended, or how else?", "Interviews", _top_theme(study, wave, "1a")),
        (
            "1b",
            "What were the barriers and facilitators?",
            "Interviews; survey Q5-Q7, Q9",
            _top_theme(study, wave, "1b"),
        ),
        ("1c", "Was it acceptable to managers and practitioners?", "Interviews", _top_theme(study, wave, "1c")),
        (
            "2a",
            "What impacts did people perceive (work-life balance, motivation, autonomy, productivity)?",
            "Survey Q10-Q13; interviews",
            f"{_top_theme(study, wave, '2a')}; {survey_head}",
        ),
        ("2b", "Did the share of write-ups within 48 hours change?", "Case-visit extract", tl_head),
        ("2c", "Were there unintended consequences?", "Interviews; survey Q7", _top_theme(study, wave, "2c")),
        ("3a", "What should change before a trial?", "Interviews", _top_theme(study, wave, "3a")),
    ]
    return pd.DataFrame(rows, columns=["RQ", "Question", "Evidence", "Headline finding"])


SOURCE_LABELS = {
    "workers": "Workers (local authority)",
    "visits": "Case visits (local authority)",
    "survey": "Practitioner survey (Qualtrics)",
    "interviews": "Interviews (register)",
    "segments": "Coded interview segments",
}


def data_sources(study: Study, wave: str) -> pd.DataFrame:
    """Which sources were delivered and validated at each wave up to ``wave``, with the data cut date."""
    from analysis import tidy

    rows = []
    for w in study.waves_up_to(wave):
        summary = tidy.validation_summary(w.id)
        got = {t["table"] for t in summary["tables"]}
        rows.append(
            {
                "Wave": w.label,
                "Data cut": w.date.strftime("%B %Y"),
                "Sources": "; ".join(label for t, label in SOURCE_LABELS.items() if t in got) or "none",
            }
        )
    return pd.DataFrame(rows)


def disclosure_rule(study: Study):
    """The disclosure rule as a paragraph (for the methods section)."""
    from IPython.display import Markdown

    return Markdown(disclose.rule_text(study.disclosure))
