"""Paired comparisons: run several scenarios on the same random draws and difference them replication by replication.

Every scenario is run with the same seed and number of replications. Draws come from named streams
(:mod:`sim.engine.streams`), so replication ``r`` of each run sees the same uncertain values and events wherever the
scenarios agree (common random numbers): the runs are identical up to the first point where the scenarios
differ. The difference ``run - reference`` is therefore taken per replication, in replication order, and its
spread measures what the change does, not Monte Carlo noise.

Quantities compared (rows of :attr:`Comparison.table`), each against the first scenario (the reference):

- ``exposure``: each metric's cumulative total at the window end (e.g. user-days);
- ``avoided``: each metric's exposure avoided compared with no measure, at the window end;
- ``population``: each population's stock on each key date of the reference;
- ``in_force_by``: whether each measure has been in force by each key date, a 0/1 indicator per replication,
  so ``reference_mean``, ``mean`` and ``diff_mean`` are probabilities and their difference.

A population, metric or measure that a scenario does not share with the reference has no row for it.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine.replications import grids, key_days
from sim.runs.atomic import write_text
from sim.runs.results import Results, cumulative_unit
from sim.runs.study import Progress, RunSpec, run_study
from sim.scenario.calendar import day_to_date
from sim.scenario.errors import DocketError, UsageError
from sim.scenario.loaded import Loaded, run_defaults
from sim.scenario.schema import Scenario
from sim.studies.paired import paired
from sim.text.humanize import number, percent

if TYPE_CHECKING:
    from sim.runs.study import Study

FloatArray = npt.NDArray[np.float64]

QUANTITIES = ("exposure", "avoided", "population", "in_force_by")
"""Quantities compared, in table order."""
COLUMNS = ("quantity", "target", "date", "label", "reference_median", "median", "reference_mean", "mean",
           "diff_median", "diff_p05", "diff_p95", "diff_mean", "share_up", "share_down", "share_same")
"""Columns of :attr:`Comparison.table`."""
@dataclass
class Comparison:
    """What :func:`compare` returns.

    Attributes:
        labels: the name of each run, the reference first.
        results: each run's aggregated results (for charts), in the order of ``labels``.
        table: one row per quantity, target, date and non-reference label (columns :data:`COLUMNS`).
        replications: replications of every run.
        seed: the root seed shared by every run.
        wall_time: seconds spent simulating all runs.
        study: how the runs' tasks went (where they ran, how many were computed or reused).
    """

    labels: list[str]
    results: list[Results]
    table: pd.DataFrame
    replications: int
    seed: int
    wall_time: float
    study: Study | None = None

    def write_csv(self, path: str | Path) -> None:
        """Write :attr:`table` as CSV, atomically."""
        write_text(path, self.table.to_csv(index=False))

    def _repr_html_(self) -> str:
        """A notebook's view: the terminal's table of paired differences (:func:`table_text`), as it prints."""
        return f'<pre class="docket-comparison">{html.escape(table_text(self))}</pre>'


@dataclass
class _Run:
    scenario: Scenario
    arrays: dict[str, npt.NDArray[np.float64]]
    grid: list[int]


def _window_text(s: Scenario) -> str:
    return f"{day_to_date(s.start_day).isoformat()} to {day_to_date(s.end_day).isoformat()}"


def _check(scenarios: Sequence[Scenario], labels: Sequence[str]) -> None:
    if not scenarios:
        raise DocketError("compare needs at least one scenario")
    if len(labels) != len(scenarios):
        raise DocketError(f"{len(labels)} labels for {len(scenarios)} scenarios; give one label per scenario")
    if len(set(labels)) != len(labels):
        raise DocketError(f"labels must be distinct, got {', '.join(labels)}")
    ref = scenarios[0]
    key = (ref.start_day, ref.end_day)
    for s, label in zip(scenarios[1:], labels[1:], strict=True):
        if (s.start_day, s.end_day) != key:
            raise DocketError(
                f"scenarios compared must share a window: `{labels[0]}` runs {_window_text(ref)} but `{label}` runs "
                f"{_window_text(s)}; give both the same `window`")


def compared_runs(files: Sequence[str], variants: str | None, reference: str | None,
                  limit: int) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The ``(file, variant)`` runs ``docket compare`` runs, the reference first, and their labels.

    With one file, ``variants`` (comma-separated) are compared with ``reference`` (``None``: the file as
    written); with several files, ``variants`` gives one id per file (``-``: the file as written).

    Raises:
        UsageError: options that do not go together, a run listed twice, or more than ``limit`` runs.

    Example:
        >>> compared_runs(["a.yaml"], "x, y", None, 8)
        ([('a.yaml', None), ('a.yaml', 'x'), ('a.yaml', 'y')], ['as written', 'x', 'y'])
        >>> compared_runs(["a.yaml", "b.yaml"], "-,z", None, 8)[1]
        ['a', 'b.z']
    """
    wanted = [v.strip() for v in variants.split(",")] if variants is not None else None
    if len(files) == 1:
        if not wanted:
            raise UsageError("give two or more FILES, or one FILE with --variants A,B")
        others = [v for v in wanted if v and v != reference]
        if not others:
            raise UsageError("--variants lists no variant besides the reference")
        pairs = [(files[0], reference), *((files[0], v) for v in others)]
        labels = [reference or "as written", *others]
    else:
        if reference is not None:
            raise UsageError("--reference works with one FILE; with several, the first FILE is the reference")
        if wanted is not None and len(wanted) != len(files):
            raise UsageError(f"--variants gives {len(wanted)} ids for {len(files)} files; give one per file "
                             "(`-` for the file as written)")
        chosen: list[str | None] = [None if v in ("", "-") else v for v in wanted] if wanted is not None else \
            [None] * len(files)
        pairs = list(zip(files, chosen, strict=True))
        labels = [Path(f).stem + (f".{v}" if v else "") for f, v in pairs]
    if len(set(labels)) != len(labels):
        raise UsageError(f"the same run is listed twice: {', '.join(labels)}")
    if len(pairs) > limit:
        raise UsageError(f"compare at most {limit} runs, got {len(pairs)}")
    return pairs, labels


def compare(runs: Sequence[Loaded | Scenario], labels: Sequence[str], replications: int | None = None,
            seed: int | None = None, workers: int | None = 1, *, scheduler: str | None = None,
            cache: str | Path | None = None, resume: bool = False,
            progress: Progress | None = None) -> Comparison:
    """Run every scenario on the same draws and report paired differences against the first.

    All runs go to one executor as one study (:func:`sim.runs.study.run_study`), so variants run side by side.

    Args:
        runs: the reference first, then the scenarios to compare with it, all with the same window: loaded
            (:func:`sim.scenario.loaded.load`), or bare :class:`Scenario` objects for a comparison never cached.
        labels: a distinct name for each scenario (e.g. its variant id).
        replications: replications of every run (default: the reference's).
        seed: the root seed of every run (default: the reference's).
        workers: local processes (``None``: every core); the numbers do not depend on it.
        scheduler: a Dask scheduler address or ``local`` (see :mod:`sim.runs.executors`).
        cache: folder where finished tasks are kept until the comparison is written (for ``resume``).
        resume: reuse the tasks in ``cache`` instead of computing them again.
        progress: told the replications planned and finished, over all runs (:class:`sim.runs.study.Progress`).

    Returns:
        A :class:`Comparison`: the table of paired differences and each run's results.

    Raises:
        DocketError: for no scenarios, labels that do not match them, different windows, or failed tasks.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> runs = [load_scenario("scenarios/tiktok-wechat-2020.yaml", v) for v in ("as_announced", "deal_reached")]
        >>> table = compare(runs, ["as_announced", "deal_reached"], 100).table
        >>> table.query("quantity == 'exposure' and target == 'tiktok_user_days'").share_up.tolist()
        [1.0]
    """

    scenarios = [r.scenario if isinstance(r, Loaded) else r for r in runs]
    _check(scenarios, labels)
    ref = scenarios[0]
    n, sd = run_defaults(ref, replications, seed)
    keys = key_days(ref)
    # the reference's key dates on every grid, reported on the run's own grid
    specs = [RunSpec.of(label, r, n, sd, grids(s, keys)[0])
             for r, s, label in zip(runs, scenarios, labels, strict=True)]
    study = run_study(specs, workers=workers, scheduler=scheduler, cache=cache, resume=resume, progress=progress)
    study.raise_failures(Path(cache) if cache is not None else None)
    done = []
    for spec, collected in zip(specs, study.collected, strict=True):
        assert collected is not None
        arrays = {k: v.astype(np.float64, copy=False) if v.dtype.kind == "f" else v
                  for k, v in collected.arrays.items()}
        done.append(_Run(spec.scenario, arrays, list(spec.grid)))
    results = [study.results(i) for i in range(len(specs))]
    rows = [row for run, label in zip(done[1:], labels[1:], strict=True) for row in _rows(done[0], run, label, keys)]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    order = {q: i for i, q in enumerate(QUANTITIES)}
    table = table.sort_values("quantity", key=lambda c: c.map(order), kind="stable", ignore_index=True)
    return Comparison(list(labels), results, table, n, sd, study.wall_time, study)


def _values(ref: _Run, run: _Run, keys: list[int],
            ) -> Iterator[tuple[str, str, int, FloatArray, FloatArray, FloatArray]]:
    """``(quantity, target, day, reference values, run values, scale)``, per replication, for what both share.

    ``scale`` is the size of the numbers the values were computed from, for telling round-off from a change:
    avoided exposure is a difference of two totals, so its round-off is relative to the counterfactual total.
    """
    for k, metric in enumerate(ref.scenario.metrics):
        other = _index(run.scenario.metrics, metric.id)
        if other is not None:
            end = ref.grid[-1]
            a, b = ref.arrays["metric_cum"][:, -1, k], run.arrays["metric_cum"][:, -1, other]
            yield "exposure", metric.id, end, a, b, _scale(a, b)
            cf = _scale(ref.arrays["cf_metric_cum"][:, -1, k], run.arrays["cf_metric_cum"][:, -1, other])
            yield "avoided", metric.id, end, ref.arrays["avoided"][:, -1, k], run.arrays["avoided"][:, -1, other], cf
    for i, pop in enumerate(ref.scenario.populations):
        other = _index(run.scenario.populations, pop.id)
        if other is not None:
            for d in keys:
                a, b = ref.arrays["stocks"][:, ref.grid.index(d), i], run.arrays["stocks"][:, run.grid.index(d), other]
                yield "population", pop.id, d, a, b, _scale(a, b)
    for mi, m in enumerate(ref.scenario.measures):
        other = _index(run.scenario.measures, m.id)
        if other is not None:
            for d in keys:
                a = (ref.arrays["first_in_force"][:, mi] <= d).astype(np.float64)
                b = (run.arrays["first_in_force"][:, other] <= d).astype(np.float64)
                yield "in_force_by", m.id, d, a, b, np.zeros_like(a)  # 0/1: exact


def _scale(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.maximum(np.abs(a), np.abs(b))


def _index(items: Sequence[object], ident: str) -> int | None:
    return next((i for i, item in enumerate(items) if getattr(item, "id", None) == ident), None)


def _rows(ref: _Run, run: _Run, label: str, keys: list[int]) -> Iterator[dict[str, object]]:
    start = ref.scenario.start_day
    for quantity, target, d, a, b, scale in _values(ref, run, keys):
        # replication r against replication r: same draws wherever the scenarios agree
        yield {"quantity": quantity, "target": target, "date": day_to_date(start + d).isoformat(), "label": label,
               "reference_median": float(np.median(a)), "median": float(np.median(b)),
               "reference_mean": float(a.mean()), "mean": float(b.mean()), **paired(a, b, scale)}


HEADINGS = {
    "exposure": "Exposure accumulated by {date}",
    "avoided": "Exposure avoided by the measures, by {date}",
    "population": "Populations",
    "in_force_by": "P(in force by)",
}


def _unit(s: Scenario, quantity: str, target: str) -> str:
    if quantity in ("exposure", "avoided"):
        return next(cumulative_unit(m.unit) for m in s.metrics if m.id == target)
    if quantity == "population":
        return next(p.unit or p.kind for p in s.populations if p.id == target)
    return ""


def table_text(c: Comparison) -> str:
    """The comparison as a terminal table: one block per quantity, human numbers.

    Each row: the run's value (median, or probability for ``in_force_by``), the paired difference against the
    reference (median and 5%-95% range over replications, or the difference of probabilities) and the share
    of replications where this run is higher / lower. A difference whose median is 0 but whose mean is not (a
    change in some runs only, such as removing a 40% deferral) shows its mean and the share of runs that differ,
    not a bare 0.
    """
    ref = c.results[0].scenario
    width = max(len(label) for label in c.labels) + 2
    lines = [f"Paired comparison: {number(c.replications)} replications, seed {c.seed}, same draws in every run; "
             f"differences are run minus `{c.labels[0]}` in the same replication."]
    for quantity in QUANTITIES:
        block = c.table[c.table["quantity"] == quantity]
        if block.empty:
            continue
        heading = HEADINGS[quantity].format(date=block["date"].iloc[0])
        prob = quantity == "in_force_by"
        lines += ["", heading, f"  {'':{width}}{'probability' if prob else 'median':>12}  "
                  f"{'difference' if prob else 'difference: median (5% to 95%)':<34}{'higher':>8}{'lower':>8}"]
        for (target, date), rows in block.groupby(["target", "date"], sort=False):
            unit = _unit(ref, quantity, str(target))
            where = f"{target}" + ("" if quantity in ("exposure", "avoided") else f" on {date}") + \
                (f" ({unit})" if unit else "")
            first = rows.iloc[0]
            lines.append(f"  {where}")
            lines.append(f"    {c.labels[0]:<{width}}"
                         f"{_value(first['reference_mean'] if prob else first['reference_median'], prob):>10}"
                         "  (reference)")
            for _, r in rows.iterrows():
                diff = _difference(r, prob)
                lines.append(f"    {r['label']:<{width}}{_value(r['mean'] if prob else r['median'], prob):>10}  "
                             f"{diff:<34}{percent(r['share_up']):>8}{percent(r['share_down']):>8}")
    return "\n".join(lines)


def _difference(r: pd.Series, prob: bool) -> str:
    """A row's paired difference: of probabilities; the median and 5-95% range; or, where the median is 0 and the
    mean is not (only some runs change), the mean and the share of runs that differ."""
    if prob:
        return _signed(r["diff_mean"], True)
    if r["diff_median"] == 0 and _signed(r["diff_mean"], False) != "0":
        return f"mean {_signed(r['diff_mean'], False)}, {percent(r['share_up'] + r['share_down'])} of runs differ"
    return f"{_signed(r['diff_median'], False)} ({number(r['diff_p05'])} to {number(r['diff_p95'])})"


def _value(x: float, prob: bool) -> str:
    return percent(x) if prob else number(x)


def _signed(x: float, prob: bool) -> str:
    if prob and abs(x) < 0.0005:
        return "0 pts"
    text = f"{x * 100:+.1f} pts".replace("-", "\u2212") if prob else number(x)
    return text if prob or text.startswith("\u2212") or text == "0" else "+" + text
