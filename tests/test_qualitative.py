"""Framework matrix, prevalence words, themes by research question, quote screening and selection."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import qda
from analysis.qualitative import (
    framework_matrix,
    prevalence_word,
    screen_quote,
    select_quotes,
    themes_by_rq,
)
from analysis.synthetic import interviews as synth

FIXTURE = Path(__file__).parent / "data" / "qda"


@pytest.fixture
def codebook():
    # facilitators > team_cover; barriers > workload; acceptable; work_life_balance; time_pressure; caring
    return qda.load_codebook(FIXTURE / "codebook.yml")


@pytest.fixture
def register():
    return pd.DataFrame(
        {
            "interview_id": ["I1", "I2", "I3", "I4"],
            "site": ["croydon", "croydon", "croydon", "stockport"],
            "wave": ["interim"] * 4,
            "date": pd.to_datetime(["2021-06-02"] * 4),
            "group": ["flexitime user", "flexitime user", "team manager", "flexitime user"],
        }
    )


def seg(rows):
    return pd.DataFrame(rows, columns=["interview_id", "code_id", "start", "end", "text"])


@pytest.fixture
def segments():
    return seg(
        [
            ("I1", "team_cover", 0, 10, "We set up a buddy system so that someone always picks up my calls."),
            (
                "I1",
                "team_cover",
                20,
                30,
                "The buddy system has worked well for the whole team so far.",
            ),  # same code twice
            ("I1", "workload", 40, 50, "My caseload is far too heavy to take a whole day off every fortnight."),
            ("I2", "workload", 0, 10, "Caseloads are high and some weeks the day simply disappears altogether."),
            ("I3", "team_cover", 0, 10, "My manager Rowena drew up the rota so cover never falls through."),
            ("I3", "workload", 20, 30, "When caseloads rise, the first thing to go is the non-working day."),
            ("I4", "work_life_balance", 0, 10, "I see my children after school now, and that has changed everything."),
            ("I9", "workload", 0, 10, "An interview that is not in the register is ignored entirely here."),
        ]
    )


# -- framework matrix ----------------------------------------------------------------------------


def test_framework_matrix_by_hand(segments, register, codebook):
    m = framework_matrix(segments, register, codebook)
    cells = m.set_index(["code_id", "site", "wave", "group"])
    # 8 codes x 3 cells with interviews (croydon users, croydon manager, stockport users)
    assert len(m) == 8 * 3
    # by hand: croydon/interim/flexitime user = I1, I2 (n = 2)
    cu = ("croydon", "interim", "flexitime user")
    assert cells.loc[("team_cover", *cu), ["mentioning", "interviews"]].tolist() == [1, 2]  # I1 (twice: counted once)
    assert cells.loc[("workload", *cu), ["mentioning", "interviews"]].tolist() == [2, 2]  # I1, I2
    assert cells.loc[("barriers", *cu), "mentioning"] == 2  # parent of workload
    assert cells.loc[("facilitators", *cu), "mentioning"] == 1  # parent of team_cover
    assert cells.loc[("work_life_balance", *cu), "mentioning"] == 0
    # croydon/interim/team manager = I3 (n = 1)
    ct = ("croydon", "interim", "team manager")
    assert cells.loc[("team_cover", *ct), ["mentioning", "interviews"]].tolist() == [1, 1]
    assert cells.loc[("workload", *ct), "mentioning"] == 1
    # stockport/interim/flexitime user = I4 (n = 1); I9 is not in the register and counts nowhere
    su = ("stockport", "interim", "flexitime user")
    assert cells.loc[("work_life_balance", *su), ["mentioning", "interviews"]].tolist() == [1, 1]
    assert cells.loc[("workload", *su), "mentioning"] == 0
    assert (m["mentioning"] <= m["interviews"]).all()
    assert m["code_id"].drop_duplicates().tolist()[:2] == ["facilitators", "team_cover"]  # codebook order


def test_framework_matrix_without_aggregation(segments, register, codebook):
    m = framework_matrix(segments, register, codebook, aggregate=False).set_index(["code_id", "group", "site"])
    assert m.loc[("facilitators", "flexitime user", "croydon"), "mentioning"] == 0
    assert m.loc[("barriers", "team manager", "croydon"), "mentioning"] == 0


def test_framework_order(segments, register, codebook):
    m = framework_matrix(segments, register, codebook, order={"site": ["stockport", "croydon"]})
    assert m["site"].drop_duplicates().tolist() == ["stockport", "croydon"]
    # 2 of 2 croydon users mention workload; 1 of 2 team cover; no stockport user team cover
    cell = m.set_index(["code_id", "site", "group"])
    assert cell.loc[("workload", "croydon", "flexitime user"), ["mentioning", "interviews"]].tolist() == [2, 2]
    assert cell.loc[("team_cover", "croydon", "flexitime user"), ["mentioning", "interviews"]].tolist() == [1, 2]
    assert cell.loc[("team_cover", "stockport", "flexitime user"), "mentioning"] == 0


# -- prevalence words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "k, n, word",
    [
        (12, 12, "all"),
        (1, 1, "all"),
        (11, 12, "most"),
        (3, 5, "most"),  # 60% exactly is "most"
        (59, 100, "many"),
        (2, 5, "many"),  # 59% is not; 40% exactly is "many"
        (39, 100, "some"),
        (1, 5, "some"),  # 39% is not; 20% exactly is "some"
        (19, 100, "a few"),
        (1, 12, "a few"),  # under 20% but not none
        (0, 8, "none"),
    ],
)
def test_prevalence_words_at_boundaries(k, n, word):
    assert prevalence_word(k, n) == word


@pytest.mark.parametrize("k, n", [(1, 0), (3, 2), (-1, 4)])
def test_prevalence_word_rejects_impossible_counts(k, n):
    with pytest.raises(ValueError):
        prevalence_word(k, n)


# -- themes by research question ---------------------------------------------------------------------


def test_themes_by_rq(segments, register, codebook):
    t = themes_by_rq(segments, register, codebook, rq="1b", counts=True)
    # by hand, over 4 interviews: barriers and workload 3/4 = 75% (I1-I3) "most"; facilitators and
    # team_cover 2/4 = 50% (I1, I3) "many"; time_pressure 0 "none". Ties keep codebook order.
    assert t["code_id"].tolist() == ["barriers", "workload", "facilitators", "team_cover", "time_pressure"]
    assert t["prevalence"].tolist() == ["most", "most", "many", "many", "none"]
    assert t["mentioning"].tolist() == [3, 3, 2, 2, 0] and set(t["interviews"]) == {4}
    by = t.set_index("code_id")
    # flexitime users (I1, I2, I4): workload 2/3 = 67% "most", team cover 1/3 = 33% "some"
    assert by.loc["workload", "flexitime user"] == "most"
    assert by.loc["team_cover", "flexitime user"] == "some"
    # team manager (I3 alone)
    assert by.loc["team_cover", "team manager"] == "all"
    assert by.loc["time_pressure", "team manager"] == "none"


def test_themes_all_rqs_and_no_counts_by_default(segments, register, codebook):
    t = themes_by_rq(segments, register, codebook)
    assert "mentioning" not in t.columns and "interviews" not in t.columns
    # time_pressure is under 2c and 1b: one row each
    assert sorted(t.loc[t["code_id"] == "time_pressure", "rq"]) == ["1b", "2c"]
    assert t["rq"].tolist() == sorted(t["rq"])
    # work-life balance: 1 of 4 = 25% "some"
    assert t.set_index(["rq", "code_id"]).loc[("2a", "work_life_balance"), "prevalence"] == "some"


# -- quote screening ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("Saoirse has been covering my Fridays.", ["name"]),  # from the name list
        ("My team manager, Priya, sorted the rota.", ["name"]),  # cue + capitalised word
        ("A boy called Jayden needed a visit.", ["name"]),
        ("Mrs Okafor rang the duty line.", ["name"]),
        ("Email me at j.bloggs@croydon.gov.uk if you need to.", ["email"]),
        ("Ring 07700 900123 when she is off.", ["phone"]),
        ("The office number is 0161 496 0000.", ["phone"]),
        ("Call +44 20 7946 0018 in an emergency.", ["phone"]),
        ("The family moved to SK4 2XE in May.", ["postcode"]),
        ("I visited them at 14 Acacia Avenue last week.", ["address"]),
        ("She was born on 3 March 2012, so she is nine.", ["date_of_birth"]),
        ("His DOB is on the file.", ["date_of_birth"]),
        ("The case number is 20210415 on the system.", ["reference_number"]),
    ],
)
def test_screen_catches_each_identifier_type(text, kinds):
    assert screen_quote(text, names=synth.SYNTHETIC_NAMES) == kinds


@pytest.mark.parametrize(
    "text",
    [
        "Having a Friday off every fortnight has made a real difference to my week.",
        "My manager said it was fine as long as the rota was covered.",
        "Between 2019 and 2021 we had 12 to 15 children each.",
        "I do my ten-hour days Monday to Thursday and I'm off on the Friday.",
    ],
)
def test_screen_passes_clean_sentences(text):
    assert screen_quote(text, names=synth.SYNTHETIC_NAMES) == []


def test_screen_every_planted_synthetic_sentence():
    for _, sentence, kinds in synth.PLANTED:
        assert screen_quote(sentence, synth.SYNTHETIC_NAMES) == list(kinds), sentence
    # and no sentence of the bank is flagged (they are the quotable ones)
    assert [s for _, _, s in synth.BANK if screen_quote(s, synth.SYNTHETIC_NAMES)] == []


# -- quote selection ----------------------------------------------------------------------------------


def test_select_quotes(segments, register, codebook, study):
    q = select_quotes(segments, register, codebook, "1b", names=["Rowena"], k=2, study=study)
    assert list(q.columns) == ["rq", "code_id", "code_name", "quote", "attribution"]
    # I3's team cover quote names Rowena, so it is screened out
    assert q.attrs["screened_out"] == 1
    assert not q["quote"].str.contains("Rowena").any()
    # only codes with direct segments: workload (I1, I2, I3 candidates) then team_cover (I1 only left)
    assert set(q["code_id"]) <= {"workload", "team_cover"}
    assert (q.groupby("code_id").size() <= 2).all()
    # one quote per interview: each quote text belongs to a different interview
    source = {t: i for i, t in zip(segments["interview_id"], segments["text"], strict=False)}
    assert len({source[t] for t in q["quote"]}) == len(q)
    # attribution: group, site name, wave label; never an interview id
    allowed = {"Flexitime user, Croydon, Interim (3 months)", "Team manager, Croydon, Interim (3 months)"}
    assert set(q["attribution"]) <= allowed
    assert not q.apply(lambda r: any(i in " ".join(map(str, r)) for i in ["I1", "I2", "I3", "I4"]), axis=1).any()
    # workload: two quotes from different respondent groups preferred (users and the manager both have one)
    wl = q[q["code_id"] == "workload"]
    assert len(wl) == 2 and wl["attribution"].nunique() == 2
    # deterministic
    pd.testing.assert_frame_equal(q, select_quotes(segments, register, codebook, "1b", ["Rowena"], k=2, study=study))


def test_select_quotes_on_synthetic_never_shows_planted_identifiers(tmp_path, study):
    synth.generate(tmp_path, study, study.seed)
    checked, _ = qda.check_interviews_source(tmp_path / "interim", study)
    seg, reg = checked["segments"].accepted, checked["interviews"].accepted
    cb = qda.load_codebook()
    shown = pd.concat(
        [select_quotes(seg, reg, cb, rq, synth.SYNTHETIC_NAMES, k=3, study=study) for rq in sorted(set(cb["rq"]))]
    )
    assert len(shown) > 0
    planted = [s for _, s, _ in synth.PLANTED]
    assert not shown["quote"].isin(planted).any()
    assert not shown["attribution"].str.contains(r"[A-Z]{3}-[A-Z]{3}-\d\d").any()  # no interview ids
    assert shown.groupby("rq")["quote"].apply(lambda s: s.is_unique).all()


def test_empty_inputs_give_empty_tables(codebook, register, study):
    none = seg([])
    m = framework_matrix(none, register, codebook)
    assert len(m) == 8 * 3 and m["mentioning"].eq(0).all()
    assert set(themes_by_rq(none, register, codebook)["prevalence"]) == {"none"}
    assert select_quotes(none, register, codebook, "1b", [], study=study).empty
