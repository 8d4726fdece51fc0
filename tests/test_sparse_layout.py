"""The layout built from the columns' changes (sim.engine.sparse_layout) equals the dense one (Layout.of)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from sim.engine import sparse_layout as sl
from sim.engine.chunk_lifecycle import play_chunk
from sim.engine.cohorts import members
from sim.engine.columns import chunk_batches, supported
from sim.engine.draws import ChunkDraws
from sim.engine.effects import effect_refs
from sim.engine.layout import GROUP_BYTES, EffectProfiles, Layout
from sim.engine.replications import _params
from sim.engine.segment_coefficients import coefficients
from sim.engine.streams import Streams
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from tests.test_columns import ROOT, TARGETS

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_scaling import many_measures


def both(s: Scenario, n: int = 40) -> tuple[Layout | None, Layout | None]:
    """The sparse and the dense layout of replications 0 .. n - 1 (``None, None`` where the column path does
    not apply)."""
    draws = ChunkDraws(Streams(s.seed), 0, n, s.start_day)
    refs = effect_refs(s)
    horizon, M, E = s.end_day - s.start_day, len(s.measures), len(refs)
    params = _params(s, draws, refs)
    played = play_chunk(s, draws, horizon, None)
    profiles = EffectProfiles(s, draws, refs, params, horizon)
    if members(s, draws, played.anchors) is not None or not supported(refs, played.waivers):
        return None, None
    found = played.table({ref.measure for ref in refs} | set(range(M)))
    sparse = sl.sparse_layout(s, refs, params, profiles.phase, profiles.phase_months, n, horizon, found)
    dense = Layout.of(chunk_batches(refs, profiles.phase, profiles.phase_months, n, M, horizon,
                                    s.start_day, GROUP_BYTES, found), horizon,
                      lambda owner, c: coefficients(s, refs, params.take(owner), c[:, None, :E], c[:, None, E:]))
    return sparse, dense


def same(sparse: Layout, dense: Layout) -> None:
    """The same segments and configs; coefficients within rounding of a sum or product in another order."""
    assert np.array_equal(sparse.seg_start, dense.seg_start)
    assert np.array_equal(sparse.seg_config, dense.seg_config)
    for name in ("b", "g", "d", "T", "W"):
        a, b = getattr(sparse.coef, name), getattr(dense.coef, name)
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13 * max(1.0, float(np.abs(b).max())))


@pytest.mark.parametrize(("file", "variant"), TARGETS)
def test_bundled_scenarios_have_the_dense_layout(file: str, variant: str | None) -> None:
    """Every bundled scenario and variant the column path builds: the dense path's segments and configs exactly,
    its coefficients to rounding."""
    sparse, dense = both(load_scenario(ROOT / "scenarios" / file, variant))
    if dense is not None:
        assert sparse is not None
        same(sparse, dense)


def test_many_measures_have_the_dense_layout(tmp_path: Path) -> None:
    """The generated scenario of benchmarks/bench_scaling.py (phase-ins, deferrals, injunctions) at 12
    measures."""
    import yaml

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(many_measures(12)), encoding="utf-8")
    sparse, dense = both(load_scenario(path), 30)
    assert sparse is not None and dense is not None
    same(sparse, dense)


def test_a_hash_collision_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every column's hash term 0 every segment of a row collides; the exact check refuses to merge
    them and the dense path runs instead."""
    monkeypatch.setattr(sl, "multipliers", lambda width: np.zeros(width, dtype=np.uint64))
    sparse, dense = both(load_scenario(ROOT / "scenarios" / "tiktok-wechat-2020.yaml"), 8)
    assert dense is not None and sparse is None



def test_a_lone_acting_effect_is_its_own_term_exactly() -> None:
    """Two effects on one sum: 0.1 from day 10 to 30, 0.2 from day 20. From day 30 only the second acts, and
    the sum is 0.2 itself, as the dense fold gives it (0 + 0.2), not the running 0.1 + 0.2 - 0.1."""
    one = (np.array([0, 0, 0]), np.array([0, 10, 30]), np.array([0.0, 0.1, 0.0]))
    two = (np.array([0, 0]), np.array([0, 20]), np.array([0.0, 0.2]))
    ch = sl._Changes([one, two], 1, 100)
    sel = np.arange(ch.col.size)
    got = sl._fold(ch, "sum", sel, ch.val[sel], np.arange(4))
    assert (0.1 + 0.2) - 0.1 != 0.2  # what a running sum alone would give
    assert got is not None and got.tolist() == [0.0, 0.1, 0.1 + 0.2, 0.2]


def test_a_run_of_many_measures_takes_the_sparse_path_end_to_end(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole `run` of the generated 12-measure scenario (48 columns, over SPARSE_COLUMNS) goes through the sparse
    layout and gives the dense layout's results to rounding: every series quantile within 1e-12 of its column's
    largest value, the in-force table and the event log equal."""
    import yaml

    import sim.engine.replications as replications
    from sim import run

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(many_measures(12)), encoding="utf-8")
    s = load_scenario(path)
    calls = []
    real = replications.sparse_layout

    def spy(*args: object, **kwargs: object) -> object:
        got = real(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(got is not None)
        return got

    monkeypatch.setattr(replications, "sparse_layout", spy)
    sparse = run(s, replications=64, seed=3)
    assert calls and all(calls), calls  # every chunk took the sparse layout
    monkeypatch.setattr(replications, "SPARSE_COLUMNS", 10**9)
    calls.clear()
    dense = run(s, replications=64, seed=3)
    assert not calls
    for col in ("mean", "p05", "p50", "p95"):
        a, b = sparse.series[col].to_numpy(), dense.series[col].to_numpy()
        assert np.max(np.abs(a - b)) <= 1e-12 * max(np.max(np.abs(b)), 1.0), col
    assert sparse.in_force.equals(dense.in_force) and sparse.events.equals(dense.events)
