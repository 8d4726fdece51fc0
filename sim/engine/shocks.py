"""Shocks on the timeline of one replication: when each begins and ends (``docs/engine.md``, Shocks).

A shock (an outage, a migration wave) is played like an event, in the ``events`` phase of
:data:`sim.engine.lifecycle.PHASES`: on its date it begins (with its probability), and after its duration it
ends. Its timeline is a :class:`sim.engine.timeline.MeasureState` whose switches :mod:`sim.engine.segments`
turns into effect intensities, as for a measure; unlike a measure's, those intensities are kept in the
counterfactual (:mod:`sim.engine.replications`). Its draws come from ``shock:<id>:date``, ``shock:<id>:u`` and
``shock:<id>:duration``, so a shock leaves every other stream's draws as they were.
"""

from __future__ import annotations

import math

from sim.engine.lifecycle import Proc, Replication
from sim.engine.timeline import MeasureState
from sim.scenario.schema import Shock


def play(rep: Replication, shock: Shock, state: MeasureState) -> Proc:
    """The SimPy process of ``shock`` in ``rep``: record its switches in ``state`` and note them in the log.

    A shock lasts at least a day; one without ``duration`` lasts to the end of the window. A date before the
    window start begins it on day 0 (its duration still counts from its date). Its ``intensity`` (drawn from
    ``shock:<id>:intensity``) scales its effects' intensities from the day it begins.
    """
    name = f"shock:{shock.id}"
    day = (round(rep.d.date(name + ":date", shock.date, rep.r)) if shock.date.anchor is None
           else (yield from rep.when(name + ":date", shock.date)))
    if day > rep.horizon:
        return
    yield rep.at(day, rep.EVENTS)
    if not rep.d.happens(name, shock.probability, rep.r):
        return
    end = rep.later(day, name + ":duration", shock.duration) if shock.duration is not None else math.inf
    end = max(end, day + 1)
    if end <= rep.env.now:  # over before the window starts
        return
    if shock.intensity is not None:  # a share of each day's effect, as a waiver keeps a share of a measure's
        state.waiver_changes.append((int(rep.env.now), rep.d.value(name + ":intensity", shock.intensity, rep.r)))
    state.switches.append((int(rep.env.now), True))
    days = int(end - day) if math.isfinite(end) else 0
    rep.note(shock.id, "began", f"for {days} day{'s' if days != 1 else ''}" if days else "to the end of the window")
    if end <= rep.horizon:
        yield rep.at(end, rep.EVENTS)
        state.switches.append((int(rep.env.now), False))
        rep.note(shock.id, "ended")


def shock_states(rep: Replication) -> list[MeasureState]:
    """Start the process of every shock of ``rep``'s scenario (before :meth:`Replication.run`); their states,
    in the order of ``shocks``, are filled as the replication runs."""
    states = [MeasureState() for _ in rep.s.shocks]
    for shock, state in zip(rep.s.shocks, states, strict=True):
        rep.env.process(play(rep, shock, state))
    return states
