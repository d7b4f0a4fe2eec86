"""Notebook execution with papermill's Python API in long-lived worker processes.

A naive loop of ``papermill`` CLI calls pays, for every notebook × wave, a fresh Python, a
fresh kernel and a fresh import of pandas, matplotlib and statsmodels. Here each worker process
starts one kernel once, imports the libraries into it once ("warm"), and before every notebook
resets the kernel to the state of a fresh one: the user namespace is cleared, figures closed,
matplotlib's and pandas' settings restored, the working directory, environment variables and
warning filters (with the record of warnings already shown) put back, and the execution counter
set back to 1. papermill then executes the notebook against that kernel, so the output is what
papermill writes for the same notebook and parameters apart from timings (tests/test_execute.py
compares them). What a reset cannot undo is an import: a module an earlier notebook imported stays
imported, so a notebook that forgets an import can pass here; the nbval run of the templates, each
in a fresh kernel, catches that.

Kernels talk over IPC sockets with a unique path per worker, so parallel workers never compete
for TCP ports (papermill issues #511 and #239). Whether a starting kernel is alive is asked of its
process, never judged from the heartbeat (see :class:`WarmKernel`); ``make kernel-loop`` starts
kernels in a loop and counts the failures.
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

# Imported once into each warm kernel: what every notebook imports anyway. The state that RESET
# puts back is recorded before the package's own modules are imported, as a fresh kernel has it.
WARM_IMPORTS = """
import os, sys, warnings
import numpy, pandas, pyarrow, yaml
import matplotlib, matplotlib.pyplot
import seaborn
import scipy.stats
import statsmodels.api, statsmodels.formula.api
from statsmodels.stats.proportion import proportion_confint
sys._analysis_fresh = {
    "rc": {k: v for k, v in matplotlib.rcParams.items() if k not in ("backend", "interactive")},
    "cwd": os.getcwd(),
    "environ": dict(os.environ),
    "warnings": list(warnings.filters),
}
import analysis.plots, analysis.tables, analysis.tidy, analysis.config
matplotlib.pyplot.close("all")
"""

# Modules whose import sets global state (the house figure style): RESET forgets them, so that a
# notebook importing one runs it again, as in a fresh kernel, and one that does not gets none.
RESTYLING_MODULES = ("analysis.plots",)

# Run (silently, outside the history) before every notebook: back to a fresh kernel's state.
# pandas' options go back to their defaults (no module we import sets one); resetwarnings() also
# forgets which warnings were shown, so a warning an earlier notebook raised is shown again.
RESET = f"""
import os as _os, sys as _sys, warnings as _warnings
import matplotlib as _mpl, matplotlib.pyplot as _plt, pandas as _pd
_plt.close("all")
_mpl.rcParams.update(_sys._analysis_fresh["rc"])
for _name in {RESTYLING_MODULES!r}:
    _sys.modules.pop(_name, None)
    _package, _, _module = _name.rpartition(".")
    if _package in _sys.modules and hasattr(_sys.modules[_package], _module):
        delattr(_sys.modules[_package], _module)
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")
    _pd.reset_option("all")
_warnings.resetwarnings()
_warnings.filters[:] = _sys._analysis_fresh["warnings"]
_warnings.onceregistry.clear()
_os.chdir(_sys._analysis_fresh["cwd"])
_os.environ.clear()
_os.environ.update(_sys._analysis_fresh["environ"])
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
    run: str | None = None  # the report whose own run this is (None: the notebook's run for its wave)


# A Unix socket's path may hold 107 bytes on Linux (103 on macOS). The kernel's sockets are
# "<dir>/k-<8 hex>-<port number>", so a long temporary folder (a deep TMPDIR, pytest's per-test
# folders under xdist) would make zmq refuse them with "File name too long".
SOCKET_PATH_MAX = 100


def socket_dir() -> Path:
    """A new private folder for one kernel's sockets, in the temporary folder when its path is short
    enough for the socket names, else in ``/tmp``."""
    d = Path(tempfile.mkdtemp(prefix="analysis-kernel-"))
    if len(str(d)) + len("/k-12345678-4") <= SOCKET_PATH_MAX or not Path("/tmp").is_dir():
        return d
    d.rmdir()
    return Path(tempfile.mkdtemp(prefix="analysis-kernel-", dir="/tmp"))


class WarmKernel:
    """One kernel, started once, reset before each notebook.

    ``warm=False`` starts a bare kernel, without the imports and so without :meth:`reset`
    (the start-up loop uses it); ``kernel_name`` is the Jupyter kernel spec to start.
    """

    def __init__(self, cwd: Path | None = None, warm: bool = True, kernel_name: str = "python3") -> None:
        # nbclient (inside papermill) drives the kernel asynchronously, so the manager it is
        # handed must be the async one; our own set-up and reset use a blocking client.
        from jupyter_client import AsyncKernelManager, BlockingKernelClient
        from jupyter_client.utils import run_sync

        self._dir = socket_dir()
        self.km = AsyncKernelManager(
            kernel_name=kernel_name, transport="ipc", ip=str(self._dir / f"k-{uuid.uuid4().hex[:8]}")
        )
        self.kc = None
        try:
            # no history database: resetting the execution counter would otherwise clash with it
            run_sync(self.km.start_kernel)(
                cwd=str(cwd or paths.NOTEBOOKS),
                extra_arguments=["--HistoryManager.enabled=False"],
                env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
            )
            # The client's parent is the manager, so "is the kernel alive?" asks the kernel
            # process. A client without one judges by the heartbeat, and a kernel that has not
            # answered a heartbeat within a second of being launched (Python still importing
            # ipykernel on a busy machine) is then taken for dead: "Kernel died before replying
            # to kernel_info" (``make kernel-loop`` measures this). No heartbeat thread is needed.
            self.kc = BlockingKernelClient(parent=self.km)
            self.kc.load_connection_info(self.km.get_connection_info())
            self.kc.start_channels(hb=False)
            self.kc.wait_for_ready(timeout=120)
            if warm:
                self._run(WARM_IMPORTS)
        except BaseException:
            self.shutdown()  # a kernel that did not come up is not left running
            raise

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

    def alive(self) -> bool:
        """Is the kernel process running?"""
        from jupyter_client.utils import run_sync

        return run_sync(self.km.is_alive)()

    def shutdown(self) -> None:
        from jupyter_client.utils import run_sync

        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km.has_kernel:
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


def output_report(wave: str) -> str:
    """The report whose outputs a notebook executed for ``wave`` makes (see
    :func:`analysis.outputs.report_for_wave`)."""
    from analysis.outputs import report_for_wave

    return report_for_wave(wave)


def registration_setup(notebook: str, wave: str, run: str | None = None) -> str:
    """Code run in the kernel (after the reset, before papermill) so that the notebook's outputs are
    registered for output checking: where to log them, under which report (the report whose own run
    this is, else the report of the wave), and which exceptions file applies (see
    :mod:`analysis.outputs`). The reset puts the environment back afterwards."""
    from analysis import outputs

    env = {
        outputs.LOG_ENV: str(paths.output_log(wave, notebook, run)),
        outputs.REPORT_ENV: run or output_report(wave),
        outputs.EXCEPTIONS_ENV: str(paths.DISCLOSURE_EXCEPTIONS),
        outputs.RUN_ENV: uuid.uuid4().hex,
    }
    return (
        "import os as _os\n"
        f"_os.environ.update({env!r})\n"
        "import analysis.outputs as _outputs\n"
        "_outputs.watch_cells()\n"
        "del _os, _outputs\n"
    )


def failure_details(exc: BaseException) -> tuple[int | None, str]:
    """(cell execution count, "Type: message") from a papermill execution error."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return exc.exec_count, f"{exc.ename}: {exc.evalue}"
    return None, f"{type(exc).__name__}: {exc}"


def execute_one(
    kernel: WarmKernel, notebook: str, wave: str, parameters: dict, worker: int = 0, run: str | None = None
) -> Outcome:
    """Execute ``notebook`` for ``wave`` on ``kernel`` (reset first), in the run of report ``run`` when
    given; on failure keep the executed copy under ``_build/failed/`` and leave no (partial) output at
    the normal place, so the build knows it is not done."""
    template = paths.notebook_template(notebook)
    out = paths.executed_notebook(wave, notebook, run)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    def outcome(ok: bool, cell: int | None = None, error: str = "", kept: str = "") -> Outcome:
        seconds = time.perf_counter() - t0
        return Outcome(
            notebook, wave, str(out), parameters, seconds, ok, cell, error, kept, worker, kernel.connection, run
        )

    log = paths.output_log(wave, notebook, run)
    log.unlink(missing_ok=True)  # a notebook registers its outputs afresh each time it runs
    try:
        kernel.reset()
        kernel._run(registration_setup(notebook, wave, run))
        run_papermill(template, out, parameters, kernel.km)
        if not log.exists():  # a notebook that shows nothing for output checking
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("[]", encoding="utf-8")
        return outcome(True)
    except Exception as exc:  # a failing cell, or a kernel that died
        cell, error = failure_details(exc)
        kept = ""
        if out.exists():  # papermill saved the notebook up to the failing cell: keep it aside
            failed = paths.failed_notebook(wave, notebook, run)
            failed.parent.mkdir(parents=True, exist_ok=True)
            os.replace(out, failed)
            kept = str(failed)
        return outcome(False, cell, error, kept)


# -- the worker pool -------------------------------------------------------------------------

_KERNEL: WarmKernel | None = None
_START_ERROR = ""  # why this worker's kernel did not start, if it did not
_WORKER = 0


def _init_worker(root: str, study: str = "") -> None:
    """Start this worker's warm kernel, in the repository ``root`` for ``study`` (as the build's
    process has them; the kernel inherits both). There is no retry and no fallback to a fresh kernel
    per notebook: a kernel that does not start is a fault in the environment, and every notebook this
    worker is given then fails with the reason, which the build reports."""
    import atexit

    global _WORKER
    os.environ["ANALYSIS_ROOT"] = root
    os.environ[paths.STUDY_ENV] = study
    _WORKER = os.getpid()
    _start_kernel()
    atexit.register(_shutdown_kernel)


def _start_kernel() -> None:
    global _KERNEL, _START_ERROR
    try:
        _KERNEL = WarmKernel()
    except Exception as exc:
        _KERNEL = None
        _START_ERROR = f"the warm kernel did not start: {type(exc).__name__}: {exc}"
        print(f"error: {_START_ERROR}", file=sys.stderr)


def _shutdown_kernel() -> None:
    if _KERNEL is not None:
        _KERNEL.shutdown()


def _work(notebook: str, wave: str, parameters: dict, run: str | None = None) -> Outcome:
    if _KERNEL is not None and not _KERNEL.alive():
        # the previous notebook killed it (os._exit, a crash in compiled code, out of memory):
        # that notebook has failed; the next one gets a new kernel rather than a dead one
        print("warning: the warm kernel died in the previous notebook; starting a new one", file=sys.stderr)
        _KERNEL.shutdown()
        _start_kernel()
    if _KERNEL is None:
        output = str(paths.executed_notebook(wave, notebook, run))
        return Outcome(notebook, wave, output, parameters, 0.0, False, error=_START_ERROR, worker=_WORKER, run=run)
    return execute_one(_KERNEL, notebook, wave, parameters, _WORKER, run)


class KernelPool:
    """``jobs`` worker processes, each with one warm kernel; created on first use."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self._pool = None

    def submit(self, notebook: str, wave: str, parameters: dict, run: str | None = None):
        if self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                self.jobs,
                mp_context=mp.get_context("spawn"),
                initializer=_init_worker,
                initargs=(str(paths.REPO), paths.STUDY),
            )
        return self._pool.submit(_work, notebook, wave, parameters, run)

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


def _one_start(root: str, warm: bool, study: str = "") -> Start:
    """Start a kernel as a build worker does (a fresh spawned process, the same WarmKernel), run
    one cell on it and shut it down."""
    os.environ["ANALYSIS_ROOT"] = root
    os.environ[paths.STUDY_ENV] = study
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
        futures = [pool.submit(_one_start, str(paths.REPO), warm, paths.STUDY) for _ in range(starts)]
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
