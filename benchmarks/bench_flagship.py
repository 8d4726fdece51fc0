"""Benchmark docket on the flagship scenario against a plain, hand-written daily-tick SimPy model (a script).

Run from anywhere (numbers are printed as one table, all measured in this one run)::

    python benchmarks/bench_flagship.py            # full: 10,000 replications, 100,000 for the memory run
    python benchmarks/bench_flagship.py --quick    # 1,000 and 20,000
    python benchmarks/bench_flagship.py --parts profile   # only the cProfile of docket's run (4,096 reps)

Parts (``--parts`` picks a comma-separated subset; default ``parity,horizon,memory,coldstart``):

1. **parity** -- ``scenarios/tiktok-wechat-2020.yaml`` with a monthly report grid, run by
   :func:`sim.runs.runner.run` and by :class:`PlainReplication` below, in this process, on the same replications
   (each after an untimed warm-up of a few replications). Reports both wall (and CPU) times, their ratio,
   and the largest relative difference of the median of every population at every point of the monthly
   report grid (the window start, 00:00 on the 1st of each month, i.e. the end of the month before, and the
   window end); target 0.1%. Not timed, as evidence that the two
   models play the *same* timelines: every replication of the first chunk is compared measure by measure
   (in-force switch days, extensions, injunctions, lifted, cancelled) with docket's
   :class:`sim.engine.lifecycle.Replication`, and its stocks replication by replication with
   :func:`sim.engine.replications.replicate`.
2. **horizon** -- docket's cost per replication with the window end moved to start + 1 year and start + 5
   years (raw data edited and re-validated with :func:`sim.scenario.loader.validate_data`; monthly report grid, as in
   part 1). Target: 5y/1y <= 2.
3. **memory** -- 100,000 replications (``--quick``: 20,000) of the scenario as written (weekly report)
   through :func:`sim.runs.runner.run` with summary output only (no per-replication series), in a fresh
   subprocess; peak RSS from ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` in this process (the memory
   subprocess is the first child this script waits for, so the maximum is its own), cross-checked by the
   child's own ``RUSAGE_SELF``. Target < 1 GB. Wall time reported.
4. **coldstart** -- ``docket --help`` and ``docket validate scenarios/tiktok-wechat-2020.yaml``, median wall
   time of 5 fresh subprocesses each (after one untimed warm-up of each, so the OS file cache is warm), run
   through the console script next to ``sys.executable`` (not a pyenv shim). Targets 0.3 s and 0.6 s.
5. **profile** (only when asked) -- cProfile of ``run`` on 4,096 replications, top 15 functions by tottime.

Every matrix here is tiny (at most 9x9), so the script runs with one BLAS thread (it re-executes itself with
``OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1`` unless one of them is set): with threaded
OpenBLAS on a busy 2-core machine, scipy's 9x9 ``expm`` took 3.5 ms instead of 0.1 ms. Wall times on a
shared machine are noisy; CPU times are printed next to them.

The plain model
---------------
What a user would write without docket: per replication a ``simpy.Environment`` with one process for the
events, one per measure, and one for the populations, each waking every day (``env.timeout(1)``) and
checking the rules:

* events: on their date (an absolute date draw) they occur with their probability if their ``requires``
  have occurred;
* measures, in docket's same-day order (events, lifts, courts, deferrals, deadlines): lifted on the day a
  ``lifted_by`` event occurs; on a court decision day (the later of the decision and filing dates) an
  injunction with its probability, then an appeal with its probability decided ``appeal_delay`` later,
  which reverses the injunction with its probability; on the deadline, if not lifted or cancelled, a
  deferral with its probability up to the cap (``max`` or the length of ``schedule``) moves the deadline by
  the drawn or scheduled delay (at least one day; whole calendar months for fixed month delays); else the
  measure is cancelled if an ``unless`` event has occurred, or becomes due. In force = due and not
  enjoined, lifted or cancelled;
* populations: every day, the effect intensities (in force x phase-in step ``j/k``, ``k = steps`` or
  ``ceil(phase_in / 7)``, step ``j`` from ``ceil((j - 1) P / k)`` days after the measure last came into
  force) give that day's coefficients (inflow scaled, extra outflow, transfers, unpatched share, exposure
  factors, ceilings) and generator ``A``; the one-day propagator of the augmented state ``[x, 1, integral
  of x]`` is ``expm([[A, b, 0], [0, 0, 0], [I, 0, 0]])`` (``scipy.linalg.expm``, cached per distinct
  config of the replication; the constant state is a power of two >= sum(b) instead of 1, so that ``expm``
  does not square for the size of ``b``, ~1e5/day -- 20x cheaper and more accurate), which advances the
  stocks exactly and gives the day's exact integral, from which the metrics' cumulative integrals are
  accumulated (weights x integral). Stocks and cumulative metrics are recorded at 00:00 of every report
  day, before that day's step, as docket reports them.

Random draws: the plain model does not call docket's lifecycle or runner; it asks
:class:`sim.engine.draws.ChunkDraws` over :class:`sim.engine.streams.Streams` (chunks of 1,024 replications, as
docket) for the same stream names with the same calls as ``sim/engine/lifecycle.py`` and
``sim/engine/replications.py::_params`` (effect values: :func:`sim.engine.effects.effect_values`)
(``event:ID:date``, ``event:ID``, ``measure:ID:deadline``, ``measure:ID:deferral`` (column = extension,
width = cap), ``measure:ID:deferral:delay``, ``challenge:ID:decision|filed|injunction|appeal|appeal_delay
|reversal``, ``param:populations.ID.initial|inflow|outflow|ceiling``, ``param:flows.ID.rate``,
``param:metrics.ID.T.weight``, ``param:measures.ID.effects.I.factor|extra|rate|time_constant|phase_in``),
so every replication's realised timeline is the same as docket's.

Deviations (none affects the flagship): relative dates (``anchor + offset``), waivers, shelving and durations in
months other than fixed deferral delays are not implemented -- the script refuses a scenario that uses them; an
appeal decided zero days after the injunction is decided in the same day's court phase (docket: the same).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import math
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from sim.engine.draws import ChunkDraws
from sim.engine.lifecycle import Replication
from sim.engine.replications import replicate, report_grid
from sim.engine.streams import Streams
from sim.runs.runner import run
from sim.scenario.calendar import add_months, day_to_date
from sim.scenario.loader import load_scenario, resolve_raw, validate_data
from sim.scenario.schema import Measure, Scenario

try:
    from scipy.linalg import expm as _expm

    EXPM_NAME = "scipy.linalg.expm"
except ImportError:  # scipy is a test extra; docket's own numpy expm is exact to the same precision
    from sim.engine.expm import expm as _expm

    EXPM_NAME = "sim.engine.expm.expm"

FloatArray = npt.NDArray[np.float64]
ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "tiktok-wechat-2020.yaml"
CHUNK = 1024  # draws are requested per chunk as docket does; results do not depend on it
GB = 2**30
# One BLAS thread (unless set otherwise), here and in the subprocesses: every matrix in both models is tiny,
# and threaded BLAS on a busy 2-core machine made scipy's 9x9 expm 30x slower (3.5 ms instead of 0.1 ms).
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------------------------------------------------
# The plain daily-tick model
# ---------------------------------------------------------------------------------------------------------
@dataclass
class MState:
    """One measure's flags in the plain model."""

    due: bool = False
    enjoined: bool = False
    lifted: bool = False
    cancelled: bool = False
    in_force: bool = False
    on_since: int = 0
    deadline: float = math.inf
    extensions: int = 0
    injunctions: int = 0
    switches: list[tuple[int, bool]] = field(default_factory=list)


def switch(st: MState, t: int) -> None:
    """Record a change of in force on day ``t`` (in force = due and not enjoined, lifted or cancelled)."""
    active = st.due and not (st.enjoined or st.lifted or st.cancelled)
    if active != st.in_force:
        st.in_force = active
        st.switches.append((t, active))
        if active:
            st.on_since = t


@dataclass
class Court:
    """One lawsuit in the plain model: ``stage`` is decision, appeal or done."""

    challenge: Any
    day: float
    stage: str = "decision"
    appeal_day: float = math.inf


class PlainParams:
    """Per-chunk parameter draws, by the stream names of ``sim.engine.replications._params`` and
    ``sim.engine.effects.effect_values`` (written out by hand)."""

    def __init__(self, s: Scenario, draws: ChunkDraws):
        R, n = draws.stop - draws.start, len(s.populations)
        self.x0, self.inflow, self.churn = np.zeros((R, n)), np.zeros((R, n)), np.zeros((R, n))
        self.ceiling = np.full((R, n), math.inf)
        for i, p in enumerate(s.populations):
            base = f"param:populations.{p.id}"
            self.x0[:, i] = draws.values(base + ".initial", p.initial)
            if p.inflow is not None:
                self.inflow[:, i] = draws.values(base + ".inflow", p.inflow)
            if p.outflow is not None:
                self.churn[:, i] = draws.values(base + ".outflow", p.outflow)
            if p.ceiling is not None:
                self.ceiling[:, i] = np.maximum(draws.values(base + ".ceiling", p.ceiling),
                                                self.x0[:, i] * (1 + 1e-12) + 1)
        pops = {p.id: i for i, p in enumerate(s.populations)}
        self.flows = np.zeros((R, n, n))
        for f in s.flows:
            self.flows[:, pops[f.from_], pops[f.to]] += draws.values(f"param:flows.{f.id}.rate", f.rate)
        self.weights: list[list[FloatArray]] = []
        for metric in s.metrics:
            self.weights.append([np.ones(R) if term.weight is None else
                                 draws.values(f"param:metrics.{metric.id}.{t}.weight", term.weight)
                                 for t, term in enumerate(metric.terms)])
        # One entry per effect, measure by measure: (measure index, effect, value, phase-in days).
        self.effects: list[tuple[int, Any, FloatArray, FloatArray]] = []
        for mi, m in enumerate(s.measures):
            for ei, e in enumerate(m.effects):
                name = f"param:measures.{m.id}.effects.{ei}"
                if e.type in ("scale_inflow", "scale_exposure"):
                    v = draws.values(name + ".factor", e.factor)
                elif e.type == "raise_outflow":
                    v = draws.values(name + ".extra", e.extra)
                elif e.type == "transfer":
                    v = (draws.values(name + ".rate", e.rate) if e.rate is not None
                         else 1.0 / np.maximum(draws.values(name + ".time_constant", e.time_constant), 1.0))
                else:
                    v = np.ones(R)
                phase = draws.values(name + ".phase_in", e.phase_in) if e.phase_in is not None else np.zeros(R)
                self.effects.append((mi, e, v, phase))


class PlainReplication:
    """Replication ``r`` of scenario ``s`` as a daily-tick SimPy model; ``run()`` fills ``stocks``/``cum``."""

    def __init__(self, s: Scenario, draws: ChunkDraws, par: PlainParams, r: int, horizon: int,
                 grid: dict[int, int]):
        self.s, self.d, self.par, self.r, self.horizon, self.grid = s, draws, par, r, horizon, grid
        self.k = r - draws.start
        self.env = simpy.Environment()
        self.occurred: dict[str, int] = {}
        self.states = {m.id: MState() for m in s.measures}
        self.pops = {p.id: i for i, p in enumerate(s.populations)}
        n, m = len(s.populations), len(s.metrics)
        self.stocks = np.zeros((len(grid), n))
        self.cum = np.zeros((len(grid), m))

    def run(self) -> PlainReplication:
        """Play the window day by day."""
        self.env.process(self.events())
        for m in self.s.measures:
            self.env.process(self.measure(m))
        self.env.process(self.populations())  # last: it sees the day's final states
        self.env.run(until=self.horizon + 1)
        return self

    def absolute(self, name: str, spec: Any) -> int:
        """An absolute date as days since the window start."""
        return round(self.d.date(name, spec, self.r))

    # -- events ---------------------------------------------------------------------------------------------
    def events(self) -> Any:
        plan = [(e, self.absolute(f"event:{e.id}:date", e.date)) for e in self.s.events]
        done: set[str] = set()
        while True:
            t = int(self.env.now)
            for e, day in plan:
                if e.id in done or day > self.horizon or t < day:
                    continue
                done.add(e.id)
                if all(q in self.occurred for q in e.requires) and self.d.happens(f"event:{e.id}", e.probability,
                                                                                  self.r):
                    self.occurred[e.id] = t
            yield self.env.timeout(1)

    # -- measures -------------------------------------------------------------------------------------------
    def update(self, st: MState, t: int) -> None:
        switch(st, t)

    def measure(self, m: Measure) -> Any:
        st = self.states[m.id]
        st.deadline = self.absolute(f"measure:{m.id}:deadline", m.deadline)
        courts = []
        for c in m.challenges:
            day = self.absolute(f"challenge:{c.id}:decision", c.decision)
            if c.filed is not None:
                day = max(day, self.absolute(f"challenge:{c.id}:filed", c.filed))
            courts.append(Court(c, day, "decision" if day <= self.horizon else "done"))
        d = m.deferral
        cap = (len(d.schedule) if d.schedule else d.max or 0) if d else 0
        pending = st.deadline <= self.horizon
        while True:
            t = int(self.env.now)
            if not st.lifted and any(ev in self.occurred for ev in m.lifted_by):  # lifts
                st.lifted = True
                self.update(st, t)
            for court in courts:  # court decisions
                self.court(st, court, t)
            if pending and t >= st.deadline:  # deferral, else the deadline takes effect
                if (d is not None and not (st.lifted or st.cancelled) and st.extensions < cap
                        and self.d.happens(f"measure:{m.id}:deferral", d.probability, self.r, st.extensions, cap)):
                    delay = d.schedule[st.extensions] if d.schedule else d.delay
                    assert delay is not None
                    extra = self.d.value(f"measure:{m.id}:deferral:delay", delay, self.r, st.extensions, cap)
                    old = st.deadline
                    st.deadline = old + max(1, round(extra))
                    if delay.months and delay.is_fixed:
                        st.deadline = add_months(int(old) + self.d.day0, delay.months) - self.d.day0
                    st.extensions += 1
                    pending = st.deadline <= self.horizon
                else:
                    pending = False
                    if not (st.lifted or st.cancelled):
                        if any(e in self.occurred for e in m.unless):
                            st.cancelled = True
                        else:
                            st.due = True
                            self.update(st, t)
            yield self.env.timeout(1)

    def court(self, st: MState, court: Court, t: int) -> None:
        c, name = court.challenge, f"challenge:{court.challenge.id}"
        if court.stage == "decision" and t >= court.day:
            court.stage = "done"
            if st.lifted or st.cancelled or not self.d.happens(name + ":injunction", c.injunction, self.r):
                return
            st.enjoined = True
            st.injunctions += 1
            self.update(st, t)
            a = c.appeal
            if a is None or not self.d.happens(name + ":appeal", a.probability, self.r):
                return
            later = round(self.d.value(name + ":appeal_delay", a.decision, self.r))
            if t + later <= self.horizon:
                court.stage, court.appeal_day = "appeal", t + later
        if court.stage == "appeal" and t >= court.appeal_day:
            court.stage = "done"
            if self.d.happens(name + ":reversal", c.appeal.reversal, self.r):
                st.enjoined = False
                self.update(st, t)

    # -- populations ----------------------------------------------------------------------------------------
    def level(self, st: MState, phase: float, steps: int | None, t: int) -> float:
        """Intensity of an effect on day ``t``: 0 when not in force, else the phase-in step reached."""
        if not st.in_force:
            return 0.0
        if phase <= 0 or t - st.on_since >= phase:
            return 1.0
        k = max(1, steps or math.ceil(phase / 7))
        reached = sum(1 for j in range(k) if st.on_since + math.ceil(j * phase / k) <= t)
        return reached / k

    def propagator(self, levels: tuple[float, ...], flags: tuple[bool, ...]) -> tuple[FloatArray, FloatArray]:
        """The one-day propagator of ``[x, 1, integral x]`` and the metric weights, for one config."""
        s, par, k = self.s, self.par, self.k
        n, nm = len(s.populations), len(s.metrics)
        scale_in, extra_out = np.ones(n), np.zeros(n)
        T, unpatched, expo = par.flows[k].copy(), np.zeros(n), np.ones((nm, n))
        metrics = {mm.id: i for i, mm in enumerate(s.metrics)}
        for (_, e, value, _), lv in zip(par.effects, levels, strict=True):
            v = float(value[k])
            if e.type == "scale_inflow":
                scale_in[self.pops[e.population]] *= 1.0 - lv * (1.0 - v)
            elif e.type == "raise_outflow":
                extra_out[self.pops[e.population]] += lv * v
            elif e.type == "transfer":
                T[self.pops[e.from_], self.pops[e.to]] += lv * v
            elif e.type == "stop_updates":
                i = self.pops[e.population]
                unpatched[i] = max(unpatched[i], lv)
            else:
                for j in (range(nm) if e.metric is None else [metrics[e.metric]]):
                    expo[j, self.pops[e.population]] *= 1.0 - lv * (1.0 - v)
        a = par.inflow[k] * scale_in
        K, x0 = par.ceiling[k], par.x0[k]
        capped = np.isfinite(K)
        room = np.where(capped, K - x0, 1.0)
        b = np.where(capped, a * np.where(capped, K, 0.0) / room, a)
        g = np.where(capped, -a / room, 0.0)
        np.fill_diagonal(T, 0.0)
        A = T.T.copy()
        A[np.diag_indices(n)] = g - (par.churn[k] + extra_out) - T.sum(axis=1)
        measures = {mm.id: i for i, mm in enumerate(s.measures)}
        W = np.zeros((nm, n))
        for j, metric in enumerate(s.metrics):
            for t, term in enumerate(metric.terms):
                i = self.pops[term.population]
                w = float(par.weights[j][t][k]) * expo[j, i]
                if term.only == "unpatched":
                    w *= unpatched[i]
                if term.while_ is not None:
                    w *= float(flags[measures[term.while_]])
                W[j, i] += w
        # The constant state is c = 2^j >= sum(b) rather than 1, so the inflow column is <= 1 and expm does not
        # square for the size of b (~1e5/day): a power of two, so scaling the column back by c is exact.
        c = 2.0 ** max(0, math.ceil(math.log2(max(float(b.sum()), 1.0))))
        M = np.zeros((2 * n + 1, 2 * n + 1))
        M[:n, :n], M[:n, n], M[n + 1 :, :n] = A, b / c, np.eye(n)
        phi = np.asarray(_expm(M))
        phi[:, n] *= c
        keep = np.r_[0:n, n + 1 : 2 * n + 1]
        return np.ascontiguousarray(phi[keep][:, : n + 1]), W  # rows x and integral; columns x and 1

    def record(self, t: int, x: Any, cum: Any) -> bool:
        """Keep the stocks and cumulative metrics at 00:00 of day ``t`` if it is a report day; ``True`` on the
        last day."""
        g = self.grid.get(t)
        if g is not None:
            self.stocks[g], self.cum[g] = x, cum
        return t >= self.horizon

    def populations(self) -> Any:
        n = len(self.s.populations)
        measures = [self.states[m.id] for m in self.s.measures]
        effects = [(measures[mi], float(phase[self.k]), e.steps) for mi, e, _, phase in self.par.effects]
        x, cum = self.par.x0[self.k].copy(), np.zeros(len(self.s.metrics))
        cache: dict[tuple[Any, ...], tuple[FloatArray, FloatArray]] = {}
        z = np.ones(n + 1)
        while True:
            t = int(self.env.now)
            if self.record(t, x, cum):
                return
            levels = tuple(self.level(st, phase, steps, t) for st, phase, steps in effects)
            flags = tuple(st.in_force for st in measures)
            key = levels + flags
            if key not in cache:
                cache[key] = self.propagator(levels, flags)
            phi, W = cache[key]
            z[:n] = x
            y = phi @ z
            x = y[:n]
            cum = cum + W @ y[n:]
            yield self.env.timeout(1)


def check_supported(s: Scenario) -> None:
    """Refuse rules the plain model does not implement (the flagship uses none of them)."""
    dates = [e.date for e in s.events] + [m.deadline for m in s.measures]
    dates += [d for m in s.measures for c in m.challenges for d in (c.decision, c.filed) if d is not None]
    if any(d.anchor is not None for d in dates):
        raise SystemExit("plain model: relative dates are not implemented")
    if any(m.waivers or m.shelving for m in s.measures):
        raise SystemExit("plain model: waivers and shelving are not implemented")
    # docket adds durations written in months by the calendar (docs/calendar.md rule 3); the plain model adds
    # days, except a fixed whole-month deferral delay: refuse every other month duration.
    spans = [e.phase_in for m in s.measures for e in m.effects if e.phase_in is not None]
    spans += [c.appeal.decision for m in s.measures for c in m.challenges if c.appeal is not None]
    delays = [d for m in s.measures if m.deferral is not None
              for d in (m.deferral.schedule or [m.deferral.delay]) if d is not None]
    if any(d.month_params for d in spans) or any(d.month_params and not d.is_fixed for d in delays):
        raise SystemExit("plain model: durations in months are implemented only as fixed deferral delays")


def each_replication(s: Scenario, n: int, seed: int, grid: list[int], model: type[PlainReplication]
                     ) -> Iterator[tuple[int, PlainReplication]]:
    """Replications ``0 .. n - 1`` of ``model``, run, with draws requested per chunk of 1,024 as docket does."""
    check_supported(s)
    start, end = s.start_day, s.end_day
    horizon, where = end - start, {d: i for i, d in enumerate(grid)}
    streams = Streams(seed)
    for a in range(0, n, CHUNK):
        draws = ChunkDraws(streams, a, min(n, a + CHUNK), start)
        par = PlainParams(s, draws)
        for r in range(a, draws.stop):
            yield r, model(s, draws, par, r, horizon, where).run()


def run_plain(s: Scenario, n: int, seed: int, grid: list[int]) -> tuple[FloatArray, FloatArray,
                                                                       list[PlainReplication]]:
    """All replications of the plain model: stocks ``(n, G, pops)``, cumulative metrics, first chunk's reps."""
    stocks = np.zeros((n, len(grid), len(s.populations)))
    cum = np.zeros((n, len(grid), len(s.metrics)))
    first: list[PlainReplication] = []
    for r, rep in each_replication(s, n, seed, grid, PlainReplication):
        stocks[r], cum[r] = rep.stocks, rep.cum
        if r < CHUNK:
            first.append(rep)
    return stocks, cum, first


# ---------------------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------------------
Row = tuple[str, str, str, str]  # label, measured, target, status
TABLE: list[Row] = []


def row(label: str, measured: str, target: str = "(no target)", ok: bool | None = None) -> None:
    status = "info" if ok is None else "PASS" if ok else "MISS"
    TABLE.append((label, measured, target, status))
    print(f"  {label}: {measured}   [{target}] {status}", flush=True)


def rel_diff(a: FloatArray, b: FloatArray) -> FloatArray:
    """``|a - b| / max(|a|, |b|)``, 0 where both are 0."""
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1.0), 0.0)


def monthly(s: Scenario) -> Scenario:
    return s.model_copy(update={"report": "month"})


def part_parity(s: Scenario, n: int) -> None:
    sm = monthly(s)
    grid = report_grid(sm)
    start, end = sm.window.start.fixed_day(), sm.window.end.fixed_day()
    assert start is not None and end is not None
    print(f"\n[1] parity: {n:,} replications, monthly grid of {len(grid)} days, horizon {end - start} days",
          flush=True)
    run(sm, replications=64)  # warm-up of both (first-call imports and caches), not timed
    run_plain(sm, 8, sm.seed, grid)
    res, t_docket, c_docket = timed(run, sm, replications=n)
    row(f"docket run(), {n:,} reps: wall (cpu)", f"{t_docket:.2f} s ({c_docket:.2f} s), "
        f"{1e3 * t_docket / n:.2f} ms/rep")
    (stocks, cum, first), t_plain, c_plain = timed(run_plain, sm, n, sm.seed, grid)
    row(f"plain daily-tick SimPy, {n:,} reps: wall (cpu)", f"{t_plain:.2f} s ({c_plain:.2f} s), "
        f"{1e3 * t_plain / n:.2f} ms/rep")
    row("speed ratio plain / docket: wall (cpu)", f"{t_plain / t_docket:.2f}x ({c_plain / c_docket:.2f}x)",
        ">= 20x (cpu)", c_plain / c_docket >= 20)

    ser = res.series
    worst, where = 0.0, ""
    for i, p in enumerate(sm.populations):
        d_med = ser[(ser.series == p.id) & (ser.quantity == "stock")].sort_values("date")["p50"].to_numpy()
        diff = rel_diff(d_med, np.median(stocks[:, :, i], axis=0))
        j = int(np.argmax(diff))
        if diff[j] >= worst:
            worst, where = float(diff[j]), f"{p.id} on {day_to_date(start + grid[j])}"
    row("max rel. diff of median users (every population, every month end)", f"{worst:.3e} ({where})",
        "<= 1.0e-03", worst <= 1e-3)
    worst_m = 0.0
    for k, metric in enumerate(sm.metrics):
        d_med = ser[(ser.series == metric.id) & (ser.quantity == "cumulative")].sort_values("date")["p50"]
        worst_m = max(worst_m, float(rel_diff(d_med.to_numpy(), np.median(cum[:, :, k], axis=0)).max()))
    row("max rel. diff of median cumulative metrics (user-days)", f"{worst_m:.3e}")

    # Untimed evidence that the timelines are the same: the first chunk, replication by replication.
    m = len(first)
    draws = ChunkDraws(Streams(sm.seed), 0, m, start)
    same = 0
    for rep in first:
        ref = Replication(sm, draws, rep.r, end - start).run()
        same += all(
            (a.switches, a.extensions, a.injunctions, a.lifted, a.cancelled)
            == (b.switches, b.extensions, b.injunctions, bool(b.lifted), bool(b.cancelled))
            for a, b in ((rep.states[mm.id], ref.states[mm.id]) for mm in sm.measures))
    row(f"identical timelines (first chunk, {m:,} reps)", f"{same:,} / {m:,}", "all", same == m)
    chunk = replicate(sm, sm.seed, 0, m, grid)
    per_rep = float(rel_diff(chunk.stocks, stocks[:m]).max())
    row(f"max rel. diff of stocks per replication (first {m:,} reps)", f"{per_rep:.3e}", "<= 1.0e-03",
        per_rep <= 1e-3)


def _with_end(path: Path, years: int) -> Scenario:
    data = resolve_raw(path)
    start = data["window"]["start"]
    start = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
    data["window"]["end"] = start.replace(year=start.year + years)
    data["report"] = "month"
    scenario, diagnostics = validate_data(data, str(path))
    if scenario is None:
        raise SystemExit("\n".join(d.format() for d in diagnostics))
    return scenario


def part_horizon(n: int) -> None:
    print(f"\n[2] horizon scaling: {n:,} replications each, monthly report grid", flush=True)
    cost, cpu = {}, {}
    for years in (1, 5):
        s = _with_end(SCENARIO, years)
        run(s, replications=64)  # warm-up, not timed
        _, wall, c = timed(run, s, replications=n)
        cost[years], cpu[years] = wall / n, c / n
        row(f"docket cost per replication, {years}-year window: wall (cpu)",
            f"{1e3 * cost[years]:.3f} ms ({1e3 * cpu[years]:.3f} ms)")
    ratio = cost[5] / cost[1]
    row("ratio 5y / 1y: wall (cpu)", f"{ratio:.2f}x ({cpu[5] / cpu[1]:.2f}x)", "<= 2.00x", ratio <= 2.0)


MEMORY_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from sim.scenario.loader import load_scenario
from sim.runs.runner import run
s = load_scenario({path!r})
t0 = time.perf_counter()
res = run(s, replications={n})
wall = time.perf_counter() - t0
summary = json.dumps(res.summary, default=str)
print(json.dumps({{"wall": wall, "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "summary_chars": len(summary)}}))
"""


def part_memory(n: int) -> None:
    print(f"\n[3] memory: {n:,} replications through sim.runs.runner.run in a subprocess", flush=True)
    code = MEMORY_CHILD.format(root=str(ROOT), path=str(SCENARIO), n=n)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux: KiB
    if proc.returncode != 0:
        row(f"memory run, {n:,} reps", f"FAILED (exit {proc.returncode}): {proc.stderr.strip()[-300:]}",
            "< 1 GB", False)
        return
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    row(f"peak RSS, {n:,} reps (RUSAGE_CHILDREN)", f"{peak / 2**20:,.0f} MB (child's RUSAGE_SELF: "
        f"{out['self_maxrss_kb'] / 1024:,.0f} MB)", "< 1024 MB", peak < GB)
    row(f"wall time, {n:,} reps (subprocess total / inside run())", f"{wall:.1f} s / {out['wall']:.1f} s "
        f"({1e3 * out['wall'] / n:.2f} ms/rep)")


def _median_wall(cmd: list[str], repeat: int = 5) -> float:
    subprocess.run(cmd, capture_output=True, cwd=ROOT, check=True)  # warm-up (file cache), not counted
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=ROOT, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def part_coldstart() -> None:
    exe = Path(sys.executable).parent / "docket"
    cmd = [str(exe)] if exe.exists() else [sys.executable, str(ROOT / "cli.py")]
    print(f"\n[4] cold start: {' '.join(cmd)} (median of 5 fresh subprocesses)", flush=True)
    t = _median_wall([*cmd, "--help"])
    row("docket --help", f"{t:.3f} s", "<= 0.300 s", t <= 0.3)
    t = _median_wall([*cmd, "validate", str(SCENARIO.relative_to(ROOT))])
    row("docket validate scenarios/tiktok-wechat-2020.yaml", f"{t:.3f} s", "<= 0.600 s", t <= 0.6)


def part_profile(s: Scenario, n: int = 4096, top: int = 15) -> None:
    sm = monthly(s)
    print(f"\n[5] cProfile of sim.runs.runner.run, {n:,} replications (monthly grid), top {top} by tottime", flush=True)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.runcall(run, sm, replications=n)
    wall = time.perf_counter() - t0
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    print(f"  wall under the profiler: {wall:.2f} s")
    print("\n".join("  " + line for line in buf.getvalue().strip().splitlines()))


def _one_blas_thread() -> None:
    """Re-run this script with one BLAS thread unless the caller set the thread count (BLAS reads it at load)."""
    if any(v in os.environ for v in BLAS_VARS):
        return
    env = {**os.environ, **dict.fromkeys(BLAS_VARS, "1")}
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]], env)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float, float]:
    """``fn(*args, **kwargs)``, its wall time and this process's CPU time."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    _one_blas_thread()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1,000 replications (memory run: 20,000)")
    ap.add_argument("--parts", default="parity,horizon,memory,coldstart",
                    help="comma-separated subset of parity,horizon,memory,coldstart,profile")
    args = ap.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    unknown = parts - {"parity", "horizon", "memory", "coldstart", "profile"}
    if unknown:
        ap.error(f"unknown parts: {', '.join(sorted(unknown))}")
    n_parity, n_horizon, n_memory = (1_000, 1_024, 20_000) if args.quick else (10_000, 4_096, 100_000)
    print(f"bench_flagship ({'quick' if args.quick else 'full'}): python {sys.version.split()[0]}, "
          f"numpy {np.__version__}, simpy {simpy.__version__}, plain model expm: {EXPM_NAME}", flush=True)
    t_all = time.perf_counter()
    s = load_scenario(SCENARIO)
    if "memory" in parts:  # first child process, so RUSAGE_CHILDREN's maximum is its own
        part_memory(n_memory)
    if "parity" in parts:
        part_parity(s, n_parity)
    if "horizon" in parts:
        part_horizon(n_horizon)
    if "coldstart" in parts:
        part_coldstart()
    if "profile" in parts:
        part_profile(s)
    if TABLE:
        w = [max(len(r[i]) for r in TABLE) for i in range(4)]
        rule = "-" * (sum(w) + 9)
        print(f"\nSummary ({'quick' if args.quick else 'full'}, {time.perf_counter() - t_all:.0f} s in all)")
        print(rule)
        print(f"{'measure':<{w[0]}} | {'measured':<{w[1]}} | {'target':<{w[2]}} | status")
        print(rule)
        for label, measured, target, status in TABLE:
            print(f"{label:<{w[0]}} | {measured:<{w[1]}} | {target:<{w[2]}} | {status}")
        print(rule)


if __name__ == "__main__":
    main()
