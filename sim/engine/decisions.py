"""How deadlines move: the deferral chain drawn at a deadline, and extension decisions on their own dates.

A deferral is drawn at the deadline: ``probability`` with ``delay``/``schedule`` (streams
``measure:<id>:deferral`` and ``...:deferral:delay``, one column per extension), or a chain of ``steps``, each
with its own probability and length (streams ``measure:<id>:deferral:step<i>`` and ``...:step<i>:delay``, one
column per repeat); a failed draw ends the chain (of steps: ends its step, and the next step is drawn the same
day). A decision (``decisions:``) happens on its own date, in the
``decisions`` phase, with its own streams (``decision:<measure>:<id>:...``); ``docs/calendar.md`` rule 8 has
its arithmetic.
"""

from __future__ import annotations

import math

from sim.engine.clock import Clock, Proc
from sim.engine.timeline import DEFERRED, HELD
from sim.scenario.calendar import day_to_date
from sim.scenario.extensions import Decision, Step
from sim.scenario.schema import Deferral, Measure


def chain_length(d: Deferral | None) -> int:
    """The most extensions a deferral chain can grant.

    Example:
        >>> from sim.scenario.schema import Deferral
        >>> chain_length(Deferral(probability=0.5, schedule=["7d", "14d"]))
        2
    """
    if d is None:
        return 0
    if d.steps:
        return sum(s.times for s in d.steps)
    return len(d.schedule) if d.schedule else d.max or 0


def _step(d: Deferral, k: int) -> tuple[int, Step, int]:
    """The step of the ``k``-th extension (from 0) of a chain: its index, the step and the repeat."""
    assert d.steps is not None
    for i, s in enumerate(d.steps):
        if k < s.times:
            return i, s, k
        k -= s.times
    raise IndexError(k)


class Decisions(Clock):
    """The extension part of a replication's timeline."""

    def defer(self, m: Measure, d: Deferral, cap: int) -> bool:
        """Draw the next extension of ``m``'s chain at its deadline; move the deadline if it is granted."""
        st, k = self.states[m.id], self.states[m.id].chain
        old = st.deadline  # a deferral moves the deadline by at least a day
        if d.steps is None:
            if not self.d.happens(f"measure:{m.id}:deferral", d.probability, self.r, k, cap):
                return False
            delay = d.schedule[k] if d.schedule else d.delay
            assert delay is not None  # the cross-checks require delay or schedule
            new = self.later(old, f"measure:{m.id}:deferral:delay", delay, k, cap)
        else:  # a step not granted gives way to the next step, drawn the same day; after the last, none
            while True:
                i, step, j = _step(d, st.chain)
                name = f"measure:{m.id}:deferral:step{i}"
                p = self.d.value(name + ":p", step.probability, self.r) * self._factor(m, d, step, j)
                if self.d.trial(name, min(p, 1.0), self.r, j, step.times):
                    break
                st.chain = sum(s.times for s in d.steps[: i + 1])
                if st.chain >= cap:
                    return False
            new = self.later(old, name + ":delay", step.delay, j, step.times)
        st.deadline = max(old + 1, new)
        st.chain += 1
        step_title = f"{step.title}: " if d.steps is not None and step.title else ""
        self._extended(m, f"{step_title}deadline moved by {int(st.deadline - old)} days")
        return True

    def _factor(self, m: Measure, d: Deferral, step: Step, j: int) -> float:
        """How much likelier than its written probability the ``j``-th repeat of ``step`` is: ``decay`` per
        repeat, times the ``stricter`` factor once its event has occurred."""
        name = f"measure:{m.id}:deferral"
        assert d.steps is not None
        f = 1.0
        if step.decay is not None and j:
            f = self.d.value(f"{name}:step{d.steps.index(step)}:decay", step.decay, self.r) ** j
        if d.stricter is not None and d.stricter.on in self.event_day:
            f *= self.d.value(f"{name}:stricter", d.stricter.factor, self.r)
        return f

    def _extended(self, m: Measure, why: str, counts: bool = True) -> None:
        """Note that ``m``'s deadline moved: an extension, or (``counts`` false) a hold that is not one."""
        st = self.states[m.id]
        if counts:
            st.extensions += 1
            self.note(m.id, f"{DEFERRED}{st.extensions})", why)
        else:
            self.note(m.id, HELD, why)
        self.mark(m.id, "deferred")

    def decision(self, m: Measure, dec: Decision) -> Proc:
        """An extension decision of ``m`` on its date (``docs/calendar.md`` rule 8)."""
        st, name = self.states[m.id], f"decision:{m.id}:{dec.id}"
        day = yield from self.when(name + ":date", dec.date)
        until = (yield from self.when(name + ":until", dec.until)) if dec.until is not None else None
        if day > self.horizon:
            return
        yield self.at(day, self.DECISIONS)
        if st.lifted or st.cancelled or not self.d.happens(name, dec.probability, self.r):
            return
        what = dec.title or dec.id
        base = st.deadline if dec.from_ == "deadline" else self.env.now
        if until is not None:
            new = float(until)
        else:
            assert dec.extend is not None  # the cross-checks require extend or until
            new = self.later(base, name + ":extend", dec.extend)
        old, now = st.deadline, self.env.now
        if not math.isfinite(new) or new <= now or (new <= old and not dec.replaces and not st.due):
            self.note(m.id, f"decision {what}", "did not move the deadline")
            return
        st.deadline = new
        self._extended(m, f"{what}: deadline moved to {day_to_date(int(new) + self.d.day0)}", dec.counts)
        was_due = st.due
        if was_due:  # in force (or due): not enforced again until the new deadline
            st.due = False
            self.update(m, f"not enforced: {what}")
        if was_due or new < old:  # after the deadline, or bringing it forward: this process takes it from here
            self.env.process(self._deadline_at(m, new))

    def _deadline_at(self, m: Measure, day: float) -> Proc:
        st = self.states[m.id]
        yield self.at(day, self.DEADLINES)
        if st.deadline == self.env.now and not (st.lifted or st.cancelled or st.due):
            self.reach_deadline(m)  # unless moved again, or over

    def reach_deadline(self, m: Measure) -> None:
        """The deadlines phase of ``m``'s deadline day: it takes effect, or an ``unless`` event cancels it."""
        st = self.states[m.id]
        seen = [e for e in m.unless if e in self.event_day]
        if seen:
            st.cancelled = True
            self.note(m.id, "cancelled", f"{seen[0]} occurred before the deadline")
            self.mark(m.id, "cancelled")
            return
        st.due = True
        self.update(m, "deadline reached" if not st.extensions else f"deadline reached after {st.extensions} "
                    f"extension{'s' if st.extensions > 1 else ''}")
        if not st.in_force and not st.lifted:
            blocked = "enjoined" if st.enjoined else "shelved" if st.shelved else ""
            if blocked:
                self.note(m.id, f"deadline passed while {blocked}", "did not take effect")
