"""Synthetic survey responses (interim wave) and the two Qualtrics exports they would give.

:func:`simulate_responses` draws tidy responses from the admin site's workers: about three in
four respond, those who took up a pattern since launch (stoppers included) say they took it up
(with a little noise), how often they stuck to their plans follows the flexible days they took,
work-life balance is mostly better. Free text is one or two invented sentences from a small bank
per question, or a bare "No" or "N/A"; one sentence carries a synthetic staff name, on purpose,
for the quote screen to catch. Display logic holds: Q5-Q7 only after Q4 = No, Q8-Q14 only after
Q4 = Yes.
:func:`write_exports` writes them as Qualtrics does, twice: ``survey.csv`` (choice text) and
``survey_numeric.csv`` (numeric recode values from the survey configuration), each with the
three header rows, Qualtrics' metadata columns and one "Survey Preview" row. Same input and
seed, same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import string
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.config import Study, load_study
from analysis.qdpx_writer import SYNTHETIC_NAMES
from analysis.qualtrics import Question, load_survey_config, questions, tidy_columns, tidy_schema

RESPONSE_RATE = 0.75
ID_ALPHABET = np.array(list(string.ascii_letters + string.digits))

# Qualtrics' metadata columns: id, question-text row, ImportId (the export format itself)
METADATA = [
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": None}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": None}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": None}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
    ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
    ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
]
STATUS_CODES = {"IP Address": "0", "Survey Preview": "1"}

# Invented sentences; none names a person, team or place (but the ones with {name}, which carry a
# name from the synthetic staff list on purpose, so that the quote screen has something to catch).
# Answers are one or two of them, as respondents asked for "2-3 sentences" write them.
BENEFITS = [
    "Colleagues on a compressed week seem less tired and more patient in team meetings.",
    "It has made the team talk more openly about workload and how we plan our weeks.",
    "Seeing it work for others makes me think I could try it later in the year.",
    "Morale in the team feels better since people started their flexible days.",
    "People come back from their day off refreshed and that lifts everyone.",
    "The office is quieter on Fridays, so I get more done on my write-ups.",
    "It has not changed much for me day to day, to be honest.",
]
CHALLENGES = [
    "Arranging cover for duty days is harder when two people are off on the same day.",
    "I have picked up extra calls and visits when colleagues were on their day off.",
    "There is more time pressure on the days everyone is in, and meetings get squeezed.",
    "Handovers are not always complete, so I sometimes chase information on a colleague's day off.",
    "Workload has not gone down, so covering for others adds to my week.",
    "It can feel unfair when part-time staff cannot use the offer in the same way.",
    "Families sometimes cannot get hold of their allocated worker on the day they are off.",
    "Since {name} moved to a 4-day week I cover her duty on Fridays as well as my own.",
]
IMPACTS = [
    "Having a full day to myself each fortnight means I come back to work rested.",
    "I can do the school run once a week, which has made a real difference at home.",
    "My working days are longer and more pressured, but the day off is worth it.",
    "I feel more in control of my diary and plan visits better around my day off.",
    "Some weeks the workload means I end up working on my day off anyway.",
    "I am less likely to work in the evenings because I know I have a day to catch up on life.",
    "I focus better on long days because I know the break is coming.",
    "My stress levels are lower and I sleep better.",
]
COMMENTS = [
    "It would help if managers planned cover for flexible days across the whole team.",
    "I would like the pilot to continue after the return to office working.",
    "The policy is good but only works if caseloads are manageable.",
    "Clearer guidance on swapping days when a court date lands on a day off would help.",
    "Please keep it, it is the best thing the council has done for staff in years.",
    "Happy to talk about this more, ring me on 07700 900461.",
]
# What people type where a question says "If so, please explain": counted as nothing to report
NOTHING = ["No", "no", "N/A", "Not really.", "None", "Nothing to add", "No."]
OTHER_REASONS = [
    "Court hearings fell on my day off.",
    "Training days were booked on my non-working day.",
    "A child protection conference could not be moved.",
]

# Share of each Likert score 1..5 (much worse .. much better); work-life balance mostly better
LIKERT = {
    "Q10": [0.02, 0.06, 0.12, 0.40, 0.40],
    "Q11": [0.03, 0.07, 0.25, 0.40, 0.25],
    "Q12": [0.02, 0.06, 0.27, 0.40, 0.25],
    "Q13": [0.05, 0.15, 0.40, 0.25, 0.15],
}
DEPENDANTS = [0.42, 0.20, 0.22, 0.11, 0.05]


def _response_id(rng: np.random.Generator) -> str:
    return "R_" + "".join(rng.choice(ID_ALPHABET, 15))


def _stick(planned: float, taken: float, rng: np.random.Generator, choices: tuple[str, ...]) -> str:
    """Q8 from the flexible days taken against those planned (a worker's own sense, so a little noise)."""
    if planned <= 0:  # took it up and has stopped (or says so by mistake): rarely kept to plans
        return str(rng.choice(list(choices[2:])))
    share = taken / planned
    k = 0 if share >= 1 else 1 if share >= 0.75 else 2 if share >= 0.5 else 3 if share > 0 else 4
    if rng.random() < 0.15:
        k = min(k + 1, len(choices) - 1)
    return choices[k]


def _free_text(bank: list[str], rng: np.random.Generator, nothing: float) -> str:
    """An answer of one or two sentences from ``bank``, or (share ``nothing``) a bare "No", "N/A"."""
    if rng.random() < nothing:
        return str(rng.choice(NOTHING))
    picks = rng.choice(len(bank), size=1 if rng.random() < 0.6 else 2, replace=False)
    name = str(rng.choice(SYNTHETIC_NAMES))
    return " ".join(bank[int(i)].format(name=name) for i in picks)


def simulate_responses(
    workers: pd.DataFrame,
    seed: int,
    survey_config: dict[str, Any] | None = None,
    flexible_patterns: tuple[str, ...] | None = None,
    took_up_ids: Collection[str] | None = None,
) -> pd.DataFrame:
    """Tidy survey responses for the workers of the survey wave.

    Parameters
    ----------
    workers : DataFrame
        The wave's workers: ``worker_id``, ``team``, ``role``, ``fte``, ``working_pattern``,
        ``planned_flex_days_last_month``, ``flex_days_taken_last_month``.
    seed : int
        Random seed; the same workers and seed give the same responses.
    survey_config : dict, optional
        The survey configuration (default :func:`analysis.qualtrics.load_survey_config`); its
        ``fieldwork`` dates place the responses in time.
    flexible_patterns : tuple of str, optional
        The working patterns that count as taking up the offer (default: the study's
        ``flexible_patterns``).
    took_up_ids : collection of str, optional
        The workers who took up a pattern at any time since launch (stoppers included), as the
        flexible-pattern spells show; they answer Q4 "Yes". Without it, those on a flexible
        pattern at the wave's cut date do.

    Returns
    -------
    DataFrame
        One row per response, in the order recorded, with the columns and types of the tidy
        survey table (as :func:`analysis.qualtrics.check_survey` returns them). No worker id.
    """
    config = survey_config if survey_config is not None else load_survey_config()
    if flexible_patterns is None:
        flexible_patterns = load_study().flexible_patterns
    qs = {q.id: q for q in questions(config)}
    rng = np.random.default_rng(seed)
    opens = pd.Timestamp(config["fieldwork"]["opens"])
    closes = pd.Timestamp(config["fieldwork"]["closes"])
    days = max(1, (closes - opens).days)

    respond = rng.random(len(workers)) < RESPONSE_RATE
    who = workers.loc[respond].reset_index(drop=True)
    n = len(who)
    unfinished = set(rng.choice(n, size=min(2, n // 4), replace=False).tolist()) if n >= 4 else set()

    rows = []
    for k, w in who.iterrows():
        if took_up_ids is None:
            flexible = str(w["working_pattern"]) in flexible_patterns
        else:
            flexible = str(w["worker_id"]) in took_up_ids
        took_up = flexible if rng.random() > 0.06 else not flexible  # a little noise
        years_mean = {"team manager": 16, "assistant manager": 11}.get(str(w["role"]), 6)
        r: dict[str, Any] = {
            "response_id": _response_id(rng),
            "q1_years": float(min(40, round(rng.gamma(2.5, years_mean / 2.5)))),
            "q2_overtime_hours": float(round(rng.gamma(2.0, 2.2) * 2) / 2),
            "q3_dependants": qs["Q3"].choices[rng.choice(5, p=DEPENDANTS)],
            "q4_taken_up": "Yes" if took_up else "No",
        }
        if took_up:
            r["q8_stick_to_plans"] = _stick(
                float(w["planned_flex_days_last_month"]), float(w["flex_days_taken_last_month"]), rng, qs["Q8"].choices
            )
            if r["q8_stick_to_plans"] != qs["Q8"].choices[0]:
                ticks = rng.random(4) < [0.6, 0.15, 0.35, 0.12]
                if not ticks.any():
                    ticks[0] = True
                for o, t in zip(qs["Q9"].options, ticks, strict=False):
                    r[o.column] = bool(t)
                if ticks[3]:
                    r["q9_other_text"] = str(rng.choice(OTHER_REASONS))
            for qid, p in LIKERT.items():
                r[str(qs[qid].column)] = int(rng.choice(5, p=p)) + 1
            if rng.random() < 0.7:
                r["q14_impact_text"] = _free_text(IMPACTS, rng, nothing=0.1)
        else:
            r["q5_team_taken_up"] = "Yes" if rng.random() < 0.8 else "No"
            if rng.random() < 0.7:
                r["q6_benefits_text"] = _free_text(BENEFITS, rng, nothing=0.35)
            if rng.random() < 0.6:
                r["q7_challenges_text"] = _free_text(CHALLENGES, rng, nothing=0.25)
        if rng.random() < 0.4:
            r["q15_comments_text"] = _free_text(COMMENTS, rng, nothing=0.3)
        # during the working day (08:00 to 18:00), on any day the survey is open
        start = opens + pd.Timedelta(days=int(rng.integers(0, days)), seconds=int(rng.integers(8 * 3600, 18 * 3600)))
        if k in unfinished:
            # stopped after Q4: Qualtrics closes a partial response a week after the last activity
            keep = {"response_id", "q1_years", "q2_overtime_hours", "q3_dependants", "q4_taken_up"}
            r = {c: v for c, v in r.items() if c in keep}
            r["finished"], r["progress"] = False, int(100 * 4 / len(qs))
            r["recorded_date"] = start + pd.Timedelta(days=7)
        else:
            r["finished"], r["progress"] = True, 100
            r["recorded_date"] = start + pd.Timedelta(seconds=int(rng.integers(240, 1500)))
        rows.append(r)
    return _tidy(rows, config)


def _tidy(rows: list[dict[str, Any]], config: dict[str, Any]) -> pd.DataFrame:
    """Records -> a frame with exactly the tidy survey table's columns and dtypes."""
    frame = pd.DataFrame(rows, columns=tidy_columns(config))
    frame["response_id"] = frame["response_id"].astype("string")
    frame["recorded_date"] = pd.to_datetime(frame["recorded_date"]).astype("datetime64[ns]")
    frame["finished"] = frame["finished"].astype(bool)
    frame["progress"] = frame["progress"].astype("int64")
    for q in questions(config):
        if q.type == "multiple":
            for o in q.options:
                frame[o.column] = frame[o.column].eq(True)
                if o.text_column:
                    frame[o.text_column] = frame[o.text_column].astype("string")
        else:
            frame[str(q.column)] = frame[str(q.column)].astype(q.dtype)
    frame = frame.sort_values("recorded_date", kind="stable").reset_index(drop=True)
    return tidy_schema(config).validate(frame)


# -- the exports -------------------------------------------------------------------------------


def header_rows(
    survey_config: dict[str, Any], time_zone: str = "Europe/London", ip_address: bool = True
) -> list[list[str]]:
    """Qualtrics' three header rows: column ids, question texts, ImportId JSON.

    ``ip_address=False`` leaves out ``IPAddress`` (Qualtrics does when responses are anonymised).
    """
    ids, texts, imports = [], [], []
    for cid, text, imp in METADATA:
        if cid == "IPAddress" and not ip_address:
            continue
        ids.append(cid)
        texts.append(text)
        imports.append({k: (time_zone if v is None else v) for k, v in imp.items()})
    for q in questions(survey_config):
        qid = "QID" + q.id.lstrip("Q")
        if q.type == "multiple":
            for o in q.options:
                ids.append(f"{q.id}_{o.id}")
                texts.append(f"{q.text} - Selected Choice - {o.text}")
                imports.append({"ImportId": qid, "choiceId": o.id})
            for o in q.options:
                if o.text_column:
                    ids.append(f"{q.id}_{o.id}_TEXT")
                    texts.append(f"{q.text} - {o.text} - Text")
                    imports.append({"ImportId": f"{qid}_{o.id}_TEXT"})
        else:
            ids.append(q.id)
            texts.append(q.text)
            imports.append({"ImportId": f"{qid}_TEXT" if q.type in ("text", "number") else qid})
    return [ids, texts, [json.dumps(i, separators=(",", ":")) for i in imports]]


def _fmt_number(v: Any) -> str:
    return "" if pd.isna(v) else f"{float(v):g}"


def _fmt_time(t: pd.Timestamp) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _answers(r: pd.Series, qs: list[Question], numeric: bool) -> list[str]:
    cells: list[str] = []
    for q in qs:
        if q.type == "multiple":
            ticks = [bool(r[o.column]) for o in q.options]
            cells += [
                (_fmt_number(q.selected_value) if numeric else o.text) if t else ""
                for o, t in zip(q.options, ticks, strict=False)
            ]
            cells += ["" if pd.isna(r[o.text_column]) else str(r[o.text_column]) for o in q.options if o.text_column]
            continue
        v = r[str(q.column)]
        if pd.isna(v):
            cells.append("")
        elif q.type == "number":
            cells.append(_fmt_number(v))
        elif q.type == "text":
            cells.append(str(v))
        else:
            choice = q.choices[int(v) - 1] if q.type == "scale" else str(v)
            cells.append(_fmt_number(dict(q.recode)[choice]) if numeric else choice)
    return cells


def _preview(config: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """One preview, made by the survey's author before it opened: every question on the Yes route."""
    qs = questions(config)
    r: dict[str, Any] = {
        "response_id": _response_id(rng),
        "finished": True,
        "progress": 100,
        "recorded_date": pd.Timestamp(config["fieldwork"]["opens"]) - pd.Timedelta(days=2, hours=-10),
    }
    for q in qs:
        if q.show_if and q.show_if[1] != "Yes":
            continue
        if q.type == "multiple":
            for o in q.options:
                r[o.column] = o.id == q.options[0].id
        elif q.type == "number":
            r[str(q.column)] = 1.0
        elif q.type == "text":
            r[str(q.column)] = "test"
        elif q.type == "scale":
            r[str(q.column)] = 3
        else:
            r[str(q.column)] = "Yes" if "Yes" in q.choices else q.choices[0]
    return _tidy([r], config)


def export_text(responses: pd.DataFrame, numeric: bool, seed: int, survey_config: dict[str, Any] | None = None) -> str:
    """One Qualtrics CSV export of ``responses`` (plus one preview), as text."""
    config = survey_config if survey_config is not None else load_survey_config()
    qs = questions(config)
    tz = str(config.get("fieldwork", {}).get("time_zone", "Europe/London"))
    rng = np.random.default_rng(seed)
    preview = _preview(config, rng)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(header_rows(config, tz))
    both = [(preview.iloc[0], "Survey Preview")] + [(r, "IP Address") for _, r in responses.iterrows()]
    for r, status in both:
        duration = int(rng.integers(150, 1500)) if r["finished"] else int(rng.integers(40, 200))
        end = r["recorded_date"] - (pd.Timedelta(days=7) if not r["finished"] else pd.Timedelta(seconds=1))
        start = end - pd.Timedelta(seconds=duration)
        ip = f"203.0.113.{int(rng.integers(1, 255))}"  # TEST-NET-3: documentation addresses, nobody's
        meta = {
            "StartDate": _fmt_time(start),
            "EndDate": _fmt_time(end),
            "Status": STATUS_CODES[status] if numeric else status,
            "IPAddress": ip,
            "Progress": str(int(r["progress"])),
            "Duration (in seconds)": str(duration),
            "Finished": ("1" if r["finished"] else "0") if numeric else ("True" if r["finished"] else "False"),
            "RecordedDate": _fmt_time(r["recorded_date"]),
            "ResponseId": str(r["response_id"]),
            "DistributionChannel": "preview" if status == "Survey Preview" else "anonymous",
            "UserLanguage": "EN-GB",
        }
        writer.writerow([meta.get(cid, "") for cid, _, _ in METADATA] + _answers(r, qs, numeric))
    return out.getvalue()


def write_exports(
    responses: pd.DataFrame, folder: Path, seed: int, survey_config: dict[str, Any] | None = None
) -> list[Path]:
    """Write ``survey.csv`` (choice text) and ``survey_numeric.csv`` (numeric recode values).

    Both are UTF-8 with a byte-order mark and CRLF line ends, as Qualtrics writes them, hold the
    same responses plus one "Survey Preview" row, and are byte-identical for the same input and
    seed (timestamps come from the responses and the seed, never the clock).

    Returns
    -------
    list of Path
        The two files written.
    """
    config = survey_config if survey_config is not None else load_survey_config()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, numeric in (("survey.csv", False), ("survey_numeric.csv", True)):
        p = folder / name
        p.write_bytes(export_text(responses, numeric, seed, config).encode("utf-8-sig"))
        written.append(p)
    return written


def _took_up_ids(spells: pd.DataFrame, study: Study, by: pd.Timestamp) -> set[str]:
    """Workers with a spell begun between launch and ``by``, or a pre-launch spell still under way then."""
    start = pd.to_datetime(spells["start"])
    end = pd.to_datetime(spells["end"])
    launch = pd.Timestamp(study.launch_date)
    since_launch = start.ge(launch) & start.le(by)
    ongoing_before = start.lt(launch) & (end.isna() | end.gt(by))
    return set(spells.loc[since_launch | ongoing_before, "worker_id"].astype(str))


def generate(
    root: Path,
    study: Study,
    seed: int,
    workers: pd.DataFrame | None = None,
    survey_config: dict[str, Any] | None = None,
) -> list[Path]:
    """Both exports for the survey's wave, under ``root/<wave>/``.

    ``workers`` are that wave's workers; by default they are drawn again exactly as
    :func:`analysis.studies.flexitime.synthetic.admin.generate` draws them from the same seed, with their
    flexible-pattern spells: who took up a pattern between launch and the survey's opening (those
    who have since stopped included) answers Q4 "Yes", as does anyone still on a pattern begun
    before launch (they are on compressed hours, and the question does not set them apart).
    """
    config = survey_config if survey_config is not None else load_survey_config(study=study)
    wave = str(config["wave"])
    study.wave(wave)
    took_up = None
    if workers is None:
        from analysis.studies.flexitime.synthetic import admin

        admin_by_wave = admin.simulate_admin(study, np.random.default_rng(seed))
        workers = admin_by_wave[wave][0]
        took_up = _took_up_ids(admin_by_wave[study.waves[-1].id][1], study, pd.Timestamp(config["fieldwork"]["opens"]))
    responses = simulate_responses(workers, seed, config, tuple(study.flexible_patterns), took_up)
    return write_exports(responses, Path(root) / wave, seed, config)
