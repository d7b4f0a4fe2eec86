"""The survey question by question (analysis/survey.py): routing, free-text themes, disclosure of
their counts, screened quotes, whose answers Q4 gives, and the synthetic survey's free text.

Every expected number is counted by hand from the small tables built here (the comments say how).
"""

from __future__ import annotations

import dataclasses
import re
import textwrap

import nbformat
import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.errors import ConfigError
from analysis.qualtrics import check_survey, load_survey_config
from analysis.render import cell_options
from analysis.studies.flexitime import survey as sv
from analysis.studies.flexitime.synthetic import survey as synth

CODEBOOK = """
survey_themes:
  questions:
    Q6: {rq: 1b, label: "Benefits"}
    Q7: {rq: 2c, label: "Challenges"}
    Q15: {rq: 1b, label: "Comments"}
  nothing_to_report: ["no", "n/a", "not really"]
  quotes:
    per_question: 2
    min_chars: 10
    max_chars: 200
    min_attribution_group: 3
    group_labels: {"Yes": took up the offer, "No": did not take up the offer}
  themes:
    - {id: cover, name: Cover, questions: [Q7, Q15], keywords: ["cover*", duty]}
    - {id: pressure, name: Time pressure, questions: [Q7], keywords: [pressure*, "long days"]}
    - {id: morale, name: Morale, questions: [Q6, Q15], keywords: [morale, "less tired"]}
"""


@pytest.fixture(scope="module")
def config():
    return load_survey_config()


@pytest.fixture()
def codebook(tmp_path):
    p = tmp_path / "survey_themes.yml"
    p.write_text(textwrap.dedent(CODEBOOK), encoding="utf-8")
    return sv.load_text_codebook(p)


def _study(study, threshold):
    return dataclasses.replace(study, disclosure=dataclasses.replace(study.disclosure, threshold=threshold))


def _survey(rows: list[dict]) -> pd.DataFrame:
    """A tidy survey table with the columns the survey builders read."""
    cols = [
        "response_id",
        "q4_taken_up",
        "q5_team_taken_up",
        "q6_benefits_text",
        "q7_challenges_text",
        "q8_stick_to_plans",
    ]
    cols += ["q14_impact_text", "q15_comments_text"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["response_id"] = [f"R_{i:015d}" for i in range(len(frame))]
    for c in cols[1:]:
        frame[c] = frame[c].astype("string")
    return frame


# -- the codebook and coding one answer ------------------------------------------------------------


def test_keywords_match_whole_words_with_a_wildcard_ending():
    p = sv.keyword_pattern(["cover*", "long days", "duty"])
    assert p.search("I COVERED her visits") and p.search("two long\n days") and p.search("on duty.")
    # "discover" holds "cover" inside a word; "dutyful" goes on past the word; "longer days" is another phrase
    assert not p.search("we discovered it") and not p.search("dutyful") and not p.search("longer days")


def test_an_answer_is_blank_nothing_to_report_or_coded(codebook):
    kinds = [sv.answer_kind(t, codebook) for t in [None, pd.NA, "  ", "No.", "N/A", "not  really!", "No, but cover"]]
    assert kinds == ["blank", "blank", "blank", "nothing", "nothing", "nothing", "answer"]
    # Q7 has the themes cover and pressure (in codebook order); morale belongs to Q6 and Q15 only
    assert sv.code_answer("Covering duty on long days, and morale fell", "Q7", codebook) == ["cover", "pressure"]
    assert sv.code_answer("Covering duty on long days, and morale fell", "Q15", codebook) == ["cover", "morale"]
    assert sv.code_answer("n/a", "Q7", codebook) == []


def test_the_codebook_names_its_mistakes(tmp_path):
    p = tmp_path / "bad.yml"
    p.write_text(
        "survey_themes:\n  questions: {Q6: {rq: 1b}}\n  themes:\n"
        "    - {id: a, name: A, questions: [Q9], keywords: [x]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"bad.yml: theme 'a' names questions \['Q9'\]"):
        sv.load_text_codebook(p)
    p.write_text("survey_themes:\n  questions: {}\n  themes:\n    - {id: a, name: A}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="theme 1 needs"):
        sv.load_text_codebook(p)


def test_the_shipped_codebook_covers_every_free_text_question(config):
    cb = sv.load_text_codebook()
    text_questions = {qid for qid, q in config["questions"].items() if q["type"] == "text"}
    assert set(cb.questions) == text_questions == {"Q6", "Q7", "Q14", "Q15"}
    assert all(cb.themes_for(q) for q in text_questions)
    # the protocol's table: Q6 (colleagues' benefits) RQ1b, Q7 (disruption) RQ2c, Q14 (impacts) RQ2a
    assert {q: cb.questions[q]["rq"] for q in ("Q6", "Q7", "Q14")} == {"Q6": "1b", "Q7": "2c", "Q14": "2a"}


# -- routing and counts -----------------------------------------------------------------------------


def _q5_survey(no_yes: int, no_no: int, no_blank: int, yes: int, missing: int) -> pd.DataFrame:
    rows = (
        [{"q4_taken_up": "No", "q5_team_taken_up": "Yes"}] * no_yes
        + [{"q4_taken_up": "No", "q5_team_taken_up": "No"}] * no_no
        + [{"q4_taken_up": "No"}] * no_blank
        + [{"q4_taken_up": "Yes"}] * yes
        + [{}] * missing
    )
    return _survey(rows)


def test_a_routed_question_partitions_everyone_who_answered_its_routing_question(config):
    s = _q5_survey(no_yes=7, no_no=3, no_blank=2, yes=11, missing=1)
    got = sv.partition_counts(s, "Q5", config)["Respondents"].to_dict()
    # by hand: 7 + 3 + 2 asked (Q4 = No), 11 not asked (Q4 = Yes), 23 answered Q4; the one without Q4 is in none
    assert got == {
        "Yes": 7,
        "No": 3,
        "No answer (left blank, or stopped before it)": 2,
        "Not asked (Q4 = Yes)": 11,
        "All who answered Q4": 23,
    }


def test_routed_counts_are_disclosed_so_the_take_up_split_cannot_be_subtracted(study, config):
    # 7, 3, 2 are under 10 and suppressed; they add up to 12 (>= 10), so 11 and the total 23 may show
    s = _q5_survey(no_yes=7, no_no=3, no_blank=2, yes=11, missing=0)
    shown = sv.question_display(study, s, "Q5", config)
    assert shown.iloc[:, 1].tolist() == ["<10", "<10", "<10", "11", "23"]
    assert shown.columns[1] == "Respondents"
    # 12 of 23 said No: 12, 23 and the remainder 11 reach 10, so the take-up table shows this split too
    assert sv.split_reportable(study, s, "Q5", config)
    # Q4 = No is 5 + 2 + 1 = 8 of 20: the take-up table does not show the split, so neither "not asked"
    # (12) nor the total (20) is shown here (20 - 12 = 8 would give it away)
    s = _q5_survey(no_yes=5, no_no=2, no_blank=1, yes=12, missing=0)
    assert not sv.split_reportable(study, s, "Q5", config)
    shown = sv.question_display(study, s, "Q5", config)
    assert shown.iloc[:, 0].tolist() == ["Yes", "No", "No answer (left blank, or stopped before it)"]
    assert shown.iloc[:, 1].tolist() == ["<10"] * 3
    # threshold 5: 9 of 12 said No, the remainder 3 is under 5, so the split is not shown; Q5's 6 may
    # show, but with no total beside it (12 - 6 - 2 - 1 would be the 3 who took it up)
    s = _q5_survey(no_yes=6, no_no=2, no_blank=1, yes=3, missing=0)
    shown = sv.question_display(_study(study, 5), s, "Q5", config)
    assert shown.iloc[:, 1].tolist() == ["6", "<5", "<5"]


def test_free_text_counts_who_answered_and_the_themes(study, config, codebook):
    rows = (
        [{"q4_taken_up": "No", "q7_challenges_text": "Covering duty is hard"}] * 10  # cover
        + [{"q4_taken_up": "No", "q7_challenges_text": "More pressure, and cover on long days"}] * 2  # cover, pressure
        + [{"q4_taken_up": "No", "q7_challenges_text": "It was fine"}] * 1  # no theme
        + [{"q4_taken_up": "No", "q7_challenges_text": "N/A"}] * 3  # nothing to report
        + [{"q4_taken_up": "No"}] * 4  # blank
        + [{"q4_taken_up": "Yes"}] * 10
    )
    s = _survey(rows)
    assert sv.partition_counts(s, "Q7", config, codebook)["Respondents"].tolist() == [13, 3, 4, 10, 30]
    # cover 10 + 2 = 12, pressure 2, no theme 1 (themes overlap: 12 + 2 + 1 = 15 > 13 answers)
    assert sv.theme_counts(s, "Q7", config, codebook)["Respondents"].to_dict() == {
        "Theme: Cover": 12,
        "Theme: Time pressure": 2,
        "Theme: none matched": 1,
    }
    shown = sv.question_display(study, s, "Q7", config, codebook)
    assert shown.columns.tolist() == ["Challenges (Q7)", "Respondents"]
    # partition: 3 and 4 suppressed (sum 7 < 10, so 10 is suppressed too); themes: 12 shown, 2 and 1 not
    assert shown["Respondents"].tolist() == ["13", "<10", "<10", "<10", "30", "12", "<10", "<10"]


def test_a_question_asked_of_everyone_is_counted_over_every_respondent(study, config, codebook):
    rows = [{"q4_taken_up": "Yes", "q15_comments_text": "Good for morale"}] * 11 + [{"q15_comments_text": "no"}] * 12
    s = _survey(rows)
    got = sv.partition_counts(s, "Q15", config, codebook)["Respondents"].to_dict()
    assert got == {
        "Wrote an answer": 11,
        "Said there was nothing to report (no, n/a)": 12,
        "No answer (left blank, or stopped before it)": 0,
        "All respondents": 23,
    }


def test_no_survey_yet_says_so(study, config, codebook):
    assert sv.question_display(study, None, "Q6", config, codebook)["Note"].tolist() == [sv.NO_SURVEY]
    assert sv.survey_quotes(None, ["Q6"], config, codebook)["Note"].tolist() == [sv.NO_SURVEY]


# -- quotes ------------------------------------------------------------------------------------------


def test_quotes_are_screened_and_attributed_coarsely(config, codebook):
    rows = [
        {"q4_taken_up": "No", "q6_benefits_text": "Team morale is better since they started"},
        {"q4_taken_up": "No", "q6_benefits_text": "Rowena seems less tired and it shows in meetings"},  # a name
        {"q4_taken_up": "No", "q6_benefits_text": "Write to me at someone@example.org about it"},  # an e-mail
        {"q4_taken_up": "No", "q6_benefits_text": "Yes"},  # too short (under 10 characters)
        {"q4_taken_up": "Yes", "q15_comments_text": "Cover for duty days needs planning"},
        {"q4_taken_up": "Yes", "q15_comments_text": "Child Protection Team A should go first"},  # a team name
    ]
    s = _survey(rows)
    q = sv.survey_quotes(s, ["Q6", "Q15"], config, codebook, names=["Rowena", "Child Protection Team A"])
    assert q["Quote"].tolist() == ["“Team morale is better since they started”", "“Cover for duty days needs planning”"]
    assert q["Question"].tolist() == ["Q6", "Q15"] and q["Themes"].tolist() == ["Morale", "Cover"]
    # 4 answered Q4 = No (>= 3: the group may be named); 2 answered Yes (< 3: plain "Survey respondent")
    assert q["Who"].tolist() == ["Survey respondent, did not take up the offer", "Survey respondent"]
    assert q.attrs["screened_out"] == 3
    assert not q.apply(lambda c: c.astype(str).str.contains("R_0")).any().any()  # no response id


def test_quotes_take_one_answer_per_respondent_and_prefer_new_themes(config, codebook):
    rows = [
        {
            "q4_taken_up": "No",
            "q6_benefits_text": "Their morale is higher",
            "q15_comments_text": "Covering is hard work",
        },
    ] * 1 + [{"q4_taken_up": "No", "q6_benefits_text": f"Morale is better, week {i}"} for i in range(4)]
    s = _survey(rows)
    q = sv.survey_quotes(s, ["Q6", "Q15"], config, codebook)
    # at most 2 per question; the first respondent is quoted once at most (Q15's only answer is theirs)
    assert (q["Question"] == "Q6").sum() == 2
    first = {"“Their morale is higher”", "“Covering is hard work”"}
    assert len(first & set(q["Quote"])) <= 1
    again = sv.survey_quotes(s, ["Q6", "Q15"], config, codebook)
    pd.testing.assert_frame_equal(q, again)  # deterministic


# -- Q4: whose answers --------------------------------------------------------------------------------


def test_take_up_is_for_everyone_unless_the_survey_asks_for_role(study, config):
    s = _survey([{"q4_taken_up": "Yes"}] * 12 + [{"q4_taken_up": "No"}] * 13)
    kept, whose = sv.take_up_respondents(s, config)
    assert len(kept) == 25 and "asks no role question" in whose
    shown = sv.take_up_display(study, s, config)
    assert shown.iloc[0, 0].endswith("all respondents, whatever their role (the survey asks no role question)")
    assert shown.iloc[0, 1] == "25"  # 12 of 25 is 48%: numerator, denominator and remainder 13 all >= 10
    assert shown.iloc[0, 2].startswith("48%")
    # a survey with a role question: only the social workers' answers count (3 of these 5 rows)
    q0 = {"column": "q0_role", "type": "choice", "choices": ["Social worker", "Manager"]}
    cfg = {
        **config,
        "questions": {**config["questions"], "Q0": q0},
        "role_question": {"question": "Q0", "social_workers": ["Social worker"]},
    }
    s = _survey([{"q4_taken_up": "Yes"}] * 5).assign(
        q0_role=["Social worker", "Manager", "Social worker", None, "Social worker"]
    )
    kept, whose = sv.take_up_respondents(s, cfg)
    assert len(kept) == 3 and whose == "social workers only (by their answer to Q0)"


# -- the synthetic survey ------------------------------------------------------------------------------


def test_synthetic_took_up_counts_stoppers_and_ongoing_pre_launch_users(study):
    launch = pd.Timestamp(study.launch_date)
    spells = pd.DataFrame(
        {
            "worker_id": ["stopper", "ongoing", "pre_on", "pre_off", "later"],
            "start": [
                launch + pd.Timedelta(days=20),
                launch + pd.Timedelta(days=40),
                launch - pd.Timedelta(days=300),
                launch - pd.Timedelta(days=300),
                launch + pd.Timedelta(days=120),
            ],  # fmt: skip
            "end": [launch + pd.Timedelta(days=50), None, None, launch + pd.Timedelta(days=10), None],
        }
    )
    # by 90 days after launch: the stopper and the ongoing taker took it up; pre_on is still on a pre-launch
    # pattern; pre_off stopped before then; later starts after
    assert synth._took_up_ids(spells, study, launch + pd.Timedelta(days=90)) == {"stopper", "ongoing", "pre_on"}


def test_synthetic_free_text_is_realistic_and_keeps_to_the_display_logic(tmp_path, study, config):
    synth.generate(tmp_path, study, study.seed)
    checked = check_survey(tmp_path / str(config["wave"]) / "survey.csv", config)
    assert checked.quarantined["rule"].tolist() == ["preview"]  # no display-logic breach
    s = checked.accepted
    no, yes = s["q4_taken_up"].eq("No").fillna(False), s["q4_taken_up"].eq("Yes").fillna(False)
    for col in ("q5_team_taken_up", "q6_benefits_text", "q7_challenges_text"):
        assert s.loc[~no, col].isna().all() and s.loc[no, col].notna().any(), col
    assert s.loc[~yes, "q14_impact_text"].isna().all() and s.loc[yes, "q14_impact_text"].notna().any()
    assert s["q15_comments_text"].notna().any()


def test_synthetic_free_text_has_bare_answers_and_a_name_to_screen(config):
    workers = pd.DataFrame(
        {
            "worker_id": [f"W{i}" for i in range(40)],
            "team": "T",
            "role": "social worker",
            "fte": 1.0,
            "working_pattern": ["4-day week", "standard"] * 20,
            "planned_flex_days_last_month": [4, 0] * 20,
            "flex_days_taken_last_month": [3, 0] * 20,
        }
    )
    texts = pd.concat(
        [
            synth.simulate_responses(workers, seed, config)[["q6_benefits_text", "q7_challenges_text"]]
            for seed in range(5)
        ]
    ).stack()
    cb = sv.load_text_codebook()
    kinds = texts.map(lambda t: sv.answer_kind(t, cb))
    assert (kinds == "nothing").any() and (kinds == "answer").any()
    assert texts.str.contains("|".join(synth.SYNTHETIC_NAMES)).any()
    assert np.mean([len(t) for t in texts[kinds == "answer"]]) > 60  # one or two sentences


# -- the notebooks: every survey question is shown, and every caption names its questions ------------


def _captions() -> dict[str, tuple[str, str, str]]:
    """label -> (caption, cell source, notebook) of every table and figure cell in the notebook templates."""
    out = {}
    for path in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        for c in nbformat.read(path, as_version=4).cells:
            opts = cell_options(c.source) if c.cell_type == "code" else {}
            cap = opts.get("tbl-cap") or opts.get("fig-cap")
            if cap:
                out[opts["label"]] = (cap, c.source, path.stem)
    return out


def _questions_named(caption: str) -> set[str]:
    """Survey question ids a caption names, ranges ("Q10-Q13", "Q1-Q3") expanded."""
    named = set()
    for a, b in re.findall(r"\bQ(\d+)(?:\s*-\s*Q(\d+))?\b", caption):
        named |= {f"Q{i}" for i in range(int(a), int(b or a) + 1)}
    return named


def test_every_survey_question_is_shown_under_a_caption_that_names_it(config):
    captions = _captions()
    shown = set().union(*(_questions_named(cap) for cap, _, _ in captions.values()))
    assert set(config["questions"]) <= shown, sorted(set(config["questions"]) - shown)
    # a cell that builds a survey table from named questions names each of them in its caption
    for label, (cap, source, _) in captions.items():
        used = set(re.findall(r'"(Q\d+)"', source))
        assert used <= _questions_named(cap), (label, used - _questions_named(cap))
    # and the free-text tables sit in the section the protocol ties them to (the codebook's rq)
    cb = sv.load_text_codebook()
    for qid in ("Q6", "Q7", "Q14", "Q15"):
        (notebook,) = [nb for _, src, nb in captions.values() if f'question_display(study, survey, "{qid}"' in src]
        assert notebook.startswith(f"rq{cb.questions[qid]['rq']}_"), (qid, notebook)
