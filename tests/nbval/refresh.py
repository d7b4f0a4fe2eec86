"""``make nbval-refs``: refresh the reference executed notebooks in ``tests/nbval/``.

Builds in a temporary root (never the working tree): the sources are copied, the synthetic data set
is made, and every notebook is executed for one wave with ``python -m analysis``, as ``make report``
does. The executed notebooks are copied here with what changes from run to run taken out (timings,
papermill's paths, the injected cell's random id, figures' image bytes, which nbval does not compare),
so that the diff a reviewer sees in the commit is the change in the outputs and nothing else.

The wave is the last wave of the last report in ``config/study.yml`` (the report that covers every
wave), unless ``--wave`` names another.

Every study is refreshed: the flexitime study's references are here, each further study's in
``tests/nbval/<study>/`` (its notebooks ``studies/<study>/notebooks/``, built with
``python -m analysis --study <study>`` for the last wave of its own last report; ``--wave`` applies to
the flexitime study only).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SOURCES = ("config", "notebooks", "report", "_quarto.yml")
# Further studies with reference notebooks: tests/nbval/<study>/ holds those of studies/<study>/notebooks/.
STUDIES = ("agile",)
STUDY_DERIVED = shutil.ignore_patterns("_build", "_output", "raw", "synthetic", ".ipynb_checkpoints")
# Output data that nbval does not compare (tests/nbval/conftest.py leaves nbval's list as it is):
# dropped so that the references stay small and their diffs readable.
UNCOMPARED = ("image/png", "image/jpeg")
VOLATILE_CELL_METADATA = ("execution", "papermill")


def study_root(study: str | None) -> Path:
    """Where a study's sources are: the repository's top level, or ``studies/<study>/``."""
    return REPO if study is None else REPO / "studies" / study


def refs_dir(study: str | None) -> Path:
    """Where a study's reference notebooks are: here, or ``tests/nbval/<study>/``."""
    return HERE if study is None else HERE / study


def report_wave(study: str | None = None) -> str:
    """The last wave of the study's last report (the report that covers the most waves)."""
    from analysis.config import load_study

    return load_study(study_root(study) / "config" / "study.yml").reports[-1].last_wave


def clean(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """An executed notebook without what changes from one identical run to the next.

    >>> nb = nbformat.v4.new_notebook(metadata={"papermill": {"duration": 1.0, "parameters": {"wave": "w"}}})
    >>> c = nbformat.v4.new_code_cell("x", metadata={"tags": ["injected-parameters"], "execution": {}})
    >>> c.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "AAAA", "text/plain": "<Figure>"})]
    >>> nb.cells = [c]
    >>> out = clean(nb, "nb")
    >>> out.metadata.papermill, out.cells[0].id, out.cells[0].metadata
    ({'parameters': {'wave': 'w'}}, 'nb-injected-parameters', {'tags': ['injected-parameters']})
    >>> dict(out.cells[0].outputs[0].data)
    {'text/plain': '<Figure>'}
    """
    nb = nbformat.from_dict(nb)
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    nb.metadata.pop("papermill", None)
    nb.metadata["papermill"] = {"parameters": params}
    nb.metadata["language_info"] = {"name": "python"}  # not the patch version of whoever refreshed
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = f"{name}-injected-parameters"  # papermill draws this id at random
        for output in cell.get("outputs", []):
            for key in UNCOMPARED:
                output.get("data", {}).pop(key, None)
    return nb


def _run(root: Path, *args: str) -> None:
    env = {**os.environ, "ANALYSIS_ROOT": str(root)}
    env.pop("ANALYSIS_STUDY", None)  # the study is chosen by --study in args, or is the top-level one
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "analysis", *args], cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-6000:])
        raise SystemExit(f"error: `python -m analysis {' '.join(args)}` failed in {root}; the references are unchanged")
    print(f"  python -m analysis {' '.join(args)}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def refresh(wave: str, jobs: int, keep: bool = False, study: str | None = None) -> list[str]:
    """Build one study in a temporary root and write its references; returns what changed here."""
    root = Path(tempfile.mkdtemp(prefix=f"{study or 'flexitime'}-nbval-refs-"))
    select = ("--study", study) if study else ()
    here, refs = study_root(study), refs_dir(study)
    try:
        for name in SOURCES:
            src = REPO / name
            (shutil.copytree if src.is_dir() else shutil.copyfile)(src, root / name)
        if study is not None:
            shutil.copytree(here, root / "studies" / study, ignore=STUDY_DERIVED)
        _run(root, *select, "data")
        _run(root, *select, "build", "--wave", wave, "--jobs", str(jobs))
        executed = (root if study is None else root / "studies" / study) / "_build" / "notebooks" / wave
        templates = sorted(p.stem for p in (here / "notebooks").glob("*.ipynb"))
        missing = [t for t in templates if not (executed / f"{t}.ipynb").exists()]
        if missing:
            raise SystemExit(f"error: not executed for {wave}: {', '.join(missing)}; the references are unchanged")
        refs.mkdir(exist_ok=True)
        done = []
        for t in templates:
            ref = refs / f"{t}.ipynb"
            old = ref.read_text(encoding="utf-8") if ref.exists() else None
            nbformat.write(clean(nbformat.read(executed / f"{t}.ipynb", as_version=4), t), ref)
            if ref.read_text(encoding="utf-8") != old:
                done.append(f"{'updated' if old is not None else 'created'}: {ref.relative_to(REPO)}")
        for ref in sorted(refs.glob("*.ipynb")):
            if ref.stem not in templates:  # its template is gone
                ref.unlink()
                done.append(f"removed: {ref.relative_to(REPO)}")
        return done
    finally:
        if keep:
            print(f"  build kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.nbval.refresh", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--wave", default=None, help="the flexitime wave to execute for (default: the last report's last wave)"
    )
    p.add_argument(
        "--study",
        action="append",
        choices=["flexitime", *STUDIES],
        help="refresh this study's references only (repeatable; default: every study)",
    )
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="parallel notebook workers")
    p.add_argument("--keep", action="store_true", help="keep the temporary build (to inspect it)")
    args = p.parse_args(argv)
    done = []
    for name in args.study or ["flexitime", *STUDIES]:
        study = None if name == "flexitime" else name
        wave = (args.wave if study is None else None) or report_wave(study)
        print(
            f"nbval references ({name}): executing every notebook for wave '{wave}' in a temporary root",
            file=sys.stderr,
        )
        done += refresh(wave, args.jobs, args.keep, study)
    print("\n".join(done) if done else "the references are up to date (no output changed)")
    print("review the diff (git diff tests/nbval/) and commit it with the change that caused it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
