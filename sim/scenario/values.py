"""Uncertain values: every number or date in a scenario may be a distribution.

A value is written either as a plain quantity (``100M``, ``2%/month``, ``45d``) or as a mapping with exactly
one distribution key plus optional ``source`` and ``note``:

==============  ==========================================  =====================================
key             example                                     draws
==============  ==========================================  =====================================
``value``       ``{value: 100M, source: billboard_2020}``   always that value
``between``     ``{between: [1.5%/month, 2.5%/month]}``     uniform on [lo, hi]
``uniform``     same as ``between``                         uniform on [lo, hi]
``triangular``  ``{triangular: [5d, 7d, 21d]}``             triangular (lo, mode, hi)
``normal``      ``{normal: {mean: 90M, sd: 5M, min: 0}}``   normal, truncated to [min, max]
``lognormal``   ``{lognormal: {median: 30d, sigma: 0.5}}``  lognormal
``choice``      ``{choice: [[7d, 0.6], [14d, 0.4]]}``       weighted choice among values
``empirical``   ``{empirical: [7d, 15d, 15d, 30d]}``        one of the listed values, equally likely
==============  ==========================================  =====================================

Every quantity inside is read with the key's kind (:mod:`sim.scenario.quantities`) and kept in canonical units, so the
engine samples plain floats. Dates are whole days: date and duration draws are rounded to whole days.

A duration written in months or years (every quantity of its distribution: ``6mo``, ``{between: [1mo, 3mo]}``)
also keeps its parameters in calendar months (:attr:`Dist.month_params`): added to a date, it follows the
calendar (:func:`sim.scenario.sampling.sample_months`, :func:`sim.scenario.calendar.add_month_span`,
``docs/calendar.md`` rule 3). A distribution that mixes days and months is refused. Drawing from a distribution is
:mod:`sim.scenario.sampling`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Any, Final

import sim.scenario.quantities as q
from sim.scenario.calendar import parse_iso_date
from sim.scenario.errors import comma_hint
from sim.scenario.limits import LIMIT_TEXT, LIMITS
from sim.scenario.opaque import Opaque
from sim.scenario.quantities import QuantityError

Z_MAX: Final = NormalDist().inv_cdf(1 - 1e-15)
"""The largest standard normal draw :func:`sim.scenario.sampling.sample` makes (it clips uniforms to
[1e-15, 1 - 1e-15])."""
DIST_KEYS: Final = ("value", "between", "uniform", "triangular", "normal", "lognormal", "choice", "empirical")
META_KEYS: Final = ("source", "note")
CONDITION_KEY: Final = "later_than"
"""The key of a date or duration conditioned on a record (:mod:`sim.scenario.record`): only draws later than it
(``{between: [2020-09-25, 2020-12-31], later_than: 2020-10-15}``, sampled from the truncated distribution)."""
CONDITIONED_UNITS: Final = ("date", "duration", "signed_duration")


@dataclass(frozen=True)
class Dist(Opaque):
    """A distribution over one quantity in canonical units (see :mod:`sim.scenario.quantities`).

    Attributes:
        kind: one of :data:`DIST_KEYS` (``uniform`` is stored as ``between``).
        params: the numeric parameters (lo/hi, lo/mode/hi, mean/sd/min/max, median/sigma) or the values of
            ``choice``/``empirical``.
        weights: normalised weights of ``choice`` (empty otherwise).
        unit: the quantity kind the numbers are in (``count``, ``duration``, ...).
        month_params: for a duration written in months or years, the same parameters in calendar months
            (``params`` then hold them in days, a month counting 365.25/12 days); empty otherwise.
        source: id of the cited source, ``assumption``, or ``None``.
        note: free text shown in the assumptions table.
        later_than: for a date or duration conditioned on a record, the value every draw is known to exceed
            (``later_than`` in the file): draws come from the distribution truncated to values above it, by the
            inverse CDF of the same uniform (:func:`sim.scenario.sampling.sample`); ``None`` otherwise.

    Example:
        >>> read_value("2%/month", "per_capita").is_fixed
        True
    """

    kind: str
    params: tuple[float, ...]
    unit: str
    weights: tuple[float, ...] = ()
    month_params: tuple[float, ...] = ()
    source: str | None = None
    note: str | None = None
    text: str = field(default="", compare=False)
    later_than: float | None = None

    @property
    def is_fixed(self) -> bool:
        """True when every draw is the same number."""
        return self.kind == "value"

    @property
    def months(self) -> int:
        """For a fixed duration written in months or years, its whole number of calendar months (else 0).

        Example:
            >>> read_value("1y", "duration").months, read_value("45d", "duration").months
            (12, 0)
        """
        return int(self.month_params[0]) if self.kind == "value" and self.month_params else 0

    @property
    def low(self) -> float:
        """Smallest value a draw can take (``-inf`` for an unbounded normal); above :attr:`later_than`."""
        if self.later_than is not None:
            return max(self._low(), self.later_than + 1)
        return self._low()

    def _low(self) -> float:
        if self.kind == "normal":
            return self.params[2]
        if self.kind == "lognormal":
            return 0.0
        return min(self.params)

    @property
    def high(self) -> float:
        """Largest value a draw can take (``inf`` for an unbounded normal or a lognormal)."""
        if self.kind == "normal":
            return self.params[3]
        if self.kind == "lognormal":
            return math.inf
        return max(self.params)

    @property
    def center(self) -> float:
        """A representative value: the fixed value, mode, mean, median or weighted mean."""
        p = self.params
        if self.kind in ("value", "normal", "lognormal"):
            return p[0]
        if self.kind == "between":
            return (p[0] + p[1]) / 2
        if self.kind == "triangular":
            return p[1]
        if self.kind == "choice":
            return sum(v * w for v, w in zip(p, self.weights, strict=True))
        return sum(p) / len(p)

    def describe(self) -> str:
        """How the value reads in an assumptions table, e.g. ``between 1.5%/month and 2.5%/month``."""
        return self.text or f"{self.kind} {self.params}"


def _shown(body: list[object]) -> str:
    """A list of values as written, YAML dates as ISO dates (``[2026-03-01, 2026-04-01]``)."""
    if not any(isinstance(v, dt.date) for v in body):
        return str(body)
    return "[" + ", ".join(v.isoformat() if isinstance(v, dt.date) else str(v) for v in body) + "]"


def _fail(message: str, expected: str, found: object, hint: str | None = None) -> QuantityError:
    return QuantityError(message, expected, f"`{found}`", hint)


MONTH_UNITS: Final = {"duration": "months", "signed_duration": "signed_months"}
"""The unit a duration distribution written in months is also read in."""


def _duration(raw: object) -> q.Duration:
    """A duration a key holds (not a date's offset), within :data:`sim.scenario.limits.MAX_DAYS`."""
    dur = q.parse_duration(raw)
    q.within_limit("duration", raw, dur.mean_days, " days (10,000 years)")
    return dur


def _reader(unit: str) -> Callable[[object], float]:
    if unit in ("months", "signed_months"):
        return lambda v: float(q.parse_duration(v, signed=unit == "signed_months").months)
    if unit == "duration":
        return lambda v: float(round(_duration(v).mean_days))
    if unit == "signed_duration":
        return lambda v: float(round(q.parse_duration(v, signed=True).mean_days))
    if unit == "date":
        return lambda v: float(parse_iso_date(v))
    return q.PARSERS[unit]


def _pair(raw: object, n: int, key: str, unit: str) -> list[object]:
    if not isinstance(raw, list) or len(raw) != n:
        shape = {2: "[low, high]", 3: "[low, mode, high]"}[n]
        raise _fail(f"`{key}` needs a list {shape}", f"a list {shape} of {q.EXAMPLES[_kind(unit)]}", raw)
    return list(raw)


def _kind(unit: str) -> str:
    return "duration" if unit in ("signed_duration", "months", "signed_months") else unit


def _duration_units(node: object) -> set[str]:
    """Which units the durations inside a value are written in: ``months`` (months or years), ``days`` (days or
    weeks; a zero duration counts as neither)."""
    if isinstance(node, dict):
        return set().union(*(_duration_units(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_duration_units(v) for v in node))
    if not isinstance(node, str):
        return set()
    try:
        d = q.parse_duration(node, signed=True)
    except QuantityError:
        return set()
    return {"months"} if d.months else {"days"} if d.days else set()


def _with_months(dist: Dist, raw: dict[str, Any], unit: str) -> Dist:
    """A duration distribution written in months also gets its parameters in months; one that mixes days and
    months is refused (it has no single calendar meaning)."""
    found = _duration_units({k: v for k, v in raw.items() if k in DIST_KEYS})
    if "months" not in found:
        return dist
    if "days" in found:
        raise QuantityError("a distribution of durations mixes days and months",
                            "every duration in days or weeks (`{between: [30d, 90d]}`) or every one in months or "
                            "years (`{between: [1mo, 3mo]}`)", f"`{raw}`",
                            "write every value in the same unit: months follow the calendar, days do not")
    plain_raw = {k: v for k, v in raw.items() if k != CONDITION_KEY}
    return replace(dist, month_params=_dist_from_mapping(plain_raw, MONTH_UNITS[unit]).params)


def _dist_from_mapping(raw: dict[str, Any], unit: str) -> Dist:
    keys = [k for k in raw if k in DIST_KEYS]
    extra = (CONDITION_KEY,) if unit in CONDITIONED_UNITS else ()
    unknown = [k for k in raw if k not in DIST_KEYS and k not in META_KEYS and k not in extra]
    if unknown or len(keys) != 1:
        found = ", ".join(f"`{k}`" for k in raw) or "an empty mapping"
        raise QuantityError(
            "a value mapping needs exactly one distribution key" if not unknown
            else f"unknown key `{unknown[0]}` in a value",
            "one of " + ", ".join(f"`{k}`" for k in DIST_KEYS) + " (plus optional `source`, `note`)",
            found, (unknown and comma_hint(raw, unknown[0])) or "e.g. `{between: [lo, hi], source: my_source}`",
        )
    dist = _dist_body(raw, keys[0], unit)
    if CONDITION_KEY not in raw:
        return dist
    bound = _reader("signed_duration" if unit == "duration" else unit)(raw[CONDITION_KEY])
    return replace(dist, later_than=bound, text=f"{dist.describe()}, later than {raw[CONDITION_KEY]}")


def _dist_body(raw: dict[str, Any], key: str, unit: str) -> Dist:
    body = raw[key]
    read = _reader(unit)
    source = raw.get("source")
    note = raw.get("note")
    if source is not None and not isinstance(source, str):
        raise _fail("`source` must be the id of an entry in `sources`", "a source id", source)
    if note is not None and not isinstance(note, str):
        raise _fail("`note` must be text", "text", note)
    meta: dict[str, Any] = {"unit": unit, "source": source, "note": note}
    if key == "value":
        single = read_value(body, unit)
        return Dist("value", single.params, month_params=single.month_params, text=single.text, **meta)
    if key in ("between", "uniform"):
        lo, hi = (read(v) for v in _pair(body, 2, key, unit))
        if lo > hi:
            raise _fail(f"`{key}`: the low end is above the high end", "[low, high] with low <= high", body,
                        "swap the two values")
        return Dist("between", (lo, hi), text=f"between {body[0]} and {body[1]}", **meta)
    if key == "triangular":
        lo, mode, hi = (read(v) for v in _pair(body, 3, key, unit))
        if not lo <= mode <= hi:
            raise _fail("`triangular` needs low <= mode <= high", "[low, mode, high] in order", body)
        return Dist("triangular", (lo, mode, hi), text=f"triangular {body}", **meta)
    if key in ("normal", "lognormal"):
        return _parametric(key, body, unit, meta)
    if key == "choice":
        return _choice(body, unit, meta)
    if not isinstance(body, list) or not body:
        raise _fail("`empirical` needs a non-empty list of values", "a list of values", body)
    values = tuple(sorted(read(v) for v in body))  # sorted: a monotone inverse CDF
    return Dist("empirical", values, text=f"one of {_shown(body)}", **meta)


def _parametric(key: str, body: object, unit: str, meta: dict[str, Any]) -> Dist:
    read = _reader(unit)
    need = ("mean", "sd") if key == "normal" else ("median", "sigma")
    allowed = (*need, "min", "max") if key == "normal" else need
    if not isinstance(body, dict) or any(k not in body for k in need) or any(k not in allowed for k in body):
        raise _fail(f"`{key}` needs a mapping with keys " + ", ".join(f"`{k}`" for k in allowed),
                    "{" + ", ".join(f"{k}: ..." for k in need) + "}", body)
    floor, ceiling = _natural_range(unit)
    if key == "normal":
        mean, sd = read(body["mean"]), _spread(body["sd"], unit)
        lo = read(body["min"]) if "min" in body else floor
        hi = read(body["max"]) if "max" in body else ceiling
        if sd < 0 or lo > hi or not lo <= mean <= hi:
            raise _fail("`normal` needs sd >= 0 and min <= mean <= max", "sd >= 0, min <= mean <= max", body)
        return Dist("normal", (mean, sd, lo, hi), text=f"normal {dict(body)}", **meta)
    if unit in ("probability", "share"):
        raise _fail(f"a lognormal can exceed {ceiling:g}, the largest {unit}", "`between`, `triangular` or "
                    "`normal` with `max`", body, "use `{triangular: [lo, mode, hi]}`")
    median = read(body["median"])
    sigma = q.parse_factor(body["sigma"])
    if median <= 0:
        raise _fail("`lognormal` needs a median > 0", "median > 0", body)
    top = (math.log(median) + sigma * Z_MAX) / math.log(10)  # log10 of the largest draw
    if top > math.log10(ceiling):
        shown = f"{10 ** top:.3g}" if top < 300 else f"1e{top:.0f}"
        limit = LIMIT_TEXT[_kind(unit)]
        raise _fail(f"this lognormal draws values up to {shown}, above {limit}, the largest {_kind(unit)}",
                    f"median x exp({Z_MAX:.2f} sigma) <= {limit}", body,
                    "use a smaller `sigma`, or a bounded `triangular` or `normal` with `max`")
    return Dist("lognormal", (median, sigma), text=f"lognormal {dict(body)}", **meta)


def _natural_range(unit: str) -> tuple[float, float]:
    """The values a kind can take (up to its limit, :data:`sim.scenario.limits.LIMITS`): a normal without
    ``min``/``max`` is truncated to them."""
    if unit in ("probability", "share"):
        return 0.0, 1.0
    if unit in ("signed_duration", "signed_months", "date"):
        return -math.inf, math.inf
    if unit == "months":
        return 0.0, LIMITS["duration"] / q.DAYS_PER_MONTH
    return 0.0, LIMITS[unit]


def _spread(raw: object, unit: str) -> float:
    """Read a standard deviation in the key's unit (``sd: 5d`` for durations and dates, ``sd: 5M``)."""
    return _reader("duration" if unit == "date" else unit)(raw)


def _choice(body: object, unit: str, meta: dict[str, Any]) -> Dist:
    read = _reader(unit)
    if not isinstance(body, list) or not body or not all(isinstance(p, list) and len(p) == 2 for p in body):
        raise _fail("`choice` needs a list of [value, weight] pairs", "[[value, weight], ...]", body,
                    "e.g. `choice: [[7d, 0.6], [14d, 0.4]]`")
    # Sorted by value, so the inverse CDF is monotone (a higher uniform never gives a smaller value).
    pairs = sorted((read(p[0]), q.parse_factor(p[1])) for p in body)
    total = sum(w for _, w in pairs)
    if total <= 0:
        raise _fail("`choice` weights must add up to more than 0", "positive weights", body)
    return Dist("choice", tuple(v for v, _ in pairs), weights=tuple(w / total for _, w in pairs),
                text=_choice_text(body, total), **meta)


def _choice_text(body: list[list[object]], total: float) -> str:
    """A choice as it reads in a plan or an assumptions table, values as written with their chances.

    Example:
        >>> _choice_text([["75d", 0.4], ["90d", 0.4], ["120d", 0.2]], 1.0)
        'one of 75d (40%), 90d (40%), 120d (20%)'
    """
    shown = [v.isoformat() if isinstance(v, dt.date) else str(v) for v, _ in body]
    chances = [q.parse_factor(w) / total for _, w in body]
    return "one of " + ", ".join(f"{v} ({100 * c:.3g}%)" for v, c in zip(shown, chances, strict=True))


def read_value(raw: object, unit: str) -> Dist:
    """Read a scenario value of quantity kind ``unit`` (a plain quantity or a distribution mapping).

    ``unit`` is a kind of :mod:`sim.scenario.quantities` (``count``, ``rate``, ``per_capita``, ``probability``,
    ``share``, ``factor``), ``duration``/``signed_duration`` (days) or ``date`` (absolute ISO dates only;
    relative dates are :mod:`sim.scenario.dates`).

    Raises:
        QuantityError: with what was expected and found, and a hint.

    Example:
        >>> d = read_value({"between": ["1.5%/month", "2.5%/month"], "source": "assumption"}, "per_capita")
        >>> d.kind, d.source, round(d.high * 30.4375, 4)
        ('between', 'assumption', 0.0253)
    """
    if isinstance(raw, dict):
        dist = _dist_from_mapping(raw, unit)
        return _with_months(dist, raw, unit) if unit in MONTH_UNITS else dist
    if isinstance(raw, list):
        per_step = "; for one value per extension, write them under a deferral's `schedule` or `steps`" if unit in (
            "duration", "probability") else ""
        raise _fail("a list is not a single value", q.EXAMPLES[_kind(unit)], raw,
                    f"for a range of uncertainty write `{{between: [lo, hi]}}`{per_step}")
    if unit in ("duration", "signed_duration"):
        dur = _duration(raw) if unit == "duration" else q.parse_duration(raw, signed=True)
        months = (float(dur.months),) if dur.months else ()
        return Dist("value", (float(round(dur.mean_days)),), unit, month_params=months, text=str(raw))
    return Dist("value", (_reader(unit)(raw),), unit, text=str(raw))
