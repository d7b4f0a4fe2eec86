"""The engine's REFI-QDA writer (analysis/qdpx_writer.py): transcripts at exact offsets, the .qdpx
read back by analysis.qda.read_qdpx and checked independently with zipfile and ElementTree (and by
pyrefiqda's schema models), byte-stable archives and workbooks, the register and segments CSV.

Every expected offset, segment and code tree below is worked out by hand from the transcripts
written here (character counts are given in the comments), not taken from the writer's output.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import time
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest

from analysis import qda
from analysis.qdpx_writer import (
    FIXED_ZIP_TIME,
    SYNTHETIC_NAMES,
    Interview,
    by_topic,
    qdpx_bytes,
    register_frame,
    segments_frame,
    stable_zip,
    top_codes,
    transcript,
    write_names,
    write_workbook,
)

NS = "{urn:QDA-XML:project:1.0}"
ANALYSIS = Path(__file__).resolve().parents[1] / "analysis"

# A small nested codebook: two topics, one with a child that has a child of its own.
CODEBOOK = pd.DataFrame(
    {
        "id": ["support", "peer", "buddy", "home"],
        "name": ["Support", "Peer support", "Buddy system", "Home working"],
        "parent": [None, "support", "peer", None],
        "description": ["Help at work", "", "Paired cover", "Working from home"],
    }
)


def two_interviews() -> list[Interview]:
    """Two interviews with hand-placed selections (offsets counted by hand in the comments)."""
    # "My buddy covers Fridays." is 24 characters: 0-24; "I work at home." starts after a
    # space at 25 and is 15 characters: 25-40.
    a = Interview("INT-01", "north", "w1", dt.date(2021, 3, 2), "social worker")
    a.text = "My buddy covers Fridays. I work at home."
    a.selections = [(0, 24, ("buddy",)), (25, 40, ("home", "support"))]
    # "Colleagues help." is 16 characters: 0-16; with "é" and "–" each one code point.
    b = Interview("INT-02", "south", "w1", dt.date(2021, 3, 9), "team manager")
    b.text = "Colleagues help. Café – fine."
    b.selections = [(0, 16, ("peer",)), (17, 29, ("home",))]
    return [a, b]


def write(tmp_path: Path, interviews: list[Interview] | None = None, namespace: str = "test/1") -> Path:
    path = tmp_path / "interviews.qdpx"
    path.write_bytes(
        qdpx_bytes(
            two_interviews() if interviews is None else interviews,
            CODEBOOK,
            title="Test project",
            created=dt.date(2021, 4, 1),
            origin="tests.test_qdpx_writer",
            namespace=namespace,
        )
    )
    return path


# -- transcripts -------------------------------------------------------------------------------------


def test_transcript_places_each_coded_sentence_at_its_offsets():
    text, spans = transcript(
        [
            ("Hello?", [((), "Hi.")]),
            ("Why?", [(("a",), "One."), ((), "Uncoded."), (("b", "c"), "Two.")]),
        ]
    )
    # by hand: "Interviewer: Hello?\n" 20, "Respondent: Hi.\n" 16 -> 36, blank line -> 37,
    # "Interviewer: Why?\n" 18 -> 55, "Respondent: " 12 -> 67, "One." 67-71, " Uncoded." 71-80,
    # " " -> 81, "Two." 81-85, "\n" -> 86
    assert text == ("Interviewer: Hello?\nRespondent: Hi.\n\nInterviewer: Why?\nRespondent: One. Uncoded. Two.\n")
    assert len(text) == 86
    assert spans == [(67, 71, ("a",)), (81, 85, ("b", "c"))]


def test_transcript_of_no_turns_is_empty():
    assert transcript([]) == ("", [])


def test_top_codes_walks_to_the_top_in_codebook_order():
    assert top_codes(CODEBOOK) == {"support": "support", "peer": "support", "buddy": "support", "home": "home"}
    # a repeated id (a code listed under two research questions) counts once
    doubled = pd.concat([CODEBOOK, CODEBOOK.iloc[[1]]], ignore_index=True)
    assert list(top_codes(doubled)) == ["support", "peer", "buddy", "home"]


def test_by_topic_groups_by_the_first_code_in_codebook_order():
    tops = top_codes(CODEBOOK)
    sentences = [(("home",), "h1"), (("buddy", "home"), "b1"), (("support",), "s1"), (("home",), "h2")]
    # topics in codebook order (support before home), sentences in the order given
    assert by_topic(sentences, tops) == {
        "support": [(("buddy", "home"), "b1"), (("support",), "s1")],
        "home": [(("home",), "h1"), (("home",), "h2")],
    }


# -- the .qdpx, read back ----------------------------------------------------------------------------


def test_round_trip_through_the_engine_reader(tmp_path):
    project = qda.read_qdpx(write(tmp_path))
    assert project.problems == []
    got = project.segments.frame[["interview_id", "code", "start", "end", "text"]].reset_index(drop=True)
    # one row per (selection, code) in document order; the reader gives positions as delivered text
    expected = pd.DataFrame(
        [
            ["INT-01", "Buddy system", "0", "24", "My buddy covers Fridays."],
            ["INT-01", "Home working", "25", "40", "I work at home."],
            ["INT-01", "Support", "25", "40", "I work at home."],
            ["INT-02", "Peer support", "0", "16", "Colleagues help."],
            ["INT-02", "Home working", "17", "29", "Café – fine."],
        ],
        columns=["interview_id", "code", "start", "end", "text"],
    )
    pd.testing.assert_frame_equal(got, expected)
    codes = project.codes[["name", "parent_name", "depth"]]
    pd.testing.assert_frame_equal(
        codes,
        pd.DataFrame(
            {
                "name": ["Support", "Peer support", "Buddy system", "Home working"],
                "parent_name": [None, "Support", "Peer support", None],
                "depth": [0, 1, 2, 0],
            }
        ),
    )
    assert project.sources[["name", "chars"]].values.tolist() == [["INT-01", 40], ["INT-02", 29]]


def test_the_project_xml_has_the_refi_qda_structure(tmp_path):
    """Independent of analysis.qda: open the zip and parse project.qde with ElementTree."""
    with zipfile.ZipFile(write(tmp_path)) as zf:
        names = zf.namelist()
        root = ET.fromstring(zf.read("project.qde"))
        texts = {n: zf.read(n).decode("utf-8") for n in names if n.startswith("sources/")}
        infos = zf.infolist()
    assert names == sorted(names) and names[0] == "project.qde" and len(texts) == 2
    assert {i.date_time for i in infos} == {FIXED_ZIP_TIME}
    assert {i.external_attr >> 16 for i in infos} == {0o644} and {i.create_system for i in infos} == {3}
    assert root.tag == f"{NS}Project"
    assert root.get("name") == "Test project" and root.get("origin") == "tests.test_qdpx_writer"
    assert root.get("creationDateTime") == "2021-04-01T00:00:00Z"
    users = root.findall(f"{NS}Users/{NS}User")
    assert len(users) == 1 and users[0].get("guid") == root.get("creatingUserGUID")
    # the code tree, nested: Support > Peer support > Buddy system, and Home working
    top = root.findall(f"{NS}CodeBook/{NS}Codes/{NS}Code")
    assert [c.get("name") for c in top] == ["Support", "Home working"]
    peer = top[0].find(f"{NS}Code")
    assert peer.get("name") == "Peer support" and peer.find(f"{NS}Code").get("name") == "Buddy system"
    assert top[0].find(f"{NS}Description").text == "Help at work"
    assert peer.find(f"{NS}Description") is None  # an empty description is left out
    guid_name = {c.get("guid"): c.get("name") for c in root.iter(f"{NS}Code")}
    # each source: its text in the archive, its selections and what they are coded with
    found = []
    for src in root.findall(f"{NS}Sources/{NS}TextSource"):
        path = src.get("plainTextPath")
        assert path == f"internal://{src.get('guid')}.txt"
        text = texts[f"sources/{path.removeprefix('internal://')}"]
        for sel in src.findall(f"{NS}PlainTextSelection"):
            s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
            coded = [guid_name[c.find(f"{NS}CodeRef").get("targetGUID")] for c in sel.findall(f"{NS}Coding")]
            found.append((src.get("name"), text[s:e], coded))
    assert found == [
        ("INT-01", "My buddy covers Fridays.", ["Buddy system"]),
        ("INT-01", "I work at home.", ["Home working", "Support"]),
        ("INT-02", "Colleagues help.", ["Peer support"]),
        ("INT-02", "Café – fine.", ["Home working"]),
    ]
    guids = [el.get("guid") for el in root.iter() if el.get("guid")]
    assert len(guids) == len(set(guids)) and all(uuid.UUID(g) for g in guids)
    # users (1) + codes (4) + sources (2) + selections (4) + codings (5), the user listed once
    assert len(guids) == 1 + 4 + 2 + 4 + 5


def test_pyrefiqda_schema_models_read_every_coding(tmp_path):
    """A second independent reader: pyrefiqda's models, generated from the REFI-QDA schema, fail on
    anything outside it."""
    from pyrefiqda import RefiProject

    project = RefiProject.load(write(tmp_path), extract_dir=str(tmp_path / "x"))
    codings = sum(len(sel.coding) for s in project.sources.text_source for sel in s.plain_text_selection)
    assert codings == 5


def test_same_input_same_bytes_and_the_namespace_sets_the_guids(tmp_path):
    first = write(tmp_path).read_bytes()
    assert write(tmp_path).read_bytes() == first
    other = write(tmp_path, namespace="test/2")
    assert other.read_bytes() != first
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(other) as b:
        assert ET.fromstring(a.read("project.qde")).get("creatingUserGUID") != ET.fromstring(b.read("project.qde")).get(
            "creatingUserGUID"
        )
    # what a reader takes from it is the same
    frame = qda.read_qdpx(other).segments.frame
    assert frame["text"].tolist() == [
        "My buddy covers Fridays.",
        "I work at home.",
        "I work at home.",
        "Colleagues help.",
        "Café – fine.",
    ]


def test_a_code_outside_the_codebook_is_refused_by_name(tmp_path):
    ivs = two_interviews()
    ivs[1].selections.append((0, 10, ("nonexistent",)))
    with pytest.raises(ValueError, match=r"not in the codebook: nonexistent \(interview INT-02\)"):
        write(tmp_path, ivs)


def test_a_code_whose_parent_is_missing_is_refused(tmp_path):
    orphan = pd.concat(
        [CODEBOOK, pd.DataFrame({"id": ["x"], "name": ["X"], "parent": ["gone"], "description": [""]})],
        ignore_index=True,
    )
    with pytest.raises(ValueError, match="parent is not in the codebook: x"):
        qdpx_bytes([], orphan, title="t", created=dt.date(2021, 1, 1), origin="o", namespace="n")


# -- register, segments CSV, names -------------------------------------------------------------------


def test_register_frame_names_sites_and_adds_extra_columns():
    got = register_frame(two_interviews(), {"north": "Authority A", "south": "Authority B"}, {"pid": ["P1", "P2"]})
    expected = pd.DataFrame(
        [
            ["INT-01", "Authority A", "w1", "2021-03-02", "social worker", "P1"],
            ["INT-02", "Authority B", "w1", "2021-03-09", "team manager", "P2"],
        ],
        columns=["interview_id", "site", "wave", "date", "group", "pid"],
    )
    pd.testing.assert_frame_equal(got, expected)


def test_segments_frame_is_the_csv_fallback_sorted_by_interview_start_and_code():
    names = dict(zip(CODEBOOK["id"], CODEBOOK["name"], strict=True))
    got = segments_frame(list(reversed(two_interviews())), names)
    expected = pd.DataFrame(
        [
            ["INT-01", "Buddy system", 0, 24, "My buddy covers Fridays."],
            ["INT-01", "Home working", 25, 40, "I work at home."],
            ["INT-01", "Support", 25, 40, "I work at home."],
            ["INT-02", "Peer support", 0, 16, "Colleagues help."],
            ["INT-02", "Home working", 17, 29, "Café – fine."],
        ],
        columns=["interview_id", "code", "start", "end", "text"],
    )
    pd.testing.assert_frame_equal(got, expected)


def test_write_names_lists_one_name_a_line(tmp_path):
    path = write_names(tmp_path / "synthetic")
    assert path == tmp_path / "synthetic" / "names.txt"
    assert path.read_text(encoding="utf-8").splitlines() == list(SYNTHETIC_NAMES)


# -- byte-stable archives ----------------------------------------------------------------------------


def test_stable_zip_sorts_entries_and_fixes_their_times():
    data = stable_zip({"b/2.txt": b"two", "a.txt": b"one"})
    assert data == stable_zip({"a.txt": b"one", "b/2.txt": b"two"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["a.txt", "b/2.txt"]
        assert [zf.read(n) for n in zf.namelist()] == [b"one", b"two"]
        assert {i.date_time for i in zf.infolist()} == {(2021, 1, 1, 0, 0, 0)}
        assert {(i.create_system, i.external_attr >> 16) for i in zf.infolist()} == {(3, 0o600)}  # Unix, rw-------
    assert stable_zip({"a.txt": b"one"}, mode=0o644) != stable_zip({"a.txt": b"one"})


def test_write_workbook_gives_the_same_bytes_a_second_later(tmp_path):
    frames = {
        "first": pd.DataFrame({"id": ["a", "b"], "day": pd.to_datetime(["2021-03-02", "2021-03-09"])}),
        "second": pd.DataFrame({"n": [1, 2]}),
    }
    one = write_workbook(frames, tmp_path / "one.xlsx").read_bytes()
    time.sleep(1.1)  # openpyxl stamps the wall clock (to the second) into docProps/core.xml
    two = write_workbook(frames, tmp_path / "two.xlsx").read_bytes()
    assert one == two
    with zipfile.ZipFile(io.BytesIO(one)) as zf:
        core = zf.read("docProps/core.xml").decode()
    assert "2021-01-01T00:00:00Z</dcterms:modified>" in core
    back = pd.read_excel(tmp_path / "one.xlsx", sheet_name=None)
    assert list(back) == ["first", "second"]
    assert back["first"]["day"].dt.strftime("%Y-%m-%d").tolist() == ["2021-03-02", "2021-03-09"]
    assert back["second"]["n"].tolist() == [1, 2]


# -- one study never imports another -----------------------------------------------------------------


def test_no_study_module_imports_another_study():
    studies = sorted(p.name for p in (ANALYSIS / "studies").iterdir() if (p / "__init__.py").exists())
    assert {"agile", "flexitime"} <= set(studies)
    crossing = []
    for name in studies:
        for path in sorted((ANALYSIS / "studies" / name).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                for module in modules:
                    parts = module.split(".")
                    if parts[:2] == ["analysis", "studies"] and len(parts) > 2 and parts[2] != name:
                        crossing.append(f"{path.relative_to(ANALYSIS)}:{node.lineno} imports {module}")
    assert crossing == []
