"""Tests for sim.scenario.quantities: numbers with units read into canonical values, and clear refusals."""

from __future__ import annotations

import math

import pytest

import sim.scenario.quantities as q
from sim.scenario.quantities import QuantityError


def refused(parse: object, value: object) -> QuantityError:
    """Call a parser that must refuse ``value``; return its error."""
    assert callable(parse)
    with pytest.raises(QuantityError) as info:
        parse(value)
    return info.value


# --- counts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("100M", 1e8), ("2.5k", 2500.0), ("2.5K", 2500.0), ("100_000_000", 1e8), ("3B", 3e9), ("1.2bn", 1.2e9),
    (" 7 M ", 7e6), ("1e3", 1000.0), (".5k", 500.0), (0, 0.0), (42, 42.0), (1.5, 1.5),
])  # fmt: skip
def test_count_reads_suffixes_and_plain_numbers(text: object, value: float) -> None:
    """Counts accept k/K/M/B/bn suffixes, underscores, exponents and plain YAML numbers."""
    assert q.parse_count(text) == pytest.approx(value)


@pytest.mark.parametrize("bad", [-1, "-5M", float("inf"), float("nan"), 10**400, "1e400", "1e308k"])
def test_count_refuses_negative_and_non_finite(bad: object) -> None:
    """A count must be a finite number >= 0, even when it is a huge YAML integer."""
    assert refused(q.parse_count, bad).message == "a count must be a finite number >= 0"


def test_count_refuses_booleans() -> None:
    """`true` is not a count (although Python treats it as 1), and the error says it found true/false."""
    err = refused(q.parse_count, True)
    assert err.found == "`true` (true/false)"
    assert err.expected == q.EXAMPLES["count"]


def test_count_refuses_a_rate_with_a_hint() -> None:
    """A rate written where a count is needed names what it found and points to `inflow`."""
    err = refused(q.parse_count, "250k/day")
    assert err.message == "expected a count"
    assert err.found == "`250k/day` (a rate)"
    assert err.hint is not None and "inflow" in err.hint


@pytest.mark.parametrize(("bad", "found"), [
    ("45d", "`45d` (a duration)"), ("2020-11-12", "`2020-11-12` (a date)"), ("lots", "`lots` (text)"),
    ("2%/month", "`2%/month` (a per-capita rate)"), ("10%", "`10%` (a percentage)"),
])  # fmt: skip
def test_count_mismatch_names_the_kind_found(bad: str, found: str) -> None:
    """The `found` text of a mismatch says which kind of quantity the text looks like."""
    assert refused(q.parse_count, bad).found == found


# --- probabilities, shares, factors -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [("35%", 0.35), ("0.35", 0.35), (0.35, 0.35), (1, 1.0), ("0%", 0.0),
                                             ("100%", 1.0), ("12.5 %", 0.125)])
def test_fraction_reads_numbers_and_percentages(text: object, value: float) -> None:
    """Probabilities and shares are plain numbers or percentages."""
    assert q.parse_fraction(text) == pytest.approx(value)


@pytest.mark.parametrize("bad", [1.4, "140%", -0.1, "-5%"])
def test_fraction_outside_zero_one_is_refused(bad: object) -> None:
    """A probability of 1.4 (or 140%, or below 0) is refused with a hint about the range."""
    err = refused(q.parse_fraction, bad)
    assert err.message == "a probability must lie between 0 and 1"
    assert err.hint == "use a number between 0 and 1, or a percentage up to 100%"


def test_share_errors_name_the_share_kind() -> None:
    """The kind given to parse_fraction appears in its message and expected text."""
    err = refused(lambda v: q.parse_fraction(v, "share"), "150%")
    assert err.message == "a share must lie between 0 and 1"
    assert err.expected == q.EXAMPLES["share"]


@pytest.mark.parametrize("bad", ["1k", "2M", "1bn", "2 bn", True, "half", 10**400, float("nan")])
def test_fraction_refuses_suffixes_booleans_and_non_finite(bad: object) -> None:
    """A count suffix (every one a count takes, `bn` too), a boolean, a word or a non-finite number is not a
    probability: refused as one, with the kind's example."""
    assert refused(q.parse_fraction, bad).expected == q.EXAMPLES["probability"]


@pytest.mark.parametrize(("text", "value"), [("50%", 0.5), (2, 2.0), ("2", 2.0), ("250%", 2.5), (0, 0.0)])
def test_factor_reads_numbers_and_percentages_above_one(text: object, value: float) -> None:
    """A factor is any number >= 0, including above 1."""
    assert q.parse_factor(text) == pytest.approx(value)


def test_factor_refuses_negative() -> None:
    """A negative factor is refused."""
    assert refused(q.parse_factor, -0.5).message == "a factor must be >= 0"


# --- durations ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "days", "months"), [
    ("45d", 45.0, 0), ("1 day", 1.0, 0), ("6w", 42.0, 0), ("2 weeks", 14.0, 0), ("3mo", 0.0, 3),
    ("1y", 0.0, 12), ("2 years", 0.0, 24), ("1.5y", 0.0, 18), ("0d", 0.0, 0), ("0.5d", 0.5, 0),
])  # fmt: skip
def test_duration_units(text: str, days: float, months: int) -> None:
    """Days and weeks become days; months and years stay whole calendar months."""
    assert q.parse_duration(text) == q.Duration(days, months)


def test_duration_mean_days_counts_a_month_as_a_twelfth_of_a_year() -> None:
    """mean_days uses 365.25/12 days a month."""
    assert q.parse_duration("1y").mean_days == pytest.approx(365.25)
    assert q.parse_duration("2mo").mean_days == pytest.approx(2 * 365.25 / 12)


def test_duration_needs_a_unit() -> None:
    """A bare number is refused, with a hint that shows the number with a unit."""
    err = refused(q.parse_duration, 30)
    assert err.message == "a duration needs a unit"
    assert err.hint == "add a unit, e.g. `30d`"


def test_duration_months_must_be_whole() -> None:
    """`1.5mo` cannot be added to a date by the calendar, so it is refused."""
    err = refused(q.parse_duration, "1.5mo")
    assert err.message == "months and years must come out as a whole number of months"


def test_duration_negative_only_where_signed() -> None:
    """`-7d` is refused unless the caller allows signed durations."""
    assert refused(q.parse_duration, "-7d").message == "a duration must be >= 0 here"
    assert q.parse_duration("-7d", signed=True) == q.Duration(-7.0)


@pytest.mark.parametrize("bad", ["1e400d", "1e308y", "1e306y"])
def test_duration_must_be_finite(bad: str) -> None:
    """A duration whose length in days overflows a float is refused, not passed on as infinity."""
    assert refused(q.parse_duration, bad).message == "a duration must be a finite length of time"


@pytest.mark.parametrize("bad", ["45", "45 fortnights", "d", "2020-11-12", True, None, [45]])
def test_duration_refuses_other_things(bad: object) -> None:
    """Text without a time unit, a date, a boolean, null or a list is not a duration."""
    refused(q.parse_duration, bad)


# --- rates --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "per_day"), [
    ("250k/day", 250e3), ("7M/week", 1e6), ("1M/w", 1e6 / 7), ("30/30d", 1.0), ("365.25/year", 1.0),
    ("7.6M/month", 7.6e6 / (365.25 / 12)), ("10/2w", 10 / 14), (0, 0.0),
])  # fmt: skip
def test_rate_is_converted_to_count_per_day(text: object, per_day: float) -> None:
    """Rates become counts per day whatever period they are written with; a bare 0 is allowed."""
    assert q.parse_rate(text) == pytest.approx(per_day)


def test_rate_refuses_a_percentage() -> None:
    """`2%/month` is a per-capita rate; a rate refuses it and says so."""
    err = refused(q.parse_rate, "2%/month")
    assert err.hint is not None and "per-capita" in err.hint


def test_rate_refuses_a_duration_with_a_hint() -> None:
    """A duration where a rate is needed names the duration and suggests a time unit."""
    err = refused(q.parse_rate, "45d")
    assert err.message == "expected a rate"
    assert err.found == "`45d` (a duration)"
    assert err.hint == "add a time unit, e.g. `250k/day`"


@pytest.mark.parametrize("bad", ["5/fortnight", "5/0d", "5", 5, "-5/day", "1M/day/day"])
def test_rate_refuses_bad_periods_and_numbers(bad: object) -> None:
    """The period must be a positive time unit; a bare non-zero number or a negative count is refused."""
    refused(q.parse_rate, bad)


@pytest.mark.parametrize("bad", ["1M/1e-320d", "1e308/1e-300d"])
def test_rate_must_be_finite(bad: str) -> None:
    """A rate that overflows to infinity (a vanishing period) is refused."""
    assert refused(q.parse_rate, bad).message == "a rate must be finite"


def test_per_capita_uses_the_continuous_rate() -> None:
    """`p/T` becomes -ln(1 - p)/T per day: half of the stock leaves in 30 days at `50%/30d`."""
    rate = q.parse_per_capita("50%/30d")
    assert rate == pytest.approx(math.log(2) / 30)
    assert math.exp(-rate * 30) == pytest.approx(0.5)
    assert q.parse_per_capita("2%/month") == pytest.approx(-math.log(0.98) / (365.25 / 12))
    assert q.parse_per_capita("0.01/d") == pytest.approx(-math.log(0.99))
    assert q.parse_per_capita(0) == 0.0


def test_per_capita_refuses_a_rate_naming_the_whole_value() -> None:
    """A count per time where a per-capita rate is needed is reported whole, with a hint on the difference."""
    err = refused(q.parse_per_capita, "250k/day")
    assert err.message == "expected a per-capita rate"
    assert err.found == "`250k/day` (a rate)"
    assert err.hint is not None and "2%/month" in err.hint


@pytest.mark.parametrize("bad", ["100%/month", "150%/year", "-1%/day"])
def test_per_capita_share_must_be_below_one(bad: str) -> None:
    """A share per period of 100% or more (or below 0) is refused."""
    assert refused(q.parse_per_capita, bad).message == "a per-capita rate must be a share below 100% per period"


@pytest.mark.parametrize("bad", ["250k/day", "2%", "2%/", 0.02, "50%/1e-320d"])
def test_per_capita_refuses_counts_and_missing_periods(bad: object) -> None:
    """A per-capita rate needs a share (not a count) per positive, finite period."""
    refused(q.parse_per_capita, bad)


def test_parsers_cover_every_scalar_kind() -> None:
    """PARSERS reads each scalar kind, and every kind has an example for messages."""
    assert set(q.PARSERS) == set(q.KINDS) - {"duration", "date"}
    assert set(q.EXAMPLES) == set(q.KINDS)
    assert q.PARSERS["share"]("30%") == pytest.approx(0.3)
    with pytest.raises(QuantityError, match="a probability must lie between 0 and 1"):
        q.PARSERS["probability"](2)
