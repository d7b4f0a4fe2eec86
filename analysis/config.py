"""The study configuration: one object, loaded from ``config/study.yml``.

Code reads sites, waves, thresholds and report settings from here and never hard-codes them.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from analysis import paths
from analysis.errors import ConfigError


@dataclass(frozen=True)
class Window:
    """A fieldwork window: the first and last day (both included) on which one source is
    collected at one site in one wave, from the protocol's data collection schedule."""

    site: str
    source: str
    start: dt.date
    end: dt.date
    label: str = ""  # the site's own name for this round, when it differs from the wave's label

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def text(self) -> str:
        """The window in words, e.g. '1 March 2021 to 31 March 2021'."""
        return f"{_day(self.start)} to {_day(self.end)}"


@dataclass(frozen=True)
class Wave:
    id: str
    label: str
    date: dt.date  # the cut date: the administrative extract is "as at" this day
    months_since_launch: int
    windows: tuple[Window, ...] = ()

    def window(self, site: str, source: str) -> Window | None:
        """The fieldwork window of ``source`` at ``site`` in this wave (``None`` when not planned)."""
        return next((w for w in self.windows if w.site == site and w.source == source), None)

    def label_for(self, site: str) -> str:
        """The wave's label at ``site``: the site's own name for the round when it has one."""
        return next((w.label for w in self.windows if w.site == site and w.label), self.label)


@dataclass(frozen=True)
class ReturnToOffice:
    """The return to some office working before the endline, as recorded: its date and how it
    was established (e.g. "confirmed by both local authorities' project leads by email")."""

    date: dt.date
    established_by: str


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    sources: tuple[str, ...]
    teams: tuple[str, ...]
    established: bool = False  # the offer was in place before the pilot's launch


@dataclass(frozen=True)
class Report:
    id: str
    title: str
    subtitle: str
    date: dt.date
    waves: tuple[str, ...]
    site: str | None = None  # a report about one site (e.g. a case study): its notebooks get parameter `site`

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
    theme_min: int = 5  # no prevalence words for a column of fewer interviewees than this
    quote_min: int = 3  # a quote's attribution covers at least this many interviewees
    merge_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (merged name, respondent groups), in order


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
    return_to_office: ReturnToOffice | None = None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    # -- the study's own code -------------------------------------------------------------
    @property
    def module(self) -> str:
        """The package of the study's own code (``study.module`` in the configuration): its
        indicators, tables and synthetic data, under ``analysis/studies/``."""
        name = self.raw.get("study", {}).get("module")
        if not name:
            raise ConfigError(
                f"{paths.STUDY_CONFIG}: `study.module` is not set: name the package of the study's own code "
                "(e.g. analysis.studies.<name>) under `study:`."
            )
        return str(name)

    def code(self, part: str) -> ModuleType:
        """The study's module ``part`` (e.g. ``"synthetic"``, ``"indicators"``), imported."""
        name = f"{self.module}.{part}"
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                raise ConfigError(
                    f"{paths.STUDY_CONFIG}: the study's code has no module {name} (`study.module`)."
                ) from exc
            raise

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

    def report_for_wave(self, wave: str) -> str:
        """The report whose last wave ``wave`` is (the first such report in the configuration), or the
        wave itself when no report ends at it: the report a notebook executed for ``wave`` makes outputs
        for (see :mod:`analysis.outputs`)."""
        return next((r.id for r in self.reports if r.last_wave == wave), wave)

    def report_for_run(self, wave: str, site: str | None = None) -> str:
        """The report a notebook executed with these parameters makes outputs for: the report about
        ``site`` that ends at ``wave`` when there is one, else :meth:`report_for_wave`."""
        if site:
            found = next((r.id for r in self.reports if r.site == site and r.last_wave == wave), None)
            if found:
                return found
        return self.report_for_wave(wave)

    def report_run(self, report_id: str) -> str | None:
        """The run of its own that a report gets (its id), or ``None`` when it is made from the
        notebooks executed for its last wave: a report about one site (``site:``), or one that is not
        the report of its last wave (:meth:`report_for_wave`), has the notebooks it embeds executed
        for it, with its parameters, into ``_build/notebooks/<wave>/<report>/``."""
        r = self.report(report_id)
        return r.id if r.site is not None or self.report_for_wave(r.last_wave) != r.id else None

    def report_parameters(self, report_id: str) -> dict[str, Any]:
        """The parameters the notebooks of a report's run get: its last wave's (``config/waves/``),
        and ``site`` when the report is about one site."""
        r = self.report(report_id)
        params = wave_parameters(r.last_wave)
        if r.site is not None:
            params["site"] = r.site
        return params

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


def _day(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def return_to_office_sentence(study: Study) -> str:
    """The sentence the final report gives on the return to office working: stated when the
    configuration records it, otherwise that it was not confirmed.

    >>> import dataclasses
    >>> s = dataclasses.replace(load_study(), return_to_office=None)
    >>> return_to_office_sentence(s)
    'The return to some office working before the endline interviews was not confirmed.'
    >>> s = dataclasses.replace(s, return_to_office=ReturnToOffice(dt.date(2021, 11, 1), "the project leads"))
    >>> return_to_office_sentence(s)
    'Social workers returned to some office working from 1 November 2021 (established by: the project leads).'
    """
    r = study.return_to_office
    if r is None:
        return "The return to some office working before the endline interviews was not confirmed."
    return f"Social workers returned to some office working from {_day(r.date)} (established by: {r.established_by})."


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
        int(d["threshold"]),
        int(d["dominance_n"]),
        float(d["dominance_k"]),
        float(d["p_ratio"]),
        mitigation,
        base,
        *_interview_rules(d),
    )


def _interview_rules(d: dict[str, Any]) -> tuple[int, int, tuple[tuple[str, tuple[str, ...]], ...]]:
    """``theme_min_interviewees``, ``quote_min_interviewees`` and ``merge_groups`` of ``disclosure:``."""
    mins = []
    for key, default in (("theme_min_interviewees", 5), ("quote_min_interviewees", 3)):
        v = d.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"{paths.STUDY_CONFIG}: disclosure.{key} must be a whole number, 1 or more, got {v!r}.")
        mins.append(v)
    merges = []
    for k, rule in enumerate(d.get("merge_groups") or []):
        groups = rule.get("groups") if isinstance(rule, dict) else None
        if not isinstance(rule, dict) or not str(rule.get("name") or "").strip() or not isinstance(groups, list):
            raise ConfigError(
                f"{paths.STUDY_CONFIG}: disclosure.merge_groups[{k}] needs `name:` and `groups:` (a list of "
                f"respondent groups), got {rule!r}."
            )
        merges.append((str(rule["name"]).strip(), tuple(str(g) for g in groups)))
    return mins[0], mins[1], tuple(merges)


def _windows(w: dict[str, Any], sites: tuple[Site, ...]) -> tuple[Window, ...]:
    """A wave's ``fieldwork:`` mapping (site id -> source -> {from, to}, and an optional ``label``)."""
    site_ids = {s.id: s for s in sites}
    out = []
    for site_id, sources in (w.get("fieldwork") or {}).items():
        where = f"waves.{w['id']}.fieldwork.{site_id}"
        if site_id not in site_ids:
            raise ConfigError(f"{paths.STUDY_CONFIG}: {where}: unknown site (sites: {', '.join(site_ids)}).")
        sources = dict(sources or {})
        label = str(sources.pop("label", "") or "")
        for source, span in sources.items():
            if source not in site_ids[site_id].sources:
                raise ConfigError(
                    f"{paths.STUDY_CONFIG}: {where}.{source}: {site_ids[site_id].name} does not deliver {source} "
                    f"(its sources: {', '.join(site_ids[site_id].sources)})."
                )
            if not isinstance(span, dict) or "from" not in span or "to" not in span:
                raise ConfigError(f"{paths.STUDY_CONFIG}: {where}.{source} needs `from:` and `to:` dates.")
            start, end = _date(span["from"], f"{where}.{source}.from"), _date(span["to"], f"{where}.{source}.to")
            if end < start:
                raise ConfigError(f"{paths.STUDY_CONFIG}: {where}.{source}: `to` ({end}) is before `from` ({start}).")
            out.append(Window(site_id, source, start, end, label))
    return tuple(out)


def _return_to_office(value: Any) -> ReturnToOffice | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("date") or not str(value.get("established_by") or "").strip():
        raise ConfigError(
            f"{paths.STUDY_CONFIG}: return_to_office must be null (not recorded) or give `date:` and "
            f"`established_by:` (how the date was established), got {value!r}."
        )
    return ReturnToOffice(_date(value["date"], "return_to_office.date"), str(value["established_by"]).strip())


def parse_study(data: dict[str, Any]) -> Study:
    """Build a :class:`Study` from the parsed YAML mapping.

    >>> s = parse_study(yaml.safe_load(paths.STUDY_CONFIG.read_text()))
    >>> s.disclosure.threshold, len(s.waves)
    (10, 3)
    """
    try:
        st = data["study"]
        sites = tuple(
            Site(s["id"], s["name"], tuple(s.get("sources", [])), tuple(s.get("teams", [])), bool(s.get("established")))
            for s in data["sites"]
        )
        waves = tuple(
            Wave(
                w["id"],
                w["label"],
                _date(w["date"], f"waves.{w['id']}.date"),
                int(w["months_since_launch"]),
                _windows(w, sites),
            )
            for w in data["waves"]
        )
        reports = tuple(
            Report(
                r["id"],
                r["title"],
                r.get("subtitle", ""),
                _date(r["date"], f"reports.{r['id']}.date"),
                tuple(r["waves"]),
                str(r["site"]) if r.get("site") else None,
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
            working_patterns=tuple(data.get("working_patterns") or ()),  # optional: a study may have none
            flexible_patterns=tuple(data.get("flexible_patterns") or ()),
            reports=reports,
            seed=int(data.get("synthetic", {}).get("seed", 0)),
            return_to_office=_return_to_office(data.get("return_to_office")),
            raw=data,
        )
    except KeyError as exc:
        raise ConfigError(f"{paths.STUDY_CONFIG}: required setting {exc} is missing.") from exc
    ids = [w.id for w in waves]
    site_ids = [s.id for s in sites]
    for r in reports:
        unknown = [w for w in r.waves if w not in ids]
        if unknown:
            raise ConfigError(f"{paths.STUDY_CONFIG}: report '{r.id}' names unknown wave(s) {unknown}.")
        if r.site is not None and r.site not in site_ids:
            raise ConfigError(
                f"{paths.STUDY_CONFIG}: report '{r.id}' has site {r.site!r}, which is not under `sites:` "
                f"(sites: {', '.join(site_ids)})."
            )
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
