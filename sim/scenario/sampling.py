"""Sampling a distribution: uniforms in (0, 1) to draws, by the inverse CDF.

One uniform per draw keeps common random numbers: a changed parameter moves each replication's draw
monotonically instead of reshuffling it (the engine's streams hand out the uniforms, :mod:`sim.engine.draws`).
The distributions themselves, and how a scenario writes them, are :mod:`sim.scenario.values`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from statistics import NormalDist
from typing import Any

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
    u = np.asarray(u, dtype=np.float64)
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
    return sample(replace(dist, params=dist.month_params, unit=MONTH_UNITS.get(dist.unit, "months")), u)
