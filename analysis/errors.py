"""Exceptions a research analyst can act on.

Each message names the file and, where there is one, the row, column and rule, and says
what to do next.
"""

from __future__ import annotations

from pathlib import Path


class AnalysisError(Exception):
    """Base class for every error the pipeline raises on purpose."""


class UnusableFileError(AnalysisError):
    """A delivered file cannot be used at all (not a spreadsheet, a required column missing,
    an unreadable zip). Nothing downstream runs on it.
    """

    def __init__(self, path: Path | str, problem: str, action: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.action = action
        text = f"{self.path}: {problem}"
        if action:
            text += f" What to do: {action}"
        super().__init__(text)


class ConfigError(AnalysisError):
    """The study configuration or a wave parameter file is missing or inconsistent."""
