"""Quantities with units, as people write them: ``100M``, ``250k/day``, ``2%/month``, ``45d``, ``2020-11-12``.

Every number in a scenario has a *kind* that fixes which units it accepts, and is converted once, at load
time, into the canonical unit the engine works in (Covasim's habit: resolve dates before the run):

==============  ==================================  ==========================================
kind            written as                          canonical value
==============  ==================================  ==========================================
count           ``100_000_000``, ``100M``, ``2.5k``   a number of people/devices (float)
rate            ``250k/day``, ``7.6M/month``          count per day
per_capita      ``2%/month``, ``15%/year``, 0.01/d    continuous rate per day (see below)
duration        ``45d``, ``6w``, ``3mo``, ``1y``       days (whole months kept for calendar sums)
date            ``2020-11-12``                        day number (``date.toordinal()``)
probability     ``0.35``, ``35%``                     number in [0, 1]
share           ``0.3``, ``30%``                      number in [0, 1]
factor          ``0.5``, ``50%``, ``2``               number >= 0
number          ``0.95``, ``40_000``, ``1e6``         a plain finite number
whole           ``2``, ``1000``                       a whole number (seed, replications, ``max``)
==============  ==================================  ==========================================

No kind accepts a boolean (YAML ``true`` is not 1), NaN or an infinity (``.nan``, ``.inf``, ``1e400``); each
has a largest value (:data:`sim.scenario.limits.LIMITS`, e.g. counts up to 1e15). Durations are whole days.

A per-capita rate ``p/T`` means "a share *p* of the stock present at the start of a period *T* has left by its
end, if nothing else acts": the continuous rate is ``-ln(1 - p) / T``. Months are 365.25/12 days and years
365.25 days as lengths of time; months added to a date use the calendar (``docs/calendar.md``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from sim.scenario.limits import LIMIT_TEXT, LIMITS

DAYS_PER_YEAR: Final = 365.25
DAYS_PER_MONTH: Final = DAYS_PER_YEAR / 12

KINDS: Final = ("count", "rate", "per_capita", "duration", "date", "probability", "share", "factor", "number", "whole")

_SUFFIX = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9}
_NUMBER = r"[+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_COUNT_RE = re.compile(rf"^\s*({_NUMBER})\s*({'|'.join(k for k in _SUFFIX if k)})?\s*$")
_LEADING_RE = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")
_PERCENT_RE = re.compile(rf"^\s*({_NUMBER})\s*%\s*$")
_DURATION_RE = re.compile(rf"^\s*({_NUMBER})\s*(d|days?|w|wk|weeks?|mo|months?|y|yr|years?)\s*$")
_PER_RE = re.compile(r"^(?P<amount>[^/]+)/(?P<per>[^/]+)$")
_SUB_DAY = re.compile(rf"^\s*{_NUMBER}\s*(h|hrs?|hours?|min|minutes?|s|secs?|seconds?)\s*$")  # hint: whole days
ISO_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
"""How a date is written: ``YYYY-MM-DD`` (read by :func:`sim.scenario.calendar.parse_iso_date`)."""

_UNIT_DAYS = {
    "d": 1.0, "day": 1.0, "days": 1.0,
    "w": 7.0, "wk": 7.0, "week": 7.0, "weeks": 7.0,
    "mo": DAYS_PER_MONTH, "month": DAYS_PER_MONTH, "months": DAYS_PER_MONTH,
    "y": DAYS_PER_YEAR, "yr": DAYS_PER_YEAR, "year": DAYS_PER_YEAR, "years": DAYS_PER_YEAR,
}  # fmt: skip
_UNIT_MONTHS = {"mo": 1, "month": 1, "months": 1, "y": 12, "yr": 12, "year": 12, "years": 12}

EXAMPLES: Final = {
    "count": "a count such as `100M`, `2.5k` or `100_000_000`",
    "rate": "a rate such as `250k/day` or `7.6M/month`",
    "per_capita": "a per-capita rate such as `2%/month`, `15%/year` or `0.5%/day`",
    "duration": "a duration such as `45d`, `6w`, `3mo` or `1y`",
    "date": "a date such as `2020-11-12` or `oracle_deal + 14d`",
    "probability": "a probability such as `0.35` or `35%`",
    "share": "a share such as `0.3` or `30%`",
    "factor": "a factor >= 0 such as `0.5`, `50%` or `2`",
    "number": "a number such as `0.95`, `40_000` or `1e6`",
    "whole": "a whole number such as `2` or `1000`",
}
_A: Final = {"number": "a number", "whole": "a whole number"}

class QuantityError(ValueError):
    """A value that does not read as the quantity a key needs; carries expected/found/hint for messages."""

    def __init__(self, message: str, expected: str, found: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.found = found
        self.hint = hint


@dataclass(frozen=True)
class Duration:
    """A length of time: ``days`` (float), or a whole number of ``months`` for calendar arithmetic.

    Example:
        >>> parse_duration("3mo").months, round(parse_duration("6w").days)
        (3, 42)
    """

    days: float
    months: int = 0

    @property
    def mean_days(self) -> float:
        """Length in days, counting a month as 365.25/12 days."""
        return self.days + self.months * DAYS_PER_MONTH


def _describe(text: str) -> str:
    """Name the kind a piece of text looks like, so a mismatch message can say what was found."""
    s = text.strip()
    if ISO_DATE.match(s):
        return "a date"
    if _DURATION_RE.match(s):
        return "a duration"
    if _PERCENT_RE.match(s):
        return "a percentage"
    if _COUNT_RE.match(s):
        return "a number"
    m = _PER_RE.match(s)
    if m:
        return "a per-capita rate" if "%" in m.group("amount") else "a rate"
    return "text"


def mismatch(kind: str, value: object, hint: str | None = None, what: str | None = None) -> QuantityError:
    """The error for ``value`` that does not read as a quantity of ``kind``: what was expected (an example of
    the kind), what was found (and what it looks like), an optional ``hint``; ``what`` replaces the message.

    Example:
        >>> mismatch("count", "2%/day").found
        '`2%/day` (a per-capita rate)'
    """
    shown = f"`{value}`" if not isinstance(value, str) else f"`{value}` ({_describe(value)})"
    if isinstance(value, bool):
        shown = f"`{str(value).lower()}` (true/false)"
    elif isinstance(value, int | float):
        shown = f"`{value}` (number)"
    message = what or f"expected {EXAMPLES[kind].split(' such as ')[0]}"
    return QuantityError(message, EXAMPLES[kind], shown, hint)


def within_limit(kind: str, value: object, x: float, unit: str = "") -> float:
    """``x`` if it is within the limit of ``kind`` (:data:`sim.scenario.limits.LIMITS`), else a
    :class:`QuantityError` saying so.

    Durations are limited where a key holds one (:mod:`sim.scenario.values`); a date's offset is checked against the
    calendar instead (:mod:`sim.scenario.calendar`).

    Example:
        >>> within_limit("factor", "2", 2.0)
        2.0
    """
    if x > LIMITS[kind]:
        name = {"per_capita": "per-capita rate"}.get(kind, kind)
        check = "the number and its unit (`d`, `w`, `mo`, `y`)" if kind == "duration" else \
            "the number, its suffix (`k`, `M`, `B`) and its period" if kind in ("rate", "per_capita") else \
            "the number and its suffix (`k`, `M`, `B`)"
        raise mismatch(kind, value, f"docket caps every value so that results stay finite; check {check}",
                       what=f"a {name} must be at most {LIMIT_TEXT[kind]}{unit}")
    return x


def _number(text: str) -> float:
    return float(text.replace("_", ""))


def split_number(text: str) -> tuple[float, str] | None:
    """The number a text starts with (read as every kind reads it) and the rest, its unit; else ``None``.

        >>> split_number(" 2.5k/day"), split_number("1_000"), split_number("day")
        ((2.5, 'k/day'), (1000.0, ''), None)
    """
    m = _LEADING_RE.match(text)
    return (_number(m.group(1)), m.group(2)) if m else None


def split_suffix(unit: str) -> tuple[float, str]:
    """The count suffix (``k``, ``M``, ``B``...) a unit starts with, as a multiplier, and the rest of the unit.

        >>> split_suffix("k/day"), split_suffix("M"), split_suffix("%/month")
        ((1000.0, '/day'), (1000000.0, ''), (1.0, '%/month'))
    """
    suffix = next((k for k in _SUFFIX if k and unit.startswith(k)), "")
    return _SUFFIX[suffix], unit[len(suffix):]


def _as_float(value: int | float) -> float:
    """``float(value)``, with an int too large for a float read as +-inf (so the finiteness checks reject it)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def parse_count(value: object) -> float:
    """Read a count (>= 0, at most :data:`sim.scenario.limits.MAX_COUNT`): ``100M`` -> 1e8.

    Example:
        >>> parse_count("2.5k")
        2500.0
    """
    return within_limit("count", value, _count(value))


def _count(value: object) -> float:
    """A finite count >= 0, without the limit (the amount of a rate is limited as a rate)."""
    if isinstance(value, bool):
        raise mismatch("count", value)
    if isinstance(value, int | float):
        x = _as_float(value)
    elif isinstance(value, str) and (m := _COUNT_RE.match(value)):
        x = _number(m.group(1)) * _SUFFIX[m.group(2) or ""]
    else:
        hint = "write a plain count; a rate belongs in `inflow`" if isinstance(value, str) and "/" in value else None
        raise mismatch("count", value, hint)
    if not math.isfinite(x) or x < 0:
        raise mismatch("count", value, what="a count must be a finite number >= 0")
    return x


def parse_fraction(value: object, kind: str = "probability") -> float:
    """Read a probability or share: ``0.35`` or ``35%``; must lie in [0, 1].

    Example:
        >>> parse_fraction("35%")
        0.35
    """
    x = _plain_or_percent(value, kind)
    if not 0.0 <= x <= 1.0:
        raise mismatch(kind, value, "use a number between 0 and 1, or a percentage up to 100%",
                       what=f"a {kind} must lie between 0 and 1")
    return x


def parse_factor(value: object) -> float:
    """Read a multiplicative factor >= 0: ``0.5``, ``50%`` or ``2``."""
    x = _plain_or_percent(value, "factor")
    if x < 0:
        raise mismatch("factor", value, what="a factor must be >= 0")
    return within_limit("factor", value, x)


def _plain_or_percent(value: object, kind: str) -> float:
    if isinstance(value, bool):
        raise mismatch(kind, value)
    if isinstance(value, int | float):
        x = _as_float(value)
    elif isinstance(value, str) and (m := _PERCENT_RE.match(value)):
        x = _number(m.group(1)) / 100.0
    elif isinstance(value, str) and (m := _COUNT_RE.match(value)) and not m.group(2):  # no `k`/`M`/`bn` here
        x = _number(m.group(1))
    else:
        raise mismatch(kind, value)
    if not math.isfinite(x):
        raise mismatch(kind, value, what=f"a {kind} must be finite")
    return x


def parse_number(value: object, kind: str = "number") -> float:
    """Read a plain finite number (no unit), e.g. the bounds of a check: ``0.95``, ``40_000``, ``1e6``.

    Booleans, NaN and infinities (``.nan``, ``.inf``, ``1e400``) are refused.

    Example:
        >>> parse_number("1e6"), parse_number(40_000)
        (1000000.0, 40000.0)
    """
    if isinstance(value, bool):
        raise mismatch(kind, value, "write the number itself", what=f"expected {_A[kind]}, found a boolean")
    if isinstance(value, int | float):
        x = _as_float(value)
    elif isinstance(value, str) and re.fullmatch(rf"\s*{_NUMBER}\s*", value):
        x = _number(value)
    else:
        raise mismatch(kind, value)
    if not math.isfinite(x):
        raise mismatch(kind, value, "NaN and infinity are not numbers docket can use: write a finite number (or leave "
                       "an optional key out)", what="a number must be finite")
    return x


def parse_whole(value: object) -> int:
    """Read a whole number (``max: 2``, ``seed: 7``, ``replications: 1000``); ranges are checked by the schema.

    Booleans (YAML ``true`` would otherwise read as 1), fractions, NaN and infinities are refused.

    Example:
        >>> parse_whole(3), parse_whole(2.0), parse_whole("1e3")
        (3, 2, 1000)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    x = parse_number(value, "whole")
    if x != int(x):
        raise mismatch("whole", value, what="expected a whole number")
    return int(x)


def parse_duration(value: object, *, signed: bool = False) -> Duration:
    """Read a duration: ``45d``, ``6w``, ``3mo``, ``1y``; negative only where ``signed``.

    Example:
        >>> parse_duration("45d")
        Duration(days=45.0, months=0)
    """
    if isinstance(value, bool | int | float):
        hint = f"add a unit, e.g. `{value}d`" if not isinstance(value, bool) else None
        raise mismatch("duration", value, hint, what="a duration needs a unit")
    if not isinstance(value, str) or not (m := _DURATION_RE.match(value)):
        raise mismatch("duration", value, "docket works in whole days (docs/calendar.md rule 3): write `1d`, or a "
                       "day's effect scaled down" if isinstance(value, str) and _SUB_DAY.match(value) else None)
    amount, unit = _number(m.group(1)), m.group(2)
    if not math.isfinite(amount * _UNIT_DAYS[unit]):
        raise mismatch("duration", value, what="a duration must be a finite length of time")
    if amount < 0 and not signed:
        raise mismatch("duration", value, what="a duration must be >= 0 here")
    if unit in _UNIT_MONTHS:
        months = amount * _UNIT_MONTHS[unit]
        if months != int(months):
            raise mismatch("duration", value, "use whole months (`2mo`) or days (`45d`)",
                           what="months and years must come out as a whole number of months")
        return Duration(0.0, int(months))
    return Duration(amount * _UNIT_DAYS[unit])


def _period_days(text: str, kind: str, value: object) -> float:
    """The length of the ``/period`` part of a rate: ``day``, ``month``, ``30d``, ``2w``."""
    t = text.strip()
    days = _UNIT_DAYS.get(t)
    if days is None:
        try:
            days = parse_duration(t).mean_days
        except QuantityError:
            hint = "the part after `/` must be a time unit: day, week, month, year or `30d`"
            raise mismatch(kind, value, hint) from None
    if days <= 0:
        raise mismatch(kind, value, what="the period of a rate must be longer than zero")
    return days


def parse_rate(value: object) -> float:
    """Read a flow in count per time (``250k/day``); returns count per day.

    Example:
        >>> parse_rate("7M/week")
        1000000.0
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return 0.0
    if not isinstance(value, str) or not (m := _PER_RE.match(value.strip())):
        hint = "add a time unit, e.g. `250k/day`" if not isinstance(value, bool) else None
        raise mismatch("rate", value, hint)
    amount = m.group("amount")
    if "%" in amount:
        raise mismatch("rate", value, "a percentage per time is a per-capita rate: use it for churn/outflow/transfers")
    rate = _count(amount.strip()) / _period_days(m.group("per"), "rate", value)
    if not math.isfinite(rate):
        raise mismatch("rate", value, "use a period of at least a day or so", what="a rate must be finite")
    return within_limit("rate", value, rate, " per day")


def parse_per_capita(value: object) -> float:
    """Read a per-capita rate (``2%/month``) into a continuous rate per day, ``-ln(1 - p) / T``.

    Example:
        >>> round(parse_per_capita("50%/30d") * 30, 6) == round(math.log(2), 6)
        True
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return 0.0
    if not isinstance(value, str) or not (m := _PER_RE.match(value.strip())):
        hint = "add a share and a period, e.g. `2%/month`" if not isinstance(value, bool) else None
        raise mismatch("per_capita", value, hint)
    try:
        share = _plain_or_percent(m.group("amount").strip(), "per_capita")
    except QuantityError:
        counted = _COUNT_RE.match(m.group("amount")) is not None
        raise mismatch("per_capita", value, "a count per time is a rate (for `inflow`); a per-capita rate is a "
                       "share per time, e.g. `2%/month`" if counted else "write a share per period, e.g. `2%/month`"
                       ) from None
    days = _period_days(m.group("per"), "per_capita", value)
    if not 0.0 <= share < 1.0:
        raise mismatch("per_capita", value, "a share per period must be at least 0% and below 100%",
                       what="a per-capita rate must be a share below 100% per period")
    rate = -math.log1p(-share) / days
    if not math.isfinite(rate):
        raise mismatch("per_capita", value, "use a period of at least a day or so",
                       what="a per-capita rate must be finite")
    return within_limit("per_capita", value, rate, " per day")


PARSERS = {
    "count": parse_count,
    "rate": parse_rate,
    "per_capita": parse_per_capita,
    "probability": lambda v: parse_fraction(v, "probability"),
    "share": lambda v: parse_fraction(v, "share"),
    "factor": parse_factor,
    "number": parse_number,
    "whole": parse_whole,
}
"""Scalar readers by kind (dates and durations have their own, richer types)."""
