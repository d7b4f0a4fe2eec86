"""Execution: every research-question notebook for every wave, with papermill, into
``_build/notebooks/<wave>/<notebook>.ipynb``; then each report's notebooks are staged (the
report is written as at its last wave) under ``_build/reports/<report>/``.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from analysis import paths
from analysis.config import Study, load_study, wave_parameters


@dataclass
class Execution:
    notebook: str
    wave: str
    output: Path
    parameters: dict
    seconds: float


def notebook_names() -> list[str]:
    """Every notebook template, in name order (summary first, then the RQs)."""
    names = sorted(p.stem for p in paths.NOTEBOOKS.glob("*.ipynb"))
    return sorted(names, key=lambda n: (n != "summary", n))


def execute(notebook: str, wave: str, kernel: str = "python3") -> Execution:
    """Execute one notebook for one wave with papermill's Python API."""
    import papermill as pm

    params = wave_parameters(wave)
    out = paths.executed_notebook(wave, notebook)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    pm.execute_notebook(str(paths.notebook_template(notebook)), str(out), parameters=params,
                        kernel_name=kernel, progress_bar=False, cwd=str(paths.NOTEBOOKS))
    return Execution(notebook, wave, out, params, time.perf_counter() - t0)


def execute_all(study: Study | None = None, waves: list[str] | None = None,
                notebooks: list[str] | None = None) -> list[Execution]:
    """A plain serial loop over notebooks × waves."""
    study = study or load_study()
    done = []
    for wave in waves or study.wave_ids:
        for nb in notebooks or notebook_names():
            done.append(execute(nb, wave))
    write_execution_log(done)
    return done


def write_execution_log(done: list[Execution]) -> None:
    log = paths.BUILD / "executions.json"
    old = json.loads(log.read_text()) if log.exists() else {}
    for e in done:
        old[f"{e.wave}/{e.notebook}"] = {"notebook": f"notebooks/{e.notebook}.ipynb", "wave": e.wave,
                                         "parameters": e.parameters, "seconds": round(e.seconds, 2)}
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(json.dumps(dict(sorted(old.items())), indent=2))


def stage_report(report_id: str, study: Study | None = None) -> Path:
    """Copy the notebooks a report embeds (executed as at its last wave) into
    ``_build/reports/<report>/`` so that the report sources name no wave."""
    study = study or load_study()
    report = study.report(report_id)
    dest = paths.STAGED_REPORTS / report_id
    dest.mkdir(parents=True, exist_ok=True)
    for nb in notebook_names():
        src = paths.executed_notebook(report.last_wave, nb)
        if not src.exists():
            raise FileNotFoundError(f"{src} has not been executed; run `python -m analysis build` first.")
        shutil.copyfile(src, dest / f"{nb}.ipynb")
    return dest
