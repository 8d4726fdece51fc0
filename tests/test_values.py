"""Tests for sim.scenario.values: plain values and distributions, read in canonical units and sampled by inverse CDF."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.scenario.limits import MAX_COUNT
from sim.scenario.quantities import DAYS_PER_MONTH, QuantityError, parse_per_capita
from sim.scenario.sampling import sample
from sim.scenario.values import DIST_KEYS, Dist, read_value

U = np.array([0.001, 0.25, 0.5, 0.75, 0.999])


def refused(raw: object, unit: str) -> QuantityError:
    """read_value must refuse ``raw``; return the error."""
    with pytest.raises(QuantityError) as info:
        read_value(raw, unit)
    return info.value


# --- reading ------------------------------------------------------------------------------------------------


def test_plain_value_is_fixed() -> None:
    """A plain quantity is a fixed distribution in canonical units, keeping the text as written."""
    d = read_value("250k/day", "rate")
    assert (d.kind, d.params, d.unit, d.text, d.is_fixed) == ("value", (250e3,), "rate", "250k/day", True)


def test_value_mapping_carries_source_and_note() -> None:
    """`{value: ..., source: ..., note: ...}` is a fixed value citing a source."""
    d = read_value({"value": "100M", "source": "billboard_2020", "note": "company figure"}, "count")
    assert d.params == (1e8,)
    assert (d.source, d.note) == ("billboard_2020", "company figure")


def test_duration_in_months_keeps_calendar_months() -> None:
    """A fixed duration in months remembers the whole months, with its mean length rounded to days."""
    d = read_value("3mo", "duration")
    assert d.months == 3
    assert d.params == (float(round(3 * DAYS_PER_MONTH)),)
    assert read_value({"value": "1y"}, "duration").months == 12


def test_between_and_uniform_are_the_same() -> None:
    """`between` and `uniform` both read as a uniform range in canonical units."""
    a = read_value({"between": ["1.5%/month", "2.5%/month"]}, "per_capita")
    b = read_value({"uniform": ["1.5%/month", "2.5%/month"]}, "per_capita")
    assert a.kind == b.kind == "between"
    assert a.params == b.params
    assert a.params == pytest.approx((parse_per_capita("1.5%/month"), parse_per_capita("2.5%/month")))
    assert a.describe() == "between 1.5%/month and 2.5%/month"


def test_between_low_above_high_is_refused_with_a_hint() -> None:
    """A reversed range is refused and the hint says to swap the ends."""
    err = refused({"between": ["20d", "10d"]}, "duration")
    assert err.message == "`between`: the low end is above the high end"
    assert err.hint == "swap the two values"


@pytest.mark.parametrize("body", [["10d"], ["10d", "20d", "30d"], "10d", {"lo": "10d"}])
def test_between_needs_a_pair(body: object) -> None:
    """`between` needs a list of exactly two values."""
    assert refused({"between": body}, "duration").message == "`between` needs a list [low, high]"


def test_triangular_reads_three_ordered_values() -> None:
    """A triangular distribution is (low, mode, high) in order."""
    d = read_value({"triangular": ["7d", "14d", "45d"]}, "duration")
    assert d.params == (7.0, 14.0, 45.0)
    assert (d.low, d.center, d.high) == (7.0, 14.0, 45.0)
    assert refused({"triangular": ["7d", "50d", "45d"]}, "duration").message == (
        "`triangular` needs low <= mode <= high")


def test_normal_with_bounds_and_sd_in_the_keys_unit() -> None:
    """`normal` takes mean, sd (in the same unit) and optional min/max; low/high are the bounds (a missing max is
    the largest count, :data:`sim.scenario.limits.MAX_COUNT`)."""
    d = read_value({"normal": {"mean": "90M", "sd": "5M", "min": 0}}, "count")
    assert d.params == (9e7, 5e6, 0.0, MAX_COUNT)
    assert (d.low, d.high, d.center) == (0.0, MAX_COUNT, 9e7)


def test_normal_over_dates_takes_sd_as_a_duration() -> None:
    """For a date, `sd` is a duration (`5d`) and the mean a date."""
    d = read_value({"normal": {"mean": "2020-11-12", "sd": "5d"}}, "date")
    assert d.params[:2] == (float(dt.date(2020, 11, 12).toordinal()), 5.0)


@pytest.mark.parametrize("body", [
    {"mean": "90M"}, {"mean": "90M", "sd": "5M", "median": 1}, {"mean": "90M", "sd": "5M", "min": "95M"},
    "90M",
])  # fmt: skip
def test_normal_refuses_missing_unknown_or_inconsistent_keys(body: object) -> None:
    """`normal` needs mean and sd, no other keys than min/max, and min <= mean <= max."""
    refused({"normal": body}, "count")


def test_lognormal_needs_a_positive_median() -> None:
    """`lognormal` reads a median and a sigma; a median of 0 is refused."""
    d = read_value({"lognormal": {"median": "30d", "sigma": 0.5}}, "duration")
    assert d.params == (30.0, 0.5)
    assert (d.low, d.high) == (0.0, math.inf)
    assert refused({"lognormal": {"median": "0d", "sigma": 0.5}}, "duration").message == (
        "`lognormal` needs a median > 0")


def test_choice_normalises_weights() -> None:
    """`choice` keeps the values and normalises the weights to sum to one."""
    d = read_value({"choice": [["7d", 3], ["14d", 1]]}, "duration")
    assert d.params == (7.0, 14.0)
    assert d.weights == (0.75, 0.25)
    assert d.center == pytest.approx(7 * 0.75 + 14 * 0.25)


@pytest.mark.parametrize("body", [[], [["7d"]], ["7d", "14d"], [["7d", 0], ["14d", 0]], [["7d", -1]], "7d"])
def test_choice_refuses_bad_pairs_and_weights(body: object) -> None:
    """`choice` needs [value, weight] pairs with weights >= 0 adding up to more than 0."""
    refused({"choice": body}, "duration")


def test_empirical_lists_values() -> None:
    """`empirical` draws one of its listed values; repeated values count more."""
    d = read_value({"empirical": ["7d", "15d", "15d", "30d"]}, "duration")
    assert d.params == (7.0, 15.0, 15.0, 30.0)
    assert d.center == pytest.approx(67 / 4)
    assert refused({"empirical": []}, "duration").message == "`empirical` needs a non-empty list of values"


def test_a_list_is_not_a_value() -> None:
    """A bare list is refused with a hint to write a range."""
    err = refused(["10M", "19M"], "count")
    assert err.message == "a list is not a single value"
    assert err.hint == "for a range of uncertainty write `{between: [lo, hi]}`"


def test_a_list_of_durations_also_points_to_per_step_values() -> None:
    """A list of durations (or probabilities) may be meant as one value per extension: the hint says where."""
    for raw, unit in ((["75d", "90d"], "duration"), ([0.5, 0.3], "probability")):
        hint = refused(raw, unit).hint or ""
        assert hint.startswith("for a range of uncertainty write `{between: [lo, hi]}`; for one value per")
        assert "`schedule` or `steps`" in hint


@pytest.mark.parametrize(("raw", "message"), [
    ({"between": ["1d", "2d"], "value": "1d"}, "a value mapping needs exactly one distribution key"),
    ({}, "a value mapping needs exactly one distribution key"),
    ({"source": "x"}, "a value mapping needs exactly one distribution key"),
    ({"vlaue": "1d"}, "unknown key `vlaue` in a value"),
    ({"value": "1d", "source": 3}, "`source` must be the id of an entry in `sources`"),
    ({"value": "1d", "note": ["a"]}, "`note` must be text"),
])  # fmt: skip
def test_value_mapping_shape(raw: dict[str, object], message: str) -> None:
    """A value mapping has exactly one distribution key, no unknown keys, and text source/note."""
    err = refused(raw, "duration")
    assert err.message == message


def test_unknown_key_error_lists_the_distribution_keys() -> None:
    """The expected text of a bad value mapping names every distribution key."""
    err = refused({"betwen": [1, 2]}, "count")
    assert all(f"`{k}`" in err.expected for k in DIST_KEYS)


def test_values_inside_distributions_use_the_keys_kind() -> None:
    """Each number inside a distribution is read with the key's kind: a rate inside a count is refused."""
    err = refused({"between": ["1M", "250k/day"]}, "count")
    assert err.message == "expected a count"
    with pytest.raises(QuantityError, match="a probability must lie between 0 and 1"):
        read_value({"between": [0.2, 1.4]}, "probability")


def test_signed_duration_allows_negative_offsets() -> None:
    """A signed duration (date offsets) may be negative; a plain duration may not."""
    assert read_value("-7d", "signed_duration").params == (-7.0,)
    assert read_value({"between": ["-7d", "7d"]}, "signed_duration").low == -7.0
    refused("-7d", "duration")


def test_fixed_date_values() -> None:
    """An absolute date value is a day number; date arithmetic is left to sim.scenario.dates."""
    assert read_value(dt.date(2020, 9, 20), "date").params == (float(dt.date(2020, 9, 20).toordinal()),)
    refused("oracle_deal + 14d", "date")


# --- sampling -----------------------------------------------------------------------------------------------


def test_sample_fixed_value() -> None:
    """A fixed value always draws itself."""
    assert sample(read_value("100M", "count"), U).tolist() == [1e8] * len(U)


def test_sample_between_is_linear_in_u() -> None:
    """A uniform range maps u to low + (high - low) * u."""
    d = read_value({"between": ["10M", "20M"]}, "count")
    assert sample(d, U) == pytest.approx(1e7 + 1e7 * U)


def test_sample_triangular_quantiles() -> None:
    """Triangular draws stay within [low, high] and hit the mode at u = (mode - low) / (high - low)."""
    d = read_value({"triangular": [0, 0.25, 1]}, "factor")
    draws = sample(d, np.array([0.0, 0.25, 1.0]))
    assert draws == pytest.approx([0.0, 0.25, 1.0])
    many = sample(d, np.linspace(0.001, 0.999, 999))
    assert many.min() >= 0.0 and many.max() <= 1.0
    assert float(np.median(many)) == pytest.approx(1 - math.sqrt(0.5 * 0.75), abs=1e-3)


def test_sample_normal_is_truncated_to_its_bounds() -> None:
    """A truncated normal never draws outside [min, max] and draws its mean at u = 0.5 when symmetric."""
    d = read_value({"normal": {"mean": 10, "sd": 5, "min": 0, "max": 20}}, "factor")
    draws = sample(d, np.linspace(0.0005, 0.9995, 1000))
    assert draws.min() >= 0.0 and draws.max() <= 20.0
    assert sample(d, np.array([0.5]))[0] == pytest.approx(10.0)
    far_from_bounds = read_value({"normal": {"mean": 100, "sd": 5}}, "factor")
    assert sample(far_from_bounds, np.array([0.8413447]))[0] == pytest.approx(105.0, abs=1e-4)


def test_normal_without_bounds_is_truncated_to_the_kinds_range() -> None:
    """A normal without min/max cannot draw a negative count, a count above the limit or a probability above 1."""
    count = read_value({"normal": {"mean": "1M", "sd": "5M"}}, "count")
    assert (count.low, count.high) == (0.0, MAX_COUNT)
    prob = read_value({"normal": {"mean": 0.5, "sd": 0.5}}, "probability")
    assert (prob.low, prob.high) == (0.0, 1.0)
    assert sample(prob, np.array([0.001, 0.999])).tolist() == pytest.approx([0.0, 1.0], abs=0.01)
    offset = read_value({"normal": {"mean": "0d", "sd": "5d"}}, "signed_duration")
    assert offset.low == -math.inf


def test_sample_lognormal_median() -> None:
    """A lognormal draws its median at u = 0.5 and median * e^sigma at the 84th percentile."""
    d = read_value({"lognormal": {"median": 2, "sigma": 0.5}}, "factor")
    assert sample(d, np.array([0.5, 0.8413447])) == pytest.approx([2.0, 2 * math.exp(0.5)], rel=1e-5)


def test_sample_choice_follows_weights() -> None:
    """Weighted choice: u below the first weight draws the first value, above it the second."""
    d = read_value({"choice": [["7d", 0.6], ["14d", 0.4]]}, "duration")
    assert sample(d, np.array([0.0, 0.59, 0.61, 0.999])).tolist() == [7.0, 7.0, 14.0, 14.0]


def test_sample_empirical_is_equally_likely() -> None:
    """Empirical draws each listed value for an equal share of u."""
    d = read_value({"empirical": ["1d", "2d", "3d", "4d"]}, "duration")
    assert sample(d, np.array([0.1, 0.3, 0.6, 0.9, 0.99999])).tolist() == [1.0, 2.0, 3.0, 4.0, 4.0]


def test_sample_rounds_durations_but_not_counts() -> None:
    """Duration and date draws are whole days; count draws are not rounded."""
    days = sample(read_value({"between": ["10d", "11d"]}, "duration"), np.array([0.3]))
    count = sample(read_value({"between": [10, 11]}, "count"), np.array([0.3]))
    assert days.tolist() == [10.0]
    assert count.tolist() == pytest.approx([10.3])


@pytest.mark.parametrize("raw", [
    {"between": ["1M", "5M"]}, {"triangular": ["1M", "2M", "5M"]}, {"normal": {"mean": "3M", "sd": "1M"}},
    {"lognormal": {"median": "3M", "sigma": 1}}, {"choice": [["1M", 1], ["2M", 1], ["5M", 2]]},
    {"empirical": ["1M", "3M", "3M", "5M"]},
])  # fmt: skip
def test_sample_is_monotone_in_u(raw: dict[str, object]) -> None:
    """Draws never decrease as u grows (values of choice/empirical listed in order), so CRN stay aligned."""
    draws = sample(read_value(raw, "count"), np.linspace(0.001, 0.999, 200))
    assert np.all(np.diff(draws) >= 0)
    assert draws[0] < draws[-1]


def test_sample_choice_is_monotone() -> None:
    """Choice and empirical values are sorted, so a larger uniform never draws a smaller value."""
    d = read_value({"empirical": ["5M", "1M"]}, "count")
    assert sample(d, np.array([0.2, 0.8])).tolist() == [1e6, 5e6]
    c = read_value({"choice": [["30d", 0.5], ["7d", 0.5]]}, "duration")
    assert sample(c, np.array([0.2, 0.8])).tolist() == [7.0, 30.0]


def test_dist_equality_ignores_the_text() -> None:
    """Two distributions with the same numbers are equal however they were written."""
    assert read_value("1k", "count") == read_value(1000, "count")
    assert read_value("1k", "count") != read_value("2k", "count")
    assert Dist("value", (1.0,), "count", text="a") == Dist("value", (1.0,), "count", text="b")
