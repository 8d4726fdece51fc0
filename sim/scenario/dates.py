"""Dates in scenarios: absolute, uncertain, or relative to another event or measure.

Forms accepted wherever a key takes a date:

* ``2020-11-12`` (a YAML date or ISO text), or ``2020-09-20 + 7d`` / ``2020-11-12 - 1mo`` (date arithmetic,
  resolved at load time; months follow the calendar and clamp, see ``docs/calendar.md``);
* ``oracle_deal + 14d`` or just ``oracle_deal``: relative to the date an **event** occurs;
* ``app_store_ban + 30d``: relative to the date a **measure** came into force;
* ``hosting_cutoff.deadline - 7d``: relative to a measure's **initial deadline** (before any deferral);
* ``ban.deferred``, ``ban.enjoined``, ``ban.in_force``, ``ban.lifted``, ``ban.cancelled``, ``ban.shelved``: the
  day a measure is **first** deferred, enjoined, in force, lifted, cancelled or shelved (a trigger on its state);
* ``{after: ban, in_force_for: 30d}``: the day a measure has been in force for 30 days in all;
* ``{between: [2020-10-01, 2020-12-31]}`` and the other distributions of :mod:`sim.scenario.values` over dates;
* ``{from: oracle_deal, offset: {between: [7d, 30d]}}``: relative, with an uncertain offset.

Each may carry ``source`` and ``note`` when written as a mapping (``{value: 2020-11-12, source: orrick}``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Final

import sim.scenario.quantities as q
from sim.scenario.calendar import LAST_DAY, add_duration, add_month_span, parse_iso_date
from sim.scenario.opaque import Opaque
from sim.scenario.quantities import QuantityError
from sim.scenario.values import META_KEYS, Dist, read_value

ID_PATTERN: Final = r"[A-Za-z_][A-Za-z0-9_]*"
STATES: Final = ("deferred", "enjoined", "in_force", "lifted", "cancelled", "shelved")
"""The states of a measure a date can anchor on (``ban.deferred``): the day the measure first enters it."""
ANCHOR_PATTERN: Final = rf"{ID_PATTERN}(?:\.(?:deadline|{'|'.join(STATES)}))?"
IN_FORCE_FOR: Final = ".in_force_for:"
"""The anchor of ``{after: ban, in_force_for: 30d}`` is ``ban.in_force_for:30``."""
_EXPR_RE: Final = re.compile(
    rf"^\s*(?P<base>\d{{4}}-\d{{2}}-\d{{2}}|{ANCHOR_PATTERN})\s*"
    r"(?:(?P<sign>[+-])\s*(?P<dur>\S.*?))?\s*$"
)


@dataclass(frozen=True)
class DateSpec(Opaque):
    """A date as written: ``anchor`` (an event or measure id, ``id.deadline``, or ``None`` for absolute) plus
    ``offset``, a distribution in days (absolute day numbers when ``anchor`` is ``None``; an uncertain offset
    written in months also carries its months, :attr:`sim.scenario.values.Dist.month_params`) and ``months`` of calendar
    months added after a fixed offset.

    Example:
        >>> s = read_date("oracle_deal + 14d")
        >>> s.anchor, s.offset.params, s.months
        ('oracle_deal', (14.0,), 0)
    """

    anchor: str | None
    offset: Dist
    months: int = 0
    text: str = ""

    @property
    def is_fixed(self) -> bool:
        """True for an absolute date without uncertainty."""
        return self.anchor is None and self.offset.is_fixed

    @property
    def anchor_id(self) -> str | None:
        """The id the anchor refers to (``hosting_cutoff`` for ``hosting_cutoff.deadline``)."""
        return None if self.anchor is None else self.anchor.split(".")[0]

    @property
    def state(self) -> str | None:
        """The measure state the anchor names (``deferred`` for ``ban.deferred``, ``in_force_for`` for
        ``{after: ban, in_force_for: 30d}``), ``deadline``, or ``None`` for an event or a bare measure id."""
        if self.anchor is None or "." not in self.anchor:
            return None
        return self.anchor.split(".", 1)[1].split(":")[0]

    @property
    def source(self) -> str | None:
        """The source the date cites, if any."""
        return self.offset.source

    def fixed_day(self) -> int | None:
        """The day number when the date is absolute and fixed, else ``None``."""
        return int(self.offset.params[0]) if self.is_fixed else None

    def describe(self) -> str:
        """As written, for tables and messages."""
        return self.text or self.offset.describe()

    def from_anchor(self, anchor: int, offset: float) -> int:
        """The day (a day number) of this relative date when its anchor falls on day number ``anchor`` and its
        offset (in days) is ``offset``: the days, then the whole calendar months of ``months``. An uncertain
        offset written in months is added by :meth:`sim.engine.lifecycle.Replication.later` instead.

        Example:
            >>> from sim.scenario.calendar import day_to_date
            >>> day_to_date(read_date("deal + 6mo").from_anchor(parse_iso_date("2023-08-31"), 0.0))
            datetime.date(2024, 2, 29)
        """
        return add_month_span(anchor + round(offset), self.months)


_EXPECTED: Final = (
    "a date such as `2020-11-12`, `2020-09-20 + 7d`, `oracle_deal + 14d`, `{between: [2020-10-01, 2020-12-31]}`"
    " or `{from: oracle_deal, offset: 14d}`"
)


def _expr(text: str, meta: dict[str, Any]) -> DateSpec:
    m = _EXPR_RE.match(text)
    if not m:
        raise QuantityError("not a date", _EXPECTED, f"`{text}` (text)",
                            "write `YYYY-MM-DD`, or `<event or measure id> + <duration>`")
    base, sign, dur = m.group("base"), m.group("sign"), m.group("dur")
    duration = q.parse_duration(dur) if dur else q.Duration(0.0)
    step = -1 if sign == "-" else 1
    if duration.mean_days > LAST_DAY:
        raise QuantityError("the date falls outside the calendar (years 1 to 9999)", _EXPECTED, f"`{text}`",
                            "check the offset's number and unit")
    if q.ISO_DATE.match(base):
        first = parse_iso_date(base)
        try:
            day = add_duration(first, duration, step)
        except (ValueError, OverflowError):
            day = 0
        if not 1 <= day <= LAST_DAY:
            raise QuantityError("the date falls outside the calendar (years 1 to 9999)", _EXPECTED,
                                f"`{text}`", "check the offset's number and unit")
        return DateSpec(None, Dist("value", (float(day),), "date", text=text, **meta), text=text)
    if duration.months and step < 0:
        raise QuantityError("a relative date may subtract days or weeks, not months", "`anchor - 14d`",
                            f"`{text}`", "write the offset in days, e.g. `- 30d`")
    days = float(step * round(duration.days))
    return DateSpec(base, Dist("value", (days,), "signed_duration", text=text, **meta), duration.months, text)


def read_date(raw: object) -> DateSpec:
    """Read any of the date forms of this module.

    Raises:
        QuantityError: with expected/found/hint.

    Example:
        >>> from sim.scenario.calendar import day_to_date
        >>> day_to_date(read_date("2021-01-31 + 1mo").fixed_day())
        datetime.date(2021, 2, 28)
    """
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return DateSpec(None, Dist("value", (float(raw.toordinal()),), "date", text=raw.isoformat()),
                        text=raw.isoformat())
    if isinstance(raw, str):
        return _expr(raw, {})
    if isinstance(raw, dict):
        meta = {k: raw[k] for k in META_KEYS if k in raw}
        for key, value in meta.items():
            if not isinstance(value, str):
                raise QuantityError(f"`{key}` must be text", "text", f"`{value}`")
        if "in_force_for" in raw or "after" in raw:
            return _in_force_for(raw, meta)
        if "from" in raw:
            extra = [k for k in raw if k not in ("from", "offset", *META_KEYS)]
            anchor = raw["from"]
            if extra or not isinstance(anchor, str) or not re.fullmatch(ANCHOR_PATTERN, anchor):
                raise QuantityError("`from` needs an event or measure id and an `offset`",
                                    "{from: <id>, offset: <duration>}", f"`{dict(raw)}`")
            offset = read_value(raw.get("offset", "0d"), "signed_duration")
            if offset.months < 0 or (offset.month_params and offset.low < 0):
                raise QuantityError("a relative date may subtract days or weeks, not months", "`offset: -30d`",
                                    f"`{raw.get('offset')}`", "write the offset in days")
            months = offset.months  # a fixed number of months lives on the DateSpec; a distribution keeps its own
            days = (0.0,) if months else offset.params
            offset = Dist(offset.kind, days, offset.unit, offset.weights, () if months else offset.month_params,
                          **meta, text=offset.text)
            return DateSpec(anchor, offset, months, f"{anchor} + {offset.describe()}")
        if "value" in raw and isinstance(raw["value"], str):
            extra = [k for k in raw if k not in ("value", *META_KEYS)]
            if not extra:
                return _expr(raw["value"], meta)
        dist = read_value(raw, "date")
        return DateSpec(None, dist, text=dist.describe())
    if isinstance(raw, dt.datetime):
        raise QuantityError("docket works in whole days", _EXPECTED, f"`{raw}` (date and time)", "drop the time")
    raise QuantityError("not a date", _EXPECTED, f"`{raw}`")


def _in_force_for(raw: dict[str, Any], meta: dict[str, Any]) -> DateSpec:
    """``{after: ban, in_force_for: 30d}``: the day measure ``ban`` has been in force for 30 days in all."""
    extra = [k for k in raw if k not in ("after", "in_force_for", *META_KEYS)]
    measure, span = raw.get("after"), raw.get("in_force_for")
    form = "{after: <measure id>, in_force_for: <days>}"
    if extra or not isinstance(measure, str) or not re.fullmatch(ID_PATTERN, measure) or span is None:
        raise QuantityError("a trigger on days in force needs `after` (a measure id) and `in_force_for`", form,
                            f"`{dict(raw)}`", "write e.g. `{after: ban, in_force_for: 30d}`")
    days = q.parse_duration(span)
    if days.months or days.days != round(days.days) or days.days < 1:
        raise QuantityError("`in_force_for` counts whole days in force", "`in_force_for: 30d`", f"`{span}`",
                            "write a number of days (or weeks) of at least 1d")
    text = f"{measure} in force for {round(days.days)}d"
    return DateSpec(f"{measure}{IN_FORCE_FOR}{round(days.days)}",
                    Dist("value", (0.0,), "signed_duration", text=text, **meta), 0, text)
