"""Exposure of one metric: how much at each moment, how much accumulated, and how much the measures avoided."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plots import bands, data, style
from sim.runs.results import Results
from sim.scenario.errors import DocketError
from sim.text.humanize import interval

COLOR = style.PALETTE[1]
AVOIDED_COLOR = style.PALETTE[2]
PANELS = (
    ("value", "Exposed on each date", True),
    ("cumulative", "Accumulated since the start", True),
    ("avoided", "Avoided by the measures", False),
)


def plot(results: Results, metric: str | None = None, ax: Axes | None = None) -> Figure:
    """Three panels for one exposure metric: instantaneous value, cumulative total, and exposure avoided.

    The first two show the median with 50% and 90% bands and the no-measure counterfactual dashed; the
    third shows the paired difference (counterfactual minus actual) per run, with a zero line.

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
    for a, (quantity, title, with_cf) in zip(axes, PANELS, strict=True):
        rows = data.series(results, mid, quantity)
        color = COLOR if with_cf else AVOIDED_COLOR
        bands.draw(a, rows, color)
        top = float(rows["p95"].max())
        if with_cf:
            cf = data.series(results, mid, quantity + "_cf")
            bands.counterfactual(a, cf)
            top = max(top, float(cf["p50"].max()))
        else:
            a.axhline(0, color=style.MUTED, linewidth=1)
        sides = bands.branches(a, results, mid, quantity, color)
        if sides and quantity == "cumulative":
            style.legend(a, sides, loc="center left", fontsize=style.SMALL_SIZE - 1)
        bottom = min(0.0, float(rows["p05"].min()))
        top = max(top, 0.0)
        pad = 0.06 * (top - bottom) if top > bottom else 1.0
        a.set_ylim(bottom - (pad if bottom < 0 else 0), top + pad)
        style.style_axes(a)
        style.date_axis(a, start, end, max_ticks=5)
        style.number_axis(a, str(rows["unit"].iloc[0]))
        a.set_title(title, loc="left", fontsize=style.LABEL_SIZE, fontweight="bold", color=style.INK)
    total = results.summary["exposure"][mid]
    for a, key, quantity in ((axes[1], "total", "cumulative"), (axes[2], "avoided", "avoided")):
        st = total[key]
        if key == "avoided" and st["p50"] < 0:  # the measures add exposure (e.g. stopped updates): say so
            text = f"added, not avoided:\n{interval(-st['p50'], -st['p95'], -st['p05'])}"
        else:
            text = f"{'by the end' if key == 'total' else 'avoided'}:\n{interval(st['p50'], st['p05'], st['p95'])}"
        # write where the curve is not: top left if the series starts in the lower half, else bottom left
        lo, hi = a.get_ylim()
        first = float(data.series(results, mid, quantity)["p50"].iloc[0])
        y, va = (0.97, "top") if first < (lo + hi) / 2 else (0.03, "bottom")
        a.text(0.03, y, f"{text}\nmedian (90% of runs)", transform=a.transAxes, ha="left", va=va,
               fontsize=style.SMALL_SIZE, color=style.INK, gid="headline",
               bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 2})
    handles = bands.handles(COLOR)
    if new:
        style.decorate(fig, data.metric_title(s, mid),
                       f"Exposure in {total['unit']}: median with the middle 50% and 90% of runs; dashed: the "
                       "same runs with no measure in force. Right: the difference, run by run.", results,
                       handles=handles)
    else:
        style.legend(axes[0], handles, loc="upper right")
    return fig
