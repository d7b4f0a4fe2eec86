"""The agile working study (seed 004: agile working in children's safeguarding social work in
three local authorities): its data contracts (:mod:`.schemas`), their validation with quarantine
(:mod:`.validate`), the engine's hooks (:mod:`.sources`: the checks the tidy stage runs and the
sources notebooks load; :func:`.synthetic.generate_all`: the synthetic data set), the codebook's
findings areas (:mod:`.codebook`), the notebooks' loader (:mod:`.inputs`) and report tables
(:mod:`.tables`).

The study's folder is ``studies/agile/`` (configuration, notebooks, report sources, data), laid out
as the flexitime study's top level. The engine selects it with ``ANALYSIS_STUDY=agile``
(``python -m analysis --study agile ...``, ``make ... STUDY=agile``): then ``analysis.paths.ROOT``
is that folder and every path here comes from :mod:`analysis.paths` (``CONFIG``, ``CODEBOOK``,
``SYNTHETIC``, ...), read when a function is called, never built here. Every function that reads
the configuration also takes an explicit path, for tests.
"""

from __future__ import annotations

from pathlib import Path

from analysis import paths


def load(path: Path | None = None):
    """The study configuration (``config/study.yml`` under the selected study root, or ``path``),
    read by the engine's loader (:func:`analysis.config.load_study`)."""
    from analysis.config import load_study

    return load_study(path or paths.STUDY_CONFIG)
