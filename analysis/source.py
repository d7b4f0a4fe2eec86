"""Where the data come from: ``raw`` (files as delivered, under ``data/raw/<wave>/``) or
``synthetic`` (the deterministic set ``make data`` writes under ``data/synthetic/<wave>/``).

The choice is made once, for a whole build or session, never wave by wave: a report is built
from one source only. In order of precedence it comes from

1. the ``--source`` option of ``python -m analysis`` (or ``--data-dir``, a folder of delivered
   wave folders, which means ``raw`` unless ``--source synthetic`` is given);
2. the ``ANALYSIS_DATA_SOURCE`` environment variable (the build sets it, so that the notebook
   kernels it starts read what the build validated);
3. ``data_source:`` in ``config/study.yml``: ``auto`` (the default), ``raw`` or ``synthetic``.

``auto`` means ``raw`` when ``data/raw/`` holds a folder for any wave of the study, else
``synthetic``: a fresh clone, with no ``data/raw/``, builds from synthetic data out of the box.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from analysis import paths
from analysis.config import Study, load_study
from analysis.errors import AnalysisError, ConfigError

RAW = "raw"
SYNTHETIC = "synthetic"
AUTO = "auto"
CHOICES = (AUTO, RAW, SYNTHETIC)

ENV_SOURCE = "ANALYSIS_DATA_SOURCE"
ENV_DATA_DIR = "ANALYSIS_DATA_DIR"


class MissingDataError(AnalysisError):
    """A wave's folder is missing in the chosen source; the message says what to run or deliver."""


def rel(p: Path) -> str:
    """``p`` relative to the repository root when it is inside it (for messages and records): a
    study's files read ``studies/<name>/...``, where the analyst runs the commands from."""
    p = Path(p)
    return str(p.relative_to(paths.REPO)) if p.is_relative_to(paths.REPO) else str(p)


@dataclass(frozen=True)
class DataSource:
    """The one source of a build: its kind, the folder holding its wave folders, and why."""

    kind: str  # "raw" or "synthetic"
    root: Path  # the folder holding <wave>/ folders
    reason: str  # how the choice was made, for the build's first line

    @property
    def synthetic(self) -> bool:
        return self.kind == SYNTHETIC

    def wave_dir(self, wave: str) -> Path:
        return self.root / wave

    def delivered(self, wave: str) -> bool:
        return self.wave_dir(wave).is_dir()

    def missing(self, waves) -> list[str]:
        """The waves among ``waves`` whose folder does not exist."""
        return [w for w in waves if not self.delivered(w)]

    def folder_label(self, wave: str) -> str:
        """``data/raw/endline/``: how a wave's folder is named in messages."""
        return rel(self.wave_dir(wave)) + "/"

    def describe(self) -> str:
        what = "synthetic data (not for publication)" if self.synthetic else "delivered (real) data"
        return f"data source: {self.kind}: {what} from {rel(self.root)}/ ({self.reason})"

    def missing_folder_message(self, wave: str) -> str:
        """What to do when a wave's folder is missing (nothing is generated on the way)."""
        folder = self.folder_label(wave)
        if self.synthetic and self.root == paths.SYNTHETIC:
            return (
                f"{folder} does not exist: the synthetic data set has not been written. "
                f"Run `make data{paths.study_option()}` (python -m analysis{paths.cli_option()} data) to write it."
            )
        return (
            f"{folder} does not exist: wave '{wave}' has not been delivered. Put its files there, or build "
            f"from synthetic data with `--source synthetic` (after `make data{paths.study_option()}`)."
        )


def configured(study: Study | None = None) -> str:
    """``data_source`` from the study configuration (``auto`` when it is not set)."""
    study = study or load_study()
    value = str(study.raw.get("data_source", AUTO) or AUTO).strip().lower()
    if value not in CHOICES:
        raise ConfigError(f"{paths.STUDY_CONFIG}: data_source must be one of {', '.join(CHOICES)}, got {value!r}.")
    return value


def delivered_waves(study: Study | None = None) -> list[str]:
    """The study's waves that have a folder under ``data/raw/``."""
    study = study or load_study()
    return [w for w in study.wave_ids if (paths.RAW / w).is_dir()]


def resolve(choice: str | None = None, data_dir: Path | str | None = None, study: Study | None = None) -> DataSource:
    """Decide the source once: see the module's docstring for the order of precedence."""
    study = study or load_study()
    if choice is not None:
        how = f"--source {choice}"
    elif os.environ.get(ENV_SOURCE):
        choice, how = os.environ[ENV_SOURCE], f"{ENV_SOURCE}={os.environ[ENV_SOURCE]}"
    else:
        choice = configured(study)
        how = f"data_source: {choice} in {rel(paths.STUDY_CONFIG)}"
    choice = choice.strip().lower()
    if choice not in CHOICES:
        raise ConfigError(f"The data source must be one of {', '.join(CHOICES)}, got {choice!r} ({how}).")
    if data_dir is None and os.environ.get(ENV_DATA_DIR):
        data_dir = os.environ[ENV_DATA_DIR]
    if data_dir is not None:
        kind = SYNTHETIC if choice == SYNTHETIC else RAW
        return DataSource(kind, Path(data_dir).resolve(), f"{how}; files from --data-dir {data_dir}")
    if choice == AUTO:
        found = delivered_waves(study)
        if found:
            reason = f"{how}: {rel(paths.RAW)}/ holds {', '.join(found)}"
            return DataSource(RAW, paths.RAW, reason)
        return DataSource(SYNTHETIC, paths.SYNTHETIC, f"{how}: {rel(paths.RAW)}/ holds no wave folder")
    return DataSource(choice, paths.RAW if choice == RAW else paths.SYNTHETIC, how)


def environment(src: DataSource) -> dict[str, str]:
    """The environment variables that make every process of a build (notebook kernels included)
    resolve to ``src``."""
    env = {ENV_SOURCE: src.kind}
    if src.root not in (paths.RAW, paths.SYNTHETIC):
        env[ENV_DATA_DIR] = str(src.root)
    return env
