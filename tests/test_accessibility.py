"""Accessibility (WCAG 2.2 AA, which the UK's public sector accessibility regulations ask of these
reports): axe-core's WCAG 2.x A and AA rules over both reports from both renderers, in the system's
Chromium, plus what axe cannot judge alone (alt text says something, tables have header cells,
the red / amber / green rating is in words).

axe-core comes from ``axe-playwright-python`` (it ships axe.min.js); Playwright drives the
Debian ``chromium`` (no browser download). The Quarto checks run where ``quarto`` is on the PATH.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import run_analysis
from tests.test_report_checks import CHROMIUM, REPORTS, needs_chromium

pytestmark = [pytest.mark.e2e, needs_chromium]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
QUARTO = shutil.which("quarto")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def axe_violations(html: Path, width: int = 1280, height: int = 900) -> list[dict]:
    """axe-core's violations of the WCAG 2.x A/AA rules on ``html`` at one screen size, as axe reports them."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            # axe is a script injected into the page; the built-in report's policy forbids scripts
            page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=True)
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
            return Axe().run(page, options=options).response["violations"]
        finally:
            browser.close()


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}; e.g. {v['nodes'][0]['target']} {v['nodes'][0]['failureSummary']}"
        for v in violations
    )


def test_axe_finds_the_violations_it_is_there_for(tmp_path):
    """The check can fail: a page with no language, an image without alt text and grey-on-grey text."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><title>Bad</title></head><body><main><h1>Bad</h1>"
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#aaa;background:#fff">faint text</p></main></body></html>'
    )
    found = {v["id"] for v in axe_violations(bad)}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= found, found


SCREENS = [(1280, 900), (390, 844)]  # a laptop, and a phone (where wide tables scroll and targets shrink)


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("screen", SCREENS, ids=["laptop", "phone"])
def test_builtin_reports_pass_axe_wcag_a_and_aa(built, report, screen):
    violations = axe_violations(built / "_output" / f"{report}.html", *screen)
    assert violations == [], describe(violations)


def page_facts(html: Path) -> dict:
    """What a screen-reader user depends on, read from the rendered DOM."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            return page.evaluate(
                """() => ({
                  lang: document.documentElement.lang,
                  alts: [...document.querySelectorAll('img')].map(i => i.getAttribute('alt') || ''),
                  tables: [...document.querySelectorAll('table')].map(t => t.querySelectorAll('th').length),
                  rag: [...document.querySelectorAll('table')].flatMap(t => {
                    const heads = [...t.querySelectorAll('thead th')].map(h => h.textContent.trim());
                    const k = heads.indexOf('RAG');
                    return k < 0 ? [] : [...t.querySelectorAll('tbody tr')].map(r => r.cells[k].textContent.trim());
                  }),
                })"""
            )
        finally:
            browser.close()


@pytest.mark.parametrize("report", REPORTS)
def test_alt_text_table_headers_and_rag_in_words(built, report):
    facts = page_facts(built / "_output" / f"{report}.html")
    assert facts["lang"] == "en-GB"
    assert facts["alts"] and all(len(a.split()) >= 3 for a in facts["alts"]), facts["alts"]  # says something
    assert facts["tables"] and all(n > 0 for n in facts["tables"]), "a table without header cells"
    # every rating is a word (or a dash where the value is not reportable), never a colour alone
    assert facts["rag"] and set(facts["rag"]) <= {"green", "amber", "red", "–"}, facts["rag"]


# -- Quarto ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quarto_outputs(built, tmp_path_factory):
    """Both reports rendered by Quarto from synthetic data (copied aside), then the built-in renderer's
    put back."""
    out = tmp_path_factory.mktemp("quarto")
    for report in REPORTS:  # the build's record that the data are synthetic (the built fixture's are)
        (built / "_build" / "reports" / report / "data_source.json").write_text('{"source": "synthetic"}')
    proc = run_analysis(built, "report", "--renderer", "quarto", "--always", env={"QUARTO_PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr[-4000:]
    for report in REPORTS:
        for ext in ("html", "pdf"):
            shutil.copyfile(built / "_output" / f"{report}.{ext}", out / f"{report}.{ext}")
    back = run_analysis(built, "report", "--renderer", "builtin", "--always")
    assert back.returncode == 0, back.stderr[-4000:]
    return out


@pytest.mark.quarto
@pytest.mark.skipif(QUARTO is None, reason="quarto is not on the PATH (the built-in renderer is checked above)")
@pytest.mark.parametrize("report", REPORTS)
def test_quarto_reports_pass_axe_wcag_a_and_aa(quarto_outputs, report):
    html = quarto_outputs / f"{report}.html"
    for screen in SCREENS:
        violations = axe_violations(html, *screen)
        assert violations == [], f"{screen}: " + describe(violations)
    facts = page_facts(html)
    assert facts["lang"] == "en-GB"
    assert facts["alts"] and all(len(a.split()) >= 3 for a in facts["alts"])
    assert set(facts["rag"]) <= {"green", "amber", "red", "–"} and facts["rag"]


@pytest.mark.quarto
@pytest.mark.skipif(QUARTO is None, reason="quarto is not on the PATH (the built-in renderer is checked above)")
@pytest.mark.parametrize("report", REPORTS)
def test_quarto_reports_are_marked_synthetic_and_keep_words_apart(quarto_outputs, report):
    from pypdf import PdfReader

    from tests.test_report_checks import SYNTHETIC_MARK, clashing_words, glued_words, html_vocabulary

    html = (quarto_outputs / f"{report}.html").read_text()
    banner = html.find('class="synthetic-banner"')
    assert 0 < banner < re.search(r"<h1[ >]", html).start()
    pdf = quarto_outputs / f"{report}.pdf"
    for n, page in enumerate(PdfReader(str(pdf)).pages, start=1):
        assert SYNTHETIC_MARK in " ".join(page.extract_text().split()), f"page {n} does not say it is synthetic"
    assert clashing_words(pdf) == []
    assert glued_words(pdf, html_vocabulary(html)) == []
