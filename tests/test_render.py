"""The built-in renderer: embeds, includes, numbering and cross-references."""

import base64
import html as html_lib
import json
import re
import shutil

import nbformat
import pytest

from analysis import paths, render

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


@pytest.fixture
def project(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            '#| label: tbl-one\n#| tbl-cap: "First table"\nx',
            outputs=[nbformat.v4.new_output("display_data", data={"text/markdown": "| a |\n|---|\n| <10 |"})],
        ),
        nbformat.v4.new_code_cell(
            '#| label: fig-one\n#| fig-cap: "A figure"\n#| fig-alt: "Alt text"\nf',
            outputs=[nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})],
        ),
        nbformat.v4.new_code_cell(
            '#| label: tbl-two\n#| tbl-cap: "Second table"\ny',
            outputs=[nbformat.v4.new_output("display_data", data={"text/markdown": "| b |\n|---|\n| 12 |"})],
        ),
    ]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    (tmp_path / "part.md").write_text("Included text.\n")
    (tmp_path / "doc.qmd").write_text(
        "---\ntitle: T\n---\n\nSee @fig-one, @tbl-two and @tbl-one.\n\n"
        "{{< embed nb.ipynb#tbl-one >}}\n\n{{< embed nb.ipynb#fig-one >}}\n\n{{< embed nb.ipynb#tbl-two >}}\n\n"
        "{{< include part.md >}}\n"
    )
    return tmp_path


def test_embeds_includes_and_numbering(project):
    r = render.resolve(project / "doc.qmd")
    assert "Included text." in r.markdown
    assert list(r.images) == ["fig-one.png"]
    body, found = render.number(r.markdown)
    # numbered in document order, each kind separately
    assert found == {"tbl-one": ("Table", 1), "fig-one": ("Figure", 1), "tbl-two": ("Table", 2)}
    assert "See [Figure 1](#fig-one), [Table 2](#tbl-two) and [Table 1](#tbl-one)." in body
    html = render._prefix_captions(body, found)
    assert ": Table 2: Second table {#tbl-two}" in html
    assert "![Figure 1: A figure](media/fig-one.png){#fig-one" in html


def test_cross_reference_to_nothing_is_an_error(project):
    (project / "bad.qmd").write_text("See @fig-missing.\n")
    with pytest.raises(render.RenderError, match="fig-missing"):
        render.number(render.resolve(project / "bad.qmd").markdown)


def test_missing_label_names_the_notebook_and_label(project):
    (project / "bad.qmd").write_text("{{< embed nb.ipynb#fig-nope >}}\n")
    with pytest.raises(render.RenderError, match="no cell labelled 'fig-nope'"):
        render.resolve(project / "bad.qmd")


def test_cell_options():
    assert render.cell_options('#| label: fig-x\n#| fig-cap: "A: b"\nprint(1)') == {"label": "fig-x", "fig-cap": "A: b"}
    assert render.cell_options("print(1)") == {}


# -- the built-in renderer end to end on a small report: data-source marks, lang, CSP ------------------

PAYLOAD_PARAGRAPHS = 120  # enough text for several PDF pages


@pytest.fixture
def mini(tmp_path, monkeypatch):
    """A project root holding one small multi-page report and the real project settings."""

    from analysis import paths

    root = tmp_path / "root"
    (root / "report").mkdir(parents=True)
    shutil.copyfile(paths.QUARTO_PROJECT, root / "_quarto.yml")
    for f in paths.REPORT.iterdir():
        if f.suffix in (".css", ".typ", ".lua"):  # the style sheet, typst header and filters _quarto.yml names
            shutil.copyfile(f, root / "report" / f.name)
    body = "\n\n".join(
        f"Paragraph {i}: the offer was taken up by some social workers and not by others." for i in range(200)
    )
    (root / "report" / "mini.qmd").write_text(
        '---\ntitle: "A small report"\nsubtitle: "For the renderer tests"\n---\n\n# First {#sec-first}\n\n'
        + body
        + "\n\n# Second {#sec-second}\n\nThe end.\n"
    )
    names = ("REPORT", "QUARTO_PROJECT", "BUILD", "STAGED_REPORTS", "OUTPUT")
    moved = {name: root / getattr(paths, name).relative_to(paths.ROOT) for name in names}
    monkeypatch.setattr(paths, "ROOT", root)
    for name, path in moved.items():
        monkeypatch.setattr(paths, name, path)
    (root / "_build" / "reports" / "mini").mkdir(parents=True)
    return root


def _source(root, value):
    (root / "_build" / "reports" / "mini" / "data_source.json").write_text(json.dumps({"source": value}))


def _pdf_pages(pdf):
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(str(pdf)).pages]


def _first_heading_and_banner(html):
    banner = html.find('class="synthetic-banner"')
    heading = re.search(r"<h[1-6][ >]", html)
    return banner, heading.start() if heading else -1


def test_synthetic_report_is_marked_on_every_page_and_at_the_top(mini):
    _source(mini, "synthetic")
    render.render_builtin("mini")
    html = (mini / "_output" / "mini.html").read_text()
    banner, heading = _first_heading_and_banner(html)
    assert 0 < banner < heading  # the banner comes before the title and the first heading
    assert 'role="note"' in html[banner - 60 : banner + 60]
    assert "Synthetic data: not for publication" in html
    pages = _pdf_pages(mini / "_output" / "mini.pdf")
    assert len(pages) >= 3  # 200 paragraphs: the check covers pages after the first
    for n, text in enumerate(pages, start=1):
        assert "Synthetic data: not for publication" in " ".join(text.split()), f"page {n} is not marked"
    # the title page also carries the boxed notice under the title
    assert "must not be quoted" in " ".join(pages[0].split())


@pytest.mark.parametrize("source", ["raw", None])
def test_real_or_unrecorded_data_carry_no_synthetic_mark(mini, source):
    if source:
        _source(mini, source)
    render.render_builtin("mini")
    html = (mini / "_output" / "mini.html").read_text()
    assert 'class="synthetic-banner"' not in html and "Synthetic data" not in html
    for text in _pdf_pages(mini / "_output" / "mini.pdf"):
        assert "Synthetic data" not in text


def test_a_bad_data_source_record_names_the_file(mini):
    path = mini / "_build" / "reports" / "mini" / "data_source.json"
    path.write_text('{"source": "made up"}')
    with pytest.raises(render.RenderError, match=r"data_source\.json.*'made up'"):
        render.data_source("mini")
    path.write_text("not json")
    with pytest.raises(render.RenderError, match=r"data_source\.json"):
        render.data_source("mini")


def test_html_has_a_language_and_a_policy_that_forbids_scripts(mini):
    render.render_builtin("mini", formats=("html",))
    html = (mini / "_output" / "mini.html").read_text()
    assert re.search(r'<html[^>]*\blang="en-GB"', html)  # from _quarto.yml's top-level lang
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp, "no Content-Security-Policy"
    # pandoc writes the quotes as &#39;, which the browser reads as '
    directives = dict(d.strip().split(" ", 1) for d in html_lib.unescape(csp.group(1)).split(";"))
    assert directives["script-src"] == "'none'" and directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"  # the embedded figures
    assert "<script" not in html.lower()  # nothing the policy would block


# A success-criteria table as tables.to_markdown writes it for a data set of 40 social workers: the
# dashes give "At" and "RAG" about 6% and 4% of the line, narrower than "months" and "amber" at 8.5pt.
CRITERIA_TABLE = """\
| Criterion | Threshold | At | Observed (95% CI) | RAG | Status |
|:---------------------------------------------|:-----------|:--------|:-------------------------|:-----|:------------------------------------|
| Take-up of either pattern | 30% | 3 months | 35% (95% CI 20% to 52%) | amber | uncertain (interval spans it) |
| Consistent use: half of planned days taken | 50% | 6 months | 62% (95% CI 41% to 79%) | green | met |

: Success criteria {#tbl-criteria}
"""


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="install poppler-utils to read PDF word boxes")
def test_narrow_table_columns_do_not_print_words_over_or_into_each_other(mini):
    from tests.test_report_checks import clashing_words, glued_words, html_vocabulary, pdf_words

    (mini / "report" / "mini.qmd").write_text('---\ntitle: "Table"\n---\n\n# Criteria\n\n' + CRITERIA_TABLE)
    render.render_builtin("mini")
    pdf = mini / "_output" / "mini.pdf"
    html = (mini / "_output" / "mini.html").read_text()
    assert re.search(r'<table[^>]*tabindex="0"', html)  # a table that scrolls on a phone takes keyboard focus
    vocabulary = html_vocabulary(html)
    assert {"amber", "uncertain", "months", "35%"} <= vocabulary
    # before report/typst-header.typ sized these columns from their content, poppler read "amberuncertain"
    assert glued_words(pdf, vocabulary) == []
    assert clashing_words(pdf) == []
    words = [w[5] for w in pdf_words(pdf)]
    assert "amber" in words and "uncertain" in words


def test_quarto_finds_every_include_of_the_project_before_each_report_is_staged(tmp_path, monkeypatch):
    """Quarto reads every source of the project (includes expanded) to render any one, so a report not
    staged yet would stop the others: its missing includes under _build/ get placeholders, nothing else."""
    root = tmp_path / "study"
    (root / "report").mkdir(parents=True)
    for name, value in {"ROOT": root, "REPORT": root / "report", "QUARTO_PROJECT": root / "_quarto.yml"}.items():
        monkeypatch.setattr(paths, name, value)
    monkeypatch.setattr(paths, "BUILD", root / "_build")
    (root / "_quarto.yml").write_text("project:\n  render: [report/one.qmd, report/two.qmd]\n")
    (root / "report" / "one.qmd").write_text("{{< include ../_build/reports/one/validation.md >}}\n")
    (root / "report" / "two.qmd").write_text(
        "{{< include ../_build/reports/two/validation.md >}}\n{{< include ../notes.md >}}\n"
    )
    staged = root / "_build" / "reports" / "one" / "validation.md"
    staged.parent.mkdir(parents=True)
    staged.write_text("the real appendix")
    written = render.include_placeholders()
    assert written == [(root / "_build" / "reports" / "two" / "validation.md").resolve()]
    assert written[0].read_text() == render.PLACEHOLDER
    assert staged.read_text() == "the real appendix"  # a staged file is never replaced
    assert not (root / "notes.md").exists()  # outside _build/: not ours to write
    assert render.include_placeholders() == []  # once there, left alone
