"""The chunk calendar: SimPy plays the calendar of a whole chunk, numpy plays its replications.

:class:`ChunkCalendar` holds one SimPy environment for a chunk of replications. Every pending action (an event
due to occur, a lift, a court decision or appeal, a deferral draw, a deadline) is a *slot*, pending on at most
one day per replication: ``day[slot, row]``. SimPy holds one event per ``(day, phase)`` on which some slot is
due in *any* replication (:data:`sim.engine.lifecycle.PHASES` numbers are its priorities, so the same-day order
is SimPy's, as for one replication), and at each it acts on every replication concerned at once, with masks.

Same-day order within a phase is each replication's own: every slot also holds the order in which its
replication scheduled it (a counter per row, as SimPy's per-environment counter), and the slots due on a day
act in rounds, each replication's first, then its second... So each replication sees exactly the actions, the
draws (:meth:`sim.engine.draws.ChunkDraws.happen`, the same streams and columns) and the log lines, in the
same order, as :class:`sim.engine.lifecycle.Replication` gives it, and the results are identical
(``tests/test_chunk_calendar.py`` compares both on every bundled scenario and variant).

It supports the constructs :func:`unsupported` does not name; :func:`play_chunk`, the one dispatcher, plays a
chunk of any other scenario one :class:`~sim.engine.lifecycle.Replication` per row (``docs/engine.md``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from sim.engine.clock import _dates
from sim.engine.courts import stream
from sim.engine.decisions import chain_length
from sim.engine.draws import ChunkDraws
from sim.engine.lifecycle import Replication
from sim.engine.shocks import shock_states
from sim.engine.timeline import DEFERRED, IN_FORCE, SUSPENDED, EventLog, MeasureState
from sim.scenario.calendar import add_month_span
from sim.scenario.schema import Challenge, Scenario
from sim.scenario.values import Dist

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Texts = str | list[str]
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
        "shocks": bool(s.shocks),
        "extension decisions": any(m.decisions for m in s.measures),
        "shelving": any(m.shelving is not None for m in s.measures),
        "waivers": any(m.waivers for m in s.measures),
        "events that require another": any(e.requires for e in s.events),
        "deferral chains of steps": any(m.deferral is not None and m.deferral.steps for m in s.measures),
        "relative dates": any(d.anchor is not None for d in _dates(s)),
    }
    return [name for name, used in found.items() if used]


@dataclass
class Played:
    """The lifecycles of a chunk: per row, the timelines of the measures then the shocks; the event log."""

    states: list[list[MeasureState]]
    log: EventLog


def play_chunk(s: Scenario, draws: ChunkDraws, horizon: int, calendar: bool | None = None) -> Played:
    """The lifecycles of the chunk ``draws`` covers: on the chunk calendar if it plays every construct of ``s``
    (:func:`unsupported`), else one :class:`~sim.engine.lifecycle.Replication` per row. ``calendar`` forces
    one way (``False``: per replication; ``True``: the calendar, for a scenario it supports)."""
    if calendar is None:
        calendar = not unsupported(s)
    if calendar:
        return ChunkCalendar(s, draws, horizon).play()
    reps, shocks = [], []
    for r in range(draws.start, draws.stop):
        rep = Replication(s, draws, r, horizon)
        shocks.append(shock_states(rep))  # before the run: their processes start with it
        reps.append(rep.run())
    return Played([[*(rep.states[m.id] for m in s.measures), *sh] for rep, sh in zip(reps, shocks, strict=True)],
                  EventLog.of([(rep.r, rep.log) for rep in reps]))


def _day(x: float) -> float:
    """A day as a replication records it: a whole number, or infinity for never."""
    return int(x) if math.isfinite(x) else x


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


class ChunkCalendar:
    """The lifecycles of the chunk ``draws`` covers, on one SimPy calendar (see the module docstring); read
    them with :meth:`play`."""

    def __init__(self, s: Scenario, draws: ChunkDraws, horizon: int):
        self.s, self.d, self.horizon = s, draws, horizon
        R, M = draws.stop - draws.start, len(s.measures)
        self.env = simpy.Environment()
        self.pending: dict[tuple[int, int], set[int]] = {}  # (day, phase) -> slots due then in some row
        self.acts: list[Callable[[IntArray], None]] = []  # per slot
        self.phase: list[int] = []
        self.lawsuits = [(mi, c) for mi, m in enumerate(s.measures)
                         for c in [*m.challenges, *(c for c in s.rulings if m.id in c.measures)]]
        ev_slot = [self._slot(EVENTS, self._event(i)) for i in range(len(s.events))]
        self.lift_slots: list[list[int]] = [[] for _ in s.events]
        index = {e.id: i for i, e in enumerate(s.events)}
        for mi, m in enumerate(s.measures):  # a lift is scheduled when its event occurs, in measure order
            for ev in m.lifted_by:
                self.lift_slots[index[ev]].append(self._slot(LIFTS, self._lift(mi, ev)))
        self.decide = [self._slot(COURTS, self._decide(li)) for li in range(len(self.lawsuits))]
        self.appeal = [self._slot(COURTS, self._appeal(li)) for li in range(len(self.lawsuits))]
        self.defer = [self._slot(DEFERRALS, self._defer(mi)) for mi in range(M)]
        self.deadline_slot = [self._slot(DEADLINES, self._deadline(mi)) for mi in range(M)]
        S = len(self.acts)
        self.slot_day = np.full((S, R), math.inf)
        self.slot_seq = np.zeros((S, R), dtype=np.int64)
        self.counter = np.zeros(R, dtype=np.int64)
        self.due, self.enjoined, self.lifted, self.cancelled, self.in_force = (
            np.zeros((M, R), dtype=bool) for _ in range(5))
        self.deadline = np.full((M, R), math.inf)
        self.first = np.full((M, R), math.inf)
        self.extensions, self.chain, self.injunctions = (np.zeros((M, R), dtype=np.int64) for _ in range(3))
        self.enjoined_by = np.zeros((len(self.lawsuits), R), dtype=bool)
        self.event_day = np.full((len(s.events), R), math.inf)
        self.notes: list[tuple[IntArray, int, str, Texts, Texts]] = []
        self.switches: list[tuple[int, IntArray, int, npt.NDArray[np.bool_]]] = []
        self.now = 0
        self._start(ev_slot)

    # -- the calendar ---------------------------------------------------------------------------------------
    def _slot(self, phase: int, act: Callable[[IntArray], None]) -> int:
        self.acts.append(act)
        self.phase.append(phase)
        return len(self.acts) - 1

    def _schedule(self, slot: int, rows: IntArray, day: float | FloatArray) -> None:
        """Slot ``slot`` is due on ``day`` (one for all rows or one per row) in ``rows``, after whatever those
        rows scheduled before."""
        if not rows.size:
            return
        phase = self.phase[slot]
        if np.ndim(day):
            days = np.maximum(day, self.now)
            self.slot_day[slot, rows] = days
            for d in np.unique(days).tolist():
                self._wake_at(int(d), phase, slot)
        else:
            self.slot_day[slot, rows] = max(float(day), self.now)
            self._wake_at(int(max(float(day), self.now)), phase, slot)
        self.slot_seq[slot, rows] = self.counter[rows]
        self.counter[rows] += 1

    def _wake_at(self, day: int, phase: int, slot: int) -> None:
        """SimPy wakes the chunk on ``day`` in ``phase`` (once, whatever the rows and slots due then)."""
        found = self.pending.get((day, phase))
        if found is not None:
            found.add(slot)
            return
        self.pending[(day, phase)] = {slot}
        ev = simpy.Event(self.env)
        ev._ok, ev._value = True, None
        ev.callbacks.append(lambda _: self._wake(day, phase))
        self.env.schedule(ev, priority=phase, delay=day - self.env.now)  # type: ignore[arg-type]

    def _wake(self, day: int, phase: int) -> None:
        """Act on every slot due today in ``phase``: each row's in the order it scheduled them (what they
        schedule for today in the same phase wakes the chunk again, after this: as in SimPy)."""
        self.now = day
        slots = np.array(sorted(self.pending.pop((day, phase))), dtype=np.int64)
        due = self.slot_day[slots] == day
        if len(slots) == 1 or (due.sum(axis=0) <= 1).all():  # at most one action per row: no order to keep
            for j, s in enumerate(slots.tolist()):
                self._act(s, np.flatnonzero(due[j]))
            return
        reps = np.flatnonzero(due.any(axis=0))
        sub = due[:, reps]
        order = np.argsort(np.where(sub, self.slot_seq[slots][:, reps], np.iinfo(np.int64).max), axis=0,
                           kind="stable")
        count = sub.sum(axis=0)
        for k in range(int(count.max())):
            live = count > k
            pick = order[k]
            for j in np.unique(pick[live]).tolist():
                s = int(slots[j])
                rows = reps[live & (pick == j)]
                self._act(s, rows[self.slot_day[s, rows] == day])

    def _act(self, slot: int, rows: IntArray) -> None:
        if rows.size:
            self.slot_day[slot, rows] = math.inf
            self.acts[slot](rows)

    def _start(self, ev_slot: list[int]) -> None:
        """What every replication schedules before the window opens, in the order a replication does."""
        s, d, everyone = self.s, self.d, np.arange(self.d.stop - self.d.start)
        for e, slot in zip(s.events, ev_slot, strict=True):
            day = np.round(d.values(f"event:{e.id}:date", e.date.offset))
            self._schedule(slot, everyone[day <= self.horizon], day[day <= self.horizon])
        for mi, m in enumerate(s.measures):
            for li, (owner, c) in enumerate(self.lawsuits):
                if owner == mi:
                    day = self._court_day(c)
                    self._schedule(self.decide[li], everyone[day <= self.horizon], day[day <= self.horizon])
            self.deadline[mi][:] = np.round(d.values(f"measure:{m.id}:deadline", m.deadline.offset))
            inside = everyone[self.deadline[mi][:] <= self.horizon]
            slot = self.defer[mi] if chain_length(m.deferral) > 0 else self.deadline_slot[mi]
            self._schedule(slot, inside, self.deadline[mi][inside])

    def _court_day(self, c: Challenge) -> FloatArray:
        decision = self.d.values(f"{stream(c)}:decision", c.decision.offset)
        if c.filed is not None:
            decision = np.maximum(decision, self.d.values(f"{stream(c)}:filed", c.filed.offset))
        return np.round(decision)

    def _later(self, start: FloatArray, name: str, duration: Dist, rows: IntArray, col: int | IntArray = 0,
               width: int = 1) -> FloatArray:
        """:meth:`sim.engine.clock.Clock.later` for ``rows`` at once."""
        if not duration.month_params:
            return start + np.round(self.d.rows(name, duration, rows, col, width))
        months = self.d.rows(name, duration, rows, col, width, months=True)
        day0 = self.d.day0
        return np.array([add_month_span(int(a) + day0, float(b)) - day0 for a, b in zip(start, months, strict=True)],
                        dtype=float)

    # -- what the rows record ------------------------------------------------------------------------------
    def note(self, rows: IntArray, subject: str, what: Texts, why: Texts = "") -> None:
        """Append to the log of each row in ``rows``, today (texts: one for all rows or one per row)."""
        if rows.size:
            self.notes.append((rows, self.now, subject, what, why))

    def update(self, mi: int, rows: IntArray, why: Texts) -> None:
        """Recompute whether measure ``mi`` is in force in ``rows`` and record the switches."""
        active = self.due[mi][rows] & ~(self.enjoined[mi][rows] | self.lifted[mi][rows] | self.cancelled[mi][rows])
        changed = active != self.in_force[mi][rows]
        rows, active = rows[changed], active[changed]
        if not rows.size:
            return
        self.in_force[mi][rows] = active
        self.switches.append((mi, rows, self.now, active))
        texts = [why[i] for i in np.flatnonzero(changed)] if isinstance(why, list) else why
        self.note(rows, self.s.measures[mi].id, [IN_FORCE if a else SUSPENDED for a in active.tolist()], texts)
        first = rows[active & np.isinf(self.first[mi][rows])]
        self.first[mi][first] = self.now

    # -- the actions ----------------------------------------------------------------------------------------
    def _event(self, i: int) -> Callable[[IntArray], None]:
        e = self.s.events[i]

        def act(rows: IntArray) -> None:
            rows = rows[self.d.happen(f"event:{e.id}", e.probability, rows)]
            self.event_day[i][rows] = self.now
            self.note(rows, e.id, "occurred")
            for slot in self.lift_slots[i]:
                self._schedule(slot, rows, self.now)

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
                "" if u or not math.isfinite(a) else f", {_plural(int(a), 'day')} before taking effect" if a > 0
                else ", on the day it was to take effect" if a == 0 else "")) for a, u in zip(ahead, due, strict=True)])
            self.update(mi, rows, "enjoined")
            a = c.appeal
            if a is None:
                return
            rows = rows[self.d.happen(name + ":appeal", a.probability, rows)]
            ruling = self._later(np.full(rows.shape, float(self.now)), name + ":appeal_delay", a.decision, rows)
            self._schedule(self.appeal[li], rows[ruling <= self.horizon], ruling[ruling <= self.horizon])

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
            self._schedule(self.deadline_slot[mi], rows[~granted], self.now)
            rows, k = rows[granted], k[granted]
            if not rows.size:
                return
            old = self.deadline[mi][rows]
            new = np.empty(rows.shape)
            for step in np.unique(k).tolist() if d.schedule else [None]:
                at = np.flatnonzero(k == step) if step is not None else np.arange(rows.size)
                delay = d.schedule[step] if d.schedule and step is not None else d.delay
                assert delay is not None  # the cross-checks require delay or schedule
                new[at] = self._later(old[at], name + ":delay", delay, rows[at], k[at], cap)
            self.deadline[mi][rows] = np.maximum(old + 1, new)
            self.chain[mi][rows] += 1
            self.extensions[mi][rows] += 1
            moved = (self.deadline[mi][rows] - old).tolist()
            self.note(rows, m.id, [sys.intern(f"{DEFERRED}{n})") for n in self.extensions[mi][rows].tolist()],
                      [sys.intern(f"deadline moved by {int(x)} days") for x in moved])
            inside = self.deadline[mi][rows] <= self.horizon
            again = inside & (self.chain[mi][rows] < cap)
            self._schedule(self.defer[mi], rows[again], self.deadline[mi][rows[again]])
            last = rows[inside & ~again]
            self._schedule(self.deadline_slot[mi], last, self.deadline[mi][last])

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
            self.update(mi, rows, [
                "deadline reached" if not n else sys.intern(f"deadline reached after {_plural(n, 'extension')}")
                for n in self.extensions[mi][rows].tolist()])
            blocked = rows[~self.in_force[mi][rows] & self.enjoined[mi][rows]]
            self.note(blocked, m.id, "deadline passed while enjoined", "did not take effect")

        return act

    def _own(self, mi: int) -> tuple[IntArray, list[Challenge]]:
        """The columns of ``enjoined_by`` that hold measure ``mi``'s lawsuits, and the lawsuits."""
        cols = [j for j, (owner, _) in enumerate(self.lawsuits) if owner == mi]
        return np.array(cols, dtype=np.int64), [self.lawsuits[j][1] for j in cols]

    # -- the results ----------------------------------------------------------------------------------------
    def play(self) -> Played:
        """Play the chunk's calendar to the end of the window; each row's timelines and the chunk's log."""
        self.env.run(until=self.horizon + 1)
        R, M, start = self.d.stop - self.d.start, len(self.s.measures), self.d.start
        switches: list[list[list[tuple[int, bool]]]] = [[[] for _ in range(R)] for _ in range(M)]
        for mi, rows, day, active in self.switches:
            own = switches[mi]
            for r, a in zip(rows.tolist(), active.tolist(), strict=True):
                own[r].append((day, a))
        columns = []
        for mi in range(M):
            cols, suits = self._own(mi)
            by = [{c.id for c, b in zip(suits, row, strict=True) if b} for row in self.enjoined_by[cols].T.tolist()]
            found = zip(self.due[mi].tolist(), self.enjoined[mi].tolist(), self.lifted[mi].tolist(),
                        self.cancelled[mi].tolist(), self.in_force[mi].tolist(), self.deadline[mi].tolist(),
                        self.extensions[mi].tolist(), self.chain[mi].tolist(), self.injunctions[mi].tolist(), by,
                        self.first[mi].tolist(), switches[mi], strict=True)
            columns.append([MeasureState(due=due, enjoined=enj, lifted=lifted, cancelled=cancelled, in_force=on,
                                         deadline=_day(dl), extensions=ext, chain=chain, injunctions=inj,
                                         enjoined_by=suit, first_in_force=_day(first), switches=sw)
                            for due, enj, lifted, cancelled, on, dl, ext, chain, inj, suit, first, sw in found])
        states = [list(row) for row in zip(*columns, strict=True)] if M else [[] for _ in range(R)]
        return Played(states, self._log(start))

    def _log(self, start: int) -> EventLog:
        """The notes in each row's order (the order they were made in), rows in order."""
        if not self.notes:
            return EventLog([np.empty(0, np.int32)], [np.empty(0, np.int32)], [], [], [])
        rows = np.concatenate([n[0] for n in self.notes])
        days = np.concatenate([np.full(n[0].size, n[1], dtype=np.int32) for n in self.notes])
        cols: list[list[str]] = [[], [], []]
        for r, _, subject, what, why in self.notes:
            for col, text in zip(cols, (subject, what, why), strict=True):
                col.extend(text if isinstance(text, list) else [text] * r.size)
        order = np.argsort(rows, kind="stable")
        picked = order.tolist()
        return EventLog([(rows[order] + start).astype(np.int32)], [days[order]],
                        *([col[i] for i in picked] for col in cols))
