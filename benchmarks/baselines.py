"""Two hand-written models of the flagship (``scenarios/tiktok-wechat-2020.yaml``) to measure docket against.

**The fair baseline** (:class:`FairReplication`, :func:`run_fair`) is what a competent analyst would write on
SimPy: per replication one ``simpy.Environment`` whose processes wake only at their events -- one per event
(its date), one per measure's deadline (and each deferred deadline), one per challenge (its decision and its
appeal) -- and one daily process that advances the four stocks with plain float arithmetic: the day's
coefficients from the measures' states (rebuilt only when an intensity changes) and one Heun step (second
order, exact to about 1e-5 over a day at the flagship's fastest rate of 3%/day), the metrics integrated by
the same step. No matrices, no per-day matrix products. The same-day order is docket's (events, lifts, courts,
deferrals and deadlines, then the stocks), by fractional wake-up times within the day. It draws from docket's
named streams (:class:`sim.engine.draws.ChunkDraws`) with the same calls as ``bench_flagship.PlainReplication``,
so it plays the very same timelines and can be compared replication by replication.

**The numpy floor** (:func:`run_floor`) draws every replication's timeline at once as arrays over
replications -- event occurrence and dates, each measure's deferrals, its court's injunction, appeal and
reversal -- from its own generator (``numpy.random.default_rng(seed)``, through docket's inverse CDFs
:func:`sim.scenario.sampling.sample`, so the same distributions), then steps the stocks of all replications
day by day with the same Runge-Kutta step on arrays. Its results agree with docket's only in distribution.

Both support what the flagship uses (refused otherwise by ``bench_flagship.check_supported`` and
:func:`check_floor`): absolute dates, at most one challenge per measure, fixed phase-ins, no ceilings, waivers,
shelving, decisions, shocks, cohorts or ``requires``/``unless``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy
from bench_flagship import PlainReplication, check_supported, each_replication, switch

from sim.scenario.sampling import sample
from sim.scenario.schema import Measure, Scenario

FloatArray = npt.NDArray[np.float64]
EVENTS, LIFTS, COURTS, DEADLINES, STOCKS = 0.0, 0.1, 0.2, 0.3, 0.9
"""Wake-up times within a day: docket's same-day order."""


# ---------------------------------------------------------------------------------------------------------
# Coefficients of one day, in plain floats (both models use the same formulas, docket's)
# ---------------------------------------------------------------------------------------------------------
def effect_list(s: Scenario) -> list[tuple[int, Any]]:
    """``(measure index, effect)`` of every effect, measure by measure."""
    return [(mi, e) for mi, m in enumerate(s.measures) for e in m.effects]


def coefficients(s: Scenario, pops: dict[str, int], effects: list[tuple[int, Any]], values: list[Any],
                 levels: list[Any], flags: list[Any], inflow: list[Any], churn: list[Any],
                 flows: list[list[Any]], weights: list[list[Any]]) -> tuple[Any, ...]:
    """Inflow ``b``, per-capita loss ``k`` (outflow plus transfers out), transfers ``T`` and metric weights
    ``W`` of one config; entries are floats (the fair model) or arrays over replications (the floor)."""
    n, nm = len(s.populations), len(s.metrics)
    scale_in, extra = [1.0] * n, [0.0] * n
    T = [row[:] for row in flows]
    unpatched, expo = [0.0] * n, [[1.0] * n for _ in range(nm)]
    metrics = {mm.id: i for i, mm in enumerate(s.metrics)}
    for (_, e), v, lv in zip(effects, values, levels, strict=True):
        if e.type == "scale_inflow":
            scale_in[pops[e.population]] = scale_in[pops[e.population]] * (1.0 - lv * (1.0 - v))
        elif e.type == "raise_outflow":
            extra[pops[e.population]] = extra[pops[e.population]] + lv * v
        elif e.type == "transfer":
            T[pops[e.from_]][pops[e.to]] = T[pops[e.from_]][pops[e.to]] + lv * v
        elif e.type == "stop_updates":
            i = pops[e.population]
            unpatched[i] = np.maximum(unpatched[i], lv)
        else:
            for j in range(nm) if e.metric is None else [metrics[e.metric]]:
                expo[j][pops[e.population]] = expo[j][pops[e.population]] * (1.0 - lv * (1.0 - v))
    b = [inflow[i] * scale_in[i] for i in range(n)]
    k = [churn[i] + extra[i] + sum(T[i][j] for j in range(n) if j != i) for i in range(n)]
    measures = {mm.id: i for i, mm in enumerate(s.measures)}
    W: list[list[Any]] = [[0.0] * n for _ in range(nm)]
    for j, metric in enumerate(s.metrics):
        for t, term in enumerate(metric.terms):
            i = pops[term.population]
            w = weights[j][t] * expo[j][i]
            if term.only == "unpatched":
                w = w * unpatched[i]
            if term.while_ is not None:
                w = w * flags[measures[term.while_]]
            W[j][i] = W[j][i] + w
    moves = [(i, j, T[i][j]) for i in range(n) for j in range(n) if j != i]
    return b, k, moves, W


def rk4(x: list[Any], b: list[Any], k: list[Any], moves: list[tuple[int, int, Any]]
        ) -> tuple[list[Any], list[Any]]:
    """One day of ``dx/dt = b - k x + transfers`` by the classical Runge-Kutta method (fourth order: at the
    flagship's fastest loss, about 8%/day, its error is below 3e-8 a day): the stocks a day later and their
    integral over the day (the same method on ``dI/dt = x``)."""
    def rate(y: list[Any]) -> list[Any]:
        out = [b[i] - k[i] * y[i] for i in range(len(y))]
        for i, j, t in moves:
            out[j] = out[j] + t * y[i]
        return out
    n = len(x)
    f1 = rate(x)
    y2 = [x[i] + 0.5 * f1[i] for i in range(n)]
    f2 = rate(y2)
    y3 = [x[i] + 0.5 * f2[i] for i in range(n)]
    f3 = rate(y3)
    y4 = [x[i] + f3[i] for i in range(n)]
    f4 = rate(y4)
    return ([x[i] + (f1[i] + 2.0 * (f2[i] + f3[i]) + f4[i]) / 6.0 for i in range(n)],
            [(x[i] + 2.0 * (y2[i] + y3[i]) + y4[i]) / 6.0 for i in range(n)])


def phase_level(elapsed: Any, phase: float, steps: int | None) -> Any:
    """The phase-in step reached ``elapsed`` days after a measure (re)took effect (docket's rule)."""
    if phase <= 0:
        return 1.0 if np.isscalar(elapsed) else np.ones_like(elapsed, dtype=float)
    k = max(1, steps or math.ceil(phase / 7))
    reached = sum((elapsed >= math.ceil(j * phase / k)) * 1.0 for j in range(k))
    return reached / k


# ---------------------------------------------------------------------------------------------------------
# The fair baseline: event-driven SimPy, plain floats
# ---------------------------------------------------------------------------------------------------------
class FairReplication(PlainReplication):
    """Replication ``r`` as an event-driven SimPy model; ``run()`` fills ``stocks`` and ``cum`` on the grid (its
    state and draws are the daily-tick model's, its processes are its own)."""

    def at(self, day: float, phase: float) -> simpy.Timeout:
        """Sleep until ``phase`` of ``day`` (at once if that is now)."""
        return self.env.timeout(max(0.0, day + phase - self.env.now))

    def run(self) -> FairReplication:
        for e in self.s.events:
            self.env.process(self.event(e))
        for m in self.s.measures:
            self.env.process(self.deadline(m))
            for c in m.challenges:
                self.env.process(self.court(m, c))
        self.env.process(self.populations())
        self.env.run(until=self.horizon + 1)
        return self

    def event(self, e: Any) -> Any:
        day = self.absolute(f"event:{e.id}:date", e.date)
        if day > self.horizon:
            return
        yield self.at(day, EVENTS)
        if not self.d.happens(f"event:{e.id}", e.probability, self.r):
            return
        self.occurred[e.id] = day
        yield self.at(day, LIFTS)
        for m in self.s.measures:
            st = self.states[m.id]
            if e.id in m.lifted_by and not st.lifted:
                st.lifted = True
                switch(st, max(day, 0))

    def court(self, m: Measure, c: Any) -> Any:
        st, name = self.states[m.id], f"challenge:{c.id}"
        day = self.absolute(name + ":decision", c.decision)
        if c.filed is not None:
            day = max(day, self.absolute(name + ":filed", c.filed))
        if day > self.horizon:
            return
        yield self.at(day, COURTS)
        if st.lifted or st.cancelled or not self.d.happens(name + ":injunction", c.injunction, self.r):
            return
        st.enjoined, st.injunctions = True, st.injunctions + 1
        switch(st, day)
        a = c.appeal
        if a is None or not self.d.happens(name + ":appeal", a.probability, self.r):
            return
        later = round(self.d.value(name + ":appeal_delay", a.decision, self.r))
        if day + later > self.horizon:
            return
        yield self.at(day + later, COURTS)
        if self.d.happens(name + ":reversal", a.reversal, self.r):
            st.enjoined = False
            switch(st, day + later)

    def deadline(self, m: Measure) -> Any:
        st, d = self.states[m.id], m.deferral
        when = self.absolute(f"measure:{m.id}:deadline", m.deadline)
        cap = (len(d.schedule) if d.schedule else d.max or 0) if d else 0
        while when <= self.horizon:
            yield self.at(when, DEADLINES)
            t = max(when, 0)
            if (d is not None and not (st.lifted or st.cancelled) and st.extensions < cap
                    and self.d.happens(f"measure:{m.id}:deferral", d.probability, self.r, st.extensions, cap)):
                delay = d.schedule[st.extensions] if d.schedule else d.delay
                extra = self.d.value(f"measure:{m.id}:deferral:delay", delay, self.r, st.extensions, cap)
                when, st.extensions = when + max(1, round(extra)), st.extensions + 1
                continue
            if not (st.lifted or st.cancelled):
                st.due = True
                switch(st, t)
            return

    def populations(self) -> Any:
        s, par, k = self.s, self.par, self.k
        n = len(s.populations)
        effects = effect_list(s)
        states = [self.states[m.id] for m in s.measures]
        values = [float(v[k]) for _, _, v, _ in par.effects]
        phases = [(float(ph[k]), e.steps) for _, e, _, ph in par.effects]
        inflow, churn = par.inflow[k].tolist(), par.churn[k].tolist()
        flows = par.flows[k].tolist()
        weights = [[float(w[k]) for w in ws] for ws in par.weights]
        x, cum = par.x0[k].tolist(), [0.0] * len(s.metrics)
        key, config, seen, settled = None, None, -1, -1
        yield self.at(0, STOCKS)
        while True:
            t = int(self.env.now)
            if self.record(t, x, cum):
                return
            changes = sum(len(st.switches) for st in states)
            if changes != seen or t < settled:  # a switch, or a phase-in still stepping
                seen = changes
                levels = [phase_level(t - st.on_since, ph, steps) if st.in_force else 0.0
                          for (mi, _), (ph, steps) in zip(effects, phases, strict=True) for st in (states[mi],)]
                settled = max([st.on_since + ph for (mi, _), (ph, _) in zip(effects, phases, strict=True)
                               for st in (states[mi],) if st.in_force], default=-1)
                flags = [1.0 if st.in_force else 0.0 for st in states]
                now = (*levels, *flags)
                if now != key:
                    key, config = now, coefficients(s, self.pops, effects, values, levels, flags, inflow, churn,
                                                    flows, weights)
            assert config is not None
            b, kk, moves, W = config
            y, area = rk4(x, b, kk, moves)
            for j in range(len(cum)):
                cum[j] += sum(W[j][i] * area[i] for i in range(n))
            x = y
            yield self.env.timeout(1)


def run_fair(s: Scenario, n: int, seed: int, grid: list[int]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Every replication of the fair model: stocks ``(n, G, pops)``, cumulative metrics ``(n, G, metrics)``
    and in force ``(n, measures, G)``."""
    stocks = np.zeros((n, len(grid), len(s.populations)))
    cum = np.zeros((n, len(grid), len(s.metrics)))
    on = np.zeros((n, len(s.measures), len(grid)), dtype=bool)
    days = np.array(grid)
    for r, rep in each_replication(s, n, seed, grid, FairReplication):
        stocks[r], cum[r] = rep.stocks, rep.cum
        for mi, m in enumerate(s.measures):
            for day, active in rep.states[m.id].switches:
                on[r, mi, days >= day] = active
    return stocks, cum, on


# ---------------------------------------------------------------------------------------------------------
# The numpy floor: arrays over replications, its own generator
# ---------------------------------------------------------------------------------------------------------
def check_floor(s: Scenario) -> None:
    """Refuse what the floor does not implement (the flagship uses none of it)."""
    check_supported(s)
    if any(len(m.challenges) > 1 or m.unless or m.decisions for m in s.measures) or s.shocks or \
            any(e.requires for e in s.events) or any(p.ceiling is not None for p in s.populations) or \
            any(e.phase_in is not None and not e.phase_in.is_fixed for m in s.measures for e in m.effects):
        raise SystemExit("numpy floor: the scenario uses a rule the floor does not implement")


def run_floor(s: Scenario, n: int, seed: int, grid: list[int], counterfactual: bool = False
              ) -> tuple[FloatArray, ...]:
    """All replications at once, as arrays: stocks ``(n, G, pops)``, cumulative metrics, in force
    ``(n, measures, G)``; with ``counterfactual``, also the stocks and cumulative metrics of the same
    replications with no measure ever in force (what docket's ``avoided`` is measured against: docket solves
    it in every run)."""
    check_floor(s)
    rng = np.random.default_rng(seed)
    start, horizon = s.start_day, s.end_day - s.start_day
    never = horizon + 10**6

    def draw(dist: Any) -> FloatArray:
        return np.asarray(sample(dist, rng.random(n)), dtype=np.float64)

    def days_of(spec: Any) -> FloatArray:  # an absolute date, as days since the window start
        return np.round(draw(spec.offset)) - start

    def chance(p: Any) -> npt.NDArray[np.bool_]:
        return np.ones(n, dtype=bool) if p is None else rng.random(n) < draw(p)

    occurs: dict[str, FloatArray] = {}
    for e in s.events:  # the day it occurs, or never
        day = np.maximum(days_of(e.date), 0)
        occurs[e.id] = np.where(chance(e.probability) & (day <= horizon), day, never)
    # Per measure: the day it is lifted, falls due, is enjoined and reversed (never: past the horizon).
    timeline = []
    for m in s.measures:
        lift = np.full(n, float(never))
        for ev in m.lifted_by:
            lift = np.minimum(lift, occurs[ev])
        dl = days_of(m.deadline)
        d = m.deferral
        cap = (len(d.schedule) if d.schedule else d.max or 0) if d else 0
        pending = np.ones(n, dtype=bool)  # deferred every time so far: the next deadline may be deferred again
        for ext in range(cap):
            assert d is not None
            pending &= (dl <= horizon) & (lift > np.maximum(dl, 0)) & chance(d.probability)
            delay = d.schedule[ext] if d.schedule else d.delay
            dl = np.where(pending, dl + np.maximum(1, np.round(draw(delay))), dl)
        due = np.where((dl <= horizon) & (lift > np.maximum(dl, 0)), np.maximum(dl, 0), never)
        inj, rev = np.full(n, float(never)), np.full(n, float(never))
        for c in m.challenges:
            dec = days_of(c.decision)
            if c.filed is not None:
                dec = np.maximum(dec, days_of(c.filed))
            dec = np.maximum(dec, 0)
            granted = (dec <= horizon) & (lift > dec) & chance(c.injunction)
            inj = np.where(granted, dec, never)
            if c.appeal is not None:
                later = dec + np.round(draw(c.appeal.decision))
                reversed_ = granted & chance(c.appeal.probability) & (later <= horizon) & chance(c.appeal.reversal)
                rev = np.where(reversed_, later, never)
        timeline.append((lift, due, inj, rev))
    par = _floor_params(s, n, draw)
    found = _floor_stocks(s, par, timeline, horizon, grid, n)
    if not counterfactual:
        return found
    nothing = np.full(n, float(never))
    cf_stocks, cf_cum, _ = _floor_stocks(s, par, [(nothing, nothing, nothing, nothing)] * len(timeline), horizon,
                                         grid, n)
    return (*found, cf_stocks, cf_cum)


def _floor_params(s: Scenario, n: int, draw: Any) -> dict[str, Any]:
    pops = {p.id: i for i, p in enumerate(s.populations)}
    N = len(s.populations)
    zero = np.zeros(n)
    flows = [[zero for _ in range(N)] for _ in range(N)]
    for f in s.flows:
        flows[pops[f.from_]][pops[f.to]] = flows[pops[f.from_]][pops[f.to]] + draw(f.rate)
    values = []
    for _, e in effect_list(s):
        key = {"scale_inflow": "factor", "scale_exposure": "factor", "raise_outflow": "extra"}.get(e.type)
        if e.type == "transfer":
            values.append(draw(e.rate) if e.rate is not None else 1.0 / np.maximum(draw(e.time_constant), 1.0))
        else:
            values.append(draw(getattr(e, key)) if key else np.ones(n))
    return {
        "pops": pops, "x0": [draw(p.initial) for p in s.populations],
        "inflow": [draw(p.inflow) if p.inflow is not None else zero for p in s.populations],
        "churn": [draw(p.outflow) if p.outflow is not None else zero for p in s.populations],
        "flows": flows, "values": values,
        "weights": [[np.ones(n) if t.weight is None else draw(t.weight) for t in m.terms] for m in s.metrics],
    }


def _floor_stocks(s: Scenario, par: dict[str, Any], timeline: list[tuple[FloatArray, ...]], horizon: int,
                  grid: list[int], n: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    effects = effect_list(s)
    phases = [(float(e.phase_in.params[0]) if e.phase_in is not None else 0.0, e.steps) for _, e in effects]
    where = {d: i for i, d in enumerate(grid)}
    stocks = np.zeros((n, len(grid), len(s.populations)))
    cum_out = np.zeros((n, len(grid), len(s.metrics)))
    on_out = np.zeros((n, len(s.measures), len(grid)), dtype=bool)
    x, cum = [a.copy() for a in par["x0"]], [np.zeros(n) for _ in s.metrics]
    prev = [np.zeros(n, dtype=bool) for _ in s.measures]
    since = [np.zeros(n) for _ in s.measures]
    for t in range(horizon + 1):
        on = [(t >= due) & ~((t >= inj) & (t < rev)) & (t < lift) for lift, due, inj, rev in timeline]
        since = [np.where(o & ~p, t, s0) for o, p, s0 in zip(on, prev, since, strict=True)]
        prev = on
        g = where.get(t)
        if g is not None:
            stocks[:, g] = np.stack(x, axis=1)
            cum_out[:, g] = np.stack(cum, axis=1)
            on_out[:, :, g] = np.stack(on, axis=1)
        if t >= horizon:
            break
        levels = [np.where(on[mi], phase_level(t - since[mi], ph, steps), 0.0)
                  for (mi, _), (ph, steps) in zip(effects, phases, strict=True)]
        flags = [o * 1.0 for o in on]
        b, k, moves, W = coefficients(s, par["pops"], effects, par["values"], levels, flags, par["inflow"],
                                      par["churn"], par["flows"], par["weights"])
        y, area = rk4(x, b, k, moves)
        for j in range(len(cum)):
            cum[j] = cum[j] + sum(W[j][i] * area[i] for i in range(len(x)))
        x = y
    return stocks, cum_out, on_out
