"""Outcome against a swept parameter: median with the 10-90% band of the runs at each grid point."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plots import style
from sim.results import Results


def plot(table: pd.DataFrame, key: str, results: Sequence[Results], metric: str | None = None,
         quantity: str = "total", ax: Axes | None = None) -> Figure:
    """Draw one metric's exposure (``total`` or ``avoided``) against the values of the swept ``key``.

    Args:
        table: the sweep table (:func:`sim.sweep.sweep`), one row per grid point.
        key: the swept override key on the x axis (other swept keys must be constant or absent).
        results: the runs of the grid points, for the title and footer.
        metric: the metric id (default: the first).
        quantity: ``total`` (exposure accumulated) or ``avoided``.
        ax: draw into this axes instead of a new figure.
    """
    first = results[0]
    mid = metric or first.scenario.metrics[0].id
    title = next((m.title or m.id for m in first.scenario.metrics if m.id == mid), mid)
    fig, axes, new = style.panels(ax, 1, 1)
    ax = axes[0]
    x = list(range(len(table)))
    lo, mid_col, hi = (table[f"{mid}.{quantity}.{s}"].astype(float) for s in ("p10", "p50", "p90"))
    color = style.PALETTE[0]
    ax.fill_between(x, lo, hi, color=color, alpha=0.25, linewidth=0, label="10-90% of runs")
    ax.plot(x, mid_col, color=color, linewidth=2.5, marker="o", label="median")
    ax.set_xticks(x, [str(v) for v in table[key]], rotation=30 if len(x) > 6 else 0)
    ax.set_xlabel(key, fontsize=style.LABEL_SIZE)
    style.style_axes(ax)
    style.number_axis(ax, first.summary["exposure"][mid]["unit"])
    style.legend(ax, loc="best")
    if new:
        what = "accumulated" if quantity == "total" else "avoided by the measures"
        style.decorate(fig, f"{title}, {what}: sweep of {key.split('.')[-1]}",
                       f"Median and 10-90% of runs at each value of {key}, every point on the same random draws.",
                       first)
    return fig

