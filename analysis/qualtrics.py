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

from analysis import paths
from analysis.config import Study
from analysis.errors import ConfigError, UnusableFileError
from analysis.load import ROW, Delivered, read_csv_text
from analysis.schemas import Column, RowRule, TableSpec
from analysis.validate import Checked, Problem, check_table

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


# -- decoding: the export's cells -> the contract's values ---------------------------------------


def decode(resp: pd.DataFrame, config: dict[str, Any], flavour: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The export's answers in the contract's terms, and the cells that cannot be decoded.

    Numeric recode values become their choice texts, choice texts their configured spelling
    (:func:`normalise_choice`), and a ticked select-all box its option's text; other columns are
    left as delivered. A cell that is neither empty nor a choice (for its export style) is an
    ``allowed_values`` problem, with a message that names the choices or recode values, and is
    emptied so that it is reported once.
    """
    frame = resp.copy()
    problems: list[Problem] = []
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
                for i in resp.index[~ticked & cell.ne("")]:
                    problems.append(
                        Problem(
                            int(i),
                            col,
                            "allowed_values",
                            f"{col} ({q.id}: {o.text}) must be {expect}; got {resp.at[i, col]!r}",
                        )
                    )
                frame[col] = ticked.map({True: o.text, False: ""}).astype(object)
        elif q.type in ("choice", "scale"):
            cell = resp[q.id].astype(str).str.strip()
            values = _choices(cell, q, flavour)
            for i in resp.index[values.isna() & cell.ne("")]:
                problems.append(Problem(int(i), q.id, "allowed_values", _choice_message(q, flavour, resp.at[i, q.id])))
            frame[q.id] = values.fillna("").astype(object)
    return frame, problems


# -- the export's contract: a table spec made from the configuration -----------------------------


def status_of(value: Any) -> tuple[str, str] | None:
    """The rule and message for a ``Status`` cell that is not a response (a preview, a test, spam),
    is empty or is no Qualtrics response type; ``None`` for a response. Choice text and numeric
    codes are both read, whatever the export style.

    >>> [status_of(v) and status_of(v)[0] for v in ["IP Address", "2", "Spam", "Survey Preview", "0", "Maybe", None]]
    [None, 'survey_test', 'spam', 'preview', None, 'allowed_values', 'not_null']
    """
    raw = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    v = " ".join(raw.split()).lower()
    if v.endswith(".0") and v[:-2].isdigit():  # a code re-saved as a decimal
        v = v[:-2]
    for keys, (rule, why) in NOT_A_RESPONSE.items():
        if v in keys:
            return rule, f"{STATUS} {raw!r}: {why} (excluded from the analysis)"
    if not v:
        return "not_null", f"{STATUS} is empty: every response has a response type"
    if v in {t.lower() for t in RESPONSE_STATUS} | set(RESPONSE_STATUS.values()):
        return None
    known = ", ".join(f"{t} ({c})" for t, c in RESPONSE_STATUS.items())
    return (
        "allowed_values",
        f"{STATUS} must be a Qualtrics response type ({known}, or a preview, test or spam, which are set aside); "
        f"got {raw!r}",
    )


STATUS_RULES = {
    "preview": "Previews (Survey Preview, and its offline and spam forms) are not responses",
    "survey_test": "Test responses (Survey Test) are not responses",
    "spam": "Responses Qualtrics flagged as spam are not responses",
    "allowed_values": "Status is a Qualtrics response type",
    "not_null": "Status is given",
}


def _status_rule(name: str, description: str) -> RowRule:
    def fails(t: pd.DataFrame, _context) -> pd.Series:
        return t[STATUS].map(lambda v: (status_of(v) or ("",))[0] == name).astype(bool)

    def message(rows: pd.DataFrame, _context) -> list[str]:
        return [status_of(v)[1] for v in rows[STATUS]]

    return RowRule(name, description, STATUS, fails, message, typed_rows_only=False)


def _display_rule(q: Question, col: str, control: str, wanted: str) -> RowRule:
    """A value in ``col`` (question ``q``) where the display logic hides ``q``."""

    def fails(t: pd.DataFrame, _context) -> pd.Series:
        return t[col].notna() & ~t[control].eq(wanted).fillna(False).astype(bool)

    def message(rows: pd.DataFrame, _context) -> list[str]:
        return [
            f"{col} is answered ({str(v)[:40]!r}) but the survey shows {q.id} only when {control} = {wanted!r}, "
            f"and this response has {control} = {'no answer' if pd.isna(c) else repr(str(c))}"
            for v, c in zip(rows[col], rows[control], strict=True)
        ]

    return RowRule("display_logic", f"{q.id} is answered only when {control} = {wanted}", col, fails, message)


def survey_spec(config: dict[str, Any]) -> TableSpec:
    """The export's contract (column ids as Qualtrics writes them), checked by
    :func:`analysis.validate.check_table` after :func:`decode`: Qualtrics' metadata, each question's
    type, choices and range, and the row rules: ``Status`` (previews, tests and spam set aside) and
    the display logic (a question answered where the survey hides it).
    """
    qs = questions(config)
    cols = [
        Column(STATUS, "str", "Response type", "IP Address", nullable=True),  # its rules say more
        Column(PROGRESS, "int", "Per cent of the survey completed", "100", minimum=0, maximum=100),
        Column(FINISHED, "bool", "Whether the response was submitted", "True"),
        Column(RECORDED_DATE, "datetime", "When the response was recorded", "2021-07-05 09:15:00"),
        Column(RESPONSE_ID, "str", "Qualtrics' response id", "R_1aB2cD3eF4gH5iJ", unique=True),
    ]
    for q in qs:
        if q.type == "multiple":
            for o in q.options:
                cols.append(Column(f"{q.id}_{o.id}", "category", o.text, o.text, allowed=(o.text,), nullable=True))
                if o.text_column:
                    cols.append(Column(f"{q.id}_{o.id}_TEXT", "str", o.text, "", nullable=True))
        elif q.type == "number":
            cols.append(Column(q.id, "float", q.text, "", nullable=True, minimum=q.minimum, maximum=q.maximum))
        elif q.type == "text":
            cols.append(Column(q.id, "str", q.text, "", nullable=True))
        else:
            cols.append(Column(q.id, "category", q.text, q.choices[0], allowed=q.choices, nullable=True))
    rules = [_status_rule(name, text) for name, text in STATUS_RULES.items()]
    by_id = {q.id: q for q in qs}
    for q in qs:
        if q.show_if and by_id[q.show_if[0]].type != "multiple":
            rules += [_display_rule(q, col, *q.show_if) for col in q.export_columns]
    return TableSpec(TABLE, "One row per survey response, as exported from Qualtrics.", tuple(cols), tuple(rules))


def tidy_survey(accepted: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """The accepted responses (typed, export column ids) as the tidy survey table."""
    out: dict[str, pd.Series] = {
        "response_id": accepted[RESPONSE_ID].astype("string"),
        "recorded_date": accepted[RECORDED_DATE].astype("datetime64[ns]"),
        "finished": accepted[FINISHED].astype(bool),
        "progress": accepted[PROGRESS].astype("int64"),
    }
    for q in questions(config):
        if q.type == "multiple":
            for o in q.options:
                out[o.column] = accepted[f"{q.id}_{o.id}"].notna().astype(bool)
                if o.text_column:
                    out[o.text_column] = accepted[f"{q.id}_{o.id}_TEXT"].astype("string")
        elif q.type == "number":
            out[str(q.column)] = accepted[q.id].astype("float64")
        elif q.type == "text":
            out[str(q.column)] = accepted[q.id].astype("string")
        elif q.type == "scale":
            score = {c: k + 1 for k, c in enumerate(q.choices)}
            out[str(q.column)] = accepted[q.id].astype(object).map(score, na_action="ignore").astype("Int64")
        else:
            out[str(q.column)] = pd.Series(pd.Categorical(accepted[q.id].astype(object), dtype=q.dtype))
    return pd.DataFrame(out, index=accepted.index)[tidy_columns(config)]


# -- public entry points ---------------------------------------------------------------------


def check_survey(path: Path, survey_config: dict[str, Any] | None = None) -> Checked:
    """Read and validate a Qualtrics export (choice-text or numeric) into the tidy survey table.

    The export is decoded (:func:`decode`) and then checked like every other table, by
    :func:`analysis.validate.check_table` against :func:`survey_spec`.

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
        :func:`status_of`) and failing responses, as delivered, with file, row, column, rule and
        message. ``delivered`` counts every row after the three header rows, previews included.

    Raises
    ------
    UnusableFileError
        When the file is not a Qualtrics export or lacks ``ResponseId`` or a question column.

    Examples
    --------
    >>> from analysis.config import load_study
    >>> synth = load_study().code("synthetic.survey")  # the study's synthetic survey
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
    frame, problems = decode(delivered.frame, config, detect_export(delivered.frame))
    checked = check_table(delivered, survey_spec(config), extra=problems, frame=frame)
    accepted = tidy_schema(config).validate(tidy_survey(checked.accepted, config).reset_index(drop=True))
    return Checked(TABLE, delivered.file, delivered.n, accepted, checked.quarantined, checked.problems)


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
    """The survey source, for a study's ``SOURCE_CHECKS`` (see :func:`analysis.tidy.source_checks`).

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
