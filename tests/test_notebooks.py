"""Notebook templates: thin, parameterised, labelled, and committed without outputs."""

import re
from pathlib import Path

import nbformat
import pytest

from analysis import paths
from analysis.render import cell_options

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
REFS_DIR = Path(__file__).parent / "nbval"


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


# -- the reference executed notebooks (tests/nbval/, refreshed by `make nbval-refs`) ----------------

REFERENCES = sorted(REFS_DIR.glob("*.ipynb"))


def code_sources(nb, injected: bool) -> list[str]:
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and ("injected-parameters" in c.metadata.get("tags", [])) == injected
    ]


def test_every_template_has_a_reference_and_every_reference_a_template():
    assert {p.stem for p in REFERENCES} == {p.stem for p in NOTEBOOKS}, "run `make nbval-refs`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_reference_is_the_template_executed_for_the_report_wave(path, study):
    """A template changed since its reference was made fails here (run `make nbval-refs`): nbval would
    otherwise compare the outputs of old code."""
    ref = nbformat.read(REFS_DIR / path.name, as_version=4)
    template = nbformat.read(path, as_version=4)
    assert code_sources(ref, injected=False) == code_sources(template, injected=False), "run `make nbval-refs`"
    assert [c.source for c in ref.cells if c.cell_type != "code"] == [
        c.source for c in template.cells if c.cell_type != "code"
    ]
    wave = study.reports[-1].last_wave
    (injected,) = code_sources(ref, injected=True)
    assert re.search(rf'^wave = "{wave}"$', injected, re.M), injected
    # every code cell was executed, in order, and nothing volatile was kept
    counts = [c.execution_count for c in ref.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    assert all("execution" not in c.metadata and "papermill" not in c.metadata for c in ref.cells)
    assert not any("image/png" in o.get("data", {}) for c in ref.cells for o in c.get("outputs", []))
    assert set(ref.metadata.papermill) == {"parameters"} and ref.metadata.papermill.parameters == {"wave": wave}
    # no error output: a reference records a notebook that ran
    assert not any(o.output_type == "error" for c in ref.cells for o in c.get("outputs", []))
