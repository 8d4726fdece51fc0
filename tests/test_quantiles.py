"""Quantiles read from sorted columns (sim.runs.quantiles) are numpy's, digit for digit."""

from __future__ import annotations

import numpy as np
import pytest

from sim.runs.quantiles import sorted_quantiles
from sim.runs.results import QUANTILES

QS = [QUANTILES, (0.0, 1.0), (0.5,), (0.001, 0.333, 0.999)]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 999, 10_000])
def test_sorted_quantiles_are_numpys(n: int) -> None:
    """Random values of very different sizes, ties, infinities and NaN: every quantile equals numpy.quantile's
    bit for bit (NaN where numpy gives NaN)."""
    rng = np.random.default_rng(n)
    columns = np.concatenate([
        rng.lognormal(0, 4, (5, n)),                       # spread over many orders of magnitude
        rng.normal(0, 1, (5, n)) * 1e9,                    # signs
        rng.integers(0, 3, (5, n)).astype(np.float64),     # ties
        np.where(rng.random((3, n)) < 0.2, np.inf, rng.random((3, n))),
        np.where(rng.random((3, n)) < 0.2, -np.inf, rng.random((3, n))),
        np.where(rng.random((3, n)) < 0.05, np.nan, rng.random((3, n))),
        np.full((1, n), 3.25),
    ])
    columns.sort(axis=-1)
    for qs in QS:
        with np.errstate(invalid="ignore"):  # inf - inf, as in numpy's own
            got, want = sorted_quantiles(columns, qs), np.quantile(columns, qs, axis=-1)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=True), qs
        one = sorted_quantiles(columns[0], qs)  # a single column
        assert one.shape == (len(qs),) and np.array_equal(one, np.quantile(columns[0], qs))


def test_other_dtypes_are_numpys_own() -> None:
    """float32 columns (very large runs store series so) go to numpy.quantile itself."""
    columns = np.sort(np.random.default_rng(1).random((4, 50)).astype(np.float32), axis=-1)
    got, want = sorted_quantiles(columns, QUANTILES), np.quantile(columns, QUANTILES, axis=-1)
    assert got.dtype == want.dtype and np.array_equal(got, want)
