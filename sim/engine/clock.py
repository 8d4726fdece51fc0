"""The base of a replication's timeline: its SimPy clock, dates, log, and the state triggers of measures.

:class:`Clock` holds what every part of the lifecycle shares (:mod:`sim.engine.lifecycle` plays measures and
events, :mod:`sim.engine.courts` lawsuits and shared rulings, :mod:`sim.engine.decisions` extension decisions
and chains): the SimPy environment, the draws, the states and the anchors relative dates wait on. The same-day
phases are :data:`sim.engine.lifecycle.PHASES`; :class:`sim.engine.lifecycle.Replication` sets their numbers
here as class attributes, so the order is written once.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Generator
from typing import Any, ClassVar, cast

import simpy

from sim.engine.draws import ChunkDraws
from sim.engine.timeline import IN_FORCE, SUSPENDED, LogEntry, MeasureState
from sim.scenario.calendar import add_month_span
from sim.scenario.dates import IN_FORCE_FOR, DateSpec
from sim.scenario.schema import Measure, Scenario
from sim.scenario.values import Dist

Proc = Generator[simpy.Event, Any, Any]

_ANCHORS: dict[int, tuple[Scenario, frozenset[str], dict[str, tuple[int, ...]]]] = {}


def scenario_dates(s: Scenario) -> list[DateSpec]:
    """Every date of a scenario's events and measures (deadlines, decisions, waivers, courts, shelving), any of
    which may be relative."""
    out = [e.date for e in s.events]
    for m in s.measures:
        out += [m.deadline, *(d.date for d in m.decisions), *(d.until for d in m.decisions if d.until)]
        out += [x for w in m.waivers for x in (w.from_, w.until) if x is not None]
        out += [x for c in m.challenges for x in (c.filed, c.decision) if x is not None]
        if m.shelving is not None and m.shelving.date is not None:
            out.append(m.shelving.date)
    out += [x for c in s.rulings for x in (c.filed, c.decision) if x is not None]
    out += [x for m in s.measures for g in m.cohorts or [] for x in [*(g.starts or []), g.start] if x is not None]
    return out + [sh.date for sh in s.shocks]


def state_anchors(s: Scenario) -> tuple[frozenset[str], dict[str, tuple[int, ...]]]:
    """The state anchors the scenario's dates wait on (``ban.deferred``) and, per measure, the day counts of
    its ``in_force_for`` triggers; computed once per scenario object."""
    hit = _ANCHORS.get(id(s))
    if hit is None or hit[0] is not s:
        anchors = {d.anchor for d in scenario_dates(s) if d.anchor is not None and d.state not in (None, "deadline")}
        counts: dict[str, set[int]] = {}
        for a in anchors:
            if IN_FORCE_FOR in a:
                mid, n = a.split(IN_FORCE_FOR)
                counts.setdefault(mid, set()).add(int(n))
        if len(_ANCHORS) > 16:
            _ANCHORS.clear()
        hit = _ANCHORS[id(s)] = (s, frozenset(anchors), {k: tuple(sorted(v)) for k, v in counts.items()})
    return hit[1], hit[2]


class Clock:
    """The shared state of replication ``r``'s timeline (see the module docstring)."""

    EVENTS: ClassVar[int]
    LIFTS: ClassVar[int]
    SHELVING: ClassVar[int]
    COURTS: ClassVar[int]
    DECISIONS: ClassVar[int]
    DEFERRALS: ClassVar[int]
    DEADLINES: ClassVar[int]
    WAIVERS: ClassVar[int]

    def __init__(self, scenario: Scenario, draws: ChunkDraws, r: int, horizon: int):
        self.s = scenario
        self.d = draws
        self.r = r
        self.horizon = horizon
        self.env = simpy.Environment()
        self.log: list[LogEntry] = []
        self.states = {m.id: MeasureState() for m in scenario.measures}
        self.occurred: dict[str, simpy.Event] = {}  # event id / measure id (first in force) / id.deadline
        self.event_day: dict[str, int] = {}
        self.pending: dict[str, int] = {}  # event id -> the day it is due to occur (until it is decided)
        for e in scenario.events:
            self.occurred[e.id] = self.env.event()
        for m in scenario.measures:
            self.occurred[m.id] = self.env.event()
            self.occurred[m.id + ".deadline"] = self.env.event()
        anchors, self.in_force_for = state_anchors(scenario)
        for a in anchors:  # only the state triggers some date waits on
            self.occurred[a] = self.occurred[a.split(".")[0]] if a.endswith(".in_force") else self.env.event()
        self.in_force_days: dict[str, tuple[int, float]] = {}  # measure -> (days in force before, since)

    def anchor_days(self) -> dict[str, int]:
        """The day each anchor a date can name (event, measure, ``id.deadline``, state trigger) fell on in the
        finished timeline; anchors that never came are left out."""
        return {a: cast(int, ev.value) for a, ev in self.occurred.items() if ev.triggered}

    def at(self, day: float, phase: int) -> simpy.Event:
        """An event that fires on ``day`` in same-day ``phase`` of :data:`sim.engine.lifecycle.PHASES` (SimPy
        orders by time, then priority = phase, then scheduling order): the one place the calendar order is
        enforced."""
        ev = simpy.Event(self.env)
        ev._ok = True
        ev._value = None
        delay = max(0.0, day - self.env.now) if math.isfinite(day) else self.horizon + 2 - self.env.now
        self.env.schedule(ev, priority=phase, delay=delay)  # type: ignore[arg-type]
        return ev

    def when(self, name: str, spec: DateSpec) -> Proc:
        """Resolve a date: absolute at once; relative after its anchor happens (never, if it never does)."""
        offset = self.d.date(name, spec, self.r)
        if spec.anchor is None:
            return round(offset)
        anchor_day = yield self.occurred[spec.anchor]
        if spec.offset.month_params:  # an uncertain offset in months: calendar months from the anchor
            return self.later(anchor_day, name, spec.offset)
        return spec.from_anchor(anchor_day + self.d.day0, offset) - self.d.day0

    def later(self, start: float, name: str, duration: Dist, col: int = 0, width: int = 1) -> float:
        """The day a duration drawn from stream ``name`` ends when it starts on day ``start``: a duration in
        months adds calendar months (:func:`sim.scenario.calendar.add_month_span`), one in days adds whole days
        (``docs/calendar.md`` rule 3). Never, if it starts never."""
        if not math.isfinite(start):
            return start
        if duration.month_params:
            months = self.d.months(name, duration, self.r, col, width)
            return add_month_span(int(start) + self.d.day0, months) - self.d.day0
        return start + round(self.d.value(name, duration, self.r, col, width))

    def note(self, subject: str, what: str, why: str = "") -> None:
        """Append to the event log at the current day (texts interned: a run repeats them many times)."""
        self.log.append(LogEntry(int(self.env.now), subject, sys.intern(what), sys.intern(why)))

    def mark(self, mid: str, state: str) -> None:
        """Measure ``mid`` enters ``state`` today: fire its trigger ``mid.state`` the first time, if a date
        waits on it."""
        ev = self.occurred.get(f"{mid}.{state}")
        if ev is not None and not ev.triggered:
            ev.succeed(int(self.env.now))

    def update(self, m: Measure, why: str) -> None:
        """Recompute whether ``m`` is in force and record a switch."""
        st = self.states[m.id]
        now = int(self.env.now)
        active = st.due and not (st.enjoined or st.shelved or st.lifted or st.cancelled)
        if active == st.in_force:
            return
        st.in_force = active
        st.switches.append((now, active))
        self.note(m.id, IN_FORCE if active else SUSPENDED, why)
        if active and not math.isfinite(st.first_in_force):
            st.first_in_force = now
            self.occurred[m.id].succeed(now)
        if m.id in self.in_force_for:
            self._count_days(m.id, active, now)

    def _count_days(self, mid: str, active: bool, now: int) -> None:
        """Track the days ``mid`` has been in force, firing each ``in_force_for`` trigger on the day the count
        reaches it (``docs/calendar.md`` rule 9)."""
        before, since = self.in_force_days.get(mid, (0, math.inf))
        if not active:
            self.in_force_days[mid] = (before + int(now - since), math.inf)
            return
        self.in_force_days[mid] = (before, now)
        for n in self.in_force_for[mid]:
            ev = self.occurred[f"{mid}{IN_FORCE_FOR}{n}"]
            if not ev.triggered and now + n - before <= self.horizon:
                self.at(now + n - before, self.EVENTS).callbacks.append(self._reached(mid, ev, now))

    def _reached(self, mid: str, ev: simpy.Event, since: int) -> Any:
        def fire(_: simpy.Event) -> None:
            if self.in_force_days[mid][1] == since and not ev.triggered:  # still in the same spell in force
                ev.succeed(int(self.env.now))

        return fire
