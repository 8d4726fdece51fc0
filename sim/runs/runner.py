"""A run: simulate every chunk of one scenario (on any executor) and aggregate the results."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sim.engine.replications import CHUNK, Collected, grids
from sim.runs.results import Results, aggregate
from sim.runs.spill import SPILL_BYTES
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
    study.raise_failures()
    collected = study.collected[0]
    assert collected is not None
    return collected


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
    collected = collect(scenario, n, sd, grid, workers=workers, verify_accounting=verify_accounting,
                         progress=progress, scheduler=scheduler, keep_replications=keep_replications,
                         spill_bytes=SPILL_BYTES)
    return aggregate(scenario, collected, grid, report, n, sd, time.perf_counter() - t0, keep_replications)

