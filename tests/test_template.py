"""The data request workbook: made from the table specifications, and readable when filled in."""

from __future__ import annotations

import dataclasses
import datetime as dt

import openpyxl
import pandas as pd
import pytest

from analysis.load import read_table
from analysis.schemas import spec_for
from analysis.template import FIRST_DATA_ROW, INSTRUCTIONS, LISTS, NOTE_MARKER, NOTES_ROW, TABLES, write_template
from analysis.validate import check_table


@pytest.fixture(scope="module")
def template(tmp_path_factory, study):
    return write_template(tmp_path_factory.mktemp("template") / "data_request.xlsx", study)


@pytest.fixture(scope="module")
def book(template):
    return openpyxl.load_workbook(template)


def _validations(ws, column_letter: str) -> list:
    """The data validations that cover the first data cell of a column."""
    cell = f"{column_letter}{FIRST_DATA_ROW}"
    return [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]


def _list_values(book, formula: str) -> list[str]:
    sheet, ref = formula.split("!")
    assert sheet.strip("'") == LISTS
    return [c.value for row in book[LISTS][ref.replace("$", "")] for c in row]


def test_sheets_are_named_as_expected(book):
    assert book.sheetnames == [INSTRUCTIONS, "workers", "spells", "visits", LISTS]
    assert book[LISTS].sheet_state == "hidden"
    assert book.active.title == INSTRUCTIONS  # the workbook opens on the instructions


@pytest.mark.parametrize("table", TABLES)
def test_header_and_notes_rows_come_from_the_spec(book, study, table):
    spec = spec_for(table, study)
    ws = book[table]
    assert [c.value for c in ws[1]] == spec.names
    assert [c.value for c in ws[NOTES_ROW]] == [f"{NOTE_MARKER} {c.note()}" for c in spec.columns]
    assert ws.max_row == NOTES_ROW  # no data rows in a blank template
    assert ws.freeze_panes == f"A{FIRST_DATA_ROW}"
    for j, col in enumerate(spec.columns, start=1):
        width = ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width
        assert len(col.name) < width <= 40, col.name


@pytest.mark.parametrize("table", TABLES)
def test_every_categorical_column_has_a_list_of_exactly_its_allowed_values(book, study, table):
    spec = spec_for(table, study)
    ws = book[table]
    categorical = [c for c in spec.columns if c.allowed]
    if table == "workers":  # team, role and working_pattern (schemas.workers_spec)
        assert [c.name for c in categorical] == ["team", "role", "working_pattern"]
    if table == "spells":  # pattern: the flexible patterns only (schemas.spells_spec)
        assert [(c.name, c.allowed) for c in categorical] == [("pattern", ("4-day week", "9-day fortnight"))]
    for j, col in enumerate(spec.columns, start=1):
        dvs = _validations(ws, openpyxl.utils.get_column_letter(j))
        lists = [dv for dv in dvs if dv.type == "list"]
        if col.allowed:
            assert len(lists) == 1, col.name
            assert _list_values(book, lists[0].formula1) == list(col.allowed), col.name
            assert lists[0].allow_blank == col.nullable
            assert lists[0].showErrorMessage
        else:
            assert not lists, col.name


def test_team_list_follows_the_study_configuration(tmp_path, study):
    site = study.admin_site
    other = dataclasses.replace(
        study,
        sites=tuple(dataclasses.replace(s, teams=("North, East", "South")) if s is site else s for s in study.sites),
    )
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", other))
    (dv,) = [d for d in _validations(wb["workers"], "B") if d.type == "list"]
    assert _list_values(wb, dv.formula1) == ["North, East", "South"]  # a comma in a value survives


def test_numeric_columns_are_limited_to_their_range(book, study):
    ws = book["workers"]
    spec = spec_for("workers", study)
    letters = {c.name: openpyxl.utils.get_column_letter(j) for j, c in enumerate(spec.columns, start=1)}
    (fte,) = _validations(ws, letters["fte"])
    # fte: decimal from 0.1 to 1.0 (schemas.workers_spec)
    assert (fte.type, fte.operator, float(fte.formula1), float(fte.formula2)) == ("decimal", "between", 0.1, 1.0)
    for name in ("planned_flex_days_last_month", "flex_days_taken_last_month"):
        (days,) = _validations(ws, letters[name])
        # whole number of days from 0 to 31
        assert (days.type, days.operator, int(days.formula1), int(days.formula2)) == ("whole", "between", 0, 31)


@pytest.mark.parametrize(
    ("table", "column", "fmt"),
    [
        ("workers", "pattern_start", "yyyy-mm-dd"),
        ("spells", "start", "yyyy-mm-dd"),
        ("spells", "end", "yyyy-mm-dd"),
        ("visits", "visit_datetime", "yyyy-mm-dd hh:mm"),
        ("visits", "writeup_datetime", "yyyy-mm-dd hh:mm"),
    ],
)
def test_date_columns_accept_dates_only(book, study, table, column, fmt):
    spec = spec_for(table, study)
    letter = openpyxl.utils.get_column_letter(spec.names.index(column) + 1)
    (dv,) = _validations(book[table], letter)
    assert dv.type == "date"
    assert dv.allow_blank == spec.column(column).nullable
    assert book[table].column_dimensions[letter].number_format == fmt


def test_identifier_columns_are_text_and_unvalidated(book):
    # worker_id and visit_id: typed-in ids stay text (no 0001 -> 1), and any text is allowed
    for table, letter in (("workers", "A"), ("spells", "A"), ("visits", "A"), ("visits", "B")):
        assert book[table].column_dimensions[letter].number_format == "@"
        assert _validations(book[table], letter) == []


def test_instructions_say_what_an_analyst_needs(book, study):
    text = " ".join(str(c.value) for row in book[INSTRUCTIONS].iter_rows() for c in row if c.value)
    for needed in (
        "pseudonym",
        "meaningless identifier",
        "same identifier",
        "names",
        "YYYY-MM-DD",
        "secure file transfer",
        f"row {FIRST_DATA_ROW}",
        NOTE_MARKER,
        study.admin_site.name,
        f"{study.thresholds['writeup_hours']:g} hours",
    ):
        assert needed.lower() in text.lower(), needed
    for w in study.waves:
        assert w.date.isoformat() in text


def test_instructions_explain_the_spells_sheet_in_the_authoritys_terms(book, study):
    text = " ".join(str(c.value) for row in book[INSTRUCTIONS].iter_rows() for c in row if c.value)
    for needed in (
        "'spells' sheet",
        "one row per period",
        "started before the pilot",
        "since ended",
        "changes pattern",
        "goes back to standard hours",
        "Leave the last day empty while the period continues",
        "1 March 2021",  # study.launch_date, written as a date a reader would write it
        "a 4-day week or a 9-day fortnight",
    ):
        assert needed.lower() in text.lower(), needed


def test_write_up_hours_come_from_the_configuration(tmp_path, study):
    other = dataclasses.replace(study, thresholds={**study.thresholds, "writeup_hours": 72})
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", other))
    text = " ".join(str(c.value) for row in wb[INSTRUCTIONS].iter_rows() for c in row if c.value)
    assert "within 72 hours" in text and "within 48 hours" not in text


# -- round trip: a filled-in template reads back through the loader ---------------------------------

WORKERS = [  # as a local authority would type them
    ["W0001", "Child Protection Team A", "social worker", 1.0, "4-day week", dt.date(2021, 3, 15), 4, 3],
    ["W0002", "Child Protection Team B", "team manager", 1.0, "standard", None, 0, 0],
    ["W0003", "Child Protection Team C", "assistant manager", 0.6, "9-day fortnight", dt.date(2021, 4, 1), 2, 2],
]
SPELLS = [
    ["W0001", "4-day week", dt.date(2021, 3, 15), None],
    ["W0003", "9-day fortnight", dt.date(2020, 9, 1), dt.date(2021, 3, 31)],
    ["W0003", "9-day fortnight", dt.date(2021, 4, 1), None],
]
VISITS = [
    ["V000001", "W0001", dt.datetime(2021, 3, 1, 10, 30), dt.datetime(2021, 3, 2, 16, 0)],
    ["V000002", "W0001", dt.datetime(2021, 3, 3, 9, 0), None],
    ["V000003", "W0003", dt.datetime(2021, 3, 4, 14, 15), dt.datetime(2021, 3, 8, 11, 0)],
    ["V000004", "W0002", dt.datetime(2021, 3, 5, 11, 45), dt.datetime(2021, 3, 5, 17, 30)],
]


def _fill(template, path):
    wb = openpyxl.load_workbook(template)
    for table, rows in (("workers", WORKERS), ("spells", SPELLS), ("visits", VISITS)):
        for i, row in enumerate(rows):
            for j, value in enumerate(row, start=1):
                if value is not None:
                    wb[table].cell(FIRST_DATA_ROW + i, j, value)
    wb.save(path)
    return path


def _as_python(frame: pd.DataFrame) -> list[list]:
    def plain(v):
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and pd.isna(v)):
            return None
        if isinstance(v, pd.Timestamp):
            return v.to_pydatetime()
        return v.item() if hasattr(v, "item") else v

    return [[plain(v) for v in row] for row in frame.astype(object).values.tolist()]


def _expected(rows) -> list[list]:
    out = []
    for row in rows:
        out.append(
            [
                dt.datetime.combine(v, dt.time()) if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else v
                for v in row
            ]
        )
    return out


def test_filled_in_template_reads_back_unchanged(template, tmp_path, study):
    filled = _fill(template, tmp_path / "returned.xlsx")
    wspec, vspec = spec_for("workers", study), spec_for("visits", study)
    wd = read_table(filled, wspec, sheet="workers")
    workers = check_table(wd, wspec)
    vd = read_table(filled, vspec, sheet="visits")
    visits = check_table(vd, vspec, context={"workers": workers.accepted})
    # hand count: 3 workers and 4 visits typed in, all valid
    assert (workers.delivered, len(workers.accepted), len(workers.quarantined)) == (3, 3, 0)
    assert (visits.delivered, len(visits.accepted), len(visits.quarantined)) == (4, 4, 0)
    # data start on sheet row 3
    assert wd.frame["_row"].tolist() == [3, 4, 5] and vd.frame["_row"].tolist() == [3, 4, 5, 6]
    assert _as_python(workers.accepted[wspec.names]) == _expected(WORKERS)
    assert _as_python(visits.accepted[vspec.names]) == _expected(VISITS)
    sspec = spec_for("spells", study)
    spells = check_table(read_table(filled, sspec, sheet="spells"), sspec, context={"workers": workers.accepted})
    # hand count: 3 periods typed in, all valid (W0003's two periods meet but do not overlap)
    assert (spells.delivered, len(spells.accepted), len(spells.quarantined)) == (3, 3, 0)
    assert _as_python(spells.accepted[sspec.names]) == _expected(SPELLS)


# -- text a spreadsheet would run as a formula ------------------------------------------------------


def test_formula_like_text_is_stored_as_text_with_excel_quote_prefix(tmp_path, study):
    """A team or role from the configuration that starts with =, +, - or @ is written as a text cell
    with Excel's quote prefix: the value is kept exactly (the drop-down offers it as typed), and it is
    never a formula."""
    site = dataclasses.replace(study.admin_site, teams=('=HYPERLINK("http://example.org","x")', "+Team", "Team C"))
    odd = dataclasses.replace(study, sites=tuple(site if s == study.admin_site else s for s in study.sites))
    odd = dataclasses.replace(odd, roles=("@social worker", "-manager"))
    path = write_template(tmp_path / "odd.xlsx", odd)
    ws = openpyxl.load_workbook(path)[LISTS]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    for text in ('=HYPERLINK("http://example.org","x")', "+Team", "@social worker", "-manager"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text
    assert not cells["Team C"].quotePrefix  # ordinary text is left alone
    # and no sheet holds a formula at all
    for sheet in openpyxl.load_workbook(path).worksheets:
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row), sheet.title
