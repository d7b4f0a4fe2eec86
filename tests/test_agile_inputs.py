"""The agile study's engine hooks and the notebooks' loader (analysis/studies/agile/{sources,synthetic,
inputs}.py): ``SOURCE_CHECKS`` validates a phase folder as the tidy stage runs it, ``INPUTS`` names the
tidy tables, ``generate_all`` writes one folder per phase and ``names.txt``, and ``inputs.from_inputs``
stacks what the engine's loader read (every phase up to the notebook's; quarantined rows left out and
counted).

In this process the engine's paths are the test sandbox's (the flexitime study), so the checks are
given the agile codebook by patching ``analysis.paths.CODEBOOK``, as ``ANALYSIS_STUDY=agile`` sets it;
the engine's ``Inputs`` are made here from the checked tables, as ``analysis.tidy`` caches them
(``WaveResult.summary`` and ``rule_counts`` are what ``validation.json`` holds). Synthetic data are
written to temporary folders; the configuration is read from the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.config import load_study
from analysis.inputs import Inputs, read_names
from analysis.qda import load_codebook
from analysis.studies.agile import inputs, sources, synthetic
from analysis.tidy import WaveResult
from tests.sandbox import REPO

CONFIG = REPO / "studies" / "agile" / "config"
STUDY = load_study(CONFIG / "study.yml")
TABLES = {"participants", "observations", "interviews", "segments"}


@pytest.fixture(scope="module")
def agile_paths():
    """The engine's paths as they are with the agile study selected (only the codebook is read here)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "CODEBOOK", CONFIG / "codebook.yml")
        yield


@pytest.fixture(scope="module")
def data(tmp_path_factory, agile_paths):
    folder = tmp_path_factory.mktemp("agile_inputs")
    written = synthetic.generate_all(folder, STUDY)
    return folder, written


def check(folder: Path) -> WaveResult:
    """What ``analysis.tidy.validate_wave`` does with the study's checks, without writing."""
    checked, unusable = {}, []
    for fn in sources.SOURCE_CHECKS:
        c, u = fn(folder, STUDY)
        checked.update(c)
        unusable.extend(u)
    return WaveResult(folder.name, folder, checked, unusable)


def engine_inputs(folder: Path, wave: str) -> Inputs:
    """The engine's ``Inputs`` for ``wave`` as ``analysis.inputs.load(wave, sources=[...])`` returns them."""
    tables: dict[str, dict] = {t: {} for t in TABLES}
    validation = {}
    for w in STUDY.waves_up_to(wave):
        result = check(folder / w.id)
        assert not result.unusable
        for name, c in result.checked.items():
            tables[name][w.id] = c.accepted
        validation[w.id] = {
            "tables": result.summary().to_dict(orient="records"),
            "rules": {n: {str(k): int(v) for k, v in c.rule_counts().items()} for n, c in result.checked.items()},
        }
    return Inputs(STUDY, wave, tables, validation, load_codebook(CONFIG / "codebook.yml"), read_names([folder]))


def test_inputs_name_the_tidy_tables_of_every_source():
    assert sources.INPUTS == {
        "participants": ("participants",),
        "observations": ("observations",),
        "interviews": ("interviews", "segments"),
    }
    assert set(inputs.SOURCES) == set(sources.INPUTS)
    assert {t for ts in sources.INPUTS.values() for t in ts} == TABLES
    # the validation appendix prints only quarantined rows of these (coded segments are not people)
    assert set(sources.PEOPLE_TABLES) == TABLES - {"segments"}
    assert not hasattr(sources, "TEMPLATE_TABLES")  # the research team keeps every source: no workbook


def test_generate_all_writes_one_folder_per_phase_and_the_names(data):
    folder, written = data
    # per phase: participants, observation log, interview register, .qdpx (4 x 2 phases), and names.txt
    assert len(written) == 9 and all(p.is_file() for p in written)
    assert {p.parent for p in written} == {folder / "phase_1", folder / "phase_2", folder}
    assert (folder / "names.txt") in written and "Rowena" in read_names([folder])


def test_source_checks_validate_a_phase_folder_as_the_tidy_stage_runs_them(data):
    folder, _ = data
    result = check(folder / "phase_2")
    assert set(result.checked) == TABLES and not result.unusable
    summary = result.summary().set_index("table")
    # observation_plan in study.yml, phase 2: 18 + 18 + 17 = 53; interview_plan phase 2: 6 per authority
    assert summary.loc["observations", ["delivered", "accepted", "quarantined"]].tolist() == [53, 53, 0]
    assert summary.loc["interviews", ["delivered", "accepted", "quarantined"]].tolist() == [18, 18, 0]
    # the tidy cache is parquet: every accepted table goes there and comes back with the same cells
    for name, c in result.checked.items():
        back = pd.read_parquet(_roundtrip(c.accepted, folder.parent / f"{name}.parquet"))
        pd.testing.assert_frame_equal(back, c.accepted.reset_index(drop=True), check_dtype=False)


def _roundtrip(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, index=False)
    return path


def test_phases_up_to_the_notebooks_are_stacked(data):
    folder, _ = data
    first = inputs.from_inputs(engine_inputs(folder, "phase_1"), CONFIG / "codebook.yml")
    # observation_plan in study.yml, by hand: phase 1 20 + 19 + 18 = 57; phase 2 18 + 18 + 17 = 53
    assert len(first.observations) == 57 and set(first.observations["phase"]) == {"phase_1"}
    both = inputs.from_inputs(engine_inputs(folder, "phase_2"), CONFIG / "codebook.yml")
    assert len(both.observations) == 110 and both.phase == "phase_2"
    # interview_plan: phase 1 9 per authority (27), phase 2 6 per authority (18)
    assert len(both.register) == 45 and len(first.register) == 27
    assert both.participants["participant_id"].is_unique
    # parents, carers and young people join in phase 2: the synthetic ROSTER has 3 + 2 per authority
    users = both.participants["role"].isin(["parent or carer", "young person"]).sum()
    assert users == 15 and first.participants["role"].isin(["parent or carer", "young person"]).sum() == 0
    assert set(both.validation["table"]) == TABLES
    assert set(both.validation["phase"]) == {w.label for w in STUDY.waves}
    assert (both.validation["quarantined"] == 0).all()
    assert "Rowena" in both.names  # names.txt beside the synthetic phases (the quote screen reads it)
    assert set(both.areas) == {
        "remote_norm",
        "digital_communication",
        "less_experienced_support",
        "office_space",
        "home_working_lives",
    }


def test_a_quarantined_row_is_left_out_and_counted(data, tmp_path):
    folder, _ = data
    copy = tmp_path / "data"
    shutil.copytree(folder, copy)
    path = copy / "phase_2" / "observations.csv"
    log = pd.read_csv(path, dtype=str, keep_default_na=False)
    log.loc[0, "modes"] = "carrier pigeon"
    log.to_csv(path, index=False, lineterminator="\n")
    got = inputs.from_inputs(engine_inputs(copy, "phase_2"), CONFIG / "codebook.yml")
    assert len(got.observations) == 109
    row = got.validation[
        (got.validation["table"] == "observations") & got.validation["phase"].str.startswith("Phase 2")
    ]
    assert row[["delivered", "accepted", "quarantined"]].values.tolist() == [[53, 52, 1]]
    assert "modes_allowed (1)" in row["rules"].iloc[0]


def test_an_unusable_file_is_reported_by_the_source_checks(data, tmp_path):
    folder, _ = data
    copy = tmp_path / "phase_2"
    shutil.copytree(folder / "phase_2", copy)
    path = copy / "observations.csv"
    pd.read_csv(path, dtype=str).drop(columns=["activity"]).to_csv(path, index=False)
    result = check(copy)
    (err,) = result.unusable
    assert err.path == path and "activity" in str(err)
    assert "observations" not in result.checked and {"participants", "interviews", "segments"} <= set(result.checked)


def test_a_phase_with_nothing_delivered_stacks_to_empty_tables():
    empty = Inputs(STUDY, "phase_1", {t: {"phase_1": None} for t in TABLES}, {}, None, ())
    got = inputs.from_inputs(empty, CONFIG / "codebook.yml")
    assert got.observations.empty and got.participants.empty and got.register.empty and got.segments.empty
    assert list(got.validation.columns) == inputs.VALIDATION_COLUMNS and got.validation.empty
