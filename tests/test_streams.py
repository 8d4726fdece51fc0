"""Named random streams and chunk draws."""

from __future__ import annotations

import numpy as np

from sim.engine.draws import ChunkDraws
from sim.engine.streams import BLOCK, Streams, stable_hash
from sim.scenario.values import read_value


def test_stable_hash_is_stable():
    """The stream hash of a name is fixed across runs (a stored value, not Python's salted hash)."""
    assert stable_hash("event:deal") == stable_hash("event:deal")
    assert stable_hash("event:deal") != stable_hash("event:deal2")
    assert 0 <= stable_hash("x") < 2**63


def test_slices_agree_across_block_boundaries():
    """Draws for replications 1000-1100 are the same whether taken alone or as part of 0-2048."""
    s = Streams(42)
    whole = s.uniform("a", 0, 2 * BLOCK, 3)
    part = Streams(42).uniform("a", 1000, 1100, 3)
    assert np.array_equal(whole[1000:1100], part)


def test_streams_are_independent_of_each_other():
    """Different names give different draws; the same name and seed the same draws."""
    s = Streams(1)
    assert not np.array_equal(s.uniform("a", 0, 50), s.uniform("b", 0, 50))
    assert np.array_equal(s.uniform("a", 0, 50), Streams(1).uniform("a", 0, 50))
    assert not np.array_equal(s.uniform("a", 0, 50), Streams(2).uniform("a", 0, 50))


def test_widening_keeps_earlier_columns():
    """Raising the width of a stream (a higher cap on extensions) keeps the draws of the earlier columns."""
    narrow = Streams(3).uniform("d", 0, 100, 2)
    wide = Streams(3).uniform("d", 0, 100, 5)
    assert np.array_equal(narrow, wide[:, :2])


def test_uniforms_open_interval_and_roughly_uniform():
    """Uniforms lie strictly in (0, 1) with mean 0.5 +- 0.01 over 40k draws."""
    u = Streams(9).uniform("u", 0, 40_000)
    assert (u > 0).all() and (u < 1).all()
    assert abs(u.mean() - 0.5) < 0.01


def test_chunk_draws_dates_relative_to_start():
    """Date draws come back as days since the window start."""
    d = ChunkDraws(Streams(1), 0, 10, day0=737_000)
    dist = read_value({"between": ["2020-01-01", "2020-01-01"]}, "date")
    import datetime as dt

    assert (d.values("x", dist) == dt.date(2020, 1, 1).toordinal() - 737_000).all()


def test_happens_matches_probability():
    """A Bernoulli trial with p = 0.3 succeeds in 30% +- 1.5% of 4,000 replications."""
    d = ChunkDraws(Streams(5), 0, 4000, day0=0)
    p = read_value(0.3, "probability")
    rate = np.mean([d.happens("e", p, r) for r in range(4000)])
    assert abs(rate - 0.3) < 0.015
