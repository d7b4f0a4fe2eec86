"""``python -m analysis new-study NAME`` (analysis/newstudy.py): the skeleton of a third study.

Unit tests write the skeleton into a temporary repository; the end-to-end test writes it into a
temporary copy of the project and builds its report (HTML and PDF) from synthetic data with
``python -m analysis --study demo report``.
"""

from __future__ import annotations

import csv
import hashlib
import html
import importlib
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from analysis import newstudy
from analysis.config import parse_study
from analysis.newstudy import NewStudyError
from tests.conftest import copy_project, run_analysis
from tests.sandbox import REPO

NAME = "demo"


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the SHA-256 of its content."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Demo", "2nd_study", "my-study", "my study", "", "étude", "_demo", "demo.x"])
def test_a_name_that_is_not_a_lower_case_identifier_is_refused(tmp_path, name):
    with pytest.raises(NewStudyError, match=r"cannot name a study: a study's name is a lower-case Python identifier"):
        newstudy.create(name, repo=tmp_path)
    assert tree(tmp_path) == {}


@pytest.mark.parametrize("name", ["class", "import", "lambda"])
def test_a_python_keyword_is_refused(tmp_path, name):
    # `import analysis.studies.class` is a syntax error
    with pytest.raises(NewStudyError, match=rf"'{name}' cannot name a study: it is a Python keyword"):
        newstudy.create(name, repo=tmp_path)
    assert tree(tmp_path) == {}


@pytest.mark.parametrize("where", ["studies/demo", "analysis/studies/demo"])
def test_a_name_in_use_is_refused_and_nothing_is_written(tmp_path, where):
    (tmp_path / where).mkdir(parents=True)
    (tmp_path / where / "keep.txt").write_text("someone's work")
    before = tree(tmp_path)
    with pytest.raises(NewStudyError, match=r"a study named 'demo' exists already \(.*demo\): nothing was written"):
        newstudy.create(NAME, repo=tmp_path)
    assert tree(tmp_path) == before
    assert not (tmp_path / "studies" / "demo" / "config").exists()


def test_a_second_run_overwrites_nothing(tmp_path):
    newstudy.create(NAME, repo=tmp_path)
    first = tree(tmp_path)
    (tmp_path / "studies" / NAME / "config" / "study.yml").write_text("# edited by the analyst\n")
    edited = tree(tmp_path)
    with pytest.raises(NewStudyError, match="exists already"):
        newstudy.create(NAME, repo=tmp_path)
    assert tree(tmp_path) == edited and edited.keys() == first.keys()


def test_a_file_that_appears_meanwhile_is_not_overwritten(tmp_path, monkeypatch):
    # the name check passes (the folders are not there), but a file turns up before it is written
    real = newstudy.files

    def files_and_a_rival(name, title=None):
        out = real(name, title)
        rival = tmp_path / "studies" / NAME / "README.md"
        rival.parent.mkdir(parents=True)
        rival.write_text("written by someone else")
        return out

    monkeypatch.setattr(newstudy, "files", files_and_a_rival)
    with pytest.raises(FileExistsError):
        newstudy.create(NAME, repo=tmp_path)
    assert (tmp_path / "studies" / NAME / "README.md").read_text() == "written by someone else"


@pytest.mark.parametrize("title", ["", "  ", "Two\nlines"])
def test_a_title_that_is_not_one_line_is_refused(tmp_path, title):
    with pytest.raises(NewStudyError, match="the title must be one line of text"):
        newstudy.create(NAME, title=title, repo=tmp_path)
    assert tree(tmp_path) == {}


def test_the_command_line_refuses_with_a_clear_message(capsys):
    from analysis.cli import main

    assert main(["new-study", "My-Study"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: 'My-Study' cannot name a study: a study's name is a lower-case Python identifier")


def test_make_new_study_runs_the_command():
    # a dry run (-n) prints the commands and runs none
    # (under `make test` this make is nested: without --no-print-directory it adds "Entering/Leaving directory")
    cmd = ["make", "--no-print-directory", "-n", "new-study", "NAME=kinship_care"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert ".venv/bin/python -m analysis new-study kinship_care" in proc.stdout.splitlines()


# -- the skeleton ----------------------------------------------------------------------------------


@pytest.fixture
def skeleton(tmp_path):
    written = newstudy.create(NAME, title='The "demo" study', repo=tmp_path)
    return tmp_path, written


def test_the_skeleton_has_the_files_of_a_study(skeleton):
    repo, written = skeleton
    study, code = "studies/demo", "analysis/studies/demo"
    expected = {
        f"{study}/config/study.yml",
        f"{study}/config/waves/baseline.yml",
        f"{study}/config/waves/follow_up.yml",
        f"{study}/notebooks/participants.ipynb",
        f"{study}/report/findings.qmd",
        f"{study}/_quarto.yml",
        f"{study}/README.md",
        f"{code}/__init__.py",
        f"{code}/sources.py",
        f"{code}/synthetic.py",
        f"{code}/tables.py",
    }
    assert {p.relative_to(repo).as_posix() for p in written} == expected == set(tree(repo))


def test_the_configuration_is_a_study_the_engine_reads(skeleton):
    repo, _ = skeleton
    raw = yaml.safe_load((repo / "studies/demo/config/study.yml").read_text())
    study = parse_study(raw)
    assert study.title == 'The "demo" study'  # a quote in the title stays a quote
    assert study.module == "analysis.studies.demo"
    assert [s.name for s in study.sites] == ["Site A", "Site B"]
    assert study.wave_ids == ["baseline", "follow_up"]
    assert [(r.id, r.waves) for r in study.reports] == [("findings", ("baseline", "follow_up"))]
    # the engine's default disclosure settings are acro's own (read from acro's default.yaml)
    acro_defaults = yaml.safe_load((Path(importlib.util.find_spec("acro").origin).parent / "default.yaml").read_text())
    d = study.disclosure
    assert (d.threshold, d.dominance_n, d.dominance_k, d.p_ratio) == (
        acro_defaults["safe_threshold"],
        acro_defaults["safe_nk_n"],
        acro_defaults["safe_nk_k"],
        acro_defaults["safe_pratio_p"],
    )
    assert d.mitigation == "suppress"
    for w in study.wave_ids:
        assert yaml.safe_load((repo / f"studies/demo/config/waves/{w}.yml").read_text()) == {"wave": w}


def test_the_notebook_is_thin_and_labelled(skeleton):
    repo, _ = skeleton
    nb = nbformat.read(repo / "studies/demo/notebooks/participants.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)  # committed without outputs
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and re.search(r'^wave: str = "follow_up"  # ', params[0].source, re.M)
    assert 'inputs.load(wave, ["participants"])' in "".join(c.source for c in code)
    shown = [c for c in code if c.source.startswith("#| label: tbl-participants\n")]
    assert len(shown) == 1
    assert '#| tbl-cap: "Participants by site and role' in shown[0].source
    assert "tables.show(study_tables.participants_display(" in shown[0].source


def test_the_report_embeds_the_table_and_has_the_appendices(skeleton):
    repo, _ = skeleton
    qmd = (repo / "studies/demo/report/findings.qmd").read_text()
    assert "{{< embed ../_build/reports/findings/participants.ipynb#tbl-participants >}}" in qmd
    assert "{{< include ../_build/reports/findings/validation.md >}}" in qmd
    assert "{{< include ../_build/reports/findings/provenance.md >}}" in qmd
    front = yaml.safe_load(qmd.split("---\n")[1])
    assert front["title"] == 'The "demo" study'
    quarto = yaml.safe_load((repo / "studies/demo/_quarto.yml").read_text())
    assert quarto["project"]["render"] == ["report/findings.qmd"]
    # the house style is the repository's, two folders up from the study root
    for path in (quarto["format"]["html"]["css"], quarto["format"]["typst"]["include-in-header"]):
        assert (REPO / "studies" / "x" / path).resolve().relative_to(REPO.resolve()).parts[0] == "report"
        assert (REPO / "studies" / "x" / path).resolve().exists()


def test_the_study_code_is_ruff_clean(tmp_path):
    # in a copy of the package, so that ruff sorts `analysis` imports as first-party, as in the repository
    shutil.copytree(REPO / "analysis", tmp_path / "analysis", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    newstudy.create(NAME, repo=tmp_path)
    ruff = Path(sys.executable).parent / "ruff"
    targets = ["analysis/studies/demo", "studies/demo"]
    for args in (["check", *targets], ["format", "--check", *targets]):
        proc = subprocess.run([str(ruff), *args], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# -- the study code: synthetic data, validation with quarantine, the table -------------------------


@pytest.fixture
def demo(skeleton, monkeypatch):
    """The skeleton's study package imported from the temporary repository, and its study."""
    import analysis.studies

    repo, _ = skeleton
    monkeypatch.setattr(analysis.studies, "__path__", [*analysis.studies.__path__, str(repo / "analysis/studies")])
    study = parse_study(yaml.safe_load((repo / "studies/demo/config/study.yml").read_text()))
    yield repo, study
    for mod in [m for m in sys.modules if m == "analysis.studies.demo" or m.startswith("analysis.studies.demo.")]:
        del sys.modules[mod]
    if hasattr(analysis.studies, "demo"):  # the import bound it on the package: the next test imports afresh
        delattr(analysis.studies, "demo")


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_synthetic_data_are_deterministic_and_in_the_delivered_format(demo, tmp_path):
    _, study = demo
    synthetic = study.code("synthetic")
    a = synthetic.generate_all(tmp_path / "a", study)
    b = synthetic.generate_all(tmp_path / "b", study)
    assert [p.relative_to(tmp_path / "a").as_posix() for p in a] == [
        "baseline/participants.csv",
        "follow_up/participants.csv",
    ]
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]  # the same seed, the same bytes
    baseline, follow_up = (read_csv_rows(p) for p in a)
    assert list(baseline[0]) == ["participant_id", "site", "role", "joined"]
    # the register as at each wave's date: everyone who had joined by then, so the follow-up holds the baseline
    assert all(r["joined"] <= "2025-01-31" for r in baseline) and all(r["joined"] <= "2025-07-31" for r in follow_up)
    assert baseline and {r["participant_id"] for r in baseline} < {r["participant_id"] for r in follow_up}
    assert {r["site"] for r in follow_up} == {"Site A", "Site B"} and {r["role"] for r in follow_up} == {
        "practitioner",
        "manager",
    }
    other = synthetic.generate_all(tmp_path / "c", parse_study({**study.raw, "synthetic": {"seed": 7}}))
    assert [p.read_bytes() for p in other] != [p.read_bytes() for p in a]


def test_the_synthetic_data_pass_validation_whole(demo, tmp_path):
    _, study = demo
    study.code("synthetic").generate_all(tmp_path, study)
    sources = study.code("sources")
    assert [f.__name__ for f in sources.SOURCE_CHECKS] == ["check_participants"]
    assert sources.INPUTS == {"participants": ("participants",)}
    for wave in study.wave_ids:
        checked, unusable = sources.check_participants(tmp_path / wave, study)
        rows = read_csv_rows(tmp_path / wave / "participants.csv")
        c = checked["participants"]
        assert unusable == [] and c.delivered == len(rows) == len(c.accepted) and c.quarantined.empty
        assert set(c.accepted["site"]) == {"sitea", "siteb"}  # names as delivered, ids once typed


def test_bad_rows_are_quarantined_with_row_column_and_rule(demo, tmp_path):
    _, study = demo
    folder = tmp_path / "baseline"  # the wave's date is 2025-01-31
    folder.mkdir()
    (folder / "participants.csv").write_text(
        "Participant ID,Site,Role,Joined\n"
        "P1,site a,Practitioner,2025-01-02\n"  # line 2: a site by its name, any case; a role in any case: fine
        "P2,Site C,manager,2025-01-03\n"  # line 3: no such site
        "P3,sitea,director,2025-01-04\n"  # line 4: no such role
        "P4,siteb,manager,2025-01-05\n"  # lines 5 and 6: one id twice (both rows kept back)
        "P4,sitea,manager,2025-01-06\n"
        "P5,siteb,manager,2025-02-01\n"  # line 7: joined after the wave's date
        "P6,siteb,manager,last week\n"  # line 8: not a date
        "P7,SITEB,practitioner,2025-01-31\n"  # line 9: joined on the wave's date: fine
    )
    checked, unusable = study.code("sources").check_participants(folder, study)
    c = checked["participants"]
    assert unusable == [] and c.delivered == 8 and len(c.accepted) + len(c.quarantined) == 8
    assert list(c.accepted["participant_id"]) == ["P1", "P7"]
    assert list(c.accepted["site"]) == ["sitea", "siteb"] and list(c.accepted["role"]) == ["practitioner"] * 2
    q = c.quarantined
    assert set(q["file"]) == {str(folder / "participants.csv")}
    assert dict(zip(q["row"], q["column"], strict=True)) == {
        3: "site",
        4: "role",
        5: "participant_id",
        6: "participant_id",
        7: "joined",
        8: "joined",
    }
    rules = dict(zip(q["row"], q["rule"], strict=True))
    assert rules == {
        3: "allowed_values",
        4: "allowed_values",
        5: "unique",
        6: "unique",
        7: "joined_by_wave_date",
        8: "type",
    }
    assert "joined_by_wave_date (joined): joined on 2025-02-01, after the wave's date (2025-01-31)" in set(q["message"])


def test_an_unusable_file_is_reported_not_raised(demo, tmp_path):
    _, study = demo
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "participants.csv").write_text("participant_id,site,role,joined\n")
    checked, unusable = study.code("sources").check_participants(tmp_path / "baseline", study)
    assert checked == {} and len(unusable) == 1
    assert "participants.csv: the participants table has a header row but no data rows" in str(unusable[0])
    assert study.code("sources").check_participants(tmp_path / "follow_up", study) == ({}, [])  # not delivered


def test_the_data_request_workbook_asks_for_the_register_and_reads_back(demo, tmp_path):
    import openpyxl

    from analysis.schemas import FIRST_DATA_ROW, HEADER_ROW
    from analysis.template import write_template

    _, study = demo
    book = write_template(tmp_path / "request.xlsx", study)
    wb = openpyxl.load_workbook(book)
    ws = wb["participants"]
    assert wb.sheetnames[:2] == ["Instructions", "participants"]
    assert [c.value for c in ws[HEADER_ROW]] == ["participant_id", "site", "role", "joined"]
    assert "Baseline: 2025-01-31; Six-month follow-up: 2025-07-31" in " ".join(
        str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value
    )
    # a local authority fills it in: one good row, one with a role the study does not have
    for k, row in enumerate(
        [("P01-001", "Site B", "manager", "2025-01-10"), ("P01-002", "sitea", "chef", "2025-01-11")]
    ):
        for j, value in enumerate(row, start=1):
            ws.cell(FIRST_DATA_ROW + k, j, value)
    (tmp_path / "baseline").mkdir()
    wb.save(tmp_path / "baseline" / "participants.xlsx")
    checked, unusable = study.code("sources").check_participants(tmp_path / "baseline", study)
    c = checked["participants"]
    assert unusable == [] and c.delivered == 2
    assert list(c.accepted["participant_id"]) == ["P01-001"] and list(c.accepted["site"]) == ["siteb"]
    q = c.quarantined
    assert list(zip(q["row"], q["column"], q["rule"], strict=True)) == [(FIRST_DATA_ROW + 1, "role", "allowed_values")]


def test_the_table_counts_by_site_and_role_under_the_disclosure_rule(demo):
    _, study = demo
    tables = study.code("tables")
    # 12 practitioners and 3 managers at Site A, 15 practitioners and no manager at Site B (counted by hand)
    rows = [("sitea", "practitioner")] * 12 + [("sitea", "manager")] * 3 + [("siteb", "practitioner")] * 15
    frame = pd.DataFrame(rows, columns=["site", "role"])
    counts = tables.participant_counts(frame, study)
    expected = pd.DataFrame(
        {"practitioner": [12, 15], "manager": [3, 0]}, index=pd.Index(["Site A", "Site B"], name="Site")
    )
    pd.testing.assert_frame_equal(counts, expected, check_dtype=False)
    shown = tables.participants_display(study, frame)
    # By hand: the managers' 3 and 0, and their total 3, are below 10, so suppressed; then each row and the
    # total row would give its suppressed cell by subtraction from a shown total (15 - 12, 15 - 15, 30 - 27),
    # so the practitioners' 12, 15 and 27 are suppressed too. The site totals and the grand total are shown.
    assert shown.to_dict("records") == [
        {"Site": "Site A", "practitioner": "<10", "manager": "<10", "Total": "15"},
        {"Site": "Site B", "practitioner": "<10", "manager": "<10", "Total": "15"},
        {"Site": "Total", "practitioner": "<10", "manager": "<10", "Total": "30"},
    ]
    # 10 managers at each site: every count is at the threshold or above, so every one is shown
    more = pd.concat(
        [frame, pd.DataFrame([("sitea", "manager")] * 7 + [("siteb", "manager")] * 10, columns=frame.columns)]
    )
    assert tables.participants_display(study, more).to_dict("records") == [
        {"Site": "Site A", "practitioner": "12", "manager": "10", "Total": "22"},
        {"Site": "Site B", "practitioner": "15", "manager": "10", "Total": "25"},
        {"Site": "Total", "practitioner": "27", "manager": "20", "Total": "47"},
    ]
    assert tables.participants_display(study, None).to_dict("records") == [
        {"Note": "No participants register was delivered for this wave."}
    ]


# -- end to end: the skeleton builds on synthetic data ------------------------------------------------


def cell_texts(row_html: str) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row_html, re.S)
    ]


def table_rows(page: str, caption: str) -> list[list[str]]:
    """The rows (header first) of the HTML table whose caption starts with ``caption``."""
    tables = re.findall(r"<table.*?</table>", page, re.S)
    found = [t for t in tables if caption in html.unescape(re.sub(r"<[^>]+>", "", t))]
    if not found:  # the caption may sit outside the table, just before it
        at = page.find(caption)
        found = [t for t in tables if page.find(t) > at >= 0][:1]
    assert found, f"no table captioned {caption!r}"
    return [cell_texts(r) for r in re.findall(r"<tr.*?</tr>", found[0], re.S)]


def true_counts(csv_path: Path) -> Counter:
    """Participants per (site name, role), counted from the delivered file with the csv module."""
    return Counter((r["site"], r["role"]) for r in read_csv_rows(csv_path))


def assert_disclosed(rows: list[list[str]], counts: Counter, threshold: int) -> int:
    """Every count shown is the true count, and every true count below the threshold reads "<10";
    returns how many cells were suppressed."""
    header, body = rows[0], rows[1:]
    suppressed = 0
    for row in body:
        site = row[0]
        for role, text in zip(header[1:], row[1:], strict=True):
            if site == "Total" and role == "Total":
                true = sum(counts.values())
            elif site == "Total":
                true = sum(n for (_, r), n in counts.items() if r == role)
            elif role == "Total":
                true = sum(n for (s, _), n in counts.items() if s == site)
            else:
                true = counts[(site, role)]
            if text == f"<{threshold}":
                suppressed += 1
            else:
                assert true >= threshold and text == str(true), (site, role, text, true)
    return suppressed


@pytest.mark.e2e
def test_a_new_study_builds_its_report_on_synthetic_data(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    for name in ("studies", "analysis"):  # the engine and the studies, so the new study's code is found here
        if not (root / name).exists():
            shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    env = {"PYTHONPATH": str(root), "ANALYSIS_STUDY": ""}  # the package in root first, for the kernels too

    proc = run_analysis(root, "new-study", NAME, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "make report STUDY=demo" in proc.stdout and (root / "analysis/studies/demo/sources.py").exists()
    proc = run_analysis(root, "--study", NAME, "report", "--renderer", "builtin", env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]

    study_root = root / "studies" / NAME
    html_file, pdf_file = study_root / "_output/findings.html", study_root / "_output/findings.pdf"
    assert html_file.stat().st_size > 0 and pdf_file.read_bytes().startswith(b"%PDF")
    assert not (root / "_output").exists()  # the flexitime study's outputs were not touched
    page = html_file.read_text(encoding="utf-8")
    caption = "Participants by site and role at this wave"
    rows = table_rows(page, caption)
    assert rows[0] == ["Site", "practitioner", "manager", "Total"]
    assert [r[0] for r in rows[1:]] == ["Site A", "Site B", "Total"]
    counts = true_counts(study_root / "data/synthetic/follow_up/participants.csv")
    assert assert_disclosed(rows, counts, 10) == 0  # at the follow-up every cell is 10 or more: all shown
    assert "Synthetic data: not for publication" in page
    for heading in ("Appendix: data validation", "Appendix: provenance"):
        assert heading in page
    # the validation appendix counts only the quarantined rows of a table of people (the study says which)
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "For tables whose rows are people (the participants register) only the quarantined rows" in words
    appendix = table_rows(page, "All rows delivered")
    assert appendix[0][:5] == ["Wave", "Table", "All rows delivered", "Accepted", "Quarantined"]
    assert [r[:5] for r in appendix[1:]] == [
        ["Baseline", "participants", "–", "–", "0"],
        ["Six-month follow-up", "participants", "–", "–", "0"],
    ]

    from pypdf import PdfReader

    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(str(pdf_file)).pages)
    assert caption in text and "Appendix: provenance" in text
    assert all(str(n) in text for n in counts.values())

    # the baseline's run, where small cells are suppressed (the same notebook, the other wave)
    nb = nbformat.read(study_root / "_build/notebooks/baseline/participants.ipynb", as_version=4)
    shown = next(c for c in nb.cells if c.source.startswith("#| label: tbl-participants"))
    table = next(o["data"]["text/html"] for o in shown.outputs if "text/html" in o.get("data", {}))
    base = true_counts(study_root / "data/synthetic/baseline/participants.csv")
    assert min(base.values()) < 10  # the seed gives a small cell, so the rule has work to do
    assert assert_disclosed([cell_texts(r) for r in re.findall(r"<tr.*?</tr>", table, re.S)], base, 10) >= 1

    # the engine still names no study, with the new study's words (its sites) among those searched for
    import tests.test_engine_names_no_study as names

    monkeypatch.setattr(names, "REPO", root)
    monkeypatch.setattr(names, "ENGINE", root / "analysis")
    monkeypatch.setattr(names, "STUDIES", root / "analysis" / "studies")
    assert {"Site A", "siteb"} <= set(names.study_words())
    assert root / "analysis" / "newstudy.py" in names.engine_files()
    names.test_the_engine_names_no_study()
