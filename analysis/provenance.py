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
    """(commit, dirty) of the working tree; ("not a git checkout", False) outside git."""
    root = root or paths.ROOT
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
            f"data set that `make data` generates (`{rel(src.root)}/`, seed {study.seed}): no figure in this "
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


def provenance_markdown(study: Study, report_id: str, renderer: str, src: DataSource) -> str:
    """The provenance appendix of one report, as Markdown; its first line names the data source."""
    from analysis.disclose import rule_text
    from analysis.tables import to_markdown

    report = study.report(report_id)
    commit, dirty = git_state()
    log_path = paths.BUILD / "executions.json"
    log = json.loads(log_path.read_text()) if log_path.exists() else {}
    runs = [v for k, v in log.items() if v["wave"] in report.waves]
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
        f"- **Disclosure rule**: {rule_text(study.disclosure)}",
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


def validation_markdown(study: Study, report_id: str) -> str:
    """The validation appendix: rows delivered, accepted and quarantined per table and why."""
    from analysis import tidy
    from analysis.disclose import format_count, suppress_counts
    from analysis.tables import to_markdown

    counts, why = [], []
    unusable = []
    for w in study.report(report_id).waves:
        s = tidy.validation_summary(w)
        for t in s["tables"]:
            counts.append(
                {
                    "Wave": study.wave(w).label,
                    "Table": t["table"],
                    "Accepted": t["accepted"],
                    "Quarantined": t["quarantined"],
                    "All rows delivered": t["delivered"],
                }
            )
            rules = s["rules"].get(t["table"], {})
            why.append("; ".join(f"{r} ({format_count(n, study.disclosure)})" for r, n in rules.items()) or "–")
        unusable += [(study.wave(w).label, u) for u in s["unusable"]]
    frame = pd.DataFrame(counts, columns=["Wave", "Table", "Accepted", "Quarantined", "All rows delivered"])
    if len(frame):
        # accepted + quarantined = delivered: suppress so that no small count can be recovered;
        # a zero (nothing quarantined) is shown
        d = suppress_counts(frame.set_index(["Wave", "Table"]), study.disclosure, totals=False, zeros_disclosive=False)
        frame = d.display.reset_index()
    frame["Why quarantined"] = why
    rows = frame.to_dict(orient="records")
    for wave_label, u in unusable:
        rows.append(
            {
                "Wave": wave_label,
                "Table": "unusable file",
                "Accepted": "0",
                "Quarantined": "–",
                "All rows delivered": "–",
                "Why quarantined": u,
            }
        )
    frame = pd.DataFrame(
        rows, columns=["Wave", "Table", "All rows delivered", "Accepted", "Quarantined", "Why quarantined"]
    )
    return (
        "Counts of rows are counts of records, not of people; like every count in this report, those below "
        f'the disclosure threshold read "<{study.disclosure.threshold}". Quarantined rows are kept, with the '
        "reason, under `_build/quarantine/<wave>/` for the data provider to correct; the exact counts are in "
        "`_build/validation/`.\n\n" + to_markdown(frame) + "\n"
    )
