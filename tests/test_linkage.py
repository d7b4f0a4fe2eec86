"""Worker linkage across waves (analysis/linkage.py): re-issued and partly re-issued pseudonyms are
reported in the validation summary, on the validation page and by ``python -m analysis validate``.

The corpus is ``tests/data/bad/linkage/``; its ``cases.yml`` states each wave's warnings, written
by hand from the ids in the files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from analysis import cli, paths
from analysis.linkage import linkage_warnings

CORPUS = Path(__file__).parent / "data" / "bad" / "linkage"
CASES = yaml.safe_load((CORPUS / "cases.yml").read_text(encoding="utf-8"))["cases"]


@pytest.fixture
def build_dirs(tmp_path, monkeypatch):
    """Validation writes under a temporary _build/, never the working tree's."""
    monkeypatch.setattr(paths, "TIDY", tmp_path / "_build" / "data")
    monkeypatch.setattr(paths, "QUARANTINE", tmp_path / "_build" / "quarantine")
    monkeypatch.setattr(paths, "VALIDATION", tmp_path / "_build" / "validation")
    return tmp_path / "_build"


@pytest.mark.parametrize("case", CASES, ids=[c["folder"] for c in CASES])
def test_linkage_case_warns_where_it_should(case, build_dirs, capsys):
    code = cli.main(["validate", "--data-dir", str(CORPUS / case["folder"])])
    printed = capsys.readouterr().out
    assert code == 0
    for wave, expected in case["warnings"].items():
        summary = json.loads((build_dirs / "data" / wave / "validation.json").read_text())
        got = summary["warnings"]
        assert len(got) == len(expected), (wave, got)
        for text, start in zip(got, expected, strict=True):
            assert text.startswith(start), (wave, text)
            assert f"  WARNING: {text}" in printed  # make validate prints it
            assert text in (build_dirs / "validation" / f"{wave}.html").read_text()  # and the page shows it
        # linkage quarantines nothing: every worker is accepted
        workers = next(t for t in summary["tables"] if t["table"] == "workers")
        assert workers["quarantined"] == 0 and workers["accepted"] == workers["delivered"]
    assert printed.count("WARNING:") == sum(len(w) for w in case["warnings"].values())


def test_warning_counts_distinct_ids_and_compares_each_earlier_wave():
    # hand count: interim {A, B, C, D}; baseline {A} links 1 of 4 (25%); interim's own repeats of
    # an id count once; an earlier wave with no workers file (empty set) is not compared
    got = linkage_warnings("interim", ["A", "B", "C", "D", "D"], [("baseline", {"A"}), ("pilot", set())])
    assert len(got) == 1 and got[0].startswith("1 of 4 workers at interim (25%) match a worker at baseline")
    assert "rests on 1 worker." in got[0]
    assert linkage_warnings("interim", [], [("baseline", {"A"})]) == []  # no workers: nothing to link
