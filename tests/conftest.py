"""Shared fixtures: the study, and one end-to-end build of both reports from fresh synthetic
data in a temporary copy of the project (built once per test session).

The whole session already runs in a temporary project root (``tests/sandbox.py``, loaded from
pyproject.toml's ``addopts``): ``analysis.paths.ROOT`` is that root, never the working tree.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from analysis.config import load_study
from tests.sandbox import SOURCES, copy_source

# -- hypothesis: deterministic in CI ----------------------------------------------------------------
# In CI (the CI variable set, as .ci/run and every CI service set it) each property test runs the
# same examples on every run (derandomize), so a red build is reproducible and a green one is not
# luck; the examples that once failed are kept beside each test as @example. Elsewhere the search
# stays random, to keep finding new failures, with no deadline (the 2-core machine is shared).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_collection_modifyitems(config, items):
    """Markers that follow from what a test uses, so that `make test-fast` (-m "not e2e and not
    browser") leaves out every slow test without each one having to be marked by hand: a test that
    uses the ``built`` reports is end to end, and one that drives a browser (Playwright) is a browser
    test. Explicit marks work as well."""
    for item in items:
        if "built" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
        fn = getattr(item, "function", None)
        if fn is not None and "playwright" in _source(fn):
            item.add_marker(pytest.mark.browser)


def _source(fn) -> str:
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""


@pytest.fixture(scope="session")
def study():
    return load_study()


def copy_project(root: Path) -> Path:
    """The project's sources (not its data or build) in ``root``."""
    for name in SOURCES:
        copy_source(name, root)
    return root


def run_analysis(root: Path, *args: str, env: dict | None = None, timeout: int = 1800) -> subprocess.CompletedProcess:
    """``python -m analysis ...`` with the project root moved to ``root``."""
    env = {**os.environ, "ANALYSIS_ROOT": str(root), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("project"))
    proc = run_analysis(root, "report", "--renderer", "builtin")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return root
