"""The working tree's ``_build/``, ``_output/`` and ``data/`` are as the session found them.

Every test builds in a temporary root (``tests/sandbox.py`` moves ``ANALYSIS_ROOT`` for the whole
session). ``test_no_test_wrote_into_the_working_tree`` runs last (the plugin puts it there) and fails,
naming each file, when any test wrote there anyway. The other tests show that the guard can fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests import sandbox


def test_the_session_runs_in_a_temporary_root():
    from analysis import paths

    assert paths.REPO != sandbox.REPO.resolve()
    assert not paths.ROOT.is_relative_to(sandbox.REPO.resolve())
    assert os.environ["ANALYSIS_ROOT"] == str(paths.REPO)


def test_snapshot_sees_a_new_a_changed_and_a_removed_file(tmp_path):
    (tmp_path / "_build").mkdir()
    (tmp_path / "_build" / "old.txt").write_text("a")
    (tmp_path / "_output").mkdir()
    (tmp_path / "_output" / "report.html").write_text("<p>")
    before = sandbox.snapshot(tmp_path)
    assert sandbox.changes(before, sandbox.snapshot(tmp_path)) == []
    (tmp_path / "_build" / "old.txt").unlink()
    (tmp_path / "_output" / "report.html").write_text("<p>longer")
    (tmp_path / "data" / "synthetic").mkdir(parents=True)
    assert sandbox.changes(before, sandbox.snapshot(tmp_path)) == [
        "removed: _build/old.txt",
        "changed: _output/report.html",
        "created: data",
        "created: data/synthetic",
    ]


def test_each_studys_derived_and_data_folders_are_watched_and_its_sources_are_not(tmp_path):
    (tmp_path / "studies" / "other" / "config").mkdir(parents=True)
    before = sandbox.snapshot(tmp_path)
    (tmp_path / "studies" / "other" / "config" / "study.yml").write_text("study: {}")  # a source: not watched
    (tmp_path / "studies" / "other" / "_build").mkdir()
    (tmp_path / "studies" / "other" / "data" / "raw").mkdir(parents=True)
    assert sandbox.changes(before, sandbox.snapshot(tmp_path)) == [
        "created: studies/other/_build",
        "created: studies/other/data",
        "created: studies/other/data/raw",
    ]


def test_a_study_is_copied_into_the_sandbox_without_its_build_outputs_or_data(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    study = repo / "studies" / "other"
    for folder in ("config", "notebooks", "_build/notebooks", "_output", "data/raw/w1", "data/synthetic/w1", "data/x"):
        (study / folder).mkdir(parents=True)
        (study / folder / "f.txt").write_text("x")
    monkeypatch.setattr(sandbox, "REPO", repo)
    dest = tmp_path / "copy"
    dest.mkdir()
    sandbox.copy_source("studies", dest)
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("f.txt"))
    assert copied == ["studies/other/config/f.txt", "studies/other/data/x/f.txt", "studies/other/notebooks/f.txt"]


def test_same_size_rewrite_is_a_change(tmp_path):
    (tmp_path / "_build").mkdir()
    f = tmp_path / "_build" / "x.json"
    f.write_text("1")
    before = sandbox.snapshot(tmp_path)
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000))  # rewritten: same bytes, later time
    assert sandbox.changes(before, sandbox.snapshot(tmp_path)) == ["changed: _build/x.json"]


WRITER = """
from pathlib import Path
import os

def test_writes_into_the_tree():
    target = Path(os.environ["ANALYSIS_GUARD_ROOT"]) / "_build" / "notebooks" / "oops.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("{}")
"""


GUARD = """
from tests import sandbox

def test_no_test_wrote_into_the_working_tree(request):
    sandbox.assert_tree_untouched(request.config)
"""


def _inner_pytest(tmp_path: Path, files: dict[str, str], watched: Path) -> subprocess.CompletedProcess:
    """A separate pytest session with this plugin, watching ``watched`` instead of the repository."""
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")},
        sandbox.GUARD_ROOT_ENV: str(watched),
        sandbox.SANDBOX_DATA_ENV: "0",
        "PYTHONPATH": str(sandbox.REPO),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # no nbval or hypothesis: a lighter session
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.sandbox", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_guard_fails_a_session_that_writes_into_the_tree(tmp_path):
    watched = tmp_path / "tree"
    (watched / "_build").mkdir(parents=True)
    tests = tmp_path / "t"
    tests.mkdir()
    proc = _inner_pytest(tests, {"test_a_writer.py": WRITER, sandbox.GUARD_FILE: GUARD}, watched)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "1 failed, 1 passed" in out, out  # the writer passes; the guard, run after it, fails ...
    assert "created: _build/notebooks/oops.ipynb" in out, out  # ... naming what was written


def test_the_backstop_fails_a_run_without_the_guard_test(tmp_path):
    watched = tmp_path / "tree"
    watched.mkdir()
    tests = tmp_path / "t"
    tests.mkdir()
    proc = _inner_pytest(tests, {"test_a_writer.py": WRITER}, watched)
    out = proc.stdout + proc.stderr
    assert "1 passed" in out, out  # the writer itself passes ...
    assert proc.returncode == 1, out  # ... but the session fails, naming the file
    assert "the tests changed the working tree" in out and "created: _build/notebooks/oops.ipynb" in out, out


def test_no_test_wrote_into_the_working_tree(request):
    """Runs last (tests/sandbox.py orders it): _build/, _output/ and data/ are as the session found them."""
    sandbox.assert_tree_untouched(request.config)
