"""Paired differences: one run minus a reference, replication by replication, on the same random draws.

Runs that share a seed and named streams see the same draws in replication ``r`` wherever they agree (common
random numbers), so ``run[r] - reference[r]`` measures what the change does, not Monte Carlo noise. Used by
``docket compare`` (:mod:`sim.studies.compare`) and by a sweep's difference from its base point
(:mod:`sim.studies.sweep`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

REL_TOL: Final = 1e-9
"""A paired difference within this fraction of the larger value (for avoided exposure: of the larger
counterfactual total) counts as no change (``share_same``): the exact solver can differ in the last digits when
two runs split the same trajectory at different days."""


def paired(reference: npt.NDArray[np.float64], run: npt.NDArray[np.float64],
           scale: npt.NDArray[np.float64] | None = None) -> dict[str, float]:
    """The paired difference ``run - reference`` (equal-length arrays in replication order): its median, 5% and
    95% quantiles and mean, and the shares of replications where the run is higher, lower and the same.

    ``scale`` is the size of the numbers the values were computed from (default: the larger of the two values),
    for telling round-off (within :data:`REL_TOL` of it) from a change.

    Example:
        >>> import numpy as np
        >>> d = paired(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 8.0]))
        >>> d["diff_median"], d["diff_mean"], d["share_up"], d["share_same"]
        (0.0, 1.0, 0.25, 0.75)
    """
    a, b = np.asarray(reference, dtype=np.float64), np.asarray(run, dtype=np.float64)
    size = np.maximum(np.abs(a), np.abs(b)) if scale is None else scale
    diff = b - a
    same = np.abs(diff) <= REL_TOL * size
    diff = np.where(same, 0.0, diff)  # solver noise (-5.96e-08) is no change: exactly 0
    p05, p50, p95 = np.quantile(diff, (0.05, 0.5, 0.95))  # + 0.0 below: no "-0" in a table
    return {"diff_median": float(p50) + 0.0, "diff_p05": float(p05) + 0.0, "diff_p95": float(p95) + 0.0,
            "diff_mean": float(diff.mean()) + 0.0, "share_up": float((~same & (diff > 0)).mean()),
            "share_down": float((~same & (diff < 0)).mean()), "share_same": float(same.mean())}
