"""How the runs end: the distribution of each headline exposure's total, run by run, split sides apart."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from plots import data, style
from plots.layout import after_layout
from sim.runs.results import Results
from sim.text import findings
from sim.text.humanize import number, percent

SIDE_COLORS = (style.PALETTE[1], style.PALETTE[3])
"""The two sides of a split (the branch's side first)."""
ONE_COLOR = style.PALETTE[0]
"""A metric whose total does not split."""
BINS = 40


def _room_for_legend(ax: Axes, peak: float) -> None:
    """Raise the top of ``ax`` so its legend (upper right) sits above the tallest bar, ``peak``."""
    legend = ax.get_legend()
    if legend is None or peak <= 0:
        return
    root = ax.get_figure(root=True)
    dpi = root.dpi if root is not None else 72
    share = min(0.6, (legend.get_window_extent().height + 8 * dpi / 72) / max(ax.bbox.height, 1.0))
    ax.set_ylim(0, peak * 1.02 / (1 - share))


def _bars(ax: Axes, parts: Sequence[np.ndarray], edges: Sequence[float], colors: Sequence[str],
          labels: Sequence[str | None]) -> float:
    """A histogram of ``parts`` stacked on one another, as ``hist(stacked=True)`` draws it: each part one
    filled outline over the bins (one artist, not one rectangle per bin: the same bars, drawn and saved far
    faster). Returns the tallest stack."""
    base = np.zeros(len(edges) - 1)
    for part, color, label in zip(parts, colors, labels, strict=True):
        counts, _ = np.histogram(part, bins=edges)
        ax.stairs(base + counts, edges, baseline=base.copy(), fill=True, color=color, label=label, gid="outcomes",
                  linewidth=0)
        base = base + counts
    ax.set_ylim(0, max(float(base.max()), 1.0) * 1.05)
    return float(base.max())


def plot(results: Results, ax: Axes | None = None) -> Figure:
    """One histogram per metric of its accumulated exposure at the end of the window, one bar per run count.

    Where the metric's total splits (:mod:`sim.runs.splits`), the two sides are stacked in two colours and
    labelled with their chance, so two clusters show as two clusters; a dotted line marks the mean of all runs.

    Args:
        results: a finished run (with ``finals``: a run made by this docket, or read from a run folder).
        ax: axes to draw into (split into one panel per metric); a new figure with title and footer when ``None``.

    Returns:
        The figure.

    Example:
        >>> plot(res).savefig(out / "outcomes.png")
    """
    s = results.scenario
    finals = results.finals
    metrics = [m for m in s.metrics if finals is not None and (finals["metric"] == m.id).any()]
    ncols = 1 if len(metrics) <= 1 else 2 if len(metrics) <= 4 else 3
    fig, axes, new = style.panels(ax, max(len(metrics), 1), ncols)
    splits = {sp["outcome"]: sp for sp in results.summary.get("splits", [])}
    for a, metric in zip(axes, metrics, strict=False):
        assert finals is not None
        rows = finals[finals["metric"] == metric.id]
        values = rows["total"].to_numpy(np.float64)
        lo, hi = float(values.min()), float(values.max())
        edges = list(np.linspace(lo, hi, BINS + 1)) if hi > lo else [lo - 0.5, hi + 0.5]
        split = splits.get(f"{metric.id}:total")
        if split is None:
            _bars(a, [values], edges, [ONE_COLOR], [None])
        else:
            parts = [values[rows["side"].to_numpy() == k] for k in (0, 1)]
            labels = [style.wrap(f"{side['label']} ({percent(side['probability'])})", 44, 4) for side in split["sides"]]
            peak = _bars(a, parts, edges, list(SIDE_COLORS), labels)
            style.legend(a, loc="upper right", fontsize=style.SMALL_SIZE - 1, frameon=True, facecolor="white",
                         edgecolor="none", framealpha=1.0)  # the mean line does not show through
            after_layout(a, functools.partial(_room_for_legend, a, peak))
        a.axvline(float(np.mean(values)), color=style.INK, linestyle=":", linewidth=1.4)
        style.style_axes(a)
        a.xaxis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
        a.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: number(x)))
        a.set_xlabel(str(results.summary["exposure"][metric.id]["unit"]), fontsize=style.SMALL_SIZE)
        a.set_ylabel("runs", fontsize=style.SMALL_SIZE)
        a.set_title(style.wrap(data.metric_title(s, metric.id), {1: 90, 2: 55}.get(ncols, 32), 3), loc="left",
                    fontweight="bold",
                    fontsize=style.SMALL_SIZE + 1, color=style.INK)
    for a in axes[len(metrics):]:  # no empty panels
        a.set_axis_off()
    if new:
        style.decorate(fig, findings.outcomes(results),
                       f"{s.title}: how the runs end. Accumulated exposure at the end of the window, run by run. "
                       "Where a branch splits the "
                       "runs, its two sides are stacked in two colours with their chance. Dotted: the mean "
                       "of all runs.", results)
    return fig
