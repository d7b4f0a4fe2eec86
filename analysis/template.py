"""The local authority's data request workbook (``make template``), generated from the same table
specifications that validate the returns (:mod:`analysis.schemas`), so the two cannot drift apart.

Layout of the workbook:

- ``Instructions``: what the evaluation is, what to send, how to pseudonymise, the write-up rule,
  date formats, how to return the file and whom to ask.
- one sheet per table (``workers``, ``spells``, ``visits``), named as the table: row 1 holds the column names,
  row 2 a note per column (description, type, allowed values, range, example; each note starts
  with :data:`NOTE_MARKER`), and the local authority enters data from row 3
  (:data:`FIRST_DATA_ROW`) down. Categorical columns offer a drop-down list, numeric columns
  accept whole numbers or decimals within the contract's range, date columns accept dates only.
- ``lists`` (hidden): the allowed values the drop-down lists point at; a range on a sheet rather
  than a list typed into the validation, which Excel limits to 255 characters and to values
  without commas.

A filled-in template is read back with :func:`analysis.load.read_table` (``sheet=`` the table's
name), which skips the notes row. The layout constants live in :mod:`analysis.schemas`, the contract
both sides share. Text that a spreadsheet would run as a formula is written as text
(:func:`text_cell`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from analysis.config import Study
from analysis.errors import AnalysisError
from analysis.schemas import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    NOTE_MARKER,
    NOTES_ROW,
    Column,
    TableSpec,
    spec_for,
    starts_formula,
)

__all__ = ["FIRST_DATA_ROW", "HEADER_ROW", "INSTRUCTIONS", "LISTS", "NOTE_MARKER", "NOTES_ROW", "TABLES"]
__all__ += ["instructions_text", "text_cell", "validation", "write_template"]
LAST_ROW = 1_048_576  # Excel's last row: validations cover the whole column below the notes
INSTRUCTIONS = "Instructions"
LISTS = "lists"
TABLES = ("workers", "spells", "visits")  # the top-level study's (its sources module's TEMPLATE_TABLES)

NUMBER_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "str": "@", "category": "@"}
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
NOTES_FILL = PatternFill("solid", fgColor="E7E6E6")


class NoTemplate(AnalysisError):
    """The study asks a local authority for no table: there is no data request workbook to write."""


def template_tables(study: Study) -> tuple[tuple[str, ...], Callable[[str, Study], TableSpec]]:
    """The tables a study asks a local authority for, and how to make each one's specification: the
    optional hooks ``TEMPLATE_TABLES`` and ``spec_for(name, study)`` of the study's ``sources`` module
    (``spec_for`` defaults to :func:`analysis.schemas.spec_for`). No ``TEMPLATE_TABLES``: no table."""
    hooks = study.code("sources")
    return tuple(getattr(hooks, "TEMPLATE_TABLES", None) or ()), getattr(hooks, "spec_for", spec_for)


def write_template(path: Path, study: Study, tables: tuple[str, ...] | None = None) -> Path:
    """Write the data request workbook to ``path`` and return ``path``.

    Parameters
    ----------
    path
        Where to write the ``.xlsx`` file; its folder is created if needed.
    study
        The study configuration (teams, roles, patterns, waves and the write-up threshold come
        from here, through :func:`analysis.schemas.spec_for`).
    tables
        The tables to request, one sheet each, in this order (default: the study's
        ``TEMPLATE_TABLES``, see :func:`template_tables`).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    NoTemplate
        The study asks a local authority for no table.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> from analysis.config import load_study
    >>> out = write_template(Path(tempfile.mkdtemp()) / "request.xlsx", load_study())
    >>> openpyxl.load_workbook(out).sheetnames
    ['Instructions', 'workers', 'spells', 'visits', 'lists']
    """
    path = Path(path)
    names, make_spec = template_tables(study)
    tables = names if tables is None else tables
    if not tables:
        raise NoTemplate(
            f"No data request workbook for the {study.short_title}: no source of this study is supplied by a "
            f"local authority (the study's {study.module}.sources names no TEMPLATE_TABLES)."
        )
    specs = [make_spec(t, study) for t in tables]
    wb = Workbook()
    instructions = getattr(study.code("sources"), "template_instructions", None) or instructions_text
    _instructions(wb.active, study, specs, instructions)
    lists = wb.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    for spec in specs:
        ws = wb.create_sheet(spec.name, index=len(wb.sheetnames) - 1)  # before the hidden lists
        _table_sheet(ws, spec, lists)
    wb.properties.title = f"Data request: {study.title}"
    wb.properties.creator = study.evaluator
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def text_cell(ws: Worksheet, row: int, column: int, value: str) -> Cell:
    """Write ``value`` as a text cell. Text that a spreadsheet would run as a formula (it starts with
    ``=``, ``+``, ``-`` or ``@``: OWASP's advice on CSV injection) is stored as text with Excel's
    quote prefix, the workbook's own form of a leading apostrophe: the cell shows and holds exactly
    ``value``, and Excel never evaluates it, even when the cell is edited.

    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> c = text_cell(ws, 1, 1, "=HYPERLINK('http://example.org')")
    >>> c.data_type, c.quotePrefix, c.value
    ('s', True, "=HYPERLINK('http://example.org')")
    """
    cell = ws.cell(row, column)
    cell.value = value
    if starts_formula(value):
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        cell.quotePrefix = True
    return cell


# -- the instructions sheet ---------------------------------------------------------------------


def instructions_text(study: Study, specs: list[TableSpec]) -> list[tuple[str, str]]:
    """The instructions as (heading, text) pairs, in the order they are printed.

    >>> from analysis.config import load_study
    >>> s = load_study()
    >>> dict(instructions_text(s, [spec_for("visits", s)]))["Write-up times"][:60]
    'A visit counts as written up on time when the write-up is re'
    """
    site = study.admin_site
    hours = f"{study.thresholds['writeup_hours']:g}"
    waves = "; ".join(f"{w.label}: {w.date.isoformat()}" for w in study.waves)
    sheets = " ".join(f"The '{s.name}' sheet: {s.description}" for s in specs)
    patterns = " or ".join(f"a {p}" for p in study.flexible_patterns)
    launch = f"{study.launch_date.day} {study.launch_date:%B %Y}"
    return [
        (
            "About the evaluation",
            f"{study.evaluator} is carrying out the evaluation '{study.title}' in {site.name}. "
            f"The intervention: {study.intervention}. This workbook asks for the administrative data the "
            "evaluation needs. Only summary figures ever leave "
            "the evaluation team, and no individual can be identified in any report.",
        ),
        (
            "When to send it",
            f"Please fill in and return a copy at each wave, with the data as at the wave's date ({waves}).",
        ),
        ("What to send", f"One sheet per table. {sheets}"),
        (
            "How to fill it in",
            f"Row {HEADER_ROW} holds the column names: do not rename, reorder or delete them. Row {NOTES_ROW} holds a "
            f"note for each column (starting '{NOTE_MARKER}'), saying what it means, its type, the values allowed and "
            f"an example: leave it in place. Enter the data from row {FIRST_DATA_ROW} down, one row per record, with "
            "no blank rows, totals, merged cells or colours used to carry information. Columns with a fixed list "
            "of values offer a drop-down list: use the values exactly as listed.",
        ),
        (
            "Pseudonymise before sending",
            "Do not include names, initials, dates of birth, addresses, staff or case numbers, or anything else that "
            "identifies a member of staff, a child or a family. Give each worker a meaningless identifier (for "
            "example W0001) and keep the key that links it to the person inside the local authority. Use the same "
            "identifier for the same person at every wave and on every sheet. Visit identifiers must be made up "
            "for this return too, not copied from the case management system.",
        ),
        (
            "Compressed hours periods",
            f"On the 'spells' sheet, list every period in which a worker on the 'workers' sheet worked compressed "
            f"hours ({patterns}) at any time since the pilot started on {launch}: one row per period, with the "
            "pattern, its first day and its last day. Include periods that started before the pilot, and periods "
            "that have since ended. When someone changes pattern, end the first period on their last day on it and "
            "start a new row; when someone goes back to standard hours, enter their last day on compressed hours. "
            "Leave the last day empty while the period continues. Your HR system's record of flexible working "
            "agreements (start and end dates) is the usual source. Workers who have never worked compressed hours "
            "have no row on this sheet.",
        ),
        (
            "Write-up times",
            f"A visit counts as written up on time when the write-up is recorded within {hours} hours of the visit. "
            "Give the date and time of the visit and of its write-up as the case management system records them; "
            "leave the write-up empty when it is still outstanding on the day the extract is taken.",
        ),
        (
            "Dates and times",
            "Enter dates as YYYY-MM-DD (for example 2021-03-15) and dates with times as YYYY-MM-DD HH:MM on the "
            "24-hour clock, in UK local time (for example 2021-03-02 14:30). Excel date cells are fine too.",
        ),
        (
            "Returning the file",
            "Save the workbook as .xlsx, keeping the sheet names, and return it by the secure file transfer agreed "
            "in the data sharing agreement, never as an ordinary email attachment.",
        ),
        (
            "Questions",
            "Contact the evaluation team's data lead named in the data sharing agreement; they will "
            "answer questions about this request and confirm when the file has arrived.",
        ),
    ]


def _instructions(
    ws: Worksheet,
    study: Study,
    specs: list[TableSpec],
    make_text: Callable[[Study, list[TableSpec]], list[tuple[str, str]]] = instructions_text,
) -> None:
    """The instructions sheet; ``make_text`` gives its (heading, text) pairs: :func:`instructions_text`,
    or the study's own ``template_instructions(study, specs)`` (an optional hook of its ``sources``)."""
    ws.title = INSTRUCTIONS
    text_cell(ws, 1, 1, f"Data request: {study.title}")
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 110
    for r, (heading, text) in enumerate(make_text(study, specs), start=3):
        text_cell(ws, r, 1, heading).font = Font(bold=True)
        ws.cell(r, 1).alignment = Alignment(vertical="top")
        text_cell(ws, r, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 15 * (1 + len(text) // 100)


# -- one sheet per table ------------------------------------------------------------------------


def _table_sheet(ws: Worksheet, spec: TableSpec, lists: Worksheet) -> None:
    for j, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(j)
        head = text_cell(ws, HEADER_ROW, j, col.name)
        head.font = Font(bold=True, color="FFFFFF")
        head.fill = HEADER_FILL
        note = ws.cell(NOTES_ROW, j, f"{NOTE_MARKER} {col.note()}")
        note.font = Font(italic=True, size=9)
        note.fill = NOTES_FILL
        note.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[letter].width = min(max(len(col.name) + 4, 18), 36)
        if col.kind in NUMBER_FORMATS:  # typed-in ids stay text; dates show as YYYY-MM-DD
            ws.column_dimensions[letter].number_format = NUMBER_FORMATS[col.kind]
        dv = validation(col, spec.name, lists)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}")
    ws.row_dimensions[NOTES_ROW].height = 120
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1).coordinate  # header and notes stay in view


def validation(col: Column, table: str, lists: Worksheet) -> DataValidation | None:
    """The Excel data validation for a column: a drop-down list for categories (its values written
    to the ``lists`` sheet), whole numbers or decimals within the column's range, dates for dates.
    ``None`` for free text.
    """
    blank = col.nullable
    if col.allowed:
        j = 1 if lists["A1"].value is None else lists.max_column + 1  # next free column
        letter = get_column_letter(j)
        text_cell(lists, 1, j, f"{table}.{col.name}")
        for i, value in enumerate(col.allowed, start=2):
            text_cell(lists, i, j, value)
        ref = f"{quote_sheetname(LISTS)}!${letter}$2:${letter}${len(col.allowed) + 1}"
        return _dv("list", col, blank, ref, error="Choose one of the values in the drop-down list.")
    if col.kind in ("int", "float"):
        kind = "whole" if col.kind == "int" else "decimal"
        noun = "a whole number" if col.kind == "int" else "a number"
        lo, hi = col.minimum, col.maximum
        if lo is not None and hi is not None:
            return _dv(kind, col, blank, _num(lo), _num(hi), "between", f"Enter {noun} from {_num(lo)} to {_num(hi)}.")
        if lo is not None:
            return _dv(kind, col, blank, _num(lo), None, "greaterThanOrEqual", f"Enter {noun} of at least {_num(lo)}.")
        if hi is not None:
            return _dv(kind, col, blank, _num(hi), None, "lessThanOrEqual", f"Enter {noun} of at most {_num(hi)}.")
        return None
    if col.kind in ("date", "datetime"):
        # Excel stores dates as day numbers from 1900-01-01 (= 1): any real date passes
        what = "a date (YYYY-MM-DD)" if col.kind == "date" else "a date and time (YYYY-MM-DD HH:MM)"
        return _dv("date", col, blank, "1", None, "greaterThanOrEqual", f"Enter {what}.")
    return None


def _num(x: float) -> str:
    return f"{x:g}"


def _dv(
    kind: str,
    col: Column,
    blank: bool,
    formula1: str,
    formula2: str | None = None,
    operator: str | None = None,
    error: str = "",
) -> DataValidation:
    return DataValidation(
        type=kind,
        operator=operator,
        formula1=formula1,
        formula2=formula2,
        allow_blank=blank,
        showErrorMessage=True,
        errorTitle=f"{col.name}: value not allowed"[:32],
        error=error[:225],
        showInputMessage=True,
        promptTitle=col.name[:32],
        prompt=col.description[:255],
    )
