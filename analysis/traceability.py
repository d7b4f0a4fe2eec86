"""The traceability appendix: every question, sub-question and success criterion of the protocol,
with the section, table or figure of the report that answers it and the data it draws on.

The items live in the study's protocol configuration (``config/protocol.yml``): each has an id, a
kind, the protocol's wording, its answer (a section label and/or the labels of embedded notebook
cells), optional interview themes (codebook ids), its sources and the first wave whose data can
answer it. A report answers an item when it reports as at that wave or a later one.

Two checks keep the appendix honest, and the build runs both before it renders a report:

- :func:`parse_protocol` refuses an item without an answer, and one that names an unknown kind,
  wave, source, survey question or theme;
- :func:`report_problems` lists every label an item answered in a report names that the report's
  source (``report/<report>.qmd``) neither embeds (``{{< embed ...#label >}}``) nor gives a section
  (``{#sec-...}``).

Reading files happens in :func:`load_protocol` and :func:`check_report` only; the rest is pure.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis import paths
from analysis.config import Report, Study
from analysis.errors import ConfigError

KINDS = {
    "objective": "objective",
    "question": "question",
    "sub-question": "sub-question",
    "criterion": "success criterion",
    "aim": "aim",
}
LABEL = re.compile(r"(sec|tbl|fig)-[\w-]+")
QUESTION = re.compile(r"Q(\d+)(?:-Q(\d+))?")
EMBEDDED = re.compile(r"\{\{<\s*embed\s+\S+?#([\w-]+)\s*>\}\}")
SECTION = re.compile(r"\{#(sec-[\w-]+)[\s}]")
COLUMNS = ["Item", "Kind", "Protocol wording", "Answered by", "Sources", "Answered in"]


class TraceabilityError(ConfigError):
    """The protocol configuration, or a report source, leaves a protocol item without an answer."""


@dataclass(frozen=True)
class Item:
    """One row of the protocol's research-questions table."""

    id: str
    kind: str
    wording: str
    section: str | None
    outputs: tuple[str, ...]
    themes: tuple[str, ...]
    sources: tuple[tuple[str, tuple[str, ...]], ...]  # (source, survey questions), e.g. ("survey", ("Q4",))
    wave: str  # the first wave whose data can answer it
    threshold: str | None = None  # a criterion's key in the study's thresholds

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label the item names: its section first, then its outputs."""
        return ((self.section,) if self.section else ()) + self.outputs


@dataclass(frozen=True)
class Protocol:
    items: tuple[Item, ...]
    source_labels: Mapping[str, str]
    path: Path


# -- reading and checking the configuration ------------------------------------------------------


def _questions(tokens: Sequence[str], known: Collection[str], where: str) -> tuple[list[str], list[str]]:
    """Survey question ids (``Q4``, ``Q5-Q7``) checked against the survey's questions."""
    out, problems = [], []
    for token in tokens:
        m = QUESTION.fullmatch(token)
        if not m:
            problems.append(f"{where}: {token!r} is not a survey question (write Q4, or a range Q5-Q7).")
            continue
        ends = [f"Q{m.group(1)}"] + ([f"Q{m.group(2)}"] if m.group(2) else [])
        unknown = [q for q in ends if known and q not in known]
        if unknown:
            problems.append(f"{where}: the survey has no question {', '.join(unknown)}.")
        out.append(token)
    return out, problems


def _item(raw: Any, i: int, study: Study, sources: Mapping[str, str], known: dict) -> tuple[Item | None, list[str]]:
    """One item of ``items:``, or the problems that stop it being one."""
    if not isinstance(raw, Mapping):
        return None, [f"items[{i}] must be a mapping with id, kind, wording, answer and sources."]
    item_id = str(raw.get("id") or "").strip()
    where = f"item {item_id}" if item_id else f"items[{i}] (no id)"
    problems = [] if item_id else [f"{where}: give it an `id:`."]
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}.")
    wording = " ".join(str(raw.get("wording") or "").split())
    if not wording:
        problems.append(f"{where}: give the protocol's `wording:`.")
    answer = raw.get("answer") or {}
    if not isinstance(answer, Mapping):
        answer = {}
    section = str(answer["section"]).strip() if answer.get("section") else None
    outputs = tuple(str(o).strip() for o in (answer.get("outputs") or []))
    if not section and not outputs:
        problems.append(
            f"{where}: no answer. Give `answer: {{section: sec-..., outputs: [tbl-..., fig-...]}}`: "
            "the section, table or figure of the report that answers it."
        )
    if section and not section.startswith("sec-"):
        problems.append(f"{where}: answer section {section!r} must be a section label (sec-...).")
    for label in outputs:
        if not LABEL.fullmatch(label) or label.startswith("sec-"):
            problems.append(f"{where}: output {label!r} must be the label of a table or figure (tbl-... or fig-...).")
    themes = tuple(str(t) for t in (raw.get("themes") or []))
    for t in themes:
        if known["codes"] is not None and t not in known["codes"]:
            problems.append(f"{where}: theme {t!r} is not a code of the codebook ({paths.CODEBOOK.name}).")
    parsed_sources = []
    for s in raw.get("sources") or []:
        name, *rest = str(s).split()
        if name not in sources:
            problems.append(f"{where}: source {name!r} is not one of {', '.join(sources)} (`sources:` at the top).")
            continue
        if rest and name != "survey":
            problems.append(f"{where}: only the survey source takes question ids, not {name!r} ({s!r}).")
        qs, bad = _questions(rest, known["questions"], where)
        problems += bad
        parsed_sources.append((name, tuple(qs)))
    if not parsed_sources and not any("source" in p for p in problems):
        problems.append(f"{where}: give its `sources:` (one or more of {', '.join(sources)}).")
    wave = str(raw.get("wave") or study.wave_ids[0])
    if wave not in study.wave_ids:
        problems.append(f"{where}: wave {wave!r} is not a wave of the study ({', '.join(study.wave_ids)}).")
    threshold = raw.get("threshold")
    if threshold is not None and threshold not in study.thresholds:
        problems.append(
            f"{where}: threshold {threshold!r} is not in the study's thresholds ({', '.join(study.thresholds)})."
        )
    if problems:
        return None, problems
    return Item(item_id, kind, wording, section, outputs, themes, tuple(parsed_sources), wave, threshold), []


def parse_protocol(
    data: Any,
    study: Study,
    path: Path | None = None,
    survey_questions: Collection[str] | None = None,
    codes: Collection[str] | None = None,
) -> Protocol:
    """The protocol items from the parsed YAML, every problem reported at once.

    ``survey_questions`` and ``codes`` (codebook ids) are checked when given.

    >>> from analysis.config import load_study
    >>> p = parse_protocol({"sources": {"visits": "Case visits"}, "items": [
    ...     {"id": "2b", "kind": "question", "wording": "Did timeliness change?",
    ...      "answer": {"outputs": ["tbl-timeliness"]}, "sources": ["visits"], "wave": "interim"}]}, load_study())
    >>> p.items[0].labels, p.items[0].wave
    (('tbl-timeliness',), 'interim')
    >>> try:
    ...     parse_protocol({"sources": {"visits": "Case visits"}, "items": [{"id": "2b", "kind": "question",
    ...         "wording": "Did timeliness change?", "sources": ["visits"]}]}, load_study(), Path("protocol.yml"))
    ... except TraceabilityError as exc:
    ...     print(str(exc)[:40])
    protocol.yml: item 2b: no answer. Give `
    """
    path = Path(path or paths.PROTOCOL)
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list) or not data["items"]:
        raise TraceabilityError(f"{path}: expected `sources:` and a non-empty list `items:` of protocol items.")
    sources = data.get("sources") or {}
    if not isinstance(sources, Mapping) or not sources:
        raise TraceabilityError(f"{path}: `sources:` must map each source id to the words the appendix uses for it.")
    known = {"questions": survey_questions, "codes": codes}
    items, problems, seen = [], [], set()
    for i, raw in enumerate(data["items"]):
        item, bad = _item(raw, i, study, {str(k): str(v) for k, v in sources.items()}, known)
        problems += bad
        if item is not None:
            if item.id in seen:
                problems.append(f"item {item.id}: the id is used twice.")
            seen.add(item.id)
            items.append(item)
    if problems:
        raise TraceabilityError("\n".join(f"{path}: {p}" for p in problems))
    return Protocol(tuple(items), {str(k): str(v) for k, v in sources.items()}, path)


def load_protocol(study: Study, path: Path | None = None) -> Protocol:
    """Read ``config/protocol.yml`` and check it against the study, the survey and the codebook."""
    from analysis import qda, qualtrics

    path = Path(path or paths.PROTOCOL)
    if not path.exists():
        raise TraceabilityError(
            f"{path} is missing: it lists the protocol's questions and criteria and where the reports answer "
            "them (the traceability appendix)."
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    survey = qualtrics.load_survey_config(study=study) if paths.SURVEY_CONFIG.exists() else None
    codebook = qda.load_codebook() if paths.CODEBOOK.exists() else None
    return parse_protocol(
        data,
        study,
        path,
        survey_questions=set(survey["questions"]) if survey else None,
        codes=set(codebook["id"].astype(str)) if codebook is not None else None,
    )


# -- which report answers what ------------------------------------------------------------------


def answered_at(item: Item, study: Study, wave: str) -> bool:
    """Whether a report as at ``wave`` answers the item: ``wave`` is the item's wave or later."""
    ids = study.wave_ids
    return ids.index(item.wave) <= ids.index(wave)


def reports_answering(item: Item, study: Study) -> list[Report]:
    return [r for r in study.reports if answered_at(item, study, r.last_wave)]


def labels_in(qmd: str) -> set[str]:
    """The labels a report source embeds (``{{< embed nb.ipynb#label >}}``) or gives a section.

    >>> sorted(labels_in("# Methods {#sec-methods}\\n\\n{{< embed ../a/b.ipynb#tbl-x >}}\\n"))
    ['sec-methods', 'tbl-x']
    """
    return set(EMBEDDED.findall(qmd)) | set(SECTION.findall(qmd))


def report_problems(protocol: Protocol, study: Study, report_id: str, qmd: str, qmd_name: str) -> list[str]:
    """What stops ``report_id`` answering every item it should, given its source text ``qmd``."""
    report = study.report(report_id)
    present = labels_in(qmd)
    problems = []
    for item in protocol.items:
        if not reports_answering(item, study):
            problems.append(
                f"{protocol.path}: item {item.id}: no report answers it (its wave {item.wave!r} is after the last "
                "wave of every report)."
            )
            continue
        if not answered_at(item, study, report.last_wave):
            continue
        for label in item.labels:
            if label not in present:
                if label.startswith("sec-"):
                    missing = f"has no section labelled {{#{label}}}"
                else:
                    missing = f"does not embed it ({{{{< embed ...#{label} >}}}})"
                problems.append(
                    f"{protocol.path}: item {item.id} is answered by {label}, but {qmd_name} {missing}; the "
                    f"{report.title.lower()} answers this item from the {study.wave(item.wave).label} wave on."
                )
    return problems


def check_report(study: Study, report_id: str) -> list[str]:
    """The build's check before it renders a report: every problem, as a message (empty when none).

    A project without a protocol configuration has no traceability appendix, and nothing to check
    (a report that embeds the appendix then fails in its notebook, which needs the file).
    """
    if not paths.PROTOCOL.exists():
        return []
    qmd = paths.REPORT / f"{report_id}.qmd"
    try:
        protocol = load_protocol(study)
    except ConfigError as exc:
        return [str(exc)]
    text = qmd.read_text(encoding="utf-8") if qmd.exists() else ""
    name = qmd.relative_to(paths.REPO) if qmd.is_relative_to(paths.REPO) else qmd
    return report_problems(protocol, study, report_id, text, str(name))


# -- the appendix -------------------------------------------------------------------------------


def _sources_text(item: Item, labels: Mapping[str, str]) -> str:
    parts = []
    for name, questions in item.sources:
        parts.append(labels[name] + (f" ({', '.join(questions)})" if questions else ""))
    return "; ".join(parts)


def _kind_text(item: Item, study: Study) -> str:
    """E.g. "Success criterion (30%)"."""
    kind = KINDS[item.kind]
    if item.threshold:
        kind += f" ({study.thresholds[item.threshold]:.0%})"
    return kind[:1].upper() + kind[1:]


def _report_name(r: Report, study: Study) -> str:
    """A report as the appendix names it: the month it is dated ("August"; "August 2021" when the
    study's reports span more than one year)."""
    one_year = len({x.date.year for x in study.reports}) == 1
    return r.date.strftime("%B" if one_year else "%B %Y")


def appendix_table(
    protocol: Protocol, study: Study, wave: str, theme_names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per protocol item, as a report as at ``wave`` gives it.

    "Answered by" holds Markdown cross-references (``@sec-x``, ``@tbl-x``: labels checked by
    :func:`parse_protocol`), followed by the item's themes in words; an item this report does not yet
    answer names the report that does instead. Every other column is plain text.
    """
    theme_names = theme_names or {}
    rows = []
    for item in protocol.items:
        answering = reports_answering(item, study)
        names = [_report_name(r, study) for r in answering]
        answered_in = " and ".join(names) + (" only" if len(answering) < len(study.reports) else "")
        if answered_at(item, study, wave):
            refs = ", ".join(f"@{label}" for label in item.labels)
            themes = [theme_names.get(t, t) for t in item.themes]
            by = refs + (f" (themes: {'; '.join(themes)})" if themes else "")
        else:
            months = study.wave(item.wave).months_since_launch
            by = f"Not yet: needs the data of {months} months after launch"
        rows.append(
            {
                "Item": item.id,
                "Kind": _kind_text(item, study),
                "Protocol wording": item.wording,
                "Answered by": by,
                "Sources": _sources_text(item, protocol.source_labels),
                "Answered in": answered_in,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def to_markdown(frame: pd.DataFrame) -> str:
    """The appendix as a pipe table: every cell escaped as text except the cross-references. The
    kind of item leads its wording in italics, so that the wording has the width it needs."""
    from analysis.tables import escape_markdown

    def answered_by(text: str) -> str:
        # keep "@label" (checked labels) as cross-references; escape everything around them
        pieces = re.split(r"(@(?:sec|tbl|fig)-[\w-]+)", text)
        return "".join(p if i % 2 else escape_markdown(p) for i, p in enumerate(pieces))

    columns = [c for c in frame.columns if c != "Kind"]
    widths = {"Item": 4, "Protocol wording": 48, "Answered by": 26, "Sources": 14, "Answered in": 12}
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join(":" + "-" * widths.get(c, 10) for c in columns) + "|"
    body = []
    for row in frame.to_dict("records"):
        cells = {c: escape_markdown(row[c]) for c in columns}
        cells["Answered by"] = answered_by(row["Answered by"])
        cells["Protocol wording"] = f"*{escape_markdown(row['Kind'])}:* {cells['Protocol wording']}"
        body.append("| " + " | ".join(cells[c] for c in columns) + " |")
    return "\n".join([head, rule, *body])


def appendix(study: Study, wave: str, codebook: pd.DataFrame | None = None):
    """The appendix a notebook cell shows (Markdown, for the report and for JupyterLab)."""
    from IPython.display import Markdown

    names = {}
    if codebook is not None:
        names = dict(zip(codebook["id"].astype(str), codebook["name"].astype(str), strict=True))
    return Markdown(to_markdown(appendix_table(load_protocol(study), study, wave, names)))
