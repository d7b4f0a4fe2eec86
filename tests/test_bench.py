"""The benchmark and the fast visits path (behaviour, not timings).

- ``python -m analysis bench`` writes every figure, as a number, to ``bench.json`` (e2e: it runs
  builds and papermill on a tiny project copy, at a tiny size).
- ``large_visits`` writes the number of rows asked for, and they validate with nothing set aside.
- The Arrow CSV reader + vectorised checks give what the pandas reader gave: the same delivered
  cells and row numbers, the same accepted table and the same quarantine rows, on files with a
  byte-order mark, Windows-1252 text, semicolons, quoted commas, bad dates and a duplicate id.
- The Arrow date parser agrees with the general parser cell for cell.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis import bench, paths, tidy
from analysis.load import ROW, Delivered, map_headers, read_csv_fast, read_csv_text, read_table
from analysis.schemas import spec_for
from analysis.studies.flexitime.synthetic.admin import large_visits
from analysis.validate import _to_datetime, _to_datetime_general, check_table

WORKERS = (
    "worker_id,team,role,fte,working_pattern,pattern_start,planned_flex_days_last_month,"
    "flex_days_taken_last_month\n"
    "W1,Child Protection Team A,social worker,1.0,standard,,0,0\n"
    "W2,Child Protection Team B,social worker,1.0,standard,,0,0\n"
)

# Data lines 2-12 (the header is line 1). By hand, what each must give:
VISITS_ROWS = [
    "V1,W1,2021-03-01 10:00,2021-03-02 10:00",  # 2  accepted
    "V2, W2 ,2021-03-01 10:00:30,2021-03-01T11:00",  # 3  accepted (spaces stripped, seconds, T)
    "V3,W1,2021-02-30 10:00,2021-03-02 10:00",  # 4  type: 30 February
    "V4,W1,01/03/2021 10:00,02/03/2021 09:00",  # 5  accepted: day-first, 1 March
    "V5,W1,44256.5,44257",  # 6  accepted: Excel serials, 1 March 12:00
    "V6,W1,2021-03-01 10:00,2021-03-02 10:00",  # 7  unique: V6 again on line 8
    "V6,W2,2021-03-01 11:00,",  # 8  unique (write-up outstanding)
    "V7,W9,2021-03-01 10:00,2021-03-02 10:00",  # 9  worker_known: W9 is not a worker
    "V8,W1,2021-03-01 10:00,2021-02-28 10:00",  # 10 writeup_not_before_visit
    "V9,W1,,2021-03-02 10:00",  # 11 not_null: no visit time
    "V10,W2,2021-03-01 10:00,café at £5",  # 12 type: write-up not a date
]
ACCEPTED = ["V1", "V2", "V4", "V5"]
QUARANTINED = {
    4: ("visit_datetime", "type"),
    7: ("visit_id", "unique"),
    8: ("visit_id", "unique"),
    9: ("worker_id", "worker_known"),
    10: ("writeup_datetime", "writeup_not_before_visit"),
    11: ("visit_datetime", "not_null"),
    12: ("writeup_datetime", "type"),
}


def variants(folder: Path) -> dict[str, Path]:
    """The same visits delivered in awkward ways, each with a notes column (not in the contract,
    so not kept) holding a comma inside quotes, as a case worker's note would."""
    header = "visit_id,worker_id,visit_datetime,writeup_datetime,notes"
    lines = [header] + [f'{r},"seen at home, with the family"' for r in VISITS_ROWS]
    text = "\n".join(lines) + "\n"
    files = {
        "utf8": (text, "utf-8"),
        "bom_crlf": ("\ufeff" + text.replace("\n", "\r\n"), "utf-8"),
        "cp1252_semicolon": (text.replace(",", ";").replace("home; with", "home, with"), "cp1252"),
        "no_final_newline": (text.rstrip("\n"), "utf-8"),
        "quoted_header": ('"' + header.replace(",", '","') + '"\n' + text.split("\n", 1)[1], "utf-8"),
    }
    out = {}
    for name, (content, encoding) in files.items():
        p = folder / f"{name}.csv"
        p.write_bytes(content.encode(encoding))
        out[name] = p
    return out


def old_read(path: Path, spec) -> Delivered:
    """The reader read_table used before the Arrow path: pandas, object cells, line numbers."""
    frame, rows = read_csv_text(path)
    frame = map_headers(frame, spec, path)
    frame[ROW] = rows
    return Delivered(spec.name, path, frame.reset_index(drop=True))


def checked(delivered: Delivered, study, workers: Path):
    wspec, vspec = spec_for("workers", study), spec_for("visits", study)
    known = check_table(read_table(workers, wspec), wspec).accepted
    return check_table(delivered, vspec, context={"workers": known})


def as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.astype(object)
    return out.where(out.notna(), None).reset_index(drop=True)


@pytest.fixture
def delivered_files(tmp_path):
    (tmp_path / "workers.csv").write_text(WORKERS)
    return variants(tmp_path), tmp_path / "workers.csv"


def test_fast_and_old_readers_agree_on_awkward_files(delivered_files, study):
    files, workers = delivered_files
    spec = spec_for("visits", study)
    for name, path in files.items():
        fast, old = read_table(path, spec), old_read(path, spec)
        assert fast.frame["visit_id"].dtype == pd.StringDtype("pyarrow"), name  # the Arrow path was taken
        pd.testing.assert_frame_equal(as_objects(fast.frame), as_objects(old.frame), obj=name)
        a, b = checked(fast, study, workers), checked(old, study, workers)
        pd.testing.assert_frame_equal(as_objects(a.accepted), as_objects(b.accepted), obj=name)
        pd.testing.assert_frame_equal(as_objects(a.quarantined), as_objects(b.quarantined), obj=name)
        # and both are what the rows say (by hand, see VISITS_ROWS)
        assert a.accepted["visit_id"].tolist() == ACCEPTED, name
        q = a.quarantined.set_index("row")
        assert {r: (q.at[r, "column"], q.at[r, "rule"]) for r in q.index} == QUARANTINED, name
        assert q.at[12, "writeup_datetime"] == "café at £5", name  # kept as delivered, decoded
        assert q.at[4, "file"] == str(path)


def test_accepted_values_are_typed_the_same_way(delivered_files, study):
    files, workers = delivered_files
    a = checked(read_table(files["bom_crlf"], spec_for("visits", study)), study, workers).accepted.set_index("visit_id")
    # by hand: "V2, W2 ,..." is stripped; 44256.5 days after 1899-12-30 is 1 March 2021 12:00
    assert a.at["V2", "worker_id"] == "W2"
    assert a.at["V2", "visit_datetime"] == pd.Timestamp("2021-03-01 10:00:30")
    assert a.at["V4", "visit_datetime"] == pd.Timestamp("2021-03-01 10:00")
    assert a.at["V5", "visit_datetime"] == pd.Timestamp("2021-03-01 12:00")
    assert a.at["V5", "writeup_datetime"] == pd.Timestamp("2021-03-02 00:00")


def test_files_arrow_would_read_differently_go_to_pandas(tmp_path, study):
    """A blank line, a whitespace-only line, a newline inside a quoted cell: pandas reads these
    (object cells), so cells and row numbers are what read_csv_text gives."""
    (tmp_path / "workers.csv").write_text(WORKERS)
    text = "visit_id,worker_id,visit_datetime,writeup_datetime\n"
    text += "V1,W1,2021-03-01 10:00,2021-03-02 10:00\n"  # line 2
    text += "\n"  # line 3 blank
    text += "V2,W1,2021-02-30 10:00,2021-03-02 10:00\n"  # line 4: 30 February
    text += "   \n"  # line 5 white space
    text += "V3,W1,2021-03-01 10:00,2021-03-02 10:00\n"  # line 6
    blank = tmp_path / "blank_lines.csv"
    blank.write_text(text)
    quoted = tmp_path / "quoted_newline.csv"
    quoted.write_text(text.replace("\n\n", "\n").replace("   \n", "").replace("V1,", '"V\n1",'))
    for p in (blank, quoted):
        frame, rows = read_csv_fast(p)
        old_frame, old_rows = read_csv_text(p)
        assert frame["visit_id"].dtype == object
        pd.testing.assert_frame_equal(frame, old_frame)
        assert list(rows) == list(old_rows)
    c = checked(read_table(blank, spec_for("visits", study)), study, tmp_path / "workers.csv")
    assert c.accepted["visit_id"].tolist() == ["V1", "V3"]
    assert c.quarantined[["row", "rule"]].values.tolist() == [[4, "type"]]


def test_large_visits_writes_n_rows_that_all_validate(tmp_path, study):
    n = 2_500  # three chunks of 1,000, 1,000 and 500
    path = large_visits(tmp_path / "visits.csv", n, seed=3, chunk=1_000)
    lines = path.read_text().splitlines()
    assert lines[0] == "visit_id,worker_id,visit_datetime,writeup_datetime"
    assert len(lines) == n + 1
    assert [ln.split(",")[0] for ln in lines[1:]] == [f"V{i}" for i in range(1, n + 1)]
    checked_, unusable = tidy.check_admin(tmp_path, study)
    assert not unusable
    assert checked_["workers"].delivered == 20 and len(checked_["workers"].quarantined) == 0  # max(20, 2500 // 1000)
    v = checked_["visits"]
    assert v.delivered == n and len(v.accepted) == n and len(v.quarantined) == 0
    outstanding = int(v.accepted["writeup_datetime"].isna().sum())
    assert 30 < outstanding < 120  # 3% of 2,500 is 75; the binomial sd is about 8.5
    again = large_visits(tmp_path / "again.csv", n, seed=3, chunk=1_000)
    assert again.read_bytes() == path.read_bytes()


def test_append_visit_adds_one_row_that_validates(tmp_path, study):
    folder = tmp_path / "endline"
    folder.mkdir()
    large_visits(folder / "visits.csv", 50, seed=5)
    before = tidy.check_admin(folder, study)[0]["visits"]
    changed, original = bench.append_visit(folder)
    after = tidy.check_admin(folder, study)[0]["visits"]
    assert after.delivered == before.delivered + 1 and len(after.quarantined) == 0
    changed.write_bytes(original)
    assert tidy.check_admin(folder, study)[0]["visits"].delivered == 50


# -- the Arrow date parser against the general one ------------------------------------------------

_two = st.integers(0, 61).map(lambda v: f"{v:02d}")
_iso_like = st.builds(
    lambda y, m, d, sep, h, mi, s, frac, pad, tail: f"{pad}{y}-{m}-{d}{sep}{h}{mi}{s}{frac}{tail}",
    st.sampled_from(["2021", "1600", "2300", "1677", "2262", "0001"]),
    _two,
    _two,
    st.sampled_from(["", " ", "T", "  "]),
    st.one_of(st.just(""), _two),
    st.one_of(st.just(""), _two.map(lambda v: ":" + v)),
    st.one_of(st.just(""), _two.map(lambda v: ":" + v)),
    st.one_of(st.just(""), st.integers(0, 10**10).map(lambda v: f".{v}")),
    st.sampled_from(["", " ", "\u00a0", "\t"]),
    st.sampled_from(["", " ", "\u2003", "Z", "+01:00"]),
)
_cell = st.one_of(
    _iso_like,
    st.sampled_from(["", "  ", "44256", "44256.75", "01/03/2021 10:00", "not a date", "0", "20210301"]),
    st.text(max_size=10),
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_cell, min_size=1, max_size=8), st.booleans())
@example(["2021-01-01 00Z"], False)  # found by this search: an hour with a zone raised AttributeError
@example(["2021-01-01 00Z", "2021-03-01 10:00"], True)
def test_arrow_dates_agree_with_the_general_parser(cells, arrow):
    s = pd.Series(cells, dtype="string[pyarrow]" if arrow else object)
    pd.testing.assert_series_equal(_to_datetime(s), _to_datetime_general(s))


# -- the benchmark itself -------------------------------------------------------------------------


def tiny_project(root: Path) -> Path:
    """Configuration and synthetic data of this project, and two one-line notebooks."""
    shutil.copytree(paths.CONFIG, root / "config")
    (root / "notebooks").mkdir()
    (root / "report").mkdir()
    if paths.SYNTHETIC.is_dir():
        shutil.copytree(paths.SYNTHETIC, root / "data" / "synthetic")
    for name in ("summary", "other"):
        nb = nbformat.v4.new_notebook()
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        nb.cells = [
            nbformat.v4.new_code_cell('wave: str = "interim"  # wave id', metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("x = 1"),
        ]
        nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")
    return root


@pytest.mark.e2e
def test_bench_writes_every_figure(tmp_path, study):
    out = tmp_path / "bench.json"
    bench.run_bench(sizes=(1_000, 2_000), jobs=2, source=tiny_project(tmp_path / "p"), out=out, echo=lambda *a: None)
    written = json.loads(out.read_text())
    assert set(written) == {"machine", "notebooks", "rebuild", "scale", "figures", "values"}
    # the speed-up is the loop's time over the build's, recomputed here from the recorded seconds
    nb, rb = written["notebooks"], written["rebuild"]
    assert written["values"]["notebooks_speedup"] == pytest.approx(
        nb["papermill_seconds"] / nb["build_seconds"], rel=0.02
    )
    # each verdict follows from the value and the design's bar: at least 5x; under 3 s, nothing re-run
    verdicts = {f["key"]: f["passed"] for f in written["figures"]}
    assert verdicts["notebooks_speedup"] is (nb["speedup"] >= 5 and nb["papermill_failed"] == 0)
    assert verdicts["rebuild_no_change_s"] is (rb["no_change_seconds"] < 3 and not rb["no_change_ran"])
    keys = {
        "notebooks_build_s",
        "notebooks_papermill_s",
        "notebooks_speedup",
        "rebuild_no_change_s",
        "rebuild_one_wave_s",
        "scale_1000_s",
        "scale_1000_peak_mb",
        "scale_2000_s",
        "scale_2000_peak_mb",
    }
    assert set(written["values"]) == keys
    for key, value in written["values"].items():
        assert isinstance(value, (int, float)) and math.isfinite(value) and value > 0, key
    assert {f["key"] for f in written["figures"]} == keys
    assert (
        written["notebooks"]["executions"] == 2 * len(study.wave_ids) and written["notebooks"]["papermill_failed"] == 0
    )
    last = study.wave_ids[-1]
    assert written["rebuild"]["no_change_ran"] == []
    assert set(written["rebuild"]["one_wave_ran"]) == {
        f"validate {last}",
        f"execute {last}/summary",
        f"execute {last}/other",
    }
    assert [s["rows"] for s in written["scale"]] == [1_000, 2_000]
    assert all(s["delivered"] == s["accepted"] == s["rows"] and s["quarantined"] == 0 for s in written["scale"])
    # the scale bars are stated for ten million rows, so at these sizes they are not judged
    assert {f["key"]: f["passed"] for f in written["figures"]}["scale_2000_s"] is None
    assert "speed-up" in bench.table([bench.Figure(**f) for f in written["figures"]], written)


def test_bench_measures_only_the_parts_asked_for(tmp_path):
    out = tmp_path / "bench.json"
    report = bench.run_bench(sizes=(1_000,), only=("scale",), out=out, echo=lambda *a: None)
    assert set(report) == {"machine", "scale", "figures", "values"}  # no build, no papermill loop
    assert set(json.loads(out.read_text())["values"]) == {"scale_1000_s", "scale_1000_peak_mb"}
    assert report["machine"]["parts"] == ["scale"]
    with pytest.raises(ValueError, match="unknown benchmark part"):
        bench.run_bench(only=("notebook",), out=out)
