"""``python -m analysis``: the one command line behind the Makefile."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
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
        for u in res.unusable:
            print(f"  UNUSABLE FILE: {u}")
            bad += 1
    return 1 if bad else 0


def cmd_build(args) -> int:
    from analysis import build, tidy

    study = load_study()
    ensure_data(study, args.data_dir)
    for w in _waves(args, study):
        res = tidy.validate_wave(w, args.data_dir, study)
        if res.unusable:
            for u in res.unusable:
                print(f"UNUSABLE FILE: {u}", file=sys.stderr)
            return 1
    t0 = time.perf_counter()
    done = build.execute_all(study, _waves(args, study))
    for e in done:
        print(f"executed {e.notebook} [{e.wave}] in {e.seconds:.1f}s")
    print(f"notebooks: {len(done)} executed in {time.perf_counter() - t0:.1f}s")
    return 0


def cmd_report(args) -> int:
    from analysis import build, provenance, render

    study = load_study()
    if not args.no_build:
        rc = cmd_build(argparse.Namespace(wave=None, data_dir=args.data_dir))
        if rc:
            return rc
    reports = [args.report] if args.report else [r.id for r in study.reports]
    renderer = args.renderer
    if renderer == "auto":
        renderer = "quarto" if render.quarto_available() else "builtin"
    for r in reports:
        dest = build.stage_report(r, study)
        (dest / "validation.md").write_text(provenance.validation_markdown(study, r), encoding="utf-8")
        (dest / "provenance.md").write_text(provenance.provenance_markdown(study, r, renderer, args.data_dir), encoding="utf-8")
        t0 = time.perf_counter()
        used, files = render.render(r, renderer)
        for f in files:
            print(f"rendered {f.relative_to(paths.ROOT) if f.is_relative_to(paths.ROOT) else f} ({used}, {time.perf_counter() - t0:.1f}s)")
    return 0


def cmd_clean(args) -> int:
    for p in (paths.BUILD, paths.OUTPUT):
        shutil.rmtree(p, ignore_errors=True)
    if args.all:
        shutil.rmtree(paths.SYNTHETIC, ignore_errors=True)
    print("removed _build/ and _output/" + (" and data/synthetic/" if args.all else ""))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m analysis", description="Flexitime pilot evaluation: data, validation, notebooks, reports.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, wave=True):
        if wave:
            sp.add_argument("--wave", help="one wave id (default: every wave in config/study.yml)")
        sp.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding <wave>/ folders (default: data/raw, else data/synthetic)")

    sp = sub.add_parser("data", help="write the deterministic synthetic data set to data/synthetic/")
    sp.set_defaults(func=cmd_data)
    sp = sub.add_parser("validate", help="validate delivered files, quarantine bad rows, write tidy tables")
    common(sp)
    sp.set_defaults(func=cmd_validate)
    sp = sub.add_parser("build", help="validate and execute every notebook for every wave")
    common(sp)
    sp.set_defaults(func=cmd_build)
    sp = sub.add_parser("report", help="build, then render the reports to _output/ (HTML and PDF)")
    common(sp, wave=False)
    sp.add_argument("--report", help="one report id (default: all reports in config/study.yml)")
    sp.add_argument("--renderer", choices=["auto", "quarto", "builtin"], default="auto",
                    help="auto uses Quarto when it is on the PATH, else the built-in renderer")
    sp.add_argument("--no-build", action="store_true", help="render from the notebooks already executed")
    sp.set_defaults(func=cmd_report)
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
