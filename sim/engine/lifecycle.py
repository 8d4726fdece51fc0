"""The measure lifecycle of one replication, played out on SimPy.

Each event and each measure is a SimPy process; so are each legal challenge, shelving rule and waiver. A
measure moves through these states (``docs/engine.md`` has the diagram)::

    scheduled --(extension drawn at the deadline)--> deferred(n) --> ... --> due
    due and not enjoined/shelved/lifted/cancelled  ==  IN FORCE
    any --(injunction)--> enjoined --(appeal reverses it)--> back
    any --(shelving)--> shelved --(revival)--> back (due again at the revival date + delay)
    any --(a `lifted_by` event)--> lifted (final);  at the deadline, an `unless` event seen --> cancelled

Time is whole days since the window start. Everything that happens on the same day happens in the fixed
order of :data:`PHASES`, enforced in one place, :meth:`Replication.at` (SimPy breaks ties by priority, then
by scheduling order). Relative dates wait on the SimPy event of their anchor (an event occurring, a measure
first coming into force, a measure's initial deadline), so anchors are resolved as the timeline unfolds.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Generator
from typing import Any, Final, cast

import simpy

from sim.engine.draws import ChunkDraws
from sim.engine.timeline import LogEntry, MeasureState
from sim.scenario.calendar import add_month_span
from sim.scenario.dates import DateSpec
from sim.scenario.schema import Challenge, Measure, Scenario, Shelving, Waiver
from sim.scenario.values import Dist

PHASES: Final = ("events", "lifts", "shelving", "courts", "deferrals", "deadlines", "waivers")
"""The same-day order of operations, written once (``docs/calendar.md`` rule 5), with its side rules:

0. ``events`` occur. An event whose ``requires`` names an event still due to occur that day waits for it (it
   is scheduled again in this phase until the required one is decided), so same-day requirements count.
1. ``lifts``: a ``lifted_by`` event that occurred today lifts its measure (before it can take effect today).
2. ``shelving``: shelving, and revival; a revived measure whose deadline has passed is due again in phase 5,
   after the day's court decisions, as at a deadline.
3. ``courts``: injunction decisions and appeal rulings.
4. ``deferrals``: an extension drawn at the deadline moves it (none for a lifted or cancelled measure).
5. ``deadlines``: the measure takes effect, or is cancelled by an ``unless`` event seen so far (today's too).
6. ``waivers`` start, end and are renewed; same-day waiver changes of a measure apply in the order they were
   scheduled, the day's last share counting.
7. Phase-in steps come last, outside SimPy (:func:`sim.engine.segments.profile`): a step falling on a day the
   measure is suspended is dropped, and a measure that comes back restarts its phase-in.

Within a phase, SimPy keeps scheduling order; an action triggered by another on the same day (an event
anchored ``measure + 0d``) runs at once, after the actions already scheduled at a lower phase.
"""
EVENTS, LIFTS, SHELVING, COURTS, DEFERRALS, DEADLINES, WAIVERS = range(len(PHASES))

Proc = Generator[simpy.Event, Any, Any]


class Replication:
    """The timeline of replication ``r``: run it with :meth:`run`, then read ``states`` and ``log``."""

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

    # -- time ---------------------------------------------------------------------------------------------
    def at(self, day: float, phase: int) -> simpy.Event:
        """An event that fires on ``day`` in same-day ``phase`` of :data:`PHASES` (SimPy orders by time, then
        priority = phase, then scheduling order): the one place the calendar order is enforced."""
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

    def run(self) -> Replication:
        """Play the timeline to the end of the window."""
        for e in self.s.events:
            self.env.process(self._event(e.id))
        for m in self.s.measures:
            self.env.process(self._measure(m))
        self.env.run(until=self.horizon + 1)
        return self

    def note(self, subject: str, what: str, why: str = "") -> None:
        """Append to the event log at the current day (texts interned: a run repeats them many times)."""
        self.log.append(LogEntry(int(self.env.now), subject, sys.intern(what), sys.intern(why)))

    # -- events -------------------------------------------------------------------------------------------
    def _event(self, eid: str) -> Proc:
        e = next(x for x in self.s.events if x.id == eid)
        name = f"event:{eid}:date"
        day = (round(self.d.date(name, e.date, self.r)) if e.date.anchor is None
               else (yield from self.when(name, e.date)))
        if day > self.horizon:
            return
        self.pending[eid] = max(int(day), int(self.env.now))
        yield self.at(day, EVENTS)
        missing = [q for q in e.requires if not self.occurred[q].triggered]
        while any(self.pending.get(q) == self.env.now for q in missing):
            yield self.at(self.env.now, EVENTS)  # a required event is still to occur today: let it go first
            missing = [q for q in e.requires if not self.occurred[q].triggered]
        del self.pending[eid]
        if missing:
            self.note(eid, "did not occur", f"requires {', '.join(missing)}, which had not occurred")
            return
        if not self.d.happens(f"event:{eid}", e.probability, self.r):
            return
        self.event_day[eid] = int(self.env.now)
        self.note(eid, "occurred")
        self.occurred[eid].succeed(int(self.env.now))

    # -- measures -----------------------------------------------------------------------------------------
    def update(self, m: Measure, why: str) -> None:
        """Recompute whether ``m`` is in force and record a switch."""
        st = self.states[m.id]
        now = int(self.env.now)
        active = st.due and not (st.enjoined or st.shelved or st.lifted or st.cancelled)
        if active == st.in_force:
            return
        st.in_force = active
        st.switches.append((now, active))
        self.note(m.id, "in force" if active else "suspended", why)
        if active and not math.isfinite(st.first_in_force):
            st.first_in_force = now
            self.occurred[m.id].succeed(now)

    def _measure(self, m: Measure) -> Proc:
        st = self.states[m.id]
        for ev in m.lifted_by:  # callbacks, not processes: a lift is one dated action
            self.occurred[ev].callbacks.append(self._lifter(m, ev))
        if m.shelving is not None:
            self.env.process(self._shelving(m, m.shelving))
        for c in m.challenges:  # courts and waivers keep their own dates, even while the deadline is unknown
            self._start_challenge(m, c)
        for w in m.waivers:
            self.env.process(self._waiver(m, w))
        name = f"measure:{m.id}:deadline"
        deadline = (round(self.d.date(name, m.deadline, self.r)) if m.deadline.anchor is None
                    else (yield from self.when(name, m.deadline)))
        st.deadline = deadline
        self.occurred[m.id + ".deadline"].succeed(deadline)
        d = m.deferral
        cap = (len(d.schedule) if d.schedule else d.max or 0) if d else 0
        while st.deadline <= self.horizon and d is not None and st.extensions < cap:
            yield self.at(st.deadline, DEFERRALS)
            if st.lifted or st.cancelled:
                break
            if not self.d.happens(f"measure:{m.id}:deferral", d.probability, self.r, st.extensions, cap):
                break
            delay = d.schedule[st.extensions] if d.schedule else d.delay
            assert delay is not None  # checks.py requires delay or schedule
            old = st.deadline  # a deferral moves the deadline by at least a day
            st.deadline = max(old + 1, self.later(old, f"measure:{m.id}:deferral:delay", delay, st.extensions, cap))
            st.extensions += 1
            self.note(m.id, f"deferred (extension {st.extensions})",
                      f"deadline moved by {int(st.deadline - old)} days")
        if st.deadline > self.horizon or st.lifted or st.cancelled:
            return
        yield self.at(st.deadline, DEADLINES)
        if st.lifted:
            return
        seen = [e for e in m.unless if e in self.event_day]
        if seen:
            st.cancelled = True
            self.note(m.id, "cancelled", f"{seen[0]} occurred before the deadline")
            return
        st.due = True
        self.update(m, "deadline reached" if not st.extensions else f"deadline reached after {st.extensions} "
                    f"extension{'s' if st.extensions > 1 else ''}")
        if not st.in_force and not st.lifted:
            blocked = "enjoined" if st.enjoined else "shelved" if st.shelved else ""
            if blocked:
                self.note(m.id, f"deadline passed while {blocked}", "did not take effect")

    def _lifter(self, m: Measure, event: str) -> Callable[[simpy.Event], None]:
        """The callback run when ``event`` occurs: lift ``m`` on that day, in the lifts phase."""

        def act(_: simpy.Event) -> None:
            st = self.states[m.id]
            if not (st.lifted or st.cancelled):
                st.lifted = True
                self.note(m.id, "lifted", f"{event} occurred")
                self.update(m, f"lifted: {event}")

        def schedule(occurred: simpy.Event) -> None:
            day = cast(int, occurred.value)  # events succeed with the day they occurred
            self.at(day, LIFTS).callbacks.append(act)

        return schedule

    def _shelving(self, m: Measure, sh: Shelving) -> Proc:
        st, name = self.states[m.id], f"shelving:{m.id}"
        if sh.on is not None:
            day = yield self.occurred[sh.on]
            why = f"{sh.on} occurred"
        elif sh.date is not None:
            day = yield from self.when(name + ":date", sh.date)
            why = "shelving date"
        else:
            assert sh.hazard is not None
            rate = self.d.value(name + ":hazard", sh.hazard, self.r)
            u = self.d.uniform(name + ":time", self.r)
            day = math.ceil(-math.log(u) / rate) if rate > 0 else math.inf
            why = "shelved (hazard)"
        if day > self.horizon:
            return
        yield self.at(day, SHELVING)
        if st.lifted or st.cancelled or not self.d.happens(name, sh.probability, self.r):
            return
        st.shelved = True
        st.shelvings += 1
        self.note(m.id, "shelved", why)
        self.update(m, "shelved")
        rv = sh.revive
        if rv is None:
            return
        if rv.on is not None:
            back: float
            if self.occurred[rv.on].triggered:
                back = self.env.now
            else:
                back = yield self.occurred[rv.on]
        else:
            assert rv.hazard is not None
            rate = self.d.value(name + ":revive", rv.hazard, self.r)
            u = self.d.uniform(name + ":revive_time", self.r)
            back = self.env.now + (math.ceil(-math.log(u) / rate) if rate > 0 else math.inf)
        due = self.later(back, name + ":revive_delay", rv.delay) if rv.delay else back
        if due > self.horizon:
            return
        yield self.at(due, SHELVING)
        if st.lifted or st.cancelled:
            return
        st.shelved = False
        if st.due:  # due again in the deadlines phase, after the day's court decisions (as at a deadline)
            st.due = False
            st.deadline = self.env.now
            self.env.process(self._redue(m))
        self.note(m.id, "revived", f"{rv.on} occurred" if rv.on else "revived (hazard)")
        self.update(m, "revived")

    def _redue(self, m: Measure) -> Proc:
        yield self.at(self.env.now, DEADLINES)
        self.states[m.id].due = True
        self.update(m, "deadline after revival")

    def _start_challenge(self, m: Measure, c: Challenge) -> None:
        """Schedule a lawsuit's decision: directly when its dates are absolute, else as a process that waits
        for their anchors (a callback costs SimPy less than a process, and most court dates are absolute)."""
        if c.decision.anchor is None and (c.filed is None or c.filed.anchor is None):
            day = self._court_day(c, self.d.date(f"challenge:{c.id}:decision", c.decision, self.r))
            if day <= self.horizon:
                self.at(day, COURTS).callbacks.append(lambda _: self._decide(m, c))
        else:
            self.env.process(self._challenge(m, c))

    def _court_day(self, c: Challenge, decision: float, filed: float | None = None) -> int:
        if c.filed is not None and filed is None:
            filed = self.d.date(f"challenge:{c.id}:filed", c.filed, self.r)
        return round(decision if filed is None else max(decision, filed))

    def _challenge(self, m: Measure, c: Challenge) -> Proc:
        name = f"challenge:{c.id}"
        decision = yield from self.when(name + ":decision", c.decision)
        filed = (yield from self.when(name + ":filed", c.filed)) if c.filed is not None else None
        day = self._court_day(c, decision, filed)
        if day <= self.horizon:
            yield self.at(day, COURTS)
            self._decide(m, c)

    def _decide(self, m: Measure, c: Challenge) -> None:
        """The court rules on the injunction (and schedules the appeal)."""
        st, name = self.states[m.id], f"challenge:{c.id}"
        if st.lifted or st.cancelled:
            return
        if not self.d.happens(name + ":injunction", c.injunction, self.r):
            self.note(m.id, "injunction denied", c.title or c.id)
            return
        st.enjoined = True
        st.enjoined_by.add(c.id)
        st.injunctions += 1
        ahead = st.deadline - self.env.now
        when = ""
        if not st.due and math.isfinite(ahead):
            days = f"{int(ahead)} day{'s' if ahead > 1 else ''}"
            when = f", {days} before taking effect" if ahead > 0 else ", on the day it was to take effect" if (
                ahead == 0) else ""
        self.note(m.id, "enjoined", f"{c.title or c.id}{when}")
        self.update(m, "enjoined")
        a = c.appeal
        if a is None or not self.d.happens(name + ":appeal", a.probability, self.r):
            return
        ruling = self.later(self.env.now, name + ":appeal_delay", a.decision)
        if ruling <= self.horizon:
            self.at(ruling, COURTS).callbacks.append(lambda _: self._appeal(m, c))

    def _appeal(self, m: Measure, c: Challenge) -> None:
        """The appeal court upholds or reverses the injunction."""
        assert c.appeal is not None
        if self.d.happens(f"challenge:{c.id}:reversal", c.appeal.reversal, self.r):
            st = self.states[m.id]
            st.enjoined_by.discard(c.id)
            st.enjoined = bool(st.enjoined_by)
            self.note(m.id, "injunction reversed on appeal", c.title or c.id)
            self.update(m, "injunction reversed")
        else:
            self.note(m.id, "injunction upheld on appeal", c.title or c.id)

    def _waiver(self, m: Measure, w: Waiver) -> Proc:
        st, name = self.states[m.id], f"waiver:{m.id}:{w.id}"
        if not self.d.happens(name, w.probability, self.r):
            return
        # a relative `until` waits for its anchor alongside: the waiver starts without it
        until = self.env.process(self.when(name + ":until", w.until)) if w.until is not None else None
        if w.from_ is not None:
            start = yield from self.when(name + ":from", w.from_)
        else:  # from the day the measure first takes effect
            start = yield self.occurred[m.id]
        if until is not None:
            end = math.inf  # known once the `until` process ends (never, if its anchor never happens)
        elif w.duration is not None:
            end = self.later(start, name + ":duration", w.duration)
        else:
            end = math.inf
        if start > self.horizon:
            return
        yield self.at(start, WAIVERS)
        if st.lifted or st.cancelled:  # final states: nothing left to exempt (enjoined/shelved may come back)
            return
        share = self.d.value(name + ":share", w.share, self.r)
        self._set_waiver(st, w.id, share, f"waiver {w.id} starts ({share:.0%} exempt)")
        if until is not None:
            end = yield until
        renewals = 0
        while end <= self.horizon:
            yield self.at(end, WAIVERS)
            rn = w.renewal
            over = st.lifted or st.cancelled  # a final state renews nothing
            if rn is None or renewals >= rn.max or over or not self.d.happens(name + ":renewal", rn.probability,
                                                                              self.r, renewals, rn.max):
                self._set_waiver(st, w.id, 0.0, f"waiver {w.id} ends")
                return
            renewals += 1
            end = self.later(self.env.now, name + ":period", rn.period)
            self.note(m.id, f"waiver {w.id} renewed", f"renewal {renewals}")

    def _set_waiver(self, st: MeasureState, wid: str, share: float, what: str) -> None:
        st.waivers[wid] = share
        keep = 1.0
        for s in st.waivers.values():
            keep *= 1.0 - s
        st.waiver_changes.append((int(self.env.now), keep))
        subject = next(k for k, v in self.states.items() if v is st)
        self.note(subject, what)
