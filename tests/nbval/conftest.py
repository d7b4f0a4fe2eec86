"""The reference notebooks here are compared output by output (as ``pytest --nbval`` does), even in
a run with ``--nbval-lax`` (pyproject.toml), which only executes the templates in ``notebooks/``."""

from pathlib import Path

HERE = Path(__file__).resolve().parent


def pytest_collectstart(collector):
    # nbval's notebook collector reads this flag when it makes one test per cell
    if type(collector).__name__ == "IPyNbFile" and Path(collector.path).resolve().parent == HERE:
        collector.compare_outputs = True
