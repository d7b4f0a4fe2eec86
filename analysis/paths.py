"""Every path the project uses, anchored at the repository root.

No other module builds a path from strings or depends on the working directory. The repository
root can be moved for tests (a temporary copy) with the ``ANALYSIS_ROOT`` environment variable.

The study: ``ANALYSIS_STUDY=<name>`` selects the study rooted at ``<repository>/studies/<name>/``;
unset or empty, the top-level study (``config/``, ``notebooks/``, ``report/``, ``data/`` at the
repository's top level). :data:`REPO` is the repository root, :data:`ROOT` the selected study's
root, and every other path hangs off :data:`ROOT`. ``python -m analysis --study NAME`` and
``make <target> STUDY=NAME`` set the variable before this module is imported; notebook kernels and
worker processes inherit it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from analysis.errors import ConfigError

PACKAGE = Path(__file__).resolve().parent
REPO = Path(os.environ.get("ANALYSIS_ROOT", PACKAGE.parent)).resolve()
STUDIES = REPO / "studies"  # one folder per further study, each shaped like the repository's top level
STUDY_ENV = "ANALYSIS_STUDY"


class UnknownStudyError(ConfigError):
    """``ANALYSIS_STUDY`` (or ``--study``) names no folder under ``studies/``."""


def studies() -> list[str]:
    """The studies under ``studies/``: every folder there with a ``config/study.yml``."""
    if not STUDIES.is_dir():
        return []
    return sorted(p.name for p in STUDIES.iterdir() if (p / "config" / "study.yml").is_file())


def study_root(name: str | None) -> Path:
    """The root of study ``name`` (``studies/<name>/``), or the repository root for no name.

    Raises
    ------
    UnknownStudyError
        ``name`` is not a folder name, or there is no such folder; the message lists the studies.
    """
    name = (name or "").strip()
    if not name:
        return REPO
    found = ", ".join(studies()) or "none"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) or not (STUDIES / name).is_dir():
        raise UnknownStudyError(
            f"No study {name!r}: there is no folder studies/{name}/ in {REPO} (studies there: {found}). "
            f"Leave out --study / STUDY= (or unset {STUDY_ENV}) for the top-level study, or name one of those."
        )
    return STUDIES / name


STUDY = os.environ.get(STUDY_ENV, "").strip()  # the selected study's name ("" for the top-level study)
ROOT = study_root(STUDY).resolve()


def study_name() -> str:
    """The selected study, for messages: its name, or ``top-level`` for the repository's own study."""
    return STUDY or "top-level"


def study_option() -> str:
    """What a command shown in a message needs to select this study: `` STUDY=<name>`` or nothing
    (e.g. ``f"make data{paths.study_option()}"``)."""
    return f" STUDY={STUDY}" if STUDY else ""


def cli_option() -> str:
    """The same for ``python -m analysis``: `` --study <name>`` or nothing."""
    return f" --study {STUDY}" if STUDY else ""


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


def output_log(wave: str, notebook: str, run: str | None = None) -> Path:
    """Where a notebook executed for ``wave`` registers its outputs (see :mod:`analysis.outputs`); for
    the run of one report (``run``: the report id), in a folder of that report's."""
    return OUTPUT_LOGS / wave / (run or "") / f"{notebook}.json"


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


def executed_notebook(wave: str, notebook: str, run: str | None = None) -> Path:
    """A notebook executed for ``wave``: ``_build/notebooks/<wave>/<notebook>.ipynb``, or, in the run of
    one report (``run``: the report id, with that report's parameters), ``.../<wave>/<report>/...``."""
    return EXECUTED / wave / (run or "") / f"{notebook}.ipynb"


def failed_notebook(wave: str, notebook: str, run: str | None = None) -> Path:
    """Where a notebook that failed is kept (the executed copy up to the failing cell)."""
    return FAILED / wave / (run or "") / f"{notebook}.ipynb"


def notebook_template(notebook: str) -> Path:
    return NOTEBOOKS / f"{notebook}.ipynb"
