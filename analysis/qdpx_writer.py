"""Writing coded interviews in the formats a QDA tool delivers them, from plain data, the same
bytes on every run.

The reading side is :mod:`analysis.qda`; this is its mirror, for any study whose synthetic data set
holds interviews (and for tests that need a delivery of their own):

- :class:`Interview` and :func:`transcript`: a transcript as an interviewer's questions and the
  respondent's answers, the answers as sentences that carry zero, one or more code ids, coded at
  exact character offsets (``text[start:end]`` is the sentence, as :func:`analysis.qda.read_qdpx`
  reads REFI-QDA offsets); :func:`top_codes` and :func:`by_topic` group the sentences under their
  top-level codes, in codebook order;
- :func:`qdpx_bytes`: the REFI-QDA project exchange file (``.qdpx``): ``project.qde`` (namespace
  ``urn:QDA-XML:project:1.0``) with one user, the nested codebook, one ``TextSource`` per interview
  whose text is stored under ``sources/``, one ``PlainTextSelection`` per coded span and one
  ``Coding`` / ``CodeRef`` per code on it;
- :func:`register_frame` and :func:`segments_frame`: the interview register and the plain CSV of
  segments (``interview_id, code, start, end, text``), the fallback to a ``.qdpx``;
- :func:`stable_zip` and :func:`write_workbook`: zip archives with fixed times, sorted entries and
  the same attributes on every platform (a ``.qdpx`` is one, and so is an ``.xlsx`` workbook);
- :data:`SYNTHETIC_NAMES` and :func:`write_names`: made-up first names for the sentences that carry
  an identifier on purpose (so that quote screening has something to catch), and the
  ``names.txt`` that lists them beside the data, as an analyst keeps a staff list beside real data.

GUIDs come from :func:`uuid.uuid5` over a caller's namespace string and the element's place (user,
code id, interview id, selection number), so the same input gives the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pandas as pd

from analysis.inputs import NAMES_FILE
from analysis.qda import QDA_NAMESPACE, SEGMENT_CSV_COLUMNS

FIXED_ZIP_TIME = (2021, 1, 1, 0, 0, 0)  # every zip entry's time: the same bytes on every run
REGISTER_COLUMNS = ["interview_id", "site", "wave", "date", "group"]

# Made-up first names used in planted identifier sentences (and screened for in quotes).
SYNTHETIC_NAMES = ("Rowena", "Ekow", "Saoirse", "Tobias", "Imelda", "Casimir", "Yusra", "Bartholomew")

Codes = tuple[str, ...]
Sentence = tuple[Codes, str]  # (code ids, none for an uncoded sentence; the sentence)
Selection = tuple[int, int, Codes]  # (start, end exclusive, code ids)


@dataclass
class Interview:
    """One interview: its register row (id, site id, wave id, date, respondent group), its
    transcript and the coded spans of the transcript."""

    interview_id: str
    site: str
    wave: str
    date: dt.date
    group: str
    text: str = ""
    selections: list[Selection] = field(default_factory=list)


# -- transcripts -------------------------------------------------------------------------------------


def transcript(turns: Iterable[tuple[str, Sequence[Sentence]]]) -> tuple[str, list[Selection]]:
    """A transcript from (question, answer sentences) turns, and where each coded sentence is.

    Each turn is written ``Interviewer: <question>`` and ``Respondent: <sentences joined by a
    space>`` on two lines, with a blank line between turns. A sentence with codes becomes one
    selection ``(start, end, codes)`` covering exactly the sentence.

    Examples
    --------
    >>> text, spans = transcript([("Hello?", [((), "Hi.")]), ("Why?", [(("a",), "One."), (("b", "c"), "Two.")])])
    >>> print(text)
    Interviewer: Hello?
    Respondent: Hi.
    <BLANKLINE>
    Interviewer: Why?
    Respondent: One. Two.
    <BLANKLINE>
    >>> spans
    [(67, 71, ('a',)), (72, 76, ('b', 'c'))]
    >>> text[67:71], text[72:76]
    ('One.', 'Two.')
    """
    parts: list[str] = []
    spans: list[Selection] = []
    pos = 0
    for k, (question, answer) in enumerate(turns):
        head = ("\n" if k else "") + f"Interviewer: {question}\nRespondent: "
        parts.append(head)
        pos += len(head)
        for j, (codes, sentence) in enumerate(answer):
            if j:
                parts.append(" ")
                pos += 1
            if codes:
                spans.append((pos, pos + len(sentence), tuple(codes)))
            parts.append(sentence)
            pos += len(sentence)
        parts.append("\n")
        pos += 1
    return "".join(parts), spans


def top_codes(codebook: pd.DataFrame) -> dict[str, str]:
    """Code id -> its top-level code id (itself when it has no parent), in codebook order, for a
    codebook with ``id`` and ``parent`` columns (as :func:`analysis.qda.load_codebook` gives it,
    which rules out loops).

    Examples
    --------
    >>> cb = pd.DataFrame({"id": ["b", "a", "a1", "a1x"], "parent": [None, None, "a", "a1"]})
    >>> top_codes(cb)
    {'b': 'b', 'a': 'a', 'a1': 'a', 'a1x': 'a'}
    """
    codes = codebook.drop_duplicates("id")
    parent = {c: p for c, p in zip(codes["id"], codes["parent"], strict=True) if isinstance(p, str)}
    out: dict[str, str] = {}
    for code in codes["id"]:
        top = code
        while top in parent:
            top = parent[top]
        out[code] = top
    return out


def by_topic(sentences: Iterable[Sentence], tops: Mapping[str, str]) -> dict[str, list[Sentence]]:
    """Sentences grouped under the top-level code of each one's first code: topics in the order of
    ``tops`` (see :func:`top_codes`), sentences in the order given.

    Examples
    --------
    >>> by_topic([(("a1",), "x"), (("b",), "y"), (("a",), "z")], {"b": "b", "a": "a", "a1": "a"})
    {'b': [(('b',), 'y')], 'a': [(('a1',), 'x'), (('a',), 'z')]}
    """
    said: dict[str, list[Sentence]] = {}
    for codes, sentence in sentences:
        said.setdefault(tops[codes[0]], []).append((codes, sentence))
    order = dict.fromkeys(tops.values())
    return {topic: said[topic] for topic in order if topic in said}


# -- the register and the CSV fallback ---------------------------------------------------------------


def register_frame(
    interviews: Sequence[Interview], site_names: Mapping[str, str], extra: Mapping[str, Sequence[Any]] | None = None
) -> pd.DataFrame:
    """The interview register as delivered: ``interview_id, site`` (by name), ``wave, date`` (ISO),
    ``group``, then any ``extra`` columns (name -> one value per interview)."""
    frame = pd.DataFrame(
        [[iv.interview_id, site_names[iv.site], iv.wave, iv.date.isoformat(), iv.group] for iv in interviews],
        columns=REGISTER_COLUMNS,
    )
    for name, values in (extra or {}).items():
        frame[name] = list(values)
    return frame


def segments_frame(interviews: Sequence[Interview], code_names: Mapping[str, str]) -> pd.DataFrame:
    """The coded segments as the plain CSV fallback: one row per (selection, code), the code by its
    codebook name, sorted by interview, start and code."""
    rows = [
        [iv.interview_id, code_names[c], s, e, iv.text[s:e]]
        for iv in interviews
        for s, e, codes in iv.selections
        for c in codes
    ]
    frame = pd.DataFrame(rows, columns=SEGMENT_CSV_COLUMNS)
    return frame.sort_values(["interview_id", "start", "code"], kind="stable").reset_index(drop=True)


# -- the REFI-QDA project ----------------------------------------------------------------------------


def _guid(namespace: str, *parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, (namespace, *parts)))))


def _codebook_element(parent: ET.Element, codebook: pd.DataFrame, code_guid: Mapping[str, str]) -> None:
    """The nested ``CodeBook/Codes``: a child code waits until its parent is placed."""
    q = _qualified
    codes_el = ET.SubElement(ET.SubElement(parent, q("CodeBook")), q("Codes"))
    elements: dict[str, ET.Element] = {}
    pending = list(codebook.drop_duplicates("id").itertuples(index=False))
    while pending:
        waiting = []
        for c in pending:
            if isinstance(c.parent, str) and c.parent not in elements:
                waiting.append(c)
                continue
            holder = elements[c.parent] if isinstance(c.parent, str) else codes_el
            el = ET.SubElement(holder, q("Code"), {"guid": code_guid[c.id], "name": c.name, "isCodable": "true"})
            if isinstance(c.description, str) and c.description:  # before any child Code, as the schema orders
                ET.SubElement(el, q("Description")).text = c.description
            elements[c.id] = el
        if len(waiting) == len(pending):
            raise ValueError(f"Codes whose parent is not in the codebook: {', '.join(sorted(c.id for c in waiting))}.")
        pending = waiting


def _qualified(tag: str) -> str:
    return f"{{{QDA_NAMESPACE}}}{tag}"


def _source_element(
    parent: ET.Element, iv: Interview, namespace: str, code_guid: Mapping[str, str], who: Mapping[str, str]
) -> str:
    """One ``TextSource`` with its selections and codings; returns its GUID (its text's file name)."""
    q = _qualified
    sg = _guid(namespace, "source", iv.interview_id)
    src = ET.SubElement(
        parent, q("TextSource"), {"guid": sg, "name": iv.interview_id, "plainTextPath": f"internal://{sg}.txt", **who}
    )
    for k, (s, e, codes) in enumerate(iv.selections):
        sel = ET.SubElement(
            src,
            q("PlainTextSelection"),
            {
                "guid": _guid(namespace, "selection", iv.interview_id, k),
                "name": iv.text[s:e][:60],
                "startPosition": str(s),
                "endPosition": str(e),
                **who,
            },
        )
        for c in codes:
            coding = ET.SubElement(sel, q("Coding"), {"guid": _guid(namespace, "coding", iv.interview_id, k, c), **who})
            ET.SubElement(coding, q("CodeRef"), {"targetGUID": code_guid[c]})
    return sg


def qdpx_bytes(
    interviews: Sequence[Interview],
    codebook: pd.DataFrame,
    *,
    title: str,
    created: dt.date,
    origin: str,
    namespace: str,
    user: tuple[str, str] = ("Synthetic coder", "SC"),
) -> bytes:
    """A REFI-QDA project exchange file (``.qdpx``) holding ``interviews``, coded with ``codebook``.

    Parameters
    ----------
    interviews : sequence of Interview
        One ``TextSource`` each, named by its interview id, its text stored as
        ``sources/<guid>.txt`` (UTF-8); one ``PlainTextSelection`` per selection, one ``Coding``
        per code on it.
    codebook : DataFrame
        ``id, name, parent, description`` (as :func:`analysis.qda.load_codebook` gives it): the
        nested ``CodeBook``. Every code a selection carries must be in it.
    title : str
        The project's name.
    created : date
        Every element's ``creationDateTime`` (midnight UTC).
    origin : str
        The project's ``origin`` attribute: what wrote it (e.g. the calling module's name).
    namespace : str
        Every GUID is a uuid5 of this string and the element's place: a different namespace gives
        different GUIDs, the same one the same GUIDs.
    user : (name, id)
        The one coder every element is credited to.

    Returns
    -------
    bytes
        The zip archive: ``project.qde`` and the transcripts, entries sorted, fixed times.

    Raises
    ------
    ValueError
        A selection carries a code that is not in ``codebook``, or a code's parent is not in it.
    """
    code_guid = {c: _guid(namespace, "code", c) for c in codebook["id"]}
    unknown = sorted(
        {(iv.interview_id, c) for iv in interviews for *_, cs in iv.selections for c in cs if c not in code_guid}
    )
    if unknown:
        listed = ", ".join(f"{c} (interview {i})" for i, c in unknown)
        raise ValueError(f"Selections carry codes that are not in the codebook: {listed}.")
    ET.register_namespace("", QDA_NAMESPACE)
    q = _qualified
    stamp = f"{created.isoformat()}T00:00:00Z"
    user_guid = _guid(namespace, "user")
    root = ET.Element(
        q("Project"), {"name": title, "origin": origin, "creatingUserGUID": user_guid, "creationDateTime": stamp}
    )
    ET.SubElement(ET.SubElement(root, q("Users")), q("User"), {"guid": user_guid, "name": user[0], "id": user[1]})
    _codebook_element(root, codebook, code_guid)
    sources_el = ET.SubElement(root, q("Sources"))
    who = {"creatingUser": user_guid, "creationDateTime": stamp}
    files: dict[str, bytes] = {}
    for iv in interviews:
        sg = _source_element(sources_el, iv, namespace, code_guid, who)
        files[f"sources/{sg}.txt"] = iv.text.encode("utf-8")
    ET.indent(root)
    files["project.qde"] = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return stable_zip(files, mode=0o644)


# -- byte-stable zip archives ------------------------------------------------------------------------


def stable_zip(files: Mapping[str, bytes], mode: int = 0o600) -> bytes:
    """A deflated zip of ``files`` (name -> content): entries sorted by name, every entry dated
    :data:`FIXED_ZIP_TIME`, marked as made on Unix with permissions ``mode`` (``rw-------`` by
    default, what :mod:`zipfile` gives an entry without any), so that the same files give the same
    bytes on every run, platform and Python version.

    Examples
    --------
    >>> stable_zip({"b.txt": b"2", "a.txt": b"1"}) == stable_zip({"a.txt": b"1", "b.txt": b"2"})
    True
    >>> zipfile.ZipFile(io.BytesIO(stable_zip({"b.txt": b"2", "a.txt": b"1"}))).namelist()
    ['a.txt', 'b.txt']
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            zi = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 3
            zi.external_attr = mode << 16
            zf.writestr(zi, files[name])
    return buf.getvalue()


_CORE_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>")
_FIXED_MODIFIED = (
    b'<dcterms:modified xmlns:dcterms="http://purl.org/dc/terms/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    b'xsi:type="dcterms:W3CDTF">2021-01-01T00:00:00Z</dcterms:modified>'
)


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Write ``sheets`` (sheet name -> frame, in order, no index) as an Excel workbook with
    dates as real Excel dates (``YYYY-MM-DD``), the same bytes on every run: fixed document
    properties, the modified time openpyxl stamps from the wall clock replaced, zip entries as
    :func:`stable_zip` writes them."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl", date_format="YYYY-MM-DD", datetime_format="YYYY-MM-DD") as xw:
        for name, frame in sheets.items():
            frame.to_excel(xw, sheet_name=name, index=False)
        wb = xw.book
        wb.properties.created = dt.datetime(2021, 1, 1)
        wb.properties.modified = dt.datetime(2021, 1, 1)
        wb.properties.creator = "synthetic"
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    files = {}
    for name in src.namelist():
        content = src.read(name)
        files[name] = _CORE_MODIFIED.sub(_FIXED_MODIFIED, content) if name == "docProps/core.xml" else content
    Path(path).write_bytes(stable_zip(files))
    return Path(path)


# -- names -------------------------------------------------------------------------------------------


def write_names(folder: Path, names: Iterable[str] = SYNTHETIC_NAMES) -> Path:
    """``<folder>/names.txt``, one name a line: the names quotes are screened for
    (:mod:`analysis.inputs` reads it beside the wave folders)."""
    path = Path(folder) / NAMES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    return path


__all__ = [
    "FIXED_ZIP_TIME",
    "SYNTHETIC_NAMES",
    "Interview",
    "by_topic",
    "qdpx_bytes",
    "register_frame",
    "segments_frame",
    "stable_zip",
    "top_codes",
    "transcript",
    "write_names",
    "write_workbook",
]
