"""The measure lifecycle of one replication, played out on SimPy.

Each event and each measure is a SimPy process; so are each legal challenge, shelving rule and waiver. A
measure moves through these states (``docs/engine.md`` has the diagram)::

    scheduled --(extension drawn at the deadline, or decided on its own date)--> deferred(n) --> ... --> due
    due --(an extension decided after it took effect)--> not enforced until the new deadline --> due
    due and not enjoined/shelved/lifted/cancelled  ==  IN FORCE
    any --(injunction)--> enjoined --(appeal reverses it)--> back
    any --(shelving)--> shelved --(revival)--> back (due again at the revival date + delay)
    any --(a `lifted_by` event)--> lifted (final);  at the deadline, an `unless` event seen --> cancelled

Time is whole days since the window start. Everything that happens on the same day happens in the fixed
order of :data:`PHASES`, enforced in one place, :meth:`sim.engine.clock.Clock.at` (SimPy breaks ties by priority, then
by scheduling order). Relative dates wait on the SimPy event of their anchor (an event occurring, a measure
first coming into force, a measure's initial deadline, a measure first entering a state), so anchors are
resolved as the timeline unfolds. Courts live in :mod:`sim.engine.courts`, extensions in
:mod:`sim.engine.decisions`, the shared clock and state triggers in :mod:`sim.engine.clock`. A whole chunk of
replications is played at once, with the same results, by :mod:`sim.engine.chunk_lifecycle` when it supports
every construct of the scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, cast

import simpy

from sim.engine.clock import Proc
from sim.engine.courts import Courts
from sim.engine.decisions import Decisions, chain_length
from sim.engine.timeline import MeasureState
from sim.scenario.schema import Measure, Shelving, Waiver

PHASES: Final = ("events", "lifts", "shelving", "courts", "decisions", "deferrals", "deadlines", "waivers")
"""The same-day order of operations, written once (``docs/calendar.md`` rule 5), with its side rules:

0. ``events`` occur. An event whose ``requires`` names an event still due to occur that day waits for it (it
   is scheduled again in this phase until the required one is decided), so same-day requirements count. A
   trigger on a measure's state (``ban.deferred + 0d``) that fires later in the day occurs at once, after
   the actions already scheduled that day at a lower phase; ``{after: ban, in_force_for: 30d}`` fires in this
   phase of the day the count of days in force reaches 30.
1. ``lifts``: a ``lifted_by`` event that occurred today lifts its measure (before it can take effect today).
2. ``shelving``: shelving, and revival; a revived measure whose deadline has passed is due again in phase 6,
   after the day's court decisions, as at a deadline.
3. ``courts``: injunction decisions and appeal rulings; a shared ruling rules on each of its measures, in the
   order they are listed in the file.
4. ``decisions``: extension decisions dated today, in the order they are listed; one on a deadline's day comes
   before that deadline's deferral draw, and one after a measure came into force suspends it until the new
   deadline (none for a lifted or cancelled measure).
5. ``deferrals``: an extension drawn at the deadline moves it (none for a lifted or cancelled measure).
6. ``deadlines``: the measure takes effect, or is cancelled by an ``unless`` event seen so far (today's too).
7. ``waivers`` start, end and are renewed; same-day waiver changes of a measure apply in the order they were
   scheduled, the day's last share counting.
8. Phase-in steps come last, outside SimPy (:func:`sim.engine.segments.profile`): a step falling on a day the
   measure is suspended is dropped, and a measure that comes back restarts its phase-in.

Within a phase, SimPy keeps scheduling order; an action triggered by another on the same day (an event
anchored ``measure + 0d``) runs at once, after the actions already scheduled at a lower phase.
"""


class Replication(Courts, Decisions):
    """The timeline of replication ``r``: run it with :meth:`run`, then read ``states`` and ``log``."""

    EVENTS, LIFTS, SHELVING, COURTS, DECISIONS, DEFERRALS, DEADLINES, WAIVERS = range(len(PHASES))

    def run(self) -> Replication:
        """Play the timeline to the end of the window."""
        for e in self.s.events:
            self.env.process(self._event(e.id))
        for m in self.s.measures:
            self.env.process(self._measure(m))
        self.env.run(until=self.horizon + 1)
        return self

    # -- events -------------------------------------------------------------------------------------------
    def _event(self, eid: str) -> Proc:
        e = next(x for x in self.s.events if x.id == eid)
        name = f"event:{eid}:date"
        day = (round(self.d.date(name, e.date, self.r)) if e.date.anchor is None
               else (yield from self.when(name, e.date)))
        if day > self.horizon:
            return
        self.pending[eid] = max(int(day), int(self.env.now))
        yield self.at(day, self.EVENTS)
        missing = [q for q in e.requires if not self.occurred[q].triggered]
        while any(self.pending.get(q) == self.env.now for q in missing):
            yield self.at(self.env.now, self.EVENTS)  # a required event is still to occur today: let it go first
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
    def _measure(self, m: Measure) -> Proc:
        st = self.states[m.id]
        for ev in m.lifted_by:  # callbacks, not processes: a lift is one dated action
            self.occurred[ev].callbacks.append(self._lifter(m, ev))
        if m.shelving is not None:
            self.env.process(self._shelving(m, m.shelving))
        for c in self.lawsuits(m):  # courts and waivers keep their own dates, even while the deadline is unknown
            self._start_challenge(m, c)
        for w in m.waivers:
            self.env.process(self._waiver(m, w))
        for dec in m.decisions:
            self.env.process(self.decision(m, dec))
        name = f"measure:{m.id}:deadline"
        deadline = (round(self.d.date(name, m.deadline, self.r)) if m.deadline.anchor is None
                    else (yield from self.when(name, m.deadline)))
        st.deadline = deadline
        self.occurred[m.id + ".deadline"].succeed(deadline)
        d = m.deferral
        cap = chain_length(d)
        while True:
            while st.deadline <= self.horizon and d is not None and st.chain < cap:
                yield self.at(st.deadline, self.DEFERRALS)
                if self.env.now != st.deadline:  # a decision moved the deadline meanwhile
                    if self.env.now > st.deadline:
                        return  # brought forward: the decision's own process takes it from here
                    continue
                if st.lifted or st.cancelled or not self.defer(m, d, cap):
                    cap = st.chain  # a failed draw ends the chain
                    break
            if st.deadline > self.horizon or st.lifted or st.cancelled:
                return
            yield self.at(st.deadline, self.DEADLINES)
            if self.env.now > st.deadline:
                return  # brought forward by a decision, whose own process takes it from here
            if self.env.now == st.deadline or st.lifted:
                break  # else a decision moved the deadline later meanwhile
        if not st.lifted:
            self.reach_deadline(m)

    def _lifter(self, m: Measure, event: str) -> Callable[[simpy.Event], None]:
        """The callback run when ``event`` occurs: lift ``m`` on that day, in the lifts phase."""

        def act(_: simpy.Event) -> None:
            st = self.states[m.id]
            if not (st.lifted or st.cancelled):
                st.lifted = True
                self.note(m.id, "lifted", f"{event} occurred")
                self.mark(m.id, "lifted")
                self.update(m, f"lifted: {event}")

        def schedule(occurred: simpy.Event) -> None:
            day = cast(int, occurred.value)  # events succeed with the day they occurred
            self.at(day, self.LIFTS).callbacks.append(act)

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
        yield self.at(day, self.SHELVING)
        if st.lifted or st.cancelled or not self.d.happens(name, sh.probability, self.r):
            return
        st.shelved = True
        st.shelvings += 1
        self.note(m.id, "shelved", why)
        self.mark(m.id, "shelved")
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
        yield self.at(due, self.SHELVING)
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
        yield self.at(self.env.now, self.DEADLINES)
        self.states[m.id].due = True
        self.update(m, "deadline after revival")

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
        yield self.at(start, self.WAIVERS)
        if st.lifted or st.cancelled:  # final states: nothing left to exempt (enjoined/shelved may come back)
            return
        share = self.d.value(name + ":share", w.share, self.r)
        self._set_waiver(st, w.id, share, f"waiver {w.id} starts ({share:.0%} exempt)")
        if until is not None:
            end = yield until
        renewals = 0
        while end <= self.horizon:
            yield self.at(end, self.WAIVERS)
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
