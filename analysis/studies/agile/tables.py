"""The agile study's report tables (issue 13, section 3): pure builders, data frames in and data
frames out, no file opened.

Every count from the observation log goes through the engine's disclosure control
(:func:`analysis.disclose.suppress_counts`, :func:`analysis.disclose.share`) with the study's
settings; every theme is described in prevalence words (:func:`analysis.qualitative.prevalence_word`
over :func:`analysis.qualitative.framework_matrix`), never counts; quotes pass
:func:`analysis.qualitative.screen_quote`.

Each table has a counts function (``*_counts``: the numbers behind it) and a display function
(``*_display``: what a report shows, after disclosure control). A count table's display carries its
output record (:func:`analysis.tables.with_output`: each cell as published, the rule that suppressed
it, the true count behind it, and the table as it would be released under an approved exception),
which :func:`analysis.tables.show` registers for output checking; the theme and quote tables, which
hold words only, are registered as printed. Every builder takes ``site`` (an authority id): the same
table for one authority's case study.

Rules for interviews (the flexitime study's ``disclosure:`` keys, read from the study
configuration until the engine's :class:`~analysis.config.Disclosure` carries them):

- ``theme_min_interviewees`` (default 5): no prevalence words for a column of fewer interviewees;
  roles too small are first merged by ``merge_groups`` (each rule in order, when a column inside it
  is too small: every column inside the rule becomes one); a column still too small is left out.
- ``quote_min_interviewees`` (default 3): a quote is attributed by role and authority only when
  that covers at least this many interviewees; otherwise by role only, then by a merged group
  (``merge_groups``), else "Interviewee". Never by phase or interview.

Agile versions of engine functions (the engine's cannot serve as they stand): :func:`role_columns`
and :func:`coarse_attribution` follow the rules the flexitime study is adopting for theme words and
quote attribution (issue 12, section 5); :func:`select_quotes` chooses quotes as
:func:`analysis.qualitative.select_quotes` does but keeps who said each (role and authority), which
the coarse attribution needs.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis import disclose, outputs
from analysis.config import Study
from analysis.errors import ConfigError
from analysis.qualitative import PREVALENCE_ORDER, framework_matrix, prevalence_word, screen_quote, themes_by_rq
from analysis.stats import wilson
from analysis.studies.agile.schemas import practitioner_roles, split_values, vocabulary
from analysis.tables import NOT_REPORTABLE, ReportTable, disclosed, with_output

THEME = "Theme"
ALL_INTERVIEWS = "All interviews"
TOO_FEW = "too few interviewees"


# -- settings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterviewRules:
    """Disclosure rules for interview findings (see the module docstring)."""

    theme_min: int = 5
    quote_min: int = 3
    merge_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()


def interview_rules(study: Study) -> InterviewRules:
    """The study's rules: from its ``Disclosure`` when the engine carries them, else from the
    configuration's ``disclosure:`` mapping (same keys as the flexitime study's)."""
    d = study.disclosure
    if hasattr(d, "theme_min") and hasattr(d, "quote_min"):
        return InterviewRules(int(d.theme_min), int(d.quote_min), tuple(getattr(d, "merge_groups", ()) or ()))
    return rules_from_config(study.raw.get("disclosure") or {})


def rules_from_config(raw: dict) -> InterviewRules:
    """The rules from a ``disclosure:`` mapping, checked (a clear message names the bad key)."""
    merges = []
    for k, rule in enumerate(raw.get("merge_groups") or ()):
        if (
            not isinstance(rule, dict)
            or not str(rule.get("name") or "").strip()
            or not isinstance(rule.get("groups"), list)
        ):
            raise ConfigError(
                f"study configuration: disclosure.merge_groups[{k}] needs `name:` and `groups:` (a list of roles), "
                f"got {rule!r}."
            )
        merges.append((str(rule["name"]).strip(), tuple(str(g) for g in rule["groups"])))
    mins = []
    for key, default in (("theme_min_interviewees", 5), ("quote_min_interviewees", 3)):
        v = raw.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"study configuration: disclosure.{key} must be a whole number, 1 or more, got {v!r}.")
        mins.append(v)
    return InterviewRules(mins[0], mins[1], tuple(merges))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- observations ------------------------------------------------------------------------------------

TOTAL_ROW = {"activity": "All activities", "setting": "All settings", "phase": "All phases"}


def _for_site(frame: pd.DataFrame, column: str, site: str | None) -> pd.DataFrame:
    return frame if site is None else frame.loc[frame[column].astype(str) == site]


def _categories(values: Iterable[str], configured: Sequence[str]) -> list[str]:
    seen = list(dict.fromkeys(str(v) for v in values))
    return list(configured) + [v for v in seen if v not in configured]


def _rows(o: pd.DataFrame, study: Study, by: str) -> tuple[pd.Series, list[str]]:
    """Each observation's row (its activity, setting or phase label) and the rows in order: every
    configured value, then any other found."""
    if by == "phase":
        labels = {w.id: w.label for w in study.waves}
        values = o["phase"].astype(str).map(lambda p: labels.get(p, p))
        return values, _categories(values, [w.label for w in study.waves])
    if by not in TOTAL_ROW:
        raise ValueError(f"by must be one of {', '.join(TOTAL_ROW)}; got {by!r}.")
    key = {"activity": "activities", "setting": "settings"}[by]
    return o[by].astype(str), _categories(o[by], vocabulary(study)[key])


def mode_counts(obs: pd.DataFrame, study: Study, by: str = "activity", site: str | None = None) -> pd.DataFrame:
    """Observations using each communication mode, by activity or setting.

    An observation can use several modes, so it counts once in every mode it used: the mode
    columns do not add up across a row. ``Observations`` is the number of observations in the row;
    the last row (``All activities`` / ``All settings``) adds up each column, since every
    observation has one activity and one setting. Every configured category is a row (zeros
    included), then any other found.
    """
    v = vocabulary(study)
    o = _for_site(obs, "authority", site)
    modes = list(v["modes"])
    values, rows = _rows(o, study, by)
    out = pd.DataFrame(0, index=pd.Index(rows, name=_cap(by)), columns=["Observations", *modes], dtype="int64")
    for cat, cell in zip(values, o["modes"], strict=True):
        out.loc[cat, "Observations"] += 1
        for m in dict.fromkeys(split_values(cell, (";",))):
            if m in out.columns:
                out.loc[cat, m] += 1
    out.loc[TOTAL_ROW[by]] = out.sum()
    out.columns = ["Observations", *[_cap(m) for m in modes]]
    return out


def _capitalise_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The first column (row labels: activities, settings) with a capital first letter."""
    return frame.assign(**{frame.columns[0]: frame.iloc[:, 0].map(lambda v: _cap(str(v)))})


def relabel(d: disclose.DisclosedTable, index: Mapping[str, str] | None = None, columns=None):
    """``d`` with its row (and column) labels renamed in every part (display, numbers, mask, reasons)."""
    frames = {f: getattr(d, f).rename(index=index or {}, columns=columns or {}) for f in _FRAMES}
    return dataclasses.replace(d, **frames)


_FRAMES = ("display", "numeric", "mask", "cell_reasons")


def registered(d: disclose.DisclosedTable, true: pd.DataFrame, extra: Sequence[outputs.Cell] = ()) -> ReportTable:
    """The disclosed table as printed (its index as the first column), carrying its output record:
    each cell with its reasons and, where suppressed, the true count (``true``: the counts with any
    totals, labelled as ``d.display``); ``extra``: cells of columns the printed table adds after the
    counts (e.g. a share), as published. Under an approved exception the released table shows the
    true counts (:func:`analysis.outputs.released_display`)."""
    true = true.reindex(index=d.display.index, columns=d.display.columns)
    shown = d.display.reset_index()
    extra_cols = list(dict.fromkeys(c.column for c in extra))
    if extra_cols:
        shown = shown.join(_extra_frame(extra, d.display.index, extra_cols), on=shown.columns[0])
    released = None
    if d.mask.to_numpy().any():
        released = outputs.released_display(d, true).reset_index()
        if extra_cols:
            released = released.join(_extra_frame(extra, d.display.index, extra_cols), on=released.columns[0])

    def build(oid: str, rel: bool) -> outputs.Output:
        o = outputs.from_disclosed(oid, d, title=oid, true_values=true, released=rel)
        if not extra:
            return o
        return dataclasses.replace(o, columns=(*o.columns, *extra_cols), cells=(*o.cells, *extra))

    return with_output(shown, build, released)


def _extra_frame(cells: Sequence[outputs.Cell], index: pd.Index, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame("", index=[str(i) for i in index], columns=columns, dtype=object)
    for c in cells:
        frame.loc[c.row, c.column] = c.value
    return frame


NARROWING = "secondary (a published total would narrow the suppressed cells it adds up: differencing)"


def close_differencing(
    d: disclose.DisclosedTable, threshold: int, row_total: str | None = None, column_total: str | None = None
) -> disclose.DisclosedTable:
    """``d`` with the totals suppressed that would let a reader narrow its own suppressed cells.

    Primary and secondary suppression keep any one suppressed cell from being worked out exactly,
    but a total of two small cells still narrows them: 15 = a + b with a and b each under 10 pins
    both to 6..9. The engine's differencing audit (:class:`analysis.differencing.Model`, the rule
    output checking applies) is run on the table as published; while a suppressed cell fails it, the
    total of its column (``row_total``: the label of the total row), else of its row
    (``column_total``: the label of the total column), else the grand total, else the largest count
    still shown in its row or column is suppressed too, as a secondary suppression, and the audit
    run again.
    """
    from analysis.differencing import Model

    for _ in range(d.display.size):
        model = Model(threshold)
        model.add_table(
            "table",
            d.display,
            cell_reasons=d.cell_reasons,
            row_total=row_total if row_total in d.display.index and len(d.display.index) > 1 else None,
            column_total=column_total if column_total in d.display.columns and len(d.display.columns) > 1 else None,
        )
        failing = [r for r in model.audit(culprits=False) if r.fails]
        rows, cols = {str(r): r for r in d.display.index}, {str(c): c for c in d.display.columns}
        # one more cell per failing cell: the total of its column, else of its row, else the grand
        # total, else the largest count shown in its row or column (re-audited each round)
        targets: set[tuple] = set()
        for r in failing:
            if r.row not in rows or r.column not in cols:
                continue
            row, col = rows[r.row], cols[r.column]
            candidates = [(row_total, col), (row, column_total), (row_total, column_total)]
            candidates = [t for t in candidates if t[0] in d.display.index and t[1] in d.display.columns]
            if not any(t in targets for t in candidates):
                free = [t for t in candidates if not d.mask.loc[t]]
                line = [(row, c) for c in d.display.columns] + [(i, col) for i in d.display.index]
                # (a zero still shown is a structural zero: never suppressed)
                shown = [t for t in line if not d.mask.loc[t] and pd.notna(d.numeric.loc[t]) and d.numeric.loc[t] > 0]
                free = free or sorted(shown, key=lambda t: -float(d.numeric.loc[t]))
                if free:
                    targets.add(free[0])
        if not targets:
            return d
        display, mask, codes = d.display.copy(), d.mask.copy(), d.cell_reasons.copy()
        numeric = d.numeric.copy()
        for t in targets:
            display.loc[t], mask.loc[t], codes.loc[t], numeric.loc[t] = f"<{threshold}", True, NARROWING, float("nan")
        n = len(targets)
        why = f"{n} more cell{'s' if n > 1 else ''} suppressed so that the totals do not narrow the suppressed cells "
        why += "(secondary: differencing)"
        d = dataclasses.replace(
            d, display=display, mask=mask, cell_reasons=codes, numeric=numeric, reasons=[*d.reasons, why]
        )
    return d


def _structural_modes(counts: pd.DataFrame, study: Study, by: str) -> pd.DataFrame | None:
    """Cells that are zero by the observation log's rules: no in-person mode in the online setting
    (rule ``online_not_in_person``), shown as 0 rather than suppressed."""
    if by != "setting":
        return None
    v = vocabulary(study)
    in_person = next((_cap(m) for m in v["modes"] if m.replace("-", " ") == "in person"), None)
    online = next((s for s in v["settings"] if s == "online"), None)
    mask = pd.DataFrame(False, index=counts.index, columns=counts.columns)
    if in_person in mask.columns and online in mask.index:
        mask.loc[online, in_person] = True
    return mask


def modes_disclosed(
    obs: pd.DataFrame, study: Study, by: str = "activity", site: str | None = None
) -> disclose.DisclosedTable:
    """:func:`mode_counts` after disclosure control: each column protected against its total (no
    total across modes is added: it would count observations more than once)."""
    counts = mode_counts(obs, study, by, site)
    d = disclose.suppress_counts(
        counts, study.disclosure, totals=False, structural_zeros=_structural_modes(counts, study, by)
    )
    return close_differencing(d, study.disclosure.threshold, row_total=TOTAL_ROW[by])


def modes_display(obs: pd.DataFrame, study: Study, by: str = "activity", site: str | None = None) -> ReportTable:
    """Observed communication modes by activity (or setting), counts disclosed, with its output record."""
    counts = mode_counts(obs, study, by, site)
    d = modes_disclosed(obs, study, by, site)
    names = {r: _cap(str(r)) for r in counts.index}
    return registered(relabel(d, names), counts.rename(index=names))


def synchrony_counts(obs: pd.DataFrame, study: Study, by: str = "activity", site: str | None = None) -> pd.DataFrame:
    """Observations by activity (or setting) and whether their communication was synchronous,
    asynchronous or both (one value per observation, so rows and columns add up)."""
    v = vocabulary(study)
    o = _for_site(obs, "authority", site)
    values, rows = _rows(o, study, by)
    cols = _categories(o["synchrony"], v["synchrony"])
    out = pd.crosstab(values, o["synchrony"].astype(str)).reindex(index=rows, columns=cols, fill_value=0)
    out.index.name, out.columns.name = _cap(by), None
    out.columns = [_cap(c) for c in out.columns]
    return out.astype("int64")


def synchrony_groups(study: Study) -> dict[str, tuple[str, ...]]:
    """The columns of the synchrony tables: ``observation.synchrony_display`` (column -> the values
    of ``observation.synchrony`` it adds up), else one column per value. Collapsing (e.g. asynchronous
    and both as "asynchronous, wholly or in part") lets more counts survive disclosure control.

    Raises
    ------
    ConfigError
        A value is in no column or in two, or a column names a value that is not configured.
    """
    values = list(vocabulary(study)["synchrony"])
    groups = (study.raw.get("observation") or {}).get("synchrony_display")
    if not groups:
        return {_cap(v): (v,) for v in values}
    if not isinstance(groups, dict):
        raise ConfigError("study configuration: observation.synchrony_display must map a column name to values.")
    out = {str(k): tuple(str(v) for v in (vs if isinstance(vs, list) else [vs])) for k, vs in groups.items()}
    listed = [v for vs in out.values() for v in vs]
    if sorted(listed) != sorted(values):
        raise ConfigError(
            "study configuration: observation.synchrony_display must put each of observation.synchrony "
            f"({', '.join(values)}) in exactly one column; it lists {', '.join(listed) or 'nothing'}."
        )
    return out


def synchrony_display(
    obs: pd.DataFrame, study: Study, by: str = "activity", site: str | None = None, total_only: bool = False
) -> ReportTable:
    """Synchronous against asynchronous communication, by activity (or setting, or phase), in the
    columns of :func:`synchrony_groups`, with totals, counts disclosed (primary and secondary
    suppression), with its output record. ``total_only``: the total row alone (``All phases`` ...):
    for one authority, where each phase's split is a few observations either side, and the
    fieldwork table gives each phase's observations (their total less one side would give the other)."""
    three = synchrony_counts(obs, study, by, site)
    if total_only:
        three = three.sum().to_frame(TOTAL_ROW[by]).T.rename_axis(three.index.name)
    counts = pd.DataFrame(
        {
            col: three[[_cap(v) for v in vs if _cap(v) in three.columns]].sum(axis=1)
            for col, vs in synchrony_groups(study).items()
        }
    ).astype("int64")
    d = disclose.suppress_counts(counts, study.disclosure, totals=True)
    d = close_differencing(d, study.disclosure.threshold, row_total="Total", column_total="Total")
    names = {r: _cap(str(r)) for r in counts.index if r != TOTAL_ROW[by]} | {"Total": TOTAL_ROW[by]}
    columns = {"Total": "All observations"}
    true = outputs.add_totals(counts).rename(index=names, columns=columns)
    return registered(relabel(d, names, columns), true)


def meeting_activities(study: Study) -> tuple[str, ...]:
    """The activities that are meetings (``observation.meeting_activities``)."""
    return tuple((study.raw.get("observation") or {}).get("meeting_activities") or ())


def professional_roles(study: Study) -> tuple[str, ...]:
    """Who counts as a professional among the others present: the practitioner roles and
    ``observation.professional_others`` (e.g. other professional)."""
    extra = tuple((study.raw.get("observation") or {}).get("professional_others") or ())
    return practitioner_roles(study) + extra


def professionals_only(others: object, professionals: Iterable[str]) -> bool:
    """Whether the others taking part are all professionals: at least one other, and every one of
    them a professional (so no parent or carer, young person or other family member).

    >>> pros = ["social worker", "other professional"]
    >>> [professionals_only(c, pros) for c in ["other professional; social worker", "social worker; parent or carer",
    ...                                         None, ""]]
    [True, False, False, False]
    """
    values = split_values(others, (";",))
    ok = set(professionals)
    return bool(values) and all(v in ok for v in values)


def online_meeting_counts(obs: pd.DataFrame, study: Study, site: str | None = None) -> pd.DataFrame:
    """Professionals-only meetings by phase: held online (setting ``online``) or not.

    A meeting is an observation of one of :func:`meeting_activities`; professionals-only when
    :func:`professionals_only` holds for its others taking part. Rows are the study's phases
    (labels) in order, every phase up to the last one observed; columns ``Online``, ``Not online``.
    """
    o = _for_site(obs, "authority", site)
    pros = professional_roles(study)
    keep = o["activity"].astype(str).isin(meeting_activities(study)) & o["others_roles"].map(
        lambda c: professionals_only(c, pros)
    ).astype(bool)
    m = o.loc[keep]
    online = m["setting"].astype(str).eq("online")
    rows = []
    for w in study.waves:
        here = m["phase"].astype(str).eq(w.id)
        rows.append({"Phase": w.label, "Online": int((here & online).sum()), "Not online": int((here & ~online).sum())})
    return pd.DataFrame(rows).set_index("Phase").astype("int64")


def online_meetings_display(obs: pd.DataFrame, study: Study, site: str | None = None) -> ReportTable:
    """The online share of professionals-only meetings by phase and over all phases: the counts
    disclosed (totals added: ``All phases``, ``Meetings``), the share with its Wilson interval shown
    only when neither count is suppressed and the share rule holds (numerator, denominator and
    remainder at or above the threshold). Its output record holds the counts and the shares."""
    counts = online_meeting_counts(obs, study, site)
    d = disclose.suppress_counts(counts, study.disclosure, totals=True, margins_name="All phases")
    d = close_differencing(d, study.disclosure.threshold, row_total="All phases", column_total="All phases")
    numbers = counts.copy()
    numbers.loc["All phases"] = numbers.sum()
    conf = float(study.thresholds.get("confidence", 0.95))
    share_col = "Online share (95% CI)"
    shares = []
    for phase, row in numbers.iterrows():
        k, n = int(row["Online"]), int(row["Online"] + row["Not online"])
        hidden = bool(d.mask.loc[phase, ["Online", "Not online"]].any())
        shown = NOT_REPORTABLE if hidden or n == 0 else disclosed(wilson(k, n, conf), study).text
        held = k / n if n and shown == NOT_REPORTABLE else None
        mitigated = outputs.SUPPRESSED if shown == NOT_REPORTABLE else ""
        reasons = (outputs.THRESHOLD,) if shown == NOT_REPORTABLE else ()
        shares.append(outputs.Cell(str(phase), share_col, shown, reasons, mitigated, held))
    meetings = "Professionals-only meetings"
    d = relabel(d, columns={"All phases": meetings})
    d = dataclasses.replace(d, **{f: getattr(d, f)[[meetings, "Online"]] for f in _FRAMES})
    true = outputs.add_totals(counts, "All phases").rename(columns={"All phases": meetings})
    return registered(d, true, shares)


def fieldwork_counts(obs: pd.DataFrame, register: pd.DataFrame, study: Study, site: str | None = None) -> pd.DataFrame:
    """Observations and interviews by phase (rows: every phase of the study, labels)."""
    o = _for_site(obs, "authority", site)
    r = _for_site(register, "site", site)
    rows = [
        {
            "Phase": w.label,
            "Observations": int(o["phase"].astype(str).eq(w.id).sum()),
            "Interviews": int(r["wave"].astype(str).eq(w.id).sum()),
        }
        for w in study.waves
    ]
    return pd.DataFrame(rows).set_index("Phase").astype("int64")


NOT_BY_PHASE = "–"


def fieldwork_display(
    obs: pd.DataFrame, register: pd.DataFrame, study: Study, site: str | None = None, interviews_by_phase: bool = True
) -> ReportTable:
    """Observations and interviews achieved by phase, with the total over phases (no total across
    the two sources, which count different things), counts disclosed, with its output record.

    ``interviews_by_phase=False`` gives interviews over all phases only (the phases' cells read "–"):
    for one authority, whose interviews per phase are few, and whose phases another report adds up
    over the three authorities (a cross-case total of three suppressed counts can pin each one)."""
    counts = fieldwork_counts(obs, register, study, site)
    counts.loc["All phases"] = counts.sum()
    parts = []
    for column in counts.columns:
        one = counts[[column]]
        if column == "Interviews" and not interviews_by_phase:
            one = one.loc[["All phases"]]
        d = disclose.suppress_counts(one, study.disclosure, totals=False)
        parts.append(close_differencing(d, study.disclosure.threshold, row_total="All phases"))
    frames = {
        f: pd.concat([getattr(p, f) for p in parts], axis=1).reindex(index=counts.index, columns=counts.columns)
        for f in _FRAMES
    }
    frames["display"] = frames["display"].fillna(NOT_BY_PHASE)
    frames["mask"] = frames["mask"].astype("boolean").fillna(False).astype(bool)
    frames["cell_reasons"] = frames["cell_reasons"].fillna("")
    d = dataclasses.replace(parts[0], **frames, reasons=[r for p in parts for r in p.reasons])
    return registered(d, counts)


# -- themes in words ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleColumn:
    """A column of a theme table: the interviews of these roles (respondent groups)."""

    label: str
    groups: frozenset[str]


def people(register: pd.DataFrame) -> int:
    """Interviewees in a register: distinct participants (interview ids when there is no
    ``participant_id``)."""
    if "participant_id" in register.columns and register["participant_id"].notna().all():
        return int(register["participant_id"].nunique())
    return int(register["interview_id"].nunique())


def _in(register: pd.DataFrame, groups: Iterable[str]) -> pd.DataFrame:
    return register.loc[register["group"].astype(str).isin(set(groups))]


def role_columns(register: pd.DataFrame, study: Study) -> tuple[list[RoleColumn], list[RoleColumn]]:
    """The role columns a theme table may show, and those it may not: one per role in the register
    (study order), roles with fewer than ``theme_min`` interviewees merged by ``merge_groups`` (a
    rule applies when a column inside it is too small, and merges every column inside it); a
    column still too small is withheld. Returns ``(shown, withheld)``."""
    rules = interview_rules(study)
    present = _categories(register["group"].astype(str), [r for r in study.roles if r in set(register["group"])])
    cols = [RoleColumn(_cap(g), frozenset([g])) for g in present]

    def size(c: RoleColumn) -> int:
        return people(_in(register, c.groups))

    for name, members in rules.merge_groups:
        inside = [c for c in cols if c.groups <= set(members)]
        if len(inside) < 2 or all(size(c) >= rules.theme_min for c in inside):
            continue
        new = RoleColumn(_cap(name), frozenset().union(*(c.groups for c in inside)))
        at = cols.index(inside[0])
        cols = [c for c in cols if c not in inside]
        cols.insert(at, new)
    return [c for c in cols if size(c) >= rules.theme_min], [c for c in cols if size(c) < rules.theme_min]


def _codes_of(codebook: pd.DataFrame, aim: str | None) -> pd.DataFrame:
    cb = codebook if aim is None else codebook.loc[codebook["rq"] == aim]
    return cb.drop_duplicates("id")


def _word_table(
    segments: pd.DataFrame,
    codebook: pd.DataFrame,
    codes: Sequence[str],
    columns: Sequence[tuple[str, pd.DataFrame]],
    counts: bool = False,
) -> dict[str, dict[str, object]]:
    """code id -> column label -> prevalence word (or ``(k, n)`` with ``counts``): ``k`` interviews
    of the column's ``n`` mention the code (a child code counting for its parents), added up over
    the engine's framework matrix of the column's interviews."""
    out: dict[str, dict[str, object]] = {c: {} for c in codes}
    for label, reg in columns:
        n = int(reg["interview_id"].nunique())
        k = framework_matrix(segments, reg, codebook).groupby("code_id")["mentioning"].sum() if n else pd.Series()
        for code in codes:
            kc = int(k.get(code, 0))
            out[code][label] = (kc, n) if counts else (prevalence_word(kc, n) if n else "")
    return out


def _order_by_prevalence(
    segments: pd.DataFrame, register: pd.DataFrame, codebook: pd.DataFrame, aim: str | None
) -> list[str]:
    """Code ids, most widely raised first (share of all interviews), then codebook order: the
    engine's :func:`analysis.qualitative.themes_by_rq` order."""
    t = themes_by_rq(segments, register, codebook, rq=aim, counts=True)
    if aim is None:  # several aims: a code's rows share one share; keep its first place
        t = t.assign(_s=-t["mentioning"]).sort_values("_s", kind="stable")
    return list(dict.fromkeys(t["code_id"]))


def themes_by_role(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    study: Study,
    aim: str,
    site: str | None = None,
    counts: bool = False,
) -> pd.DataFrame:
    """The themes (codes) of one aim with how widely they came up, in words: across all interviews
    and for each role column (:func:`role_columns`), most widely raised first.

    Columns: ``Theme``, ``All interviews``, one per role column shown. A column (``All interviews``
    included) of fewer than ``theme_min`` interviewees shows no words (``too few interviewees``).
    With ``counts``: ``(mentioning, interviews)`` pairs instead of words (for output checking,
    never for a report). ``.attrs["withheld"]`` lists the role columns left out.
    """
    reg = _for_site(register, "site", site)
    rules = interview_rules(study)
    shown, withheld = role_columns(reg, study)
    cols = [(ALL_INTERVIEWS, reg)] + [(c.label, _in(reg, c.groups)) for c in shown]
    codes = _codes_of(codebook, aim)
    order = [c for c in _order_by_prevalence(segments, reg, codebook, aim) if c in set(codes["id"])]
    words = _word_table(segments, codebook, order, cols, counts)
    name = dict(zip(codes["id"], codes["name"], strict=True))
    rows = []
    for code in order:
        row = {THEME: name[code], **words[code]}
        if people(reg) < rules.theme_min and not counts:
            row[ALL_INTERVIEWS] = TOO_FEW
        rows.append(row)
    out = pd.DataFrame(rows, columns=[THEME, *[label for label, _ in cols]])
    out.attrs["withheld"] = [c.label for c in withheld]
    return out


def withheld_note(table: pd.DataFrame, study: Study) -> str:
    """A sentence for a caption: which role columns were left out, and why."""
    gone = table.attrs.get("withheld") or []
    if not gone:
        return ""
    m = interview_rules(study).theme_min
    return f"Not shown (fewer than {m} interviewees, even merged): {', '.join(gone)}."


# -- the cross-case matrix -------------------------------------------------------------------------


def cross_case_matrix(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    study: Study,
    findings: pd.DataFrame,
    areas: dict[str, str],
    aim: str | None = None,
    area: str | None = None,
    counts: bool = False,
) -> pd.DataFrame:
    """Theme x authority x role, in prevalence words: one row per theme (of one aim, or one findings
    area, or all), with its findings areas, ``All authorities``, then for each authority its role
    columns (``<Authority>: <role column>``, roles merged within the authority as
    :func:`role_columns` does; columns still too small are left out and listed in
    ``.attrs["withheld"]``). Rows in codebook order."""
    codes = _codes_of(codebook, aim)
    if area is not None:
        codes = codes.loc[codes["id"].isin(set(findings.loc[findings["area"] == area, "id"]))]
    cols: list[tuple[str, pd.DataFrame]] = [("All authorities", register)]
    gone: list[str] = []
    for s in study.sites:
        reg = _for_site(register, "site", s.id)
        if not len(reg):
            continue
        shown, withheld = role_columns(reg, study)
        cols += [(f"{s.name}: {c.label}", _in(reg, c.groups)) for c in shown]
        gone += [f"{s.name}: {c.label}" for c in withheld]
    words = _word_table(segments, codebook, list(codes["id"]), cols, counts)
    area_of = findings.groupby("id", sort=False)["area"].agg(lambda a: "; ".join(areas.get(x, x) for x in a))
    rows = [
        {THEME: n, "Findings area": area_of.get(c, ""), **words[c]}
        for c, n in zip(codes["id"], codes["name"], strict=True)
    ]
    out = pd.DataFrame(rows, columns=[THEME, "Findings area", *[label for label, _ in cols]])
    out.attrs["withheld"] = gone
    return out


# -- more and less experienced practitioners ------------------------------------------------------


def experience_of(register: pd.DataFrame, participants: pd.DataFrame, study: Study) -> pd.Series:
    """For each interview of a practitioner, ``less experienced`` (an experience band the study
    configuration lists under ``less_experienced_bands``) or ``more experienced``; other
    interviews (parents, carers, young people, or no band in the register) are ``<NA>``."""
    band = register["participant_id"].map(
        participants.drop_duplicates("participant_id").set_index("participant_id")["experience_band"].to_dict()
    )
    less = set(study.raw.get("less_experienced_bands") or ())
    practitioner = register["group"].astype(str).isin(practitioner_roles(study)) & band.notna()
    label = band.map(lambda b: "less experienced" if b in less else "more experienced", na_action="ignore")
    return label.where(practitioner, pd.NA).astype("object")


LEVEL = {w: i for i, w in enumerate(reversed(PREVALENCE_ORDER))}  # none 0 ... all 5


def experience_contrast(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    participants: pd.DataFrame,
    codebook: pd.DataFrame,
    study: Study,
    findings: pd.DataFrame | None = None,
    area: str | None = None,
    site: str | None = None,
    counts: bool = False,
) -> pd.DataFrame:
    """Themes among less and more experienced practitioners, in words, and which way they differ.

    Rows: the codes of findings ``area`` (all codes when ``None``) in codebook order. Columns:
    ``Theme``, ``Less experienced (<bands>)``, ``More experienced``, ``Contrast`` (``raised more
    widely by less experienced``, ``... by more experienced``, ``similar``: from the order of the
    words none < a few < some < many < most < all). A column of fewer than ``theme_min``
    interviewees shows no words, and then there is no contrast.
    """
    reg = _for_site(register, "site", site)
    exp = experience_of(reg, participants, study)
    bands = ", ".join(study.raw.get("less_experienced_bands") or ())
    less_label, more_label = f"Less experienced ({bands})", "More experienced"
    cols = [
        (less_label, reg.loc[exp.eq("less experienced").fillna(False)]),
        (more_label, reg.loc[exp.eq("more experienced").fillna(False)]),
    ]
    codes = codebook.drop_duplicates("id")
    if area is not None and findings is not None:
        codes = codes.loc[codes["id"].isin(set(findings.loc[findings["area"] == area, "id"]))]
    return _contrast(segments, codebook, codes, cols, ("less experienced", "more experienced"), study, counts)


def _contrast(
    segments: pd.DataFrame,
    codebook: pd.DataFrame,
    codes: pd.DataFrame,
    cols: Sequence[tuple[str, pd.DataFrame]],
    who: tuple[str, str],
    study: Study,
    counts: bool,
) -> pd.DataFrame:
    """Two columns of words for ``codes`` and a ``Contrast`` column saying which way they differ."""
    (label_a, reg_a), (label_b, reg_b) = cols
    words = _word_table(segments, codebook, list(codes["id"]), cols, counts)
    small = {label for label, r in cols if people(r) < interview_rules(study).theme_min}
    rows = []
    for c, n in zip(codes["id"], codes["name"], strict=True):
        w = words[c]
        row = {THEME: n, **w}
        if counts:
            rows.append(row)
            continue
        for label in small:
            row[label] = TOO_FEW
        if small:
            row["Contrast"] = "–"
        else:
            a, b = LEVEL[w[label_a]], LEVEL[w[label_b]]
            row["Contrast"] = (
                f"raised more widely by {who[0]}"
                if a > b
                else (f"raised more widely by {who[1]}" if b > a else "similar")
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=[THEME, label_a, label_b, *([] if counts else ["Contrast"])])


def leader_roles(study: Study) -> tuple[str, ...]:
    """The roles whose accounts are leaders' expectations (``leader_roles`` in the configuration)."""
    return tuple(study.raw.get("leader_roles") or ())


def leaders_against_practitioners(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    study: Study,
    aims: Sequence[str] = ("aim1", "aim3"),
    site: str | None = None,
    counts: bool = False,
) -> pd.DataFrame:
    """Leaders' expectations against practitioners' practice: the themes of ``aims`` (codebook order)
    in words among leaders (``leader_roles``) and among the other practitioner roles, and which way
    they differ (as :func:`experience_contrast`). Parents, carers and young people are not in either
    column."""
    reg = _for_site(register, "site", site)
    leaders = leader_roles(study)
    others = [r for r in practitioner_roles(study) if r not in leaders]
    cols = [
        (f"Leaders ({', '.join(leaders)})", _in(reg, leaders)),
        (f"Practitioners ({', '.join(others)})", _in(reg, others)),
    ]
    codes = codebook.loc[codebook["rq"].isin(set(aims))].drop_duplicates("id")
    return _contrast(segments, codebook, codes, cols, ("leaders", "practitioners"), study, counts)


# -- quotes ------------------------------------------------------------------------------------------


def coarse_attribution(
    register: pd.DataFrame, group: str, site: str, study: Study, *, site_implied: bool = False
) -> str:
    """Who said it, as coarsely as the rule needs (``quote_min`` interviewees covered):
    ``<Role>, <Authority>`` when enough; else ``<Role>`` (all authorities); else the first merged
    group (``merge_groups``) holding the role that is large enough; else ``Interviewee``. Never the
    phase.

    ``site_implied``: the quote appears where its authority is known anyway (a case study), so every
    step stays within that authority (``<Merged group>, <Authority>``, then ``Interviewee,
    <Authority>``): dropping the authority's name would not widen what a reader can tell.
    """
    rules = interview_rules(study)
    reg = register.astype({"site": str, "group": str})
    name = study.site(site).name if site in {s.id for s in study.sites} else site
    here = reg.loc[reg["site"] == site]
    merged = [(_cap(n), members) for n, members in rules.merge_groups if group in members]
    if site_implied:
        ladder = [(f"{_cap(group)}, {name}", here.loc[here["group"] == group])]
        ladder += [(f"{n}, {name}", _in(here, members)) for n, members in merged]
        ladder.append((f"Interviewee, {name}", here))
    else:
        ladder = [
            (f"{_cap(group)}, {name}", here.loc[here["group"] == group]),
            (_cap(group), reg.loc[reg["group"] == group]),
        ]
        ladder += [(n, _in(reg, members)) for n, members in merged]
    for text, covered in ladder:
        if people(covered) >= rules.quote_min:
            return text
    return "Interviewee"


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()


def select_quotes(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    study: Study,
    aim: str,
    names: Iterable[str] = (),
    *,
    k: int = 1,
    site: str | None = None,
    min_chars: int = 40,
    max_chars: int = 400,
) -> pd.DataFrame:
    """Quotes for one aim that pass :func:`analysis.qualitative.screen_quote`: for each code (most
    widely raised first) up to ``k``, from segments coded to it directly; one quote per interview
    at most; never the same words twice; the choice deterministic (a hash of interview, code and
    position orders the candidates). Attributed by :func:`coarse_attribution` over the whole
    ``register``; with ``site`` (a case study), quotes come from that authority only and their
    attribution stays within it (``site_implied``).

    Returns ``code_id, Theme, Quote, Who, interview_id, group, site`` (the last three for checking,
    never shown);
    ``.attrs["screened_out"]`` counts the candidates the screen held back.
    """
    reg = _for_site(register, "site", site)
    names = list(names)
    order = _order_by_prevalence(segments, reg, codebook, aim)
    codes = _codes_of(codebook, aim)
    name = dict(zip(codes["id"], codes["name"], strict=True))
    seg = segments.merge(reg[["interview_id", "site", "group"]].astype(str), on="interview_id")
    seg = seg.assign(quote=seg["text"].fillna("").map(lambda t: " ".join(str(t).split())))
    seg = seg.loc[seg["quote"].str.len().between(min_chars, max_chars).astype(bool)]
    flagged = seg["quote"].map(lambda t: bool(screen_quote(t, names))).astype(bool)
    seg = seg.loc[~flagged]
    seg = seg.assign(
        _key=[_key(i, c, s) for i, c, s in zip(seg["interview_id"], seg["code_id"], seg["start"], strict=True)]
    )
    seg = seg.sort_values("_key", kind="stable")
    used, said, rows = set(), set(), []
    for code in [c for c in order if c in name]:
        picked = 0
        for r in seg.loc[seg["code_id"].astype(str) == code].itertuples(index=False):
            if picked >= k:
                break
            if r.interview_id in used or r.quote in said:
                continue
            used.add(r.interview_id)
            said.add(r.quote)
            picked += 1
            who = coarse_attribution(register, r.group, r.site, study, site_implied=site is not None)
            if who == "Interviewee" and (site is not None or people(register) < interview_rules(study).quote_min):
                continue  # nothing covers enough interviewees: the quote would point to a person
            rows.append(
                {
                    "code_id": code,
                    THEME: name[code],
                    "Quote": r.quote,
                    "Who": who,
                    "interview_id": r.interview_id,
                    "group": r.group,
                    "site": r.site,
                }
            )
    out = pd.DataFrame(rows, columns=["code_id", THEME, "Quote", "Who", "interview_id", "group", "site"])
    out.attrs["screened_out"] = int(flagged.sum())
    return out


def quotes_display(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    study: Study,
    aim: str,
    names: Iterable[str] = (),
    *,
    site: str | None = None,
    limit: int = 4,
) -> pd.DataFrame:
    """Up to ``limit`` screened quotes for an aim, in curly quotes, with theme and coarse attribution."""
    q = select_quotes(segments, register, codebook, study, aim, names, site=site).head(limit)
    if q.empty:
        return pd.DataFrame({"Note": ["No quote passed the identifier screen for this aim."]})
    return pd.DataFrame({"Quote": [f"“{t}”" for t in q["Quote"]], THEME: q[THEME], "Who": q["Who"]})


def quotes_for_aims(
    segments: pd.DataFrame,
    register: pd.DataFrame,
    codebook: pd.DataFrame,
    study: Study,
    aims: Sequence[str],
    names: Iterable[str] = (),
    *,
    site: str | None = None,
    per_aim: int = 1,
) -> pd.DataFrame:
    """Up to ``per_aim`` screened quotes for each aim, in one table (``Aim`` first), never the same
    interview twice across aims."""
    rows, used = [], set()
    for aim in aims:
        q = select_quotes(segments, register, codebook, study, aim, names, site=site)
        if "interview_id" in q.columns:
            q = q.loc[~q["interview_id"].isin(used)]
        for r in q.head(per_aim).itertuples(index=False):
            used.add(r.interview_id)
            rows.append({"Aim": aim.replace("aim", "Aim "), "Quote": f"“{r.Quote}”", THEME: r.Theme, "Who": r.Who})
    if not rows:
        return pd.DataFrame({"Note": ["No quote passed the identifier screen."]})
    return pd.DataFrame(rows, columns=["Aim", "Quote", THEME, "Who"])


# -- helpers for the notebooks ----------------------------------------------------------------------


def interview_rule_text(study: Study) -> str:
    """The disclosure rules for interview findings, in words, for the methods section."""
    r = interview_rules(study)
    merges = "; ".join(f"{', '.join(g)} into {n}" for n, g in r.merge_groups) or "none"
    return (
        "How widely a theme came up is given in words, never counts: all, most (60% or more of the "
        "interviews), many (40% or more), some (20% or more), a few, none. No words are shown for a "
        f"column of fewer than {r.theme_min} interviewees; roles too small are merged first ({merges}), "
        "and a column still too small is left out. A quote is attributed by role and authority only "
        f"when at least {r.quote_min} interviewees share that description, otherwise by role alone, "
        "or by a merged group; in a case study, always within its authority. Quotes are screened for "
        "names, contact details and other identifiers, and are never attributed by phase or interview."
    )


def disclosure_rules(study: Study):
    """The disclosure rules (counts, then interviews) as one Markdown paragraph for a report."""
    from IPython.display import Markdown

    return Markdown(disclose.rule_text(study.disclosure) + "\n\n" + interview_rule_text(study))


def words_only(table: pd.DataFrame) -> bool:
    """True when every cell after the first column is a prevalence word, ``too few interviewees``, a
    findings area or empty (a check the notebooks and tests use: no count reaches a theme table)."""
    allowed = set(PREVALENCE_ORDER) | {TOO_FEW, "", "–"}
    body = table.drop(columns=[THEME, "Findings area", "Contrast"], errors="ignore")
    return all(str(v) in allowed for v in body.to_numpy().ravel())
