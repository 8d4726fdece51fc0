"""Cohorts: a measure whose members are bound from dates of their own, solved as weighted copies.

A measure with ``cohorts`` splits its members into groups; member ``j`` of a group holds ``share / members``
of every population and is bound from its own date (its start, drawn per member from ``start`` or read from
``starts``, plus ``period``; a start relative to an event or a measure's state counts from the day it came in
the replication's finished timeline): it is bound while the measure is in force and that date has come. The dynamics
are linear, so the run is exactly the sum of weighted copies of the world, one per member: copy ``j`` starts
with share ``w_j`` of every stock and inflow and sees the measure through member ``j``'s dates. Members whose
dates give the same timeline in a replication are one copy with their shares summed, and the copies of a
replication share its matrix exponentials (:func:`sim.engine.dynamics.solve`, ``owner`` and ``weight``), so a
hundred members cost far less than a hundred runs (``docs/performance.md``, Cohorts).

Draws: ``cohort:<measure>:<group>:start`` (one column per member), ``...:start:<j>`` for the ``j``-th of
``starts``, and ``...:period`` (one column per member).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.engine.draws import ChunkDraws
from sim.engine.timeline import MeasureState
from sim.scenario.calendar import add_month_span
from sim.scenario.dates import DateSpec
from sim.scenario.schema import Cohort, Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NEVER = 1_000_000
"""The member day of a start whose anchor never came: far past any window (the layout clips it)."""


@dataclass(frozen=True)
class Members:
    """The members of a chunk's cohort measure: each one's share, and the day it is bound from."""

    measure: int  # index of the measure with cohorts
    weights: FloatArray  # (N,) each member's share of every population
    days: IntArray  # (R, N) the day (since the window start) each member is bound from


def members(s: Scenario, draws: ChunkDraws, anchors: Sequence[Mapping[str, int]] = ()) -> Members | None:
    """The members of ``s``'s measure with cohorts, drawn for the chunk; ``None`` if no measure has any.

    ``anchors`` holds, per replication of the chunk, the day each anchor fell on in its finished timeline
    (:meth:`sim.engine.clock.Clock.anchor_days`): a start relative to an event or a measure's state counts
    from it, and a member whose anchor never came is never bound.
    """
    mi = next((i for i, m in enumerate(s.measures) if m.cohorts), None)
    if mi is None:
        return None
    m = s.measures[mi]
    assert m.cohorts is not None
    weights, days = [], []
    for g in m.cohorts:
        d = _member_days(draws, f"cohort:{m.id}:{g.id}", g, anchors)
        days.append(d)
        weights.append(np.full(d.shape[1], g.share.params[0] / d.shape[1]))
    return Members(mi, np.concatenate(weights), np.concatenate(days, axis=1))


def _starts(draws: ChunkDraws, name: str, spec: DateSpec, width: int, anchors: Sequence[Mapping[str, int]]
            ) -> FloatArray:
    """``(R, width)`` start days of stream ``name``: absolute, or the anchor's day in each replication plus the
    offset (then ``months`` calendar months; :data:`NEVER` if the anchor never came)."""
    R = draws.stop - draws.start
    offsets = draws.values(name, spec.offset, width=width).reshape(R, width)
    if spec.anchor is None:
        return offsets
    day0, out = draws.day0, np.full((R, width), float(NEVER))
    months = draws.month_values(name, spec.offset, width=width).reshape(R, width) if spec.offset.month_params \
        else None
    for k, at in enumerate(a.get(spec.anchor) for a in anchors):
        if at is None:
            continue
        if months is not None:  # an uncertain offset in months: calendar months from the anchor
            out[k] = [add_month_span(day0 + at, float(x)) - day0 for x in months[k]]
        else:
            out[k] = [spec.from_anchor(day0 + at, float(x)) - day0 for x in offsets[k]]
    return out


def _member_days(draws: ChunkDraws, name: str, g: Cohort, anchors: Sequence[Mapping[str, int]]) -> IntArray:
    R = draws.stop - draws.start
    if g.starts is not None:
        starts = np.concatenate([_starts(draws, f"{name}:start:{j}", spec, 1, anchors)
                                 for j, spec in enumerate(g.starts)], axis=1)
    else:
        assert g.start is not None
        starts = _starts(draws, name + ":start", g.start, g.members or 1, anchors)
    days = np.round(starts).astype(np.int64)
    if g.period is None:
        return days
    N = days.shape[1]
    if not g.period.month_params:
        return days + np.round(draws.values(name + ":period", g.period, width=N).reshape(R, N)).astype(np.int64)
    months = draws.month_values(name + ":period", g.period, width=N).reshape(R, N)
    day0 = draws.day0
    ends = [[add_month_span(day0 + int(a), float(b)) - day0 for a, b in zip(row, mrow, strict=True)]
            for row, mrow in zip(days.tolist(), months.tolist(), strict=True)]
    return np.asarray(ends, dtype=np.int64)


def member_state(state: MeasureState, day: int) -> MeasureState:
    """The timeline of a member bound from ``day``: the measure's, but in force only from that day on (its
    phase-in, if any, starting then).

    Example:
        >>> st = MeasureState(switches=[(10, True), (40, False), (60, True)])
        >>> member_state(st, 20).switches, member_state(st, 50).switches, member_state(st, 5).switches
        ([(20, True), (40, False), (60, True)], [(60, True)], [(10, True), (40, False), (60, True)])
    """
    before = [on for d, on in state.switches if d <= day]
    later = [(d, on) for d, on in state.switches if d > day]
    return MeasureState(switches=([(day, True)] if before and before[-1] else []) + later,
                        waiver_changes=state.waiver_changes)


def copies(found: Members, k: int, state: MeasureState) -> Iterator[tuple[float, MeasureState]]:
    """The copies of replication ``k`` (its row in the chunk): ``(summed share, member timeline)`` for each
    distinct timeline the members have, in order of first appearance."""
    shares: dict[tuple[tuple[int, bool], ...], float] = {}
    timelines: dict[tuple[tuple[int, bool], ...], MeasureState] = {}
    for day, w in zip(found.days[k].tolist(), found.weights.tolist(), strict=True):
        st = member_state(state, day)
        key = tuple(st.switches)
        shares[key] = shares.get(key, 0.0) + w
        timelines.setdefault(key, st)
    for key, w in shares.items():
        yield w, timelines[key]
