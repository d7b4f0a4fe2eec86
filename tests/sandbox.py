"""A pytest plugin (``-p tests.sandbox`` in pyproject.toml's ``addopts``): the test session runs in a
temporary copy of the project, and fails if anything in the working tree's ``_build/``, ``_output/``
or ``data/`` changed.

Loaded before any conftest, so it sets ``ANALYSIS_ROOT`` before ``analysis.paths`` is first imported:
in-process code (unit tests, doctests), subprocesses (``python -m analysis``) and notebook kernels
(nbval, which start with this process's environment) all read and write under the sandbox. The sandbox
holds the project's sources and a fresh synthetic data set, validated, as ``make report`` would leave
it; never real data.

The guard: the watched folders are listed (path, size, modification time) when the session starts;
``tests/test_tree_untouched.py`` compares them again as the last test of the run, and the session
fails if a test outside that file's reach (a run of some files only) changed them. With ``-n N``
(``make test-fast``) each xdist worker has its own sandbox, and the controller checks the tree once
every worker has finished.

Any ``ANALYSIS_ROOT`` set by the caller is replaced, and ``ANALYSIS_STUDY`` unset (the session runs the
top-level study; a test of another study selects it for what it runs); ``ANALYSIS_KEEP_SANDBOX=1`` keeps the temporary
root after the session (its path is in the session header) for a look at what the tests built.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The project's sources a build needs (not its data, build or outputs): the top-level study's, and
# every study's under studies/ (copied without its derived and data folders: see copy_source).
SOURCES = ("config", "notebooks", "report", "_quarto.yml", "studies")
# The working tree's derived and data folders that tests must leave alone (and each study's: watched()).
WATCHED = ("_build", "_output", "data")
# The guard watches the repository, or the folder named here (the guard's own test uses a temporary one).
GUARD_ROOT_ENV = "ANALYSIS_GUARD_ROOT"
# Set to 0 to skip making data in the sandbox (the guard's own test, which builds nothing).
SANDBOX_DATA_ENV = "ANALYSIS_SANDBOX_DATA"
GUARD_FILE = "test_tree_untouched.py"
GUARD_TEST = "test_no_test_wrote_into_the_working_tree"
SANITIZE = REPO / "tests" / "nbval" / "sanitize.cfg"

_snapshot_key = pytest.StashKey[dict]()
_sandbox_key = pytest.StashKey[Path]()
_guard_ran_key = pytest.StashKey[bool]()
_data_key = pytest.StashKey[subprocess.Popen]()


def watched(root: Path) -> tuple[str, ...]:
    """The derived and data folders of the top-level study and of every study under ``studies/``.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "studies" / "other").mkdir(parents=True)
    >>> watched(d)[3:]
    ('studies/other/_build', 'studies/other/_output', 'studies/other/data')
    """
    studies = sorted(p.name for p in (root / "studies").glob("*") if p.is_dir())
    return WATCHED + tuple(f"studies/{s}/{name}" for s in studies for name in WATCHED)


def _derived(folder: str, names: list[str]) -> set[str]:
    """What :func:`copy_source` leaves out of a study folder: its build, outputs and data."""
    here = Path(folder)
    if here.parent.name == "studies":
        return {n for n in names if n in ("_build", "_output")}
    if here.name == "data" and here.parent.parent.name == "studies":
        return {n for n in names if n in ("raw", "synthetic")}
    return set()


def copy_source(name: str, root: Path) -> None:
    """Copy the project's source ``name`` (one of :data:`SOURCES`) into ``root``; a study under
    ``studies/`` comes without its ``_build/``, ``_output/``, ``data/raw/`` and ``data/synthetic/``."""
    src = REPO / name
    if not src.exists():
        return
    if src.is_dir():
        shutil.copytree(src, root / name, ignore=_derived)
    else:
        shutil.copyfile(src, root / name)


def snapshot(root: Path, names: tuple[str, ...] | None = None) -> dict[str, tuple]:
    """Every file and folder under ``root/<name>``: files as (size, mtime in ns), folders as ("dir",).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "_build").mkdir(), (d / "_build" / "x.txt").write_text("abc")
    >>> snapshot(d)["_build/x.txt"][0], snapshot(d)["_build"]
    (3, ('dir',))
    """
    found: dict[str, tuple] = {}
    for name in watched(root) if names is None else names:
        top = root / name
        if not top.exists():
            continue
        for p in [top, *top.rglob("*")]:
            rel = p.relative_to(root).as_posix()
            if p.is_dir() and not p.is_symlink():
                found[rel] = ("dir",)
            else:
                st = p.lstat()
                found[rel] = (st.st_size, st.st_mtime_ns)
    return found


def changes(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """What changed between two snapshots, one line a path, sorted.

    >>> changes({"a": (1, 5), "b": (2, 5)}, {"a": (1, 6), "c": ("dir",)})
    ['changed: a', 'removed: b', 'created: c']
    """
    out = [f"created: {p}" for p in after.keys() - before.keys()]
    out += [f"removed: {p}" for p in before.keys() - after.keys()]
    out += [f"changed: {p}" for p in before.keys() & after.keys() if before[p] != after[p]]
    return sorted(out, key=lambda s: (s.split(": ", 1)[1], s))


def guard_root() -> Path:
    return Path(os.environ.get(GUARD_ROOT_ENV) or REPO)


def make_sandbox() -> Path:
    """A temporary project root holding the project's sources."""
    root = Path(tempfile.mkdtemp(prefix="flexitime-tests-"))
    for name in SOURCES:
        copy_source(name, root)
    return root


def start_data(root: Path) -> subprocess.Popen:
    """Make the synthetic data set in ``root`` and validate it, with the project's own command line, in
    the background: it runs while pytest collects, and :func:`wait_for_data` waits before the first test."""
    env = {**os.environ, "ANALYSIS_ROOT": str(root)}
    code = "from analysis.cli import main; main(['data']); main(['validate'])"
    with open(root / "sandbox-data.log", "w") as log:  # the child keeps its own copy of the file
        return subprocess.Popen([sys.executable, "-c", code], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_data(config, check: bool = True) -> None:
    proc = config.stash.get(_data_key, None)
    if proc is None:
        return
    del config.stash[_data_key]
    code = proc.wait(timeout=900)
    root = config.stash[_sandbox_key]
    if code != 0 and check:
        log = (root / "sandbox-data.log").read_text(errors="replace")[-4000:]
        pytest.exit(f"could not make the test sandbox's data in {root} (exit {code}):\n{log}", returncode=3)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Before any conftest imports ``analysis``: snapshot the tree, then move the project root."""
    early_config.stash[_snapshot_key] = snapshot(guard_root())
    root = make_sandbox()
    early_config.stash[_sandbox_key] = root
    os.environ["ANALYSIS_ROOT"] = str(root)
    # the session is the top-level study's; a test of another study selects it for what it runs
    os.environ.pop("ANALYSIS_STUDY", None)
    if os.environ.get(SANDBOX_DATA_ENV, "1") != "0":
        early_config.stash[_data_key] = start_data(root)


def pytest_collection_finish(session):
    wait_for_data(session.config)


def is_xdist_controller(config) -> bool:
    """With ``-n N`` (pytest-xdist) this process only hands tests to workers, each with its own sandbox."""
    return bool(getattr(config.option, "numprocesses", None)) and "PYTEST_XDIST_WORKER" not in os.environ


def pytest_configure(config):
    if is_xdist_controller(config):  # runs no test: needs no data (its guard still checks at the end)
        proc = config.stash.get(_data_key, None)
        if proc is not None:
            proc.kill()
            proc.wait()
            del config.stash[_data_key]
    # nbval's sanitize file, found from any working directory (pass --nbval-sanitize-with to override)
    if getattr(config.option, "nbval_sanitize_with", "unset") is None and SANITIZE.exists():
        config.option.nbval_sanitize_with = str(SANITIZE)


def pytest_report_header(config):
    root = config.stash.get(_sandbox_key, None)
    return f"project root for this session (ANALYSIS_ROOT): {root}" if root else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """The guard runs last, after every other test (notebooks included)."""
    last = [i for i in items if i.path.name == GUARD_FILE and i.name == GUARD_TEST]
    items[:] = [i for i in items if i not in last] + last


def tree_changes(config) -> list[str]:
    """What changed in the watched folders since the session started."""
    return changes(config.stash[_snapshot_key], snapshot(guard_root()))


def assert_tree_untouched(config) -> None:
    """The guard test's assertion: nothing changed in the watched folders since the session started."""
    config.stash[_guard_ran_key] = True
    found = tree_changes(config)
    assert not found, f"tests wrote into {guard_root()}:\n" + "\n".join(found[:50])


def pytest_sessionfinish(session, exitstatus):
    """A backstop for runs without the guard test (a few files only), and, with ``-n N``, the guard of
    the whole run (in the controller, after every worker has finished): report and fail."""
    config = session.config
    if config.stash.get(_guard_ran_key, False) or _snapshot_key not in config.stash:
        return
    found = tree_changes(config)
    if found:
        tr = config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.ensure_newline()
            tr.write_line(f"ERROR: the tests changed the working tree ({guard_root()}):", red=True)
            for line in found[:50]:
                tr.write_line(f"  {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config):
    wait_for_data(config, check=False)  # a session that stopped before collection ended: let the data job finish first
    root = config.stash.get(_sandbox_key, None)
    if root is not None and os.environ.get("ANALYSIS_KEEP_SANDBOX") != "1":
        shutil.rmtree(root, ignore_errors=True)
