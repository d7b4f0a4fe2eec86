"""The practitioner survey question by question: routed questions (Q5), free text coded into themes
(Q6, Q7, Q14, Q15) and screened quotes, and whose answers the take-up question (Q4) gives.

Every builder is pure: it gets the tidy survey table (:func:`analysis.qualtrics.check_survey`),
the survey configuration (:func:`analysis.qualtrics.load_survey_config`) and the free-text
codebook (:func:`load_text_codebook`, from ``config/survey_themes.yml``) and opens no file.

How a question is counted. A routed question (``show_if`` in the survey configuration) is asked
only of the respondents who gave its routing answer, so its table partitions everyone who answered
the routing question: each answer to the question, then "no answer" (left blank, or the response
stopped before it), then "not asked", adding up to the respondents who answered the routing
question. Those totals are the take-up table's figures: they are shown only when that table's
share rule lets the split be shown (else the "not asked" row and the total are left out), and
secondary suppression inside the table (:func:`analysis.disclose.suppress_counts`) stops the rest
being worked out by subtraction. Themes in free text are not exclusive (one answer can raise several),
so their counts sit below the partition with the threshold and zero rules only, never added up.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis import disclose, paths
from analysis.config import Study
from analysis.errors import ConfigError
from analysis.qualitative import screen_quote
from analysis.qualtrics import Question, questions
from analysis.studies.flexitime.tables import survey_take_up_display
from analysis.tables import note

NO_SURVEY = "The survey has not been run by this wave."
ANSWERED, NOTHING, BLANK = "answer", "nothing", "blank"
THEME_PREFIX = "Theme: "
NO_THEME = "Theme: none matched"


# -- the free-text codebook --------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """One theme of the free-text codebook: where it is looked for and the words that find it."""

    id: str
    name: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    pattern: re.Pattern = field(compare=False, repr=False)


@dataclass(frozen=True)
class TextCodebook:
    """The free-text codebook (``config/survey_themes.yml``)."""

    questions: Mapping[str, Mapping[str, str]]  # question id -> {rq, label}
    themes: tuple[Theme, ...]
    nothing_to_report: frozenset[str]
    quotes: Mapping[str, int]
    group_labels: Mapping[str, str] = field(default_factory=dict)  # routing answer -> words for quotes

    def themes_for(self, qid: str) -> tuple[Theme, ...]:
        return tuple(t for t in self.themes if qid in t.questions)

    def label(self, qid: str) -> str:
        return str(self.questions.get(qid, {}).get("label", qid))


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern:
    """One case-insensitive pattern for whole-word keywords; a trailing ``*`` matches any ending
    and a space any run of white space.

    >>> p = keyword_pattern(["cover*", "school run"])
    >>> [bool(p.search(t)) for t in ("Covering duty", "the  school run", "discovered", "runs")]
    [True, True, False, False]
    """
    parts = []
    for k in keywords:
        k = str(k).strip().lower()
        if not k:
            continue
        stem, wild = (k[:-1], True) if k.endswith("*") else (k, False)
        body = r"\s+".join(re.escape(w) for w in stem.split())
        parts.append(rf"(?<![\w]){body}" + (r"[\w'-]*" if wild else r"(?![\w])"))
    if not parts:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile("|".join(parts), re.IGNORECASE)


def load_text_codebook(path: Path | None = None) -> TextCodebook:
    """The free-text codebook, checked (a mistake stops with :class:`ConfigError` naming the file).

    >>> cb = load_text_codebook()
    >>> cb.questions["Q14"]["rq"], [t.id for t in cb.themes_for("Q7")][:2]
    ('2a', ['team_cover', 'time_pressure'])
    """
    p = Path(path) if path else paths.SURVEY_THEMES
    if not p.exists():
        raise ConfigError(
            f"The survey free-text codebook {p} is missing; it lists the themes Q6, Q7, Q14, Q15 are coded to."
        )
    data = (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("survey_themes")
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise ConfigError(f"{p}: the file must hold `survey_themes:` with a `themes:` list under it.")
    qs = {str(k): {kk: str(vv) for kk, vv in (v or {}).items()} for k, v in (data.get("questions") or {}).items()}
    themes, seen = [], set()
    for n, t in enumerate(data["themes"], start=1):
        if not isinstance(t, dict) or not all(t.get(k) for k in ("id", "name", "questions", "keywords")):
            raise ConfigError(f"{p}: theme {n} needs `id`, `name`, `questions` and `keywords`.")
        if t["id"] in seen:
            raise ConfigError(f"{p}: theme id {t['id']!r} is used twice; ids must be unique.")
        unknown = [q for q in t["questions"] if str(q) not in qs]
        if unknown:
            raise ConfigError(f"{p}: theme {t['id']!r} names questions {unknown} that `questions:` does not list.")
        seen.add(t["id"])
        kws = tuple(str(k) for k in t["keywords"])
        themes.append(
            Theme(str(t["id"]), str(t["name"]), tuple(str(q) for q in t["questions"]), kws, keyword_pattern(kws))
        )
    nothing = frozenset(normalise_answer(x) for x in data.get("nothing_to_report") or ())
    quotes = {"per_question": 2, "min_chars": 30, "max_chars": 400, "min_attribution_group": 3}
    given = dict(data.get("quotes") or {})
    groups = {str(k): str(v) for k, v in (given.pop("group_labels", None) or {}).items()}
    quotes.update({k: int(v) for k, v in given.items()})
    return TextCodebook(qs, tuple(themes), nothing, quotes, groups)


# -- coding one answer ---------------------------------------------------------------------------

_PUNCT = str.maketrans({c: " " for c in string.punctuation.replace("/", "")})


def normalise_answer(text: Any) -> str:
    """Lower case, punctuation (but ``/``) as spaces, white space collapsed.

    >>> normalise_answer("  No, not really. "), normalise_answer("N/A")
    ('no not really', 'n/a')
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    return " ".join(str(text).translate(_PUNCT).lower().split())


def answer_kind(text: Any, codebook: TextCodebook) -> str:
    """``"blank"`` (empty), ``"nothing"`` (only a "no" / "n/a" and the like) or ``"answer"``."""
    norm = normalise_answer(text)
    if not norm:
        return BLANK
    return NOTHING if norm in codebook.nothing_to_report else ANSWERED


def code_answer(text: Any, qid: str, codebook: TextCodebook) -> list[str]:
    """The ids of the themes (of question ``qid``) that a substantive answer raises, in codebook order."""
    if answer_kind(text, codebook) != ANSWERED:
        return []
    s = str(text)
    return [t.id for t in codebook.themes_for(qid) if t.pattern.search(s)]


# -- routing: who was asked a question ----------------------------------------------------------


def _question(config: Mapping[str, Any], qid: str) -> Question:
    by_id = {q.id: q for q in questions(dict(config))}
    if qid not in by_id:
        raise ConfigError(f"The survey configuration has no question {qid}.")
    return by_id[qid]


@dataclass(frozen=True)
class Routing:
    """Who could answer a question: ``base`` (everyone who answered its routing question, or every
    respondent) and ``asked`` (those the survey showed it to), as boolean masks, with labels."""

    base: pd.Series
    asked: pd.Series
    base_label: str
    not_asked_label: str | None


def routing(survey: pd.DataFrame, qid: str, config: Mapping[str, Any]) -> Routing:
    """The respondents asked ``qid`` (its ``show_if``), among those who could be."""
    q = _question(config, qid)
    every = pd.Series(True, index=survey.index)
    if q.show_if is None:
        return Routing(every, every, "All respondents", None)
    control_id, wanted = q.show_if
    control = _question(config, control_id)
    answer = survey[str(control.column)].astype("string")
    base = answer.notna().astype(bool)
    asked = answer.eq(wanted).fillna(False).astype(bool)
    others = " or ".join(c for c in control.choices if c != wanted) or f"not {wanted}"
    return Routing(base, asked, f"All who answered {control_id}", f"Not asked ({control_id} = {others})")


# -- counts (pure; what the disclosed tables are made of) -----------------------------------------


def partition_counts(
    survey: pd.DataFrame, qid: str, config: Mapping[str, Any], codebook: TextCodebook | None = None
) -> pd.DataFrame:
    """Everyone who could be asked ``qid``, by what they answered: one row per answer (a choice
    question's choices; for free text "wrote an answer" and "nothing to report"), "no answer",
    "not asked" (routed questions), and the total (labelled "All ..."). Column ``Respondents``.
    """
    q = _question(config, qid)
    r = routing(survey, qid, config)
    asked = survey.loc[r.asked, str(q.column)]
    rows: list[tuple[str, int]] = []
    if q.type == "text":
        if codebook is None:
            raise ValueError(f"{qid} is free text: give the free-text codebook to count its answers.")
        kinds = asked.map(lambda t: answer_kind(t, codebook))
        rows += [
            ("Wrote an answer", int((kinds == ANSWERED).sum())),
            ("Said there was nothing to report (no, n/a)", int((kinds == NOTHING).sum())),
            ("No answer (left blank, or stopped before it)", int((kinds == BLANK).sum())),
        ]
    elif q.type in ("choice", "scale"):
        values = asked.astype("string")
        rows += [(str(c), int(values.eq(c).sum())) for c in q.choices]
        rows.append(("No answer (left blank, or stopped before it)", int(values.isna().sum())))
    else:
        raise ValueError(f"{qid} is a {q.type} question; partition_counts takes choice and free-text questions.")
    if r.not_asked_label is not None:
        rows.append((r.not_asked_label, int((r.base & ~r.asked).sum())))
    rows.append((r.base_label, int(r.base.sum())))
    return pd.DataFrame(rows, columns=["Answer", "Respondents"]).set_index("Answer")


def coded_answers(survey: pd.DataFrame, qid: str, config: Mapping[str, Any], codebook: TextCodebook) -> pd.DataFrame:
    """One row per substantive answer to free-text ``qid`` from the respondents asked it: ``text``
    and ``themes`` (list of theme ids), indexed like ``survey`` so that quotes can be attributed."""
    q = _question(config, qid)
    r = routing(survey, qid, config)
    texts = survey.loc[r.asked, str(q.column)]
    kinds = texts.map(lambda t: answer_kind(t, codebook))
    texts = texts[kinds == ANSWERED].astype(str)
    return pd.DataFrame({"text": texts, "themes": texts.map(lambda t: code_answer(t, qid, codebook))})


def theme_counts(survey: pd.DataFrame, qid: str, config: Mapping[str, Any], codebook: TextCodebook) -> pd.DataFrame:
    """Substantive answers to ``qid`` raising each of its themes, then those raising none.
    Column ``Respondents``; index ``"Theme: <name>"`` (an answer may count under several themes)."""
    coded = coded_answers(survey, qid, config, codebook)
    rows = [
        (f"{THEME_PREFIX}{t.name}", int(sum(t.id in ids for ids in coded["themes"]))) for t in codebook.themes_for(qid)
    ]
    rows.append((NO_THEME, int(sum(not ids for ids in coded["themes"]))))
    return pd.DataFrame(rows, columns=["Answer", "Respondents"]).set_index("Answer")


# -- disclosed tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyQuestionTable:
    """A question's disclosed table: the partition of who answered, then (free text) the themes."""

    partition: disclose.DisclosedTable
    themes: disclose.DisclosedTable | None

    def display(self, header: str) -> pd.DataFrame:
        parts = [self.partition.display]
        if self.themes is not None:
            parts.append(self.themes.display)
        out = pd.concat(parts).reset_index()
        out.columns = [header, "Respondents"]
        return out


def split_reportable(study: Study, survey: pd.DataFrame, qid: str, config: Mapping[str, Any]) -> bool:
    """Whether the routing split of ``qid`` (asked against all who answered the routing question,
    e.g. Q4 = No of all who answered Q4) passes the share rule, as the take-up table applies it."""
    r = routing(survey, qid, config)
    return disclose.share(int(r.asked.sum()), int(r.base.sum()), study.disclosure).reportable


def question_disclosed(
    study: Study, survey: pd.DataFrame, qid: str, config: Mapping[str, Any], codebook: TextCodebook | None = None
) -> SurveyQuestionTable:
    """:func:`partition_counts` with primary and secondary suppression (its total is published),
    and for free text :func:`theme_counts` with primary suppression (themes overlap, no totals).

    A routed question's "not asked" row and total are the routing split (for Q5: Q4 = Yes, and
    everyone who answered Q4), which the take-up table shows only when its share rule passes
    (:func:`split_reportable`). When it does not, both rows are left out here too, so that no table
    gives the split away by subtraction, and whatever the tables' suppression patterns, no two of
    them can be set against each other to recover it."""
    q = _question(config, qid)
    counts = partition_counts(survey, qid, config, codebook)
    r = routing(survey, qid, config)
    if r.not_asked_label is not None and not split_reportable(study, survey, qid, config):
        counts = counts.drop(index=[r.not_asked_label, r.base_label])
        part = disclose.suppress_counts(counts, study.disclosure, totals=False)
    else:
        part = disclose.suppress_counts(counts, study.disclosure, totals=True)
    themes = None
    if q.type == "text":
        assert codebook is not None  # partition_counts has said so already
        themes = disclose.suppress_counts(theme_counts(survey, qid, config, codebook), study.disclosure, totals=False)
    return SurveyQuestionTable(part, themes)


def question_display(
    study: Study,
    survey: pd.DataFrame | None,
    qid: str,
    config: Mapping[str, Any],
    codebook: TextCodebook | None = None,
    header: str | None = None,
) -> pd.DataFrame:
    """The report table for one question (see :func:`question_disclosed`); its first column's
    header names the question, e.g. "Benefits from colleagues' use (Q6)"."""
    if survey is None:
        return note(NO_SURVEY)
    if header is None:
        label = codebook.label(qid) if codebook and qid in codebook.questions else _question(config, qid).text
        header = f"{label} ({qid})"
    return question_disclosed(study, survey, qid, config, codebook).display(header)


# -- quotes -------------------------------------------------------------------------------------


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()


def _group_labels(survey: pd.DataFrame, config: Mapping[str, Any], codebook: TextCodebook) -> pd.Series:
    """Per respondent, "Survey respondent, <group>" by their answer to the routing question (the
    codebook's ``quotes.group_labels`` words for it, else "Qn = answer"), or plain "Survey
    respondent" where that group has fewer than ``quotes.min_attribution_group`` respondents or the
    answer is missing. A survey without a role question has nothing else to attribute by."""
    minimum = codebook.quotes["min_attribution_group"]
    plain = pd.Series("Survey respondent", index=survey.index)
    routed = [q.show_if[0] for q in questions(dict(config)) if q.show_if]
    if not routed:
        return plain
    control = _question(config, routed[0])
    answer = survey[str(control.column)].astype("string")
    words = codebook.group_labels
    out = plain.copy()
    for choice in control.choices:
        mask = answer.eq(choice).fillna(False).astype(bool)
        if int(mask.sum()) >= minimum:
            out[mask] = f"Survey respondent, {words.get(choice, f'{control.id} = {choice}')}"
    return out


def survey_quotes(
    survey: pd.DataFrame | None,
    qids: Sequence[str],
    config: Mapping[str, Any],
    codebook: TextCodebook,
    names: Iterable[str] = (),
) -> pd.DataFrame:
    """Illustrative quotes from free-text questions ``qids`` that pass
    :func:`analysis.qualitative.screen_quote` (names, including ``names``: staff names and team
    names, e-mail addresses, phone numbers, addresses and other identifiers).

    Per question up to ``quotes.per_question`` answers of ``min_chars`` to ``max_chars`` characters,
    chosen in a fixed pseudo-random order (a hash of the response and question), preferring answers
    that raise a theme not yet quoted; never two quotes from one respondent. Attributed
    "Survey respondent, <took up the offer / did not take up the offer>" only when that group has
    at least ``min_attribution_group`` respondents (the words from ``quotes.group_labels``), else
    "Survey respondent".

    Returns ``Quote, Question, Themes, Who``; ``.attrs["screened_out"]`` counts answers held back
    by the screen.
    """
    cols = ["Quote", "Question", "Themes", "Who"]
    if survey is None:
        return note(NO_SURVEY)
    cfg = codebook.quotes
    names = [n for n in names if n]
    who = _group_labels(survey, config, codebook)
    rid = survey["response_id"].astype(str) if "response_id" in survey else survey.index.astype(str).to_series()
    theme_name = {t.id: t.name for t in codebook.themes}
    used: set = set()
    rows, screened_out = [], 0
    for qid in qids:
        coded = coded_answers(survey, qid, config, codebook)
        coded = coded.assign(text=coded["text"].map(lambda t: " ".join(t.split())))
        coded = coded[coded["text"].str.len().between(cfg["min_chars"], cfg["max_chars"]).astype(bool)]
        flagged = coded["text"].map(lambda t: bool(screen_quote(t, names))).astype(bool)
        screened_out += int(flagged.sum())
        coded = coded[~flagged]
        order = sorted(coded.index, key=lambda i: _key(rid[i], qid))
        picked: list = []
        themes_seen: set[str] = set()
        for prefer_new in (True, False):
            for i in order:
                if len(picked) >= cfg["per_question"]:
                    break
                ids = coded.at[i, "themes"]
                if i in used or i in picked or (prefer_new and (not ids or set(ids) <= themes_seen)):
                    continue
                picked.append(i)
                themes_seen.update(ids)
        for i in picked:
            used.add(i)
            ids = coded.at[i, "themes"]
            rows.append(
                {
                    "Quote": f"“{coded.at[i, 'text']}”",
                    "Question": qid,
                    "Themes": "; ".join(theme_name[t] for t in ids) or "none matched",
                    "Who": who[i],
                }
            )
    if not rows:
        return note("No survey answer passed the identifier screen for these questions.")
    out = pd.DataFrame(rows, columns=cols)
    out.attrs["screened_out"] = screened_out
    return out


# -- Q4: whose answers -----------------------------------------------------------------------


def take_up_respondents(survey: pd.DataFrame, config: Mapping[str, Any]) -> tuple[pd.DataFrame, str]:
    """The respondents whose Q4 counts towards take-up, and who they are in words.

    The protocol's criterion is about social workers. When the survey configuration names a
    ``role_question`` (``{question: Qn, social_workers: [choices]}``), only respondents giving one
    of those choices count; the Appendix D survey has none, so every respondent counts and the
    words say so.

    >>> s = pd.DataFrame({"q4_taken_up": ["Yes", "No"]})
    >>> take_up_respondents(s, {"questions": {"Q4": {"column": "q4_taken_up", "type": "choice",
    ...     "choices": ["Yes", "No"]}}})[1]
    'all respondents, whatever their role (the survey asks no role question)'
    """
    role = config.get("role_question")
    if not role:
        return survey, "all respondents, whatever their role (the survey asks no role question)"
    q = _question(config, str(role["question"]))
    keep = survey[str(q.column)].astype("string").isin([str(c) for c in role["social_workers"]]).fillna(False)
    return survey[keep.astype(bool)], f"social workers only (by their answer to {q.id})"


def take_up_display(study: Study, survey: pd.DataFrame | None, config: Mapping[str, Any]) -> pd.DataFrame:
    """Survey Q4 take-up and Q8 keeping to plans (:func:`analysis.tables.survey_take_up_display`),
    among :func:`take_up_respondents`, with whose answers they are in the first row's label."""
    if survey is None:
        return note(NO_SURVEY)
    respondents, whose = take_up_respondents(survey, config)
    out = survey_take_up_display(study, respondents)
    first = out.columns[0]
    out.loc[0, first] = f"{out.loc[0, first]}: {whose}"
    return out


def screen_names(study: Study, names: Iterable[str] = ()) -> tuple[str, ...]:
    """What survey quotes are screened for besides the identifier patterns: ``names`` (a staff list,
    e.g. :attr:`analysis.inputs.Inputs.names`) and the study's team names (a team narrows a
    respondent down to a handful of people)."""
    teams = [t for s in study.sites for t in s.teams]
    return tuple(dict.fromkeys([*names, *teams]))
