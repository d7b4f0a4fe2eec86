"""Tables of many columns, as a reader sees them: a cross-case matrix of themes by authority and role
(eight columns) rendered by the built-in renderer with the project's style sheet, Lua filter and typst
header (report/house.css, report/focusable-tables.lua, report/typst-header.typ).

In the PDF no word runs out of its cell into the next column; in the HTML the table fits the text
column on a laptop, and its caption wraps to the column and stays in view while the table scrolls
sideways on a phone (the table itself keeps its keyboard focus and scrolling).
"""

from __future__ import annotations

import re
import shutil

import pytest

from analysis import render

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="install the Debian package poppler-utils to read PDF word boxes"
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="install the Debian package chromium")

ROLES = ["Leaders and supervisors", "Social workers and students"]
HEADER = ["Theme", "All authorities"] + [f"Authority {a}: {r}" for a in "ABC" for r in ROLES]
THEMES = [
    "Accounts of agile approaches",
    "Practitioners' accounts",
    "Expectations against practice",
    "Online professionals' meetings",
    "Communication and sense-making",
    "Supporting students and newly qualified staff",
]
WORDS = ["many", "most", "a few", "some", "none", "all", "many"]
# The matrix as the cross-case notebook writes it (analysis.tables): pandoc reads the dashes as column
# widths of 27%, 11%, 11%, 9.5%, ...
MATRIX = "\n".join(
    [
        "| " + " | ".join(HEADER) + " |",
        "|:---------------------------------|"
        + "|".join([":-------------", ":-----------"] * 3 + [":-------------"])
        + "|",
        *("| " + " | ".join([theme, *WORDS]) + " |" for theme in THEMES),
        "",
        ": Cross-case matrix for the findings area “Remote working is the norm”: each theme by authority and"
        " role, in words: all, most (60% or more), many (40% or more), some (20% or more), a few, none; roles"
        " with too few interviewees for words are merged or left out. {#tbl-matrix}",
    ]
)
# A narrow table whose dashes are long: pandoc gives it percentage widths that fill the line.
NARROW = """\
| Phase | Interviews |
|:-----------------------------------------------|:-----------------------------------------------|
| Phase 1 | 27 |
| Phase 2 | 18 |

: Interviews by phase {#tbl-narrow}
"""


@pytest.fixture
def wide(tmp_path, monkeypatch):
    """A project root holding one report with the matrix and the narrow table, and the real settings."""
    from analysis import paths

    root = tmp_path / "root"
    (root / "report").mkdir(parents=True)
    shutil.copyfile(paths.QUARTO_PROJECT, root / "_quarto.yml")
    for f in paths.REPORT.iterdir():
        if f.suffix in (".css", ".typ", ".lua"):  # the style sheet, typst header and filter _quarto.yml names
            shutil.copyfile(f, root / "report" / f.name)
    (root / "report" / "wide.qmd").write_text(
        '---\ntitle: "Wide tables"\n---\n\n# Matrix\n\n' + MATRIX + "\n\n# Narrow\n\n" + NARROW, encoding="utf-8"
    )
    names = ("REPORT", "QUARTO_PROJECT", "BUILD", "STAGED_REPORTS", "OUTPUT")
    moved = {name: root / getattr(paths, name).relative_to(paths.ROOT) for name in names}
    monkeypatch.setattr(paths, "ROOT", root)
    for name, path in moved.items():
        monkeypatch.setattr(paths, name, path)
    (root / "_build" / "reports" / "wide").mkdir(parents=True)
    render.render_builtin("wide")
    return root / "_output"


# -- the PDF ---------------------------------------------------------------------------------------


def table_lines(pdf, first_word: str, last_word: str) -> list[list[tuple]]:
    """The lines of words (each sorted left to right) of the table whose header starts with
    ``first_word``, down to the last line holding ``last_word``, on the page where the header is."""
    from tests.test_report_checks import pdf_words

    words = pdf_words(pdf)
    head = next(w for w in words if w[5] == first_word and w[4] - w[2] < 10)  # table text is 8.5pt
    page = [w for w in words if w[0] == head[0] and w[2] >= head[2] - 1]
    end = max(w[4] for w in page if w[5] == last_word)
    lines: dict[float, list] = {}
    for w in sorted(page, key=lambda w: (w[2], w[1])):
        if w[4] <= end + 1:
            key = next((k for k in lines if abs(k - w[2]) < 2), w[2])
            lines.setdefault(key, []).append(w)
    return [sorted(ws, key=lambda w: w[1]) for _, ws in sorted(lines.items())]


@needs_poppler
def test_pdf_matrix_keeps_every_word_inside_its_column(wide):
    lines = table_lines(wide / "wide.pdf", "Theme", "staff")
    header = lines[0]
    # every header cell starts on the table's first line: the eight column starts, left to right
    assert [w[5] for w in header] == ["Theme", "All"] + ["Authority"] * 6, [w[5] for w in header]
    starts = [w[1] for w in header]
    assert all(b - a > 30 for a, b in zip(starts, starts[1:], strict=False))  # none squeezed to nothing
    body = [w for line in lines[1:] for w in line]
    # (pandoc sets the apostrophes as typographic ones)
    assert {"Practitioners’", "professionals’", "Communication", "supervisors", "qualified"} <= {w[5] for w in body}
    # A cell has 6pt of padding on each side (pandoc's `table(inset: 6pt)`), so the text of one column
    # ends at least 12pt before the next column's text starts. Before typst-header.typ gave each column
    # its longest word, "Practitioners'" ended 5.9pt before "a few" (measured with pdftotext -bbox).
    overruns = []
    for _, x0, _, x1, _, text in body:
        column = max(i for i, s in enumerate(starts) if s <= x0 + 0.5)
        if column + 1 < len(starts) and x1 > starts[column + 1] - 10:
            overruns.append(f"{text!r} ends at {x1:.1f}, next column starts at {starts[column + 1]:.1f}")
    assert overruns == []


@needs_poppler
def test_pdf_narrow_table_is_not_stretched_to_the_line(wide):
    # pandoc's percentages would spread two short columns over the whole line (A4 less 2 x 2cm margins:
    # 482pt); sized from their content, "Phase" and "Interviews" sit within a third of it.
    lines = table_lines(wide / "wide.pdf", "Phase", "18")
    assert [w[5] for w in lines[0]] == ["Phase", "Interviews"]
    left = min(w[1] for line in lines for w in line)
    right = max(w[3] for line in lines for w in line)
    assert right - left < 482 / 3


def test_html_matrix_is_marked_wide_and_keyboard_focusable(wide):
    html = (wide / "wide.html").read_text(encoding="utf-8")
    tables = re.findall(r"<table\b[^>]*>", html)
    assert len(tables) == 2
    assert 'class="wide"' in tables[0] and 'tabindex="0"' in tables[0]  # eight columns
    assert "wide" not in tables[1] and 'tabindex="0"' in tables[1]  # two columns
    assert "<colgroup" not in html  # the browser sizes columns from their content


# -- the HTML in a browser ---------------------------------------------------------------------------

MEASURE = """t => {
  const box = t.getBoundingClientRect(), cap = t.querySelector('caption').getBoundingClientRect();
  return {left: box.left, visible: t.clientWidth, content: t.scrollWidth, scrolled: t.scrollLeft,
          capLeft: cap.left, capRight: cap.right, capHeight: cap.height, viewport: window.innerWidth};
}"""


@needs_chromium
def test_html_caption_wraps_to_the_column_and_stays_in_view(wide):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            facts = {}
            for width in (1200, 400):  # a laptop, and a phone
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto((wide / "wide.html").as_uri())
                table = page.locator("#tbl-matrix")
                before = table.evaluate(MEASURE)
                table.focus()  # the scrolling table takes keyboard focus, and the arrow keys scroll it
                for _ in range(40):
                    page.keyboard.press("ArrowRight")
                page.wait_for_timeout(200)
                after = table.evaluate(MEASURE)
                facts[width] = (before, after)
                page.close()
        finally:
            browser.close()
    for width, (before, after) in facts.items():
        for m in (before, after):
            # the caption lies within the table's visible box (and the screen), whatever the table's width
            assert m["capLeft"] >= m["left"] - 0.5 and m["capRight"] <= m["left"] + m["visible"] + 0.5, (width, m)
            assert m["capRight"] <= m["viewport"], (width, m)
    laptop, phone = facts[1200][0], facts[400]
    # on a laptop the eight columns fit the text column: nothing to scroll (before the wide tables were set
    # tighter, the matrix was 871px in an 832px column)
    assert laptop["content"] <= laptop["visible"] + 1, laptop
    # on a phone the table scrolls under its caption, which wraps over several lines and stays put
    assert phone[0]["content"] > phone[0]["visible"] + 100, phone[0]
    assert phone[1]["scrolled"] > 100, phone[1]
    assert phone[1]["capLeft"] == pytest.approx(phone[0]["capLeft"], abs=1)
    assert phone[0]["capHeight"] > 3 * 18  # four lines or more at the phone's type size
