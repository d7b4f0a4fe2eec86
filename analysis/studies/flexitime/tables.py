"""The flexitime study's report tables: the success criteria, take-up and the pattern split
(RQ1a), timeliness of visits (RQ2b), the workforce and survey context, the survey's Q4, Q8, Q9 and
Likert displays, and the research questions' headline findings.

Built like the engine's tables (:mod:`analysis.tables`): every builder is pure, takes the tables a
notebook has read, passes counts through disclosure control and carries its output record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from analysis import disclose, outputs
from analysis.config import Study
from analysis.qualitative import Interviews, themes_by_rq
from analysis.stats import Proportion, rag
from analysis.studies.flexitime import indicators
from analysis.tables import (
    NOT_REPORTABLE,
    DisclosedProportion,
    count_text,
    counts_display,
    counts_table,
    disclosed,
    note,
    released_text,
    share_output,
    with_output,
)

# -- the success criteria -------------------------------------------------------------------


def success_criteria(
    study: Study,
    waves: list[str],
    workers_by_wave: dict[str, pd.DataFrame | None],
    spells_by_wave: Mapping[str, pd.DataFrame | None] | None = None,
) -> pd.DataFrame:
    """The success-criteria table: criterion, threshold, wave, observed with interval, RAG, and the
    plain reading against the aim ("35% of social workers took up either pattern, against the 30% aim").

    Take-up and consistent use at each wave count the flexible-pattern spells begun by its cut date
    (``spells_by_wave``; without a wave's spells table, its current-pattern columns stand in).

    A value below the disclosure threshold is shown as not reportable (and so is its RAG, which
    would otherwise narrow the count down); a wave not yet collected reads "not yet measurable".
    """
    t = study.thresholds
    rows, released_rows, shares = [], [], []
    criteria = [
        (
            "Take-up: social workers who took up either pattern since launch",
            t["take_up"],
            indicators.take_up,
            "of social workers took up either pattern",
        ),
        (
            "Consistent use: takers using at least half their planned flexible days in the past month",
            t["adherence"],
            indicators.consistent_use,
            "of takers used it consistently",
        ),
    ]
    for name, threshold, fn, reading in criteria:
        for w in study.waves:
            if w.months_since_launch <= 0:
                continue  # nothing to take up before launch
            label = f"{w.months_since_launch} months"
            workers = workers_by_wave.get(w.id) if w.id in waves else None
            head = {"Criterion": name, "Threshold": f"{threshold:.0%}", "At": label}
            if workers is None:
                row = {**head, "Observed (95% CI)": "not yet measurable", "RAG": "–", "Reading": "not yet measurable"}
                rows.append(row)
                released_rows.append(row)
                shares.append(None)
                continue
            d = disclosed(fn(workers, study, (spells_by_wave or {}).get(w.id), w.date), study)
            shares.append(d)
            p = d.proportion
            row = {**head, "Observed (95% CI)": d.text, **_rating(p, threshold, d.reportable, reading)}
            rows.append(row)
            if d.reportable:
                released_rows.append(row)
            else:
                released = {**head, "Observed (95% CI)": released_text(p), **_rating(p, threshold, p.n > 0, reading)}
                if p.n > 0:
                    released["Reading"] = _reading(p, threshold, reading, marked=True)
                released_rows.append(released)
    frame, released = pd.DataFrame(rows), pd.DataFrame(released_rows)
    col = "Observed (95% CI)"
    anything = any(d is not None and not d.reportable for d in shares)
    return with_output(
        frame,
        lambda oid, rel: share_output(oid, frame, col, shares, released if rel else None, study),
        released if anything else None,
    )


def _reading(p: Proportion, threshold: float, reading: str, *, marked: bool = False) -> str:
    """The plain reading the protocol asks for: the observed share against the aim.

    >>> _reading(Proportion(7, 20, 0.35, 0.18, 0.57, 0.95), 0.3, "of social workers took up either pattern")
    '35% of social workers took up either pattern, against the 30% aim'
    """
    value = f"{p.estimate:.0%}"
    return f"{outputs.mark(value) if marked else value} {reading}, against the {threshold:.0%} aim"


def _rating(p: Proportion, threshold: float, reportable: bool, reading: str) -> dict[str, str]:
    """The red / amber / green rating (this evaluation's addition) and the plain reading of a
    criterion; neither when not reportable (a rating would narrow a suppressed count down)."""
    if not reportable:
        return {"RAG": "–", "Reading": NOT_REPORTABLE}
    return {"RAG": rag(p.low, p.high, threshold), "Reading": _reading(p, threshold, reading)}


# -- RQ1a: take-up ----------------------------------------------------------------------------


def take_up_by_wave(
    study: Study,
    workers_by_wave: Mapping[str, pd.DataFrame | None],
    indicator: Callable[..., Proportion] = indicators.take_up,
    spells_by_wave: Mapping[str, pd.DataFrame | None] | None = None,
) -> pd.DataFrame:
    """Take-up (or another workers-table proportion) at every wave given, disclosed; waves with no
    workers table are left out. ``indicator(workers, study, spells, cut)`` is given the wave's
    spells table (``None`` when it has none) and its cut date. The true proportions are kept in
    ``attrs["proportions"]``, for output checking (see :func:`take_up_display`)."""
    rows, true = [], []
    for w_id, workers in workers_by_wave.items():
        if workers is None:
            continue
        p = indicator(workers, study, (spells_by_wave or {}).get(w_id), study.wave(w_id).date)
        d = disclosed(p, study)
        rows.append({"wave": w_id, "wave_label": study.wave(w_id).label, **d.as_row(), "text": d.text})
        true.append(p)
    out = pd.DataFrame(rows)
    out.attrs["proportions"] = true
    return out


def take_up_display(
    frame: pd.DataFrame,
    denominator: str = "Social workers",
    measure: str = "On a flexible pattern (95% CI)",
    study: Study | None = None,
) -> pd.DataFrame:
    """The take-up table (or another proportion by wave) as printed; with ``study``, it carries its
    output record, and a share not reportable can be released under an approved exception."""
    out = frame.rename(columns={"wave_label": "Wave", "n_text": denominator, "text": measure})[
        ["Wave", denominator, measure]
    ]
    out[denominator] = out[denominator].str.replace(r"^n =? ?", "", regex=True)  # a table column needs no "n ="
    props = frame.attrs.get("proportions")
    if study is None or props is None or len(props) != len(frame):
        return out
    shares = [
        DisclosedProportion(p, bool(ok), t, n)
        for p, ok, t, n in zip(props, frame["reportable"], frame["text"], frame["n_text"], strict=True)
    ]
    released = out.copy()
    released[measure] = [
        t if d.reportable else released_text(d.proportion) for t, d in zip(out[measure], shares, strict=True)
    ]
    anything = not all(d.reportable for d in shares)
    return with_output(
        out,
        lambda oid, rel: share_output(oid, out, measure, shares, released if rel else None, study),
        released if anything else None,
    )


def pattern_split_display(
    study: Study, workers: pd.DataFrame | None, spells: pd.DataFrame | None = None, cut=None
) -> pd.DataFrame:
    """Takers by the first pattern they took up (``spells`` and ``cut`` as for
    :func:`analysis.indicators.take_up`), counts disclosed (primary and secondary suppression)."""
    if workers is None:
        return pd.DataFrame({"Pattern": [], "Social workers": []})
    split = indicators.pattern_split(workers, study, spells, cut).set_index("pattern")[["workers"]]
    split.loc["All takers"] = split["workers"].sum()
    out = counts_table(split.rename_axis("Pattern").rename(columns={"workers": "Social workers"}), study)
    return out


# -- RQ2b: timeliness ------------------------------------------------------------------------

CHANGE_HEAD = "Change, percentage points (95% CI)"
ODDS_HEAD = "Odds ratio, GEE (95% CI)"
NOT_ESTIMATED = "–"


def visits_with_on_time(study: Study, visits_by_wave: Mapping[str, pd.DataFrame | None]) -> pd.DataFrame:
    """The visits of every wave given, stacked, with ``wave``, ``status`` (on time, late, or not yet
    due at that wave's extract: :func:`analysis.indicators.writeup_status`) and ``on_time`` columns."""
    frames = [v.assign(wave=w) for w, v in visits_by_wave.items() if v is not None]
    if not frames:
        columns = ["visit_id", "worker_id", "visit_datetime", "writeup_datetime", "wave", "status", "on_time"]
        return pd.DataFrame(columns=columns)
    return indicators.with_writeup_status(pd.concat(frames, ignore_index=True), study)


def timeliness_by_wave(study: Study, visits: pd.DataFrame) -> pd.DataFrame:
    """The on-time share at each wave, judged at the wave's extract (write-ups not yet due are left
    out), with its interval allowing for clustering by worker."""
    rows = []
    for w_id, v in visits.groupby("wave", sort=False):
        p = indicators.timeliness(v, study, indicators.extract_cut(study, str(w_id)))
        d = disclosed(p, study)
        rows.append(
            {"wave": w_id, "wave_label": study.wave(w_id).label, **d.as_row(), "text": d.text, "workers": p.workers}
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
    out["Workers"] = [count_text(n, study) for n in frame["workers"]]
    return out[["Wave", "Visits", "Workers", out.columns[out.columns.str.startswith("Written")][0]]]


def _points(x: float) -> str:
    return f"{round(x * 100):+d}"


def timeliness_change(study: Study, visits: pd.DataFrame) -> pd.DataFrame:
    """Change from the first wave within the same workers (paired): the percentage-point difference
    in the on-time share with its cluster-robust interval (the headline), and beside it the GEE odds
    ratio with the bias-reduced covariance. A change that cannot be estimated (e.g. pseudonyms
    re-issued) says why. Labelled indicative: no counterfactual, not powered."""
    first = study.waves[0].id
    s = study.disclosure

    def count(n: int) -> str:
        # no worker matching is a fact about the identifiers, not about anyone: 0 is shown as 0
        return "0" if n == 0 else count_text(n, study)

    rows = []
    for w in study.waves[1:]:
        if w.id not in set(visits["wave"]):
            continue
        pp, gee = indicators.timeliness_change(visits, study, first, w.id)
        reason, note = pp.linkage.describe(count)
        row = {
            "Comparison": f"{study.wave(first).label} → {w.label}",
            "Workers in both waves": count(pp.linkage.linked),
        }
        if not pp.estimable:
            rows.append(
                {
                    **row,
                    "On time before": NOT_ESTIMATED,
                    "On time after": NOT_ESTIMATED,
                    CHANGE_HEAD: f"cannot be estimated: {reason}",
                    ODDS_HEAD: NOT_ESTIMATED,
                    "Evidence": "indicative only",
                }
            )
            continue
        # the on-time shares need numerator, denominator and remainder at or above the threshold;
        # the comparison also needs enough workers
        ok = (
            pp.workers >= s.threshold
            and disclose.share(pp.on_time_before, pp.visits_before, s).reportable
            and disclose.share(pp.on_time_after, pp.visits_after, s).reportable
        )
        if not ok:
            change = odds = before = after = NOT_REPORTABLE
        else:
            before, after = f"{pp.rate_before:.0%}", f"{pp.rate_after:.0%}"
            change = f"{_points(pp.difference)} ({_points(pp.low)} to {_points(pp.high)})"
            odds = (
                f"{gee.odds_ratio:.2f} ({gee.or_low:.2f} to {gee.or_high:.2f})"
                if gee.estimable
                else f"not estimated: {gee.reason}"
            )
        evidence = "indicative only" + (f"; {note}" if note else "")
        rows.append(
            {
                **row,
                "On time before": before,
                "On time after": after,
                CHANGE_HEAD: change,
                ODDS_HEAD: odds,
                "Evidence": evidence,
            }
        )
    return pd.DataFrame(rows)


# -- workforce and survey context ----------------------------------------------------------------


def workforce_display(study: Study, workers: pd.DataFrame | None) -> pd.DataFrame:
    """Workers by role at this wave (counts disclosed)."""
    if workers is None:
        return note("No workers table was delivered for this wave.")
    counts = workers["role"].value_counts().reindex(list(study.roles), fill_value=0)
    # No total of all roles: with the take-up table's social workers and the timeliness table's
    # workers with visits, a total would give away the managers and the workers without visits by
    # subtraction (the differencing audit, config/output_links.yml).
    frame = counts.rename_axis("Role").to_frame("Workers")
    return counts_table(frame, study, totals=False)


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
        d = outputs.mitigate_counts(frame.set_index("band")[["respondents"]], study.disclosure, totals=True)
        for band, value in d.display["respondents"].items():
            rows.append({"Question": question, "Answer": band, "Respondents": value})
    return pd.DataFrame(rows)


def survey_take_up_display(study: Study, survey: pd.DataFrame | None) -> pd.DataFrame:
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
                "Respondents": count_text(p.n, study),
                "Share (95% CI)": d.text,
            }
        )
    return pd.DataFrame(rows)


def q9_display(study: Study, survey: pd.DataFrame | None) -> pd.DataFrame:
    if survey is None:
        return note("The survey has not been run by this wave.")
    frame = indicators.q9_reasons(survey).rename(columns={"reason": "Reason", "respondents": "Respondents"})
    return counts_display(frame, study, "Reason")


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
    d = outputs.mitigate_counts(wide, study.disclosure, totals=True)
    out = counts_table(wide.rename_axis("Perceived change (Q10-Q13)"), study)
    numeric = d.numeric.drop(index=[i for i in d.numeric.index if i not in wide.index])
    return out, numeric


# -- the research questions and their headline findings ----------------------------------------


def _top_theme(interviews: Interviews | None, rq: str) -> str:
    """The most widely raised specific theme (a code with no sub-codes) of a research question."""
    if interviews is None:
        return "no interviews coded yet"
    t = themes_by_rq(interviews.segments, interviews.register, interviews.codebook, rq=rq)
    parents = set(t["parent_id"].dropna().astype(str))
    leaves = t[~t["code_id"].astype(str).isin(parents) & (t["prevalence"] != "none")]
    if leaves.empty:
        return "no theme raised in interviews"
    top = leaves.iloc[0]
    return f"{top['prevalence'].capitalize()} interviews raised “{str(top['code_name']).lower()}”"


def rq_findings(
    study: Study,
    wave: str,
    workers_by_wave: Mapping[str, pd.DataFrame | None],
    visits: pd.DataFrame,
    survey: pd.DataFrame | None,
    interviews: Interviews | None,
    spells_by_wave: Mapping[str, pd.DataFrame | None] | None = None,
) -> pd.DataFrame:
    """The protocol's research questions, each with its evidence and a headline, as at ``wave``.

    ``visits`` as :func:`visits_with_on_time` gives them; ``survey`` the latest survey so far;
    ``spells_by_wave`` each wave's flexible-pattern spells (see :func:`take_up_by_wave`).
    """
    workers = workers_by_wave
    post = [w for w in study.waves_up_to(wave) if w.months_since_launch > 0 and workers.get(w.id) is not None]
    last = post[-1] if post else None
    if last is not None:
        spells = (spells_by_wave or {}).get(last.id)
        tu = disclosed(indicators.take_up(workers[last.id], study, spells, last.date), study)
        cu = disclosed(indicators.consistent_use(workers[last.id], study, spells, last.date), study)
        split = pattern_split_display(study, workers[last.id], spells, last.date)
        split_text = "; ".join(
            f"{p}: {n}" for p, n in zip(split["Pattern"], split["Social workers"], strict=False) if p != "All takers"
        )
        at = f"At {last.months_since_launch} months"
        take_up_head = f"{at}: {tu.text} (criterion {study.thresholds['take_up']:.0%})"
        split_head = f"{at}: {split_text}"
        cu_head = f"{at}: {cu.text} (criterion {study.thresholds['adherence']:.0%})"
    else:
        take_up_head = split_head = cu_head = "not yet measurable (no wave after launch)"
    tl = timeliness_by_wave(study, visits) if len(visits) else pd.DataFrame()
    if len(tl):
        tl_head = "; ".join(f"{r.wave_label}: {r.text}" for r in tl.itertuples()) + " (indicative)"
    else:
        tl_head = "no case-visit data yet"
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

    def theme(rq: str) -> str:
        return _top_theme(interviews, rq)

    rows = [
        ("1a", "Did 30% of social workers take up a flexible pattern?", "Workers table; survey Q4", take_up_head),
        ("1a", "Which pattern did takers use?", "Workers table", split_head),
        ("1a", "Was it used consistently (at least half of planned uses)?", "Workers table; survey Q8", cu_head),
        ("1a", "Was it used as intended, or how else?", "Interviews", theme("1a")),
        ("1b", "What were the barriers and facilitators?", "Interviews; survey Q5-Q7, Q9, Q15", theme("1b")),
        ("1c", "Was it acceptable to managers and practitioners?", "Interviews", theme("1c")),
        (
            "2a",
            "What impacts did people perceive (work-life balance, motivation, autonomy, productivity)?",
            "Survey Q10-Q14; interviews",
            f"{theme('2a')}; {survey_head}",
        ),
        ("2b", "Did the share of write-ups within 48 hours change?", "Case-visit extract", tl_head),
        ("2c", "Were there unintended consequences?", "Interviews; survey Q7", theme("2c")),
        ("3a", "What should change before a trial?", "Interviews", theme("3a")),
    ]
    return pd.DataFrame(rows, columns=["RQ", "Question", "Evidence", "Headline finding"])
