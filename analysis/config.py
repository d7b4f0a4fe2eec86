"""The study configuration: one object, loaded from ``config/study.yml``.

Code reads sites, waves, thresholds and report settings from here and never hard-codes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from analysis import paths
from analysis.errors import ConfigError


@dataclass(frozen=True)
class Wave:
    id: str
    label: str
    date: dt.date
    months_since_launch: int


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    sources: tuple[str, ...]
    teams: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    id: str
    title: str
    subtitle: str
    date: dt.date
    waves: tuple[str, ...]

    @property
    def last_wave(self) -> str:
        """The wave a report is written 'as at': its notebooks are executed for this wave."""
        return self.waves[-1]


@dataclass(frozen=True)
class Disclosure:
    threshold: int
    dominance_n: int
    dominance_k: float
    p_ratio: float
    mitigation: str = "suppress"  # "suppress" (the default) or "round" (acro's mitigations)
    round_base: int = 5  # acro's safe_round_base, used when mitigation is "round"


@dataclass(frozen=True)
class Study:
    title: str
    short_title: str
    evaluator: str
    intervention: str
    launch_date: dt.date
    sites: tuple[Site, ...]
    waves: tuple[Wave, ...]
    thresholds: dict[str, float]
    disclosure: Disclosure
    roles: tuple[str, ...]
    working_patterns: tuple[str, ...]
    flexible_patterns: tuple[str, ...]
    reports: tuple[Report, ...]
    seed: int
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    # -- look-ups -------------------------------------------------------------------------
    @property
    def wave_ids(self) -> list[str]:
        return [w.id for w in self.waves]

    def wave(self, wave_id: str) -> Wave:
        for w in self.waves:
            if w.id == wave_id:
                return w
        raise ConfigError(
            f"Wave '{wave_id}' is not in {paths.STUDY_CONFIG} (waves: {', '.join(self.wave_ids)}). "
            "Add it under `waves:` with its date, and a parameter file config/waves/<wave>.yml."
        )

    def waves_up_to(self, wave_id: str) -> list[Wave]:
        """The waves from the first up to and including ``wave_id``, in time order."""
        ids = self.wave_ids
        self.wave(wave_id)
        return list(self.waves[: ids.index(wave_id) + 1])

    def report(self, report_id: str) -> Report:
        for r in self.reports:
            if r.id == report_id:
                return r
        raise ConfigError(
            f"Report '{report_id}' is not in {paths.STUDY_CONFIG} (reports: {', '.join(r.id for r in self.reports)})."
        )

    def site(self, site_id: str) -> Site:
        for s in self.sites:
            if s.id == site_id:
                return s
        raise ConfigError(f"Site '{site_id}' is not in {paths.STUDY_CONFIG}.")

    @property
    def admin_site(self) -> Site:
        """The site that delivers the administrative data (workers and visits)."""
        for s in self.sites:
            if "workers" in s.sources:
                return s
        raise ConfigError(f"No site in {paths.STUDY_CONFIG} lists `workers` among its sources.")


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{paths.STUDY_CONFIG}: {where} must be a date like 2021-03-01, got {value!r}.") from exc


def _disclosure(d: dict[str, Any]) -> Disclosure:
    mitigation = d.get("mitigation", "suppress")
    if mitigation not in ("suppress", "round"):
        raise ConfigError(
            f"{paths.STUDY_CONFIG}: disclosure.mitigation must be 'suppress' or 'round', got {mitigation!r}."
        )
    base = d.get("round_base", 5)
    if isinstance(base, bool) or not isinstance(base, int) or base < 1:
        raise ConfigError(
            f"{paths.STUDY_CONFIG}: disclosure.round_base must be a whole number, 1 or more, got {base!r}."
        )
    return Disclosure(
        int(d["threshold"]), int(d["dominance_n"]), float(d["dominance_k"]), float(d["p_ratio"]), mitigation, base
    )


def parse_study(data: dict[str, Any]) -> Study:
    """Build a :class:`Study` from the parsed YAML mapping.

    >>> s = parse_study(yaml.safe_load(paths.STUDY_CONFIG.read_text()))
    >>> s.thresholds["take_up"], s.disclosure.threshold
    (0.3, 10)
    """
    try:
        st = data["study"]
        waves = tuple(
            Wave(w["id"], w["label"], _date(w["date"], f"waves.{w['id']}.date"), int(w["months_since_launch"]))
            for w in data["waves"]
        )
        sites = tuple(
            Site(s["id"], s["name"], tuple(s.get("sources", [])), tuple(s.get("teams", []))) for s in data["sites"]
        )
        reports = tuple(
            Report(
                r["id"],
                r["title"],
                r.get("subtitle", ""),
                _date(r["date"], f"reports.{r['id']}.date"),
                tuple(r["waves"]),
            )
            for r in data["reports"]
        )
        d = data["disclosure"]
        study = Study(
            title=st["title"],
            short_title=st["short_title"],
            evaluator=st["evaluator"],
            intervention=st["intervention"],
            launch_date=_date(st["launch_date"], "study.launch_date"),
            sites=sites,
            waves=waves,
            thresholds={k: float(v) for k, v in data["thresholds"].items()},
            disclosure=_disclosure(d),
            roles=tuple(data["roles"]),
            working_patterns=tuple(data["working_patterns"]),
            flexible_patterns=tuple(data["flexible_patterns"]),
            reports=reports,
            seed=int(data.get("synthetic", {}).get("seed", 0)),
            raw=data,
        )
    except KeyError as exc:
        raise ConfigError(f"{paths.STUDY_CONFIG}: required setting {exc} is missing.") from exc
    ids = [w.id for w in waves]
    for r in reports:
        unknown = [w for w in r.waves if w not in ids]
        if unknown:
            raise ConfigError(f"{paths.STUDY_CONFIG}: report '{r.id}' names unknown wave(s) {unknown}.")
    return study


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Study:
    with open(path, encoding="utf-8") as fh:
        return parse_study(yaml.safe_load(fh))


def load_study(path: Path | None = None) -> Study:
    """Load (and cache) the study configuration."""
    p = Path(path) if path else paths.STUDY_CONFIG
    if not p.exists():
        raise ConfigError(f"The study configuration {p} is missing.")
    return _load(str(p), p.stat().st_mtime)


def wave_parameters(wave: str) -> dict[str, Any]:
    """The parameters papermill injects for ``wave`` (from ``config/waves/<wave>.yml``)."""
    p = paths.wave_config(wave)
    if not p.exists():
        raise ConfigError(f"No parameter file for wave '{wave}': create {p} (copy another wave's file).")
    params = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    if params.get("wave") != wave:
        raise ConfigError(f"{p}: `wave:` must be '{wave}', got {params.get('wave')!r}.")
    return params
