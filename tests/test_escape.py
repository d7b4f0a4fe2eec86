"""Delivered text is data, never markup (issue 10, section 5).

Each payload goes through the one formatting function (``tables.to_markdown``), then through
pandoc exactly as the built-in renderer calls it (Markdown to HTML, and Markdown to typst for the
PDF). The reader must see the characters that were typed: no element, no emphasis, no link, no
maths, no citation or cross-reference, no shortcode, no extra table cell.

``plant_payload_quotes`` puts a payload into every coded segment of a project's synthetic data,
so that it reaches a report table as an interview quote; ``delivered_with_payload`` makes a
project's August data so (the browser test of the rendered DOM can use them too).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from analysis import render, tables

PAYLOADS = [
    "<img src=x onerror=alert(1)> **bold**",
    "{{< include /etc/passwd >}}",
    "@fig-take-up",
    "$x$",
    "[link](http://x)",
    "| pipe",
    # and a few more of pandoc's Markdown: code, raw attributes, spans, notes, sub/superscript,
    # strikeout, entities, autolinks, comments, escapes, attributes the built-in renderer scans for
    "`code`{=html} _em_ ~sub~ ^sup^ ~~strike~~ ^[note] [span]{.x}",
    "&amp; &lt;b&gt; <http://example.org> <!-- c --> \\*not\\* {#tbl-fake} @tbl-criteria [@cite]",
]


def pandoc(markdown: str, to: str) -> str:
    proc = subprocess.run(
        [render.pandoc_path(), "--from", "markdown", "--to", to],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


class Cells(HTMLParser):
    """Every start tag, and the text of each table cell."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, dict]] = []
        self.cells: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parsed(html: str) -> Cells:
    p = Cells()
    p.feed(html)
    p.close()
    return p


def table_of(text: str) -> pd.DataFrame:
    return pd.DataFrame({"Quote": [text], "Who": ["Flexitime user"]})


# -- the escaping functions ------------------------------------------------------------------------


def test_escape_markdown_leaves_no_syntax_character():
    for text in PAYLOADS:
        out = tables.escape_markdown(text)
        assert not set(out) & set("\\`*_{}[]<>$@|~^'\""), out  # only entities (&#NN;) stand for them
        assert "&" not in re.sub(r"&#\d+;", "", out), out  # a typed & is escaped too


def test_escape_markdown_by_hand():
    # ord("<") = 60, "*" = 42, "@" = 64, "{" = 123, "}" = 125, "|" = 124, "$" = 36
    assert tables.escape_markdown("<b>") == "&#60;b&#62;"
    assert tables.escape_markdown("**x**") == "&#42;&#42;x&#42;&#42;"
    assert tables.escape_markdown("@fig-a") == "&#64;fig-a"
    assert tables.escape_markdown("{{<") == "&#123;&#123;&#60;"
    assert tables.escape_markdown("a | b") == "a &#124; b"
    assert tables.escape_markdown("$5") == "&#36;5"
    # text that means nothing to Markdown is left as it is (the report's own cells)
    assert tables.escape_markdown("35% (95% CI 22% to 50%)") == "35% (95% CI 22% to 50%)"
    assert tables.escape_markdown("Interim (3 months), Croydon; on a 9-day fortnight.") == (
        "Interim (3 months), Croydon; on a 9-day fortnight."
    )
    # quotes, "--" and "..." as typed, not curled or joined by pandoc's smart typography (39, 34, 45, 46)
    assert tables.escape_markdown('I\'m "off" -- or... not') == "I&#39;m &#34;off&#34; &#45;&#45; or&#46;&#46;&#46; not"
    # one line per cell; missing values are empty
    assert tables.escape_markdown("two\nlines") == "two lines"
    assert tables.escape_markdown(None) == "" and tables.escape_markdown(float("nan")) == ""
    assert tables.escape_markdown(pd.NA) == ""


def test_escape_html_by_hand():
    assert tables.escape_html("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert tables.escape_html('a & "b"') == "a &amp; &quot;b&quot;"
    assert tables.escape_html("{{< x >}} @fig $y$") == "&#123;&#123;&lt; x &gt;&#125;&#125; &#64;fig &#36;y&#36;"


# -- through pandoc, as the built-in renderer does ----------------------------------------------------


def closed_up(cells: list[str]) -> list[str]:
    return [" ".join(c.split()) for c in cells]  # pandoc wraps long cells over lines


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_reaches_html_as_typed(payload):
    html = pandoc(tables.to_markdown(table_of(payload)), "html5")
    p = parsed(html)
    # nothing but the table's own elements: no img, strong, em, a, code, span, sup, sub, math ...
    assert set(p.tags) <= {"table", "colgroup", "col", "thead", "tbody", "tr", "th", "td"}, p.tags
    # exactly two cells in the one body row, the first holding the text as typed
    assert closed_up(p.cells) == ["Quote", "Who", payload, "Flexitime user"]


def inline_types(node, found: set[str]) -> set[str]:
    """Every element type in a pandoc JSON document."""
    if isinstance(node, dict):
        if "t" in node:
            found.add(node["t"])
        for v in node.values():
            inline_types(v, found)
    elif isinstance(node, list):
        for v in node:
            inline_types(v, found)
    return found


def plain_blocks(node, out: list[str]) -> list[str]:
    """The text of every Plain block (a table cell), in document order."""
    if isinstance(node, dict):
        if node.get("t") == "Plain":
            out.append("".join(i["c"] if i["t"] == "Str" else " " for i in node["c"]))
            return out
        node = list(node.values())
    if isinstance(node, list):
        for v in node:
            plain_blocks(v, out)
    return out


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_reaches_typst_as_typed(payload):
    # the PDF is typst written by pandoc from the same Markdown: the cell must arrive in pandoc's
    # document as plain text only (pandoc's typst writer then escapes typst's own syntax in it)
    md = tables.to_markdown(table_of(payload))
    doc = json.loads(pandoc(md, "json"))
    types = inline_types(doc["blocks"], set())
    assert types <= {
        "Table",
        "Plain",
        "Str",
        "Space",
        "SoftBreak",
        "AlignLeft",
        "AlignDefault",
        "ColWidth",
        "ColWidthDefault",
    }, types
    assert plain_blocks(doc["blocks"], []) == ["Quote", "Who", payload, "Flexitime user"]
    typ = pandoc(md, "typst")
    assert "#link" not in typ and "#emph" not in typ and "#strong" not in typ and "#cite" not in typ


def test_the_built_in_renderer_finds_no_cross_reference_or_shortcode_in_a_cell():
    # render.number() and the include/embed scanners read the Markdown text itself
    md = "\n\n".join(tables.to_markdown(table_of(p)) for p in PAYLOADS)
    body, found = render.number(md)
    assert found == {} and body == md
    assert not render.INCLUDE.search(md) and not render.EMBED.search(md)


def test_report_table_has_both_views_from_the_same_cells():
    t = tables.show(table_of(PAYLOADS[0]))
    assert isinstance(t, pd.DataFrame) and isinstance(t, tables.ReportTable)
    md = t._repr_markdown_()
    assert md == tables.to_markdown(t)
    p = parsed(t._repr_html_())
    assert p.tags == ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"]
    assert p.cells == ["Quote", "Who", PAYLOADS[0], "Flexitime user"]
    # a DataFrame to work with: selections stay report tables, values are the cells as shown
    assert isinstance(t[["Quote"]], tables.ReportTable)
    assert t.loc[0, "Quote"] == PAYLOADS[0]


# -- end to end: a planted quote reaches both reports as typed -------------------------------------------

E2E_PAYLOAD = "<img src=x onerror=alert(1)> **bold** {{< include /etc/passwd >}} @fig-take-up $x$ | pipe"


def plant_payload_quotes(data: Path, payload: str = E2E_PAYLOAD) -> int:
    """Put ``payload`` at the start of every coded segment under ``data`` (a folder of wave
    folders), in the plain CSV export, which the reader falls back to when there is no .qdpx, so
    that every quote a report shows carries it. Returns the number of segments changed."""
    n = 0
    for seg in sorted(data.glob("*/segments.csv")):
        (seg.parent / "interviews.qdpx").unlink(missing_ok=True)
        frame = pd.read_csv(seg, dtype=str, keep_default_na=False)
        frame["text"] = [f"{payload} {t}" for t in frame["text"]]
        frame.to_csv(seg, index=False, lineterminator="\n")
        n += len(frame)
    return n


def delivered_with_payload(root: Path, report: str = "august") -> None:
    """``root``'s synthetic data for ``report``'s waves, delivered as real data (``data/raw/``)
    with the payload in every coded segment. Run ``python -m analysis data`` in ``root`` first."""
    from analysis.config import load_study

    synthetic, raw = root / "data" / "synthetic", root / "data" / "raw"
    for wave in load_study().report(report).waves:
        shutil.copytree(synthetic / wave, raw / wave)
    shutil.copyfile(synthetic / "names.txt", raw / "names.txt")
    assert plant_payload_quotes(raw) > 0


@pytest.mark.e2e
def test_a_quote_with_markup_reaches_both_reports_as_typed(tmp_path):
    from tests.conftest import copy_project, run_analysis

    root = copy_project(tmp_path / "p")
    made = run_analysis(root, "data")
    assert made.returncode == 0, made.stderr[-2000:]
    delivered_with_payload(root)
    built = run_analysis(root, "report", "--report", "august", "--renderer", "builtin")
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-4000:]
    html = (root / "_output" / "august.html").read_text(encoding="utf-8")
    p = parsed(html)
    # the report's own images are the figures, embedded as data: URIs; none has an event handler
    assert not [a for _, a in p.attrs if any(k.startswith("on") for k in a)], "an event handler reached the HTML"
    assert all(a.get("src", "").startswith("data:") for t, a in p.attrs if t == "img")
    quotes = closed_up([c for c in p.cells if "onerror" in c])
    assert quotes and all(E2E_PAYLOAD in c for c in quotes), quotes[:2]
    if shutil.which("pdftotext"):
        pdf = subprocess.run(
            ["pdftotext", "-layout", str(root / "_output" / "august.pdf"), "-"], capture_output=True, text=True
        ).stdout
        # a table cell may wrap, so compare the text with white space closed up
        flat = re.sub(r"\s+", "", pdf)
        assert re.sub(r"\s+", "", "<img src=x onerror=alert(1)> **bold**") in flat
        assert re.sub(r"\s+", "", "{{< include /etc/passwd >}} @fig-take-up $x$ | pipe") in flat
