"""The Qualtrics survey reader (analysis/qualtrics.py) and the synthetic exports (analysis/synthetic/survey.py).

Fixtures: tests/data/survey/hand_text.csv and hand_numeric.csv are written by hand (one preview
and five responses, the same answers as choice text and as numeric recode values from
config/survey.yml); tests/data/bad/survey/ holds one file per bad-input case.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import ConfigError, UnusableFileError
from analysis.qualtrics import (
    check_survey,
    check_survey_source,
    load_survey_config,
    questions,
    tidy_columns,
    tidy_schema,
)
from analysis.studies.flexitime.synthetic import survey as synth

DATA = Path(__file__).parent / "data"
HAND_TEXT = DATA / "survey" / "hand_text.csv"
HAND_NUMERIC = DATA / "survey" / "hand_numeric.csv"
BAD = DATA / "bad" / "survey"


@pytest.fixture(scope="module")
def config():
    return load_survey_config()


def _cat(values, choices, ordered):
    return pd.Series(pd.Categorical(values, categories=choices, ordered=ordered))


def hand_expected() -> pd.DataFrame:
    """The five responses of hand_text.csv, read off the file by eye (the preview on row 4 is not one)."""
    na = pd.NA
    dependants = ["0", "1", "2", "3", "4 or more"]
    stick = ["Always / every week", "Often / most weeks", "Around half the time", "Rarely", "Not at all"]
    return pd.DataFrame(
        {
            "response_id": pd.array(
                [
                    "R_1aB2cD3eF4gH5iJ",
                    "R_2kL3mN4oP5qR6sT",
                    "R_3uV4wX5yZ6aB7cD",
                    "R_4eF5gH6iJ7kL8mN",
                    "R_5oP6qR7sT8uV9wX",
                ],
                dtype="string",
            ),
            "recorded_date": pd.to_datetime(
                [
                    "2021-06-08 09:26:46",
                    "2021-06-09 13:47:31",
                    "2021-06-10 11:19:06",
                    "2021-06-18 10:01:31",
                    "2021-06-14 15:36:41",
                ]
            ).astype("datetime64[ns]"),
            "finished": [True, True, True, False, True],  # row 8: Finished False, Progress 29
            "progress": np.array([100, 100, 100, 29, 100], dtype="int64"),
            "q1_years": [12.0, 0.0, 25.0, 4.0, 7.5],
            "q2_overtime_hours": [3.5, 0.0, 10.0, np.nan, 2.0],
            "q3_dependants": _cat(["2", "0", "1", "4 or more", "3"], dependants, True),
            "q4_taken_up": _cat(["Yes", "No", "Yes", None, "Yes"], ["Yes", "No"], False),
            "q5_team_taken_up": _cat([None, "Yes", None, None, None], ["Yes", "No"], False),
            "q6_benefits_text": pd.array([na, "The team seems less tired.", na, na, na], dtype="string"),
            "q7_challenges_text": pd.array(
                [na, "Arranging cover for duty days is harder.", na, na, na], dtype="string"
            ),
            "q8_stick_to_plans": _cat(["Often / most weeks", None, "Rarely", None, "Always / every week"], stick, True),
            "q9_workload": [True, False, False, False, False],
            "q9_manager": [False, False, True, False, False],
            "q9_coworkers_leave": [True, False, False, False, False],
            "q9_other": [False, False, True, False, False],
            "q9_other_text": pd.array([na, na, "Court dates fell on my day off.", na, na], dtype="string"),
            "q10_work_life_balance": pd.array([4, na, 5, na, 5], dtype="Int64"),  # "4 – somewhat better" -> 4
            "q11_motivation": pd.array([5, na, 4, na, 4], dtype="Int64"),
            "q12_autonomy": pd.array([3, na, 4, na, 5], dtype="Int64"),
            "q13_productivity": pd.array([2, na, 3, na, 4], dtype="Int64"),
            "q14_impact_text": pd.array(
                ["My days are longer, but the day off is worth it.", na, na, na, na], dtype="string"
            ),
            "q15_comments_text": pd.array([na, "I would like the pilot to continue.", na, na, na], dtype="string"),
        }
    )


# -- the hand-written fixture --------------------------------------------------------------------


def test_hand_fixture_gives_the_hand_checked_table(config):
    c = check_survey(HAND_TEXT, config)
    pd.testing.assert_frame_equal(c.accepted, hand_expected())
    assert list(c.accepted.columns) == tidy_columns(config)


def test_choice_text_and_numeric_exports_load_to_equal_tables(config):
    text, numeric = check_survey(HAND_TEXT, config), check_survey(HAND_NUMERIC, config)
    pd.testing.assert_frame_equal(text.accepted, numeric.accepted)
    # numeric Q3 = 1 means "0 dependants" (recode 1..5), Q8 = 4 means "Often" (reversed), Q10 = 14 means 4
    assert numeric.accepted.loc[1, "q3_dependants"] == "0"
    assert numeric.accepted.loc[0, "q8_stick_to_plans"] == "Often / most weeks"
    assert numeric.accepted.loc[0, "q10_work_life_balance"] == 4


def test_preview_is_excluded_counted_and_quarantined(config):
    for path in (HAND_TEXT, HAND_NUMERIC):  # "Survey Preview" / 1
        c = check_survey(path, config)
        assert c.delivered == 6 and len(c.accepted) == 5 and len(c.quarantined) == 1
        q = c.quarantined.iloc[0]
        assert (q["row"], q["column"], q["rule"], q["ResponseId"]) == (4, "Status", "preview", "R_0Preview000000")
        assert "R_0Preview000000" not in set(c.accepted["response_id"])


def test_unfinished_response_is_kept_and_flagged(config):
    c = check_survey(HAND_TEXT, config)
    partial = c.accepted[~c.accepted["finished"]]
    assert partial["response_id"].tolist() == ["R_4eF5gH6iJ7kL8mN"]
    assert partial["progress"].tolist() == [29]
    assert partial["q4_taken_up"].isna().all()  # stopped before Q4


def test_q9_is_split_into_one_column_per_reason(config):
    a = check_survey(HAND_TEXT, config).accepted.set_index("response_id")
    # R_1...: Workload and Coworkers on leave; R_3...: manager and Other (with text)
    assert a.loc["R_1aB2cD3eF4gH5iJ", ["q9_workload", "q9_manager", "q9_coworkers_leave", "q9_other"]].tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert a.loc["R_3uV4wX5yZ6aB7cD", ["q9_workload", "q9_manager", "q9_coworkers_leave", "q9_other"]].tolist() == [
        False,
        True,
        False,
        True,
    ]
    assert a.loc["R_3uV4wX5yZ6aB7cD", "q9_other_text"] == "Court dates fell on my day off."
    assert a[["q9_workload", "q9_manager", "q9_coworkers_leave", "q9_other"]].sum().tolist() == [1, 1, 1, 1]


def test_byte_order_mark_crlf_and_spelling_variants_load_the_same(tmp_path, config):
    text = HAND_TEXT.read_text(encoding="utf-8")
    # an en dash typed as a hyphen, other case and spacing still name the same choice
    text = text.replace(
        "4 – somewhat better,5 – much better,3 – about the same,2 – somewhat worse",
        "4 - Somewhat Better,5 -  much better,3 – About the same,2 – somewhat worse",
    )
    assert "4 - Somewhat Better" in text
    p = tmp_path / "survey.csv"
    p.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    pd.testing.assert_frame_equal(check_survey(p, config).accepted, hand_expected())


def test_uk_day_first_recorded_date_from_a_resaved_file(tmp_path, config):
    text = HAND_TEXT.read_text(encoding="utf-8").replace("2021-06-08 09:26:46,R_1", "08/06/2021 09:26:46,R_1")
    p = tmp_path / "survey.csv"
    p.write_text(text, encoding="utf-8")
    a = check_survey(p, config).accepted
    assert a.loc[0, "recorded_date"] == pd.Timestamp("2021-06-08 09:26:46")  # 8 June, not 6 August


def test_recode_values_come_from_the_configuration(tmp_path, config):
    cfg = copy.deepcopy(config)
    cfg["questions"]["Q4"]["recode"] = {"Yes": 7, "No": 9}
    text = HAND_NUMERIC.read_text(encoding="utf-8").splitlines(keepends=True)
    # Q4 is the 14th column: recode this survey's 1 -> 7 and 2 -> 9 in the response rows
    out = text[:3]
    for line in text[3:]:
        cells = next(csv.reader([line]))
        cells[13] = {"1": "7", "2": "9"}.get(cells[13], cells[13])
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(cells)
        out.append(buf.getvalue())
    p = tmp_path / "survey_numeric.csv"
    p.write_text("".join(out), encoding="utf-8")
    pd.testing.assert_frame_equal(check_survey(p, cfg).accepted, hand_expected())
    with_default = check_survey(p, config)  # read with the default recodes, 7 and 9 are unknown
    assert set(with_default.quarantined["rule"]) == {"preview", "allowed_values"}
    assert len(with_default.accepted) == 1  # only the response that left Q4 empty


# -- bad input: one file per case ----------------------------------------------------------------

# (file, row, column, rule, rows quarantined): each file has two good responses on rows 4 and 5
# and the bad one on row 6; the expected rule is what the file was written to break.
QUARANTINE_CASES = [
    ("q1_ten_years.csv", 6, "Q1", "type", 1),
    ("q1_negative.csv", 6, "Q1", "minimum", 1),
    ("q1_over_60.csv", 6, "Q1", "maximum", 1),
    ("q2_over_80.csv", 6, "Q2", "maximum", 1),
    ("q3_unknown_choice.csv", 6, "Q3", "allowed_values", 1),
    ("q4_unknown_choice.csv", 6, "Q4", "allowed_values", 1),
    ("q10_unknown_choice.csv", 6, "Q10", "allowed_values", 1),
    ("q9_wrong_choice_text.csv", 6, "Q9_2", "allowed_values", 1),
    ("display_logic_q5_when_taken_up.csv", 6, "Q5", "display_logic", 1),
    ("display_logic_q10_when_not_taken_up.csv", 6, "Q10", "display_logic", 1),
    ("display_logic_q8_when_q4_unanswered.csv", 6, "Q8", "display_logic", 1),
    ("duplicate_response_id.csv", 6, "ResponseId", "unique", 2),  # rows 5 and 6 share an id
    ("empty_response_id.csv", 6, "ResponseId", "not_null", 1),
    ("recorded_date_not_a_date.csv", 6, "RecordedDate", "type", 1),
    ("progress_over_100.csv", 6, "Progress", "maximum", 1),
    ("finished_not_boolean.csv", 6, "Finished", "type", 1),
    ("numeric_unknown_recode.csv", 6, "Q10", "allowed_values", 1),  # 3 where Q10 is recoded 11..15
    ("numeric_display_logic_q5_when_taken_up.csv", 6, "Q5", "display_logic", 1),
    ("numeric_choice_text_in_numeric_export.csv", 6, "Q4", "allowed_values", 1),
    # Status: rows that are not responses, each under its own rule, in both export styles (the
    # codes are Qualtrics' SPSS value labels for Status: 1 preview, 2 test, 8 spam, 9 preview spam,
    # 17 offline preview); a status that is no response type at all is an allowed_values problem
    ("status_survey_preview.csv", 6, "Status", "preview", 1),
    ("status_survey_test.csv", 6, "Status", "survey_test", 1),
    ("status_spam.csv", 6, "Status", "spam", 1),
    ("status_imported_spam.csv", 6, "Status", "spam", 1),
    ("status_unknown.csv", 6, "Status", "allowed_values", 1),
    ("numeric_status_survey_preview.csv", 6, "Status", "preview", 1),
    ("numeric_status_survey_test.csv", 6, "Status", "survey_test", 1),
    ("numeric_status_spam.csv", 6, "Status", "spam", 1),
    ("numeric_status_preview_spam.csv", 6, "Status", "preview", 1),
    ("numeric_status_offline_preview.csv", 6, "Status", "preview", 1),
]
# the message each Status case gives (written by hand from the file's Status cell)
STATUS_MESSAGES = {
    "status_survey_test.csv": "Status 'Survey Test': a test response",
    "status_spam.csv": "Status 'Spam': flagged as spam by Qualtrics, not a response",
    "numeric_status_survey_test.csv": "Status '2': a test response",
    "numeric_status_spam.csv": "Status '8': flagged as spam by Qualtrics, not a response",
    "status_unknown.csv": "Status must be a Qualtrics response type (IP Address (0), Imported (4)",
}
UNUSABLE_CASES = [
    ("unusable_empty.csv", "empty"),
    ("unusable_no_header_rows.csv", "three header rows"),
    ("unusable_no_question_text_row.csv", "question-text row"),
    ("unusable_missing_responseid_column.csv", "ResponseId"),
    ("unusable_missing_question_column.csv", "Q8"),
    ("unusable_plain_table.csv", "ResponseId"),
    ("unusable_utf16_tab_export.csv", "UTF-16"),
    ("unusable_ragged_row.csv", "could not be read"),
]


def test_every_bad_file_has_a_case():
    named = {c[0] for c in QUARANTINE_CASES} | {c[0] for c in UNUSABLE_CASES}
    assert named == {p.name for p in BAD.glob("*.csv")}
    assert len(named) >= 10


@pytest.mark.parametrize(("name", "row", "column", "rule", "n_quarantined"), QUARANTINE_CASES)
def test_bad_value_is_quarantined_with_its_rule(name, row, column, rule, n_quarantined, config):
    c = check_survey(BAD / name, config)
    assert c.delivered == 3 == len(c.accepted) + len(c.quarantined)
    assert len(c.quarantined) == n_quarantined
    q = c.quarantined.set_index("row").loc[row]
    assert (q["column"], q["rule"]) == (column, rule)
    assert q["file"] == str(BAD / name)
    assert column in q["message"]
    assert "R_aaaaaaaaaaaaaa1" in set(c.accepted["response_id"])  # the good row 4 is untouched


@pytest.mark.parametrize(("name", "says"), sorted(STATUS_MESSAGES.items()))
def test_status_message_names_the_status_and_why(name, says, config):
    c = check_survey(BAD / name, config)
    q = c.quarantined.set_index("row").loc[6]
    assert q["message"].startswith(f"{q['rule']} (Status): {says}"), q["message"]
    assert q["ResponseId"] == "R_bbbbbbbbbbbbbb3"  # the row as delivered
    assert "R_bbbbbbbbbbbbbb3" not in set(c.accepted["response_id"])


@pytest.mark.parametrize(("name", "says"), UNUSABLE_CASES)
def test_unusable_file_stops_with_a_clear_message(name, says, config):
    with pytest.raises(UnusableFileError) as err:
        check_survey(BAD / name, config)
    text = str(err.value)
    assert name in text and says in text and "What to do" in text
    assert "\n" not in text  # one paragraph


def test_source_check_reports_an_unusable_file_instead_of_raising(tmp_path, study):
    shutil.copy(BAD / "unusable_no_header_rows.csv", tmp_path / "survey.csv")
    checked, unusable = check_survey_source(tmp_path, study)
    assert checked == {} and len(unusable) == 1 and "survey.csv" in str(unusable[0])


# -- the source function -----------------------------------------------------------------------


def test_source_check_prefers_choice_text_then_numeric_then_nothing(tmp_path, study):
    assert check_survey_source(tmp_path, study) == ({}, [])
    shutil.copy(HAND_NUMERIC, tmp_path / "survey_numeric.csv")
    checked, unusable = check_survey_source(tmp_path, study)
    assert unusable == [] and checked["survey"].file.name == "survey_numeric.csv"
    shutil.copy(HAND_TEXT, tmp_path / "survey.csv")
    checked, _ = check_survey_source(tmp_path, study)
    assert checked["survey"].file.name == "survey.csv"
    pd.testing.assert_frame_equal(checked["survey"].accepted, hand_expected())


# -- configuration -------------------------------------------------------------------------------


def test_config_holds_appendix_d(config):
    qs = {q.id: q for q in questions(config)}
    assert list(qs) == [f"Q{i}" for i in range(1, 16)]
    assert qs["Q3"].choices == ("0", "1", "2", "3", "4 or more")
    assert qs["Q8"].choices[0] == "Always / every week" and qs["Q8"].choices[-1] == "Not at all"
    assert qs["Q5"].show_if == ("Q4", "No") and qs["Q14"].show_if == ("Q4", "Yes") and qs["Q9"].show_if is None
    assert [o.column for o in qs["Q9"].options] == ["q9_workload", "q9_manager", "q9_coworkers_leave", "q9_other"]
    assert (qs["Q1"].minimum, qs["Q1"].maximum, qs["Q2"].maximum) == (0, 60, 80)


def test_study_survey_key_wins_over_the_file(study, config):
    cfg = copy.deepcopy(config)
    cfg["questions"]["Q1"]["maximum"] = 45
    s = dataclasses.replace(study, raw={**study.raw, "survey": cfg})
    assert load_survey_config(study=s)["questions"]["Q1"]["maximum"] == 45
    assert load_survey_config(study=study)["questions"]["Q1"]["maximum"] == 60  # no key: config/survey.yml


def test_malformed_config_stops_with_config_error(tmp_path):
    p = tmp_path / "survey.yml"
    p.write_text(
        "survey:\n  questions:\n    Q4:\n      type: choice\n      column: q4\n      choices: [Yes, No]\n"
        "      recode: {Maybe: 3}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="Q4"):
        load_survey_config(p)


# -- synthetic responses and exports ---------------------------------------------------------------


def _workers(n_flex: int, n_standard: int) -> pd.DataFrame:
    n = n_flex + n_standard
    return pd.DataFrame(
        {
            "worker_id": [f"W{9000 + i}" for i in range(n)],
            "team": ["Team A", "Team B", "Team C"] * (n // 3) + ["Team A"] * (n % 3),
            "role": ["social worker"] * n,
            "fte": [1.0] * n,
            "working_pattern": ["9-day fortnight"] * n_flex + ["standard"] * n_standard,
            "planned_flex_days_last_month": [2] * n_flex + [0] * n_standard,
            "flex_days_taken_last_month": [1] * n_flex + [0] * n_standard,
        }
    )


def test_synthetic_exports_round_trip_through_the_reader(tmp_path, config):
    responses = synth.simulate_responses(_workers(12, 12), seed=7)
    tidy_schema(config).validate(responses)
    text, numeric = synth.write_exports(responses, tmp_path, seed=7)
    assert (text.name, numeric.name) == ("survey.csv", "survey_numeric.csv")
    a, b = check_survey(text, config), check_survey(numeric, config)
    pd.testing.assert_frame_equal(a.accepted, responses)
    pd.testing.assert_frame_equal(b.accepted, responses)
    for c in (a, b):  # exactly one preview, nothing else set aside
        assert c.quarantined["rule"].tolist() == ["preview"] and c.delivered == len(responses) + 1


def test_synthetic_exports_look_like_qualtrics(tmp_path):
    workers = _workers(12, 12)
    responses = synth.simulate_responses(workers, seed=3)
    text, numeric = synth.write_exports(responses, tmp_path, seed=3)
    raw = text.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith(
        "StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,ResponseId,"
    )
    assert lines[1].startswith("Start Date,End Date,Response Type,IP Address,")
    assert lines[2].startswith('"{""ImportId"":""startDate"",""timeZone"":""Europe/London""}"')
    assert '"{""ImportId"":""QID9"",""choiceId"":""4""}"' in lines[2]
    assert ",Survey Preview," in lines[3]
    ids = pd.read_csv(text, skiprows=[1, 2], dtype=str, encoding="utf-8-sig")["ResponseId"]
    assert ids.str.fullmatch(r"R_[A-Za-z0-9]{15}").all() and ids.is_unique
    body = raw.decode("utf-8-sig") + numeric.read_bytes().decode("utf-8-sig")
    assert not any(w in body for w in workers["worker_id"])  # no worker identifier leaks into the survey
    num = pd.read_csv(numeric, skiprows=[1, 2], dtype=str, encoding="utf-8-sig")
    assert set(num["Status"]) == {"0", "1"} and set(num["Finished"]) <= {"0", "1"}
    assert set(num["Q10"].dropna()) <= {"11", "12", "13", "14", "15"}


def test_synthetic_exports_are_deterministic(tmp_path):
    responses = synth.simulate_responses(_workers(12, 12), seed=11)
    again = synth.simulate_responses(_workers(12, 12), seed=11)
    pd.testing.assert_frame_equal(responses, again)
    first = [p.read_bytes() for p in synth.write_exports(responses, tmp_path / "a", seed=11)]
    second = [p.read_bytes() for p in synth.write_exports(again, tmp_path / "b", seed=11)]
    other = [
        p.read_bytes()
        for p in synth.write_exports(synth.simulate_responses(_workers(12, 12), seed=12), tmp_path / "c", seed=12)
    ]
    assert first == second and first[0] != other[0]


def test_synthetic_responses_are_plausible(config):
    # 80 draws of 24 workers: the response rate averages about 3 in 4 (expected 0.75; the sd of the
    # mean over 80 x 24 = 1920 workers is sqrt(.75 * .25 / 1920) = 0.0099, so 0.71..0.79 is 4 sd)
    rates = [len(synth.simulate_responses(_workers(12, 12), s, config)) / 24 for s in range(80)]
    assert 0.71 < np.mean(rates) < 0.79
    flex = pd.concat([synth.simulate_responses(_workers(24, 0), s, config) for s in range(20)])
    standard = pd.concat([synth.simulate_responses(_workers(0, 24), s, config) for s in range(20)])
    assert (flex["q4_taken_up"] == "Yes").mean() > 0.85  # noise is 6%
    assert (standard["q4_taken_up"] == "No").mean() > 0.85
    done = flex[flex["finished"]]  # the unfinished stop after Q4
    assert done["q5_team_taken_up"].notna().sum() == (done["q4_taken_up"] == "No").sum() > 0
    better = flex["q10_work_life_balance"].dropna()
    assert (better >= 4).mean() > 0.6  # work-life balance mostly better
    one = synth.simulate_responses(_workers(12, 12), seed=5)
    assert (~one["finished"]).sum() == 2 and (one.loc[~one["finished"], "progress"] < 100).all()
    assert one.loc[~one["finished"], "q15_comments_text"].isna().all()


def test_generate_writes_the_survey_wave(tmp_path, study, config):
    written = synth.generate(tmp_path, study, study.seed)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        f"{config['wave']}/survey.csv",
        f"{config['wave']}/survey_numeric.csv",
    ]
    checked, unusable = check_survey_source(tmp_path / config["wave"], study)
    assert unusable == [] and checked["survey"].quarantined["rule"].tolist() == ["preview"]


# -- property: arbitrary answers never crash the reader and never lose a row ------------------------


def _answer_columns(config) -> list[str]:
    return [c for q in questions(config) for c in q.export_columns]


CELL = st.one_of(
    st.just(""),
    st.text(max_size=15),
    st.integers(-1000, 1000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        [
            "Yes",
            "No",
            "1",
            "2",
            "14",
            "4 or more",
            "Workload",
            "3 – about the same",
            "Rarely",
            " ",
            "Other, please specify:",
            '"',
            ",",
            "\n",
            "ten years",
        ]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), n=st.integers(0, 6), numeric=st.booleans())
def test_arbitrary_answers_never_crash_and_never_lose_a_row(tmp_path, config, data, n, numeric):
    answers = _answer_columns(config)
    header = synth.header_rows(config, ip_address=False)
    rows = []
    for i in range(n):
        meta = {
            "StartDate": "2021-06-08 09:00:00",
            "EndDate": "2021-06-08 09:10:00",
            "Status": "0" if numeric else "IP Address",
            "Progress": "100",
            "Duration (in seconds)": "600",
            "Finished": "1" if numeric else "True",
            "RecordedDate": "2021-06-08 09:10:01",
            "ResponseId": f"R_{i:015d}",
        }
        cells = {c: data.draw(CELL, label=c) for c in answers}
        rows.append([{**meta, **cells}.get(c, "") for c in header[0]])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(header + rows)
    p = tmp_path / "survey.csv"
    p.write_text(buf.getvalue(), encoding="utf-8")
    try:
        c = check_survey(p, config)
    except UnusableFileError:
        return
    assert c.delivered == n == len(c.accepted) + len(c.quarantined)
    assert set(c.accepted["response_id"]) | set(c.quarantined["ResponseId"]) == {f"R_{i:015d}" for i in range(n)}
    assert set(c.quarantined["row"]) <= set(range(4, 4 + n))
    assert c.quarantined["rule"].isin(["type", "minimum", "maximum", "allowed_values", "display_logic"]).all()
    tidy_schema(config).validate(c.accepted)
