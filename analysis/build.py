"""The build graph: doit decides what is out of date (md5 of every input), runs what is, in
parallel, and shows each task as it starts and ends.

Tasks and their inputs:

- ``data``: the synthetic data set (only for waves without real data); inputs: the generator's
  source and the study configuration.
- ``validate:<wave>``: the wave's delivered files, the configuration, the loaders' source.
- ``execute:<wave>/<notebook>``: the notebook template, the wave's parameter file, the
  configuration, the ``analysis`` package source, and the validated tables of this wave and of
  the waves before it (a notebook shows the trend up to its wave).
- ``report:<report>``: the notebooks executed as at the report's last wave, the report source,
  ``_quarto.yml``, the validated tables of the report's waves.

Changing the endline's data re-runs only ``validate:endline``, the endline notebooks and the
December report; changing a wave's parameter file re-runs only that wave's notebooks and the
reports that include that wave.

doit was chosen over snakemake: it is a small pure-Python library, its Python API fits a
package that is driven by ``python -m analysis``, it keeps md5 up-to-date checks in one file,
and it runs tasks in parallel (``-n``); snakemake's rule language and workflow machinery add a
second way of describing what this package already describes.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from analysis import paths
from analysis.config import Study, load_study, wave_parameters

_LOCK = threading.Lock()


def notebook_names() -> list[str]:
    """Every notebook template: the success-criteria summary first, then the rest by name."""
    names = sorted(p.stem for p in paths.NOTEBOOKS.glob("*.ipynb"))
    return sorted(names, key=lambda n: (n != "summary", n))


def _rel(p: Path) -> str:
    return str(p.relative_to(paths.ROOT)) if p.is_relative_to(paths.ROOT) else str(p)


def package_sources() -> list[str]:
    return sorted(str(p) for p in paths.PACKAGE.rglob("*.py"))


def config_files() -> list[str]:
    return sorted(str(p) for p in paths.CONFIG.glob("*.yml"))


def validation_record(wave: str) -> Path:
    return paths.tidy_dir(wave) / "validation.json"


def synthetic_manifest() -> Path:
    return paths.SYNTHETIC / "manifest.json"


def waves_needing_synthetic(study: Study, data_dir: Path | None) -> list[str]:
    return [] if data_dir is not None else [w for w in study.wave_ids if not (paths.RAW / w).is_dir()]


# -- actions (run inside doit; heavy imports stay inside) -------------------------------------


def make_synthetic() -> None:
    from analysis.provenance import sha256
    from analysis.synthetic import generate_all

    study = load_study()
    written = generate_all(paths.SYNTHETIC, study)
    manifest = {_rel(Path(p)): sha256(Path(p)) for p in sorted(map(Path, written))}
    synthetic_manifest().write_text(json.dumps(manifest, indent=2))


def validate(wave: str, data_dir: str | None):
    from doit.exceptions import TaskFailed

    from analysis import tidy

    res = tidy.validate_wave(wave, Path(data_dir) if data_dir else None)
    if res.unusable:
        return TaskFailed("\n".join(f"unusable file: {u}" for u in res.unusable))
    return True


@dataclass
class BuildState:
    """What one build run shares between its tasks (kernel pool, outcomes, options)."""

    jobs: int
    renderer: str = "auto"
    data_dir: Path | None = None
    pool: object | None = None
    outcomes: list = field(default_factory=list)

    def get_pool(self):
        from analysis.execute import KernelPool

        with _LOCK:
            if self.pool is None:
                self.pool = KernelPool(self.jobs)
        return self.pool


def failure_block(o) -> str:
    rel_nb = f"notebooks/{o.notebook}.ipynb"
    cell = f"cell {o.cell}" if o.cell is not None else "kernel"
    return (
        f"notebook {rel_nb}, wave {o.wave}, {cell}: {o.error}\n"
        f"  the executed notebook is kept at {_rel(Path(o.failed_copy))}"
    )


def execute(state: BuildState, notebook: str, wave: str):
    from doit.exceptions import TaskFailed

    params = wave_parameters(wave)
    outcome = state.get_pool().submit(notebook, wave, params).result()
    with _LOCK:
        state.outcomes.append(outcome)
        record_execution(outcome)
    return True if outcome.ok else TaskFailed(failure_block(outcome))


def record_execution(o) -> None:
    log = paths.BUILD / "executions.json"
    old = json.loads(log.read_text()) if log.exists() else {}
    old[f"{o.wave}/{o.notebook}"] = {
        "notebook": f"notebooks/{o.notebook}.ipynb",
        "wave": o.wave,
        "parameters": o.parameters,
        "seconds": round(o.seconds, 2),
    }
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


def report(state: BuildState, report_id: str):
    from doit.exceptions import TaskFailed

    from analysis import provenance, render

    study = load_study()
    renderer = state.renderer
    if renderer == "auto":
        renderer = "quarto" if render.quarto_available() else "builtin"
    dest = stage_report(report_id, study)
    (dest / "validation.md").write_text(provenance.validation_markdown(study, report_id), encoding="utf-8")
    (dest / "provenance.md").write_text(
        provenance.provenance_markdown(study, report_id, renderer, state.data_dir), encoding="utf-8"
    )
    try:
        render.render(report_id, renderer)
    except render.RenderError as exc:
        return TaskFailed(f"report {report_id}: {exc}")
    return True


# -- the graph ---------------------------------------------------------------------------------


def data_tasks(study: Study, data_dir: Path | None) -> list[dict]:
    if not waves_needing_synthetic(study, data_dir):
        return []
    gen = sorted(str(p) for p in (paths.PACKAGE / "synthetic").glob("*.py")) + config_files()

    def files_present() -> bool:
        m = synthetic_manifest()
        return m.exists() and all((paths.ROOT / f).exists() for f in json.loads(m.read_text()))

    return [
        {
            "basename": "data",
            "actions": [make_synthetic],
            "file_dep": gen,
            "targets": [str(synthetic_manifest())],
            "uptodate": [files_present],
            "doc": "synthetic data",
        }
    ]


def graph(study: Study, state: BuildState, waves: list[str], reports: list[str]) -> list[dict]:
    """Task dictionaries for the selected waves and reports (doit's format)."""
    tasks: list[dict] = []
    pkg, cfg = package_sources(), config_files()
    loaders = [
        s
        for s in pkg
        if Path(s).stem in ("load", "validate", "schemas", "tidy", "qualtrics", "qda", "linkage", "config", "paths")
    ]
    needed = set(waves)
    for r in reports:
        needed |= set(study.report(r).waves)
    # a notebook for wave W reads W and the waves before it
    ordered = [w for w in study.wave_ids if any(study.wave_ids.index(w) <= study.wave_ids.index(x) for x in needed)]
    for w in ordered:
        folder = paths.raw_wave_dir(w, state.data_dir)
        files = sorted(str(p) for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
        # worker linkage (analysis.linkage) compares with the earlier waves' workers files
        files += sorted(str(p) for x in study.waves_up_to(w)[:-1] for p in folder.parent.glob(f"{x.id}/workers.*"))
        tasks.append(
            {
                "basename": "validate",
                "name": w,
                "actions": [(validate, [w, str(state.data_dir) if state.data_dir else None])],
                "file_dep": files + cfg + loaders,
                "targets": [str(validation_record(w))],
                "doc": f"validate {w}",
            }
        )
    exec_waves = [w for w in ordered if w in needed]
    for w in exec_waves:
        upstream = [str(validation_record(x.id)) for x in study.waves_up_to(w)]
        for nb in notebook_names():
            tasks.append(
                {
                    "basename": "execute",
                    "name": f"{w}/{nb}",
                    "actions": [(execute, [state, nb, w])],
                    "file_dep": [str(paths.notebook_template(nb)), str(paths.wave_config(w))] + cfg + pkg + upstream,
                    "targets": [str(paths.executed_notebook(w, nb))],
                    "doc": f"{nb} [{w}]",
                }
            )
    for r in reports:
        rep = study.report(r)
        deps = [str(paths.executed_notebook(rep.last_wave, nb)) for nb in notebook_names()]
        deps += [str(validation_record(w)) for w in rep.waves]
        deps += [
            str(paths.wave_config(w)) for w in rep.waves
        ]  # the provenance appendix lists every execution's parameters
        deps += [str(paths.REPORT / f"{r}.qmd"), str(paths.QUARTO_PROJECT)] + sorted(
            str(p) for p in paths.REPORT.glob("*.css")
        )
        deps += [s for s in pkg if Path(s).stem in ("render", "provenance", "build")]
        tasks.append(
            {
                "basename": "report",
                "name": r,
                "actions": [(report, [state, r])],
                "file_dep": deps,
                "targets": [str(paths.OUTPUT / f"{r}.html"), str(paths.OUTPUT / f"{r}.pdf")],
                "doc": f"report {r}",
            }
        )
    return tasks


# -- running it --------------------------------------------------------------------------------


class ProgressReporter:
    """One line per task: what starts, what is done and how long it took, what failed and why."""

    def __init__(self, outstream, options):
        from rich.console import Console

        # sys.__stderr__: doit swaps sys.stderr for its capturing writers while tasks run in threads
        self.console = Console(
            file=sys.__stderr__ if outstream is None else outstream,
            highlight=False,
            force_terminal=None,
            soft_wrap=True,
        )
        self.started: dict[str, float] = {}
        self.ran: list[str] = []
        self.uptodate: list[str] = []
        self.failed: list[tuple[str, str]] = []
        self.t0 = time.perf_counter()

    def initialize(self, tasks, selected_tasks):
        pass

    def get_status(self, task):
        pass

    def _label(self, task) -> str:
        return task.name.replace(":", " ", 1)

    def execute_task(self, task):
        with _LOCK:
            self.started[task.name] = time.perf_counter()
            if task.actions:
                self.console.print(f"[cyan]▶ running[/] {self._label(task)}")

    def add_success(self, task):
        with _LOCK:
            dt = time.perf_counter() - self.started.get(task.name, time.perf_counter())
            if task.actions:
                self.ran.append(task.name)
                self.console.print(f"[green]✓ done[/]    {self._label(task)} [dim]({dt:.1f}s)[/]")

    def add_failure(self, task, fail):
        with _LOCK:
            msg = fail.get_msg().strip() if hasattr(fail, "get_msg") else str(fail)
            self.failed.append((task.name, msg))
            if type(fail).__name__ == "UnmetDependency":
                self.console.print(
                    f"[yellow]⊘ skipped[/] {self._label(task)}: it needs {msg.replace(':', ' ', 1)}, which failed"
                )
            else:
                self.console.print(f"[bold red]✗ FAILED[/]  {self._label(task)}\n  {msg}")

    def skip_uptodate(self, task):
        self.uptodate.append(task.name)

    def skip_ignore(self, task):
        pass

    def cleanup_error(self, exception):
        self.console.print(f"[red]cleanup error:[/] {exception}")

    def runtime_error(self, msg):
        self.console.print(f"[bold red]build error:[/] {msg}")

    def teardown_task(self, task):
        pass

    def complete_run(self):
        pass  # the summary is printed once by run(), over both passes


@dataclass
class RunResult:
    code: int
    ran: list[str]
    uptodate: list[str]
    failed: list[tuple[str, str]]
    outcomes: list


def run(
    waves: list[str] | None = None,
    reports: list[str] | None = None,
    jobs: int | None = None,
    renderer: str = "auto",
    data_dir: Path | None = None,
    always: bool = False,
) -> RunResult:
    """Bring the selected waves' notebooks (and reports) up to date."""
    from doit.cmd_base import TaskLoader2
    from doit.doit_cmd import DoitMain
    from doit.loader import generate_tasks

    t_start = time.perf_counter()
    study = load_study()
    waves = waves if waves is not None else study.wave_ids
    reports = reports if reports is not None else []
    state = BuildState(jobs or os.cpu_count() or 1, renderer, data_dir)
    paths.BUILD.mkdir(parents=True, exist_ok=True)
    holder: dict[str, ProgressReporter] = {}

    class Reporter(ProgressReporter):
        def __init__(self, outstream, options):
            super().__init__(None, options)
            holder["r"] = self

    def one_pass(task_dicts: list[dict]) -> int:
        class Loader(TaskLoader2):
            def load_doit_config(self):
                return {
                    "dep_file": str(paths.BUILD / "doit.json"),
                    "backend": "json",
                    "reporter": Reporter,
                    "num_process": state.jobs,
                    "par_type": "thread",
                    "continue": True,
                    "verbosity": 0,
                    "check_file_uptodate": "md5",
                }

            def load_tasks(self, cmd, pos_args):
                groups: dict[str, list[dict]] = {}
                for d in task_dicts:
                    groups.setdefault(d["basename"], []).append({k: v for k, v in d.items() if k != "basename"})
                out = []
                for base, items in groups.items():
                    if "name" in items[0]:
                        out += generate_tasks(base, (i for i in items))
                    else:
                        out += generate_tasks(base, items[0])
                return out

        names = [d["basename"] + (f":{d['name']}" if "name" in d else "") for d in task_dicts]
        if not names:
            return 0
        args = ["run"] + (["--always-execute"] if always else []) + names
        return DoitMain(Loader(), extra_config={"GLOBAL": {}}).run(args)

    ran, up, failed = [], [], []
    try:
        code = one_pass(data_tasks(study, data_dir))
        r = holder.get("r")
        if r:
            ran, up, failed = list(r.ran), list(r.uptodate), list(r.failed)
        if code == 0:
            code = one_pass(graph(study, state, waves, reports))
            r = holder.get("r")
            if r:
                ran += r.ran
                up += r.uptodate
                failed += r.failed
    finally:
        if state.pool is not None:
            state.pool.close()
    line = f"{len(ran)} task(s) run, {len(up)} up to date"
    if failed:
        line += (
            f", [bold red]{len(failed)} failed[/]; reports that depend on them were not rebuilt"
            " (_output/ left as it was)"
        )
    from rich.console import Console

    Console(file=sys.__stderr__, highlight=False).print(f"{line} [dim]({time.perf_counter() - t_start:.1f}s)[/]")
    return RunResult(code, ran, up, failed, state.outcomes)
