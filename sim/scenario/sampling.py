"""Sampling a distribution: uniforms in (0, 1) to draws, by the inverse CDF.

One uniform per draw keeps common random numbers: a changed parameter moves each replication's draw
monotonically instead of reshuffling it (the engine's streams hand out the uniforms, :mod:`sim.engine.draws`).
The distributions themselves, and how a scenario writes them, are :mod:`sim.scenario.values`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from statistics import NormalDist
from typing import Any, Final

from sim.scenario.values import MONTH_UNITS, Dist


def sample(dist: Dist, u: Any) -> Any:
    """Map uniform draws ``u`` (a numpy array in (0, 1)) to draws of ``dist`` by the inverse CDF.

    Inverse-CDF sampling from one uniform per draw keeps common random numbers: a changed parameter moves
    each replication's draw monotonically instead of reshuffling it. Date and duration draws are rounded to
    whole days.

    Example:
        >>> import numpy as np
        >>> from sim.scenario.values import read_value
        >>> sample(read_value({"between": ["10d", "20d"]}, "duration"), np.array([0.0, 0.5, 0.999])).tolist()
        [10.0, 15.0, 20.0]
    """

    import numpy as np

    p = dist.params
    u = conditioned_uniforms(dist, np.asarray(u, dtype=np.float64))
    if dist.kind == "value":
        out = np.full_like(u, p[0])
    elif dist.kind == "between":
        out = p[0] + (p[1] - p[0]) * u
    elif dist.kind == "triangular":
        lo, mode, hi = p
        if hi == lo:
            out = np.full_like(u, lo)
        else:
            cut = (mode - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
            right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
            out = np.where(u < cut, left, right)
    elif dist.kind == "normal":
        mean, sd, lo, hi = p
        std = NormalDist()
        a = std.cdf((lo - mean) / sd) if sd > 0 and math.isfinite(lo) else 0.0
        b = std.cdf((hi - mean) / sd) if sd > 0 and math.isfinite(hi) else 1.0
        z = np.array([std.inv_cdf(min(max(x, 1e-15), 1 - 1e-15)) for x in (a + (b - a) * u).ravel()])
        out = np.clip(mean + sd * z.reshape(u.shape), lo, hi)
    elif dist.kind == "lognormal":
        std = NormalDist()
        z = np.array([std.inv_cdf(min(max(x, 1e-15), 1 - 1e-15)) for x in u.ravel()]).reshape(u.shape)
        out = p[0] * np.exp(p[1] * z)
    elif dist.kind == "choice":
        edges = np.cumsum(dist.weights)
        idx = np.minimum(np.searchsorted(edges, u, side="right"), len(p) - 1)
        out = np.asarray(p)[idx]
    else:
        idx = np.minimum((u * len(p)).astype(np.int64), len(p) - 1)
        out = np.asarray(p)[idx]
    if dist.unit in ("duration", "signed_duration", "date"):
        out = np.round(out)
    return out


def sample_months(dist: Dist, u: Any) -> Any:
    """Map uniform draws ``u`` to (fractional) calendar months of a duration written in months, by the same
    inverse CDF as :func:`sample` (so the draw is monotone in ``u`` and a degenerate distribution gives its
    value exactly); not rounded.

    Example:
        >>> import numpy as np
        >>> from sim.scenario.values import read_value
        >>> sample_months(read_value({"between": ["6mo", "6mo"]}, "duration"), np.array([0.1, 0.9])).tolist()
        [6.0, 6.0]
        >>> sample_months(read_value({"between": ["1mo", "3mo"]}, "duration"), np.array([0.25])).tolist()
        [1.5]
    """
    if not dist.month_params:
        raise ValueError("sample_months needs a duration written in months")
    u = conditioned_uniforms(dist, u)
    return sample(replace(dist, params=dist.month_params, unit=MONTH_UNITS.get(dist.unit, "months"),
                          later_than=None), u)


def cdf(dist: Dist, x: float) -> float:
    """``P(X <= x)`` for a draw ``X`` of ``dist`` before rounding (and before any :attr:`Dist.later_than`).

    The inverse of :func:`sample`'s map: ``sample(dist, u) <= x`` exactly when ``u <= cdf(dist, x)`` (up to the
    rounding of dates and durations to whole days, which :func:`after_share` accounts for).

    Example:
        >>> from sim.scenario.values import read_value
        >>> tri = read_value({"triangular": [0, 0, 2]}, "factor")
        >>> cdf(read_value({"between": [0, 10]}, "factor"), 2.5), cdf(tri, 1)
        (0.25, 0.75)
    """
    p = dist.params
    if dist.kind == "value":
        return 1.0 if x >= p[0] else 0.0
    if dist.kind == "between":
        lo, hi = p
        return (1.0 if x >= hi else 0.0) if hi == lo else min(max((x - lo) / (hi - lo), 0.0), 1.0)
    if dist.kind == "triangular":
        lo, mode, hi = p
        if x >= hi:
            return 1.0
        if x <= lo:
            return 0.0
        if x <= mode:
            return (x - lo) ** 2 / ((hi - lo) * (mode - lo))
        return 1.0 - (hi - x) ** 2 / ((hi - lo) * (hi - mode))
    std = NormalDist()
    if dist.kind == "normal":
        mean, sd, lo, hi = p
        if x >= hi:
            return 1.0
        if x < lo:
            return 0.0
        if sd <= 0:
            return 1.0 if x >= mean else 0.0
        a = std.cdf((lo - mean) / sd) if math.isfinite(lo) else 0.0
        b = std.cdf((hi - mean) / sd) if math.isfinite(hi) else 1.0
        return min(max((std.cdf((x - mean) / sd) - a) / (b - a), 0.0), 1.0)
    if dist.kind == "lognormal":
        return 0.0 if x <= 0 else std.cdf((math.log(x) - math.log(p[0])) / p[1]) if p[1] > 0 else float(x >= p[0])
    if dist.kind == "choice":
        return min(sum(w for v, w in zip(p, dist.weights, strict=True) if v <= x), 1.0)
    return sum(1 for v in p if v <= x) / len(p)


def share_by(dist: Dist, day: float) -> float:
    """The chance that a (whole-day) draw of ``dist`` falls on or before ``day``, ignoring
    :attr:`Dist.later_than`: ``cdf`` half a day later, since draws are rounded to the nearest whole day.

    Example:
        >>> from sim.scenario.values import read_value
        >>> share_by(read_value({"between": ["10d", "20d"]}, "duration"), 12)
        0.25
    """
    return cdf(dist, day + 0.5) if dist.unit in ("duration", "signed_duration", "date") else cdf(dist, day)


def conditioned_uniforms(dist: Dist, u: Any) -> Any:
    """The uniforms ``u`` of a draw of ``dist`` given it is later than :attr:`Dist.later_than` (unchanged
    without one): ``F(t) + (1 - F(t)) u``, so the draw comes from the truncated distribution by the inverse CDF
    of the same uniform, and common random numbers hold.

    Raises:
        ValueError: the distribution has no chance of a draw later than ``later_than``.

    Example:
        >>> import numpy as np
        >>> from dataclasses import replace
        >>> from sim.scenario.values import read_value
        >>> d = replace(read_value({"between": ["10d", "20d"]}, "duration"), later_than=12.0)
        >>> conditioned_uniforms(d, np.array([0.0, 1.0])).tolist()
        [0.25, 1.0]
    """
    if dist.later_than is None:
        return u
    lo = share_by(dist, dist.later_than)
    if lo >= 1.0:
        raise ValueError(f"{dist.describe()}: no draw can be later than {dist.later_than:g}")
    return lo + (1.0 - lo) * u


_QUADRATURE: Final = 4000
"""Midpoints used for the mean of an uncertain probability (Bayes' rule needs only the mean)."""


def mean(dist: Dist) -> float:
    """The mean of a distribution (its value when fixed), by the midpoint rule over its inverse CDF.

    Example:
        >>> from sim.scenario.values import read_value
        >>> round(mean(read_value({"between": [0.2, 0.4]}, "probability")), 6)
        0.3
    """
    if dist.is_fixed:
        return dist.params[0]
    u = [(k + 0.5) / _QUADRATURE for k in range(_QUADRATURE)]
    return float(sum(sample(dist, u))) / _QUADRATURE
