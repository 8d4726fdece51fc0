"""Timeline chart: one row per measure, its planned deadline and when it actually takes effect."""

from __future__ import annotations

import datetime as dt
from typing import Any

import matplotlib.dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import offset_copy

from plots import data, style, timeline_marks
from sim.runs.results import Results
from sim.text import convention, findings
from sim.text.humanize import percent

ODDS = (("p_never", "Never"), ("p_enjoined", "Enjoined"), ("p_shelved", "Shelved"), ("p_lifted", "Lifted"))
_COLUMN_PT = 62  # width of one odds column, points


def _as_of(results: Results, as_of: dt.date | str | None) -> dt.date | None:
    if as_of == "scenario":
        spec = results.scenario.as_of
        day = spec.fixed_day() if spec is not None else None
        return dt.date.fromordinal(day) if day is not None else None
    if isinstance(as_of, str):
        return dt.date.fromisoformat(as_of)
    return as_of


def _date(text: object) -> dt.date | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def plot(results: Results, as_of: dt.date | str | None = "scenario", ax: Axes | None = None) -> Figure:
    """Draw the timeline of every measure: planned deadline, effective-date range, odds of what stops it.

    Args:
        results: a finished run.
        as_of: date of the vertical "as of" line: a date, ``"scenario"`` (the scenario's ``as_of``, if any)
            or ``None`` for no line.
        ax: axes to draw into; a new slide-sized figure with title and footer when ``None``.

    Returns:
        The figure.

    Example:
        >>> fig = plot(res)
        >>> fig.savefig(out / "timeline.png")
    """
    s = results.scenario
    fig, axes, new = style.panels(ax, 1, 1)
    ax = axes[0]
    colors = style.measure_colors(s)
    stats: dict[str, dict[Any, Any]] = {str(r["measure"]): r for r in results.measures.to_dict("records")}
    n = len(s.measures)
    label_width, label_lines = (30, 2) if n <= 7 else (38, 1)
    label_size = style.LABEL_SIZE if n <= 7 else style.SMALL_SIZE
    start, end = data.window(results)
    for row, m in enumerate(s.measures):
        ax.axhline(row, color=style.GRID, linewidth=1, zorder=0)
        planned = data.planned_deadline(m)
        if m.id not in stats:
            continue
        st = stats[m.id]
        # the one interval (5-95%) of the exact effective-date distribution; the median day as the marker
        lo, hi = (findings.effective_quantile(results, m.id, q) for q in (0.05, 0.95))
        mid = _date(st["effective_p50"])
        if lo is not None and hi is not None:
            left = mdates.date2num(lo) - 0.5
            width = max(mdates.date2num(hi) - mdates.date2num(lo), 0.0) + 1.0  # a one-day range stays visible
            ax.barh(row, width, left=left, height=0.46, color=colors[m.id], alpha=0.35, linewidth=0, zorder=2)
        if mid is not None:
            ax.plot([mdates.date2num(mid)], [row], marker="|", markersize=28, markeredgewidth=3.5,
                    color=colors[m.id], zorder=3, linestyle="none")
        if planned is not None:
            ax.plot([mdates.date2num(planned)], [row], marker="D", markersize=9, markerfacecolor="white",
                    markeredgecolor=style.INK, markeredgewidth=1.6, linestyle="none", zorder=4)
        for k, (key, _) in enumerate(ODDS):
            p = float(st[key])
            ax.annotate("–" if p == 0 else percent(p), xy=(1, row), xycoords=("axes fraction", "data"),
                        xytext=(18 + _COLUMN_PT * (k + 0.5), 0), textcoords="offset points", ha="center",
                        va="center", fontsize=label_size, color=style.INK if p > 0 else style.MUTED, gid="odds")
    for k, (_, name) in enumerate(ODDS):
        ax.annotate(name, xy=(1, 1), xycoords="axes fraction", xytext=(18 + _COLUMN_PT * (k + 0.5), 6),
                    textcoords="offset points", ha="center", va="bottom", fontsize=style.SMALL_SIZE,
                    fontweight="bold", color=style.INK, gid="odds-header")
    ax.set_yticks(range(n), [style.wrap(data.measure_title(m), label_width, label_lines) for m in s.measures])
    pad = max(0.0, (4 - n) * 0.5)  # with few measures, keep rows the height they have with four
    ax.set_ylim(n - 0.5 + pad, -0.5 - pad) if n else ax.set_ylim(0.5, -0.5)
    style.style_axes(ax, grid_axis="x")
    ax.tick_params(axis="y", length=0, labelsize=label_size)
    ax.spines["left"].set_visible(False)
    style.date_axis(ax, start, end)
    day = _as_of(results, as_of)
    fixed = data.fixed_deadlines([m for m in s.measures if m.id in stats])
    handles: list[Artist] = [  # the diamond only where one is drawn (a fixed planned date)
        Line2D([], [], marker="D", markersize=9, markerfacecolor="white", markeredgecolor=style.INK,
               linestyle="none", label="Planned deadline")] if fixed != "none" else []
    handles += [
        Patch(facecolor=style.MUTED, alpha=0.35, label=f"Takes effect: {convention.INTERVAL} of runs where it does"),
        Line2D([], [], marker="|", markersize=16, markeredgewidth=3, color=style.MUTED, linestyle="none",
               label="Median effective date"),
    ]
    if day is not None:
        ax.axvline(float(mdates.date2num(day)), color=style.MUTED, linestyle="--", linewidth=1.2, zorder=1)
        handles.append(Line2D([], [], color=style.MUTED, linestyle="--", label=f"As of {style.day_label(day)}"))
    handles += timeline_marks.draw_shocks(ax, results) + timeline_marks.draw_members(ax, s.measures, colors)
    chars = sum(len(str(h.get_label())) + 6 for h in handles if isinstance(h, Artist))
    fits = chars * style.SMALL_SIZE * 0.55 < 72 * style.SLIDE[0] * 0.55  # one row under the axes, or two
    # under the tick labels, which take two lines where the year changes ("Jan\n2021")
    under = offset_copy(ax.transAxes, fig=fig, y=-(10 + 2.4 * style.TICK_SIZE), units="points")
    style.legend(ax, handles, ncol=len(handles) if fits else 2, loc="upper left", bbox_to_anchor=(0, 0),
                 bbox_transform=under, handlelength=1.6, columnspacing=1.6)
    if new:
        against = {"all": "Planned deadline against the simulated effective date",
                   "some": "Planned deadline (where it is a fixed date) against the simulated effective date",
                   "none": f"{data.NO_FIXED_DEADLINE}; the simulated effective date"}[fixed]
        subtitle = (f"{s.title}: when each measure takes effect. {against} (first day in force). Columns on the "
                    "right: chance the measure never takes effect in the window, is enjoined, shelved or lifted.")
        style.decorate(fig, findings.timeline(results), subtitle, results,
                       stated=convention.chance_text(results.replications, "dates"))
    else:
        ax.set_title("When each measure takes effect", fontsize=style.LABEL_SIZE, loc="left")
    return fig

