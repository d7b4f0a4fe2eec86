"""The build graph: incremental, parallel, clear failures (behaviour, not timings)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import paths

pytestmark = pytest.mark.e2e


def tiny_notebook(path: Path, body: str, label: str = "tbl-x") -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb.cells = [
        nbformat.v4.new_code_cell('wave: str = "interim"  # wave id', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell(f'#| label: {label}\n#| tbl-cap: "A table"\n' + body),
    ]
    nbformat.write(nb, path)


@pytest.fixture
def project(tmp_path):
    """A copy of the project with two tiny notebooks and tiny reports, so the graph runs fast."""
    root = tmp_path / "p"
    shutil.copytree(paths.CONFIG, root / "config")
    (root / "config" / "protocol.yml").unlink()  # the tiny reports have no traceability appendix
    (root / "notebooks").mkdir()
    (root / "report").mkdir()
    shutil.copyfile(paths.QUARTO_PROJECT, root / "_quarto.yml")
    for f in paths.REPORT.iterdir():  # styles and typst settings; the reports themselves are tiny ones
        if f.suffix != ".qmd":
            shutil.copyfile(f, root / "report" / f.name)
    show = "from IPython.display import Markdown\nMarkdown(f'| wave |\\n|---|\\n| {wave} |')"
    tiny_notebook(root / "notebooks" / "summary.ipynb", show)
    tiny_notebook(root / "notebooks" / "other.ipynb", show)
    for r in ("august", "december"):
        (root / "report" / f"{r}.qmd").write_text(
            f"---\ntitle: {r}\n---\n\n# One\n\n{{{{< embed ../_build/reports/{r}/summary.ipynb#tbl-x >}}}}\n"
        )
    return root


def build(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANALYSIS_ROOT": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args, "--jobs", "2"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def ran(proc: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r"✓ done\s+(\S+ \S+)", proc.stderr))


def test_incremental_rebuilds(project):
    first = build(project, "report", "--renderer", "builtin")
    assert first.returncode == 0, first.stderr[-3000:]
    assert {"execute interim/summary", "execute endline/other", "report august", "report december"} <= ran(first)
    assert (project / "_output" / "december.html").exists()

    second = build(project, "report", "--renderer", "builtin")
    assert second.returncode == 0
    assert ran(second) == set()
    assert "0 task(s) run" in second.stderr

    wave_file = project / "config" / "waves" / "interim.yml"
    wave_file.write_text(wave_file.read_text() + "# an edited parameter file\n")
    third = build(project, "report", "--renderer", "builtin")
    assert third.returncode == 0, third.stderr[-3000:]
    # only the interim wave's notebooks and the reports that include the interim wave
    assert ran(third) == {"execute interim/summary", "execute interim/other", "report august", "report december"}


def test_a_failing_notebook_is_reported_and_leaves_the_reports_alone(project):
    assert build(project, "report", "--renderer", "builtin").returncode == 0
    before = (project / "_output" / "december.html").read_bytes()
    tiny_notebook(
        project / "notebooks" / "zz_fail.ipynb", 'if wave == "endline":\n    raise ValueError("deliberate failure")\n1'
    )
    proc = build(project, "report", "--renderer", "builtin")
    assert proc.returncode != 0
    # one short block naming notebook, wave, cell and the exception; the cell is the execution
    # count in the executed copy: parameters (1), papermill's injected parameters (2), x = 1 (3), raise (4)
    assert "notebook notebooks/zz_fail.ipynb, wave endline, cell 4: ValueError: deliberate failure" in proc.stderr
    assert "skipped report december" in proc.stderr
    assert (project / "_build" / "failed" / "endline" / "zz_fail.ipynb").exists()
    assert not (project / "_build" / "notebooks" / "endline" / "zz_fail.ipynb").exists()
    # independent tasks still finished, and the December report was not touched
    assert {"execute interim/zz_fail", "execute baseline/zz_fail", "report august"} <= ran(proc)
    assert (project / "_output" / "december.html").read_bytes() == before


def test_parallel_workers_never_share_a_kernel_port():
    from analysis.config import wave_parameters
    from analysis.execute import KernelPool

    pool = KernelPool(2)
    try:
        futures = [pool.submit("summary", w, wave_parameters(w)) for w in ("baseline", "interim", "endline", "interim")]
        outcomes = [f.result() for f in futures]
    finally:
        pool.close()
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    by_worker = {o.worker: o.connection for o in outcomes}
    assert len(by_worker) == 2  # both workers were used ...
    assert len(set(by_worker.values())) == 2  # ... each with its own kernel sockets
    assert all(c.startswith("ipc://") for c in by_worker.values())  # IPC: no TCP port to race for


def test_warm_kernel_output_equals_papermill_output(tmp_path):
    import json

    from analysis import execute
    from analysis.config import wave_parameters

    kernel = execute.WarmKernel()
    try:
        for nb in ("rq1a_take_up", "summary"):  # the second runs on a used kernel, after a reset
            o = execute.execute_one(kernel, nb, "interim", wave_parameters("interim"))
            assert o.ok, o.error
            warm = json.loads(Path(o.output).read_text())
            plain = tmp_path / f"{nb}.ipynb"
            execute.run_papermill(paths.notebook_template(nb), plain, wave_parameters("interim"))
            fresh = json.loads(plain.read_text())
            fresh["metadata"]["papermill"]["output_path"] = o.output
            assert execute.without_timings(warm) == execute.without_timings(fresh)
    finally:
        kernel.shutdown()
