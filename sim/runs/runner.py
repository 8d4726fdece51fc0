"""A run: simulate every chunk of one scenario (on any executor) and aggregate the results."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Final

from sim.engine.replications import CHUNK, Collected, grids
from sim.runs.results import Results, aggregate
from sim.runs.spill import SPILL_BYTES, release
from sim.runs.study import Progress, RunSpec, run_study
from sim.scenario.loaded import run_defaults
from sim.scenario.schema import Scenario


def collect(s: Scenario, replications: int, seed: int, grid: list[int], *, workers: int | None = 1,
            chunk: int = CHUNK, verify_accounting: bool = False, progress: Progress | None = None,
            scheduler: str | None = None, keep_replications: bool = False,
            spill_bytes: int | None = None) -> Collected:
    """The arrays of one run: every chunk of it (see :func:`sim.runs.study.run_study`); results are identical for
    any ``workers`` or ``scheduler``. Series passing ``spill_bytes`` wait in a temporary file
    (:mod:`sim.runs.spill`).

    Raises:
        DocketError: when a chunk fails (naming its replications and seed).
    """
    spec = RunSpec.of("run", s, replications, seed, grid)
    study = run_study([spec], workers=workers, scheduler=scheduler, chunk=chunk, verify_accounting=verify_accounting,
                      progress=progress, keep_replications=keep_replications, spill_bytes=spill_bytes)
    try:
        study.raise_failures()
    except BaseException:
        for got in study.collected:  # a failed run's spilled series are not kept alive by the traceback
            if got is not None:
                release(got)
        raise
    collected = study.collected[0]
    assert collected is not None
    return collected


TASK_SERIES_BYTES: Final = 64 * 2**20
"""A run's tasks are of at most this many bytes of series (fewer replications than :data:`CHUNK` at long horizons:
a task's solver and lifecycles grow with it)."""


def task_size(s: Scenario, grid: list[int]) -> int:
    """Replications per task of a run of ``s`` on ``grid``: :data:`CHUNK`, fewer (never under 64) when their series
    would pass :data:`TASK_SERIES_BYTES`; results do not depend on it.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> s = load_scenario("scenarios/tiktok-wechat-2020.yaml")
        >>> task_size(s, grids(s)[0]), task_size(s, list(range(1054)))  # a year weekly; 20 years weekly
        (1024, 346)
    """
    per_replication = len(grid) * (2 * len(s.populations) + 5 * len(s.metrics)) * 8
    return max(64, min(CHUNK, TASK_SERIES_BYTES // max(1, per_replication)))


def run(scenario: Scenario, *, replications: int | None = None, seed: int | None = None,
        workers: int | None = 1, scheduler: str | None = None, verify_accounting: bool = False,
        keep_replications: bool = False, progress: Progress | None = None,
        extra_days: Iterable[int] = ()) -> Results:
    """Simulate a scenario and aggregate the results.

    Args:
        scenario: a loaded scenario (:func:`sim.scenario.loader.load_scenario`).
        replications: number of Monte Carlo replications (default: the scenario's).
        seed: root seed (default: the scenario's).
        workers: processes to use (``None``: every core); the numbers do not depend on it.
        scheduler: run on a Dask cluster at this address (``local``: start one here); see :mod:`sim.runs.executors`.
        verify_accounting: verify stock accounting (inflow - outflow - transfers = change) in every chunk.
        keep_replications: keep per-replication series in the results.
        progress: told the replications planned and finished (:class:`sim.runs.study.Progress`).
        extra_days: days (since the window start) to report in addition to the report grid.

    Returns:
        :class:`sim.runs.results.Results` with tidy DataFrames and a summary.

    Example:
        >>> from sim import load_scenario, run
        >>> res = run(load_scenario("scenarios/quickstart.yaml"), replications=100)
        >>> first = res.series.query("series == 'routers' and quantity == 'stock'").iloc[0]
        >>> str(first.date.date()), float(first.p50)  # every replication starts from the 40M routers
        ('2026-01-01', 40000000.0)
    """
    n, sd = run_defaults(scenario, replications, seed)
    grid, report = grids(scenario, extra_days)
    t0 = time.perf_counter()
    collected = collect(scenario, n, sd, grid, workers=workers, chunk=task_size(scenario, grid),
                        verify_accounting=verify_accounting, progress=progress, scheduler=scheduler,
                        keep_replications=keep_replications, spill_bytes=SPILL_BYTES)
    try:
        return aggregate(scenario, collected, grid, report, n, sd, time.perf_counter() - t0, keep_replications)
    finally:
        release(collected)

