"""Rank correlation and first-order (Sobol) indices from one sample, in numpy.

Used by sensitivity studies (:mod:`sim.studies.sensitivity`: input uniforms against an outcome per replication) and
by sampled sweeps (:mod:`sim.studies.sweep`: sampled values against each point's median). See
:mod:`sim.studies.sensitivity` for the estimators' definitions and caveats.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MAX_BINS = 32
"""Most bins of the first-order estimator."""


def ranks(a: FloatArray) -> FloatArray:
    """Ranks 1..N, ties given their average rank.

    Example:
        >>> ranks(np.array([10.0, 30.0, 20.0, 30.0])).tolist()
        [1.0, 3.5, 2.0, 3.5]
    """
    order = np.argsort(a, kind="stable")
    s = a[order]
    first = np.concatenate(([True], s[1:] != s[:-1]))
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(s))
    out = np.empty(len(a))
    out[order] = ((starts + ends + 1) / 2.0)[group]  # mean of ranks start+1 .. end
    return out


def rank_correlation(x: FloatArray, y: FloatArray) -> float:
    """Spearman's rank correlation; ``NaN`` when either side is constant (or fewer than 3 values).

    Example:
        >>> rank_correlation(np.array([0.1, 0.5, 0.9]), np.array([1.0, 8.0, 27.0]))
        1.0
    """
    if len(x) < 3:
        return math.nan
    rx, ry = ranks(x), ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt(float(rx @ rx) * float(ry @ ry))
    if den == 0.0:
        return math.nan
    return float(min(1.0, max(-1.0, float(rx @ ry) / den)))


def bin_count(n: int) -> int:
    """Bins of the first-order estimator for ``n`` replications: ``round(sqrt(n))``, 2 to :data:`MAX_BINS`."""
    return int(min(MAX_BINS, max(2, round(math.sqrt(n)))))


def first_order(x: FloatArray, y: FloatArray, bins: int | None = None) -> float:
    """First-order index of ``x`` on ``y`` from one sample (binned correlation ratio, noise-corrected).

    ``NaN`` when ``y`` is constant or there are fewer than two replications per bin.

    Example:
        >>> u = np.linspace(0.001, 0.999, 400)
        >>> round(first_order(u, 3 * u), 2), first_order(u, np.ones(400))
        (1.0, nan)
    """
    n = len(y)
    b = bin_count(n) if bins is None else bins
    if n < 2 * b:
        return math.nan
    dev = y - y.mean()
    total = float(dev @ dev)
    if total <= 0.0:
        return math.nan
    groups = np.array_split(np.argsort(x, kind="stable"), b)
    between = sum(len(g) * (float(y[g].mean()) - float(y.mean())) ** 2 for g in groups)
    within = max(total - between, 0.0)
    return float(min(1.0, max(0.0, (between - (b - 1) * within / (n - b)) / total)))
