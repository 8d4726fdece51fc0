"""Probability that each measure is in force, over time."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plots import data, line_labels, style
from sim.runs.results import Results
from sim.text import convention, findings

ONE_PANEL_MAX = 4  # more measures than this get one small panel each


def plot(results: Results, ax: Axes | None = None) -> Figure:
    """Step curves of P(in force) per measure, 0-100%, exact on every day any run switches.

    Up to four measures share one axes with a legend; more get a grid of small panels (shared axes) so the
    curves never pile up. Dotted vertical lines mark the planned deadlines.

    Args:
        results: a finished run.
        ax: axes to draw into (split into panels if needed); a new figure with title and footer when ``None``.

    Returns:
        The figure.

    Example:
        >>> plot(res).savefig(out / "in_force.png")
    """
    s = results.scenario
    n = len(s.measures)
    single = n <= ONE_PANEL_MAX
    ncols = 1 if single else (3 if n <= 9 else 4)
    fig, axes, new = style.panels(ax, 1 if single else n, ncols, sharey=True)
    colors, styles = style.measure_colors(s), style.measure_linestyles(s)
    start, end = data.window(results)
    last = pd.Timestamp(end)
    curves: dict[tuple[tuple[object, ...], tuple[float, ...]], list[tuple[str, str]]] = {}  # curve -> labels
    for i, m in enumerate(s.measures):
        target = axes[0] if single else axes[i]
        rows = results.in_force_curve(m.id)  # exact on every day a run switches, not sampled on the grid
        dates = pd.DatetimeIndex(rows["date"]).append(pd.DatetimeIndex([last]))
        values = [*rows["probability"], rows["probability"].iloc[-1]]
        label = style.wrap(data.measure_title(m), 34)
        target.step(dates, values, where="post", color=colors[m.id], linewidth=2.6, linestyle=styles[m.id],
                    label=label)
        curves.setdefault((tuple(dates), tuple(float(v) for v in values)), []).append((label, colors[m.id]))
        if not single:
            width = 26 if ncols == 4 else 34  # characters that fit above one panel
            target.set_title(style.wrap(data.measure_title(m), width), fontsize=style.SMALL_SIZE + 1,
                             loc="left", color=colors[m.id], fontweight="bold")
    for k, a in enumerate(axes):
        style.style_axes(a)
        style.date_axis(a, start, end, max_ticks=8 if single or ncols == 1 else 5)
        style.percent_axis(a, "Chance in force" if k % ncols == 0 else None)
        if k % ncols:
            a.tick_params(labelleft=False)
        measures = s.measures if single else s.measures[k : k + 1]
        # one measure per panel: its title is the panel's, so the line says "deadline" and its day
        line_labels.deadline_lines(a, data.deadline_marks(s, measures, colors, named=single),
                             prefix="" if single else "deadline ")
    if single and n:  # each curve named at its end, in its colour: no legend to look up; identical curves (the
        # last drawn hides the others) share one label, in the colour that shows
        ends = [(values[-1], "\n".join(t for t, _ in named) + ("\n(identical curves)" if len(named) > 1 else ""),
                 named[-1][1]) for (_, values), named in curves.items()]
        line_labels.end_labels(axes[0], ends)
    if new:
        lines = {"all": " Dotted lines: planned deadlines, each named.",
                 "some": " Dotted lines: planned deadlines where they are fixed dates, each named.",
                 "none": f" {data.NO_FIXED_DEADLINE}: none is marked."}[data.fixed_deadlines(s.measures)]
        style.decorate(fig, findings.in_force(results),
                       f"{s.title}: chance each measure is in force on each date, that day (not deferred, enjoined, "
                       f"shelved, lifted or cancelled).{lines}", results,
                       stated=convention.chance_text(results.replications, "on", "by"))
    return fig
