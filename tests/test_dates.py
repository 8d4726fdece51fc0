"""Tests for sim.scenario.dates: absolute, arithmetic, uncertain and relative dates."""

from __future__ import annotations

import datetime as dt

import pytest

from sim.scenario.calendar import day_to_date
from sim.scenario.dates import DateSpec, read_date
from sim.scenario.quantities import QuantityError


def day(text: str) -> float:
    """The day number of an ISO date."""
    return float(dt.date.fromisoformat(text).toordinal())


def refused(raw: object) -> QuantityError:
    """read_date must refuse ``raw``; return the error."""
    with pytest.raises(QuantityError) as info:
        read_date(raw)
    return info.value


@pytest.mark.parametrize("raw", [dt.date(2020, 11, 12), "2020-11-12", " 2020-11-12 ", {"value": "2020-11-12"},
                                 {"value": dt.date(2020, 11, 12)}])
def test_absolute_date_forms_agree(raw: object) -> None:
    """A YAML date, ISO text and a value mapping are the same fixed absolute date."""
    spec = read_date(raw)
    assert spec.anchor is None
    assert spec.is_fixed
    assert spec.fixed_day() == day("2020-11-12")


@pytest.mark.parametrize(("text", "result"), [
    ("2020-09-20 + 7d", "2020-09-27"), ("2020-09-20+7d", "2020-09-27"), ("2020-11-12 - 1mo", "2020-10-12"),
    ("2021-01-31 + 1mo", "2021-02-28"), ("2020-03-31 - 1mo", "2020-02-29"), ("2020-11-12 + 2w", "2020-11-26"),
    ("2020-02-29 + 1y", "2021-02-28"), ("2020-11-12 - 0d", "2020-11-12"),
])  # fmt: skip
def test_date_arithmetic_is_resolved_at_load_time(text: str, result: str) -> None:
    """`date ± duration` becomes a fixed date; months follow the calendar and clamp."""
    spec = read_date(text)
    assert spec.is_fixed
    assert day_to_date(spec.fixed_day() or 0) == dt.date.fromisoformat(result)
    assert spec.describe() == text


@pytest.mark.parametrize("text", ["2020-11-12 + 99999y", "9999-12-31 + 1d", "0001-01-01 - 1d",
                                  "2020-11-12 - 999999999d", "oracle_deal + 1e300y"])
def test_dates_beyond_the_calendar_are_refused(text: str) -> None:
    """Arithmetic that leaves years 1 to 9999 is a clean error, not a crash or a bogus day number."""
    assert refused(text).message == "the date falls outside the calendar (years 1 to 9999)"


@pytest.mark.parametrize(("text", "anchor", "offset", "months"), [
    ("oracle_deal", "oracle_deal", 0.0, 0), ("oracle_deal + 14d", "oracle_deal", 14.0, 0),
    ("oracle_deal+14d", "oracle_deal", 14.0, 0), ("oracle_deal - 2w", "oracle_deal", -14.0, 0),
    ("app_store_ban + 1mo", "app_store_ban", 0.0, 1),
    ("hosting_cutoff.deadline - 7d", "hosting_cutoff.deadline", -7.0, 0),
])  # fmt: skip
def test_relative_dates(text: str, anchor: str, offset: float, months: int) -> None:
    """`id ± duration` is relative to an event or measure (or its `.deadline`), with a signed offset in days."""
    spec = read_date(text)
    assert (spec.anchor, spec.offset.params, spec.months) == (anchor, (offset,), months)
    assert spec.anchor_id == anchor.split(".")[0]
    assert not spec.is_fixed
    assert spec.fixed_day() is None


def test_relative_dates_cannot_subtract_months() -> None:
    """`deal - 1mo` is refused: the hint asks for days."""
    err = refused("deal - 1mo")
    assert err.message == "a relative date may subtract days or weeks, not months"
    assert err.hint == "write the offset in days, e.g. `- 30d`"


def test_uncertain_absolute_date() -> None:
    """A distribution over dates is absolute but not fixed; its bounds are day numbers."""
    spec = read_date({"between": ["2020-10-01", "2020-12-31"], "source": "assumption"})
    assert spec.anchor is None and not spec.is_fixed
    assert (spec.offset.low, spec.offset.high) == (day("2020-10-01"), day("2020-12-31"))
    assert spec.source == "assumption"
    assert spec.fixed_day() is None


def test_relative_date_with_uncertain_offset() -> None:
    """`{from: id, offset: distribution}` is relative with an uncertain offset and may cite a source."""
    spec = read_date({"from": "oracle_deal", "offset": {"between": ["7d", "30d"]}, "source": "assumption"})
    assert spec.anchor == "oracle_deal"
    assert spec.offset.params == (7.0, 30.0)
    assert spec.source == "assumption"
    assert read_date({"from": "oracle_deal"}).offset.params == (0.0,)


def test_relative_offset_in_months_follows_the_calendar_in_both_forms() -> None:
    """`{from: x, offset: 1mo}` means the same as `x + 1mo`: one calendar month, no extra days."""
    long_form, short_form = read_date({"from": "x", "offset": "1mo"}), read_date("x + 1mo")
    assert (long_form.anchor, long_form.offset.params, long_form.months) == ("x", (0.0,), 1)
    assert (short_form.offset.params, short_form.months) == ((0.0,), 1)


@pytest.mark.parametrize("raw", [
    {"from": "deal", "offset": "7d", "extra": 1}, {"from": 5, "offset": "7d"}, {"from": "a b"},
    {"from": "deal.deadline.x"}, {"from": "deal", "offset": "7"}, {"from": "deal", "offset": "-1mo"},
])  # fmt: skip
def test_relative_mapping_errors(raw: dict[str, object]) -> None:
    """The `from` form needs an id (optionally `.deadline`), an offset duration and nothing else."""
    refused(raw)


def test_value_mapping_keeps_relative_text_and_source() -> None:
    """`{value: deal + 14d, source: s}` is the relative date citing `s`."""
    spec = read_date({"value": "deal + 14d", "source": "s", "note": "n"})
    assert (spec.anchor, spec.offset.params, spec.source, spec.offset.note) == ("deal", (14.0,), "s", "n")


def test_date_source_must_be_text() -> None:
    """A non-text source on a date is refused."""
    assert refused({"value": "2020-11-12", "source": 5}).message == "`source` must be text"


@pytest.mark.parametrize(("raw", "message"), [
    (dt.datetime(2020, 11, 12, 9, 30), "docket works in whole days"), (20201112, "not a date"),
    ("next tuesday", "not a date"), ("2020-02-30", "not a real calendar date"), (None, "not a date"),
    (["2020-11-12"], "not a date"), ("deal + 14", "expected a duration"), ("deal * 2", "not a date"),
])  # fmt: skip
def test_not_dates(raw: object, message: str) -> None:
    """Date-times, numbers, free text, impossible days, lists and offsets without a unit are refused."""
    assert refused(raw).message == message


def test_not_a_date_error_shows_every_form() -> None:
    """The expected text of a bad date lists the accepted forms."""
    err = refused("next tuesday")
    for form in ("2020-11-12", "oracle_deal + 14d", "between", "from:"):
        assert form in err.expected
    assert err.hint == "write `YYYY-MM-DD`, or `<event or measure id> + <duration>`"


def test_datespec_describe_and_units() -> None:
    """A DateSpec describes itself as written; absolute offsets are dates, relative ones signed durations."""
    spec = read_date("oracle_deal + 14d")
    assert spec.describe() == "oracle_deal + 14d"
    assert isinstance(spec, DateSpec)
    assert read_date("oracle_deal + 2w").offset.params == spec.offset.params
    assert read_date("2020-11-12").offset.unit == "date"
    assert read_date("deal + 1d").offset.unit == "signed_duration"
