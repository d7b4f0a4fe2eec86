"""The tidy stage: validate a wave's delivered files and cache the typed tables as parquet
under ``_build/data/<wave>/``, quarantined rows under ``_build/quarantine/<wave>/``.

Notebooks read tables through :func:`read`, which re-validates the wave first when its cache is
missing or was made from other files: ``validation.json`` records the data source and the SHA-256
of every delivered file, and :func:`read` compares them with the files there now (content, not
dates). So any notebook runs top to bottom in JupyterLab as it is, on what is delivered now.

Nothing here writes data: when the source's folder for a wave is missing, the error says what to
run (``make data`` for the synthetic set); only ``python -m analysis data`` writes it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.config import Study, load_study
from analysis.errors import ConfigError, UnusableFileError
from analysis.linkage import wave_linkage
from analysis.load import find_source, read_table
from analysis.schemas import spec_for
from analysis.source import DataSource, MissingDataError, rel, resolve
from analysis.validate import SPREADSHEET_NOTE, Checked, check_table, write_quarantine


@dataclass
class WaveResult:
    wave: str
    source_dir: Path
    checked: dict[str, Checked]
    unusable: list[UnusableFileError]
    warnings: list[str] = field(default_factory=list)  # e.g. workers that do not link to an earlier wave
    source: str = "raw"  # "raw" or "synthetic": see analysis.source
    files: dict[str, str] = field(default_factory=dict)  # delivered file name -> SHA-256

    def summary(self) -> pd.DataFrame:
        rows = []
        for name, c in self.checked.items():
            top = "; ".join(f"{r} ({n})" for r, n in c.rule_counts().head(3).items())
            rows.append(
                {
                    "wave": self.wave,
                    "table": name,
                    "file": c.file.name,
                    "delivered": c.delivered,
                    "accepted": len(c.accepted),
                    "quarantined": len(c.quarantined),
                    "top_rules": top,
                }
            )
        return pd.DataFrame(
            rows, columns=["wave", "table", "file", "delivered", "accepted", "quarantined", "top_rules"]
        )


def spells_source(folder: Path, workers_file: Path | None) -> tuple[Path | None, str | None]:
    """Where a wave's flexible-pattern spells are: ``spells.xlsx`` or ``spells.csv``, else the
    ``spells`` sheet of the workers workbook (the data request workbook returned whole)."""
    found = find_source(folder, "spells")
    if found is not None or workers_file is None or workers_file.suffix.lower() not in (".xlsx", ".xlsm"):
        return found, None
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(workers_file, read_only=True)
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, InvalidFileException):
        return None, None  # an unreadable workbook is reported when its workers table is read
    try:
        sheet = next((n for n in wb.sheetnames if n.strip().lower() == "spells"), None)
    finally:
        wb.close()
    return (workers_file, sheet) if sheet else (None, None)


def check_admin(folder: Path, study: Study) -> tuple[dict[str, Checked], list[UnusableFileError]]:
    """Workers, then their flexible-pattern spells and visits (both need the accepted workers)."""
    checked: dict[str, Checked] = {}
    unusable: list[UnusableFileError] = []
    workers_file = find_source(folder, "workers")
    visits_file = find_source(folder, "visits")
    if workers_file:
        try:
            d = read_table(workers_file, spec_for("workers", study))
            checked["workers"] = check_table(d, spec_for("workers", study))
        except UnusableFileError as exc:
            unusable.append(exc)
    spells_file, sheet = spells_source(folder, workers_file)
    if spells_file:
        try:
            d = read_table(spells_file, spec_for("spells", study), sheet=sheet)
            workers = checked["workers"].accepted if "workers" in checked else None
            checked["spells"] = check_table(d, spec_for("spells", study), context={"workers": workers})
        except UnusableFileError as exc:
            unusable.append(exc)
    if visits_file:
        try:
            d = read_table(visits_file, spec_for("visits", study))
            workers = checked["workers"].accepted if "workers" in checked else None
            checked["visits"] = check_table(d, spec_for("visits", study), context={"workers": workers})
        except UnusableFileError as exc:
            unusable.append(exc)
    return checked, unusable


# -- what was delivered, and whether the cached tables are of it ------------------------------

_HASHES: dict[tuple, str] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, computed once per process for each (path, inode, size, modification and
    change times): a file rewritten in place changes its change time even where its size and
    modification time stay the same."""
    from analysis.provenance import sha256

    st = path.stat()
    key = (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _HASHES:
        _HASHES[key] = sha256(path)
    return _HASHES[key]


def delivered_files(folder: Path) -> list[Path]:
    """Every file in a wave's folder (hidden files such as ``.DS_Store`` aside)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def file_hashes(folder: Path) -> dict[str, str]:
    return {p.name: file_sha256(p) for p in delivered_files(folder)}


def source_checks(study: Study) -> list:
    """The study's checks, one per source (``SOURCE_CHECKS`` of its ``sources`` module): each
    ``fn(folder, study) -> (checked tables by name, unusable files)``."""
    checks = getattr(study.code("sources"), "SOURCE_CHECKS", None)
    if not checks:
        raise ConfigError(f"{study.module}.sources has no SOURCE_CHECKS: list the check of each source.")
    return list(checks)


def source_dir(wave: str, data_dir: Path | None = None, study: Study | None = None, source=None) -> Path:
    """The folder a wave's files are read from, in the build's one source (see
    :mod:`analysis.source`). Nothing is generated: a missing folder is an error that says what
    to do."""
    src = source if isinstance(source, DataSource) else resolve(source, data_dir, study)
    folder = src.wave_dir(wave)
    if not folder.is_dir():
        raise MissingDataError(src.missing_folder_message(wave))
    return folder


def validate_wave(
    wave: str, data_dir: Path | None = None, study: Study | None = None, write: bool = True, source=None
) -> WaveResult:
    """Validate every delivered file of ``wave`` and write tidy tables and quarantine files.

    ``source`` is a :class:`~analysis.source.DataSource`, or ``raw`` / ``synthetic`` / ``auto``
    (default: as :func:`analysis.source.resolve` decides)."""
    study = study or load_study()
    study.wave(wave)
    src = source if isinstance(source, DataSource) else resolve(source, data_dir, study)
    folder = source_dir(wave, study=study, source=src)
    files = file_hashes(folder)
    checked: dict[str, Checked] = {}
    unusable: list[UnusableFileError] = []
    for fn in source_checks(study):
        c, u = fn(folder, study)
        checked.update(c)
        unusable.extend(u)
    workers = checked.get("workers")
    warnings = wave_linkage(wave, workers.accepted["worker_id"], folder, study) if workers is not None else []
    result = WaveResult(wave, folder, checked, unusable, warnings, source=src.kind, files=files)
    if write:
        write_wave(result)
    return result


def write_wave(result: WaveResult) -> None:
    tdir, qdir = paths.tidy_dir(result.wave), paths.quarantine_dir(result.wave)
    tdir.mkdir(parents=True, exist_ok=True)
    qdir.mkdir(parents=True, exist_ok=True)
    for old in list(tdir.glob("*.parquet")) + list(qdir.glob("*.csv")):
        old.unlink()
    for name, c in result.checked.items():
        c.accepted.to_parquet(tdir / f"{name}.parquet", index=False)
        if len(c.quarantined):
            write_quarantine(c.quarantined, qdir / f"{name}.csv")
    summary = result.summary()
    write_validation_html(result)
    (tdir / "validation.json").write_text(
        json.dumps(
            {
                "wave": result.wave,
                "source": result.source,
                "source_dir": rel(result.source_dir),
                "files": result.files,
                "tables": summary.to_dict(orient="records"),
                "rules": {n: {str(k): int(v) for k, v in c.rule_counts().items()} for n, c in result.checked.items()},
                "unusable": [str(u) for u in result.unusable],
                "warnings": result.warnings,
            },
            indent=2,
            default=str,
        )
    )


def stale_reason(wave: str, src: DataSource | None = None) -> str | None:
    """Why a wave's tidy tables are not of the files delivered now (``None`` when they are)."""
    src = src or resolve()
    record = paths.tidy_dir(wave) / "validation.json"
    if not record.exists():
        return "its tidy tables have not been made yet"
    r = json.loads(record.read_text())
    folder = src.wave_dir(wave)
    if r.get("source") != src.kind or r.get("source_dir") != rel(folder):
        return f"its tidy tables were made from {r.get('source_dir')}/, and the data source is now {rel(folder)}/"
    if not folder.is_dir():
        raise MissingDataError(src.missing_folder_message(wave))
    before, now = r.get("files") or {}, file_hashes(folder)
    if before == now:
        return None
    changed = sorted(n for n in now if n in before and now[n] != before[n])
    added = sorted(set(now) - set(before))
    removed = sorted(set(before) - set(now))
    what = [f"{rel(folder / n)} changed" for n in changed]
    what += [f"{rel(folder / n)} is new" for n in added] + [f"{rel(folder / n)} is gone" for n in removed]
    return "; ".join(what) + " since its tidy tables were made"


def ensure_current(wave: str) -> None:
    """Re-validate ``wave`` when its tidy tables are missing or not of the delivered files."""
    src = resolve()
    why = stale_reason(wave, src)
    if why is not None:
        print(f"validating {wave} ({rel(src.wave_dir(wave))}/): {why}", file=sys.stderr)
        validate_wave(wave, source=src)


def read(wave: str, table: str) -> pd.DataFrame | None:
    """A tidy table of a wave, or ``None`` when that source was not delivered at this wave."""
    ensure_current(wave)
    p = paths.tidy_dir(wave) / f"{table}.parquet"
    return pd.read_parquet(p) if p.exists() else None


def validation_summary(wave: str) -> dict:
    ensure_current(wave)
    return json.loads((paths.tidy_dir(wave) / "validation.json").read_text())


def write_validation_html(result: WaveResult) -> Path:
    """A browsable validation report for one wave: the summary per table, files that could not
    be used, and every quarantined row with its file, row, column, rule and message.

    For the analyst only (it shows quarantined rows as delivered): it stays under ``_build/``.
    """
    import html

    out = paths.VALIDATION / f"{result.wave}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = [
        f"<h1>Validation: {html.escape(result.wave)}</h1>",
        f"<p>Files read from <code>{html.escape(str(result.source_dir))}</code>. Rows delivered = "
        "rows accepted + rows quarantined, for every table.</p>",
        result.summary().drop(columns=["wave"]).to_html(index=False, escape=True),
    ]
    if result.warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in result.warnings) + "</ul>")
    if result.unusable:
        parts.append(
            "<h2>Files that could not be used</h2><ul>"
            + "".join(f"<li>{html.escape(str(u))}</li>" for u in result.unusable)
            + "</ul>"
        )
    if any(len(c.quarantined) for c in result.checked.values()):
        parts.append(f"<p>{html.escape(SPREADSHEET_NOTE)}</p>")
    for name, c in result.checked.items():
        if len(c.quarantined):
            parts.append(f"<h2>{html.escape(name)}: {len(c.quarantined)} row(s) quarantined</h2>")
            parts.append(c.quarantined.to_html(index=False, escape=True, na_rep=""))
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:80em} table{border-collapse:collapse;"
        "font-size:.9em} td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left} th{background:#f3f5f8}"
    )
    out.write_text(
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Validation {html.escape(result.wave)}"
        f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>",
        encoding="utf-8",
    )
    return out
