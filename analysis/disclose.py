"""Statistical disclosure control (threshold rule; the full rule set follows in issue 5)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Share:
    reportable: bool


def share(k: int, n: int, settings) -> Share:
    """A share is reportable when numerator and denominator are both at or above the threshold."""
    return Share(k >= settings.threshold and n >= settings.threshold)


def format_count(n: int, settings) -> str:
    """>>> from analysis.config import load_study
    >>> format_count(3, load_study().disclosure), format_count(12, load_study().disclosure)
    ('<10', '12')
    """
    return f"<{settings.threshold}" if n < settings.threshold else f"{n}"


def format_share(k: int, n: int, settings, interval=None) -> str:
    text = f"{k / n:.0%}"
    if interval is not None:
        text += f" (95% CI {interval[0]:.0%} to {interval[1]:.0%})"
    return text


@dataclass
class DisclosedTable:
    display: pd.DataFrame


def suppress_counts(table: pd.DataFrame, settings, totals: bool = True) -> DisclosedTable:
    """Every count below the threshold reads "<threshold"; when any cell is suppressed, all are
    (so the total cannot reveal one)."""
    small = (table < settings.threshold).to_numpy().any()
    return DisclosedTable(table.map(lambda v: f"<{settings.threshold}" if small or v < settings.threshold else str(int(v))))
