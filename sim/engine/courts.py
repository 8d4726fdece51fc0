"""Lawsuits against measures: a measure's own challenges, and rulings shared by several measures.

A challenge's decision and appeal are drawn from streams named after it (``challenge:<id>:injunction``...),
a shared ruling's from ``ruling:<id>:...``: every measure a ruling covers reads the same draws, so the ruling
is drawn once per replication and enjoins (or spares) all of them alike.
"""

from __future__ import annotations

import math

from sim.engine.clock import Clock, Proc
from sim.scenario.schema import Challenge, Measure, Ruling


def stream(c: Challenge) -> str:
    """The stream-name prefix of a lawsuit's draws: ``ruling:<id>`` for a shared ruling, else
    ``challenge:<id>``."""
    return f"{'ruling' if isinstance(c, Ruling) else 'challenge'}:{c.id}"


class Courts(Clock):
    """The court part of a replication's timeline."""

    def lawsuits(self, m: Measure) -> list[Challenge]:
        """The measure's own challenges, then the shared rulings that name it."""
        return [*m.challenges, *(c for c in self.s.rulings if m.id in c.measures)]

    def _start_challenge(self, m: Measure, c: Challenge) -> None:
        """Schedule a lawsuit's decision: directly when its dates are absolute, else as a process that waits
        for their anchors (a callback costs SimPy less than a process, and most court dates are absolute)."""
        if c.decision.anchor is None and (c.filed is None or c.filed.anchor is None):
            day = self._court_day(c, self.d.date(f"{stream(c)}:decision", c.decision, self.r))
            if day <= self.horizon:
                self.at(day, self.COURTS).callbacks.append(lambda _: self._decide(m, c))
        else:
            self.env.process(self._challenge(m, c))

    def _court_day(self, c: Challenge, decision: float, filed: float | None = None) -> int:
        if c.filed is not None and filed is None:
            filed = self.d.date(f"{stream(c)}:filed", c.filed, self.r)
        return round(decision if filed is None else max(decision, filed))

    def _challenge(self, m: Measure, c: Challenge) -> Proc:
        name = stream(c)
        decision = yield from self.when(name + ":decision", c.decision)
        filed = (yield from self.when(name + ":filed", c.filed)) if c.filed is not None else None
        day = self._court_day(c, decision, filed)
        if day <= self.horizon:
            yield self.at(day, self.COURTS)
            self._decide(m, c)

    def _decide(self, m: Measure, c: Challenge) -> None:
        """The court rules on the injunction (and schedules the appeal)."""
        st, name = self.states[m.id], stream(c)
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
        self.mark(m.id, "enjoined")
        self.update(m, "enjoined")
        a = c.appeal
        if a is None or not self.d.happens(name + ":appeal", a.probability, self.r):
            return
        ruling = self.later(self.env.now, name + ":appeal_delay", a.decision)
        if ruling <= self.horizon:
            self.at(ruling, self.COURTS).callbacks.append(lambda _: self._appeal(m, c))

    def _appeal(self, m: Measure, c: Challenge) -> None:
        """The appeal court upholds or reverses the injunction."""
        assert c.appeal is not None
        if self.d.happens(f"{stream(c)}:reversal", c.appeal.reversal, self.r):
            st = self.states[m.id]
            st.enjoined_by.discard(c.id)
            st.enjoined = bool(st.enjoined_by)
            self.note(m.id, "injunction reversed on appeal", c.title or c.id)
            self.update(m, "injunction reversed")
        else:
            self.note(m.id, "injunction upheld on appeal", c.title or c.id)
