"""Quantiles of columns already sorted: numpy's ``linear`` method read straight from the order statistics.

``numpy.quantile`` partitions its input around the order statistics it needs even when the input is sorted
(about 20 ns a value: as long as the sort itself for the run's tables). :func:`sorted_quantiles` takes them by
index and interpolates exactly as numpy's ``linear`` method does (its virtual index ``(n - 1) q``, its
``_lerp``: ``a + (b - a) t``, or ``b - (b - a) (1 - t)`` from ``t >= 0.5``, and NaN where a column holds one),
so every digit is numpy's (``tests/test_quantiles.py`` compares both on random, tied, infinite and missing
values).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def sorted_quantiles(columns: FloatArray, qs: Sequence[float]) -> FloatArray:
    """``numpy.quantile(columns, qs, axis=-1)`` of ``columns`` ``(..., n)`` sorted along their last axis (NaN
    last, as ``numpy.sort`` puts them): ``(len(qs), ...)``; other than float64, numpy's own.

    Example:
        >>> columns = np.sort(np.array([[3.0, 1.0, 2.0, 10.0], [0.5, 0.25, 4.0, 8.0]]), axis=-1)
        >>> sorted_quantiles(columns, (0.1, 0.5, 0.95)).tolist()
        [[1.3, 0.325], [2.5, 2.25], [8.949999999999998, 7.399999999999999]]
        >>> np.quantile(columns, (0.1, 0.5, 0.95), axis=-1).tolist()
        [[1.3, 0.325], [2.5, 2.25], [8.949999999999998, 7.399999999999999]]
    """
    n = columns.shape[-1]
    if n == 0 or columns.dtype != np.float64:  # numpy's own answer (float32: its own rounding)
        return np.asarray(np.quantile(columns, qs, axis=-1))
    virtual = (n - 1) * np.asarray(qs, dtype=np.float64)
    lo = np.floor(virtual)
    hi = lo + 1
    above = virtual >= n - 1
    lo[above], hi[above] = -1, -1
    below = virtual < 0
    lo[below], hi[below] = 0, 0
    lo_i, hi_i = lo.astype(np.intp), hi.astype(np.intp)
    gamma = (virtual - lo_i)[:, None]
    lead, columns = columns.shape[:-1], columns.reshape(-1, n)
    a, b = columns[:, lo_i].T, columns[:, hi_i].T
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=np.broadcast_to(gamma >= 0.5, out.shape))
    nan = np.isnan(columns[:, -1])
    if nan.any():
        out[:, nan] = np.nan
    return out.reshape(len(virtual), *lead)
