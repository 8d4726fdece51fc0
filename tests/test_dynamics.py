"""Tests for sim.engine.dynamics: exact piecewise-constant stock dynamics against closed forms and invariants."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.coefficients import Coefficients
from sim.engine.dynamics import Trajectory, conservation_error, solve
from sim.engine.expm import expm

FIELDS = [f.name for f in fields(Trajectory)]


def coefficients(b: Any, g: Any, d: Any, T: Any, W: Any) -> Coefficients:
    """Coefficients from nested lists/arrays (shapes as in :class:`Coefficients`)."""
    return Coefficients(b=np.array(b, float), g=np.array(g, float), d=np.array(d, float),
                        T=np.array(T, float), W=np.array(W, float))


def random_problem(
    R: int, n: int, m: int, C: int, S: int, horizon: int, seed: int
) -> tuple[np.ndarray, Coefficients, np.ndarray, np.ndarray]:
    """Random non-negative problem with S - 1 change days per replication (padded with horizon + 1)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(0.0, 0.02, (R, C, n, n))
    T[..., np.arange(n), np.arange(n)] = 0.0
    coef = Coefficients(
        b=rng.uniform(0.0, 1e3, (R, C, n)),
        g=-rng.uniform(0.0, 1e-3, (R, C, n)),
        d=rng.uniform(0.0, 0.03, (R, C, n)),
        T=T,
        W=rng.uniform(0.0, 1.0, (R, C, m, n)),
    )
    x0 = rng.uniform(0.0, 1e4, (R, n))
    change = np.sort(rng.integers(1, horizon + 5, (R, S - 1)), axis=1) + np.arange(S - 1)
    starts = np.concatenate([np.zeros((R, 1), dtype=np.int64), change], axis=1)
    starts[starts > horizon] = horizon + 1
    configs = rng.integers(0, C, (R, S))
    return x0, coef, starts, configs


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    """Largest relative error, entries compared to max(|want|, 1e-300)."""
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))


def test_one_stock_inflow_blocked_matches_closed_form() -> None:
    """Inflow a, churn d, inflow cut on day 30: x, integral, flows, metric, metric_cum to rel 1e-9."""
    a, d, x0, w0, w1 = 250.0, 0.02, 1000.0, 2.0, 3.0
    coef = coefficients(b=[[[a], [0.0]]], g=[[[0.0], [0.0]]], d=[[[d], [d]]], T=np.zeros((1, 2, 1, 1)),
                        W=[[[[w0]], [[w1]]]])
    grid = np.unique(np.r_[np.arange(0, 200, 3), 29, 30, 31, 200])
    traj = solve([[x0]], coef, [[0, 30]], [[0, 1]], grid)
    t = grid.astype(float)
    t1, t2 = np.minimum(t, 30.0), np.maximum(t - 30.0, 0.0)
    x30 = a / d + (x0 - a / d) * np.exp(-d * 30.0)
    x = np.where(t <= 30, a / d + (x0 - a / d) * np.exp(-d * t1), x30 * np.exp(-d * t2))
    first = a / d * t1 + (x0 - a / d) * (1 - np.exp(-d * t1)) / d  # integral over [0, min(t, 30)]
    second = np.where(t > 30, x30 * (1 - np.exp(-d * t2)) / d, 0.0)  # integral over [30, t]
    assert rel_err(traj.stocks[0, :, 0], x) < 1e-9
    assert rel_err(traj.integral[0, :, 0], first + second) < 1e-9
    assert rel_err(traj.metric_cum[0, 1:, 0], (w0 * first + w1 * second)[1:]) < 1e-9
    # The change on day 30 applies on day 30 itself.
    assert rel_err(traj.metric[0, :, 0], np.where(t < 30, w0, w1) * x) < 1e-9
    assert rel_err(traj.inflow[0, 1:, 0], a * t1[1:]) < 1e-9
    assert rel_err(traj.outflow[0, 1:, 0], d * (first + second)[1:]) < 1e-9
    assert np.all(traj.transfer_in == 0) and np.all(traj.transfer_out == 0)
    assert traj.integral[0, 0, 0] == 0.0 and traj.stocks[0, 0, 0] == x0


def test_two_stock_substitution_matches_analytic() -> None:
    """Transfer rate k from stock 0 to 1 with churns d0, d1 and inflow b0: all series to rel 1e-9."""
    b0, k, d0, d1, x00, x10 = 40.0, 0.05, 0.01, 0.004, 500.0, 100.0
    coef = coefficients(b=[[[b0, 0.0]]], g=[[[0.0, 0.0]]], d=[[[d0, d1]]], T=[[[[0.0, k], [0.0, 0.0]]]],
                        W=[[[[1.0, 0.0], [0.5, 2.0]]]])
    grid = np.r_[0, 1, 7, 30, 91, 365, 1000]
    traj = solve([[x00, x10]], coef, [[0]], [[0]], grid)
    t = grid.astype(float)
    lam = d0 + k
    s0, c = b0 / lam, x00 - b0 / lam
    x0 = s0 + c * np.exp(-lam * t)
    x1 = k * s0 / d1 * (1 - np.exp(-d1 * t)) + x10 * np.exp(-d1 * t) + k * c * (
        np.exp(-lam * t) - np.exp(-d1 * t)
    ) / (d1 - lam)
    i0 = s0 * t + c * (1 - np.exp(-lam * t)) / lam
    i1 = (k * s0 / d1 * (t - (1 - np.exp(-d1 * t)) / d1) + x10 * (1 - np.exp(-d1 * t)) / d1
          + k * c / (d1 - lam) * ((1 - np.exp(-lam * t)) / lam - (1 - np.exp(-d1 * t)) / d1))
    assert rel_err(traj.stocks[0, :, 0], x0) < 1e-9
    assert rel_err(traj.stocks[0, :, 1], x1) < 1e-9
    assert rel_err(traj.integral[0, 1:, 0], i0[1:]) < 1e-9
    assert rel_err(traj.integral[0, 1:, 1], i1[1:]) < 1e-9
    assert rel_err(traj.transfer_out[0, 1:, 0], k * i0[1:]) < 1e-9
    assert rel_err(traj.transfer_in[0, 1:, 1], k * i0[1:]) < 1e-9
    assert np.all(traj.transfer_in[0, :, 0] == 0) and np.all(traj.transfer_out[0, :, 1] == 0)
    assert rel_err(traj.outflow[0, 1:, 1], d1 * i1[1:]) < 1e-9
    assert rel_err(traj.metric[0, :, 1], 0.5 * x0 + 2.0 * x1) < 1e-9
    assert rel_err(traj.metric_cum[0, 1:, 1], 0.5 * i0[1:] + 2.0 * i1[1:]) < 1e-9


def test_ceiling_term_matches_linear_taper() -> None:
    """Inflow b (1 - x / cap) with churn d: x -> b / (d + b / cap) exponentially; x and inflow to rel 1e-9."""
    b, cap, d, x0 = 1e4, 2e6, 0.002, 1e5
    g = -b / cap
    coef = coefficients(b=[[[b]]], g=[[[g]]], d=[[[d]]], T=np.zeros((1, 1, 1, 1)), W=np.ones((1, 1, 1, 1)))
    grid = np.r_[0, 10, 100, 365, 1825]
    traj = solve([[x0]], coef, [[0]], [[0]], grid)
    t = grid.astype(float)
    rate, star = d - g, b / (d - g)
    x = star + (x0 - star) * np.exp(-rate * t)
    integral = star * t + (x0 - star) * (1 - np.exp(-rate * t)) / rate
    assert rel_err(traj.stocks[0, :, 0], x) < 1e-9
    assert rel_err(traj.inflow[0, 1:, 0], b * t[1:] + g * integral[1:]) < 1e-9
    assert rel_err(traj.outflow[0, 1:, 0], d * integral[1:]) < 1e-9


def test_value_at_a_day_does_not_depend_on_the_grid() -> None:
    """Daily, weekly and monthly grids agree on shared days to rel 1e-12 (floor: 1e-3 of the field's max)."""
    horizon = 365
    x0, coef, starts, configs = random_problem(20, 3, 2, 4, 8, horizon, seed=3)
    grids = {
        "daily": np.arange(horizon + 1),
        "weekly": np.r_[np.arange(0, horizon, 7), horizon],
        "monthly": np.r_[0, np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])],
    }
    trajs = {name: solve(x0, coef, starts, configs, grid) for name, grid in grids.items()}
    for name in ("weekly", "monthly"):
        idx = np.searchsorted(grids["daily"], grids[name])
        for f in FIELDS:
            fine, coarse = getattr(trajs["daily"], f)[:, idx], getattr(trajs[name], f)
            scale = np.max(np.abs(fine), axis=(1, 2), keepdims=True)
            assert np.all(np.abs(fine - coarse) <= 1e-12 * np.maximum(np.abs(fine), 1e-3 * scale)), (name, f)


def test_results_are_bit_identical_whatever_the_chunk_size() -> None:
    """chunk_size 1, 7 and 4096 give bit-identical arrays (tolerance: none)."""
    x0, coef, starts, configs = random_problem(23, 3, 2, 5, 6, 400, seed=4)
    grid = np.r_[0:400:30, 400]
    ref = solve(x0, coef, starts, configs, grid, chunk_size=4096)
    for chunk in (1, 7):
        got = solve(x0, coef, starts, configs, grid, chunk_size=chunk)
        for f in FIELDS:
            assert np.array_equal(getattr(got, f), getattr(ref, f)), (chunk, f)
    # A replication alone gives the same bits as within the batch.
    one = solve(x0[5:6], Coefficients(coef.b[5:6], coef.g[5:6], coef.d[5:6], coef.T[5:6], coef.W[5:6]),
                starts[5:6], configs[5:6], grid)
    for f in FIELDS:
        assert np.array_equal(getattr(one, f)[0], getattr(ref, f)[5]), f


def test_conservation_on_random_coefficients() -> None:
    """x - x0 = inflow - outflow + transfer_in - transfer_out to 1e-9 relative, stocks >= 0, over 5 years."""
    x0, coef, starts, configs = random_problem(50, 4, 3, 6, 12, 1825, seed=5)
    grid = np.r_[0:1825:30, 1825]
    traj = solve(x0, coef, starts, configs, grid)
    assert conservation_error(traj, x0) < 1e-9
    assert np.all(traj.stocks >= 0)
    # Transfers only move stock: sent and received totals agree (relative 1e-12).
    sent, got = traj.transfer_out.sum(axis=2), traj.transfer_in.sum(axis=2)
    assert np.all(np.abs(sent - got) <= 1e-12 * np.maximum(sent, 1.0))


@st.composite
def small_problem(draw: st.DrawFn) -> tuple[np.ndarray, Coefficients, np.ndarray, np.ndarray, np.ndarray]:
    """A 1-2 replication problem with 1-3 stocks, 1-3 configs, fast or slow rates and random change days."""
    R, n, C = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    horizon = draw(st.integers(1, 120))
    rate = draw(st.sampled_from([1e-4, 0.05, 3.0]))  # slow, typical and stiff per-day rates
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sparse = rng.random((R, C, n, n)) < 0.5  # some transfers exactly zero
    T = np.where(sparse, 0.0, rng.uniform(0.0, rate, (R, C, n, n)))
    T[..., np.arange(n), np.arange(n)] = 0.0
    coef = Coefficients(
        b=np.where(rng.random((R, C, n)) < 0.3, 0.0, rng.uniform(0.0, 1e4, (R, C, n))),
        g=-rng.uniform(0.0, rate, (R, C, n)),
        d=rng.uniform(0.0, rate, (R, C, n)),
        T=T,
        W=rng.uniform(0.0, 1.0, (R, C, 2, n)),
    )
    x0 = np.where(rng.random((R, n)) < 0.3, 0.0, rng.uniform(0.0, 1e6, (R, n)))
    days = draw(st.lists(st.integers(1, horizon + 2), max_size=4, unique=True))
    change = np.sort(np.array(days, dtype=np.int64))
    starts = np.tile(np.r_[0, change], (R, 1))
    starts[starts > horizon] = horizon + 1
    configs = rng.integers(0, C, starts.shape)
    grid = np.unique(np.r_[0, rng.integers(0, horizon, 5), horizon])
    return x0, coef, starts, configs, grid


@settings(max_examples=50, deadline=None)
@given(small_problem())
def test_property_stocks_nonnegative_and_conserved(
    problem: tuple[np.ndarray, Coefficients, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """For any non-negative coefficients and segments: stocks >= 0, all finite, conservation < 1e-9."""
    x0, coef, starts, configs, grid = problem
    traj = solve(x0, coef, starts, configs, grid)
    assert all(np.all(np.isfinite(getattr(traj, f))) for f in FIELDS)
    assert np.all(traj.stocks >= 0)
    assert np.all(traj.integral >= 0) and np.all(traj.metric_cum >= 0)
    assert conservation_error(traj, x0) < 1e-9


@pytest.mark.parametrize("k", [1, 2, 5, 9])
@pytest.mark.parametrize("scale", [0.0, 1e-3, 1.0, 30.0])
def test_expm_matches_scipy(k: int, scale: float) -> None:
    """expm of random (3, k, k) stacks matches scipy.linalg.expm to 1e-13 * max(1, ||M||_1) of the largest entry."""
    # Both are backward stable, so the gap grows with the norm: at ||M||_1 ~ 100 either is ~1e-13 off a
    # 50-digit reference, scipy's Pade as often as this Taylor.
    rng = np.random.default_rng(k)
    M = scale * rng.standard_normal((3, k, k)) / np.sqrt(k)
    got = expm(M)
    for i in range(3):
        want = scipy.linalg.expm(M[i])
        tol = 1e-13 * max(1.0, float(np.abs(M[i]).sum(axis=0).max()))
        assert np.max(np.abs(got[i] - want)) <= tol * np.max(np.abs(want))
        assert np.array_equal(expm(M[i]), got[i])  # per-matrix scaling: batch-independent bits


def test_expm_generator_is_nonnegative_and_stochastic() -> None:
    """For a conservative Metzler generator (d = g = 0) e^A is >= 0 with unit column sums to 1e-14."""
    rng = np.random.default_rng(7)
    T = rng.uniform(0.0, 2.0, (5, 5))
    np.fill_diagonal(T, 0.0)
    z = np.zeros((1, 1, 5))
    A = Coefficients(b=z, g=z, d=z, T=T[None, None], W=np.ones((1, 1, 1, 5))).generator()[0, 0]
    E = expm(10.0 * A)
    assert np.all(E >= 0)
    assert np.max(np.abs(E.sum(axis=0) - 1.0)) < 1e-14


def test_padding_after_last_day_is_ignored() -> None:
    """Sentinel starts past the horizon may carry any config, even invalid ones; a change on the last day is read."""
    x0, coef, starts, configs = random_problem(3, 2, 1, 3, 1, 60, seed=8)
    grid = np.r_[0, 30, 60]
    ref = solve(x0, coef, starts, configs, grid)
    padded = solve(x0, coef, np.c_[starts, [[61, 61]] * 3], np.c_[configs, [[-1, 99]] * 3], grid)
    for f in FIELDS:
        assert np.array_equal(getattr(padded, f), getattr(ref, f)), f
    last = solve(x0, coef, np.c_[starts, [[60]] * 3], np.c_[configs, [[2]] * 3], grid)
    for f in FIELDS:
        if f != "metric":
            assert np.array_equal(getattr(last, f), getattr(ref, f)), f
    want = np.einsum("rmn,rn->rm", coef.W[:, 2], last.stocks[:, -1])
    assert np.allclose(last.metric[:, -1], want, rtol=1e-14)


def test_inputs_are_not_modified() -> None:
    """solve and Coefficients.generator leave the caller's arrays untouched, n = 1 included (a past bug)."""
    for n in (1, 3):
        x0, coef, starts, configs = random_problem(4, n, 2, 3, 4, 90, seed=n)
        before = [a.copy() for a in (x0, coef.b, coef.g, coef.d, coef.T, coef.W, starts, configs)]
        coef.generator()
        solve(x0, coef, starts, configs, np.r_[0, 45, 90], chunk_size=3)
        after = (x0, coef.b, coef.g, coef.d, coef.T, coef.W, starts, configs)
        assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_validation_errors() -> None:
    """Bad inputs raise ValueError with a message naming the problem."""
    z, T, W = np.zeros((1, 1, 1)), np.zeros((1, 1, 1, 1)), np.ones((1, 1, 1, 1))
    coef = Coefficients(b=z + 1.0, g=z, d=z + 0.1, T=T, W=W)
    ok: dict[str, Any] = {"x0": [[1.0]], "coef": coef, "seg_start": [[0]], "seg_config": [[0]], "grid": [0, 5]}
    bad_solves: list[tuple[dict[str, Any], str]] = [
        ({"x0": [[-1.0]]}, "x0: stocks must be >= 0"),
        ({"x0": [[np.nan]]}, "x0: holds NaN"),
        ({"x0": [[1.0, 2.0]]}, "x0: expected shape"),
        ({"grid": [1, 5]}, "grid: must start at day 0"),
        ({"grid": [0, 5, 5]}, "strictly increasing"),
        ({"grid": [0.0, 5.0]}, "grid: expected an integer array"),
        ({"seg_start": [[1]]}, "first segment"),
        ({"seg_start": [[0, 3, 2]], "seg_config": [[0, 0, 0]]}, "strictly increasing"),
        ({"seg_start": [[0, 3]], "seg_config": [[0]]}, "must both be"),
        ({"seg_config": [[1]]}, r"seg_config: configs .* must be in \[0, 1\)"),
        ({"seg_start": [[0, 5]], "seg_config": [[0, 7]]}, "sentinel equal to the last day"),
    ]
    for change, match in bad_solves:
        with pytest.raises(ValueError, match=match):
            solve(**{**ok, **change})
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        solve(**ok, chunk_size=0)
    bad_coefs: list[tuple[dict[str, Any], str]] = [
        ({"g": z + 0.1}, r"Coefficients.g: every entry must be <= 0"),
        ({"d": z - 0.1}, r"Coefficients.d: every entry must be >= 0"),
        ({"b": z - 1.0}, r"Coefficients.b: every entry must be >= 0"),
        ({"T": T + 0.1}, "diagonal"),
        ({"W": np.ones((1, 1, 1, 2))}, r"Coefficients.W: expected shape"),
        ({"d": np.zeros((1, 1))}, "Coefficients.d: expected 3 dimensions"),
        ({"b": z + np.inf}, "Coefficients.b: holds NaN or inf"),
    ]
    for change, match in bad_coefs:
        with pytest.raises(ValueError, match=match):
            Coefficients(**{"b": z, "g": z, "d": z, "T": T, "W": W, **change})
    with pytest.raises(ValueError, match="square"):
        expm(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        expm(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="complex"):
        expm(np.eye(2) * 1j)
    with pytest.raises(ValueError, match="x0: expected shape"):
        conservation_error(solve(**ok), [[1.0, 2.0]])


def test_padding_past_the_last_day_is_padding_whatever_its_value() -> None:
    """Segment starts past the last report day are padding, however large (the solver offsets rows by the days
    it reports, so a huge sentinel must not wrap): the same trajectory as padding with the day after the last."""
    z = np.zeros((2, 2, 1))
    coef = Coefficients(b=z + 10.0, g=z, d=z + np.array([0.1, 0.3])[None, :, None], T=np.zeros((2, 2, 1, 1)),
                        W=np.ones((2, 2, 1, 1)))
    starts, configs = np.array([[0, 5], [0, np.iinfo(np.int64).max]]), np.array([[0, 1], [0, 0]])
    huge = solve(np.ones((2, 1)), coef, starts, configs, np.arange(10))
    plain = solve(np.ones((2, 1)), coef, np.minimum(starts, 10), configs, np.arange(10))
    assert np.array_equal(huge.stocks, plain.stocks) and np.array_equal(huge.metric_cum, plain.metric_cum)
    assert huge.stocks[0, 9, 0] != huge.stocks[1, 9, 0]  # the first row changed config on day 5
