"""The agile study's data contracts, in the engine's own style: one :class:`~analysis.schemas.TableSpec`
per source, whose columns give types, allowed values and ranges (checked by pandera through
:func:`analysis.validate.check_table`) and whose :class:`~analysis.schemas.RowRule` s check rows
within a table and across the tables of the same phase.

Sources (issue 13, section 2), one set per fieldwork phase folder (``<phase>/``):

- ``participants.csv`` (or ``.xlsx``): the participants register, one row per participant;
- ``observations.xlsx`` (or ``.csv``): the observation log, one row per observed instance of
  practice; communication modes and the roles of others taking part may be several per row, in
  one cell, separated by ``;`` (or ``,``, ``|``, a line break);
- ``interviews_register.csv`` (or ``.xlsx``): the interview register: the engine's register
  (:func:`analysis.qda.register_spec`: site = authority, wave = phase, group = role) with the
  interviewee's ``participant_id``; and ``interviews.qdpx``, read by :mod:`analysis.qda`.

Every vocabulary (authorities, phases and their fieldwork windows, roles, experience bands,
settings, activities, modes and whether each is synchronous) comes from the study configuration
(``studies/agile/config/study.yml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from analysis.config import Study
from analysis.qda import register_spec
from analysis.schemas import Column, RowRule, TableSpec, ids_in

PARTICIPANTS = "participants"
OBSERVATIONS = "observations"
INTERVIEWS = "interviews"
JOIN = "; "  # several values in one cell, as the typed table holds them


# -- the study configuration's vocabularies -----------------------------------------------------


def vocabulary(study: Study) -> dict[str, Any]:
    """The observation log's vocabularies from the configuration's ``observation:`` mapping:
    settings, activities, modes (mode -> synchronous, asynchronous or either), synchrony values,
    roles of others besides the participant roles, and the separators of several values in a cell."""
    obs = study.raw.get("observation") or {}
    return {
        "settings": tuple(obs.get("settings") or ()),
        "activities": tuple(obs.get("activities") or ()),
        "modes": {str(k): str(v) for k, v in (obs.get("modes") or {}).items()},
        "synchrony": tuple(obs.get("synchrony") or ("synchronous", "asynchronous", "both")),
        "other_roles": tuple(obs.get("other_roles") or ()),
        "separators": tuple(obs.get("separators") or (";",)),
    }


def practitioner_roles(study: Study) -> tuple[str, ...]:
    return tuple(study.raw.get("practitioner_roles") or ())


def service_user_roles(study: Study) -> tuple[str, ...]:
    return tuple(study.raw.get("service_user_roles") or ())


def experience_bands(study: Study) -> tuple[str, ...]:
    return tuple(study.raw.get("experience_bands") or ())


def others_allowed(study: Study) -> tuple[str, ...]:
    """The roles others taking part in an observation may have: participant roles and others."""
    return tuple(study.roles) + vocabulary(study)["other_roles"]


# -- several values in one cell -----------------------------------------------------------------


def split_values(cell: Any, separators: Iterable[str] = (";",)) -> list[str]:
    """The values of a cell that may hold several, in order, inner white space collapsed, empties dropped.

    >>> split_values("Video; phone,  email")
    ['Video', 'phone, email']
    >>> split_values("Video; phone,  email", (";", ","))
    ['Video', 'phone', 'email']
    >>> split_values(None), split_values("  ")
    ([], [])
    """
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return []
    parts = [str(cell)]
    for sep in separators:
        parts = [piece for part in parts for piece in part.split(sep)]
    return [" ".join(p.split()) for p in parts if p.strip()]


def canonical_list(cell: Any, allowed: Iterable[str], separators: Iterable[str]) -> Any:
    """A multi-valued cell with each known value in its configured spelling (case- and
    space-insensitive), joined by ``"; "``; unknown values are kept as delivered (a rule reports
    them); an empty cell stays as delivered.

    >>> canonical_list("VIDEO |  Instant  message or text", ["video", "instant message or text"], ["|"])
    'video; instant message or text'
    >>> canonical_list("video, fax", ["video"], [","])
    'video; fax'
    """
    values = split_values(cell, separators)
    if not values:
        return cell
    canon = {" ".join(a.lower().split()): a for a in allowed}
    return JOIN.join(canon.get(v.lower(), v) for v in values)


def unknown_values(cells: pd.Series, allowed: Iterable[str]) -> list[list[str]]:
    """For each (canonical, ``"; "``-joined) cell, the values that are not allowed."""
    ok = set(allowed)
    return [[v for v in split_values(c, (";",)) if v not in ok] for c in cells]


# -- looking rows up in the participants register ------------------------------------------------


def participant_field(ids: pd.Series, context: Mapping[str, pd.DataFrame | None], field: str) -> pd.Series:
    """Each row's participant's ``field`` in the accepted participants register (``<NA>`` when the
    participant is not in it, or the register was not delivered)."""
    reg = context.get(PARTICIPANTS)
    if reg is None or not len(reg):
        return pd.Series(pd.NA, index=ids.index, dtype="object")
    lookup = reg.drop_duplicates("participant_id").set_index("participant_id")[field]
    return ids.map(lookup.to_dict()).astype("object").where(ids.notna(), pd.NA)


def _in_register(ids: pd.Series, context: Mapping[str, pd.DataFrame | None]) -> pd.Series:
    return ids.isin(ids_in(context.get(PARTICIPANTS), "participant_id"))


def participant_known(what: str, column: str) -> RowRule:
    """The rule that a row's participant id is in the participants register of the same phase."""
    return RowRule(
        "participant_in_register",
        f"The {what} is in the participants register of the same phase (and its register row was accepted)",
        column,
        lambda t, c: t[column].notna() & ~_in_register(t[column], c),
        lambda rows, _: [
            f"{column} {v!r} is not an accepted participant of the participants register" for v in rows[column]
        ],
        needs=(PARTICIPANTS,),
        typed_rows_only=False,
    )


def participant_consented(what: str, column: str, consent: str, activity: str) -> RowRule:
    """The rule that the participant consented to ``activity`` (``consent``: the register's column)."""

    def fails(t: pd.DataFrame, c: Mapping[str, pd.DataFrame | None]) -> pd.Series:
        given = participant_field(t[column], c, consent)
        refused = pd.Series(
            [v is not True and v is not pd.NA and not bool(v) for v in given], index=t.index, dtype=bool
        )
        return _in_register(t[column], c) & refused

    return RowRule(
        f"participant_consented_{activity}",
        f"The {what} consented to {activity} (participants register: {consent} is true)",
        column,
        fails,
        lambda rows, _: [
            f"{column} {v!r} has not consented to {activity} (participants register: {consent} is not true)"
            for v in rows[column]
        ],
        needs=(PARTICIPANTS,),
    )


def participant_matches(what: str, column: str, own: str, field: str, label: str) -> RowRule:
    """The rule that this row's ``own`` column equals the participant's ``field`` in the register."""

    def fails(t: pd.DataFrame, c: Mapping[str, pd.DataFrame | None]) -> pd.Series:
        theirs = participant_field(t[column], c, field)
        differ = [not pd.isna(a) and not pd.isna(b) and a != b for a, b in zip(t[own], theirs, strict=True)]
        return _in_register(t[column], c) & pd.Series(differ, index=t.index, dtype=bool)

    def message(rows: pd.DataFrame, c: Mapping[str, pd.DataFrame | None]) -> list[str]:
        theirs = participant_field(rows[column], c, field)
        return [
            f"{own} is {mine!r} but the participants register gives {column} {pid!r} the {label} {reg!r}"
            for pid, mine, reg in zip(rows[column], rows[own], theirs, strict=True)
        ]

    return RowRule(
        f"participant_{label.replace(' ', '_')}_matches",
        f"The {what}'s {own} is the {label} the participants register gives them",
        own,
        fails,
        message,
        needs=(PARTICIPANTS,),
    )


# -- fieldwork windows ---------------------------------------------------------------------------


def outside_window(t: pd.DataFrame, study: Study, source: str, site: str = "authority", wave: str = "phase") -> list:
    """Whether each row is dated outside its phase's ``source`` window for its authority (or at an
    authority with no such window in that phase). Unknown phases or authorities and missing dates
    do not fail here: they are problems of their own."""
    sites = {s.id for s in study.sites}
    waves = {w.id: w for w in study.waves}
    out = []
    for wave_id, site_id, day in zip(t[wave], t[site], t["date"], strict=True):
        w = waves.get(wave_id)
        if w is None or site_id not in sites or pd.isna(day):
            out.append(False)
            continue
        window = w.window(str(site_id), source)
        out.append(window is None or pd.Timestamp(day).date() not in window)
    return out


def window_message(rows: pd.DataFrame, study: Study, source: str, site: str = "authority", wave: str = "phase") -> list:
    out = []
    for wave_id, site_id, day in zip(rows[wave], rows[site], rows["date"], strict=True):
        w = study.wave(wave_id)
        name = study.site(site_id).name
        window = w.window(str(site_id), source)
        if window is None:
            out.append(f"no {source} are planned at {name} in {w.label} (the study configuration has no window)")
        else:
            out.append(
                f"date {pd.Timestamp(day).date().isoformat()} is outside the {w.label} {source} window for "
                f"{name} ({window.text}): is the date or the phase wrong?"
            )
    return out


# -- the participants register -------------------------------------------------------------------


def participants_spec(study: Study) -> TableSpec:
    """The participants register: one row per participant, kept by the research team."""
    practitioners, users = practitioner_roles(study), service_user_roles(study)
    return TableSpec(
        name=PARTICIPANTS,
        description="One row per participant: pseudonymous id, authority, role, experience band and consents.",
        columns=(
            Column(
                "participant_id",
                "str",
                "Pseudonymous participant identifier, the same in every phase and every table",
                "P001",
                aliases=("participant", "pseudonym", "participant_ref", "id"),
                unique=True,
            ),
            Column(
                "authority",
                "category",
                "Local authority (its id or its anonymised name)",
                study.sites[0].id,
                aliases=("site", "local_authority", "la"),
                allowed=tuple(s.id for s in study.sites),
            ),
            Column(
                "role",
                "category",
                "Role",
                study.roles[0],
                aliases=("participant_role", "job_role", "group"),
                allowed=study.roles,
            ),
            Column(
                "experience_band",
                "category",
                "Years in social work (practitioners only; empty for parents, carers and young people)",
                experience_bands(study)[0] if experience_bands(study) else "",
                aliases=("experience", "years_in_social_work", "years_qualified", "experience_years"),
                nullable=True,
                allowed=experience_bands(study),
            ),
            Column(
                "consent_observation",
                "bool",
                "Consented to be observed (yes or no)",
                "yes",
                aliases=("observation_consent", "consent_to_observation", "consent_observed"),
            ),
            Column(
                "consent_interview",
                "bool",
                "Consented to be interviewed (yes or no)",
                "yes",
                aliases=("interview_consent", "consent_to_interview", "consent_interviewed"),
            ),
        ),
        row_rules=(
            RowRule(
                "experience_band_for_practitioners",
                "A practitioner (" + ", ".join(practitioners) + ") has an experience band",
                "experience_band",
                lambda t, _: t["role"].isin(practitioners) & t["experience_band"].isna(),
                lambda rows, _: [f"a {r} needs an experience band" for r in rows["role"]],
            ),
            RowRule(
                "no_experience_band_for_service_users",
                "A parent, carer or young person (" + ", ".join(users) + ") has no experience band",
                "experience_band",
                lambda t, _: t["role"].isin(users) & t["experience_band"].notna(),
                lambda rows, _: [
                    f"a {r} has the experience band {b!r}: experience bands are for practitioners only"
                    for r, b in zip(rows["role"], rows["experience_band"], strict=True)
                ],
            ),
        ),
    )


# -- the observation log -------------------------------------------------------------------------


def synchrony_mismatch(modes: Any, synchrony: Any, kinds: Mapping[str, str]) -> bool:
    """Whether the recorded synchrony contradicts the modes' own (``kinds``: mode -> synchronous,
    asynchronous or either). ``synchronous`` needs every mode able to be synchronous,
    ``asynchronous`` every mode able to be asynchronous, ``both`` one of each. Unknown modes and
    empty cells are problems of their own (not a mismatch).

    >>> k = {"phone": "synchronous", "email": "asynchronous", "text": "either"}
    >>> [synchrony_mismatch(m, s, k) for m, s in [("phone; text", "synchronous"), ("phone", "asynchronous"),
    ...                                            ("email", "both"), ("email; text", "both")]]
    [False, True, True, False]
    """
    values = split_values(modes, (";",))
    if pd.isna(synchrony) or not values or any(v not in kinds for v in values):
        return False
    can_sync = [kinds[v] in ("synchronous", "either") for v in values]
    can_async = [kinds[v] in ("asynchronous", "either") for v in values]
    if synchrony == "synchronous":
        return not all(can_sync)
    if synchrony == "asynchronous":
        return not all(can_async)
    if synchrony == "both":
        return not (any(can_sync) and any(can_async))
    return False


def observations_spec(study: Study) -> TableSpec:
    """The observation log: one row per observed instance of practice."""
    v = vocabulary(study)
    modes, others = tuple(v["modes"]), others_allowed(study)
    longest = int(study.thresholds.get("observation_max_minutes", 720))
    in_person = next((m for m in modes if m.replace("-", " ") == "in person"), None)
    online = next((s for s in v["settings"] if s == "online"), None)
    practitioners = practitioner_roles(study)
    return TableSpec(
        name=OBSERVATIONS,
        description="One row per observed instance of practice (the researcher's observation log).",
        columns=(
            Column(
                "observation_id",
                "str",
                "Identifier of the observation, as the field notes are named",
                "OBS-001",
                aliases=("observation", "obs_id", "id", "observation_ref"),
                unique=True,
            ),
            Column(
                "phase",
                "category",
                "Fieldwork phase (its id or label)",
                study.waves[0].id,
                aliases=("wave", "fieldwork_phase", "round"),
                allowed=tuple(w.id for w in study.waves),
            ),
            Column(
                "authority",
                "category",
                "Local authority (its id or its anonymised name)",
                study.sites[0].id,
                aliases=("site", "local_authority", "la"),
                allowed=tuple(s.id for s in study.sites),
            ),
            Column("date", "date", "Date of the observation", str(study.waves[0].date), aliases=("observation_date",)),
            Column(
                "duration_minutes",
                "int",
                "Length of the observation in whole minutes",
                "75",
                aliases=("duration", "minutes", "duration_mins", "length_minutes"),
                minimum=1,
                maximum=longest,
            ),
            Column("setting", "category", "Where the practice took place", v["settings"][0], allowed=v["settings"]),
            Column("activity", "category", "What was observed", v["activities"][0], allowed=v["activities"]),
            Column(
                "modes",
                "str",
                "Communication modes, several separated by ';'. Allowed: " + ", ".join(modes),
                JOIN.join(modes[:2]),
                aliases=("communication_modes", "communication_mode", "mode"),
            ),
            Column(
                "synchrony",
                "category",
                "Synchronous, asynchronous or both",
                v["synchrony"][0],
                aliases=("synchronous_asynchronous", "synchronous_or_asynchronous", "sync"),
                allowed=v["synchrony"],
            ),
            Column(
                "practitioner_id",
                "str",
                "The observed practitioner's participant id (participants register)",
                "P001",
                aliases=("observed_practitioner", "practitioner", "participant_id", "observed_participant_id"),
            ),
            Column(
                "others_roles",
                "str",
                "Roles of the others taking part, several separated by ';' (empty when alone). Allowed: "
                + ", ".join(others),
                f"{study.roles[-2] if len(study.roles) > 1 else study.roles[0]}",
                aliases=("roles_of_others", "others_present", "other_participants", "others"),
                nullable=True,
            ),
        ),
        row_rules=(
            RowRule(
                "modes_allowed",
                "Every communication mode is one of: " + ", ".join(modes),
                "modes",
                lambda t, _: [bool(u) for u in unknown_values(t["modes"], modes)],
                lambda rows, _: [
                    f"unknown communication mode(s) {', '.join(map(repr, u))} (allowed: {', '.join(modes)})"
                    for u in unknown_values(rows["modes"], modes)
                ],
            ),
            RowRule(
                "others_roles_allowed",
                "Every role of the others taking part is one of: " + ", ".join(others),
                "others_roles",
                lambda t, _: [bool(u) for u in unknown_values(t["others_roles"], others)],
                lambda rows, _: [
                    f"unknown role(s) of others {', '.join(map(repr, u))} (allowed: {', '.join(others)})"
                    for u in unknown_values(rows["others_roles"], others)
                ],
            ),
            RowRule(
                "synchrony_matches_modes",
                "Synchronous, asynchronous or both agrees with the modes ("
                + ", ".join(f"{m}: {k}" for m, k in v["modes"].items())
                + ")",
                "synchrony",
                lambda t, _: [
                    synchrony_mismatch(m, s, v["modes"]) for m, s in zip(t["modes"], t["synchrony"], strict=True)
                ],
                lambda rows, _: [
                    f"synchrony is {s!r} but the modes are {m!r}"
                    for m, s in zip(rows["modes"], rows["synchrony"], strict=True)
                ],
            ),
            RowRule(
                "online_not_in_person",
                "An observation in the online setting has no in-person communication",
                "setting",
                lambda t, _: (
                    t["setting"].eq(online)
                    & t["modes"]
                    .map(lambda c: in_person in split_values(c, (";",)), na_action="ignore")
                    .astype("boolean")
                ),
                lambda rows, _: [f"the setting is online but the modes include {in_person!r}" for _ in rows.index],
            ),
            RowRule(
                "phase_window",
                "The observation's date is inside its phase's observation window for its authority "
                "(study configuration)",
                "date",
                lambda t, _: outside_window(t, study, OBSERVATIONS),
                lambda rows, _: window_message(rows, study, OBSERVATIONS),
            ),
            participant_known("observed practitioner", "practitioner_id"),
            participant_consented("observed practitioner", "practitioner_id", "consent_observation", "observation"),
            RowRule(
                "observed_is_practitioner",
                "The observed practitioner has a practitioner role (" + ", ".join(practitioners) + ")",
                "practitioner_id",
                lambda t, c: (
                    _in_register(t["practitioner_id"], c)
                    & ~participant_field(t["practitioner_id"], c, "role").isin(practitioners)
                ),
                lambda rows, c: [
                    f"practitioner_id {p!r} is a {r} in the participants register, not a practitioner"
                    for p, r in zip(
                        rows["practitioner_id"], participant_field(rows["practitioner_id"], c, "role"), strict=True
                    )
                ],
                needs=(PARTICIPANTS,),
            ),
            participant_matches("observed practitioner", "practitioner_id", "authority", "authority", "authority"),
        ),
    )


# -- the interview register ------------------------------------------------------------------------


def interview_register_spec(study: Study) -> TableSpec:
    """The engine's interview register (:func:`analysis.qda.register_spec`: interview id, site =
    authority, wave = phase, date, group = role, and its fieldwork window rule) with the
    interviewee's participant id and the rules that tie it to the participants register."""
    base = register_spec(study)
    participant = Column(
        "participant_id",
        "str",
        "The interviewee's participant id (participants register)",
        "P001",
        aliases=("participant", "pseudonym", "interviewee", "interviewee_id"),
    )
    return replace(
        base,
        description="One row per interview: the register kept by the research team, with the interviewee's id.",
        columns=(*base.columns, participant),
        row_rules=(
            *base.row_rules,
            participant_known("interviewee", "participant_id"),
            participant_consented("interviewee", "participant_id", "consent_interview", "interview"),
            participant_matches("interviewee", "participant_id", "group", "role", "role"),
            participant_matches("interviewee", "participant_id", "site", "authority", "authority"),
        ),
    )


SPECS = {PARTICIPANTS: participants_spec, OBSERVATIONS: observations_spec, INTERVIEWS: interview_register_spec}


def spec_for(table: str, study: Study) -> TableSpec:
    """The contract of one of the study's tables."""
    return SPECS[table](study)


# -- tidy derived tables (pure) ------------------------------------------------------------------


def long_values(table: pd.DataFrame, column: str, name: str, key: str = "observation_id") -> pd.DataFrame:
    """One row per (row, value) of a multi-valued column of a typed table: e.g. one row per
    observation and communication mode.

    >>> t = pd.DataFrame({"observation_id": ["O1", "O2", "O3"], "modes": ["video; phone", "email", None]})
    >>> long_values(t, "modes", "mode").values.tolist()
    [['O1', 'video'], ['O1', 'phone'], ['O2', 'email']]
    """
    rows = [(k, v) for k, cell in zip(table[key], table[column], strict=True) for v in split_values(cell, (";",))]
    return pd.DataFrame(rows, columns=[key, name]).astype("string")
