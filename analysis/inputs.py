"""The one loader: everything a notebook needs about a wave, read once, at the edge.

A notebook calls :func:`load` once, then hands the tables to the pure builders in
:mod:`analysis.tables`; nothing downstream opens a file. The tidy tables come from
:func:`analysis.tidy.read` and the validation summaries from :func:`analysis.tidy.validation_summary`
(which validate the wave first when it has not been validated yet).

Besides the tidy tables:

- the codebook (``config/codebook.yml``) and the study's ``interview_plan:`` (``config/study.yml``);
- the names quotes are screened for: ``names.txt`` (one name a line) in the folder that holds the
  wave folders the data came from, i.e. ``data/raw/names.txt`` beside real data (a staff list the
  analyst keeps; never in git) and ``data/synthetic/names.txt`` beside the synthetic set (its
  made-up names, written by ``make data``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths, qda, tidy
from analysis.config import Study, load_study
from analysis.errors import AnalysisError
from analysis.qualitative import Interviews

NAMES_FILE = "names.txt"


class NotLoaded(AnalysisError, KeyError):
    """A notebook used a source it did not ask :func:`load` for."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


@dataclass(frozen=True)
class Inputs:
    """A wave's inputs as read by :func:`load`. Tables are ``None`` where a wave had no delivery.

    ``tables``: source table name -> wave id -> tidy table, for every wave up to ``wave`` (in
    wave order). ``validation``: wave id -> the validation summary of that wave.
    """

    study: Study
    wave: str
    tables: Mapping[str, Mapping[str, pd.DataFrame | None]]
    validation: Mapping[str, dict]
    codebook: pd.DataFrame | None = None
    names: tuple[str, ...] = ()
    interview_plan: Mapping[str, Mapping[str, Mapping[str, int]]] = field(default_factory=dict)
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # the study's INPUTS (see study_sources())

    def by_wave(self, table: str) -> dict[str, pd.DataFrame | None]:
        """``table`` at every wave up to this one (``None`` where it was not delivered)."""
        if table not in self.tables:
            asked = ", ".join(s for s, t in self.sources.items() if set(t) <= set(self.tables)) or "nothing"
            source = next((s for s, t in self.sources.items() if table in t), table)
            raise NotLoaded(
                f"The notebook uses the {table!r} table but loaded only: {asked}. "
                f"Add {source!r} to the sources in its inputs.load(...) call."
            )
        return dict(self.tables[table])

    def at(self, table: str) -> pd.DataFrame | None:
        """``table`` at this wave."""
        return self.by_wave(table).get(self.wave)

    def latest(self, table: str) -> tuple[str | None, pd.DataFrame | None]:
        """The most recent wave up to this one that has ``table`` (with rows), and that table."""
        for w, frame in reversed(self.by_wave(table).items()):
            if frame is not None and len(frame):
                return w, frame
        return None, None

    def stacked(self, table: str) -> pd.DataFrame | None:
        """``table`` of every wave up to this one, stacked; ``None`` when no wave has it."""
        frames = [f for f in self.by_wave(table).values() if f is not None and len(f)]
        return pd.concat(frames, ignore_index=True) if frames else None

    @property
    def workers(self) -> dict[str, pd.DataFrame | None]:
        return self.by_wave("workers")

    @property
    def spells(self) -> dict[str, pd.DataFrame | None]:
        """Each wave's flexible-pattern spells (``None`` where the wave has no spells table)."""
        return self.by_wave("spells")

    @property
    def visits(self) -> dict[str, pd.DataFrame | None]:
        return self.by_wave("visits")

    @property
    def survey(self) -> tuple[str | None, pd.DataFrame | None]:
        """(wave, table) of the most recent survey up to this wave."""
        return self.latest("survey")

    @property
    def interviews(self) -> Interviews | None:
        """The register and coded segments of every wave so far, with the codebook and the names
        to screen quotes for; ``None`` when no interview has been coded by this wave."""
        register, segments = self.stacked("interviews"), self.stacked("segments")
        if register is None or segments is None or self.codebook is None:
            return None
        return Interviews(register, segments, self.codebook, self.names)


def interview_plan(study: Study) -> dict[str, dict[str, dict[str, int]]]:
    """The protocol's interview plan from the study configuration: wave -> site -> group -> count."""
    plan = study.raw.get("interview_plan") or {}
    if not isinstance(plan, Mapping):
        raise AnalysisError(
            f"{paths.STUDY_CONFIG}: interview_plan must map wave -> site -> respondent group -> number of "
            f"interviews; it is a {type(plan).__name__}."
        )
    return {str(w): {str(s): dict(g or {}) for s, g in (sites or {}).items()} for w, sites in plan.items()}


def read_names(folders: Iterable[Path]) -> tuple[str, ...]:
    """Names from ``names.txt`` in each folder that has one (one name a line; blank lines and lines
    starting with ``#`` ignored), in order, without repeats."""
    names: list[str] = []
    for folder in folders:
        f = Path(folder) / NAMES_FILE
        if f.is_file():
            for line in f.read_text(encoding="utf-8").splitlines():
                name = line.strip()
                if name and not name.startswith("#") and name not in names:
                    names.append(name)
    return tuple(names)


def _data_folders(validation: Mapping[str, dict]) -> list[Path]:
    """The folders holding the wave folders the data were read from (e.g. ``data/raw``)."""
    folders: list[Path] = []
    for summary in validation.values():
        source = summary.get("source_dir")
        if source:
            parent = (paths.REPO / source).parent
            if parent not in folders:
                folders.append(parent)
    return folders


def study_sources(study: Study) -> dict[str, tuple[str, ...]]:
    """The sources a notebook of ``study`` may ask :func:`load` for, each with its tidy tables
    (``INPUTS`` of the study's ``sources`` module)."""
    found = getattr(study.code("sources"), "INPUTS", None)
    if not found:
        raise AnalysisError(f"{study.module}.sources has no INPUTS: name each source a notebook may load.")
    return {str(k): tuple(v) for k, v in found.items()}


def load(wave: str, sources: Iterable[str] | None = None, study: Study | None = None) -> Inputs:
    """Read the inputs of a notebook that reports as at ``wave``, once.

    Parameters
    ----------
    wave
        The wave the notebook reports as at; every wave up to it is read.
    sources
        Which of the study's sources the notebook uses (the keys of ``INPUTS`` in the study's
        ``sources`` module; all by default); the validation summaries are always read.
    study
        The study configuration (``config/study.yml`` by default).
    """
    study = study or load_study()
    waves = [w.id for w in study.waves_up_to(wave)]
    known = study_sources(study)
    asked = list(dict.fromkeys(known if sources is None else sources))
    unknown = [s for s in asked if s not in known]
    if unknown:
        raise AnalysisError(f"inputs.load: unknown source(s) {unknown}; choose from {list(known)}.")
    validation = {w: tidy.validation_summary(w) for w in waves}
    tables = {t: {w: tidy.read(w, t) for w in waves} for s in asked for t in known[s]}
    codebook, names = None, ()
    if "interviews" in asked:
        codebook = qda.load_codebook()
        names = read_names(_data_folders(validation))
    return Inputs(study, wave, tables, validation, codebook, names, interview_plan(study), known)
