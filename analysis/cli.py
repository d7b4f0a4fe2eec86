"""``python -m analysis``: the one command line behind the Makefile."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from analysis import paths
from analysis.config import load_study
from analysis.errors import AnalysisError


def _waves(args, study) -> list[str]:
    return [args.wave] if getattr(args, "wave", None) else study.wave_ids


def cmd_data(args) -> int:
    """Write the deterministic synthetic data set (the only command that writes data)."""
    from analysis import build, source

    study = load_study()
    if args.if_needed:
        src = source.resolve(study=study)
        if not (src.synthetic and src.root == paths.SYNTHETIC):
            print(f"{src.describe()}: no synthetic data needed")
            return 0
        if build.synthetic_complete():
            print(f"synthetic data: already complete under {source.rel(paths.SYNTHETIC)}/")
            return 0
    written = build.make_synthetic(study)
    print(f"synthetic data: {len(written)} files under {source.rel(paths.SYNTHETIC)}/")
    return 0


def cmd_validate(args) -> int:
    from analysis import source, tidy

    study = load_study()
    src = source.resolve(args.source, args.data_dir, study)
    print(src.describe())
    waves = _waves(args, study)
    missing = src.missing(waves)
    if missing and (src.synthetic or args.wave):
        raise source.MissingDataError(src.missing_folder_message(missing[0]))
    bad = 0
    for w in waves:
        if w in missing:
            print(f"\n== {w}: not delivered yet (no {src.folder_label(w)}), not validated")
            continue
        res = tidy.validate_wave(w, study=study, source=src)
        print(f"\n== {w}: {source.rel(res.source_dir)}/")
        print(res.summary().drop(columns=["wave"]).to_string(index=False))
        for warning in res.warnings:
            print(f"  WARNING: {warning}")
        for u in res.unusable:
            print(f"  UNUSABLE FILE: {u}")
            bad += 1
    return 1 if bad else 0


def _jobs(args) -> int:
    import os

    return args.jobs or os.cpu_count() or 1


def cmd_build(args) -> int:
    """Validate and execute every notebook for every wave (only what changed)."""
    from analysis import build

    res = build.run(
        waves=_waves(args, load_study()),
        reports=[],
        jobs=_jobs(args),
        data_dir=args.data_dir,
        always=args.always,
        source=args.source,
    )
    return 1 if res.code else 0


def cmd_report(args) -> int:
    """Build, then render the reports (only what changed)."""
    from analysis import build

    study = load_study()
    reports = [args.report] if args.report else [r.id for r in study.reports]
    res = build.run(
        waves=[],
        reports=reports,
        jobs=_jobs(args),
        renderer=args.renderer,
        data_dir=args.data_dir,
        always=args.always,
        source=args.source,
    )
    if res.code == 0:
        for r in res.reports:
            print(f"{paths.OUTPUT.relative_to(paths.REPO)}/{r}.html and .pdf are up to date")
        if res.waiting:
            print(f"not built (waiting for data): {', '.join(res.waiting)}")
    return 1 if res.code else 0


def cmd_bench(args) -> int:
    """Measure the quality bars (notebook phase, rebuilds, scale); print them, write _build/bench.json."""
    from analysis import bench

    report = bench.run_bench(quick=args.quick, jobs=_jobs(args), only=tuple(args.only))
    return 0 if bench.all_passed(report) else 1


def cmd_kernel_loop(args) -> int:
    """Start warm kernels in a loop (in the pool, and alone); print starts, failures, failure rate."""
    import os

    from analysis import execute

    failures = 0
    for jobs in args.jobs:
        results = execute.start_loop(args.starts, jobs, warm=args.warm)
        failures += sum(not r.ok for r in results)
        print(execute.loop_summary(results, jobs), flush=True)
        print(f"  (load average over the last 5 minutes: {os.getloadavg()[1]:.1f} on {os.cpu_count()} cores)")
    return 1 if failures else 0


def cmd_template(args) -> int:
    """Write the local authority's data request workbook."""
    from analysis.template import NoTemplate, write_template

    try:
        out = write_template(paths.OUTPUT / "data_request_template.xlsx", load_study())
    except NoTemplate as exc:  # nothing to ask for: said, and not an error
        print(exc)
        return 0
    print(f"data request template: {out.relative_to(paths.REPO) if out.is_relative_to(paths.REPO) else out}")
    return 0


def cmd_new_study(args) -> int:
    """Write the skeleton of a new study: studies/NAME/ and analysis/studies/NAME/ (nothing overwritten)."""
    from analysis import newstudy

    written = newstudy.create(args.name, title=args.title)
    print("\n".join(newstudy.summary(args.name, written)))
    return 0


def cmd_clean(args) -> int:
    for p in (paths.BUILD, paths.OUTPUT):
        shutil.rmtree(p, ignore_errors=True)
    if args.all:
        shutil.rmtree(paths.SYNTHETIC, ignore_errors=True)
    removed = [paths.BUILD, paths.OUTPUT] + ([paths.SYNTHETIC] if args.all else [])
    print("removed " + " and ".join(f"{p.relative_to(paths.REPO)}/" for p in removed))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m analysis", description="Study analysis: data, validation, notebooks, reports."
    )
    p.add_argument(
        "--study",
        metavar="NAME",
        default=None,
        help="the study in studies/NAME/ (default: the top-level study); given before the command, it sets "
        "ANALYSIS_STUDY for this run, its notebook kernels and workers",
    )
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, wave=True):
        if wave:
            sp.add_argument("--wave", help="one wave id (default: every wave in config/study.yml)")
        sp.add_argument(
            "--source",
            choices=["auto", "raw", "synthetic"],
            default=None,
            help="where the data come from, for the whole run: raw (data/raw/), synthetic (data/synthetic/, "
            "made by `make data`) or auto (raw when data/raw/ holds any wave folder); default: data_source "
            "in config/study.yml, else auto",
        )
        sp.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="folder holding delivered <wave>/ folders, instead of data/raw/ (taken as raw data unless "
            "--source synthetic)",
        )

    def build_opts(sp):
        sp.add_argument(
            "--jobs", "-j", type=int, default=None, help="parallel notebook workers (default: one per core)"
        )
        sp.add_argument("--always", action="store_true", help="re-run every task even if it is up to date")

    sp = sub.add_parser("data", help="write the deterministic synthetic data set to data/synthetic/")
    sp.add_argument(
        "--if-needed",
        action="store_true",
        help="only when the data source is synthetic and the set is missing or incomplete (`make lab` uses it)",
    )
    sp.set_defaults(func=cmd_data)
    sp = sub.add_parser("validate", help="validate delivered files, quarantine bad rows, write tidy tables")
    common(sp)
    sp.set_defaults(func=cmd_validate)
    sp = sub.add_parser("build", help="validate and execute every notebook for every wave (only what changed)")
    common(sp)
    build_opts(sp)
    sp.set_defaults(func=cmd_build)
    sp = sub.add_parser("report", help="build, then render the reports to _output/ (HTML and PDF)")
    common(sp, wave=False)
    sp.add_argument("--report", help="one report id (default: all reports in config/study.yml)")
    sp.add_argument(
        "--renderer",
        choices=["auto", "quarto", "builtin"],
        default="auto",
        help="auto uses Quarto when it is on the PATH, else the built-in renderer",
    )
    build_opts(sp)
    sp.set_defaults(func=cmd_report)
    sp = sub.add_parser("bench", help="measure build speed and scale; print the figures and write _build/bench.json")
    sp.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebook workers (default: one per core)")
    sp.add_argument(
        "--quick", action="store_true", help="scale at 100,000 and 1 million visits instead of 1 and 10 million"
    )
    sp.add_argument(
        "--only",
        nargs="+",
        choices=["notebooks", "rebuild", "scale"],
        default=["notebooks", "rebuild", "scale"],
        help="measure only these groups of figures (default: all)",
    )
    sp.set_defaults(func=cmd_bench)
    sp = sub.add_parser("kernel-loop", help="start warm kernels in a loop; print starts, failures and failure rate")
    sp.add_argument("--starts", "-n", type=int, default=300, help="kernel starts per setting (default: 300)")
    sp.add_argument(
        "--jobs", "-j", type=int, nargs="+", default=[2, 1], help="workers in parallel, one run each (default: 2 1)"
    )
    sp.add_argument("--warm", action="store_true", help="also import the libraries into each kernel (slower)")
    sp.set_defaults(func=cmd_kernel_loop)
    sp = sub.add_parser("template", help="write the data request workbook to _output/data_request_template.xlsx")
    sp.set_defaults(func=cmd_template)
    sp = sub.add_parser("new-study", help="write the skeleton of a new study in studies/NAME/ (it builds at once)")
    sp.add_argument("name", help="the study's name: a lower-case Python identifier, e.g. kinship_care")
    sp.add_argument("--title", help="the study's title (default: made from the name)")
    sp.set_defaults(func=cmd_new_study)
    sp = sub.add_parser("clean", help="remove _build/ and _output/")
    sp.add_argument("--all", action="store_true", help="also remove data/synthetic/")
    sp.set_defaults(func=cmd_clean)
    return p


def rerun_for_study(name: str, argv: list[str]) -> int:
    """Run the command again in a new process for study ``name``: :mod:`analysis.paths` was imported
    here for another study (``main`` called in-process with ``--study``), and paths are fixed at import."""
    import os
    import subprocess

    env = {**os.environ, paths.STUDY_ENV: name}
    return subprocess.run([sys.executable, "-m", "analysis", *argv], env=env).returncode


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    if args.study is not None and args.study.strip() != paths.STUDY:
        return rerun_for_study(args.study.strip(), argv)
    try:
        return args.func(args)
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
