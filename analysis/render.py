"""Rendering ``report/*.qmd`` into ``_output/<report>.html`` and ``_output/<report>.pdf``.

Quarto renders them when ``quarto`` is on the PATH. Otherwise the built-in renderer renders the
same sources: it resolves ``{{< include >}}`` and ``{{< embed nb.ipynb#label >}}`` from the
executed notebooks, numbers figures and tables and their ``@fig-``/``@tbl-`` cross-references,
and calls pandoc (``pypandoc-binary``) for a self-contained HTML file and pandoc's typst writer
with the ``typst`` package for the PDF. Report sources keep to the subset of Quarto syntax
that both engines render alike. Outputs are written to a temporary file and then renamed, so a
failed render leaves the previous good report in place.

Both renderers mark a report built from synthetic data (``_build/reports/<report>/data_source.json``
says so): a banner above the title of the HTML, a notice under the title and a header on every
page of the PDF. The built-in HTML carries a Content-Security-Policy that forbids scripts.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from analysis import paths
from analysis.errors import AnalysisError

INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+?)\s*>\}\}")
EMBED = re.compile(r"\{\{<\s*embed\s+(\S+?)#([\w-]+)\s*>\}\}")
XREF = re.compile(r"(?<![\w\[])@((?:fig|tbl|sec)-[\w-]+)")
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


class RenderError(AnalysisError):
    pass


# -- where the data came from ------------------------------------------------------------------

SYNTHETIC_MARK = "Synthetic data: not for publication"
SYNTHETIC_NOTE = (
    "This report was built from the project's generated synthetic data set, not from data delivered "
    "by a local authority. Its numbers describe no real person and must not be quoted as findings."
)
# The built-in HTML needs no script: forbid every script, allow the embedded (data:) images and
# fonts and the inline style sheet that pandoc's --embed-resources writes.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "base-uri 'none'; form-action 'none'; object-src 'none'; script-src 'none'"
)


def data_source(report: str) -> str | None:
    """Where a report's data came from: ``"synthetic"``, ``"raw"``, or None when the build left no record.

    The build writes ``_build/reports/<report>/data_source.json`` (``{"source": "synthetic"}``)
    before rendering.
    """
    path = paths.STAGED_REPORTS / report / "data_source.json"
    if not path.exists():
        return None
    try:
        source = json.loads(path.read_text(encoding="utf-8"))["source"]
    except (ValueError, KeyError, TypeError) as exc:
        raise RenderError(f'{path}: expected {{"source": "synthetic"}} or {{"source": "raw"}} ({exc}).') from exc
    if source not in ("synthetic", "raw"):
        raise RenderError(f'{path}: "source" is {source!r}; expected "synthetic" or "raw".')
    return source


def synthetic_banner_html() -> str:
    """The banner at the top of a synthetic report's HTML: words, not colour alone."""
    return (
        '<div class="synthetic-banner" role="note">\n'
        f"<p><strong>{html.escape(SYNTHETIC_MARK)}.</strong> {html.escape(SYNTHETIC_NOTE)}</p>\n"
        "</div>\n"
    )


def synthetic_typst_header() -> str:
    """Typst for the page header of every page of a synthetic report's PDF."""
    return (
        "// Every page of a report built from synthetic data says so in its header.\n"
        '#set page(header: align(center, text(size: 9pt, weight: "bold")['
        f"{SYNTHETIC_MARK}]))\n"
    )


def synthetic_typst_notice() -> str:
    """Typst for a boxed notice under the title of a synthetic report's PDF."""
    return f"#block(width: 100%, inset: 8pt, stroke: 1.5pt + black)[*{SYNTHETIC_MARK}.* {SYNTHETIC_NOTE}]\n"


def _mark_files(report: str, folder: Path) -> dict[str, Path]:
    """Per-render include files (HTML head and banner, typst header and notice) written to ``folder``."""
    files = {"csp": folder / "csp.html"}
    files["csp"].write_text(
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n', encoding="utf-8"
    )
    if data_source(report) == "synthetic":
        for key, name, text in (
            ("banner", "synthetic-banner.html", synthetic_banner_html()),
            ("typst_header", "synthetic-header.typ", synthetic_typst_header()),
            ("typst_notice", "synthetic-notice.typ", synthetic_typst_notice()),
        ):
            files[key] = folder / name
            files[key].write_text(text, encoding="utf-8")
    return files


def quarto_available() -> str | None:
    return shutil.which("quarto")


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


# -- notebook cells ------------------------------------------------------------------------------


def cell_options(source: str) -> dict:
    """Quarto cell options: the leading ``#| key: value`` lines of a code cell, as YAML."""
    lines = []
    for line in source.splitlines():
        if line.startswith("#|"):
            lines.append(line[2:].strip() if not line[2:3] == " " else line[3:])
        else:
            break
    return yaml.safe_load("\n".join(lines)) or {} if lines else {}


def find_cell(nb_path: Path, label: str) -> tuple[dict, list]:
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            opts = cell_options(cell.source)
            if opts.get("label") == label:
                return opts, cell.get("outputs", [])
    raise RenderError(f"{nb_path}: no cell labelled '{label}' (check `#| label: {label}` in the notebook).")


@dataclass
class Resolved:
    markdown: str
    images: dict[str, bytes] = field(default_factory=dict)  # file name -> PNG bytes
    numbers: dict[str, int] = field(default_factory=dict)  # label -> number within its kind


def _embed_markdown(nb_path: Path, label: str, images: dict[str, bytes]) -> str:
    opts, outputs = find_cell(nb_path, label)
    parts: list[str] = []
    for out in outputs:
        if out.get("output_type") == "error":
            raise RenderError(f"{nb_path}#{label}: the cell raised {out.get('ename')}: {out.get('evalue')}")
        data = out.get("data", {})
        if "image/png" in data:
            name = f"{label}.png" if f"{label}.png" not in images else f"{label}-{len(images)}.png"
            images[name] = base64.b64decode(data["image/png"])
            parts.append(("image", name))
        elif "text/markdown" in data:
            parts.append(("markdown", data["text/markdown"]))
        elif out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append(("markdown", out["text"]))
        elif "text/plain" in data and not label.startswith(("fig-", "tbl-")):
            parts.append(("markdown", "```\n" + data["text/plain"] + "\n```"))
    if label.startswith("fig-"):
        imgs = [p for p in parts if p[0] == "image"]
        if not imgs:
            raise RenderError(f"{nb_path}#{label}: the figure cell has no image output.")
        cap = str(opts.get("fig-cap", "")).strip()
        alt = str(opts.get("fig-alt", cap)).replace('"', "'")
        return f'![{cap}](media/{imgs[0][1]}){{#{label} alt="{alt}" width="100%"}}'
    if label.startswith("tbl-"):
        tables = [p[1] for p in parts if p[0] == "markdown"]
        if not tables:
            raise RenderError(f"{nb_path}#{label}: the table cell has no Markdown table output.")
        cap = str(opts.get("tbl-cap", "")).strip()
        # a note under the table (the footnote of a table released under an exception) follows
        # the caption, which must stay next to the table
        table, _, note = tables[0].strip().partition("\n\n")
        return table.rstrip() + f"\n\n: {cap} {{#{label}}}" + (f"\n\n{note.strip()}" if note.strip() else "")
    return "\n\n".join(p[1] if p[0] == "markdown" else f"![](media/{p[1]})" for p in parts)


def resolve(qmd: Path, _depth: int = 0) -> Resolved:
    """Body of ``qmd`` with includes and embeds resolved (front matter removed)."""
    text = qmd.read_text(encoding="utf-8")
    text = FRONT.sub("", text, count=1)
    images: dict[str, bytes] = {}

    def include(m: re.Match) -> str:
        target = (qmd.parent / m.group(1)).resolve()
        if not target.exists():
            raise RenderError(f"{qmd}: included file {m.group(1)} does not exist ({target}).")
        sub = resolve(target, _depth + 1)
        images.update(sub.images)
        return sub.markdown

    if _depth > 5:
        raise RenderError(f"{qmd}: includes nested too deeply.")
    text = INCLUDE.sub(include, text)

    def embed(m: re.Match) -> str:
        nb_path = (qmd.parent / m.group(1)).resolve()
        if not nb_path.exists():
            raise RenderError(
                f"{qmd}: embedded notebook {m.group(1)} does not exist ({nb_path}). "
                f"Run `make report{paths.study_option()}` (or `python -m analysis{paths.cli_option()} build`) "
                "to execute the notebooks."
            )
        return _embed_markdown(nb_path, m.group(2), images)

    text = EMBED.sub(embed, text)
    return Resolved(text, images)


def section_numbers(markdown: str) -> dict[str, str]:
    """Numbers of labelled headings ("2", "2.1"), as Quarto's number-sections gives them.

    >>> section_numbers("# A {#sec-a}\\n\\n## B {#sec-b}\\n\\n# C\\n\\n## D {#sec-d}\\n")
    {'sec-a': '1', 'sec-b': '1.1', 'sec-d': '2.1'}
    """
    counters = [0] * 6
    out: dict[str, str] = {}
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = None if in_code else re.match(r"^(#{1,6})\s+(.*?)\s*$", line)
        if not m:
            continue
        level = len(m.group(1))
        counters[level - 1] += 1
        for i in range(level, 6):
            counters[i] = 0
        label = re.search(r"\{#(sec-[\w-]+)", m.group(2))
        if label and ".unnumbered" not in m.group(2):
            out[label.group(1)] = ".".join(str(c) for c in counters[:level])
    return out


def number(markdown: str) -> tuple[str, dict[str, tuple[str, int]]]:
    """Number figures and tables in document order and turn ``@fig-x`` into "Figure N" links."""
    found: dict[str, tuple[str, int]] = {}
    counts = {"fig": 0, "tbl": 0}
    for m in re.finditer(r"\{#((fig|tbl)-[\w-]+)", markdown):
        label, kind = m.group(1), m.group(2)
        if label not in found:
            counts[kind] += 1
            found[label] = ("Figure" if kind == "fig" else "Table", counts[kind])
    sections = section_numbers(markdown)

    def xref(m: re.Match) -> str:
        label = m.group(1)
        if label in found:
            word, n = found[label]
            return f"[{word} {n}](#{label})"
        if label in sections:
            return f"[Section {sections[label]}](#{label})"
        raise RenderError(f"cross-reference @{label} points to nothing labelled {label}.")

    return XREF.sub(xref, markdown), found


def _prefix_captions(markdown: str, found: dict[str, tuple[str, int]]) -> str:
    """HTML captions read "Figure N: ..." as Quarto writes them (typst numbers its own)."""

    def fig(m: re.Match) -> str:
        word, n = found[m.group(3)]
        return f"![{word} {n}: {m.group(1)}]({m.group(2)}){{#{m.group(3)}"

    markdown = re.sub(r"!\[([^\]]*)\]\(([^)]*)\)\{#(fig-[\w-]+)", fig, markdown)

    def tbl(m: re.Match) -> str:
        word, n = found[m.group(2)]
        return f": {word} {n}: {m.group(1)} {{#{m.group(2)}}}"

    return re.sub(r"^: (.*?) \{#(tbl-[\w-]+)\}\s*$", tbl, markdown, flags=re.M)


def _project() -> dict:
    return (yaml.safe_load(paths.QUARTO_PROJECT.read_text()) or {}) if paths.QUARTO_PROJECT.exists() else {}


def project_options(fmt: str) -> dict:
    return (_project().get("format") or {}).get(fmt) or {}


def document_lang(meta: dict, fmt: str) -> str | None:
    """The document language (``lang``) as Quarto resolves it: front matter, then the format's
    options, then the top level of ``_quarto.yml``."""
    return meta.get("lang") or project_options(fmt).get("lang") or _project().get("lang")


def front_matter(qmd: Path) -> dict:
    m = FRONT.match(qmd.read_text(encoding="utf-8"))
    return yaml.safe_load(m.group(1)) if m else {}


def _atomic_write(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def _pandoc(args: list[str], cwd: Path) -> None:
    proc = subprocess.run([pandoc_path(), *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        message = proc.stderr.split("HasCallStack backtrace:")[0].strip()  # pandoc's Haskell backtrace helps nobody
        raise RenderError(f"pandoc failed ({' '.join(args[:3])} ...):\n{message}")


def _meta_args(meta: dict) -> list[str]:
    args = []
    for key in ("title", "subtitle", "date", "author", "abstract", "lang"):
        if key in meta and meta[key] is not None:
            args += ["--metadata", f"{key}={meta[key]}"]
    return args


def render_builtin(
    report: str, formats: tuple[str, ...] = ("html", "pdf"), output_dir: Path | None = None
) -> list[Path]:
    """Render ``report/<report>.qmd`` without Quarto."""
    qmd = paths.REPORT / f"{report}.qmd"
    if not qmd.exists():
        raise RenderError(f"{qmd} does not exist.")
    out_dir = Path(output_dir or paths.OUTPUT)
    meta = front_matter(qmd)
    resolved = resolve(qmd)
    body, found = number(resolved.markdown)
    work = Path(tempfile.mkdtemp(prefix=f"render-{report}-", dir=paths.BUILD if paths.BUILD.exists() else None))
    (work / "media").mkdir()
    for name, data in resolved.images.items():
        (work / "media" / name).write_bytes(data)
    written = []
    try:
        marks = _mark_files(report, work)
        if "html" in formats:
            opts = project_options("html")
            (work / "report.md").write_text(_prefix_captions(body, found), encoding="utf-8")
            args = [
                "report.md",
                "--from",
                "markdown",
                "--to",
                "html5",
                "--standalone",
                "--embed-resources",
                "--output",
                "report.html",
                *(_meta_args({**meta, "lang": document_lang(meta, "html")})),
                f"--include-in-header={marks['csp']}",
            ]
            if "banner" in marks:
                args.append(f"--include-before-body={marks['banner']}")
            if opts.get("toc", True):
                args += ["--toc", f"--toc-depth={opts.get('toc-depth', 2)}"]
            if opts.get("number-sections"):
                args.append("--number-sections")
            css = opts.get("css")
            for c in [css] if isinstance(css, str) else (css or []):
                args += ["--css", str((paths.ROOT / c).resolve())]
            filters = opts.get("filters")
            for f in [filters] if isinstance(filters, str) else (filters or []):
                args.append(f"--lua-filter={(paths.ROOT / f).resolve()}")
            args += ["--metadata", "pagetitle=" + str(meta.get("title", report)), "--metadata", "document-css=false"]
            _pandoc(args, work)
            _atomic_write(work / "report.html", out_dir / f"{report}.html")
            written.append(out_dir / f"{report}.html")
        if "pdf" in formats:
            opts = project_options("typst")
            (work / "report-typst.md").write_text(body, encoding="utf-8")
            args = [
                "report-typst.md",
                "--from",
                "markdown",
                "--to",
                "typst",
                "--standalone",
                "--output",
                "report.typ",
                *(_meta_args({**meta, "lang": document_lang(meta, "typst")})),
                "-V",
                f"papersize={opts.get('papersize', 'a4')}",
            ]
            if opts.get("toc", True):
                args += ["--toc", f"--toc-depth={opts.get('toc-depth', 2)}"]
            if opts.get("number-sections"):
                args.append("--number-sections")
            header = opts.get("include-in-header")
            for h in [header] if isinstance(header, str) else (header or []):
                args.append(f"--include-in-header={(paths.ROOT / h).resolve()}")
            if "typst_header" in marks:
                args += [
                    f"--include-in-header={marks['typst_header']}",
                    f"--include-before-body={marks['typst_notice']}",
                ]
            for key in ("mainfont", "fontsize", "margin"):
                if key in opts:
                    val = opts[key]
                    if isinstance(val, dict):
                        for k, v in val.items():
                            args += ["-V", f"{key}.{k}={v}"]
                    else:
                        args += ["-V", f"{key}={val}"]
            _pandoc(args, work)
            import typst

            try:
                typst.compile(str(work / "report.typ"), output=str(work / "report.pdf"), root=str(work))
            except Exception as exc:  # typst raises its own error type with the source position
                raise RenderError(f"typst could not typeset {report}: {exc}") from exc
            _atomic_write(work / "report.pdf", out_dir / f"{report}.pdf")
            written.append(out_dir / f"{report}.pdf")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return written


PLACEHOLDER = "This report has not been built yet (`make report`).\n"


def project_inputs() -> list[Path]:
    """The report sources of the Quarto project: ``project: render:`` in ``_quarto.yml``, else every
    ``report/*.qmd``."""
    listed = (_project().get("project") or {}).get("render") or []
    return [paths.ROOT / f for f in listed] if listed else sorted(paths.REPORT.glob("*.qmd"))


def include_placeholders() -> list[Path]:
    """Quarto reads every source of the project, includes expanded, whenever it renders one of them:
    a report that is not staged yet (its notebooks still running, or waiting for data) would stop the
    others. Each missing include under ``_build/`` gets a placeholder, which that report's own build
    replaces; returns the placeholders written."""
    written = []
    for qmd in project_inputs():
        if not qmd.exists():
            continue
        for m in INCLUDE.finditer(qmd.read_text(encoding="utf-8")):
            target = (qmd.parent / m.group(1)).resolve()
            if target.exists() or not target.is_relative_to(paths.BUILD.resolve()):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(target, "x", encoding="utf-8") as fh:  # never over a file written meanwhile
                    fh.write(PLACEHOLDER)
                written.append(target)
            except FileExistsError:
                pass
    return written


def render_quarto(
    report: str, formats: tuple[str, ...] = ("html", "pdf"), output_dir: Path | None = None
) -> list[Path]:
    """Render with Quarto (``quarto render report/<report>.qmd --to html|typst``)."""
    quarto = quarto_available()
    if not quarto:
        raise RenderError("quarto is not on the PATH; use the built-in renderer (--renderer builtin).")
    out_dir = Path(output_dir or paths.OUTPUT)
    written = []
    env = dict(os.environ)
    import sys

    env.setdefault("QUARTO_PYTHON", sys.executable)
    qdir = paths.BUILD / "quarto"
    marks_dir = paths.STAGED_REPORTS / report / "marks"
    marks_dir.mkdir(parents=True, exist_ok=True)
    marks = _mark_files(report, marks_dir)
    include_placeholders()
    extra: dict[str, list[str]] = {"html": [], "typst": []}
    if "banner" in marks:
        # Quarto's --include-* flags replace the format's own includes from _quarto.yml: repeat those first.
        for to in extra:
            for key in ("include-in-header", "include-before-body"):
                own = project_options(to).get(key)
                for f in [own] if isinstance(own, str) else (own or []):
                    extra[to] += [f"--{key}", str((paths.ROOT / f).resolve())]
        extra["html"] += ["--include-before-body", str(marks["banner"])]
        extra["typst"] += [
            "--include-in-header",
            str(marks["typst_header"]),
            "--include-before-body",
            str(marks["typst_notice"]),
        ]
    for fmt, to, ext in (("html", "html", "html"), ("pdf", "typst", "pdf")):
        if fmt not in formats:
            continue
        proc = subprocess.run(
            [quarto, "render", f"report/{report}.qmd", "--to", to, *extra[to]],
            cwd=paths.ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RenderError(f"quarto render {report} --to {to} failed:\n{proc.stderr[-3000:]}")
        produced = [p for p in qdir.rglob(f"{report}.{ext}")]
        if not produced:
            raise RenderError(f"quarto rendered {report} --to {to} but no {report}.{ext} was found under {qdir}.")
        _atomic_write(produced[0], out_dir / f"{report}.{ext}")
        written.append(out_dir / f"{report}.{ext}")
    return written


def render(
    report: str, renderer: str = "auto", formats: tuple[str, ...] = ("html", "pdf"), output_dir: Path | None = None
) -> tuple[str, list[Path]]:
    """Render one report; ``renderer`` is ``auto`` (Quarto when installed), ``quarto`` or ``builtin``."""
    use = renderer
    if renderer == "auto":
        use = "quarto" if quarto_available() else "builtin"
    fn = render_quarto if use == "quarto" else render_builtin
    return use, fn(report, formats, output_dir)
