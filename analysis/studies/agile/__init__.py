"""The agile working study (seed 004: agile working in children's safeguarding social work in
three local authorities): its data contracts (:mod:`.schemas`), their validation with quarantine
(:mod:`.validate`), the codebook's findings areas (:mod:`.codebook`) and its synthetic data
(:mod:`.synthetic`).

The study's folder is ``studies/agile/`` (config, and later notebooks and report sources), laid
out as the flexitime study's top level. Until the engine knows a study root, its paths are made
here, from the engine's root (``analysis.paths.ROOT``); every function that reads the study's
configuration also takes an explicit path (the test sandbox copies no ``studies/`` folder yet).
"""

from __future__ import annotations

from pathlib import Path

from analysis import paths

STUDY_DIR: Path = paths.ROOT / "studies" / "agile"
CONFIG_DIR: Path = STUDY_DIR / "config"
STUDY_CONFIG: Path = CONFIG_DIR / "study.yml"
CODEBOOK: Path = CONFIG_DIR / "codebook.yml"


def load(path: Path | None = None):
    """The study configuration, read by the engine's loader (:func:`analysis.config.load_study`)."""
    from analysis.config import load_study

    return load_study(path or STUDY_CONFIG)
