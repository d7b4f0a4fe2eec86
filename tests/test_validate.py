"""Schema rejections land in quarantine with the right file, row, column and rule; nothing is lost."""

import pandas as pd
import pytest

from analysis import tidy
from analysis.errors import UnusableFileError
from analysis.load import read_table
from analysis.schemas import spec_for
from analysis.validate import check_table, unknown_workers

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
    c = check_table(d, vspec, extra=unknown_workers(d, workers["worker_id"]))
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
    root = tmp_path / "delivered"
    (root / "interim").mkdir(parents=True)
    for name in ("workers.csv", "visits.csv"):
        (root / "interim" / name).write_text((files / name).read_text())
    res = tidy.validate_wave("interim", data_dir=root, study=study)
    assert (tmp_path / "_build/data/interim/workers.parquet").exists()
    q = pd.read_csv(tmp_path / "_build/quarantine/interim/visits.csv")
    assert list(q.columns[-5:]) == ["file", "row", "column", "rule", "message"]
    s = res.summary().set_index("table")
    assert s.loc["visits", "delivered"] == s.loc["visits", "accepted"] + s.loc["visits", "quarantined"]
