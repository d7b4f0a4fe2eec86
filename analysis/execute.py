"""Notebook execution with papermill's Python API in long-lived worker processes.

A naive loop of ``papermill`` CLI calls pays, for every notebook × wave, a fresh Python, a
fresh kernel and a fresh import of pandas, matplotlib and statsmodels. Here each worker process
starts one kernel once, imports the libraries into it once ("warm"), and before every notebook
resets the kernel to the state of a fresh one: the user namespace is cleared, figures closed,
matplotlib's settings restored and the execution counter set back to 1. papermill then executes
the notebook against that kernel, so the output is what papermill writes for the same notebook
and parameters apart from timings (tests/test_execute.py compares them).

Kernels talk over IPC sockets with a unique path per worker, so parallel workers never compete
for TCP ports (papermill issues #511 and #239).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from analysis import paths

# Imported once into each warm kernel: what every notebook imports anyway.
WARM_IMPORTS = """
import sys, warnings
import numpy, pandas, pyarrow, yaml
import matplotlib, matplotlib.pyplot
import seaborn
import scipy.stats
import statsmodels.api, statsmodels.formula.api
from statsmodels.stats.proportion import proportion_confint
import analysis.plots, analysis.tables, analysis.tidy, analysis.config
matplotlib.pyplot.close("all")
sys._flexitime_rc = {k: v for k, v in matplotlib.rcParams.items() if k not in ("backend", "interactive")}
"""

# Run (silently, outside the history) before every notebook: back to a fresh kernel's state.
RESET = """
import sys as _sys, matplotlib as _mpl, matplotlib.pyplot as _plt
_plt.close("all")
_mpl.rcParams.update(_sys._flexitime_rc)
get_ipython().run_line_magic("reset", "-f")
get_ipython().execution_count = 1
"""


@dataclass
class Outcome:
    """The result of executing one notebook for one wave."""

    notebook: str
    wave: str
    output: str
    parameters: dict
    seconds: float
    ok: bool
    cell: int | None = None  # execution count of the failing cell
    error: str = ""  # "ExceptionType: message"
    failed_copy: str = ""  # where the failed executed notebook was kept
    worker: int = 0
    connection: str = ""  # the kernel's socket address (for the no-clash test)


class WarmKernel:
    """One kernel, started once, reset before each notebook."""

    def __init__(self, cwd: Path | None = None, warm: bool = True) -> None:
        # nbclient (inside papermill) drives the kernel asynchronously, so the manager it is
        # handed must be the async one; our own set-up and reset use a blocking client.
        from jupyter_client import AsyncKernelManager, BlockingKernelClient
        from jupyter_client.utils import run_sync

        self._dir = Path(tempfile.mkdtemp(prefix="flexitime-kernel-"))
        self.km = AsyncKernelManager(
            kernel_name="python3", transport="ipc", ip=str(self._dir / f"k-{uuid.uuid4().hex[:8]}")
        )
        # no history database: resetting the execution counter would otherwise clash with it
        run_sync(self.km.start_kernel)(
            cwd=str(cwd or paths.NOTEBOOKS),
            extra_arguments=["--HistoryManager.enabled=False"],
            env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
        )
        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(self.km.get_connection_info())
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        if warm:
            self._run(WARM_IMPORTS)

    @property
    def connection(self) -> str:
        info = self.km.get_connection_info()
        return f"{info['transport']}://{info['ip']}:{info['shell_port']}"

    def _run(self, code: str) -> None:
        reply = self.kc.execute_interactive(code, silent=True, store_history=False, timeout=300)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(
                f"kernel set-up failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}"
            )

    def reset(self) -> None:
        self._run(RESET)

    def shutdown(self) -> None:
        from jupyter_client.utils import run_sync

        try:
            self.kc.stop_channels()
            run_sync(self.km.shutdown_kernel)(now=True)
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)


def run_papermill(template: Path, output: Path, parameters: dict, km=None) -> None:
    """Execute with papermill's Python API (on a given kernel manager, or a fresh kernel)."""
    import papermill as pm

    kwargs = {"km": km} if km is not None else {}
    pm.execute_notebook(
        str(template),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        cwd=str(paths.NOTEBOOKS),
        **kwargs,
    )


def failure_details(exc: BaseException) -> tuple[int | None, str]:
    """(cell execution count, "Type: message") from a papermill execution error."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return exc.exec_count, f"{exc.ename}: {exc.evalue}"
    return None, f"{type(exc).__name__}: {exc}"


def execute_one(kernel: WarmKernel | None, notebook: str, wave: str, parameters: dict, worker: int = 0) -> Outcome:
    """Execute ``notebook`` for ``wave``; on failure keep the executed copy under ``_build/failed/``
    and leave no (partial) output at the normal place, so the build knows it is not done."""
    template = paths.notebook_template(notebook)
    out = paths.executed_notebook(wave, notebook)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        if kernel is not None:
            kernel.reset()
        run_papermill(template, out, parameters, kernel.km if kernel is not None else None)
        return Outcome(
            notebook,
            wave,
            str(out),
            parameters,
            time.perf_counter() - t0,
            True,
            worker=worker,
            connection=kernel.connection if kernel else "",
        )
    except Exception as exc:  # a failing cell, or a kernel that died
        cell, error = failure_details(exc)
        failed = paths.FAILED / wave / f"{notebook}.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():  # papermill saved the notebook up to the failing cell: keep it aside
            os.replace(out, failed)
        return Outcome(
            notebook,
            wave,
            str(out),
            parameters,
            time.perf_counter() - t0,
            False,
            cell,
            error,
            str(failed),
            worker,
            kernel.connection if kernel else "",
        )


# -- the worker pool -------------------------------------------------------------------------

_KERNEL: WarmKernel | None = None
_WORKER = 0


def _init_worker(root: str) -> None:
    """Start this worker's warm kernel. A kernel that dies while starting is started again; if it
    keeps dying the worker falls back to a fresh papermill kernel per notebook (slower, same output)."""
    os.environ["FLEXITIME_ROOT"] = root
    global _KERNEL, _WORKER
    _WORKER = os.getpid()
    for attempt in range(3):
        try:
            _KERNEL = WarmKernel()
            break
        except RuntimeError as exc:  # "Kernel died before replying to kernel_info"
            print(f"warning: warm kernel failed to start (attempt {attempt + 1} of 3): {exc}", file=sys.stderr)
            _KERNEL = None
    if _KERNEL is not None:
        import atexit

        atexit.register(_KERNEL.shutdown)


def _work(notebook: str, wave: str, parameters: dict) -> Outcome:
    return execute_one(_KERNEL, notebook, wave, parameters, _WORKER)


class KernelPool:
    """``jobs`` worker processes, each with one warm kernel; created on first use."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self._pool = None

    def submit(self, notebook: str, wave: str, parameters: dict):
        if self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                self.jobs, mp_context=mp.get_context("spawn"), initializer=_init_worker, initargs=(str(paths.ROOT),)
            )
        return self._pool.submit(_work, notebook, wave, parameters)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


TIMING_KEYS = ("start_time", "end_time", "duration")


def without_timings(nb: dict) -> dict:
    """A notebook's JSON with papermill's and nbclient's timings removed (for comparison), and
    the id of papermill's injected parameters cell, which papermill draws at random."""
    import copy

    nb = copy.deepcopy(nb)
    for key in TIMING_KEYS:
        nb.get("metadata", {}).get("papermill", {}).pop(key, None)
    for cell in nb.get("cells", []):
        md = cell.get("metadata", {})
        if "injected-parameters" in md.get("tags", []):
            cell.pop("id", None)
        md.pop("execution", None)
        for key in TIMING_KEYS:
            md.get("papermill", {}).pop(key, None)
    return nb


# -- the start-up loop (``make kernel-loop``): does a warm kernel start every time? ----------------


@dataclass
class Start:
    """One kernel start in a fresh worker process: did it answer, and how long it took."""

    ok: bool
    seconds: float
    error: str = ""
    worker: int = 0


def _one_start(root: str, warm: bool) -> Start:
    """Start a kernel as a build worker does (a fresh spawned process, the same WarmKernel), run
    one cell on it and shut it down."""
    os.environ["FLEXITIME_ROOT"] = root
    t0 = time.perf_counter()
    try:
        kernel = WarmKernel(warm=warm)
    except Exception as exc:
        return Start(False, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}", os.getpid())
    try:
        kernel._run("assert 1 + 1 == 2")
        return Start(True, time.perf_counter() - t0, worker=os.getpid())
    except Exception as exc:
        return Start(False, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}", os.getpid())
    finally:
        kernel.shutdown()


def start_loop(starts: int, jobs: int, warm: bool = False) -> list[Start]:
    """Start ``starts`` kernels, ``jobs`` at a time, each in a fresh spawned worker process (as the
    build's pool does: one process per kernel), and return how each start went."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn"), max_tasks_per_child=1) as pool:
        futures = [pool.submit(_one_start, str(paths.ROOT), warm) for _ in range(starts)]
        return [f.result() for f in futures]


def loop_summary(results: list[Start], jobs: int) -> str:
    """One line per setting: starts, failures, failure rate; then each distinct error with its count.

    >>> print(loop_summary([Start(True, 1.0), Start(False, 2.0, "RuntimeError: died")], 2))
    2 workers: starts 2, failures 1, failure rate 50.0% (median start 1.5 s)
      1 x RuntimeError: died
    """
    from collections import Counter
    from statistics import median

    failed = [r for r in results if not r.ok]
    rate = 100 * len(failed) / len(results) if results else 0.0
    setting = "alone" if jobs == 1 else f"{jobs} workers"
    lines = [
        f"{setting}: starts {len(results)}, failures {len(failed)}, failure rate {rate:.1f}%"
        f" (median start {median(r.seconds for r in results):.1f} s)"
    ]
    lines += [f"  {n} x {error}" for error, n in Counter(r.error for r in failed).most_common()]
    return "\n".join(lines)
