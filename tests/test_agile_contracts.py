"""The agile study's configuration and data contracts (issue 13, section 2): the study and codebook
configuration read by the engine's loaders, the schemas of the participants register, the observation
log and the interview register, their validation with quarantine through the engine's entry points,
the synthetic data in the real formats, and bad input of every kind, each with its exact rule.

The session runs in a sandbox root that holds no ``studies/`` folder, so the study's files are read
from the repository (``REPO``), explicitly. Synthetic data are written to temporary folders only.
"""

from __future__ import annotations

import filecmp
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.config import load_study
from analysis.errors import ConfigError
from analysis.qda import load_codebook, load_research_questions, register_spec, respondent_groups, segments_csv_frame
from analysis.studies.agile.codebook import load_findings_map
from analysis.studies.agile.schemas import long_values, spec_for
from analysis.studies.agile.synthetic import PLANTED, generate
from analysis.studies.agile.validate import check_phase, summary, write_phase_quarantine
from tests.sandbox import REPO

CONFIG = REPO / "studies" / "agile" / "config"
STUDY_FILE = CONFIG / "study.yml"
CODEBOOK_FILE = CONFIG / "codebook.yml"
ROLES = (  # issue 13, section 2, in its words
    "service leader",
    "supervisor or team manager",
    "social worker",
    "student or newly qualified social worker",
    "parent or carer",
    "young person",
)


@pytest.fixture(scope="module")
def study():
    return load_study(STUDY_FILE)


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(CODEBOOK_FILE)


@pytest.fixture(scope="module")
def clean(tmp_path_factory, study) -> Path:
    """The synthetic data set, written once for this module."""
    folder = tmp_path_factory.mktemp("agile_synthetic")
    generate(folder, study, codebook_path=CODEBOOK_FILE)
    return folder


def copy_phase(clean: Path, tmp_path: Path, phase: str) -> Path:
    dest = tmp_path / phase
    shutil.copytree(clean / phase, dest)
    return dest


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


# -- configuration ----------------------------------------------------------------------------------


def test_study_config_loads_with_the_engine_loader(study):
    assert [s.name for s in study.sites] == ["Authority A", "Authority B", "Authority C"]
    assert study.wave_ids == ["phase_1", "phase_2"]
    assert study.roles == ROLES
    assert respondent_groups(study) == ROLES  # the engine's interview register reads its groups here
    for wave in study.waves:
        for site in study.sites:
            for source in ("observations", "interviews"):
                window = wave.window(site.id, source)
                assert window is not None and window.start <= window.end, (wave.id, site.id, source)
    # phases do not overlap: the last day of phase 1 at any authority is before phase 2 starts anywhere
    last_1 = max(w.end for w in study.waves[0].windows)
    first_2 = min(w.start for w in study.waves[1].windows)
    assert last_1 < first_2
    # one case study per authority: the engine's Report has no site, so it is read from the raw mapping
    assert sorted(r["site"] for r in study.raw["reports"] if "site" in r) == [
        "authority_a",
        "authority_b",
        "authority_c",
    ]
    assert {"cross_case", "practice_guide"} <= {r.id for r in study.reports}
    assert study.disclosure.threshold == 10


def test_plans_match_the_seed_design(study):
    # seed 004: 100-130 observations and 40-60 interviews in three authorities
    observations = sum(n for per_site in study.raw["observation_plan"].values() for n in per_site.values())
    interviews = sum(
        n for per_site in study.raw["interview_plan"].values() for groups in per_site.values() for n in groups.values()
    )
    assert observations == 110  # by hand: 20 + 19 + 18 + 18 + 18 + 17
    assert interviews == 45  # by hand: 3 x (2 + 2 + 3 + 2) + 3 x (1 + 2 + 2 + 1) = 27 + 18
    assert 100 <= observations <= 130 and 40 <= interviews <= 60


def test_interview_register_extends_the_engine_register(study):
    engine = register_spec(study)
    ours = spec_for("interviews", study)
    assert ours.names == [*engine.names, "participant_id"]
    assert [r.name for r in ours.row_rules][: len(engine.row_rules)] == [r.name for r in engine.row_rules]


def test_codebook_maps_codes_to_four_aims_and_five_findings_areas(codebook):
    aims = load_research_questions(CODEBOOK_FILE)
    assert list(aims) == ["aim1", "aim2", "aim3", "aim4"]
    assert set(codebook["rq"]) == set(aims)  # every aim has a code
    findings = load_findings_map(CODEBOOK_FILE)
    assert set(findings["area"]) == {
        "remote_norm",
        "digital_communication",
        "less_experienced_support",
        "office_space",
        "home_working_lives",
    }
    assert set(findings["id"]) == set(codebook["id"])  # every code has an area
    area = findings.groupby("id")["area"].apply(set)
    assert area["hot_desking"] == {"office_space"}  # its own
    assert area["practitioners_accounts"] == {"remote_norm"}  # from its parent, accounts
    rq = codebook.groupby("id")["rq"].apply(set)
    assert rq["reluctance_to_ask"] == {"aim4"}  # from its parent, communication_sensemaking
    assert rq["expectation_gap"] == {"aim1", "aim3"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    findings: office_space\n", "    findings: offices\n", "names findings area(s) ['offices']"),
        (
            "findings_areas:\n",
            'findings_areas:\n  spare_area: "An area no code maps to"\n',
            "findings area(s) ['spare_area'] have no code",
        ),
    ],
)
def test_codebook_findings_errors(tmp_path, old, new, message):
    text = CODEBOOK_FILE.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "codebook.yml"
    bad.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_findings_map(bad)


# -- synthetic data ---------------------------------------------------------------------------------


def test_synthetic_data_are_clean_and_follow_the_plans(clean, study, codebook):
    assert (clean / "phase_1" / "observations.xlsx").exists() and (clean / "phase_2" / "observations.csv").exists()
    observed, interviews = set(), 0
    for phase in study.wave_ids:
        checked, unusable = check_phase(clean / phase, study, codebook)
        assert unusable == []
        assert set(checked) == {"participants", "observations", "interviews", "segments"}
        for name, c in checked.items():
            assert len(c.quarantined) == 0, (phase, name, c.quarantined.head())
        obs = checked["observations"].accepted
        counts = obs.groupby("authority").size().to_dict()
        assert counts == study.raw["observation_plan"][phase]
        observed |= set(obs["practitioner_id"])
        interviews += len(checked["interviews"].accepted)
        register_ids = set(checked["interviews"].accepted["interview_id"])
        assert set(checked["segments"].accepted["interview_id"]) == register_ids  # every interview is coded
    assert interviews == 45
    assert 15 <= len(observed) <= 25  # the seed: about 20 social workers' practice


def test_synthetic_data_are_deterministic(clean, study, tmp_path):
    again = tmp_path / "again"
    generate(again, study, codebook_path=CODEBOOK_FILE)
    files = sorted(p.relative_to(clean) for p in clean.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(clean, again, [str(f) for f in files], shallow=False)
    assert mismatch == [] and errors == []
    other = tmp_path / "other"
    generate(other, study, seed=study.seed + 1, codebook_path=CODEBOOK_FILE)
    assert (
        read_csv(other / "phase_2" / "observations.csv").to_dict()
        != read_csv(clean / "phase_2" / "observations.csv").to_dict()
    )


def test_synthetic_transcripts_carry_the_planted_identifiers(clean, study, codebook):
    checked, _ = check_phase(clean / "phase_2", study, codebook)
    text = " ".join(checked["segments"].accepted["text"])
    for _, sentence in PLANTED:
        assert sentence in text


def test_several_values_in_one_cell_become_one_row_each(clean, study, codebook):
    checked, _ = check_phase(clean / "phase_2", study, codebook)
    obs = checked["observations"].accepted
    modes = long_values(obs, "modes", "mode")
    # independent count: separators in the delivered cells, plus one per cell
    delivered = read_csv(clean / "phase_2" / "observations.csv")["modes"]
    assert len(modes) == int((delivered.str.count(";") + 1).sum())
    assert set(modes["mode"]) <= set(study.raw["observation"]["modes"])


# -- spellings as delivered --------------------------------------------------------------------------


def test_delivered_spellings_are_made_canonical(clean, study, codebook, tmp_path):
    folder = copy_phase(clean, tmp_path, "phase_2")
    people = read_csv(folder / "participants.csv")
    people.loc[0, "authority"] = people.loc[0, "authority"].lower()  # "authority b"
    people.loc[0, "consent_observation"] = "Y"
    people.loc[1, "consent_interview"] = "NO" if people.loc[1, "consent_interview"] == "no" else "Yes"
    write_csv(people, folder / "participants.csv")
    log = read_csv(folder / "observations.csv")
    log.loc[0, "phase"] = "Phase 2 (after social distancing)"
    log.loc[0, "modes"] = log.loc[0, "modes"].upper().replace("; ", " | ")
    write_csv(log, folder / "observations.csv")
    checked, _ = check_phase(folder, study, codebook)
    assert [len(c.quarantined) for c in checked.values()] == [0, 0, 0, 0]
    first = checked["participants"].accepted.iloc[0]
    assert first["authority"].startswith("authority_") and bool(first["consent_observation"]) is True
    row = checked["observations"].accepted.iloc[0]
    assert row["phase"] == "phase_2"
    assert row["modes"] == read_csv(clean / "phase_2" / "observations.csv").loc[0, "modes"]


# -- bad input: one case, one rule ---------------------------------------------------------------------
# Each case edits one cell (or two) of the clean phase 2 files and names the table, the delivered row
# (0-based), the column and the rule that must quarantine it, and nothing else in that row.


def _participant(people: pd.DataFrame, **where) -> int:
    rows = people
    for col, value in where.items():
        rows = rows[rows[col] == value]
    return int(rows.index[0])


def _obs_case(column: str, value: str, rule: str, also: dict | None = None):
    """Set ``column`` (and the ``also`` columns) of the first observation; ``rule`` reports ``column``."""

    def edit(folder: Path):
        log = read_csv(folder / "observations.csv")
        for col, v in {**(also or {}), column: value}.items():
            log.loc[0, col] = v
        write_csv(log, folder / "observations.csv")
        return "observations", 0, column, rule

    return edit


def _not_consented(folder: Path):
    log, people = read_csv(folder / "observations.csv"), read_csv(folder / "participants.csv")
    i = _participant(people, authority=log.loc[0, "authority"], role="social worker", consent_observation="no")
    log.loc[0, "practitioner_id"] = people.loc[i, "participant_id"]
    write_csv(log, folder / "observations.csv")
    return "observations", 0, "practitioner_id", "participant_consented_observation"


def _parent_observed(folder: Path):
    log, people = read_csv(folder / "observations.csv"), read_csv(folder / "participants.csv")
    i = _participant(people, authority=log.loc[0, "authority"], role="parent or carer")
    log.loc[0, "practitioner_id"] = people.loc[i, "participant_id"]
    write_csv(log, folder / "observations.csv")
    return "observations", 0, "practitioner_id", "observed_is_practitioner"


def _other_authority(folder: Path):
    log, people = read_csv(folder / "observations.csv"), read_csv(folder / "participants.csv")
    other = people[(people["authority"] != log.loc[0, "authority"]) & (people["consent_observation"] == "yes")]
    log.loc[0, "practitioner_id"] = other[other["role"] == "social worker"]["participant_id"].iloc[0]
    write_csv(log, folder / "observations.csv")
    return "observations", 0, "authority", "participant_authority_matches"


def _participants_case(where: dict, column: str, value: str, rule: str):
    def edit(folder: Path):
        people = read_csv(folder / "participants.csv")
        i = _participant(people, **where)
        people.loc[i, column] = value
        write_csv(people, folder / "participants.csv")
        return "participants", i, column, rule

    return edit


def _register_case(edit_row, column: str, rule: str):
    def edit(folder: Path):
        reg, people = read_csv(folder / "interviews_register.csv"), read_csv(folder / "participants.csv")
        edit_row(reg, people)
        write_csv(reg, folder / "interviews_register.csv")
        return "interviews", 0, column, rule

    return edit


def _interviewee_without_consent(reg, people):
    authority = reg.loc[0, "site"]
    i = _participant(people, authority=authority, role="social worker", consent_interview="no")
    reg.loc[0, ["participant_id", "group"]] = [people.loc[i, "participant_id"], "social worker"]


def _role_mismatch(reg, people):
    reg.loc[0, "group"] = "young person" if reg.loc[0, "group"] != "young person" else "social worker"


CASES = {
    "duration zero": _obs_case("duration_minutes", "0", "minimum"),
    "duration over twelve hours": _obs_case("duration_minutes", "900", "maximum"),
    "duration in words": _obs_case("duration_minutes", "an hour", "type"),
    "date before the phase window": _obs_case("date", "2021-07-01", "phase_window"),
    "date that does not exist": _obs_case("date", "31/02/2022", "type"),
    "unknown setting": _obs_case("setting", "bus", "allowed_values"),
    "unknown activity": _obs_case("activity", "lunch", "allowed_values"),
    "unknown mode": _obs_case("modes", "video; fax", "modes_allowed"),
    "no mode": _obs_case("modes", "", "not_null"),
    "asynchronous face to face": _obs_case(
        "synchrony", "asynchronous", "synchrony_matches_modes", {"modes": "in person", "setting": "office"}
    ),
    "online but in person": _obs_case(
        "setting", "online", "online_not_in_person", {"modes": "in person", "synchrony": "synchronous"}
    ),
    "unknown role of others": _obs_case("others_roles", "neighbour", "others_roles_allowed"),
    "practitioner not in the register": _obs_case("practitioner_id", "P999", "participant_in_register"),
    "practitioner without observation consent": _not_consented,
    "a parent as the observed practitioner": _parent_observed,
    "practitioner of another authority": _other_authority,
    "participant role not allowed": _participants_case({"role": "social worker"}, "role", "manager", "allowed_values"),
    "unknown authority": _participants_case({"role": "young person"}, "authority", "Authority D", "allowed_values"),
    "consent neither yes nor no": _participants_case({"role": "social worker"}, "consent_observation", "maybe", "type"),
    "practitioner without experience band": _participants_case(
        {"role": "social worker"}, "experience_band", "", "experience_band_for_practitioners"
    ),
    "service user with experience band": _participants_case(
        {"role": "parent or carer"}, "experience_band", "over 10 years", "no_experience_band_for_service_users"
    ),
    "interviewee without interview consent": _register_case(
        _interviewee_without_consent, "participant_id", "participant_consented_interview"
    ),
    "interviewee's role differs": _register_case(_role_mismatch, "group", "participant_role_matches"),
    "interview outside its window": _register_case(
        lambda reg, _: reg.__setitem__("date", reg["date"].where(reg.index != 0, "2021-08-02")),
        "date",
        "fieldwork_window",
    ),
    "interviewee not in the register": _register_case(
        lambda reg, _: reg.__setitem__("participant_id", reg["participant_id"].where(reg.index != 0, "P999")),
        "participant_id",
        "participant_in_register",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_quarantined_with_its_rule(case, clean, study, codebook, tmp_path):
    folder = copy_phase(clean, tmp_path, "phase_2")
    table, index, column, rule = CASES[case](folder)
    checked, unusable = check_phase(folder, study, codebook)
    assert unusable == []
    c = checked[table]
    assert c.delivered == len(c.accepted) + len(c.quarantined)
    assert {p.rule for p in c.problems if p.index == index} == {rule}, [p for p in c.problems if p.index == index]
    assert len(c.quarantined) == 1
    q = c.quarantined.iloc[0]
    assert (q["rule"], q["column"]) == (rule, column)
    assert q["file"] == str(c.file) and c.file.parent == folder
    assert int(q["row"]) == index + 2  # the header is line 1 of the CSV
    assert rule in q["message"]


def test_duplicate_ids_quarantine_both_rows(clean, study, codebook, tmp_path):
    folder = copy_phase(clean, tmp_path, "phase_2")
    log = read_csv(folder / "observations.csv")
    log.loc[1, "observation_id"] = log.loc[0, "observation_id"]
    write_csv(log, folder / "observations.csv")
    q = check_phase(folder, study, codebook)[0]["observations"].quarantined
    assert q["row"].tolist() == [2, 3] and set(q["rule"]) == {"unique"}


def test_bad_cell_in_the_workbook_names_its_sheet_row(clean, study, codebook, tmp_path):
    folder = copy_phase(clean, tmp_path, "phase_1")
    wb = openpyxl.load_workbook(folder / "observations.xlsx")
    ws = wb["observations"]
    header = [c.value for c in ws[1]]
    ws.cell(row=5, column=header.index("duration_minutes") + 1, value=0)
    wb.save(folder / "observations.xlsx")
    q = check_phase(folder, study, codebook)[0]["observations"].quarantined
    assert q[["row", "column", "rule"]].values.tolist() == [[5, "duration_minutes", "minimum"]]


def test_a_quarantined_participant_takes_their_observations_with_them(clean, study, codebook, tmp_path):
    folder = copy_phase(clean, tmp_path, "phase_2")
    log, people = read_csv(folder / "observations.csv"), read_csv(folder / "participants.csv")
    pid = log.loc[0, "practitioner_id"]
    people.loc[people["participant_id"] == pid, "role"] = "manager"
    write_csv(people, folder / "participants.csv")
    checked, _ = check_phase(folder, study, codebook)
    q = checked["observations"].quarantined
    assert len(q) == int((log["practitioner_id"] == pid).sum())  # counted in the delivered file
    assert set(q["rule"]) == {"participant_in_register"} and all(pid in m for m in q["message"])


def test_without_a_register_every_observation_is_quarantined(clean, study, codebook, tmp_path):
    folder = copy_phase(clean, tmp_path, "phase_2")
    (folder / "participants.csv").unlink()
    checked, _ = check_phase(folder, study, codebook)
    assert "participants" not in checked
    obs = checked["observations"]
    assert len(obs.accepted) == 0 and len(obs.quarantined) == obs.delivered == 53  # phase 2's plan: 18 + 18 + 17
    assert set(obs.quarantined["rule"]) == {"participant_in_register"}


def test_segments_of_a_quarantined_interview_are_quarantined(clean, study, codebook, tmp_path):
    folder = copy_phase(clean, tmp_path, "phase_2")
    reg = read_csv(folder / "interviews_register.csv")
    first = reg.loc[0, "interview_id"]
    reg.loc[0, "participant_id"] = "P999"
    write_csv(reg, folder / "interviews_register.csv")
    clean_segments = check_phase(clean / "phase_2", study, codebook)[0]["segments"].accepted
    segments = check_phase(folder, study, codebook)[0]["segments"]
    assert len(segments.quarantined) == int((clean_segments["interview_id"] == first).sum()) > 0
    assert set(segments.quarantined["rule"]) == {"interview_in_register"}
    assert all("quarantined" in m for m in segments.quarantined["message"])


@pytest.mark.parametrize(
    ("change", "rule", "column"),
    [
        (lambda s: s.assign(code=s["code"].where(s.index != 0, "Flexitime take-up")), "code_in_codebook", "code"),
        (lambda s: s.assign(end=s["end"].where(s.index != 0, s.loc[0, "start"])), "selection_in_source", "start"),
    ],
    ids=["code not in the codebook", "empty selection"],
)
def test_segments_csv_fallback_rules(clean, study, codebook, tmp_path, change, rule, column):
    folder = copy_phase(clean, tmp_path, "phase_2")
    accepted = check_phase(folder, study, codebook)[0]["segments"].accepted
    (folder / "interviews.qdpx").unlink()
    write_csv(change(segments_csv_frame(accepted).astype(str)), folder / "segments.csv")
    c = check_phase(folder, study, codebook)[0]["segments"]
    assert c.delivered == len(accepted)
    assert c.quarantined[["row", "column", "rule"]].values.tolist() == [[2, column, rule]]


def test_a_file_missing_a_column_is_unusable_and_the_rest_still_checked(clean, study, codebook, tmp_path):
    folder = copy_phase(clean, tmp_path, "phase_2")
    write_csv(read_csv(folder / "observations.csv").drop(columns="modes"), folder / "observations.csv")
    checked, unusable = check_phase(folder, study, codebook)
    assert "observations" not in checked and {"participants", "interviews", "segments"} <= set(checked)
    assert len(unusable) == 1 and "modes" in str(unusable[0]) and "observations.csv" in str(unusable[0])


def test_quarantine_files_and_summary(clean, study, codebook, tmp_path):
    folder = copy_phase(clean, tmp_path, "phase_2")
    CASES["unknown mode"](folder)
    checked, _ = check_phase(folder, study, codebook)
    written = write_phase_quarantine(checked, tmp_path / "quarantine")
    assert [p.name for p in written] == ["observations.csv"]
    q = read_csv(written[0])
    assert q[["row", "column", "rule"]].values.tolist() == [["2", "modes", "modes_allowed"]]
    s = summary(checked).set_index("table")
    assert s.loc["observations", ["delivered", "accepted", "quarantined"]].tolist() == [53, 52, 1]


def test_the_engine_framework_matrix_takes_the_agile_tables(clean, study, codebook):
    from analysis.qualitative import framework_matrix

    checked, _ = check_phase(clean / "phase_1", study, codebook)
    register, segments = checked["interviews"].accepted, checked["segments"].accepted
    m = framework_matrix(segments, register, codebook)
    cells = m.drop_duplicates(["site", "wave", "group"])
    # phase 1 plan, by hand: 3 authorities x 4 roles, e.g. 3 social workers at each authority
    assert len(cells) == 12 and int(cells["interviews"].sum()) == 27
    sw = cells[(cells["site"] == "authority_b") & (cells["group"] == "social worker")]
    assert sw["interviews"].tolist() == [3]
    assert (m["mentioning"] <= m["interviews"]).all()
    # an independent count of one cell: interviews at Authority A coded (directly) with a child of practices
    a = register.loc[register["site"] == "authority_a", "interview_id"]
    children = set(codebook.loc[codebook["parent"] == "practices", "id"])
    direct = segments[segments["interview_id"].isin(a) & segments["code_id"].isin(children)]["interview_id"].nunique()
    got = m[(m["code_id"] == "practices") & (m["site"] == "authority_a")]["mentioning"].sum()
    assert got == direct  # every practices mention is through a child code (no sentence is coded with the parent)
