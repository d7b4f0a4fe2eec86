"""The agile study's reference notebooks (``make nbval-refs`` writes them here) are compared output by
output, as the flexitime study's in ``tests/nbval/`` are, in kernels that start with the agile study
selected (``ANALYSIS_STUDY=agile``) in the session's sandbox root. Before the first of them runs, the
sandbox gets its copy of ``studies/agile/`` (sources only) and the study's synthetic data set, made and
validated with the project's own command line, as ``make report STUDY=agile`` would leave it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_analysis
from tests.sandbox import copy_source

HERE = Path(__file__).resolve().parent
STUDY = HERE.name  # the folder is named after the study
_prepared: dict[Path, bool] = {}


def pytest_collectstart(collector):
    # nbval's notebook collector reads this flag when it makes one test per cell
    if type(collector).__name__ == "IPyNbFile" and Path(collector.path).resolve().parent == HERE:
        collector.compare_outputs = True


def prepare(root: Path) -> None:
    """The study's sources and validated synthetic data in the sandbox ``root`` (once per session)."""
    if _prepared.get(root):
        return
    if not (root / "studies" / STUDY).exists():  # the sandbox copies studies/ (tests/sandbox.py); else now
        copy_source("studies", root)
    for command in ("data", "validate"):
        proc = run_analysis(root, "--study", STUDY, command)
        if proc.returncode != 0:
            pytest.fail(f"`python -m analysis --study {STUDY} {command}` failed in {root}:\n{proc.stderr[-3000:]}")
    _prepared[root] = True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """nbval starts a notebook's kernel when its first cell is set up: with the study selected then,
    the kernel (and only it) keeps the selection; the session's environment is restored after."""
    if Path(item.path).resolve().parent != HERE:
        yield
        return
    prepare(Path(os.environ["ANALYSIS_ROOT"]))
    before = os.environ.get("ANALYSIS_STUDY")
    os.environ["ANALYSIS_STUDY"] = STUDY
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("ANALYSIS_STUDY", None)
        else:
            os.environ["ANALYSIS_STUDY"] = before
