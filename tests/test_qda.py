"""Interviews: register, REFI-QDA and CSV segments, codebook, bad deliveries, synthetic interviews."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import qda
from analysis.config import load_study
from analysis.errors import ConfigError, UnusableFileError
from analysis.load import ROW, Delivered
from analysis.studies.flexitime.synthetic import interviews as synth

HERE = Path(__file__).parent
FIXTURE = HERE / "data" / "qda"
BAD = HERE / "data" / "bad" / "interviews"
SOURCE_FILE = "sources/aaaaaaaa-0000-4000-8000-000000000001.txt"


def build_qdpx(path: Path, xml: str | None = None, with_source: bool = True) -> Path:
    """Zip the hand-written project.qde (and its transcript) into a .qdpx."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml if xml is not None else (FIXTURE / "project.qde").read_text())
        if with_source:
            zf.writestr(SOURCE_FILE, (FIXTURE / SOURCE_FILE).read_bytes())
    return path


@pytest.fixture
def codebook():
    return qda.load_codebook(FIXTURE / "codebook.yml")


@pytest.fixture
def register(study):
    return qda.check_register(qda.read_register(FIXTURE / "interviews_register.csv", study), study)


# The tidy segments of the hand fixture, by hand. Transcript T-01 (83 characters):
#   "We set up a buddy system for cover." = [0, 35); space at 35;
#   "My caseload is heavy."               = [36, 57); space at 57;
#   "Fridays off help me rest."           = [58, 83).
# T-02 (PlainTextContent, 44 characters): "Non-working days are fine" = [0, 25), "cover is hard" = [30, 43).
# The selection 36-57 carries two codings (workload, and TIME PRESSURE matched by name ignoring case);
# ACCEPTABLE matches the codebook by id; "T-01.docx" is the interview T-01.
EXPECTED = pd.DataFrame(
    {
        "interview_id": ["T-01", "T-01", "T-01", "T-01", "T-02", "T-02"],
        "code_id": ["team_cover", "time_pressure", "workload", "work_life_balance", "acceptable", "team_cover"],
        "code_name": [
            "Team cover",
            "Time pressure",
            "Workload and caseload",
            "Work-life balance",
            "Acceptable to staff",
            "Team cover",
        ],
        "parent_id": ["facilitators", None, "barriers", None, None, "facilitators"],
        "start": [0, 36, 36, 58, 0, 30],
        "end": [35, 57, 57, 83, 25, 43],
        "text": [
            "We set up a buddy system for cover.",
            "My caseload is heavy.",
            "My caseload is heavy.",
            "Fridays off help me rest.",
            "Non-working days are fine",
            "cover is hard",
        ],
    }
).astype(
    {
        "interview_id": "string",
        "code_id": "string",
        "code_name": "string",
        "parent_id": "string",
        "start": "Int64",
        "end": "Int64",
        "text": "string",
    }
)


# -- the hand fixture --------------------------------------------------------------------------


def test_qdpx_segments_by_hand(tmp_path, codebook, register):
    project = qda.read_qdpx(build_qdpx(tmp_path / "interviews.qdpx"))
    assert project.problems == []
    checked = qda.check_segments(project.segments, codebook, register, project.problems)
    pd.testing.assert_frame_equal(checked.accepted, EXPECTED)
    assert checked.delivered == 6 and checked.quarantined.empty
    # the offsets select exactly the characters of the transcript
    text = (FIXTURE / SOURCE_FILE).read_text()
    t01 = checked.accepted[checked.accepted["interview_id"] == "T-01"]
    assert all(text[s:e] == t for s, e, t in zip(t01["start"], t01["end"], t01["text"], strict=False))


def test_nested_codes_flattened_with_parent(tmp_path):
    project = qda.read_qdpx(build_qdpx(tmp_path / "p.qdpx"))
    codes = project.codes.set_index("name")
    # the QDA tree of project.qde, by hand: 3 parents with one child each, 2 top-level codes
    assert len(codes) == 8
    assert codes.loc["Team cover", ["parent_name", "depth"]].tolist() == ["Facilitators", 1]
    assert codes.loc["Work-life balance", "parent_guid"] == "c0000000-0000-4000-8000-000000000005"
    assert codes.loc["Barriers", "depth"] == 0 and codes.loc["Barriers", "parent_name"] is None
    assert project.sources.set_index("name")["chars"].to_dict() == {"T-01.docx": 83, "T-02": 44}


def test_csv_fallback_gives_the_same_tidy_table(codebook, register):
    checked = qda.check_segments(qda.read_segments_csv(FIXTURE / "segments.csv"), codebook, register)
    pd.testing.assert_frame_equal(checked.accepted, EXPECTED)


def test_register_normalised(register):
    acc = register.accepted.set_index("interview_id")
    # "croydon", "STOCKPORT", "Interim (3 months)" (the label), "Team managers" and a day-first date all resolve
    assert acc["site"].tolist() == ["croydon", "croydon", "stockport"]
    assert acc["wave"].tolist() == ["interim", "interim", "endline"]
    assert acc.loc["T-03", "group"] == "team manager"
    assert acc.loc["T-02", "date"] == pd.Timestamp("2021-07-05")  # 05/07/2021 is 5 July (day first)
    assert register.delivered == 3 == len(register.accepted)


def test_check_interviews_source_folder(tmp_path, study, codebook):
    assert qda.check_interviews_source(tmp_path, study, codebook) == ({}, [])
    shutil.copy(FIXTURE / "interviews_register.csv", tmp_path)
    build_qdpx(tmp_path / "interviews.qdpx")
    # a segments.csv that disagrees: the .qdpx is preferred, so it must not be read
    (tmp_path / "segments.csv").write_text("interview_id,code,start,end,text\nT-03,Team cover,0,5,Hello\n")
    checked, unusable = qda.check_interviews_source(tmp_path, study, codebook)
    assert unusable == [] and set(checked) == {"interviews", "segments"}
    pd.testing.assert_frame_equal(checked["segments"].accepted, EXPECTED)
    (tmp_path / "interviews.qdpx").unlink()
    checked, _ = qda.check_interviews_source(tmp_path, study, codebook)
    assert checked["segments"].accepted["interview_id"].tolist() == ["T-03"]


def test_segments_without_register_are_reported(tmp_path, study, codebook):
    build_qdpx(tmp_path / "interviews.qdpx")
    checked, unusable = qda.check_interviews_source(tmp_path, study, codebook)
    assert checked == {}
    assert len(unusable) == 1 and "register is missing" in str(unusable[0])
    assert unusable[0].path.name == "interviews.qdpx"


def test_register_quarantine_explains_dropped_segments(tmp_path, study, codebook):
    # T-02's register row is bad, so its segments cannot be attributed: the message says why
    reg = (FIXTURE / "interviews_register.csv").read_text().replace("T-02,croydon", "T-02,Leeds")
    (tmp_path / "interviews_register.csv").write_text(reg)
    build_qdpx(tmp_path / "interviews.qdpx")
    checked, _ = qda.check_interviews_source(tmp_path, study, codebook)
    q = checked["segments"].quarantined
    assert q["rule"].tolist() == ["interview_in_register"] * 2  # the two T-02 codings
    assert q["message"].str.contains("quarantined").all()
    assert checked["segments"].delivered == 6 == len(checked["segments"].accepted) + 2


# -- bad deliveries ----------------------------------------------------------------------------

# file -> (rule, quarantined rows) or UnusableFileError; see tests/data/bad/interviews/README.md
BAD_CASES = {
    "truncated.qdpx": UnusableFileError,
    "not_a_zip.qdpx": UnusableFileError,
    "no_project_qde.qdpx": UnusableFileError,
    "invalid_xml.qdpx": UnusableFileError,
    "doctype_entity.qdpx": UnusableFileError,
    "not_refi_project.qdpx": UnusableFileError,
    "register_missing_group_column.csv": UnusableFileError,
    "selection_beyond_source.qdpx": ("selection_in_source", [4]),
    "source_text_missing.qdpx": ("selection_in_source", [1, 2, 3, 4]),
    "code_not_in_codebook.qdpx": ("code_in_codebook", [5]),
    "coderef_unknown_guid.qdpx": ("code_in_codebook", [1]),
    "interview_not_in_register.qdpx": ("interview_in_register", [5, 6]),
    "register_unknown_site.csv": ("allowed_values", [3]),
    "register_unknown_wave.csv": ("allowed_values", [3]),
    "register_unknown_group.csv": ("allowed_values", [3]),
    "register_date_not_a_date.csv": ("type", [3]),
    "register_duplicate_interview_id.csv": ("unique", [2, 3]),
    "register_empty_group.csv": ("not_null", [3]),
    "register_outside_fieldwork_window.csv": ("fieldwork_window", [3]),
    "register_site_not_in_wave.csv": ("fieldwork_window", [3]),
    "segments_start_not_a_number.csv": ("type", [3]),
    "segments_end_before_start.csv": ("selection_in_source", [3]),
    "segments_code_not_in_codebook.csv": ("code_in_codebook", [3]),
    "segments_interview_not_in_register.csv": ("interview_in_register", [3]),
    "segments_empty_code.csv": ("not_null", [3]),
}


def _check_bad(path: Path, study, codebook, register):
    if path.name.startswith("register_"):
        return qda.check_register(qda.read_register(path, study), study)
    if path.suffix == ".qdpx":
        project = qda.read_qdpx(path)
        return qda.check_segments(project.segments, codebook, register, project.problems)
    return qda.check_segments(qda.read_segments_csv(path), codebook, register)


def test_every_bad_file_has_an_expected_outcome():
    delivered = {p.name for p in BAD.iterdir() if p.suffix in (".qdpx", ".csv")}
    assert delivered == set(BAD_CASES) and len(delivered) >= 8


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_interview_files(name, study, codebook, register):
    expected = BAD_CASES[name]
    path = BAD / name
    if expected is UnusableFileError:
        with pytest.raises(UnusableFileError) as err:
            _check_bad(path, study, codebook, register)
        message = str(err.value)
        assert name in message and "What to do:" in message and "\n" not in message
        return
    rule, rows = expected
    checked = _check_bad(path, study, codebook, register)
    q = checked.quarantined
    assert q["rule"].tolist() == [rule] * len(rows)
    assert q["row"].tolist() == rows
    assert set(q["file"]) == {str(path)}
    assert checked.delivered == len(checked.accepted) + len(checked.quarantined)
    assert len(checked.accepted) > 0  # the good rows around the bad one are kept


def test_fieldwork_window_message_names_the_window(study, codebook, register):
    # config/study.yml: Croydon's endline interviews window is 1 to 30 November 2021
    q = _check_bad(BAD / "register_outside_fieldwork_window.csv", study, codebook, register).quarantined
    assert q.loc[0, "column"] == "date" and q.loc[0, "interview_id"] == "T-02"
    assert "2021-09-14" in q.loc[0, "message"]
    assert "1 November 2021 to 30 November 2021" in q.loc[0, "message"] and "Croydon" in q.loc[0, "message"]
    q = _check_bad(BAD / "register_site_not_in_wave.csv", study, codebook, register).quarantined
    assert "no interviews are planned at Stockport" in q.loc[0, "message"]


def test_window_edges_are_inside(tmp_path, study):
    # the window's first and last days (1 and 31 March 2021 for Croydon's baseline) are inside;
    # the day before and the day after are not
    (tmp_path / "r.csv").write_text(
        "interview_id,site,wave,date,group\n"
        "A,Croydon,baseline,2021-03-01,non-user\n"
        "B,Croydon,baseline,2021-03-31,non-user\n"
        "C,Croydon,baseline,2021-02-28,non-user\n"
        "D,Croydon,baseline,2021-04-01,non-user\n"
        "E,Stockport,baseline,2021-03-15,service leader\n"
    )
    checked = qda.check_register(qda.read_register(tmp_path / "r.csv", study), study)
    assert checked.accepted["interview_id"].tolist() == ["A", "B", "E"]
    assert checked.quarantined["rule"].tolist() == ["fieldwork_window"] * 2
    assert checked.quarantined["row"].tolist() == [4, 5]


def test_a_wave_without_windows_checks_no_dates(tmp_path, study):
    # a study that sets no fieldwork windows (another study's configuration) checks no dates
    import dataclasses

    bare = dataclasses.replace(study, waves=tuple(dataclasses.replace(w, windows=()) for w in study.waves))
    (tmp_path / "r.csv").write_text("interview_id,site,wave,date,group\nA,Croydon,baseline,2020-01-01,non-user\n")
    checked = qda.check_register(qda.read_register(tmp_path / "r.csv", bare), bare)
    assert len(checked.accepted) == 1 and checked.quarantined.empty


def test_bad_cases_name_the_column(study, codebook, register):
    q = _check_bad(BAD / "register_unknown_wave.csv", study, codebook, register).quarantined
    assert q.loc[0, "column"] == "wave" and q.loc[0, "wave"] == "midline"  # kept as delivered
    q = _check_bad(BAD / "selection_beyond_source.qdpx", study, codebook, register).quarantined
    assert q.loc[0, "column"] == "end" and "83 characters" in q.loc[0, "message"]


def test_doctype_refused_before_expansion():
    with pytest.raises(UnusableFileError, match="refused for safety"):
        qda.read_qdpx(BAD / "doctype_entity.qdpx")


def test_invalid_xml_says_where(tmp_path):
    with pytest.raises(UnusableFileError, match=r"line \d+, column \d+"):
        qda.read_qdpx(BAD / "invalid_xml.qdpx")


# -- the codebook ------------------------------------------------------------------------------


def test_project_codebook_covers_every_research_question():
    cb = qda.load_codebook()
    assert list(cb.columns) == ["id", "name", "rq", "type", "parent", "description"]
    assert set(cb["rq"]) == {"1a", "1b", "1c", "2a", "2b", "2c", "3a"}
    assert set(cb["type"]) == {"deductive", "inductive"}
    codes = cb.drop_duplicates("id").set_index("id")
    assert codes["parent"].dropna().isin(codes.index).all()
    # codes the protocol and the sister study ask for
    for cid in (
        "team_cover",
        "work_life_balance",
        "motivation",
        "autonomy",
        "productivity",
        "leisure_time",
        "time_pressure",
        "work_quality",
        "disruption_colleagues",
        "disruption_managers",
        "remote_working",
        "office_working",
        "return_to_office",
        "trust",
        "organisational_culture",
    ):
        assert cid in codes.index, cid
    # a code under two research questions has one row per question
    assert sorted(cb.loc[cb["id"] == "writeups", "rq"]) == ["2a", "2b"]
    # a child without rq takes its parent's
    assert cb.loc[cb["id"] == "team_cover", "rq"].tolist() == ["1b"]


@pytest.mark.parametrize(
    "codes, message",
    [
        ("- {id: a, name: A, rq: 1b}\n  - {id: a, name: B, rq: 1b}", "more than once"),
        ("- {id: a, name: A, rq: 1b}\n  - {id: b, name: a, rq: 1b}", "cannot be told apart"),
        ("- {id: a, name: A, parent: zz}", "not a code id"),
        ("- {id: a, name: A, rq: 9z}", "not under `research_questions:`"),
        ("- {id: a, name: A, parent: b}\n  - {id: b, name: B, parent: a}", "loop"),
        ("- {id: a, name: A, rq: 1b, type: abductive}", "type"),
    ],
)
def test_bad_codebook(tmp_path, codes, message):
    p = tmp_path / "codebook.yml"
    p.write_text(f"research_questions: {{1b: x}}\ncodes:\n  {codes}\n")
    with pytest.raises(ConfigError, match=message):
        qda.load_codebook(p)


# -- synthetic interviews ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, study):
    root = tmp_path_factory.mktemp("synthetic")
    return root, synth.generate(root, study, study.seed)


def test_synthetic_is_deterministic(synthetic, tmp_path, study):
    root, written = synthetic
    again = synth.generate(tmp_path, study, study.seed)
    assert [p.relative_to(tmp_path) for p in again] == [p.relative_to(root) for p in written]
    for a, b in zip(written, again, strict=False):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = synth.generate(tmp_path / "other", study, study.seed + 1)
    assert any(a.read_bytes() != b.read_bytes() for a, b in zip(written, other, strict=False))


def test_synthetic_matches_the_protocol_schedule(synthetic, study):
    root, _ = synthetic
    reg = pd.concat([pd.read_csv(root / w / "interviews_register.csv") for w in ("baseline", "interim", "endline")])
    counts = reg.groupby(["wave", "site", "group"]).size().to_dict()
    # the protocol's table (Data collection: Croydon and Stockport), copied by hand
    assert counts == {
        ("baseline", "Croydon", "team manager"): 2,
        ("baseline", "Croydon", "flexitime user"): 4,
        ("baseline", "Croydon", "non-user"): 2,
        # Stockport's first round is in March 2021 (the protocol's Stockport "interim"): the March wave
        ("baseline", "Stockport", "team manager"): 2,
        ("baseline", "Stockport", "flexitime user"): 4,
        ("baseline", "Stockport", "non-user"): 2,
        ("baseline", "Stockport", "recent user"): 2,
        ("baseline", "Stockport", "service leader"): 2,
        ("interim", "Croydon", "team manager"): 2,
        ("interim", "Croydon", "flexitime user"): 4,
        ("interim", "Croydon", "non-user"): 2,
        ("endline", "Croydon", "team manager"): 1,
        ("endline", "Croydon", "flexitime user"): 2,
        ("endline", "Croydon", "non-user"): 1,
        ("endline", "Stockport", "flexitime user"): 2,
        ("endline", "Stockport", "recent user"): 2,
    }
    assert len(reg) == 8 + 12 + 8 + 4 + 4
    assert reg["interview_id"].is_unique


def test_synthetic_interviews_fall_inside_their_windows(synthetic, study):
    # the protocol's schedule, by hand: Croydon baseline March 2021, interim July 2021, endline
    # November 2021; Stockport March 2021 and November 2021
    root, _ = synthetic
    reg = pd.concat([pd.read_csv(root / w / "interviews_register.csv") for w in ("baseline", "interim", "endline")])
    months = reg.assign(month=reg["date"].str[:7]).groupby(["wave", "site"])["month"].unique()
    assert {k: sorted(v) for k, v in months.items()} == {
        ("baseline", "Croydon"): ["2021-03"],
        ("baseline", "Stockport"): ["2021-03"],
        ("interim", "Croydon"): ["2021-07"],
        ("endline", "Croydon"): ["2021-11"],
        ("endline", "Stockport"): ["2021-11"],
    }
    assert (pd.to_datetime(reg["date"]).dt.weekday < 5).all()  # working days


def test_synthetic_validates_cleanly_in_both_formats(synthetic, study):
    root, _ = synthetic
    for wave in ("baseline", "interim", "endline"):
        folder = root / wave
        checked, unusable = qda.check_interviews_source(folder, study)
        assert unusable == []
        assert all(c.quarantined.empty for c in checked.values()), wave
        via_csv = qda.check_segments(
            qda.read_segments_csv(folder / "segments.csv"), qda.load_codebook(), checked["interviews"]
        )
        pd.testing.assert_frame_equal(checked["segments"].accepted, via_csv.accepted)
        seg = checked["segments"].accepted
        # transcripts are a few hundred words
        with zipfile.ZipFile(folder / "interviews.qdpx") as zf:
            words = [len(zf.read(n).decode().split()) for n in zf.namelist() if n.startswith("sources/")]
        assert len(words) == len(checked["interviews"].accepted)
        assert min(words) >= 150 and max(words) <= 600
        assert seg["interview_id"].nunique() == len(words)


def test_synthetic_qdpx_is_valid_refi_qda(synthetic, tmp_path):
    """An independent reader (pyrefiqda's schema-generated models, which fail on anything outside
    the REFI-QDA schema) reads the synthetic project with every selection."""
    from pyrefiqda import RefiProject

    root, _ = synthetic
    path = root / "interim" / "interviews.qdpx"
    project = RefiProject.load(path, extract_dir=str(tmp_path / "x"))
    ours = qda.read_qdpx(path)
    theirs = sum(len(c.coding) for s in project.sources.text_source for c in s.plain_text_selection)
    assert theirs == len(ours.segments.frame) > 0
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names == sorted(names) and names[0] == "project.qde"
        assert {i.date_time for i in zf.infolist()} == {(2021, 1, 1, 0, 0, 0)}


def test_synthetic_plants_identifiers(synthetic, study):
    root, _ = synthetic
    text = " ".join(pd.read_csv(root / w / "segments.csv")["text"].str.cat(sep=" ") for w in ("interim", "endline"))
    assert any(n in text for n in synth.SYNTHETIC_NAMES)
    assert "@example.org" in text and "07700 900" in text


# -- properties ----------------------------------------------------------------------------------

CELLS = st.one_of(
    st.sampled_from(
        ["T-01", "T-02", "T-09", "Team cover", "team_cover", "Parking", "", "0", "35", "-3", "x", "1e3", "83", "12.5"]
    ),
    st.text(max_size=6),
)
SEGMENT_RULES = {"type", "not_null", "selection_in_source", "code_in_codebook", "interview_in_register"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(CELLS, CELLS, CELLS, CELLS, CELLS), max_size=12))
def test_segments_nothing_lost(rows):
    """Whatever the delivered cells, every row is accepted or quarantined under a known rule."""
    study = load_study()
    codebook = qda.load_codebook(FIXTURE / "codebook.yml")
    register = qda.check_register(qda.read_register(FIXTURE / "interviews_register.csv", study), study)
    frame = pd.DataFrame(rows, columns=["interview_id", "code", "start", "end", "text"])
    frame["selection"], frame["source_chars"] = "", ""
    frame[ROW] = range(2, len(frame) + 2)
    checked = qda.check_segments(Delivered("segments", Path("segments.csv"), frame), codebook, register)
    assert checked.delivered == len(rows) == len(checked.accepted) + len(checked.quarantined)
    assert set(checked.quarantined["rule"]) <= SEGMENT_RULES
    acc = checked.accepted
    assert ((acc["start"] >= 0) & (acc["end"] > acc["start"])).all()
    assert acc["interview_id"].isin(["T-01", "T-02", "T-03"]).all()


def test_register_from_excel(tmp_path, study):
    frame = pd.read_csv(FIXTURE / "interviews_register.csv", dtype=str)
    frame["date"] = pd.to_datetime(["2021-07-05", "2021-07-05", "2021-11-10"])  # real Excel dates
    frame.to_excel(tmp_path / "interviews_register.xlsx", index=False)
    from_xlsx = qda.check_register(qda.read_register(tmp_path / "interviews_register.xlsx", study), study)
    from_csv = qda.check_register(qda.read_register(FIXTURE / "interviews_register.csv", study), study)
    pd.testing.assert_frame_equal(from_xlsx.accepted, from_csv.accepted)
