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

from analysis.qualitative import PREVALENCE_ORDER

# Okabe & Ito (2008), safe for the common colour-vision deficiencies
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FIGSIZE = (7.0, 3.6)


def set_style() -> None:
    """Apply the house style (called on import, so every notebook shares it)."""
    sns.set_theme(style="whitegrid", context="notebook", palette=OKABE_ITO, font_scale=0.95)
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "figure.figsize": FIGSIZE,
            "axes.titleweight": "bold",
            "axes.titlesize": 11,
            "axes.titlelocation": "left",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.constrained_layout.use": True,
        }
    )


set_style()


def _pct(ax: plt.Axes, axis: str = "y") -> None:
    fmt = matplotlib.ticker.PercentFormatter(1.0, decimals=0)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def proportion_by_wave(
    frame: pd.DataFrame,
    *,
    title: str,
    ylabel: str,
    threshold: float | None = None,
    threshold_label: str = "",
    note: str = "",
) -> plt.Figure:
    """Estimates with 95% intervals per wave; suppressed waves are marked, not drawn.

    ``frame`` has columns ``wave_label``, ``estimate``, ``low``, ``high`` (NaN when suppressed),
    ``n_text`` (the disclosed n, e.g. "n = 212" or "n <10") and ``reportable`` (bool).
    """
    fig, ax = plt.subplots(figsize=FIGSIZE)
    x = list(range(len(frame)))
    for i, r in zip(x, frame.itertuples(), strict=False):
        if r.reportable and not math.isnan(r.estimate):
            ax.errorbar(
                i,
                r.estimate,
                yerr=[[r.estimate - r.low], [r.high - r.estimate]],
                fmt="o",
                color=OKABE_ITO[0],
                ecolor=OKABE_ITO[0],
                capsize=6,
                markersize=8,
                lw=2,
            )
            ax.annotate(
                f"{r.estimate:.0%}",
                (i, r.estimate),
                xytext=(10, 0),
                textcoords="offset points",
                va="center",
                fontsize=10,
            )
        else:
            ax.text(
                i,
                0.5,
                "not reportable\n(counts below the\ndisclosure threshold)",
                ha="center",
                va="center",
                fontsize=8.5,
                color="#555555",
                bbox=dict(boxstyle="round", fc="#f2f2f2", ec="#bbbbbb"),
            )
    if threshold is not None:
        ax.axhline(threshold, color=OKABE_ITO[5], ls="--", lw=1.5)
        ax.text(
            len(frame) - 0.5, threshold, f" {threshold_label}", color=OKABE_ITO[5], va="bottom", ha="right", fontsize=9
        )
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


def placeholder(title: str, message: str) -> plt.Figure:
    """A figure that says why there is nothing to draw (not reportable, or no data yet)."""
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 1.8))
    ax.axis("off")
    ax.text(
        0.5,
        0.45,
        message,
        ha="center",
        va="center",
        fontsize=10,
        color="#444444",
        wrap=True,
        bbox=dict(boxstyle="round", fc="#f2f2f2", ec="#bbbbbb"),
    )
    ax.set_title(title)
    return fig


LEVEL_COLOURS = {"Worse": "#D55E00", "About the same": "#BBBBBB", "Better": "#0072B2"}


def likert_diverging(table: pd.DataFrame, *, title: str, note: str = "") -> plt.Figure:
    """Diverging stacked bars centred on the neutral category, one bar per item, n on each.

    ``table`` has one row per item (index), columns ``Worse``, ``About the same``, ``Better``
    (disclosed counts, NaN where suppressed) and ``All who answered``. Items with any suppressed
    cell are drawn as "not reportable" rather than as a partial bar.
    """
    items = list(table.index)
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 0.7 * len(items) + 1.6))
    for i, item in enumerate(items):
        row = table.loc[item]
        n = row.get("All who answered")
        cells = [row.get(c) for c in LEVEL_COLOURS]
        if any(pd.isna(v) for v in cells) or pd.isna(n) or not n:
            ax.text(
                0,
                i,
                "not reportable (counts below the disclosure threshold)",
                ha="center",
                va="center",
                fontsize=8.5,
                color="#555555",
            )
            continue
        worse, same, better = (float(v) / float(n) for v in cells)
        left = -worse - same / 2
        for share, (label, colour) in zip((worse, same, better), LEVEL_COLOURS.items(), strict=False):
            ax.barh(i, share, left=left, color=colour, edgecolor="white", height=0.6, label=label if i == 0 else None)
            if share >= 0.08:
                ax.text(
                    left + share / 2,
                    i,
                    f"{share:.0%}",
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color="white" if label != "About the same" else "#222222",
                )
            left += share
        ax.text(1.02, i, f"n = {int(n)}", va="center", fontsize=8.5, transform=ax.get_yaxis_transform())
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(range(len(items)), items)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{abs(v):.0%}"))
    ax.set_xlabel("Share of respondents who took up the offer (worse ← | → better)")
    ax.set_title(title)
    handles = [matplotlib.patches.Patch(color=c, label=lab) for lab, c in LEVEL_COLOURS.items()]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=3, frameon=False, fontsize=8.5)
    if note:
        fig.text(0.01, -0.02, note, fontsize=8, color="#555555", ha="left", va="top")
    return fig


LEVELS = list(reversed(PREVALENCE_ORDER))  # none (0) ... all (5)


def framework_heatmap(
    words: pd.DataFrame,
    *,
    title: str,
    xlabel: str = "Respondent group (both sites, all waves so far) and site (all groups)",
) -> plt.Figure:
    """Codes × columns (respondent groups, sites), each cell a prevalence word, shaded by level (no
    counts); the columns are those that passed disclosure control (:func:`analysis.tables.framework_words`)."""
    level = words.apply(lambda col: col.map(lambda w: LEVELS.index(w) if w in LEVELS else float("nan")))
    height = 0.32 * len(words) + 1.6
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(height, 2.5)))
    cmap = matplotlib.colors.ListedColormap(["#f7f7f7", "#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"])
    ax.imshow(level.to_numpy(dtype=float), cmap=cmap, vmin=-0.5, vmax=5.5, aspect="auto")
    for (r, c), w in pd.DataFrame(words.to_numpy()).stack().items():
        if isinstance(w, str) and w:
            ax.text(
                c,
                r,
                w,
                ha="center",
                va="center",
                fontsize=7.5,
                color="white" if LEVELS.index(w) >= 4 else "#222222",
            )
    ax.set_xticks(range(words.shape[1]), [str(c) for c in words.columns], rotation=20, ha="right", fontsize=8.5)
    ax.set_yticks(range(words.shape[0]), list(words.index), fontsize=8)
    ax.grid(False)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return fig
