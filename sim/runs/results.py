"""Results of a run: tidy DataFrames with real dates, per-measure statistics, the event log and a summary.

``Results.series`` has one row per series, quantity and report date with the mean and the quantiles
:data:`QUANTILES`; ``Results.dated`` has the same rows on the days solved but not on the report grid (key dates,
planned deadlines and event dates, and the day before each), and :meth:`Results.curve` merges the two, so a
curve is exact on every date that matters. :meth:`Results.in_force_curve` is P(in force) as a step function
exact on every day some replication switches, from the event log.

Quantities: ``stock`` (population size), ``value`` (metric, e.g. users exposed), ``cumulative`` (its exact
integral, e.g. user-days), the same with ``_cf`` for the counterfactual with no measure in force
(same random draws), and ``avoided`` = cumulative_cf - cumulative, paired per replication.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from sim.engine.replications import Collected, key_days
from sim.runs import views
from sim.runs.quantiles import sorted_quantiles
from sim.runs.splits import Split, find
from sim.runs.steps import in_force_steps
from sim.runs.table import Frame, Table, dates_from, repeated
from sim.scenario.calendar import day_to_date
from sim.scenario.errors import DocketError
from sim.scenario.planned import date_order, planned_text
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

Tabular = Any
"""A table as :class:`Results` takes it: a :class:`~sim.runs.table.Table` or a ``pandas.DataFrame``."""

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
QCOLS = tuple(f"p{round(q * 100):02d}" for q in QUANTILES)
SERIES_COLUMNS = ("series", "kind", "quantity", "unit", "date", "mean", *QCOLS)


def no_rows() -> pd.DataFrame:
    """A series table without rows (the dated rows of a run whose dated days are all on its report grid)."""
    return Table.empty(SERIES_COLUMNS).frame()


def cumulative_unit(unit: str | None) -> str:
    """The unit of a metric's integral over time: ``users`` -> ``user-days`` (an English plural made singular:
    ``-es`` after s, x, z, ch and sh, ``-s`` otherwise; a unit that is not a plural stays as it is).

    Example:
        >>> cumulative_unit("installs"), cumulative_unit(None), cumulative_unit("buses"), cumulative_unit("boxes")
        ('install-days', 'unit-days', 'bus-days', 'box-days')
        >>> cumulative_unit("devices"), cumulative_unit("houses"), cumulative_unit("glass"), cumulative_unit("kWh")
        ('device-days', 'house-days', 'glass-days', 'kWh-days')
    """
    base = unit or "units"
    if base.endswith(("sses", "shes", "ches", "xes", "zes")) or base.endswith("buses"):
        base = base[:-2]  # addresses, dishes, batches, boxes, buses (but houses, devices: only the s)
    elif base.endswith("s") and not base.endswith("ss"):
        base = base[:-1]
    return base + "-days"


def _stats(values: npt.NDArray[np.float64]) -> dict[str, Any]:
    """Mean and quantiles over axis 0 (the quantiles of each column taken from a contiguous copy of it, sorted:
    the same order statistics, found without striding over every row, and one sort is about twice as fast as
    partitioning around the seven quantiles' order statistics; then read from it, :mod:`sim.runs.quantiles`)."""
    columns = np.array(values.T, order="C")  # always a copy: sorted in place below
    columns.sort(axis=-1)
    qs = sorted_quantiles(columns, QUANTILES).astype(np.float64)
    return {"mean": values.mean(axis=0, dtype=np.float64), **{c: qs[i] for i, c in enumerate(QCOLS)}}


def _interval(values: npt.NDArray[np.float64]) -> dict[str, float]:
    s = _stats(values)
    return {k: float(s[k]) for k in ("mean", "p05", "p10", "p50", "p90", "p95")}


class Results:
    """What :func:`sim.run` returns.

    The tables are pandas DataFrames when read; a run keeps them as :class:`~sim.runs.table.Table` columns until
    then (``docket run`` writes its folder without importing pandas, :mod:`sim.runs.table`).

    Attributes:
        scenario: the scenario that was run.
        replications: number of replications.
        seed: the root seed.
        wall_time: seconds spent simulating.
        series: tidy time series (series, kind, quantity, unit, date, mean, p05 ... p95).
        in_force: probability each measure is in force on each report date.
        effective: distribution of each measure's effective date (a row without date: never in force).
        measures: per-measure statistics (effective date, extensions, injunctions, shelving, lifting).
        events: the event log of every replication (replication, date, subject, what, why).
        summary: the headline numbers, as written to ``summary.json``.
        replication_series: per-replication values (only with ``keep_replications``).
        check_error: largest stock-accounting residual seen (0 unless checked).
        extra: what a run folder adds (e.g. ``created``).
        dated: rows like ``series`` on the dated days off the report grid (``dated.csv``); see :meth:`curve`.
        branches: curves per branch of each split outcome (``branches.csv``, see :mod:`sim.runs.splits`).
        finals: each replication's accumulated and avoided exposure per metric at the end (``finals.csv``:
            replication, metric, total, avoided, and the side of the metric's split, -1 if it does not split).
    """

    series: Frame[pd.DataFrame] = Frame()
    in_force: Frame[pd.DataFrame] = Frame()
    effective: Frame[pd.DataFrame] = Frame()
    measures: Frame[pd.DataFrame] = Frame()
    events: Frame[pd.DataFrame] = Frame()
    replication_series: Frame[pd.DataFrame | None] = Frame()
    dated: Frame[pd.DataFrame] = Frame()
    branches: Frame[pd.DataFrame | None] = Frame()
    finals: Frame[pd.DataFrame | None] = Frame()

    def __init__(self, scenario: Scenario, replications: int, seed: int, wall_time: float, series: Tabular,
                 in_force: Tabular, effective: Tabular, measures: Tabular, events: Tabular, summary: dict[str, Any],
                 replication_series: Tabular | None = None, check_error: float = 0.0,
                 extra: dict[str, Any] | None = None, dated: Tabular | None = None, branches: Tabular | None = None,
                 finals: Tabular | None = None) -> None:
        self.scenario, self.replications, self.seed, self.wall_time = scenario, replications, seed, wall_time
        self.series, self.in_force, self.effective, self.measures, self.events = (series, in_force, effective,
                                                                                  measures, events)
        self.summary, self.replication_series, self.check_error = summary, replication_series, check_error
        self.extra = {} if extra is None else extra
        self.dated = Table.empty(SERIES_COLUMNS) if dated is None else dated
        self.branches, self.finals = branches, finals

    def __repr__(self) -> str:
        return f"Results({self.scenario.name!r}, replications={self.replications}, seed={self.seed})"

    def curve(self, series: str, quantity: str) -> pd.DataFrame:
        """One series and quantity on every report day and every dated day (:attr:`dated`), by date.

        Example:
            >>> from sim import load_scenario, run
            >>> res = run(load_scenario("scenarios/tiktok-wechat-2020.yaml"), replications=50)
            >>> rows = res.curve("tiktok_users", "stock")  # the weekly grid skips the Sep 20 deadline
            >>> sorted(set(rows["date"].dt.day[rows["date"].dt.month == 9]))
            [18, 19, 20, 25, 26, 27]
            >>> res.in_force_on("tiktok_app_store", "2020-09-20") > 0.3
            True
        """
        import pandas as pd

        parts = [f[(f["series"] == series) & (f["quantity"] == quantity)] for f in (self.series, self.dated)]
        rows = pd.concat([p for p in parts if not p.empty] or parts[:1])
        return rows.sort_values("date", kind="stable").reset_index(drop=True)

    @cached_property
    def in_force_steps(self) -> pd.DataFrame:
        """P(in force) of every measure as a step function: a row on the window start and on every day the share
        of replications in force changes (``measure``, ``date``, ``probability``), from the event log's
        switches, so it is exact on every day (see :func:`in_force_steps`)."""
        return in_force_steps(self.scenario, self.events, self.replications)

    def in_force_curve(self, measure: str) -> pd.DataFrame:
        """The steps of one measure (``date``, ``probability``): the value holds from its date to the next row."""
        frame = self.in_force_steps
        return frame[frame["measure"] == measure][["date", "probability"]].reset_index(drop=True)

    def in_force_on(self, measure: str, date: Any) -> float:
        """P(``measure`` in force on ``date``), read from :meth:`in_force_curve`."""
        import pandas as pd

        rows = self.in_force_curve(measure)
        before = rows[rows["date"] <= pd.Timestamp(date)]
        return float(before["probability"].iloc[-1]) if len(before) else 0.0

    def _repr_html_(self) -> str | None:
        """A notebook's view: the bottom line, the terminal summary's tables and a small in-force chart (the
        ``web`` view, :mod:`sim.runs.views`); ``None`` (the plain repr) where that view cannot load."""
        try:
            return str(views.view().repr_html(self))
        except DocketError:
            return None

    def plot(self, chart: str = "in_force") -> Any:
        """The page's interactive figure ``chart`` (a Plotly figure): ``timeline``, ``in_force``, ``populations``
        or ``exposure-METRIC`` (``exposure``: the first metric)."""
        return views.view().plot(self, chart)

    def to_html(self, path: Any) -> Any:
        """Write the same self-contained page as ``docket brief --html`` to ``path``; returns the path."""
        return views.view().to_html(self, path)


def aggregate(s: Scenario, collected: Collected, grid: list[int], report: set[int], n: int, seed: int,
              wall: float, keep: bool) -> Results:
    """Turn the collected arrays of a run into :class:`Results`."""
    start = s.start_day
    dates = dates_from(start, grid)
    on_report = np.array([d in report for d in grid])
    cat = collected.arrays
    blocks: list[tuple[str, str, str, str, npt.NDArray[np.float64]]] = []
    for i, p in enumerate(s.populations):
        unit = p.unit or p.kind
        blocks.append((p.id, "population", "stock", unit, cat["stocks"][:, :, i]))
        blocks.append((p.id, "population", "stock_cf", unit, cat["cf_stocks"][:, :, i]))
    for k, metric in enumerate(s.metrics):
        unit, cum = metric.unit or "units", cumulative_unit(metric.unit)
        blocks += [
            (metric.id, "metric", "value", unit, cat["metric"][:, :, k]),
            (metric.id, "metric", "value_cf", unit, cat["cf_metric"][:, :, k]),
            (metric.id, "metric", "cumulative", cum, cat["metric_cum"][:, :, k]),
            (metric.id, "metric", "cumulative_cf", cum, cat["cf_metric_cum"][:, :, k]),
            (metric.id, "metric", "avoided", cum, cat["avoided"][:, :, k]),
        ]
    report_dates = dates[on_report]

    def table(mask: npt.NDArray[np.bool_]) -> Table:
        if not blocks:
            return Table.empty(SERIES_COLUMNS)
        stats = [_stats(values[:, mask]) for *_, values in blocks]  # one table built by column, block after block
        days = int(mask.sum())
        labels = {name: np.repeat([block[j] for block in blocks], days)
                  for j, name in enumerate(("series", "kind", "quantity", "unit"))}
        return Table({**labels, "date": np.tile(dates[mask], len(blocks)),
                      **{k: np.concatenate([st[k] for st in stats]) for k in ("mean", *QCOLS)}})

    series = table(on_report)
    share_on = cat["in_force"].mean(axis=0)[:, on_report]  # (measures, days): counts over n, exact in any order
    in_force = Table.concat([Table({"measure": repeated(m.id, len(report_dates)), "date": report_dates,
                                    "probability": share_on[mi]})
                             for mi, m in enumerate(s.measures)], ("measure", "date", "probability"))
    measures = _measure_table(s, cat, start)
    effective = _effective_dates(s, cat, start)
    log = collected.log
    days = np.concatenate(log.day) if log.day else np.zeros(0, dtype=np.int32)
    events = Table({
        "replication": np.concatenate(log.replication) if log.replication else np.zeros(0, dtype=np.int32),
        "date": np.datetime64(day_to_date(start).isoformat(), "D") + days.astype("timedelta64[D]"),
        "subject": log.subject, "what": log.what, "why": log.why}, categorical=("subject", "what", "why"))
    rep_frame = None
    if keep:
        per = int(on_report.sum())
        rep_frame = Table.concat([Table({"replication": np.repeat(np.arange(n), per), "series": repeated(sid, n * per),
                                         "quantity": repeated(qty, n * per), "date": np.tile(report_dates, n),
                                         "value": values[:, on_report].ravel()})
                                  for sid, _, qty, _, values in blocks],
                                 ("replication", "series", "quantity", "date", "value"))
    summary = _summary(s, cat, grid, start, n, seed)
    found = find(s, cat, grid, log, cumulative_unit)
    summary["splits"] = [_split_summary(f, n) for f in found]
    branches = _branches(found, blocks, dates, n)
    finals = _finals(s, cat, found)
    dated = table(~on_report) if not on_report.all() else Table.empty(SERIES_COLUMNS)
    return Results(s, n, seed, wall, series, in_force, effective, measures, events, summary, rep_frame,
                   collected.check_error, dated=dated, branches=branches, finals=finals)


BRANCH_QUANTITIES = {"cumulative": ("value", "cumulative", "avoided"), "avoided": ("value", "cumulative", "avoided"),
                     "stock": ("stock",)}
"""The curves drawn per branch for a split of each kind of outcome."""
BRANCH_COLUMNS = ("outcome", "branch", "side", "label", "probability", "series", "quantity", "date", "mean",
                  *QCOLS)


def _split_summary(f: Split, n: int) -> dict[str, Any]:
    """``summary.json``'s entry of a split outcome: the outcome, the branch, and each side's share and interval."""
    o = f.outcome
    sides = [{"label": label, "probability": share(int(mask.sum()), n), **_interval(o.values[mask])}
             for label, mask in f.sides()]
    return {"outcome": o.id, "title": o.title, "series": o.series, "quantity": o.quantity, "unit": o.unit,
            "date": o.date, "branch": f.branch.id, "explained": round(f.explained, 3), "sides": sides}


def _branches(found: list[Split], blocks: list[tuple[str, str, str, str, npt.NDArray[np.float64]]],
              dates: npt.NDArray[np.datetime64], n: int) -> Table:
    """``branches.csv``: the curves of each split outcome's series, per side, on every solved day."""
    parts = []
    d = len(dates)
    for f in found:
        wanted = BRANCH_QUANTITIES[f.outcome.quantity]
        for side, (label, mask) in enumerate(f.sides()):
            for sid, _, qty, _, values in blocks:
                if sid == f.outcome.series and qty in wanted:
                    parts.append(Table({
                        "outcome": repeated(f.outcome.id, d), "branch": repeated(f.branch.id, d),
                        "side": repeated(side, d), "label": repeated(label, d),
                        "probability": repeated(share(int(mask.sum()), n), d),
                        "series": repeated(sid, d), "quantity": repeated(qty, d), "date": dates,
                        **_stats(values[mask])}))
    return Table.concat(parts, BRANCH_COLUMNS)


def _finals(s: Scenario, cat: dict[str, Any], found: list[Split]) -> Table:
    """Per replication and metric, the end values of its total and avoided exposure, and its split side."""
    parts = []
    for k, metric in enumerate(s.metrics):
        split = next((f for f in found if f.outcome.id == f"{metric.id}:total"), None)
        n = len(cat["metric_cum"])
        side = np.full(n, -1) if split is None else np.where(split.branch.mask, 0, 1)
        parts.append(Table({"replication": np.arange(n), "metric": repeated(metric.id, n),
                            "total": cat["metric_cum"][:, -1, k], "avoided": cat["avoided"][:, -1, k],
                            "side": side}))
    return Table.concat(parts, ("replication", "metric", "total", "avoided", "side"))


def _date(start: int, day: float) -> str | None:
    return None if not math.isfinite(day) else day_to_date(start + round(day)).isoformat()


def _effective_dates(s: Scenario, cat: dict[str, Any], start: int) -> Table:
    """The distribution of each measure's effective date (first day in force): one row per date that occurs,
    with its probability and the cumulative P(in force by that date), and a row without a date for never;
    each a count of replications over n, unrounded (so the rows add up to 1) but never a difference of floats."""
    parts = []
    for mi, m in enumerate(s.measures):
        first = cat["first_in_force"][:, mi]
        days, counts = np.unique(first[np.isfinite(first)], return_counts=True)
        n = len(first)
        parts.append(Table({"measure": repeated(m.id, len(days) + 1),
                            "date": dates_from(start, np.append(days, np.nan)),
                            "probability": np.append(counts, n - counts.sum()) / n,
                            "cumulative": np.append(np.cumsum(counts), n) / n}))
    return Table.concat(parts, ("measure", "date", "probability", "cumulative"))


MEASURE_COLUMNS = ("measure", "title", "planned_deadline", "p_ever_in_force", "p_never", "effective_p10",
                   "effective_p50", "effective_p90", "mean_extensions", "p_extended", "p_enjoined", "p_shelved",
                   "p_lifted", "p_cancelled")


def share(count: float, n: int) -> float:
    """A share of the run's ``n`` replications (a probability, or a mean count), rounded to as many decimals as
    ``n`` has digits: every count keeps a distinct value, only none is 0 and only all is 1, and float noise
    (``0.19599999999999995``) never shows.

    Example:
        >>> share(98, 500), share(1, 300), share(299, 300), share(2, 3)
        (0.196, 0.003, 0.997, 0.7)
    """
    return round(count / n, len(str(n)))


def _measure_table(s: Scenario, cat: dict[str, Any], start: int) -> Table:
    rows = []
    for mi, m in sorted(enumerate(s.measures), key=lambda im: date_order(s, im[1].deadline)):
        first = cat["first_in_force"][:, mi]
        took = np.isfinite(first)
        n = len(first)
        # an effective date is a day: quantiles are days some replication saw, never interpolated between two
        q = np.quantile(first[took], (0.1, 0.5, 0.9), method="inverted_cdf") if took.any() else [math.inf] * 3
        rows.append({
            "measure": m.id, "title": m.title or m.id, "planned_deadline": planned_text(s, m.deadline),
            "p_ever_in_force": share(int(took.sum()), n), "p_never": share(int((~took).sum()), n),
            "effective_p10": _date(start, q[0]), "effective_p50": _date(start, q[1]),
            "effective_p90": _date(start, q[2]),
            "mean_extensions": share(float(cat["extensions"][:, mi].sum()), n),
            "p_extended": share(int((cat["extensions"][:, mi] > 0).sum()), n),
            "p_enjoined": share(int((cat["injunctions"][:, mi] > 0).sum()), n),
            "p_shelved": share(int((cat["shelvings"][:, mi] > 0).sum()), n),
            "p_lifted": share(float(cat["lifted"][:, mi].sum()), n),
            "p_cancelled": share(float(cat["cancelled"][:, mi].sum()), n),
        })
    return Table.of_rows(rows) if rows else Table.empty(MEASURE_COLUMNS)


def _summary(s: Scenario, cat: dict[str, Any], grid: list[int], start: int, n: int, seed: int) -> dict[str, Any]:

    keys = key_days(s)
    at = {d: grid.index(d) for d in keys}
    kd = {d: day_to_date(start + d).isoformat() for d in keys}
    measures = {}
    for mi, m in enumerate(s.measures):
        first = cat["first_in_force"][:, mi]
        measures[m.id] = {
            "title": m.title or m.id,
            "p_in_force_by": {kd[d]: float((first <= d).mean()) for d in keys},
            "p_in_force_on": {kd[d]: float(cat["in_force"][:, mi, at[d]].mean()) for d in keys},
            "p_never_in_force": float((~np.isfinite(first)).mean()),
            "mean_extensions": float(cat["extensions"][:, mi].mean()),
            "p_enjoined": float((cat["injunctions"][:, mi] > 0).mean()),
        }
    exposure = {}
    for k, metric in enumerate(s.metrics):
        exposure[metric.id] = {
            "title": metric.title or metric.id, "unit": cumulative_unit(metric.unit),
            "total": _interval(cat["metric_cum"][:, -1, k]),
            "counterfactual": _interval(cat["cf_metric_cum"][:, -1, k]),
            "avoided": _interval(cat["avoided"][:, -1, k]),
        }
    populations = {p.id: {kd[d]: _interval(cat["stocks"][:, at[d], i]) for d in keys}
                   for i, p in enumerate(s.populations)}
    return {"scenario": s.name, "title": s.title, "variant": s.variant, "replications": n, "seed": seed,
            "window": {"start": day_to_date(start).isoformat(), "end": day_to_date(start + grid[-1]).isoformat()},
            "key_dates": list(kd.values()), "measures": measures, "exposure": exposure, "populations": populations}
