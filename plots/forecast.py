"""The outlook over time: each headline chance as seen on each date, the record's outcome marked, the dated
facts that moved it annotated (the style of an election forecast's "chance over time"); and the folder
``docket forecast`` writes (the tidy table, the changes text, the chart), staged and swapped in whole."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
from matplotlib.figure import Figure

from plots.pack import save_figure
from plots.style import (
    INK,
    MEASURE_PALETTE,
    date_axis,
    day_label,
    decorate,
    new_figure,
    percent_axis,
    style_axes,
)
from sim.runs.atomic import write_text
from sim.runs.outdir import staged
from sim.scenario.calendar import day_to_date
from sim.studies.forecast import Forecast, as_of_dates, changes, default_target, fact_text, forecast, moving_facts
from sim.text.convention import IN_FORCE_BY
from sim.text.humanize import percent

OUTLOOK_NAME = "forecast.json"
"""What the web page needs of a forecast folder besides its tables (:func:`outlook`)."""


def shown_measures(fc: Forecast, measures: Sequence[str] = ()) -> list[str]:
    """The measures a chance-over-time chart draws: those asked for, else every one, by id."""
    return list(measures) or sorted(set(fc.table[fc.table["kind"] == "in_force_by"]["target"]))


def outlook(fc: Forecast, date: str, measures: Sequence[str], text: str) -> dict[str, Any]:
    """The chart's words and marks as plain data (``forecast.json``), so the web page (``docket report
    --forecast``) draws the same finding, measures, colours and facts as ``forecast.png`` without re-running."""
    shown = shown_measures(fc, measures)
    facts = sorted({id(f): f for m in shown for f in moving_facts(fc, m, date)}.values(), key=lambda f: f.day)
    return {"scenario": fc.name, "title": fc.title, "replications": fc.replications, "target": date,
            "finding": _title(fc, date, shown), "changes": text,
            "measures": [{"id": m, "title": fc.titles.get(m, m), "color": MEASURE_PALETTE[i % len(MEASURE_PALETTE)]}
                         for i, m in enumerate(shown)],
            "facts": [{"date": day_to_date(f.day).isoformat(), "text": fact_text(f), "source": f.source}
                      for f in facts]}


def chance_over_time(fc: Forecast, date: str, measures: Sequence[str] = ()) -> Figure:
    """P(each measure in force by ``date``) as seen on each as-of date: a line per measure, the record's outcome
    as a marker at the right (filled: it took effect; open: it did not), the record's facts as dotted lines."""
    measures = shown_measures(fc, measures)
    fig = new_figure()
    ax = fig.add_subplot()
    dates = sorted(set(fc.table["as_of"]))
    last = dates[-1]
    facts = sorted({id(f): f for m in measures for f in moving_facts(fc, m, date)}.values(), key=lambda f: f.day)
    gap = max((last - dates[0]).days / 40, 1.0)
    previous = None
    for f in facts:
        day = day_to_date(f.day)
        ax.axvline(float(mdates.date2num(day)), color="#999999", lw=0.8, ls=":", zorder=1)
        right = previous is not None and f.day - previous < 2 * gap  # two facts close together: one each side
        previous = None if right else f.day
        ax.annotate(f"{day:%b %d}: " + fact_text(f).split(" ", 1)[1], (day, 1.02), xytext=(3 if right else -3, 0),
                    textcoords="offset points", fontsize=8, color="#555555", va="top",
                    ha="left" if right else "right", rotation=90)
    handles = []
    ends: list[tuple[float, str, str]] = []
    for i, m in enumerate(measures):
        color = MEASURE_PALETTE[i % len(MEASURE_PALETTE)]
        s = fc.chance(m, date)
        (line,) = ax.step(list(s.index), list(s.values), where="post", color=color, lw=2.2,
                          label=fc.titles.get(m, m), zorder=3)
        ax.plot(list(s.index), list(s.values), "o", color=color, ms=4, zorder=3)
        handles.append(line)
        if len(measures) == 1:  # one line: every chance written on it
            for d, p in s.items():
                ax.annotate(percent(float(p)), (d, float(p)), xytext=(0, 7), textcoords="offset points",
                            fontsize=9, color=color, ha="center", fontweight="bold")
        else:
            ends.append((float(s.iloc[-1]), percent(float(s.iloc[-1])), color))
        outcome = fc.outcome_of(m, date)
        if outcome is not None:
            at = last + dt.timedelta(days=gap * (2 + i))
            ax.plot([at], [outcome], marker="D", ms=9, color=color, mfc=color if outcome >= 0.5 else "white",
                    mew=2, zorder=4, clip_on=False)
            if i == 0:
                ax.annotate("record", (at, outcome), xytext=(0, 10 if outcome < 0.5 else -16),
                            textcoords="offset points", fontsize=9, color=INK, ha="center")
    placed: list[float] = []
    for y, text, color in sorted(ends):  # the last chances, pushed apart so none hides another
        y_text = max([y, *(p + 0.045 for p in placed)])
        placed.append(y_text)
        ax.annotate(text, (last, y), xytext=(last - dt.timedelta(days=gap * 1.5), y_text + 0.015),
                    fontsize=9, color=color, fontweight="bold", ha="right")
    percent_axis(ax, f"P(in force by {day_label(dt.date.fromisoformat(date))})")
    date_axis(ax, dates[0], last + dt.timedelta(days=gap * (3 + len(measures))))
    style_axes(ax)
    ax.set_xlabel("as seen on", fontsize=10, color=INK)
    title = _title(fc, date, measures)
    if len(measures) > 2:  # long titles: a legend in the plot, not a row under the subtitle
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.09), ncol=2, fontsize=10,
                  frameon=False)
    decorate(fig, title, f"Chance {'each measure' if len(measures) > 1 else 'it'} is in force by "
             f"{day_label(dt.date.fromisoformat(date))}, as seen on each date; diamond at the right: the record's "
             f"outcome (filled: took effect, open: did not); dotted: the facts of the record that moved it", None,
             handles=handles if len(measures) <= 2 else None,
             stated=f"Chances: share of {fc.replications:,} runs per date, common random numbers; {IN_FORCE_BY}",
             footer_right=fc.name)
    return fig


def _title(fc: Forecast, date: str, measures: Sequence[str]) -> str:
    """The finding: the measure whose chance moved most, from first to last as-of date."""
    moves = {m: (float(fc.chance(m, date).iloc[0]), float(fc.chance(m, date).iloc[-1])) for m in measures}
    m, (first, last) = max(moves.items(), key=lambda kv: abs(kv[1][1] - kv[1][0]))
    dates = sorted(set(fc.table["as_of"]))
    return (f"P({fc.titles.get(m, m)} in force by {day_label(dt.date.fromisoformat(date))}) went from "
            f"{percent(first)} on {day_label(dates[0])} to {percent(last)} on {day_label(dates[-1])}")


def write_forecast(file: str, *, every: str | None = None, dates: Sequence[dt.date] = (),
                   start: dt.date | None = None, stop: dt.date | None = None, since: dt.date | None = None,
                   target: dt.date | None = None, measures: Sequence[str] = (), replications: int | None = None,
                   seed: int | None = None,
                   overrides: tuple[str, ...] = (), out: str | None = None, force: bool = False,
                   say: Callable[[str], None] = print) -> tuple[Path, str]:
    """Run ``file`` as seen on each date and write ``forecast.csv``, ``outcome.csv``, ``changes.txt`` (with
    ``since``), ``forecast.png`` and ``forecast.json`` (its words and marks, for the web page) into
    ``out`` (default ``runs/forecast-NAME``), staged and swapped in whole.

    Returns:
        The folder and the text to print (the changes since ``since``, else the last forecast's chances).
    """
    as_ofs = as_of_dates(file, every, dates, start, stop)
    fc = forecast(file, as_ofs, replications=replications, seed=seed, sets=overrides,
                  progress=lambda d: say(f"as seen on {d}"))
    folder = Path(out or Path("runs") / f"forecast-{fc.name}")
    key = target.isoformat() if target else default_target(fc)
    text, table = changes(fc, since or as_ofs[0], target=key)
    with staged(folder, "forecast", force=force) as tmp:
        write_text(tmp / "forecast.csv", fc.table.to_csv(index=False))
        write_text(tmp / "outcome.csv", fc.outcome.to_csv(index=False))
        write_text(tmp / "changes.txt", text + "\n")
        write_text(tmp / "changes.csv", table.to_csv(index=False))
        write_text(tmp / OUTLOOK_NAME, json.dumps(outlook(fc, key, measures, text), indent=1) + "\n")
        save_figure(chance_over_time(fc, key, measures), tmp / "forecast.png")
    return folder, text

