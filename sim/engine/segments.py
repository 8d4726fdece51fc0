"""From measure timelines to segments: effect intensities, piecewise constant, and the distinct configs.

An effect's *intensity* at a day is ``in_force x phase x (1 - waived share)``: 0 when its measure is not in
force; during a phase-in of ``P`` days in ``k`` steps (default: weekly steps, ``k = ceil(P / 7)``) it is
``j / k`` from day ``ceil((j - 1) P / k)`` after the measure (re)takes effect, ``j = 1..k`` (a phase-in written
in months lasts that many calendar months from that day); waivers scale it by the share not exempt. A
suspension restarts the phase-in when the measure comes back.

The segments' coefficients are :mod:`sim.engine.segment_coefficients`'s.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from sim.engine.row_hash import GROUP_MIX, first_appearance, hashes
from sim.engine.timeline import MeasureState
from sim.scenario.calendar import add_month_span

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Profile = list[tuple[int, float]]


def _ramp(day: int, phase_days: float, steps: int | None, months: float, day0: int) -> list[tuple[int, float]]:
    """The phase-in steps ``(day, level)`` of a measure (re)taking effect on ``day``; a phase-in written in
    months lasts that many calendar months from ``day`` (``docs/calendar.md`` rule 3)."""
    if months:
        phase_days = add_month_span(day0 + day, months) - (day0 + day)
    k = max(1, steps or math.ceil(phase_days / 7)) if phase_days > 0 else 1
    return [(day + math.ceil(j * phase_days / k), (j + 1) / k) for j in range(k)]


def profile(state: MeasureState, phase_days: float, steps: int | None, horizon: int, months: float = 0.0,
            day0: int = 0) -> Profile:
    """The intensity of one effect as ``(day, value)`` changes, starting ``(0, 0.0)``.

    Args:
        state: the measure's timeline.
        phase_days: the phase-in's length in days (0: none).
        steps: its number of steps (default: weekly).
        horizon: the last day.
        months: a phase-in written in months: its length in calendar months, from each day the measure
            (re)takes effect; ``phase_days`` is then ignored.
        day0: the day number of day 0 (for the calendar).

    Example:
        >>> st = MeasureState(switches=[(10, True), (40, False)])
        >>> profile(st, 14, None, 100)
        [(0, 0.0), (10, 0.5), (17, 1.0), (40, 0.0)]
    """
    if not state.waiver_changes:  # the common case: in-force flag times the phase-in step, built in order
        out: Profile = [(0, 0.0)]
        ends = [*(day for day, _ in state.switches[1:]), horizon + 1][: len(state.switches)]
        for (day, on), nxt in zip(state.switches, ends, strict=True):
            levels = [(day, 0.0)] if not on else [
                (at, level) for at, level in _ramp(day, phase_days, steps, months, day0) if at < nxt]
            for at, value in levels:
                if out[-1][0] == at:
                    out.pop()
                if not out or out[-1][1] != value:
                    out.append((at, value))
        return out or [(0, 0.0)]
    changes: dict[int, float] = {}
    switches = [*state.switches, (horizon + 1, False)]
    for (day, on), (nxt, _) in pairwise(switches):
        if not on:
            changes[day] = 0.0
            continue
        for at, level in _ramp(day, phase_days, steps, months, day0):
            if at < nxt:
                changes[at] = level
    waiver = sorted(state.waiver_changes, key=lambda c: c[0])  # stable: same-day changes keep their order
    days = sorted({0, *changes, *(d for d, _ in waiver)})
    out = []
    level, keep, ci, wi = 0.0, 1.0, sorted(changes.items()), 0
    pos = 0
    for day in days:
        while pos < len(ci) and ci[pos][0] <= day:
            level = ci[pos][1]
            pos += 1
        while wi < len(waiver) and waiver[wi][0] <= day:
            keep = waiver[wi][1]
            wi += 1
        value = level * keep
        if not out or out[-1][1] != value:
            out.append((day, value))
    return out


def scheduled(prof: Profile, state: MeasureState, steps_at: Callable[[int], Profile], horizon: int) -> Profile:
    """An effect's intensity ``prof`` times its rate (``steps_at(day)``: ``(days after taking effect, rate)``
    steps for a measure taking effect on ``day``), the clock restarting each day the measure (re)takes effect.

    Example:
        >>> st = MeasureState(switches=[(10, True), (40, False)])
        >>> steps = [(0, 0.5), (7, 2.0), (14, 0.0)]
        >>> scheduled([(0, 0.0), (10, 1.0), (40, 0.0)], st, lambda day: steps, 100)
        [(0, 0.0), (10, 0.5), (17, 2.0), (24, 0.0)]
    """
    starts, on_before = [], False
    for day, on in state.switches:
        if on and not on_before:
            starts.append(day)
        on_before = on
    steps = {s0: steps_at(s0) for s0 in starts}
    days = sorted({0, *(d for d, _ in prof), *(s0 + t for s0 in starts for t, _ in steps[s0] if s0 + t <= horizon)})
    base = _evaluate(prof, days)
    out: Profile = []
    for day, level in zip(days, base, strict=True):
        since = [s0 for s0 in starts if s0 <= day]
        value = level * _evaluate(steps[since[-1]], [day - since[-1]])[0] if since and level else 0.0
        if not out or out[-1][1] != value:
            out.append((day, value))
    return out


def _evaluate(prof: Profile, days: list[int]) -> list[float]:
    if len(prof) == 1:
        return [prof[0][1]] * len(days)
    starts = [d for d, _ in prof]  # starts[0] == 0 <= every day, so the index is never -1
    return [prof[bisect_right(starts, d) - 1][1] for d in days]


@dataclass
class Segments:
    """The segments of many solved rows, flat: row ``i``'s change days are ``days[offsets[i]:offsets[i + 1]]``
    and the same rows of ``table`` its intensities and in-force flags on each segment."""

    offsets: IntArray  # (rows + 1,)
    days: IntArray  # (N,)
    table: FloatArray  # (N, width)


def segment_table(rows: list[list[Profile]], horizon: int) -> Segments:
    """The segments of many rows at once, each row given as its columns' profiles (every row as wide): per row,
    its segment start days (the union of its columns' change days up to ``horizon``, and 0) and, per segment,
    each column's value then (its last change on or before the segment's day; of two changes on one day, the
    later). Built by column with numpy over every row: no call per row or segment.

    Example:
        >>> seg = segment_table([[[(0, 0.0), (10, 1.0)], [(0, 0.0), (15, 0.5)]], [[(0, 1.0)], [(0, 0.0)]]], 100)
        >>> seg.offsets.tolist(), seg.days.tolist(), seg.table.tolist()
        ([0, 3, 4], [0, 10, 15, 0], [[0.0, 0.0], [1.0, 0.0], [1.0, 0.5], [1.0, 0.0]])
    """
    R, width = len(rows), len(rows[0]) if rows else 0
    by_column = [cols[c] for c in range(width) for cols in rows]  # column after column: the table by column
    lens = [len(p) for p in by_column]
    count = sum(lens)
    day = np.fromiter((d for p in by_column for d, _ in p), np.int64, count)
    value = np.fromiter((v for p in by_column for _, v in p), np.float64, count)
    return _segments(R, width, np.repeat(np.arange(width * R), lens), day, value, horizon)


def segment_rows(R: int, rows: list[IntArray], days: list[IntArray], values: list[FloatArray],
                 horizon: int) -> Segments:
    """:func:`segment_table` of ``R`` rows given by column: column ``c``'s changes over every row are
    ``rows[c]``, ``days[c]``, ``values[c]`` (rows in order, each row's changes in order, from day 0).

    Example:
        >>> seg = segment_rows(2, [np.array([0, 0, 1]), np.array([0, 0, 1])], [np.array([0, 10, 0]),
        ...                    np.array([0, 15, 0])], [np.array([0.0, 1.0, 1.0]), np.array([0.0, 0.5, 0.0])], 100)
        >>> seg.offsets.tolist(), seg.days.tolist(), seg.table.tolist()
        ([0, 3, 4], [0, 10, 15, 0], [[0.0, 0.0], [1.0, 0.0], [1.0, 0.5], [1.0, 0.0]])
    """
    if not rows:  # no column: one segment per row
        return _segments(R, 0, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), horizon)
    prof = np.concatenate([c * R + r for c, r in enumerate(rows)])
    return _segments(R, len(rows), prof, np.concatenate(days), np.concatenate(values), horizon)


def segment_keys(R: int, row: IntArray, day: IntArray, horizon: int) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The segments of ``R`` rows from changes on ``(row, day)`` (days within the horizon): their sorted keys
    (``row * (horizon + 2) + day``, every row's day 0 included), each one's row, each row's first segment
    (``R + 1`` offsets) and each change's segment.

    Example:
        >>> keys, seg_row, offsets, at = segment_keys(2, np.array([0, 0, 1]), np.array([0, 5, 3]), 9)
        >>> seg_row.tolist(), offsets.tolist(), at.tolist()
        ([0, 0, 1, 1], [0, 2, 4], [0, 1, 3])
    """
    span = horizon + 2
    key = row * span + day
    # The keys are few (rows x days) against the changes: marked, then numbered in order (no sort)
    used = np.zeros(R * span, dtype=np.bool_)
    used[key] = True
    used[::span] = True
    keys = np.flatnonzero(used)
    rank = np.cumsum(used, dtype=np.int32 if used.size < 2**31 else np.int64) - 1  # each key's place among them
    seg_row = keys // span
    return keys, seg_row, np.searchsorted(seg_row, np.arange(R + 1)), rank[key].astype(np.int64)


def later_wins(at: IntArray, ident: IntArray) -> npt.NDArray[np.bool_]:
    """Of the changes of one column (``ident``) on one segment (``at``), adjacent in that order, the last."""
    last = np.ones(at.size, dtype=bool)
    last[:-1] = (at[1:] != at[:-1]) | (ident[1:] != ident[:-1])
    return last


def _segments(R: int, width: int, prof: IntArray, day: IntArray, value: FloatArray, horizon: int) -> Segments:
    """The segments of ``R`` rows of ``width`` columns from their changes: each one's profile (column * R +
    row, in order), day and value."""
    count = day.size
    if count and day.min() < 0:
        raise ValueError("intensities: every profile must start on day 0")
    live = np.flatnonzero(day <= horizon)
    p = prof[live]
    keys, seg_row, offsets, at = segment_keys(R, p % max(R, 1), day[live], horizon)
    last = later_wins(at, p)  # a profile's changes on one day are adjacent: the later wins
    at, p, kept = at[last], p[last], live[last]
    until = offsets[p % max(R, 1) + 1]  # each change holds until its profile's next one, or its row's end
    same = p[1:] == p[:-1]
    until[:-1][same] = at[1:][same]
    length = until - at
    if length.sum() != keys.size * width or (length <= 0).any():
        raise ValueError("intensities: every profile must start on day 0")
    # Each column's segments over every row are contiguous: the table by column, viewed row by row.
    table = np.repeat(value[kept], length).reshape(width, keys.size).T
    return Segments(offsets, keys - seg_row * (horizon + 2), table)


def intensities(columns: list[Profile], horizon: int) -> tuple[IntArray, FloatArray]:
    """Segment start days of one row and, per segment, each column's value then: ``(S,)`` days and an
    ``(S, len(columns))`` table (effect intensities, then in-force flags); see :func:`segment_table`.

    Example:
        >>> days, table = intensities([[(0, 0.0), (10, 1.0)], [(0, 0.0), (15, 0.5)]], 100)
        >>> days.tolist(), table.tolist()
        ([0, 10, 15], [[0.0, 0.0], [1.0, 0.0], [1.0, 0.5]])
    """
    seg = segment_table([columns], horizon)
    return seg.days, seg.table


def distinct_by(table: FloatArray, offsets: IntArray) -> tuple[FloatArray, IntArray, IntArray]:
    """The distinct rows of each group of rows of ``table`` (group ``g``: rows ``offsets[g]:offsets[g + 1]``),
    in order of first appearance, group after group; each row's index among its group's; and where each
    group's configs start among them (``(groups + 1,)``).

    A replication often returns to an earlier config (a measure lifted, a waiver ended); each distinct one is
    solved once. Rows are grouped by a hash of their bits and of their group, and the grouping is then checked
    exactly, so a collision costs time, never a wrong config.

    Example:
        >>> table = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
        >>> configs, local, starts = distinct_by(table, np.array([0, 3, 5]))
        >>> configs.tolist(), local.tolist(), starts.tolist()
        ([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0]], [0, 1, 0, 0, 0], [0, 2, 3])
    """
    N = table.shape[0]
    G = offsets.size - 1
    group = np.repeat(np.arange(G), np.diff(offsets))
    with np.errstate(over="ignore"):  # the hash wraps around 2**64 by design
        h = group.astype(np.uint64) * GROUP_MIX + hashes(np.asfortranarray(table).T.view(np.uint64))
    firsts, inverse = first_appearance(h)
    again = np.flatnonzero(firsts[inverse] != np.arange(N))  # rows that repeat an earlier one, by their hash
    src = firsts[inverse[again]]
    if not (np.array_equal(table[src], table[again]) and np.array_equal(group[src], group[again])):
        index: dict[tuple[int, tuple[float, ...]], int] = {}  # a hash collision: group the rows exactly
        inverse = np.array([index.setdefault((g, tuple(row)), len(index))
                            for g, row in zip(group.tolist(), table.tolist(), strict=True)], dtype=np.int64)
        firsts = np.unique(inverse, return_index=True)[1]
    starts = np.searchsorted(group[firsts], np.arange(G + 1))
    return table[firsts], inverse - starts[group], starts


def distinct(table: FloatArray) -> tuple[FloatArray, IntArray]:
    """The distinct rows of ``table`` in order of first appearance, and each row's index among them
    (:func:`distinct_by` with one group).

    Example:
        >>> configs, inverse = distinct(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]))
        >>> configs.tolist(), inverse.tolist()
        ([[0.0, 0.0], [1.0, 0.0]], [0, 1, 0])
    """
    S, width = table.shape
    if S == 1 or width == 0:
        return table[:1], np.zeros(S, dtype=np.int64)
    configs, inverse, _ = distinct_by(table, np.array([0, S]))
    return configs, inverse
