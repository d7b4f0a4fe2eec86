"""The reports looked at the way a reader does: in a headless browser, as PDF pages and text,
and scanned for anything that could identify a participant.

The browser and PDF checks need the two optional system packages `chromium` and
`poppler-utils` (.ci/run installs them); without them these tests are skipped with a message
saying what to install.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.conftest import copy_project, run_analysis
from tests.test_e2e import identifiers, pdf_text

pytestmark = pytest.mark.e2e
REPORTS = ["august", "december"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="install the Debian package chromium to run the browser checks"
)
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="install the Debian package poppler-utils to run the PDF checks",
)


def qmd_headings(built: Path, report: str) -> list[str]:
    text = (built / "report" / f"{report}.qmd").read_text()
    return [
        re.sub(r"\s*\{#.*\}\s*$", "", line.lstrip("#").strip()) for line in text.splitlines() if line.startswith("#")
    ]


def figure_captions(built: Path, report: str) -> list[str]:
    """The fig-cap of every figure the report embeds, from the executed notebooks."""
    import nbformat

    from analysis.render import cell_options

    text = (built / "report" / f"{report}.qmd").read_text()
    caps = []
    for nb_rel, label in re.findall(r"\{\{< embed (\S+?)#(fig-[\w-]+) >\}\}", text):
        nb = nbformat.read(built / "report" / nb_rel, as_version=4)
        for cell in nb.cells:
            opts = cell_options(cell.source) if cell.cell_type == "code" else {}
            if opts.get("label") == label:
                caps.append(opts["fig-cap"])
    return caps


# -- the browser ---------------------------------------------------------------------------------


@needs_chromium
@pytest.mark.parametrize("report", REPORTS)
def test_html_in_a_headless_browser(built, report, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            errors, failed = [], []
            for width, height in ((1280, 900), (390, 844)):  # a laptop and a phone
                page = browser.new_page(viewport={"width": width, "height": height})
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("requestfailed", lambda r: failed.append(r.url))
                page.goto((built / "_output" / f"{report}.html").as_uri())
                page.wait_for_load_state("load")
                images = page.eval_on_selector_all(
                    "figure img",
                    "els => els.map(e => [e.naturalWidth, e.naturalHeight, e.getBoundingClientRect().width,"
                    " e.alt || e.getAttribute('aria-label') || ''])",
                )
                assert images, "no figure in the report"
                for natural_w, natural_h, shown_w, alt in images:
                    assert natural_w > 0 and natural_h > 0 and shown_w > 0  # loaded and visible
                    assert alt  # alt text for screen readers
                    assert shown_w <= width  # fits the screen
                assert page.locator("#TOC a").count() >= 8  # a table of contents
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, f"the page scrolls sideways by {overflow}px at width {width}"
                page.screenshot(path=str(tmp_path / f"{report}-{width}.png"))
                page.close()
            assert errors == [] and failed == []
        finally:
            browser.close()


# -- the PDF -------------------------------------------------------------------------------------


@needs_poppler
@pytest.mark.parametrize("report", REPORTS)
def test_pdf_pages_toc_sections_and_captions(built, report, tmp_path):
    pdf = built / "_output" / f"{report}.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", re.sub(r"[\u00ad\u2060]\s*", "", text))
    assert re.search(r"Contents", flat), "no table of contents"
    for heading in qmd_headings(built, report):
        assert heading in flat, f"section {heading!r} missing from the PDF"
    for n, cap in enumerate(figure_captions(built, report), start=1):
        assert f"Figure {n}: {cap[:40]}" in flat, f"figure {n} caption missing"
    # pages render, A4, numbered
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "3", str(pdf), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 3 and all(p.stat().st_size > 2000 for p in pngs)
    from pypdf import PdfReader

    box = PdfReader(str(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert re.search(r"\n\s*2\s*\n", text), "no page number on page 2"


# -- text over text, and words run together, in the PDF ---------------------------------------------

WORD_BOX = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pdf_words(pdf: Path) -> list[tuple[int, float, float, float, float, str]]:
    """Every word poppler finds in ``pdf``: (page, x0, y0, x1, y1, text), in points from the top left."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = []
    for n, page in enumerate(out.split("<page ")[1:], start=1):
        words += [(n, *map(float, box), html_lib.unescape(w)) for *box, w in WORD_BOX.findall(page)]
    return words


def has_text(word: str) -> bool:
    return any(ch.isalnum() for ch in word)


def clashing_words(pdf: Path, min_gap: float = 0.5) -> list[str]:
    """Pairs of words on one line whose boxes overlap (text over text) or touch (no gap between them).

    Two words share a line when their boxes overlap vertically by at least half the smaller height;
    a word space at the reports' smallest type (8.5pt) is about 2pt, so less than ``min_gap`` points
    between two such words means they collide.
    """
    found = []
    by_page: dict[int, list] = {}
    for w in pdf_words(pdf):
        by_page.setdefault(w[0], []).append(w)
    for page, words in by_page.items():
        words.sort(key=lambda w: w[2])
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if b[2] >= a[4]:
                    break  # sorted by top edge: no later word reaches down to a's line
                shared = min(a[4], b[4]) - max(a[2], b[2])
                if shared < 0.5 * min(a[4] - a[2], b[4] - b[2]):
                    continue
                if not (has_text(a[5]) and has_text(b[5])):
                    continue  # a full stop set right after a code span is a word of its own to poppler
                if min(a[3], b[3]) - max(a[1], b[1]) > -min_gap:
                    found.append(
                        f"page {page}: {a[5]!r} and {b[5]!r} at x={a[1]:.0f}-{a[3]:.0f}, {b[1]:.0f}-{b[3]:.0f}"
                    )
    return found


def glued_words(pdf: Path, vocabulary: set[str]) -> list[str]:
    """PDF words that are two words of the report run together with no space ("amberuncertain",
    "months35%"), which poppler reads as one word when a cell's text runs into the next cell."""

    found = []
    for page, *_, word in pdf_words(pdf):
        if word in vocabulary:
            continue
        for k in range(1, len(word)):
            head, tail = word[:k], word[k:]
            if head in vocabulary and tail in vocabulary and has_text(head) and has_text(tail):
                found.append(f"page {page}: {word!r} ({head!r} + {tail!r})")
                break
    return found


def html_vocabulary(html: str) -> set[str]:
    """The words a reader sees in an HTML report (the same text as its PDF)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return set(html_lib.unescape(re.sub(r"<[^>]+>", " ", text)).split())


@needs_poppler
@pytest.mark.parametrize("report", REPORTS)
def test_pdf_never_prints_text_over_text_or_runs_words_together(built, report):
    pdf = built / "_output" / f"{report}.pdf"
    assert len(pdf_words(pdf)) > 2000  # the check reads the whole report
    assert clashing_words(pdf) == []
    vocabulary = html_vocabulary((built / "_output" / f"{report}.html").read_text())
    assert glued_words(pdf, vocabulary) == []


# -- nothing that identifies anyone ----------------------------------------------------------------


class _Cells(HTMLParser):
    """Text of every table cell in an HTML file."""

    def __init__(self):
        super().__init__()
        self.cells, self._in, self._buf = [], False, []

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self._in, self._buf = True, []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._in:
            self.cells.append("".join(self._buf).strip())
            self._in = False

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)


EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# not inside a word or a hex digest (the provenance appendix's SHA-256 "...8a0352124629f0..." is no phone number)
UK_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+44\s?|0)7\d{3}\s?\d{6}(?![0-9A-Za-z])|(?<![0-9A-Za-z])0\d{2,4}\s?\d{3}\s?\d{4}(?![0-9A-Za-z])"
)


@pytest.mark.parametrize("report", REPORTS)
def test_no_identifier_and_no_small_count_in_any_rendered_file(built, report):
    from analysis.studies.flexitime.synthetic.interviews import SYNTHETIC_NAMES

    html = (built / "_output" / f"{report}.html").read_text()
    _, pdf = pdf_text(built / "_output" / f"{report}.pdf")
    visible = re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", html))
    ids = identifiers(built)
    assert {i for i in ids if i.startswith("R_")} and {i for i in ids if "-INT-" in i}  # the scan knows them
    for text in (visible, pdf):
        for ident in ids:
            assert ident not in text, ident
        for name in SYNTHETIC_NAMES:
            assert not re.search(rf"\b{name}\b", text), name
        assert not EMAIL.search(text), EMAIL.search(text)
        assert not UK_PHONE.search(text), UK_PHONE.search(text)
    # every table cell that is a bare count is 0 or at least the threshold; small counts read "<10"
    parser = _Cells()
    parser.feed(html)
    small = [c for c in parser.cells if re.fullmatch(r"[1-9]", c)]
    assert small == [], f"counts below the disclosure threshold printed as numbers: {small}"
    assert "<10" in visible.replace("&lt;", "<")


# -- a new wave by configuration alone ------------------------------------------------------------


def test_a_fourth_wave_needs_only_configuration_and_data(tmp_path):
    root = copy_project(tmp_path / "p")
    study = yaml.safe_load((root / "config" / "study.yml").read_text())
    study["waves"].append(
        {"id": "followup", "label": "Follow-up (12 months)", "date": "2022-03-01", "months_since_launch": 12}
    )
    next(r for r in study["reports"] if r["id"] == "december")["waves"].append("followup")
    (root / "config" / "study.yml").write_text(yaml.safe_dump(study, sort_keys=False))
    (root / "config" / "waves" / "followup.yml").write_text("wave: followup\n")
    # every wave's data, the follow-up's too, arrive as real data would: folders under data/raw/
    # (a build reads one source, never raw data for some waves and synthetic for others)
    first = run_analysis(root, "data")
    assert first.returncode == 0, first.stderr[-2000:]
    shutil.copytree(root / "data" / "synthetic", root / "data" / "raw", ignore=shutil.ignore_patterns("*.json"))
    shutil.rmtree(root / "data" / "synthetic")
    proc = run_analysis(root, "report", "--renderer", "builtin")
    assert proc.returncode == 0, proc.stderr[-4000:]
    december = (root / "_output" / "december.html").read_text()
    august = (root / "_output" / "august.html").read_text()
    assert "Follow-up (12 months)" in december and "Follow-up (12 months)" not in august
    assert "12 months" in december  # the success criteria gained the 12-month rows
    assert "data/raw/followup/visits.csv" in december  # provenance lists the new wave's input files


# -- Quarto renders the same sources ----------------------------------------------------------------

QUARTO = shutil.which("quarto")


@pytest.mark.quarto
@pytest.mark.skipif(QUARTO is None, reason="quarto is not on the PATH (the built-in renderer is tested above)")
@pytest.mark.parametrize("report", REPORTS)
def test_quarto_and_the_builtin_renderer_agree(built, report, tmp_path):
    proc = run_analysis(
        built,
        "report",
        "--renderer",
        "quarto",
        "--report",
        report,
        "--always",
        env={"QUARTO_PYTHON": __import__("sys").executable},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    shutil.copyfile(built / "_output" / f"{report}.pdf", tmp_path / "quarto.pdf")
    quarto_html = (built / "_output" / f"{report}.html").read_text()
    rebuilt = run_analysis(built, "report", "--renderer", "builtin", "--report", report, "--always")
    assert rebuilt.returncode == 0
    builtin_html = (built / "_output" / f"{report}.html").read_text()

    def captions(html: str) -> list[str]:
        text = re.sub(r"<[^>]+>", "", html).replace("\xa0", " ")  # Quarto puts a no-break space after "Figure"
        found = re.findall(r"((?:Figure|Table) \d+):", text)
        return sorted(set(found), key=lambda s: (s.split()[0], int(s.split()[1])))

    assert captions(quarto_html) == captions(builtin_html)
    words = [" ".join(re.sub(r"<[^>]+>", " ", h).replace("\xa0", " ").split()) for h in (quarto_html, builtin_html)]
    for heading in qmd_headings(built, report):
        assert heading in words[0] and heading in words[1], heading
    _, quarto_pdf = pdf_text(tmp_path / "quarto.pdf")
    _, builtin_pdf = pdf_text(built / "_output" / f"{report}.pdf")
    for phrase in ("Success criteria", "not reportable at this threshold", "Summary of findings"):
        assert phrase in quarto_pdf and phrase in builtin_pdf


# -- a larger workforce, markup in the interview transcripts, a synthetic build -----------------------

SYNTHETIC_MARK = "Synthetic data: not for publication"


@pytest.fixture(scope="module")
def larger(tmp_path_factory):
    """Six teams (about 40 social workers, where the success-criteria table once printed "amber" over
    "uncertain"), built from synthetic data."""
    root = copy_project(tmp_path_factory.mktemp("larger"))
    study = yaml.safe_load((root / "config" / "study.yml").read_text())
    site = next(s for s in study["sites"] if s["teams"])
    site["teams"] += [f"Extra Team {k}" for k in range(1, 4)]
    (root / "config" / "study.yml").write_text(yaml.safe_dump(study, sort_keys=False))
    data = run_analysis(root, "data")
    assert data.returncode == 0, data.stderr[-3000:]
    for report in REPORTS:  # what the build records for a synthetic build (written here too, for the renderer)
        staged = root / "_build" / "reports" / report
        staged.mkdir(parents=True, exist_ok=True)
        (staged / "data_source.json").write_text('{"source": "synthetic"}')
    proc = run_analysis(root, "report", "--renderer", "builtin")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return root


def test_larger_build_has_about_forty_social_workers(larger):
    import pandas as pd

    workers = pd.read_parquet(larger / "_build" / "data" / "interim" / "workers.parquet")
    # 6 teams of 6 or 7 social workers each (analysis/synthetic/admin.py), less a little turnover
    assert 33 <= (workers["role"] == "social worker").sum() <= 42


@needs_poppler
@pytest.mark.parametrize("report", REPORTS)
def test_larger_workforce_pdf_has_no_text_over_text(larger, report):
    pdf = larger / "_output" / f"{report}.pdf"
    assert clashing_words(pdf) == []
    assert glued_words(pdf, html_vocabulary((larger / "_output" / f"{report}.html").read_text())) == []


@needs_poppler
@pytest.mark.parametrize("report", REPORTS)
def test_synthetic_report_says_so_on_every_pdf_page_and_above_the_first_heading(larger, report):
    from pypdf import PdfReader

    pages = PdfReader(str(larger / "_output" / f"{report}.pdf")).pages
    assert len(pages) > 5
    for n, page in enumerate(pages, start=1):
        assert SYNTHETIC_MARK in " ".join(page.extract_text().split()), f"page {n} does not say it is synthetic"
    html = (larger / "_output" / f"{report}.html").read_text()
    banner = html.find('class="synthetic-banner"')
    assert 0 < banner < re.search(r"<h1[ >]", html).start()
    assert SYNTHETIC_MARK in re.sub(r"<[^>]+>", "", html[banner : banner + 400])


@pytest.fixture(scope="module")
def delivered_markup(tmp_path_factory):
    """The August report built from data delivered under data/raw/ whose every coded interview
    segment starts with markup (tests/test_escape.py plants it)."""
    from tests.test_escape import E2E_PAYLOAD, delivered_with_payload

    root = copy_project(tmp_path_factory.mktemp("markup"))
    made = run_analysis(root, "data")
    assert made.returncode == 0, made.stderr[-2000:]
    delivered_with_payload(root, "august")
    proc = run_analysis(root, "report", "--report", "august", "--renderer", "builtin")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "onerror" in E2E_PAYLOAD
    return root


@needs_chromium
def test_markup_in_delivered_text_never_reaches_the_dom(delivered_markup):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            dialogs, violations = [], []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto((delivered_markup / "_output" / "august.html").as_uri())
            page.wait_for_load_state("load")
            found = page.evaluate(
                """() => ({
                  injected: document.querySelectorAll('img[src="x"], [onerror]').length,
                  strong: [...document.querySelectorAll('strong, b')].filter(e => e.textContent === 'bold').length,
                  text: document.body.innerText,
                })"""
            )
        finally:
            browser.close()
    assert "<img src=x onerror=alert(1)>" in found["text"]  # the reader sees what was typed ...
    assert "**bold**" in found["text"]
    assert found["injected"] == 0 and found["strong"] == 0  # ... and nothing of it is interpreted
    assert dialogs == [] and violations == []
