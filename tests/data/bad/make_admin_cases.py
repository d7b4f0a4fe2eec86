"""Write the administrative sources' bad-input corpus: ``workers/`` and ``visits/`` beside this file.

Run it from the repository root with ``.venv/bin/python tests/data/bad/make_admin_cases.py``.
Each case is one small file named for what it breaks; ``<folder>/cases.yml`` (written by hand,
not by this script) states the outcome each case must give. The script is deterministic: text
files come out byte for byte the same, workbooks with the same cells (only the zip timestamps and
the workbook's created/modified stamps differ), and ``tests/test_bad_admin.py`` checks that the
committed files are what this script writes.

Text files are written from literal text below, so that what a case contains can be read here;
the encodings, byte-order marks and line endings are set per case, because they are the point of
several cases.
"""

from __future__ import annotations

import datetime as dt
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent

# -- workers ------------------------------------------------------------------------------------
# The three good rows every workers case starts from (lines 2-4 of a CSV, rows 2-4 of a sheet).
W_HEADER = ("worker_id,team,role,fte,working_pattern,pattern_start,planned_flex_days_last_month,"
            "flex_days_taken_last_month")
W01 = "W01,Child Protection Team A,social worker,1.0,4-day week,2021-03-15,4,4"
W02 = "W02,Child Protection Team B,team manager,1.0,standard,,0,0"
W03 = "W03,Child Protection Team C,social worker,0.8,9-day fortnight,2021-04-01,2,1"
GOOD_WORKERS = "\n".join([W_HEADER, W01, W02, W03]) + "\n"


def _lines(*lines: str) -> str:
    return "\n".join(lines) + "\n"


WORKERS_TEXT: dict[str, tuple[str, str, str]] = {
    # name: (text, encoding, line ending); the text is written with "\n" and converted
    "fte_not_a_number.csv": (_lines(W_HEADER, W01, W02.replace(",1.0,", ",full,"), W03), "utf-8", "\n"),
    "fte_over_one.csv": (_lines(W_HEADER, W01, W02, W03.replace(",0.8,", ",1.5,")), "utf-8", "\n"),
    "fte_zero.csv": (_lines(W_HEADER, W01, W02.replace(",1.0,", ",0,"), W03), "utf-8", "\n"),
    "planned_days_not_a_number.csv": (_lines(W_HEADER, W01, W02, W03.replace(",2,1", ",two,1")), "utf-8", "\n"),
    "planned_days_fractional.csv": (_lines(W_HEADER, W01.replace(",4,4", ",2.5,2"), W02, W03), "utf-8", "\n"),
    "planned_days_over_31.csv": (_lines(W_HEADER, W01.replace(",4,4", ",40,4"), W02, W03), "utf-8", "\n"),
    "taken_days_negative.csv": (_lines(W_HEADER, W01, W02, W03.replace(",2,1", ",2,-1")), "utf-8", "\n"),
    "team_not_in_config.csv": (_lines(W_HEADER, W01, W02.replace("Child Protection Team B", "Adults Team 1"), W03),
                               "utf-8", "\n"),
    "role_odd_spacing.csv": (_lines(W_HEADER, W01.replace("social worker", "social  worker "),
                                    W02.replace("team manager", " Team  Manager"), W03), "utf-8", "\n"),
    "role_senior_practitioner.csv": (_lines(W_HEADER, W01, W02, W03.replace("social worker", "senior practitioner")),
                                     "utf-8", "\n"),
    "working_pattern_unknown.csv": (_lines(W_HEADER, W01.replace("4-day week", "compressed hours"), W02, W03),
                                    "utf-8", "\n"),
    "standard_pattern_with_planned_days.csv": (_lines(W_HEADER, W01, W02.replace(",0,0", ",2,0"), W03), "utf-8", "\n"),
    "duplicate_worker_id.csv": (_lines(W_HEADER, W01, W02, W02.replace("Team B", "Team C"), W03), "utf-8", "\n"),
    "empty_worker_id.csv": (_lines(W_HEADER, W01, W02.replace("W02,", ",", 1), W03), "utf-8", "\n"),
    "missing_fte_column.csv": (_lines(
        "worker_id,team,role,working_pattern,pattern_start,planned_flex_days_last_month,flex_days_taken_last_month",
        "W01,Child Protection Team A,social worker,4-day week,2021-03-15,4,4",
        "W02,Child Protection Team B,team manager,standard,,0,0"), "utf-8", "\n"),
    "alias_worker_id_title.csv": (_lines(
        "Worker ID,Team,Role,FTE,Working Pattern,Pattern Start Date,Planned Flex Days,Flex Days Taken",
        W01, W02, W03), "utf-8", "\n"),
    "alias_worker_id_lower.csv": (_lines(
        "worker id,team name,job role,fte,pattern,flex start,planned days,taken days", W01, W02, W03), "utf-8", "\n"),
    "alias_worker_id_upper.csv": (_lines(W_HEADER.upper(), W01, W02, W03), "utf-8", "\n"),
    "empty.csv": ("", "utf-8", "\n"),
    "header_only.csv": (_lines(W_HEADER), "utf-8", "\n"),
    # Excel's "CSV UTF-8" on Windows: a byte-order mark and CRLF line endings
    "utf8_bom.csv": ("\ufeff" + GOOD_WORKERS, "utf-8", "\r\n"),
    # Excel's plain "CSV" on Windows: Windows-1252 (É = 0xC9, é = 0xE9, £ = 0xA3), CRLF
    "windows1252.csv": (_lines(
        W_HEADER + ",comment",
        W01 + ",",
        W02.replace("Child Protection Team B", "Équipe Accueil") + ',"Café rota, £20 travel"',
        W03 + ",part-time"), "cp1252", "\r\n"),
    # a European locale's CSV: semicolons, decimal commas
    "semicolon.csv": (_lines(
        W_HEADER.replace(",", ";"),
        "W01;Child Protection Team A;social worker;1,0;4-day week;2021-03-15;4;4",
        "W02;Child Protection Team B;team manager;1;standard;;0;0",
        "W03;Child Protection Team C;social worker;0,8;9-day fortnight;2021-04-01;2;1"), "utf-8", "\n"),
    # a team name with a comma, not quoted: one cell too many on that line
    "extra_cell_first_row.csv": (_lines(W_HEADER, W01.replace("Team A", "Team A, North"), W02, W03), "utf-8", "\n"),
    "extra_cell_later_row.csv": (_lines(W_HEADER, W01, W02.replace("Team B", "Team B, South"), W03), "utf-8", "\n"),
    "short_row.csv": (_lines(W_HEADER, W01, "W02,Child Protection Team B,team manager,1.0,standard,", W03),
                      "utf-8", "\n"),
}

# Workbook rows: Python values, so that dates can be real date cells, text or serial numbers.
W_COLUMNS = W_HEADER.split(",")


def _w_rows(pattern_start: tuple) -> list[list]:
    return [
        ["W01", "Child Protection Team A", "social worker", 1.0, "4-day week", pattern_start[0], 4, 4],
        ["W02", "Child Protection Team B", "team manager", 1.0, "standard", pattern_start[1], 0, 0],
        ["W03", "Child Protection Team C", "social worker", 0.8, "9-day fortnight", pattern_start[2], 2, 1],
    ]


DATE_CELLS = (dt.date(2021, 3, 15), None, dt.date(2021, 4, 1))
# day first, as a UK extract writes them; 01/04/2021 is 1 April, not 4 January
DATE_TEXT = ("15/03/2021", None, "01/04/2021")
# Excel serial days from 1899-12-30: 2021-01-01 is 44197; + 31 + 28 + 14 = 44270 (15 March);
# + 17 more = 44287 (1 April)
DATE_SERIALS = (44270, None, 44287)

WORKERS_BOOKS: dict[str, list[tuple[str, list[list]]]] = {
    # name: [(sheet title, rows incl. header)]
    "dates_as_date_cells.xlsx": [("workers", [W_COLUMNS, *_w_rows(DATE_CELLS)])],
    "dates_as_text.xlsx": [("workers", [W_COLUMNS, *_w_rows(DATE_TEXT)])],
    "dates_as_serial_numbers.xlsx": [("workers", [W_COLUMNS, *_w_rows(DATE_SERIALS)])],
    "data_on_named_sheet.xlsx": [
        ("Read me", [["Workers extract for the flexible working evaluation"], ["The data are on the next sheet."]]),
        ("workers", [W_COLUMNS, *_w_rows(DATE_CELLS)]),
    ],
    # row 3 left blank, then a bad row on sheet row 4: the row number must be the sheet's
    "blank_row_then_bad_row.xlsx": [("workers", [W_COLUMNS, _w_rows(DATE_CELLS)[0], [],
                                                 [*_w_rows(DATE_CELLS)[2][:3], 1.5, *_w_rows(DATE_CELLS)[2][4:]]])],
    # an Excel error value (a broken formula's #REF!) where a date should be
    "excel_error_in_pattern_start.xlsx": [("workers", [W_COLUMNS, *_w_rows((dt.date(2021, 3, 15), None, "#REF!"))])],
    # a title line above the header, as some reporting tools write
    "title_row_above_header.xlsx": [("workers", [["Workers extract, March 2021"], W_COLUMNS, *_w_rows(DATE_CELLS)])],
    # formulas written by a program, never calculated, so with no saved value: W02's fte, W03's start
    "formula_without_saved_value.xlsx": [("workers", [
        W_COLUMNS,
        _w_rows(DATE_CELLS)[0],
        [*_w_rows(DATE_CELLS)[1][:3], "=0.5*2", *_w_rows(DATE_CELLS)[1][4:]],
        [*_w_rows(DATE_CELLS)[2][:5], "=DATE(2021,4,1)", *_w_rows(DATE_CELLS)[2][6:]],
    ])],
}

# -- visits -------------------------------------------------------------------------------------
V_HEADER = "visit_id,worker_id,visit_datetime,writeup_datetime"
V001 = "V001,W01,2021-03-01 10:00,2021-03-02 09:00"
V002 = "V002,W02,2021-03-02 14:30,"        # write-up outstanding: allowed
V003 = "V003,W03,2021-03-03 09:15,2021-03-05 09:15"
GOOD_VISITS = _lines(V_HEADER, V001, V002, V003)

VISITS_TEXT: dict[str, tuple[str, str, str]] = {
    "companion_workers.csv": (GOOD_WORKERS, "utf-8", "\n"),
    "visit_date_not_a_date.csv": (_lines(V_HEADER, V001, V002.replace("2021-03-02 14:30", "next Tuesday"), V003),
                                  "utf-8", "\n"),
    "writeup_date_not_a_date.csv": (_lines(V_HEADER, V001, V002, V003.replace("2021-03-05 09:15", "tbc")),
                                    "utf-8", "\n"),
    "visit_date_empty.csv": (_lines(V_HEADER, V001.replace("2021-03-01 10:00", ""), V002, V003), "utf-8", "\n"),
    "visit_id_empty.csv": (_lines(V_HEADER, V001, V002, V003.replace("V003", "")), "utf-8", "\n"),
    "duplicate_visit_id.csv": (_lines(V_HEADER, V001, V002, V002.replace("W02", "W03"), V003), "utf-8", "\n"),
    "writeup_before_visit.csv": (_lines(V_HEADER, V001, V002, V003.replace("2021-03-05 09:15", "2021-03-02 09:15")),
                                 "utf-8", "\n"),
    "unknown_worker.csv": (_lines(V_HEADER, V001, V002.replace("W02", "W99"), V003), "utf-8", "\n"),
    "missing_visit_datetime_column.csv": (_lines("visit_id,worker_id,writeup_datetime",
                                                 "V001,W01,2021-03-02 09:00"), "utf-8", "\n"),
    "empty.csv": ("", "utf-8", "\n"),
    "header_only.csv": (_lines(V_HEADER), "utf-8", "\n"),
    "alias_headers.csv": (_lines("Visit ID,Worker ID,Visit Date,Write-up Date", V001, V002, V003), "utf-8", "\n"),
    "semicolon.csv": (GOOD_VISITS.replace(",", ";"), "utf-8", "\n"),
    "utf8_bom.csv": ("\ufeff" + GOOD_VISITS, "utf-8", "\r\n"),
    "windows1252_notes_column.csv": (_lines(V_HEADER + ",notes", V001 + ',"Visite à domicile, £5 parking"',
                                            V002 + ",", V003 + ",café"), "cp1252", "\r\n"),
    # text a spreadsheet would run as a formula (CSV injection): quarantined rows keep it as delivered,
    # and the quarantine CSV writes it with a leading apostrophe; -V004 is a valid (accepted) id
    "formula_text_in_cells.csv": (_lines(V_HEADER, V001, V002.replace("W02", "@SUM(A1)") + "+1 day",
                                         V003.replace("2021-03-03 09:15", "=NOW()"),
                                         "-V004,W01,2021-03-04 10:00,2021-03-05 10:00"), "utf-8", "\n"),
    # ISO 8601 with a UTC designator or an offset, as case-management systems' APIs write them
    "datetime_with_timezone.csv": (_lines(
        V_HEADER,
        "V001,W01,2021-03-01T10:00:00Z,2021-03-02T09:00:00Z",
        "V002,W02,2021-06-02T14:30:00+01:00,",
        "V003,W03,2021-06-03T09:15:00+01:00,2021-06-05T09:15:00+01:00"), "utf-8", "\n"),
}

V_COLUMNS = V_HEADER.split(",")


def _v_rows(visit: tuple, writeup: tuple) -> list[list]:
    return [["V001", "W01", visit[0], writeup[0]], ["V002", "W02", visit[1], writeup[1]],
            ["V003", "W03", visit[2], writeup[2]]]


VISIT_CELLS = (dt.datetime(2021, 3, 1, 10, 0), dt.datetime(2021, 3, 2, 14, 30), dt.datetime(2021, 3, 3, 9, 15))
WRITEUP_CELLS = (dt.datetime(2021, 3, 2, 9, 0), None, dt.datetime(2021, 3, 5, 9, 15))
VISIT_TEXT = ("01/03/2021 10:00", "02/03/2021 14:30", "03/03/2021 09:15")
WRITEUP_TEXT = ("02/03/2021 09:00", None, "05/03/2021 09:15")
# serial = days since 1899-12-30 + fraction of the day: 2021-03-01 is 44256 (44197 + 31 + 28);
# 10:00 = 10/24, 14:30 = 14.5/24, 09:15 = 9.25/24, 09:00 = 9/24
VISIT_SERIALS = (44256 + 10 / 24, 44257 + 14.5 / 24, 44258 + 9.25 / 24)
WRITEUP_SERIALS = (44257 + 9 / 24, None, 44260 + 9.25 / 24)

VISITS_BOOKS: dict[str, list[tuple[str, list[list]]]] = {
    "dates_as_datetime_cells.xlsx": [("visits", [V_COLUMNS, *_v_rows(VISIT_CELLS, WRITEUP_CELLS)])],
    "dates_as_text.xlsx": [("visits", [V_COLUMNS, *_v_rows(VISIT_TEXT, WRITEUP_TEXT)])],
    "dates_as_serial_numbers.xlsx": [("visits", [V_COLUMNS, *_v_rows(VISIT_SERIALS, WRITEUP_SERIALS)])],
    "data_on_named_sheet.xlsx": [
        ("Notes", [["Case visits extract"], ["Data on the sheet named visits."]]),
        ("visits", [V_COLUMNS, *_v_rows(VISIT_CELLS, WRITEUP_CELLS)]),
    ],
    # a lookup that failed in the local authority's extract: #N/A where a write-up time should be
    "excel_error_in_writeup.xlsx": [("visits", [V_COLUMNS, *_v_rows(VISIT_CELLS, (WRITEUP_CELLS[0], None, "#N/A"))])],
    # V003's write-up is a formula never calculated: read as empty it would pass as outstanding
    "formula_without_saved_value.xlsx": [("visits", [V_COLUMNS, *_v_rows(VISIT_CELLS, (WRITEUP_CELLS[0], None, "=C4+2"))])],
}


# -- writers ------------------------------------------------------------------------------------

def _write_text(path: Path, text: str, encoding: str, eol: str) -> None:
    path.write_bytes(text.replace("\n", eol).encode(encoding))


def _write_book(path: Path, sheets: list[tuple[str, list[list]]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    fixed = dt.datetime(2021, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.save(path)


def _png() -> bytes:
    """A valid 1x1 grey PNG: what a screenshot renamed to .xlsx looks like to a reader."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def _zip(path: Path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2021, 1, 1, 0, 0, 0)), text)


WORD_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def write_cases(root: Path = HERE) -> list[Path]:
    """Write every case file under ``root/workers`` and ``root/visits``; return the paths written."""
    written: list[Path] = []
    for folder, texts, books in (("workers", WORKERS_TEXT, WORKERS_BOOKS), ("visits", VISITS_TEXT, VISITS_BOOKS)):
        d = root / folder
        d.mkdir(parents=True, exist_ok=True)
        for name, (text, encoding, eol) in texts.items():
            _write_text(d / name, text, encoding, eol)
            written.append(d / name)
        for name, sheets in books.items():
            _write_book(d / name, sheets)
            written.append(d / name)
        # not a spreadsheet at all: a PNG renamed .xlsx
        (d / "not_a_spreadsheet.xlsx").write_bytes(_png())
        # CSV text saved under an .xlsx name
        good = GOOD_WORKERS if folder == "workers" else GOOD_VISITS
        (d / "csv_text_named_xlsx.xlsx").write_bytes(good.encode("utf-8"))
        written += [d / "not_a_spreadsheet.xlsx", d / "csv_text_named_xlsx.xlsx"]
    # a zip that is not a workbook: a plain archive, and a Word document renamed .xlsx
    _zip(root / "workers" / "zip_not_a_workbook.xlsx", {"workers.csv": GOOD_WORKERS})
    _zip(root / "visits" / "word_document_named_xlsx.xlsx",
         {"[Content_Types].xml": WORD_CONTENT_TYPES, "word/document.xml": "<document/>"})
    # the old binary Excel format: the reader takes .xlsx and .csv only
    (root / "workers" / "legacy_format.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    written += [root / "workers" / "zip_not_a_workbook.xlsx", root / "visits" / "word_document_named_xlsx.xlsx",
                root / "workers" / "legacy_format.xls"]
    return written


if __name__ == "__main__":
    out = write_cases(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"wrote {len(out)} files under {out[0].parent.parent}")
