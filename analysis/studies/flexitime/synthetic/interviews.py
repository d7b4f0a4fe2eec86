"""Synthetic interviews in the real delivery formats: for each wave folder,
``interviews_register.csv``, ``interviews.qdpx`` (a REFI-QDA project: ``project.qde`` and
``sources/<guid>.txt``) and ``segments.csv`` (the plain fallback), both sites in the same folder,
written by the engine's :mod:`analysis.qdpx_writer`.

The schedule is the study configuration's ``interview_plan:`` (wave -> site id -> group -> count),
else the protocol's (Croydon: baseline 8, interim 8, endline 4; Stockport: 12 in March, with
Croydon's baseline, and 4 at endline). Each interview is dated on a working day inside its wave's
interview fieldwork window for its site (``fieldwork:`` in the configuration).

Transcripts are short (a few hundred words): an opening, then for each topic an interviewer
prompt and an answer assembled from a bank of sentences per code, coded at exact character
offsets (some sentences carry two codes). Which codes come up is drawn per interview from the
respondent group's probabilities, so prevalence varies by group and wave. A handful of sentences
carry identifiers on purpose (a name from :data:`SYNTHETIC_NAMES`, an email address at
example.org, a phone number from Ofcom's drama range, a placeholder postcode), so that quote
screening has something to catch. Same seed, same bytes (GUIDs from uuid5, fixed zip times,
sorted entries).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from analysis import qdpx_writer
from analysis.config import Study
from analysis.qda import QDPX_FILE, REGISTER, SEGMENTS_FILE, load_codebook
from analysis.qdpx_writer import SYNTHETIC_NAMES, Interview, Sentence

__all__ = ["SYNTHETIC_NAMES", "Interview", "generate", "schedule_for", "simulate", "write_interviews"]

GUIDS = "flexitime-synthetic"  # the namespace of the .qdpx GUIDs (with the seed)

# wave id -> site id -> respondent group -> number of interviews (the protocol's table)
DEFAULT_SCHEDULE: dict[str, dict[str, dict[str, int]]] = {
    "baseline": {
        "croydon": {"team manager": 2, "flexitime user": 4, "non-user": 2},
        "stockport": {"team manager": 2, "flexitime user": 4, "non-user": 2, "recent user": 2, "service leader": 2},
    },
    "interim": {"croydon": {"team manager": 2, "flexitime user": 4, "non-user": 2}},
    "endline": {
        "croydon": {"team manager": 1, "flexitime user": 2, "non-user": 1},
        "stockport": {"flexitime user": 2, "recent user": 2},
    },
}

# respondent group -> the voice its sentences are written in
AUDIENCE = {
    "team manager": "mgr",
    "flexitime user": "user",
    "recent user": "user",
    "non-user": "non",
    "service leader": "lead",
}

# Chance that a code comes up in an interview, by voice (interim and endline).
CODE_CHANCE: dict[str, dict[str, float]] = {
    "user": {
        "used_as_intended": 0.7,
        "used_otherwise": 0.4,
        "pattern_choice": 0.5,
        "request_process": 0.3,
        "workload": 0.4,
        "fixed_commitments": 0.3,
        "manager_support": 0.5,
        "team_cover": 0.5,
        "guidance": 0.2,
        "covid_context": 0.3,
        "acceptable_practitioners": 0.5,
        "fairness": 0.1,
        "work_life_balance": 0.85,
        "motivation": 0.4,
        "autonomy": 0.5,
        "productivity": 0.4,
        "leisure_time": 0.6,
        "wellbeing": 0.5,
        "writeups": 0.2,
        "time_pressure": 0.45,
        "work_quality": 0.2,
        "disruption_colleagues": 0.15,
        "working_on_day_off": 0.4,
        "change_procedures": 0.2,
        "change_materials": 0.1,
        "change_scope": 0.1,
        "remote_working": 0.3,
        "office_working": 0.15,
        "team_relationships": 0.2,
        "supervision": 0.1,
        "trust": 0.2,
        "caring_responsibilities": 0.3,
        "informal_flexibility": 0.2,
    },
    "non": {
        "long_days_unsuitable": 0.7,
        "caring_responsibilities": 0.4,
        "workload": 0.6,
        "fixed_commitments": 0.4,
        "fairness": 0.4,
        "disruption_colleagues": 0.5,
        "team_cover": 0.5,
        "acceptable_practitioners": 0.4,
        "work_life_balance": 0.3,
        "informal_flexibility": 0.4,
        "time_pressure": 0.3,
        "guidance": 0.2,
        "remote_working": 0.3,
        "team_relationships": 0.3,
        "change_scope": 0.2,
        "change_procedures": 0.2,
    },
    "mgr": {
        "team_cover": 0.8,
        "manager_support": 0.4,
        "acceptable_managers": 0.7,
        "service_delivery": 0.7,
        "disruption_managers": 0.6,
        "disruption_colleagues": 0.3,
        "writeups": 0.4,
        "productivity": 0.4,
        "work_quality": 0.3,
        "trust": 0.5,
        "request_process": 0.5,
        "guidance": 0.5,
        "change_procedures": 0.5,
        "change_materials": 0.3,
        "change_scope": 0.3,
        "fixed_commitments": 0.3,
        "workload": 0.4,
        "supervision": 0.4,
        "used_otherwise": 0.3,
        "team_relationships": 0.3,
        "motivation": 0.3,
        "office_working": 0.2,
    },
    "lead": {
        "organisational_culture": 0.9,
        "trust": 0.6,
        "acceptable_managers": 0.6,
        "service_delivery": 0.6,
        "request_process": 0.5,
        "change_scope": 0.4,
        "change_procedures": 0.3,
        "covid_context": 0.5,
        "remote_working": 0.3,
        "office_working": 0.3,
        "informal_flexibility": 0.3,
        "supervision": 0.3,
    },
}
# Before launch every voice talks about expectations and current practice.
BASELINE_CHANCE = {
    "pattern_choice": 0.6,
    "request_process": 0.4,
    "guidance": 0.4,
    "team_cover": 0.6,
    "work_life_balance": 0.7,
    "workload": 0.6,
    "acceptable_practitioners": 0.4,
    "acceptable_managers": 0.4,
    "covid_context": 0.5,
    "remote_working": 0.4,
    "long_days_unsuitable": 0.3,
    "caring_responsibilities": 0.3,
    "fixed_commitments": 0.4,
    "time_pressure": 0.3,
}
# At endline (after some return to office working) these come up more.
ENDLINE_EXTRA = {"return_to_office": 0.8, "office_working": 0.4, "remote_working": 0.4}
MIN_CODES, MAX_CODES = 5, 10

# Sentence bank: (codes, voices, sentence). Codes joined by "+" code the sentence twice; voices are
# user, non, mgr, lead, all (interim and endline) or base (baseline, any voice), end (endline).
BANK: tuple[tuple[str, str, str], ...] = (
    # implementation
    (
        "used_as_intended",
        "user",
        "I work a nine-day fortnight and every other Friday is my non-working day, which my manager and I agreed at the start.",
    ),
    (
        "used_as_intended",
        "user",
        "Most weeks it has worked as planned: I do my longer days Monday to Thursday and I'm off on the Friday.",
    ),
    (
        "used_as_intended",
        "user",
        "Once the day was in the team calendar people just knew not to book things with me then.",
    ),
    ("used_as_intended", "mgr", "Four of my team took it up and on the whole they have kept to the pattern we agreed."),
    (
        "used_otherwise",
        "user",
        "Some weeks I swap my day to the Wednesday if I've got court on the Friday, so it moves around a bit.",
    ),
    (
        "used_otherwise",
        "user",
        "To be honest I sometimes use the day to catch up on recording at home, which isn't really the point.",
    ),
    (
        "used_otherwise",
        "mgr",
        "A couple of people bank the hours and take the day when it suits them rather than on a fixed day.",
    ),
    (
        "pattern_choice",
        "user",
        "I went for the nine-day fortnight because four long days a week felt like too much with this caseload.",
    ),
    ("pattern_choice", "user", "The four-day week appealed because I get a proper long weekend every week."),
    (
        "pattern_choice",
        "base",
        "If it goes ahead I think I'd pick the nine-day fortnight, because a four-day week would mean very long days.",
    ),
    (
        "pattern_choice",
        "base",
        "I'm still weighing up whether a four-day week would be realistic with the visits I have to do.",
    ),
    (
        "request_process",
        "user",
        "I filled in the form, had a conversation with my manager about which day, and it was signed off within a week.",
    ),
    (
        "request_process",
        "mgr",
        "The request goes through HR, but really it's a conversation between me and the worker about what the team can carry.",
    ),
    (
        "request_process",
        "lead",
        "We have had a formal process through HR for years, although during the pandemic a lot of it became informal agreements with managers.",
    ),
    ("request_process", "base", "Nobody has explained yet how you actually apply for it or who signs it off."),
    # barriers
    (
        "workload",
        "user",
        "With eighteen children on my caseload there are weeks when the extra day just isn't possible.",
    ),
    (
        "workload",
        "non",
        "My caseload is too high to squeeze it into fewer days, so I didn't see how it would work for me.",
    ),
    (
        "workload",
        "mgr",
        "When caseloads go up the first thing that goes is the non-working day, and I don't blame them.",
    ),
    (
        "workload",
        "base",
        "Caseloads are heavy at the moment, so I'm not sure how anyone will fit a full week into four days.",
    ),
    (
        "fixed_commitments",
        "all",
        "Court dates and child protection conferences are set for you, so you can't always protect your day.",
    ),
    ("fixed_commitments", "user", "I had a final hearing listed on my Friday and there was no way of moving it."),
    (
        "fixed_commitments",
        "base",
        "Conferences and core groups are booked by other people, so a fixed day off could clash with them.",
    ),
    (
        "long_days_unsuitable",
        "non",
        "Ten-hour days don't work with nursery pick-up, so the pattern was never really an option for me.",
    ),
    (
        "long_days_unsuitable",
        "non",
        "I'm exhausted by four o'clock after a day of visits; adding two more hours would not be safe practice.",
    ),
    (
        "long_days_unsuitable",
        "base",
        "I worry that longer days would leave people too tired to do visits well at the end of the day.",
    ),
    # facilitators
    (
        "manager_support",
        "user",
        "My manager was really supportive and protects my day; she'll tell people to wait until I'm back.",
    ),
    ("manager_support", "user", "It only works because my manager plans the duty rota around our days off."),
    (
        "manager_support",
        "mgr",
        "I make a point of not contacting people on their day off, because if I do it, everyone will.",
    ),
    (
        "team_cover",
        "user",
        "We set up a buddy system, so if something comes in for one of my families on my day off my buddy picks it up.",
    ),
    (
        "team_cover+disruption_colleagues",
        "non",
        "I end up covering for colleagues on their Fridays, and it does add to my own work.",
    ),
    (
        "team_cover",
        "mgr",
        "We mapped everyone's days on one sheet so there are never more than two people off on the same day.",
    ),
    (
        "team_cover",
        "mgr",
        "Cover between the teams has worked better than I expected; the duty worker knows who is off.",
    ),
    ("team_cover", "base-mgr", "Before we start I want a rota showing who is off each day, so duty is always covered."),
    ("team_cover", "base", "My worry is who picks up an urgent call about one of my children when I'm not working."),
    (
        "guidance",
        "all",
        "The guidance was clear about what you can and can't do, which helped when I had to say no to a meeting.",
    ),
    (
        "guidance",
        "mgr",
        "The information sheet for managers was useful, but it didn't say what to do when someone's day keeps getting moved.",
    ),
    (
        "guidance",
        "base",
        "We had the briefing session for managers, and the guidance for staff is supposed to come out next week.",
    ),
    (
        "covid_context",
        "all",
        "Because we're mostly working from home it was easier to do longer days without the commute.",
    ),
    (
        "covid_context",
        "lead",
        "The pandemic changed things: managers agreed all sorts of informal arrangements and we're still catching up with that.",
    ),
    (
        "covid_context",
        "base",
        "Working from home during lockdown has already blurred when the working day starts and ends.",
    ),
    # acceptability
    (
        "acceptable_practitioners",
        "user",
        "I would not want to give it up now; it's the best thing the council has offered us in years.",
    ),
    ("acceptable_practitioners", "non", "I think it's a good offer for people it suits, even if it isn't for me."),
    (
        "acceptable_practitioners",
        "base",
        "Most of the team seem keen to try it, though some are waiting to see how it works for others first.",
    ),
    (
        "acceptable_managers",
        "mgr",
        "I was sceptical at the start, but I'd support keeping it as long as we can keep cover in place.",
    ),
    (
        "acceptable_managers",
        "lead",
        "From a service point of view it is acceptable as long as managers keep an eye on cover and timescales.",
    ),
    ("acceptable_managers", "base", "As a manager I'm open to it, but I need to know I can still run the duty system."),
    ("fairness", "non", "It can feel a bit unfair that the people without a day off pick up the Friday calls."),
    (
        "fairness",
        "user",
        "I'm aware colleagues who can't do the long days miss out, and I feel a bit guilty about that.",
    ),
    # perceived impacts
    ("work_life_balance", "user", "My work-life balance is much better; I actually see my family on a weekday now."),
    (
        "work_life_balance",
        "user",
        "Having that day means the weekend is the weekend, rather than chores and recovering.",
    ),
    (
        "work_life_balance",
        "non",
        "My balance hasn't really changed, but I can see the difference it makes for the others.",
    ),
    (
        "work_life_balance",
        "base",
        "At the moment work spills into my evenings most days, so anything that gives time back would help.",
    ),
    ("motivation", "user", "I come back on a Monday feeling fresher and more motivated to get on with things."),
    ("motivation", "mgr", "Morale in the team is noticeably better; people feel the council is trusting them."),
    ("autonomy", "user", "I feel more in control of my week, because I decide how to organise the longer days."),
    ("autonomy", "user", "It gives me a sense of choice about when I work, which we don't usually have in this job."),
    (
        "productivity",
        "user",
        "On the long days I get more done because I can finish a visit and write it up the same day.",
    ),
    (
        "productivity",
        "mgr",
        "I haven't seen any drop in what gets done; if anything the ones on the pattern are more organised.",
    ),
    (
        "leisure_time",
        "user",
        "I use the day for appointments and the gym, things I used to have to squeeze into lunchtimes.",
    ),
    (
        "leisure_time",
        "user",
        "The extra day off means I can spend time with my children after school once a fortnight.",
    ),
    ("wellbeing", "user", "I'm less stressed overall, and I'm sleeping better than I was before Christmas."),
    ("wellbeing", "user", "It has helped with burnout; having a full day to switch off makes a real difference."),
    (
        "service_delivery",
        "mgr",
        "Families haven't noticed a difference, as far as I can tell; visits are still happening on time.",
    ),
    (
        "service_delivery",
        "lead",
        "Our view is that service delivery has held up, and we can keep offering it across the service.",
    ),
    (
        "service_delivery",
        "mgr",
        "There was one week with three people off the same day and duty was stretched, so we changed the rota.",
    ),
    (
        "writeups",
        "user",
        "I'm better at getting visits written up within the two days because I plan the long days around recording.",
    ),
    (
        "writeups",
        "mgr",
        "Recording times have stayed about the same; the ones on the pattern still get their write-ups in on time.",
    ),
    # unintended consequences
    (
        "time_pressure",
        "user",
        "The long days are intense, and by Thursday I'm rushing to finish everything before my day off.",
    ),
    ("time_pressure", "non", "People on the pattern seem more rushed, trying to fit everything into fewer days."),
    (
        "time_pressure",
        "base",
        "My concern is that we will just cram the same work into fewer days and feel more pressured.",
    ),
    (
        "work_quality",
        "user",
        "Sometimes my recording on the last day before my day off is more rushed than it should be.",
    ),
    (
        "work_quality",
        "mgr",
        "I haven't seen the quality of assessments drop, but I keep an eye on the Thursday write-ups.",
    ),
    ("disruption_colleagues", "user", "I do feel bad when a colleague has to pick up a call for one of my families."),
    ("disruption_colleagues", "non", "Meetings are harder to arrange now because somebody is always off."),
    (
        "disruption_managers",
        "mgr",
        "Managing the rota takes extra time every week, and I have to think about cover more than I used to.",
    ),
    (
        "disruption_managers",
        "mgr",
        "The hardest part for me is when my assistant manager and I are both off, and nobody can sign things off.",
    ),
    (
        "working_on_day_off+used_otherwise",
        "user",
        "I still check my emails on my day off, just so I'm not overwhelmed on the Monday.",
    ),
    ("working_on_day_off", "user", "If there's a crisis with one of my families I'll take the call, day off or not."),
    # changes needed before a trial
    (
        "change_procedures",
        "mgr",
        "There should be a simple way to swap your day when court is listed, without filling in a new form.",
    ),
    (
        "change_procedures",
        "all",
        "It would help to review the pattern after three months, so people can change their mind without any fuss.",
    ),
    (
        "change_procedures",
        "lead",
        "Any wider rollout needs a clear process for cover across teams, not just within them.",
    ),
    (
        "change_materials",
        "mgr",
        "The guidance needs a section on what to do when a non-working day falls on a court date.",
    ),
    ("change_materials", "all", "A short FAQ for staff would have saved a lot of questions at the start."),
    ("change_scope", "all", "I'd offer it to assistant managers as well; at the moment they feel left out."),
    (
        "change_scope",
        "lead",
        "If it were tested more widely, I'd want to see it in teams with different kinds of caseload, not just child protection.",
    ),
    (
        "change_scope",
        "non",
        "A shorter pilot for part-time staff would have been useful, because the long days don't work for us.",
    ),
    # working environment (sister study)
    (
        "remote_working",
        "all",
        "Working from home makes the long days easier, but it's harder to switch off when your laptop is on the kitchen table.",
    ),
    (
        "remote_working",
        "user",
        "At home I can do my recording in the evening of a long day without sitting in traffic first.",
    ),
    ("remote_working", "base", "Since we've been working from home the days already run into each other."),
    (
        "office_working",
        "all",
        "In the office there are never enough quiet rooms for confidential calls, so long days there are harder.",
    ),
    (
        "office_working",
        "mgr",
        "Hot-desking means I can't always find my team in one place, which makes cover harder to organise.",
    ),
    (
        "return_to_office",
        "end",
        "Now we're back in the office two days a week, the long days feel much longer with the commute.",
    ),
    (
        "return_to_office",
        "end",
        "Going back to the office changed things: I've moved my day so it doesn't fall on a team office day.",
    ),
    (
        "return_to_office",
        "end",
        "Since the return to the office people want to keep the pattern, but it needs more planning around office days.",
    ),
    (
        "team_relationships",
        "all",
        "We see less of each other now, with people working from home and someone always off, so the team feels more scattered.",
    ),
    ("team_relationships", "mgr", "I've added a short team catch-up on Tuesdays, the one day everyone is working."),
    (
        "supervision",
        "mgr",
        "Supervision has to be planned around people's days, and newly qualified workers need me there more.",
    ),
    (
        "supervision",
        "all",
        "Newly qualified workers need colleagues around to ask, and that's harder when people are off on different days.",
    ),
    (
        "supervision",
        "lead",
        "We need to make sure newly qualified staff still get the support they need when teams work different patterns.",
    ),
    (
        "organisational_culture",
        "lead",
        "Offering flexible working sends a message that we value our staff, and it helps us recruit and keep social workers.",
    ),
    (
        "organisational_culture",
        "lead",
        "It has become part of how we do things here; people ask about it at interview.",
    ),
    (
        "organisational_culture",
        "mgr",
        "It feels like the organisation is finally recognising how much extra time social workers put in.",
    ),
    ("trust", "lead", "It's built on trust: we trust people to manage their time, and they repay that."),
    (
        "trust",
        "mgr",
        "You have to trust your staff; I don't check what they do on their long days as long as the work gets done.",
    ),
    ("trust", "user", "It feels like my manager trusts me to organise my own week, which means a lot."),
    # inductive
    (
        "caring_responsibilities",
        "all",
        "As a single parent, the extra day has made childcare so much easier to arrange.",
    ),
    (
        "caring_responsibilities",
        "non",
        "I care for my mum, so I need to finish at the same time every day; the long days don't fit around that.",
    ),
    (
        "caring_responsibilities",
        "base",
        "With two children at primary school, a day off during the week would save us a fortune in childcare.",
    ),
    (
        "informal_flexibility",
        "all",
        "We already had a lot of give and take, leaving early when you'd worked late, so it's not that different.",
    ),
    (
        "informal_flexibility",
        "non",
        "I'd rather keep the informal flexibility we have, taking time back when I've done a late visit.",
    ),
    (
        "informal_flexibility",
        "lead",
        "Alongside the formal policy there is a lot of informal flexibility, and we don't want to lose that.",
    ),
)

# Interviewer prompts by topic (the top-level code of a sentence's first code)
PROMPTS = {
    "implementation": "How has the arrangement worked in practice for you?",
    "barriers": "Has anything made it harder to use, or to keep to the pattern?",
    "facilitators": "What has helped it work?",
    "covid_context": "How has the pandemic affected things?",
    "acceptability": "What do you think of the offer overall?",
    "impacts": "Has it made any difference to you, at work or outside work?",
    "service_delivery": "What about the service to children and families?",
    "writeups": "Has it affected your recording or write-ups?",
    "unintended": "Have there been any downsides?",
    "changes_needed": "If it were rolled out more widely, what would you change?",
    "working_environment": "How does where you work affect it?",
    "supervision": "What about supervision and support?",
    "organisational_culture": "What does it say about the organisation?",
    "caring_responsibilities": "Does it fit around things at home?",
    "informal_flexibility": "How does it compare with the flexibility you had before?",
}
BASELINE_PROMPTS = {
    "implementation": "Have you thought about whether you would take it up?",
    "impacts": "How would you describe your work-life balance at the moment?",
}
OPENINGS = {
    "mgr": "I manage a child protection team of six social workers and an assistant manager.",
    "lead": "I'm a service leader, so I oversee several teams across the service.",
    "user": "I'm a social worker in a child protection team; I've been qualified for about six years.",
    "non": "I'm a social worker in the team; I've been in this authority for a few years now.",
}

# Sentences with identifiers, planted on purpose (code, sentence, identifier types)
PLANTED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("manager_support", "My manager Rowena was brilliant about it and just said put the day in the diary.", ("name",)),
    (
        "team_cover",
        "If anything urgent comes up, families can email tobias.marchetti@example.org and the duty worker picks it up.",
        ("email",),
    ),
    (
        "working_on_day_off",
        "Families still ring my work mobile on 07700 900417 even on my Friday, so I end up answering.",
        ("phone",),
    ),
    (
        "team_cover",
        "Ekow covers my Fridays and I cover his Mondays, and that has worked really well for both of us.",
        ("name",),
    ),
    (
        "remote_working",
        "Since we moved to ZZ9 9ZZ the commute is much longer on office days, so the long days are harder.",
        ("postcode",),
    ),
)


def schedule_for(study: Study) -> dict[str, dict[str, dict[str, int]]]:
    """The interview schedule: the study's ``interview_plan:`` or the protocol's."""
    return study.raw.get("interview_plan") or (study.raw.get("synthetic") or {}).get("interviews") or DEFAULT_SCHEDULE


def _voices(tags: str) -> set[str]:
    return set(tags.split(","))


def _eligible(voice: str, phase: str) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """code -> sentences this voice can say in this phase (baseline, interim, endline)."""
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for codes, tags, sentence in BANK:
        t = _voices(tags)
        if phase == "baseline":
            ok = "base" in t or (voice == "mgr" and "base-mgr" in t)
        else:
            ok = bool(t & {voice, "all"}) or (phase == "endline" and "end" in t)
        if ok:
            out.setdefault(codes.split("+")[0], []).append((tuple(codes.split("+")), sentence))
    return out


def _chances(voice: str, phase: str) -> dict[str, float]:
    if phase == "baseline":
        return dict(BASELINE_CHANCE)
    chances = dict(CODE_CHANCE[voice])
    if phase == "endline":
        for code, p in ENDLINE_EXTRA.items():
            chances[code] = max(p, chances.get(code, 0.0))
    return chances


def _transcript(
    iv: Interview,
    phase: str,
    rng: np.random.Generator,
    tops: Mapping[str, str],
    planted: list[tuple[str, str]],
) -> None:
    """Fill ``iv.text`` and ``iv.selections``: an opening, then a prompt and an answer per topic."""
    voice = AUDIENCE[iv.group]
    bank = _eligible(voice, phase)
    chances = {c: p for c, p in _chances(voice, phase).items() if c in bank}
    codes = sorted(chances)  # sorted: the draw must not depend on dict order
    draws = rng.random(len(codes))
    chosen = [c for c, u in zip(codes, draws, strict=False) if u < chances[c]]
    if len(chosen) < MIN_CODES:
        rest = sorted((c for c in codes if c not in chosen), key=lambda c: (-chances[c], c))
        chosen += rest[: MIN_CODES - len(chosen)]
    if len(chosen) > MAX_CODES:
        chosen = sorted(rng.choice(chosen, MAX_CODES, replace=False).tolist())
    said: list[Sentence] = []
    for code in chosen:
        options = bank[code]
        n = 2 if len(options) > 1 and rng.random() < 0.3 else 1
        said += [options[j] for j in sorted(rng.choice(len(options), n, replace=False).tolist())]
    said += [((code,), sentence) for code, sentence in planted]
    prompts = {**PROMPTS, **(BASELINE_PROMPTS if phase == "baseline" else {})}
    iv.text, iv.selections = qdpx_writer.transcript(
        [
            ("Thank you for talking to me today. Could you start by describing your role?", [((), OPENINGS[voice])]),
            *(
                (prompts.get(topic, "Could you tell me more about that?"), s)
                for topic, s in qdpx_writer.by_topic(said, tops).items()
            ),
            ("Is there anything else you would like to add?", [((), "No, I think that covers it.")]),
        ]
    )


def _interview_prefix(site_id: str, wave_id: str) -> str:
    return f"{site_id[:3].upper()}-{wave_id[:3].upper()}"


def _interview_day(wave: Any, window: Any, phase: str, rng: np.random.Generator) -> dt.date:
    """A day inside the site's interview window for the wave (a working day where the window
    has one); without a window, within three weeks of the wave's date (before it at baseline)."""
    if window is None:
        offset = int(rng.integers(1, 21))
        return wave.date - dt.timedelta(days=offset) if phase == "baseline" else wave.date + dt.timedelta(days=offset)
    days = [
        window.start + dt.timedelta(days=k)
        for k in range((window.end - window.start).days + 1)
        if (window.start + dt.timedelta(days=k)).weekday() < 5
    ] or [window.start]
    return days[int(rng.integers(0, len(days)))]


def simulate(
    study: Study,
    seed: int,
    schedule: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
) -> dict[str, list[Interview]]:
    """Every interview of every wave in ``schedule`` (wave id -> interviews), deterministically."""
    schedule = schedule or schedule_for(study)
    rng = np.random.default_rng([seed, 4])  # stream 4: independent of the admin and survey draws
    tops = qdpx_writer.top_codes(load_codebook())
    plan: list[tuple[Interview, str]] = []
    out: dict[str, list[Interview]] = {}
    for wave in study.waves:
        per_site = schedule.get(wave.id) or {}
        wave_phase = (
            "baseline" if wave.months_since_launch == 0 else ("endline" if wave.id == study.waves[-1].id else "interim")
        )
        for site in study.sites:
            # where the offer was already established, the first round talks about it in use
            phase = "interim" if wave_phase == "baseline" and site.established else wave_phase
            window = wave.window(site.id, "interviews")
            groups = per_site.get(site.id) or {}
            n = 0
            for group, count in groups.items():
                for _ in range(int(count)):
                    n += 1
                    iv = Interview(
                        f"{_interview_prefix(site.id, wave.id)}-{n:02d}",
                        site.id,
                        wave.id,
                        _interview_day(wave, window, wave_phase, rng),
                        group,
                    )
                    out.setdefault(wave.id, []).append(iv)
                    plan.append((iv, phase))
    # planted identifier sentences go to practitioners who use the pattern, after launch
    targets = [i for i, (iv, phase) in enumerate(plan) if phase != "baseline" and AUDIENCE[iv.group] == "user"]
    picks = rng.choice(targets, min(len(PLANTED), len(targets)), replace=False).tolist() if targets else []
    planted: dict[int, list[tuple[str, str]]] = {}
    for (code, sentence, _), i in zip(PLANTED, picks, strict=False):
        planted.setdefault(i, []).append((code, sentence))
    for i, (iv, phase) in enumerate(plan):
        _transcript(iv, phase, rng, tops, planted.get(i, []))
    return out


def write_interviews(folder: Path, interviews: list[Interview], study: Study, seed: int) -> list[Path]:
    """Write one wave's ``interviews_register.csv``, ``interviews.qdpx`` and ``segments.csv``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    codebook = load_codebook()
    wave = study.wave(interviews[0].wave)
    register = folder / f"{REGISTER}.csv"
    qdpx_writer.register_frame(interviews, {s.id: s.name for s in study.sites}).to_csv(
        register, index=False, lineterminator="\n"
    )
    qdpx = folder / QDPX_FILE
    title = f"{study.short_title} interviews: {wave.label} (synthetic)"
    qdpx.write_bytes(
        qdpx_writer.qdpx_bytes(
            interviews, codebook, title=title, created=wave.date, origin=__name__, namespace=f"{GUIDS}/{seed}"
        )
    )
    segments = folder / SEGMENTS_FILE
    names = dict(zip(codebook["id"], codebook["name"], strict=False))
    qdpx_writer.segments_frame(interviews, names).to_csv(segments, index=False, lineterminator="\n")
    return [register, qdpx, segments]


def generate(
    root: Path, study: Study, seed: int, schedule: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None
) -> list[Path]:
    """Write the interview files of every scheduled wave under ``root/<wave>/``.

    Parameters
    ----------
    root : Path
        The folder holding wave folders (``data/synthetic``).
    study : Study
        Sites (ids, names), waves (ids, labels, dates).
    seed : int
        The same seed gives the same bytes.
    schedule : mapping, optional
        wave id -> site id -> respondent group -> count; the protocol's by default.

    Returns
    -------
    list of Path
        The files written (three per wave that has interviews), and ``root/names.txt``: the names
        quotes are screened for, as an analyst keeps a staff list beside real data.
    """
    written: list[Path] = []
    for wave_id, interviews in simulate(study, seed, schedule).items():
        if interviews:
            written += write_interviews(Path(root) / wave_id, interviews, study, seed)
    return [*written, qdpx_writer.write_names(root)]
