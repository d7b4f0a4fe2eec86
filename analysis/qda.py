"""Interviews (data contracts 4 and 5): the interview register, the coded segments exported
from the QDA tool, and the codebook.

A wave folder may hold

- ``interviews_register.csv`` (or ``.xlsx``): one row per interview: ``interview_id``, ``site``,
  ``wave``, ``date``, ``group`` (respondent group);
- ``interviews.qdpx``: a REFI-QDA project exchange file (NVivo, ATLAS.ti, MAXQDA, QualCoder), or,
  when there is none, ``segments.csv``: ``interview_id, code, start, end, text``.

Both become tidy tables: ``interviews`` (the register) and ``segments`` (one row per coded
segment: ``interview_id, code_id, code_name, parent_id, start, end, text``). Rows that break a rule
are quarantined, as delivered, with the rule: ``allowed_values``, ``type``, ``unique``, ``not_null``
(register and segments), ``selection_in_source`` (a selection outside its transcript),
``code_in_codebook`` (a code the codebook does not know), ``interview_in_register`` (a segment
of an interview that is not in the register) and ``fieldwork_window`` (an interview dated outside
its wave's interview window for its site, from the study configuration; its segments then fail
``interview_in_register``).

Why not pyrefiqda: the project pins ``pyrefiqda`` 0.3.1, and it reads nested codes, text
sources and selections well, but its loader parses ``project.qde`` with xsdata's lxml handler in
``recover=True`` mode: a truncated or otherwise broken ``project.qde`` loads *silently* as a
partial project (in our test, every source and coding disappeared without an error). It also
extracts the whole archive to disk, fails the whole file on any element outside the schema
(vendor extensions) and leaves reading the transcripts to the caller. Silent loss breaks the
pipeline's first promise, so the archive is read here with :mod:`zipfile` and the standard
library's :mod:`xml.etree.ElementTree`, after a pass with :mod:`pyexpat` that refuses document type
declarations (no entity expansion, no external entities: ``defusedxml`` is not installed) and
reports the line and column of any XML error.

REFI-QDA positions are read as zero-based character (Unicode code point) offsets with the end
exclusive, so the selected text is ``transcript[start:end]``, as QualCoder and the other
exporters write them.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.parsers import expat

import pandas as pd
import yaml

from analysis import paths
from analysis.config import Study
from analysis.errors import ConfigError, UnusableFileError
from analysis.load import ROW, Delivered, find_source, map_headers, read_csv_text, read_excel_cells
from analysis.schemas import Column, RowRule, TableSpec, ids_in
from analysis.validate import Checked, Problem, check_table

QDA_NAMESPACE = "urn:QDA-XML:project:1.0"
REGISTER = "interviews_register"  # <folder>/interviews_register.csv or .xlsx
QDPX_FILE = "interviews.qdpx"
SEGMENTS_FILE = "segments.csv"
CODEBOOK_FILE = paths.CODEBOOK
MAX_MEMBER_BYTES = 256 * 1024 * 1024  # a transcript or project.qde larger than this is refused (zip bombs)

TRANSCRIPT_SUFFIXES = (".txt", ".docx", ".doc", ".rtf", ".pdf", ".odt")
CODEBOOK_COLUMNS = ["id", "name", "rq", "type", "parent", "description"]
SEGMENT_COLUMNS = ["interview_id", "code_id", "code_name", "parent_id", "start", "end", "text"]
CODE_TYPES = ("deductive", "inductive")


# -- the codebook ------------------------------------------------------------------------------


def _key(text: Any) -> str:
    """Case-, space- and underscore-insensitive matching key.

    >>> _key("  Team_cover ") == _key("team  COVER")
    True
    """
    return " ".join(str(text).replace("_", " ").lower().split())


def _codebook_yaml(path: Path | None) -> tuple[Path, dict[str, Any]]:
    p = Path(path) if path else Path(CODEBOOK_FILE)
    if not p.exists():
        raise ConfigError(f"The interview codebook {p} is missing. Copy config/codebook.yml from the repository.")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML ({exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise ConfigError(f"{p}: expected a `codes:` list (and optionally `inductive:` and `research_questions:`).")
    return p, data


def load_research_questions(path: Path | None = None) -> dict[str, str]:
    """The research questions the codebook maps codes to: ``{"1a": "Was the intervention ..."}``.

    >>> list(load_research_questions())[:3]
    ['1a', '1b', '1c']
    """
    _, data = _codebook_yaml(path)
    return {str(k): str(v) for k, v in (data.get("research_questions") or {}).items()}


def load_codebook(path: Path | None = None) -> pd.DataFrame:
    """Load and check the interview codebook (``config/codebook.yml`` by default).

    Parameters
    ----------
    path : Path, optional
        Another codebook file (tests, a second study).

    Returns
    -------
    pandas.DataFrame
        Columns ``id, name, rq, type, parent, description``, in file order. A code mapped to
        several research questions has **one row per (code, rq)**, so ``id`` is unique only
        together with ``rq``; use ``drop_duplicates("id")`` for one row per code. ``parent`` is
        ``<NA>`` for a top-level code. A child code without ``rq`` takes its parent's.

    Raises
    ------
    ConfigError
        A missing id or name, a duplicate id or name, an unknown parent, a parent loop, an
        unknown research question or type.

    Examples
    --------
    >>> cb = load_codebook()
    >>> cb.loc[cb["id"] == "team_cover", ["parent", "rq"]].values.tolist()
    [['facilitators', '1b']]
    """
    p, data = _codebook_yaml(path)
    rqs = [str(k) for k in (data.get("research_questions") or {})]
    entries: list[dict[str, Any]] = []
    for section, default_type in (("codes", "deductive"), ("inductive", "inductive")):
        for i, raw in enumerate(data.get(section) or [], start=1):
            if not isinstance(raw, dict) or not raw.get("id") or not raw.get("name"):
                raise ConfigError(f"{p}: entry {i} under `{section}:` needs an `id` and a `name`.")
            typ = str(raw.get("type", default_type)).strip().lower()
            if typ not in CODE_TYPES:
                raise ConfigError(f"{p}: code '{raw['id']}' has type {typ!r}; use one of {', '.join(CODE_TYPES)}.")
            rq = raw.get("rq")
            rq_list = [] if rq is None else [str(r).strip() for r in (rq if isinstance(rq, list) else [rq])]
            entries.append(
                {
                    "id": str(raw["id"]).strip(),
                    "name": " ".join(str(raw["name"]).split()),
                    "rq": rq_list,
                    "type": typ,
                    "parent": str(raw["parent"]).strip() if raw.get("parent") else None,
                    "description": " ".join(str(raw.get("description", "")).split()),
                }
            )
    by_id: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for e in entries:
        if e["id"] in by_id:
            raise ConfigError(f"{p}: code id '{e['id']}' appears more than once; ids must be unique.")
        by_id[e["id"]] = e
        for k in {_key(e["id"]), _key(e["name"])}:
            if k in names and names[k] != e["id"]:
                raise ConfigError(
                    f"{p}: '{e['name']}' ({e['id']}) cannot be told apart from code '{names[k]}' "
                    "(codings are matched by id or name, ignoring case); rename one."
                )
            names[k] = e["id"]
    for e in entries:
        seen = [e["id"]]
        parent = e["parent"]
        while parent is not None:
            if parent not in by_id:
                raise ConfigError(f"{p}: code '{e['id']}' names parent '{parent}', which is not a code id.")
            if parent in seen:
                raise ConfigError(f"{p}: codes {' -> '.join(seen + [parent])} form a loop of parents.")
            seen.append(parent)
            parent = by_id[parent]["parent"]

    def rq_of(code_id: str) -> list[str]:
        e = by_id[code_id]
        return e["rq"] or (rq_of(e["parent"]) if e["parent"] else [])

    rows = []
    for e in entries:
        own = rq_of(e["id"])
        if not own:
            raise ConfigError(f"{p}: code '{e['id']}' has no research question (`rq:`) and no parent to take one from.")
        unknown = [r for r in own if rqs and r not in rqs]
        if unknown:
            raise ConfigError(
                f"{p}: code '{e['id']}' names research question(s) {unknown}, "
                f"which are not under `research_questions:` ({', '.join(rqs)})."
            )
        for r in own:
            rows.append({**e, "rq": r})
    frame = pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)
    return frame.astype({c: "string" for c in CODEBOOK_COLUMNS})


def _code_lookup(codebook: pd.DataFrame) -> tuple[dict[str, str], pd.DataFrame]:
    """Matching key (of id and of name) -> code id; and one row per code."""
    codes = codebook.drop_duplicates("id").set_index("id", drop=False)
    lookup: dict[str, str] = {}
    for cid, name in zip(codes["id"], codes["name"], strict=False):
        lookup[_key(name)] = cid
        lookup[_key(cid)] = cid
    return lookup, codes


# -- the register ------------------------------------------------------------------------------


def respondent_groups(study: Study) -> tuple[str, ...]:
    """The interview register's respondent groups: the study's `respondent_groups:` list."""
    groups = study.raw.get("respondent_groups")
    if not groups:
        raise ConfigError(
            f"{paths.STUDY_CONFIG}: `respondent_groups:` is missing: list the groups an interview register "
            "may name (e.g. [team manager, social worker])."
        )
    return tuple(str(g) for g in groups)


def group_aliases(study: Study) -> dict[str, str]:
    """Other spellings seen in registers -> the group (the study's `respondent_group_aliases:`;
    plurals are handled separately)."""
    return {str(k): str(v) for k, v in (study.raw.get("respondent_group_aliases") or {}).items()}


def register_spec(study: Study) -> TableSpec:
    """The interview register's contract (also the data request template's sheet)."""
    sites = study.sites
    waves = study.waves
    return TableSpec(
        name="interviews",
        description="One row per interview: the register kept by the research team.",
        columns=(
            Column(
                "interview_id",
                "str",
                "Identifier of the interview, as the transcript is named in the QDA project",
                "CRO-BAS-01",
                aliases=("interview", "id", "transcript", "source", "source_name"),
                unique=True,
            ),
            Column(
                "site",
                "category",
                "Local authority (site id or name)",
                sites[0].id,
                aliases=("local_authority", "la", "authority"),
                allowed=tuple(s.id for s in sites),
            ),
            Column(
                "wave",
                "category",
                "Data collection wave (wave id or label)",
                waves[0].id,
                aliases=("round", "time_point", "timepoint"),
                allowed=tuple(w.id for w in waves),
            ),
            Column("date", "date", "Date of the interview", str(waves[0].date), aliases=("interview_date",)),
            Column(
                "group",
                "category",
                "Respondent group",
                respondent_groups(study)[0],
                aliases=("respondent_group", "participant_group", "role", "respondent_type"),
                allowed=respondent_groups(study),
            ),
        ),
        row_rules=(
            RowRule(
                "fieldwork_window",
                "The interview's date is inside its wave's interview fieldwork window for its site (config/study.yml)",
                "date",
                lambda t, _: _outside_window(t, study),
                lambda rows, _: [_window_message(r, study) for r in rows.itertuples(index=False)],
            ),
        ),
    )


def _window_of(study: Study, wave_id: Any, site_id: Any):
    """(wave, its interviews window at the site); wave ``None`` when the wave is unknown or has no
    fieldwork windows at all (then nothing is checked)."""
    wave = next((w for w in study.waves if w.id == wave_id), None)
    if wave is None or not wave.windows:
        return None, None
    return wave, wave.window(str(site_id), "interviews")


def _outside_window(t: pd.DataFrame, study: Study) -> list[bool]:
    """Whether each interview is dated outside its wave's interview window for its site (or at a
    site with no interviews planned in that wave). Rows with an unknown wave or site, or no date,
    do not fail here: those are problems of their own."""
    sites = {s.id for s in study.sites}
    out = []
    for wave_id, site_id, day in zip(t["wave"], t["site"], t["date"], strict=True):
        wave, window = _window_of(study, wave_id, site_id)
        if wave is None or site_id not in sites or pd.isna(day):
            out.append(False)
        else:
            out.append(window is None or pd.Timestamp(day).date() not in window)
    return out


def _window_message(row: Any, study: Study) -> str:
    wave, window = _window_of(study, row.wave, row.site)
    site = study.site(row.site).name
    label = wave.label_for(row.site)
    if window is None:
        return (
            f"no interviews are planned at {site} in the {label} wave (config/study.yml has no interviews window "
            f"for it): is the wave or the site wrong?"
        )
    day = pd.Timestamp(row.date).date()
    return (
        f"interview date {day.isoformat()} is outside the {label} interviews window for {site} ({window.text}, "
        "config/study.yml): is the date or the wave wrong?"
    )


def _canonical(value: Any, mapping: dict[str, str]) -> Any:
    """The canonical value for a delivered spelling, or the value unchanged when unknown."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    k = _key(value).replace(" - ", "-")
    if k in mapping:
        return mapping[k]
    if k.endswith("s") and k[:-1] in mapping:  # plurals: "team managers"
        return mapping[k[:-1]]
    return value


def _register_mappings(study: Study) -> dict[str, dict[str, str]]:
    groups = respondent_groups(study)
    g = {_key(x): x for x in groups}
    g.update({_key(a): v for a, v in group_aliases(study).items() if v in groups})
    return {
        "site": {**{_key(s.name): s.id for s in study.sites}, **{_key(s.id): s.id for s in study.sites}},
        "wave": {**{_key(w.label): w.id for w in study.waves}, **{_key(w.id): w.id for w in study.waves}},
        "group": g,
    }


def read_register(path: Path, study: Study) -> Delivered:
    """Read the interview register (.csv or .xlsx) as delivered, headers mapped to the contract.

    Raises
    ------
    UnusableFileError
        Not a CSV/xlsx, empty, or a required column missing.
    """
    path = Path(path)
    spec = register_spec(study)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame, rows = read_excel_cells(path)
    elif suffix in (".csv", ".txt"):
        frame, rows = read_csv_text(path)
    else:
        raise UnusableFileError(
            path, f"an interview register of type '{suffix}' is not read.", "Save the register as .csv or .xlsx."
        )
    frame = map_headers(frame, spec, path)
    frame[ROW] = rows
    return Delivered(spec.name, path, frame.reset_index(drop=True))


def check_register(delivered: Delivered, study: Study) -> Checked:
    """Validate the register: site and wave (ids or names/labels, any case), a date, a known
    respondent group, unique interview ids, a date inside the wave's window for the site. Rules:
    ``allowed_values``, ``type``, ``unique``, ``not_null``, ``fieldwork_window``.
    """
    spec = register_spec(study)
    frame = delivered.frame.copy()
    for col, mapping in _register_mappings(study).items():
        frame[col] = frame[col].map(lambda v, m=mapping: _canonical(v, m))
    frame["interview_id"] = frame["interview_id"].map(_interview_key)
    return check_table(delivered, spec, frame=frame)


def _interview_key(value: Any) -> Any:
    """The interview id: trimmed, without a transcript file suffix (NVivo names sources after files).

    >>> _interview_key(" CRO-BAS-01.docx ")
    'CRO-BAS-01'
    """
    if not isinstance(value, str):
        return value
    v = value.strip()
    for suffix in TRANSCRIPT_SUFFIXES:
        if v.lower().endswith(suffix):
            return v[: -len(suffix)]
    return v


# -- coded segments: the REFI-QDA project ------------------------------------------------------


def segments_spec() -> TableSpec:
    """Coded segments as delivered (the CSV fallback's contract; the .qdpx reader fills the same)."""
    return TableSpec(
        name="segments",
        description="One row per coded segment: a span of a transcript coded with one code.",
        columns=(
            Column(
                "interview_id",
                "str",
                "The interview (the transcript's name in the QDA project)",
                "CRO-BAS-01",
                aliases=("source", "source_name", "interview", "document", "transcript", "file"),
            ),
            Column(
                "code",
                "str",
                "The code: its name in the QDA tool or its codebook id",
                "Team cover",
                aliases=("code_name", "code_id", "node", "theme"),
            ),
            Column(
                "start",
                "int",
                "Zero-based character offset where the segment starts",
                "120",
                aliases=("start_position", "startposition", "begin", "from"),
            ),
            Column(
                "end",
                "int",
                "Character offset just after the segment's last character",
                "184",
                aliases=("end_position", "endposition", "to", "stop"),
            ),
            Column(
                "text",
                "str",
                "The coded text",
                "We set up a buddy system for cover.",
                aliases=("quote", "segment", "coded_text", "selected_text", "content"),
                nullable=True,
            ),
            Column(
                "selection",
                "str",
                "The selection's GUID in the QDA project (.qdpx only)",
                "",
                required=False,
                nullable=True,
            ),
            Column(
                "source_chars",
                "int",
                "Length of the transcript in characters (.qdpx only)",
                "",
                required=False,
                nullable=True,
            ),
        ),
        row_rules=(
            RowRule(
                "interview_in_register",
                "The interview is in the interview register (and its register row was accepted)",
                "interview_id",
                lambda t, c: (
                    t["interview_id"].notna() & ~t["interview_id"].isin(ids_in(c["interviews"], "interview_id"))
                ),
                _not_in_register,
                needs=("interviews",),
                typed_rows_only=False,
            ),
            RowRule(
                "code_in_codebook",
                "The code is in the codebook (config/codebook.yml), by name or id",
                "code",
                lambda t, c: (
                    t["code"].notna()
                    & ~t["code"].map(_key, na_action="ignore").isin(list(_code_lookup(c["codebook"])[0]))
                ),
                lambda rows, _: [
                    f"code {code!r} is not in the codebook ({Path(CODEBOOK_FILE).name}) by name or id; "
                    "add it (under `inductive:` if it emerged in analysis) or rename it in the QDA tool"
                    for code in rows["code"]
                ],
                needs=("codebook",),
                typed_rows_only=False,
            ),
            RowRule(
                "selection_in_source",
                "The selection lies within its transcript (0 <= start < end <= length)",
                "start",
                lambda t, _: t["start"].lt(0) | t["end"].le(t["start"]),
                lambda rows, _: [
                    f"the selection {s}-{e} is empty or reversed (start must be >= 0 and before end)"
                    for s, e in zip(rows["start"], rows["end"], strict=True)
                ],
            ),
        ),
    )


def _not_in_register(rows: pd.DataFrame, context) -> list[str]:
    """Why each segment's interview is not an accepted interview of the register."""
    set_aside = context.get("interviews_set_aside")
    quarantined = set() if set_aside is None else {str(_interview_key(v)) for v in set_aside["interview_id"]}
    return [
        f"interview_id {iid!r}: "
        + (
            "its register row was quarantined (see the interviews quarantine file)"
            if str(iid) in quarantined
            else "it is not in the interview register"
        )
        for iid in rows["interview_id"]
    ]


@dataclass
class QdaProject:
    """What a .qdpx holds that the analysis uses.

    ``codes``: the project's code tree, flattened (``guid, name, parent_guid, parent_name, depth``);
    ``sources``: one row per text source (``guid, name, chars``, chars = -1 when its text is not
    in the archive); ``segments``: one row per (selection, coding) as delivered; ``problems``:
    selections that fall outside their transcript (rule ``selection_in_source``).
    """

    codes: pd.DataFrame
    sources: pd.DataFrame
    segments: Delivered
    problems: list[Problem]


def _unusable_qdpx(path: Path, problem: str) -> UnusableFileError:
    return UnusableFileError(
        path,
        problem,
        "Export the project again from the QDA tool (NVivo: File > Export > Export Project as REFI-QDA; "
        "ATLAS.ti, MAXQDA, QualCoder: export as a REFI-QDA project, .qdpx), copy it into the wave folder "
        f"as {QDPX_FILE}, and check that it opens; or deliver the coded segments as {SEGMENTS_FILE} "
        "(interview_id, code, start, end, text).",
    )


def _refuse_doctype(*_args: Any) -> None:
    raise ValueError("a document type declaration (<!DOCTYPE> or <!ENTITY>), which a REFI-QDA project never needs")


def _parse_qde(path: Path, data: bytes) -> ET.Element:
    """Well-formedness and safety pass with pyexpat (line and column of any error; no DTDs, so
    no entity expansion), then the tree with ElementTree."""
    checker = expat.ParserCreate()
    checker.StartDoctypeDeclHandler = _refuse_doctype
    checker.EntityDeclHandler = _refuse_doctype
    try:
        checker.Parse(data, True)
    except expat.ExpatError as exc:
        raise _unusable_qdpx(
            path,
            f"project.qde inside the archive is not well-formed XML "
            f"({expat.ErrorString(exc.code)} at line {exc.lineno}, column {exc.offset}); "
            "the file was probably cut short or edited by hand.",
        ) from exc
    except ValueError as exc:
        raise _unusable_qdpx(path, f"project.qde contains {exc}; it was refused for safety.") from exc
    return ET.fromstring(data)


def _member(zf: zipfile.ZipFile, path: Path, name: str) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > MAX_MEMBER_BYTES:
        raise _unusable_qdpx(
            path,
            f"{name} inside the archive is {info.file_size:,} bytes uncompressed, "
            f"more than the {MAX_MEMBER_BYTES:,} bytes a project file or transcript may be.",
        )
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _unusable_qdpx(
            path, f"{name} inside the archive cannot be read ({exc}); the archive is damaged."
        ) from exc


def _source_text(zf: zipfile.ZipFile, path: Path, members: dict[str, str], ref: str) -> tuple[str | None, str]:
    """A transcript's text from ``internal://<file>`` (stored under ``sources/``), or why not."""
    if not ref.lower().startswith("internal://"):
        return None, (
            f"its text is outside the archive ({ref}); only transcripts inside the .qdpx (internal://) are read"
        )
    name = ref[len("internal://") :]
    member = members.get(f"sources/{name}".lower()) or members.get(name.lower())
    if member is None:
        return None, f"its text file sources/{name} is not in the archive"
    raw = _member(zf, path, member)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), ""
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return None, f"its text file {member} is not UTF-8 text"


def read_qdpx(path: Path) -> QdaProject:
    """Read a REFI-QDA project exchange file (.qdpx): the code tree, the text sources and every
    coded text selection, with the selected characters of the transcript.

    One row of ``segments`` per (PlainTextSelection, Coding) in document order; ``_row`` is that
    ordinal (1, 2, ...) and ``selection`` the selection's GUID, to find it in the QDA tool. The
    interview id is the TextSource's name. A CodeRef to a GUID that is not in the project's code
    tree keeps the GUID as its ``code`` (and fails ``code_in_codebook`` later). Selections that lie
    outside their transcript, or whose transcript is not in the archive, are listed in
    ``problems`` under the rule ``selection_in_source``. Only text sources are read (not PDF,
    picture, audio or video selections).

    Raises
    ------
    UnusableFileError
        Not a zip, a truncated or damaged zip, no ``project.qde``, XML that is not well formed
        or carries a DTD, or a root element that is not a REFI-QDA ``Project``.
    """
    path = Path(path)
    if not path.exists():
        raise _unusable_qdpx(path, "the file does not exist.")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        head = path.read_bytes()[:4] if path.is_file() else b""
        what = (
            "a damaged or truncated zip archive"
            if head.startswith(b"PK")
            else "not a zip archive, so not a REFI-QDA project (.qdpx)"
        )
        raise _unusable_qdpx(path, f"this is {what} ({exc}).") from exc
    with zf:
        members = {n.lower(): n for n in zf.namelist()}
        qde = members.get("project.qde")
        if qde is None:
            root_qde = [n for n in zf.namelist() if n.lower().endswith(".qde") and "/" not in n]
            if len(root_qde) != 1:
                raise _unusable_qdpx(
                    path,
                    "the archive has no project.qde (the REFI-QDA project XML); "
                    f"it holds: {', '.join(sorted(zf.namelist())[:8]) or 'nothing'}.",
                )
            qde = root_qde[0]
        root = _parse_qde(path, _member(zf, path, qde))
        ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        if root.tag.rsplit("}", 1)[-1] != "Project" or ns not in (QDA_NAMESPACE, ""):
            raise _unusable_qdpx(
                path,
                f"project.qde is XML but not a REFI-QDA project (root element {root.tag!r}; "
                f"expected Project in namespace {QDA_NAMESPACE}).",
            )

        def q(tag: str) -> str:
            return f"{{{ns}}}{tag}" if ns else tag

        codes: list[dict[str, Any]] = []

        def walk(node: ET.Element, parent: ET.Element | None, depth: int) -> None:
            for code in node.findall(q("Code")):
                codes.append(
                    {
                        "guid": code.get("guid", ""),
                        "name": " ".join(code.get("name", "").split()),
                        "parent_guid": parent.get("guid") if parent is not None else None,
                        "parent_name": parent.get("name") if parent is not None else None,
                        "depth": depth,
                    }
                )
                walk(code, code, depth + 1)

        codes_node = root.find(f"{q('CodeBook')}/{q('Codes')}")
        if codes_node is not None:
            walk(codes_node, None, 0)
        code_names = {c["guid"].strip("{}").lower(): c["name"] for c in codes}

        sources, rows, spans = [], [], []
        for src in root.iterfind(f"{q('Sources')}/{q('TextSource')}"):
            name = src.get("name", "")
            content = src.find(q("PlainTextContent"))
            if content is not None:
                text, why = content.text or "", ""
            elif src.get("plainTextPath"):
                text, why = _source_text(zf, path, members, src.get("plainTextPath", ""))
            else:
                text, why = None, "it has neither plainTextPath nor PlainTextContent"
            sources.append({"guid": src.get("guid", ""), "name": name, "chars": -1 if text is None else len(text)})
            for sel in src.findall(q("PlainTextSelection")):
                s, e = sel.get("startPosition", ""), sel.get("endPosition", "")
                for coding in sel.findall(q("Coding")):
                    ref = coding.find(q("CodeRef"))
                    target = ref.get("targetGUID", "") if ref is not None else ""
                    code = code_names.get(target.strip("{}").lower(), target)
                    selected = ""
                    if (
                        text is not None
                        and s.strip().isdigit()
                        and e.strip().isdigit()
                        and int(s) < int(e) <= len(text)
                    ):
                        selected = text[int(s) : int(e)]
                    rows.append(
                        {
                            "interview_id": name,
                            "code": code,
                            "start": s,
                            "end": e,
                            "text": selected,
                            "selection": sel.get("guid", ""),
                            "source_chars": "" if text is None else str(len(text)),
                        }
                    )
                    spans.append((text, why, s, e, target if code == target else None))
    frame = pd.DataFrame(rows, columns=[c.name for c in segments_spec().columns])
    frame[ROW] = range(1, len(frame) + 1)
    problems = []
    for i, (text, why, s, e, lost) in enumerate(spans):
        if lost is not None:
            problems.append(
                Problem(
                    i,
                    "code",
                    "code_in_codebook",
                    f"the coding points to code GUID {lost or '(none)'}, which is not a code in the "
                    "project's own CodeBook (the code was probably deleted after coding)",
                )
            )
        if text is None:
            problems.append(
                Problem(
                    i,
                    "start",
                    "selection_in_source",
                    f"the transcript '{frame.at[i, 'interview_id']}' cannot be read: {why}",
                )
            )
        elif s.strip().isdigit() and e.strip().isdigit() and int(e) > len(text):
            problems.append(
                Problem(
                    i,
                    "end",
                    "selection_in_source",
                    f"the selection {s}-{e} ends after the transcript '{frame.at[i, 'interview_id']}', "
                    f"which has {len(text)} characters",
                )
            )
    return QdaProject(
        codes=pd.DataFrame(codes, columns=["guid", "name", "parent_guid", "parent_name", "depth"]),
        sources=pd.DataFrame(sources, columns=["guid", "name", "chars"]),
        segments=Delivered("segments", path, frame),
        problems=problems,
    )


# -- coded segments: the CSV fallback ----------------------------------------------------------


def read_segments_csv(path: Path) -> Delivered:
    """Read ``segments.csv`` (``interview_id, code, start, end, text``) as delivered."""
    path = Path(path)
    spec = segments_spec()
    frame, rows = read_csv_text(path)
    frame = map_headers(frame, spec, path)
    frame[ROW] = rows
    return Delivered(spec.name, path, frame.reset_index(drop=True))


# -- checking segments -------------------------------------------------------------------------


def check_segments(
    delivered: Delivered, codebook: pd.DataFrame, register: Checked | None, extra: Iterable[Problem] = ()
) -> Checked:
    """Validate coded segments against the codebook and the register and make the tidy table.

    Parameters
    ----------
    delivered : Delivered
        From :func:`read_qdpx` (``.segments``) or :func:`read_segments_csv`.
    codebook : pandas.DataFrame
        From :func:`load_codebook`.
    register : Checked or None
        The checked register; segments must belong to one of its *accepted* interviews.
        ``None`` means every segment fails ``interview_in_register``.
    extra : list of Problem
        Problems found while reading (``QdaProject.problems``).

    Returns
    -------
    Checked
        ``accepted``: ``interview_id, code_id, code_name, parent_id, start, end, text``, sorted by
        interview and position.
    """
    spec = segments_spec()
    frame = delivered.frame.copy()
    frame["interview_id"] = frame["interview_id"].map(_interview_key)
    context = {
        "interviews": register.accepted if register is not None else None,
        "interviews_set_aside": register.quarantined if register is not None and len(register.quarantined) else None,
        "codebook": codebook,
    }
    checked = check_table(delivered, spec, extra=list(extra), context=context, frame=frame)
    lookup, codes = _code_lookup(codebook)
    ok = checked.accepted
    code_id = ok["code"].map(lambda c: lookup[_key(c)])
    tidy = pd.DataFrame(
        {
            "interview_id": ok["interview_id"].astype("string"),
            "code_id": code_id.astype("string"),
            "code_name": code_id.map(codes["name"]).astype("string"),
            "parent_id": code_id.map(codes["parent"]).astype("string"),
            "start": ok["start"].astype("Int64"),
            "end": ok["end"].astype("Int64"),
            "text": ok["text"].fillna("").astype("string"),
        },
        columns=SEGMENT_COLUMNS,
    )
    tidy = tidy.sort_values(["interview_id", "start", "end", "code_id"], kind="stable").reset_index(drop=True)
    return Checked(spec.name, delivered.file, delivered.n, tidy, checked.quarantined, checked.problems)


# -- one wave folder ---------------------------------------------------------------------------


def check_interviews_source(
    folder: Path,
    study: Study,
    codebook: pd.DataFrame | None = None,
) -> tuple[dict[str, Checked], list[UnusableFileError]]:
    """Validate a wave folder's interview files: the register and the coded segments.

    Reads ``interviews_register.csv`` (or ``.xlsx``) and ``interviews.qdpx`` (preferred) or else
    ``segments.csv``, with the codebook from ``config/codebook.yml``.

    Parameters
    ----------
    folder : Path
        The wave folder (``data/raw/<wave>/`` or ``data/synthetic/<wave>/``).
    study : Study
        Sites, waves and respondent groups.
    codebook : pandas.DataFrame, optional
        Defaults to :func:`load_codebook`.

    Returns
    -------
    (dict of str to Checked, list of UnusableFileError)
        Checked tables ``interviews`` and ``segments``; files that could not be used at all.
        ``({}, [])`` when the folder holds no interview files. Segments are not read without a
        usable register (they could not be attributed); that is reported as unusable.
    """
    folder = Path(folder)
    register_file = find_source(folder, REGISTER)
    seg_file = next((p for p in (folder / QDPX_FILE, folder / SEGMENTS_FILE) if p.exists()), None)
    if register_file is None and seg_file is None:
        return {}, []
    checked: dict[str, Checked] = {}
    unusable: list[UnusableFileError] = []
    if register_file is not None:
        try:
            checked["interviews"] = check_register(read_register(register_file, study), study)
        except UnusableFileError as exc:
            unusable.append(exc)
    if seg_file is None:
        return checked, unusable
    if "interviews" not in checked:
        missing = register_file is None
        unusable.append(
            UnusableFileError(
                seg_file,
                "the coded segments were not read because the interview register "
                + ("is missing" if missing else f"({register_file.name}) could not be used")
                + ", so no segment can be attributed to a respondent group, site and wave.",
                f"Deliver {REGISTER}.csv (interview_id, site, wave, date, group) in the same folder.",
            )
        )
        return checked, unusable
    codebook = load_codebook() if codebook is None else codebook
    try:
        if seg_file.suffix.lower() == ".qdpx":
            project = read_qdpx(seg_file)
            checked["segments"] = check_segments(project.segments, codebook, checked["interviews"], project.problems)
        else:
            checked["segments"] = check_segments(read_segments_csv(seg_file), codebook, checked["interviews"])
    except UnusableFileError as exc:
        unusable.append(exc)
    return checked, unusable


SEGMENT_CSV_COLUMNS = ["interview_id", "code", "start", "end", "text"]


def segments_csv_frame(segments: pd.DataFrame) -> pd.DataFrame:
    """Tidy segments as the CSV fallback's columns (code = the codebook name), e.g. to deliver
    segments without a QDA tool or to compare the two formats."""
    out = segments.rename(columns={"code_name": "code"})[SEGMENT_CSV_COLUMNS]
    return out.reset_index(drop=True)


__all__ = [
    "QDA_NAMESPACE",
    "QdaProject",
    "check_interviews_source",
    "check_register",
    "check_segments",
    "group_aliases",
    "load_codebook",
    "load_research_questions",
    "read_qdpx",
    "read_register",
    "read_segments_csv",
    "register_spec",
    "respondent_groups",
    "segments_spec",
    "segments_csv_frame",
]
