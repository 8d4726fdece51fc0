"""Exact piecewise-constant linear stock dynamics, solved for many Monte Carlo replications at once.

Populations (users, devices, subscribers) are stocks ``x_i >= 0`` that follow the linear ODE

    dx/dt = A x + b,   A = diag(g - d - T.sum(-1)) + T^T,

whose coefficients change only on whole days (a measure takes effect, is enjoined, lifted, ...).
``b >= 0`` is a constant inflow (count/day), ``g <= 0`` a headroom term for a ceiling, ``d >= 0`` a
per-capita outflow and ``T[i, j] >= 0`` a per-capita transfer from ``i`` to ``j``; ``A`` is Metzler, so
stocks stay >= 0.

Between change days the solution is exact: every change day and report day is an integer, so one matrix
exponential per replication and config -- the one-day propagator ``Phi`` of the augmented state
``[x, 1, integral of x]`` -- and its powers ``Phi^(2^k)`` give ``x`` after any whole number of days
through the binary decomposition of the step. The value at a date therefore does not depend on the report
grid except through rounding (a few ulps), and there is no Euler error to tune away.

Flows are accounted from the exact integral of ``x`` over each step with the config in force:
inflow ``b dt + g dI``, outflow ``d dI``, transfer out of ``i`` ``sum_j T_ij dI_i``, into ``j``
``sum_i T_ij dI_i``; exposure metrics are ``W_c @ x`` and their exact cumulative integral.

Replications are processed in chunks; every replication's arithmetic is independent of the others (batched
``matmul`` is one small product per replication, reductions over small axes are spelled out in a fixed
order), so results are bit-identical whatever the chunking. Only numpy is used: the coefficients are
:class:`sim.engine.coefficients.Coefficients`; the one-day propagators and their powers come from
:mod:`sim.engine.propagators` (the matrix exponential :func:`sim.engine.expm.expm` of each distinct ``(A, b)``,
once for every replication that shares it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from sim.engine.coefficients import Coefficients, as_float, as_int, check_segments
from sim.engine.propagators import Gathered, flow_tables, propagators

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = ["DEFAULT_CHUNK", "PLAIN_CHUNK", "Trajectory", "conservation_error", "solve"]

STATE: Final = (("stocks", "n"), ("integral", "n"), ("metric_cum", "m"), ("transfer_in", "n"), ("inflow", "n"),
                 ("outflow", "n"), ("transfer_out", "n"), ("metric", "m"))
"""The columns of the solver's state (each over populations ``n`` or metrics ``m``), then the metric."""
#: Rows solved together when rows are copies (``owner``); bounds working memory, never the results.
DEFAULT_CHUNK: Final = 4096
#: Replications solved together without copies: a step's arrays stay in a core's cache (measured on the flagship:
#: 256 at a time solve about 8% faster than 1,024; with cohort copies, 4,096 rows at a time are faster).
PLAIN_CHUNK: Final = 256
#: Fewer are solved together when their propagator tables would take more than this many bytes.
TABLE_BYTES: Final = 64 * 2**20
#: The states of this many bytes of stops are kept, then copied into the outputs together.
BLOCK_BYTES: Final = 4 * 2**20


@dataclass(frozen=True)
class Trajectory:
    """Solution of :func:`solve` at the report days ``grid`` (axis 1 follows ``grid``).

    Attributes:
        stocks: ``(R, G, n)`` ``x`` at 00:00 of each grid day.
        integral: ``(R, G, n)`` exact ``integral_0^t x`` (population-days).
        metric: ``(R, G, m)`` ``W_c @ x`` with the config in force on that day (a change on day t applies
            at t).
        metric_cum: ``(R, G, m)`` exact ``integral_0^t W_c(s) x(s) ds``.
        inflow: ``(R, G, n)`` cumulative inflow ``integral (b + g x)``.
        outflow: ``(R, G, n)`` cumulative outflow ``integral d x``.
        transfer_in: ``(R, G, n)`` cumulative transfers received from other stocks.
        transfer_out: ``(R, G, n)`` cumulative transfers sent to other stocks.

    Example:
        >>> import numpy as np
        >>> z = np.zeros((1, 2, 1))
        >>> t = Trajectory(z, z, z, z, z, z, z, z)
        >>> t.stocks.shape
        (1, 2, 1)
    """

    stocks: FloatArray
    integral: FloatArray
    metric: FloatArray
    metric_cum: FloatArray
    inflow: FloatArray
    outflow: FloatArray
    transfer_in: FloatArray
    transfer_out: FloatArray


def solve(
    x0: npt.ArrayLike,
    coef: Coefficients,
    seg_start: npt.ArrayLike,
    seg_config: npt.ArrayLike,
    grid: npt.ArrayLike,
    *,
    chunk_size: int | None = None,
    owner: npt.ArrayLike | None = None,
    weight: npt.ArrayLike | None = None,
) -> Trajectory:
    """Solve the piecewise-constant linear stock dynamics exactly and report it on a grid of days.

    Per replication the stops are the union of its change days and the grid days; each step between stops
    has one config and a whole number of days ``dt``, applied as a product of precomputed ``Phi^(2^k)``
    (binary decomposition of ``dt``). Values at a day therefore agree across report grids up to rounding.

    Args:
        x0: ``(R, n)`` stocks at day 0, finite and >= 0.
        coef: the coefficients of every config, see :class:`Coefficients`.
        seg_start: ``(R, S)`` integer change days: ``seg_start[:, 0] == 0``, strictly increasing up to the
            last grid day, padded after it with any sentinel > last grid day (e.g. ``horizon + 1``). An entry
            equal to the last grid day is a real change (it sets the config used for ``metric`` on that day).
        seg_config: ``(R, S)`` config in force from ``seg_start[r, s]`` until the next change; only entries
            of segments starting on or before the last grid day are read.
        grid: ``(G,)`` strictly increasing integer report days, ``grid[0] == 0``; its last entry is the
            horizon.
        chunk_size: rows solved together (memory vs. per-step overhead; default :data:`PLAIN_CHUNK`, with
            ``owner`` :data:`DEFAULT_CHUNK`); never changes results.
        owner: ``(R',)`` non-decreasing: row ``r`` of ``x0``, ``seg_start`` and ``seg_config`` (a *copy*) uses
            the coefficients of replication ``owner[r]`` (default: its own), and the trajectory returned is,
            per replication, the sum of its copies'. Copies share their replication's matrix exponentials.
        weight: ``(R',)`` factor on the inflow ``b`` of each copy (default 1): a copy holding share ``w`` of
            every stock (``x0`` scaled by ``w``) then gives ``w`` times the solution, exactly (it is linear).

    Returns:
        The :class:`Trajectory` at every grid day.

    Raises:
        ValueError: on inconsistent shapes, non-integer days, unsorted days, configs out of range, negative or
            non-finite ``x0``.

    Example:
        >>> import numpy as np
        >>> z = np.zeros((1, 1, 1))
        >>> coef = Coefficients(b=z + 10.0, g=z, d=z + 0.1, T=np.zeros((1, 1, 1, 1)), W=np.ones((1, 1, 1, 1)))
        >>> traj = solve(np.zeros((1, 1)), coef, np.array([[0]]), np.array([[0]]), np.array([0, 10, 1000]))
        >>> bool(abs(traj.stocks[0, 2, 0] - 100.0) < 1e-9)  # equilibrium b / d
        True
    """
    if chunk_size is None:
        chunk_size = DEFAULT_CHUNK if owner is not None else PLAIN_CHUNK
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    x0a = as_float("x0", x0, 2)
    C, n, m = coef.C, coef.n, coef.m
    own = np.arange(coef.R) if owner is None else as_int("owner", owner, 1)
    R = own.size
    if x0a.shape != (R, n) or np.any(np.diff(own) < 0) or (R and (own[0] < 0 or own[-1] >= coef.R)):
        raise ValueError(f"x0: expected shape {(R, n)} (owners non-decreasing in [0, {coef.R})), got {x0a.shape}")
    if np.any(x0a < 0):
        raise ValueError("x0: stocks must be >= 0")
    days = as_int("grid", grid, 1)
    if days.size == 0 or days[0] != 0 or np.any(np.diff(days) <= 0):
        raise ValueError("grid: must start at day 0 and be strictly increasing")
    starts = as_int("seg_start", seg_start, 2)
    configs = as_int("seg_config", seg_config, 2)
    check_segments(starts, configs, R, C, int(days[-1]))

    G, new = days.size, np.empty if owner is None else np.zeros  # copies are added up into their replication
    # The propagator table of a chunk holds Phi^(2^k) for every bit of the horizon and every config of its
    # replications: with many configs (many measures), fewer replications at a time bound it.
    per_rep = max(1, int(days[-1]).bit_length()) * C * (n + 1) * 2 * n * 8
    chunk_size = max(1, min(chunk_size, TABLE_BYTES // per_rep))
    # Every series in one array, by columns in the order of the solver's state (STATE), then the metric: a grid
    # day's results of a replication are one row, copied out at once; the Trajectory's fields are views.
    full = new((coef.R, G, 6 * n + 2 * m))
    edges = np.cumsum([0, *(n if size == "n" else m for _, size in STATE)])
    out = Trajectory(**{name: full[..., lo:hi] for (name, _), lo, hi in zip(STATE, edges[:-1], edges[1:],
                                                                             strict=True)})
    for r0, r1 in _chunks(own, coef.R, chunk_size):  # by replications: the copies of one stay together
        own_rows = slice(r0, r1)
        rows = slice(*np.searchsorted(own, [r0, r1]).tolist())
        part = Coefficients(b=coef.b[own_rows], g=coef.g[own_rows], d=coef.d[own_rows], T=coef.T[own_rows],
                            W=coef.W[own_rows])
        _solve_chunk(x0a[rows], part, starts[rows], configs[rows], days, full, own_rows, own[rows] - r0,
                     None if weight is None else as_float("weight", weight, 1)[rows], owner is not None)
    return out


def _chunks(own: IntArray, R: int, size: int) -> list[tuple[int, int]]:
    """Replication ranges ``[r0, r1)`` of at most ``size`` rows of ``own`` each (at least one replication)."""
    ends = np.searchsorted(own, np.arange(1, R + 1))  # rows before replication r + 1
    out, r0 = [], 0
    while r0 < R:
        r1 = max(r0 + 1, int(np.searchsorted(ends, (ends[r0 - 1] if r0 else 0) + size, side="right")))
        out.append((r0, min(r1, R)))
        r0 = min(r1, R)
    return out


def _apply(q: FloatArray, v: FloatArray, with_last: bool = True, last: FloatArray | None = None) -> FloatArray:
    """``sum_j q[j] * v[j]`` (``+ q[len(v)]`` x ``last``), in that order: blocks ``q`` ``(J, w, K)`` gathered
    by :func:`sim.engine.propagators.gathered`, ``v`` ``(len, K)``.

    One ``einsum`` adds the products up for each output in the order of ``j`` (its sum runs over the outer
    axis: a product, then an addition, as the loop of them it replaces gives, bit for bit; about twice as fast
    on the solver's blocks).

    Example:
        >>> q, v = np.arange(24.0).reshape(3, 2, 4) / 7, np.arange(8.0).reshape(2, 4) / 3
        >>> y = q[0] * v[0] + q[1] * v[1] + q[2]
        >>> bool(np.array_equal(_apply(q, v), y))
        True
    """
    y = np.einsum("jwk,jk->wk", q[: v.shape[0]], v)
    if with_last:
        y += q[v.shape[0]] if last is None else q[v.shape[0]] * last
    return y


def _solve_chunk(
    x0: FloatArray,
    coef: Coefficients,
    starts: IntArray,
    configs: IntArray,
    days: IntArray,
    full: FloatArray,
    rows: slice,
    own: IntArray,
    w: FloatArray | None,
    add: bool = False,
) -> None:
    """Solve replications ``rows`` (already validated) and write their results into ``full`` (every series of
    the chunk in one array, :func:`solve`'s ``Trajectory`` fields are views of it); row ``r`` of the
    states uses the coefficients of ``own[r]`` with its inflow times ``w[r]`` and, with ``add``, is added into
    the results of that replication (see :func:`solve`).

    Each replication steps through the sorted union of the grid and its change days (K = G + S stops;
    repeats and padding give empty steps). A step of ``dt`` days applies ``Phi^(2^k)`` for each set bit of
    ``dt`` (the identity for clear bits), then adds the flows of the step integral ``dI`` to the running
    totals (sequential per replication), which are copied out at grid stops. Nothing is
    clipped: ``A`` is Metzler, so the ``Phi^(2^k)`` blocks are >= 0 and, computed as a Taylor sum on a
    matrix of norm <= 1 (its diagonal >= -1, so no cancellation flips a sign) and then products of
    non-negative matrices, they stay >= 0 as rounded; so does ``x`` (the property test checks it).
    """
    Rc, n = x0.shape
    C, G, m = coef.C, days.size, coef.m
    ar = np.arange(Rc)
    live = np.minimum(starts, days[-1])  # padding becomes repeats of the last day (empty steps)
    stops = np.sort(np.concatenate([np.broadcast_to(days, (Rc, G)), live], axis=1), axis=1)
    K = stops.shape[1]
    S = starts.shape[1]
    # Each row's segments and stops are sorted: offset each row past the last's, and one search finds all
    # (padding past the last day clipped to the day after it: it still starts after every stop).
    span = int(days[-1]) + 2
    lift = (ar * span)[:, None]
    nseg = np.searchsorted((np.minimum(starts, span - 1) + lift).ravel(), (stops + lift).ravel(),
                           side="right").reshape(stops.shape)
    nseg -= (ar * S)[:, None]  # segments starting on or before each stop
    cfg_at = np.take_along_axis(configs, nseg - 1, axis=1)  # config in force on each stop day
    dt = np.diff(stops, axis=1).T.copy()  # (K-1, Rc): step k goes from stop k-1 to stop k
    src = (own[:, None] * C + cfg_at[:, :-1]).T.copy()  # (K-1, Rc) (owner, config of the step's first day)
    nbits = int(dt.max()).bit_length()
    # Grid day g is stop pos[r, g]: after the g earlier grid days and the change days before it (the
    # first of its repeats); at[k, r] is the grid index reached at stop k, or -1.
    pos = np.searchsorted((live + lift).ravel(), (days + lift).ravel(), side="left").reshape(Rc, G)
    pos += np.arange(G) - (ar * S)[:, None]
    at = np.full((K, Rc), -1, dtype=np.int64)
    at[pos, ar[:, None]] = np.arange(G)
    # State [x, integral, metric_cum, transfer_in, inflow, outflow, transfer_out] by row, the replications
    # along each row (contiguous: the step's arithmetic runs along them), copied into the (Rc * G, width) row
    # views of the outputs a block of stops at a time: no buffer that grows with K or G.
    o, width = 2 * n + m, 6 * n + m
    dest = full[rows].reshape(-1, width + m)  # (replications * G, width + m)
    weights, acc = coef.W.reshape(coef.R * C, m, n), np.zeros((coef.R * G * (width + m)) if add else 0)
    cols = np.arange(width + m)
    block = max(1, min(K, BLOCK_BYTES // (width * Rc * 8)))
    kept, final = np.empty((block, Rc, width)), K - 1 if nbits else 0  # no step: only stop 0 is played
    # Stops at which every row reaches the same grid day (every stop of a counterfactual of one config, a
    # trajectory's until the first change) are copied straight to that day: no buffer, no gather.
    sync = (at.min(axis=1) == at.max(axis=1)) & (at[:, 0] >= 0)
    by_day = full[rows]  # (replications, G, width + m)

    def record(k: int, state: FloatArray) -> None:
        """Keep ``state`` at stop ``k``: the rows that reached a grid day at stops ``k - block + 1 .. k`` are
        copied into the outputs once the block is full (or at the last stop) or, with ``add``, added at once,
        with the metric of each copy on that day, into their replication's (one flat ``add.at``: copies of a
        replication can reach a grid day at the same stop)."""
        if add:
            hit = np.flatnonzero(at[k] >= 0)
            if hit.size:
                part = np.ascontiguousarray(state[:, hit].T)
                metric = np.einsum("hmn,hn->hm", weights[own[hit] * C + cfg_at[hit, k]], part[:, :n])
                flat = ((own[hit] * G + at[k, hit])[:, None] * (width + m) + cols).ravel()
                np.add.at(acc, flat, np.concatenate([part, metric], axis=1).ravel())
            return
        if sync[k]:
            by_day[:, at[k, 0], :width] = state.T
        else:
            kept[k % block] = state.T
        if k % block != block - 1 and k != final:
            return
        k0 = k - k % block
        step, row = np.nonzero((at[k0 : k + 1] >= 0) & ~sync[k0 : k + 1, None])
        if step.size:
            dest[row * G + at[k0 + step, row], :width] = kept[step, row]  # (hits, width)

    state = np.zeros((width, Rc))
    state[:n] = x0.T
    record(0, state)
    if nbits:
        used = np.zeros((coef.R, C), dtype=bool)
        used[own[:, None], cfg_at] = True  # configs some stop is in; padding configs are never read
        (qtab, entry), (dense, diag) = propagators(coef, nbits, used), flow_tables(coef)
        at_entry, D = entry[src], (len(qtab) - 1) // nbits  # (K-1, Rc) each step's table entry
        phis, flows, rates = Gathered(qtab, n + 1), Gathered(dense, n), Gathered(diag, 4)
        bits = np.arange(nbits)[:, None]  # bit b of every replication's step length
        x, tot = state[:n].copy(), state[n:]
        for k in range(1, K):
            step = dt[k - 1]
            top = int(step.max()).bit_length()
            if top:
                # Table rows of Phi^(2^bit) for set bits, of the identity (the last row) for clear ones.
                flat = np.where((step >> bits[:top]) & 1 == 1, at_entry[k - 1] + bits[:top] * D,
                                len(qtab) - 1)
                inc = np.zeros((n, Rc))
                for bit in range(top):
                    y = _apply(phis(flat[bit]), x, last=w)
                    x = y[:n]
                    inc += y[n:]
                state[:n] = x
                tot[:n] += inc
                tot[n:o] += _apply(flows(src[k - 1]), inc, with_last=False)  # metric_cum, transfer_in
                dg = rates(src[k - 1])
                lin = dg[:3] * inc  # g dI, d dI, sum_j T_ij dI
                lin[0] += dg[3] * (step if w is None else step * w)  # + b dt
                tot[o:] += lin.reshape(3 * n, Rc)
            record(k, state)
    if add:
        full[rows] = acc.reshape(coef.R, G, width + m)
        return
    x_at = full[rows, :, :n]
    wsel = own[:, None] * C + np.take_along_axis(cfg_at, pos, axis=1)  # config in force on the grid day
    metric = full[rows, :, width:]
    metric[...] = coef.W[..., 0].reshape(coef.R * C, m).take(wsel, axis=0) * x_at[..., 0, None]
    for i in range(1, n):
        metric += coef.W[..., i].reshape(coef.R * C, m).take(wsel, axis=0) * x_at[..., i, None]


def conservation_error(traj: Trajectory, x0: npt.ArrayLike) -> float:
    """Largest stock-accounting residual, relative to the size of the replication's numbers.

    ``max over r, g, i of |x - x0 - (inflow - outflow + transfer_in - transfer_out)| / max(1, scale_r)``,
    where ``scale_r`` is the largest absolute value among ``x0`` and all stocks and flow totals of
    replication r.

    Args:
        traj: a solution from :func:`solve`.
        x0: ``(R, n)`` the initial stocks passed to :func:`solve`.

    Returns:
        The residual (0.0 for an empty trajectory); ~1e-14 for a correct solve (stocks come from the
        propagators and flows from step integrals, so rounding drifts slowly with the number of steps).

    Example:
        >>> import numpy as np
        >>> z = np.zeros((1, 1, 1))
        >>> coef = Coefficients(b=z + 10.0, g=z, d=z + 0.1, T=np.zeros((1, 1, 1, 1)), W=np.ones((1, 1, 1, 1)))
        >>> traj = solve(np.ones((1, 1)), coef, np.array([[0]]), np.array([[0]]), np.arange(30))
        >>> conservation_error(traj, np.ones((1, 1))) < 1e-12
        True
    """
    x0a = np.asarray(x0, dtype=np.float64)
    want = (traj.stocks.shape[0], traj.stocks.shape[2])
    if x0a.shape != want:
        raise ValueError(f"x0: expected shape {want}, got {x0a.shape}")
    if traj.stocks.size == 0:
        return 0.0
    net = traj.inflow - traj.outflow + traj.transfer_in - traj.transfer_out
    resid = np.abs(traj.stocks - x0a[:, None, :] - net)
    parts = (traj.stocks, traj.inflow, traj.outflow, traj.transfer_in, traj.transfer_out)
    scale = np.max(np.abs(x0a), axis=1)
    for arr in parts:
        scale = np.maximum(scale, np.max(np.abs(arr), axis=(1, 2)))
    return float(np.max(np.max(resid, axis=(1, 2)) / np.maximum(1.0, scale)))
