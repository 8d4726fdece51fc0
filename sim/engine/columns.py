"""The segment tables of a whole chunk by column: every replication's effect profiles built with numpy at once.

:meth:`sim.engine.layout.EffectProfiles.of` builds each replication's profiles one at a time in Python
(:func:`sim.engine.segments.profile`). For the common case -- no waivers, no effect whose rate follows a
schedule (``retire_over``) -- :func:`chunk_batches` builds the same profiles,
change for change, for all replications of a chunk together: each timeline's switches of every row as flat
arrays, each switch into its phase-in steps with ``numpy.repeat``, and the rules of
:func:`~sim.engine.segments.profile` (of two changes on one day the later wins; a change to the value in
force is dropped) as masks. The columns then go to :func:`sim.engine.segments.segment_rows` as
:func:`~sim.engine.segments.segment_table` would take them, so the segments, and every result, are identical
(``tests/test_columns.py`` compares both on the bundled scenarios).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from sim.engine.effects import ACTIONS, EffectRef
from sim.engine.played import Switches, SwitchTable
from sim.engine.segments import Segments, segment_rows
from sim.scenario.calendar import add_month_span

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GRID_BYTES = 8 * 2**20
"""The running sums of :func:`on_grid` take about this many bytes at a time (a block of measures)."""
Flat = tuple[IntArray, IntArray, FloatArray]
"""The changes of one column over every row: each change's row, day and value, rows in order, each row's
changes in order, the first of each row on day 0."""


def supported(refs: list[EffectRef], waivers: bool) -> bool:
    """Whether :func:`chunk_batches` builds these rows: no waiver in any timeline (``waivers``: whether there
    is one, :attr:`sim.engine.played.Played.waivers`), no effect with a schedule."""
    return all(ACTIONS[ref.effect.type].schedule is None for ref in refs) and not waivers


def in_force_column(R: int, row: IntArray, day: IntArray, on: npt.NDArray[np.bool_]) -> Flat:
    """The in-force flag of a timeline as a column (:func:`sim.engine.layout.in_force` of every row)."""
    first = np.searchsorted(row, np.arange(R))  # where each row's switches begin
    at = first + np.arange(R)  # where each row's leading (0, 0.0) goes
    rows, days, values = np.empty(R + row.size, np.int64), np.zeros(R + row.size, np.int64), np.zeros(R + row.size)
    mask = np.ones(R + row.size, dtype=bool)
    mask[at] = False
    rows[at], rows[mask] = np.arange(R), row
    days[mask], values[mask] = day, on
    return rows, days, values


def profile_column(R: int, row: IntArray, day: IntArray, on: npt.NDArray[np.bool_], phase: FloatArray,
                   steps: int | None, horizon: int, months: FloatArray | None = None, day0: int = 0) -> Flat:
    """One effect's intensity profile in every row: :func:`sim.engine.segments.profile` of each row's
    timeline (switches ``row``, ``day``, ``on``), with the row's phase-in ``phase`` (days) in ``steps`` or,
    where the row's ``months`` is not 0, that many calendar months from each day the measure takes effect.

    Example:
        >>> col = profile_column(2, np.array([0, 0, 1]), np.array([10, 40, 5]), np.array([True, False, True]),
        ...                      np.array([14.0, 0.0]), None, 100)
        >>> [x.tolist() for x in col]
        [[0, 0, 0, 0, 1, 1], [0, 10, 17, 40, 0, 5], [0.0, 0.5, 1.0, 0.0, 0.0, 1.0]]
    """
    nxt = np.full(row.size, horizon + 1, dtype=np.int64)
    same = row[1:] == row[:-1]
    nxt[:-1][same] = day[1:][same]
    p = phase[row]
    if months is not None and bool(np.any(months[row][on])):  # calendar months from each day it takes effect
        p = p.copy()
        for i in np.flatnonzero(on & (months[row] != 0)).tolist():
            start = day0 + int(day[i])
            p[i] = add_month_span(start, float(months[row[i]])) - start
    base = np.ceil(p / 7) if not steps else np.full(p.size, float(steps))
    k = np.where(on & (p > 0), np.maximum(1.0, base), 1.0).astype(np.int64)  # steps of a switch on
    # Each switch's candidates: a switch off one (day, 0); a switch on, its phase-in steps before the next switch.
    src = np.repeat(np.arange(row.size), k)
    j = np.arange(src.size) - np.repeat(np.cumsum(k) - k, k)
    kf = k[src].astype(np.float64)
    at = day[src] + np.ceil(j * p[src] / kf).astype(np.int64)
    level = np.where(on[src], (j + 1) / kf, 0.0)
    keep = ~on[src] | (at < nxt[src])
    # The leading (0, 0.0) of each row, then its candidates in order (their days never decrease).
    c_row, c_day, c_val = row[src][keep], at[keep], level[keep]
    first = np.searchsorted(c_row, np.arange(R)) + np.arange(R)
    n = R + c_row.size
    rows, days, values = np.empty(n, np.int64), np.zeros(n, np.int64), np.zeros(n)
    mask = np.ones(n, dtype=bool)
    mask[first] = False
    rows[first], rows[mask], days[mask], values[mask] = np.arange(R), c_row, c_day, c_val
    # Of two changes on one day the later wins; then a change to the value in force is dropped.
    last = np.ones(n, dtype=bool)
    last[:-1] = (rows[1:] != rows[:-1]) | (days[1:] != days[:-1])
    rows, days, values = rows[last], days[last], values[last]
    new = np.ones(rows.size, dtype=bool)
    new[1:] = (rows[1:] != rows[:-1]) | (values[1:] != values[:-1])
    return rows[new], days[new], values[new]


def chunk_batches(refs: list[EffectRef], phases: list[FloatArray], months: list[FloatArray], R: int, M: int,
                  horizon: int, day0: int, group_bytes: int, found: SwitchTable
                  ) -> Iterator[tuple[IntArray, FloatArray, Segments]]:
    """The batches :func:`sim.engine.layout.column_batches` gives for these rows (one solved row per
    replication; each row's columns: its effects' profiles, then its measures' in-force flags), built by
    column (``phases`` and ``months``: each effect's phase-in per row, in days and in calendar months, see
    :class:`sim.engine.layout.EffectProfiles`; ``found``: the switches of every timeline they read, see
    :meth:`sim.engine.played.Played.table`); the rows go in batches of about ``group_bytes`` of tables."""
    columns = chunk_columns(refs, phases, months, R, M, horizon, day0, found)
    span = horizon + 2  # the distinct change days of each row (marked, not sorted): at most its segments
    changed = np.zeros(R * span, dtype=np.bool_)
    for r, d, _ in columns:
        changed[r * span + d] = True
    size = np.cumsum(changed.reshape(R, span).sum(axis=1) * len(columns) * 8)  # bytes of table, up to each row
    cuts, a = [], 0
    while a < R:  # rows a .. b - 1: about group_bytes of table (at least one row)
        b = max(a + 1, int(np.searchsorted(size, (size[a - 1] if a else 0) + group_bytes, side="right")))
        cuts.append((a, min(b, R)))
        a = min(b, R)
    for a, b in cuts:
        parts = [(r, d, v) if (a, b) == (0, R) else _rows(r, d, v, a, b) for r, d, v in columns]
        seg = segment_rows(b - a, [r - a for r, _, _ in parts], [d for _, d, _ in parts], [v for _, _, v in parts],
                           horizon)
        yield np.arange(a, b), np.ones(b - a), seg


def chunk_columns(refs: list[EffectRef], phases: list[FloatArray], months: list[FloatArray], R: int, M: int,
                  horizon: int, day0: int, found: SwitchTable) -> list[Flat]:
    """The columns of every row of a chunk (its effects' profiles, then its measures' in-force flags), each as
    its changes over every row (see :func:`chunk_batches`). The profiles of the same steps are built together:
    each (profile, row) a row of one :func:`profile_column` (a profile's rows never meet another's), then cut
    apart: the same columns as one call each, in a few numpy calls instead of a few per effect."""
    # Effects of one timeline with the same phase-ins share a profile: each effect's profile, each profile's first
    keys: dict[tuple[int, bytes, bytes, int | None], int] = {}
    own: list[int] = []
    first: dict[int, int] = {}
    for e, ref in enumerate(refs):
        k = keys.setdefault((ref.measure, phases[e].tobytes(), months[e].tobytes(), ref.effect.steps), len(keys))
        own.append(k)
        first.setdefault(k, e)
    profiles: list[Flat] = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))] * len(keys)
    by_steps: dict[int | None, list[int]] = {}
    for k, e in first.items():
        by_steps.setdefault(refs[e].effect.steps, []).append(k)
    for steps, ks in by_steps.items():
        row, day, on = _together([found[refs[first[k]].measure] for k in ks], R)
        got = profile_column(len(ks) * R, row, day, on, np.concatenate([phases[first[k]] for k in ks]),
                             steps, horizon, np.concatenate([months[first[k]] for k in ks]), day0)
        for k, column in zip(ks, _cut(got, len(ks), R), strict=True):
            profiles[k] = column
    return [profiles[k] for k in own] + _in_force_columns(R, [found[t] for t in range(M)])


def _together(parts: list[Switches], R: int) -> Switches:
    """The switches of several timelines as those of one, timeline ``j``'s row ``r`` its row ``j R + r``."""
    block = np.repeat(np.arange(len(parts), dtype=np.int64), [p[0].size for p in parts]) * R
    row, day, on = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return row + block, day, on


def _cut(got: Flat, count: int, R: int) -> list[Flat]:
    """A column of ``count`` timelines' rows (see :func:`_together`) cut back into one column each."""
    at = np.searchsorted(got[0], np.arange(count + 1) * R)
    return [(got[0][a:b] - j * R, got[1][a:b], got[2][a:b]) for j, (a, b) in enumerate(pairwise(at.tolist()))]


def _in_force_columns(R: int, parts: list[Switches]) -> list[Flat]:
    """:func:`in_force_column` of each timeline, built together."""
    return _cut(in_force_column(len(parts) * R, *_together(parts, R)), len(parts), R) if parts else []


def _rows(row: IntArray, day: IntArray, value: FloatArray, a: int, b: int) -> Flat:
    lo, hi = np.searchsorted(row, [a, b])
    return row[lo:hi], day[lo:hi], value[lo:hi]


def on_grid(found: SwitchTable, R: int, M: int, grid: list[int]) -> npt.NDArray[np.bool_]:
    """``(R, M, G)``: whether each row's measure is in force on each grid day, its last switch on or before
    that day (of switches on one day, the last), for every row and measure at once (``found``: the switches of
    measures ``0 .. M - 1``, :meth:`sim.engine.played.Played.table`).

    Example:
        >>> found = {0: (np.array([0, 0, 1, 1]), np.array([3, 9, 5, 5]), np.array([True, False, True, False]))}
        >>> on_grid(found, 2, 1, [0, 3, 7, 9]).astype(int).tolist()
        [[[0, 1, 1, 0]], [[0, 0, 0, 0]]]
    """
    days = np.asarray(grid, dtype=np.int64)
    G = days.size
    # Each row's state is the running sum of its changes: a switch's change is its state less the one before
    # (not in force before the first), and those that land on one grid day (the first on or after the switch)
    # add up to the last one's state less the state before them; so one change per (row, measure, grid day).
    out = np.zeros((R, M, G), dtype=np.bool_)
    late = []
    block = max(1, GRID_BYTES // ((G + 1) * max(R, 1)))  # measures summed at a time (a bounded temporary)
    for m0 in range(0, M, block):
        mb = min(M, m0 + block) - m0
        vrow, day, on = _together([found[mi] for mi in range(m0, m0 + mb)], R)  # measure j's row r: j R + r
        if not vrow.size:
            continue
        same = vrow[1:] == vrow[:-1]
        back = same & (day[1:] < day[:-1])
        if back.any():  # switches out of day order: each in turn, later ones overwrite (below)
            out_of_order = np.unique(vrow[1:][back] // R)
            late += (m0 + out_of_order).tolist()
            keep = ~np.isin(vrow // R, out_of_order)
            vrow, day, on = vrow[keep], day[keep], on[keep]
            same = vrow[1:] == vrow[:-1]
        j, row = np.divmod(vrow, R)
        key = np.searchsorted(days, day) * (R * mb) + row * mb + j  # grid day first: the running sum goes along it
        cut = np.ones(key.size + 1, dtype=bool)  # where a (row, measure, grid day) of switches begins and ends
        cut[1:-1] = key[1:] != key[:-1]
        before = np.zeros(key.size, dtype=np.int8)  # the state before each switch (none before a row's first)
        before[1:] = np.where(same, on[:-1], False)
        flat = key[cut[1:]]
        delta = on[cut[1:]].astype(np.int8) - before[cut[:-1]]
        steps = np.zeros((G + 1) * R * mb, dtype=np.int8)
        steps[flat] = delta
        state = steps.reshape(G + 1, R, mb)
        for g in range(1, G):  # a running sum along the grid, a grid day (every row and measure) at a time
            state[g] += state[g - 1]
        out[:, m0 : m0 + mb, :] = state[:G].transpose(1, 2, 0).view(np.bool_)  # 0 or 1
    for mi in late:
        for r, d, a in zip(*(x.tolist() for x in found[mi]), strict=True):
            out[r, mi, int(np.searchsorted(days, d)):] = a
    return out
