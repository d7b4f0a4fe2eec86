"""Readers for delivered files, one per source format.

Every reader returns the table *as delivered*: all cells as text (or the cell's own value for
Excel), headers mapped to the contract's names, and the source row number of every row, so that
a quarantined row can be traced back to the line or sheet row an analyst sees.

A visits extract can hold tens of millions of rows, so :func:`read_table` reads CSV with Arrow
(:func:`read_csv_fast`): the cells stay Arrow strings, never one Python object per cell, and the
row numbers come from the row positions. Any file Arrow would read differently from pandas
(blank or whitespace-only lines, newlines inside quoted cells, a ragged row, an empty or repeated
header, bytes that are not valid in the detected encoding) is read by :func:`read_csv_text`
instead, so what is delivered, accepted and quarantined does not depend on which reader ran.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from analysis.errors import UnusableFileError
from analysis.schemas import NOTE_MARKER, NOTES_ROW, TableSpec, normalise_header

ROW = "_row"  # source row number column, carried alongside the delivered cells


class Formula(str):
    """A workbook cell that holds a formula but no saved value (the workbook was written by a
    program, not saved by Excel): its text is the formula. :func:`analysis.validate.coerce`
    reports it under the rule ``formula`` instead of reading it as an empty cell."""


@dataclass
class Delivered:
    """A table as delivered: ``frame`` holds the contract's columns (as delivered) and ``_row``."""

    table: str
    file: Path
    frame: pd.DataFrame

    @property
    def n(self) -> int:
        return len(self.frame)


def _detect_encoding(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a cut in the middle of a multi-byte character at the end of the sample is still UTF-8
        if exc.start >= len(head) - 3:
            return "utf-8"
        return "cp1252"


def _decode(raw: bytes) -> str:
    """The whole file as UTF-8 (with or without a byte-order mark) when it is valid UTF-8, else as
    Windows-1252, which Excel's plain "CSV" writes (bytes it leaves undefined become U+FFFD)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.removeprefix(b"\xef\xbb\xbf").decode("cp1252", errors="replace")


def _detect_delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _check_text_file(path: Path, raw: bytes) -> None:
    """Stop on a file that is empty or not text (``raw``: the whole file, or its first 64 KiB)."""
    if not raw.strip(b"\xef\xbb\xbf \r\n\t"):
        raise UnusableFileError(path, "the file is empty.", "Ask the local authority to send the extract again.")
    if raw[:2] == b"PK" or b"\x00" in raw[:4096]:
        raise UnusableFileError(
            path,
            "this is not a text (CSV) file.",
            "Save it as CSV (comma or semicolon separated) or send the Excel workbook as .xlsx.",
        )


def read_csv_text(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """Read a delimited text file, all cells as strings, with the line number of each row."""
    path = Path(path)
    raw = path.read_bytes()
    _check_text_file(path, raw)
    text = _decode(raw)
    first = text.split("\n", 1)[0]
    sep = _detect_delimiter(first)
    with warnings.catch_warnings():
        # index_col=False: a first data line with one cell too many must not become pandas' implicit
        # index (which shifts every column); pandas warns instead, and the warning stops the read here
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_values=[],
                skip_blank_lines=True,
                quoting=csv.QUOTE_MINIMAL,
                index_col=False,
            )
        except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
            raise UnusableFileError(
                path,
                "the file could not be read as CSV: a line has more cells than the header "
                f"({' '.join(str(exc).split())}).",
                "A cell that holds the delimiter (such as a team name with a comma) must be in double quotes: "
                "export the file again, or send the Excel workbook (.xlsx).",
            ) from exc
    # line numbers: the header is line 1; blank lines are skipped, so count them out
    lines = text.splitlines()
    rows = [i + 1 for i, line in enumerate(lines[1:], start=1) if line.strip()]
    if len(rows) != len(frame):  # quoted newlines inside cells: fall back to ordinal rows
        rows = list(range(2, len(frame) + 2))
    return frame, rows


_SCAN = 1 << 24  # bytes read at a time when scanning a large file


def _scan(path: Path) -> tuple[int, bool]:
    """Physical lines in the file (trailing line ends ignored) and whether it holds a quote."""
    newlines, quoted, tail = 0, False, b""
    with open(path, "rb") as fh:
        while block := fh.read(_SCAN):
            newlines += block.count(b"\n")
            quoted = quoted or b'"' in block
            tail = block[-4096:] if len(block) >= 4096 else (tail + block)[-4096:]
    end = tail.rstrip(b"\r\n")
    if not end:
        return 0, quoted
    return newlines - tail[len(end) :].count(b"\n") + 1, quoted


def _read_csv_arrow(path: Path, head: bytes, encoding: str, sep: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The file read with Arrow, or ``None`` when Arrow would not read it as pandas does."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    first = head.decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)[0].removesuffix("\r")
    if "\r" in first:  # old Mac line ends: pandas decides
        return None
    try:
        width = len(next(csv.reader([first], delimiter=sep), []))
    except csv.Error:
        return None
    lines, quoted = _scan(path)
    if encoding == "cp1252":  # transcoded as read_csv_text decodes it: undefined bytes become U+FFFD
        source = pa.BufferReader(path.read_bytes().decode("cp1252", errors="replace").encode("utf-8"))
    else:
        source = str(path)
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),  # the header is row 0
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=quoted,
                ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None  # a ragged row, invalid text, ...: pandas decides what it means
    if table.num_rows == 0 or any(not pa.types.is_string(t) for t in table.schema.types):
        return None
    names = [str(v).lstrip("\ufeff") for v in table.slice(0, 1).to_pylist()[0].values()]
    n = table.num_rows - 1
    # one physical line per row (so no blank lines and no newlines in cells), a header that
    # pandas would not rename: then line i + 2 is row i, and pandas would read the same cells
    if lines != n + 1 or len(set(names)) != len(names) or not all(names):
        return None
    body = table.slice(1)
    frame = pd.DataFrame({name: pd.arrays.ArrowStringArray(body.column(i)) for i, name in enumerate(names)})
    del table, body
    pa.default_memory_pool().release_unused()  # the reader's block buffers, back to the system
    return frame, np.arange(2, n + 2, dtype=np.int64)


def read_csv_fast(path: Path) -> tuple[pd.DataFrame, np.ndarray | list[int]]:
    """Read a delimited text file as :func:`read_csv_text` does, with Arrow-backed string cells.

    Encoding (UTF-8, UTF-8 with BOM, Windows-1252) and delimiter (comma or semicolon) are
    detected as :func:`read_csv_text` detects them. A file with one physical line per row is read
    by Arrow's multi-threaded CSV reader into ``string[pyarrow]`` columns, and its row numbers
    are the positions plus two (the header is line 1); any other file (blank lines, newlines in
    quoted cells, ragged rows, an empty or repeated header name, invalid text) is read by
    :func:`read_csv_text`, so the cells and row numbers are those it gives.

    Parameters
    ----------
    path : Path
        A ``.csv`` or ``.txt`` file.

    Returns
    -------
    frame : pandas.DataFrame
        One column per header, every cell text (``string[pyarrow]``, or ``object`` when read
        by :func:`read_csv_text`).
    rows : numpy.ndarray or list of int
        The source line number of each row.

    Raises
    ------
    UnusableFileError
        The file is empty or not a text file.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
        while b"\n" not in head and (more := fh.read(1 << 16)):  # a very long header line
            head += more
    if len(head) >= (1 << 16) and not head.strip(b"\xef\xbb\xbf \r\n\t"):
        return read_csv_text(path)  # a large file that starts blank: read_csv_text judges the whole
    _check_text_file(path, head)
    encoding = _detect_encoding(head[: 1 << 16])
    sep = _detect_delimiter(head.decode(encoding, errors="replace").split("\n", 1)[0])
    fast = _read_csv_arrow(path, head, encoding, sep)
    return fast if fast is not None else read_csv_text(path)


def read_excel_cells(
    path: Path, sheet: str | int | None = None, table: str | None = None
) -> tuple[pd.DataFrame, list[int]]:
    """Read one sheet of an .xlsx workbook, cells as their own values, with each row's sheet row.

    The sheet is ``sheet`` (a name, or a position from 0) when given; otherwise the sheet named
    after ``table`` (as the data request template names them) when there is one, else the first.
    Excel error values (``#N/A``, ``#REF!``) and text such as ``NA`` stay text, so that they fail
    their column's checks instead of passing as empty cells. Blank rows are skipped, and so is the
    data request template's notes row (row 2, starting with ``Note:``).
    """
    path = Path(path)
    action = "Open it in Excel and save it as .xlsx, or send a CSV."
    if not zipfile.is_zipfile(path):
        raise UnusableFileError(path, "this is not an Excel .xlsx workbook (it is not a valid xlsx zip).", action)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, InvalidFileException) as exc:
        raise UnusableFileError(path, f"this is not an Excel .xlsx workbook ({exc}).", action) from exc
    try:
        names = wb.sheetnames
        if sheet is None:
            by_name = {normalise_header(n): n for n in names}
            title = by_name.get(normalise_header(table), names[0]) if table else names[0]
        elif isinstance(sheet, int):
            title = names[sheet] if -len(names) <= sheet < len(names) else None
        else:
            title = sheet if sheet in names else None
        if title is None:
            raise UnusableFileError(
                path, f"the workbook has no sheet {sheet!r} (its sheets: {', '.join(names)}).", "Check the sheet name."
            )
        grid = [list(r) for r in wb[title].iter_rows(values_only=True)]
    finally:
        wb.close()
    if _has_formulas(path):
        _mark_formulas(path, title, grid)
    width = max((len(r) for r in grid), default=0)
    first = grid[0] if grid else []
    header: list[str] = []
    for j, h in enumerate(first + [None] * (width - len(first))):
        name = f"Unnamed: {j}" if h is None or not str(h).strip() else str(h)
        while name in header:  # a repeated header: only the first is mapped to the contract
            name += ".1"
        header.append(name)
    data, rows = [], []
    for r, cells in enumerate(grid[1:], start=2):
        # whole numbers stored as floats read as int, as pandas.read_excel gives them (an id 1001.0 is 1001)
        cells = ["" if v is None else int(v) if isinstance(v, float) and v.is_integer() else v for v in cells]
        cells += [""] * (width - len(cells))
        if all(isinstance(v, str) and not v.strip() for v in cells):
            continue  # a blank row
        if r == NOTES_ROW and isinstance(cells[0], str) and cells[0].startswith(NOTE_MARKER):
            continue  # the data request template's notes row
        data.append(cells)
        rows.append(r)
    return pd.DataFrame(data, columns=header, dtype=object), rows


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (its XML has an ``<f>`` element):
    read a block at a time, so that a workbook without formulas is read only once."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with zf.open(name) as fh:
                tail = b""
                while block := fh.read(1 << 20):
                    if _FORMULA_TAG.search(tail + block):
                        return True
                    tail = block[-16:]
    return False


def _mark_formulas(path: Path, title: str, grid: list[list]) -> None:
    """Replace, in ``grid`` (the saved values), each empty cell that holds a formula by the
    formula's text as a :class:`Formula`."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        for r, cells in enumerate(wb[title].iter_rows(values_only=True)):
            for c, v in enumerate(cells):
                if isinstance(v, str) and v.startswith("=") and r < len(grid) and c < len(grid[r]):
                    if grid[r][c] is None:
                        grid[r][c] = Formula(v)
    finally:
        wb.close()


def map_headers(frame: pd.DataFrame, spec: TableSpec, path: Path) -> pd.DataFrame:
    """Rename delivered headers to the contract's names (case-, space- and alias-insensitive).

    Stops with :class:`UnusableFileError` when a required column is missing.
    """
    lookup: dict[str, str] = {}
    for col in spec.columns:
        for alias in (col.name, *col.aliases):
            lookup[normalise_header(alias)] = col.name
    renames: dict[str, str] = {}
    for h in frame.columns:
        key = normalise_header(h)
        if key in lookup and lookup[key] not in renames.values():
            renames[h] = lookup[key]
    frame = frame.rename(columns=renames)
    missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
    if missing:
        raise UnusableFileError(
            path,
            f"required column(s) {', '.join(missing)} not found in the {spec.name} table "
            f"(columns found: {', '.join(map(str, frame.columns)) or 'none'}).",
            f"Rename the columns to the data request template's names ({', '.join(spec.names)}) and deliver again.",
        )
    for c in spec.columns:
        if c.name not in frame.columns:
            frame[c.name] = ""
    return frame[spec.names]


def read_table(path: Path, spec: TableSpec, sheet: str | int | None = None) -> Delivered:
    """Read a workers or visits extract (.xlsx or .csv) as delivered."""
    path = Path(path)
    if not path.exists():
        raise UnusableFileError(path, "the file does not exist.", "Put the extract in the wave's data folder.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame, rows = read_excel_cells(path, sheet, table=spec.name)
    elif suffix in (".csv", ".txt"):
        frame, rows = read_csv_fast(path)
    else:
        raise UnusableFileError(path, f"files of type '{suffix}' are not read.", "Deliver .xlsx or .csv.")
    frame = map_headers(frame, spec, path)
    if not len(frame):
        raise UnusableFileError(
            path,
            f"the {spec.name} table has a header row but no data rows.",
            "Ask the local authority to send the extract again (check that no filter was left "
            "on when it was exported).",
        )
    frame[ROW] = rows
    return Delivered(spec.name, path, frame.reset_index(drop=True))


def find_source(folder: Path, table: str) -> Path | None:
    """The delivered file for ``table`` in a wave folder (``<table>.xlsx`` or ``<table>.csv``)."""
    for suffix in (".xlsx", ".csv"):
        p = Path(folder) / f"{table}{suffix}"
        if p.exists():
            return p
    return None
