"""Loader properties: whatever text arrives in a delivered visits file, ``read_table`` +
``check_table`` either stop with :class:`UnusableFileError` or account for every data row written
(delivered == rows written == accepted + quarantined), with the cells as delivered.

The tests marked ``xfail(strict=True)`` pin bugs found while writing these (see the reasons);
they fail loudly (XPASS) once the proposed loader fix is applied, and the mark must then go.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis.errors import UnusableFileError
from analysis.load import ROW, read_table
from analysis.schemas import spec_for
from analysis.validate import check_table

KNOWN_WORKERS = pd.DataFrame({"worker_id": ["W1", "W2"]})
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# -- strategies ------------------------------------------------------------------------------------

# any text a person or a system might put in a cell: no surrogates (not encodable at all)
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
# the characters that break naive CSV handling, and look-alikes of the real values
TRICKY = st.sampled_from(
    [
        "",
        " ",
        ",",
        ";",
        '"',
        '""',
        "'",
        "\n",
        "\r\n",
        "\r",
        "a,b",
        'say "hi"',
        "x;y",
        "line1\nline2",
        "\t",
        "é£€",
        "日本",
        "\ufeff",
        "NA",
        "null",
        "#N/A",
        "-",
        "0",
        "44270",
        "44270.4375",
        "15/03/2021",
        "2021-13-45",
        "99999999999999999999",
    ]
)
NAIVE_DATETIMES = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31))
DATE_TEXT = NAIVE_DATETIMES.flatmap(
    lambda d: st.sampled_from(
        [
            d.isoformat(sep=" "),
            d.strftime("%Y-%m-%d %H:%M"),
            d.strftime("%d/%m/%Y %H:%M"),
            d.strftime("%d/%m/%Y"),
            d.strftime("%Y-%m-%dT%H:%M:%S"),
        ]
    )
)
CELL = st.one_of(
    ANY_TEXT, TRICKY, DATE_TEXT, st.integers().map(str), st.floats().map(str), st.sampled_from(["W1", "W2", "W3"])
)
ROWS = st.lists(st.lists(CELL, min_size=4, max_size=4), min_size=1, max_size=8)


def _write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str, eol: str, encoding: str) -> None:
    """RFC 4180 quoting: a cell is quoted when it holds the delimiter, a quote or a line break
    (``csv.writer`` leaves a lone carriage return unquoted when the line ending is ``\\n``, which
    makes a genuine extra line rather than a loader bug)."""

    def cell(text: str) -> str:
        if any(ch in text for ch in (delimiter, '"', "\r", "\n")):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [delimiter.join(cell(c) for c in row) for row in [header, *rows]]
    path.write_bytes("".join(line + eol for line in lines).encode(encoding))


def _encodable(rows: list[list[str]], encoding: str) -> bool:
    try:
        "".join("".join(r) for r in rows).encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


# -- the CSV path ----------------------------------------------------------------------------------


@SETTINGS
@given(
    rows=ROWS,
    delimiter=st.sampled_from([",", ";"]),
    eol=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
@example(
    rows=[["V1", "W1", "2021-03-01 10:00", 'a "quoted",\nmulti-line; cell']], delimiter=",", eol="\n", encoding="utf-8"
)
@example(rows=[["", "", "", ""], ["V1", "W1", "", ""]], delimiter=";", eol="\r\n", encoding="utf-8-sig")
@example(rows=[["V1", "W1", "2021-01-01 00Z", ""]], delimiter=",", eol="\n", encoding="utf-8")
def test_csv_never_loses_a_row(tmp_path_factory, rows, delimiter, eol, encoding):
    if not _encodable(rows, encoding):
        encoding = "utf-8"
    spec = spec_for("visits")
    path = tmp_path_factory.mktemp("csv") / "visits.csv"
    _write_csv(path, spec.names, rows, delimiter, eol, encoding)
    try:
        d = read_table(path, spec)
        c = check_table(d, spec, context={"workers": KNOWN_WORKERS})
    except UnusableFileError as exc:
        assert exc.path == path and str(path) in str(exc)
        return
    assert d.n == len(rows) == c.delivered == len(c.accepted) + len(c.quarantined)
    # source row numbers: after the header, distinct and in file order
    assert d.frame[ROW].tolist() == sorted(set(d.frame[ROW].tolist())) and d.frame[ROW].min() >= 2
    # every row comes back, as written: accepted rows (ids trimmed) and quarantined rows (as delivered)
    quarantined_rows = set(c.quarantined["row"])
    written = list(zip(rows, d.frame[ROW], strict=False))
    if encoding != "cp1252":  # cp1252 bytes can also be valid UTF-8; then only the counts are certain
        assert d.frame["visit_id"].tolist() == [r[0] for r in rows]
        assert c.accepted["visit_id"].tolist() == [r[0].strip() for r, n in written if n not in quarantined_rows]
        assert c.quarantined.sort_values("row")["visit_id"].tolist() == [
            r[0] for r, n in written if n in quarantined_rows
        ]
    # every quarantined row says where and why
    assert c.quarantined[["file", "row", "column", "rule", "message"]].notna().all().all()


@SETTINGS
@given(
    rows=st.lists(
        st.lists(st.sampled_from(["V1", "V2", "W1", "2021-03-01 10:00", ""]), min_size=4, max_size=4),
        min_size=1,
        max_size=5,
    )
)
def test_plain_csv_rows_are_numbered_by_line(tmp_path_factory, rows):
    """Without quoted line breaks, the row number is the line number: header 1, data from 2."""
    spec = spec_for("visits")
    path = tmp_path_factory.mktemp("csv") / "visits.csv"
    _write_csv(path, spec.names, rows, ",", "\n", "utf-8")
    d = read_table(path, spec)
    assert d.frame[ROW].tolist() == list(range(2, len(rows) + 2))


# -- the Excel path --------------------------------------------------------------------------------

# text openpyxl writes as a plain string cell and reads back unchanged: no XML-illegal control
# characters, no carriage returns (XML turns them into line feeds), not a formula ("=..."), and
# not a text pandas reads as missing ("NA", "#N/A": see the xfail test below)
SAFE_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
SAFE_TEXT = st.text(SAFE_CHARS, min_size=1, max_size=10).filter(
    lambda s: not s.startswith("=") and s.strip() and s.strip().upper() not in PANDAS_NA
)
PANDAS_NA = {
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NAN",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NAN",
    "NONE",
}


def _write_xlsx(path: Path, header: list[str], rows: list[list]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "visits"
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.lists(st.one_of(SAFE_TEXT, st.sampled_from(["W1", "V1", "2021-03-01 10:00"])), min_size=4, max_size=4),
        min_size=1,
        max_size=6,
    )
)
def test_excel_and_csv_deliver_the_same_text(tmp_path_factory, rows):
    """The same text rows delivered as .xlsx and as .csv are read as the same table."""
    spec = spec_for("visits")
    folder = tmp_path_factory.mktemp("same")
    _write_csv(folder / "visits.csv", spec.names, rows, ",", "\n", "utf-8")
    _write_xlsx(folder / "visits.xlsx", spec.names, rows)
    a, b = read_table(folder / "visits.csv", spec), read_table(folder / "visits.xlsx", spec)
    assert a.frame[spec.names].values.tolist() == b.frame[spec.names].values.tolist() == rows
    ca, cb = check_table(a, spec), check_table(b, spec)
    assert (ca.delivered, len(ca.accepted)) == (cb.delivered, len(cb.accepted)) == (len(rows), len(ca.accepted))


def test_excel_keeps_text_that_pandas_would_call_missing(tmp_path):
    spec = spec_for("visits")
    rows = [
        ["V1", "W1", "2021-03-01 10:00", "N/A"],
        ["NA", "NULL", "#N/A", "n/a"],
        ["V3", "W2", "2021-03-02 10:00", ""],
    ]
    _write_xlsx(tmp_path / "visits.xlsx", spec.names, rows)
    d = read_table(tmp_path / "visits.xlsx", spec)
    c = check_table(d, spec)
    # hand count: three rows written; V1's write-up "N/A" is not a date (type), the second row's
    # cells are text, not dates (type); V3 is clean
    assert d.n == 3 and c.delivered == 3
    assert d.frame["writeup_datetime"].tolist()[:2] == ["N/A", "n/a"]
    assert c.quarantined.sort_values("row")[["row", "column", "rule"]].values.tolist() == [
        [2, "writeup_datetime", "type"],
        [3, "visit_datetime", "type"],
    ]


# -- encodings -------------------------------------------------------------------------------------


def test_windows_1252_byte_after_the_first_64_kib_is_decoded(tmp_path):
    spec = spec_for("visits")
    lines = [",".join(spec.names)] + [f"V{i:05d},W1,2021-03-01 10:00,2021-03-02 09:00" for i in range(1, 2000)]
    lines.append("Vé2000,W1,2021-03-01 10:00,2021-03-02 09:00")
    raw = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    assert raw.index(b"\xe9") > 1 << 16  # the only non-ASCII byte is past the sample
    (tmp_path / "visits.csv").write_bytes(raw)
    d = read_table(tmp_path / "visits.csv", spec)
    assert d.n == 2000
    assert d.frame["visit_id"].iloc[-1] == "Vé2000"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_each_encoding_decodes_pound_and_accents(tmp_path, encoding):
    spec = spec_for("visits")
    text = ",".join(spec.names) + "\r\nV£1,Wé,2021-03-01 10:00,\r\n"
    (tmp_path / "visits.csv").write_bytes(text.encode(encoding))
    d = read_table(tmp_path / "visits.csv", spec)
    assert d.frame[["visit_id", "worker_id"]].values.tolist() == [["V£1", "Wé"]]


# -- date-times with a UTC offset ------------------------------------------------------------------

AWARE = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2030, 12, 31),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=1))]),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(visits=st.lists(AWARE.map(lambda d: d.replace(microsecond=0)), min_size=1, max_size=4))
@example(visits=[dt.datetime(2021, 3, 1, 10, tzinfo=dt.UTC)])
@example(visits=[dt.datetime(2021, 6, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))])
def test_offset_aware_datetimes_are_read_as_the_clock_time_in_england(tmp_path_factory, visits):
    spec = spec_for("visits")
    rows = [[f"V{i}", "W1", v.isoformat(), ""] for i, v in enumerate(visits)]
    path = tmp_path_factory.mktemp("tz") / "visits.csv"
    _write_csv(path, spec.names, rows, ",", "\n", "utf-8")
    c = check_table(read_table(path, spec), spec)
    # every row is a valid visit: all accepted, each at the wall-clock time in England, converted
    # here with the standard library's zoneinfo (not pandas); 2021-06-01 10:00+01:00 is 10:00 BST
    london = ZoneInfo("Europe/London")
    assert c.quarantined.empty
    assert c.accepted["visit_datetime"].tolist() == [
        pd.Timestamp(v.astimezone(london).replace(tzinfo=None)) for v in visits
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [  # written by hand: an hour alone with a zone (once an AttributeError), and its neighbours
        ("2021-01-01 00Z", "2021-01-01 00:00"),  # midnight UTC is midnight GMT
        ("2021-01-01T10Z", "2021-01-01 10:00"),
        ("2021-06-01 10+01", "2021-06-01 10:00"),  # 09:00 UTC is 10:00 BST
        ("2021-01-01 00+01", "2020-12-31 23:00"),
    ],
)
def test_hour_with_a_zone_is_parsed_not_a_crash(tmp_path, cell, expected):
    spec = spec_for("visits")
    path = tmp_path / "visits.csv"
    _write_csv(path, spec.names, [["V1", "W1", cell, ""]], ",", "\n", "utf-8")
    c = check_table(read_table(path, spec), spec)
    assert c.quarantined.empty
    assert c.accepted["visit_datetime"].tolist() == [pd.Timestamp(expected)]
