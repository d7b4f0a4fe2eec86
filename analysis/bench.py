"""``make bench``: the design's quality bars, measured in one run on this machine.

Three groups of figures, each printed beside its bar and written to ``_build/bench.json``:

- **Notebook phase, cold.** In a temporary copy of the project (``config/``, ``notebooks/``,
  ``report/``, ``_quarto.yml``, ``data/``; run with ``ANALYSIS_ROOT``), the build is brought up
  to date once, then the executed notebooks and doit's record of them are removed and the
  build's notebook phase (every notebook for every wave, the warm-kernel pool) is timed. Then a
  naive serial loop of ``papermill`` CLI calls, one process per notebook and wave, runs the same
  notebooks and waves. Bar: the build at least 5x faster.
- **Rebuilds.** ``python -m analysis build`` with nothing changed (bar: under 3 seconds, the
  whole command), and after appending one valid visit to the last wave's visits file: which
  tasks re-ran (bar: only that wave's validation and notebooks).
- **Scale.** A synthetic visits file (the study's ``synthetic.admin.large_visits``) of 1 and 10
  million rows (``--quick``: 100,000 and 1 million), each run in a fresh process through the
  analyst's path: :func:`analysis.tidy.check_admin` (``read_table``, ``check_table`` with the
  workers as context) and the study's ``indicators.timeliness``. Wall time of that path and
  the process's peak resident memory (``ru_maxrss``). Bars at 10 million rows: under 60 seconds
  and under 4 GB.

``python -m analysis bench --only notebooks`` (or ``rebuild``, ``scale``) measures one group.
The real project tree is never written to, except ``_build/bench.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from analysis import paths

SIZES = (1_000_000, 10_000_000)
QUICK_SIZES = (100_000, 1_000_000)
BAR_ROWS = 10_000_000  # the scale bars are stated for ten million rows
BAR_SPEEDUP = 5.0  # notebook phase: naive papermill loop / our build (the design's bar)
BAR_NO_CHANGE_SECONDS = 3.0
BAR_SCALE_SECONDS = 60.0
BAR_SCALE_MB = 4096.0
PROJECT_PARTS = ("config", "notebooks", "report", "_quarto.yml", "data")
MARK = "BENCH-JSON "  # prefix of the line a measuring subprocess prints its result on
TIMEOUT = 3600


@dataclass
class Figure:
    """One measured figure, its bar (if it has one) and whether it meets it."""

    key: str
    label: str
    value: float
    unit: str
    bar: str | None = None
    passed: bool | None = None

    def shown(self) -> str:
        if self.unit == "s":
            return f"{self.value:.1f} s"
        if self.unit == "MB":
            return f"{self.value / 1024:.2f} GB" if self.value >= 1024 else f"{self.value:.0f} MB"
        if self.unit == "x":
            return f"{self.value:.1f}x"
        return f"{self.value:g} {self.unit}".strip()


# -- the pieces, each in a subprocess so that it runs as a user runs it -------------------------


def copy_project(source: Path, dest: Path) -> Path:
    """Copy the inputs of a build (not ``_build/`` or ``_output/``) to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = Path(source) / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        elif src.is_file():
            shutil.copyfile(src, dest / part)
    return dest


def study_copy(source: Path, dest: Path) -> Path:
    """Copy the selected study to ``dest`` (a new repository root) and return the copy's study root:
    ``dest`` itself for the top-level study; for a study under ``studies/`` (``ANALYSIS_STUDY``), the
    repository's own sources (a study may name its house style there) and the study in
    ``dest/studies/<name>/``."""
    if not paths.STUDY:
        return copy_project(source, dest)
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS[:-1]:  # no data: the study's own is copied below
        src = paths.REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        elif src.is_file():
            shutil.copyfile(src, dest / part)
    return copy_project(source, dest / "studies" / paths.STUDY)


def _env(root: Path) -> dict[str, str]:
    """The environment of a command run in a copy whose study root is ``root`` (see :func:`study_copy`)."""
    repo = root.parents[1] if paths.STUDY else root
    return {**os.environ, "ANALYSIS_ROOT": str(repo), paths.STUDY_ENV: paths.STUDY, "PYTHONWARNINGS": "ignore"}


def _run(root: Path, args: list[str], timeout: int = TIMEOUT) -> tuple[subprocess.CompletedProcess, float]:
    """Run a command in the project copy; its wall time in seconds."""
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=root, env=_env(root), capture_output=True, text=True, timeout=timeout)
    return proc, time.perf_counter() - t0


def _result(proc: subprocess.CompletedProcess) -> dict:
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark step failed ({' '.join(map(str, proc.args))}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len(MARK) :])


def _build(root: Path, jobs: int) -> tuple[subprocess.CompletedProcess, float]:
    proc, seconds = _run(root, [sys.executable, "-m", "analysis", "build", "--jobs", str(jobs)])
    if proc.returncode != 0:
        raise RuntimeError(f"python -m analysis build failed in {root}:\n{proc.stderr[-3000:]}")
    return proc, seconds


def tasks_run(stderr: str) -> list[str]:
    """The tasks a build ran, from its "✓ done" lines (e.g. ``validate endline``).

    >>> tasks_run("✓ done    validate endline (0.9s)\\n✓ done    execute endline/summary (3.1s)")
    ['execute endline/summary', 'validate endline']
    """
    return sorted(set(re.findall(r"✓ done\s+(\S+ \S+)", stderr)))


def forget_executions(root: Path) -> None:
    """Make the notebook phase cold: remove executed notebooks and doit's record of them."""
    shutil.rmtree(root / "_build" / "notebooks", ignore_errors=True)
    state = root / "_build" / "doit.json"
    if state.exists():
        kept = {k: v for k, v in json.loads(state.read_text()).items() if not k.startswith("execute:")}
        state.write_text(json.dumps(kept))


def papermill_loop(root: Path, notebooks: list[str], waves: list[str], out: Path) -> tuple[float, int]:
    """A naive serial loop of ``papermill`` CLI calls; (seconds, number that failed)."""
    exe = Path(sys.executable).with_name("papermill")
    papermill = str(exe) if exe.exists() else (shutil.which("papermill") or "papermill")
    failed = 0
    t0 = time.perf_counter()
    for wave in waves:
        (out / wave).mkdir(parents=True, exist_ok=True)
        for nb in notebooks:
            proc = subprocess.run(
                [
                    papermill,
                    f"notebooks/{nb}.ipynb",
                    str(out / wave / f"{nb}.ipynb"),
                    "-f",
                    f"config/waves/{wave}.yml",
                    "--cwd",
                    "notebooks",
                ],
                cwd=root,
                env=_env(root),
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
            failed += proc.returncode != 0
    return time.perf_counter() - t0, failed


def append_visit(folder: Path) -> tuple[Path, bytes]:
    """Append one valid visit (a copy of the last one under a new id) to a wave's visits file;
    returns the file and its original bytes, to restore."""
    from analysis.load import _detect_delimiter, find_source

    path = find_source(folder, "visits")
    if path is None:
        raise FileNotFoundError(f"no visits file in {folder}")
    original = path.read_bytes()
    if path.suffix.lower() == ".csv":
        text = original.decode("utf-8", errors="surrogateescape")
        newline = "\r\n" if "\r\n" in text else "\n"
        lines = [ln for ln in text.splitlines() if ln.strip()]
        sep = _detect_delimiter(lines[0])
        first, rest = lines[-1].split(sep, 1)
        line = f"{first.strip(chr(34))}-bench{sep}{rest}"
        body = text if text.endswith(("\n", "\r")) else text + newline
        path.write_bytes((body + line + newline).encode("utf-8", errors="surrogateescape"))
    else:
        import openpyxl

        wb = openpyxl.load_workbook(path)
        ws = wb.active
        last = [c.value for c in ws[ws.max_row]]
        last[0] = f"{last[0]}-bench"
        ws.append(last)
        wb.save(path)
    return path, original


def has_scale_path() -> bool:
    """Whether the study's code can write the large visits file the scale figures measure
    (``<module>.synthetic.admin.large_visits``)."""
    from analysis.config import load_study
    from analysis.errors import ConfigError

    try:
        return hasattr(load_study().code("synthetic.admin"), "large_visits")
    except ConfigError:
        return False


def scale_run(n: int, workdir: Path, seed: int = 1) -> dict:
    """Write ``n`` synthetic visits and time the analyst's path on them in a fresh process."""
    from analysis.config import load_study

    large_visits = load_study().code("synthetic.admin").large_visits
    folder = workdir / f"visits_{n}"
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    large_visits(folder / "visits.csv", n, seed)
    made = time.perf_counter() - t0
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "analysis.bench", "scale", str(folder)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        out = _result(proc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {**out, "rows": n, "generate_seconds": round(made, 2)}


# -- the whole benchmark --------------------------------------------------------------------------

PARTS = ("notebooks", "rebuild", "scale")


def notebook_phase(root: Path, jobs: int, waves: list[str], tmp: Path, echo=print) -> tuple[dict, list[Figure]]:
    """(a) The notebook phase, cold: our build, then a naive serial papermill loop (``root`` has
    been built once)."""
    notebooks = sorted(p.stem for p in (root / "notebooks").glob("*.ipynb"))
    forget_executions(root)
    echo(f"bench: notebook phase of the build, cold ({len(notebooks)} notebooks x {len(waves)} waves) ...")
    ours = _result(_run(root, [sys.executable, "-m", "analysis.bench", "notebooks", "--jobs", str(jobs)])[0])
    echo("bench: the same notebooks and waves as a serial loop of papermill CLI calls ...")
    naive, naive_failed = papermill_loop(root, notebooks, waves, tmp / "papermill")
    speedup = naive / ours["seconds"]
    found = {
        "notebooks": len(notebooks),
        "waves": len(waves),
        "executions": len(notebooks) * len(waves),
        "build_seconds": round(ours["seconds"], 2),
        "build_tasks_run": len(ours["ran"]),
        "papermill_seconds": round(naive, 2),
        "papermill_failed": naive_failed,
        "speedup": round(speedup, 2),
    }
    runs = f"{len(notebooks)} notebooks x {len(waves)} waves"
    figures = [
        Figure("notebooks_build_s", f"notebook phase, our build ({runs}, {jobs} workers)", ours["seconds"], "s"),
        Figure("notebooks_papermill_s", "notebook phase, serial papermill CLI loop", naive, "s"),
        Figure(
            "notebooks_speedup",
            "speed-up of the build over the loop",
            speedup,
            "x",
            f">= {BAR_SPEEDUP:g}x",
            speedup >= BAR_SPEEDUP and naive_failed == 0,
        ),
    ]
    return found, figures


def rebuilds(root: Path, jobs: int, waves: list[str], echo=print) -> tuple[dict, list[Figure]]:
    """(b) Rebuilds: with nothing changed, and after one wave's data changed."""
    notebooks = sorted(p.stem for p in (root / "notebooks").glob("*.ipynb"))
    echo("bench: rebuild with nothing changed ...")
    _build(root, jobs)
    proc, no_change = _build(root, jobs)
    idle = tasks_run(proc.stderr)
    wave = waves[-1]
    real = root / "data" / "raw" / wave
    folder = real if real.is_dir() else root / "data" / "synthetic" / wave
    echo(f"bench: rebuild after one visit is added to the {wave} data ...")
    changed, original = append_visit(folder)
    try:
        proc, one_wave = _build(root, jobs)
    finally:
        changed.write_bytes(original)
    ran = tasks_run(proc.stderr)
    expected = {f"validate {wave}"} | {f"execute {wave}/{nb}" for nb in notebooks}
    only_wave = set(ran) == expected
    found = {
        "no_change_seconds": round(no_change, 2),
        "no_change_ran": idle,
        "changed_wave": wave,
        "changed_file": str(changed.relative_to(root)),
        "one_wave_seconds": round(one_wave, 2),
        "one_wave_ran": ran,
        "only_that_wave": only_wave,
    }
    figures = [
        Figure(
            "rebuild_no_change_s",
            "no-change rebuild (python -m analysis build)",
            no_change,
            "s",
            f"< {BAR_NO_CHANGE_SECONDS:g} s",
            no_change < BAR_NO_CHANGE_SECONDS and not idle,
        ),
        Figure(
            "rebuild_one_wave_s",
            f"rebuild after the {wave} data changed ({len(ran)} tasks re-ran)",
            one_wave,
            "s",
            f"only {wave} re-runs",
            only_wave,
        ),
    ]
    return found, figures


def scale(sizes: tuple[int, ...], tmp: Path, echo=print) -> tuple[list[dict], list[Figure]]:
    """(c) Scale: load + validate + the 48-hour indicator, each size in a fresh process."""
    found, figures = [], []
    for n in sizes:
        echo(f"bench: {n:,} synthetic visits through load, validate and the 48-hour indicator ...")
        r = scale_run(n, tmp)
        found.append(r)
        at_bar = n == BAR_ROWS
        figures += [
            Figure(
                f"scale_{n}_s",
                f"{n:,} visits: load + validate + 48h indicator",
                r["seconds"],
                "s",
                f"< {BAR_SCALE_SECONDS:g} s at {BAR_ROWS:,}" if at_bar else None,
                r["seconds"] < BAR_SCALE_SECONDS if at_bar else None,
            ),
            Figure(
                f"scale_{n}_peak_mb",
                f"{n:,} visits: peak memory",
                r["peak_mb"],
                "MB",
                f"< {BAR_SCALE_MB / 1024:g} GB at {BAR_ROWS:,}" if at_bar else None,
                r["peak_mb"] < BAR_SCALE_MB if at_bar else None,
            ),
        ]
    return found, figures


def run_bench(
    quick: bool = False,
    jobs: int | None = None,
    sizes: tuple[int, ...] | None = None,
    source: Path | None = None,
    out: Path | None = None,
    echo=print,
    only: tuple[str, ...] = PARTS,
) -> dict:
    """Measure every figure, print the table, write ``bench.json``; returns what it writes.

    Parameters
    ----------
    quick : bool
        Scale at 100,000 and 1 million rows instead of 1 and 10 million.
    jobs : int, optional
        Notebook workers for the build (default: one per core).
    sizes : tuple of int, optional
        Visit counts for the scale figures (overrides ``quick``; for tests).
    source : Path, optional
        The project to copy (default: this repository).
    out : Path, optional
        Where to write the JSON (default: ``_build/bench.json``).
    echo : callable
        Prints progress and the table.
    only : tuple of str
        The parts to measure, of ``notebooks``, ``rebuild`` and ``scale`` (default: all three).

    Returns
    -------
    dict
        ``machine``, then ``notebooks``, ``rebuild`` and ``scale`` as measured, ``figures`` (each
        figure with its bar and ``passed``) and ``values`` (every figure's number by key).
    """
    from analysis.config import load_study

    unknown = set(only) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown benchmark part(s) {sorted(unknown)}: choose from {', '.join(PARTS)}")
    jobs = jobs or os.cpu_count() or 1
    sizes = tuple(sizes) if sizes else (QUICK_SIZES if quick else SIZES)
    source = Path(source or paths.ROOT)
    out = Path(out or paths.BUILD / "bench.json")
    waves = load_study().wave_ids
    figures: list[Figure] = []
    report: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "jobs": jobs,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "when": dt.datetime.now().isoformat(timespec="seconds"),
            "quick": quick,
            "sizes": list(sizes),
            "parts": [p for p in PARTS if p in only],
        }
    }
    with tempfile.TemporaryDirectory(prefix="analysis-bench-") as tmp:
        if "notebooks" in only or "rebuild" in only:
            root = study_copy(source, Path(tmp) / "project")
            echo(f"bench: project copied to {root}; first build (data, validation, notebooks) ...")
            _, first = _build(root, jobs)
        if "notebooks" in only:
            report["notebooks"], found = notebook_phase(root, jobs, waves, Path(tmp), echo)
            report["notebooks"]["first_build_seconds"] = round(first, 2)
            figures += found
        if "rebuild" in only:
            report["rebuild"], found = rebuilds(root, jobs, waves, echo)
            figures += found
        if "scale" in only and not has_scale_path():
            echo("bench: scale skipped: this study's code has no large visits file to measure (synthetic.admin)")
        elif "scale" in only:
            report["scale"], found = scale(sizes, Path(tmp), echo)
            figures += found

    report["figures"] = [asdict(f) for f in figures]
    report["values"] = {f.key: round(f.value, 3) for f in figures}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    echo("")
    echo(table(figures, report))
    try:
        shown = out.relative_to(paths.REPO)
    except ValueError:
        shown = out
    echo(f"\nwritten to {shown}")
    return report


def table(figures: list[Figure], report: dict) -> str:
    """The figures as a fixed-width table, with the machine they were measured on."""
    m = report["machine"]
    head = f"bench: {m['cpus']} cores, {m['jobs']} notebook workers, Python {m['python']}, {m['when']}" + (
        " (quick)" if m["quick"] else ""
    )
    width = max(len(f.label) for f in figures)
    lines = [head, "", f"{'figure':<{width}}  {'value':>10}  {'bar':<22} result", "-" * (width + 44)]
    for f in figures:
        result = "" if f.passed is None else ("PASS" if f.passed else "FAIL")
        lines.append(f"{f.label:<{width}}  {f.shown():>10}  {f.bar or '':<22} {result}")
    nb, rb = report.get("notebooks", {}), report.get("rebuild", {})
    if nb.get("papermill_failed"):
        lines.append(f"warning: {nb['papermill_failed']} papermill run(s) failed")
    if rb:
        lines.append(
            f"re-ran after the {rb['changed_wave']} data changed: {', '.join(rb['one_wave_ran']) or 'nothing'}"
        )
    return "\n".join(lines)


def all_passed(report: dict) -> bool:
    return all(f["passed"] is not False for f in report["figures"])


# -- what the measuring subprocesses run (``python -m analysis.bench <step>``) --------------------


def _notebooks_step(jobs: int) -> dict:
    from analysis import build
    from analysis.config import load_study

    t0 = time.perf_counter()
    res = build.run(waves=load_study().wave_ids, reports=[], jobs=jobs)
    seconds = time.perf_counter() - t0
    if res.code:
        raise SystemExit(f"the build failed: {res.failed}")
    return {"seconds": seconds, "ran": res.ran}


def _scale_step(folder: Path) -> dict:
    import resource

    t0 = time.perf_counter()
    from analysis import tidy
    from analysis.config import load_study

    study = load_study()
    indicators = study.code("indicators")
    t1 = time.perf_counter()
    checked, unusable = tidy.check_admin(folder, study)
    if unusable:
        raise SystemExit("; ".join(map(str, unusable)))
    visits = checked["visits"]
    share = indicators.timeliness(visits.accepted, study)
    seconds = time.perf_counter() - t1
    return {
        "seconds": round(seconds, 3),
        "import_seconds": round(t1 - t0, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "delivered": visits.delivered,
        "accepted": len(visits.accepted),
        "quarantined": len(visits.quarantined),
        "workers_quarantined": len(checked["workers"].quarantined),
        "on_time_share": share.estimate,
    }


def _main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m analysis.bench")
    sub = p.add_subparsers(dest="step", required=True)
    sp = sub.add_parser("notebooks")
    sp.add_argument("--jobs", type=int, default=None)
    sp = sub.add_parser("scale")
    sp.add_argument("folder", type=Path)
    args = p.parse_args(argv)
    out = _notebooks_step(args.jobs or os.cpu_count() or 1) if args.step == "notebooks" else _scale_step(args.folder)
    # the process's own stdout: doit's threaded runner can leave sys.stdout swapped for its
    # output-capturing writer after a parallel run
    sys.__stdout__.write(MARK + json.dumps(out) + "\n")
    sys.__stdout__.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
