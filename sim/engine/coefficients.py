"""The coefficients of the linear stock dynamics ``dx/dt = A x + b`` (:mod:`sim.engine.dynamics`), per
replication and config, checked for the shapes and signs that keep stocks >= 0; the checks of the solver's
day tables (:func:`check_segments`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def as_float(name: str, value: npt.ArrayLike, ndim: int) -> FloatArray:
    """A C-contiguous float64 copy-if-needed of ``value``, checked for rank and finiteness."""
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: holds NaN or inf")
    return arr


@dataclass(frozen=True)
class Coefficients:
    """Per-replication, per-config coefficients of the stock dynamics (arrays are float64, C-contiguous).

    A *config* is one set of coefficients that holds on some segments of time; ``seg_config`` in
    :func:`solve` says which one is in force when.

    Attributes:
        b: ``(R, C, n)`` constant inflow, count/day, >= 0.
        g: ``(R, C, n)`` headroom term (inflow ``g_i x_i``), per day, <= 0.
        d: ``(R, C, n)`` per-capita outflow (churn, lapse), per day, >= 0.
        T: ``(R, C, n, n)`` per-capita transfer ``i -> j`` per day, >= 0 with a zero diagonal.
        W: ``(R, C, m, n)`` metric weights, >= 0: ``metric_k = W[k] @ x``.

    Example:
        >>> import numpy as np
        >>> z = np.zeros((1, 1, 1))
        >>> coef = Coefficients(b=z + 10.0, g=z, d=z + 0.1, T=np.zeros((1, 1, 1, 1)), W=np.ones((1, 1, 1, 1)))
        >>> (coef.R, coef.C, coef.n, coef.m)
        (1, 1, 1, 1)
    """

    b: FloatArray
    g: FloatArray
    d: FloatArray
    T: FloatArray
    W: FloatArray

    def __post_init__(self) -> None:
        # Frozen dataclass: normalise the arrays once here so solve() can index them without copies.
        for name, ndim in (("b", 3), ("g", 3), ("d", 3), ("T", 4), ("W", 4)):
            object.__setattr__(self, name, as_float(f"Coefficients.{name}", getattr(self, name), ndim))
        R, C, n = self.b.shape
        for name, arr, shape in (
            ("g", self.g, (R, C, n)),
            ("d", self.d, (R, C, n)),
            ("T", self.T, (R, C, n, n)),
            ("W", self.W, (R, C, self.W.shape[2], n)),
        ):
            if arr.shape != shape:
                raise ValueError(
                    f"Coefficients.{name}: expected shape {shape} (from b {self.b.shape}), got {arr.shape}"
                )
        if C < 1 or n < 1:
            raise ValueError(f"Coefficients: need at least one config and one stock, got b {self.b.shape}")
        # Signs are what make A Metzler (stocks stay >= 0); a wrong sign is an engine bug, not to be clipped.
        for name, ok in (
            ("b", self.b >= 0),
            ("g", self.g <= 0),
            ("d", self.d >= 0),
            ("T", self.T >= 0),
            ("W", self.W >= 0),
        ):
            if not np.all(ok):
                want = "<= 0" if name == "g" else ">= 0"
                raise ValueError(f"Coefficients.{name}: every entry must be {want}")
        if np.any(np.diagonal(self.T, axis1=-2, axis2=-1) != 0):
            raise ValueError("Coefficients.T: the diagonal (transfer i -> i) must be 0")

    @property
    def R(self) -> int:
        """Number of replications."""
        return int(self.b.shape[0])

    @property
    def C(self) -> int:
        """Number of configs."""
        return int(self.b.shape[1])

    @property
    def n(self) -> int:
        """Number of stocks."""
        return int(self.b.shape[2])

    @property
    def m(self) -> int:
        """Number of exposure metrics."""
        return int(self.W.shape[2])

    def transfer_out_rate(self) -> FloatArray:
        """``(R, C, n)`` total per-capita transfer rate out of each stock, ``sum_j T[..., i, j]``.

        Example:
            >>> import numpy as np
            >>> T = np.array([[[[0.0, 0.1], [0.2, 0.0]]]])
            >>> z = np.zeros((1, 1, 2))
            >>> Coefficients(b=z, g=z, d=z, T=T, W=np.ones((1, 1, 1, 2))).transfer_out_rate().tolist()
            [[[0.1, 0.2]]]
        """
        # Summed column by column so each entry's rounding is fixed whatever R (np.sum may regroup).
        out = self.T[..., 0].copy()
        for j in range(1, self.n):
            out += self.T[..., j]
        return out

    def generator(self) -> FloatArray:
        """``(R, C, n, n)`` system matrix ``A = diag(g - d - sum_j T_ij) + T^T`` (Metzler).

        Example:
            >>> import numpy as np
            >>> T = np.array([[[[0.0, 0.1], [0.0, 0.0]]]])
            >>> z = np.zeros((1, 1, 2))
            >>> Coefficients(b=z, g=z, d=z + 0.01, T=T, W=np.ones((1, 1, 1, 2))).generator()[0, 0].tolist()
            [[-0.11, 0.0], [0.1, -0.01]]
        """
        a = np.swapaxes(self.T, -1, -2).copy()  # a copy even when n == 1 (the swap is then a no-op view)
        idx = np.arange(self.n)
        a[..., idx, idx] = self.g - self.d - self.transfer_out_rate()
        return a


def as_int(name: str, value: npt.ArrayLike, ndim: int) -> IntArray:
    """An int64 C-contiguous view/copy of ``value``; floats are refused rather than truncated."""
    arr = np.asarray(value)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: expected an integer array (whole days), got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.int64)


def check_segments(seg_start: IntArray, seg_config: IntArray, R: int, C: int, last: int) -> None:
    """Validate the change-day table against the replications, configs and last report day."""
    if seg_start.shape != seg_config.shape or seg_start.shape[0] != R or seg_start.shape[1] < 1:
        raise ValueError(
            f"seg_start {seg_start.shape} and seg_config {seg_config.shape} must both be (R={R}, S>=1)"
        )
    if np.any(seg_start[:, 0] != 0):
        raise ValueError("seg_start: the first segment of every replication must start on day 0")
    live = seg_start <= last  # entries past the last report day are padding; their config is never used
    step = np.diff(seg_start, axis=1)
    if np.any(step[live[:, 1:]] <= 0) or np.any(step < 0):
        raise ValueError(
            "seg_start: change days must be strictly increasing up to the last report day "
            "(padding after it may repeat but not decrease)"
        )
    cfg = seg_config[live]
    if np.any((cfg < 0) | (cfg >= C)):
        raise ValueError(
            f"seg_config: configs of segments starting on or before the last report day ({last}) must be in "
            f"[0, {C}); a sentinel equal to the last day counts as a real change -- pad with last day + 1"
        )
