"""Dates as planned, before any randomness: a relative date whose anchor is itself certain resolves to a day.

``docket plan`` and ``measures.csv`` show a date such as ``full_ban.deadline - 2d`` as
``2020-11-10 (full_ban.deadline - 2d)`` when ``full_ban``'s deadline is a fixed date, and list dates in the
order they fall. An anchor is certain when it is a measure's initial deadline (``id.deadline``) that is itself
certain, or an event that surely occurs (probability 1, nothing required) on a certain date; a measure's first
day in force is never certain before the run (deferrals, courts), nor is an uncertain offset. The arithmetic is
the engine's (:meth:`sim.scenario.dates.DateSpec.from_anchor`), so the plan says what the run does.

Example:
    >>> from sim.scenario.loader import validate_data
    >>> ban = {"type": "scale_inflow", "population": "users", "factor": 0}
    >>> s, _ = validate_data({"name": "x", "title": "X", "window": {"start": "2020-01-01", "end": "2020-12-31"},
    ...     "populations": [{"id": "users", "initial": "1M", "inflow": "1k/day"}],
    ...     "measures": [{"id": "full_ban", "deadline": "2020-11-12", "effects": [ban]},
    ...                  {"id": "notice", "deadline": "full_ban.deadline - 2d", "effects": [ban]}]}, "x.yaml")
    >>> planned_text(s, s.measures[1].deadline)
    '2020-11-10 (full_ban.deadline - 2d)'
"""

from __future__ import annotations

import math

from sim.scenario.calendar import day_to_date
from sim.scenario.dates import DateSpec
from sim.scenario.schema import Event, Scenario


def planned_day(s: Scenario, spec: DateSpec) -> int | None:
    """The day number ``spec`` falls on in every replication, or ``None`` when it is uncertain.
    """
    return _day(s, spec, frozenset())


def _day(s: Scenario, spec: DateSpec, seen: frozenset[str]) -> int | None:
    if spec.anchor is None:
        return spec.fixed_day()
    aid = spec.anchor_id
    if not spec.offset.is_fixed or aid is None or aid in seen:
        return None
    anchor: int | None = None
    if spec.anchor.endswith(".deadline"):
        m = next((x for x in s.measures if x.id == aid), None)
        anchor = _day(s, m.deadline, seen | {aid}) if m is not None else None
    else:
        e = next((x for x in s.events if x.id == aid), None)
        if e is not None and _certain(e):
            anchor = _day(s, e.date, seen | {aid})
            if anchor is not None:
                anchor = max(anchor, s.start_day)  # an event dated before the window occurs at its start
    return None if anchor is None else spec.from_anchor(anchor, spec.offset.params[0])


def _certain(e: Event) -> bool:
    p = e.probability
    return not e.requires and (p is None or (p.is_fixed and p.params[0] >= 1))


def planned_text(s: Scenario, spec: DateSpec) -> str:
    """A date for tables: the ISO date when certain (followed by the expression when it was relative), else the
    date as written.
    """
    day = planned_day(s, spec)
    if day is None:
        return spec.describe()
    iso = day_to_date(day).isoformat()
    return f"{iso} ({spec.describe()})" if spec.anchor is not None else iso


def date_order(s: Scenario, spec: DateSpec) -> tuple[float, str]:
    """A sort key putting dates in the order they fall: certain dates on their day, uncertain absolute ones on
    their earliest day, relative ones that are not certain last (by their text).
    """
    day = planned_day(s, spec)
    if day is not None:
        return (day, spec.describe())
    if spec.anchor is None:
        low = spec.offset.low if math.isfinite(spec.offset.low) else spec.offset.center  # an unbounded normal
        return (low, spec.describe())
    return (math.inf, spec.describe())
