"""Sentences of the reports that state facts, made from the data and the study configuration.

A report's text says how many people took part, which waves and interviews there were, where and
when the offer started, and whether the return to office working was recorded. Typed into
``report/*.qmd`` those facts go stale as soon as a wave arrives or a figure changes; here they are
made from the tables a notebook has read and the configuration, and a notebook cell shows each
paragraph as Markdown for the reports to embed (``{{< embed summary.ipynb#prose-... >}}``).

Every function is pure: tables and configuration in, Markdown text out. Counts of people never
appear exactly: :func:`about` rounds them to a base no finer than the disclosure threshold, and
says "fewer than ten" (the threshold in words) below it. Text from the configuration or a delivered
file is escaped for Markdown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.config import Study, Wave, return_to_office_sentence
from analysis.qda import respondent_groups
from analysis.studies.flexitime import indicators
from analysis.tables import escape_markdown

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()

# The sources of the data contract as a sentence names them.
SOURCE_NOUNS = {"workers": "administrative data", "visits": "administrative data", "survey": "a survey"}


def words(n: int) -> str:
    """A whole number in words up to ninety-nine, in digits above.

    >>> words(7), words(20), words(21), words(120)
    ('seven', 'twenty', 'twenty-one', '120')
    """
    if n < 0 or n > 99:
        return str(n)
    if n < 20:
        return _UNITS[n]
    tens, units = divmod(n, 10)
    return _TENS[tens] + (f"-{_UNITS[units]}" if units else "")


def rounded(n: int, threshold: int) -> int | None:
    """``n`` rounded to the nearest multiple of a base no finer than the disclosure ``threshold``
    (at least ten), halves up; ``None`` below the threshold.

    >>> rounded(18, 10), rounded(25, 10), rounded(9, 10), rounded(26, 20)
    (20, 30, None, 20)
    """
    if n < threshold:
        return None
    base = max(threshold, 10)
    return int(math.floor(n / base + 0.5)) * base


def about(n: int, threshold: int) -> str:
    """A count of people in words that does not give it away: :func:`rounded`, and "fewer than
    <threshold>" below the threshold.

    >>> about(18, 10), about(24, 10), about(25, 10), about(10, 10), about(9, 10), about(0, 10)
    ('about twenty', 'about twenty', 'about thirty', 'about ten', 'fewer than ten', 'fewer than ten')
    >>> about(130, 10), about(26, 20), about(3, 5)
    ('about 130', 'about twenty', 'fewer than five')
    """
    r = rounded(n, threshold)
    return f"fewer than {words(threshold)}" if r is None else f"about {words(r)}"


def join(items: Sequence[str], serial: bool = False) -> str:
    """Items as a sentence lists them; ``serial`` puts a comma before the "and" of three or more
    (for items that hold an "and" of their own).

    >>> join(["a"]), join(["a", "b"]), join(["a", "b", "c"]), join(["a", "b", "c and d"], serial=True)
    ('a', 'a and b', 'a, b and c', 'a, b, and c and d')
    """
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + ("," if serial and len(items) > 2 else "") + " and " + items[-1]


def short_label(label: str) -> str:
    """A wave's label as a sentence uses it: without its parenthesis, in lower case.

    >>> short_label("Interim (3 months)"), short_label("First round (March 2021)"), short_label("Baseline")
    ('interim', 'first round', 'baseline')
    """
    text = re.sub(r"\s*\([^)]*\)\s*$", "", label).strip()
    return text[:1].lower() + text[1:]


def _month(wave: Wave) -> str:
    return wave.date.strftime("%B %Y")


def _after_launch(study: Study, wave: str) -> str:
    """E.g. "three months after launch"."""
    m = study.wave(wave).months_since_launch
    return f"{words(m)} month{'s' if m != 1 else ''} after launch"


def _survey_site(study: Study) -> str:
    """The name of the site that runs the survey (escaped)."""
    return escape_markdown(next((s for s in study.sites if "survey" in s.sources), study.admin_site).name)


def _delivered(tables: Mapping[str, pd.DataFrame | None], waves: Sequence[Wave]) -> list[Wave]:
    return [w for w in waves if tables.get(w.id) is not None and len(tables[w.id])]


def _at(delivered: Sequence[Wave], covered: Sequence[Wave]) -> str:
    """ "at both waves", "at every wave" or "at baseline and endline"."""
    if len(delivered) == len(covered) and len(covered) > 1:
        return "at both waves" if len(covered) == 2 else "at every wave"
    return "at " + join([short_label(w.label) for w in delivered])


# -- counts of people ----------------------------------------------------------------------------


def social_worker_count(workers_by_wave: Mapping[str, pd.DataFrame | None], study: Study, wave: str) -> int | None:
    """Social workers in the most recent workers table up to ``wave`` (``None`` when there is none)."""
    for w in reversed(study.waves_up_to(wave)):
        frame = workers_by_wave.get(w.id)
        if frame is not None and len(frame):
            return len(indicators.social_workers(frame))
    return None


def _few(n: int | None, threshold: int) -> bool:
    """Whether a workforce of ``n`` is small enough that many counts fall under the threshold: judged
    on the rounded figure the text shows (under four times the threshold), so the wording tells
    nothing more than the figure."""
    shown = None if n is None else rounded(n, threshold)
    return shown is None or shown < 4 * threshold


def social_workers_phrase(workers_by_wave: Mapping[str, pd.DataFrame | None], study: Study, wave: str) -> str:
    """E.g. "about twenty social workers" (never the exact count)."""
    n = social_worker_count(workers_by_wave, study, wave)
    if n is None:
        return "social workers (no workers table has been delivered yet)"
    return f"{about(n, study.disclosure.threshold)} social workers"


def small_numbers(workers_by_wave: Mapping[str, pd.DataFrame | None], study: Study, wave: str) -> str:
    """The executive summary's sentence on why some figures are not reportable."""
    n = social_worker_count(workers_by_wave, study, wave)
    t = study.disclosure.threshold
    phrase = social_workers_phrase(workers_by_wave, study, wave)
    shown_as = "shown as not reportable rather than hidden"
    if _few(n, t):
        return f"With {phrase}, many counts fall below the disclosure threshold of {t} and are {shown_as}."
    return f"With {phrase}, counts that fall below the disclosure threshold of {t} are {shown_as}."


# -- where and when -------------------------------------------------------------------------------


def setting(study: Study) -> str:
    """The introduction's sentence on the sites: who introduced the offer, when, for how many teams;
    which sites had it before the pilot and what they contribute."""
    admin = study.admin_site
    teams = len(admin.teams)
    team_text = f" for {words(teams)} team{'s' if teams != 1 else ''}" if teams else ""
    first = f"{escape_markdown(admin.name)} introduced the offer{team_text} in {study.launch_date.strftime('%B %Y')}"
    others = []
    for site in study.sites:
        if site.id == admin.id:
            continue
        gives = join(list(dict.fromkeys(SOURCE_NOUNS.get(s, s) for s in site.sources))) or "no data"
        had = " already had it in place before the pilot and" if site.established else ""
        others.append(f"{escape_markdown(site.name)}{had} contributes {gives}")
    return first + "".join(f"; {o}" for o in others) + "."


def interview_rounds(study: Study, wave: str, register: pd.DataFrame | None) -> list[tuple[str, list[str]]]:
    """(site name, the rounds with at least one interview there) for each site with interviews up
    to ``wave``, each round named as that site names it."""
    out = []
    if register is None or not len(register):
        return out
    for site in study.sites:
        rounds = [
            short_label(w.label_for(site.id))
            for w in study.waves_up_to(wave)
            if ((register["site"] == site.id) & (register["wave"] == w.id)).any()
        ]
        if rounds:
            out.append((site.name, rounds))
    return out


def coverage(
    study: Study,
    wave: str,
    workers_by_wave: Mapping[str, pd.DataFrame | None],
    visits_by_wave: Mapping[str, pd.DataFrame | None],
    survey_wave: str | None,
    register: pd.DataFrame | None,
) -> str:
    """The executive summary's sentence on what the report covers: its waves with their data cut,
    the administrative data, the survey and the interviews that took place; and, in the report of
    the study's last wave, the return to office working as recorded."""
    covered = study.waves_up_to(wave)
    n = len(covered)  # waves
    waves_text = join([f"{short_label(w.label)} ({_month(w)})" for w in covered])
    lead = f"This report covers the {waves_text} wave{'s' if n > 1 else ''}"
    parts = []
    admin = study.admin_site
    delivered = _delivered(workers_by_wave, covered) or _delivered(visits_by_wave, covered)
    if delivered:
        parts.append(f"{escape_markdown(admin.name)}'s administrative data {_at(delivered, covered)}")
    if survey_wave is not None:
        parts.append(f"{_survey_site(study)}'s practitioner survey {_after_launch(study, survey_wave)}")
    rounds = interview_rounds(study, wave, register)
    if rounds:
        parts.append("interviews in " + join([f"{escape_markdown(site)} ({join(labels)})" for site, labels in rounds]))
    text = lead + (": " + join(parts, serial=True) if parts else "") + "."
    if wave == study.wave_ids[-1]:
        text += " " + escape_markdown(return_to_office_sentence(study))
    return text


def _plural(group: str) -> str:
    return group if group.endswith("s") else f"{group}s"


def _sites_text(n: int) -> str:
    return "at both sites" if n == 2 else "at every site"


def interviewed(study: Study, wave: str, register: pd.DataFrame | None) -> str:
    """Who was interviewed: the respondent groups in the study's order, and where a group was
    interviewed at some of the sites with interviews only, which.

    E.g. "team managers and non-users were interviewed at both sites, and service leaders in
    Stockport only".
    """
    if register is None or not len(register):
        return "no interviews have been coded yet"
    up_to = {w.id for w in study.waves_up_to(wave)}
    reg = register[register["wave"].isin(up_to)]
    sites = [s for s in study.sites if (reg["site"] == s.id).any()]
    by_sites: dict[tuple[str, ...], list[str]] = {}
    for group in respondent_groups(study):
        at = tuple(s.name for s in sites if ((reg["site"] == s.id) & (reg["group"] == group)).any())
        if at:
            by_sites.setdefault(at, []).append(escape_markdown(_plural(group)))
    if not by_sites:
        return "no interviews have been coded yet"
    everywhere = tuple(s.name for s in sites)
    main = by_sites.pop(everywhere, [])
    where = f"in {escape_markdown(sites[0].name)}" if len(sites) == 1 else _sites_text(len(sites))
    parts = [f"{join(main)} were interviewed {where}"] if main else []
    rest = [f"{join(groups)} in {join([escape_markdown(n) for n in at])} only" for at, groups in by_sites.items()]
    if not main:
        return f"{join(rest)} were interviewed"
    if not rest:
        return parts[0]
    return ", ".join(parts + rest[:-1]) + ", and " + rest[-1]  # each part holds an "and" of its own


def data_sentence(
    study: Study,
    wave: str,
    workers_by_wave: Mapping[str, pd.DataFrame | None],
    visits_by_wave: Mapping[str, pd.DataFrame | None],
    survey_wave: str | None,
    register: pd.DataFrame | None,
) -> str:
    """The methods section's sentence on the data: who provided what, when, and who was interviewed."""
    covered = study.waves_up_to(wave)
    admin = escape_markdown(study.admin_site.name)
    parts = []
    workers = _delivered(workers_by_wave, covered)
    visits = _delivered(visits_by_wave, covered)
    table = "a pseudonymised workers table (working pattern, flexible-pattern spells, planned and taken flexible days)"
    if workers and [w.id for w in workers] == [w.id for w in visits]:
        parts.append(f"{admin}'s local authority provided {table} and a case-visit extract {_at(workers, covered)}")
    elif workers or visits:
        held = [f"{table} {_at(workers, covered)}"] if workers else []
        held += [f"a case-visit extract {_at(visits, covered)}"] if visits else []
        parts.append(f"{admin}'s local authority provided {join(held)}")
    if survey_wave is not None:
        parts.append(
            f"{_survey_site(study)}'s practitioners answered a short survey {_after_launch(study, survey_wave)}"
        )
    parts.append(interviewed(study, wave, register))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def return_to_office(study: Study, wave: str) -> str:
    """The return to office working as the configuration records it (for the section on change by
    the study's last wave); empty before that wave."""
    return escape_markdown(return_to_office_sentence(study)) if wave == study.wave_ids[-1] else ""


# -- limitations --------------------------------------------------------------------------------


def limitations(study: Study, wave: str, workers_by_wave: Mapping[str, pd.DataFrame | None]) -> str:
    """The limitations that depend on the data and the configuration, as Markdown list items."""
    phrase = social_workers_phrase(workers_by_wave, study, wave)
    items = [
        f"- **Not powered.** {phrase[:1].upper() + phrase[1:]} took part; the pilot cannot detect change "
        "reliably. All estimates are indicative."
    ]
    t = study.disclosure.threshold
    many = "Many counts are" if _few(social_worker_count(workers_by_wave, study, wave), t) else "Some counts may be"
    items.append(
        f"- **Disclosure control.** {many} below the disclosure threshold of {t} and are not reportable; a "
        "criterion that is not reportable is neither met nor unmet on this evidence."
    )
    if wave == study.wave_ids[-1]:
        ret = escape_markdown(return_to_office_sentence(study))
        if study.return_to_office is None:
            ret += " The endline interviews may not reflect the return to office working they were planned for."
        else:
            ret += " It changes the setting in which the offer is used between the earlier waves and the endline."
        items.append(f"- **Return to office.** {ret}")
    return "\n".join(items)
