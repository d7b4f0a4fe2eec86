"""Schema rejections land in quarantine with the right file, row, column and rule; nothing is lost."""

import csv
import html
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import tidy
from analysis.errors import UnusableFileError
from analysis.load import read_table
from analysis.schemas import spec_for
from analysis.validate import SPREADSHEET_NOTE, check_table, spreadsheet_safe

BAD = Path(__file__).parent / "data" / "bad"

WORKERS = """worker_id,team,role,fte,working_pattern,pattern_start,planned_flex_days_last_month,flex_days_taken_last_month
W1,Child Protection Team A,social worker,1.0,4-day week,2021-03-15,4,4
W2,Child Protection Team A,Social Worker,1,standard,,0,0
W3,Child Protection Team B,social worker,2.5,standard,,0,0
W4,Team Z,social worker,1.0,standard,,0,0
W4,Child Protection Team B,social worker,1.0,standard,,0,0
W6,Child Protection Team C,social worker,1.0,three-day week,,0,0
W7,Child Protection Team C,team manager,1.0,standard,,two,0
"""  # noqa: E501

VISITS = """visit_id,worker_id,visit_datetime,writeup_datetime
V1,W1,2021-03-01 10:00,2021-03-02 10:00
V2,W1,2021-03-01 10:00,2021-02-28 10:00
V3,W99,2021-03-01 10:00,2021-03-02 10:00
V4,W2,not a date,2021-03-02 10:00
V5,W2,2021-03-01 10:00,
V5,W2,2021-03-02 10:00,2021-03-02 11:00
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "workers.csv").write_text(WORKERS)
    (tmp_path / "visits.csv").write_text(VISITS)
    return tmp_path


def test_workers_rules_by_row(files, study):
    spec = spec_for("workers", study)
    c = check_table(read_table(files / "workers.csv", spec), spec)
    q = c.quarantined.set_index("row")
    # header is line 1, so W1 is line 2 ... W7 is line 8
    assert q.loc[4, ["column", "rule"]].tolist() == ["fte", "maximum"]  # W3: fte 2.5
    assert q.loc[5, ["column", "rule"]].tolist() == ["worker_id", "unique"]  # W4 twice: both kept aside
    assert q.loc[6, ["column", "rule"]].tolist() == ["worker_id", "unique"]
    assert "allowed_values" in q.loc[5, "message"]  # and Team Z is unknown
    assert q.loc[7, ["column", "rule"]].tolist() == ["working_pattern", "allowed_values"]
    assert q.loc[8, ["column", "rule"]].tolist() == ["planned_flex_days_last_month", "type"]
    assert set(q["file"]) == {str(files / "workers.csv")}
    # "Social Worker" and "1" are accepted in canonical form
    assert sorted(c.accepted["worker_id"]) == ["W1", "W2"]
    assert c.accepted.set_index("worker_id").loc["W2", "role"] == "social worker"
    assert c.delivered == 7 == len(c.accepted) + len(c.quarantined)
    # quarantined rows are kept as delivered
    assert q.loc[4, "fte"] == "2.5"


def test_visits_rules_by_row(files, study):
    wspec, vspec = spec_for("workers", study), spec_for("visits", study)
    workers = check_table(read_table(files / "workers.csv", wspec), wspec).accepted
    d = read_table(files / "visits.csv", vspec)
    c = check_table(d, vspec, context={"workers": workers})
    q = c.quarantined.set_index("row")
    assert q.loc[3, "rule"] == "writeup_not_before_visit"
    assert q.loc[4, ["column", "rule"]].tolist() == ["worker_id", "worker_known"]
    assert q.loc[5, ["column", "rule"]].tolist() == ["visit_datetime", "type"]
    assert q.loc[6, "rule"] == "unique" and q.loc[7, "rule"] == "unique"
    assert c.accepted["visit_id"].tolist() == ["V1"]
    assert c.delivered == 6 == len(c.accepted) + len(c.quarantined)


def test_missing_required_column_stops_with_a_clear_message(tmp_path, study):
    f = tmp_path / "visits.csv"
    f.write_text("visit_id,worker_id,writeup_datetime\nV1,W1,2021-03-02 10:00\n")
    with pytest.raises(UnusableFileError) as err:
        read_table(f, spec_for("visits", study))
    assert str(f) in str(err.value) and "visit_datetime" in str(err.value) and "What to do" in str(err.value)


def test_validate_wave_writes_tidy_and_quarantine(files, study, tmp_path, monkeypatch):
    from analysis import paths

    monkeypatch.setattr(paths, "TIDY", tmp_path / "_build" / "data")
    monkeypatch.setattr(paths, "QUARANTINE", tmp_path / "_build" / "quarantine")
    monkeypatch.setattr(paths, "VALIDATION", tmp_path / "_build" / "validation")
    root = tmp_path / "delivered"
    (root / "interim").mkdir(parents=True)
    for name in ("workers.csv", "visits.csv"):
        (root / "interim" / name).write_text((files / name).read_text())
    res = tidy.validate_wave("interim", data_dir=root, study=study)
    assert pd.read_parquet(tmp_path / "_build/data/interim/workers.parquet")["worker_id"].tolist() == ["W1", "W2"]
    q = pd.read_csv(tmp_path / "_build/quarantine/interim/visits.csv", dtype=str, keep_default_na=False)
    assert list(q.columns[-5:]) == ["file", "row", "column", "rule", "message"]
    # by hand, from VISITS (header = line 1) and the workers accepted (W1, W2): line 3 written up
    # before the visit, line 4 worker W99 unknown, line 5 "not a date", lines 6-7 V5 twice
    assert q[["row", "column", "rule"]].values.tolist() == [
        ["3", "writeup_datetime", "writeup_not_before_visit"],
        ["4", "worker_id", "worker_known"],
        ["5", "visit_datetime", "type"],
        ["6", "visit_id", "unique"],
        ["7", "visit_id", "unique"],
    ]
    assert q["visit_datetime"].tolist()[2] == "not a date"  # as delivered
    s = res.summary().set_index("table")
    assert s.loc["visits", ["delivered", "accepted", "quarantined"]].tolist() == [6, 1, 5]
    assert s.loc["workers", ["delivered", "accepted", "quarantined"]].tolist() == [7, 2, 5]


def test_quarantine_csv_neutralises_formula_text(study, tmp_path, monkeypatch):
    """The corpus case visits/formula_text_in_cells.csv through the whole validation: quarantined
    cells that start with =, +, - or @ are written with a leading apostrophe, and the validation page
    says so."""
    from analysis import paths

    monkeypatch.setattr(paths, "TIDY", tmp_path / "_build" / "data")
    monkeypatch.setattr(paths, "QUARANTINE", tmp_path / "_build" / "quarantine")
    monkeypatch.setattr(paths, "VALIDATION", tmp_path / "_build" / "validation")
    wave = tmp_path / "delivered" / "interim"
    wave.mkdir(parents=True)
    shutil.copy(BAD / "visits" / "companion_workers.csv", wave / "workers.csv")
    shutil.copy(BAD / "visits" / "formula_text_in_cells.csv", wave / "visits.csv")
    tidy.validate_wave("interim", data_dir=wave.parent, study=study)
    with open(tmp_path / "_build/quarantine/interim/visits.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # by hand: lines 3 (@SUM(A1), +1 day) and 4 (=NOW()) are quarantined; every such cell is prefixed
    assert [(r["row"], r["visit_id"], r["worker_id"], r["visit_datetime"], r["writeup_datetime"]) for r in rows] == [
        ("3", "V002", "'@SUM(A1)", "2021-03-02 14:30", "'+1 day"),
        ("4", "V003", "W03", "'=NOW()", "2021-03-05 09:15"),
    ]
    # the accepted table keeps the value itself (-V004 is a valid id)
    accepted = pd.read_parquet(tmp_path / "_build/data/interim/visits.parquet")
    assert accepted["visit_id"].tolist() == ["V001", "-V004"]
    page = (tmp_path / "_build/validation/interim.html").read_text()
    assert html.escape(SPREADSHEET_NOTE) in page
    assert "@SUM(A1)" in page and "&#x27;@SUM(A1)" not in page  # the page shows the cell as delivered


def test_spreadsheet_safe_keeps_everything_else():
    frame = pd.DataFrame({"a": ["=1", "x", None, "-2"], "b": [1, 2, 3, 4], "=c": ["@", "", " =", "+"]})
    out = spreadsheet_safe(frame)
    assert out.columns.tolist() == ["a", "b", "'=c"]
    assert out["a"].tolist() == ["'=1", "x", None, "'-2"]
    assert out["b"].tolist() == [1, 2, 3, 4]
    assert out["'=c"].tolist() == ["'@", "", " =", "'+"]  # a leading space is not a formula
    assert frame["a"].tolist() == ["=1", "x", None, "-2"]  # the frame itself is not changed
