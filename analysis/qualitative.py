"""Qualitative analysis of the coded interviews: pure functions over the tidy tables
``segments`` and ``interviews`` (the register) and the codebook (see :mod:`analysis.qda`).

- :func:`framework_matrix`: the framework (code x respondent group x site x wave), the number of
  interviews in each cell mentioning each code and the number of interviews in the cell; the
  themes below are added up from it.
- :func:`prevalence_word`: words, not small counts, for how many interviews said something.
- :func:`themes_by_rq`: for one research question or all, its codes ordered by prevalence, in words.
- :func:`screen_quote` and :func:`select_quotes`: quotes that carry no identifier, attributed by
  respondent group, site and wave only, coarsened by :func:`attribution` when that would cover too
  few interviewees.
- :func:`group_columns`, :func:`site_wave_columns`, :func:`site_columns` and :func:`column_words`:
  theme words by respondent group, site and wave under disclosure control (no words for a column of
  too few interviews; small groups merged, a small site's wave pooled over sites);
  :func:`compare_rounds` and :func:`changed_themes`: the change by the last wave.

Counts of interviews are small (4 to 12 per site and wave), so reports show the words; the counts
are for the analyst. Parent codes are *aggregated* by default: an interview that mentions a child
code (``team_cover``) mentions its parent (``facilitators``), as NVivo's aggregate option does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from analysis.config import Study

# Prevalence words: the share of interviews k/n at or above each bound (checked in this order).
# "all" needs every interview, "none" no interview; "a few" is anything above zero below 20%.
PREVALENCE_BOUNDS: tuple[tuple[Fraction, str], ...] = (
    (Fraction(3, 5), "most"),  # 60% or more (but not all)
    (Fraction(2, 5), "many"),  # 40% to under 60%
    (Fraction(1, 5), "some"),  # 20% to under 40%
)
PREVALENCE_ORDER = ("all", "most", "many", "some", "a few", "none")
MATRIX_COLUMNS = ["code_id", "code_name", "parent_id", "site", "wave", "group", "mentioning", "interviews"]
CELL = ["site", "wave", "group"]


@dataclass(frozen=True)
class Interviews:
    """The coded interviews of a report: the register and coded segments (every wave so far), the
    codebook, and the names quotes are screened for."""

    register: pd.DataFrame
    segments: pd.DataFrame
    codebook: pd.DataFrame
    names: tuple[str, ...] = ()


def prevalence_word(k: int, n: int) -> str:
    """The word for ``k`` of ``n`` interviews: all (100%), most (60% or more), many (40% or more),
    some (20% or more), a few (more than none), none.

    Parameters
    ----------
    k : int
        Interviews that mention the theme.
    n : int
        Interviews asked (the denominator), at least 1.

    Examples
    --------
    Boundaries, by hand: 3/5 = 60%, 2/5 = 40%, 1/5 = 20%, 1/6 = 16.7%.

    >>> [prevalence_word(k, 5) for k in (5, 4, 3, 2, 1, 0)]
    ['all', 'most', 'most', 'many', 'some', 'none']
    >>> prevalence_word(1, 6), prevalence_word(5, 9), prevalence_word(11, 12)
    ('a few', 'many', 'most')
    >>> prevalence_word(1, 1)
    'all'
    """
    if n <= 0 or k < 0 or k > n:
        raise ValueError(f"prevalence_word needs 0 <= k <= n and n >= 1; got k={k}, n={n}")
    if k == n:
        return "all"
    if k == 0:
        return "none"
    share = Fraction(k, n)
    for bound, word in PREVALENCE_BOUNDS:
        if share >= bound:
            return word
    return "a few"


# -- the framework -----------------------------------------------------------------------------


def _codes(codebook: pd.DataFrame) -> pd.DataFrame:
    """One row per code, in codebook order."""
    return codebook.drop_duplicates("id").reset_index(drop=True)


def _ancestors(codes: pd.DataFrame) -> dict[str, list[str]]:
    parent = dict(zip(codes["id"], codes["parent"], strict=False))
    out: dict[str, list[str]] = {}
    for cid in codes["id"]:
        chain, p = [], parent.get(cid)
        while isinstance(p, str) and p and p not in chain:
            chain.append(p)
            p = parent.get(p)
        out[cid] = chain
    return out


def _mentions(segments: pd.DataFrame, register: pd.DataFrame, codes: pd.DataFrame, aggregate: bool) -> pd.DataFrame:
    """Distinct (interview_id, code_id) pairs, parents included when ``aggregate``; only
    interviews in the register."""
    seg = segments[segments["interview_id"].isin(register["interview_id"])]
    pairs = seg[["interview_id", "code_id"]].astype(str).drop_duplicates()
    if aggregate and len(pairs):
        anc = _ancestors(codes)
        extra = [(i, a) for i, c in pairs.itertuples(index=False) for a in anc.get(c, [])]
        pairs = pd.concat([pairs, pd.DataFrame(extra, columns=["interview_id", "code_id"])]).drop_duplicates()
    return pairs.reset_index(drop=True)


def _ordered(values: pd.Series, order: Sequence[str] | None) -> list[str]:
    seen = list(dict.fromkeys(values.astype(str)))
    if not order:
        return seen
    return [v for v in order if v in seen] + [v for v in seen if v not in order]


def framework_matrix(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    aggregate: bool = True,
    order: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """The framework matrix: for every code and every (site, wave, respondent group) cell of the
    register, the number of distinct interviews mentioning the code and the number of interviews.

    Parameters
    ----------
    segments : pandas.DataFrame
        Tidy segments (``interview_id``, ``code_id``, ...).
    register : pandas.DataFrame
        Tidy register (``interview_id``, ``site``, ``wave``, ``group``).
    codebook : pandas.DataFrame
        From :func:`analysis.qda.load_codebook` (one row per code and rq is fine).
    aggregate : bool
        Count a mention of a child code as a mention of its parents too.
    order : mapping, optional
        Display order of ``site``, ``wave`` and ``group`` values (e.g. the study's wave ids);
        otherwise the order of first appearance in the register.

    Returns
    -------
    pandas.DataFrame
        Long table ``code_id, code_name, parent_id, site, wave, group, mentioning, interviews``:
        every code x every cell that has at least one interview (zeros included), codes in
        codebook order. ``mentioning`` <= ``interviews`` always.
    """
    codes = _codes(codebook)
    reg = register[["interview_id", *CELL]].astype(str).drop_duplicates("interview_id")
    cells = reg.groupby(CELL, sort=False)["interview_id"].nunique().rename("interviews").reset_index()
    pairs = _mentions(segments, reg, codes, aggregate).merge(reg, on="interview_id")
    counts = pairs.groupby(["code_id", *CELL], sort=False)["interview_id"].nunique().rename("mentioning")
    grid = codes[["id", "name", "parent"]].rename(columns={"id": "code_id", "name": "code_name", "parent": "parent_id"})
    out = grid.merge(cells, how="cross")
    out = out.merge(counts.reset_index(), on=["code_id", *CELL], how="left")
    out["mentioning"] = out["mentioning"].fillna(0).astype("int64")
    out["interviews"] = out["interviews"].astype("int64")
    order = order or {}
    code_rank = {c: i for i, c in enumerate(codes["id"])}
    keys = {col: {v: i for i, v in enumerate(_ordered(reg[col], order.get(col)))} for col in CELL}
    out = out.sort_values(
        ["code_id", *CELL], key=lambda s: s.map(code_rank if s.name == "code_id" else keys[s.name]), kind="stable"
    )
    return out[MATRIX_COLUMNS].reset_index(drop=True)


def themes_by_rq(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    rq: str | None = None,
    aggregate: bool = True,
    counts: bool = False,
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """For each research question, its codes with how widely they came up, in words.

    Parameters
    ----------
    segments, register, codebook : pandas.DataFrame
        Tidy segments, tidy register (restrict it to the waves and sites wanted first), codebook.
    rq : str, optional
        One research question (``"1b"``); all when omitted.
    aggregate : bool
        Child codes count towards their parents.
    counts : bool
        Add ``mentioning`` and ``interviews`` (for the analyst; reports show the words only).
    groups : sequence of str, optional
        Order of the per-group columns; otherwise first appearance in the register.

    Returns
    -------
    pandas.DataFrame
        ``rq, code_id, code_name, parent_id, prevalence`` (across all interviews in the register),
        then one column per respondent group (that group's word; empty when the register has no
        interview of that group); within a research question, rows are ordered by prevalence
        (share of interviews, highest first), then codebook order.
    """
    codes = _codes(codebook)
    reg = register[["interview_id", "group"]].astype(str).drop_duplicates("interview_id")
    n_all = len(reg)
    group_list = _ordered(reg["group"], groups)
    # the framework's cells partition the interviews, so adding them up counts each interview once
    matrix = framework_matrix(segments, register, codebook, aggregate)
    k_all = matrix.groupby("code_id")["mentioning"].sum()
    k_group = matrix.groupby(["code_id", "group"])["mentioning"].sum()
    n_group = reg.groupby("group")["interview_id"].nunique()
    cb = codebook if rq is None else codebook[codebook["rq"] == rq]
    rank = {c: i for i, c in enumerate(codes["id"])}
    rows = []
    for _, c in cb.iterrows():
        k = int(k_all.get(c["id"], 0))
        row = {
            "rq": c["rq"],
            "code_id": c["id"],
            "code_name": c["name"],
            "parent_id": c["parent"],
            "prevalence": prevalence_word(k, n_all) if n_all else "",
            "_share": Fraction(k, n_all) if n_all else 0,
            "_rank": rank[c["id"]],
        }
        for g in group_list:
            row[g] = prevalence_word(int(k_group.get((c["id"], g), 0)), int(n_group[g])) if g in n_group else ""
        if counts:
            row["mentioning"], row["interviews"] = k, n_all
        rows.append(row)
    cols = ["rq", "code_id", "code_name", "parent_id", "prevalence", *group_list] + (
        ["mentioning", "interviews"] if counts else []
    )
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(rows)
    out["_neg"] = [-s for s in out["_share"]]
    out = out.sort_values(["rq", "_neg", "_rank"], kind="stable")
    return out[cols].reset_index(drop=True)


# -- quotes ------------------------------------------------------------------------------------

IDENTIFIER_TYPES = ("name", "email", "phone", "postcode", "address", "date_of_birth", "reference_number")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# UK numbers: 0 or +44 (optionally "(0)") then 9 or 10 more digits, spaces, hyphens or brackets between
_PHONE = re.compile(r"(?<![\d+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)(?:\d[\s\-)]{0,2}){8,9}\d(?!\d)")
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s?\d[A-Z]{2}\b")
_STREET = (
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Close|Drive|Way|Crescent|Place|Gardens|Terrace|Court|Grove"
    r"|Hill|Square|Row|Walk|Mews|Park|Rise|Parade|Estate)"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][a-z'\-]+\s+){{1,3}}{_STREET}\b"
    rf"|\b(?:[A-Z][a-z'\-]+\s+){{1,2}}(?:Road|Street|Avenue|Lane|Close|Crescent|Gardens|Terrace|Mews)\b"
)
_DOB = re.compile(r"\b(?:born\s+(?:on|in)\b|d\.?o\.?b\b|date\s+of\s+birth|birthday)", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"(?<!\d)\d{6,}(?!\d)")
_ROLE = (
    r"(?:(?:team|line|service|practice|deputy|assistant|senior)\s+)?"
    r"(?:manager|colleague|supervisor|boss|leader|social\s+worker|practitioner|director|head\s+of\s+service"
    r"|husband|wife|partner|son|daughter|mum|mother|dad|father|friend|child|sister|brother)"
)
_NAME_CUES = re.compile(
    rf"\b(?:my|our|his|her|their|the)\s+{_ROLE}\b[\s,:(\-]*(?:(?:is|was|called|named)\s+)?([A-Z][a-z'\-]+)"
    r"|\b(?:called|named)\s+([A-Z][a-z'\-]+)"
    r"|\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+([A-Z][a-z'\-]+)",
    re.IGNORECASE,
)
# Capitalised words after a cue that are not names
_NOT_NAMES = {
    "i",
    "i'm",
    "i've",
    "i'd",
    "he",
    "she",
    "they",
    "we",
    "it",
    "you",
    "and",
    "but",
    "so",
    "the",
    "then",
    "when",
    "if",
    "because",
    "who",
    "that",
    "this",
    "there",
    "as",
    "at",
    "in",
    "on",
    "for",
    "to",
    "or",
    "not",
    "just",
    "also",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "covid",
    "hr",
    "team",
    "is",
    "was",
    "has",
    "had",
    "would",
    "said",
    "says",
    "does",
    "did",
    "can",
    "could",
    "will",
    "really",
    "always",
    "never",
}


def screen_quote(text: str, names: Iterable[str] = ()) -> list[str]:
    """The kinds of identifier found in ``text``: ``name`` (a listed name, or a capitalised word
    after "my manager", "my colleague", "called", "Mrs" ...), ``email``, ``phone`` (UK numbers),
    ``postcode``, ``address`` (house number and street, or a named street), ``date_of_birth``
    ("born on", "DOB", "date of birth", "birthday"), ``reference_number`` (six or more digits,
    e.g. a case number). An empty list means the quote passed the screen.

    The screen errs towards caution: a quote it flags is not shown, even if the flag is wrong.

    Examples
    --------
    >>> screen_quote("Having Fridays off has made a real difference to my week.")
    []
    >>> screen_quote("My manager Rowena agreed it; ring me on 07700 900123.")
    ['name', 'phone']
    >>> screen_quote("Send it to a.person@example.org", names=["Obi"])
    ['email']
    """
    found: set[str] = set()
    names = [n for n in names if n and n.strip()]
    if names:
        alt = "|".join(re.escape(n.strip()) for n in sorted(set(names), key=len, reverse=True))
        if re.search(rf"(?<![\w]){alt}(?![\w])", text):
            found.add("name")
    for m in _NAME_CUES.finditer(text):
        cand = next(g for g in m.groups() if g)
        if cand[0].isupper() and cand.lower() not in _NOT_NAMES:
            found.add("name")
    rest = text
    if _EMAIL.search(rest):
        found.add("email")
        rest = _EMAIL.sub(" ", rest)
    if _PHONE.search(rest):
        found.add("phone")
        rest = _PHONE.sub(" ", rest)
    if _POSTCODE.search(rest):
        found.add("postcode")
    if _ADDRESS.search(rest):
        found.add("address")
    if _DOB.search(rest):
        found.add("date_of_birth")
    if _LONG_NUMBER.search(rest):
        found.add("reference_number")
    return [t for t in IDENTIFIER_TYPES if t in found]


def _tidy_quote(text: str) -> str:
    return " ".join(str(text).split())


def _stable_key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()


def select_quotes(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    rq: str,
    names: Iterable[str],
    k: int = 2,
    *,
    study: Study,
    min_chars: int = 40,
    max_chars: int = 400,
    attribute_within: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Illustrative quotes for a research question that pass :func:`screen_quote`.

    For each code of ``rq`` (most prevalent first) up to ``k`` quotes, from segments coded to
    that code directly; at most one quote per interview across the whole research question, and
    never the same words twice; different respondent groups preferred. The choice is deterministic (a hash of interview,
    code and position orders the candidates, so it does not favour the first transcripts).

    Parameters
    ----------
    segments, register, codebook : pandas.DataFrame
        Tidy segments, tidy register, codebook.
    rq : str
        Research question id, e.g. ``"1b"``.
    names : iterable of str
        Names to screen for (staff lists, the synthetic name list).
    k : int
        Quotes per code at most.
    study : Study
        For site names and wave labels in the attribution, and the disclosure rule for it.
    min_chars, max_chars : int
        Quotes shorter or longer than this (after tidying white space) are not used.
    attribute_within : pandas.DataFrame, optional
        The register an attribution must cover enough interviews of (all the report's
        interviews), when quotes are chosen from part of it; ``register`` by default.

    Returns
    -------
    pandas.DataFrame
        ``rq, code_id, code_name, quote, attribution``; the attribution is
        ``"<Group>, <Site name>, <wave label>"``, coarsened by :func:`attribution` when that covers
        fewer than ``study.disclosure.quote_min`` interviews, and never an interview id.
        ``.attrs["screened_out"]`` counts candidate quotes held back by the screen.
    """
    within = register if attribute_within is None else attribute_within
    names = list(names)
    cols = ["rq", "code_id", "code_name", "quote", "attribution"]
    order = themes_by_rq(segments, register, codebook, rq=rq)
    reg = register[["interview_id", *CELL]].astype(str).drop_duplicates("interview_id")
    seg = segments.merge(reg, on="interview_id")
    seg = seg.assign(quote=seg["text"].fillna("").map(_tidy_quote))
    seg = seg.loc[seg["quote"].str.len().between(min_chars, max_chars).astype(bool)]
    flags = seg["quote"].map(lambda t: bool(screen_quote(t, names))).astype(bool)
    screened_out = int(flags.sum())
    seg = seg.loc[~flags]
    keys = zip(seg["interview_id"], seg["code_id"], seg["start"], strict=False)
    seg = seg.assign(_key=[_stable_key(i, c, s) for i, c, s in keys])
    seg = seg.sort_values("_key", kind="stable")
    used: set[str] = set()  # interviews quoted (one quote each at most)
    used_text: set[str] = set()  # the same words are not quoted twice
    rows = []
    for code in order.itertuples(index=False):
        cand = seg[seg["code_id"] == code.code_id]
        picked: list[pd.Series] = []
        groups_seen: set[str] = set()
        for prefer_new_group in (True, False):
            for _, r in cand.iterrows():
                if len(picked) >= k:
                    break
                if (
                    r["interview_id"] in used
                    or r["quote"] in used_text
                    or (prefer_new_group and r["group"] in groups_seen)
                ):
                    continue
                picked.append(r)
                used.add(r["interview_id"])
                used_text.add(r["quote"])
                groups_seen.add(r["group"])
        for r in picked:
            rows.append(
                {
                    "rq": rq,
                    "code_id": code.code_id,
                    "code_name": code.code_name,
                    "quote": r["quote"],
                    "attribution": attribution(within, r["group"], r["site"], r["wave"], study),
                }
            )
    out = pd.DataFrame(rows, columns=cols)
    out.attrs["screened_out"] = screened_out
    return out


# -- disclosure control for theme words and quotes ---------------------------------------------
#
# Prevalence words are counts in disguise: over a column of 2 interviews, "all" is 2, "many" is 1
# and "none" is 0. So no words are shown for a column (a respondent group, a site, a wave, or a
# combination) of fewer interviews than ``Disclosure.theme_min``: groups are merged first (by the
# study's ``merge_groups`` rules, in order), a site's wave is pooled with the other sites', and a
# column still too small is withheld. "All" and "none" are the 100% and 0% cells the zero rule is
# about; the column minimum covers them too (they describe at least ``theme_min`` people). A
# quote's attribution names only a group, site and wave that cover at least ``Disclosure.quote_min``
# interviews, else it is coarsened: the wave is dropped, then the site, then groups are merged.
# The register has one row per interview; each interview is taken as one interviewee.


@dataclass(frozen=True)
class Column:
    """A column of a theme table: the interviews of the register in these sites, waves and
    respondent groups (``None``: all of them), with its heading."""

    label: str
    sites: frozenset[str] | None = None
    waves: frozenset[str] | None = None
    groups: frozenset[str] | None = None
    site_waves: frozenset[tuple[str, str]] | None = None  # only these (site, wave) pairs

    def mask(self, register: pd.DataFrame) -> pd.Series:
        """The register's rows in this column."""
        keep = pd.Series(True, index=register.index)
        for col, values in (("site", self.sites), ("wave", self.waves), ("group", self.groups)):
            if values is not None:
                keep &= register[col].astype(str).isin(values)
        if self.site_waves is not None:
            pairs = zip(register["site"].astype(str), register["wave"].astype(str), strict=True)
            keep &= pd.Series([p in self.site_waves for p in pairs], index=register.index, dtype=bool)
        return keep

    def size(self, register: pd.DataFrame) -> int:
        """Interviews in this column."""
        return int(register.loc[self.mask(register), "interview_id"].nunique())


@dataclass(frozen=True)
class Columns:
    """The columns a theme table shows, and what disclosure control did to get them."""

    shown: tuple[Column, ...]
    withheld: tuple[Column, ...] = ()  # below the minimum even after merging or pooling
    merged: tuple[Column, ...] = ()  # shown columns that merge groups or pool sites


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _merge_rules(disclosure) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(getattr(disclosure, "merge_groups", ()) or ())


def group_columns(
    register: pd.DataFrame,
    disclosure,
    *,
    sites: Iterable[str] | None = None,
    waves: Iterable[str] | None = None,
    order: Sequence[str] | None = None,
    prefix: str = "",
) -> Columns:
    """One column per respondent group (within ``sites`` and ``waves``), with groups of fewer than
    ``disclosure.theme_min`` interviews merged by ``disclosure.merge_groups`` (each rule in order,
    when a column inside it is too small: every column inside the rule becomes one); a column still
    too small is withheld.

    Examples
    --------
    By hand: 6 team managers, 2 service leaders, 4 recent users, 8 regular users; minimum 5.
    Service leaders (2) merge with team managers (8); recent users (4) with regular users (12).

    >>> from analysis.config import Disclosure
    >>> d = Disclosure(10, 2, 0.9, 0.1, theme_min=5, merge_groups=(
    ...     ("managers and leaders", ("team manager", "service leader")),
    ...     ("users", ("regular user", "recent user"))))
    >>> groups = ["team manager"] * 6 + ["service leader"] * 2 + ["recent user"] * 4 + ["regular user"] * 8
    >>> reg = pd.DataFrame({"interview_id": range(20), "site": "a", "wave": "w", "group": groups})
    >>> [c.label for c in group_columns(reg, d).shown]
    ['Managers and leaders', 'Users']
    """
    base = Column("", frozenset(sites) if sites is not None else None, frozenset(waves) if waves is not None else None)
    reg = register.loc[base.mask(register)]
    minimum = disclosure.theme_min
    present = _ordered(reg["group"], order)

    def col(name: str, groups: Iterable[str]) -> Column:
        return Column(f"{prefix}{_cap(name)}", base.sites, base.waves, frozenset(groups))

    cols = [col(g, [g]) for g in present]
    merged: set[Column] = set()
    for name, members in _merge_rules(disclosure):
        inside = [c for c in cols if c.groups <= set(members)]
        if len(inside) < 2 or all(c.size(reg) >= minimum for c in inside):
            continue
        union = frozenset().union(*(c.groups for c in inside))
        new = col(name, union)
        at = cols.index(inside[0])
        cols = [c for c in cols if c not in inside]
        cols.insert(at, new)
        merged.add(new)
    shown = tuple(c for c in cols if c.size(reg) >= minimum)
    withheld = tuple(c for c in cols if c.size(reg) < minimum)
    return Columns(shown, withheld, tuple(c for c in shown if c in merged))


def site_wave_columns(register: pd.DataFrame, study: Study, minimum: int | None = None) -> Columns:
    """One column per site and wave that has interviews (waves in study order), headed
    "<Site>, <the site's label for the wave>". A wave in which any site has fewer than ``minimum``
    interviews (default ``study.disclosure.theme_min``) is shown as one column for all its sites
    ("Both sites, <wave>"), withheld if that is still too small."""
    minimum = study.disclosure.theme_min if minimum is None else minimum
    reg = register.astype({"site": str, "wave": str})
    site_ids = [s.id for s in study.sites]
    shown: list[Column] = []
    withheld: list[Column] = []
    merged: list[Column] = []
    for w in study.waves:
        here = [s for s in _ordered(reg.loc[reg["wave"] == w.id, "site"], site_ids)]
        if not here:
            continue
        cells = [
            Column(f"{study.site(s).name if s in site_ids else s}, {w.label_for(s)}", frozenset([s]), frozenset([w.id]))
            for s in here
        ]
        if all(c.size(reg) >= minimum for c in cells):
            shown.extend(cells)
            continue
        everyone = "Both sites" if len(here) == 2 else "All sites"
        pooled = Column(f"{everyone}, {w.label}", frozenset(here), frozenset([w.id])) if len(here) > 1 else cells[0]
        if pooled.size(reg) >= minimum:
            shown.append(pooled)
            merged.append(pooled)
        else:
            withheld.append(pooled)
    return Columns(tuple(shown), tuple(withheld), tuple(merged))


def site_columns(register: pd.DataFrame, study: Study, minimum: int | None = None) -> Columns:
    """One column per site (all its waves and groups in the register); a site with fewer than
    ``minimum`` interviews is withheld."""
    minimum = study.disclosure.theme_min if minimum is None else minimum
    reg = register.astype({"site": str})
    cols = [
        Column(study.site(s).name if s in {x.id for x in study.sites} else s, frozenset([s]))
        for s in _ordered(reg["site"], [x.id for x in study.sites])
    ]
    return Columns(tuple(c for c in cols if c.size(reg) >= minimum), tuple(c for c in cols if c.size(reg) < minimum))


def column_words(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    columns: Sequence[Column],
    rq: str | Sequence[str] | None = None,
    aggregate: bool = True,
    counts: bool = False,
) -> pd.DataFrame:
    """Each code (of ``rq``, one or several research questions, or all) with its prevalence word
    in each column: ``rq, code_id, code_name, parent_id`` then one column per :class:`Column`
    label, rows in codebook order. Call it with columns that passed disclosure control
    (:func:`group_columns`, :func:`site_wave_columns`, :func:`site_columns`).

    With ``counts``, the words are replaced by ``(mentioning, interviews)`` pairs: the counts
    behind them, for the analyst and for output checking, never for a report.
    """
    matrix = framework_matrix(segments, register, codebook, aggregate)
    cb = codebook
    if rq is not None:
        wanted = {rq} if isinstance(rq, str) else set(rq)
        cb = codebook[codebook["rq"].isin(wanted)]
    rows = []
    for _, c in cb.iterrows():
        row = {"rq": c["rq"], "code_id": c["id"], "code_name": c["name"], "parent_id": c["parent"]}
        cells = matrix[matrix["code_id"] == c["id"]]
        for column in columns:
            inside = cells.loc[column.mask(cells)]
            k, n = int(inside["mentioning"].sum()), int(inside["interviews"].sum())
            row[column.label] = (k, n) if counts else (prevalence_word(k, n) if n else "")
        rows.append(row)
    return pd.DataFrame(rows, columns=["rq", "code_id", "code_name", "parent_id", *[c.label for c in columns]])


LEVEL = {w: i for i, w in enumerate(reversed(PREVALENCE_ORDER))}  # none 0 ... all 5


def changed_themes(words: pd.DataFrame, before: str, after: str) -> tuple[list[str], list[str]]:
    """The themes (``code_name``) whose word is higher (rose) and lower (fell) in column ``after``
    than in ``before``, in table order. Words are ordered none < a few < some < many < most < all.

    >>> w = pd.DataFrame({"code_name": ["A", "B", "C"], "x": ["some", "most", "all"], "y": ["many", "most", "a few"]})
    >>> changed_themes(w, "x", "y")
    (['A'], ['C'])
    """
    b, a = words[before].map(LEVEL), words[after].map(LEVEL)
    return words.loc[a > b, "code_name"].tolist(), words.loc[a < b, "code_name"].tolist()


@dataclass(frozen=True)
class Comparison:
    """An earlier round of interviews set against the last wave's: the columns to compare (earlier,
    later pairs), whether they are per site, and the sites' previous rounds."""

    pairs: tuple[tuple[Column, Column], ...]
    per_site: bool
    earlier: Mapping[str, str]  # site id -> the wave id of its previous round


def compare_rounds(register: pd.DataFrame, study: Study, wave: str) -> Comparison:
    """Which interviews to compare, for the change by ``wave``: each site interviewed at ``wave``
    against its own previous round (the latest earlier wave with interviews at that site). Per
    site when every such column has at least ``study.disclosure.theme_min`` interviews; otherwise
    all those sites together (each site's previous round against ``wave``), which may itself be
    too small (then ``pairs`` is empty)."""
    minimum = study.disclosure.theme_min
    reg = register.astype({"site": str, "wave": str})
    order = [w.id for w in study.waves_up_to(wave)]
    earlier: dict[str, str] = {}
    for s in _ordered(reg.loc[reg["wave"] == wave, "site"], [x.id for x in study.sites]):
        before = [w for w in order[:-1] if ((reg["site"] == s) & (reg["wave"] == w)).any()]
        if before:
            earlier[s] = before[-1]
    last = study.wave(wave)
    if not earlier:
        return Comparison((), False, {})
    per_site = tuple(
        (
            Column(f"{study.site(s).name}, {study.wave(w).label_for(s)}", frozenset([s]), frozenset([w])),
            Column(f"{study.site(s).name}, {last.label_for(s)}", frozenset([s]), frozenset([wave])),
        )
        for s, w in earlier.items()
    )
    if all(c.size(reg) >= minimum for pair in per_site for c in pair):
        return Comparison(per_site, True, earlier)
    everyone = (
        "Both sites"
        if len(earlier) == 2
        else ("All sites" if len(earlier) > 2 else study.site(next(iter(earlier))).name)
    )
    # each site's own previous round only: a site's other earlier waves are left out
    before = Column(f"{everyone}, previous round", site_waves=frozenset(earlier.items()))
    after = Column(f"{everyone}, {last.label}", frozenset(earlier), frozenset([wave]))
    if before.size(reg) < minimum or after.size(reg) < minimum:
        return Comparison((), False, earlier)
    return Comparison(((before, after),), False, earlier)


def attribution(
    register: pd.DataFrame, group: str, site: str, wave: str, study: Study, minimum: int | None = None
) -> str:
    """How a quote from an interview of ``group`` at ``site`` in ``wave`` is attributed: by group,
    site and wave when the register holds at least ``minimum`` (default
    ``study.disclosure.quote_min``) such interviews; otherwise coarsened: without the wave, then
    without the site, then with the group merged (``study.disclosure.merge_groups``, in order);
    "Interviewee" when nothing narrower covers enough interviews."""
    minimum = study.disclosure.quote_min if minimum is None else minimum
    reg = register.astype({"site": str, "wave": str, "group": str})
    site_name = {s.id: s.name for s in study.sites}.get(site, site)
    wave_label = study.wave(wave).label_for(site) if wave in study.wave_ids else wave
    g = _cap(group)
    ladder = [
        (f"{g}, {site_name}, {wave_label}", Column("", frozenset([site]), frozenset([wave]), frozenset([group]))),
        (f"{g}, {site_name}", Column("", frozenset([site]), None, frozenset([group]))),
        (g, Column("", None, None, frozenset([group]))),
    ]
    ladder += [
        (_cap(name), Column("", None, None, frozenset(members)))
        for name, members in _merge_rules(study.disclosure)
        if group in members
    ]
    for text, column in ladder:
        if column.size(reg) >= minimum:
            return text
    return "Interviewee"
