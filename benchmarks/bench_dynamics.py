"""Time :func:`sim.engine.dynamics.solve` on Monte Carlo-sized problems (a script, not a test).

Cases: R=10,000 replications, n=3 stocks, m=2 metrics, C=4 configs, 10 change days per replication over
the horizon, monthly report grid (calendar month ends) over 1 year and over 5 years. Their ratio shows
what grows with the horizon: the per-step work (more grid steps), not the matrix exponentials, whose
count is fixed and whose powers stop at the longest step (a month). ``--big`` adds R=100,000, C=8 over
5 years (the memory-sizing case). Prints wall and CPU seconds per case, the 5y/1y ratios and the peak resident memory.

Run from the repository root::

    python benchmarks/bench_dynamics.py [--repeat 3] [--chunk 4096] [--big]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from sim.engine.coefficients import Coefficients
from sim.engine.dynamics import PLAIN_CHUNK, Trajectory, conservation_error, solve

N_STOCKS, N_METRICS, N_CHANGES = 3, 2, 10


def make_problem(
    R: int, n: int, m: int, C: int, n_changes: int, horizon: int, seed: int
) -> tuple[np.ndarray, Coefficients, np.ndarray, np.ndarray]:
    """Random Monte Carlo-like inputs: daily rates of a few %/month, inflows ~1e5/day, stocks ~1e7.

    Example:
        >>> x0, coef, starts, configs = make_problem(2, 4, 3, 6, 10, 365, seed=0)
        >>> starts.shape, coef.T.shape
        ((2, 11), (2, 6, 4, 4))
    """
    rng = np.random.default_rng(seed)
    T = rng.uniform(0.0, 0.002, (R, C, n, n))
    T[..., np.arange(n), np.arange(n)] = 0.0
    coef = Coefficients(
        b=rng.uniform(0.0, 1e5, (R, C, n)),
        g=-rng.uniform(0.0, 1e-3, (R, C, n)),
        d=rng.uniform(0.0, 0.003, (R, C, n)),
        T=T,
        W=rng.uniform(0.0, 1.0, (R, C, m, n)),
    )
    x0 = rng.uniform(1e6, 1e7, (R, n))
    # Change days uniform over the window (sorted; duplicates pushed apart), padded with horizon + 1.
    days = np.sort(rng.integers(1, horizon, (R, n_changes)), axis=1)
    days = days + np.arange(n_changes)  # strictly increasing
    starts = np.concatenate([np.zeros((R, 1), dtype=np.int64), days], axis=1)
    starts[starts > horizon] = horizon + 1
    configs = rng.integers(0, C, starts.shape)
    return x0, coef, starts, configs


def monthly_grid(years: int) -> np.ndarray:
    """Day offsets of the month ends of ``years`` years from 2021-01-01 (28-31 day gaps, G = 12 years + 1).

    Example:
        >>> monthly_grid(1)[[0, 1, 2, -1]].tolist()
        [0, 31, 59, 365]
    """
    month_len = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] * years)
    if years > 3:
        month_len[12 * 3 + 1] = 29  # 2024 is a leap year
    return np.concatenate([[0], np.cumsum(month_len)])


def time_case(
    label: str, R: int, C: int, grid: np.ndarray, repeat: int, chunk: int
) -> tuple[float, float, Trajectory, np.ndarray]:
    """Best-of-``repeat`` wall and CPU time of one solve; prints them with the conservation check.

    CPU time (``time.process_time``) is printed too because wall time is unreliable on a shared machine.

    Example:
        >>> wall, cpu, traj, x0 = time_case("tiny", 10, 2, np.arange(0, 29, 7), 1, 4096)  # doctest: +ELLIPSIS
        tiny ...
    """
    x0, coef, starts, configs = make_problem(R, N_STOCKS, N_METRICS, C, N_CHANGES, int(grid[-1]), seed=1)
    wall = cpu = float("inf")
    traj: Trajectory | None = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        traj = solve(x0, coef, starts, configs, grid, chunk_size=chunk)
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    assert traj is not None
    print(
        f"{label:<24} R={R:>7,} n={N_STOCKS} C={C} G={grid.size:>4}  wall {wall:7.3f} s  cpu {cpu:7.3f} s"
        f"  ({1e6 * wall / R:6.2f} us/replication)  conservation={conservation_error(traj, x0):.1e}"
    )
    return wall, cpu, traj, x0


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports ``ru_maxrss`` in KiB).

    Example:
        >>> peak_rss_mb() > 0
        True
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    """Run the cases and print timings, the 5y/1y ratio and peak RSS.

    Example:
        >>> main()  # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="solves per case; the best time is reported")
    parser.add_argument("--chunk", type=int, default=PLAIN_CHUNK, help="replications per chunk")
    parser.add_argument("--big", action="store_true", help="also run R=100,000, C=8 over 5 years")
    args = parser.parse_args()

    print(f"numpy {np.__version__}, chunk={args.chunk}, {N_CHANGES} change days per replication")
    w1, c1, _, _ = time_case("monthly grid, 1 year", 10_000, 4, monthly_grid(1), args.repeat, args.chunk)
    w5, c5, _, _ = time_case("monthly grid, 5 years", 10_000, 4, monthly_grid(5), args.repeat, args.chunk)
    print(f"5y/1y ratio: wall {w5 / w1:.2f}, cpu {c5 / c1:.2f}")
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")
    if args.big:
        _, _, traj, _ = time_case("monthly grid, 5 years", 100_000, 8, monthly_grid(5), 1, args.chunk)
        out_mb = sum(getattr(traj, f).nbytes for f in traj.__dataclass_fields__) / 2**20
        print(f"peak RSS after R=100k: {peak_rss_mb():,.0f} MB (its Trajectory holds {out_mb:,.0f} MB)")


if __name__ == "__main__":
    main()
