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


def folded_cell_options(nb_path) -> list[str]:
    """Cell options written as a block (``#| tbl-cap: >-`` with the text on the following lines).
    Quarto's ``embed`` shortcode carries cell options into a fenced div's attributes, and a block
    option breaks that div: the cell is printed as raw ``::: {#tbl-... .cell ...}`` text and its
    cross-references as ``?@tbl-...`` (seen in Quarto 1.x HTML of the agile study's reports). The
    built-in renderer reads them correctly, so only this check catches it."""
    import json
    import re

    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    found = []
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for line in src.splitlines():
            if cell["cell_type"] == "code" and re.match(r"^#\|\s*[\w-]+:\s*[>|][-+]?\s*$", line):
                found.append(f"{nb_path.name}: {line.strip()}")
    return found


def test_notebook_cell_options_are_one_line_each(tmp_path):
    """Every study's notebook templates write each cell option on one line; the check finds a folded one."""
    templates = sorted(paths.REPO.glob("notebooks/*.ipynb")) + sorted(paths.REPO.glob("studies/*/notebooks/*.ipynb"))
    assert len(templates) >= 10  # the flexitime notebooks and the agile study's six
    assert [f for nb in templates for f in folded_cell_options(nb)] == []
    bad = tmp_path / "bad.ipynb"
    cell = {"cell_type": "code", "source": ["#| label: tbl-x\n", "#| tbl-cap: >-\n", "#|   A caption.\n"]}
    bad.write_text(__import__("json").dumps({"cells": [cell]}))
    assert folded_cell_options(bad) == ["bad.ipynb: #| tbl-cap: >-"]
