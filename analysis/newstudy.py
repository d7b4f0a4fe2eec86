"""``python -m analysis new-study NAME``: the skeleton of a new study on this engine.

A study is a folder of configuration, notebooks and report sources (``studies/<name>/``) and a
package of its own code (``analysis/studies/<name>/``). :func:`create` writes both, small but
complete, so that ``make report STUDY=<name>`` builds a report from synthetic data at once:

- ``studies/<name>/config/study.yml``: two sites, two waves, one report, the disclosure rule with
  acro's default settings, and the package of the study's code (``study.module``);
- ``studies/<name>/config/waves/<wave>.yml``: the parameters papermill injects, one file a wave;
- ``studies/<name>/notebooks/participants.ipynb``: one thin notebook (parameters, one load, one
  labelled table of counts through the engine's disclosure control);
- ``studies/<name>/report/findings.qmd`` and ``studies/<name>/_quarto.yml``: one report embedding the
  table, with the validation and provenance appendices;
- ``studies/<name>/README.md``: what to configure next;
- ``analysis/studies/<name>/``: ``sources.py`` (one source's contract, validation with quarantine:
  the engine's hooks ``SOURCE_CHECKS`` and ``INPUTS``), ``synthetic.py`` (``generate_all``, the
  deterministic synthetic data set in the real format) and ``tables.py`` (the pure table builder).

It refuses a name that is not a lower-case Python identifier or that a study already uses, and
never overwrites a file. The skeleton's words (site names, waves) are made here, not written out:
the engine names no study, not even the skeleton's placeholders.
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path
from string import Template

import nbformat

from analysis.errors import AnalysisError

NAME_RULE = re.compile(r"[a-z][a-z0-9_]*")

# acro 1.0.2's default settings (acro/default.yaml: safe_threshold, safe_nk_n, safe_nk_k, safe_pratio_p),
# the rule UK trusted research environments' output checkers apply; a study may tighten them.
DISCLOSURE_DEFAULTS = {"threshold": 10, "dominance_n": 2, "dominance_k": 0.90, "p_ratio": 0.10}

SITE_LETTERS = ("a", "b")  # the skeleton's two sites: ids site<letter>, names "Site <LETTER>"
WAVES = (  # id, label, date, months since the launch
    ("baseline", "Baseline", "2025-01-31", 0),
    ("follow_up", "Six-month follow-up", "2025-07-31", 6),
)
LAUNCH = "2025-01-06"
REPORT = "findings"
REPORT_DATE = "2025-09-30"
NOTEBOOK = "participants"
LABEL = "tbl-participants"
SEED = 20250106


class NewStudyError(AnalysisError):
    """A new study's name is unusable or taken: nothing was written."""


def sites() -> list[tuple[str, str]]:
    """The skeleton's sites as (id, name).

    >>> len(sites()), sites()[0][1].startswith("Site ")
    (2, True)
    """
    return [(f"site{c}", f"Site {c.upper()}") for c in SITE_LETTERS]


def check_name(name: str) -> None:
    """Refuse a name a study cannot have, with the reason.

    >>> check_name("class")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    analysis.newstudy.NewStudyError: 'class' cannot name a study: it is a Python keyword...
    """
    if not NAME_RULE.fullmatch(name or ""):
        raise NewStudyError(
            f"{name!r} cannot name a study: a study's name is a lower-case Python identifier (letters a-z, "
            "digits and underscores, starting with a letter, e.g. 'kinship_care'), because it names the package "
            "of its code (analysis.studies.<name>) and its folder (studies/<name>/)."
        )
    if keyword.iskeyword(name):
        raise NewStudyError(
            f"{name!r} cannot name a study: it is a Python keyword, and the package analysis.studies.{name} "
            "could not be imported. Choose another name."
        )


def check_free(name: str, repo: Path) -> None:
    """Refuse a name a study under ``repo`` already has (its folder or its code)."""
    taken = [p for p in (repo / "studies" / name, repo / "analysis" / "studies" / name) if p.exists()]
    if taken:
        raise NewStudyError(
            f"a study named {name!r} exists already ({', '.join(str(p) for p in taken)}): nothing was written. "
            "Choose another name, or remove those folders first if they are left over from an earlier attempt."
        )


def files(name: str, title: str | None = None) -> dict[str, str]:
    """Every file of the skeleton, as path (relative to the repository) -> text."""
    title = title or f"{name.replace('_', ' ').capitalize()} study"
    words = {
        "name": name,
        "title": title,
        "report": REPORT,
        "notebook": NOTEBOOK,
        "label": LABEL,
        "first_wave": WAVES[0][0],
        "last_wave": WAVES[-1][0],
        "report_date": REPORT_DATE,
        "title_text": _yaml_text(title),
    }
    root, code = f"studies/{name}", f"analysis/studies/{name}"
    out = {
        f"{root}/config/study.yml": study_yml(words),
        f"{root}/notebooks/{NOTEBOOK}.ipynb": notebook(words),
        f"{root}/report/{REPORT}.qmd": Template(REPORT_QMD).substitute(words),
        f"{root}/_quarto.yml": Template(QUARTO_YML).substitute(words),
        f"{root}/README.md": Template(STUDY_README).substitute(words),
        f"{code}/__init__.py": Template(INIT_PY).substitute(words),
        f"{code}/sources.py": Template(SOURCES_PY).substitute(words),
        f"{code}/synthetic.py": Template(SYNTHETIC_PY).substitute(words),
        f"{code}/tables.py": Template(TABLES_PY).substitute(words),
    }
    for wave, *_ in WAVES:
        out[f"{root}/config/waves/{wave}.yml"] = (
            f"# Parameters papermill injects into every notebook for this wave.\nwave: {wave}\n"
        )
    return out


def create(name: str, title: str | None = None, repo: Path | None = None) -> list[Path]:
    """Write the skeleton of study ``name`` under ``repo`` (the repository root); return the files written.

    Nothing is overwritten: the name is checked first, and every file is created new (a file that
    appeared meanwhile stops the run with an error).
    """
    check_name(name)
    if title is not None and (not title.strip() or any(c in title for c in "\r\n")):
        raise NewStudyError(f"the title must be one line of text, got {title!r}: nothing was written.")
    if repo is None:
        from analysis import paths

        repo = paths.REPO
    repo = Path(repo)
    check_free(name, repo)
    written = []
    for rel, text in files(name, title).items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        written.append(path)
    return written


def summary(name: str, written: list[Path], repo: Path | None = None) -> list[str]:
    """What :func:`create` wrote and what to do next, as lines to print."""
    from analysis import paths

    repo = Path(repo or paths.REPO)
    lines = [f"  wrote {p.relative_to(repo) if p.is_relative_to(repo) else p}" for p in written]
    lines.append(f"study {name!r}: {len(written)} files. Build it on synthetic data with `make report STUDY={name}`,")
    lines.append(f"then configure it as studies/{name}/README.md says.")
    if paths.PACKAGE.parent != repo.resolve():  # e.g. ANALYSIS_ROOT elsewhere: the code is not where Python looks
        lines.append(
            f"note: this Python imports the analysis package from {paths.PACKAGE}, not from {repo / 'analysis'}: "
            f"run the study from {repo} (or put it first on PYTHONPATH) so that analysis.studies.{name} is found."
        )
    return lines


# -- the files -------------------------------------------------------------------------------------


def _yaml_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string, quotes escaped


def study_yml(words: dict[str, str]) -> str:
    site_lines = "\n".join(
        f"  - id: {i}\n    name: {n}\n    sources: [participants]\n    teams: []" for i, n in sites()
    )
    wave_lines = "\n".join(
        f"  - id: {w}\n    label: {label}\n    date: {date}\n    months_since_launch: {m}"
        for w, label, date, m in WAVES
    )
    d = DISCLOSURE_DEFAULTS
    return Template(STUDY_YML).substitute(
        words,
        sites=site_lines,
        waves=wave_lines,
        wave_ids=", ".join(w for w, *_ in WAVES),
        launch=LAUNCH,
        seed=SEED,
        threshold=d["threshold"],
        dominance_n=d["dominance_n"],
        dominance_k=f"{d['dominance_k']:.2f}",
        p_ratio=f"{d['p_ratio']:.2f}",
    )


def notebook(words: dict[str, str]) -> str:
    """The skeleton's one notebook, without outputs: parameters, one load, one labelled table."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    w = words
    parameters = nbformat.v4.new_code_cell(
        "# Parameters: papermill injects these from config/waves/<wave>.yml\n"
        f'wave: str = "{w["last_wave"]}"  # wave id from config/study.yml; the notebook reports as at this wave'
    )
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# Participants\n\nWho was in the study at this wave: the participants register by site and role, "
            "with every count under the study's disclosure rule."
        ),
        parameters,
        nbformat.v4.new_code_cell(
            "from analysis import inputs, tables\n"
            f"from analysis.studies.{w['name']} import tables as study_tables\n\n"
            'inp = inputs.load(wave, ["participants"])\n'
            "study = inp.study"
        ),
        nbformat.v4.new_code_cell(
            f"#| label: {w['label']}\n"
            '#| tbl-cap: "Participants by site and role at this wave (participants register)."\n'
            'tables.show(study_tables.participants_display(study, inp.at("participants")))'
        ),
    ]
    for k, cell in enumerate(nb.cells):  # fixed ids, as the other notebooks have: the same skeleton every time
        cell["id"] = f"{NOTEBOOK}-{k:02d}"
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


STUDY_YML = """\
# The study configuration of the ${name} study (written by `python -m analysis new-study ${name}`):
# everything the engine and the study's code read about the study. Code never hard-codes a site, a wave
# date or a threshold: they live here. Every value below is a placeholder to replace (README.md).
study:
  title: ${title_text}
  short_title: ${title_text}
  evaluator: "The evaluation team"
  intervention: "The intervention under evaluation"
  launch_date: ${launch}
  # The package of the study's own code: its data contracts (sources.py), synthetic data (synthetic.py)
  # and report tables (tables.py).
  module: analysis.studies.${name}

# auto: real data when data/raw/ holds a folder for any wave, else the synthetic data set (`make data`)
data_source: auto

# The sites: `id` (lower case, used in files, parameters and output ids) and `name` (as printed), and
# the sources each delivers.
sites:
${sites}

# The waves: `date` is the cut date (the data are "as at" this day).
waves:
${waves}

return_to_office: null

thresholds:
  confidence: 0.95                 # all intervals

# Statistical disclosure control (acro's default settings): a count below `threshold` reads "<${threshold}",
# with secondary suppression so that it cannot be worked out from totals.
disclosure:
  threshold: ${threshold}
  dominance_n: ${dominance_n}
  dominance_k: ${dominance_k}
  p_ratio: ${p_ratio}

# Participants' roles (the participants register's `role` column).
roles: [practitioner, manager]

# The reports: each is report/<id>.qmd, built as at its last wave.
reports:
  - id: ${report}
    title: ${title_text}
    subtitle: "Findings"
    date: ${report_date}
    waves: [${wave_ids}]

# The synthetic data set (`make data STUDY=${name}`) is the same for the same seed.
synthetic:
  seed: ${seed}
"""

REPORT_QMD = """\
---
title: ${title_text}
subtitle: "Findings"
date: ${report_date}
author: "The evaluation team"
---

# Summary {#sec-summary}

This is the skeleton report of the study, written by `python -m analysis new-study ${name}`: one table of
counts from one data source, through the engine's disclosure control, and the validation and provenance
appendices every report carries. Replace this text with the report's own. @tbl-participants counts the
participants in the register at the report's last wave, by site and role.

{{< embed ../_build/reports/${report}/${notebook}.ipynb#${label} >}}

# Methods {#sec-methods}

**Data.** Each wave's participants register was checked against its contract (types, allowed values,
unique identifiers, no one joining after the wave's date). Rows that failed were set aside with the
reason, never silently dropped; @sec-validation counts them.

**Disclosure control.** Every count passed one disclosure step: counts below the study's threshold are
suppressed, with further cells suppressed so that none can be worked out from the totals. The rule is
stated in full in @sec-provenance.

# Appendix: data validation {#sec-validation}

{{< include ../_build/reports/${report}/validation.md >}}

# Appendix: provenance {#sec-provenance}

{{< include ../_build/reports/${report}/provenance.md >}}
"""

QUARTO_YML = """\
# The Quarto project of the ${name} study (read by Quarto and by the built-in renderer). Paths are
# relative to this folder, the study's root; the house style is shared with the other studies
# (the repository's report/ folder).
project:
  type: default
  output-dir: _build/quarto
  render:
    - report/${report}.qmd

lang: en-GB              # <html lang>, typst hyphenation and Quarto's labels (both renderers)

execute:
  enabled: false          # notebooks are executed by the build (papermill); embeds use their outputs

format:
  html:
    toc: true
    toc-depth: 2
    number-sections: true
    embed-resources: true
    css: ../../report/house.css
    filters: [../../report/focusable-tables.lua]   # tables that scroll on a phone take keyboard focus
    notebook-links: false
    notebook-view: false
  typst:
    toc: true
    toc-depth: 2
    number-sections: true
    papersize: a4
    margin:
      x: 2cm
      y: 2cm
    fontsize: 10pt
    include-in-header: ../../report/typst-header.typ
    notebook-links: false
"""

STUDY_README = """\
# ${title}

Written by `python -m analysis new-study ${name}`: the skeleton of a study on the project's engine. It
builds at once, on synthetic data:

```bash
make report STUDY=${name}        # or: python -m analysis --study ${name} report
```

and writes `_output/${report}.html` and `_output/${report}.pdf` under this folder.

```
config/study.yml          sites, waves and their dates, roles, disclosure rule, reports, the study's code package
config/waves/<wave>.yml   the parameters papermill injects, one file a wave
notebooks/${notebook}.ipynb  one thin notebook: parameters, one load, one labelled table
report/${report}.qmd        the report: embeds the notebook's labelled cells; validation and provenance appendices
_quarto.yml               the Quarto project (paths relative to this folder)
data/raw/<wave>/          delivered files (never in git); data/synthetic/<wave>/ is made by `make data STUDY=${name}`
```

The study's own code is in `analysis/studies/${name}/`: `sources.py` (each source's contract, its
validation with quarantine, and which tables a notebook may load), `synthetic.py` (the synthetic data
set, in the delivered format) and `tables.py` (pure table builders).

## What to configure next

1. **The study.** In `config/study.yml`: title, evaluator, intervention, launch date; the sites (ids and
   names as printed); the waves (ids, labels, cut dates) with a file in `config/waves/` for each; the
   roles; the reports, each with a `report/<id>.qmd`.
2. **The data contracts.** In `analysis/studies/${name}/sources.py`: one `TableSpec` per delivered table
   (columns, types, allowed values, row rules), a check function per source (read with
   `analysis.load.read_table`, validated with `analysis.validate.check_table`, which quarantines failing
   rows), listed in `SOURCE_CHECKS`; and in `INPUTS` the sources a notebook may load. `PEOPLE_TABLES`
   names the tables whose rows are people (the validation appendix counts only their quarantined rows);
   `TEMPLATE_TABLES`, `spec_for` and `template_instructions` make the data request workbook
   (`make template STUDY=${name}`).
3. **The synthetic data.** `analysis/studies/${name}/synthetic.py` writes every source of every wave in
   the format it is delivered in, deterministically from `synthetic: seed:`.
4. **The analysis.** One thin notebook per research question: a `parameters` cell, one
   `inputs.load(wave, [...])`, and each table in its own labelled cell (`#| label: tbl-...`, with a
   caption) shown with `tables.show(...)`, its counts through the engine's disclosure control
   (`tables.counts_table`). Builders go in `analysis/studies/${name}/tables.py`, with tests.
5. **The reports.** Embed the labelled cells in `report/<id>.qmd` as `report/${report}.qmd` does, and list
   each report in `_quarto.yml`. A report about one site has `site: <site id>` in `reports:`: its
   notebooks are run for it with a `site` parameter (add `site: str = ""` to their parameters cell).
6. **Optional.** `config/disclosure_exceptions.yml` (approved exceptions to the disclosure rule),
   `config/output_links.yml` (facts linking outputs, for the differencing audit), `config/protocol.yml`
   (the traceability appendix).

Then put delivered files in `data/raw/<wave>/`, and run `make validate STUDY=${name}` and
`make report STUDY=${name}`.
"""

INIT_PY = '''\
"""The ``${name}`` study: code that belongs to this study (its data contracts, synthetic data and report
tables). The engine reaches it only through the configuration (``study.module`` in
``studies/${name}/config/study.yml``)."""
'''

SOURCES_PY = '''\
"""The ``${name}`` study's data contracts and their checks: the engine's hooks ``SOURCE_CHECKS`` (run on each
wave's folder by the tidy stage) and ``INPUTS`` (the sources a notebook may load).

One source so far: the participants register, ``participants.csv`` (or ``.xlsx``) in each wave's
folder, one row per participant in the study at that wave. A site may be given by its id or its name.
Add a source with its ``TableSpec``, a check function, and entries in ``SOURCE_CHECKS`` and ``INPUTS``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.config import Study
from analysis.errors import UnusableFileError
from analysis.load import find_source, read_table
from analysis.schemas import FIRST_DATA_ROW, HEADER_ROW, NOTES_ROW, Column, RowRule, TableSpec
from analysis.validate import Checked, check_table

PARTICIPANTS = "participants"
COLUMNS = ["participant_id", "site", "role", "joined"]


def participants_spec(study: Study, wave: str | None = None) -> TableSpec:
    """The participants register's contract; with ``wave``, no one joined after the wave's date."""
    rules: tuple[RowRule, ...] = ()
    if wave is not None:
        cut = pd.Timestamp(study.wave(wave).date)
        rules = (
            RowRule(
                "joined_by_wave_date",
                f"A participant in the register at this wave joined on or before the wave's date ({cut.date()})",
                "joined",
                lambda t, _: t["joined"] > cut,
                lambda rows, _: [f"joined on {d.date()}, after the wave's date ({cut.date()})" for d in rows["joined"]],
            ),
        )
    return TableSpec(
        name=PARTICIPANTS,
        description="One row per participant in the study at this wave.",
        columns=(
            Column(
                "participant_id",
                "str",
                "Meaningless identifier, the same at every wave",
                "P01-001",
                aliases=("participant", "id"),
                unique=True,
            ),
            Column(
                "site",
                "category",
                "Site the participant belongs to (its id or its name)",
                study.sites[0].name,
                allowed=tuple(s.id for s in study.sites),
            ),
            Column("role", "category", "Role in the study", study.roles[0], allowed=tuple(study.roles)),
            Column("joined", "date", "Date the participant joined the study", str(study.launch_date)),
        ),
        row_rules=rules,
    )


def _site_ids(cells: pd.Series, study: Study) -> pd.Series:
    """Sites given by name (any case and spacing) as their ids; anything else as delivered."""
    ids = {" ".join(s.name.lower().split()): s.id for s in study.sites}
    return cells.map(lambda v: ids.get(" ".join(v.lower().split()), v) if isinstance(v, str) else v)


def check_participants(folder: Path, study: Study) -> tuple[dict[str, Checked], list[UnusableFileError]]:
    """The wave folder's participants register, validated: accepted rows, and quarantined rows with
    file, row, column, rule and message. A folder without one gives nothing."""
    path = find_source(folder, PARTICIPANTS)
    if path is None:
        return {}, []
    spec = participants_spec(study, Path(folder).name)
    try:
        delivered = read_table(path, spec)
    except UnusableFileError as exc:
        return {}, [exc]
    frame = delivered.frame.assign(site=_site_ids(delivered.frame["site"], study))
    return {PARTICIPANTS: check_table(delivered, spec, frame=frame)}, []


# Every source: function(wave folder, study) -> (checked tables by name, unusable files)
SOURCE_CHECKS = [check_participants]

# The sources a notebook may ask analysis.inputs.load for, each naming its tidy tables
INPUTS: dict[str, tuple[str, ...]] = {PARTICIPANTS: (PARTICIPANTS,)}

# Tables whose rows are people: the validation appendix counts only their quarantined rows (the
# report's own tables count the people, under the disclosure rule)
PEOPLE_TABLES = (PARTICIPANTS,)
PEOPLE_TABLES_TEXT = "the participants register"

# The tables a data provider is asked for in the data request workbook (`make template`), one sheet each
TEMPLATE_TABLES = (PARTICIPANTS,)


def spec_for(table: str, study: Study) -> TableSpec:
    """The contract of ``table``, as the data request workbook gives it."""
    specs = {PARTICIPANTS: participants_spec}
    if table not in specs:
        raise KeyError(f"no table {table!r} in this study (tables: {', '.join(specs)})")
    return specs[table](study)


def template_instructions(study: Study, specs: list[TableSpec]) -> list[tuple[str, str]]:
    """The data request workbook's instructions sheet, as (heading, text) pairs."""
    waves = "; ".join(f"{w.label}: {w.date.isoformat()}" for w in study.waves)
    return [
        (
            "About the evaluation",
            f"{study.evaluator} is carrying out the evaluation '{study.title}'. This workbook asks for the data "
            "it needs. Only summary figures ever leave the evaluation team; no one can be identified in a report.",
        ),
        ("When to send it", f"A copy at each wave, with the data as at the wave's date ({waves})."),
        ("What to send", "One sheet per table. " + " ".join(f"The '{s.name}' sheet: {s.description}" for s in specs)),
        (
            "How to fill it in",
            f"Row {HEADER_ROW} holds the column names and row {NOTES_ROW} a note on each column: leave both in "
            f"place. Enter the data from row {FIRST_DATA_ROW} down, one row per record, with no blank rows or "
            "totals. Columns with a fixed list of values offer a drop-down list: use its values exactly.",
        ),
        (
            "Pseudonymise before sending",
            "Do not include names, dates of birth, addresses or anything else that identifies a person. Give each "
            "person a meaningless identifier, the same at every wave, and keep the key that links it to them.",
        ),
    ]
'''

SYNTHETIC_PY = '''\
"""The ``${name}`` study's synthetic data set, in the delivered format: ``<wave>/participants.csv``.

Written only by ``python -m analysis --study ${name} data`` (``make data STUDY=${name}``). The same seed
(``synthetic: seed:`` in the study configuration) gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from analysis.config import Study
from analysis.studies.${name}.sources import COLUMNS, PARTICIPANTS

PER_SITE = (60, 91)  # participants per site over the whole study: 60 to 90
LEAD_IN_DAYS = 90  # the earliest joined before the launch


def participants(study: Study) -> list[dict[str, str]]:
    """Every synthetic participant (id, site name, role, date joined), drawn from the study's seed."""
    rng = np.random.default_rng(study.seed)
    first = study.launch_date - dt.timedelta(days=LEAD_IN_DAYS)
    span = (max(w.date for w in study.waves) - first).days
    weights = np.array([3.0] + [1.0] * (len(study.roles) - 1))  # the first role is the most common
    rows = []
    for i, site in enumerate(study.sites, start=1):
        for k in range(1, int(rng.integers(*PER_SITE)) + 1):
            joined = first + dt.timedelta(days=int(rng.integers(0, span + 1)))
            role = study.roles[int(rng.choice(len(study.roles), p=weights / weights.sum()))]
            rows.append({"participant_id": f"P{i:02d}-{k:03d}", "site": site.name, "role": role, "joined": str(joined)})
    return rows


def generate_all(folder: Path, study: Study) -> list[Path]:
    """One folder per wave under ``folder``, each with ``participants.csv``: the register as at the
    wave's date (everyone who had joined by then). Returns every file written."""
    people = participants(study)
    written = []
    for wave in study.waves:
        out = Path(folder) / wave.id / f"{PARTICIPANTS}.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(p for p in people if dt.date.fromisoformat(p["joined"]) <= wave.date)
        written.append(out)
    return written
'''

TABLES_PY = '''\
"""The ``${name}`` study's report tables: pure builders (tidy tables in, tables out); counts pass the
engine's disclosure control (:func:`analysis.tables.counts_table`) before a notebook shows them."""

from __future__ import annotations

import pandas as pd

from analysis.config import Study
from analysis.tables import counts_table, note


def participant_counts(participants: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Participants by site (rows, by name, in the configuration's order) and role (columns), zeros kept."""
    names = {s.id: s.name for s in study.sites}
    counts = pd.crosstab(participants["site"].astype(str).map(names), participants["role"].astype(str))
    counts = counts.reindex(index=list(names.values()), columns=list(study.roles), fill_value=0)
    return counts.rename_axis(index="Site", columns=None)


def participants_display(study: Study, participants: pd.DataFrame | None) -> pd.DataFrame:
    """The participants table as published: counts under the study's disclosure rule, with totals."""
    if participants is None:
        return note("No participants register was delivered for this wave.")
    return counts_table(participant_counts(participants, study), study)
'''
