"""The administrative sources' bad-input corpus: every case in ``tests/data/bad/workers`` and
``tests/data/bad/visits`` gives the outcome its folder's ``cases.yml`` states (written by hand),
and nothing delivered is ever lost.

Cases the current loader gets wrong carry ``xfail:`` in ``cases.yml`` and run as
``xfail(strict=True)``: they start failing loudly (XPASS) once the loader is fixed, so the mark
must then be removed.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from analysis.errors import UnusableFileError
from analysis.load import read_table
from analysis.schemas import spec_for
from analysis.validate import check_table

BAD = Path(__file__).parent / "data" / "bad"
FOLDERS = ("workers", "visits")
EXPECT_KEYS = {"row", "column", "rule"}


def _index(folder: str) -> dict:
    return yaml.safe_load((BAD / folder / "cases.yml").read_text(encoding="utf-8"))


def _params() -> list:
    out = []
    for folder in FOLDERS:
        for case in _index(folder)["cases"]:
            cid = f"{folder}/{case['file']}" + (f"[sheet={case['sheet']}]" if "sheet" in case else "")
            marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
            out.append(pytest.param(folder, case, id=cid, marks=marks))
    return out


_KNOWN: dict[Path, pd.DataFrame] = {}


def _known_workers(folder: str, case: dict, study) -> pd.DataFrame:
    """The accepted worker_ids of the visits case's companion workers file (all must be accepted)."""
    path = BAD / folder / case.get("workers", _index(folder)["companion_workers"])
    if path not in _KNOWN:
        spec = spec_for("workers", study)
        c = check_table(read_table(path, spec), spec)
        assert len(c.quarantined) == 0, f"the companion workers file {path.name} must be clean"
        _KNOWN[path] = c.accepted
    return _KNOWN[path]


def _run(folder: str, case: dict, study):
    spec = spec_for(folder, study)
    path = BAD / folder / case["file"]
    delivered = read_table(path, spec, sheet=case.get("sheet"))
    context = {"workers": _known_workers(folder, case, study)} if folder == "visits" else None
    return delivered, check_table(delivered, spec, context=context)


def _plain(value, kind: str):
    """A cell of an accepted (typed) or quarantined (as delivered) table, comparable with YAML."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if kind == "date" else value.strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _values(frame: pd.DataFrame, column: str, spec) -> list:
    kind = spec.column(column).kind if column in spec.names else "str"
    return [_plain(v, kind) for v in frame[column].tolist()]


@pytest.mark.parametrize(("folder", "case"), _params())
def test_bad_admin_case(folder, case, study):
    path = BAD / folder / case["file"]
    assert path.exists(), f"{path} is listed in cases.yml but missing: run tests/data/bad/make_admin_cases.py"
    if case["expect"] == "unusable":
        assert not {"delivered", "accepted", "quarantined"} & set(case), "an unusable file has no row counts"
        with pytest.raises(UnusableFileError) as err:
            _run(folder, case, study)
        assert err.value.path == path
        assert str(path) in str(err.value)  # the message names the file ...
        assert "What to do" in str(err.value)  # ... and says what to do next
        return

    delivered, c = _run(folder, case, study)
    spec = spec_for(folder, study)
    # nothing lost: every delivered row is either accepted or quarantined
    assert c.delivered == delivered.n == len(c.accepted) + len(c.quarantined)
    assert (c.delivered, len(c.accepted), len(c.quarantined)) == (
        case["delivered"],
        case["accepted"],
        case["quarantined"],
    )
    if case["expect"] == "all_accepted":
        assert c.quarantined.empty
    else:
        assert set(case["expect"]) == EXPECT_KEYS
        first = c.quarantined.sort_values("row").iloc[0]
        assert (int(first["row"]), first["column"], first["rule"]) == (
            case["expect"]["row"],
            case["expect"]["column"],
            case["expect"]["rule"],
        )
        assert set(c.quarantined["file"]) == {str(path)}
        assert first["rule"] in first["message"]
        if "message" in case:  # the words an analyst reads, as cases.yml states them
            assert case["message"] in first["message"], first["message"]
    for column, expected in case.get("accepted_values", {}).items():
        assert _values(c.accepted, column, spec) == expected, column
    for column, expected in case.get("quarantined_values", {}).items():
        assert _values(c.quarantined.sort_values("row"), column, spec) == expected, column


# -- the corpus itself ------------------------------------------------------------------------------


def test_corpus_has_enough_cases():
    n = sum(len(_index(f)["cases"]) for f in FOLDERS)
    assert n >= 22


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_case_file_is_listed_and_every_listed_file_exists(folder):
    index = _index(folder)
    listed = {c["file"] for c in index["cases"]} | {index.get("companion_workers")} - {None}
    on_disk = {p.name for p in (BAD / folder).iterdir()} - {"cases.yml"}
    assert listed == on_disk


@pytest.mark.parametrize("folder", FOLDERS)
def test_cases_yml_is_well_formed(folder):
    index = _index(folder)
    assert index["table"] == folder
    for case in index["cases"]:
        assert case["expect"] in ("unusable", "all_accepted") or set(case["expect"]) == EXPECT_KEYS, case["file"]
        assert case.get("what"), f"{case['file']}: say what the case breaks"
        if case["expect"] != "unusable":
            assert case["delivered"] == case["accepted"] + case["quarantined"], case["file"]
        if case["expect"] == "all_accepted":
            assert case["quarantined"] == 0, case["file"]


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_admin_cases", BAD / "make_admin_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def _same_content(new: Path, old: Path) -> bool:
    if new.suffix == ".xlsx":
        try:
            return _cells(new) == _cells(old)
        except Exception:  # a case that is deliberately not a workbook: compare its bytes
            pass
    return new.read_bytes() == old.read_bytes()


def test_committed_corpus_is_what_the_script_writes(tmp_path):
    """The corpus is reproducible: text files byte for byte, workbooks cell for cell (openpyxl
    stamps the zip members with the time of writing, so workbook bytes differ run to run)."""
    written = _load_generator().write_cases(tmp_path)
    assert len(written) == len({p.name for p in written if p.parent.name == "workers"}) + len(
        {p.name for p in written if p.parent.name == "visits"}
    )
    for new in written:
        old = BAD / new.relative_to(tmp_path)
        assert old.exists(), f"{old} not committed: run tests/data/bad/make_admin_cases.py"
        assert _same_content(new, old), f"{old} differs from what make_admin_cases.py writes"


def test_companion_workers_are_all_accepted(study):
    spec = spec_for("workers", study)
    c = check_table(read_table(BAD / "visits" / "companion_workers.csv", spec), spec)
    # hand count: W01, W02, W03, all valid
    assert (c.delivered, len(c.accepted), len(c.quarantined)) == (3, 3, 0)
    assert c.accepted["worker_id"].tolist() == ["W01", "W02", "W03"]
