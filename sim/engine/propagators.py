"""The solver's tables: each config's one-day propagator and its powers, and the flows of a step's integral.

:func:`propagators` holds ``Phi^(2^k)`` of the augmented state ``[x, 1, integral of x]`` per replication and
config (:mod:`sim.engine.dynamics` steps with them), :func:`flow_tables` the coefficients that turn a step's
integral into flows. Both are laid out one table row per ``(bit, replication, config)`` so a step gathers the
rows of every replication with one ``take``; :func:`gathered` returns them with the replications last, the
axis the step's arithmetic runs along.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.engine.coefficients import Coefficients
from sim.engine.expm import expm
from sim.engine.row_hash import first_appearance, hashes

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


EXPM_BATCH_BYTES = 512 * 9 * 9 * 8
"""Bytes of matrices exponentiated together: the temporaries of :func:`sim.engine.expm.expm` of this many stay in
a core's cache (measured on 9 x 9 matrices: 512 at a time take about 0.6 of the time of 7,500 at once; smaller
matrices go more at a time, 4,608 of 3 x 3: each numpy call of the Taylor sum then covers more of them). Never
changes a result: each matrix is scaled and squared on its own."""


def propagators(coef: Coefficients, nbits: int, used: npt.NDArray[np.bool_]) -> tuple[FloatArray, IntArray]:
    """The powers of the one-day propagator of each distinct ``(A, b)`` among the ``(r, c)`` pairs marked in
    ``used`` (R, C), and each pair's entry: a table ``(nbits * D + 1, (n + 1) * 2n)`` whose row ``k * D + j``
    holds ``Phi^(2^k)`` of entry ``j`` (the last row the identity), and ``entry (R * C,)``: the entry of pair
    ``r * C + c`` (0 for pairs not marked, which no step refers to).

    ``Phi = expm(M)``, ``M = [[A, b, 0], [0, 0, 0], [I, 0, 0]]`` acting on ``[x, 1, integral x]``. Each row is
    an ``(n + 1, 2n)`` block keeping the rows of ``x`` and of the integral and the columns of ``x`` and of the
    constant, transposed (the constant row and identity integral columns are implied). Before the
    exponential, ``M`` is balanced by an exact power-of-two similarity (``b`` to 1-norm < 1/2, the integral
    block to 1/2) so the scaling follows ``A`` alone: left as is, ``b ~ 1e5`` forces ~17 extra squarings of a
    near-identity matrix, costing ~5 digits of ``e^A - I`` and ~4 of the inflow column. The identity entry (x
    kept, integral + 0) stands in for a bit that is clear, which is exact. Pairs with the very same ``A`` and
    ``b``, bit for bit (parameters certain across replications, configs whose coefficients coincide), share an
    entry: a matrix's exponential does not depend on the rest of its batch (:func:`sim.engine.expm.expm`), so
    this is exact.

    Example:
        >>> z = np.zeros((2, 1, 1))
        >>> coef = Coefficients(b=z + 1.0, g=z, d=z + 0.5, T=np.zeros((2, 1, 1, 1)), W=np.ones((2, 1, 1, 1)))
        >>> table, entry = propagators(coef, 2, np.ones((2, 1), dtype=bool))
        >>> table.shape, entry.tolist(), table[-1].tolist()
        ((3, 4), [0, 0], [1.0, 0.0, 0.0, 0.0])
    """
    C, n = coef.C, coef.n
    N, keep = 2 * n + 1, np.r_[0:n, n + 1 : 2 * n + 1]
    r, c = np.nonzero(used)
    gen, b = coef.generator()[r, c], coef.b[r, c]
    first, back = _distinct(gen, b)
    gen, b = gen[first], b[first]
    bsum = b[:, 0].copy()
    for i in range(1, n):
        bsum += b[:, i]
    sb = (np.frexp(bsum)[1] + 1).astype(np.int64)[:, None]  # sum(b) < 2^(sb - 1)
    D = first.size
    table = np.zeros((nbits * D + 1, n + 1, 2 * n))
    blocks = table[:-1].reshape(nbits, D, n + 1, 2 * n)
    batch = max(1, EXPM_BATCH_BYTES // (N * N * 8))
    for lo in range(0, D, batch):
        part = slice(lo, lo + batch)
        m = np.zeros((len(gen[part]), N, N))
        m[:, :n, :n] = gen[part]
        m[:, :n, n] = np.ldexp(b[part], -sb[part])
        m[:, n + 1 :, :n] = 0.5 * np.eye(n)
        phi = expm(m)
        # Undo the similarity: entry (i, j) times scale_i / scale_j, powers of two, so exact.
        phi[:, :n, n] = np.ldexp(phi[:, :n, n], sb[part])
        phi[:, n + 1 :, :n] = np.ldexp(phi[:, n + 1 :, :n], 1)
        phi[:, n + 1 :, n] = np.ldexp(phi[:, n + 1 :, n], sb[part] + 1)
        for k in range(nbits):
            if k:
                phi = phi @ phi
            blocks[k, part] = np.swapaxes(phi[:, keep, : n + 1], -1, -2)
    table[-1, :n, :n] = np.eye(n)
    entry = np.zeros(coef.R * C, dtype=np.int64)
    entry[r * C + c] = back
    return table.reshape(len(table), -1), entry


def _distinct(gen: FloatArray, b: FloatArray) -> tuple[IntArray, IntArray]:
    """The first of each distinct ``(A, b)`` pair (bit for bit) among ``(N, n, n)`` and ``(N, n)``, and the
    index of each pair's among those firsts.

    Example:
        >>> first, back = _distinct(np.array([[[1.0]], [[2.0]], [[1.0]]]), np.array([[0.0], [0.0], [0.0]]))
        >>> first.tolist(), back.tolist()
        ([0, 1], [0, 1, 0])
    """
    key = np.ascontiguousarray(np.concatenate([gen.reshape(len(gen), -1), b], axis=1))
    bits = key.view(np.uint64)
    first, back = first_appearance(hashes(np.asfortranarray(bits).T))  # by a hash of each pair's bits: one number
    if np.array_equal(bits[first[back]], bits):  # each pair equal to its group's first: the pairs' own groups
        return first, back
    raw = key.view(np.dtype((np.void, key.shape[1] * key.itemsize))).ravel()  # a hash collision: the bytes
    return first_appearance(raw)  # the first occurrences in row order


def flow_tables(coef: Coefficients) -> tuple[FloatArray, FloatArray]:
    """Per ``(r, c)`` (row ``r*C + c``) coefficients turning a step's integral ``dI`` and length into flows.

    ``dense (R*C, n * (m + n))``: block row ``j`` is ``[W[:, j], T[j, :]]`` (metric_cum and transfer_in,
    linear in ``dI``); ``diag (R*C, 4 * n)``: ``[g, d, sum_j T_ij, b]`` (inflow ``g dI + b dt``, outflow,
    transfer_out).
    """
    R, C, n, m = coef.R, coef.C, coef.n, coef.m
    dense = np.concatenate([np.swapaxes(coef.W, -1, -2), coef.T], axis=-1).reshape(R * C, n * (m + n))
    diag = np.stack([coef.g, coef.d, coef.transfer_out_rate(), coef.b], axis=2).reshape(R * C, 4 * n)
    return dense, diag


def gathered(table: FloatArray, rows: IntArray, blocks: int) -> FloatArray:
    """Rows ``rows`` (K,) of ``table`` as ``(blocks, width / blocks, K)``: the replications last, contiguous.

    Example:
        >>> gathered(np.arange(8.0).reshape(2, 4), np.array([1, 0, 1]), 2)[1].tolist()
        [[6.0, 2.0, 6.0], [7.0, 3.0, 7.0]]
    """
    return table.take(rows, axis=0).T.copy().reshape(blocks, table.shape[1] // blocks, rows.size)


class Gathered:
    """:func:`gathered` rows of one table, the blocks of the last few index arrays kept: many steps gather the
    very rows of an earlier step (every step of a counterfactual of one config, or of the same length).

    The blocks returned are shared between calls: read them, never write into them.

    Example:
        >>> take = Gathered(np.arange(8.0).reshape(2, 4), 2)
        >>> take(np.array([1, 0])) is take(np.array([1, 0]))
        True
    """

    def __init__(self, table: FloatArray, blocks: int, keep: int = 8):
        self.table, self.blocks, self.keep = table, blocks, keep
        self._kept: dict[bytes, FloatArray] = {}

    def __call__(self, rows: IntArray) -> FloatArray:
        """The rows ``rows`` of the table as :func:`gathered` gives them."""
        key = rows.tobytes()
        got = self._kept.get(key)
        if got is None:
            if len(self._kept) >= self.keep:
                del self._kept[next(iter(self._kept))]  # the oldest
            got = self._kept[key] = gathered(self.table, rows, self.blocks)
        return got
