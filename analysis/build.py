"""The build graph: doit decides what is out of date (md5 of every input), runs what is, in
parallel, and shows each task as it starts and ends.

Tasks and their inputs:

- ``data``: the synthetic data set (only when the build's data source is synthetic: see
  :mod:`analysis.source`; it is the only task that writes data); inputs: the generator's source
  and the study configuration.
- ``validate:<wave>``: the wave's delivered files, the configuration, the loaders' source, and
  which source the build uses.
- ``execute:<wave>/<notebook>``: the notebook template, the wave's parameter file, the
  configuration, the ``analysis`` package source, and the validated tables of this wave and of
  the waves before it (a notebook shows the trend up to its wave).
- ``execute:<wave>/<report>/<notebook>``: the run of one report (a report with ``site:``, or one that
  is not the report of its last wave: :meth:`analysis.config.Study.report_run`): the notebooks its
  source embeds, executed for its last wave with its parameters (``site`` when it has one), their
  outputs registered under its id; same inputs as above.
- ``report:<report>``: the notebooks executed as at the report's last wave (its own run's, when it
  has one), the report source,
  ``_quarto.yml``, the validated tables of the report's waves, and for output checking the output
  logs of the notebooks it and every earlier report embed (the differencing audit covers all that
  the study has published) and ``config/output_links.yml``. Besides the HTML and PDF it writes the
  checker's folder ``_output/<report>_outputs/`` (see :mod:`analysis.outputs`).

An entry of ``config/disclosure_exceptions.yml`` is a dependency only of the notebook execution that
makes its output (the notebook with that cell label, executed for the report's last wave) and of the
reports that check it: adding, editing or removing one re-runs those and nothing else.

The data source is decided once per build, and a report is built from that one source only.
With real data, a report whose waves have not all been delivered is not built: the build says
which folder it waits for and builds the reports that are complete.

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
from analysis.source import DataSource, rel, resolve
from analysis.source import environment as source_env

_LOCK = threading.Lock()


def notebook_names() -> list[str]:
    """Every notebook template: the success-criteria summary first, then the rest by name."""
    names = sorted(p.stem for p in paths.NOTEBOOKS.glob("*.ipynb"))
    return sorted(names, key=lambda n: (n != "summary", n))


def package_sources() -> list[str]:
    return sorted(str(p) for p in paths.PACKAGE.rglob("*.py"))


def config_files() -> list[str]:
    """The configuration every notebook depends on. The exceptions file and the output links are
    not among them: an exception is a dependency only of the notebook that makes its output (and of
    its report), the links only of the reports (see :func:`exception_entries`)."""
    own = {paths.DISCLOSURE_EXCEPTIONS.resolve(), paths.OUTPUT_LINKS.resolve()}
    return sorted(str(p) for p in paths.CONFIG.glob("*.yml") if p.resolve() not in own)


def notebook_labels(notebook: str) -> list[str]:
    """The ``#| label:`` of every code cell of a notebook template."""
    import nbformat

    from analysis.outputs import cell_label

    nb = nbformat.read(paths.notebook_template(notebook), as_version=4)
    return [lab for c in nb.cells if c.cell_type == "code" and (lab := cell_label(c.source))]


def exception_entries(book, prefix: str, labels: list[str] | None = None) -> list[dict]:
    """The exception requests for outputs ``<prefix>/<label>`` (any label when ``labels`` is None),
    as plain values: what a notebook or report task depends on, so that adding, editing or removing
    an entry re-runs exactly the notebook that makes that output and its report."""
    out = []
    for r in book.requests:
        head, _, label = r.output.partition("/")
        if head == prefix and (labels is None or label in labels):
            out.append(
                {
                    "output": r.output,
                    "reason": r.reason,
                    "requested_by": r.requested_by,
                    "approved_by": r.approved_by,
                    "approved_on": r.approved_on.isoformat() if r.approved_on else "",
                }
            )
    return out


def validation_record(wave: str) -> Path:
    return paths.tidy_dir(wave) / "validation.json"


def synthetic_manifest() -> Path:
    return paths.SYNTHETIC / "manifest.json"


def data_source_file(report_id: str) -> Path:
    """``_build/reports/<report>/data_source.json``: the renderer marks a synthetic report from it."""
    return paths.STAGED_REPORTS / report_id / "data_source.json"


# -- actions (run inside doit; heavy imports stay inside) -------------------------------------


def make_synthetic(study: Study | None = None) -> list[Path]:
    """Write the synthetic data set and its manifest (``data/synthetic/manifest.json``)."""
    from analysis.provenance import sha256

    study = study or load_study()
    written = sorted(map(Path, study.code("synthetic").generate_all(paths.SYNTHETIC, study)))
    manifest = {rel(p): sha256(p) for p in written}
    synthetic_manifest().write_text(json.dumps(manifest, indent=2))
    return written


def synthetic_sources(study: Study) -> list[str]:
    """The source files of the study's synthetic data generator (``<module>.synthetic``: a module, or
    a package and everything in it): what the ``data`` task depends on."""
    mod = study.code("synthetic")
    where = Path(mod.__file__)
    files = sorted(where.parent.rglob("*.py")) if where.name == "__init__.py" else [where]
    return [str(p) for p in files]


def _data_action() -> bool:
    make_synthetic()
    return True


def synthetic_complete() -> bool:
    """Whether every file the manifest of the synthetic set names is there."""
    m = synthetic_manifest()
    return m.exists() and all((paths.REPO / f).exists() for f in json.loads(m.read_text()))


def validate(wave: str, src: DataSource):
    from doit.exceptions import TaskFailed

    from analysis import tidy

    res = tidy.validate_wave(wave, source=src)
    if res.unusable:
        return TaskFailed("\n".join(f"unusable file: {u}" for u in res.unusable))
    return True


@dataclass
class BuildState:
    """What one build run shares between its tasks (kernel pool, outcomes, options)."""

    jobs: int
    source: DataSource
    renderer: str = "auto"
    pool: object | None = None
    outcomes: list = field(default_factory=list)

    def get_pool(self):
        from analysis.execute import KernelPool

        with _LOCK:
            if self.pool is None:
                self.pool = KernelPool(self.jobs)
        return self.pool


def failure_block(o) -> str:
    rel_nb = f"notebooks/{o.notebook}.ipynb" + (f" (the run of report {o.run})" if getattr(o, "run", None) else "")
    cell = f"cell {o.cell}" if o.cell is not None else "kernel"
    kept = f"\n  the executed notebook is kept at {rel(Path(o.failed_copy))}" if o.failed_copy else ""
    return f"notebook {rel_nb}, wave {o.wave}, {cell}: {o.error}{kept}"


def execute(state: BuildState, notebook: str, wave: str, run: str | None = None):
    """Execute a notebook for ``wave``: its run for the wave, or (``run``: a report id) in the run of
    that report, with the report's parameters (see :meth:`analysis.config.Study.report_run`)."""
    from doit.exceptions import TaskFailed

    params = load_study().report_parameters(run) if run else wave_parameters(wave)
    outcome = state.get_pool().submit(notebook, wave, params, run).result()
    with _LOCK:
        state.outcomes.append(outcome)
        record_execution(outcome)
    return True if outcome.ok else TaskFailed(failure_block(outcome))


def record_execution(o) -> None:
    log = paths.BUILD / "executions.json"
    old = json.loads(log.read_text()) if log.exists() else {}
    run = getattr(o, "run", None)
    entry = {
        "notebook": f"notebooks/{o.notebook}.ipynb",
        "wave": o.wave,
        "parameters": o.parameters,
        "seconds": round(o.seconds, 2),
    }
    if run:  # the run of one report: listed in that report's provenance appendix only
        entry["report"] = run
    old[f"{o.wave}/{run}/{o.notebook}" if run else f"{o.wave}/{o.notebook}"] = entry
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(json.dumps(dict(sorted(old.items())), indent=2))


def report_notebooks(study: Study, report_id: str) -> list[str]:
    """The executed notebooks a report is made from: with a run of its own, the notebooks its source
    embeds (in the order of :func:`notebook_names`); else every notebook, executed for its last wave."""
    if study.report_run(report_id) is None:
        return notebook_names()
    wanted = {nb for nb, _ in embedded(report_id)}
    return [nb for nb in notebook_names() if nb in wanted]


def report_notebook(study: Study, report_id: str, notebook: str) -> Path:
    """Where the executed ``notebook`` a report is made from is: in its own run, or its last wave's."""
    return paths.executed_notebook(study.report(report_id).last_wave, notebook, study.report_run(report_id))


def report_log(study: Study, report_id: str, notebook: str) -> Path:
    """The output log of the executed ``notebook`` a report is made from (see :func:`report_notebook`)."""
    return paths.output_log(study.report(report_id).last_wave, notebook, study.report_run(report_id))


def stage_report(report_id: str, study: Study | None = None) -> Path:
    """Copy the notebooks a report embeds (executed as at its last wave, in its own run when it has
    one) into ``_build/reports/<report>/`` so that the report sources name no wave."""
    study = study or load_study()
    dest = paths.STAGED_REPORTS / report_id
    dest.mkdir(parents=True, exist_ok=True)
    for nb in report_notebooks(study, report_id):
        src = report_notebook(study, report_id, nb)
        if not src.exists():
            raise FileNotFoundError(
                f"{src} has not been executed; run `python -m analysis{paths.cli_option()} build` first."
            )
        shutil.copyfile(src, dest / f"{nb}.ipynb")
    return dest


class OutputCheckError(Exception):
    """A report's outputs cannot be checked (an embedded output not registered, a malformed file)."""


def audited_reports(study: Study, report_id: str) -> list[str]:
    """The reports the differencing audit of ``report_id`` covers: it and every report before it
    (what an earlier report published stays published)."""
    ids = [r.id for r in study.reports]
    return ids[: ids.index(report_id) + 1]


def embedded(report_id: str) -> list[tuple[str, str]]:
    """The notebook cells ``report/<report>.qmd`` embeds, as (notebook, label), in order."""
    from analysis.render import EMBED

    qmd = paths.REPORT / f"{report_id}.qmd"
    return [(Path(m.group(1)).stem, m.group(2)) for m in EMBED.finditer(qmd.read_text(encoding="utf-8"))]


def embedded_labels(report_id: str) -> list[str]:
    """The labels of the notebook cells ``report/<report>.qmd`` embeds."""
    return [label for _, label in embedded(report_id)]


def report_outputs(study: Study, report_id: str) -> list:
    """Every output a report publishes: what the notebooks it embeds registered (executed as at its
    last wave) for the cells it embeds, in the report's order, and its validation appendix. An
    output a notebook registered for a cell no report embeds is not published, so not checked."""
    from analysis import outputs, provenance

    wanted = embedded(report_id)
    logs = {nb: report_log(study, report_id, nb) for nb in dict.fromkeys(nb for nb, _ in wanted)}
    missing = [str(p) for p in logs.values() if not p.exists()]
    if missing:
        raise OutputCheckError(
            f"no output log at {', '.join(missing)}: run `make report{paths.study_option()}` to execute the notebooks."
        )
    registered = {nb: {o.id: o for o in outputs.load_log(log)} for nb, log in logs.items()}
    outs, seen = [], set()
    for nb, label in wanted:
        o = registered[nb].get(f"{report_id}/{label}")
        if o is not None and o.id not in seen:
            outs.append(o)
            seen.add(o.id)
    return outs + [provenance.validation_appendix(study, report_id)[1]]


def _with_image(study: Study, report_id: str, output):
    """A figure output with its image attached for the checker (from the executed notebook)."""
    import base64
    import dataclasses

    from analysis import outputs, render

    if output.kind != outputs.FIGURE or output.attachments:
        return output
    label = output.id.split("/", 1)[1]
    nb = output.source.partition("#")[0].rpartition("/")[2].removesuffix(".ipynb")
    if not nb:
        return output
    try:
        _, cell_outputs = render.find_cell(paths.STAGED_REPORTS / report_id / f"{nb}.ipynb", label)
    except (render.RenderError, FileNotFoundError):
        return output
    png = next((o["data"]["image/png"] for o in cell_outputs if "image/png" in o.get("data", {})), None)
    if png is None:
        return output
    dest = report_log(study, report_id, nb).parent / f"{label}.png"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(base64.b64decode(png))
    return dataclasses.replace(output, attachments=(str(dest),))


def check_outputs(study: Study, report_id: str):
    """Output checking for one report: every embedded output registered, the differencing audit
    over everything published so far, and the checker's folder ``_output/<report>_outputs/``.
    Returns the report's outputs (with the audit's findings) and the exceptions book."""
    from analysis import outputs
    from analysis.errors import ConfigError

    try:
        book = outputs.load_exceptions()
        links = outputs.load_links()
        published = [(r, report_outputs(study, r)) for r in audited_reports(study, report_id)]
    except (ConfigError, outputs.OutputError) as exc:
        raise OutputCheckError(str(exc)) from exc
    outs = published[-1][1]
    ids = {o.id for o in outs}
    unregistered = [lab for lab in embedded_labels(report_id) if f"{report_id}/{lab}" not in ids]
    if unregistered:
        raise OutputCheckError(
            "embedded but not registered for output checking: "
            + ", ".join(unregistered)
            + " (show each table with tables.show(...) in its labelled cell; see analysis/outputs.py)"
        )
    reports = [(r, [study.wave(w).label for w in study.report(r).waves], o) for r, o in published]
    scopes = {r.id: r.site or "" for r in study.reports}  # a report about one site: its own people
    ranges = outputs.audit_study(reports, study.disclosure.threshold, links, scopes=scopes)
    outs = outputs.audit_notes(outputs.apply_audit(outs, ranges), ranges)
    outs = [_with_image(study, report_id, o) for o in outs]
    outputs.write_output_folder(
        outs,
        paths.checking_dir(report_id),
        study.disclosure,
        exceptions=book.for_report(report_id),
        timestamp=str(study.report(report_id).date),
        title=f"Output checking: {report_id} report",
    )
    for line in outputs.failing_outputs(outs):
        print(f"output checking: FAIL {line}", file=sys.__stderr__)
    return outs, book


def mixed_sources(study: Study, report_id: str, src: DataSource) -> list[str]:
    """The waves of a report whose tidy tables were not made from ``src`` (empty when none)."""
    wrong = []
    for w in study.report(report_id).waves:
        rec = validation_record(w)
        r = json.loads(rec.read_text()) if rec.exists() else {}
        if r.get("source") != src.kind or r.get("source_dir") != rel(src.wave_dir(w)):
            wrong.append(f"{w} (tidy tables from {r.get('source_dir', 'nowhere')}/, expected {src.folder_label(w)})")
    return wrong


def report(state: BuildState, report_id: str):
    from doit.exceptions import TaskFailed

    from analysis import provenance, render, traceability

    study = load_study()
    wrong = mixed_sources(study, report_id, state.source)
    if wrong:  # a report is built from one source only
        return TaskFailed(f"report {report_id}: not built from one data source: {'; '.join(wrong)}")
    untraced = traceability.check_report(study, report_id)
    if untraced:  # every protocol item this report should answer has an answer in it
        return TaskFailed(f"report {report_id}: the traceability appendix is incomplete:\n  " + "\n  ".join(untraced))
    renderer = state.renderer
    if renderer == "auto":
        renderer = "quarto" if render.quarto_available() else "builtin"
    dest = stage_report(report_id, study)
    data_source_file(report_id).write_text(json.dumps({"source": state.source.kind}), encoding="utf-8")
    validation_text, _ = provenance.validation_appendix(study, report_id)
    (dest / "validation.md").write_text(validation_text, encoding="utf-8")
    try:
        outs, book = check_outputs(study, report_id)
    except OutputCheckError as exc:
        return TaskFailed(f"report {report_id}: {exc}")
    (dest / "provenance.md").write_text(
        provenance.provenance_markdown(study, report_id, renderer, state.source, book, [o.id for o in outs]),
        encoding="utf-8",
    )
    try:
        render.render(report_id, renderer)
    except render.RenderError as exc:
        return TaskFailed(f"report {report_id}: {exc}")
    return True


# -- the graph ---------------------------------------------------------------------------------


def data_tasks(src: DataSource) -> list[dict]:
    """The ``data`` task: only when the build's source is the synthetic set under ``data/synthetic/``."""
    if not (src.synthetic and src.root == paths.SYNTHETIC):
        return []
    gen = synthetic_sources(load_study()) + config_files()
    return [
        {
            "basename": "data",
            "actions": [_data_action],
            "file_dep": gen,
            "targets": [str(synthetic_manifest())],
            "uptodate": [synthetic_complete],
            "doc": "synthetic data",
        }
    ]


@dataclass
class Plan:
    """What a build can do with the data there are: the waves and reports whose data are all
    there, and, for each that waits, the waves whose folders are missing."""

    waves: list[str]
    reports: list[str]
    waiting: dict[str, list[str]]  # wave or report id -> the missing waves it needs


def plan(study: Study, src: DataSource, waves: list[str], reports: list[str]) -> Plan:
    """A wave's notebooks need that wave and every wave before it; a report needs all its waves."""
    todo = Plan([], [], {})
    for ids, needs, ok in (
        (waves, lambda w: [x.id for x in study.waves_up_to(w)], todo.waves),
        (reports, lambda r: list(study.report(r).waves), todo.reports),
    ):
        for i in ids:
            missing = src.missing(needs(i))
            if missing:
                todo.waiting[i] = missing
            else:
                ok.append(i)
    return todo


def report_run_tasks(
    study: Study, state: BuildState, reports: list[str], book, labels: dict[str, list[str]], deps: list[str]
) -> list[dict]:
    """``execute:<wave>/<report>/<notebook>``: the notebooks a report with a run of its own embeds,
    executed for its last wave with its parameters, their outputs registered under the report's id
    (see :meth:`analysis.config.Study.report_run`). ``deps``: the configuration and package sources."""
    from doit.tools import config_changed

    tasks = []
    for r in reports:
        run = study.report_run(r)
        if run is None:
            continue
        rep = study.report(r)
        w = rep.last_wave
        upstream = [str(validation_record(x.id)) for x in study.waves_up_to(w)]
        for nb in report_notebooks(study, r):
            entries = exception_entries(book, r, labels[nb])
            tasks.append(
                {
                    "basename": "execute",
                    "name": f"{w}/{r}/{nb}",
                    "actions": [(execute, [state, nb, w, run])],
                    "file_dep": [str(paths.notebook_template(nb)), str(paths.wave_config(w))] + deps + upstream,
                    "targets": [str(paths.executed_notebook(w, nb, run)), str(paths.output_log(w, nb, run))],
                    "uptodate": [config_changed({"exceptions": entries, "site": rep.site})],
                    "doc": f"{nb} [{w}, report {r}]",
                }
            )
    return tasks


def project_resources() -> list[str]:
    """The files ``_quarto.yml`` names for its formats (css, Lua filters, the typst header), resolved
    from the study root as both renderers resolve them; those that exist."""
    from analysis import render

    found = []
    for fmt in ("html", "typst"):
        opts = render.project_options(fmt)
        for key in ("css", "filters", "include-in-header"):
            value = opts.get(key) or []
            for name in [value] if isinstance(value, str) else value:
                p = (paths.ROOT / str(name)).resolve()
                if p.is_file():
                    found.append(str(p))
    return sorted(dict.fromkeys(found))


def graph(study: Study, state: BuildState, waves: list[str], reports: list[str]) -> list[dict]:
    """Task dictionaries for the selected waves and reports (doit's format)."""
    from doit.tools import config_changed

    from analysis import tidy

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
    # the source is part of every validation and report: switching it re-runs them
    source_values = {"source": state.source.kind, "root": rel(state.source.root)}
    source_key = config_changed(source_values)
    for w in ordered:
        folder = state.source.wave_dir(w)
        files = [str(p) for p in tidy.delivered_files(folder)] if folder.is_dir() else []
        # worker linkage (analysis.linkage) compares with the earlier waves' workers files
        earlier = [state.source.wave_dir(x.id) for x in study.waves_up_to(w)[:-1]]
        files += sorted(str(p) for d in earlier for p in d.glob("workers.*"))
        tasks.append(
            {
                "basename": "validate",
                "name": w,
                "actions": [(validate, [w, state.source])],
                "file_dep": files + cfg + loaders,
                "targets": [str(validation_record(w))],
                "uptodate": [source_key],
                "doc": f"validate {w}",
            }
        )
    from analysis import outputs
    from analysis.execute import output_report

    book = outputs.load_exceptions()
    labels = {nb: notebook_labels(nb) for nb in notebook_names()}
    exec_waves = [w for w in ordered if w in needed]
    for w in exec_waves:
        upstream = [str(validation_record(x.id)) for x in study.waves_up_to(w)]
        for nb in notebook_names():
            entries = exception_entries(book, output_report(w), labels[nb])
            tasks.append(
                {
                    "basename": "execute",
                    "name": f"{w}/{nb}",
                    "actions": [(execute, [state, nb, w])],
                    "file_dep": [str(paths.notebook_template(nb)), str(paths.wave_config(w))] + cfg + pkg + upstream,
                    "targets": [str(paths.executed_notebook(w, nb)), str(paths.output_log(w, nb))],
                    "uptodate": [config_changed({"exceptions": entries})],
                    "doc": f"{nb} [{w}]",
                }
            )
    tasks += report_run_tasks(study, state, reports, book, labels, cfg + pkg)
    for r in reports:
        rep = study.report(r)
        deps = [str(report_notebook(study, r, nb)) for nb in report_notebooks(study, r)]
        deps += [str(validation_record(w)) for w in rep.waves]
        deps += [
            str(paths.wave_config(w)) for w in rep.waves
        ]  # the provenance appendix lists every execution's parameters
        deps += [str(paths.REPORT / f"{r}.qmd"), str(paths.QUARTO_PROJECT)] + sorted(
            str(p) for ext in ("css", "typ", "lua") for p in paths.REPORT.glob(f"*.{ext}")
        )
        deps += project_resources()  # the house style, filters and header _quarto.yml names, wherever they are
        deps += [s for s in pkg if Path(s).stem in ("render", "provenance", "build", "outputs", "differencing")]
        # the differencing audit reads every output published so far: this report's and the earlier ones'
        for e in audited_reports(study, r):
            embeds = dict.fromkeys(nb for nb, _ in embedded(e))
            deps += [str(report_log(study, e, nb)) for nb in embeds]
            deps += [str(validation_record(w)) for w in study.report(e).waves]
        if paths.OUTPUT_LINKS.exists():
            deps.append(str(paths.OUTPUT_LINKS))
        tasks.append(
            {
                "basename": "report",
                "name": r,
                "actions": [(report, [state, r])],
                "file_dep": list(dict.fromkeys(deps)),
                "targets": [
                    str(paths.OUTPUT / f"{r}.html"),
                    str(paths.OUTPUT / f"{r}.pdf"),
                    str(paths.checking_dir(r) / "results.json"),
                ],
                # one config_changed per task: doit keeps a single value for them under one key
                "uptodate": [config_changed({**source_values, "exceptions": exception_entries(book, r)})],
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
    source: DataSource | None = None
    reports: list[str] = field(default_factory=list)  # the reports this build brought up to date
    waiting: list[str] = field(default_factory=list)  # the waves and reports it could not build yet


def run(
    waves: list[str] | None = None,
    reports: list[str] | None = None,
    jobs: int | None = None,
    renderer: str = "auto",
    data_dir: Path | None = None,
    always: bool = False,
    source: str | None = None,
) -> RunResult:
    """Bring the selected waves' notebooks (and reports) up to date, from one data source
    (``source``: ``raw``, ``synthetic`` or ``auto``; default as :func:`analysis.source.resolve`)."""
    from doit.cmd_base import TaskLoader2
    from doit.doit_cmd import DoitMain
    from doit.loader import generate_tasks
    from rich.console import Console
    from rich.markup import escape

    t_start = time.perf_counter()
    study = load_study()
    waves = waves if waves is not None else study.wave_ids
    reports = reports if reports is not None else []
    src = resolve(source, data_dir, study)
    console = Console(file=sys.__stderr__, highlight=False, soft_wrap=True)
    console.print(("[bold yellow]" if src.synthetic else "[bold]") + escape(src.describe()) + "[/]")
    state = BuildState(jobs or os.cpu_count() or 1, src, renderer)
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

    def tally(code: int) -> int:
        r = holder.pop("r", None)
        if r:
            ran.extend(r.ran)
            up.extend(r.uptodate)
            failed.extend(r.failed)
        return code

    ran, up, failed = [], [], []
    todo = Plan([], [], {})
    # doit swaps sys.stdout/sys.stderr around each action; with actions in threads the last
    # restore can leave another thread's capture in place, so they are put back at the end
    saved_streams = sys.stdout, sys.stderr
    saved_env = {k: os.environ.get(k) for k in source_env(src)}
    os.environ.update(source_env(src))  # notebook kernels resolve the same source as this build
    try:
        code = tally(one_pass(data_tasks(src)))
        if code == 0:
            todo = plan(study, src, waves, reports)
            for what, missing in todo.waiting.items():
                folder = " and ".join(src.folder_label(w) for w in missing)
                earlier = [f for f in (paths.OUTPUT / f"{what}.html", paths.OUTPUT / f"{what}.pdf") if f.exists()]
                note = (
                    f" ({' and '.join(map(rel, earlier))} left from an earlier build, not updated)" if earlier else ""
                )
                console.print(f"[yellow]⊘ {what} waits for {escape(folder)}[/]{escape(note)}")
            if src.synthetic and todo.waiting:
                first = next(iter(todo.waiting.values()))[0]
                console.print(f"[bold red]error[/]: {src.missing_folder_message(first)}")
                code = 1
            elif (waves or reports) and not (todo.waves or todo.reports):
                console.print(
                    f"[bold red]nothing to build[/]: no selected wave or report has all its data in {rel(src.root)}/"
                )
                code = 1
            else:
                code = tally(one_pass(graph(study, state, todo.waves, todo.reports)))
    finally:
        sys.stdout, sys.stderr = saved_streams
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if state.pool is not None:
            state.pool.close()
    line = f"{len(ran)} task(s) run, {len(up)} up to date"
    if failed:
        line += (
            f", [bold red]{len(failed)} failed[/]; reports that depend on them were not rebuilt"
            " (_output/ left as it was)"
        )
    if todo.waiting:
        line += f"; not built, waiting for data: {', '.join(todo.waiting)}"
    console.print(f"{line} [dim]({time.perf_counter() - t_start:.1f}s)[/]")
    built = todo.reports if code == 0 else []
    return RunResult(code, ran, up, failed, state.outcomes, src, built, list(todo.waiting))
