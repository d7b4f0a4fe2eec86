"""The timeliness notebook on a delivery whose interim workers carry re-issued pseudonyms: it runs,
and its change table says the change cannot be estimated and why (issue 10, section 2)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest

from analysis import paths
from analysis.studies.flexitime import tables as study_tables

pytestmark = pytest.mark.e2e

NOTEBOOK = "rq2b_timeliness"


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANALYSIS_ROOT": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args], cwd=root, env=env, capture_output=True, text=True, timeout=900
    )


def reissue(folder: Path) -> int:
    """Give every worker in ``folder``'s workers.xlsx and visits.csv a new pseudonym; how many workers
    have visits."""
    book = openpyxl.load_workbook(folder / "workers.xlsx")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    col = header.index("worker_id") + 1
    ids = {}
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row, col)
        if cell.value:
            ids[str(cell.value)] = cell.value = f"NEW{len(ids) + 1:03d}"
    book.save(folder / "workers.xlsx")
    visits = pd.read_csv(folder / "visits.csv", dtype=str, keep_default_na=False)
    visits["worker_id"] = visits["worker_id"].map(ids)
    visits.to_csv(folder / "visits.csv", index=False, lineterminator="\n")
    return visits["worker_id"].nunique()


def outputs(nb: nbformat.NotebookNode, label: str) -> str:
    cell = next(c for c in nb.cells if c.cell_type == "code" and f"#| label: {label}" in c.source)
    return "\n".join(str(o.get("data", {}).get("text/markdown", "")) + str(o.get("text", "")) for o in cell.outputs)


def test_reissued_pseudonyms_say_why_the_change_cannot_be_estimated(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(paths.CONFIG, root / "config")
    (root / "notebooks").mkdir()
    shutil.copyfile(paths.notebook_template(NOTEBOOK), root / "notebooks" / f"{NOTEBOOK}.ipynb")
    assert run(root, "data").returncode == 0
    # delivered as real data (the build would remake synthetic data it finds changed)
    for wave in ("baseline", "interim"):
        shutil.copytree(root / "data" / "synthetic" / wave, root / "data" / "raw" / wave)
    reissued = reissue(root / "data" / "raw" / "interim")
    proc = run(root, "build", "--wave", "interim")
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(root / "_build" / "notebooks" / "interim" / f"{NOTEBOOK}.ipynb", as_version=4)
    text = outputs(nb, "tbl-timeliness-change")
    assert (
        f"cannot be estimated: 0 of {reissued} workers at Interim (3 months) match a worker at Baseline: "
        "the local authority may have re-issued pseudonyms"
    ) in text
    # the per-wave table is still there
    assert "Interim (3 months)" in outputs(nb, "tbl-timeliness")


# -- the change table, built from hand-made visits (pure builder, no build) -------------------------


def hand_visits(study, extra_after: int = 0, reissue: bool = False) -> pd.DataFrame:
    """Workers a, b, c: before 2 of 4, 4 of 8, 2 of 4 on time; after 4 of 4, 6 of 8, 2 of 4 (so 8 of 16
    -> 12 of 16, every numerator and remainder at least 3); ``extra_after`` new workers at interim with
    one on-time visit each."""
    counts = {"a": (2, 4, 4, 4), "b": (4, 8, 6, 8), "c": (2, 4, 2, 4)}
    counts.update({f"n{i}": (0, 0, 1, 1) for i in range(extra_after)})
    rows = []
    for wave, col in (("baseline", 0), ("interim", 2)):
        visit = pd.Timestamp(study.wave(wave).date) - pd.Timedelta(days=7)
        for w, c in counts.items():
            wid = f"x{w}" if reissue and wave == "interim" else w
            for i in range(c[col + 1]):
                late = pd.Timedelta(hours=2 if i < c[col] else 72)
                rows.append({"worker_id": wid, "visit_datetime": visit, "writeup_datetime": visit + late, "wave": wave})
    return pd.DataFrame(rows)


def at_threshold_3(study):
    return dataclasses.replace(study, disclosure=dataclasses.replace(study.disclosure, threshold=3))


def test_change_table_headline_by_hand(study):
    s3 = at_threshold_3(study)
    row = study_tables.timeliness_change(s3, hand_visits(s3)).iloc[0]
    # 50% -> 75%: +25 points. z_i = (k_ai - 0.75 m_ai)/16 - (k_bi - 0.5 m_bi)/16: a 0.0625, b 0, c -0.0625,
    # as in tests/test_stats.py's hand case: interval 0.25 -/+ 4.302653 * 0.1082532 = -22 to +72
    assert (row["On time before"], row["On time after"]) == ("50%", "75%")
    assert row[study_tables.CHANGE_HEAD] == "+25 (-22 to +72)"
    assert row[study_tables.ODDS_HEAD].startswith("3.00 (")  # odds 3/1 over 1/1
    assert row["Evidence"] == "indicative only"


def test_change_table_partial_linkage_is_flagged(study):
    s3 = at_threshold_3(study)
    row = study_tables.timeliness_change(s3, hand_visits(s3, extra_after=4)).iloc[0]
    assert row[study_tables.CHANGE_HEAD] == "+25 (-22 to +72)"  # the new workers are not in the paired change
    assert row["Evidence"].startswith(
        "indicative only; 3 of 7 workers at Interim (3 months) match a worker at Baseline (under half)"
    )


def test_change_table_with_reissued_ids_says_why(study):
    row = study_tables.timeliness_change(study, hand_visits(study, reissue=True)).iloc[0]
    assert row[study_tables.CHANGE_HEAD] == (
        "cannot be estimated: 0 of <10 workers at Interim (3 months) match a worker at Baseline: the local "
        "authority may have re-issued pseudonyms, so the within-worker change cannot be estimated"
    )
    assert row["On time before"] == row[study_tables.ODDS_HEAD] == "–"
