"""The agile study's sources, as the engine's tidy stage and loader reach them (``study.code("sources")``).

- :data:`SOURCE_CHECKS`: what :func:`analysis.tidy.validate_wave` runs on each phase folder. One check
  validates the whole folder with :func:`analysis.studies.agile.validate.check_phase` (participants
  first, then the observation log and the interview register against them, then the coded segments
  against the register and the study's codebook), so the tidy cache holds ``participants``,
  ``observations``, ``interviews`` and ``segments`` per phase, and quarantined rows beside them.
- :data:`INPUTS`: the sources a notebook may pass to :func:`analysis.inputs.load` and the tidy tables
  each names.
- :data:`PEOPLE_TABLES` (and :data:`PEOPLE_TABLES_TEXT`, in words): the tables whose rows are people or
  their practice, of which the validation appendix prints only the quarantined rows (the reports' own
  tables count them, disclosed; printed again per phase they could be differenced).

The study asks a local authority for nothing (the research team keeps every source), so there is no
``TEMPLATE_TABLES`` and no data request workbook.
"""

from __future__ import annotations

from pathlib import Path

from analysis import paths, qda
from analysis.config import Study
from analysis.errors import UnusableFileError
from analysis.studies.agile.validate import check_phase
from analysis.validate import Checked


def check_folder(folder: Path, study: Study) -> tuple[dict[str, Checked], list[UnusableFileError]]:
    """Every source of one phase folder; coded segments are checked against the selected study's
    codebook (``analysis.paths.CODEBOOK``: ``config/codebook.yml`` under the study root)."""
    return check_phase(folder, study, qda.load_codebook(paths.CODEBOOK) if _has_segments(folder) else None)


def _has_segments(folder: Path) -> bool:
    return any((Path(folder) / name).exists() for name in (qda.QDPX_FILE, qda.SEGMENTS_FILE))


# Every source: function(folder, study) -> (checked tables by name, unusable files)
SOURCE_CHECKS = [check_folder]

# Tables of people (or of their observed practice): the validation appendix counts only their quarantined rows.
PEOPLE_TABLES = ("participants", "observations", "interviews")
PEOPLE_TABLES_TEXT = "participants, observations of their practice, interviews"

# The sources a notebook may ask :func:`analysis.inputs.load` for, each naming its tidy tables.
INPUTS: dict[str, tuple[str, ...]] = {
    "participants": ("participants",),
    "observations": ("observations",),
    "interviews": ("interviews", "segments"),  # the interview register and its coded segments
}
