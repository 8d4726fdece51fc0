"""The segment tables of a chunk: effect profiles per replication, change days and configs per solved row.

A *row* of the solver is a replication, or, with a cohort measure, a weighted copy of one
(:mod:`sim.engine.cohorts`). :class:`EffectProfiles` turns a replication's timelines (measures, then shocks)
into each effect's intensity over time; :class:`Layout` gathers every row's change days, the distinct configs
of each replication (shared by its copies, so they share its matrix exponentials) and, with copies, each
row's replication and share (:func:`sim.engine.dynamics.solve`'s ``owner`` and ``weight``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.engine.cohorts import Members, copies
from sim.engine.draws import ChunkDraws
from sim.engine.dynamics import Trajectory
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
        if found is None:
            return [(1.0, *intensities(profs, forced, self.horizon))]
        out = []
        for w, st in copies(found, k, states[found.measure]):
            mine = [*states[:found.measure], st, *states[found.measure + 1:]]
            flags = [*forced[:found.measure], in_force(st), *forced[found.measure + 1:]]
            out.append((w, *intensities(self.of(k, mine, found.measure, profs), flags, self.horizon)))
        return out

    def counterfactual(self, k: int, states: list[MeasureState], M: int) -> list[Row]:
        """The row of chunk row ``k`` without the measures: only the shocks' effects act."""
        profs = [OFF if ref.measure < M else p for ref, p in zip(self.refs, self.of(k, states), strict=True)]
        return [(1.0, *intensities(profs, [OFF] * M, self.horizon))]


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

    def summed(self, traj: Trajectory) -> Trajectory:
        """The trajectory of each replication: the sum of its rows' (exact: the dynamics are linear)."""
        if self.owner is None:
            return traj
        first = np.flatnonzero(np.r_[True, np.diff(self.owner) > 0])
        return Trajectory(*(np.add.reduceat(getattr(traj, f), first, axis=0) for f in traj.__dataclass_fields__))
