"""Expectations of a scenario, checked with Monte Carlo error in mind (``docket test``, ``docs/testing.md``).

A check compares a statistic of a run with bounds. The statistic comes from a finite number of replications,
so it is reported with a confidence interval at :data:`Z` standard errors:

- a probability (``in_force``, ``never_in_force``): the Wilson score interval;
- a quantile (``median``, ``p05`` ... ``p95``): the distribution-free order-statistic interval, whose ranks are
  ``n p -/+ Z sqrt(n p (1 - p))``;
- a mean: ``mean -/+ Z sd / sqrt(n)``.

A check **fails only when its whole interval lies outside** ``[min, max]``: more replications narrow the
interval but never turn a true statement false, so a check does not flap as ``n`` changes. A check whose
interval straddles a bound passes and is flagged ``uncertain``.

A probability is the count of replications over ``n``, so an outcome seen in every replication is exactly 1
and one seen in none exactly 0, and their Wilson intervals end exactly at 1 and 0: ``min: 1`` passes an
outcome seen in every replication and ``max: 0`` one seen in none. Such a check is reported as ``certain``
(seen in every, or no, replication), not ``uncertain``: no number of replications can narrow the interval
past a bound of 0 or 1, so the only evidence there can be is every replication agreeing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.runs.results import Results
from sim.scenario.calendar import day_to_date
from sim.scenario.checkkinds import CHECK_KINDS
from sim.scenario.dates import DateSpec
from sim.scenario.errors import DocketError
from sim.scenario.schema import Expectation, Scenario
from sim.testing import timelines

Z = 3.0
"""Width of every confidence interval, in standard errors."""
STAT_LEVELS = {"median": 0.5, **{f"p{q:02d}": q / 100 for q in (5, 10, 25, 50, 75, 90, 95)}}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        id: the check's id.
        title: its title (or a description made from its keys).
        passed: False only when the whole interval lies outside the bounds.
        uncertain: the interval straddles a bound: more replications would settle it.
        estimate: the statistic.
        low, high: its confidence interval (:data:`Z` standard errors).
        min, max: the bounds (``None``: unbounded).
        n: replications the statistic comes from.
        what: what was measured, e.g. ``median of tiktok_users stock on 2021-06-30``.
        certain: a probability check on a bound of 1 (``min: 1``) or 0 (``max: 0``) that every replication
            agrees with: its estimate is exactly that bound.
    """

    id: str
    title: str
    passed: bool
    uncertain: bool
    estimate: float
    low: float
    high: float
    min: float | None
    max: float | None
    n: int
    what: str
    certain: bool = False
    unit: str = ""

    def message(self) -> str:
        """One line: ``PASS id: what = 0.42 [0.35, 0.49] (z=3, n=200); bounds [0.3, 0.6]``.

        Example:
            >>> r = CheckResult("c", "c", False, False, 0.9, 0.85, 0.94, None, 0.6, 200, "P(ban by 2020-11-01)")
            >>> r.message()
            'FAIL c: P(ban by 2020-11-01) = 0.9, interval [0.85, 0.94] (z=3, n=200); bounds [-inf, 0.6]'
        """
        status = "PASS" if self.passed else "FAIL"
        note = " (uncertain: the interval straddles a bound)" if self.passed and self.uncertain else ""
        if self.certain:
            note = f" (certain: {'every one' if self.estimate == 1 else 'none'} of the {self.n} replications)"
        lo = "-inf" if self.min is None else _num(self.min, self.unit)
        hi = "inf" if self.max is None else _num(self.max, self.unit)
        return (f"{status} {self.id}: {self.what} = {_num(self.estimate, self.unit)}, interval "
                f"[{_num(self.low, self.unit)}, {_num(self.high, self.unit)}] (z={Z:g}, n={self.n}); "
                f"bounds [{lo}, {hi}]{note}")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return asdict(self)


def _num(x: float, unit: str = "") -> str:
    """A number as a message shows it; a day number (``unit="date"``) as its date, ``never`` if infinite.

    Example:
        >>> _num(0.5), _num(2.5e6), _num(739346.0, "date"), _num(math.inf, "date")
        ('0.5', '2,500,000', '2025-04-05', 'never')
    """
    if unit == "date":
        return day_to_date(round(x)).isoformat() if math.isfinite(x) else "never"
    return f"{x:.4g}" if abs(x) < 1e6 or not math.isfinite(x) else f"{x:,.0f}"


def wilson(p: float, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` observed in ``n`` trials.

    The interval of ``p = 1`` ends exactly at 1 and that of ``p = 0`` starts exactly at 0 (the formula's
    rounding error would leave 0.9999999999999999 or 5.6e-17 there).

    Example:
        >>> [round(x, 3) for x in wilson(0.5, 100)]
        [0.356, 0.644]
        >>> wilson(1.0, 500)[1], wilson(0.0, 10)[0]
        (1.0, 0.0)
    """
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if p <= 0 else max(0.0, centre - half)
    high = 1.0 if p >= 1 else min(1.0, centre + half)
    return low, high


def quantile_interval(values: npt.NDArray[np.float64], p: float, z: float = Z) -> tuple[float, float]:
    """Distribution-free interval of the ``p`` quantile: the order statistics at ranks ``n p -/+ z sqrt(n p (1-p))``.

    Example:
        >>> quantile_interval(np.arange(1.0, 101.0), 0.5)
        (35.0, 65.0)
    """
    x = np.sort(values)
    n = len(x)
    half = z * math.sqrt(n * p * (1 - p))
    lo = max(1, math.floor(n * p - half))
    hi = min(n, math.ceil(n * p + half))
    return float(x[lo - 1]), float(x[hi - 1])


def mean_interval(values: npt.NDArray[np.float64], z: float = Z) -> tuple[float, float, float]:
    """Mean and ``mean -/+ z sd / sqrt(n)``.

    Example:
        >>> [round(x, 3) for x in mean_interval(np.array([1.0, 2.0, 3.0]))]
        [2.0, 0.268, 3.732]
    """
    n = len(values)
    mean = float(values.mean())
    se = float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return mean, mean - z * se, mean + z * se


def check_day(scenario: Scenario, when: DateSpec | None) -> int:
    """The day (since the epoch of :mod:`sim.scenario.quantities`) a check reads: its date, or the end of the window."""
    day = scenario.end_day if when is None else when.fixed_day()
    if day is None:
        raise DocketError("a check's date must be a fixed date")
    return day


def evaluate(results: Results, checks: list[Expectation]) -> list[CheckResult]:
    """Evaluate checks on a run made with ``keep_replications=True``.

    Args:
        results: the run; series checks read ``results.replication_series`` on the check's date, which must be
            a report date of the run (:func:`sim.testing.suite.run_for_checks` reports the check dates too).
        checks: the checks, usually ``scenario.expectations.checks``.

    Returns:
        One :class:`CheckResult` per check, in order.

    Example:
        >>> from sim import load_scenario, run
        >>> scenario = load_scenario("scenarios/quickstart.yaml")
        >>> res = run(scenario, replications=200, keep_replications=True)
        >>> print(evaluate(res, scenario.expectations.checks)[0].message())  # doctest: +NORMALIZE_WHITESPACE
        PASS half_on_time: P(sales_ban in force by 2026-03-01) = 0.505, interval [0.401, 0.6085] (z=3, n=200);
        bounds [0.3, 0.7]
    """
    return [_evaluate_one(results, c) for c in checks]


def _evaluate_one(results: Results, check: Expectation) -> CheckResult:
    s, n = results.scenario, results.replications
    date = day_to_date(check_day(s, check.date)).isoformat()
    how = EVALUATORS[check.kind]
    if isinstance(how, Probability):
        p, what = how.read(results, check.target, date)
        p = round(p * n) / n  # a count of replications over n: exactly 0 or 1 when none or all agree
        low, high = wilson(p, n)
        return _result(check, p, low, high, n, what, probability=True)
    if how.values is not None:
        values, what = how.values(results, check)
    else:
        quantity = _quantity(s, check)
        values, what = _values(results, check.target, quantity, date), f"{check.target} {quantity} on {date}"
    if check.stat == "mean":
        estimate, low, high = mean_interval(values)
    else:
        level = STAT_LEVELS[check.stat]
        days = CHECK_KINDS[check.kind].unit == "date"  # a day some replication saw (never is infinite)
        estimate = float(np.quantile(values, level, method="inverted_cdf" if days else "linear"))
        low, high = quantile_interval(values, level)
    return _result(check, estimate, low, high, n, f"{check.stat} of {what}", unit=CHECK_KINDS[check.kind].unit)


def _result(check: Expectation, estimate: float, low: float, high: float, n: int, what: str,
            probability: bool = False, unit: str = "") -> CheckResult:
    outside = (check.min is not None and high < check.min) or (check.max is not None and low > check.max)
    straddles = (check.min is not None and low < check.min) or (check.max is not None and high > check.max)
    certain = probability and not outside and (
        (check.min == 1 and estimate == 1) or (check.max == 0 and estimate == 0))
    return CheckResult(check.id, check.title or what, not outside, straddles and not outside and not certain,
                       estimate, low, high, check.min, check.max, n, what, certain, unit)


def _quantity(s: Scenario, check: Expectation) -> str:
    """The quantity a statistic check reads: its kind's one quantity, the one it names, or its target's default."""
    accepted = CHECK_KINDS[check.kind].quantities
    if accepted:
        return accepted[0]
    if check.quantity is not None:
        return check.quantity
    return "cumulative" if check.target in {m.id for m in s.metrics} else "stock"


def _values(results: Results, target: str, quantity: str, date: str) -> npt.NDArray[np.float64]:
    frame = results.replication_series
    if frame is None:
        raise DocketError("series checks need per-replication values: run with keep_replications=True")
    rows = frame[(frame["series"] == target) & (frame["quantity"] == quantity)
                 & (frame["date"] == pd.Timestamp(date))]
    if rows.empty:
        raise DocketError(f"no values of {target} {quantity} on {date}: the date is not a report date of this run")
    return rows.sort_values("replication")["value"].to_numpy(dtype=np.float64)


def _p_in_force_by(results: Results, measure: str, date: str) -> float:
    eff = results.effective  # dates in order: the last cumulative on or before the date
    rows = eff[(eff["measure"] == measure) & eff["date"].notna() & (eff["date"] <= pd.Timestamp(date))]
    return float(rows["cumulative"].iloc[-1]) if len(rows) else 0.0


def _p_never(results: Results, measure: str) -> float:
    eff = results.effective
    return float(eff[(eff["measure"] == measure) & eff["date"].isna()]["probability"].sum())


@dataclass(frozen=True)
class Probability:
    """A kind of check on a probability: ``read(results, target, date)`` gives it and what it is of; it is
    judged with the Wilson interval (and may be ``certain``)."""

    read: Callable[[Results, str, str], tuple[float, str]]


@dataclass(frozen=True)
class Statistic:
    """A kind of check on a statistic (``stat``) of per-replication values: by default those of its quantity
    (:func:`_quantity`) of ``target`` on its date; else ``values(results, check)``, giving them and what they
    are."""

    values: Callable[[Results, Expectation], tuple[npt.NDArray[np.float64], str]] | None = None


def _days_in_force(res: Results, c: Expectation) -> tuple[npt.NDArray[np.float64], str]:
    first = res.scenario.start_day if c.from_ is None else check_day(res.scenario, c.from_)
    last = check_day(res.scenario, c.date)
    return (timelines.days_in_force(res, c.target, first, last),
            f"days {c.target} in force from {day_to_date(first)} to {day_to_date(last)}")


def _extensions(res: Results, c: Expectation) -> tuple[npt.NDArray[np.float64], str]:
    day = check_day(res.scenario, c.date)
    return timelines.extensions_by(res, c.target, day), f"extensions of {c.target} by {day_to_date(day)}"


def _extension_date(res: Results, c: Expectation) -> tuple[npt.NDArray[np.float64], str]:
    n = c.n or 1
    return timelines.nth_extension(res, c.target, n), f"date of extension {n} of {c.target}"


def _p_in_force_on(results: Results, measure: str, date: str) -> float:
    return float(timelines.in_force_on(results, measure, dt.date.fromisoformat(date).toordinal()).mean())


EVALUATORS: dict[str, Probability | Statistic] = {
    "series": Statistic(),
    "in_force": Probability(lambda res, target, date: (_p_in_force_by(res, target, date),
                                                       f"P({target} in force by {date})")),
    "in_force_by": Probability(lambda res, target, date: (_p_in_force_by(res, target, date),
                                                          f"P({target} in force by {date})")),
    "in_force_on": Probability(lambda res, target, date: (_p_in_force_on(res, target, date),
                                                          f"P({target} in force on {date})")),
    "never_in_force": Probability(lambda res, target, _: (_p_never(res, target), f"P({target} never in force)")),
    "days_in_force": Statistic(_days_in_force),
    "extensions": Statistic(_extensions),
    "extension_date": Statistic(_extension_date),
    "avoided": Statistic(),
}
"""How each check kind of :data:`sim.scenario.checkkinds.CHECK_KINDS` is evaluated, by name."""
