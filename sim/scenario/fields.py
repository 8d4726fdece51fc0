"""Pydantic field types for scenario values: each reads a quantity of one kind (or a distribution of it).

``Count``, ``Rate``, ``PerCapita``, ``Probability``, ``Share``, ``Factor``, ``Span`` (a duration) hold a
:class:`~sim.scenario.values.Dist`; ``When`` holds a :class:`~sim.scenario.dates.DateSpec`. ``Whole`` (seed,
replications, a deferral's ``max``) and ``Number`` (a check's bounds) are plain numbers that refuse booleans
(pydantic's lax mode would read ``true`` as 1), NaN and infinities, in this one place. A value of the wrong kind (a
duration where a rate is needed) fails with a ``docket_value`` error whose context carries what was expected,
what was found and a hint; :mod:`sim.scenario.diagnose` turns it into a :class:`~sim.scenario.errors.Diagnostic`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from sim.scenario.dates import ID_PATTERN, DateSpec, read_date
from sim.scenario.quantities import (
    EXAMPLES,
    QuantityError,
    parse_count,
    parse_duration,
    parse_fraction,
    parse_number,
    parse_whole,
)
from sim.scenario.values import Dist, read_value

ERROR_TYPE: Final = "docket_value"

_DIST_SCHEMA: Final = {
    "type": "object",
    "properties": {
        "value": {}, "between": {"type": "array", "minItems": 2, "maxItems": 2},
        "uniform": {"type": "array", "minItems": 2, "maxItems": 2},
        "triangular": {"type": "array", "minItems": 3, "maxItems": 3},
        "normal": {"type": "object"}, "lognormal": {"type": "object"},
        "choice": {"type": "array"}, "empirical": {"type": "array"},
        "source": {"type": "string"}, "note": {"type": "string"},
    },
    "additionalProperties": False,
}  # fmt: skip


def _validator(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def validate(raw: Any) -> Any:
        if isinstance(raw, Dist | DateSpec):
            return raw
        try:
            return read(raw)
        except QuantityError as exc:
            raise PydanticCustomError(
                ERROR_TYPE, "{message}",
                {"message": exc.message, "expected": exc.expected, "found": exc.found, "hint": exc.hint or ""},
            ) from None

    return validate


def _plain(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A reader for a plain number that lets ``None`` (an optional key left empty) through to the schema."""
    check = _validator(read)
    return lambda raw: None if raw is None else check(raw)


def _field(unit: str, description: str) -> Any:
    schema = {"description": description, "anyOf": [{"type": ["string", "number"]}, _DIST_SCHEMA]}
    return Annotated[Dist, PlainValidator(_validator(lambda raw: read_value(raw, unit))), WithJsonSchema(schema)]


Count = _field("count", EXAMPLES["count"])
Rate = _field("rate", EXAMPLES["rate"])
PerCapita = _field("per_capita", EXAMPLES["per_capita"])
Probability = _field("probability", EXAMPLES["probability"])
Share = _field("share", EXAMPLES["share"])
Factor = _field("factor", EXAMPLES["factor"])
Span = _field("duration", EXAMPLES["duration"])

When = Annotated[
    DateSpec,
    PlainValidator(_validator(read_date)),
    WithJsonSchema({"description": EXAMPLES["date"], "anyOf": [
        {"type": "string"}, {"type": "object", "properties": {"from": {"type": "string"}, "offset": {}}},
        _DIST_SCHEMA]}),
]

READ_WHOLE: Final = BeforeValidator(_plain(parse_whole))
"""Reads a whole number before pydantic checks the type it is for (``int``, or ``Literal[1]`` for ``format``)."""
Whole = Annotated[int, READ_WHOLE]
"""A whole number (not a boolean); its range is set with ``Field(ge=..., le=...)`` where it is used."""
Number = Annotated[float, BeforeValidator(_plain(parse_number))]
"""A finite number (not a boolean, NaN or an infinity)."""

BOUND_EXPECTED: Final = "a number such as `0.95` or `40_000`, or with its unit: `169M`, `35%`, `30d`, `2025-04-05`"


def read_bound(value: object) -> float:
    """Read a check's bound as values are written: a plain number, a count (``169M``), a percentage (``35%``),
    a duration in days (``30d``) or a date (``2025-04-05``, read as its day number).

    Example:
        >>> read_bound("169M"), read_bound("30d"), read_bound("35%"), read_bound(2)
        (169000000.0, 30.0, 0.35, 2.0)
        >>> read_bound("2025-04-05") == dt.date(2025, 4, 5).toordinal()
        True
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return float(value.toordinal())
    try:
        return parse_number(value)
    except QuantityError as plain:
        if not isinstance(value, str):
            raise
        for read in (parse_count, lambda v: parse_fraction(v, "share"), _days, _date_day):
            try:
                return read(value)
            except QuantityError:
                continue
        raise QuantityError(plain.message, BOUND_EXPECTED, plain.found, "write a number, or a value with its "
                            "unit as the check's quantity has it") from None


def _days(value: str) -> float:
    span = parse_duration(value)
    if span.months:
        raise QuantityError("a bound in months", "days or weeks", f"`{value}`", "write the bound in days")
    return span.days


def _date_day(value: str) -> float:
    day = read_date(value).fixed_day()
    if day is None:
        raise QuantityError("not a fixed date", "a fixed date", f"`{value}`")
    return float(day)


Bound = Annotated[float, BeforeValidator(_plain(read_bound))]
"""A check's bound: a finite number, or a value with its unit (:func:`read_bound`)."""

ID_REGEX: Final = f"^{ID_PATTERN}$"
