"""Deterministic synthetic data for the agile study, in the real delivery formats.

For each fieldwork phase, ``<folder>/<phase>/`` holds

- ``participants.csv``: the participants register as at the phase (practitioners are recruited in
  the first phase, parents, carers and young people in the second), consents written yes / no,
  authorities by their anonymised names;
- the observation log: ``observations.xlsx`` in the first phase (a researcher's workbook, phases
  by label) and ``observations.csv`` in the others (phases by id), modes and roles of others
  several to a cell, separated by ``"; "``; observations per authority and phase from the
  configuration's ``observation_plan:`` (110 in all), about seven observed practitioners per
  authority;
- ``interviews_register.csv`` and ``interviews.qdpx``: interviews per phase, authority and role from
  ``interview_plan:`` (45 in all), with transcripts coded with the study's codebook, written by the
  engine's REFI-QDA writer (:func:`analysis.qdpx_writer.qdpx_bytes`).

A few transcript sentences carry identifiers on purpose (a made-up name from
:data:`analysis.qdpx_writer.SYNTHETIC_NAMES`, an example.org email address, a phone number
from Ofcom's drama range), so that quote screening has something to catch; ``<folder>/names.txt``
lists the names. Communication patterns follow the seed's findings (professionals' meetings almost
always online, recording largely asynchronous from home, more online contact in the first phase),
so the analysis has something to find. Same seed, same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import paths
from analysis.config import Study
from analysis.qda import QDPX_FILE, REGISTER, load_codebook
from analysis.qdpx_writer import (
    SYNTHETIC_NAMES,
    Interview,
    Sentence,
    by_topic,
    qdpx_bytes,
    register_frame,
    top_codes,
    transcript,
    write_names,
    write_workbook,
)
from analysis.studies.agile.schemas import JOIN, practitioner_roles

STREAM = 13  # the random stream of this study's synthetic data
GUIDS = "agile-synthetic"  # the namespace of the .qdpx GUIDs (with the seed)

# Participants per authority, by role: (role, how many, consent to observation, consent to interview)
# per person, in order. Observed practitioners are drawn from the first OBSERVED social workers and
# students, so about 7 per authority (the seed: about 20 social workers' practice in all).
ROSTER = (
    ("service leader", [(False, True)] * 2),
    ("supervisor or team manager", [(True, True)] * 3),
    ("social worker", [(True, True)] * 6 + [(False, True), (True, False)]),
    ("student or newly qualified social worker", [(True, True)] * 3),
    ("parent or carer", [(True, True)] * 3),
    ("young person", [(True, True)] * 2),
)
OBSERVED = {"social worker": 5, "student or newly qualified social worker": 2}
SW_BANDS = (("1 to 2 years", 0.3), ("3 to 5 years", 0.3), ("6 to 10 years", 0.2), ("over 10 years", 0.2))

ACTIVITY_WEIGHTS = {
    "home visit": 0.22,
    "team meeting": 0.12,
    "supervision": 0.12,
    "professionals' meeting": 0.18,
    "recording": 0.16,
    "duty": 0.12,
    "other": 0.08,
}
# activity -> setting -> weight, in the first phase and after it (more in person later)
SETTINGS = {
    "home visit": (
        {"family's home": 0.65, "online": 0.3, "car or public space": 0.05},
        {"family's home": 0.85, "online": 0.05, "car or public space": 0.1},
    ),
    "team meeting": ({"online": 0.9, "office": 0.1}, {"online": 0.7, "office": 0.3}),
    "supervision": (
        {"online": 0.7, "home working": 0.2, "office": 0.1},
        {"online": 0.5, "office": 0.3, "home working": 0.2},
    ),
    "professionals' meeting": ({"online": 0.95, "office": 0.05}, {"online": 0.9, "office": 0.1}),
    "recording": (
        {"home working": 0.8, "office": 0.15, "car or public space": 0.05},
        {"home working": 0.6, "office": 0.3, "car or public space": 0.1},
    ),
    "duty": ({"home working": 0.7, "office": 0.3}, {"home working": 0.4, "office": 0.6}),
    "other": ({"office": 0.4, "home working": 0.3, "online": 0.3}, {"office": 0.5, "home working": 0.3, "online": 0.2}),
}
MINUTES = {
    "home visit": (40, 120),
    "team meeting": (30, 90),
    "supervision": (45, 90),
    "professionals' meeting": (45, 150),
    "recording": (30, 180),
    "duty": (120, 480),
    "other": (20, 120),
}


def _pick(rng: np.random.Generator, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _weekday(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    days = [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]
    days = [d for d in days if d.weekday() < 5] or [start]
    return days[int(rng.integers(0, len(days)))]


# -- participants ------------------------------------------------------------------------------------


def simulate_participants(study: Study, rng: np.random.Generator) -> pd.DataFrame:
    """The participants of every authority: ``participant_id, authority, role, experience_band,
    consent_observation, consent_interview, recruited`` (the phase they join the register) and
    ``observed`` (in the pool of observed practitioners). Ids are meaningless: numbered after a
    shuffle."""
    practitioners = practitioner_roles(study)
    first, later = study.waves[0].id, study.waves[-1].id
    rows = []
    for site in study.sites:
        for role, people in ROSTER:
            for k, (obs, interview) in enumerate(people):
                if role == "service leader":
                    band = "over 10 years"
                elif role == "supervisor or team manager":
                    band = "6 to 10 years" if rng.random() < 0.4 else "over 10 years"
                elif role == "social worker":
                    band = _pick(rng, dict(SW_BANDS))
                elif role in practitioners:
                    band = "student or first year"
                else:
                    band = None
                rows.append(
                    {
                        "authority": site.id,
                        "role": role,
                        "experience_band": band,
                        "consent_observation": obs,
                        "consent_interview": interview,
                        "recruited": first if role in practitioners else later,
                        "observed": k < OBSERVED.get(role, 0) and obs,
                    }
                )
    frame = pd.DataFrame(rows)
    order = rng.permutation(len(frame))
    frame["participant_id"] = [f"P{int(i) + 1:03d}" for i in np.argsort(order)]
    cols = ["participant_id", "authority", "role", "experience_band", "consent_observation", "consent_interview"]
    return frame[cols + ["recruited", "observed"]]


def participants_file(participants: pd.DataFrame, study: Study, phase: str) -> pd.DataFrame:
    """The register as delivered at ``phase``: everyone recruited by then, authorities by name,
    consents yes / no, sorted by id."""
    upto = study.wave_ids[: study.wave_ids.index(phase) + 1]
    names = {s.id: s.name for s in study.sites}
    out = participants[participants["recruited"].isin(upto)].copy()
    out["authority"] = out["authority"].map(names)
    for c in ("consent_observation", "consent_interview"):
        out[c] = out[c].map({True: "yes", False: "no"})
    out["experience_band"] = out["experience_band"].fillna("")
    cols = ["participant_id", "authority", "role", "experience_band", "consent_observation", "consent_interview"]
    return out[cols].sort_values("participant_id").reset_index(drop=True)


# -- observations ------------------------------------------------------------------------------------


def _modes(activity: str, setting: str, rng: np.random.Generator) -> list[str]:
    if setting == "online":
        modes = ["video"] + (["instant message or text"] if rng.random() < 0.3 else [])
    elif activity == "recording":
        modes = ["email"] if rng.random() < 0.6 else ["instant message or text"]
        modes += ["phone"] if rng.random() < 0.2 else []
    elif activity == "duty":
        modes = ["phone", "email"] + (["instant message or text"] if rng.random() < 0.5 else [])
    elif setting == "home working":  # supervision or other work from home, by phone
        modes = ["phone"] + (["instant message or text"] if rng.random() < 0.3 else [])
    else:  # in the family's home, the office, a car or a public space
        modes = ["in person"] + (["phone"] if rng.random() < 0.2 else [])
        modes += ["instant message or text"] if rng.random() < 0.15 else []
    return modes


def _synchrony(modes: list[str], activity: str, kinds: Mapping[str, str]) -> str:
    sync = any(kinds[m] == "synchronous" for m in modes)
    asyn = any(kinds[m] == "asynchronous" for m in modes)
    either = any(kinds[m] == "either" for m in modes)
    if either and activity in ("recording", "duty", "other"):
        asyn = True  # messages sent while recording or on duty are answered later
    if sync and asyn:
        return "both"
    if sync or (either and not asyn):
        return "synchronous"
    return "asynchronous"


def _others(activity: str, role: str, rng: np.random.Generator) -> list[str]:
    if activity == "home visit":
        out = ["parent or carer"] + (["young person"] if rng.random() < 0.5 else [])
        return out + (["other family member"] if rng.random() < 0.15 else [])
    if activity == "team meeting":
        others = ["social worker", "supervisor or team manager"]
        return others + (["student or newly qualified social worker"] if rng.random() < 0.4 else [])
    if activity == "supervision":
        return ["supervisor or team manager"]
    if activity == "professionals' meeting":
        out = ["other professional"] + (["supervisor or team manager"] if rng.random() < 0.3 else [])
        return out + (["parent or carer"] if rng.random() < 0.15 else [])
    if activity == "duty":
        return (["social worker"] if rng.random() < 0.5 else []) + (["parent or carer"] if rng.random() < 0.3 else [])
    if activity == "other":
        return ["social worker"] if rng.random() < 0.5 else []
    return []  # recording: alone


def simulate_observations(study: Study, participants: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Every observation of every phase: the observation log's columns, typed (dates as dates,
    modes and roles of others ``"; "``-joined), in phase and date order, ids numbered in that order."""
    kinds = dict((study.raw.get("observation") or {}).get("modes") or {})
    plan = study.raw.get("observation_plan") or {}
    rows = []
    for k, wave in enumerate(study.waves):
        for site in study.sites:
            window = wave.window(site.id, "observations")
            pool = participants[(participants["authority"] == site.id) & participants["observed"]]
            pool = pool[pool["recruited"].isin(study.wave_ids[: k + 1])]
            for _ in range(int((plan.get(wave.id) or {}).get(site.id, 0))):
                activity = _pick(rng, ACTIVITY_WEIGHTS)
                setting = _pick(rng, SETTINGS[activity][0 if k == 0 else 1])
                modes = _modes(activity, setting, rng)
                who = pool.iloc[int(rng.integers(0, len(pool)))]
                low, high = MINUTES[activity]
                rows.append(
                    {
                        "phase": wave.id,
                        "authority": site.id,
                        "date": _weekday(rng, window.start, window.end),
                        "duration_minutes": int(rng.integers(low // 5, high // 5 + 1)) * 5,
                        "setting": setting,
                        "activity": activity,
                        "modes": JOIN.join(modes),
                        "synchrony": _synchrony(modes, activity, kinds),
                        "practitioner_id": who["participant_id"],
                        "others_roles": JOIN.join(_others(activity, who["role"], rng)),
                    }
                )
    frame = pd.DataFrame(rows)
    frame["_order"] = frame["phase"].map({w: i for i, w in enumerate(study.wave_ids)})
    frame = frame.sort_values(["_order", "date", "authority"], kind="stable").drop(columns="_order")
    frame.insert(0, "observation_id", [f"OBS-{i:03d}" for i in range(1, len(frame) + 1)])
    return frame.reset_index(drop=True)


def observations_file(observations: pd.DataFrame, study: Study, phase: str, by_label: bool) -> pd.DataFrame:
    """One phase's log as delivered: authorities by name, the phase by id (or by label)."""
    out = observations[observations["phase"] == phase].copy()
    out["authority"] = out["authority"].map({s.id: s.name for s in study.sites})
    if by_label:
        out["phase"] = study.wave(phase).label
    return out.reset_index(drop=True)


def write_observations_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The log as a researcher's workbook (sheet ``observations``, real Excel dates), byte-stable."""
    write_workbook({"observations": frame.assign(date=pd.to_datetime(frame["date"]))}, path)


# -- interviews --------------------------------------------------------------------------------------

# role -> voice
VOICE = {
    "service leader": "leader",
    "supervisor or team manager": "manager",
    "social worker": "sw",
    "student or newly qualified social worker": "new",
    "parent or carer": "user",
    "young person": "user",
}
PRACTICE = "manager,sw,new"
# (code ids joined by "+", voices joined by ",", sentence)
BANK: tuple[tuple[str, str, str], ...] = (
    (
        "leaders_expectations",
        "leader",
        "We expected agile working to save on buildings and to give staff more say over where they work.",
    ),
    (
        "leaders_expectations",
        "leader",
        "The idea was that laptops and phones would let social workers communicate more, not less.",
    ),
    (
        "practitioners_accounts",
        PRACTICE,
        "For me agile just means I work wherever the work is that day, mostly at my kitchen table.",
    ),
    ("practitioners_accounts", PRACTICE, "Nobody really explained agile to us; it arrived with the laptops."),
    (
        "service_users_accounts",
        "user",
        "My social worker mostly texts me now, and I see her when something big is happening.",
    ),
    ("service_users_accounts", "user", "The meetings on the computer felt like they were about us without us."),
    (
        "expectation_gap",
        "leader,manager",
        "On paper people collaborate in the hub; in practice the hub is empty on most days.",
    ),
    ("expectation_gap", "sw,new", "They said it would free us up, but it mostly moved the same work to my spare room."),
    ("relational_practice", PRACTICE, "You cannot build a relationship with a teenager through a laptop camera alone."),
    ("relational_practice", "leader", "Relationship-based practice is still what we say we value most."),
    (
        "in_person_valued",
        PRACTICE,
        "I go in person when I need to read the room; it takes half a day, so I choose when.",
    ),
    ("in_person_valued", "user", "When she came round it was different; I could actually talk to her."),
    (
        "information_security",
        PRACTICE,
        "Taking a call about a child in a café, you are always checking who can hear you.",
    ),
    (
        "information_security",
        "leader",
        "Keeping families' information secure outside the office is a real worry for us.",
    ),
    ("remote_as_norm", PRACTICE, "Even now the rules have gone, I am at home three or four days a week."),
    ("remote_as_norm", "leader", "Home working is simply how the service runs now; the office is the exception."),
    (
        "communication_choices",
        PRACTICE,
        "I pick the phone for anything sensitive and email for anything that needs a record.",
    ),
    ("communication_choices", PRACTICE, "If it is quick I send a message on Teams; if it matters I ring."),
    ("hot_desking", PRACTICE, "With hot-desking you never know if there will be a desk, so you stop coming in."),
    ("hot_desking", "leader", "We gave up two floors and moved to open, informal collaboration space."),
    (
        "workspace_needs",
        PRACTICE,
        "There is nowhere in the office to join an online meeting or make a confidential call.",
    ),
    ("workspace_needs", "manager", "Supervision about a hard case needs a closed door, and there are hardly any left."),
    (
        "supervision",
        "manager,sw,new",
        "Supervision on video is fine for case direction but the reflective part gets lost.",
    ),
    (
        "supervision",
        "manager",
        "I supervise most of my team online now, and I see some of them in person once a month.",
    ),
    ("peer_support", "sw", "After ten years I have my own network; I just ring someone I trust."),
    ("peer_support", "new", "I do not really know who to ask apart from my supervisor."),
    (
        "supporting_newer_staff",
        "manager,sw",
        "Supporting a student who is at home is exhausting; you cannot see when they are struggling.",
    ),
    ("supporting_newer_staff", "new", "In my first year I never sat next to anyone and heard how they handled a call."),
    ("team_relationships", PRACTICE, "The team only meets properly at the monthly away day now."),
    (
        "team_relationships",
        "leader,manager",
        "We started a fortnightly team day in the office to keep the team together.",
    ),
    (
        "coping_strategies",
        "manager,leader",
        "We set up buddying for newly qualified workers and an online drop-in with a senior.",
    ),
    ("coping_strategies", "sw,new", "I block out time each morning to call a colleague, just to talk things through."),
    ("home_work_boundaries", PRACTICE, "My dining room has become my office; the family eat around my files."),
    ("home_work_boundaries", PRACTICE, "The children come home from school in the middle of a difficult call."),
    ("long_hours", PRACTICE, "Without the drive home there is no end to the day; I log off at nine some nights."),
    ("wellbeing", PRACTICE, "After a hard visit you come back to an empty house and carry it on your own."),
    ("wellbeing", "manager", "I worry about the mental health of people I hardly see."),
    ("flexibility_valued", PRACTICE, "Writing up at home in the quiet is much better than in a noisy office."),
    ("flexibility_valued", "sw", "Being at home means I can do the school run and still get the recording done."),
    (
        "families_sensemaking",
        "sw,manager",
        "In an online conference the parents can miss half of what is said and nobody notices.",
    ),
    ("families_sensemaking", "user", "They sent the plan by email and I did not understand what it meant for us."),
    (
        "creative_digital_use",
        "sw,new",
        "I used a drawing app with a young person on video, and she told me more than ever before.",
    ),
    (
        "creative_digital_use",
        "user",
        "Texting my worker is easier than talking; I can say things I would not say out loud.",
    ),
    (
        "online_professionals_meetings",
        PRACTICE,
        "Strategy meetings are always online now, and it is hard to tell who is agreeing.",
    ),
    ("online_professionals_meetings", "leader", "Professionals' meetings online save everyone hours of travel."),
    (
        "narrowed_communication+reluctance_to_ask",
        "new",
        "I type a question to my supervisor, delete it and try to work it out myself.",
    ),
    ("narrowed_communication", "manager,sw", "What used to be a chat at the next desk is now a two-line message."),
    ("reluctance_to_ask", "new", "I did not want to bother anyone by ringing, so I waited for supervision."),
    (
        "pandemic_context",
        "leader,manager,sw",
        "Lockdown made us do in a fortnight what we had been planning for years.",
    ),
    ("pandemic_context", "user", "During lockdown we only saw our social worker on the doorstep or on a screen."),
    ("devices_platforms", PRACTICE, "The laptop drops out of the case system if the broadband at home is slow."),
    (
        "devices_platforms",
        "sw,new",
        "We use the work phone for WhatsApp with some families because that is what they use.",
    ),
)
# (code, sentence): planted identifiers, each in one practitioner's phase-2 interview
PLANTED = (
    ("peer_support", f"My practice educator, {SYNTHETIC_NAMES[0]}, rings me every morning at eight."),
    ("communication_choices", "Families can email me at duty.worker@example.org when they cannot get through."),
    ("supervision", "If I cannot reach my supervisor I ring the team line on 07700 900461."),
)
PROMPTS = {
    "accounts": "What does agile working mean here, and what is it meant to achieve?",
    "knowledge_beliefs": "What matters most in safeguarding work with children and families?",
    "practices": "Can you describe how and where you work, and who you work with, on a typical day?",
    "communication_sensemaking": "How has communication with families and colleagues changed?",
}
OPENINGS = {
    "leader": "I lead children's safeguarding services in the authority.",
    "manager": "I manage a safeguarding team and supervise its social workers.",
    "sw": "I am a social worker in a safeguarding team.",
    "new": "I am in my first year as a social worker, after my placement here as a student.",
    "user": "We have had a social worker for about a year.",
}
OPENING = "Thank you for talking to me. Could you start by telling me about yourself?"
MIN_CODES, MAX_CODES = 4, 8


def _bank(voice: str) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for codes, voices, sentence in BANK:
        if voice in voices.split(","):
            out.setdefault(codes.split("+")[0], []).append((tuple(codes.split("+")), sentence))
    return out


def _transcript(iv: Interview, rng: np.random.Generator, tops: Mapping[str, str], planted: list) -> None:
    """Fill ``iv.text`` and ``iv.selections``: an opening, then a prompt and an answer per topic."""
    bank = _bank(VOICE[iv.group])
    codes = sorted(bank)
    chosen = [c for c, u in zip(codes, rng.random(len(codes)), strict=True) if u < 0.45]
    if len(chosen) < MIN_CODES:
        chosen += [c for c in codes if c not in chosen][: MIN_CODES - len(chosen)]
    if len(chosen) > MAX_CODES:
        chosen = sorted(rng.choice(chosen, MAX_CODES, replace=False).tolist())
    said: list[Sentence] = [bank[code][int(rng.integers(0, len(bank[code])))] for code in chosen]
    said += [((code,), sentence) for code, sentence in planted]
    topics = by_topic(said, tops)
    iv.text, iv.selections = transcript(
        [
            (OPENING, [((), OPENINGS[VOICE[iv.group]])]),
            *((PROMPTS.get(topic, "Is there anything else that has changed?"), s) for topic, s in topics.items()),
            ("Is there anything else you would like to add?", [((), "No, that is everything.")]),
        ]
    )


def simulate_interviews(
    study: Study, participants: pd.DataFrame, rng: np.random.Generator, codebook: pd.DataFrame
) -> dict[str, list[tuple[Interview, str]]]:
    """phase -> [(interview, interviewee's participant id)], from ``interview_plan:``; interviewees
    drawn without replacement from those who consented to interview."""
    plan = study.raw.get("interview_plan") or {}
    tops = top_codes(codebook)
    used: set[str] = set()
    out: dict[str, list[tuple[Interview, str]]] = {}
    letters = {s.id: chr(ord("A") + i) for i, s in enumerate(study.sites)}
    for k, wave in enumerate(study.waves):
        for site in study.sites:
            window = wave.window(site.id, "interviews")
            n = 0
            for role, count in ((plan.get(wave.id) or {}).get(site.id) or {}).items():
                pool = participants[
                    (participants["authority"] == site.id)
                    & (participants["role"] == role)
                    & participants["consent_interview"]
                    & participants["recruited"].isin(study.wave_ids[: k + 1])
                ]
                fresh = [p for p in pool["participant_id"] if p not in used] or list(pool["participant_id"])
                picks = rng.choice(fresh, min(int(count), len(fresh)), replace=False).tolist()
                for pid in sorted(picks):
                    n += 1
                    used.add(pid)
                    iv = Interview(
                        f"INT-{letters[site.id]}{k + 1}-{n:02d}",
                        site.id,
                        wave.id,
                        _weekday(rng, window.start, window.end),
                        role,
                    )
                    out.setdefault(wave.id, []).append((iv, pid))
    later = [
        (w, i)
        for w, ivs in out.items()
        if w != study.wave_ids[0]
        for i, (iv, _) in enumerate(ivs)
        if VOICE[iv.group] in ("sw", "new")
    ]
    picks = (
        [later[int(j)] for j in rng.choice(len(later), min(len(PLANTED), len(later)), replace=False)] if later else []
    )
    planted = {pick: [p] for pick, p in zip(picks, PLANTED, strict=False)}
    for w, ivs in out.items():
        for i, (iv, _) in enumerate(ivs):
            _transcript(iv, rng, tops, planted.get((w, i), []))
    return out


def register_file(interviews: list[tuple[Interview, str]], study: Study) -> pd.DataFrame:
    """The interview register as delivered: authorities by name, the phase by id, and the
    interviewee's participant id."""
    return register_frame(
        [iv for iv, _ in interviews],
        {s.id: s.name for s in study.sites},
        extra={"participant_id": [pid for _, pid in interviews]},
    )


# -- everything --------------------------------------------------------------------------------------


def generate(folder: Path, study: Study, seed: int | None = None, codebook_path: Path | None = None) -> list[Path]:
    """Write every phase's files under ``folder/<phase>/`` and ``folder/names.txt``.

    Parameters
    ----------
    folder : Path
        The folder that holds phase folders (e.g. ``studies/agile/data/synthetic``, or a temporary
        folder in tests).
    study : Study
        The agile study's configuration (authorities, phases and windows, plans, vocabularies).
    seed : int, optional
        Defaults to the configuration's ``synthetic.seed``. The same seed gives the same bytes.
    codebook_path : Path, optional
        The codebook the transcripts are coded with; the study's by default.

    Returns
    -------
    list of Path
        The files written.
    """
    seed = study.seed if seed is None else seed
    rng = np.random.default_rng([seed, STREAM])
    codebook = load_codebook(codebook_path or paths.CODEBOOK)
    participants = simulate_participants(study, rng)
    observations = simulate_observations(study, participants, rng)
    interviews = simulate_interviews(study, participants, rng, codebook)
    folder = Path(folder)
    written: list[Path] = []
    for k, wave in enumerate(study.waves):
        phase_dir = folder / wave.id
        phase_dir.mkdir(parents=True, exist_ok=True)
        p = phase_dir / "participants.csv"
        participants_file(participants, study, wave.id).to_csv(p, index=False, lineterminator="\n")
        written.append(p)
        log = observations_file(observations, study, wave.id, by_label=k == 0)
        if k == 0:
            p = phase_dir / "observations.xlsx"
            write_observations_xlsx(log, p)
        else:
            p = phase_dir / "observations.csv"
            log.to_csv(p, index=False, lineterminator="\n")
        written.append(p)
        ivs = interviews.get(wave.id) or []
        if ivs:
            p = phase_dir / f"{REGISTER}.csv"
            register_file(ivs, study).to_csv(p, index=False, lineterminator="\n")
            q = phase_dir / QDPX_FILE
            title = f"{study.short_title} interviews: {wave.label} (synthetic)"
            guids = f"{GUIDS}/{seed}"
            q.write_bytes(
                qdpx_bytes(
                    [iv for iv, _ in ivs], codebook, title=title, created=wave.date, origin=__name__, namespace=guids
                )
            )
            written += [p, q]
    return [*written, write_names(folder)]


def generate_all(folder: Path, study: Study) -> list[Path]:
    """The engine's hook (``make data``, the build's ``data`` task): :func:`generate` into ``folder``
    (``analysis.paths.SYNTHETIC``) with the study's seed and the selected study's codebook
    (``analysis.paths.CODEBOOK``): one folder per phase and ``names.txt``; returns every file written."""
    return generate(folder, study, codebook_path=paths.CODEBOOK)
