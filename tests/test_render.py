"""The built-in renderer: embeds, includes, numbering and cross-references."""

import base64

import nbformat
import pytest

from analysis import render

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
