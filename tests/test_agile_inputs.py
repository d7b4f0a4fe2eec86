"""The agile notebooks' loader (analysis/studies/agile/inputs.py): every phase up to the notebook's,
validated and stacked; quarantined rows left out and counted; a missing phase named. Synthetic data
are written to temporary folders; the study's configuration is read from the repository."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis.config import load_study
from analysis.errors import UnusableFileError
from analysis.studies.agile import inputs
from analysis.studies.agile.synthetic import generate
from tests.sandbox import REPO

CONFIG = REPO / "studies" / "agile" / "config"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agile_inputs")
    generate(folder, load_study(CONFIG / "study.yml"), codebook_path=CONFIG / "codebook.yml")
    return folder


def test_phases_up_to_the_notebooks_are_stacked(data):
    first = inputs.load("phase_1", CONFIG, data)
    # observation_plan in study.yml, by hand: phase 1 20 + 19 + 18 = 57; phase 2 18 + 18 + 17 = 53
    assert len(first.observations) == 57 and set(first.observations["phase"]) == {"phase_1"}
    both = inputs.load("phase_2", CONFIG, data)
    assert len(both.observations) == 110
    # interview_plan: phase 1 9 per authority (27), phase 2 6 per authority (18)
    assert len(both.register) == 45 and len(first.register) == 27
    assert both.participants["participant_id"].is_unique
    # parents, carers and young people join in phase 2: the synthetic ROSTER has 3 + 2 per authority
    users = both.participants["role"].isin(["parent or carer", "young person"]).sum()
    assert users == 15 and first.participants["role"].isin(["parent or carer", "young person"]).sum() == 0
    assert set(both.validation["table"]) == {"participants", "observations", "interviews", "segments"}
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
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    path = copy / "phase_2" / "observations.csv"
    log = pd.read_csv(path, dtype=str, keep_default_na=False)
    log.loc[0, "modes"] = "carrier pigeon"
    log.to_csv(path, index=False, lineterminator="\n")
    got = inputs.load("phase_2", CONFIG, copy)
    assert len(got.observations) == 109
    row = got.validation[
        (got.validation["table"] == "observations") & got.validation["phase"].str.startswith("Phase 2")
    ]
    assert row[["delivered", "accepted", "quarantined"]].values.tolist() == [[53, 52, 1]]
    assert "modes_allowed (1)" in row["rules"].iloc[0]


def test_a_missing_phase_is_named(data, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data / "phase_1", copy / "phase_1")
    with pytest.raises(inputs.MissingPhaseError) as e:
        inputs.load("phase_2", CONFIG, copy)
    assert str(copy / "phase_2") in str(e.value) and "Phase 2 (after social distancing)" in str(e.value)


def test_an_unusable_file_is_named(data, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    path = copy / "phase_2" / "observations.csv"
    pd.read_csv(path, dtype=str).drop(columns=["activity"]).to_csv(path, index=False)
    with pytest.raises(UnusableFileError) as e:
        inputs.load("phase_2", CONFIG, copy)
    assert e.value.path == path and "activity" in str(e.value)
