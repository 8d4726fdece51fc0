"""Hashes of rows of float values, and rows grouped by them (:func:`sim.engine.segments.distinct_by`,
:mod:`sim.engine.sparse_layout`): a row's hash is the sum, modulo ``2^64``, of a term of each column's bits."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def multipliers(width: int) -> npt.NDArray[np.uint64]:
    """Odd multipliers of the columns' bits in a row's hash: SplitMix64 of the column number. (Multipliers
    that grow with the column, ``c x constant``, make rows whose columns at 1.0 have the same sum of column
    numbers collide.)"""
    with np.errstate(over="ignore"):  # wraps around 2**64 by design
        z = np.arange(1, width + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return (z ^ (z >> np.uint64(31))) | np.uint64(1)


GROUP_MIX: Final = np.uint64(0xD6E8FEB86659FD93)
"""Mixes a row's group into its hash (:func:`sim.engine.segments.distinct_by`)."""
HASH_COLUMNS: Final = 16
"""Columns hashed at a time (:func:`hashes`)."""


def hashes(bits: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Each row's hash: ``bits`` ``(columns, rows)``, a row's values as bits, each folded (its high half onto its
    low one: a float's low bits are often all zero, 1.0 or 0.5, and a product's would be too, leaving a few bits
    of the multipliers to tell rows apart) and times its column's multiplier, summed modulo ``2^64``, a few
    columns at a time (temporaries that stay in cache).

    Example:
        >>> bits = np.array([[1.0, 1.0, 2.0], [0.5, 0.5, 0.5]]).view(np.uint64)
        >>> h = hashes(bits)
        >>> bool(h[0] == h[1]), bool(h[0] == h[2])
        (True, False)
    """
    width, rows = bits.shape
    mult, h = multipliers(width)[:, None], np.zeros(rows, dtype=np.uint64)
    with np.errstate(over="ignore"):  # the hash wraps around 2**64 by design
        for c in range(0, width, HASH_COLUMNS):
            part = bits[c : c + HASH_COLUMNS]
            h += ((part ^ (part >> np.uint64(32))) * mult[c : c + HASH_COLUMNS]).sum(axis=0)
    return h


def first_appearance(h: npt.NDArray[Any]) -> tuple[IntArray, IntArray]:
    """The first index of each distinct value of ``h`` (hashes, or rows viewed as one void value each), in order
    of first appearance, and each index's value among them.

    Example:
        >>> firsts, inverse = first_appearance(np.array([7, 3, 7, 5], dtype=np.uint64))
        >>> firsts.tolist(), inverse.tolist()
        ([0, 1, 3], [0, 1, 0, 2])
    """
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    # The values in order of their first index: those indices are distinct, so marked and numbered, not sorted
    is_first = np.zeros(h.shape[0], dtype=np.bool_)
    is_first[first] = True
    rank = np.cumsum(is_first, dtype=np.int64)[first] - 1
    return np.flatnonzero(is_first), rank[inverse.reshape(-1)]
