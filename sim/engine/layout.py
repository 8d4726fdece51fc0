"""The segment tables of a chunk: effect profiles per replication, change days and configs per solved row.

A *row* of the solver is a replication, or, with a cohort measure, a weighted copy of one
(:mod:`sim.engine.cohorts`). :class:`EffectProfiles` turns a replication's timelines (measures, then shocks)
into each effect's intensity over time; :class:`Layout` gathers every row's change days, the distinct configs
of each replication (shared by its copies, so they share its matrix exponentials) and, with copies, each
row's replication and share (:func:`sim.engine.dynamics.solve`'s ``owner`` and ``weight``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.engine.cohorts import Members, copies
from sim.engine.draws import ChunkDraws
from sim.engine.effects import ACTIONS, EffectRef, calendar_months, effect_stream, schedule_from
from sim.engine.segments import Params, Profile, distinct, intensities, profile, scheduled
from sim.engine.timeline import MeasureState
from sim.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
OFF: Profile = [(0, 0.0)]
"""The profile of an effect that never acts (a measure's, in the counterfactual)."""
Row = tuple[float, list[int], list[tuple[float, ...]]]
"""One solved row: its share, its change days and the intensities and in-force flags of each segment."""


class EffectProfiles:
    """The intensity profile of every effect, per replication of a chunk, from its timelines.

    The phase-in of each effect and the calendar months of a duration in months are drawn once for the
    chunk, from ``param:<measures|shocks>.<id>.effects.<i>.phase_in`` and the stream of its value.
    """

    def __init__(self, s: Scenario, draws: ChunkDraws, refs: list[EffectRef], params: Params, horizon: int):
        R = draws.stop - draws.start
        self.refs, self.params, self.horizon, self.day0 = refs, params, horizon, s.start_day
        names = [effect_stream(s, ref, "phase_in") for ref in refs]
        self.phase = [draws.values(name, ref.effect.phase_in) if ref.effect.phase_in is not None else np.zeros(R)
                      for name, ref in zip(names, refs, strict=True)]
        self.phase_months = [draws.month_values(name, ref.effect.phase_in)  # calendar months, from each (re)start
                             if ref.effect.phase_in is not None and ref.effect.phase_in.month_params else np.zeros(R)
                             for name, ref in zip(names, refs, strict=True)]
        self.months = calendar_months(s, draws, refs)  # a retirement life in months ends on its calendar day
        owners = len(s.measures) + len(s.shocks)
        self.columns = [[e for e, ref in enumerate(refs) if ref.measure == i] for i in range(owners)]
        # A timeline whose effects have no phase-in and no schedule acts at its intensity x [day >= d] when
        # bound from day d (a member of a cohort): its members' rows are the measure's, masked.
        self.masked = [all(refs[e].effect.phase_in is None and ACTIONS[refs[e].effect.type].schedule is None
                           for e in cols) for cols in self.columns]

    def of(self, k: int, states: list[MeasureState], only: int | None = None,
           base: list[Profile] | None = None) -> list[Profile]:
        """Each effect's profile in chunk row ``k`` from the timelines ``states`` (measures, then shocks); with
        ``only``, the effects of that timeline alone are computed, the others taken from ``base``."""
        cache: dict[tuple[int, float, float, int | None], Profile] = {}
        profs = []
        for e, ref in enumerate(self.refs):  # effects of one measure with the same phase-in share a profile
            if only is not None and ref.measure != only:
                assert base is not None
                profs.append(base[e])
                continue
            key = (ref.measure, float(self.phase[e][k]), float(self.phase_months[e][k]), ref.effect.steps)
            if key not in cache:
                cache[key] = profile(states[ref.measure], key[1], key[3], self.horizon, key[2], self.day0)
            schedule, life_months = ACTIONS[ref.effect.type].schedule, self.months[e]
            profs.append(cache[key] if schedule is None else scheduled(cache[key], states[ref.measure], schedule_from(
                schedule, float(self.params.effect_value[e][k]),
                None if life_months is None else float(life_months[k]), self.day0), self.horizon))
        return profs

    def rows(self, k: int, states: list[MeasureState], M: int, found: Members | None) -> list[Row]:
        """The solved rows of chunk row ``k``: the replication itself, or one copy per distinct member
        timeline of the cohort measure (``found``)."""
        profs = self.of(k, states)
        forced = [in_force(st) for st in states[:M]]
        days, rows = intensities(profs, forced, self.horizon)
        if found is None:
            return [(1.0, days, rows)]
        mi = found.measure
        if self.masked[mi]:  # each member's intensities are the measure's from its day on: no profile to redo
            return masked_copies(found, k, days, rows, [*self.columns[mi], len(self.refs) + mi], self.horizon)
        out = []
        for w, st in copies(found, k, states[mi]):
            mine = [*states[:mi], st, *states[mi + 1:]]
            flags = [*forced[:mi], in_force(st), *forced[mi + 1:]]
            out.append((w, *intensities(self.of(k, mine, mi, profs), flags, self.horizon)))
        return out

    def counterfactual(self, k: int, states: list[MeasureState], M: int) -> list[Row]:
        """The row of chunk row ``k`` without the measures: only the shocks' effects act."""
        profs = [OFF if ref.measure < M else p for ref, p in zip(self.refs, self.of(k, states), strict=True)]
        return [(1.0, *intensities(profs, [OFF] * M, self.horizon))]


def masked_copies(found: Members, k: int, days: list[int], rows: list[tuple[float, ...]], columns: list[int],
                  horizon: int) -> list[Row]:
    """The rows of replication ``k``'s copies when a member bound from day ``d`` has the replication's
    intensities from ``d`` on and, before it, those with ``columns`` (the measure's effects and in-force
    flag) at 0; members with the same rows are one copy, their shares summed.

    Example:
        >>> from sim.engine.cohorts import Members
        >>> found = Members(0, np.array([0.5, 0.25, 0.25]), np.array([[0, 20, 30]]))
        >>> masked_copies(found, 0, [0, 10], [(0.0, 0.0), (1.0, 1.0)], [0, 1], 100)
        [(0.5, [0, 10], [(0.0, 0.0), (1.0, 1.0)]), (0.25, [0, 20], [(0.0, 0.0), (1.0, 1.0)]), \
(0.25, [0, 30], [(0.0, 0.0), (1.0, 1.0)])]
    """
    zero = [tuple(0.0 if i in columns else v for i, v in enumerate(row)) for row in rows]
    shares: dict[int, float] = {}
    for d, w in zip(found.days[k].tolist(), found.weights.tolist(), strict=True):
        shares[min(max(d, 0), horizon + 1)] = shares.get(min(max(d, 0), horizon + 1), 0.0) + w
    merged: dict[tuple[tuple[int, tuple[float, ...]], ...], float] = {}
    for d, w in shares.items():
        at = bisect_right(days, d) - 1  # the segment day d falls in
        seg = [*zip(days[:at + 1], zero[:at + 1], strict=True)]
        if d <= horizon:
            seg = [*(p for p in seg if p[0] < d), (d, rows[at]), *zip(days[at + 1:], rows[at + 1:], strict=True)]
        kept = tuple(p for i, p in enumerate(seg) if i == 0 or p[1] != seg[i - 1][1])
        merged[kept] = merged.get(kept, 0.0) + w
    return [(w, [d for d, _ in seg], [r for _, r in seg]) for seg, w in merged.items()]


def in_force(state: MeasureState) -> Profile:
    """A timeline's in-force flag as a profile (1 in force, 0 not)."""
    return [(0, 0.0), *((d, 1.0 if on else 0.0) for d, on in state.switches)]


@dataclass
class Layout:
    """The segment tables of a chunk's solved rows (see :func:`sim.engine.dynamics.solve`)."""

    seg_start: IntArray  # (R', S) change days of each row
    seg_config: IntArray  # (R', S) config of each segment
    table: FloatArray  # (R, C, width) the intensities and in-force flags of each replication's configs
    owner: IntArray | None  # (R',) each row's replication; None: one row per replication
    weight: FloatArray | None  # (R',) each row's share of every population; None: 1

    @classmethod
    def of(cls, per_rep: list[list[Row]], horizon: int, width: int) -> Layout:
        """The tables of each replication's rows; the configs of a replication are those of all its rows."""
        starts, cfgs, tables = [], [], []
        for rows in per_rep:
            configs, inverse = distinct([r for _, _, seg in rows for r in seg])
            tables.append(configs)
            at = 0
            for _, days, seg in rows:
                starts.append(days)
                cfgs.append(inverse[at : at + len(seg)])
                at += len(seg)
        S, C = max(len(d) for d in starts), max(len(c) for c in tables)
        seg_start = np.full((len(starts), S), horizon + 1, dtype=np.int64)
        seg_config = np.zeros((len(starts), S), dtype=np.int64)
        table = np.zeros((len(per_rep), C, width))
        for i, (days, inverse) in enumerate(zip(starts, cfgs, strict=True)):
            seg_start[i, : len(days)] = days
            seg_config[i, : len(days)] = inverse
        for k, configs in enumerate(tables):
            table[k, : len(configs)] = configs
        if all(len(rows) == 1 and rows[0][0] == 1.0 for rows in per_rep):
            return cls(seg_start, seg_config, table, None, None)
        owner = np.repeat(np.arange(len(per_rep)), [len(rows) for rows in per_rep])
        return cls(seg_start, seg_config, table, owner, np.array([w for rows in per_rep for w, _, _ in rows]))

    def x0(self, x0: FloatArray) -> FloatArray:
        """Each row's initial stocks: its replication's, times its share."""
        return x0 if self.owner is None or self.weight is None else x0[self.owner] * self.weight[:, None]
