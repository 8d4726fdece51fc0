"""The lifecycles of a chunk of replications on the chunk calendar, and the one dispatcher between the paths.

:class:`ChunkLifecycle` is the lifecycle of :mod:`sim.engine.lifecycle` (shocks, events, lifts, lawsuits and
shared rulings with their appeals, deferrals, deadlines, ``unless`` events, and shelving and revival from
:mod:`sim.engine.chunk_shelving`) played for every row of a chunk at once
on a :class:`sim.engine.chunk_calendar.ChunkCalendar`: the same draws (:meth:`sim.engine.draws.ChunkDraws.happen`,
the same streams and columns), the same rules, the same log lines, so results are identical to one
:class:`~sim.engine.lifecycle.Replication` per row (``tests/test_chunk_calendar.py`` compares both on every
bundled scenario and variant). It plays the scenarios :func:`unsupported` finds nothing in;
:func:`play_chunk`, the one dispatcher, plays any other scenario one replication per row
(``docs/engine.md`` lists what still goes that way).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np

from sim.engine.chunk_calendar import FloatArray, IntArray, plural, worded
from sim.engine.chunk_shelving import ChunkShelving
from sim.engine.clock import scenario_dates
from sim.engine.courts import stream
from sim.engine.decisions import chain_length
from sim.engine.draws import ChunkDraws
from sim.engine.lifecycle import Replication
from sim.engine.played import Played
from sim.engine.shocks import shock_states
from sim.engine.timeline import DEFERRED, EventLog, MeasureState
from sim.scenario.schema import Challenge, Scenario

EVENTS, LIFTS, COURTS, DEFERRALS, DEADLINES = (Replication.EVENTS, Replication.LIFTS, Replication.COURTS,
                                               Replication.DEFERRALS, Replication.DEADLINES)


def unsupported(s: Scenario) -> list[str]:
    """The constructs of ``s`` the chunk calendar does not play (empty: it plays the whole scenario).

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> unsupported(load_scenario("scenarios/tiktok-wechat-2020.yaml"))
        []
    """
    found = {
        "extension decisions": any(m.decisions for m in s.measures),
        "waivers": any(m.waivers for m in s.measures),
        "events that require another": any(e.requires for e in s.events),
        "deferral chains of steps": any(m.deferral is not None and m.deferral.steps for m in s.measures),
        "relative dates": any(d.anchor is not None for d in [*scenario_dates(s), *(sh.date for sh in s.shocks)]),
        "cohort starts relative to an event or a state": any(
            spec.anchor is not None for m in s.measures for g in m.cohorts or ()
            for spec in (g.starts if g.starts is not None else [g.start] if g.start is not None else [])),
    }
    return [name for name, used in found.items() if used]


def play_chunk(s: Scenario, draws: ChunkDraws, horizon: int, calendar: bool | None = None) -> Played:
    """The lifecycles of the chunk ``draws`` covers: on the chunk calendar if it plays every construct of ``s``
    (:func:`unsupported`), else one :class:`~sim.engine.lifecycle.Replication` per row. ``calendar`` forces
    one way (``False``: per replication; ``True``: the calendar, for a scenario it supports)."""
    if calendar is None:
        calendar = not unsupported(s)
    if calendar:
        return ChunkLifecycle(s, draws, horizon).play()
    reps, shocks = [], []
    for r in range(draws.start, draws.stop):
        rep = Replication(s, draws, r, horizon)
        shocks.append(shock_states(rep))  # before the run: their processes start with it
        reps.append(rep.run())
    return Played(len(reps), len(s.measures), EventLog.of([(rep.r, rep.log) for rep in reps]),
                  states=[[*(rep.states[m.id] for m in s.measures), *sh] for rep, sh in zip(reps, shocks, strict=True)],
                  anchors=[rep.anchor_days() for rep in reps])


class ChunkLifecycle(ChunkShelving):
    """The lifecycles of the chunk ``draws`` covers (see the module docstring); read them with :meth:`play`."""

    def __init__(self, s: Scenario, draws: ChunkDraws, horizon: int):
        super().__init__(s, draws, horizon)
        R, M = draws.stop - draws.start, len(s.measures)
        self.lawsuits = [(mi, c) for mi, m in enumerate(s.measures)
                         for c in [*m.challenges, *(c for c in s.rulings if m.id in c.measures)]]
        self.owned: list[list[int]] = [[] for _ in s.measures]  # each measure's lawsuits, in order
        for li, (owner, _) in enumerate(self.lawsuits):
            self.owned[owner].append(li)
        self.begins = [self.slot(EVENTS, self._shock_begins(i)) for i in range(len(s.shocks))]
        self.ends = [self.slot(EVENTS, self._shock_ends(i)) for i in range(len(s.shocks))]
        ev_slot = [self.slot(EVENTS, self._event(i)) for i in range(len(s.events))]
        self.lift_slots: list[list[int]] = [[] for _ in s.events]
        index = {e.id: i for i, e in enumerate(s.events)}
        for mi, m in enumerate(s.measures):  # a lift is scheduled when its event occurs, in measure order
            for ev in m.lifted_by:
                self.lift_slots[index[ev]].append(self.slot(LIFTS, self._lift(mi, ev)))
        self.decide = [self.slot(COURTS, self._decide(li)) for li in range(len(self.lawsuits))]
        self.appeal = [self.slot(COURTS, self._appeal(li)) for li in range(len(self.lawsuits))]
        self.defer = [self.slot(DEFERRALS, self._defer(mi)) for mi in range(M)]
        self.deadline_slot = [self.slot(DEADLINES, self._deadline(mi)) for mi in range(M)]
        self.shelving_slots()
        self.open()
        self.enjoined_by = np.zeros((len(self.lawsuits), R), dtype=bool)
        self.shock_day = np.full((len(s.shocks), R), math.inf)  # as drawn (before the window: negative)
        self.shock_changes: list[tuple[int, IntArray, int, bool | FloatArray]] = []  # switches and intensities
        self._start(ev_slot)

    def _start(self, ev_slot: list[int]) -> None:
        """What every replication schedules before the window opens, in the order a replication does."""
        s, d, everyone = self.s, self.d, np.arange(self.d.stop - self.d.start)
        for i, sh in enumerate(s.shocks):  # a replication starts its shocks' processes first
            day = self.shock_day[i] = np.round(d.values(f"shock:{sh.id}:date", sh.date.offset))
            self.schedule(self.begins[i], everyone[day <= self.horizon], day[day <= self.horizon])
        for e, slot in zip(s.events, ev_slot, strict=True):
            day = np.round(d.values(f"event:{e.id}:date", e.date.offset))
            self.schedule(slot, everyone[day <= self.horizon], day[day <= self.horizon])
        for mi, m in enumerate(s.measures):
            for li in self.owned[mi]:
                day = self._court_day(self.lawsuits[li][1])
                self.schedule(self.decide[li], everyone[day <= self.horizon], day[day <= self.horizon])
            self.deadline[mi][:] = np.round(d.values(f"measure:{m.id}:deadline", m.deadline.offset))
            inside = everyone[self.deadline[mi][:] <= self.horizon]
            slot = self.defer[mi] if chain_length(m.deferral) > 0 else self.deadline_slot[mi]
            self.schedule(slot, inside, self.deadline[mi][inside])
        self.start_shelving()  # a replication starts its shelving processes after every measure's

    def _court_day(self, c: Challenge) -> FloatArray:
        decision = self.d.values(f"{stream(c)}:decision", c.decision.offset)
        if c.filed is not None:
            decision = np.maximum(decision, self.d.values(f"{stream(c)}:filed", c.filed.offset))
        return np.round(decision)

    # -- the actions ----------------------------------------------------------------------------------------
    def _shock_begins(self, i: int) -> Callable[[IntArray], None]:
        """A shock begins, with its probability, and lasts its duration (:func:`sim.engine.shocks.play`)."""
        sh, name = self.s.shocks[i], f"shock:{self.s.shocks[i].id}"

        def act(rows: IntArray) -> None:
            rows = rows[self.d.happen(name, sh.probability, rows)]
            day = self.shock_day[i][rows]
            end = np.full(rows.shape, math.inf) if sh.duration is None else self.later(
                day, name + ":duration", sh.duration, rows)
            end = np.maximum(end, day + 1)
            rows, day, end = rows[end > self.now], day[end > self.now], end[end > self.now]  # else over before
            if not rows.size:
                return
            if sh.intensity is not None:
                self.shock_changes.append((i, rows, self.now, self.d.rows(name + ":intensity", sh.intensity, rows)))
            self.shock_changes.append((i, rows, self.now, True))
            lasts = (end - day).tolist()
            self.note(rows, sh.id, "began", [sys.intern(f"for {int(n)} days") if math.isfinite(n) else
                                             "to the end of the window" for n in lasts])
            self.schedule(self.ends[i], rows[end <= self.horizon], end[end <= self.horizon])

        return act

    def _shock_ends(self, i: int) -> Callable[[IntArray], None]:
        def act(rows: IntArray) -> None:
            self.shock_changes.append((i, rows, self.now, False))
            self.note(rows, self.s.shocks[i].id, "ended")

        return act

    def _event(self, i: int) -> Callable[[IntArray], None]:
        e = self.s.events[i]

        def act(rows: IntArray) -> None:
            rows = rows[self.d.happen(f"event:{e.id}", e.probability, rows)]
            self.event_day[i][rows] = self.now
            self.note(rows, e.id, "occurred")
            for slot in self.lift_slots[i]:
                self.schedule(slot, rows, self.now)
            self.occurs(i, rows)

        return act

    def _lift(self, mi: int, event: str) -> Callable[[IntArray], None]:
        def act(rows: IntArray) -> None:
            rows = rows[~(self.lifted[mi][rows] | self.cancelled[mi][rows])]
            self.lifted[mi][rows] = True
            self.note(rows, self.s.measures[mi].id, "lifted", sys.intern(f"{event} occurred"))
            self.update(mi, rows, sys.intern(f"lifted: {event}"))

        return act

    def _decide(self, li: int) -> Callable[[IntArray], None]:
        mi, c = self.lawsuits[li]
        mid, name, title = self.s.measures[mi].id, stream(c), c.title or c.id

        def act(rows: IntArray) -> None:
            rows = rows[~(self.lifted[mi][rows] | self.cancelled[mi][rows])]
            if not rows.size:
                return
            granted = self.d.happen(name + ":injunction", c.injunction, rows)
            self.note(rows[~granted], mid, "injunction denied", title)
            rows = rows[granted]
            if not rows.size:
                return
            self.enjoined_by[li][rows] = self.enjoined[mi][rows] = True
            self.injunctions[mi][rows] += 1
            ahead = (self.deadline[mi][rows] - self.now).tolist()
            due = self.due[mi][rows].tolist()
            self.note(rows, mid, "enjoined", [sys.intern(title + (
                "" if u or not math.isfinite(a) else f", {plural(int(a), 'day')} before taking effect" if a > 0
                else ", on the day it was to take effect" if a == 0 else "")) for a, u in zip(ahead, due, strict=True)])
            self.update(mi, rows, "enjoined")
            a = c.appeal
            if a is None:
                return
            rows = rows[self.d.happen(name + ":appeal", a.probability, rows)]
            ruling = self.later(np.full(rows.shape, float(self.now)), name + ":appeal_delay", a.decision, rows)
            self.schedule(self.appeal[li], rows[ruling <= self.horizon], ruling[ruling <= self.horizon])

        return act

    def _appeal(self, li: int) -> Callable[[IntArray], None]:
        mi, c = self.lawsuits[li]
        mid, title = self.s.measures[mi].id, c.title or c.id
        own = self._own(mi)[0]

        def act(rows: IntArray) -> None:
            assert c.appeal is not None
            reversed_ = self.d.happen(f"{stream(c)}:reversal", c.appeal.reversal, rows)
            self.note(rows[~reversed_], mid, "injunction upheld on appeal", title)
            rows = rows[reversed_]
            self.enjoined_by[li][rows] = False
            self.enjoined[mi][rows] = self.enjoined_by[own][:, rows].any(axis=0)
            self.note(rows, mid, "injunction reversed on appeal", title)
            self.update(mi, rows, "injunction reversed")

        return act

    def _defer(self, mi: int) -> Callable[[IntArray], None]:
        m = self.s.measures[mi]
        d, cap, name = m.deferral, chain_length(m.deferral), f"measure:{m.id}:deferral"
        assert d is not None or cap == 0

        def act(rows: IntArray) -> None:
            assert d is not None
            rows = rows[~(self.lifted[mi][rows] | self.cancelled[mi][rows])]
            k = self.chain[mi][rows]
            granted = self.d.happen(name, d.probability, rows, k, cap)
            self.schedule(self.deadline_slot[mi], rows[~granted], self.now)
            rows, k = rows[granted], k[granted]
            if not rows.size:
                return
            old = self.deadline[mi][rows]
            new = np.empty(rows.shape)
            for step in np.unique(k).tolist() if d.schedule else [None]:
                at = np.flatnonzero(k == step) if step is not None else np.arange(rows.size)
                delay = d.schedule[step] if d.schedule and step is not None else d.delay
                assert delay is not None  # the cross-checks require delay or schedule
                new[at] = self.later(old[at], name + ":delay", delay, rows[at], k[at], cap)
            self.deadline[mi][rows] = np.maximum(old + 1, new)
            self.chain[mi][rows] += 1
            self.extensions[mi][rows] += 1
            moved = self.deadline[mi][rows] - old
            self.note(rows, m.id, worded(self.extensions[mi][rows], lambda n: f"{DEFERRED}{n})"),
                      worded(moved, lambda x: f"deadline moved by {int(x)} days"))
            inside = self.deadline[mi][rows] <= self.horizon
            again = inside & (self.chain[mi][rows] < cap)
            self.schedule(self.defer[mi], rows[again], self.deadline[mi][rows[again]])
            last = rows[inside & ~again]
            self.schedule(self.deadline_slot[mi], last, self.deadline[mi][last])

        return act

    def _deadline(self, mi: int) -> Callable[[IntArray], None]:
        m = self.s.measures[mi]
        index = {e.id: i for i, e in enumerate(self.s.events)}
        unless = np.array([index[u] for u in m.unless], dtype=np.int64)

        def act(rows: IntArray) -> None:
            rows = rows[~self.lifted[mi][rows]]
            seen = np.isfinite(self.event_day[unless][:, rows].T) if unless.size else np.zeros((rows.size, 0), bool)
            gone = seen.any(axis=1)
            first = [m.unless[j] for j in seen[gone].argmax(axis=1).tolist()] if unless.size else []
            self.cancelled[mi][rows[gone]] = True
            self.note(rows[gone], m.id, "cancelled", [sys.intern(f"{e} occurred before the deadline") for e in first])
            rows = rows[~gone]
            self.due[mi][rows] = True
            self.update(mi, rows, worded(self.extensions[mi][rows], lambda n: "deadline reached" if not n else
                                         f"deadline reached after {plural(n, 'extension')}"))
            blocked = rows[~self.in_force[mi][rows] & (self.enjoined[mi][rows] | self.shelved[mi][rows])]
            self.note(blocked, m.id, ["deadline passed while " + ("enjoined" if e else "shelved")
                                      for e in self.enjoined[mi][blocked].tolist()], "did not take effect")

        return act

    def _own(self, mi: int) -> tuple[IntArray, list[Challenge]]:
        """The columns of ``enjoined_by`` that hold measure ``mi``'s lawsuits, and the lawsuits."""
        cols = self.owned[mi]
        return np.array(cols, dtype=np.int64), [self.lawsuits[j][1] for j in cols]

    def play(self) -> Played:
        """Play the chunk's calendar to the end of the window; the chunk's timelines (their states built only
        when asked for) and its log."""
        self.env.run(until=self.horizon + 1)
        M = len(self.s.measures)
        shock_switches = [(M + i, rows, day, np.full(rows.size, change)) for i, rows, day, change in self.shock_changes
                          if isinstance(change, bool)]
        log = self.log()
        self.notes = []  # in the log now (the states, if built later, do not read them)
        return Played(self.d.stop - self.d.start, M, log, build=self._states,
                      table=self.switch_table(shock_switches), stats=self.stats(),
                      waivers=any(not isinstance(change, bool) for *_, change in self.shock_changes))

    def _states(self) -> list[list[MeasureState]]:
        """Each row's :class:`~sim.engine.timeline.MeasureState` of each measure, then each shock."""
        by = []
        for mi in range(len(self.s.measures)):
            cols, suits = self._own(mi)
            by.append([{c.id for c, b in zip(suits, row, strict=True) if b} if any(row) else set()
                       for row in self.enjoined_by[cols].T.tolist()])
        rows = self.states(by)
        shocks = [[MeasureState() for _ in self.s.shocks] for _ in rows]
        for i, found, day, change in self.shock_changes:
            if isinstance(change, bool):
                for r in found.tolist():
                    shocks[r][i].switches.append((day, change))
            else:
                for r, x in zip(found.tolist(), change.tolist(), strict=True):
                    shocks[r][i].waiver_changes.append((day, x))
        return [[*row, *sh] for row, sh in zip(rows, shocks, strict=True)]
