"""Human-readable numbers for reports and charts."""

from __future__ import annotations

import math

import pytest

from sim.text.humanize import interval, number, percent


@pytest.mark.parametrize(("x", "text"), [
    (100_000_000, "100M"), (2_540, "2.54k"), (999, "999"), (999_600, "1M"), (0, "0"), (1e-7, "0"),
    (-1_234_567, "\u22121.23M"), (35.4e9, "35.4B"), (math.inf, "never"),
])
def test_number(x, text):
    """Counts get k/M/B suffixes with three significant digits."""
    assert number(x) == text


def test_percent_and_interval():
    """Probabilities read as percentages; intervals as `median (lo to hi)`."""
    assert (percent(0.35), percent(0.004), percent(0.999)) == ("35%", "0.4%", "99.9%")
    assert interval(1e6, 5e5, 2e6) == "1M (500k to 2M)"
