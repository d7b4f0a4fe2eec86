"""The one loader: a notebook's inputs are read once, at the edge, and only those it asks for."""

from __future__ import annotations

import ast
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from analysis import inputs, paths, tidy

WAVES = ["baseline", "interim"]  # the waves up to "interim" in config/study.yml


@pytest.fixture
def delivered(tmp_path, monkeypatch):
    """tidy.read and tidy.validation_summary serve small tables, and record every read."""
    data = tmp_path / "data" / "raw"
    tables = {
        ("baseline", "workers"): pd.DataFrame({"worker_id": ["a", "b"]}),
        ("interim", "workers"): pd.DataFrame({"worker_id": ["a", "b", "c"]}),
        ("baseline", "visits"): pd.DataFrame({"visit_id": ["v1"]}),
        ("interim", "survey"): pd.DataFrame({"response_id": ["r1", "r2"]}),
        ("baseline", "interviews"): pd.DataFrame({"interview_id": ["I1"], "site": ["croydon"]}),
        ("interim", "interviews"): pd.DataFrame({"interview_id": ["I2", "I3"], "site": ["croydon", "stockport"]}),
        ("baseline", "segments"): pd.DataFrame({"interview_id": ["I1"], "code_id": ["workload"]}),
        ("interim", "segments"): pd.DataFrame({"interview_id": ["I2"], "code_id": ["workload"]}),
    }
    reads: list[tuple[str, str]] = []

    def read(wave, table):
        reads.append((wave, table))
        return tables.get((wave, table))

    def summary(wave):
        reads.append((wave, "validation"))
        return {"wave": wave, "source_dir": str(data / wave), "tables": [{"table": t} for w, t in tables if w == wave]}

    monkeypatch.setattr(tidy, "read", read)
    monkeypatch.setattr(tidy, "validation_summary", summary)
    data.mkdir(parents=True)
    return data, reads


def test_each_table_is_read_once_and_only_the_sources_asked_for(delivered, study):
    _, reads = delivered
    inp = inputs.load("interim", ["workers", "survey"], study=study)
    # validation summaries of both waves, then workers (with their spells) and survey of both waves:
    # each exactly once
    expected = [(w, "validation") for w in WAVES] + [(w, t) for t in ("workers", "spells", "survey") for w in WAVES]
    assert reads == expected
    assert list(inp.workers) == WAVES and len(inp.workers["interim"]) == 3
    assert inp.at("workers") is inp.workers["interim"]
    assert inp.survey[0] == "interim" and len(inp.survey[1]) == 2
    with pytest.raises(inputs.NotLoaded, match=r"'visits' table but loaded only: workers, survey.*Add 'visits'"):
        _ = inp.visits
    assert len(reads) == len(expected)  # using the inputs reads nothing more


def test_latest_stacked_and_interviews(delivered, study):
    inp = inputs.load("interim", study=study)
    assert inp.latest("visits")[0] == "baseline"  # the interim wave delivered no visits
    assert inp.stacked("interviews")["interview_id"].tolist() == ["I1", "I2", "I3"]
    iv = inp.interviews
    assert iv.register["interview_id"].tolist() == ["I1", "I2", "I3"]
    assert iv.segments["interview_id"].tolist() == ["I1", "I2"]
    assert "workload" in set(iv.codebook["id"])
    assert inp.stacked("survey") is not None and inp.by_wave("survey")["baseline"] is None
    assert list(inp.validation) == WAVES


def test_no_interviews_coded_means_none(delivered, study):
    inp = inputs.load("baseline", ["interviews"], study=study)
    assert inp.interviews is not None  # baseline has a register and a segment
    register = pd.DataFrame({"interview_id": ["I1"]})
    uncoded = {"interviews": {"baseline": register}, "segments": {"baseline": None}}
    empty = inputs.Inputs(study, "baseline", uncoded, {}, codebook=inp.codebook)
    assert empty.interviews is None


def test_names_come_from_the_folder_beside_the_data(delivered, study):
    data, _ = delivered
    (data / "names.txt").write_text("# staff list\nRowena\n\n  Ekow  \nRowena\n", encoding="utf-8")
    assert inputs.load("interim", ["interviews"], study=study).names == ("Rowena", "Ekow")
    # a notebook that shows no quotes does not read the list
    assert inputs.load("interim", ["workers"], study=study).names == ()


def test_interview_plan_is_the_study_configurations(study):
    # read independently of analysis.config: the YAML itself
    raw = yaml.safe_load(paths.STUDY_CONFIG.read_text())["interview_plan"]
    plan = inputs.interview_plan(study)
    assert plan == raw
    assert sum(plan["interim"]["croydon"].values()) == sum(raw["interim"]["croydon"].values())


def test_unknown_source_is_refused(study):
    with pytest.raises(inputs.AnalysisError, match="unknown source"):
        inputs.load("interim", ["workers", "budget"], study=study)


# -- dependencies run one way ----------------------------------------------------------------------

BUILDERS = [
    "tables",
    "qualitative",
    "disclose",
    "plots",
    "inputs",
    "studies.flexitime.indicators",
    "studies.flexitime.tables",
]


def test_report_code_never_imports_the_synthetic_generator():
    code = "import sys; import " + ", ".join(f"analysis.{m}" for m in BUILDERS) + "\n"
    code += "print(sorted(m for m in sys.modules if m.startswith('analysis.studies.flexitime.synthetic')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_table_builders_open_no_file():
    # tables.py gets its data handed to it: it imports neither the tidy stage nor paths, and never opens
    tree = ast.parse((paths.PACKAGE / "tables.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not {i for i in imported if "tidy" in i or "paths" in i or "synthetic" in i or "inputs" in i}, imported
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "open" not in calls
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not attrs & {"read_parquet", "read_csv", "read_text", "load_codebook", "load_study"}, attrs
