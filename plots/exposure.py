"""Exposure of one metric: how much at each moment, how much accumulated, and how much the measures avoided."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plots import bands, data, style
from sim.runs.results import Results
from sim.scenario.errors import DocketError
from sim.text import convention, findings

PANELS = (
    ("value", "Exposed on each date", True),
    ("cumulative", "Accumulated since the start", True),
    ("avoided", "Avoided by the measures", False),
)
ADDED_TITLE = "Added by the measures"


def plot(results: Results, metric: str | None = None, ax: Axes | None = None) -> Figure:
    """Three panels for one exposure metric: instantaneous value, cumulative total, and exposure avoided.

    The first two show the mean with its 5-95% band and the no-measure counterfactual dashed; the third shows
    the paired difference per run: exposure avoided (counterfactual minus actual), or, where the measures
    increase the metric (unpatched installs), exposure *added* (actual minus counterfactual), on a positive
    axis in the warning colour.

    Args:
        results: a finished run.
        metric: metric id (default: the scenario's first metric).
        ax: axes to draw into (split into three panels); a new figure with title and footer when ``None``.

    Returns:
        The figure.

    Raises:
        DocketError: if the scenario has no metric, or no metric ``metric``.

    Example:
        >>> plot(res, "tiktok_user_days").savefig(out / "exposure.png")
    """
    s = results.scenario
    if not s.metrics:
        raise DocketError(f"scenario {s.name!r} has no exposure metric to chart")
    mid = metric or s.metrics[0].id
    if mid not in {m.id for m in s.metrics}:
        raise DocketError(f"no metric {mid!r}; metrics are: {', '.join(m.id for m in s.metrics)}")
    fig, axes, new = style.panels(ax, len(PANELS), len(PANELS))
    start, end = data.window(results)
    total = results.summary["exposure"][mid]
    added = total["avoided"][convention.HEADLINE] < 0
    split: list[object] = []
    for a, (quantity, title, with_cf) in zip(axes, PANELS, strict=True):
        rows = data.series(results, mid, quantity)
        if added and quantity == "avoided":
            rows = _negated(rows)
            title = ADDED_TITLE
        color = style.EXPOSURE if with_cf else style.ADDED if added else style.AVOIDED
        bands.draw(a, rows, color)
        top = float(rows["p95"].max())
        if with_cf:
            cf = data.series(results, mid, quantity + "_cf")
            bands.counterfactual(a, cf)
            top = max(top, float(cf[convention.HEADLINE].max()))
        else:
            a.axhline(0, color=style.MUTED, linewidth=1)
        # every panel the split of the total, as page 1 and the outcomes page give it (the avoided may split on
        # another branch: that one is in summary.json)
        sides = bands.branches(a, results, mid, quantity, color, outcome=f"{mid}:total",
                               negate=added and quantity == "avoided")
        if sides and not split:  # named in the legend above the panels: inside one it covers the curves
            split = sides
        bottom = min(0.0, float(rows["p05"].min()))
        top = max(top, 0.0)
        pad = 0.06 * (top - bottom) if top > bottom else 1.0
        a.set_ylim(bottom - (pad if bottom < 0 else 0), top + pad)
        style.style_axes(a)
        style.date_axis(a, start, end, max_ticks=5)
        style.number_axis(a, str(rows["unit"].iloc[0]))
        a.set_title(title, loc="left", fontsize=style.LABEL_SIZE, fontweight="bold",
                    color=style.ADDED if title == ADDED_TITLE else style.INK)
    for a, key, quantity in ((axes[1], "total", "cumulative"), (axes[2], "avoided", "avoided")):
        st = total[key]
        if key == "avoided" and added:  # the measures add exposure (e.g. stopped updates): say so
            st = {"mean": -st["mean"], "p05": -st["p95"], "p95": -st["p05"]}
        word = "by the end" if key == "total" else "added" if added else "avoided"
        text = f"{word}:\n{convention.figure(st)}"
        # write where the curve is not: top left if the series starts in the lower half, else bottom left
        lo, hi = a.get_ylim()
        first = float(data.series(results, mid, quantity)[convention.HEADLINE].iloc[0])
        first = -first if key == "avoided" and added else first
        y, va = (0.97, "top") if first < (lo + hi) / 2 else (0.03, "bottom")
        a.text(0.03, y, f"{text}\n{convention.STATISTIC} ({convention.INTERVAL} of runs)", transform=a.transAxes,
               ha="left", va=va,
               fontsize=style.SMALL_SIZE, color=style.INK, gid="headline",
               bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 2})
    handles = bands.handles(style.EXPOSURE) + split
    if new:
        right = "exposure the measures add, run by run" if added else "the difference, run by run"
        style.decorate(fig, findings.exposure(results, mid),
                       f"{data.metric_title(s, mid)}, in {total['unit']}: mean with 5–95% of runs; dashed: the same "
                       f"runs with no measure in force. Right: {right}."
                       + (" Black lines: each side's median where a branch splits the runs." if split else ""),
                       results, handles=handles)
    else:
        style.legend(axes[0], handles, loc="upper right")
    return fig


def _negated(rows: pd.DataFrame) -> pd.DataFrame:
    """A paired difference turned around (avoided -> added): values negated, the quantiles swapped."""
    out = rows.copy()
    cols = [c for c in rows.columns if c == "mean" or (c.startswith("p") and c[1:].isdigit())]
    for c in cols:
        out[c] = -rows[f"p{100 - int(c[1:]):02d}"] if c != "mean" else -rows[c]
    return out
