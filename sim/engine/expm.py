"""The matrix exponential of a batch of small real matrices: scaling and squaring of a degree-18 Taylor
polynomial, numpy only, each matrix scaled on its own (a result never depends on the rest of the batch)."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Taylor degree 18 on a matrix of 1-norm <= 1 leaves a remainder <= sum_{k>=19} 1/k! ~ 8.2e-18, and
# ||e^X|| >= 1/e there, so truncation stays below the unit roundoff; theta = 1 (a power of two) makes the
# scaling exponent come exactly out of frexp.
_TAYLOR_COEF: Final = tuple(1.0 / math.factorial(k) for k in range(19))


def _norm1(a: FloatArray) -> FloatArray:
    """1-norm (largest absolute column sum) of each matrix in an (N, k, k) stack, summed in a fixed order."""
    col = np.abs(a[:, 0, :])
    for i in range(1, a.shape[1]):
        col = col + np.abs(a[:, i, :])
    return np.asarray(col.max(axis=1), dtype=np.float64)


def _taylor18(x: FloatArray) -> FloatArray:
    """Degree-18 Taylor polynomial of exp on an (N, k, k) stack by Paterson–Stockmeyer (7 products)."""
    c = _TAYLOR_COEF
    eye = np.eye(x.shape[-1])
    x2 = x @ x
    x3 = x2 @ x
    x4 = x2 @ x2

    def block(j: int) -> FloatArray:
        """c_j I + c_{j+1} X + c_{j+2} X^2 + c_{j+3} X^3, the coefficients of one Horner step in X^4."""
        return np.asarray(c[j] * eye + c[j + 1] * x + c[j + 2] * x2 + c[j + 3] * x3, dtype=np.float64)

    p: FloatArray = c[16] * eye + c[17] * x + c[18] * x2
    for j in (12, 8, 4, 0):
        p = block(j) + x4 @ p
    return p


def expm(M: npt.ArrayLike) -> FloatArray:
    """Matrix exponential of a batch of real square matrices ``(..., k, k)``, numpy only.

    Scaling and squaring: each matrix is scaled by its own ``2^-s`` so its 1-norm is <= 1, the degree-18
    Taylor polynomial is evaluated (truncation error < 1e-17 relative), and the result squared ``s`` times.
    The scaling is chosen per matrix, so a matrix's result does not depend on the rest of the batch. Zero
    matrices give the identity; large norms only cost more squarings (and overflow to ``inf`` where the true
    exponential does).

    Args:
        M: real array of shape ``(..., k, k)``; must be finite.

    Returns:
        ``exp(M)`` as float64, same shape as ``M``.

    Raises:
        ValueError: if ``M`` is not a stack of square matrices, is complex or holds NaN/inf.

    Example:
        >>> import numpy as np
        >>> float(expm(np.array([[0.0, 1.0], [0.0, 0.0]]))[0, 1])
        1.0
        >>> bool(np.allclose(expm(np.log(2.0) * np.eye(2)), 2 * np.eye(2), rtol=1e-15))
        True
    """
    a = np.asarray(M)
    if np.iscomplexobj(a):
        raise ValueError("expm: complex matrices are not supported")
    a = a.astype(np.float64, copy=False)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"expm: expected a stack of square matrices (..., k, k), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("expm: matrix holds NaN or inf")
    k = a.shape[-1]
    flat = np.ascontiguousarray(a.reshape(-1, k, k))
    if flat.shape[0] == 0 or k == 0:
        return np.zeros(a.shape, dtype=np.float64)
    # norm <= 2^e exactly (frexp mantissa in [0.5, 1)), so scaling by 2^-e reaches norm <= 1 with no rounding.
    _, e = np.frexp(_norm1(flat))
    s = np.maximum(e, 0).astype(np.int64)
    p = _taylor18(np.ldexp(flat, -s[:, None, None]))
    for j in range(int(s.max())):
        idx = np.nonzero(s > j)[0]
        sq = p[idx]
        p[idx] = sq @ sq
    return p.reshape(a.shape)


