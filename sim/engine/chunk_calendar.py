"""The chunk calendar: SimPy plays the calendar of a whole chunk, numpy plays its replications.

:class:`ChunkCalendar` holds one SimPy environment for a chunk of replications and the measures' state flags,
one numpy array per measure over the chunk's rows. Every pending action (an event due to occur, a lift, a
court decision, a deferral draw, a deadline...) is a *slot*, pending on at most one day per row:
``slot_day[slot, row]``. SimPy holds one event per ``(day, phase)`` on which some slot is due in *any* row
(the numbers of :data:`sim.engine.lifecycle.PHASES` are its priorities, so the same-day order is SimPy's, as
for one replication), and at each it acts on every row concerned at once, with masks.

Same-day order within a phase is each row's own: every slot also holds the order in which its row scheduled
it (a counter per row, like SimPy's counter per environment), and the slots due on a day act in rounds, each
row's first, then its second... So each row sees the actions, the draws and the log lines in the order one
replication's own environment gives them. What the actions are is :mod:`sim.engine.chunk_lifecycle`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import simpy

from sim.engine.draws import ChunkDraws
from sim.engine.played import SwitchTable
from sim.engine.timeline import IN_FORCE, SUSPENDED, EventLog, MeasureState
from sim.scenario.calendar import add_month_span
from sim.scenario.schema import Scenario
from sim.scenario.values import Dist

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Texts = str | list[str]
"""A log text: one for all rows of a note, or one per row."""
_SWITCHED: Final = np.array([SUSPENDED, IN_FORCE], dtype=object)
"""The log's ``what`` of a switch off and on: taken for many rows at once."""


def _days(a: FloatArray) -> list[float]:
    """Days as a replication records them: whole numbers, or infinity for never."""
    finite = np.isfinite(a)
    if finite.all():
        return a.astype(np.int64).tolist()
    return [int(x) if f else x for x, f in zip(a.tolist(), finite.tolist(), strict=True)]


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, plural beyond one, as the log writes counts.

    Example:
        >>> plural(1, "day"), plural(3, "extension")
        ('1 day', '3 extensions')
    """
    return f"{n} {word}{'s' if n > 1 else ''}"


def worded(values: FloatArray | IntArray, word: Callable[[Any], str]) -> list[str]:
    """``word(v)`` of each of ``values`` (numbers, not NaN; interned, as the log keeps its texts), each distinct
    value worded once (a dict of them: on a part's few hundred rows faster than ``numpy.unique``).

    Example:
        >>> worded(np.array([2, 1, 2]), lambda n: f"extension {n}")
        ['extension 2', 'extension 1', 'extension 2']
    """
    vals = values.tolist()
    texts = {v: sys.intern(word(v)) for v in set(vals)}
    return [texts[v] for v in vals]


def in_row_order(due: npt.NDArray[np.bool_], seq: IntArray) -> Iterator[tuple[int, IntArray]]:
    """``(j, columns)``: the columns whose next action, in order of ``seq``, is ``j`` (a row of ``due``), in
    rounds: each column's first, then each one's second...

    Example:
        >>> due = np.array([[True, True], [True, False]])
        >>> [(j, c.tolist()) for j, c in in_row_order(due, np.array([[2, 0], [1, 0]]))]
        [(0, [1]), (1, [0]), (0, [0])]
    """
    cols = np.flatnonzero(due.any(axis=0))
    sub = due[:, cols]
    order = np.argsort(np.where(sub, seq[:, cols], np.iinfo(np.int64).max), axis=0, kind="stable")
    count = sub.sum(axis=0)
    for k in range(int(count.max(initial=0))):
        live = count > k
        pick = order[k]
        for j in np.unique(pick[live]).tolist():
            yield j, cols[live & (pick == j)]


class ChunkCalendar:
    """The calendar and the measures' states of the chunk ``draws`` covers (see the module docstring):
    register slots with :meth:`slot`, open the calendar with :meth:`open`, then schedule and play."""

    def __init__(self, s: Scenario, draws: ChunkDraws, horizon: int):
        self.s, self.d, self.horizon = s, draws, horizon
        R, M = draws.stop - draws.start, len(s.measures)
        self.env = simpy.Environment()
        self.pending: dict[tuple[int, int], set[int]] = {}  # (day, phase) -> slots due then in some row
        self.acts: list[Callable[[IntArray], None]] = []  # per slot
        self.phase: list[int] = []
        self.counter = np.zeros(R, dtype=np.int64)
        self.due, self.enjoined, self.shelved, self.lifted, self.cancelled, self.in_force = (
            np.zeros((M, R), dtype=bool) for _ in range(6))
        self.deadline = np.full((M, R), math.inf)
        self.first = np.full((M, R), math.inf)
        self.extensions, self.chain, self.injunctions, self.shelvings = (
            np.zeros((M, R), dtype=np.int64) for _ in range(4))
        self.event_day = np.full((len(s.events), R), math.inf)  # the day each event occurred
        self.notes: list[tuple[IntArray, int, str, Texts, Texts]] = []
        self.switches: list[tuple[int, IntArray, int, npt.NDArray[np.bool_]]] = []
        self.now = 0

    def slot(self, phase: int, act: Callable[[IntArray], None]) -> int:
        """A new slot acting in ``phase`` with ``act(rows)``; its number."""
        self.acts.append(act)
        self.phase.append(phase)
        return len(self.acts) - 1

    def open(self) -> None:
        """Make room for every slot registered (before anything is scheduled)."""
        S, R = len(self.acts), self.d.stop - self.d.start
        self.slot_day = np.full((S, R), math.inf)
        self.slot_seq = np.zeros((S, R), dtype=np.int64)

    def schedule(self, slot: int, rows: IntArray, day: float | FloatArray) -> None:
        """Slot ``slot`` is due on ``day`` (one for all rows or one per row) in ``rows``, after whatever those
        rows scheduled before."""
        if not rows.size:
            return
        phase = self.phase[slot]
        if np.ndim(day):
            days = np.maximum(day, self.now)
            self.slot_day[slot, rows] = days
            for d in sorted(set(days.tolist())):  # (numpy.unique costs more on a few hundred rows)
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
        pending = self.pending.pop((day, phase))
        if len(pending) == 1:  # (most wakes: one slot, its rows in the order they come)
            s = pending.pop()
            self._act(s, np.flatnonzero(self.slot_day[s] == day))
            return
        slots = np.array(sorted(pending), dtype=np.int64)
        due = self.slot_day[slots] == day
        in_order = True  # in the order of the slots, if every row with several scheduled them in that order
        if len(slots) > 1:
            several = np.flatnonzero(due.sum(axis=0) > 1)
            if several.size:
                both, seq = due[:, several], np.where(due[:, several], self.slot_seq[slots][:, several], -1)
                in_order = bool((~both[1:] | (seq[1:] > np.maximum.accumulate(seq, axis=0)[:-1])).all())
        if in_order:
            for j, s in enumerate(slots.tolist()):
                rows = np.flatnonzero(due[j])
                self._act(s, rows[self.slot_day[s, rows] == day])
            return
        for j, rows in in_row_order(due, self.slot_seq[slots]):
            s = int(slots[j])
            self._act(s, rows[self.slot_day[s, rows] == day])

    def _act(self, slot: int, rows: IntArray) -> None:
        if rows.size:
            self.slot_day[slot, rows] = math.inf
            self.acts[slot](rows)

    def later(self, start: FloatArray, name: str, duration: Dist, rows: IntArray, col: int | IntArray = 0,
               width: int = 1) -> FloatArray:
        """:meth:`sim.engine.clock.Clock.later` for ``rows`` at once (never, drawing nothing, from never)."""
        never = ~np.isfinite(start)
        if never.any():
            out = start.copy()
            out[~never] = self.later(start[~never], name, duration, rows[~never], col if np.ndim(col) == 0 else
                                     np.asarray(col)[~never], width)
            return out
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
        if not rows.size:
            return
        active = self.due[mi][rows] & ~(self.enjoined[mi][rows] | self.shelved[mi][rows] | self.lifted[mi][rows]
                                        | self.cancelled[mi][rows])
        changed = active != self.in_force[mi][rows]
        rows, active = rows[changed], active[changed]
        if not rows.size:
            return
        self.in_force[mi][rows] = active
        self.switches.append((mi, rows, self.now, active))
        texts = np.array(why, dtype=object)[changed].tolist() if isinstance(why, list) else why
        self.note(rows, self.s.measures[mi].id, _SWITCHED[active.astype(np.intp)].tolist(), texts)
        first = rows[active & np.isinf(self.first[mi][rows])]
        self.first[mi][first] = self.now

    # -- the results ----------------------------------------------------------------------------------------
    def switch_table(self, more: Iterable[tuple[int, IntArray, int, npt.NDArray[np.bool_]]] = ()) -> SwitchTable:
        """Each timeline's switches (the measures', then those ``more`` gives: ``(timeline, rows, day, states)``
        in the order they happened) as :func:`sim.engine.played.switches` reads them from :meth:`states` (rows
        in order, each row's in the order they happened), straight from the calendar's arrays."""
        by: dict[int, list[tuple[IntArray, int, npt.NDArray[np.bool_]]]] = {
            t: [] for t in range(len(self.s.measures) + len(self.s.shocks))}
        for t, rows, day, active in chain(self.switches, more):
            by[t].append((rows, day, active))
        out = {}
        for t, found in by.items():
            if not found:
                out[t] = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.bool_))
                continue
            row = np.concatenate([r for r, _, _ in found]).astype(np.int64)
            days = np.concatenate([np.full(r.size, d, dtype=np.int64) for r, d, _ in found])
            on = np.concatenate([a for _, _, a in found]).astype(np.bool_)
            order = np.argsort(row, kind="stable")
            out[t] = (row[order], days[order], on[order])
        return out

    def stats(self) -> FloatArray:
        """``(rows, measures, 6)``: :attr:`sim.engine.played.Played.stats` (its ``STATS``, in that order), from
        the calendar's arrays."""
        found = np.stack([self.first, self.extensions, self.injunctions, self.shelvings, self.lifted,
                          self.cancelled], axis=-1).astype(float)
        return np.ascontiguousarray(found.transpose(1, 0, 2))

    def states(self, enjoined_by: list[list[set[str]]]) -> list[list[MeasureState]]:
        """Each row's timelines of the measures, once played (``enjoined_by``: per measure, per row, the
        lawsuits whose injunction stands)."""
        R, M = self.d.stop - self.d.start, len(self.s.measures)
        switches: list[list[list[tuple[int, bool]]]] = [[[] for _ in range(R)] for _ in range(M)]
        for mi, rows, day, active in self.switches:
            own = switches[mi]
            for r, a in zip(rows.tolist(), active.tolist(), strict=True):
                own[r].append((day, a))
        columns = []
        for mi in range(M):
            found = zip(self.due[mi].tolist(), self.enjoined[mi].tolist(), self.shelved[mi].tolist(),
                        self.lifted[mi].tolist(), self.cancelled[mi].tolist(), self.in_force[mi].tolist(),
                        _days(self.deadline[mi]), self.extensions[mi].tolist(), self.chain[mi].tolist(),
                        self.injunctions[mi].tolist(), enjoined_by[mi], self.shelvings[mi].tolist(),
                        _days(self.first[mi]), switches[mi], strict=True)
            columns.append([MeasureState(due=due, enjoined=enj, shelved=shelved, lifted=lifted, cancelled=cancelled,
                                         in_force=on, deadline=dl, extensions=ext, chain=chain,
                                         injunctions=inj, enjoined_by=suit, shelvings=n, first_in_force=first,
                                         switches=sw)
                            for due, enj, shelved, lifted, cancelled, on, dl, ext, chain, inj, suit, n, first, sw
                            in found])
        return [list(row) for row in zip(*columns, strict=True)] if M else [[] for _ in range(R)]

    def log(self) -> EventLog:
        """The chunk's event log: the notes in each row's order (the order they were made in), rows in order."""
        start = self.d.start
        if not self.notes:
            return EventLog([np.empty(0, np.int32)], [np.empty(0, np.int32)], [], [], [])
        rows = np.concatenate([n[0] for n in self.notes])
        days = np.repeat(np.array([n[1] for n in self.notes], dtype=np.int32), [n[0].size for n in self.notes])
        cols: list[list[str]] = [[], [], []]
        for r, _, subject, what, why in self.notes:
            for col, text in zip(cols, (subject, what, why), strict=True):
                col.extend(text if isinstance(text, list) else [text] * r.size)
        order = np.argsort(rows, kind="stable")
        # The texts put in row order as object arrays (numpy's loop, not one Python step per line)
        return EventLog([(rows[order] + start).astype(np.int32)], [days[order]],
                        *(np.array(col, dtype=object)[order].tolist() for col in cols))
