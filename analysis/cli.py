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
    """Write the deterministic synthetic data set."""
    from analysis.synthetic import generate_all

    study = load_study()
    written = generate_all(paths.SYNTHETIC, study)
    print(f"synthetic data: {len(written)} files under {paths.SYNTHETIC.relative_to(paths.ROOT)}/")
    return 0


def ensure_data(study, data_dir: Path | None) -> None:
    """Synthetic data are made when a wave has neither real nor synthetic files."""
    from analysis import tidy

    for w in study.wave_ids:
        tidy.source_dir(w, data_dir, study)


def cmd_validate(args) -> int:
    from analysis import tidy

    study = load_study()
    ensure_data(study, args.data_dir)
    bad = 0
    for w in _waves(args, study):
        res = tidy.validate_wave(w, args.data_dir, study)
        src = res.source_dir
        print(f"\n== {w}: {src}")
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
        waves=_waves(args, load_study()), reports=[], jobs=_jobs(args), data_dir=args.data_dir, always=args.always
    )
    return 1 if res.code else 0


def cmd_report(args) -> int:
    """Build, then render the reports (only what changed)."""
    from analysis import build

    study = load_study()
    reports = [args.report] if args.report else [r.id for r in study.reports]
    res = build.run(
        waves=[], reports=reports, jobs=_jobs(args), renderer=args.renderer, data_dir=args.data_dir, always=args.always
    )
    if res.code == 0:
        for r in reports:
            print(f"{paths.OUTPUT.relative_to(paths.ROOT)}/{r}.html and .pdf are up to date")
    return 1 if res.code else 0


def cmd_bench(args) -> int:
    """Measure the quality bars (notebook phase, rebuilds, scale); print them, write _build/bench.json."""
    from analysis import bench

    report = bench.run_bench(quick=args.quick, jobs=_jobs(args))
    return 0 if bench.all_passed(report) else 1


def cmd_template(args) -> int:
    """Write the local authority's data request workbook."""
    from analysis.template import write_template

    out = write_template(paths.OUTPUT / "data_request_template.xlsx", load_study())
    print(f"data request template: {out.relative_to(paths.ROOT) if out.is_relative_to(paths.ROOT) else out}")
    return 0


def cmd_clean(args) -> int:
    for p in (paths.BUILD, paths.OUTPUT):
        shutil.rmtree(p, ignore_errors=True)
    if args.all:
        shutil.rmtree(paths.SYNTHETIC, ignore_errors=True)
    print("removed _build/ and _output/" + (" and data/synthetic/" if args.all else ""))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m analysis", description="Flexitime pilot evaluation: data, validation, notebooks, reports."
    )
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, wave=True):
        if wave:
            sp.add_argument("--wave", help="one wave id (default: every wave in config/study.yml)")
        sp.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="folder holding <wave>/ folders (default: data/raw, else data/synthetic)",
        )

    def build_opts(sp):
        sp.add_argument(
            "--jobs", "-j", type=int, default=None, help="parallel notebook workers (default: one per core)"
        )
        sp.add_argument("--always", action="store_true", help="re-run every task even if it is up to date")

    sp = sub.add_parser("data", help="write the deterministic synthetic data set to data/synthetic/")
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
    sp.set_defaults(func=cmd_bench)
    sp = sub.add_parser("template", help="write the data request workbook to _output/data_request_template.xlsx")
    sp.set_defaults(func=cmd_template)
    sp = sub.add_parser("clean", help="remove _build/ and _output/")
    sp.add_argument("--all", action="store_true", help="also remove data/synthetic/")
    sp.set_defaults(func=cmd_clean)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
