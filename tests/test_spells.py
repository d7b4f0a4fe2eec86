"""The spells table's contract (analysis.schemas.spells_spec): its rules, and where a wave's
spells are read from (analysis.tidy.check_admin). Expected outcomes worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.load import read_table
from analysis.schemas import spec_for
from analysis.tidy import check_admin
from analysis.validate import check_table

WORKERS_CSV = """\
worker_id,team,role,fte,working_pattern,pattern_start,planned_flex_days_last_month,flex_days_taken_last_month
W1,Child Protection Team A,social worker,1.0,4-day week,2021-04-01,4,4
W2,Child Protection Team A,social worker,1.0,standard,,0,0
W3,Child Protection Team B,social worker,1.0,9-day fortnight,2021-05-01,2,1
"""

# line 2 good; 3 ends before it starts; 4 pattern "standard" is not a flexible pattern; 5 worker
# W9 is not in the workers table; 6 good (W3's first period); 7 starts before line 6's period
# has ended (it runs to 2021-05-31); 8 starts the day after line 7's period ends: good
SPELLS_CSV = """worker_id,pattern,start,end
W1,4-day week,2021-04-01,
W2,9-day fortnight,2021-04-10,2021-04-01
W2,standard,2021-04-12,
W9,4-day week,2021-04-01,
W3,4-day week,2021-03-15,2021-05-31
W3,9-day fortnight,2021-05-01,2021-06-30
W3,9-day fortnight,2021-07-01,
"""


def _check(tmp_path, study, spells_text=SPELLS_CSV):
    (tmp_path / "workers.csv").write_text(WORKERS_CSV)
    (tmp_path / "spells.csv").write_text(spells_text)
    return check_admin(tmp_path, study)


def test_each_rule_quarantines_its_row(tmp_path, study):
    checked, unusable = _check(tmp_path, study)
    assert unusable == []
    q = checked["spells"].quarantined.sort_values("row")
    assert list(zip(q["row"], q["rule"], q["column"], strict=True)) == [
        (3, "end_not_before_start", "end"),
        (4, "allowed_values", "pattern"),
        (5, "worker_known", "worker_id"),
        (7, "spells_do_not_overlap", "start"),
    ]
    assert checked["spells"].delivered == 7 == len(checked["spells"].accepted) + 4
    assert checked["spells"].accepted["worker_id"].tolist() == ["W1", "W3", "W3"]
    messages = dict(zip(q["rule"], q["message"], strict=True))
    assert "ends (2021-04-01) before it starts (2021-04-10)" in messages["end_not_before_start"]
    assert "'W9' is not in the workers table" in messages["worker_known"]
    assert "starts before an earlier period of the same worker has ended" in messages["spells_do_not_overlap"]


def test_spells_come_from_the_workers_workbook_when_there_is_no_spells_file(tmp_path, study):
    # the data request workbook returned whole: a workers sheet and a spells sheet in workers.xlsx
    workers = pd.read_csv(pd.io.common.StringIO(WORKERS_CSV))
    spells = pd.DataFrame({"worker_id": ["W1", "W3"], "pattern": ["4-day week", "9-day fortnight"]})
    spells["start"] = pd.to_datetime(["2021-04-01", "2021-05-01"])
    spells["end"] = pd.NaT
    with pd.ExcelWriter(tmp_path / "workers.xlsx") as xw:
        workers.to_excel(xw, sheet_name="workers", index=False)
        spells.to_excel(xw, sheet_name="spells", index=False)
    checked, unusable = check_admin(tmp_path, study)
    assert unusable == []
    assert checked["spells"].file.name == "workers.xlsx"
    assert checked["spells"].accepted["worker_id"].tolist() == ["W1", "W3"]
    assert len(checked["workers"].accepted) == 3  # the workers sheet is still read as workers


def test_no_spells_anywhere_is_no_spells_table(tmp_path, study):
    (tmp_path / "workers.csv").write_text(WORKERS_CSV)
    checked, unusable = check_admin(tmp_path, study)
    assert "spells" not in checked and unusable == []


@pytest.mark.parametrize("header", ["Worker ID,Working Pattern,Start Date,End Date", "staff_id,arrangement,from,to"])
def test_spells_headers_as_an_hr_system_names_them(tmp_path, study, header):
    (tmp_path / "s.csv").write_text(header + "\nW1,4-day week,2021-04-01,\n")
    spec = spec_for("spells", study)
    c = check_table(read_table(tmp_path / "s.csv", spec), spec)
    assert c.accepted["pattern"].tolist() == ["4-day week"] and c.accepted["end"].isna().all()


def test_synthetic_spells_have_stoppers_and_pre_launch_users(tmp_path, study):
    # the synthetic workers workbook carries a spells sheet that validates cleanly, with workers on
    # compressed hours since before launch and others who took a pattern up and stopped
    from analysis.studies.flexitime import indicators
    from analysis.studies.flexitime.synthetic import admin

    written = admin.generate(tmp_path, study, study.seed)
    again = admin.generate(tmp_path / "again", study, study.seed)
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in again]  # deterministic
    launch = pd.Timestamp(study.launch_date)
    for wave in study.waves:
        checked, unusable = check_admin(tmp_path / wave.id, study)
        assert unusable == [] and checked["spells"].quarantined.empty and checked["workers"].quarantined.empty
        spells, workers = checked["spells"].accepted, checked["workers"].accepted
        assert indicators.pre_launch_users(workers, study, spells).k >= 1, wave.id
        assert (spells["start"] <= pd.Timestamp(wave.date)).all()  # the extract lists spells begun by its cut date
        if wave.months_since_launch > 0:
            stopped = spells[(spells["start"] >= launch) & spells["end"].notna()]
            assert len(stopped) >= 1, wave.id
            # a stopper is a taker but is no longer on a pattern: take-up exceeds the current-pattern count
            with_spells = indicators.take_up(workers, study, spells, wave.date)
            current = indicators.take_up(workers, study)
            assert with_spells.k > current.k, wave.id


def test_an_unreadable_workers_workbook_is_reported_once(tmp_path, study):
    # a workers.xlsx that is really text: the workers table is unusable (one message), and looking
    # for a spells sheet in it neither fails nor adds a second message
    (tmp_path / "workers.xlsx").write_text(WORKERS_CSV)
    checked, unusable = check_admin(tmp_path, study)
    assert "spells" not in checked and "workers" not in checked
    assert len(unusable) == 1 and "workers.xlsx" in str(unusable[0])
