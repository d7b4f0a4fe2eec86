"""The agile study's notebooks (studies/agile/notebooks/) and report sources (studies/agile/report/):
thin, parameterised, labelled templates; each executed with papermill, as the build executes it, on the
synthetic data set of a temporary project root with the agile study selected (``ANALYSIS_STUDY=agile``);
every embed of a report source names a notebook and a cell that exist, and every cross-reference of a
report names a table the report embeds.

The study's files are read from the repository (``REPO``). Executed copies and data go to temporary
folders only.
"""

from __future__ import annotations

import re
import shutil

import nbformat
import papermill
import pytest
import yaml

from analysis.config import load_study
from analysis.render import cell_options
from tests.conftest import copy_project, run_analysis
from tests.sandbox import REPO

STUDY = REPO / "studies" / "agile"
CONFIG = STUDY / "config"
NOTEBOOKS = sorted((STUDY / "notebooks").glob("*.ipynb"))
REPORTS = sorted((STUDY / "report").glob("*.qmd"))
EMBED = re.compile(r"\{\{< embed \.\./_build/reports/(?P<report>[\w-]+)/(?P<nb>[\w-]+)\.ipynb#(?P<label>[\w-]+) >\}\}")
INCLUDE = re.compile(r"\{\{< include \.\./_build/reports/(?P<report>[\w-]+)/(?P<file>[\w.]+) >\}\}")


def labels(path) -> dict[str, dict]:
    nb = nbformat.read(path, as_version=4)
    out = {}
    for c in nb.cells:
        if c.cell_type == "code" and (opts := cell_options(c.source)).get("label"):
            out[opts["label"]] = opts
    return out


def test_a_notebook_per_aim_a_case_study_and_the_cross_case():
    assert {p.stem for p in NOTEBOOKS} == {
        "aim1_accounts",
        "aim2_knowledge",
        "aim3_practices",
        "aim4_sensemaking",
        "case_study",
        "cross_case",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_template_is_thin_parameterised_labelled_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    names = ("wave", "site") if path.stem == "case_study" else ("wave",)
    assert re.findall(r"^(\w+): ", params[0].source, re.M) == list(names)  # no paths: the engine's study root
    for name in names:
        assert re.search(rf"^{name}: str = \"\w+\"\s+# ", params[0].source, re.M), name
    # every notebook reads through the engine's loader (the adapter over analysis.inputs.load), once
    assert sum("agile_inputs.load(wave)" in c.source for c in code) == 1
    assert not any(re.search(r"read_(csv|excel|parquet)|open\(|Path\(", c.source) for c in code)
    for c in code:
        assert not re.search(r"^\s*(def|class) ", c.source, re.M), c.source[:80]
    found = labels(path)
    tables = [k for k in found if k.startswith("tbl-")]
    assert tables, "no labelled table"
    for k in tables:
        cap = found[k].get("tbl-cap", "")
        assert "Source" in cap or "source" in cap, (k, cap)  # each caption names its source


def test_labels_are_unique_across_notebooks_a_report_combines():
    seen: dict[str, str] = {}
    for path in NOTEBOOKS:
        for k in labels(path):
            if k == "disclosure-rule":
                continue
            assert k not in seen, f"{k} in {path.stem} and {seen[k]}"
            seen[k] = path.stem


# -- report sources -------------------------------------------------------------------------------


def test_report_sources_embed_existing_cells_and_cite_what_they_embed():
    study = load_study(CONFIG / "study.yml")
    report_ids = {r.id for r in study.reports}
    assert {p.stem for p in REPORTS} == report_ids == {"case_a", "case_b", "case_c", "cross_case", "practice_guide"}
    cells = {p.stem: labels(p) for p in NOTEBOOKS}
    for qmd in REPORTS:
        text = qmd.read_text(encoding="utf-8")
        embeds = list(EMBED.finditer(text))
        assert embeds, qmd.name
        for m in embeds:
            assert m["report"] in report_ids, (qmd.name, m["report"])
            assert m["label"] in cells[m["nb"]], (qmd.name, m["nb"], m["label"])
        assert {m["report"] for m in embeds} == {qmd.stem}  # its own report's executed notebooks
        embedded = {m["label"] for m in embeds}
        cited = set(re.findall(r"@(tbl-[\w-]+)", text))
        assert cited <= embedded, (qmd.name, cited - embedded)
        assert "# Appendix: data validation" in text and "# Appendix: provenance" in text
        includes = {(m["report"], m["file"]) for m in INCLUDE.finditer(text)}
        report = embeds[0]["report"]
        assert includes == {(report, "validation.md"), (report, "provenance.md")}


def test_case_studies_are_anonymised_from_the_configuration():
    study = load_study(CONFIG / "study.yml")
    cases = [r for r in study.raw["reports"] if r.get("site")]
    assert len(cases) == 3
    for r in cases:
        letter = r["id"].removeprefix("case_")
        text = (STUDY / "report" / f"case_{letter}.qmd").read_text(encoding="utf-8")
        name = study.site(r["site"]).name
        assert f'title: "Case study: {name}"' in text and r["title"] == f"Case study: {name}"
        assert f"../_build/reports/{r['id']}/case_study.ipynb" in text


def test_practice_guide_covers_its_five_topics_each_citing_a_table():
    text = (STUDY / "report" / "practice_guide.qmd").read_text(encoding="utf-8")
    for topic in ("Communication", "Working relationships", "Supervision", "Data security", "Self-care"):
        section = text.split(f"## {topic}", 1)[1].split("\n## ", 1)[0].split("\n# ", 1)[0]
        bullets = [b for b in section.split("\n- ")[1:]]
        assert bullets, topic
        assert all("@tbl-" in b for b in bullets), topic  # every recommendation cites its evidence


def test_study_quarto_project_lists_every_report():
    project = yaml.safe_load((STUDY / "_quarto.yml").read_text(encoding="utf-8"))
    assert sorted(project["project"]["render"]) == sorted(f"report/{p.name}" for p in REPORTS)
    for path in (project["format"]["html"]["css"], project["format"]["typst"]["include-in-header"]):
        assert (STUDY / path).resolve().is_file(), path


# -- execution on synthetic data --------------------------------------------------------------------


@pytest.fixture(scope="module")
def agile_root(tmp_path_factory):
    """A temporary project root with the agile study's synthetic data made and validated, with the
    project's own command line (``python -m analysis --study agile data``, then ``validate``)."""
    root = copy_project(tmp_path_factory.mktemp("agile_project"))
    for command in ("data", "validate"):
        proc = run_analysis(root, "--study", "agile", command)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return root


IDENTIFIER = re.compile(r"\b(?:P\d{3}|INT-[A-C]\d-\d+|OBS-\d{3})\b")


def markdown_outputs(nb) -> dict[str, str]:
    out = {}
    for c in nb.cells:
        label = cell_options(c.source).get("label") if c.cell_type == "code" else None
        if label:
            texts = [o.get("data", {}).get("text/markdown", "") for o in c.get("outputs", [])]
            out[label] = "".join("".join(t) if isinstance(t, list) else t for t in texts)
    return out


RUNS = {  # notebook -> parameters besides the phase
    "aim1_accounts": {},
    "aim2_knowledge": {},
    "aim3_practices": {},
    "aim4_sensemaking": {},
    "case_study": {"site": "authority_b"},
    "cross_case": {},
}


@pytest.fixture(scope="module")
def executed(agile_root, tmp_path_factory):
    """Every notebook executed once with papermill, for the last phase, into a temporary folder; the
    kernels start with the agile study selected in the temporary root, as the build starts them."""
    folder = tmp_path_factory.mktemp("agile_executed")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANALYSIS_ROOT", str(agile_root))
        mp.setenv("ANALYSIS_STUDY", "agile")
        for name, extra in RUNS.items():
            papermill.execute_notebook(
                str(STUDY / "notebooks" / f"{name}.ipynb"),
                str(folder / f"{name}.ipynb"),
                parameters={"wave": "phase_2", **extra},
                kernel_name="python3",
                cwd=str(folder),
            )
    return folder


@pytest.mark.parametrize("name", list(RUNS))
def test_notebook_executes_on_synthetic_data(name, executed):
    nb = nbformat.read(executed / f"{name}.ipynb", as_version=4)
    shown = markdown_outputs(nb)
    assert set(shown) == set(labels(STUDY / "notebooks" / f"{name}.ipynb"))
    for label, text in shown.items():
        assert text.strip(), f"{label} shows nothing"
        assert not IDENTIFIER.search(text), (label, IDENTIFIER.search(text))
    for label, text in shown.items():
        if not label.startswith("tbl-") or "quotes" in label:
            continue
        # every number in a table is a count of at least 10 (the threshold), a share, or the
        # structural zero (in person, online); small counts read "<10" (escaped as &#60;10)
        for row in text.splitlines()[2:]:
            cells = [c.strip() for c in row.strip("|").split("|")]
            for cell in cells[1:]:
                if re.fullmatch(r"[\d,]+", cell):
                    assert int(cell.replace(",", "")) >= 10 or (cell == "0" and label.endswith("modes-setting")), (
                        label,
                        row,
                    )
    if name == "case_study":  # quotes from Authority B only, each attributed within it
        rows = shown["tbl-case-quotes"].strip().splitlines()[2:]
        assert rows and all(r.rstrip(" |").endswith("Authority B") for r in rows), rows


@pytest.mark.parametrize("qmd", ["case_b", "cross_case", "practice_guide"])
def test_report_source_resolves_with_the_builtin_renderer(qmd, executed, tmp_path):
    """The built-in renderer's own resolver and numbering on the executed notebooks, staged as the
    build will stage them (``_build/reports/<report>/``): every embed resolves to its table, and
    every cross-reference to a numbered table (a dangling one raises)."""
    from analysis.render import number, resolve

    (tmp_path / "report").mkdir()
    source = (STUDY / "report" / f"{qmd}.qmd").read_text(encoding="utf-8")
    (tmp_path / "report" / f"{qmd}.qmd").write_text(source, encoding="utf-8")
    embeds = list(EMBED.finditer(source))
    staged = tmp_path / "_build" / "reports" / embeds[0]["report"]
    staged.mkdir(parents=True)
    for m in embeds:
        shutil.copy(executed / f"{m['nb']}.ipynb", staged / f"{m['nb']}.ipynb")
    for stand_in in ("validation.md", "provenance.md"):  # written by the build once it is wired
        (staged / stand_in).write_text(f"Stand-in for {stand_in}.\n", encoding="utf-8")
    resolved = resolve(tmp_path / "report" / f"{qmd}.qmd")
    markdown, found = number(resolved.markdown)
    tables = {m["label"] for m in embeds if m["label"].startswith("tbl-")}
    assert set(found) == tables
    assert "{{<" not in markdown and "@tbl-" not in markdown
    assert [n for _, n in found.values()] == list(range(1, len(tables) + 1))


# -- the reference executed notebooks (tests/nbval/agile/, refreshed by `make nbval-refs`) ----------

REFS_DIR = REPO / "tests" / "nbval" / "agile"


def code_sources(nb, injected: bool) -> list[str]:
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and ("injected-parameters" in c.metadata.get("tags", [])) == injected
    ]


def test_every_template_has_a_reference_and_every_reference_a_template():
    assert {p.stem for p in REFS_DIR.glob("*.ipynb")} == {p.stem for p in NOTEBOOKS}, "run `make nbval-refs`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_reference_is_the_template_executed_for_the_last_report_phase(path):
    """A template changed since its reference was made fails here (run `make nbval-refs`): nbval would
    otherwise compare the outputs of old code (tests/nbval/agile/conftest.py runs the comparison)."""
    ref = nbformat.read(REFS_DIR / path.name, as_version=4)
    template = nbformat.read(path, as_version=4)
    assert code_sources(ref, injected=False) == code_sources(template, injected=False), "run `make nbval-refs`"
    assert [c.source for c in ref.cells if c.cell_type != "code"] == [
        c.source for c in template.cells if c.cell_type != "code"
    ]
    wave = load_study(CONFIG / "study.yml").reports[-1].last_wave
    (injected,) = code_sources(ref, injected=True)
    assert re.search(rf'^wave = "{wave}"$', injected, re.M), injected
    counts = [c.execution_count for c in ref.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    assert set(ref.metadata.papermill) == {"parameters"} and ref.metadata.papermill.parameters == {"wave": wave}
    assert not any(o.output_type == "error" for c in ref.cells for o in c.get("outputs", []))
    # every labelled table shows a table, and no identifier (the reference is in git)
    shown = markdown_outputs(ref)
    assert {k for k in shown if k.startswith("tbl-")} == {k for k in labels(path) if k.startswith("tbl-")}
    for label, text in shown.items():
        assert text.strip() and not IDENTIFIER.search(text), label
