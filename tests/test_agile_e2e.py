"""End to end, the agile study: ``python -m analysis --study agile report`` in a temporary copy of the
project builds every agile report (the case studies, the cross-case findings, the practice guide) as
HTML and PDF from a fresh synthetic data set; no identifier reaches a report, no count under the
threshold is printed in an embedded table, every embedded table is registered for output checking;
and plain ``report`` in the same root still builds the flexitime reports.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis.config import load_study
from analysis.render import EMBED, cell_options
from tests.conftest import copy_project, run_analysis
from tests.sandbox import REPO

pytestmark = pytest.mark.e2e

AGILE = load_study(REPO / "studies" / "agile" / "config" / "study.yml")
REPORTS = [r.id for r in AGILE.reports]
THRESHOLD = AGILE.disclosure.threshold
# the shapes of the synthetic data set's ids (participants, observations, interviews)
ID_PATTERN = re.compile(r"\b(?:P\d{3}|OBS-\d{3}|INT-[A-C]\d-\d{2})\b")


@pytest.fixture(scope="module")
def agile(tmp_path_factory):
    """Both studies built in one temporary root: the agile study first, then plain ``report``."""
    root = copy_project(tmp_path_factory.mktemp("agile_e2e"))
    proc = run_analysis(root, "--study", "agile", "report", "--renderer", "builtin")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    # what the agile build left at the top level (the flexitime study's folders): nothing
    top = sorted(str(p.relative_to(root)) for d in ("_build", "_output", "data") for p in (root / d).rglob("*"))
    flexitime = run_analysis(root, "report", "--renderer", "builtin")
    return root, top, flexitime, proc


def study_root(root: Path) -> Path:
    return root / "studies" / "agile"


def pdf_text(path: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    text = re.sub(r"[\u00ad\u2060]\s*", "", text)  # soft hyphens and word joiners from hyphenation
    return len(reader.pages), re.sub(r"\s+", " ", text)


def identifiers(root: Path) -> set[str]:
    """Every id in the agile study's tidy tables: participants, observations, interviews."""
    ids: set[str] = set()
    for table, cols in (
        ("participants", ["participant_id"]),
        ("observations", ["observation_id", "practitioner_id"]),
        ("interviews", ["interview_id", "participant_id"]),
    ):
        for p in (study_root(root) / "_build" / "data").glob(f"*/{table}.parquet"):
            frame = pd.read_parquet(p)
            for c in cols:
                ids |= set(frame[c].dropna().astype(str))
    return ids


def embeds(root: Path, report: str) -> list[tuple[str, str]]:
    qmd = (study_root(root) / "report" / f"{report}.qmd").read_text(encoding="utf-8")
    return [(Path(m.group(1)).stem, m.group(2)) for m in EMBED.finditer(qmd)]


def embedded_markdown(root: Path, report: str) -> dict[str, str]:
    """The Markdown each embedded cell shows, from the notebooks staged for the report."""
    staged = study_root(root) / "_build" / "reports" / report
    out = {}
    for nb_name, label in embeds(root, report):
        nb = nbformat.read(staged / f"{nb_name}.ipynb", as_version=4)
        cell = next(c for c in nb.cells if c.cell_type == "code" and cell_options(c.source).get("label") == label)
        texts = [o.get("data", {}).get("text/markdown", "") for o in cell.get("outputs", [])]
        out[label] = "".join("".join(t) if isinstance(t, list) else t for t in texts)
    return out


def test_every_agile_report_is_built_as_html_and_pdf(agile):
    root, top, _, proc = agile
    assert "output checking: FAIL" not in proc.stderr  # every agile output passes the differencing audit
    for report in REPORTS:
        for ext in ("html", "pdf"):
            path = study_root(root) / "_output" / f"{report}.{ext}"
            assert path.stat().st_size > 10_000, path
        pages, text = pdf_text(study_root(root) / "_output" / f"{report}.pdf")
        assert pages >= 2 and "Appendix: data validation" in text and "Appendix: provenance" in text, report
        assert "Synthetic data" in text  # built from the synthetic data set, and says so
    assert top == []  # the agile build wrote nothing under the flexitime study's folders


def test_case_studies_run_their_own_authority(agile):
    root = agile[0]
    for report, name in (("case_a", "Authority A"), ("case_b", "Authority B"), ("case_c", "Authority C")):
        nb = nbformat.read(study_root(root) / "_build" / "reports" / report / "case_study.ipynb", as_version=4)
        site = next(r["site"] for r in AGILE.raw["reports"] if r["id"] == report)
        assert nb.metadata.papermill.parameters == {"wave": AGILE.report(report).last_wave, "site": site}
        shown = embedded_markdown(root, report)
        quotes = shown["tbl-case-quotes"].strip().splitlines()[2:]
        assert quotes and all(r.rstrip(" |").endswith(name) for r in quotes), (report, quotes)
        html = (study_root(root) / "_output" / f"{report}.html").read_text(encoding="utf-8")
        assert f"Case study: {name}" in html


@pytest.mark.parametrize("report", REPORTS)
def test_no_identifier_in_any_agile_report(agile, report):
    root = agile[0]
    ids = identifiers(root)
    assert len(ids) > 100  # participants, observations and interviews of both phases
    _, text = pdf_text(study_root(root) / "_output" / f"{report}.pdf")
    html = (study_root(root) / "_output" / f"{report}.html").read_text(encoding="utf-8")
    for where, content in (("pdf", text), ("html", html)):
        assert not ID_PATTERN.search(content), (report, where, ID_PATTERN.search(content))
        assert not {i for i in ids if re.search(rf"\b{re.escape(i)}\b", content)}, (report, where)


@pytest.mark.parametrize("report", REPORTS)
def test_no_count_under_the_threshold_in_an_embedded_table(agile, report):
    root = agile[0]
    shown = embedded_markdown(root, report)
    tables = {k: v for k, v in shown.items() if k.startswith("tbl-")}
    assert tables
    checked = 0
    for label, text in tables.items():
        assert text.strip(), f"{label} shows nothing"
        for row in text.strip().splitlines()[2:]:
            cells = [c.strip() for c in row.strip().strip("|").split("|")]
            for column, cell in enumerate(cells[1:], start=1):
                if re.fullmatch(r"[\d,]+", cell):
                    checked += 1
                    # the one zero allowed: in-person contact in the online setting (structural)
                    structural = cell == "0" and label.endswith("modes-setting") and cells[0] == "Online"
                    assert int(cell.replace(",", "")) >= THRESHOLD or structural, (label, row, column)
    if any("fieldwork" in k for k in tables):
        assert checked  # a report with count tables printed some counts


@pytest.mark.parametrize("report", REPORTS)
def test_output_checking_lists_every_embedded_table(agile, report):
    root = agile[0]
    folder = study_root(root) / "_output" / f"{report}_outputs"
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    keys = set(data["results"])
    embedded = {f"{report}__{label}" for _, label in embeds(root, report) if label.startswith("tbl-")}
    assert embedded and embedded <= keys, embedded - keys
    assert f"{report}__app-validation" in keys
    # a count table's record holds its cells with their reasons: suppressed cells read "<10"
    for key in embedded:
        record = data["results"][key]
        assert record["status"] in ("pass", "review"), (key, record["status"], record["comments"])
    assert "checking.html" in {p.name for p in folder.iterdir()}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="install poppler-utils to read PDF word boxes")
@pytest.mark.parametrize("report", REPORTS)
def test_agile_pdf_prints_no_word_over_another(agile, report):
    # the cross-case matrices (eight columns) once printed "Communication" over "most" (typst's equal
    # shares of the line for auto columns); report/typst-header.typ gives a column its longest word
    from tests.test_report_checks import clashing_words, pdf_words

    pdf = study_root(agile[0]) / "_output" / f"{report}.pdf"
    assert len(pdf_words(pdf)) > 1000  # the check reads the whole report
    assert clashing_words(pdf) == []


def test_plain_report_still_builds_the_flexitime_reports(agile):
    root, _, flexitime, _ = agile
    assert flexitime.returncode == 0, flexitime.stdout[-2000:] + flexitime.stderr[-4000:]
    for name in ("august.html", "august.pdf", "december.html", "december.pdf"):
        assert (root / "_output" / name).stat().st_size > 10_000, name
    assert not (root / "_output" / "cross_case.html").exists()  # each study's outputs under its own root
    assert not (study_root(root) / "_output" / "august.html").exists()


# -- Quarto renders the same agile sources (skipped where quarto is not on the PATH, as in CI) ---------

QUARTO = shutil.which("quarto")
STRAIGHT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def qmd_headings(root: Path, report: str) -> list[str]:
    text = (study_root(root) / "report" / f"{report}.qmd").read_text()
    return [
        re.sub(r"\s*\{#.*\}\s*$", "", line.lstrip("#").strip()) for line in text.splitlines() if line.startswith("#")
    ]


@pytest.mark.quarto
@pytest.mark.skipif(QUARTO is None, reason="quarto is not on the PATH (the built-in renderer is tested above)")
@pytest.mark.parametrize("report", ["case_a", "cross_case", "practice_guide"])
def test_quarto_and_the_builtin_renderer_agree_on_the_agile_reports(agile, report, tmp_path):
    """The same report from both renderers: the same numbered tables, every heading of the source, and
    the same disclosure wording in the PDF."""
    root = agile[0]
    out = study_root(root) / "_output"
    env = {"QUARTO_PYTHON": sys.executable}
    proc = run_analysis(
        root, "--study", "agile", "report", "--renderer", "quarto", "--report", report, "--always", env=env
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    shutil.copyfile(out / f"{report}.pdf", tmp_path / "quarto.pdf")
    quarto_html = (out / f"{report}.html").read_text()
    rebuilt = run_analysis(root, "--study", "agile", "report", "--renderer", "builtin", "--report", report, "--always")
    assert rebuilt.returncode == 0, rebuilt.stderr[-4000:]
    builtin_html = (out / f"{report}.html").read_text()

    def tables(html: str) -> list[str]:
        text = re.sub(r"<[^>]+>", "", html).replace("\xa0", " ")  # Quarto puts a no-break space after "Table"
        return sorted(set(re.findall(r"Table \d+:", text)), key=lambda s: int(s.split()[1].rstrip(":")))

    assert tables(quarto_html) == tables(builtin_html) and tables(builtin_html)
    words = [
        # Quarto's HTML prints typographic apostrophes and quotes where the source has straight ones
        " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", h)).replace("\xa0", " ").translate(STRAIGHT).split())
        for h in (quarto_html, builtin_html)
    ]
    for heading in qmd_headings(root, report):
        heading = html_lib.unescape(heading).translate(STRAIGHT)
        assert heading in words[0] and heading in words[1], heading
    _, quarto_pdf = pdf_text(tmp_path / "quarto.pdf")
    _, builtin_pdf = pdf_text(out / f"{report}.pdf")
    for phrase in ("Synthetic data: not for publication", "Appendix: data validation", "Appendix: provenance"):
        assert phrase in quarto_pdf and phrase in builtin_pdf, phrase
