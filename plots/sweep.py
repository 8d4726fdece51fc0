"""Outcome against swept inputs: a grid's mean and 5-95% band at each point (:func:`plot`), or a sampled
design's mean and 5-95% bar per sample against each input, as small multiples (:func:`plot_samples`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from plots import style
from sim.runs.results import Results
from sim.studies.design import numeric
from sim.studies.sweep import VS_BASE, SweepPlan, rank_correlations
from sim.text import findings
from sim.text.convention import HEADLINE, HIGH, INTERVAL, LOW, STATISTIC
from sim.text.humanize import number, signed, signed_number
from sim.text.titles import title_of

MAX_METRICS = 3
"""A grid sweep's chart shows at most this many metrics (columns); every metric is in ``sweep.csv``."""


def plot(table: pd.DataFrame, key: str, results: Sequence[Results], metric: str | None = None,
         quantity: str = "total", ax: Axes | None = None) -> Figure:
    """Draw each metric's exposure (``total`` or ``avoided``) against the values of the swept ``key``: its level
    on top, and under it its paired difference from the scenario as written, where the table has one.

    One column per metric (the first :data:`MAX_METRICS`, or only ``metric``). The top panel gives the mean and
    5-95% band of each point's runs; the bottom one the mean and 5-95% interval of the paired differences
    ``point - as written``, replication by replication on the same draws (``METRIC.total_vs_base.*``, see
    :func:`sim.studies.sweep.differences`), with a line at zero.

    Args:
        table: the sweep table (:func:`sim.studies.sweep.sweep`), one row per grid point.
        key: the swept override key on the x axis (other swept keys must be constant or absent).
        results: the runs of the grid points, for the title and footer.
        metric: only this metric id (default: the first three).
        quantity: ``total`` (exposure accumulated) or ``avoided``.
        ax: draw into the area of this axes instead of a new figure.
    """
    first = results[0]
    s = first.scenario
    mids = [metric] if metric else [m.id for m in s.metrics][:MAX_METRICS]
    titles = {m.id: m.title or m.id for m in s.metrics}
    paired = all(f"{mid}.{quantity}{VS_BASE}.{HEADLINE}" in table.columns for mid in mids)
    fig, axes, new = style.panels(ax, len(mids) * (1 + paired), len(mids))
    x = list(range(len(table)))
    values = [str(v) for v in table[key]]
    ticks = [_tick(v) for v in values]
    color = style.EXPOSURE if quantity == "total" else style.AVOIDED
    unit = {mid: first.summary["exposure"][mid]["unit"] for mid in mids}
    for k, mid in enumerate(mids):
        top = axes[k]
        lo, mean, hi = (table[f"{mid}.{quantity}.{st}"].astype(float) for st in (LOW, HEADLINE, HIGH))
        top.fill_between(x, lo, hi, color=color, alpha=0.25, linewidth=0, label=f"{INTERVAL} of runs")
        top.plot(x, mean, color=color, linewidth=2.5, marker="o", label=STATISTIC)
        top.set_title(style.wrap(titles[mid], 40 if len(mids) > 1 else 90), loc="left", fontweight="bold",
                      fontsize=style.SMALL_SIZE + 1, color=style.INK)
        style.number_axis(top, unit[mid] if k == 0 else None)
        panels = [top]
        if paired:
            low = axes[len(mids) + k]
            dlo, dmean, dhi = (table[f"{mid}.{quantity}{VS_BASE}.{st}"].astype(float) for st in (LOW, HEADLINE, HIGH))
            _differences(low, x, (dlo, dmean, dhi), color, width=6, size=7)
            if k == 0:
                low.set_ylabel(f"{unit[mid]}, difference", fontsize=style.LABEL_SIZE, color=style.INK)
            panels.append(low)
        for panel in panels:
            style.style_axes(panel)
            panel.set_xticks(x, ticks if panel is panels[-1] else [""] * len(x),
                             rotation=30 if len(x) > 6 else 0)
        panels[-1].set_xlabel(key, fontsize=style.LABEL_SIZE if len(mids) == 1 else style.SMALL_SIZE)
    if not new:
        style.legend(axes[0], loc="best")
    else:
        what = "accumulated" if quantity == "total" else "avoided by the measures"
        parts = key.split(".")
        moved = f"the {parts[-1].replace('_', ' ')} of {title_of(s, parts[1])}" if len(parts) > 2 else key
        lead = table[f"{mids[0]}.{quantity}.{HEADLINE}"].astype(float)
        finding = findings.sweep(f"{titles[mids[0]]} {what}", moved, float(lead.iloc[0]), float(lead.iloc[-1]),
                                 values[0], values[-1])
        shown = "" if metric or len(s.metrics) <= MAX_METRICS else \
            f" (the first {MAX_METRICS} of {len(s.metrics)} metrics; all in sweep.csv)"
        below = (" Below: each point minus the scenario as written, replication by replication on the same draws: "
                 f"{STATISTIC} and {INTERVAL} of those paired differences.") if paired else ""
        handles = [Line2D([], [], color=color, marker="o", linewidth=2.5, label=STATISTIC),
                   Patch(facecolor=color, alpha=0.25, label=f"{INTERVAL} of runs")]
        if paired:
            handles.append(Line2D([], [], color=color, alpha=0.45, linewidth=6,
                                  label=f"{INTERVAL} of paired differences"))
        style.decorate(fig, finding, f"{s.title}, exposure {what}: sweep of {key}{shown}. Top: {STATISTIC} and "
                       f"{INTERVAL} of runs at each value, every point on the same random draws." + below, first,
                       handles=handles)
    return fig


def _tick(value: str) -> str:
    """A grid value as a tick label: an ISO date on two lines (``12 Nov\\n2020``), anything else as written."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{style.short_day(day)}\n{day.year}"


_METHOD_WORDS = {"lhs": "Latin-hypercube", "random": "random", "grid": "grid"}
_UNIT_WORDS = {"/day": "per day", "%/month": "% per month"}


def _layout(n: int) -> int:
    """Columns of the small multiples: 1, 2 (for 2 or 4 panels) or 3."""
    return 1 if n == 1 else 2 if n in (2, 4) else 3


def plot_samples(table: pd.DataFrame, columns: Sequence[str], results: Sequence[Results],
                 labels: Mapping[str, str] | None = None, *, method: str = "lhs", pinned: bool = False,
                 metric: str | None = None, quantity: str = "total", max_panels: int = 6,
                 ax: Axes | None = None) -> Figure:
    """Draw one metric's exposure against each sampled input, as small multiples (one dot and bar per sample):
    its level, and under it its paired difference from the scenario as written, where the table has one.

    The panels are the ``max_panels`` inputs whose values have the strongest rank correlation with the mean,
    strongest first (at most :data:`MAX_METRICS` when each gets a panel of differences under it); each x axis is
    in its input's unit (dates as dates). The differences are ``sample - as written`` replication by replication
    on the same draws (``METRIC.total_vs_base.*``, :func:`sim.studies.sweep.differences`): mean dot and 5-95%
    bar, with a line at zero.

    Args:
        table: the sampled sweep's table (:func:`sim.studies.sweep.run_design`), one row per sample.
        columns: the input columns of the table.
        results: the runs of the samples, for the title and footer.
        labels: a label per column for the panel titles (default: the column).
        method: the design (``lhs`` or ``random``), for the subtitle.
        pinned: the samples hold the scenario's own inputs fixed (no ``--param``), for the subtitle.
        metric: the metric id (default: the first).
        quantity: ``total`` (exposure accumulated) or ``avoided``.
        max_panels: at most this many inputs.
        ax: draw into the area of this axes instead of a new figure.

    Example:
        >>> from sim.studies.design import parse_span, sample_design
        >>> from sim.studies.sweep import run_design
        >>> span = parse_span("measures.tiktok_hosting_cutoff.deadline=2020-11-12:2021-05-12")
        >>> design = sample_design(data, [span], 4, "lhs")
        >>> table, results, _ = run_design(data, design, replications=50)
        >>> plot_samples(table, design.columns, results, design.labels).savefig(out / "samples.png")
    """
    first = results[0]
    mid = metric or first.scenario.metrics[0].id
    title = next((m.title or m.id for m in first.scenario.metrics if m.id == mid), mid)
    lo, med, hi = (table[f"{mid}.{quantity}.{s}"].astype(float).to_numpy() for s in (LOW, HEADLINE, HIGH))
    rho = rank_correlations(table, columns, f"{mid}.{quantity}.{HEADLINE}")
    paired = f"{mid}.{quantity}{VS_BASE}.{HEADLINE}" in table.columns
    chosen = list(rho)[:min(max_panels, MAX_METRICS) if paired else max_panels]
    ncols = len(chosen) if paired else _layout(len(chosen))
    fig, axes, new = style.panels(ax, len(chosen) * (1 + paired), ncols, sharey=not paired)
    levels, lows = axes[:len(chosen)], axes[len(chosen):]
    for row in (levels, lows) if paired else ():
        for a in row[1:]:
            a.sharey(row[0])
    color = style.EXPOSURE if quantity == "total" else style.AVOIDED
    unit = first.summary["exposure"][mid]["unit"]
    diff = [table[f"{mid}.{quantity}{VS_BASE}.{st}"].astype(float).to_numpy() for st in (LOW, HEADLINE, HIGH)] \
        if paired else []
    for i, (panel, col) in enumerate(zip(levels, chosen, strict=True)):
        xs, xunit = numeric(table[col].tolist())
        x: list[Any] = [dt.date.fromordinal(round(v)) for v in xs] if xunit == "date" else xs
        # the 5-95% range as a bar of its own: a mean can lie outside it (a rare large outcome), an error bar cannot
        panel.vlines(x, lo, hi, color=color, alpha=0.35, linewidth=1.5)
        panel.plot(x, med, "o", color=color, markersize=5.5)
        label = (labels or {}).get(col, col)
        name = style.wrap(label.removeprefix("populations.").removeprefix("measures."), 40 if ncols == 3 else 60,
                          lines=3)  # no wider than that: the last panel's title would leave the page
        panel.set_title(f"{name}\nrank correlation {signed(rho[col])}", fontsize=style.SMALL_SIZE + 1,
                        color=style.INK, loc="left")
        style.number_axis(panel, unit if i % ncols == 0 else None)
        stack = [panel]
        if paired:
            low = lows[i]
            low.sharex(panel)
            _differences(low, x, diff, color)
            if i == 0:  # the unit alone: a longer label would reach up beside the panel above
                low.set_ylabel(unit, fontsize=style.LABEL_SIZE, color=style.INK)
            panel.tick_params(axis="x", labelbottom=False)  # read off the differences below
            stack.append(low)
        for a in stack:
            style.style_axes(a, grid_axis="both")
            if xunit == "date":
                style.date_axis(a, max_ticks=5)
            else:
                suffix = xunit if xunit in ("%", "d") else ""
                a.xaxis.set_major_locator(MaxNLocator(nbins=5))
                a.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos, s=suffix: number(v) + s))
        if xunit and xunit not in ("%", "d", "date"):
            stack[-1].set_xlabel(_UNIT_WORDS.get(xunit, xunit), fontsize=style.SMALL_SIZE, color=style.MUTED)
    if new:
        what = "accumulated" if quantity == "total" else "avoided by the measures"
        spread = bool((hi > lo).any())
        held = ("each sample holds these inputs fixed; its runs vary only in events, deferrals and rulings"
                + ("" if spread else " (none here, so a sample's runs agree)")
                if pinned else "the scenario's other uncertain inputs vary from run to run")
        handles = [Line2D([], [], color=color, marker="o", linestyle="none", label=f"{STATISTIC} of a sample's runs"),
                   Line2D([], [], color=color, alpha=0.35, linewidth=1.5, label=f"{INTERVAL} of its runs")][:1 + spread]
        against = (f"against the {len(chosen)} of {len(columns)} sampled inputs most rank-correlated with the "
                   f"{STATISTIC}" if len(chosen) < len(columns) else "against each sampled input")
        top = (labels or {}).get(chosen[0], chosen[0]) if chosen else ""
        finding = f"{title} {what} moves most with {top} (rank correlation {signed(rho[chosen[0]])})" if chosen \
            else f"{title}, {what}"
        below = (" Below: each sample minus the scenario as written, replication by replication on the same draws: "
                 f"{STATISTIC} and {INTERVAL} of those paired differences.") if paired else ""
        style.decorate(fig, finding, f"{title}, {what}: {len(table)} {_METHOD_WORDS.get(method, method)} samples, "
                       f"{against}; {held}.{below}", first, handles=handles)
    return fig


def _differences(ax: Axes, x: Sequence[Any], stats: Sequence[Any], color: str, width: float = 1.5,
                 size: float = 5.5) -> None:
    """Paired differences from the scenario as written, ``stats`` = (5%, mean, 95%) per point: a 5-95% bar of
    ``width`` and a mean dot of ``size`` per point (grid point or sample), a line at 0; "no run differs" where
    none does."""
    lo, mean, hi = stats
    ax.axhline(0, color=style.MUTED, linewidth=1.2, zorder=1)
    ax.vlines(x, lo, hi, color=color, alpha=0.45, linewidth=width, label=f"{INTERVAL} of paired differences")
    ax.plot(x, mean, "o", color=color, markersize=size, label=STATISTIC)
    ax.set_title("difference from the scenario as written", loc="left", fontsize=style.SMALL_SIZE,
                 color=style.MUTED)
    if not (lo != 0).any() and not (hi != 0).any():  # the inputs do not move this metric: one tick at 0
        ax.set_ylim(-1, 1)
        ax.set_yticks([0])
        ax.text(0.5, 0.62, "no run differs", transform=ax.transAxes, ha="center", fontsize=style.SMALL_SIZE,
                color=style.MUTED)
    else:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: signed_number(v)))


def plot_plan(plan: SweepPlan, table: pd.DataFrame, results: Sequence[Results]) -> Figure:
    """The chart of a finished ``docket sweep``: :func:`plot_samples` for a sampled design, else :func:`plot`
    against the first swept key."""
    design = plan.design
    if design is None:
        return plot(table, plan.keys[0], results)
    return plot_samples(table, plan.keys, results, design.labels, method=plan.request.method,
                        pinned=bool(design.pilot))
