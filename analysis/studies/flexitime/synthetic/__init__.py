"""Deterministic synthetic data in exactly the real delivery formats.

Used when the data source is synthetic (see :mod:`analysis.source`), written only by
``python -m analysis data`` (``make data``). The same seed gives the same bytes.
"""

from pathlib import Path

from analysis.config import Study


def generate_all(root: Path, study: Study) -> list[Path]:
    """Every synthetic source for every wave, deterministically from the study seed."""
    from analysis.studies.flexitime.synthetic import admin, interviews, survey

    written = admin.generate(root, study, study.seed)
    written += survey.generate(root, study, study.seed)
    written += interviews.generate(root, study, study.seed)
    return written
