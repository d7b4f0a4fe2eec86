"""Validation with quarantine of one fieldwork phase folder of the agile study, through the
engine's own entry points: :func:`analysis.load.read_table` reads each table as delivered,
:func:`analysis.validate.check_table` types it, runs the pandera schema and the row rules of
:mod:`analysis.studies.agile.schemas` and quarantines failing rows with file, row, column, rule and
message; the coded segments go through :func:`analysis.qda.read_qdpx` and
:func:`analysis.qda.check_segments` against the study's codebook. Rows delivered = accepted +
quarantined, for every table.

Before typing, delivered spellings are made canonical, as :func:`analysis.qda.check_register`
does for the flexitime register: authorities and phases by id, name or label (any case), roles,
and each of several values in one cell (modes, roles of others); consents written ``yes`` / ``no``
read as true / false.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis import paths, qda
from analysis.config import Study
from analysis.errors import UnusableFileError
from analysis.load import Delivered, find_source, read_table
from analysis.studies.agile.schemas import (
    INTERVIEWS,
    OBSERVATIONS,
    PARTICIPANTS,
    canonical_list,
    others_allowed,
    spec_for,
    vocabulary,
)
from analysis.validate import Checked, check_table, write_quarantine

YES = {"yes": "true", "y": "true", "no": "false", "n": "false"}


def _key(value: Any) -> str:
    return " ".join(str(value).replace("_", " ").lower().split())


def _canonical(value: Any, mapping: dict[str, str]) -> Any:
    """The configured spelling of a delivered value (any case and spacing), else the value."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return value
    return mapping.get(_key(value), value)


def _names(study: Study) -> dict[str, dict[str, str]]:
    sites = {**{_key(s.name): s.id for s in study.sites}, **{_key(s.id): s.id for s in study.sites}}
    waves = {**{_key(w.label): w.id for w in study.waves}, **{_key(w.id): w.id for w in study.waves}}
    return {"authority": sites, "phase": waves}


def _yes_no(value: Any) -> Any:
    return YES.get(_key(value), value) if isinstance(value, str) else value


def normalise_participants(delivered: Delivered, study: Study) -> pd.DataFrame:
    frame = delivered.frame.copy()
    frame["authority"] = frame["authority"].map(lambda v: _canonical(v, _names(study)["authority"]))
    for col in ("consent_observation", "consent_interview"):
        frame[col] = frame[col].map(_yes_no)
    return frame


def normalise_observations(delivered: Delivered, study: Study) -> pd.DataFrame:
    frame = delivered.frame.copy()
    names = _names(study)
    for col in ("authority", "phase"):
        frame[col] = frame[col].map(lambda v, m=names[col]: _canonical(v, m))
    v = vocabulary(study)
    frame["modes"] = frame["modes"].map(lambda c: canonical_list(c, v["modes"], v["separators"]))
    frame["others_roles"] = frame["others_roles"].map(
        lambda c: canonical_list(c, others_allowed(study), v["separators"])
    )
    return frame


def normalise_register(delivered: Delivered, study: Study) -> pd.DataFrame:
    """As :func:`analysis.qda.check_register` normalises the flexitime register (site, wave and
    group by id or name; the interview id without a transcript file suffix)."""
    frame = delivered.frame.copy()
    for col, mapping in qda._register_mappings(study).items():
        frame[col] = frame[col].map(lambda v, m=mapping: qda._canonical(v, m))
    frame["interview_id"] = frame["interview_id"].map(qda._interview_key)
    return frame


def check_participants(path: Path, study: Study) -> Checked:
    spec = spec_for(PARTICIPANTS, study)
    d = read_table(path, spec)
    return check_table(d, spec, frame=normalise_participants(d, study))


def check_observations(path: Path, study: Study, participants: pd.DataFrame | None) -> Checked:
    """The observation log, checked against the accepted participants (``None``: not delivered,
    and then every observation fails ``participant_in_register``)."""
    spec = spec_for(OBSERVATIONS, study)
    d = read_table(path, spec)
    return check_table(d, spec, context={PARTICIPANTS: participants}, frame=normalise_observations(d, study))


def check_register(path: Path, study: Study, participants: pd.DataFrame | None) -> Checked:
    spec = spec_for(INTERVIEWS, study)
    d = read_table(path, spec)
    return check_table(d, spec, context={PARTICIPANTS: participants}, frame=normalise_register(d, study))


def check_phase(
    folder: Path, study: Study, codebook: pd.DataFrame | None = None
) -> tuple[dict[str, Checked], list[UnusableFileError]]:
    """Validate every source in one phase folder, in dependency order: the participants register,
    then the observation log and the interview register (both need the accepted participants),
    then the coded segments (they need the accepted interviews and the codebook).

    The same shape as the engine's per-source checks (:data:`analysis.studies.agile.sources.SOURCE_CHECKS`
    wraps it): checked
    tables by name (``participants``, ``observations``, ``interviews``, ``segments``) and the
    files that could not be used at all. A source that is not in the folder is left out.
    """
    folder = Path(folder)
    checked: dict[str, Checked] = {}
    unusable: list[UnusableFileError] = []

    def attempt(name: str, fn, *args) -> None:
        try:
            checked[name] = fn(*args)
        except UnusableFileError as exc:
            unusable.append(exc)

    if (p := find_source(folder, PARTICIPANTS)) is not None:
        attempt(PARTICIPANTS, check_participants, p, study)
    participants = checked[PARTICIPANTS].accepted if PARTICIPANTS in checked else None
    if (p := find_source(folder, OBSERVATIONS)) is not None:
        attempt(OBSERVATIONS, check_observations, p, study, participants)
    if (p := find_source(folder, qda.REGISTER)) is not None:
        attempt(INTERVIEWS, check_register, p, study, participants)
    seg_file = next((p for p in (folder / qda.QDPX_FILE, folder / qda.SEGMENTS_FILE) if p.exists()), None)
    if seg_file is not None:
        codebook = qda.load_codebook(paths.CODEBOOK) if codebook is None else codebook
        register = checked.get(INTERVIEWS)
        try:
            if seg_file.suffix.lower() == ".qdpx":
                project = qda.read_qdpx(seg_file)
                checked["segments"] = qda.check_segments(project.segments, codebook, register, project.problems)
            else:
                checked["segments"] = qda.check_segments(qda.read_segments_csv(seg_file), codebook, register)
        except UnusableFileError as exc:
            unusable.append(exc)
    return checked, unusable


def write_phase_quarantine(checked: dict[str, Checked], folder: Path) -> list[Path]:
    """Write each table's quarantined rows to ``folder/<table>.csv`` (safe to open in Excel)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_quarantine(c.quarantined, folder / f"{n}.csv") for n, c in checked.items() if len(c.quarantined)]


def summary(checked: dict[str, Checked]) -> pd.DataFrame:
    """Delivered, accepted and quarantined rows per table, with the rules that quarantined them."""
    rows = [
        {
            "table": name,
            "file": c.file.name,
            "delivered": c.delivered,
            "accepted": len(c.accepted),
            "quarantined": len(c.quarantined),
            "rules": "; ".join(f"{r} ({n})" for r, n in c.rule_counts().items()),
        }
        for name, c in checked.items()
    ]
    return pd.DataFrame(rows, columns=["table", "file", "delivered", "accepted", "quarantined", "rules"])
