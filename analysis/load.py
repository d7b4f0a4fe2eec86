"""Readers for delivered files, one per source format.

Every reader returns the table *as delivered*: all cells as text (or the cell's own value for
Excel), headers mapped to the contract's names, and the source row number of every row, so that
a quarantined row can be traced back to the line or sheet row an analyst sees.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.errors import UnusableFileError
from analysis.schemas import TableSpec, normalise_header

ROW = "_row"  # source row number column, carried alongside the delivered cells


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


def _detect_delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_csv_text(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """Read a delimited text file, all cells as strings, with the line number of each row."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw.strip(b"\xef\xbb\xbf \r\n\t"):
        raise UnusableFileError(path, "the file is empty.", "Ask the local authority to send the extract again.")
    if raw[:2] == b"PK" or b"\x00" in raw[:4096]:
        raise UnusableFileError(path, "this is not a text (CSV) file.",
                                "Save it as CSV (comma or semicolon separated) or send the Excel workbook as .xlsx.")
    encoding = _detect_encoding(raw[: 1 << 16])
    text = raw.decode(encoding, errors="strict") if encoding != "cp1252" else raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    sep = _detect_delimiter(first)
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[],
                        skip_blank_lines=True, quoting=csv.QUOTE_MINIMAL)
    # line numbers: the header is line 1; blank lines are skipped, so count them out
    lines = text.splitlines()
    rows = [i + 1 for i, line in enumerate(lines[1:], start=1) if line.strip()]
    if len(rows) != len(frame):  # quoted newlines inside cells: fall back to ordinal rows
        rows = list(range(2, len(frame) + 2))
    return frame, rows


def read_excel_cells(path: Path, sheet: str | int | None = None) -> tuple[pd.DataFrame, list[int]]:
    """Read the first (or a named) sheet of an .xlsx workbook, cells as their own values."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise UnusableFileError(path, "this is not an Excel .xlsx workbook (it is not a valid xlsx zip).",
                                "Open it in Excel and save it as .xlsx, or send a CSV.")
    try:
        frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object, engine="openpyxl")
    except ValueError as exc:
        raise UnusableFileError(path, f"the sheet could not be read ({exc}).", "Check the sheet name.") from exc
    frame = frame.dropna(how="all")
    rows = [int(i) + 2 for i in frame.index]  # sheet row: header is row 1
    frame = frame.reset_index(drop=True).map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else v)
    return frame, rows


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
        frame, rows = read_excel_cells(path, sheet)
    elif suffix in (".csv", ".txt"):
        frame, rows = read_csv_text(path)
    else:
        raise UnusableFileError(path, f"files of type '{suffix}' are not read.", "Deliver .xlsx or .csv.")
    frame = map_headers(frame, spec, path)
    frame[ROW] = rows
    return Delivered(spec.name, path, frame.reset_index(drop=True))


def find_source(folder: Path, table: str) -> Path | None:
    """The delivered file for ``table`` in a wave folder (``<table>.xlsx`` or ``<table>.csv``)."""
    for suffix in (".xlsx", ".csv"):
        p = Path(folder) / f"{table}{suffix}"
        if p.exists():
            return p
    return None
