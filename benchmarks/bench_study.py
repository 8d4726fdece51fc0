"""Benchmark a what-if study: 100 variants x 1,000 replications of the flagship on each executor (a script).

Run from anywhere (all numbers printed are measured in this one run)::

    python benchmarks/bench_study.py            # 100 variants x 1,000 replications (~3 min on 2 cores)
    python benchmarks/bench_study.py --quick    # 20 variants x 500 replications

The study is the one ``docket sweep`` builds: ``scenarios/tiktok-wechat-2020.yaml`` over a 10 x 10 grid of
the TikTok hosting-cutoff deadline (2020-11-12 to 2021-03-12) and its deferral probability (10% to 90%), each
point a variant validated like the file (:func:`sim.studies.sweep.spec_for`), run on the same seed. Every point is one
task (1,000 replications <= one chunk of 1,024). The task cache is written as in the CLI (to a temporary
folder) so the timings include it. It is run:

1. in this process (``--workers 1``): the reference time ``T1``;
2. on a local pool of 2 processes (``--workers 2``): ``T2`` and the speed-up ``T1 / T2``;
3. on a Dask ``LocalCluster`` of 2 single-threaded worker processes (``--dask local --workers 2``): ``TD``,
   with the cluster's start-up timed separately.

Overhead per task is the time an executor loses per task compared with perfect scaling of the in-process
run: ``(T_exec - T1 / workers) * workers / tasks``. A second measure isolates dispatch: 200 tasks of one
replication each, where compute is small, ``(T_exec(tiny) * workers - T1(tiny)) / tasks``.

Every executor's results are checked to be bit-identical to the in-process ones (all arrays, all event logs).
The script re-executes itself with one BLAS thread, like ``bench_flagship.py`` (tiny matrices).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def build(points: int, replications: int) -> list:
    """The study's run specs: a square grid of ``points`` variants."""
    from sim.scenario.loader import resolve_raw
    from sim.studies.design import grid, parse_param
    from sim.studies.sweep import spec_for

    side = round(points ** 0.5)
    params = [parse_param(f"measures.tiktok_hosting_cutoff.deadline=2020-11-12:2021-03-12:{side}"),
              parse_param(f"measures.tiktok_hosting_cutoff.deferral.probability=10%:90%:{side}")]
    data = resolve_raw(str(ROOT / "scenarios" / "tiktok-wechat-2020.yaml"), None)
    return [spec_for(data, point, replications, None) for point in grid(params)]


def timed(specs: list, **how: object) -> tuple[float, object]:
    """Wall time of one study (cache in a fresh temporary folder) and the study."""
    from sim.runs.study import run_study

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        study = run_study(specs, cache=Path(tmp) / "tasks", **how)  # type: ignore[arg-type]
        wall = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in (Path(tmp) / "tasks").glob("*.task"))
    study.raise_failures()
    study.cache_bytes = size  # type: ignore[attr-defined]
    return wall, study


def identical(a: object, b: object) -> bool:
    """Bit-identical arrays and event logs in every run of two studies."""
    import numpy as np

    from sim.engine.replications import ARRAYS

    return all(all(np.array_equal(x.arrays[k], y.arrays[k]) for k in ARRAYS) and x.log.rows() == y.log.rows()
               for x, y in zip(a.collected, b.collected, strict=True))  # type: ignore[attr-defined]


def main() -> None:
    """Run the benchmark and print one table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="20 variants x 500 replications")
    args = ap.parse_args()
    points, reps = (16, 500) if args.quick else (100, 1000)
    from sim.runs.executors import DaskExecutor, LocalPool
    from sim.runs.study import RunSpec

    specs = build(points, reps)
    tiny = [RunSpec(f"{s.label}#{k}", s.scenario, s.digest, 1, s.seed + k, s.grid) for k in range(2) for s in specs]
    rows = []
    t1, serial = timed(specs, workers=1)
    t1_tiny, _ = timed(tiny, workers=1)
    rows.append(("in this process (--workers 1)", t1, 1.0, "-", "-", serial.cache_bytes, True))
    with LocalPool(2) as pool:
        t2, pooled = timed(specs, executor=pool)
        t2_tiny, _ = timed(tiny, executor=pool)
    rows.append(("local pool, 2 processes (--workers 2)", t2, t1 / t2, (t2 - t1 / 2) * 2 / len(specs),
                 (t2_tiny * 2 - t1_tiny) / len(tiny), pooled.cache_bytes, identical(serial, pooled)))
    t0 = time.perf_counter()
    dask = DaskExecutor("local", 2)
    startup = time.perf_counter() - t0
    with dask:
        td, on_dask = timed(specs, executor=dask)
        td_tiny, _ = timed(tiny, executor=dask)
    rows.append(("Dask LocalCluster, 2 workers (--dask local)", td, t1 / td, (td - t1 / 2) * 2 / len(specs),
                 (td_tiny * 2 - t1_tiny) / len(tiny), on_dask.cache_bytes, identical(serial, on_dask)))

    print(f"\n{len(specs)} variants x {reps:,} replications of the flagship ({len(specs)} tasks), "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'executor':<46}{'wall':>9}{'speed-up':>10}{'overhead/task':>15}{'dispatch/task':>15}"
          f"{'cache':>9}  identical")
    for name, wall, speed, over, disp, size, same in rows:
        o = f"{over * 1000:.0f} ms" if isinstance(over, float) else over
        d = f"{disp * 1000:.1f} ms" if isinstance(disp, float) else disp
        print(f"{name:<46}{wall:>8.1f}s{speed:>9.2f}x{o:>15}{d:>15}{size / 1e6:>7.0f}MB  {same}")
    print(f"per replication in this process: {t1 / (len(specs) * reps) * 1000:.2f} ms; "
          f"Dask LocalCluster start-up (not in the times above): {startup:.1f} s; "
          f"{len(tiny)} one-replication tasks in this process: {t1_tiny:.1f} s")


if __name__ == "__main__":
    if not any(v in os.environ for v in BLAS_VARS):
        env = {**os.environ, **dict.fromkeys(BLAS_VARS, "1")}
        os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]], env)
    main()
