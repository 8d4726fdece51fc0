"""Sensitivity charts: the tornado (one input low or high at a time) and the ranking by global measures.

Both read a :class:`sim.studies.sensitivity.Sensitivity`; neither runs anything.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from plots import style
from sim.studies.sensitivity import Sensitivity
from sim.text import findings
from sim.text.convention import STATISTIC
from sim.text.humanize import number, percent, signed

LOW_COLOR = style.LOW_INPUT
HIGH_COLOR = style.HIGH_INPUT
LABEL_CHARS = 54
"""Input labels longer than this are wrapped on two lines (up to 12 rows) or shortened, to keep the bars wide."""
MIN_ROWS = 6
"""Rows of space the axes holds at least, so one or two inputs do not get slab-like bars."""


def _x_axis(ax: Axes, sens: Sensitivity) -> None:
    """Human numbers, or percentages for a probability outcome, on the x axis."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, min_n_ticks=3))
    if sens.outcome.is_probability:
        # the axis is padded past 0% and 100% for the bar-end labels: no tick there
        ax.xaxis.set_major_formatter(FuncFormatter(_percent_tick))
        ax.set_xlabel(f"Chance, mean over {sens.replications:,} runs", fontsize=style.LABEL_SIZE, color=style.INK)
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: number(x)))
        ax.set_xlabel(f"Mean {sens.outcome.unit} over {sens.replications:,} runs", fontsize=style.LABEL_SIZE,
                      color=style.INK)


def _percent_tick(x: float, _pos: int | None = None) -> str:
    return percent(min(max(x, 0.0), 1.0)) if -1e-9 <= x <= 1 + 1e-9 else ""


def _labels(ax: Axes, rows: pd.DataFrame) -> None:
    """Input labels on the y axis, the first row on top."""
    lines = 2 if len(rows) <= 12 else 1  # two-line labels of more rows would touch
    ax.set_yticks(range(len(rows)), [style.wrap(str(t), LABEL_CHARS, lines) for t in rows["label"]])
    ax.set_ylim(max(len(rows), MIN_ROWS) - 0.5, -0.5)  # a few inputs keep slim bars, at the top
    ax.tick_params(axis="y", length=0, labelsize=style.SMALL_SIZE + 0.5)


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=style.LABEL_SIZE,
            color=style.MUTED)
    ax.set_xticks([])
    ax.set_yticks([])


def plot(sens: Sensitivity, top: int = 15, ax: Axes | None = None) -> Figure:
    """Tornado: the mean outcome with each input held at its low and at its high end, biggest swing on top.

    Each row's bars run from the base run's mean (the vertical line) to the mean with the input held low
    (one colour) and held high (the other); each bar end is labelled with the input's level (``yes``, ``40M``,
    ``2020-12-21``).

    Args:
        sens: a finished sensitivity study (:func:`sim.studies.sensitivity.sensitivity`).
        top: most inputs shown.
        ax: axes to draw into; a new figure with title and footer when ``None``.

    Returns:
        The figure.

    Example:
        >>> from sim.studies.sensitivity import sensitivity
        >>> sens = sensitivity(res.scenario, "tiktok_user_days", replications=100, top=2)
        >>> plot(sens).savefig(out / "tornado.png")
    """
    fig, axes, new = style.panels(ax, 1, 1)
    ax = axes[0]
    rows = sens.tornado(top)
    base = sens.base_mean
    o = sens.outcome
    style.style_axes(ax, grid_axis="x")
    if rows.empty:
        _empty(ax, "no input was run one at a time")
    else:
        ends = [base, *rows["low_mean"], *rows["high_mean"]]
        lo, hi = min(ends), max(ends)
        span = (hi - lo) or (abs(base) or 1.0)
        for y, r in enumerate(rows.to_dict("records")):
            _row(ax, y, base, [(float(r["low_mean"]), str(r["low_text"]), LOW_COLOR),
                               (float(r["high_mean"]), str(r["high_text"]), HIGH_COLOR)], span)
        _labels(ax, rows)
        ax.set_xlim(lo - 0.16 * span, hi + 0.16 * span)
        ax.axvline(base, color=style.INK, linewidth=1.4, zorder=3)
        ax.annotate(f"base: {o.show(base)}", xy=(base, 1), xycoords=("data", "axes fraction"), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=style.SMALL_SIZE,
                    color=style.INK, fontweight="bold")
        _x_axis(ax, sens)
    handles = [Patch(facecolor=LOW_COLOR, label=f"input low ({sens.low:.0%} quantile; yes for yes/no inputs)"),
               Patch(facecolor=HIGH_COLOR, label=f"input high ({sens.high:.0%} quantile; no for yes/no inputs)")]
    if new:
        unit = "" if o.is_probability else f" {o.unit}"
        finding = f"What drives {o.title}"
        if not rows.empty:
            top_row = rows.iloc[0].to_dict()
            finding = findings.swing(str(top_row["label"]), o.title.split(",")[0],
                                     f"{top_row['low_text']}: {o.show(float(top_row['low_mean']))}",
                                     f"{top_row['high_text']}: {o.show(float(top_row['high_mean']))}")
        style.decorate(fig, finding,
                       f"What drives {o.title}: {STATISTIC} outcome with one input held low or high and every "
                       f"other input drawn as usual, same seed in every run. Line: mean of the base run "
                       f"({o.show(base)}{unit}). Bar ends name the input's level. Biggest swing on top.",
                       sens.results, handles=handles)
    else:
        style.legend(ax, handles=handles, loc="lower right")
    return fig


def _row(ax: Axes, y: int, base: float, ends: list[tuple[float, str, str]], span: float) -> None:
    """One input's two bars (the farther end drawn first, so the nearer one shows on top) and their labels."""
    ends = sorted(ends, key=lambda e: -abs(e[0] - base))
    same_side = (ends[0][0] - base) * (ends[1][0] - base) > 0
    for k, (x, text, color) in enumerate(ends):
        ax.barh(y, x - base, left=base, height=0.62, color=color, zorder=2)
        other = ends[1 - k][0]
        # a bar end at the base (no effect) takes the side the other end leaves free
        right = x > base or (x == base and (other < base or (other == base and color == HIGH_COLOR)))
        covered = k == 1 and same_side  # the nearer end lies on top of the farther bar
        ax.annotate(text, xy=(x, y), xytext=(5 if right else -5, 0), textcoords="offset points",
                    ha="left" if right else "right", va="center", fontsize=style.SMALL_SIZE, zorder=4,
                    color="white" if covered and abs(ends[0][0] - x) > 0.08 * span else style.INK,
                    fontweight="bold" if covered else "normal")


def plot_ranking(sens: Sensitivity, top: int = 15, ax: Axes | None = None) -> Figure:
    """Inputs ranked by their global measures from the base run, one measure per panel: the rank correlation
    (left, bars coloured by its sign, ending with its signed value) and the first-order index (right, the share
    of the outcome's variance the input explains alone). The two never share an axis: drawn into one axes
    that cannot be split, the chart shows the rank correlation only.

    Args:
        sens: a finished sensitivity study.
        top: most inputs shown (by |rank correlation|, then first-order index).
        ax: the area to draw into; a new figure with title and footer when ``None``.

    Returns:
        The figure.
    """
    fig, axes, new = style.panels(ax, 2, 2, sharey=True)
    left, right = axes if len(axes) == 2 else (axes[0], axes[0])
    table = sens.table
    key = pd.DataFrame({"rc": table["rank_correlation"].abs().fillna(-1.0), "fo": table["first_order"].fillna(-1.0)})
    rows = table.loc[key.sort_values(["rc", "fo"], ascending=False, kind="stable").index].head(top)
    up, down = style.LOW_INPUT, style.HIGH_INPUT
    for panel in {id(a): a for a in (left, right)}.values():
        style.style_axes(panel, grid_axis="x")
    if rows["rank_correlation"].isna().all():
        _empty(left, "the outcome is the same in every run: no ranking")
    else:
        for y, r in enumerate(rows.to_dict("records")):
            rc, fo = float(r["rank_correlation"]), float(r["first_order"])
            if not math.isnan(rc):
                left.barh(y, abs(rc), height=0.62, color=up if rc > 0 else down, zorder=2)
                left.annotate(signed(rc), xy=(abs(rc), y), xytext=(5, 0),
                              textcoords="offset points", ha="left", va="center", fontsize=style.SMALL_SIZE)
            if not math.isnan(fo) and right is not left:
                right.barh(y, fo, height=0.62, color=style.MUTED, zorder=2)
                right.annotate(f"{fo:.2f}", xy=(fo, y), xytext=(5, 0), textcoords="offset points", ha="left",
                               va="center", fontsize=style.SMALL_SIZE)
        _labels(left, rows)
        # one measure per axes: given a single axes, the chart draws the rank correlation alone
        measures = [(left, "|rank correlation| with the outcome")]
        if right is not left:
            measures.append((right, "first-order index: share of variance explained alone"))
        for panel, label in measures:
            panel.set_xlim(0, 1.12)
            panel.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.1f}"))
            panel.set_xlabel(style.wrap(label, 40), fontsize=style.LABEL_SIZE, color=style.INK)
        if right is not left:
            right.tick_params(axis="y", length=0, labelleft=False)
    handles = [Patch(facecolor=up, label="higher input, higher outcome"),
               Patch(facecolor=down, label="higher input, lower outcome")]
    if new:
        o = sens.outcome
        finding = f"Which inputs move {o.title}"
        if not rows["rank_correlation"].isna().all():
            top_row = rows.iloc[0].to_dict()
            finding = (f"{top_row['label']} is the input most rank-correlated with {o.title} "
                       f"({signed(float(top_row['rank_correlation']))})")
        style.decorate(fig, finding,
                       f"Which inputs move {o.title}. From the base run of {sens.replications:,} replications: "
                       "Spearman rank correlation of each input with the outcome (left), and the share of the "
                       f"outcome's variance it explains alone ({sens.bins}-bin estimate, right). For yes/no inputs "
                       "\"higher\" means no; for waiting times, earlier.", sens.results, handles=handles)
    else:
        style.legend(left, handles=handles, loc="lower right")
    return fig
