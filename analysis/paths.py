"""Every path the project uses, anchored at the repository root.

No other module builds a path from strings or depends on the working directory. The root can
be moved for tests (a temporary copy) with the ``ANALYSIS_ROOT`` environment variable.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("ANALYSIS_ROOT", PACKAGE.parent)).resolve()

CONFIG = ROOT / "config"
STUDY_CONFIG = CONFIG / "study.yml"
WAVE_CONFIG_DIR = CONFIG / "waves"
SURVEY_CONFIG = CONFIG / "survey.yml"
SURVEY_THEMES = CONFIG / "survey_themes.yml"
CODEBOOK = CONFIG / "codebook.yml"
DISCLOSURE_EXCEPTIONS = CONFIG / "disclosure_exceptions.yml"
PROTOCOL = CONFIG / "protocol.yml"  # the protocol's questions and where the reports answer them
OUTPUT_LINKS = CONFIG / "output_links.yml"  # facts linking outputs, for the differencing audit

DATA = ROOT / "data"
RAW = DATA / "raw"
SYNTHETIC = DATA / "synthetic"

NOTEBOOKS = ROOT / "notebooks"
REPORT = ROOT / "report"
QUARTO_PROJECT = ROOT / "_quarto.yml"

BUILD = ROOT / "_build"
TIDY = BUILD / "data"
QUARANTINE = BUILD / "quarantine"
VALIDATION = BUILD / "validation"
EXECUTED = BUILD / "notebooks"
FAILED = BUILD / "failed"
STAGED_REPORTS = BUILD / "reports"

OUTPUT = ROOT / "_output"
OUTPUT_LOGS = BUILD / "outputs"


def output_log(wave: str, notebook: str) -> Path:
    """Where a notebook executed for ``wave`` registers its outputs (see :mod:`analysis.outputs`)."""
    return OUTPUT_LOGS / wave / f"{notebook}.json"


def checking_dir(report: str) -> Path:
    """The output checker's folder for a report: ``results.json``, its files and ``checking.html``."""
    return OUTPUT / f"{report}_outputs"


def wave_config(wave: str) -> Path:
    """The parameter file papermill injects for ``wave``."""
    return WAVE_CONFIG_DIR / f"{wave}.yml"


def wave_dir(wave: str, source: str, data_dir: Path | None = None) -> Path:
    """Where a wave's files are read from, for one source (``raw`` or ``synthetic``): there is no
    fallback from one to the other (see :mod:`analysis.source`). ``data_dir`` overrides the
    source's folder (a folder holding wave folders).
    """
    if data_dir is not None:
        return Path(data_dir) / wave
    if source not in ("raw", "synthetic"):
        raise ValueError(f"source must be 'raw' or 'synthetic', got {source!r}")
    return (RAW if source == "raw" else SYNTHETIC) / wave


def tidy_dir(wave: str) -> Path:
    return TIDY / wave


def quarantine_dir(wave: str) -> Path:
    return QUARANTINE / wave


def executed_notebook(wave: str, notebook: str) -> Path:
    return EXECUTED / wave / f"{notebook}.ipynb"


def notebook_template(notebook: str) -> Path:
    return NOTEBOOKS / f"{notebook}.ipynb"
