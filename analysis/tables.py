"""Report tables: built from indicators, passed through disclosure control, then formatted by
one function so that "<10", percentages and intervals read the same everywhere.

Every builder here is pure: it gets the tables it needs (read once per notebook by
:func:`analysis.inputs.load`) and opens no file. :func:`show` turns a built table into a
:class:`ReportTable`, which a researcher uses as a DataFrame and which displays as an HTML table
in JupyterLab and as the Markdown table the report embeds. Every cell is text from a delivered
file as far as escaping is concerned: :func:`escape_markdown` and :func:`escape_html` make sure a
reader sees the characters that were typed and nothing is interpreted.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis import disclose, outputs
from analysis import qualitative as qual
from analysis.config import Study
from analysis.qualitative import Interviews, select_quotes, themes_by_rq
from analysis.stats import Proportion, wilson

NOT_REPORTABLE = "not reportable at this threshold"


@dataclass(frozen=True)
class DisclosedProportion:
    """A proportion after disclosure control: the figures readers may see."""

    proportion: Proportion
    reportable: bool
    text: str  # e.g. "22% (95% CI 9% to 45%)" or "not reportable at this threshold"
    n_text: str  # e.g. "n = 212" or "n <10"

    def as_row(self) -> dict:
        p = self.proportion
        ok = self.reportable
        return {
            "estimate": p.estimate if ok else math.nan,
            "low": p.low if ok else math.nan,
            "high": p.high if ok else math.nan,
            "reportable": ok,
            "n_text": self.n_text,
        }


def disclosed(p: Proportion, study: Study) -> DisclosedProportion:
    """Apply the share rule (numerator, denominator and remainder at or above the threshold).

    Under the ``round`` mitigation (``disclosure: mitigation: round``) nothing is suppressed: the
    counts are rounded to the base and the share and its Wilson interval are computed from the
    rounded counts (so no true count can be read back from them).
    """
    s = study.disclosure
    if s.mitigation == "round":
        k, n = outputs.round_count(p.k, s.round_base), outputs.round_count(p.n, s.round_base)
        r = wilson(min(k, n), n, p.confidence)
        ok = n > 0
        text = f"{r.estimate:.0%} ({r.confidence:.0%} CI {r.low:.0%} to {r.high:.0%})" if ok else NOT_REPORTABLE
        return DisclosedProportion(r, ok, text, f"n = {n:,}")
    ok = disclose.share(p.k, p.n, s).reportable
    text = disclose.format_share(p.k, p.n, s, interval=(p.low, p.high)) if ok else NOT_REPORTABLE
    n = disclose.format_count(p.n, s)
    return DisclosedProportion(p, ok, text, f"n {n}" if n.startswith("<") else f"n = {n}")


def count_text(n: int, study: Study) -> str:
    """A count as the study's mitigation prints it: "<10" below the threshold under suppression,
    or rounded to the base under rounding.

    >>> from analysis.config import Disclosure
    >>> import types
    >>> st = types.SimpleNamespace(disclosure=Disclosure(10, 2, 0.9, 0.1, "round", 5))
    >>> count_text(7, st), count_text(18, st)
    ('5', '20')
    """
    s = study.disclosure
    if s.mitigation == "round":
        return f"{outputs.round_count(int(n), s.round_base):,}"
    return disclose.format_count(n, s)


def released_text(p: Proportion) -> str:
    """A share released under an approved exception: its value with a dagger, and its interval.

    >>> released_text(Proportion(7, 18, 7 / 18, 0.2, 0.61, 0.95))
    '39%† (95% CI 20% to 61%)'
    """
    if p.n == 0 or math.isnan(p.estimate):
        return outputs.mark("no one to count")
    return f"{outputs.mark(f'{p.estimate:.0%}')} ({p.confidence:.0%} CI {p.low:.0%} to {p.high:.0%})"


def share_output(
    output_id: str,
    frame: pd.DataFrame,
    column: str,
    shares: Sequence[DisclosedProportion | None],
    released: pd.DataFrame | None,
    study: Study,
) -> outputs.Output:
    """A table of shares registered cell by cell: the ``column`` cell of each row carries its share's
    reasons (threshold, with which count is too small), the true share held for the checker, and
    whether it is suppressed or released; ``released`` is the table as published under an exception."""
    shown = frame if released is None else released
    o = outputs.from_frame(output_id, shown)
    rows = list(o.rows)
    col = outputs._label(column)
    cells = []
    for c in o.cells:
        if c.column == col:
            d = shares[rows.index(c.row)]
            if d is not None and not d.reportable:
                detail = disclose.share(d.proportion.k, d.proportion.n, study.disclosure).reason
                c = outputs.Cell(
                    c.row,
                    c.column,
                    c.value,
                    (outputs.THRESHOLD,),
                    "" if released is not None else outputs.SUPPRESSED,
                    d.proportion.estimate,
                    f"{d.proportion.k} of {d.proportion.n}; {detail}",
                )
            elif c.reasons:  # reads as suppressed but is not (a reportable share says nothing small)
                c = dataclasses.replace(c, reasons=(), mitigated="")
        elif c.reasons and released is not None:
            c = dataclasses.replace(c, mitigated="")
        cells.append(c)
    mitigation = "round" if study.disclosure.mitigation == "round" else "suppress"
    base = study.disclosure.round_base if mitigation == "round" else None
    return dataclasses.replace(
        o, cells=tuple(cells), released=released is not None, mitigation=mitigation, round_base=base
    )


# -- escaping: text is data, never markup -------------------------------------------------------

# Characters that mean something in pandoc's (and Quarto's) Markdown, or to the built-in renderer's
# and Quarto's text scanners: emphasis, code, links and spans, raw HTML and autolinks, entities,
# maths, citations and cross-references (@fig-x), shortcodes ({{< >}}) and attributes ({#tbl-x}),
# pipe-table cells, sub/superscript, strikeout, footnotes; and the quotes, dashes and dots that
# pandoc's smart typography would curl or join ("--" into a dash). Each becomes a numeric
# character reference, which pandoc reads back as that literal character in every output format
# (HTML, and typst for the PDF, whose writer escapes typst's own syntax). Other punctuation means
# nothing inside a table cell and is left as typed.
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]<>$@|~^&#'\"")
_SMART_RUNS = re.compile(r"-{2,}|\.{2,}")
# HTML needs <, >, & and quotes escaped; braces, @, $, backslash and backtick are escaped too, so
# that no text scanner downstream (Quarto's shortcodes, maths) finds anything in a cell.
_HTML_EXTRA = frozenset("{}@$\\`")


def _entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def _plain(value: object) -> str:
    """A cell as one line of text; missing values are empty."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return " ".join(str(value).splitlines())


def escape_markdown(value: object) -> str:
    """Text for a cell of a Markdown (pipe) table: every character Markdown would interpret is
    written as a numeric character reference, so the reader sees exactly what was typed.

    >>> escape_markdown("**bold** <b>")
    '&#42;&#42;bold&#42;&#42; &#60;b&#62;'
    >>> escape_markdown("35% (95% CI 22% to 50%)")
    '35% (95% CI 22% to 50%)'
    """
    text = "".join(f"&#{ord(c)};" if c in _MARKDOWN_SPECIAL else c for c in _plain(value))
    return _SMART_RUNS.sub(lambda m: _entities(m.group()), text)


def escape_html(value: object) -> str:
    """Text for an HTML table cell.

    >>> escape_html("<img src=x onerror=alert(1)> {{< x >}}")
    '&lt;img src=x onerror=alert(1)&gt; &#123;&#123;&lt; x &gt;&#125;&#125;'
    """
    text = html.escape(_plain(value), quote=True)
    return "".join(f"&#{ord(c)};" if c in _HTML_EXTRA else c for c in text)


# Text shown as inline code (file names, hashes) only when it holds nothing any renderer could read
# as syntax: inside a code span pandoc takes characters literally, but not "|", and the renderers'
# text scanners (shortcodes, cross-references) see code spans too.
_CODE_SAFE = re.compile(r"[\w .,:/+=()'-]*")


def _code_or_text(value: object) -> str:
    text = _plain(value)
    return f"`{text}`" if text and _CODE_SAFE.fullmatch(text) else escape_markdown(text)


def to_markdown(frame: pd.DataFrame, code: Sequence[object] = ()) -> str:
    """A pipe table that pandoc and Quarto both read (no extra dependency); every cell escaped.

    Columns are left-aligned; the dashes under the header are proportional to the widest cell
    (capped), which pandoc turns into relative column widths when a table is wide. Cells of the
    ``code`` columns are set as inline code (when they hold only letters, digits, spaces and
    ``_.,:/+=()'-``; otherwise as escaped text).

    >>> print(to_markdown(pd.DataFrame({"a": [1], "b": ["x|y"]})))
    | a | b |
    |:-----|:-----|
    | 1 | x&#124;y |
    >>> print(to_markdown(pd.DataFrame({"File": ["data/raw/a.csv", "@b.csv"]}), code=["File"]))
    | File |
    |:----------------|
    | `data/raw/a.csv` |
    | &#64;b.csv |
    """

    def width(col: object) -> int:
        # measured on the text as the reader sees it, so escaping does not change the layout
        longest_word = max((len(w) for w in _plain(col).split()), default=1) + 2
        longest_cell = max((len(_plain(v)) + 2 * (col in code) for v in frame[col]), default=0)
        return max(longest_word, min(longest_cell, 45), 5)

    fmt = [_code_or_text if c in code else escape_markdown for c in frame.columns]
    head = "| " + " | ".join(escape_markdown(c) for c in frame.columns) + " |"
    rule = "|" + "|".join(":" + "-" * width(c) for c in frame.columns) + "|"
    body = [
        "| " + " | ".join(f(v) for f, v in zip(fmt, row, strict=True)) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def to_html(frame: pd.DataFrame) -> str:
    """An HTML table with header cells (no index), every cell escaped.

    >>> print(to_html(pd.DataFrame({"a": ["<10"]})))
    <table class="report-table">
    <thead><tr><th scope="col">a</th></tr></thead>
    <tbody>
    <tr><td>&lt;10</td></tr>
    </tbody>
    </table>
    """
    head = "".join(f'<th scope="col">{escape_html(c)}</th>' for c in frame.columns)
    rows = [
        "<tr>" + "".join(f"<td>{escape_html(v)}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False)
    ]
    return "\n".join(
        ['<table class="report-table">', f"<thead><tr>{head}</tr></thead>", "<tbody>", *rows, "</tbody>", "</table>"]
    )


@dataclass(frozen=True)
class OutputSpec:
    """What :func:`show` needs to register a table for output checking: ``build(output_id,
    released)`` makes its :class:`analysis.outputs.Output` (cells, reasons, true values), and
    ``released`` is the table as published under an approved exception (``None``: the table has
    nothing suppressed, so nothing to release)."""

    build: Callable[[str, bool], outputs.Output]
    released: pd.DataFrame | None = None


class ReportTable(pd.DataFrame):
    """A table bound for a report, after disclosure control: a DataFrame a researcher can work
    with, shown in JupyterLab as an HTML table (``_repr_html_``) and embedded in the report as a
    Markdown table (``_repr_markdown_``); both come from the same cells. ``output_spec`` (set by
    the builders) says how to register it for output checking; ``footnote`` is printed under it (the
    dagger's footnote of an output released under an exception)."""

    _metadata = ["output_spec", "footnote"]

    @property
    def _constructor(self) -> Callable[..., ReportTable]:
        return ReportTable

    def _repr_markdown_(self) -> str:
        note = getattr(self, "footnote", None)
        return to_markdown(self) + (f"\n\n{note}" if note else "")

    def _repr_html_(self) -> str:
        note = getattr(self, "footnote", None)
        plain = re.sub(r"\\(.)", r"\1", note) if note else ""  # the footnote's Markdown escapes, undone
        return to_html(self) + (f'\n<p class="table-footnote">{escape_html(plain)}</p>' if note else "")


def with_output(
    frame: pd.DataFrame, build: Callable[[str, bool], outputs.Output], released: pd.DataFrame | None = None
) -> ReportTable:
    """``frame`` with how to register it (see :class:`OutputSpec`)."""
    table = ReportTable(frame)
    table.output_spec = OutputSpec(build, None if released is None else pd.DataFrame(released))
    table.footnote = None
    return table


def show(frame: pd.DataFrame) -> ReportTable:
    """The table a notebook cell displays: the same cells, as a :class:`ReportTable`.

    In the build, the table is registered for output checking as ``<report>/<cell label>`` (see
    :mod:`analysis.outputs`); under an approved exception for that id, the table shown is the
    released one, with a dagger on each released value and the exception's footnote.
    """
    spec = getattr(frame, "output_spec", None)
    table = ReportTable(pd.DataFrame(frame))
    table.output_spec, table.footnote = None, None
    oid = outputs.current_id()
    if oid is None:
        return table
    book = outputs.exceptions_in_force()
    release = spec is not None and spec.released is not None and book.released(oid)
    outputs.register(spec.build(oid, release) if spec is not None else outputs.from_frame(oid, table))
    if release:
        table = ReportTable(spec.released)
        table.output_spec, table.footnote = None, outputs.footnote(book.get(oid))
    return table


# -- helpers shared by the notebooks -----------------------------------------------------------


def note(message: str) -> pd.DataFrame:
    """A one-cell table that says why there is nothing to show (e.g. no survey at this wave)."""
    return pd.DataFrame({"Note": [message]})


def counts_display(frame: pd.DataFrame, study: Study, index: str) -> pd.DataFrame:
    return counts_table(frame.set_index(index), study)


def counts_table(counts: pd.DataFrame, study: Study, **options) -> ReportTable:
    """A count table under the study's mitigation (suppression with secondary suppression, or
    rounding to a base: :func:`analysis.outputs.mitigate_counts`), as printed (the index as its first
    column), carrying its output record with the true counts (and the table as it would be released
    under an approved exception)."""
    counts = counts.astype(int)
    d = outputs.mitigate_counts(counts, study.disclosure, **({"totals": True} | options))
    true = outputs.add_totals(counts)
    true = true.reindex(index=d.display.index, columns=d.display.columns)
    if true.isna().to_numpy().any():  # totals given by the caller (e.g. an "All ..." row): as they are
        true = true.fillna(d.numeric)
    shown = d.display.reset_index()
    base = study.disclosure.round_base if study.disclosure.mitigation == "round" else None
    released = None
    if d.mask.to_numpy().any():
        released = outputs.released_display(d, true).reset_index()

    def build(oid: str, rel: bool) -> outputs.Output:
        return outputs.from_disclosed(oid, d, title=oid, true_values=true, released=rel, round_base=base)

    return with_output(shown, build, released)


# -- interviews -----------------------------------------------------------------------------------

NO_INTERVIEWS = "No interviews had been coded by this wave."


ALL_INTERVIEWS = "All interviews"


def theme_columns(study: Study, register: pd.DataFrame, groups: bool = False) -> qual.Columns:
    """The columns of a theme table, after disclosure control: all interviews, each site and wave
    (pooled over sites for a wave too small at one of them) and, with ``groups``, each respondent
    group across sites and waves (merged when small; the framework figures show these); a column
    still under the minimum is withheld."""
    sw = qual.site_wave_columns(register, study)
    by_group = (
        qual.group_columns(register, study.disclosure, order=study.raw.get("respondent_groups"))
        if groups
        else qual.Columns(())
    )
    everyone = qual.Column(ALL_INTERVIEWS)
    ok = everyone.size(register) >= study.disclosure.theme_min
    return qual.Columns(
        ((everyone,) if ok else ()) + sw.shown + by_group.shown,
        (() if ok else (everyone,)) + sw.withheld + by_group.withheld,
        sw.merged + by_group.merged,
    )


def _too_few(study: Study) -> pd.DataFrame:
    return note(
        f"Fewer than {study.disclosure.theme_min} interviews in every column: "
        "no theme words can be shown (disclosure control)."
    )


def themes_display(study: Study, interviews: Interviews | None, rq: str) -> pd.DataFrame:
    """Codes of one research question with how widely they came up, in words (never counts), for
    all interviews and by site and wave (:func:`theme_columns`; by respondent group in
    :func:`framework_words`); rows by prevalence across all interviews."""
    if interviews is None:
        return note(NO_INTERVIEWS)
    i = interviews
    cols = theme_columns(study, i.register)
    if not cols.shown:
        return _too_few(study)
    words = qual.column_words(i.segments, i.register, i.codebook, cols.shown, rq=rq)
    if words.empty:
        return note(f"No code in the codebook addresses RQ{rq}.")
    order = themes_by_rq(i.segments, i.register, i.codebook, rq=rq)["code_id"].tolist()
    words = words.set_index("code_id").loc[order].reset_index()
    return words.drop(columns=["rq", "code_id", "parent_id"]).rename(columns={"code_name": "Theme (code)"})


def quotes_display(study: Study, interviews: Interviews | None, rq: str, k: int = 1, limit: int = 4) -> pd.DataFrame:
    """Screened illustrative quotes, attributed by respondent group, site and wave only, coarsened
    when that would cover too few interviewees (:func:`analysis.qualitative.attribution`)."""
    if interviews is None:
        return note(NO_INTERVIEWS)
    i = interviews
    q = select_quotes(i.segments, i.register, i.codebook, rq, i.names, k=k, study=study)
    if q.empty:
        return note("No quote passed the identifier screen for this question.")
    q = q.head(limit)
    return pd.DataFrame({"Quote": [f"“{t}”" for t in q["quote"]], "Theme": q["code_name"], "Who": q["attribution"]})


def framework_words(study: Study, interviews: Interviews | None, rq: str | None = None) -> pd.DataFrame | None:
    """Codes (rows) in prevalence words for each respondent group across sites and waves (groups
    merged when small) and for each site across groups and waves: the framework behind the
    heat maps, after disclosure control."""
    if interviews is None:
        return None
    i = interviews
    groups = qual.group_columns(i.register, study.disclosure, order=study.raw.get("respondent_groups"))
    sites = qual.site_columns(i.register, study)
    cols = groups.shown + tuple(qual.Column(f"{c.label} (all groups)", c.sites) for c in sites.shown)
    if not cols:
        return None
    words = qual.column_words(i.segments, i.register, i.codebook, cols, rq=rq)
    return words.drop_duplicates("code_id").set_index("code_name")[[c.label for c in cols]]


def _names(items: Sequence[str], lower: bool = True) -> str:
    """'a', 'a and b', 'a, b and c' (each in quotes, lower-cased unless ``lower`` is false)."""
    quoted = [f"“{str(x).lower() if lower else x}”" for x in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def sites_display(study: Study, interviews: Interviews | None, rq: str) -> pd.DataFrame:
    """Codes of one research question in words for each site (all its groups and waves so far),
    sites too small for words withheld."""
    if interviews is None:
        return note(NO_INTERVIEWS)
    i = interviews
    cols = qual.site_columns(i.register, study)
    if not cols.shown:
        return _too_few(study)
    words = qual.column_words(i.segments, i.register, i.codebook, cols.shown, rq=rq)
    return words.drop(columns=["rq", "code_id", "parent_id"]).rename(columns={"code_name": "Theme (code)"})


def _site_phrase(study: Study, site_id: str) -> str:
    s = study.site(site_id)
    return f"{s.name}, where the offer was long established" if s.established else f"{s.name}, where the offer was new"


def sites_sentence(study: Study, interviews: Interviews | None, rq: str):
    """The contrast between the sites for ``rq``, in words generated from the theme table (as
    Markdown): which themes were raised more widely at each site."""
    from IPython.display import Markdown

    if interviews is None:
        return Markdown(NO_INTERVIEWS)
    i = interviews
    cols = qual.site_columns(i.register, study)
    if len(cols.shown) < 2:
        small = ", ".join(study.site(next(iter(c.sites))).name for c in cols.withheld) or "one site"
        return Markdown(
            f"The sites cannot be compared at this wave: {small} had fewer than "
            f"{study.disclosure.theme_min} interviews, too few for theme words."
        )
    words = qual.column_words(i.segments, i.register, i.codebook, cols.shown, rq=rq)
    a, b = cols.shown[0], cols.shown[1]
    more_b, more_a = qual.changed_themes(words, a.label, b.label)
    site_a, site_b = next(iter(a.sites)), next(iter(b.sites))
    parts = [f"Comparing {_site_phrase(study, site_a)}, with {_site_phrase(study, site_b)} (all interviews so far)."]
    if more_a:
        parts.append(f"raised more widely in {a.label}: {_names(more_a)}.")
    if more_b:
        parts.append(f"raised more widely in {b.label}: {_names(more_b)}.")
    same = len(words) - len(more_a) - len(more_b)
    if not more_a and not more_b:
        parts.append("every theme came up about as widely at both sites.")
    elif same:
        parts.append(f"The other {same} themes came up about as widely at both (the same prevalence word).")
    return Markdown(" ".join(p[:1].upper() + p[1:] for p in parts))


def _comparison(study: Study, interviews: Interviews, wave: str, rqs: Sequence[str] | None):
    i = interviews
    cmp = qual.compare_rounds(i.register, study, wave)
    cols = tuple(c for pair in cmp.pairs for c in pair)
    words = qual.column_words(i.segments, i.register, i.codebook, cols, rq=None if rqs is None else list(rqs))
    words = words.drop_duplicates("code_id")
    return cmp, words.reset_index(drop=True)


def change_display(
    study: Study, interviews: Interviews | None, wave: str, rqs: Sequence[str] | None = None
) -> pd.DataFrame:
    """Theme prevalence at each site's previous round beside ``wave``'s, side by side, per site
    where the theme-word minimum allows, otherwise all sites together
    (:func:`analysis.qualitative.compare_rounds`); themes of the research questions ``rqs`` (all when
    omitted)."""
    if interviews is None:
        return note(NO_INTERVIEWS)
    cmp, words = _comparison(study, interviews, wave, rqs)
    if not cmp.pairs:
        return note(_no_comparison(study, cmp, wave))
    out = words.drop(columns=["rq", "code_id", "parent_id"]).rename(columns={"code_name": "Theme (code)"})
    for before, after in cmp.pairs:
        rose, fell = qual.changed_themes(words, before.label, after.label)
        where = after.label.split(",")[0]
        out[f"Change ({where})"] = [
            "rose" if n in rose else "fell" if n in fell else "about the same" for n in words["code_name"]
        ]
    return out


def _no_comparison(study: Study, cmp: qual.Comparison, wave: str) -> str:
    if not cmp.earlier:
        return f"No site interviewed at {study.wave(wave).label} had an earlier round to compare with."
    return (
        f"Fewer than {study.disclosure.theme_min} interviews in a round, even with the sites together: "
        "no comparison can be shown (disclosure control)."
    )


def change_sentence(study: Study, interviews: Interviews | None, wave: str, rqs: Sequence[str] | None = None):
    """What changed by ``wave``, in words generated from :func:`change_display`'s comparison (as
    Markdown): which rounds are compared, per site or together and why, which themes rose or fell."""
    from IPython.display import Markdown

    if interviews is None:
        return Markdown(NO_INTERVIEWS)
    cmp, words = _comparison(study, interviews, wave, rqs)
    if not cmp.pairs:
        return Markdown(_no_comparison(study, cmp, wave))
    rounds = "; ".join(f"{study.site(s).name}: {study.wave(w).label_for(s)}" for s, w in cmp.earlier.items())
    last = study.wave(wave)
    if cmp.per_site:
        how = f"Each site is compared with its own previous round ({rounds})."
    else:
        per_site = [
            qual.Column(f"{study.site(s).name}, {study.wave(w).label_for(s)}", frozenset([s]), frozenset([w]))
            for s, w in [*cmp.earlier.items(), *((s, wave) for s in cmp.earlier)]
        ]
        small = [c.label for c in per_site if c.size(interviews.register) < study.disclosure.theme_min]
        how = (
            f"The sites are shown together: {' and '.join(small)} had fewer than {study.disclosure.theme_min} "
            f"interviews, too few for theme words per site. {last.label} is compared with each site's previous "
            f"round ({rounds})."
        )
    parts = [how]
    for before, after in cmp.pairs:
        rose, fell = qual.changed_themes(words, before.label, after.label)
        where = "" if not cmp.per_site else f"In {after.label.split(',')[0]}, "
        if rose:
            parts.append(f"{where}raised more widely at {last.label} than before: {_names(rose)}.")
        if fell:
            parts.append(f"{where}raised less widely: {_names(fell)}.")
        if not rose and not fell:
            parts.append(f"{where}every theme came up about as widely as before.")
        else:
            same = len(words) - len(rose) - len(fell)
            parts.append(f"The other {same} themes came up about as widely (the same prevalence word).")
    text = " ".join(p[:1].upper() + p[1:] for p in parts)
    return Markdown(text)


def change_quotes_display(
    study: Study, interviews: Interviews | None, wave: str, rqs: Sequence[str] | None = None, limit: int = 3
) -> pd.DataFrame:
    """Screened quotes from the earlier round and from ``wave``, on the themes that rose or fell
    (else the most widely raised), attributed as :func:`quotes_display` does."""
    if interviews is None:
        return note(NO_INTERVIEWS)
    i = interviews
    cmp, words = _comparison(study, i, wave, rqs)
    if not cmp.pairs:
        return note(_no_comparison(study, cmp, wave))
    rows = []
    for before, after in cmp.pairs:
        rose, fell = qual.changed_themes(words, before.label, after.label)
        changed = set(rose) | set(fell)
        codes = words.loc[words["code_name"].isin(changed), "code_id"] if changed else words["code_id"]
        cb = i.codebook[i.codebook["id"].isin(set(codes))].drop_duplicates("id").assign(rq="change")
        for column in (before, after):
            reg = i.register.loc[column.mask(i.register)]
            q = select_quotes(i.segments, reg, cb, "change", i.names, k=1, study=study, attribute_within=i.register)
            for r in q.head(limit).itertuples(index=False):
                rows.append(
                    {"Round": column.label, "Quote": f"“{r.quote}”", "Theme": r.code_name, "Who": r.attribution}
                )
    if not rows:
        return note("No quote passed the identifier screen for these themes.")
    return pd.DataFrame(rows).drop_duplicates("Quote").reset_index(drop=True)  # the same words once only


def theme_rule(study: Study, interviews: Interviews | None):
    """The disclosure rule for theme words and quotes as applied in this report (as Markdown):
    the minimums, and which columns were pooled, merged or withheld."""
    from IPython.display import Markdown

    d = study.disclosure
    text = (
        f"Prevalence words are counts in disguise, so no words are shown for a column (a respondent "
        f"group, a site, a wave) of fewer than {d.theme_min} interviews; this also covers “all” and "
        f"“none”, which then describe at least {d.theme_min} people. Smaller groups are merged "
        "(as set in the study configuration), a site's wave is pooled with the other site's, and a "
        f"column still too small is left out. A quote is attributed by respondent group, site and "
        f"wave only when at least {d.quote_min} interviews share that description; otherwise the "
        "wave is dropped, then the site, then the group is merged. Each interview counts as one "
        "interviewee."
    )
    if interviews is not None:
        cols = theme_columns(study, interviews.register, groups=True)
        if cols.merged:
            text += f" In this report, {_names([c.label for c in cols.merged], False)} are pooled or merged columns"
            text += "." if not cols.withheld else f"; {_names([c.label for c in cols.withheld], False)} are left out."
        elif cols.withheld:
            text += f" In this report, {_names([c.label for c in cols.withheld], False)} are left out."
    return Markdown(text)


def interviews_achieved(
    study: Study,
    wave: str,
    register: pd.DataFrame | None,
    plan: Mapping[str, Mapping[str, Mapping[str, int]]],
) -> pd.DataFrame:
    """Interviews achieved per site against the protocol's plan (``interview_plan:`` in the study
    configuration: wave -> site -> group -> number), over the waves up to ``wave``.

    Counts are per site over all waves so far (small per-wave counts would fall below the
    disclosure threshold); each wave is marked as achieved as planned or not.
    """
    rows = []
    for site in study.sites:
        waves, planned, got, short = [], 0, 0, []
        for w in study.waves_up_to(wave):
            p = sum((plan.get(w.id) or {}).get(site.id, {}).values())
            g = 0 if register is None else int(((register["site"] == site.id) & (register["wave"] == w.id)).sum())
            if p == 0 and g == 0:
                continue
            waves.append(w.label_for(site.id))
            planned, got = planned + p, got + g
            if g < p:
                short.append(w.label_for(site.id))
        if not waves:
            continue
        rows.append(
            {
                "Site": site.name,
                "Waves": ", ".join(waves),
                "Planned (protocol)": count_text(planned, study),
                "Achieved": count_text(got, study),
                "Short of plan": ", ".join(short) or "none",
            }
        )
    return pd.DataFrame(rows) if rows else note("No interviews were planned by this wave.")


SOURCE_LABELS = {
    "workers": "Workers (local authority)",
    "visits": "Case visits (local authority)",
    "survey": "Practitioner survey (Qualtrics)",
    "interviews": "Interviews (register)",
    "segments": "Coded interview segments",
}


def data_sources(study: Study, wave: str, validation: Mapping[str, dict]) -> pd.DataFrame:
    """Which sources were delivered and validated at each wave up to ``wave``, with the data cut
    date; ``validation`` holds each wave's validation summary."""
    rows = []
    for w in study.waves_up_to(wave):
        got = {t["table"] for t in validation[w.id]["tables"]}
        rows.append(
            {
                "Wave": w.label,
                "Data cut": w.date.strftime("%B %Y"),
                "Sources": "; ".join(label for t, label in SOURCE_LABELS.items() if t in got) or "none",
            }
        )
    return pd.DataFrame(rows)


def disclosure_rule(study: Study):
    """The disclosure rule as a paragraph (for the methods section): the rule of the study's
    mitigation, and how exceptions and the differencing audit work. Registered as a text output
    (its numbers are the study's settings, not counts of anyone)."""
    from IPython.display import Markdown

    text = disclosure_paragraph(study)
    oid = outputs.current_id()
    if oid is not None:
        s = study.disclosure
        outputs.register(outputs.text_number(oid, str(s.threshold), title="Disclosure threshold (methods text)"))
    return Markdown(text)


def disclosure_paragraph(study: Study) -> str:
    """The methods section's disclosure paragraph, as implemented (see ``docs/assumptions_caveats.md``)."""
    s = study.disclosure
    t = s.threshold
    reports = {1: "the report", 2: "both reports"}.get(len(study.reports), f"all {len(study.reports)} reports")
    return (
        outputs.mitigation_rule_text(s)
        + f" Before release, every table, figure, number in the text and appendix of {reports} is checked "
        f"together for differencing: no suppressed count may be narrowed to fewer than {t} possible values by "
        "combining published numbers (totals, the same people counted in two tables, the earlier report); "
        "where it could be, more is suppressed or merged. An output that fails the rule is released only under "
        "an exception approved in writing by an output checker other than the analyst who asked for it; such "
        "values carry a dagger (†) and a footnote, and the provenance appendix lists each exception."
    )
