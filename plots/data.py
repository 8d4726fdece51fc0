"""Small read-only views of :class:`sim.runs.results.Results` that several charts need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from sim.runs.results import Results
from sim.scenario.errors import DocketError
from sim.scenario.schema import Measure, Scenario
from sim.text.titles import short_titles, title_of


def series(results: Results, sid: str, quantity: str) -> pd.DataFrame:
    """The rows of one series and quantity on every report and dated day, sorted by date
    (:meth:`sim.runs.results.Results.curve`).

    Raises:
        DocketError: if there is no such series, listing those available.
    """
    rows = results.curve(sid, quantity)
    if rows.empty:
        known = sorted(set(results.series["series"]))
        raise DocketError(f"no series {sid!r} with quantity {quantity!r}; series are: {', '.join(known)}")
    return rows


def window(results: Results) -> tuple[dt.date, dt.date]:
    """First and last simulated day."""
    w = results.summary["window"]
    return dt.date.fromisoformat(w["start"]), dt.date.fromisoformat(w["end"])


def planned_deadline(measure: Measure) -> dt.date | None:
    """The planned deadline when it is a fixed date, else ``None`` (uncertain or relative to an event)."""
    day = measure.deadline.fixed_day()
    return dt.date.fromordinal(day) if day is not None else None


NO_FIXED_DEADLINE = "No deadline is a fixed date (each is drawn or follows an event)"
"""What a chart says where no measure has a deadline it can mark."""


def fixed_deadlines(measures: Sequence[Measure]) -> str:
    """``all``, ``some`` or ``none``: how many of ``measures`` have a planned deadline that is a fixed date, the
    ones the charts mark (a diamond, a dotted line), so that a legend or subtitle promises only what is drawn."""
    fixed = sum(planned_deadline(m) is not None for m in measures)
    return "all" if measures and fixed == len(measures) else "some" if fixed else "none"


def deadline_marks(scenario: Scenario, measures: Sequence[Measure], colors: dict[str, str],
                   named: bool = True) -> list[tuple[dt.date, str, str, int]]:
    """The fixed planned deadlines of ``measures`` as marks for :func:`plots.line_labels.deadline_lines`: day, the
    measure's short title (:func:`sim.text.titles.short_titles`, ``""`` when not ``named``), its colour and its
    number in the scenario (from 1: the order of the timeline's rows and of page 1's table)."""
    short = short_titles(scenario)
    number = {m.id: k for k, m in enumerate(scenario.measures, 1)}
    return [(day, short[m.id] if named else "", colors[m.id], number[m.id]) for m in measures
            if (day := planned_deadline(m)) is not None]


def measure_title(measure: Measure) -> str:
    """The measure's title, or its id."""
    return measure.title or measure.id


def population_title(scenario: Scenario, pid: str) -> str:
    """A population's title, or its id (:func:`sim.text.titles.title_of`)."""
    return title_of(scenario, pid)


def metric_title(scenario: Scenario, mid: str) -> str:
    """A metric's title, or its id (:func:`sim.text.titles.title_of`)."""
    return title_of(scenario, mid)


def acts_on(measure: Measure) -> set[str]:
    """Ids of the populations a measure's effects touch."""
    return {population for e in measure.effects for population in e.acts_on()[:2]}


def run_date(results: Results) -> str:
    """``run 2020-09-18`` when ``results.extra['created']`` records the run, else ``charted <today>``."""
    created = results.extra.get("created")
    return f"run {str(created)[:10]}" if created else f"charted {dt.date.today().isoformat()}"
