"""ruff's linter and formatter pass over the whole tree, with the settings in pyproject.toml
(the same checks .pre-commit-config.yaml runs before a commit)."""

import subprocess
import sys

from analysis import paths


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=paths.PACKAGE.parent, capture_output=True, text=True
    )


def test_ruff_check_passes():
    r = _ruff("check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_check_passes():
    r = _ruff("format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_finds_a_violation(tmp_path):
    """The check can fail: an unused import in a file under the same settings is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    r = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(paths.PACKAGE.parent / "pyproject.toml"), str(bad)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and "F401" in r.stdout
