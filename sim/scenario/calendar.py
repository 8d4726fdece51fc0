"""The calendar: day numbers, ISO dates and calendar-month arithmetic (``docs/calendar.md``).

A date is a *day number*, ``date.toordinal()`` (day 1 is 0001-01-01, the last is :data:`LAST_DAY`, 9999-12-31):
the engine adds and compares plain integers. Months added to a day follow the calendar and clamp to the month's
last day (:func:`add_months`, :func:`add_month_span`); a month used as a length of time is 365.25/12 days
instead (:data:`sim.scenario.quantities.DAYS_PER_MONTH`). Date expressions (``deal + 14d``) are
:mod:`sim.scenario.dates`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Final

from sim.scenario.quantities import ISO_DATE, Duration, mismatch

LAST_DAY: Final = dt.date.max.toordinal()
"""The day number of 9999-12-31, the last day of the calendar."""


def parse_iso_date(value: object) -> int:
    """Read an absolute date (YAML date or ``YYYY-MM-DD`` text) into a day number.

    Example:
        >>> day_to_date(parse_iso_date("2020-11-12"))
        datetime.date(2020, 11, 12)
    """
    if isinstance(value, dt.datetime):
        raise mismatch("date", value, "docket works in whole days: drop the time")
    if isinstance(value, dt.date):
        return value.toordinal()
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()).toordinal()
        except ValueError:
            raise mismatch("date", value, what="not a real calendar date") from None
    raise mismatch("date", value)


def day_to_date(day: int) -> dt.date:
    """Inverse of :func:`parse_iso_date`."""
    return dt.date.fromordinal(int(day))


def add_months(day: int, months: int) -> int:
    """Calendar month arithmetic with clamping: Jan 31 + 1 month = Feb 28 (or 29).

    Example:
        >>> day_to_date(add_months(parse_iso_date("2021-01-31"), 1))
        datetime.date(2021, 2, 28)
    """
    d = day_to_date(day)
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last)).toordinal()


def add_month_span(day: int, months: float) -> int:
    """Add a number of calendar months, possibly fractional, to a day number: the whole months by the calendar
    (:func:`add_months`, clamped), then the fraction of the month that follows, in days, rounded to whole days.

    Whole months give exactly :func:`add_months`, and the result never decreases as ``months`` grows (so a
    drawn duration keeps common random numbers monotone). ``docs/calendar.md`` rule 3.

    Example:
        >>> [day_to_date(add_month_span(parse_iso_date("2024-03-01"), m)).isoformat() for m in (6, 6.5, 7)]
        ['2024-09-01', '2024-09-16', '2024-10-01']
    """
    whole = math.floor(months)
    first = add_months(day, whole)
    if months == whole:
        return first
    return first + round((months - whole) * (add_months(day, whole + 1) - first))


def add_duration(day: int, duration: Duration, sign: int = 1) -> int:
    """Add a duration to a day number: whole months by the calendar, days rounded to whole days."""
    out = add_months(day, sign * duration.months) if duration.months else day
    return out + sign * round(duration.days)
