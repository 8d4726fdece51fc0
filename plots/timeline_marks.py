"""What the timeline chart draws besides the measures' rows: shocks as dated bands, cohort members' own dates.

A shock (``shocks:``) is drawn from the run's event log: a band from the median day it began to the median day
it ended, over the runs where it happened, labelled with its title and how often it happened (an open-ended
shock is a line from the day it began). A measure with ``cohorts`` gets, under its row, a tick at each date a
member can be bound from (its listed start, or each wave of an ``empirical`` start, plus ``period``) or, for a
start drawn from a range, a bracket over the range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from plots import style
from sim.runs.results import Results
from sim.scenario.calendar import add_month_span
from sim.scenario.dates import DateSpec
from sim.scenario.schema import Cohort, Measure
from sim.scenario.values import Dist
from sim.text.humanize import percent

SHOCK_COLOR = style.SHOCK
_LABEL_GAP_PT = 5.0  # space between stacked shock labels, points
DISCRETE = ("value", "empirical", "choice")
"""The kinds of start whose every possible date is a tick (the others are drawn as a range)."""


@dataclass(frozen=True)
class ShockSpan:
    """When a shock acted in a run: the median first and last day over the runs where it happened."""

    title: str
    began: dt.date
    ended: dt.date | None  # None: to the end of the window
    share: float  # of the runs


def shock_spans(results: Results) -> list[ShockSpan]:
    """The shocks that happened in at least one run of ``results``, in the order of ``shocks``.

    Example:
        >>> shock_spans(res)  # the flagship has no shocks
        []
    """
    out = []
    log = results.events
    for sh in results.scenario.shocks:
        rows = log[log["subject"] == sh.id]
        began = rows[rows["what"] == "began"]
        if began.empty:
            continue
        ended = rows[rows["what"] == "ended"]
        last = None if ended.empty else _median_day(ended["date"])
        out.append(ShockSpan(sh.title or sh.id, _median_day(began["date"]), last,
                             began["replication"].nunique() / results.replications))
    return out


def _median_day(dates: object) -> dt.date:
    days = np.array([d.toordinal() for d in dates.dt.date])  # type: ignore[attr-defined]
    return dt.date.fromordinal(int(np.round(np.median(days))))


def draw_shocks(ax: Axes, results: Results) -> list[Artist]:
    """Draw every shock of ``results`` on ``ax`` behind the measures' rows; the legend handles it needs."""
    spans = shock_spans(results)
    below = 0.0  # points from the top of the axes to the next label (stacks of three, then from the top again)
    for k, span in enumerate(spans):
        left = float(mdates.date2num(span.began)) - 0.5
        if span.ended is not None:  # at least a few points wide, so a one-day outage shows
            ax.axvspan(left, float(mdates.date2num(span.ended)) - 0.5, color=SHOCK_COLOR, alpha=0.18,
                       linewidth=0, zorder=0.5)
        ax.axvline(left, color=SHOCK_COLOR, linewidth=1.4, linestyle="-" if span.ended else ":", zorder=0.6)
        lasts = "" if span.ended is not None else ", to the end"
        text = f"{style.wrap(span.title.split(' (')[0], 34)} ({_often(span.share)}{lasts})"  # its name, not its note
        x0, x1 = ax.get_xlim()
        right = left > x0 + 0.55 * (x1 - x0)  # late in the window: the label runs left, inside the axes
        below = 0.0 if k % 3 == 0 else below
        ax.annotate(text, xy=(left, 1), xycoords=("data", "axes fraction"),
                    xytext=(-4 if right else 4, -4 - below), textcoords="offset points",
                    ha="right" if right else "left", va="top", fontsize=style.SMALL_SIZE,
                    color=SHOCK_COLOR, gid="shock-label",
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
        below += (text.count("\n") + 1) * style.SMALL_SIZE * 1.2 + _LABEL_GAP_PT  # each line as matplotlib sets it
    if not spans:
        return []
    return [Patch(facecolor=SHOCK_COLOR, alpha=0.35, edgecolor=SHOCK_COLOR,
                  label="Shock: median start and end, in the runs it happens")]


def _often(share: float) -> str:
    return "every run" if share >= 1 else f"{percent(share)} of runs"


@dataclass(frozen=True)
class MemberDates:
    """The dates a cohort group's members can be bound from: ticks at listed dates, or a range."""

    ticks: tuple[dt.date, ...]
    span: tuple[dt.date, dt.date] | None


def member_dates(group: Cohort) -> MemberDates:
    """Where ``group``'s members' own dates can fall: each listed start or wave plus ``period``, or the range.

    Example:
        >>> from sim.scenario.schema import Cohort
        >>> g = Cohort(id="big", share="50%", starts=["2026-02-01", "2026-03-01"], period="30d")
        >>> [d.isoformat() for d in member_dates(g).ticks]
        ['2026-03-03', '2026-03-31']
    """
    specs: list[DateSpec] = list(group.starts) if group.starts is not None else [group.start] if group.start else []
    discrete = all(sp.offset.kind in DISCRETE for sp in specs)
    if discrete and (group.period is None or group.period.is_fixed):
        return MemberDates(tuple(sorted({_plus(int(v), group.period) for sp in specs for v in sp.offset.params})),
                           None)
    lo, hi = min(sp.offset.low for sp in specs), max(sp.offset.high for sp in specs)
    return MemberDates((), (_plus(int(lo), group.period, low=True), _plus(int(hi), group.period, low=False)))


def _plus(day: int, period: Dist | None, low: bool = True) -> dt.date:
    """The ordinal ``day`` plus ``period`` (its low or high end), months on the calendar."""
    if period is None:
        return dt.date.fromordinal(day)
    if period.month_params:
        months = period.month_params[0] if period.is_fixed or low else period.month_params[-1]
        return dt.date.fromordinal(add_month_span(day, months))
    return dt.date.fromordinal(day + round(period.low if low else period.high))


def draw_members(ax: Axes, measures: list[Measure], colors: dict[str, str]) -> list[Artist]:
    """Under the row of each measure with ``cohorts``, its members' own dates; the legend handles it needs."""
    drawn = False
    for row, m in enumerate(measures):
        for k, group in enumerate(m.cohorts or []):
            y = row + 0.3 + 0.09 * k
            dates = member_dates(group)
            if dates.ticks:
                ax.plot([mdates.date2num(d) for d in dates.ticks], [y] * len(dates.ticks), marker="|",
                        markersize=9, markeredgewidth=1.6, color=colors[m.id], linestyle="none", zorder=3,
                        gid="cohort-members")
            if dates.span is not None:
                a, b = (float(mdates.date2num(d)) for d in dates.span)
                ax.plot([a, b], [y, y], color=colors[m.id], linewidth=1.6, marker="|", markersize=9, zorder=3,
                        gid="cohort-members")
            drawn = True
    if not drawn:
        return []
    return [Line2D([], [], marker="|", markersize=9, markeredgewidth=1.6, color=style.MUTED, linestyle="none",
                   label="Cohort members' own dates")]
