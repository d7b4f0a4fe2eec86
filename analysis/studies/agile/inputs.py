"""The agile study's one loader for its notebooks: every fieldwork phase up to the notebook's phase,
validated with :func:`analysis.studies.agile.validate.check_phase` and stacked into the tables the
builders of :mod:`analysis.studies.agile.tables` take.

Not wired into the build yet: the engine's loader (:func:`analysis.inputs.load`) reads the
flexitime study's tidy parquet cache under ``_build/data/<wave>/``. Until the build knows study
roots, a notebook passes the study's configuration folder and its data folder explicitly, and this
module validates the delivered files itself each time (a few seconds for the whole study).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.config import Study, load_study
from analysis.errors import AnalysisError
from analysis.inputs import read_names
from analysis.qda import load_codebook
from analysis.studies.agile import CONFIG_DIR, STUDY_DIR
from analysis.studies.agile.codebook import load_findings_areas, load_findings_map
from analysis.studies.agile.validate import check_phase, summary

SYNTHETIC_DIR = STUDY_DIR / "data" / "synthetic"


class MissingPhaseError(AnalysisError, FileNotFoundError):
    """A phase folder the notebook needs is not there."""


@dataclass(frozen=True)
class AgileInputs:
    """Everything the agile notebooks need, as at ``phase``: accepted rows of every phase so far."""

    study: Study
    phase: str
    participants: pd.DataFrame  # the register as at the latest phase (one row per participant)
    observations: pd.DataFrame
    register: pd.DataFrame  # interviews: interview_id, site, wave, date, group, participant_id
    segments: pd.DataFrame
    codebook: pd.DataFrame
    findings: pd.DataFrame  # code id -> findings area (one row per pair)
    areas: dict[str, str]
    names: tuple[str, ...]
    validation: pd.DataFrame  # delivered / accepted / quarantined per phase and table


def config_folder(config_dir: str | Path | None) -> Path:
    """The study's configuration folder: the one given, else ``studies/agile/config``."""
    return Path(config_dir) if config_dir else CONFIG_DIR


def data_folder(data_dir: str | Path | None) -> Path:
    """The folder holding one folder per phase: the one given, else the study's synthetic data."""
    return Path(data_dir) if data_dir else SYNTHETIC_DIR


def study_config(config_dir: str | Path | None = None) -> Study:
    """The study configuration in ``config_dir`` (default ``studies/agile/config``)."""
    return load_study(config_folder(config_dir) / "study.yml")


def load_for_notebook(
    phase: str, config_dir: str | Path | None = None, data_dir: str | Path | None = None
) -> AgileInputs:
    """What a notebook loads until the build knows study roots: :func:`load` from ``data_dir``; with
    no ``data_dir`` and no synthetic data made yet, the synthetic data set is first written to a
    temporary folder (never into the repository)."""
    folder = data_folder(data_dir)
    if not data_dir and not folder.is_dir():
        import tempfile

        from analysis.studies.agile import synthetic

        folder = Path(tempfile.mkdtemp(prefix="agile_synthetic_"))
        cfg = config_folder(config_dir)
        synthetic.generate(folder, study_config(cfg), codebook_path=cfg / "codebook.yml")
    return load(phase, config_dir or None, folder)


def load(phase: str, config_dir: str | Path | None = None, data_dir: str | Path | None = None) -> AgileInputs:
    """Validate and stack every phase up to ``phase`` (quarantined rows stay out, and are counted in
    ``validation``).

    Raises
    ------
    MissingPhaseError
        A phase folder is missing, with what to do about it.
    analysis.errors.UnusableFileError
        A delivered file cannot be used at all (its message names the file and what to do).
    """
    cfg = config_folder(config_dir)
    study = study_config(cfg)
    codebook = load_codebook(cfg / "codebook.yml")
    folder = data_folder(data_dir)
    tables: dict[str, list[pd.DataFrame]] = {"participants": [], "observations": [], "interviews": [], "segments": []}
    checks = []
    for w in study.waves_up_to(phase):
        here = folder / w.id
        if not here.is_dir():
            raise MissingPhaseError(
                f"{here}: no folder for {w.label}. Deliver the phase's files there, or write the synthetic "
                "data set (analysis.studies.agile.synthetic.generate) into the data folder."
            )
        checked, unusable = check_phase(here, study, codebook)
        if len(unusable) == 1:
            raise unusable[0]
        if unusable:
            raise AnalysisError("Files that cannot be used: " + "; ".join(str(e) for e in unusable))
        for name, c in checked.items():
            tables[name].append(c.accepted.assign(**({"_phase": w.id} if name == "participants" else {})))
        checks.append(summary(checked).assign(phase=w.label))

    def stack(name: str) -> pd.DataFrame:
        frames = tables[name]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    participants = stack("participants")
    if len(participants):
        participants = participants.drop_duplicates("participant_id", keep="last").drop(columns="_phase")
    return AgileInputs(
        study=study,
        phase=phase,
        participants=participants.reset_index(drop=True),
        observations=stack("observations"),
        register=stack("interviews"),
        segments=stack("segments"),
        codebook=codebook,
        findings=load_findings_map(cfg / "codebook.yml"),
        areas=load_findings_areas(cfg / "codebook.yml"),
        names=read_names([folder]),
        validation=pd.concat(checks, ignore_index=True) if checks else pd.DataFrame(),
    )
