"""Framework matrix, prevalence words, themes by research question, quote screening and selection."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import paths, qda, tables
from analysis.config import parse_study
from analysis.errors import ConfigError
from analysis.qualitative import (
    Interviews,
    attribution,
    changed_themes,
    column_words,
    compare_rounds,
    framework_matrix,
    group_columns,
    prevalence_word,
    screen_quote,
    select_quotes,
    site_columns,
    site_wave_columns,
    themes_by_rq,
)
from analysis.studies.flexitime.synthetic import interviews as synth

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
    # attribution, coarsened to cover at least 3 interviews (by hand): Croydon interim flexitime users
    # are I1, I2 (2), Croydon flexitime users still 2, flexitime users I1, I2, I4 (3): "Flexitime user".
    # The team manager I3 is alone at every level, merged with service leaders too: "Interviewee".
    allowed = {"Flexitime user", "Interviewee"}
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


# -- disclosure control for theme words and quotes ---------------------------------------------------
#
# A hand-made register of 17 interviews (two sites, the first and last waves):
#   site A, first wave: team manager x2 (A1, A2), flexitime user x3 (A3-A5)
#   site A, last wave:  team manager x1 (A6), flexitime user x2 (A7, A8)
#   site B, first wave: service leader x2 (B1, B2), flexitime user x3 (B3-B5), non-user x2 (B6, B7)
#   site B, last wave:  flexitime user x2 (B8, B9)
# Groups over both sites: team manager 3, flexitime user 10, service leader 2, non-user 2.
# Theme minimum 5 and quote minimum 3, and the merge rules, are the study configuration's.


@pytest.fixture
def small(study):
    a, b = study.sites[0].id, study.sites[1].id
    first, last = study.waves[0].id, study.waves[-1].id
    rows = (
        [("A1", a, first, "team manager"), ("A2", a, first, "team manager")]
        + [(f"A{i}", a, first, "flexitime user") for i in (3, 4, 5)]
        + [("A6", a, last, "team manager"), ("A7", a, last, "flexitime user"), ("A8", a, last, "flexitime user")]
        + [("B1", b, first, "service leader"), ("B2", b, first, "service leader")]
        + [(f"B{i}", b, first, "flexitime user") for i in (3, 4, 5)]
        + [("B6", b, first, "non-user"), ("B7", b, first, "non-user")]
        + [("B8", b, last, "flexitime user"), ("B9", b, last, "flexitime user")]
    )
    return pd.DataFrame(rows, columns=["interview_id", "site", "wave", "group"])


@pytest.fixture
def small_segments():
    # workload in A1, A3, A6, A7, B3, B8, B9; team cover in A2, A4, B4, B5, B6, B7
    rows = [(i, "workload", 0, 10, "x") for i in ("A1", "A3", "A6", "A7", "B3", "B8", "B9")]
    rows += [(i, "team_cover", 20, 30, "y") for i in ("A2", "A4", "B4", "B5", "B6", "B7")]
    return seg(rows)


def test_the_rules_come_from_the_study_configuration(study):
    d = study.disclosure
    assert (d.theme_min, d.quote_min) == (5, 3)
    assert d.merge_groups[0] == ("managers and leaders", ("team manager", "service leader"))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"theme_min_interviewees": 0}, "theme_min_interviewees must be a whole number"),
        ({"quote_min_interviewees": "three"}, "quote_min_interviewees must be a whole number"),
        ({"merge_groups": [{"name": "x"}]}, "merge_groups[0] needs `name:` and `groups:`"),
    ],
)
def test_bad_rules_are_refused_with_the_setting_named(change, message):
    data = yaml.safe_load(paths.STUDY_CONFIG.read_text())
    data["disclosure"].update(change)
    with pytest.raises(ConfigError) as err:
        parse_study(data)
    assert message in str(err.value)


def test_attribution_coarsened_for_small_groups(small, study):
    a, b = study.sites[0], study.sites[1]
    first, last = study.waves[0], study.waves[-1]
    # service leader at site B: 2 in the wave, 2 at the site, 2 in all -> merged with the 3 team
    # managers: managers and leaders = 5 >= 3
    assert attribution(small, "service leader", b.id, first.id, study) == "Managers and leaders"
    # team manager at site A in the last wave: 1 interview; at site A over both waves: 3 -> wave dropped
    assert attribution(small, "team manager", a.id, last.id, study) == f"Team manager, {a.name}"
    # flexitime users at site B in the first wave: 3 -> attributed in full, with the site's label for the wave
    assert attribution(small, "flexitime user", b.id, first.id, study) == (
        f"Flexitime user, {b.name}, {first.label_for(b.id)}"
    )
    # non-users: 2 everywhere -> the first rule holding them is "practitioners" (10 + 2 = 12)
    assert attribution(small, "non-user", b.id, first.id, study) == "Practitioners"
    # nothing narrow covers 20 interviews (17 in all)
    assert attribution(small, "flexitime user", b.id, first.id, study, minimum=20) == "Interviewee"


def test_group_columns_merge_or_withhold_small_groups(small, study):
    d = study.disclosure
    both = group_columns(small, d, order=study.raw["respondent_groups"])
    # team manager 3 and service leader 2 -> managers and leaders (5); non-user 2 -> practitioners with
    # the flexitime users (10 + 2 = 12): no column under 5 is left
    assert [c.label for c in both.shown] == ["Managers and leaders", "Practitioners"]
    assert [c.size(small) for c in both.shown] == [5, 12] and both.withheld == ()
    assert {c.label for c in both.merged} == {"Managers and leaders", "Practitioners"}
    # site B alone: service leaders (2) have no one to merge with there -> withheld; non-users (2) merge
    site_b = group_columns(small, d, sites=[study.sites[1].id], order=study.raw["respondent_groups"])
    assert [c.label for c in site_b.shown] == ["Practitioners"] and site_b.shown[0].size(small) == 7
    assert [c.label for c in site_b.withheld] == ["Service leader"]
    # site A alone: team managers (3) withheld, flexitime users (5) shown as they are
    site_a = group_columns(small, d, sites=[study.sites[0].id], order=study.raw["respondent_groups"])
    assert [c.label for c in site_a.shown] == ["Flexitime user"] and site_a.merged == ()
    assert [c.label for c in site_a.withheld] == ["Team manager"]


def test_site_and_wave_columns_pool_a_small_wave(small, study):
    a, b = study.sites[0], study.sites[1]
    first, last = study.waves[0], study.waves[-1]
    cols = site_wave_columns(small, study)
    # first wave: A 5, B 7 -> one column each; last wave: A 3, B 2 -> pooled (5)
    assert [c.label for c in cols.shown] == [
        f"{a.name}, {first.label_for(a.id)}",
        f"{b.name}, {first.label_for(b.id)}",
        f"Both sites, {last.label}",
    ]
    assert [c.size(small) for c in cols.shown] == [5, 7, 5]
    assert [c.label for c in cols.merged] == [f"Both sites, {last.label}"] and cols.withheld == ()
    # with a minimum of 6, site A's first wave (5) is pooled too (12), and the last wave (5) withheld
    six = site_wave_columns(small, study, minimum=6)
    assert [c.label for c in six.shown] == [f"Both sites, {first.label}"]
    assert [c.label for c in six.withheld] == [f"Both sites, {last.label}"]
    assert [c.label for c in site_columns(small, study).shown] == [a.name, b.name]  # 8 and 9
    assert site_columns(small, study, minimum=9).withheld[0].label == a.name


def test_theme_words_by_column_by_hand(small, small_segments, codebook, study):
    cols = tables.theme_columns(study, small, groups=True)
    words = column_words(small_segments, small, codebook, cols.shown, rq="1b").set_index("code_id")
    a, b = study.sites[0], study.sites[1]
    first, last = study.waves[0], study.waves[-1]
    # workload: all 7/17 = 41% many; site A first wave 2/5 (A1, A3) = 40% many; site B first wave 1/7 =
    # 14% a few; last wave 4/5 (A6, A7, B8, B9) = 80% most; managers and leaders 2/5 (A1, A6) many;
    # practitioners 5/12 (A3, A7, B3, B8, B9) = 42% many
    assert words.loc["workload", list(words.columns[3:])].tolist() == ["many", "many", "a few", "most", "many", "many"]
    assert list(words.columns[3:]) == [
        tables.ALL_INTERVIEWS,
        f"{a.name}, {first.label_for(a.id)}",
        f"{b.name}, {first.label_for(b.id)}",
        f"Both sites, {last.label}",
        "Managers and leaders",
        "Practitioners",
    ]
    # the counts behind the words (for the analyst): workload in the pooled last wave is 4 of 5
    counts = column_words(small_segments, small, codebook, cols.shown, rq="1b", counts=True).set_index("code_id")
    assert counts.loc["workload", f"Both sites, {last.label}"] == (4, 5)
    # no column shown has fewer than 5 interviews
    assert min(c.size(small) for c in cols.shown) >= study.disclosure.theme_min


def test_themes_display_withholds_small_columns(small, small_segments, codebook, study):
    i = Interviews(small, small_segments, codebook)
    out = tables.themes_display(study, i, "1b")
    # all interviews, then site and wave: site A first wave (5), site B first wave (7), last wave pooled (5)
    assert len(out.columns) == 1 + 1 + 3
    assert not {"Service leader", "Non-user", "Team manager"} & set(out.columns)
    # the two small last-wave cells (3 and 2 interviews) never get a column of their own
    a, b = study.sites[0], study.sites[1]
    last = study.waves[-1]
    assert f"{a.name}, {last.label_for(a.id)}" not in out.columns
    assert f"{b.name}, {last.label_for(b.id)}" not in out.columns
    # rows by prevalence over all interviews: barriers = workload 7/17, facilitators = team cover 6/17
    assert out["Theme (code)"].tolist()[:2] == ["Barriers", "Workload and caseload"]
    # with 4 interviews only, nothing can be shown
    tiny = Interviews(small.head(4), small_segments, codebook)
    assert tables.themes_display(study, tiny, "1b")["Note"].str.startswith("Fewer than 5 interviews").all()


def test_change_by_the_last_wave_pools_the_sites_when_too_small(small, small_segments, codebook, study):
    a, b = study.sites[0], study.sites[1]
    first, last = study.waves[0], study.waves[-1]
    cmp = compare_rounds(small, study, last.id)
    # each site's previous round is the first wave (no interviews in between); the last wave has 3 and 2
    assert dict(cmp.earlier) == {a.id: first.id, b.id: first.id} and not cmp.per_site
    ((before, after),) = cmp.pairs
    assert (before.size(small), after.size(small)) == (12, 5)
    words = column_words(small_segments, small, codebook, [before, after], rq="1b").set_index("code_id")
    # workload 3/12 (A1, A3, B3) = 25% some -> 4/5 most; team cover 6/12 = 50% many -> 0/5 none
    assert words.loc["workload", [before.label, after.label]].tolist() == ["some", "most"]
    assert words.loc["team_cover", [before.label, after.label]].tolist() == ["many", "none"]
    rose, fell = changed_themes(words.reset_index(), before.label, after.label)
    assert "Workload and caseload" in rose and "Team cover" in fell
    # the sentence says why the sites are together, naming the small rounds, and what rose and fell
    i = Interviews(small, small_segments, codebook)
    text = tables.change_sentence(study, i, last.id, rqs=["1b"]).data
    assert f"{a.name}, {last.label_for(a.id)} and {b.name}, {last.label_for(b.id)} had fewer than 5" in text
    assert "“workload and caseload”" in text.split("less widely")[0] and "“team cover”" in text.split("less widely")[1]
    shown = tables.change_display(study, i, last.id, rqs=["1b"]).set_index("Theme (code)")
    assert shown.loc["Team cover", "Change (Both sites)"] == "fell"
    assert shown.loc["Workload and caseload", "Change (Both sites)"] == "rose"


def test_change_per_site_when_the_minimum_allows(small, small_segments, codebook, study):
    low = dataclasses.replace(study, disclosure=dataclasses.replace(study.disclosure, theme_min=2))
    last = study.waves[-1]
    cmp = compare_rounds(small, low, last.id)
    # per site: A 5 -> 3, B 7 -> 2, every column at least 2
    assert cmp.per_site and [(p.size(small), q.size(small)) for p, q in cmp.pairs] == [(5, 3), (7, 2)]
    words = column_words(small_segments, small, codebook, [c for p in cmp.pairs for c in p], rq="1b")
    a_before, a_after = (c.label for c in cmp.pairs[0])
    # site A workload 2/5 (A1, A3) many -> 2/3 (A6, A7) most
    assert words.set_index("code_id").loc["workload", [a_before, a_after]].tolist() == ["many", "most"]


def test_site_contrast_sentence_names_sites_from_the_configuration(small, small_segments, codebook, study):
    a, b = study.sites[0], study.sites[1]
    i = Interviews(small, small_segments, codebook)
    text = tables.sites_sentence(study, i, "1b").data
    # site A is A1-A8 (8), site B is B1-B9 (9). Workload: A 4/8 (A1, A3, A6, A7) = 50% many, B 3/9 (B3,
    # B8, B9) = 33% some; team cover: A 2/8 (A2, A4) = 25% some, B 4/9 (B4-B7) = 44% many; parents
    # follow their child; time pressure none at both
    assert text.startswith(f"Comparing {a.name}, where the offer was new, with {b.name}, where the offer was long")
    assert f"Raised more widely in {a.name}: “barriers” and “workload and caseload”." in text
    assert f"Raised more widely in {b.name}: “facilitators” and “team cover”." in text
    assert "The other 1 themes came up about as widely" in text
