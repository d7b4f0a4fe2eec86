"""Notebook templates: thin, parameterised, labelled, and committed without outputs."""

import re

import nbformat
import pytest

from analysis import paths
from analysis.render import cell_options

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


def test_there_is_a_notebook_per_research_question():
    names = {p.stem for p in NOTEBOOKS}
    for rq in ("rq1a", "rq1b", "rq1c", "rq2a", "rq2b", "rq2c", "rq3a"):
        assert any(n.startswith(rq) for n in names), rq
    assert {"summary", "context"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_template_is_thin_parameterised_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    # committed without outputs
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    # one tagged parameters cell with typed, commented defaults (papermill --help-notebook reads them)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    assert re.search(r"^wave: str = \"\w+\"\s+# ", params[0].source, re.M)
    for c in code:
        # no function or class defined in a notebook: the logic lives in the analysis package
        assert not re.search(r"^\s*(def|class) ", c.source, re.M), c.source[:80]
        opts = cell_options(c.source)
        label = opts.get("label", "")
        if label.startswith("fig-"):
            assert opts.get("fig-cap") and opts.get("fig-alt"), label
        if label.startswith("tbl-"):
            assert opts.get("tbl-cap"), label
