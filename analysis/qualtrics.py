"""The Qualtrics survey export (data contract 3): read, validate, tidy.

Qualtrics writes three header rows (column ids, question texts, an ImportId JSON per column) and
then one row per response, with its own metadata columns (``Status``, ``Progress``,
``Finished``, ``RecordedDate``, ``ResponseId``, ...). It exports either the choice texts or
their numeric recode values; both load to the same tidy table, one row per response.

What the reader does with each response:

- previews, test responses and spam are not responses (``Status`` "Survey Preview", "Survey Test",
  "Spam" and the like, or their numeric codes 1, 2, 8, ...): each is set aside in quarantine under
  its own rule (``preview``, ``survey_test``, ``spam``), so it is counted and nothing is lost;
- unfinished responses are kept, with ``finished`` False;
- a value the display logic would have hidden (e.g. Q5 answered by someone who said Yes at Q4)
  is quarantined with rule ``display_logic`` and the column named;
- wrong types, out-of-range numbers and unknown choices are quarantined (``type``,
  ``minimum``/``maximum``, ``allowed_values``); so are empty or repeated response ids
  (``not_null``, ``unique``).

The questions (tidy names, texts, choices, recode values, ranges, display logic) come from the
survey configuration, :func:`load_survey_config`. Row numbers are those a spreadsheet shows: the
first response is row 4.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml
from pandera.errors import SchemaErrors

from analysis import paths
from analysis.config import Study
from analysis.errors import ConfigError, UnusableFileError
from analysis.load import ROW, Delivered, read_csv_text
from analysis.validate import RULE_NAMES, Checked, Problem, quarantine

TABLE = "survey"
SURVEY_CONFIG = paths.SURVEY_CONFIG

# Qualtrics' own metadata columns: part of the export format, not of the study.
STATUS, PROGRESS, FINISHED, RECORDED_DATE, RESPONSE_ID = "Status", "Progress", "Finished", "RecordedDate", "ResponseId"
REQUIRED_METADATA = (STATUS, PROGRESS, FINISHED, RECORDED_DATE, RESPONSE_ID)
# Qualtrics' Status ("Response Type"), as choice text and as the numeric code of a numeric export.
# The codes are the value labels Qualtrics writes for Status in its SPSS (.sav) export.
RESPONSE_STATUS = {"IP Address": "0", "Imported": "4", "Offline": "16", "EX": "32", "EX Offline": "48"}  # kept
NOT_A_RESPONSE = {  # set aside, each under its own rule: (text, code) -> (rule, why)
    ("survey preview", "1"): ("preview", "a survey preview, not a response"),
    ("offline survey preview", "17"): ("preview", "a survey preview (offline app), not a response"),
    ("survey preview spam", "9"): ("preview", "a survey preview (also flagged as spam), not a response"),
    ("survey test", "2"): (
        "survey_test",
        "a test response (made by Qualtrics' Generate test responses), not a response",
    ),
    ("spam", "8"): ("spam", "flagged as spam by Qualtrics, not a response"),
    ("imported spam", "12"): ("spam", "an imported response flagged as spam by Qualtrics, not a response"),
    ("ex spam", "40"): ("spam", "flagged as spam by Qualtrics, not a response"),
}
TRUE_TEXT, FALSE_TEXT = ("true", "1"), ("false", "0")
HEADER_ROWS = 3  # column ids, question texts, ImportIds
METADATA_COLUMNS = {
    "response_id": RESPONSE_ID,
    "recorded_date": RECORDED_DATE,
    "finished": FINISHED,
    "progress": PROGRESS,
}
QUESTION_TYPES = ("number", "choice", "scale", "multiple", "text")


# -- the survey configuration ----------------------------------------------------------------


def load_survey_config(path: Path | None = None, study: Study | None = None) -> dict[str, Any]:
    """The survey configuration: questions, choices, recode values, ranges and display logic.

    Taken from the study configuration's ``survey:`` key when it has one, otherwise from
    ``path`` (default ``config/survey.yml``).

    Parameters
    ----------
    path : Path, optional
        A YAML file with a top-level ``survey:`` mapping.
    study : Study, optional
        The loaded study configuration; its ``survey:`` key wins when present.

    Returns
    -------
    dict
        The mapping under ``survey:``, checked for the keys the reader needs.

    Examples
    --------
    >>> cfg = load_survey_config()
    >>> cfg["questions"]["Q4"]["recode"]
    {'Yes': 1, 'No': 2}
    """
    if study is not None and isinstance(study.raw.get("survey"), dict):
        config, where = study.raw["survey"], paths.STUDY_CONFIG
    else:
        p = Path(path) if path else SURVEY_CONFIG
        if not p.exists():
            raise ConfigError(
                f"The survey configuration {p} is missing; it lists the questions, choices and "
                "recode values the survey reader needs."
            )
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        if not isinstance(data.get("survey"), dict):
            raise ConfigError(f"{p}: the file must hold a `survey:` mapping with `questions:` under it.")
        config, where = data["survey"], p
    questions(config, where)  # fail early, with the file named
    return config


@dataclass(frozen=True)
class Option:
    """One box of a select-all question."""

    id: str
    text: str
    column: str
    text_column: str | None = None


@dataclass(frozen=True)
class Question:
    """One question of the survey, as configured."""

    id: str
    type: str
    text: str
    column: str | None = None
    choices: tuple[str, ...] = ()
    recode: tuple[tuple[str, float], ...] = ()
    ordered: bool = False
    minimum: float | None = None
    maximum: float | None = None
    show_if: tuple[str, str] | None = None
    options: tuple[Option, ...] = ()
    selected_value: float = 1.0

    @property
    def export_columns(self) -> list[str]:
        """The column ids this question has in the export."""
        if self.type != "multiple":
            return [self.id]
        cols = [f"{self.id}_{o.id}" for o in self.options]
        cols += [f"{self.id}_{o.id}_TEXT" for o in self.options if o.text_column]
        return cols

    @property
    def tidy_columns(self) -> dict[str, str]:
        """Tidy column -> export column id."""
        if self.type != "multiple":
            return {str(self.column): self.id}
        out = {o.column: f"{self.id}_{o.id}" for o in self.options}
        out.update({o.text_column: f"{self.id}_{o.id}_TEXT" for o in self.options if o.text_column})
        return out

    @property
    def dtype(self) -> Any:
        return {"number": "float64", "text": "string", "scale": "Int64"}.get(
            self.type, pd.CategoricalDtype(list(self.choices), ordered=self.ordered)
        )


def questions(config: dict[str, Any], where: Path | str = "the survey configuration") -> list[Question]:
    """The configured questions, in export order (checked: a mistake stops with :class:`ConfigError`)."""
    qs = config.get("questions")
    if not isinstance(qs, dict) or not qs:
        raise ConfigError(f"{where}: `survey.questions` must map question ids (Q1, Q2, ...) to their settings.")
    out = []
    for qid, q in qs.items():
        try:
            kind = q["type"]
            if kind not in QUESTION_TYPES:
                raise ConfigError(f"{where}: question {qid} has type {kind!r}; use one of {', '.join(QUESTION_TYPES)}.")
            show = q.get("show_if")
            show_if = (str(next(iter(show))), str(next(iter(show.values())))) if show else None
            if kind == "multiple":
                options = tuple(
                    Option(str(o["id"]), str(o["text"]), o["column"], o.get("text_column")) for o in q["choices"]
                )
                out.append(
                    Question(
                        str(qid),
                        kind,
                        q.get("text", ""),
                        options=options,
                        show_if=show_if,
                        selected_value=float(q.get("selected_value", 1)),
                    )
                )
                continue
            choices = tuple(str(c) for c in q.get("choices", ()))
            recode = tuple((str(k), float(v)) for k, v in (q.get("recode") or {}).items())
            if kind in ("choice", "scale"):
                if not choices:
                    raise ConfigError(f"{where}: question {qid} needs a `choices:` list.")
                unknown = [k for k, _ in recode if k not in choices]
                values = [v for _, v in recode]
                if unknown or len(set(values)) != len(values):
                    raise ConfigError(
                        f"{where}: question {qid}: every recode value must belong to one of its "
                        f"choices and be different (check {unknown or values})."
                    )
            out.append(
                Question(
                    str(qid),
                    kind,
                    q.get("text", ""),
                    q["column"],
                    choices,
                    recode,
                    bool(q.get("ordered", False)),
                    q.get("minimum"),
                    q.get("maximum"),
                    show_if,
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError, StopIteration) as exc:
            raise ConfigError(f"{where}: question {qid} is incomplete or malformed ({exc!r}).") from exc
    ids = {q.id for q in out}
    for q in out:
        if q.show_if and q.show_if[0] not in ids:
            raise ConfigError(
                f"{where}: question {q.id} is shown depending on {q.show_if[0]}, which is not a question."
            )
    return out


def tidy_columns(config: dict[str, Any]) -> list[str]:
    """The tidy table's columns, in order."""
    cols = list(METADATA_COLUMNS)
    for q in questions(config):
        cols += list(q.tidy_columns)
    return cols


def tidy_schema(config: dict[str, Any]) -> pa.DataFrameSchema:
    """The pandera schema of the tidy survey table (one row per response).

    Ranges come from the configuration; failures become the quarantine rules ``minimum``,
    ``maximum`` and ``allowed_values`` (:data:`analysis.validate.RULE_NAMES`).
    """
    cols: dict[str, pa.Column] = {
        "response_id": pa.Column("string", nullable=False),
        "recorded_date": pa.Column("datetime64[ns]", nullable=False),
        "finished": pa.Column(bool, nullable=False),
        "progress": pa.Column("int64", [pa.Check.ge(0), pa.Check.le(100)]),
    }
    for q in questions(config):
        if q.type == "multiple":
            for o in q.options:
                cols[o.column] = pa.Column(bool, nullable=False)
                if o.text_column:
                    cols[o.text_column] = pa.Column("string", nullable=True)
            continue
        checks = []
        if q.minimum is not None:
            checks.append(pa.Check.ge(q.minimum))
        if q.maximum is not None:
            checks.append(pa.Check.le(q.maximum))
        if q.type == "scale":
            checks.append(pa.Check.isin(list(range(1, len(q.choices) + 1))))
        cols[str(q.column)] = pa.Column(q.dtype, checks, nullable=True)
    return pa.DataFrameSchema(cols, strict=True, ordered=True, name=TABLE)


# -- reading the export ----------------------------------------------------------------------


def _action() -> str:
    return (
        "Export the responses again from Qualtrics (Data & Analysis > Export & Import > Export data > CSV, "
        "with 'Download all fields' and either 'Use choice text' or 'Use numeric values'), do not open and "
        "re-save it in Excel, and put the file in the wave folder as survey.csv (or survey_numeric.csv)."
    )


def read_export(path: Path, config: dict[str, Any]) -> Delivered:
    """Read a Qualtrics CSV export as delivered: the responses, all cells as text, with ``_row``
    the row a spreadsheet shows (4 for the first response).

    Stops with :class:`UnusableFileError` when the file is not a Qualtrics export with its three
    header rows, or lacks ``ResponseId``, another metadata column or a question column.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise UnusableFileError(
            path, "this is a UTF-16 file (Qualtrics' tab-separated export), not the CSV export.", _action()
        )
    try:
        frame, rows = read_csv_text(path)
    except UnusableFileError as exc:  # empty, or not text: the survey's own advice
        raise UnusableFileError(path, exc.problem, _action()) from exc
    except (UnicodeDecodeError, pd.errors.ParserError, csv.Error, ValueError) as exc:
        why = " ".join(str(exc).split())
        raise UnusableFileError(path, f"the file could not be read as CSV ({why}).", _action()) from exc
    frame = frame.fillna("")
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    by_lower = {c.lower(): c for c in frame.columns}
    renames = {}
    expected = list(REQUIRED_METADATA) + [c for q in questions(config) for c in q.export_columns]
    for want in expected:
        if want not in frame.columns and want.lower() in by_lower:
            renames[by_lower[want.lower()]] = want
    frame = frame.rename(columns=renames)
    if RESPONSE_ID not in frame.columns:
        raise UnusableFileError(
            path,
            f"there is no {RESPONSE_ID} column, so this is not a Qualtrics response export "
            "(or its first header row was removed).",
            _action(),
        )
    if len(frame) < HEADER_ROWS - 1 or not _is_import_id_row(frame.iloc[HEADER_ROWS - 2]):
        second = frame.iloc[0] if len(frame) else None
        problem = (
            "the question-text row (row 2) is missing: row 2 holds the ImportIds that belong in row 3."
            if second is not None and _is_import_id_row(second)
            else "it does not have Qualtrics' three header rows (column ids, question texts, ImportIds); "
            'row 3 should hold an ImportId such as {"ImportId":"QID1"} in every column.'
        )
        raise UnusableFileError(path, problem, _action())
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise UnusableFileError(
            path,
            f"column(s) {', '.join(missing)} are missing from the export.",
            "Check that the questions in the survey configuration (config/survey.yml) match "
            "the survey that was exported and that no columns were deleted. " + _action(),
        )
    responses = frame.iloc[HEADER_ROWS - 1 :].reset_index(drop=True)
    responses[ROW] = rows[HEADER_ROWS - 1 :]
    return Delivered(TABLE, path, responses)


def _is_import_id_row(row: pd.Series) -> bool:
    """Row 3 of an export: ImportId JSON in (nearly) every column, and certainly for ResponseId."""

    def is_id(v: Any) -> bool:
        try:
            return "ImportId" in json.loads(str(v))
        except (ValueError, TypeError):
            return False

    flags = [is_id(v) for v in row]
    return is_id(row.get(RESPONSE_ID, "")) and sum(flags) * 2 > len(flags)


def detect_export(frame: pd.DataFrame) -> str:
    """``"numeric"`` when the metadata are numeric codes (``Status`` 0/1, ``Finished`` 1/0), else ``"text"``.

    >>> detect_export(pd.DataFrame({"Status": ["0", "1"], "Finished": ["1", "0"]}))
    'numeric'
    >>> detect_export(pd.DataFrame({"Status": ["IP Address"], "Finished": ["True"]}))
    'text'
    """
    votes: list[bool] = []
    for col in (STATUS, FINISHED):
        if col in frame:
            vals = frame[col].astype(str).str.strip()
            votes += [v.isdigit() for v in vals[vals.ne("")]]
    return "numeric" if votes and 2 * sum(votes) > len(votes) else "text"


# -- coercion: export cells -> typed tidy values ---------------------------------------------

_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})


def normalise_choice(text: Any) -> str:
    """Choice texts match ignoring case, spacing, dash style and a trailing colon.

    >>> normalise_choice("4 - Somewhat  better") == normalise_choice("4 – somewhat better")
    True
    """
    s = " ".join(str(text).translate(_DASHES).lower().split())
    s = s.replace(" - ", "-").replace("- ", "-").replace(" -", "-")
    return s.rstrip(":").strip()


def _number(text: str) -> float | None:
    """A finite number, or None (no thousands separators or decimal commas: Qualtrics writes neither)."""
    if "_" in text:  # float() would accept 1_000
        return None
    try:
        v = float(text.strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _datetime(text: str) -> pd.Timestamp | None:
    """Qualtrics writes ``2021-06-07 09:15:00`` (survey time zone); a re-saved file may show UK
    day-first dates. A time-zone offset is dropped, keeping the wall-clock time."""
    for kwargs in ({"format": "ISO8601"}, {"dayfirst": True}):
        try:
            t = pd.to_datetime(text, **kwargs)
        except (ValueError, TypeError, OverflowError):
            continue
        if pd.isna(t):
            return None
        return t.tz_localize(None) if t.tzinfo is not None else t
    return None


@dataclass
class _Coerced:
    tidy: pd.DataFrame
    problems: list[Problem]
    bad_cells: set[tuple[int, str]]  # (row index, export column) that did not coerce


def _coerce(resp: pd.DataFrame, config: dict[str, Any], flavour: str) -> _Coerced:
    idx = resp.index
    out: dict[str, pd.Series] = {}
    problems: list[Problem] = []

    def flag(i: int, col: str, rule: str, message: str) -> None:
        problems.append(Problem(int(i), col, rule, message))

    # metadata
    rid = resp[RESPONSE_ID].astype(str).str.strip()
    for i in idx[rid.eq("")]:
        flag(i, RESPONSE_ID, "not_null", f"{RESPONSE_ID} is empty: every response needs its id")
    out["response_id"] = rid.where(rid.ne(""), None).astype("string")

    raw = resp[RECORDED_DATE].astype(str).str.strip()
    when = pd.Series(pd.to_datetime([_datetime(v) if v else None for v in raw]), index=idx)
    for i in idx[raw.eq("")]:
        flag(i, RECORDED_DATE, "not_null", f"{RECORDED_DATE} is empty")
    for i in idx[when.isna() & raw.ne("")]:
        flag(
            i,
            RECORDED_DATE,
            "type",
            f"{RECORDED_DATE} must be a date and time like 2021-06-07 09:15:00; got {raw[i]!r}",
        )
    out["recorded_date"] = when.astype("datetime64[ns]").dt.round("s")

    fin = resp[FINISHED].astype(str).str.strip().str.lower()
    finished = pd.Series(pd.NA, index=idx, dtype="boolean")
    finished[fin.isin(TRUE_TEXT)] = True
    finished[fin.isin(FALSE_TEXT)] = False
    for i in idx[fin.eq("")]:
        flag(i, FINISHED, "not_null", f"{FINISHED} is empty")
    for i in idx[finished.isna() & fin.ne("")]:
        flag(i, FINISHED, "type", f"{FINISHED} must be True/False (or 1/0); got {resp.at[i, FINISHED]!r}")
    out["finished"] = finished

    prog = resp[PROGRESS].astype(str).str.strip()
    num = prog.map(_number)
    whole = num.map(lambda v: v is not None and float(v).is_integer())
    for i in idx[prog.eq("")]:
        flag(i, PROGRESS, "not_null", f"{PROGRESS} is empty")
    for i in idx[~whole & prog.ne("")]:
        flag(i, PROGRESS, "type", f"{PROGRESS} must be a whole number of per cent; got {resp.at[i, PROGRESS]!r}")
    progress = [int(v) if ok else pd.NA for v, ok in zip(num, whole, strict=False)]
    out["progress"] = pd.Series(progress, index=idx, dtype="Int64")

    for q in questions(config):
        if q.type == "multiple":
            for o in q.options:
                col = f"{q.id}_{o.id}"
                cell = resp[col].astype(str).str.strip()
                if flavour == "numeric":
                    ticked = cell.map(lambda v, q=q: _number(v) == q.selected_value)
                    expect = f"{q.selected_value:g} (ticked) or empty"
                else:
                    ticked = cell.map(lambda v, o=o: normalise_choice(v) == normalise_choice(o.text))
                    expect = f"{o.text!r} (ticked) or empty"
                for i in idx[~ticked & cell.ne("")]:
                    flag(
                        i, col, "allowed_values", f"{col} ({q.id}: {o.text}) must be {expect}; got {resp.at[i, col]!r}"
                    )
                out[o.column] = ticked.astype(bool)
                if o.text_column:
                    out[o.text_column] = _text(resp[f"{q.id}_{o.id}_TEXT"])
            continue
        cell = resp[q.id].astype(str).str.strip()
        if q.type == "text":
            out[str(q.column)] = _text(resp[q.id])
        elif q.type == "number":
            num = cell.map(_number)
            for i in idx[num.isna() & cell.ne("")]:
                flag(i, q.id, "type", f"{q.id} must be a number; got {resp.at[i, q.id]!r}")
            out[str(q.column)] = num.astype("float64")
        else:
            values = _choices(cell, q, flavour)
            for i in idx[values.isna() & cell.ne("")]:
                flag(i, q.id, "allowed_values", _choice_message(q, flavour, resp.at[i, q.id]))
            if q.type == "scale":
                score = {c: k + 1 for k, c in enumerate(q.choices)}
                out[str(q.column)] = values.map(score, na_action="ignore").astype("Int64")
            else:
                out[str(q.column)] = pd.Series(pd.Categorical(values, dtype=q.dtype), index=idx)
    tidy = pd.DataFrame(out, index=idx)[tidy_columns(config)]
    return _Coerced(tidy, problems, {(p.index, p.column) for p in problems})


def _text(s: pd.Series) -> pd.Series:
    t = s.astype("string").str.strip()
    return t.where(t.ne(""), pd.NA).astype("string")


def _choices(cell: pd.Series, q: Question, flavour: str) -> pd.Series:
    """Canonical choice text per cell, NA where empty or unknown."""
    if flavour == "numeric":
        by_value = {v: c for c, v in q.recode}
        return cell.map(lambda v: by_value.get(_number(v)) if v else None).astype(object)
    by_text = {normalise_choice(c): c for c in q.choices}
    return cell.map(lambda v: by_text.get(normalise_choice(v)) if v else None).astype(object)


def _choice_message(q: Question, flavour: str, got: Any) -> str:
    if flavour == "numeric":
        codes = ", ".join(f"{v:g} = {c}" for c, v in q.recode)
        return (
            f"{q.id} must be one of its recode values ({codes}) in a numeric export; got {got!r}. If the survey's "
            "recode values changed, update them in the survey configuration."
        )
    hint = (
        " (it looks like a numeric recode value, but this file has choice texts)"
        if _number(str(got)) is not None
        else ""
    )
    return f"{q.id} must be one of {', '.join(repr(c) for c in q.choices)}; got {got!r}{hint}"


# -- row rules ---------------------------------------------------------------------------------


def _display_logic(resp: pd.DataFrame, coerced: _Coerced, config: dict[str, Any]) -> list[Problem]:
    """A value in a question the display logic hides is a problem (its column is named)."""
    qs = {q.id: q for q in questions(config)}
    out = []
    for q in qs.values():
        if not q.show_if:
            continue
        ctrl_id, wanted = q.show_if
        ctrl = qs[ctrl_id]
        ctrl_values = coerced.tidy[str(ctrl.column)] if ctrl.type != "multiple" else None
        for i in resp.index:
            if (i, ctrl_id) in coerced.bad_cells or ctrl_values is None:
                continue  # the controlling answer is itself unusable: that problem is already listed
            shown = not pd.isna(ctrl_values[i]) and str(ctrl_values[i]) == wanted
            if shown:
                continue
            for col in q.export_columns:
                val = str(resp.at[i, col]).strip()
                if val:
                    got = "no answer" if pd.isna(ctrl_values[i]) else repr(str(ctrl_values[i]))
                    out.append(
                        Problem(
                            int(i),
                            col,
                            "display_logic",
                            f"{col} is answered ({val[:40]!r}) but the survey shows {q.id} only when "
                            f"{ctrl_id} = {wanted!r}, and this response has {ctrl_id} = {got}",
                        )
                    )
    return out


def _unique_ids(tidy: pd.DataFrame) -> list[Problem]:
    ids = tidy["response_id"]
    dup = ids.notna() & ids.duplicated(keep=False)
    return [
        Problem(int(i), RESPONSE_ID, "unique", f"{RESPONSE_ID} {ids[i]!r} appears more than once")
        for i in tidy.index[dup.fillna(False)]
    ]


def _schema_problems(tidy: pd.DataFrame, config: dict[str, Any], skip: set[int]) -> list[Problem]:
    """pandera, lazily (every failure in one pass), on rows whose cells all coerced."""
    ok = _final_types(tidy.drop(index=sorted(skip)))
    to_export = dict(METADATA_COLUMNS)  # tidy column -> export column, to name the column an analyst sees
    for q in questions(config):
        to_export.update(q.tidy_columns)
    try:
        tidy_schema(config).validate(ok, lazy=True)
    except SchemaErrors as err:
        problems = []
        for rec in err.failure_cases.itertuples(index=False):
            if pd.isna(rec.index):  # a dtype or column failure would be a bug in the coercion above
                raise AssertionError(f"survey tidy table does not match its schema: {rec}") from err
            check = str(rec.check)
            rule = RULE_NAMES.get(check.split("(")[0], check.split("(")[0])
            col = to_export.get(str(rec.column), str(rec.column))
            limit = check.split("(")[-1].rstrip(")")
            wants = {"minimum": f"at least {limit}", "maximum": f"at most {limit}"}.get(rule, f"valid ({check})")
            problems.append(Problem(int(rec.index), col, rule, f"{col} must be {wants}; got {rec.failure_case!r}"))
        return problems
    return []


def _final_types(tidy: pd.DataFrame) -> pd.DataFrame:
    out = tidy.copy()
    out["finished"] = out["finished"].astype(bool)
    out["progress"] = out["progress"].astype("int64")
    return out


# -- public entry points ---------------------------------------------------------------------


def status_problems(resp: pd.DataFrame) -> list[Problem]:
    """Rows whose ``Status`` says they are not responses (rules ``preview``, ``survey_test``,
    ``spam``), or is empty or not a Qualtrics response type (``not_null``, ``allowed_values``).
    Choice text and numeric codes are both read, whatever the export style.

    >>> frame = pd.DataFrame({"Status": ["IP Address", "2", "Spam", "Survey Preview", "0", "Maybe"]})
    >>> [(p.index, p.rule) for p in status_problems(frame)]
    [(1, 'survey_test'), (2, 'spam'), (3, 'preview'), (5, 'allowed_values')]
    """
    rules = {k: v for keys, v in NOT_A_RESPONSE.items() for k in keys}
    kept = {t.lower() for t in RESPONSE_STATUS} | set(RESPONSE_STATUS.values())
    out = []
    for i, raw in zip(resp.index, resp[STATUS], strict=True):
        v = " ".join(str(raw).split()).lower()
        if v.endswith(".0") and v[:-2].isdigit():  # a code re-saved as a decimal
            v = v[:-2]
        if v in rules:
            rule, why = rules[v]
            out.append(Problem(int(i), STATUS, rule, f"{STATUS} {raw!r}: {why} (excluded from the analysis)"))
        elif not v:
            out.append(Problem(int(i), STATUS, "not_null", f"{STATUS} is empty: every response has a response type"))
        elif v not in kept:
            known = ", ".join(f"{t} ({c})" for t, c in RESPONSE_STATUS.items())
            out.append(
                Problem(
                    int(i),
                    STATUS,
                    "allowed_values",
                    f"{STATUS} must be a Qualtrics response type ({known}, or a preview, test or spam, which are "
                    f"set aside); got {raw!r}",
                )
            )
    return out


def check_survey(path: Path, survey_config: dict[str, Any] | None = None) -> Checked:
    """Read and validate a Qualtrics export (choice-text or numeric) into the tidy survey table.

    Parameters
    ----------
    path : Path
        The CSV file exactly as exported from Qualtrics.
    survey_config : dict, optional
        The survey configuration (default :func:`load_survey_config`).

    Returns
    -------
    Checked
        ``accepted``: one row per response (columns :func:`tidy_columns`);
        ``quarantined``: rows that are not responses (rules ``preview``, ``survey_test``, ``spam``:
        :func:`status_problems`) and failing responses, as delivered, with
        file, row, column, rule and message. ``delivered`` counts every row after the three
        header rows, previews included.

    Raises
    ------
    UnusableFileError
        When the file is not a Qualtrics export or lacks ``ResponseId`` or a question column.

    Examples
    --------
    >>> from analysis.synthetic import survey as synth
    >>> import tempfile, pandas as pd
    >>> workers = pd.DataFrame({"worker_id": [f"W{i}" for i in range(8)], "team": "T", "role": "social worker",
    ...     "fte": 1.0, "working_pattern": ["4-day week", "standard"] * 4,
    ...     "planned_flex_days_last_month": [4, 0] * 4, "flex_days_taken_last_month": [3, 0] * 4})
    >>> responses = synth.simulate_responses(workers, seed=1)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = synth.write_exports(responses, Path(folder), seed=1)
    ...     c = check_survey(Path(folder) / "survey_numeric.csv")
    >>> c.delivered == len(responses) + 1, c.quarantined["rule"].tolist()
    (True, ['preview'])
    """
    config = survey_config if survey_config is not None else load_survey_config()
    delivered = read_export(Path(path), config)
    resp = delivered.frame
    problems = status_problems(resp)
    answers = resp.loc[~resp.index.isin([p.index for p in problems])]
    coerced = _coerce(answers, config, detect_export(answers))
    problems += coerced.problems
    problems += _display_logic(answers, coerced, config)
    problems += _unique_ids(coerced.tidy)
    problems += _schema_problems(coerced.tidy, config, {p.index for p in coerced.problems})
    idx, q = quarantine(delivered, problems)
    accepted = _final_types(coerced.tidy.drop(index=[i for i in idx if i in coerced.tidy.index]))
    accepted = tidy_schema(config).validate(accepted.reset_index(drop=True))
    return Checked(TABLE, delivered.file, delivered.n, accepted, q, problems)


def survey_file(folder: Path, survey_config: dict[str, Any] | None = None) -> Path | None:
    """The survey export in a wave folder: the first of the configured file names that exists
    (by default ``survey.csv``, then ``survey_numeric.csv``), or ``None``."""
    config = survey_config if survey_config is not None else load_survey_config()
    for name in config.get("files", ["survey.csv", "survey_numeric.csv"]):
        p = Path(folder) / name
        if p.exists():
            return p
    return None


def check_survey_source(folder: Path, study: Study) -> tuple[dict[str, Checked], list[UnusableFileError]]:
    """The survey source for :data:`analysis.tidy.SOURCE_CHECKS`.

    Reads ``folder/survey.csv`` if present, else ``folder/survey_numeric.csv``; returns
    ``({}, [])`` when neither is there (the survey runs at one wave only).
    """
    config = load_survey_config(study=study)
    path = survey_file(folder, config)
    if path is None:
        return {}, []
    try:
        return {TABLE: check_survey(path, config)}, []
    except UnusableFileError as exc:
        return {}, [exc]
