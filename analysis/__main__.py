"""``python -m analysis [--study NAME] <command> ...``.

``--study`` selects the study before anything reads :mod:`analysis.paths`: it is taken from the
arguments here and set as ``ANALYSIS_STUDY``, which notebook kernels and worker processes inherit.
The command line's parser (:func:`analysis.cli.parser`) documents and checks it as well.
"""

import os
import sys

for i, arg in enumerate(sys.argv[1:]):
    if arg == "--study" and i + 2 < len(sys.argv):
        os.environ["ANALYSIS_STUDY"] = sys.argv[i + 2]
        break
    if arg.startswith("--study="):
        os.environ["ANALYSIS_STUDY"] = arg.partition("=")[2]
        break
    if not arg.startswith("-"):
        break  # the command: --study is a global option, given before it

try:
    from analysis.cli import main
except Exception as exc:  # an unknown study, found when analysis.paths is first imported
    from analysis.errors import AnalysisError

    if not isinstance(exc, AnalysisError):
        raise
    print(f"error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

raise SystemExit(main())
