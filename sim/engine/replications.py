"""One chunk of replications: play each replication's timeline, solve its stocks exactly, collect the arrays.

For each chunk: parameters are drawn from their named streams (:mod:`sim.engine.draws`), the lifecycles of the
chunk's replications run on SimPy (:func:`sim.engine.chunk_lifecycle.play_chunk`: one calendar for the chunk),
the timelines become piecewise-constant coefficients (:mod:`sim.engine.segments`), and
:func:`sim.engine.dynamics.solve` gives stocks, exposure and their exact integrals on the report grid, once with
the measures and once without (the counterfactual, same draws). Results do not depend on the chunk size or on
how chunks are spread over workers.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from sim.engine.chunk_lifecycle import play_chunk
from sim.engine.clock import scenario_dates
from sim.engine.coefficients import Coefficients
from sim.engine.cohorts import members
from sim.engine.columns import chunk_batches, on_grid, supported
from sim.engine.draws import ChunkDraws, Input
from sim.engine.dynamics import conservation_error, solve
from sim.engine.effects import EffectRef, effect_refs, effect_values
from sim.engine.layout import GROUP_BYTES, EffectProfiles, Layout, column_batches, row_batches
from sim.engine.played import STATS
from sim.engine.segment_coefficients import Params, coefficients
from sim.engine.sparse_layout import SPARSE_COLUMNS, sparse_layout
from sim.engine.streams import Streams
from sim.engine.timeline import EventLog
from sim.scenario.calendar import add_months, day_to_date
from sim.scenario.errors import DocketError
from sim.scenario.planned import planned_day
from sim.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]
CHUNK = 1024
CHECK_TOLERANCE = 1e-9


def report_grid(scenario: Scenario) -> list[int]:
    """Report days since the window start: daily, weekly (start + 7k) or monthly (the 1st of each month),
    always including the start and the end of the window.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> days = report_grid(load_scenario("scenarios/quickstart.yaml"))  # weekly, 2026-01-01 to 2027-12-31
        >>> days[:3], days[-2:]
        ([0, 7, 14], [728, 729])
    """
    start, end = scenario.start_day, scenario.end_day
    horizon = end - start
    if scenario.report == "day":
        days = list(range(horizon + 1))
    elif scenario.report == "week":
        days = list(range(0, horizon + 1, 7))
    else:
        d = day_to_date(start)
        first = add_months(start - d.day + 1, 1)
        days = [0]
        while first <= end:
            days.append(first - start)
            first = add_months(first, 1)
    if days[-1] != horizon:
        days.append(horizon)
    return days


def key_days(scenario: Scenario) -> list[int]:
    """The scenario's key dates (fixed ones inside the window) as days since the start; the end if none."""
    start, end = scenario.start_day, scenario.end_day
    days = sorted({d - start for k in scenario.key_dates if (d := k.fixed_day()) is not None and start <= d <= end})
    return days or [end - start]


ARRAYS = ("stocks", "metric", "metric_cum", "cf_stocks", "cf_metric", "cf_metric_cum", "avoided", "in_force",
          "first_in_force", "extensions", "injunctions", "shelvings", "lifted", "cancelled")
"""The per-replication arrays of a chunk, collected for the whole run."""
EXACT_LIMIT = 20_000
"""Runs up to this many replications keep series in float64 (quantiles exact); larger runs store float32
(relative error < 1e-7) so 100,000 replications fit in well under 1 GB."""


@dataclass
class Chunk:
    """Raw results of a chunk of replications (arrays over replications first)."""

    start: int
    stocks: FloatArray  # (R, G, n)
    metric: FloatArray  # (R, G, m)
    metric_cum: FloatArray
    cf_stocks: FloatArray
    cf_metric: FloatArray
    cf_metric_cum: FloatArray
    avoided: FloatArray  # cf_metric_cum - metric_cum, paired, before any rounding to the storage type
    in_force: npt.NDArray[np.bool_]  # (R, M, G)
    first_in_force: FloatArray  # (R, M) day or inf
    extensions: FloatArray  # (R, M)
    injunctions: FloatArray
    shelvings: FloatArray
    lifted: FloatArray
    cancelled: FloatArray
    log: EventLog
    check_error: float
    inputs: dict[str, Input]  # the uncertain streams the chunk drew from


def _params(s: Scenario, draws: ChunkDraws, refs: list[EffectRef]) -> Params:
    n, R = len(s.populations), draws.stop - draws.start
    x0, inflow, churn = np.zeros((R, n)), np.zeros((R, n)), np.zeros((R, n))
    ceiling = np.full((R, n), math.inf)
    for i, p in enumerate(s.populations):
        base = f"param:populations.{p.id}"
        x0[:, i] = draws.values(base + ".initial", p.initial)
        if p.inflow is not None:
            inflow[:, i] = draws.values(base + ".inflow", p.inflow)
        if p.outflow is not None:
            churn[:, i] = draws.values(base + ".outflow", p.outflow)
        if p.ceiling is not None:
            ceiling[:, i] = np.maximum(draws.values(base + ".ceiling", p.ceiling), x0[:, i] * (1 + 1e-12) + 1)
    pops = {p.id: i for i, p in enumerate(s.populations)}
    flows = np.zeros((R, n, n))
    for f in s.flows:
        flows[:, pops[f.from_], pops[f.to]] += draws.values(f"param:flows.{f.id}.rate", f.rate)
    weights = []
    for metric in s.metrics:
        for t, term in enumerate(metric.terms):
            w = term.weight
            weights.append(np.ones(R) if w is None else draws.values(f"param:metrics.{metric.id}.{t}.weight", w))
    values = effect_values(s, draws, refs)
    return Params(x0, inflow, churn, ceiling, flows, weights, values)


def replicate(s: Scenario, seed: int, start: int, stop: int, grid: list[int], verify_accounting: bool = False,
              dtype: type = np.float64, pins: dict[str, float] | None = None, calendar: bool | None = None,
              streams: Streams | None = None) -> Chunk:
    """Simulate replications ``start .. stop - 1``: lifecycles, exact dynamics, counterfactual.

    Series are returned as ``dtype`` (float64, or float32 for very large runs, see :data:`EXACT_LIMIT`).
    ``pins`` holds named streams at one quantile in every replication (see :class:`sim.engine.draws.ChunkDraws`).
    The lifecycles are played by :func:`sim.engine.chunk_calendar.play_chunk` (``calendar`` forces its path:
    the same results either way; benchmarks compare them). ``streams`` (of ``seed``) may be shared with the
    chunks of the same seeding blocks, which then draw each block once.
    """
    day0, end = s.start_day, s.end_day
    horizon = end - day0
    draws = ChunkDraws(Streams(seed) if streams is None else streams, start, stop, day0, pins)
    refs = effect_refs(s)
    params = _params(s, draws, refs)
    R, E, M = stop - start, len(refs), len(s.measures)
    played = play_chunk(s, draws, horizon, calendar)
    profiles, cohort = EffectProfiles(s, draws, refs, params, horizon), members(s, draws, played.anchors)

    def coefficients_of(owner: npt.NDArray[np.int64], configs: FloatArray) -> Coefficients:
        return coefficients(s, refs, params.take(owner), configs[:, None, :E], configs[:, None, E:])

    plain = cohort is None and supported(refs, played.waivers)  # every replication's profiles at once, by column
    # Each timeline's switches as arrays, found once for the layout and the in-force grid (the calendar's own)
    known = played.table({ref.measure for ref in refs if plain} | set(range(M)))
    lay = sparse_layout(s, refs, params, profiles.phase, profiles.phase_months, R, horizon, known) \
        if plain and E + M >= SPARSE_COLUMNS else None
    if lay is None:
        if cohort is not None:
            batches = row_batches(profiles.rows(k, st, M, cohort) for k, st in enumerate(played.states))
        elif plain:
            batches = chunk_batches(refs, profiles.phase, profiles.phase_months, R, M, horizon, s.start_day,
                                    GROUP_BYTES, known)
        else:
            batches = column_batches((profiles.table_columns(k, st, M) for k, st in enumerate(played.states)),
                                     horizon)
        lay = Layout.of(batches, horizon, coefficients_of)
    if s.shocks:  # the counterfactual has the shocks' effects: segments of its own
        cf_lay = Layout.of(column_batches((profiles.counterfactual(k, st, M) for k, st in enumerate(played.states)),
                                          horizon), horizon, coefficients_of)
        cf_coef, cf_start, cf_config = cf_lay.coef, cf_lay.seg_start, cf_lay.seg_config
    else:
        cf_coef = coefficients(s, refs, params, np.zeros((R, 1, E)), np.zeros((R, 1, M)))
        cf_start, cf_config = np.zeros((R, 1), dtype=np.int64), np.zeros((R, 1), dtype=np.int64)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by name (check_finite)
        traj = solve(lay.x0(params.x0), lay.coef, lay.seg_start, lay.seg_config, grid, owner=lay.owner,
                     weight=lay.weight)
        cf = solve(params.x0, cf_coef, cf_start, cf_config, grid)
    err = max(conservation_error(traj, params.x0), conservation_error(cf, params.x0)) if verify_accounting \
        else 0.0
    if verify_accounting and err > CHECK_TOLERANCE:
        raise DocketError(f"internal check failed: stock accounting off by {err:.2e} (relative) in replications "
                          f"{start}-{stop - 1}; please report this with the scenario")
    in_force = on_grid(known, R, M, grid)
    stat = {key: played.stats[:, :, i] for i, key in enumerate(STATS)}
    log = played.log
    with np.errstate(over="ignore", invalid="ignore"):
        avoided = cf.metric_cum - traj.metric_cum

    def store(a: FloatArray) -> FloatArray:
        with np.errstate(over="ignore"):  # float32 storage of a huge value overflows: check_finite names it
            return np.ascontiguousarray(a, dtype=dtype)  # the solver's series are views of one array

    chunk = Chunk(start, store(traj.stocks), store(traj.metric), store(traj.metric_cum), store(cf.stocks),
                  store(cf.metric), store(cf.metric_cum), store(avoided), in_force, stat["first_in_force"],
                  stat["extensions"], stat["injunctions"], stat["shelvings"], stat["lifted"], stat["cancelled"],
                  log, err, draws.inputs)
    check_finite(s, chunk)
    return chunk


SERIES: Final = {"stocks": ("populations", "stock"), "cf_stocks": ("populations", "stock_cf"),
                 "metric": ("metrics", "value"), "cf_metric": ("metrics", "value_cf"),
                 "metric_cum": ("metrics", "cumulative"), "cf_metric_cum": ("metrics", "cumulative_cf"),
                 "avoided": ("metrics", "avoided")}
"""The series arrays of a chunk (last axis: populations or metrics) and the quantity each is reported as."""


def check_finite(s: Scenario, c: Chunk) -> None:
    """Raise a :class:`DocketError` naming the first series of ``c`` that holds NaN or an infinity.

    The limits on each value (:data:`sim.scenario.limits.LIMITS`) keep ordinary scenarios far from overflow; many
    large factors multiplied together (or float32 storage of huge exposures) can still overflow, and a run must
    then fail rather than write ``inf`` or ``nan`` into its tables.
    """
    for key, (items, quantity) in SERIES.items():
        values = getattr(c, key)
        bad = ~np.isfinite(values)
        if not bad.any():
            continue
        r, _, i = (int(x) for x in np.argwhere(bad)[0])
        name = getattr(s, items)[i].id
        kept = "" if values.dtype == np.float64 else f" (stored as {values.dtype}, as runs over {EXACT_LIMIT:,} " \
            "replications are)"
        raise DocketError(f"{items[:-1]} `{name}` {quantity} overflows in replication {c.start + r}: it is not a "
                          f"finite number{kept}; the scenario's numbers multiply beyond what a float holds: check "
                          "the units of large counts, rates, weights and factors (see docs/scenario-format.md, "
                          "Limits)")


@dataclass
class Collected:
    """Every chunk's arrays joined into run-wide arrays (filled in place, chunk by chunk, in any order), the
    event log, and the uncertain inputs the run drew from."""

    arrays: dict[str, npt.NDArray[Any]]
    logs: dict[int, EventLog] = field(default_factory=dict)
    check_error: float = 0.0
    inputs: dict[str, Input] = field(default_factory=dict)
    first: int = 0  # the replication in row 0 of the arrays

    def add(self, c: Chunk) -> None:
        """Copy a chunk into place (a chunk whose arrays these are, :meth:`like`, is in place already)."""
        for key in ARRAYS:
            part, at = getattr(c, key), c.start - self.first
            if part is not self.arrays[key]:
                self.arrays[key][at : at + len(part)] = part
        self.logs[c.start] = c.log
        self.check_error = max(self.check_error, c.check_error)
        widest(self.inputs, c.inputs)

    @property
    def log(self) -> EventLog:
        """The event log of every replication, in replication order whatever order chunks arrived in."""
        out = EventLog([], [], [], [], [])
        for start in sorted(self.logs):
            out.extend(self.logs[start])
        return out

    @classmethod
    def like(cls, c: Chunk, replications: int, first: int = 0) -> Collected:
        """Arrays for ``replications`` replications from ``first``, shaped like chunk ``c``'s: empty, or ``c``'s
        own when it holds them all and they are writable (no copy; a saved task's arrays read its file)."""
        if c.start == first and len(c.stocks) == replications and all(getattr(c, k).flags.writeable for k in ARRAYS):
            return cls({k: getattr(c, k) for k in ARRAYS}, first=first)
        return cls({k: np.empty((replications, *getattr(c, k).shape[1:]), getattr(c, k).dtype) for k in ARRAYS},
                   first=first)

    def chunk(self) -> Chunk:
        """What was collected, as one chunk."""
        return Chunk(start=self.first, **self.arrays, log=self.log, check_error=self.check_error, inputs=self.inputs)


def widest(inputs: dict[str, Input], found: dict[str, Input]) -> None:
    """Add the streams ``found`` to ``inputs``: of two uses of a stream, the widest wins."""
    for name, x in found.items():
        if name not in inputs or x.width > inputs[name].width:
            inputs[name] = x


PART_BYTES: Final = 128 * 2**20
"""A task plays its replications about this many bytes of lifecycle at a time (:func:`rows_at_a_time`). Each
part's calendar wakes on about the same days whatever its rows, so larger parts cost less per replication;
measured at 200 measures x 1,000 replications (``benchmarks/bench_scaling.py --case measures:200 --n 1000``):
64 MB, 5.71 ms per replication and a 289 MB peak; 128 MB, 5.05 ms and 344 MB."""
TIMELINE_BYTES: Final = 3 * 2**10 // 2
"""What one timeline (a measure's or a shock's) of one replication holds while its chunk is played: its
switches, log lines, profiles, segment tables and in-force grid (measured with ``tracemalloc`` at 200 measures
and 436 replications a part: a part's peak about 195 MB above its start, 2.2 KB a timeline, much of it freed
before the next one's largest step; ``bench_scaling.py --case measures:200 --n 1000``, parts as
:func:`chunk_task` cuts them: 3 KB, 218 replications a part, 3.05 ms per replication and a 321 MB peak;
1.5 KB, 3 parts of 334, 2.37 ms and 376 MB; 1.25 KB, 2 parts of 500, 2.23 ms and 424 MB)."""


def rows_at_a_time(s: Scenario) -> int:
    """Replications :func:`chunk_task` plays together: a whole task (:data:`CHUNK`), fewer when the scenario
    has so many measures that their lifecycles would pass :data:`PART_BYTES` (never fewer than 64).

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> rows_at_a_time(load_scenario("scenarios/tiktok-wechat-2020.yaml"))
        1024
    """
    timelines = max(1, len(s.measures) + len(s.shocks))
    return max(64, min(CHUNK, PART_BYTES // (TIMELINE_BYTES * timelines)))


TaskArgs = tuple[Scenario, int, int, int, list[int], bool, type, dict[str, float] | None]
"""A task's arguments: scenario, seed, first and end replication, report grid, check accounting, series dtype,
pinned inputs."""


def chunk_task(args: TaskArgs) -> Chunk:
    """:func:`replicate` of a task's arguments, as a worker process or a Dask worker runs it, in the fewest
    parts of at most :func:`rows_at_a_time` replications, of equal size (memory bounded whatever the number of
    measures; results do not depend on the parts)."""
    # The lifecycle allocates many short-lived SimPy objects while the event log keeps many long-lived ones;
    # the cyclic collector would rescan the log over and over. Nothing here makes reference cycles that
    # outlive the chunk, so collect once afterwards instead. Between parts, only what the last part made (the
    # youngest generation: everything since the collector was turned off or last ran) is collected: a full
    # collection would also walk every object of the process (the scenario's models, the log so far), about
    # 57 ms a part at 200 measures.
    s, seed, start, stop, grid, check, dtype, pins = args
    most = rows_at_a_time(s)
    step = -(-(stop - start) // -(-(stop - start) // most))  # parts of equal size, the fewest of at most ``most``
    enabled = gc.isenabled()
    gc.disable()
    got: Collected | None = None
    streams = Streams(seed)  # the parts share it: each seeding block drawn once per task
    try:
        for a in range(start, stop, step):
            if got is not None:  # a part's calendar (its SimPy environment and actions) is a reference cycle
                gc.collect(0)
            c = replicate(s, seed, a, min(stop, a + step), grid, check, dtype, pins, streams=streams)
            got = got or Collected.like(c, stop - start, start)
            got.add(c)
        assert got is not None
        return got.chunk()
    finally:
        if enabled:
            gc.enable()


def dated_days(scenario: Scenario) -> list[int]:
    """Days (since the window start) on which a dated change is planned, and the day before each: every key date,
    deadline, decision, waiver, court, shelving, event and shock date that is certain before the run
    (:func:`sim.scenario.planned.planned_day`) and falls inside the window.

    A state changes on such a day, so a curve solved on the day before and on the day itself shows the step
    where it happens, whatever the report grid samples.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> s = load_scenario("scenarios/tiktok-wechat-2020.yaml")  # window from 2020-09-18
        >>> 1 in dated_days(s), 2 in dated_days(s)  # the app-store deadline, 2020-09-20, and the day before
        (True, True)
    """
    start, horizon = scenario.start_day, scenario.end_day - scenario.start_day
    specs = [*scenario.key_dates, *scenario_dates(scenario), *(shock.date for shock in scenario.shocks)]
    days = {d - start for spec in specs if (d := planned_day(scenario, spec)) is not None}
    return sorted({x for d in days if 0 <= d <= horizon for x in (d - 1, d) if x >= 0})


def grids(scenario: Scenario, extra_days: Iterable[int] = ()) -> tuple[list[int], set[int]]:
    """The days to solve (report grid, key dates, dated days, ``extra_days``) and the days to report (grid and
    extras).

    Values on a day do not depend on the grid (the solver is exact), so adding days only adds output: the days
    solved but not reported are the run's dated rows (:attr:`sim.runs.results.Results.dated`).
    """
    report = set(report_grid(scenario)) | set(extra_days)
    return sorted(report | set(key_days(scenario)) | set(dated_days(scenario))), report
