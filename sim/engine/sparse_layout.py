"""A chunk's layout from its columns' changes alone: segments, distinct configs and their coefficients with no
table of segments x columns, so its cost grows with the changes, not with segments x (effects + measures).

:meth:`sim.engine.layout.Layout.of` builds each row's dense table (every column's value on every segment),
groups its rows into configs and folds every effect over every config
(:func:`sim.engine.segment_coefficients.coefficients`):
with ``N`` measures a replication has about ``N`` segments and ``N`` columns, so that is ``N^2``. Here:

* **Configs**: a segment's hash is the sum over columns of a term of its value (that of
  :func:`sim.engine.segments.distinct_by`, modulo ``2^64``), so it is the running sum of the terms' changes, one
  cumulative sum; segments with equal hashes are checked exactly (every column that changes between them has
  the same value at both), so a collision never merges two configs (:func:`sparse_layout` then returns
  ``None`` and the dense path runs).
* **Coefficients**: each quantity effects act on (a population's inflow factor, added outflow, each transfer,
  unpatched share, exposure factor; see :mod:`sim.engine.effects`) is a sum, product or maximum over its
  effects, kept as a running value along each row from each effect's changes: sums (``I v``) and products
  (``1 - I (1 - v)``, as a sum of logarithms and a count of zeros) as cumulative sums, maxima as counts per
  level. A sum or product in another order than the dense fold's differs by rounding alone (well within
  ``1e-12`` relative); a quantity none of whose effects acts is exactly its value without effects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from sim.engine.coefficients import Coefficients
from sim.engine.columns import Flat, chunk_columns
from sim.engine.effects import Acted, EffectRef
from sim.engine.layout import Layout, _placed
from sim.engine.played import SwitchTable
from sim.engine.row_hash import GROUP_MIX, first_appearance, multipliers
from sim.engine.segment_coefficients import Params, _require_finite, from_acted, while_measures
from sim.engine.segments import later_wins, segment_keys
from sim.scenario.schema import Scenario

SPARSE_COLUMNS = 32
"""Columns (effects + measures) from which a chunk's layout is built from its changes: below, the dense table is
small and faster (measured, CPU per replication: the flagship's 14 columns 0.020 ms dense, 0.031 ms here; 10
generated measures' 40 columns 0.062 ms dense, 0.046 ms here)."""
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Slot = tuple[str, tuple[int, ...]]
"""A quantity effects act on: an :class:`~sim.engine.effects.Acted` field and its index (after the segment
axes)."""


def _slots(ref: EffectRef, n: int, m: int) -> list[tuple[str, Slot]] | None:
    """How an effect acts: ``(kind, slot)`` pairs, kind ``prod``, ``sum`` or ``max``; ``None`` for a type
    this module does not fold."""
    t, i, j = ref.effect.type, ref.src, ref.dst
    if t == "scale_inflow":
        return [("prod", ("scale_in", (i,)))]
    if t == "raise_outflow":
        return [("sum", ("extra_out", (i,)))]
    if t == "transfer":
        return [("sum", ("T", (i, j)))]
    if t == "stop_updates":
        return [("max", ("unpatched", (i,)))]
    if t == "scale_exposure":
        return [("prod", ("expo", (k, i))) for k in (range(m) if ref.metric < 0 else [ref.metric])]
    if t == "scale_effects":
        if j != i:
            return [("prod", ("scale_T", (i, j)))]
        return [("prod", ("scale_out", (i,))), *(("prod", ("scale_T", (i, k))) for k in range(n))]
    return None


class _Changes:
    """Every column's changes over a chunk's rows, on its segments."""

    def __init__(self, columns: list[Flat], R: int, horizon: int):
        col = np.concatenate([np.full(r.size, c, dtype=np.int64) for c, (r, _, _) in enumerate(columns)])
        row, day = np.concatenate([r for r, _, _ in columns]), np.concatenate([d for _, d, _ in columns])
        val = np.concatenate([v for _, _, v in columns])
        live = day <= horizon
        if not live.all():  # (copies only where some change falls past the window: the arrays are large)
            col, row, day, val = col[live], row[live], day[live], val[live]
        keys, self.seg_row, self.offsets, at = segment_keys(R, row, day, horizon)
        del day
        self.seg_day = keys - self.seg_row * (horizon + 2)
        self.pos = np.arange(keys.size) - self.offsets[self.seg_row]  # each segment's place in its row
        last = later_wins(at, col)  # a column's changes on one day are adjacent: the later wins
        if not last.all():
            col, row, at, val = col[last], row[last], at[last], val[last]
        self.col, self.row, self.at, self.val = col, row, at, val
        first = np.ones(self.col.size, dtype=bool)  # the first change of a column in a row (on day 0)
        first[1:] = (self.col[1:] != self.col[:-1]) | (self.row[1:] != self.row[:-1])
        self.first = first
        self.R, self.N, self.S = R, keys.size, int(np.diff(self.offsets).max())
        self.ckey = self.col * self.N + self.at  # ascending: columns in order, each by segment

    def value(self, col: IntArray, seg: IntArray) -> FloatArray:
        """Column ``col``'s value on segment ``seg`` (its last change on or before it; every row's first
        change of every column is on its first segment)."""
        return self.val[np.searchsorted(self.ckey, col * self.N + seg, side="right") - 1]

    def running(self, sel: IntArray, at: IntArray) -> Callable[[FloatArray], FloatArray]:
        """``sums(delta)``: the running sum along each row of ``delta`` (one per change of ``sel``) on segments
        ``at`` (where those changes and segments lie, found once for every sum of them)."""
        into, out = self.row[sel] * self.S + self.pos[self.at[sel]], self.seg_row[at] * self.S + self.pos[at]

        def sums(delta: FloatArray) -> FloatArray:
            # Added up in the order of the changes, as ``numpy.add.at`` would (bincount is the faster of the two)
            acc: FloatArray = np.bincount(into, delta, self.R * self.S).astype(np.float64, copy=False)
            acc = acc.reshape(self.R, self.S)
            np.cumsum(acc, axis=1, out=acc)
            return acc.ravel()[out]

        return sums


def _configs(ch: _Changes, width: int) -> tuple[IntArray, IntArray] | None:
    """The first segment of each distinct config (rows in order, configs in order of first appearance) and
    each segment's config; ``None`` after a hash collision."""
    bits = ch.val.view(np.uint64)
    with np.errstate(over="ignore"):  # the hash wraps around 2**64 by design
        term = (bits ^ (bits >> np.uint64(32))) * multipliers(width)[ch.col]
        prev = np.empty_like(term)
        prev[1:] = term[:-1]
        prev[ch.first] = 0
        delta = np.zeros(ch.N, dtype=np.uint64)
        np.add.at(delta, ch.at, term - prev)
        h = np.cumsum(delta, dtype=np.uint64) + ch.seg_row.astype(np.uint64) * GROUP_MIX
    firsts, inverse = first_appearance(h)
    again = np.flatnonzero(firsts[inverse] != np.arange(ch.N))
    src = firsts[inverse[again]]
    if (ch.seg_row[src] != ch.seg_row[again]).any():
        return None
    if not again.size:  # every segment a config of its own: nothing to check
        return firsts, inverse
    by_seg = np.argsort(ch.at, kind="stable")
    at_sorted = ch.at[by_seg]
    lo, hi = np.searchsorted(at_sorted, src, side="right"), np.searchsorted(at_sorted, again, side="right")
    lens = hi - lo
    idx = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(lo, lens)
    cols, pair = ch.col[by_seg[idx]], np.repeat(np.arange(again.size), lens)
    if not np.array_equal(ch.value(cols, src[pair]), ch.value(cols, again[pair])):
        return None
    return firsts, inverse


def _fold(ch: _Changes, kind: str, sel: IntArray, term: FloatArray, at: IntArray) -> FloatArray | None:
    """The ``kind`` (``sum``, ``prod``, ``max``) over effects of their terms ``term`` (changes ``sel``) on
    segments ``at``: exactly 0 (sums, maxima) or 1 (products) where none acts."""
    sel_first = ch.first[sel]
    running = ch.running(sel, at)

    def shifted(x: FloatArray, fill: float) -> FloatArray:
        out = np.empty_like(x)
        out[1:] = x[:-1]
        out[sel_first] = fill
        return out

    if kind == "max":
        levels = np.unique(np.append(term, 0.0))
        li = np.searchsorted(levels, term)
        prev = shifted(li.astype(np.float64), 0.0).astype(np.int64)
        best = np.zeros(at.size)
        for k in range(1, levels.size):  # the highest level some effect is at
            cnt = running((li == k).astype(np.float64) - (prev == k))
            best = np.where(cnt > 0.5, levels[k], best)
        return best
    neutral = 0.0 if kind == "sum" else 1.0
    acting = term != neutral
    count = running(acting.astype(np.float64) - shifted(acting.astype(np.float64), 0.0))
    # Where one effect acts, its own term (as the dense fold gives it: x 1 or + 0 for the others): the running
    # sum of the acting columns' numbers (exact integers) names it.
    named = np.where(acting, ch.col[sel] + 1.0, 0.0)
    col = np.rint(running(named - shifted(named, 0.0))).astype(np.int64) - 1
    lone = np.rint(count) == 1
    place = np.full(ch.col.size, -1, dtype=np.int64)
    place[sel] = np.arange(sel.size)
    own = np.where(lone, place[np.searchsorted(ch.ckey, np.maximum(col, 0) * ch.N + at, side="right") - 1], 0)
    single = term[own] if term.size else np.zeros(at.size)
    if kind == "sum":
        total = running(term - shifted(term, 0.0))
        return np.where(lone, single, np.where(count > 0.5, np.maximum(total, 0.0), 0.0))
    if (term < 0).any():
        return None
    zero = term == 0.0
    logs = np.log(np.where(zero, 1.0, term))
    zeros = running(zero.astype(np.float64) - shifted(zero.astype(np.float64), 0.0))
    total = running(logs - shifted(logs, 0.0))
    return np.where(lone, single, np.where(count > 0.5, np.where(zeros > 0.5, 0.0, np.exp(total)), 1.0))


def sparse_layout(s: Scenario, refs: list[EffectRef], params: Params, phases: list[FloatArray],
                  months: list[FloatArray], R: int, horizon: int, found: SwitchTable) -> Layout | None:
    """The layout of one solved row per replication of a chunk of ``R`` whose columns
    :func:`sim.engine.columns.chunk_columns` builds (``phases``, ``months``: each effect's phase-in per row;
    ``found``: its timelines' switches, :meth:`sim.engine.played.Played.table`), or ``None`` where this module
    does not apply (an effect type it does not fold, a hash collision)."""
    n, m, E = len(s.populations), len(s.metrics), len(refs)
    acts = [_slots(ref, n, m) for ref in refs]
    if any(a is None for a in acts) or not (refs or s.measures):
        return None
    columns = chunk_columns(refs, phases, months, R, len(s.measures), horizon, s.start_day, found)
    width = len(columns)
    ch = _Changes(columns, R, horizon)
    del columns  # (copied into ``ch``; freed before the folds, a part's largest step)
    configs = _configs(ch, width)
    if configs is None:
        return None
    firsts, inverse = configs
    C = firsts.size
    owner = ch.seg_row[firsts]
    acted = Acted(scale_in=np.ones((C, 1, n)), extra_out=np.zeros((C, 1, n)), T=params.flows[owner][:, None].copy(),
                  unpatched=np.zeros((C, 1, n)), expo=np.ones((C, 1, m, n)), scale_T=np.ones((C, 1, n, n)),
                  scale_out=np.ones((C, 1, n)))
    by_slot: dict[tuple[str, Slot], list[int]] = defaultdict(list)
    for e, pairs in enumerate(acts):
        for pair in pairs or []:
            by_slot[pair].append(e)
    starts = np.searchsorted(ch.col, np.arange(E + 1))  # each effect column's changes
    value = np.zeros(starts[-1])  # each effect change's drawn value
    for e in range(E):
        value[starts[e] : starts[e + 1]] = params.effect_value[e][ch.row[starts[e] : starts[e + 1]]]
    for first_pass in (True, False):  # the factors on what other effects add first (scale_effects)
        for (kind, (field, idx)), effects in by_slot.items():
            if (field in ("scale_T", "scale_out")) != first_pass:
                continue
            sel = np.concatenate([np.arange(starts[e], starts[e + 1]) for e in effects])  # column by column
            lv, v = ch.val[sel], value[sel]
            term = lv if kind == "max" else lv * v if kind == "sum" else 1.0 - lv * (1.0 - v)
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by name below
                got = _fold(ch, kind, sel, term, firsts)
            if got is None:
                return None
            target = getattr(acted, field)[(slice(None), 0, *idx)]
            if field == "extra_out":
                target[...] = got * acted.scale_out[:, 0, idx[0]]
            elif field == "T":
                target += got * acted.scale_T[:, 0, idx[0], idx[1]]
            else:
                target[...] = got
    flags = {mi: ch.value(np.full(C, E + mi), firsts)[:, None] for mi in while_measures(s)}  # (C, 1) each
    mine = params.take(owner, effects=False)  # configs x effects values would be ~2.6 MB per replication at 200
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by name below
        b, g, d, T, W = from_acted(s, mine, acted, flags)
    _require_finite(s, b, W)
    cfg_starts = np.searchsorted(owner, np.arange(R + 1))
    local = np.arange(C) - cfg_starts[owner]
    coef = _placed([(owner, local, Coefficients(b=b, g=g, d=d, T=T, W=W))], R)
    seg_start = np.full((R, ch.S), horizon + 1, dtype=np.int64)
    seg_config = np.zeros((R, ch.S), dtype=np.int64)
    seg_start[ch.seg_row, ch.pos] = ch.seg_day
    seg_config[ch.seg_row, ch.pos] = inverse - cfg_starts[ch.seg_row]
    return Layout(seg_start, seg_config, coef, None, None)
