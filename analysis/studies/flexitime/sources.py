"""The flexitime study's sources, as the engine's tidy stage and loader reach them
(``Study.code("sources")``).

- :data:`SOURCE_CHECKS`: how a wave folder's delivered files are validated, one function per source:
  ``fn(folder, study) -> (checked tables by name, unusable files)``. The checks themselves are the
  engine's readers and validators (admin extract, Qualtrics export, interview coding).
- :data:`INPUTS`: the sources a notebook may name in ``analysis.inputs.load(wave, sources=[...])``,
  each with the tidy tables it reads.
"""

from __future__ import annotations

from pathlib import Path

from analysis.config import Study
from analysis.errors import UnusableFileError
from analysis.tidy import check_admin
from analysis.validate import Checked


def check_survey(folder: Path, study: Study) -> tuple[dict[str, Checked], list[UnusableFileError]]:
    """The Qualtrics survey export of a wave, if delivered."""
    from analysis.qualtrics import check_survey_source

    return check_survey_source(folder, study)


def check_interviews(folder: Path, study: Study) -> tuple[dict[str, Checked], list[UnusableFileError]]:
    """The interview register and coded segments (REFI-QDA ``.qdpx`` or segments CSV), if delivered."""
    from analysis.qda import check_interviews_source

    return check_interviews_source(folder, study)


# Workers first: their spells and visits are checked against the accepted workers.
SOURCE_CHECKS = [check_admin, check_survey, check_interviews]

# Each source a notebook may ask for: the tidy tables it reads, of every wave up to the notebook's.
INPUTS: dict[str, tuple[str, ...]] = {
    "workers": ("workers", "spells"),  # the workers table and its flexible-pattern spells
    "visits": ("visits",),
    "survey": ("survey",),
    "interviews": ("interviews", "segments"),
}

# Tables whose rows are people (or their answers): the validation appendix counts only their
# quarantined rows (see analysis.provenance.validation_appendix).
PEOPLE_TABLES = ("workers", "spells", "survey", "interviews")
PEOPLE_TABLES_TEXT = "workers and their flexible-pattern spells, survey responses, interviews"

# The tables the local authority is asked for in the data request workbook (`make template`), one
# sheet each; their specifications are the engine's (analysis.schemas.spec_for), as validation uses.
TEMPLATE_TABLES = ("workers", "spells", "visits")
