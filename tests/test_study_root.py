"""Study roots (issue 13, THE CONTRACT item 1): ``ANALYSIS_STUDY`` (``--study``, ``STUDY=``) selects
the study in ``studies/<name>/``; every path hangs off its root; kernels and workers inherit it; the
study's code hooks (``<module>.sources``) are what the tidy stage and the loader read.

The studies here are made in temporary repository roots: ``demo`` is a copy of the top-level study's
configuration (its code is the top-level study's module), with one probe notebook.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import inputs, tidy
from analysis.source import DataSource
from tests.conftest import copy_project, run_analysis
from tests.sandbox import REPO

PROBE = [
    nbformat.v4.new_code_cell('wave = "baseline"  # the wave (injected)', metadata={"tags": ["parameters"]}),
    nbformat.v4.new_code_cell(
        "import json, os\n"
        "from analysis import paths\n"
        'print(json.dumps({"study": os.environ.get("ANALYSIS_STUDY"), "root": str(paths.ROOT), '
        '"config": str(paths.STUDY_CONFIG), "cwd": os.getcwd(), "wave": wave}))'
    ),
]


def make_repo(root: Path, study: str = "demo") -> Path:
    """A repository root holding the project's sources and a study ``study`` (the top-level study's
    configuration, and only the probe notebook)."""
    copy_project(root)
    shutil.rmtree(root / "studies", ignore_errors=True)  # only the studies each test makes
    home = root / "studies" / study
    shutil.copytree(root / "config", home / "config")
    (home / "notebooks").mkdir()
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nb = nbformat.v4.new_notebook(cells=PROBE, metadata={**kernel, "language_info": {"name": "python"}})
    nbformat.write(nb, home / "notebooks" / "probe.ipynb")
    return root


def probe_paths(root: Path, study: str | None) -> dict:
    env = {**os.environ, "ANALYSIS_ROOT": str(root)}
    env.pop("ANALYSIS_STUDY", None)
    if study is not None:
        env["ANALYSIS_STUDY"] = study
    code = (
        "import json; from analysis import paths\n"
        "print(json.dumps({k: str(getattr(paths, k)) for k in "
        "('REPO', 'ROOT', 'CONFIG', 'STUDY_CONFIG', 'DATA', 'SYNTHETIC', 'NOTEBOOKS', 'REPORT', "
        "'QUARTO_PROJECT', 'BUILD', 'OUTPUT')} | {'name': paths.study_name()}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_analysis_study_selects_the_study_root_and_every_path_hangs_off_it(tmp_path):
    root = make_repo(tmp_path / "repo").resolve()
    home = root / "studies" / "demo"
    got = probe_paths(root, "demo")
    # each path written out by hand from the contract: ROOT/<the same name as at the top level>
    assert got == {
        "REPO": str(root),
        "ROOT": str(home),
        "CONFIG": str(home / "config"),
        "STUDY_CONFIG": str(home / "config" / "study.yml"),
        "DATA": str(home / "data"),
        "SYNTHETIC": str(home / "data" / "synthetic"),
        "NOTEBOOKS": str(home / "notebooks"),
        "REPORT": str(home / "report"),
        "QUARTO_PROJECT": str(home / "_quarto.yml"),
        "BUILD": str(home / "_build"),
        "OUTPUT": str(home / "_output"),
        "name": "demo",
    }


@pytest.mark.parametrize("study", [None, "", "  "])
def test_unset_or_empty_selects_the_top_level_study(tmp_path, study):
    root = make_repo(tmp_path / "repo").resolve()
    got = probe_paths(root, study)
    assert got["REPO"] == got["ROOT"] == str(root)
    assert got["STUDY_CONFIG"] == str(root / "config" / "study.yml")
    assert got["name"] == "top-level"


@pytest.mark.parametrize("how", ["option", "environment"])
def test_an_unknown_study_is_named_with_the_studies_there_are(tmp_path, how):
    root = make_repo(tmp_path / "repo")
    (root / "studies" / "second" / "config").mkdir(parents=True)
    (root / "studies" / "second" / "config" / "study.yml").write_text("study: {}\n")
    (root / "studies" / "notastudy").mkdir()  # no config/study.yml: not listed
    if how == "option":
        proc = run_analysis(root, "--study", "nope", "validate")
    else:
        proc = run_analysis(root, "validate", env={"ANALYSIS_STUDY": "nope"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "No study 'nope'" in proc.stderr and "studies/nope/" in proc.stderr
    assert "(studies there: demo, second)" in proc.stderr  # sorted, and only folders with a config/study.yml
    assert not (root / "studies" / "nope").exists()


def test_a_study_name_cannot_leave_studies(tmp_path):
    root = make_repo(tmp_path / "repo")
    proc = run_analysis(root, "--study", "../repo", "validate")
    assert proc.returncode == 2 and "No study '../repo'" in proc.stderr, proc.stderr


def test_study_option_selects_the_study_for_the_build_its_workers_and_kernels(tmp_path):
    """``--study`` on the command line reaches the notebook kernel started by a build worker: the probe
    notebook, executed by the build, prints the study, root and working folder its kernel sees."""
    root = make_repo(tmp_path / "repo").resolve()
    data = Path(os.environ["ANALYSIS_ROOT"]) / "data" / "synthetic"  # the sandbox's synthetic set (read only)
    env = {"ANALYSIS_STUDY": ""}  # the option alone selects the study
    args = (
        "--study",
        "demo",
        "build",
        "--wave",
        "baseline",
        "--source",
        "synthetic",
        "--data-dir",
        str(data),
        "-j",
        "1",
    )
    proc = run_analysis(root, *args, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    home = root / "studies" / "demo"
    executed = nbformat.read(home / "_build" / "notebooks" / "baseline" / "probe.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
    seen = json.loads(text.strip().splitlines()[-1])
    assert seen == {
        "study": "demo",
        "root": str(home),
        "config": str(home / "config" / "study.yml"),
        "cwd": str(home / "notebooks"),
        "wave": "baseline",
    }
    assert (home / "_build" / "data" / "baseline" / "validation.json").exists()
    assert not (root / "_build").exists()  # nothing of this build lands in the top-level study


def test_clean_removes_only_the_selected_studys_build_and_output(tmp_path):
    root = make_repo(tmp_path / "repo")
    home = root / "studies" / "demo"
    for folder in (root / "_build", root / "_output", home / "_build", home / "_output", home / "data" / "synthetic"):
        folder.mkdir(parents=True)
        (folder / "x.txt").write_text("x")
    proc = run_analysis(root, "--study", "demo", "clean")
    assert proc.returncode == 0, proc.stderr
    assert "removed studies/demo/_build/ and studies/demo/_output/" in proc.stdout
    assert not (home / "_build").exists() and not (home / "_output").exists()
    assert (root / "_build" / "x.txt").exists() and (root / "_output" / "x.txt").exists()
    assert (home / "data" / "synthetic" / "x.txt").exists()


def test_main_called_in_process_with_another_study_runs_the_command_for_that_study(tmp_path, monkeypatch):
    """``analysis.paths`` is fixed when imported (here: the sandbox's top-level study), so ``main`` given
    ``--study`` runs the command again in a process of its own."""
    from analysis import cli

    root = make_repo(tmp_path / "repo")
    home = root / "studies" / "demo"
    (home / "_build").mkdir()
    (root / "_build").mkdir()
    monkeypatch.setenv("ANALYSIS_ROOT", str(root))
    assert cli.main(["--study", "demo", "clean"]) == 0
    assert not (home / "_build").exists() and (root / "_build").exists()


# -- the Makefile passes STUDY= to every target that runs python -m analysis ---------------------------

TARGETS = ["report", "data", "validate", "template", "lab", "bench", "kernel-loop", "clean"]


def make_dry_run(*args: str) -> str:
    proc = subprocess.run(
        ["make", "-n", "-f", str(REPO / "Makefile"), *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("target", TARGETS)
def test_make_passes_study_to_the_command_line(target):
    lines = [ln for ln in make_dry_run(target, "STUDY=demo").splitlines() if "-m analysis" in ln]
    assert lines, f"make {target} runs no python -m analysis"
    assert all("-m analysis --study demo " in ln for ln in lines), lines
    plain = [ln for ln in make_dry_run(target).splitlines() if "-m analysis" in ln]
    assert plain and not any("--study" in ln for ln in plain), plain


def test_make_lab_opens_the_studys_notebooks_with_the_study_set():
    out = make_dry_run("lab", "STUDY=demo")
    assert "ANALYSIS_STUDY=demo .venv/bin/jupyter lab studies/demo/notebooks/" in out
    assert "jupyter lab notebooks/" in make_dry_run("lab")


def test_make_clean_without_a_python_removes_only_the_studys_folders():
    out = make_dry_run("clean", "STUDY=demo", "PY=/nonexistent/python")
    assert "rm -rf studies/demo/_build studies/demo/_output" in out


# -- the study's code hooks: <module>.sources ------------------------------------------------------------

SOURCES_MODULE = """
import pandas as pd
from analysis.validate import Checked


def check_things(folder, study):
    f = folder / "things.csv"
    if not f.exists():
        return {}, []
    rows = pd.read_csv(f)
    return {"things": Checked("things", f, len(rows), rows, rows.iloc[0:0].assign(rule=[]))}, []

SOURCE_CHECKS = [check_things]
INPUTS = {"things": ("things",), "other": ("others",)}
"""


@pytest.fixture
def hooked_study(tmp_path, monkeypatch, study):
    """The top-level study's configuration with its code in a made-up package ``hookstudy``."""
    pkg = tmp_path / "code" / "hookstudy"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sources.py").write_text(SOURCES_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    raw = {**study.raw, "study": {**study.raw["study"], "module": "hookstudy"}}
    return dataclasses.replace(study, raw=raw)


def test_validate_wave_runs_the_studys_source_checks(tmp_path, hooked_study):
    folder = tmp_path / "data" / "baseline"
    folder.mkdir(parents=True)
    (folder / "things.csv").write_text("id,size\n1,3\n2,5\n")
    (folder / "workers.csv").write_text("not read: the study's checks know no workers\n")
    src = DataSource("raw", tmp_path / "data", "test")
    res = tidy.validate_wave("baseline", study=hooked_study, write=False, source=src)
    assert list(res.checked) == ["things"]  # only the hooked check ran
    assert res.checked["things"].accepted["size"].tolist() == [3, 5]
    assert res.unusable == [] and res.warnings == []


def test_the_studys_inputs_are_the_sources_a_notebook_may_load(hooked_study, study):
    assert inputs.study_sources(hooked_study) == {"things": ("things",), "other": ("others",)}
    with pytest.raises(
        inputs.AnalysisError, match=r"unknown source\(s\) \['workers'\]; choose from \['things', 'other'\]"
    ):
        inputs.load("baseline", ["workers"], study=hooked_study)
    # the top-level study's, written out from its sources module's documented contract
    assert inputs.study_sources(study) == {
        "workers": ("workers", "spells"),
        "visits": ("visits",),
        "survey": ("survey",),
        "interviews": ("interviews", "segments"),
    }


def test_load_reads_every_source_of_the_study_by_default(study):
    inp = inputs.load("baseline", study=study)
    assert set(inp.tables) == {"workers", "spells", "visits", "survey", "interviews", "segments"}
    assert inp.sources == inputs.study_sources(study)


def test_a_study_without_the_hooks_is_told_what_to_add(tmp_path, monkeypatch, study):
    pkg = tmp_path / "code" / "bare"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sources.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    bare = dataclasses.replace(study, raw={**study.raw, "study": {**study.raw["study"], "module": "bare"}})
    with pytest.raises(tidy.ConfigError, match="bare.sources has no SOURCE_CHECKS"):
        tidy.source_checks(bare)
    with pytest.raises(inputs.AnalysisError, match="bare.sources has no INPUTS"):
        inputs.study_sources(bare)


def test_the_data_task_depends_on_the_studys_generator(study):
    from analysis import build

    deps = build.synthetic_sources(study)
    pkg = Path(study.code("synthetic").__file__).parent  # a package: every module in it
    assert deps == sorted(str(p) for p in pkg.rglob("*.py"))
    assert any(d.endswith("admin.py") for d in deps)


def test_gitignore_keeps_every_studys_data_build_and_output_out_of_git():
    rules = (REPO / ".gitignore").read_text().splitlines()
    for rule in ("studies/*/_build/", "studies/*/_output/", "studies/*/data/raw/", "studies/*/data/synthetic/"):
        assert rule in rules
    probe = [
        "studies/x/_build/a",
        "studies/x/_output/a.html",
        "studies/x/data/raw/w/a.csv",
        "studies/x/data/synthetic/a",
    ]
    proc = subprocess.run(["git", "check-ignore", "--no-index", *probe], cwd=REPO, capture_output=True, text=True)
    assert proc.stdout.split() == probe
    kept = subprocess.run(
        ["git", "check-ignore", "--no-index", "studies/x/config/study.yml"], cwd=REPO, capture_output=True, text=True
    )
    assert kept.returncode == 1  # a study's sources are not ignored


# -- optional hooks: the data request workbook, the tables of people -----------------------------------


def test_a_study_that_asks_a_local_authority_for_nothing_has_no_workbook(tmp_path, hooked_study):
    from analysis.template import NoTemplate, write_template

    with pytest.raises(NoTemplate, match=r"no source of this study is supplied by a local authority"):
        write_template(tmp_path / "t.xlsx", hooked_study)
    assert not (tmp_path / "t.xlsx").exists()


def test_make_template_for_such_a_study_says_so_and_exits_0(tmp_path):
    root = make_repo(tmp_path / "repo")
    code = tmp_path / "code" / "hookstudy"
    code.mkdir(parents=True)
    (code / "__init__.py").write_text("")
    (code / "sources.py").write_text(SOURCES_MODULE)
    cfg = root / "studies" / "demo" / "config" / "study.yml"
    cfg.write_text(cfg.read_text().replace("module: analysis.studies.flexitime", "module: hookstudy"))
    assert "module: hookstudy" in cfg.read_text()
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "code"), os.environ.get("PYTHONPATH", "")])}
    proc = run_analysis(root, "--study", "demo", "template", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "no source of this study is supplied by a local authority" in proc.stdout
    assert not (root / "studies" / "demo" / "_output").exists()


def test_the_top_level_studys_workbook_asks_for_its_template_tables(tmp_path, study):
    import openpyxl

    from analysis.template import template_tables, write_template

    names, _ = template_tables(study)
    assert names == ("workers", "spells", "visits")  # the sheets the README's data contract lists
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", study))
    assert wb.sheetnames == ["Instructions", "workers", "spells", "visits", "lists"]


def test_tables_of_people_come_from_the_study_and_default_to_every_table(hooked_study, study):
    from analysis.provenance import people_tables

    assert people_tables(hooked_study, ["things", "events"]) == (("things", "events"), "every table of this study")
    names, words = people_tables(study, ["workers", "visits"])
    assert names == ("workers", "spells", "survey", "interviews") and "visits" not in names
    assert words == "workers and their flexible-pattern spells, survey responses, interviews"
