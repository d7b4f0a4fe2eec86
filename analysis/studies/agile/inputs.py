"""The agile notebooks' loader: a thin adapter over the engine's one loader.

A notebook calls :func:`load` once with its ``wave`` (a fieldwork phase). The engine's
:func:`analysis.inputs.load` reads the tidy tables of every phase up to it from the cache under
``_build/data/<phase>/`` (validating a phase first when its cache is missing or stale, through
:data:`analysis.studies.agile.sources.SOURCE_CHECKS`); :func:`from_inputs` stacks the phases into the
tables the builders of :mod:`analysis.studies.agile.tables` take. With no data, the engine's message
applies (``make data STUDY=agile`` writes the synthetic set). Quarantined rows are not in the tidy
tables; the validation summaries count them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.config import Study
from analysis.inputs import Inputs
from analysis.studies.agile.codebook import load_findings_areas, load_findings_map

# What every agile notebook reads (names in analysis.studies.agile.sources.INPUTS).
SOURCES = ("participants", "observations", "interviews")
VALIDATION_COLUMNS = ["phase", "table", "file", "delivered", "accepted", "quarantined", "rules"]


@dataclass(frozen=True)
class AgileInputs:
    """Everything the agile notebooks need, as at ``phase``: accepted rows of every phase so far."""

    study: Study
    phase: str
    participants: pd.DataFrame  # the register as at the latest phase (one row per participant)
    observations: pd.DataFrame
    register: pd.DataFrame  # interviews: interview_id, site, wave, date, group, participant_id
    segments: pd.DataFrame
    codebook: pd.DataFrame
    findings: pd.DataFrame  # code id -> findings area (one row per pair)
    areas: dict[str, str]
    names: tuple[str, ...]
    validation: pd.DataFrame  # delivered / accepted / quarantined per phase and table


def load(wave: str, study: Study | None = None) -> AgileInputs:
    """The inputs of a notebook that reports as at phase ``wave``, read once through the engine's
    loader (:func:`analysis.inputs.load`) and stacked (:func:`from_inputs`)."""
    from analysis import inputs

    return from_inputs(inputs.load(wave, sources=SOURCES, study=study))


def _stack(inp: Inputs, table: str) -> pd.DataFrame:
    frame = inp.stacked(table)
    return pd.DataFrame() if frame is None else frame.reset_index(drop=True)


def latest_participants(inp: Inputs) -> pd.DataFrame:
    """One row per participant: the register of the latest phase that lists them (phases in order)."""
    frame = _stack(inp, "participants")
    if not len(frame):
        return frame
    return frame.drop_duplicates("participant_id", keep="last").reset_index(drop=True)


def validation_table(inp: Inputs) -> pd.DataFrame:
    """Delivered, accepted and quarantined rows per phase (label) and table, with the rules that
    quarantined them, from each phase's ``validation.json``."""
    labels = {w.id: w.label for w in inp.study.waves}
    rows = []
    for phase, summary in inp.validation.items():
        rules = summary.get("rules") or {}
        for t in summary.get("tables") or []:
            counts = rules.get(t["table"]) or {}
            rows.append(
                {
                    "phase": labels.get(phase, phase),
                    "table": t["table"],
                    "file": t["file"],
                    "delivered": int(t["delivered"]),
                    "accepted": int(t["accepted"]),
                    "quarantined": int(t["quarantined"]),
                    "rules": "; ".join(f"{r} ({n})" for r, n in counts.items()),
                }
            )
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)


def from_inputs(inp: Inputs, codebook_path: Path | None = None) -> AgileInputs:
    """Stack what the engine's loader read into :class:`AgileInputs`: observations, the interview
    register and coded segments of every phase so far; the participants register as at the latest
    phase; the findings areas of the codebook (``analysis.paths.CODEBOOK`` unless
    ``codebook_path``)."""
    codebook_path = Path(codebook_path or paths.CODEBOOK)
    return AgileInputs(
        study=inp.study,
        phase=inp.wave,
        participants=latest_participants(inp),
        observations=_stack(inp, "observations"),
        register=_stack(inp, "interviews"),
        segments=_stack(inp, "segments"),
        codebook=inp.codebook if inp.codebook is not None else pd.DataFrame(),
        findings=load_findings_map(codebook_path),
        areas=load_findings_areas(codebook_path),
        names=tuple(inp.names),
        validation=validation_table(inp),
    )
