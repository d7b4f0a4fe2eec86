"""Provenance: what each report was built from, printed as its last appendix."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.config import Study
from analysis.source import DataSource, rel

PACKAGES = [
    "pandas",
    "numpy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "pandera",
    "papermill",
    "acro",
    "pyarrow",
    "openpyxl",
    "typst",
    "pypandoc-binary",
    "doit",
    "nbclient",
    "ipykernel",
]


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def git_state(root: Path | None = None) -> tuple[str, bool]:
    """(commit, dirty) of the working tree (the repository's, whichever study is built); ("not a git
    checkout", False) outside git."""
    root = root or paths.REPO
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit, bool(status)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "not a git checkout", False


def input_files(study: Study, waves: list[str]) -> pd.DataFrame:
    """Every file the report's waves were validated from, with the SHA-256 recorded when it was
    validated (``_build/data/<wave>/validation.json``): exactly what the tidy tables were made of."""
    rows = []
    for w in waves:
        record = json.loads((paths.tidy_dir(w) / "validation.json").read_text())
        for name, digest in sorted(record.get("files", {}).items()):
            rows.append({"Wave": w, "File": f"{record['source_dir']}/{name}", "SHA-256": digest})
    return pd.DataFrame(rows, columns=["Wave", "File", "SHA-256"])


def source_statement(study: Study, src: DataSource) -> str:
    """The appendix's first line: where the data came from, plainly."""
    if src.synthetic:
        return (
            "**Synthetic data: not for publication.** Every input file listed below is from the synthetic "
            f"data set that `make data{paths.study_option()}` generates (`{rel(src.root)}/`, seed {study.seed}): "
            "no figure in this "
            "report describes real people."
        )
    return (
        f"**Data source: delivered data** (`{rel(src.root)}/`). Every input file listed below is a file as "
        "delivered; no synthetic data were used."
    )


def package_versions() -> pd.DataFrame:
    rows = []
    for p in PACKAGES:
        try:
            rows.append({"Package": p, "Version": metadata.version(p)})
        except metadata.PackageNotFoundError:
            rows.append({"Package": p, "Version": "not installed"})
    return pd.DataFrame(rows)


def provenance_markdown(
    study: Study, report_id: str, renderer: str, src: DataSource, exceptions=None, output_ids=None
) -> str:
    """The provenance appendix of one report, as Markdown; its first line names the data source.
    ``exceptions`` (:class:`analysis.outputs.Exceptions`) and ``output_ids`` (the report's registered
    outputs): the exceptions under which outputs of this report were released are listed."""
    from analysis import outputs
    from analysis.tables import to_markdown

    report = study.report(report_id)
    commit, dirty = git_state()
    log_path = paths.BUILD / "executions.json"
    log = json.loads(log_path.read_text()) if log_path.exists() else {}
    run = study.report_run(report_id)
    if run is None:  # the notebooks executed for each of its waves
        runs = [v for v in log.values() if v["wave"] in report.waves and not v.get("report")]
    else:  # its own run
        runs = [v for v in log.values() if v.get("report") == run]
    execs = pd.DataFrame(
        [
            {
                "Notebook": r["notebook"],
                "Wave": r["wave"],
                "Parameters": ", ".join(f"{k}={v}" for k, v in r["parameters"].items()),
            }
            for r in runs
        ],
        columns=["Notebook", "Wave", "Parameters"],
    )
    lines = [
        source_statement(study, src),
        "",
        f"- **Data source**: {src.kind}",
        f"- **Git commit**: `{commit}`"
        f"{' (working tree had uncommitted changes)' if dirty else ' (clean working tree)'}",
        f"- **Built**: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- **Renderer**: {renderer}",
        f"- **Waves in this report**: {', '.join(study.wave(w).label for w in report.waves)}",
        f"- **Disclosure rule**: {outputs.mitigation_rule_text(study.disclosure)}",
        "",
        "**Outputs released under an exception to the disclosure rule** (marked † in the report; each "
        "approved by an output checker other than the analyst who asked)",
        "",
        outputs.provenance_table((exceptions or outputs.Exceptions()).for_report(report_id), output_ids),
        "",
        "**Notebook executions and their parameters**",
        "",
        to_markdown(execs, code=["Notebook"]),
        "",
        "**Input files (SHA-256)**",
        "",
        to_markdown(input_files(study, list(report.waves)), code=["File", "SHA-256"]),
        "",
        "**Package versions**",
        "",
        to_markdown(package_versions()),
        "",
    ]
    return "\n".join(lines)


# Tables whose rows are people (or their answers): their delivered and accepted rows per wave are
# not printed in the appendix. The report's own tables count those people (disclosed); printed again
# per wave they would let a suppressed count be worked out by subtraction (the differencing audit
# found managers, survey quarantine and interviews per wave that way). A study names them in its
# ``sources`` module: ``PEOPLE_TABLES`` (table names) and ``PEOPLE_TABLES_TEXT`` (them in words, for
# the appendix); a study that names none has every table taken as one of people.
NOT_PRINTED = "–"


def people_tables(study: Study, tables) -> tuple[tuple[str, ...], str]:
    """The tables among ``tables`` whose rows are people, and the words the appendix uses for them."""
    hooks = study.code("sources")
    names = getattr(hooks, "PEOPLE_TABLES", None)
    if names is None:
        return tuple(tables), "every table of this study"
    return tuple(names), str(getattr(hooks, "PEOPLE_TABLES_TEXT", ", ".join(names)))


def validation_markdown(study: Study, report_id: str) -> str:
    """The validation appendix: rows delivered, accepted and quarantined per table and why."""
    return validation_appendix(study, report_id)[0]


def validation_appendix(study: Study, report_id: str):
    """The validation appendix as Markdown, and its output record for output checking (id
    ``<report>/app-validation``): rows delivered, accepted and quarantined per table and wave, with
    the reasons. Tables of people (:data:`PEOPLE_TABLES`) show only their quarantined rows."""
    from analysis import tidy
    from analysis.disclose import format_count, suppress_counts
    from analysis.tables import to_markdown

    s = study.disclosure
    counts, why, unusable = [], {}, []
    for w in study.report(report_id).waves:
        summary = tidy.validation_summary(w)
        for t in summary["tables"]:
            key = (study.wave(w).label, t["table"])
            counts.append(
                {
                    "Wave": key[0],
                    "Table": key[1],
                    "Accepted": t["accepted"],
                    "Quarantined": t["quarantined"],
                    "All rows delivered": t["delivered"],
                }
            )
            rules = summary["rules"].get(t["table"], {})
            why[key] = "; ".join(f"{r} ({format_count(n, s)})" for r, n in rules.items()) or "–"
        unusable += [(study.wave(w).label, u) for u in summary["unusable"]]
    cols = ["Wave", "Table", "All rows delivered", "Accepted", "Quarantined"]
    frame = pd.DataFrame(counts, columns=["Wave", "Table", "Accepted", "Quarantined", "All rows delivered"])
    people_names, people_text = people_tables(study, frame["Table"].unique())
    people = frame["Table"].isin(people_names)
    shown = frame.astype({c: object for c in ("Accepted", "Quarantined", "All rows delivered")})
    reasons = pd.DataFrame("", index=frame.index, columns=frame.columns, dtype=object)
    events = frame[~people]
    if len(events):
        # accepted + quarantined = delivered: suppress so that no small count can be recovered; a zero
        # (nothing quarantined) is shown
        d = suppress_counts(events.set_index(["Wave", "Table"]), s, totals=False, zeros_disclosive=False)
        for k, idx in enumerate(events.index):
            for c in d.display.columns:
                shown.loc[idx, c] = d.display.iloc[k][c]
                reasons.loc[idx, c] = d.cell_reasons.iloc[k][c]
    for idx in frame.index[people]:
        q = int(frame.loc[idx, "Quarantined"])
        shown.loc[idx, ["Accepted", "All rows delivered"]] = NOT_PRINTED
        shown.loc[idx, "Quarantined"] = "0" if q == 0 else format_count(q, s)
        reasons.loc[idx, "Quarantined"] = "threshold" if 0 < q < s.threshold else ""
    shown["Why quarantined"] = [why[(r.Wave, r.Table)] for r in frame.itertuples()]
    rows = shown[[*cols, "Why quarantined"]].to_dict(orient="records")
    for wave_label, u in unusable:
        rows.append(
            {
                "Wave": wave_label,
                "Table": "unusable file",
                "All rows delivered": "–",
                "Accepted": "0",
                "Quarantined": "–",
                "Why quarantined": u,
            }
        )
    table = pd.DataFrame(rows, columns=[*cols, "Why quarantined"])
    output = _validation_output(f"{report_id}/app-validation", shown, frame, reasons)
    text = (
        "Counts of rows are counts of records, not of people; like every count in this report, those below "
        f'the disclosure threshold read "<{s.threshold}". For tables whose rows are people ({people_text}) '
        "only the quarantined rows are counted here "
        f"({NOT_PRINTED} elsewhere): the report's own tables count those people, and counting them again here, "
        "wave by wave, would let a suppressed number be worked out by subtraction. Quarantined rows are kept, "
        "with the reason, under `_build/quarantine/<wave>/` for the data provider to correct; the exact counts "
        "are in `_build/validation/`.\n\n" + to_markdown(table) + "\n"
    )
    return text, output


def _validation_output(output_id: str, shown: pd.DataFrame, true: pd.DataFrame, reasons: pd.DataFrame):
    """The appendix's counts as an output: rows ``<wave> / <table>``, each printed count a cell."""
    from analysis import outputs

    cols = ("Accepted", "Quarantined", "All rows delivered")  # the last adds up the others
    rows = tuple(f"{r.Wave} / {r.Table}" for r in shown.itertuples())
    cells = []
    for k, row in enumerate(rows):
        for c in cols:
            value = str(shown.iloc[k][c])
            if value == NOT_PRINTED:
                continue
            codes, detail = outputs._parse_reasons(reasons.iloc[k][c]) if reasons.iloc[k][c] else ((), "")
            hidden = value.startswith("<")
            held = float(true.iloc[k][c]) if hidden else None
            cells.append(outputs.Cell(row, c, value, codes, outputs.SUPPRESSED if hidden else "", held, detail))
    return outputs.Output(
        output_id,
        outputs.TABLE,
        "Data validation appendix",
        rows,
        cols,
        tuple(cells),
        source="analysis/provenance.py (validation appendix)",
    )
