"""docket against the fair SimPy baseline and the numpy floor on the flagship: agreement, then speed (a script).

    python benchmarks/bench_parity.py             # 10,000 replications, 3 interleaved rounds (~5 min)
    python benchmarks/bench_parity.py --n 2000 --rounds 2

The models are in :mod:`baselines`. Agreement is checked first, at ``--n`` replications, on the headline
outputs: each population's stock and each metric's cumulative value at the window end, and P(in force) of
each measure on each key date:

* fair baseline (docket's streams, the same timelines): per replication, the largest relative difference of
  the stocks and cumulative metrics at every grid day (its daily Heun step against docket's exact solution),
  and in force on every grid day equal in every replication;
* both models, as independent samples: the difference of means within 3 standard errors
  (``sqrt(se_a^2 + se_b^2)``) and the two-sample Kolmogorov-Smirnov statistic below its 0.1% critical value
  ``1.95 sqrt(2 / n)``; P(in force) within 3 standard errors of the difference of two proportions.
  (For the fair baseline, which shares docket's draws, these hold trivially; they are the test of the floor.)

Speed: ``--rounds`` rounds, each running docket (:func:`sim.runs.runner.run`, one worker, monthly results as
written: the weekly grid), the fair baseline and the floor once, in that order, in this process; CPU time per
replication, the median over rounds and the spread (min-max), and the ratios of the medians. The targets are
``run`` against these two. Two more rows put like against like: docket's engine alone
(:func:`sim.runs.runner.collect`: every replication's arrays and event log, without the quantiles, splits and
tables of ``run``) against the floor that also solves the counterfactual (no measure in force: what docket
solves in every run for ``avoided``; checked for agreement with docket's like the other headline outputs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from baselines import run_fair, run_floor

from sim.engine.replications import grids
from sim.runs.runner import collect, run
from sim.scenario.calendar import day_to_date
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "tiktok-wechat-2020.yaml"
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic."""
    both = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), both, side="right") / a.size
    fb = np.searchsorted(np.sort(b), both, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def compare(label: str, docket: dict[str, Any], other: dict[str, Any], n: int) -> bool:
    """Means within 3 SE and KS below its 0.1% critical value for each headline output; P(in force) within 3 SE."""
    ok, crit = True, 1.95 * (2 / n) ** 0.5
    worst_z, worst_ks, worst_p = 0.0, 0.0, 0.0
    for name, b in other["values"].items():  # what the other model computes (the fair one: no counterfactual)
        a = docket["values"][name]
        se = (a.var(ddof=1) / a.size + b.var(ddof=1) / b.size) ** 0.5
        z = abs(a.mean() - b.mean()) / se if se > 0 else (0.0 if a.mean() == b.mean() else np.inf)
        d = ks(a, b)
        worst_z, worst_ks = max(worst_z, z), max(worst_ks, d)
        if z > 3 or d > crit:
            ok = False
            print(f"    {label}: {name}: mean {a.mean():.6g} vs {b.mean():.6g} ({z:.2f} SE), KS {d:.4f} "
                  f"(critical {crit:.4f})")
    for name, pa in docket["in_force"].items():
        pb = other["in_force"][name]
        se = ((pa * (1 - pa) + pb * (1 - pb)) / n) ** 0.5
        z = abs(pa - pb) / se if se > 0 else (0.0 if pa == pb else np.inf)
        worst_p = max(worst_p, z)
        if z > 3:
            ok = False
            print(f"    {label}: P(in force) {name}: {pa:.4f} vs {pb:.4f} ({z:.2f} SE)")
    print(f"  {label} vs docket: worst mean difference {worst_z:.2f} SE (<= 3), worst KS {worst_ks:.4f} "
          f"(<= {crit:.4f}), worst P(in force) difference {worst_p:.2f} SE (<= 3): {'PASS' if ok else 'FAIL'}")
    return ok


def headline(s: Any, grid: list[int], stocks: np.ndarray, cum: np.ndarray, on: np.ndarray) -> dict[str, Any]:
    """The headline outputs of one model's per-replication arrays."""
    keys = [d - s.start_day for d in sorted({k.fixed_day() for k in s.key_dates}) if d is not None]
    values = {f"{p.id} stock at end": stocks[:, -1, i] for i, p in enumerate(s.populations)}
    values |= {f"{m.id} cumulative at end": cum[:, -1, k] for k, m in enumerate(s.metrics)}
    in_force = {f"{m.id} on {day_to_date(s.start_day + d)}": float(on[:, mi, grid.index(d)].mean())
                for mi, m in enumerate(s.measures) for d in keys if d in grid}
    return {"values": values, "in_force": in_force}


def cpu(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    c0 = time.process_time()
    out = fn(*args, **kwargs)
    return out, time.process_time() - c0


def main() -> None:
    if not any(v in os.environ for v in BLAS_VARS):  # tiny matrices: one BLAS thread (see bench_flagship.py)
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **dict.fromkeys(BLAS_VARS, "1")})
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="replications")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
    args = ap.parse_args()
    s, n = load_scenario(SCENARIO), args.n
    grid, _ = grids(s)
    print(f"flagship, {n:,} replications, grid of {len(grid)} days")

    col = collect(s, n, s.seed, grid, workers=1)
    d_on = col.arrays["in_force"]
    docket = headline(s, grid, col.arrays["stocks"], col.arrays["metric_cum"], d_on)
    f_stocks, f_cum, f_on = run_fair(s, n, s.seed, grid)
    fair = headline(s, grid, f_stocks, f_cum, f_on)
    f_stocks2, f_cum2, f_on2, f_cf_stocks, f_cf_cum = run_floor(s, n, s.seed + 1, grid, counterfactual=True)
    floor = headline(s, grid, f_stocks2, f_cum2, f_on2)
    for name, a, b in (("stocks", col.arrays["cf_stocks"], f_cf_stocks), ("cumulative metrics",
                                                                         col.arrays["cf_metric_cum"], f_cf_cum)):
        cf = {f"counterfactual {name} {i} at end": b[:, -1, i] for i in range(b.shape[2])}
        floor["values"] |= cf
        docket["values"] |= {k: a[:, -1, i] for i, k in enumerate(cf)}
    scale = np.maximum(np.abs(col.arrays["stocks"]), 1.0)
    per_rep = float(np.max(np.abs(f_stocks - col.arrays["stocks"]) / scale))
    cum_scale = np.maximum(np.abs(col.arrays["metric_cum"]), 1.0)
    per_rep_cum = float(np.max(np.abs(f_cum - col.arrays["metric_cum"]) / cum_scale))
    same_on = int((f_on == d_on).all(axis=(1, 2)).sum())
    print(f"  fair baseline, replication by replication: in force equal on every grid day in {same_on:,} / {n:,}; "
          f"largest relative difference of stocks {per_rep:.2e}, of cumulative metrics {per_rep_cum:.2e}")
    compare("fair baseline", docket, fair, n)
    compare("numpy floor", docket, floor, n)

    times: dict[str, list[float]] = {"docket": [], "fair": [], "floor": [], "engine": [], "floor+cf": []}
    run(s, replications=64)  # warm-up (imports, caches), not timed
    run_fair(s, 16, s.seed, grid)
    run_floor(s, 64, s.seed, grid, counterfactual=True)
    for r in range(args.rounds):
        times["docket"].append(cpu(run, s, replications=n, workers=1)[1])
        times["fair"].append(cpu(run_fair, s, n, s.seed, grid)[1])
        times["floor"].append(cpu(run_floor, s, n, s.seed + 1, grid)[1])
        times["engine"].append(cpu(collect, s, n, s.seed, grid, workers=1)[1])
        times["floor+cf"].append(cpu(run_floor, s, n, s.seed + 1, grid, counterfactual=True)[1])
        print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nCPU time per replication, {n:,} replications, one worker, median of {args.rounds} interleaved rounds "
          "(min-max):")
    for k, v in times.items():
        ratio = {"docket": "", "fair": f"   fair / docket = {med['fair'] / med['docket']:.2f}",
                 "floor": f"   docket / floor = {med['docket'] / med['floor']:.2f}",
                 "engine": "   (docket's engine alone: collect(), without run()'s results)",
                 "floor+cf": f"   engine / floor+cf = {med['engine'] / med['floor+cf']:.2f} (like for like)"}[k]
        print(f"  {k:<7} {1e3 * med[k] / n:7.3f} ms  ({1e3 * min(v) / n:.3f}-{1e3 * max(v) / n:.3f}){ratio}")
    print(f"  target: docket >= 10x faster than the fair baseline: {med['fair'] / med['docket']:.2f}x "
          f"({'met' if med['fair'] >= 10 * med['docket'] else 'not met'}); within 2x of the floor: "
          f"{med['docket'] / med['floor']:.2f}x ({'met' if med['docket'] <= 2 * med['floor'] else 'not met'})")


if __name__ == "__main__":
    main()
