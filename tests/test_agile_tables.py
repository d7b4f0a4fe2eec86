"""The agile study's report tables (analysis/studies/agile/tables.py) on small hand-made frames.

Every expected number, word and label below was worked out by hand from the frames in the test
(the working is in the comments), not taken from the code's output. The study configuration is
the agile study's own (read from the repository: the test sandbox holds no ``studies/`` folder),
with a lower disclosure threshold where a test needs cells on both sides of it.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from analysis.config import Disclosure, load_study
from analysis.errors import ConfigError
from analysis.outputs import audit_model
from analysis.qda import load_codebook
from analysis.studies.agile import tables as T
from analysis.studies.agile.codebook import load_findings_areas, load_findings_map
from tests.sandbox import REPO

CONFIG = REPO / "studies" / "agile" / "config"
PHASE_1, PHASE_2 = "Phase 1 (during social distancing)", "Phase 2 (after social distancing)"
MODES = ["Observations", "In person", "Video", "Phone", "Email", "Instant message or text"]


@pytest.fixture(scope="module")
def study():
    return load_study(CONFIG / "study.yml")


@pytest.fixture(scope="module")
def low(study):
    """The same study with a disclosure threshold of 3 (so that small hand-made tables show cells)."""
    return replace(study, disclosure=Disclosure(threshold=3, dominance_n=2, dominance_k=0.9, p_ratio=0.1))


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(CONFIG / "codebook.yml")


def obs(rows: list[tuple]) -> pd.DataFrame:
    """Observations from (phase, authority, activity, setting, modes, synchrony, others_roles)."""
    cols = ["phase", "authority", "activity", "setting", "modes", "synchrony", "others_roles"]
    frame = pd.DataFrame(rows, columns=cols)
    frame.insert(0, "observation_id", [f"O{i}" for i in range(1, len(frame) + 1)])
    return frame


def register(rows: list[tuple]) -> pd.DataFrame:
    """Interviews from (interview_id, site, wave, group, participant_id)."""
    return pd.DataFrame(rows, columns=["interview_id", "site", "wave", "group", "participant_id"])


def segments(
    pairs: list[tuple[str, str]], text: str = "Some words said in the interview that are long enough."
) -> pd.DataFrame:
    return pd.DataFrame(
        [{"interview_id": i, "code_id": c, "text": text, "start": k * 100} for k, (i, c) in enumerate(pairs)]
    )


# -- configuration -------------------------------------------------------------------------------


def test_interview_rules_come_from_the_study_configuration(study):
    r = T.interview_rules(study)
    assert (r.theme_min, r.quote_min) == (5, 3)
    assert [name for name, _ in r.merge_groups] == [
        "parents, carers and young people",
        "social workers and students",
        "leaders and supervisors",
        "practitioners",
    ]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"theme_min_interviewees": 0}, "disclosure.theme_min_interviewees must be a whole number, 1 or more"),
        ({"quote_min_interviewees": "three"}, "disclosure.quote_min_interviewees must be a whole number"),
        ({"merge_groups": [{"name": "users"}]}, "disclosure.merge_groups[0] needs `name:` and `groups:`"),
    ],
)
def test_bad_interview_rules_are_named(study, change, message):
    with pytest.raises(ConfigError) as e:
        T.rules_from_config({**study.raw["disclosure"], **change})
    assert message in str(e.value)


# -- observations ------------------------------------------------------------------------------------

FIVE = obs(
    [
        ("phase_1", "authority_a", "home visit", "family's home", "in person; phone", "synchronous", "parent or carer"),
        ("phase_1", "authority_a", "home visit", "family's home", "in person", "synchronous", "parent or carer"),
        (
            "phase_1",
            "authority_b",
            "team meeting",
            "online",
            "video; instant message or text",
            "synchronous",
            "social worker",
        ),
        ("phase_2", "authority_b", "team meeting", "online", "video", "synchronous", "social worker"),
        ("phase_2", "authority_a", "recording", "home working", "email", "asynchronous", None),
    ]
)


def test_mode_counts_count_each_observation_once_per_mode(study):
    got = T.mode_counts(FIVE, study, "activity")
    # by hand: home visits O1 (in person, phone) and O2 (in person); team meetings O3 (video, message)
    # and O4 (video); recording O5 (email). Columns: observations, then each mode.
    expected = pd.DataFrame(
        [
            [2, 2, 0, 1, 0, 0],
            [2, 0, 2, 0, 0, 1],
            [0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0],
            [1, 0, 0, 0, 1, 0],
            [0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0],
            [5, 2, 2, 1, 1, 1],
        ],
        index=pd.Index(
            [
                "home visit",
                "team meeting",
                "supervision",
                "professionals' meeting",
                "recording",
                "duty",
                "other",
                "All activities",
            ],
            name="Activity",
        ),
        columns=MODES,
        dtype="int64",
    )
    pd.testing.assert_frame_equal(got, expected)
    # one authority: Authority A holds O1, O2, O5 only
    a = T.mode_counts(FIVE, study, "activity", site="authority_a").loc["All activities"].tolist()
    assert a == [3, 2, 0, 1, 1, 0]


def test_modes_by_setting_disclosed_with_the_structural_zero(low):
    assert T.modes_display(FIVE, low, "setting")["Setting"].tolist()[:3] == ["Office", "Home working", "Family's home"]
    d = T.modes_disclosed(FIVE, low, "setting").display
    # online x in person cannot occur (rule online_not_in_person): shown as 0, not suppressed
    assert d.loc["online", "In person"] == "0"
    # every other count here is below 3 or zero, so suppressed, except the observations total (5: by
    # hand the suppressed settings add up to 2 + 2 + 1 = 5, not fewer than 3, so it may show)
    assert d.loc["All settings", "Observations"] == "5"
    assert d.loc["family's home", "In person"] == "<3"
    assert d.loc["All settings", "In person"] == "<3"  # 2 in all
    shown = [v for v in d.drop(index="online", columns="In person", errors="ignore").to_numpy().ravel()]
    assert all(v == "<3" or int(v.replace(",", "")) >= 3 for v in shown)


def test_modes_by_phase_rows_are_phase_labels(study):
    got = T.mode_counts(FIVE, study, "phase")
    # by hand: phase 1 holds O1-O3 (in person twice, phone, video, message), phase 2 O4, O5
    assert got.index.tolist() == [PHASE_1, PHASE_2, "All phases"]
    assert got.loc[PHASE_1].tolist() == [3, 2, 1, 1, 0, 1]
    assert got.loc[PHASE_2].tolist() == [2, 0, 1, 0, 1, 0]


def three_columns(study):
    """The study without ``observation.synchrony_display``: synchronous, asynchronous, both."""
    observation = {k: v for k, v in study.raw["observation"].items() if k != "synchrony_display"}
    return replace(study, raw={**study.raw, "observation": observation})


@pytest.mark.parametrize(
    "groups, message",
    [
        ({"Synchronous only": ["synchronous"], "Other": ["asynchronous"]}, "exactly one column"),
        ({"A": ["synchronous", "asynchronous"], "B": ["asynchronous", "both"]}, "exactly one column"),
        (["synchronous"], "must map a column name"),
    ],
)
def test_bad_synchrony_columns_are_named(study, groups, message):
    bad = replace(study, raw={**study.raw, "observation": {**study.raw["observation"], "synchrony_display": groups}})
    with pytest.raises(ConfigError, match=message):
        T.synchrony_groups(bad)


def test_synchrony_counts_and_display(low):
    rows = [("phase_1", "authority_a", "duty", "office", "phone", "synchronous", None)] * 4
    rows += [("phase_1", "authority_a", "recording", "home working", "email", "asynchronous", None)] * 3
    rows += [("phase_2", "authority_a", "duty", "office", "phone; email", "both", None)] * 3
    rows += [("phase_2", "authority_a", "duty", "office", "phone", "synchronous", None)] * 5
    o = obs(rows)
    c = T.synchrony_counts(o, low, "phase")
    # by hand: phase 1 4 synchronous, 3 asynchronous; phase 2 5 synchronous, 3 both
    assert c.to_dict("index") == {
        PHASE_1: {"Synchronous": 4, "Asynchronous": 3, "Both": 0},
        PHASE_2: {"Synchronous": 5, "Asynchronous": 0, "Both": 3},
    }
    # as configured (observation.synchrony_display): synchronous only against asynchronous wholly or in
    # part; by hand phase 1 4 and 3 (+ 0 both), phase 2 5 and 0 + 3, all at or above the threshold 3
    d = T.synchrony_display(o, low, "phase").set_index("Phase")
    assert d.to_dict("index") == {
        PHASE_1: {"Synchronous only": "4", "Asynchronous, wholly or in part": "3", "All observations": "7"},
        PHASE_2: {"Synchronous only": "5", "Asynchronous, wholly or in part": "3", "All observations": "8"},
        "All phases": {"Synchronous only": "9", "Asynchronous, wholly or in part": "6", "All observations": "15"},
    }
    # without the setting: one column per value
    d = T.synchrony_display(o, three_columns(low), "phase").set_index("Phase")
    assert list(d.columns) == ["Synchronous", "Asynchronous", "Both", "All observations"]
    # threshold 3: the two zeros are suppressed; each row then has one suppressed cell, so its total
    # would give it away: by hand the engine hides one more cell per row and the columns are then
    # protected too. Whatever it picks, no zero shows and the totals of rows and columns hold.
    assert d.loc[PHASE_1, "Both"] == "<3" and d.loc[PHASE_2, "Asynchronous"] == "<3"
    assert d.loc["All phases", "All observations"] == "15"  # 4 + 3 + 5 + 3
    for phase in (PHASE_1, PHASE_2):
        assert (d.loc[phase] == "<3").sum() != 1  # never a single suppressed cell in a row with its total


def test_professionals_only_meetings_and_their_online_share(low):
    p1 = [("phase_1", "authority_a", "team meeting", "online", "video", "synchronous", "social worker")] * 6
    p1 += [
        ("phase_1", "authority_b", "supervision", "office", "in person", "synchronous", "supervisor or team manager")
    ] * 3
    p1 += [  # not professionals-only, or not a meeting: left out
        (
            "phase_1",
            "authority_a",
            "professionals' meeting",
            "online",
            "video",
            "synchronous",
            "other professional; parent or carer",
        ),
        ("phase_1", "authority_a", "home visit", "online", "video", "synchronous", "other professional"),
        ("phase_1", "authority_a", "team meeting", "online", "video", "synchronous", None),
        (
            "phase_1",
            "authority_a",
            "professionals' meeting",
            "online",
            "video",
            "synchronous",
            "other professional; other family member",
        ),
    ]
    p2 = [("phase_2", "authority_b", "professionals' meeting", "online", "video", "synchronous", "other professional")]
    o = obs(p1 + p2)
    counts = T.online_meeting_counts(o, low)
    # by hand: phase 1 has 6 online team meetings and 3 supervisions in the office; phase 2 one online
    assert counts.to_dict("index") == {PHASE_1: {"Online": 6, "Not online": 3}, PHASE_2: {"Online": 1, "Not online": 0}}
    d = T.online_meetings_display(o, low).set_index("Phase")
    # All phases: 7 online of 10. Wilson 95% interval by hand (z = 1.95996): centre
    # (0.7 + z^2/20) / (1 + z^2/10) = 0.6445, half-width z * sqrt(0.021 + z^2/400) / (1 + z^2/10) = 0.2477,
    # so 39.7% to 89.2% (the published Wilson interval for 7/10: 0.3968 to 0.8922)
    assert d.loc["All phases"].tolist() == ["10", "7", "70% (95% CI 40% to 89%)"]
    # phase 2's counts (1 and 0) are below 3; the totals would give them away, so phase 1's are hidden too
    assert d.loc[PHASE_2, "Online share (95% CI)"] == T.NOT_REPORTABLE
    assert d.loc[PHASE_1, "Online share (95% CI)"] == T.NOT_REPORTABLE
    assert d.loc[PHASE_2, "Online"] == "<3"
    # one authority: Authority B has the 3 office supervisions and the phase 2 meeting
    b = T.online_meeting_counts(o, low, site="authority_b")
    assert b.to_dict("index") == {PHASE_1: {"Online": 0, "Not online": 3}, PHASE_2: {"Online": 1, "Not online": 0}}


def test_fieldwork_counts(low):
    o = obs([("phase_1", "authority_a", "duty", "office", "phone", "synchronous", None)] * 4)
    r = register(
        [
            ("I1", "authority_a", "phase_2", "social worker", "P1"),
            ("I2", "authority_b", "phase_2", "social worker", "P2"),
        ]
    )
    c = T.fieldwork_counts(o, r, low, site="authority_a")
    assert c.to_dict("index") == {
        PHASE_1: {"Observations": 4, "Interviews": 0},
        PHASE_2: {"Observations": 0, "Interviews": 1},
    }
    d = T.fieldwork_display(o, r, low, site="authority_a").set_index("Phase")
    assert d.loc["All phases", "Observations"] == "4" and d.loc["All phases", "Interviews"] == "<3"


def test_a_total_of_small_cells_is_suppressed_so_that_it_does_not_narrow_them(study):
    """Threshold 10: interviews 9 (phase 1) and 6 (phase 2) are both suppressed; a published total of
    15 would pin each to 6..9 (15 - 9 = 6), four values where "<10" promises ten, so the total is
    suppressed too. The observations (12 and 11, total 23) all show."""
    o = obs(
        [("phase_1", "authority_a", "duty", "office", "phone", "synchronous", None)] * 12
        + [("phase_2", "authority_a", "duty", "office", "phone", "synchronous", None)] * 11
    )
    r = register(
        [(f"I{k}", "authority_a", "phase_1", "social worker", f"P{k}") for k in range(9)]
        + [(f"J{k}", "authority_a", "phase_2", "social worker", f"Q{k}") for k in range(6)]
    )
    shown = T.fieldwork_display(o, r, study, site="authority_a").set_index("Phase")
    assert shown["Observations"].tolist() == ["12", "11", "23"]
    assert shown["Interviews"].tolist() == ["<10", "<10", "<10"]
    rec = record(T.fieldwork_display(o, r, study, site="authority_a"))
    total = rec.cell("All phases", "Interviews")
    assert total.held == 15.0 and total.reasons == ("secondary",) and "differencing" in total.detail
    # the engine's audit of the table as published: nothing narrowed any more
    assert not [x for x in audit_model([rec], 10).audit() if x.fails]


def test_totals_that_pin_a_row_of_small_cells_are_suppressed_until_the_audit_passes(study):
    """Threshold 10, by hand: phase 1 10 synchronous and 8 asynchronous (18), phase 2 9 and 8 (17), 35 in
    all. Shown 18 and 35 give phase 2's 17 (35 - 18) even with it suppressed, and 17 split into two
    cells under 10 pins each to 8..9; so one more count goes, and nothing is narrowed any more."""
    rows = [("phase_1", "authority_c", "duty", "office", "phone", "synchronous", None)] * 10
    rows += [("phase_1", "authority_c", "recording", "home working", "email", "asynchronous", None)] * 8
    rows += [("phase_2", "authority_c", "duty", "office", "phone", "synchronous", None)] * 9
    rows += [("phase_2", "authority_c", "recording", "home working", "email", "both", None)] * 8
    shown = T.synchrony_display(obs(rows), study, "phase", site="authority_c")
    rec = record(shown, "case_c/tbl-case-synchrony")
    assert not [x for x in audit_model([rec], 10).audit() if x.fails]
    printed = shown.set_index("Phase").to_numpy().ravel().tolist()
    assert all(v == "<10" or int(v) >= 10 for v in printed), printed
    assert rec.cell(PHASE_2, "All observations").held == 17.0


def test_a_case_study_gives_interviews_over_all_phases_only(study):
    """One authority's interviews, 9 and 6 by phase (by hand), are shown only as 15 over both phases:
    the cross-case report gives each phase over three authorities (27 in phase 1: three suppressed
    counts adding to 27 would each be 9)."""
    o = obs(
        [("phase_1", "authority_a", "duty", "office", "phone", "synchronous", None)] * 12
        + [("phase_2", "authority_a", "duty", "office", "phone", "synchronous", None)] * 11
    )
    r = register(
        [(f"I{k}", "authority_a", "phase_1", "social worker", f"P{k}") for k in range(9)]
        + [(f"J{k}", "authority_a", "phase_2", "social worker", f"Q{k}") for k in range(6)]
    )
    table = T.fieldwork_display(o, r, study, site="authority_a", interviews_by_phase=False)
    shown = table.set_index("Phase")
    assert shown["Observations"].tolist() == ["12", "11", "23"]
    assert shown["Interviews"].tolist() == ["–", "–", "15"]
    rec = record(table)
    assert rec.cell(PHASE_1, "Interviews").value == "–" and not rec.cell(PHASE_1, "Interviews").reasons
    assert rec.status == "pass" and not [x for x in audit_model([rec], 10).audit() if x.fails]


def test_a_case_studys_synchrony_is_given_over_all_phases(study):
    """The same observations as above (by hand: 10 + 9 synchronous only, 8 + 8 asynchronous at least in
    part, 35 in all) over all phases only: every count shows, and no phase's split can be differenced
    against the fieldwork table's observations by phase."""
    rows = [("phase_1", "authority_c", "duty", "office", "phone", "synchronous", None)] * 10
    rows += [("phase_1", "authority_c", "recording", "home working", "email", "asynchronous", None)] * 8
    rows += [("phase_2", "authority_c", "duty", "office", "phone", "synchronous", None)] * 9
    rows += [("phase_2", "authority_c", "recording", "home working", "email", "both", None)] * 8
    shown = T.synchrony_display(obs(rows), study, "phase", site="authority_c", total_only=True)
    assert shown.to_dict("records") == [
        {
            "Phase": "All phases",
            "Synchronous only": "19",
            "Asynchronous, wholly or in part": "16",
            "All observations": "35",
        }
    ]
    assert record(shown).status == "pass"


# -- output records (what tables.show registers for output checking) -------------------------------


def record(table, oid: str = "r/tbl-x", released: bool = False):
    assert table.output_spec is not None, "a count table carries its output record"
    return table.output_spec.build(oid, released)


def test_count_tables_carry_their_output_record_with_the_true_counts(low):
    rows = [("phase_1", "authority_a", "duty", "office", "phone", "synchronous", None)] * 4
    rows += [("phase_1", "authority_a", "recording", "home working", "email", "asynchronous", None)] * 3
    rows += [("phase_2", "authority_a", "duty", "office", "phone; email", "both", None)] * 3
    rows += [("phase_2", "authority_a", "duty", "office", "phone", "synchronous", None)] * 5
    shown = T.synchrony_display(obs(rows), three_columns(low), "phase")
    o = record(shown)
    # the record's rows and columns are the printed table's (first column: the row labels)
    assert list(o.rows) == shown["Phase"].tolist() and list(o.columns) == list(shown.columns[1:])
    # a suppressed cell: "<3" as printed, its reason, and the true count by hand (phase 1, both: 0)
    cell = o.cell(PHASE_1, "Both")
    assert cell.value == "<3" and cell.mitigated == "suppressed" and cell.held == 0.0
    assert "zeros" in cell.reasons or "threshold" in cell.reasons
    assert o.cell("All phases", "All observations").value == "15" and o.status == "review"
    # every printed cell is the record's cell, and nothing under the threshold is published unmitigated
    for c in o.cells:
        assert shown.set_index("Phase").loc[c.row, c.column] == c.value
        if c.value.isdigit() and int(c.value) < 3:
            assert c.mitigated, c
    # under an approved exception the released table shows the true counts (a dagger on each)
    assert shown.output_spec.released is not None
    assert record(shown, released=True).cell(PHASE_1, "Both").value.startswith("0")


def test_mode_and_fieldwork_records_keep_the_printed_labels(low):
    m = record(T.modes_display(FIVE, low, "setting"))
    assert m.rows[:3] == ("Office", "Home working", "Family's home") and m.rows[-1] == "All settings"
    assert m.cell("Online", "In person").value == "0" and not m.cell("Online", "In person").reasons  # structural
    assert m.cell("Family's home", "In person").held == 2.0  # O1 and O2 (FIVE, by hand)
    o = obs([("phase_1", "authority_a", "duty", "office", "phone", "synchronous", None)] * 4)
    r = register([("I1", "authority_a", "phase_2", "social worker", "P1")])
    f = record(T.fieldwork_display(o, r, low, site="authority_a"))
    assert f.cell("All phases", "Interviews").value == "<3" and f.cell("All phases", "Interviews").held == 1.0


def test_online_meetings_record_holds_counts_and_shares(low):
    rows = [("phase_1", "authority_a", "team meeting", "online", "video", "synchronous", "social worker")] * 6
    rows += [
        ("phase_1", "authority_b", "supervision", "office", "in person", "synchronous", "supervisor or team manager")
    ] * 3
    rows += [("phase_2", "authority_b", "professionals' meeting", "online", "video", "synchronous", "social worker")]
    shown = T.online_meetings_display(obs(rows), low)
    o = record(shown)
    assert list(o.columns) == ["Professionals-only meetings", "Online", "Online share (95% CI)"]
    assert list(shown.columns) == ["Phase", *o.columns]
    share = o.cell(PHASE_2, "Online share (95% CI)")
    assert share.value == T.NOT_REPORTABLE and share.reasons == ("threshold",) and share.mitigated == "suppressed"
    # by hand: 7 online of 10 meetings in all
    assert (
        o.cell("All phases", "Online").value == "7"
        and o.cell("All phases", "Professionals-only meetings").value == "10"
    )
    assert o.cell(PHASE_2, "Online").held == 1.0


# -- themes ------------------------------------------------------------------------------------------


def roster(site: str, counts: dict[str, int], prefix: str) -> list[tuple]:
    rows, n = [], 0
    for group, k in counts.items():
        for _ in range(k):
            n += 1
            rows.append((f"{prefix}{n:02d}", site, "phase_1", group, f"{prefix}P{n:02d}"))
    return rows


def test_role_columns_merge_small_roles_by_the_configured_rules(study):
    # one authority as the synthetic plan has it: 2 leaders, 3 supervisors, 5 social workers,
    # 2 students, 2 parents, 1 young person. Minimum 5, by hand, rule by rule: parents + young
    # person = 3 (merged, still too small); students (2) merge with social workers: 7; leaders (2)
    # with supervisors: 5; "practitioners" does not apply (both its columns now have 5 or more).
    reg = register(
        roster(
            "authority_a",
            {
                "service leader": 2,
                "supervisor or team manager": 3,
                "social worker": 5,
                "student or newly qualified social worker": 2,
                "parent or carer": 2,
                "young person": 1,
            },
            "A",
        )
    )
    shown, withheld = T.role_columns(reg, study)
    assert [c.label for c in shown] == ["Leaders and supervisors", "Social workers and students"]
    assert [c.label for c in withheld] == ["Parents, carers and young people"]
    assert shown[0].groups == {"service leader", "supervisor or team manager"}


def test_role_columns_count_people_not_interviews(study):
    # 5 interviews of social workers but only 4 people (P1 twice): too few for words
    reg = register([(f"I{k}", "authority_a", "phase_1", "social worker", f"P{max(k, 1)}") for k in range(0, 5)])
    shown, withheld = T.role_columns(reg, study)
    assert shown == [] and [c.label for c in withheld] == ["Social worker"]


@pytest.fixture
def ten():
    """5 social workers (S1-S5) and 5 service leaders (L1-L5) at Authority A, 3 social workers at B."""
    reg = register(
        roster("authority_a", {"social worker": 5}, "S")
        + roster("authority_a", {"service leader": 5}, "L")
        + roster("authority_b", {"social worker": 3}, "B")
    )
    seg = segments(
        [("S01", "supervision"), ("S02", "supervision"), ("S03", "supervision"), ("L01", "supervision")]
        + [(f"L0{k}", "hot_desking") for k in range(1, 6)]
        + [("B01", "supervision"), ("B02", "reluctance_to_ask")]
    )
    return reg, seg


def test_themes_by_role_in_words(study, codebook, ten):
    reg, seg = ten
    t = T.themes_by_role(seg, reg, codebook, study, "aim3", site="authority_a").set_index("Theme")
    assert list(t.columns) == ["All interviews", "Service leader", "Social worker"]  # roles in study order
    # by hand, Authority A (10 interviews): "Agile practices" (parent of both codes) is mentioned in
    # S01-S03 and L01-L05 = 8/10 (most); leaders 5/5 (all); social workers 3/5 (most)
    assert t.loc["Agile practices"].tolist() == ["most", "all", "most"]
    # hot-desking: 5/10 = 50% (many); leaders 5/5 (all); social workers 0/5 (none)
    assert t.loc["Hot-desking and office space"].tolist() == ["many", "all", "none"]
    # supervision: 4/10 = 40% (many); leaders 1/5 = 20% (some); social workers 3/5 = 60% (most)
    assert t.loc["Supervision"].tolist() == ["many", "some", "most"]
    # most widely raised first: 8/10, then 5/10, then 4/10, then the codes no one raised
    assert t.index[:3].tolist() == ["Agile practices", "Hot-desking and office space", "Supervision"]
    assert t.loc["Long working hours"].tolist() == ["none", "none", "none"]
    assert T.words_only(t.reset_index())
    counts = T.themes_by_role(seg, reg, codebook, study, "aim3", site="authority_a", counts=True).set_index("Theme")
    assert counts.loc["Supervision"].tolist() == [(4, 10), (1, 5), (3, 5)]


def test_themes_for_a_small_authority_show_no_words(study, codebook, ten):
    reg, seg = ten
    t = T.themes_by_role(seg, reg, codebook, study, "aim3", site="authority_b")
    # Authority B: 3 social workers, fewer than 5: no role column, and no words for all interviews
    assert list(t.columns) == ["Theme", "All interviews"]
    assert set(t["All interviews"]) == {T.TOO_FEW}
    assert t.attrs["withheld"] == ["Social worker"]
    assert "Social worker" in T.withheld_note(t, study) and "fewer than 5" in T.withheld_note(t, study)


def test_cross_case_matrix(study, codebook, ten):
    reg, seg = ten
    findings = load_findings_map(CONFIG / "codebook.yml")
    areas = load_findings_areas(CONFIG / "codebook.yml")
    m = T.cross_case_matrix(seg, reg, codebook, study, findings, areas, area="less_experienced_support")
    assert list(m.columns) == [
        "Theme",
        "Findings area",
        "All authorities",
        "Authority A: Service leader",
        "Authority A: Social worker",
    ]
    assert m.attrs["withheld"] == ["Authority B: Social worker"]
    m = m.set_index("Theme")
    # the codebook maps supervision, peer support, supporting newer staff, team relationships,
    # coping strategies, narrowed communication and reluctance to ask to this area
    assert len(m) == 7
    # supervision over all 13 interviews: S01-S03, L01, B01 = 5/13 = 38% (some)
    assert m.loc["Supervision", "All authorities"] == "some"
    assert m.loc["Supervision", "Authority A: Social worker"] == "most"  # 3/5
    # reluctance: B02 only: 1/13 = 8% (a few); none at Authority A
    assert m.loc["Reluctance to initiate contact"].tolist()[1:] == ["a few", "none", "none"]
    assert m.loc["Supervision", "Findings area"] == "Support for less experienced practitioners"
    assert T.words_only(m.reset_index())


def test_experience_contrast(study, codebook):
    less = [(f"N{k}", "authority_a", "phase_1", "student or newly qualified social worker", f"PN{k}") for k in range(5)]
    more = [(f"M{k}", "authority_b", "phase_1", "social worker", f"PM{k}") for k in range(5)]
    users = [(f"U{k}", "authority_a", "phase_2", "parent or carer", f"PU{k}") for k in range(5)]
    reg = register(less + more + users)
    bands = {f"PN{k}": ("student or first year" if k < 3 else "1 to 2 years") for k in range(5)}
    bands |= {f"PM{k}": "6 to 10 years" for k in range(5)}
    participants = pd.DataFrame(
        [{"participant_id": p, "experience_band": b} for p, b in bands.items()]
        + [{"participant_id": f"PU{k}", "experience_band": None} for k in range(5)]
    )
    seg = segments(
        [(f"N{k}", "reluctance_to_ask") for k in range(4)]
        + [("N0", "supervision"), ("M0", "supervision")]
        + [(f"U{k}", "reluctance_to_ask") for k in range(5)]  # parents are not practitioners: not counted
    )
    findings = load_findings_map(CONFIG / "codebook.yml")
    t = T.experience_contrast(seg, reg, participants, codebook, study, findings, "less_experienced_support")
    t = t.set_index("Theme")
    less_col = "Less experienced (student or first year, 1 to 2 years)"
    assert list(t.columns) == [less_col, "More experienced", "Contrast"]
    # reluctance: 4/5 less experienced (most) against 0/5 (none)
    assert t.loc["Reluctance to initiate contact"].tolist() == [
        "most",
        "none",
        "raised more widely by less experienced",
    ]
    # supervision: 1/5 each (some): similar
    assert t.loc["Supervision"].tolist() == ["some", "some", "similar"]
    # without the more experienced at Authority A, that column is too small: no words, no contrast
    a = T.experience_contrast(
        seg, reg, participants, codebook, study, findings, "less_experienced_support", site="authority_a"
    )
    assert set(a["More experienced"]) == {T.TOO_FEW} and set(a["Contrast"]) == {"–"}


def test_leaders_against_practitioners(study, codebook):
    leaders = [(f"L{k}", "authority_a", "phase_1", "service leader", f"PL{k}") for k in range(5)]
    practice = [(f"S{k}", "authority_b", "phase_1", "social worker", f"PS{k}") for k in range(3)]
    practice += [(f"T{k}", "authority_c", "phase_1", "supervisor or team manager", f"PT{k}") for k in range(3)]
    users = [(f"U{k}", "authority_a", "phase_2", "young person", f"PU{k}") for k in range(5)]
    reg = register(leaders + practice + users)
    seg = segments(
        [(f"L{k}", "leaders_expectations") for k in range(5)]  # 5/5 leaders: all
        + [("S0", "expectation_gap"), ("S1", "expectation_gap"), ("T0", "expectation_gap")]  # 3/6 practitioners
        + [(f"U{k}", "expectation_gap") for k in range(5)]  # young people are in neither column
    )
    t = T.leaders_against_practitioners(seg, reg, codebook, study).set_index("Theme")
    practitioners = (
        "Practitioners (supervisor or team manager, social worker, student or newly qualified social worker)"
    )
    assert list(t.columns) == ["Leaders (service leader)", practitioners, "Contrast"]
    # the codes of aims 1 and 3, each once, counted by hand in codebook.yml: aim 1 has accounts and its 4
    # children plus pandemic context (6); aim 3 has practices and its 13 children, in-person contact,
    # information security, expectations against practice, pandemic context and devices (19); two are in
    # both (expectations against practice, pandemic context): 6 + 19 - 2 = 23
    assert len(t) == 23
    # leaders' expectations: 5/5 leaders (all) against 0/6 (none)
    assert t.loc["Service leaders' expectations"].tolist() == ["all", "none", "raised more widely by leaders"]
    # expectations against practice: 0/5 (none) against 3/6 = 50% (many)
    assert t.loc["Expectations against practice"].tolist() == ["none", "many", "raised more widely by practitioners"]
    # the parent code "Accounts of agile approaches" aggregates both: 5/5 against 3/6
    assert t.loc["Accounts of agile approaches"].tolist() == ["all", "many", "raised more widely by leaders"]


# -- quotes --------------------------------------------------------------------------------------------


def test_coarse_attribution_steps(study):
    reg = register(
        [(f"A{k}", "authority_a", "phase_1", "social worker", f"PA{k}") for k in range(3)]
        + [("B1", "authority_b", "phase_1", "social worker", "PB1")]
        + [
            ("Y1", "authority_b", "phase_2", "young person", "PY1"),
            ("C1", "authority_a", "phase_2", "parent or carer", "PC1"),
        ]
        + [
            ("L1", "authority_c", "phase_1", "service leader", "PL1"),
            ("L2", "authority_c", "phase_2", "service leader", "PL1"),
        ]
    )
    # 3 social workers at A: role and authority
    assert T.coarse_attribution(reg, "social worker", "authority_a", study) == "Social worker, Authority A"
    # 1 at B: the role alone covers 4
    assert T.coarse_attribution(reg, "social worker", "authority_b", study) == "Social worker"
    # 1 young person, 1 parent: merged 2, fewer than 3
    assert T.coarse_attribution(reg, "young person", "authority_b", study) == "Interviewee"
    more = pd.concat([reg, register([("C2", "authority_c", "phase_2", "parent or carer", "PC2")])])
    assert T.coarse_attribution(more, "young person", "authority_b", study) == "Parents, carers and young people"
    # one leader interviewed twice is one person, and so is "leaders and supervisors" here; "practitioners"
    # covers PL1, PA0-PA2 and PB1: 5 people
    assert T.coarse_attribution(reg, "service leader", "authority_c", study) == "Practitioners"


def test_quotes_are_screened_one_per_interview_and_coarsely_attributed(study, codebook):
    reg = register([(f"A{k}", "authority_a", "phase_1", "social worker", f"PA{k}") for k in range(3)])
    seg = pd.DataFrame(
        [
            {
                "interview_id": "A0",
                "code_id": "supervision",
                "start": 0,
                "text": "Supervision on a screen is not the same as sitting down with my manager.",
            },
            {
                "interview_id": "A0",
                "code_id": "wellbeing",
                "start": 90,
                "text": "Working from home all week I felt cut off from everyone on the team.",
            },
            {
                "interview_id": "A1",
                "code_id": "wellbeing",
                "start": 0,
                "text": "Email me at someone@example.org if you want to talk about working from home.",
            },
            {"interview_id": "A2", "code_id": "supervision", "start": 0, "text": "Too short."},
        ]
    )
    q = T.select_quotes(seg, reg, codebook, study, "aim3", names=["Rowena"])
    # the email quote is held back by the screen; "Too short." is under 40 characters; A0 gives one quote only
    assert q.attrs["screened_out"] == 1
    assert len(q) == 1 and q["Who"].tolist() == ["Social worker, Authority A"]
    assert q["group"].tolist() == ["social worker"]
    d = T.quotes_display(seg, reg, codebook, study, "aim3", names=[])
    assert list(d.columns) == ["Quote", "Theme", "Who"]
    assert d["Quote"].iloc[0].startswith("“") and "phase" not in d["Who"].iloc[0].lower()


def test_case_study_quotes_stay_within_their_authority(study, codebook):
    # A case study names its authority anyway, so the role alone would not widen anything: by hand,
    # 2 leaders at A are too few (3 needed); leaders and supervisors at A are 2 + 3 = 5
    reg = register(
        [
            ("L1", "authority_a", "phase_1", "service leader", "PL1"),
            ("L2", "authority_a", "phase_1", "service leader", "PL2"),
        ]
        + [(f"S{k}", "authority_a", "phase_1", "supervisor or team manager", f"PS{k}") for k in range(3)]
        + [(f"B{k}", "authority_b", "phase_1", "service leader", f"PB{k}") for k in range(4)]
    )
    assert T.coarse_attribution(reg, "service leader", "authority_a", study) == "Service leader"  # 6 leaders in all
    implied = T.coarse_attribution(reg, "service leader", "authority_a", study, site_implied=True)
    assert implied == "Leaders and supervisors, Authority A"
    # with the supervisors gone, only 2 people at A: the quote is not used at all
    alone = reg.loc[~reg["interview_id"].str.startswith("S")]
    assert T.coarse_attribution(alone, "service leader", "authority_a", study, site_implied=True) == "Interviewee"
    text = "We expected agile working to save on buildings and to give staff more say over where they work."
    seg = pd.DataFrame([{"interview_id": "L1", "code_id": "leaders_expectations", "start": 0, "text": text}])
    assert len(T.select_quotes(seg, alone, codebook, study, "aim1", site="authority_a")) == 0
    got = T.select_quotes(seg, reg, codebook, study, "aim1", site="authority_a")
    assert got["Who"].tolist() == ["Leaders and supervisors, Authority A"]


def test_the_audit_links_a_waves_counts_only_within_one_site(study):
    """Case studies register the same labels for different authorities: the engine's audit links a
    wave's count across reports only within one site (scopes), else it would take Authority A's 20
    observations and Authority B's 18 as the same count and find the facts contradictory."""
    from analysis.differencing import DifferencingError
    from analysis.outputs import audit_study

    o = obs(
        [("phase_1", "authority_a", "duty", "office", "phone", "synchronous", None)] * 20
        + [("phase_2", "authority_a", "duty", "office", "phone", "synchronous", None)] * 18
        + [("phase_1", "authority_b", "duty", "office", "phone", "synchronous", None)] * 18
        + [("phase_2", "authority_b", "duty", "office", "phone", "synchronous", None)] * 19
    )
    r = register([])
    waves = [w.label for w in study.waves]
    reports = [
        (rid, waves, [record(T.fieldwork_display(o, r, study, site=site), f"{rid}/tbl-case-fieldwork")])
        for rid, site in (("case_a", "authority_a"), ("case_b", "authority_b"))
    ]
    with pytest.raises(DifferencingError, match="contradict"):
        audit_study(reports, 10)
    ranges = audit_study(reports, 10, scopes={"case_a": "authority_a", "case_b": "authority_b"})
    assert not [x for x in ranges if x.fails]  # by hand: every count shown is 18 or more, interviews 0 (<10)
