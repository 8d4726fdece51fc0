"""Shelving and revival on the chunk calendar: :meth:`sim.engine.lifecycle.Replication._shelving` for every row.

A measure is shelved on an event, on a date or by a hazard (with its probability), in the ``shelving`` phase;
it is revived on an event or by a hazard, after a ``delay``; a revived measure whose deadline has passed is due
again in the ``deadlines`` phase of that day. Rows waiting for a revival event are revived, when it occurs, in
the order they were shelved (as the waiting processes of one replication resume).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np

from sim.engine.chunk_calendar import ChunkCalendar, FloatArray, IntArray, in_row_order
from sim.engine.lifecycle import Replication
from sim.scenario.schema import Shelving

SHELVING, DEADLINES = Replication.SHELVING, Replication.DEADLINES


class ChunkShelving(ChunkCalendar):
    """The shelving part of the chunk's lifecycles: register with :meth:`shelving_slots`, start with
    :meth:`start_shelving`, and tell it each event that occurs (:meth:`occurs`)."""

    def shelving_slots(self) -> None:
        """The slots of shelving, revival and the deadline after a revival, per measure."""
        M, R = len(self.s.measures), self.d.stop - self.d.start
        self.shelve = [self.slot(SHELVING, self._shelve(mi)) for mi in range(M)]
        self.revive = [self.slot(SHELVING, self._revive(mi)) for mi in range(M)]
        self.redue = [self.slot(DEADLINES, self._redue(mi)) for mi in range(M)]
        index = {e.id: i for i, e in enumerate(self.s.events)}
        self.shelve_on: list[list[int]] = [[] for _ in self.s.events]
        self.revive_on: list[list[int]] = [[] for _ in self.s.events]
        for mi, m in enumerate(self.s.measures):
            if m.shelving is not None and m.shelving.on is not None:
                self.shelve_on[index[m.shelving.on]].append(mi)
            if m.shelving is not None and m.shelving.revive is not None and m.shelving.revive.on is not None:
                self.revive_on[index[m.shelving.revive.on]].append(mi)
        self.waiting = np.zeros((M, R), dtype=bool)  # shelved, waiting for the revival event
        self.wait_seq = np.zeros((M, R), dtype=np.int64)  # when it began waiting (the row's counter)

    def _hazard_days(self, start: float, name: str, rows: IntArray, rate: FloatArray) -> FloatArray:
        """The day a hazard clock from ``start`` rings (math.log per row: the same digits as one replication)."""
        us = self.d.uniform_rows(name, rows).tolist()
        return np.array([start + (math.ceil(-math.log(u) / r) if r > 0 else math.inf)
                         for u, r in zip(us, rate.tolist(), strict=True)], dtype=float)

    def start_shelving(self) -> None:
        """Schedule the shelving of each measure shelved on a date or by a hazard (as its process starts)."""
        everyone = np.arange(self.d.stop - self.d.start)
        for mi, m in enumerate(self.s.measures):
            sh, name = m.shelving, f"shelving:{m.id}"
            if sh is None or sh.on is not None:
                continue
            if sh.date is not None:
                day = np.round(self.d.values(name + ":date", sh.date.offset))
            else:
                assert sh.hazard is not None
                day = self._hazard_days(0.0, name + ":time", everyone, self.d.rows(name + ":hazard", sh.hazard,
                                                                                    everyone))
            self.schedule(self.shelve[mi], everyone[day <= self.horizon], day[day <= self.horizon])

    def occurs(self, i: int, rows: IntArray) -> None:
        """Event ``i`` occurs today in ``rows``: shelvings waiting on it are due today, then revivals waiting on
        it, each row's in the order they began waiting."""
        for mi in self.shelve_on[i]:
            self.schedule(self.shelve[mi], rows, self.now)
        waiting = self.revive_on[i]
        if not waiting:
            return
        for j, cols in in_row_order(self.waiting[waiting][:, rows], self.wait_seq[waiting][:, rows]):
            back = rows[cols]
            self.waiting[waiting[j]][back] = False
            self._revive_from(waiting[j], back, np.full(back.shape, float(self.now)))

    def _revive_from(self, mi: int, rows: IntArray, back: FloatArray) -> None:
        m = self.s.measures[mi]
        assert m.shelving is not None and m.shelving.revive is not None
        rv = m.shelving.revive
        due = self.later(back, f"shelving:{m.id}:revive_delay", rv.delay, rows) if rv.delay else back
        self.schedule(self.revive[mi], rows[due <= self.horizon], due[due <= self.horizon])

    def _shelve(self, mi: int) -> Callable[[IntArray], None]:
        m = self.s.measures[mi]
        sh, name = m.shelving, f"shelving:{m.id}"

        def act(rows: IntArray) -> None:
            assert sh is not None
            rows = rows[~(self.lifted[mi][rows] | self.cancelled[mi][rows])]
            rows = rows[self.d.happen(name, sh.probability, rows)]
            if not rows.size:
                return
            self.shelved[mi][rows] = True
            self.shelvings[mi][rows] += 1
            self.note(rows, m.id, "shelved", _why(sh))
            self.update(mi, rows, "shelved")
            rv = sh.revive
            if rv is None:
                return
            if rv.on is not None:
                seen = np.isfinite(self.event_day[[e.id for e in self.s.events].index(rv.on)][rows])
                self._revive_from(mi, rows[seen], np.full(int(seen.sum()), float(self.now)))
                later = rows[~seen]
                self.waiting[mi][later] = True
                self.wait_seq[mi][later] = self.counter[later]
                self.counter[later] += 1
            else:
                assert rv.hazard is not None
                rate = self.d.rows(name + ":revive", rv.hazard, rows)
                self._revive_from(mi, rows, self._hazard_days(float(self.now), name + ":revive_time", rows, rate))

        return act

    def _revive(self, mi: int) -> Callable[[IntArray], None]:
        m = self.s.measures[mi]
        rv = m.shelving.revive if m.shelving is not None else None

        def act(rows: IntArray) -> None:
            rows = rows[~(self.lifted[mi][rows] | self.cancelled[mi][rows])]
            self.shelved[mi][rows] = False
            again = rows[self.due[mi][rows]]  # due again in the deadlines phase, after the day's court decisions
            self.due[mi][again] = False
            self.deadline[mi][again] = self.now
            self.schedule(self.redue[mi], again, self.now)
            self.note(rows, m.id, "revived", sys.intern(f"{rv.on} occurred") if rv and rv.on else "revived (hazard)")
            self.update(mi, rows, "revived")

        return act

    def _redue(self, mi: int) -> Callable[[IntArray], None]:
        def act(rows: IntArray) -> None:
            self.due[mi][rows] = True
            self.update(mi, rows, "deadline after revival")

        return act


def _why(sh: Shelving) -> str:
    return f"{sh.on} occurred" if sh.on is not None else "shelving date" if sh.date is not None else "shelved (hazard)"
