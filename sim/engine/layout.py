"""The segment tables of a chunk: effect profiles per replication, change days and configs per solved row.

A *row* of the solver is a replication, or, with a cohort measure, a weighted copy of one
(:mod:`sim.engine.cohorts`). :class:`EffectProfiles` turns a replication's timelines (measures, then shocks)
into each effect's intensity over time; :class:`Layout` gathers every row's change days, the distinct configs
of each replication (shared by its copies, so they share its matrix exponentials) and, with copies, each
row's replication and share (:func:`sim.engine.dynamics.solve`'s ``owner`` and ``weight``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from sim.engine.coefficients import Coefficients
from sim.engine.cohorts import Members, copies
from sim.engine.draws import ChunkDraws
from sim.engine.effects import ACTIONS, EffectRef, calendar_months, effect_stream, schedule_from
from sim.engine.segment_coefficients import Params
from sim.engine.segments import Profile, Segments, distinct_by, intensities, profile, scheduled, segment_table
from sim.engine.timeline import MeasureState
from sim.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
OFF: Profile = [(0, 0.0)]
"""The profile of an effect that never acts (a measure's, in the counterfactual)."""
Row = tuple[float, IntArray, FloatArray]
"""One solved row: its share, its change days ``(S,)`` and the intensities and in-force flags of each segment
``(S, effects + measures)``."""


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
        self._schedules = [ACTIONS[ref.effect.type].schedule for ref in refs]
        self._R = R

    @cached_property
    def _rows(self) -> tuple[list[list[float]], list[list[float]]]:
        """Each chunk row's phase-ins, in days and in months, as floats (reading numpy scalars effect by effect
        costs more than the profiles; only the per-row paths read them)."""
        E, R = len(self.refs), self._R
        return (np.array(self.phase).reshape(E, R).T.tolist(), np.array(self.phase_months).reshape(E, R).T.tolist())

    def of(self, k: int, states: list[MeasureState], only: int | None = None,
           base: list[Profile] | None = None) -> list[Profile]:
        """Each effect's profile in chunk row ``k`` from the timelines ``states`` (measures, then shocks); with
        ``only``, the effects of that timeline alone are computed, the others taken from ``base``."""
        cache: dict[tuple[int, float, float, int | None], Profile] = {}
        profs = []
        phases, months = self._rows[0][k], self._rows[1][k]
        for e, ref in enumerate(self.refs):  # effects of one measure with the same phase-in share a profile
            if only is not None and ref.measure != only:
                assert base is not None
                profs.append(base[e])
                continue
            key = (ref.measure, phases[e], months[e], ref.effect.steps)
            if key not in cache:
                cache[key] = profile(states[ref.measure], key[1], key[3], self.horizon, key[2], self.day0)
            schedule, life_months = self._schedules[e], self.months[e]
            if schedule is None:
                profs.append(cache[key])
                continue
            profs.append(scheduled(cache[key], states[ref.measure], schedule_from(
                schedule, float(self.params.effect_value[e][k]),
                None if life_months is None else float(life_months[k]), self.day0), self.horizon))
        return profs

    def table_columns(self, k: int, states: list[MeasureState], M: int) -> list[Profile]:
        """The columns of chunk row ``k``'s table: each effect's profile, then each measure's in-force flag."""
        return [*self.of(k, states), *(in_force(st) for st in states[:M])]

    def rows(self, k: int, states: list[MeasureState], M: int, found: Members | None) -> list[Row]:
        """The solved rows of chunk row ``k``: the replication itself, or one copy per distinct member
        timeline of the cohort measure (``found``)."""
        profs = self.of(k, states)
        forced = [in_force(st) for st in states[:M]]
        days, table = intensities([*profs, *forced], self.horizon)
        if found is None:
            return [(1.0, days, table)]
        mi = found.measure
        if self.masked[mi]:  # each member's intensities are the measure's from its day on: no profile to redo
            return whole(masked_copies(found, k, days, table, [*self.columns[mi], len(self.refs) + mi],
                                       self.horizon))
        out = []
        for w, st in copies(found, k, states[mi]):
            mine = [*states[:mi], st, *states[mi + 1:]]
            flags = [*forced[:mi], in_force(st), *forced[mi + 1:]]
            out.append((w, *intensities([*self.of(k, mine, mi, profs), *flags], self.horizon)))
        return whole(out)

    def counterfactual(self, k: int, states: list[MeasureState], M: int) -> list[Profile]:
        """The columns of chunk row ``k`` without the measures: only the shocks' effects act."""
        profs = [OFF if ref.measure < M else p for ref, p in zip(self.refs, self.of(k, states), strict=True)]
        return [*profs, *([OFF] * M)]


def whole(rows: list[Row]) -> list[Row]:
    """``rows``, with the share of a lone copy exactly 1 (the cohorts' shares add up to 100%, their sum in
    floating point may not): every member with the same timeline is solved as the replication itself."""
    return [(1.0, rows[0][1], rows[0][2])] if len(rows) == 1 else rows


def masked_copies(found: Members, k: int, days: IntArray, table: FloatArray, columns: list[int],
                  horizon: int) -> list[Row]:
    """The rows of replication ``k``'s copies when a member bound from day ``d`` has the replication's
    intensities from ``d`` on and, before it, those with ``columns`` (the measure's effects and in-force
    flag) at 0; members with the same rows are one copy, their shares summed.

    Example:
        >>> from sim.engine.cohorts import Members
        >>> found = Members(0, np.array([0.5, 0.25, 0.25]), np.array([[0, 20, 30]]))
        >>> table = np.array([[0.0, 0.0], [1.0, 1.0]])
        >>> [(w, d.tolist(), t.tolist()) for w, d, t in masked_copies(found, 0, np.array([0, 10]), table, [0, 1],
        ...                                                          100)]
        [(0.5, [0, 10], [[0.0, 0.0], [1.0, 1.0]]), (0.25, [0, 20], [[0.0, 0.0], [1.0, 1.0]]), \
(0.25, [0, 30], [[0.0, 0.0], [1.0, 1.0]])]
    """
    zero = table.copy()
    zero[:, columns] = 0.0
    shares: dict[int, float] = {}
    for d, w in zip(found.days[k].tolist(), found.weights.tolist(), strict=True):
        shares[min(max(d, 0), horizon + 1)] = shares.get(min(max(d, 0), horizon + 1), 0.0) + w
    merged: dict[tuple[bytes, bytes], Row] = {}
    for d, w in shares.items():
        at = int(np.searchsorted(days, d, side="right")) - 1  # the segment day d falls in
        seg_days, seg = days[: at + 1], zero[: at + 1]
        if d <= horizon:
            before = seg_days < d
            seg_days = np.concatenate([seg_days[before], [d], days[at + 1:]])
            seg = np.concatenate([seg[before], table[at:]])
        kept = np.append(True, (seg[1:] != seg[:-1]).any(axis=1))  # a segment starts where its row changes
        seg_days, seg = seg_days[kept], seg[kept]
        key = (seg_days.tobytes(), seg.tobytes())
        merged[key] = (merged[key][0] + w if key in merged else w, seg_days, seg)
    return list(merged.values())


def in_force(state: MeasureState) -> Profile:
    """A timeline's in-force flag as a profile (1 in force, 0 not)."""
    return [(0, 0.0), *((d, 1.0 if on else 0.0) for d, on in state.switches)]


GROUP_BYTES = 8 * 2**20
"""The tables of this many bytes of replications are built and turned into coefficients at a time: the tables
grow with segments x (effects + measures), the coefficients only with the segments."""
Solve = Callable[[IntArray, FloatArray], Coefficients]
"""``coefficients(owner, configs)``: the coefficients of configs ``(N, width)`` of replications ``owner`` (N,),
as ``(N, 1, ...)`` arrays."""
Batch = tuple[IntArray, FloatArray, Segments]
"""Solved rows of some replications: each row's replication (non-decreasing; a replication's rows all in one
batch), its share, and the rows' segments."""


def column_batches(columns: Iterable[list[Profile]], horizon: int) -> Iterator[Batch]:
    """One solved row per replication, from each replication's columns (effect profiles, then in-force flags),
    in batches of about :data:`GROUP_BYTES` of tables (:func:`sim.engine.segments.segment_table`)."""
    pending: list[list[Profile]] = []
    size, first = 0, 0
    for cols in columns:
        pending.append(cols)
        size += len({d for p in cols for d, _ in p}) * len(cols) * 8  # at most this many bytes of its table
        if size > GROUP_BYTES:
            yield _one_each(first, pending, horizon)
            first, size = first + len(pending), 0
            pending = []
    if pending:
        yield _one_each(first, pending, horizon)


def _one_each(first: int, columns: list[list[Profile]], horizon: int) -> Batch:
    return np.arange(first, first + len(columns)), np.ones(len(columns)), segment_table(columns, horizon)


def row_batches(per_rep: Iterable[list[Row]]) -> Iterator[Batch]:
    """The solved rows of each replication (its own or its copies, see :meth:`EffectProfiles.rows`), in
    batches of about :data:`GROUP_BYTES` of tables."""
    owner: list[int] = []
    rows: list[Row] = []
    size = 0
    for k, found in enumerate(per_rep):
        owner += [k] * len(found)
        rows += found
        size += sum(t.nbytes for _, _, t in found)
        if size > GROUP_BYTES:
            yield _joined(owner, rows)
            owner, rows, size = [], [], 0
    if rows:
        yield _joined(owner, rows)


def _joined(owner: list[int], rows: list[Row]) -> Batch:
    offsets = np.cumsum([0, *(len(d) for _, d, _ in rows)])
    seg = Segments(offsets, np.concatenate([d for _, d, _ in rows]), np.concatenate([t for _, _, t in rows]))
    return np.array(owner, dtype=np.int64), np.array([w for w, _, _ in rows]), seg


@dataclass
class Layout:
    """The segment tables and coefficients of a chunk's solved rows (see :func:`sim.engine.dynamics.solve`)."""

    seg_start: IntArray  # (R', S) change days of each row
    seg_config: IntArray  # (R', S) config of each segment
    coef: Coefficients  # (R, C, ...) the coefficients of each replication's configs (padding: zeros)
    owner: IntArray | None  # (R',) each row's replication; None: one row per replication
    weight: FloatArray | None  # (R',) each row's share of every population; None: 1

    @classmethod
    def of(cls, batches: Iterable[Batch], horizon: int, coefficients_of: Solve) -> Layout:
        """The tables of the solved rows of ``batches`` (see :func:`column_batches`, :func:`row_batches`); the
        configs of a replication are those of all its rows. Only the coefficients of the configs are kept, not
        their intensities."""
        owners, shares, lens, days, local = [], [], [], [], []
        parts: list[tuple[IntArray, IntArray, Coefficients]] = []
        for owner, share, seg in batches:
            reps, at = np.unique(owner, return_index=True)
            configs, inverse, starts = distinct_by(seg.table, np.append(seg.offsets[at], seg.offsets[-1]))
            count = np.diff(starts)
            conf_owner = np.repeat(reps, count)
            parts.append((conf_owner, np.arange(conf_owner.size) - np.repeat(starts[:-1], count),
                          coefficients_of(conf_owner, configs)))
            owners.append(owner)
            shares.append(share)
            lens.append(np.diff(seg.offsets))
            days.append(seg.days)
            local.append(inverse)
        owner, share, size = np.concatenate(owners), np.concatenate(shares), np.concatenate(lens)
        rows, S, R = size.size, int(size.max()), int(owner[-1]) + 1
        seg_start = np.full((rows, S), horizon + 1, dtype=np.int64)
        seg_config = np.zeros((rows, S), dtype=np.int64)
        row = np.repeat(np.arange(rows), size)
        pos = np.arange(row.size) - np.repeat(np.cumsum(size) - size, size)
        seg_start[row, pos] = np.concatenate(days)
        seg_config[row, pos] = np.concatenate(local)
        coef = _placed(parts, R)
        if rows == R and bool((share == 1.0).all()):
            return cls(seg_start, seg_config, coef, None, None)
        return cls(seg_start, seg_config, coef, owner, share)

    def x0(self, x0: FloatArray) -> FloatArray:
        """Each row's initial stocks: its replication's, times its share."""
        return x0 if self.owner is None or self.weight is None else x0[self.owner] * self.weight[:, None]


def _placed(parts: list[tuple[IntArray, IntArray, Coefficients]], R: int) -> Coefficients:
    """``(R, C, ...)`` coefficients from those of each replication's configs (``owner``, ``local`` index);
    configs a replication does not have are zeros (valid, and never read by the solver)."""
    C = 1 + max(int(local.max()) for _, local, _ in parts)
    first = parts[0][2]
    arrays = {name: np.zeros((R, C, *getattr(first, name).shape[2:])) for name in ("b", "g", "d", "T", "W")}
    for owner, local, coef in parts:
        for name, arr in arrays.items():
            arr[owner, local] = getattr(coef, name)[:, 0]
    return Coefficients(**arrays)
