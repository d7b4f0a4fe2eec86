"""One house style for every figure: seaborn theme set once, a colour-blind-safe palette
(Okabe-Ito), labelled axes with units, n on every chart, titles that state the finding.

Figures draw only disclosed values: a suppressed estimate is drawn as a labelled gap.
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

# Okabe & Ito (2008), safe for the common colour-vision deficiencies
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
RAG_COLOURS = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00"}
FIGSIZE = (7.0, 3.6)


def set_style() -> None:
    """Apply the house style (called on import, so every notebook shares it)."""
    sns.set_theme(style="whitegrid", context="notebook", palette=OKABE_ITO, font_scale=0.95)
    plt.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 150, "figure.figsize": FIGSIZE,
        "axes.titleweight": "bold", "axes.titlesize": 11, "axes.titlelocation": "left",
        "axes.spines.top": False, "axes.spines.right": False, "figure.constrained_layout.use": True,
    })


set_style()


def _pct(ax: plt.Axes, axis: str = "y") -> None:
    fmt = matplotlib.ticker.PercentFormatter(1.0, decimals=0)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def proportion_by_wave(frame: pd.DataFrame, *, title: str, ylabel: str, threshold: float | None = None,
                       threshold_label: str = "", note: str = "") -> plt.Figure:
    """Estimates with 95% intervals per wave; suppressed waves are marked, not drawn.

    ``frame`` has columns ``wave_label``, ``estimate``, ``low``, ``high`` (NaN when suppressed),
    ``n_text`` (the disclosed n, e.g. "n = 212" or "n <10") and ``reportable`` (bool).
    """
    fig, ax = plt.subplots(figsize=FIGSIZE)
    x = list(range(len(frame)))
    for i, r in zip(x, frame.itertuples()):
        if r.reportable and not math.isnan(r.estimate):
            ax.errorbar(i, r.estimate, yerr=[[r.estimate - r.low], [r.high - r.estimate]], fmt="o",
                        color=OKABE_ITO[0], ecolor=OKABE_ITO[0], capsize=6, markersize=8, lw=2)
            ax.annotate(f"{r.estimate:.0%}", (i, r.estimate), xytext=(10, 0), textcoords="offset points",
                        va="center", fontsize=10)
        else:
            ax.text(i, 0.5, "not reportable\n(counts below the\ndisclosure threshold)", ha="center",
                    va="center", fontsize=8.5, color="#555555",
                    bbox=dict(boxstyle="round", fc="#f2f2f2", ec="#bbbbbb"))
    if threshold is not None:
        ax.axhline(threshold, color=OKABE_ITO[5], ls="--", lw=1.5)
        ax.text(len(frame) - 0.5, threshold, f" {threshold_label}", color=OKABE_ITO[5], va="bottom",
                ha="right", fontsize=9)
    ax.set_xticks(x, [f"{r.wave_label}\n{r.n_text}" for r in frame.itertuples()])
    ax.set_xlim(-0.6, len(frame) - 0.4)
    ax.set_ylim(0, 1)
    _pct(ax)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Wave (n = number in the denominator)")
    ax.set_title(title)
    if note:
        fig.text(0.01, -0.02, note, fontsize=8, color="#555555", ha="left", va="top")
    return fig
