"""Real or synthetic: one data source per build, never mixed, always named; tidy tables that
follow the delivered files by content hash; nothing but ``make data`` writes data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import build, paths, provenance, source, tidy
from analysis.config import load_study
from analysis.errors import ConfigError
from tests.conftest import copy_project, run_analysis
from tests.test_build import tiny_notebook

WAVES = ("baseline", "interim", "endline")


@pytest.fixture(scope="session")
def synthetic_set(tmp_path_factory) -> Path:
    """The synthetic data set, written once (a folder holding <wave>/ folders)."""
    from analysis.studies.flexitime.synthetic import generate_all

    out = tmp_path_factory.mktemp("synthetic")
    generate_all(out, load_study())
    return out


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """The project's configuration in a temporary root, with every path of ``analysis.paths``
    moved there (in this process), and no data source set from outside."""
    new = tmp_path / "p"
    new.mkdir()
    shutil.copytree(paths.CONFIG, new / "config")
    old = paths.ROOT
    for name, value in list(vars(paths).items()):
        if isinstance(value, Path) and name != "PACKAGE" and value.is_relative_to(old):
            monkeypatch.setattr(paths, name, new / value.relative_to(old))
    monkeypatch.delenv(source.ENV_SOURCE, raising=False)
    monkeypatch.delenv(source.ENV_DATA_DIR, raising=False)
    return new


def deliver(synthetic_set: Path, dest: Path, *waves: str) -> None:
    for w in waves:
        shutil.copytree(synthetic_set / w, dest / w)


def set_config(root: Path, value: str) -> None:
    cfg = root / "config" / "study.yml"
    text = re.sub(r"^data_source: .*$", f"data_source: {value}", cfg.read_text(), flags=re.M)
    assert f"data_source: {value}" in text
    cfg.write_text(text)


# -- the choice, made once ---------------------------------------------------------------------


def test_auto_is_synthetic_until_data_raw_holds_a_wave_folder(root):
    (root / "data" / "raw" / "not_a_wave").mkdir(parents=True)
    (root / "data" / "raw" / "names.txt").write_text("x\n")
    src = source.resolve()
    assert (src.kind, src.root) == ("synthetic", root / "data" / "synthetic")
    assert "holds no wave folder" in src.describe()

    (root / "data" / "raw" / "interim").mkdir()
    src = source.resolve()
    assert (src.kind, src.root) == ("raw", root / "data" / "raw")
    assert "data/raw/ holds interim" in src.describe()


def test_option_beats_environment_beats_config(root, monkeypatch):
    (root / "data" / "raw" / "baseline").mkdir(parents=True)
    set_config(root, "synthetic")
    assert source.resolve().kind == "synthetic"  # the config, although data/raw/ holds a wave
    monkeypatch.setenv(source.ENV_SOURCE, "raw")
    assert source.resolve().kind == "raw"  # the environment (what a build hands its kernels)
    assert source.resolve("synthetic").kind == "synthetic"  # the --source option
    assert source.resolve(data_dir=root / "elsewhere").root == root / "elsewhere"


def test_a_bad_setting_is_a_clear_error(root):
    set_config(root, "real")
    with pytest.raises(ConfigError, match=r"study\.yml: data_source must be one of auto, raw, synthetic, got 'real'"):
        source.resolve()


def test_a_wave_folder_never_falls_back_to_the_other_source(root, synthetic_set):
    deliver(synthetic_set, root / "data" / "synthetic", *WAVES)
    deliver(synthetic_set, root / "data" / "raw", "baseline")
    # the raw source's endline is data/raw/endline even though only data/synthetic/endline exists
    assert paths.wave_dir("endline", "raw") == root / "data" / "raw" / "endline"
    with pytest.raises(source.MissingDataError, match=r"data/raw/endline/ does not exist: wave 'endline'"):
        tidy.source_dir("endline")
    assert not (root / "_build").exists()


# -- nothing but `make data` writes data ---------------------------------------------------------


def test_reading_without_the_synthetic_set_says_what_to_run_and_writes_nothing(root):
    with pytest.raises(source.MissingDataError, match=r"data/synthetic/interim/ does not exist.*Run `make data`"):
        tidy.read("interim", "workers")
    with pytest.raises(source.MissingDataError, match="make data"):
        tidy.validation_summary("baseline")
    assert not (root / "data").exists()
    assert not (root / "_build" / "data").exists()


def test_validate_command_without_data_stops_and_writes_no_data(tmp_path):
    project = copy_project(tmp_path / "p")
    proc = run_analysis(project, "validate")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "data source: synthetic" in proc.stdout
    assert "data/synthetic/baseline/ does not exist" in proc.stderr and "`make data`" in proc.stderr
    assert not (project / "data").exists()


def test_make_data_if_needed_writes_only_for_a_synthetic_source(tmp_path, synthetic_set):
    project = copy_project(tmp_path / "p")
    deliver(synthetic_set, project / "data" / "raw", "baseline")
    proc = run_analysis(project, "data", "--if-needed")
    assert proc.returncode == 0 and "no synthetic data needed" in proc.stdout
    assert not (project / "data" / "synthetic").exists()
    shutil.rmtree(project / "data" / "raw")
    proc = run_analysis(project, "data", "--if-needed")
    assert proc.returncode == 0, proc.stderr
    # the same bytes as the set written in this process (deterministic from the seed)
    for w in WAVES:
        for f in (synthetic_set / w).iterdir():
            assert (project / "data" / "synthetic" / w / f.name).read_bytes() == f.read_bytes(), f
    assert "already complete" in run_analysis(project, "data", "--if-needed").stdout


# -- cached tidy tables follow the delivered files by content ------------------------------------


@pytest.fixture
def validations(monkeypatch) -> list[str]:
    """The waves validated from now on (a spy on tidy.validate_wave)."""
    calls: list[str] = []
    real = tidy.validate_wave

    def spy(wave, *args, **kwargs):
        calls.append(wave)
        return real(wave, *args, **kwargs)

    monkeypatch.setattr(tidy, "validate_wave", spy)
    return calls


def test_a_changed_byte_in_a_delivered_file_is_revalidated(root, synthetic_set, validations):
    deliver(synthetic_set, root / "data" / "raw", "baseline")
    visits = root / "data" / "raw" / "baseline" / "visits.csv"
    first = tidy.read("baseline", "visits")
    assert validations == ["baseline"]  # no cache yet
    tidy.read("baseline", "workers")
    tidy.validation_summary("baseline")
    assert validations == ["baseline"]  # the cache is of these files: no second validation
    os.utime(visits, (1e9, 1e9))  # a new date, the same content
    tidy.read("baseline", "visits")
    assert validations == ["baseline"]

    # one byte: the last digit of the first visit's write-up minute (the row as delivered), e.g.
    # 06:31 -> 06:32; the expected time is worked out here from the text, not by the loader
    lines = visits.read_text().splitlines(keepends=True)
    visit_id, *_, written = lines[1].rstrip().split(",")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", written), lines[1]
    was = dt.datetime.strptime(written, "%Y-%m-%d %H:%M")
    last = int(written[-1])
    changed = written[:-1] + str(last + 1 if last < 9 else last - 1)
    lines[1] = lines[1].rstrip()[: -len(written)] + changed + lines[1][len(lines[1].rstrip()) :]
    visits.write_text("".join(lines))
    assert visits.stat().st_size == sum(len(x) for x in lines)

    why = tidy.stale_reason("baseline")
    assert why == "data/raw/baseline/visits.csv changed since its tidy tables were made"
    again = tidy.read("baseline", "visits")
    assert validations == ["baseline", "baseline"]
    row = again.set_index("visit_id").loc[visit_id]
    assert row["writeup_datetime"] == pd.Timestamp(dt.datetime.strptime(changed, "%Y-%m-%d %H:%M"))
    assert first.set_index("visit_id").loc[visit_id, "writeup_datetime"] == pd.Timestamp(was)
    record = json.loads((root / "_build" / "data" / "baseline" / "validation.json").read_text())
    assert record["files"]["visits.csv"] == hashlib.sha256(visits.read_bytes()).hexdigest()
    assert record["source"] == "raw" and record["source_dir"] == "data/raw/baseline"


def test_a_new_or_removed_file_or_a_lost_cache_is_revalidated(root, synthetic_set, validations):
    deliver(synthetic_set, root / "data" / "raw", "interim")
    folder = root / "data" / "raw" / "interim"
    assert tidy.read("interim", "survey") is not None
    exports = sorted(p.name for p in folder.glob("survey*.csv"))
    assert exports == ["survey.csv", "survey_numeric.csv"]  # the two Qualtrics export styles
    for name in exports:
        (folder / name).rename(root / name)
    assert tidy.stale_reason("interim") == (
        "data/raw/interim/survey.csv is gone; data/raw/interim/survey_numeric.csv is gone"
        " since its tidy tables were made"
    )
    assert tidy.read("interim", "survey") is None  # not delivered at this wave any more
    (root / "survey.csv").rename(folder / "survey.csv")
    assert tidy.stale_reason("interim") == "data/raw/interim/survey.csv is new since its tidy tables were made"
    assert tidy.read("interim", "survey") is not None
    shutil.rmtree(root / "_build" / "data")
    assert tidy.read("interim", "survey") is not None
    assert validations == ["interim"] * 4


def test_switching_the_source_revalidates_from_the_new_one(root, synthetic_set, validations):
    deliver(synthetic_set, root / "data" / "synthetic", "baseline")
    assert tidy.validation_summary("baseline")["source"] == "synthetic"
    deliver(synthetic_set, root / "data" / "raw", "baseline")  # auto now means raw
    assert "the data source is now data/raw/baseline/" in tidy.stale_reason("baseline")
    summary = tidy.validation_summary("baseline")
    assert (summary["source"], summary["source_dir"]) == ("raw", "data/raw/baseline")
    assert validations == ["baseline", "baseline"]


# -- one source per report ------------------------------------------------------------------------


def test_a_report_from_two_sources_is_refused(root, synthetic_set):
    study = load_study()
    deliver(synthetic_set, root / "data" / "synthetic", "baseline", "interim")
    deliver(synthetic_set, root / "data" / "raw", "baseline", "interim")
    raw, synthetic = source.resolve("raw"), source.resolve("synthetic")
    tidy.validate_wave("baseline", study=study, source=synthetic)
    tidy.validate_wave("interim", study=study, source=raw)
    assert build.mixed_sources(study, "august", raw) == [
        "baseline (tidy tables from data/synthetic/baseline/, expected data/raw/baseline/)"
    ]
    tidy.validate_wave("baseline", study=study, source=raw)
    assert build.mixed_sources(study, "august", raw) == []


def test_plan_waits_for_undelivered_waves(root, synthetic_set):
    study = load_study()
    deliver(synthetic_set, root / "data" / "raw", "baseline", "endline")  # interim not delivered
    todo = build.plan(study, source.resolve("raw"), list(WAVES), ["august", "december"])
    assert todo.waves == ["baseline"]  # interim and endline notebooks read interim
    assert todo.reports == []
    assert todo.waiting == {w: ["interim"] for w in ("interim", "endline", "august", "december")}


def test_provenance_states_the_source_first_and_lists_the_validated_files(root, synthetic_set):
    study = load_study()
    deliver(synthetic_set, root / "data" / "raw", "baseline", "interim")
    raw = source.resolve()
    for w in ("baseline", "interim"):
        tidy.validate_wave(w, study=study, source=raw)
    first = provenance.source_statement(study, raw)
    assert first.startswith("**Data source: delivered data** (`data/raw/`)")
    synthetic = provenance.source_statement(study, source.resolve("synthetic"))
    assert synthetic.startswith("**Synthetic data: not for publication.**")
    files = provenance.input_files(study, ["baseline", "interim"])
    expected = {
        (w, f"data/raw/{w}/{f.name}", hashlib.sha256(f.read_bytes()).hexdigest())
        for w in ("baseline", "interim")
        for f in (synthetic_set / w).iterdir()
    }
    assert set(map(tuple, files.to_numpy())) == expected


# -- the build: end to end on a small project ------------------------------------------------------


@pytest.fixture
def project(tmp_path) -> Path:
    """The configuration, one notebook that reads the tidy tables, and two one-table reports."""
    root = tmp_path / "p"
    shutil.copytree(paths.CONFIG, root / "config")
    (root / "config" / "protocol.yml").unlink()  # the tiny reports have no traceability appendix
    (root / "notebooks").mkdir()
    (root / "report").mkdir()
    shutil.copyfile(paths.QUARTO_PROJECT, root / "_quarto.yml")
    for f in paths.REPORT.iterdir():
        if f.suffix != ".qmd":
            shutil.copyfile(f, root / "report" / f.name)
    tiny_notebook(
        root / "notebooks" / "summary.ipynb",
        "from IPython.display import Markdown\nfrom analysis import tidy\n"
        "s = tidy.validation_summary(wave)\nn = len(tidy.read(wave, 'workers'))\n"
        "Markdown(f\"| read from |\\n|---|\\n| {s['source']} {s['source_dir']} {n} |\")",
    )
    for r in ("august", "december"):
        (root / "report" / f"{r}.qmd").write_text(
            f"---\ntitle: {r}\n---\n\n# One\n\n{{{{< embed ../_build/reports/{r}/summary.ipynb#tbl-x >}}}}\n"
        )
    return root


def build_reports(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (source.ENV_SOURCE, source.ENV_DATA_DIR)}
    return subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--renderer", "builtin", "--jobs", "2", *args],
        cwd=root,
        env={**env, "ANALYSIS_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=900,
    )


def staged_source(root: Path, report: str) -> dict:
    return json.loads((root / "_build" / "reports" / report / "data_source.json").read_text())


def data_paths(text: str) -> set[str]:
    return set(re.findall(r"`(data/[^`]+)`", text))


@pytest.mark.e2e
def test_a_fresh_project_builds_both_reports_from_synthetic_data(project):
    proc = build_reports(project)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "data source: synthetic" in proc.stderr.splitlines()[0]
    assert re.search(r"✓ done\s+data ", proc.stderr)  # the build's own data task wrote the set
    assert (project / "data" / "synthetic" / "manifest.json").exists()
    for r in ("august", "december"):
        assert staged_source(project, r) == {"source": "synthetic"}
        prov = (project / "_build" / "reports" / r / "provenance.md").read_text()
        assert prov.startswith("**Synthetic data: not for publication.**")
        assert data_paths(prov) and all(p.startswith("data/synthetic/") for p in data_paths(prov))
        assert (project / "_output" / f"{r}.html").exists()


@pytest.mark.e2e
def test_real_data_for_some_waves_builds_only_the_complete_reports(project, synthetic_set):
    deliver(synthetic_set, project / "data" / "raw", "baseline", "interim")
    proc = build_reports(project)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "data source: raw" in proc.stderr.splitlines()[0]
    assert "december waits for data/raw/endline/" in proc.stderr
    assert "not built (waiting for data): december" in proc.stdout
    assert "_output/august.html and .pdf are up to date" in proc.stdout
    assert (project / "_output" / "august.html").exists()
    assert not (project / "_output" / "december.html").exists()
    assert not (project / "data" / "synthetic").exists()  # no data task, nothing synthetic read
    assert staged_source(project, "august") == {"source": "raw"}
    prov = (project / "_build" / "reports" / "august" / "provenance.md").read_text()
    assert prov.startswith("**Data source: delivered data**")
    delivered = {
        f"data/raw/{w}/{f.name}" for w in ("baseline", "interim") for f in (project / "data" / "raw" / w).iterdir()
    }
    assert data_paths(prov) - {"data/raw/"} == delivered  # every file listed is a delivered one, and all are
    executed = (project / "_build" / "notebooks" / "interim" / "summary.ipynb").read_text()
    assert "raw data/raw/interim 24" in executed  # the kernel read the delivered workers (24 rows)

    # the same project built from synthetic data on request: both reports, and marked so
    proc = build_reports(project, "--source", "synthetic")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "data source: synthetic" in proc.stderr.splitlines()[0]
    assert re.search(r"✓ done\s+validate baseline", proc.stderr)  # re-validated from the other source
    for r in ("august", "december"):
        assert staged_source(project, r) == {"source": "synthetic"}
    executed = (project / "_build" / "notebooks" / "interim" / "summary.ipynb").read_text()
    assert "synthetic data/synthetic/interim 24" in executed
