"""Sensitivity: which uncertain input drives an outcome, from the scenario file alone.

The inputs are the uncertain streams a run draws from (:mod:`sim.studies.inputs`): every value with a range, every
yes/no draw that is not certain, every hazard time. The outcome is one number per replication
(:func:`parse_outcome`): a metric's exposure (or exposure avoided) accumulated by a date, a population's stock
on a date, or whether a measure has been in force by a date (0 or 1, so its mean is a probability).

Two kinds of measure, from two studies on the same seed (common random numbers):

**Global, from the base run alone.** Each input's per-replication uniforms are regenerated from its stream
(:func:`sim.studies.inputs.uniforms`, exactly the numbers the engine drew) and set against the outcome ``Y``:

- *rank correlation*: Spearman's coefficient between the input's uniform (its quantile, so the same ranks as
  its value) and ``Y``, ties in ``Y`` given their average rank. ``NaN`` when ``Y`` is constant. A trial's
  uniform is low for *yes*, a hazard time's low for *late*, so the sign follows that convention.
- *first-order index*: ``Var(E[Y | input]) / Var(Y)`` (Sobol's first-order index) estimated from the same
  sample (:mod:`sim.studies.correlation`): the replications are sorted by the input and cut into ``bin_count``
  equal-count bins (``round(sqrt(N))``, 2 to 32), and the share of the variance of ``Y`` between bin means is
  corrected for the part that pure noise puts there (``(SS_between - (B - 1) SS_within / (N - B)) / SS_total``, the
  epsilon-squared correction), then clipped to [0, 1]. It sees non-monotone effects the rank correlation misses;
  with correlated effects or interactions the indices of all inputs need not add up to 1.

For inputs with several columns (one deferral draw per deadline), both measures use the first column.

**One at a time.** The ``top`` inputs by absolute rank correlation (ties broken by first-order index) are each
run twice more, held at their ``low`` and ``high`` quantile in every replication (:mod:`sim.engine.draws` pins), all
other inputs drawn as in the base run. A trial input is held at quantiles :data:`TRIAL_LOW` and
:data:`TRIAL_HIGH` instead, i.e. *yes* and *no* (for each of its columns: every deadline deferred, or none).
The mean outcome at each end and the swing ``|high - low|`` make the tornado chart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine.draws import Input
from sim.engine.replications import Collected, grids
from sim.runs.atomic import write_text
from sim.runs.executors import open_executor
from sim.runs.results import Results, cumulative_unit
from sim.runs.study import Progress, RunSpec, Study, run_study
from sim.scenario.calendar import day_to_date
from sim.scenario.diagnose import suggest
from sim.scenario.errors import DocketError
from sim.scenario.loaded import Loaded
from sim.scenario.schema import Scenario
from sim.studies.correlation import bin_count, first_order, rank_correlation
from sim.studies.inputs import kind, label, level_text, uniforms
from sim.text.humanize import number, percent
from sim.text.titles import shorten

FloatArray = npt.NDArray[np.float64]

TRIAL_LOW = 1e-9
"""Quantile a yes/no input is held at for its *low* end: below any probability, so *yes*."""
TRIAL_HIGH = 1 - 1e-9
"""Quantile a yes/no input is held at for its *high* end: *no*."""
COLUMNS = ("input", "label", "kind", "low_quantile", "high_quantile", "low_text", "high_text", "low_mean",
           "high_mean", "swing", "rank_correlation", "first_order", "in_tornado")
"""Columns of :attr:`Sensitivity.table`."""


@dataclass(frozen=True)
class Outcome:
    """The per-replication number whose sensitivity is measured.

    Attributes:
        name: the outcome without its date (``tiktok_user_days``, ``tiktok_user_days.avoided``).
        quantity: ``exposure``, ``avoided``, ``population`` or ``in_force_by``.
        target: the metric, population or measure id.
        day: days since the window start.
        date: the calendar date.
        unit: ``user-days``, ``users``... or ``probability`` for ``in_force_by``.
        title: what it is, for people.
    """

    name: str
    quantity: str
    target: str
    day: int
    date: dt.date
    unit: str
    title: str

    @property
    def is_probability(self) -> bool:
        """Whether the mean outcome is a probability (a 0/1 indicator per replication)."""
        return self.quantity == "in_force_by"

    def values(self, scenario: Scenario, collected: Collected, grid: list[int]) -> FloatArray:
        """The outcome of every replication of a run (float64)."""
        a = collected.arrays
        if self.quantity == "in_force_by":
            mi = [m.id for m in scenario.measures].index(self.target)
            return (a["first_in_force"][:, mi] <= self.day).astype(np.float64)
        g = grid.index(self.day)
        if self.quantity == "population":
            return a["stocks"][:, g, [p.id for p in scenario.populations].index(self.target)].astype(np.float64)
        k = [m.id for m in scenario.metrics].index(self.target)
        key = "avoided" if self.quantity == "avoided" else "metric_cum"
        return a[key][:, g, k].astype(np.float64)

    def show(self, x: float) -> str:
        """A mean outcome for people: ``14.6B`` or ``84%``."""
        return percent(min(max(x, 0.0), 1.0)) if self.is_probability else number(x)


def outcome_names(scenario: Scenario) -> list[str]:
    """Every valid outcome name (without a date): metrics, ``METRIC.avoided``, populations, measures."""
    return [*(m.id for m in scenario.metrics), *(f"{m.id}.avoided" for m in scenario.metrics),
            *(p.id for p in scenario.populations), *(m.id for m in scenario.measures)]


def parse_outcome(scenario: Scenario, text: str) -> Outcome:
    """Read ``NAME[.avoided][@YYYY-MM-DD]`` (default date: the window end).

    Raises:
        DocketError: an unknown name (listing the valid ones) or a date that is not a date inside the window.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> parse_outcome(load_scenario("scenarios/quickstart.yaml"), "sales_ban@2026-06-01").title
        'P(Router sales ban in force by 2026-06-01)'
    """
    name, at, when = text.strip().partition("@")
    valid = outcome_names(scenario)
    if name not in valid:
        close = suggest(name, valid)
        raise DocketError(f"--outcome {text}: no metric, population or measure `{name}`"
                          + (f" (did you mean `{close}`?)" if close else "")
                          + f"; valid outcomes: {', '.join(valid)} (optionally @YYYY-MM-DD)")
    start, end = scenario.start_day, scenario.end_day
    day = end - start
    if at:
        try:
            day = dt.date.fromisoformat(when.strip()).toordinal() - start
        except ValueError:
            raise DocketError(f"--outcome {text}: `{when}` is not a date; write @YYYY-MM-DD") from None
        if not 0 <= day <= end - start:
            raise DocketError(f"--outcome {text}: {when} is outside the window "
                              f"{day_to_date(start).isoformat()} to {day_to_date(end).isoformat()}")
    date = day_to_date(start + day)
    metrics = {m.id: m for m in scenario.metrics}
    target = name.removesuffix(".avoided") if name not in metrics else name
    if target in metrics:
        metric, quantity = metrics[target], "exposure" if target == name else "avoided"
        what = "avoided by the measures" if quantity == "avoided" else "accumulated"
        return Outcome(name, quantity, target, day, date, cumulative_unit(metric.unit),
                       f"{metric.title or metric.id}, {what} by {date.isoformat()}")
    pop = next((p for p in scenario.populations if p.id == name), None)
    if pop is not None:
        return Outcome(name, "population", name, day, date, pop.unit or pop.kind,
                       f"{pop.title or pop.id} on {date.isoformat()}")
    m = next(m for m in scenario.measures if m.id == name)
    return Outcome(name, "in_force_by", name, day, date, "probability",
                   f"P({m.title or m.id} in force by {date.isoformat()})")


def quantiles(x: Input, low: float, high: float) -> tuple[float, float]:
    """The quantiles input ``x`` is held at: ``low``/``high``, or yes/no (:data:`TRIAL_LOW`) for a trial."""
    return (TRIAL_LOW, TRIAL_HIGH) if kind(x) == "trial" else (low, high)


@dataclass
class Sensitivity:
    """What :func:`sensitivity` returns.

    Attributes:
        outcome: what was measured.
        base_mean: the mean outcome of the base run (every input drawn).
        replications: replications of every run.
        seed: the root seed of every run.
        low: quantile of the low end of value and time inputs.
        high: quantile of their high end.
        bins: bins of the first-order estimator.
        table: one row per input (columns :data:`COLUMNS`), biggest swing first, then biggest |rank correlation|.
        results: the base run aggregated (for chart footers).
        study: every run's tasks (base and one-at-a-time runs), where they ran and how many were reused; the
            one-at-a-time runs keep only their mean outcome (:attr:`sim.runs.study.Study.outputs`).
    """

    outcome: Outcome
    base_mean: float
    replications: int
    seed: int
    low: float
    high: float
    bins: int
    table: pd.DataFrame
    results: Results
    study: Study

    def tornado(self, top: int | None = None) -> pd.DataFrame:
        """The rows with one-at-a-time runs, biggest swing first (at most ``top``)."""
        rows = self.table[self.table["in_tornado"]]
        return rows if top is None else rows.head(top)

    def write_csv(self, path: str | Path) -> None:
        """Write :attr:`table` as CSV, atomically."""
        write_text(path, self.table.to_csv(index=False))

    def _repr_html_(self) -> str:
        """A notebook's view: the table `docket sensitivity` prints (:meth:`table_text`)."""
        return f'<pre class="docket-sensitivity">{html.escape(self.table_text())}</pre>'

    def table_text(self, width: int = 64) -> str:
        """The table for the terminal: inputs by swing, then by rank correlation; ``-`` where not run.

        Labels longer than ``width`` characters are shortened, keeping what tells two inputs of one item apart
        (:func:`sim.text.titles.shorten`).
        """
        o = self.outcome
        levels = [f"{r.low_text} -> {r.high_text}" for r in self.table.itertuples()]
        width = min(width, max([len(str(t)) for t in self.table["label"]], default=5))
        lw = max([len(x) for x in levels], default=11) + 2
        unit = "" if o.is_probability else f" ({o.unit})"
        lines = [f"Sensitivity of {o.title}{unit}: mean {o.show(self.base_mean)} over {number(self.replications)} "
                 f"replications, seed {self.seed}.",
                 f"Inputs held at their {self.low:.0%} and {self.high:.0%} quantiles (yes/no for trials), all other "
                 "inputs drawn as in the base run (same seed). Rank corr.: Spearman, input quantile against outcome; "
                 f"first-order: share of variance explained, binned estimate ({self.bins} bins).", "",
                 f"  {'input':<{width}}  {'low -> high':<{lw}}{'at low':>9}{'at high':>9}{'swing':>11}"
                 f"{'rank corr.':>12}{'1st order':>11}"]
        for r, level in zip(self.table.to_dict("records"), levels, strict=True):
            ran = bool(r["in_tornado"])
            cells = [o.show(r["low_mean"]) if ran else "-", o.show(r["high_mean"]) if ran else "-",
                     _swing(r["swing"], o.is_probability) if ran else "-"]
            name = shorten(str(r["label"]), width)
            lines.append(f"  {name:<{width}}  {level:<{lw}}{cells[0]:>9}{cells[1]:>9}{cells[2]:>11}"
                         f"{_fixed(r['rank_correlation'], True):>12}{_fixed(r['first_order'], False):>11}")
        return "\n".join(lines)


def _swing(x: float, prob: bool) -> str:
    return f"{x * 100:.1f} pts" if prob else number(x)


def _fixed(x: float, signed: bool) -> str:
    if math.isnan(x):
        return "n/a"
    return f"{x + 0.0:+.2f}" if signed else f"{x:.2f}"


def sensitivity(loaded: Loaded | Scenario, outcome: str, *, replications: int | None = None,
                seed: int | None = None, top: int = 12, low: float = 0.1, high: float = 0.9, workers: int | None = 1,
                scheduler: str | None = None, cache: str | Path | None = None, resume: bool = False,
                progress: Progress | None = None) -> Sensitivity:
    """Rank the uncertain inputs of a scenario by how much they move ``outcome`` (see the module docstring).

    Args:
        loaded: the loaded scenario (:func:`sim.scenario.loaded.load`; a bare :class:`Scenario` cannot be cached).
        outcome: ``NAME[.avoided][@YYYY-MM-DD]`` (:func:`parse_outcome`).
        replications: replications of every run (default: the scenario's).
        seed: root seed of every run (default: the scenario's).
        top: inputs run one at a time, by absolute rank correlation; ``0`` for all.
        low: quantile of the low end of value and time inputs.
        high: quantile of the high end.
        workers: local processes (``None``: every core); the numbers do not depend on it.
        scheduler: a Dask scheduler address or ``local`` (see :mod:`sim.runs.executors`).
        cache: folder where finished tasks are kept until the outputs are written (for ``resume``).
        resume: reuse the tasks in ``cache`` instead of computing them again.
        progress: told the replications of the base run, then of the one-at-a-time runs (planned, then finished).

    Returns:
        A :class:`Sensitivity`: the table (one row per input) and the base run's results.

    Raises:
        DocketError: an unknown outcome, bad quantiles, a scenario without uncertain inputs, or failed tasks.

    Example:
        >>> from sim.scenario.loaded import load
        >>> s = sensitivity(load("scenarios/quickstart.yaml"), "sales_ban@2026-04-01", replications=200)
        >>> s.table[["input", "low_text", "high_text", "low_mean", "high_mean"]].values.tolist()
        [['measure:sales_ban:deferral:u', 'yes', 'no', 0.0, 1.0]]
    """

    scenario = loaded.scenario if isinstance(loaded, Loaded) else loaded
    out = parse_outcome(scenario, outcome)
    if not 0.0 < low < high < 1.0:
        raise DocketError(f"quantiles must satisfy 0 < low < high < 1, got low={low} and high={high}")
    if top < 0:
        raise DocketError(f"top must be 0 (every input) or more, got {top}")
    grid = grids(scenario, [out.day])[0]
    base = RunSpec.of("base", loaded, replications, seed, grid)
    folder = Path(cache) if cache is not None else None
    with open_executor(workers, scheduler) as ex:
        first = run_study([base], executor=ex, cache=folder, resume=resume, progress=progress)
        first.raise_failures(folder)
        collected = first.collected[0]
        assert collected is not None
        y = out.values(scenario, collected, grid)
        inputs = sorted(collected.inputs.values(), key=lambda x: x.name)
        if not inputs:
            raise DocketError(f"{scenario.name} has no uncertain inputs (every value is fixed and every event "
                              "certain): there is nothing to rank. Give a value a range (`between: [a, b]`) or an "
                              "event a probability below 1")
        n, sd = base.replications, base.seed
        bins = bin_count(n)
        drawn = {x.name: uniforms(x, sd, n) for x in inputs}
        glob = {x.name: (rank_correlation(drawn[x.name], y), first_order(drawn[x.name], y, bins)) for x in inputs}
        chosen = sorted(inputs, key=lambda x: (-_size(glob[x.name][0]), -_size(glob[x.name][1])))
        chosen = chosen[: top or len(chosen)]
        # the one-at-a-time runs need only the outcome's day (and the grid's required ends)
        small = tuple(sorted({0, out.day, grid[-1]}))
        specs = [dataclasses.replace(base, label=f"{x.name}={end}", grid=small, pins=((x.name, q),))
                 for x in chosen for end, q in zip(("low", "high"), quantiles(x, low, high), strict=True)]
        second = run_study(specs, executor=ex, cache=folder, resume=resume, progress=progress,
                           reduce=lambda _i, c: float(out.values(scenario, c, list(small)).mean()))
        second.raise_failures(folder)
    means = {x.name: (second.outputs[2 * k], second.outputs[2 * k + 1]) for k, x in enumerate(chosen)}
    rows: list[dict[str, Any]] = []
    for x in inputs:
        q_lo, q_hi = quantiles(x, low, high)
        lo_mean, hi_mean = means.get(x.name, (math.nan, math.nan))
        rc, fo = glob[x.name]
        rows.append({"input": x.name, "label": label(scenario, x), "kind": kind(x), "low_quantile": q_lo,
                     "high_quantile": q_hi, "low_text": level_text(x, q_lo), "high_text": level_text(x, q_hi),
                     "low_mean": lo_mean, "high_mean": hi_mean, "swing": abs(hi_mean - lo_mean), "rank_correlation": rc,
                     "first_order": fo, "in_tornado": x.name in means})
    rows.sort(key=lambda r: (-_size(r["swing"]), -_size(r["rank_correlation"]), -_size(r["first_order"])))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    study = Study([*first.specs, *second.specs], [*first.collected, *second.collected],
                  [*first.failures, *second.failures], first.computed + second.computed,
                  first.reused + second.reused, second.executor or first.executor,
                  first.wall_time + second.wall_time, [*first.outputs, *second.outputs])
    return Sensitivity(out, float(y.mean()), n, sd, low, high, bins, table, first.results(0), study)


def _size(x: float) -> float:
    """``|x|`` for ordering, with ``NaN`` (not measured) below everything measured."""
    return -1.0 if math.isnan(x) else abs(x)
