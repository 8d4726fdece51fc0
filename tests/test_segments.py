"""Intensity profiles of effects (phase-in, waivers, suspensions)."""

from __future__ import annotations

import numpy as np
from conftest import build, day, measure, one

from sim.engine.segments import distinct, distinct_by, intensities, profile, segment_table
from sim.engine.timeline import MeasureState


def test_profile_without_phase_in():
    """An effect is at full intensity from the day its measure is in force until it is suspended."""
    st = MeasureState(switches=[(10, True), (20, False), (30, True)])
    assert profile(st, 0, None, 100) == [(0, 0.0), (10, 1.0), (20, 0.0), (30, 1.0)]


def test_phase_in_restarts_after_suspension():
    """Phase-in starts again when a suspended measure comes back."""
    st = MeasureState(switches=[(10, True), (12, False), (30, True)])
    assert profile(st, 14, 2, 100) == [(0, 0.0), (10, 0.5), (12, 0.0), (30, 0.5), (37, 1.0)]


def test_waiver_scales_intensity():
    """A waiver of 40% leaves 60% of the intensity while it lasts, and only while in force."""
    st = MeasureState(switches=[(10, True)], waiver_changes=[(5, 0.6), (20, 1.0)])
    assert profile(st, 0, None, 100) == [(0, 0.0), (10, 0.6), (20, 1.0)]


def test_intensities_union_of_days():
    """Segments start at every change of any effect or in-force flag."""
    days, rows = intensities([[(0, 0.0), (10, 1.0)], [(0, 0.0), (15, 0.5)], [(0, 0.0), (10, 1.0)]], 100)
    assert days.tolist() == [0, 10, 15]
    assert rows.tolist() == [[0.0, 0.0, 0.0], [1.0, 0.0, 1.0], [1.0, 0.5, 1.0]]


def test_intensities_later_change_of_a_day_wins_and_horizon_ends():
    """Of two changes of one column on one day the later holds; changes after the horizon start no segment."""
    days, rows = intensities([[(0, 0.0), (5, 1.0), (5, 0.25), (200, 1.0)], [(0, 1.0)]], 100)
    assert days.tolist() == [0, 5]
    assert rows.tolist() == [[0.0, 1.0], [0.25, 1.0]]


def test_distinct_configs_numbered_by_first_appearance():
    """Configs are deduplicated in order of first appearance (lifted measure back to the starting config)."""
    configs, inverse = distinct(np.array([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0), (1.0, 0.0)]))
    assert configs.tolist() == [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]
    assert inverse.tolist() == [0, 1, 2, 0, 1]


def test_distinct_survives_a_hash_collision(monkeypatch):
    """Rows whose hashes collide are still told apart (the grouping is checked exactly)."""
    from sim.engine import row_hash
    monkeypatch.setattr(row_hash, "multipliers", lambda width: np.ones(width, dtype=np.uint64))
    configs, inverse = distinct(np.array([(1.0, 2.0), (2.0, 1.0), (1.0, 2.0)]))  # the same sum of bits
    assert configs.tolist() == [[1.0, 2.0], [2.0, 1.0]]
    assert inverse.tolist() == [0, 1, 0]


def test_distinct_propagator_pairs_survive_a_hash_collision(monkeypatch):
    """The solver's distinct (A, b) pairs, grouped by the same hash, are told apart on a collision too."""
    from sim.engine import row_hash
    from sim.engine.propagators import _distinct
    monkeypatch.setattr(row_hash, "multipliers", lambda width: np.ones(width, dtype=np.uint64))
    gen, b = np.array([[[1.0]], [[2.0]], [[1.0]]]), np.array([[2.0], [1.0], [2.0]])  # the same sum of bits
    first, back = _distinct(gen, b)
    assert first.tolist() == [0, 1] and back.tolist() == [0, 1, 0]


def test_waiver_ending_and_another_starting_same_day():
    """When one waiver ends and another starts on the same day, the later change wins in the intensity."""
    events = [{"id": "ev", "probability": 1, "date": "2020-01-11"}]
    m = measure(deadline="2020-01-01", waivers=[
        {"id": "w1", "share": "50%", "from": "2020-01-01", "until": "2020-04-01"},
        {"id": "w2", "share": "20%", "from": "ev + 81d"}])
    rep = one(build(events=events, measures=[m]))
    prof = profile(rep.states["ban"], 0, None, 365)
    assert prof[-1] == (day("2020-04-01"), 0.8)


def _alone(columns, horizon):
    """One row's segments the long way: every change day, and each column's last value on or before it."""
    days = sorted({0, *(d for p in columns for d, _ in p if d <= horizon)})
    return days, [[[v for d, v in p if d <= day][-1] for p in columns] for day in days]


def test_segment_table_is_each_row_alone():
    """The segments of many rows built together are each row's own: its days, and each column's value on them."""
    rng = np.random.default_rng(4)
    rows = []
    for _ in range(30):
        cols = []
        for _ in range(5):
            days = np.sort(rng.integers(1, 130, rng.integers(0, 6)))  # repeats: the later change of a day wins
            cols.append([(0, float(rng.integers(0, 2)))] + [(int(d), float(rng.integers(0, 4)) / 4) for d in days])
        rows.append(cols)
    seg = segment_table(rows, 100)
    for i, cols in enumerate(rows):
        days, table = _alone(cols, 100)
        lo, hi = seg.offsets[i], seg.offsets[i + 1]
        assert seg.days[lo:hi].tolist() == days
        assert seg.table[lo:hi].tolist() == table
        assert intensities(cols, 100)[1].tolist() == table


def test_distinct_by_groups_are_each_group_alone():
    """Configs found for many groups at once are each group's own, in order of first appearance; rows with
    columns at 1.0 whose column numbers add up alike are told apart (such rows collided under multipliers that
    grew with the column number)."""
    rng = np.random.default_rng(5)
    table = (rng.random((400, 40)) < 0.5).astype(float)  # many rows of 0s and 1s
    table[200:] = table[:200]  # every group's rows also in another group
    offsets = np.array([0, 50, 130, 200, 260, 400])
    configs, local, starts = distinct_by(table, offsets)
    for g in range(len(offsets) - 1):
        want, inverse = distinct(table[offsets[g]:offsets[g + 1]])
        index: dict[tuple[float, ...], int] = {}
        exact = [index.setdefault(tuple(row), len(index)) for row in table[offsets[g]:offsets[g + 1]].tolist()]
        assert inverse.tolist() == exact
        assert configs[starts[g]:starts[g + 1]].tolist() == want.tolist() == [list(k) for k in index]
        assert local[offsets[g]:offsets[g + 1]].tolist() == exact
