"""The coefficients of the stock dynamics on segments, from the effects' intensities there.

With intensities ``I_e`` per segment (:mod:`sim.engine.segments`) the coefficients of
:mod:`sim.engine.dynamics` are, per population ``i``:

* inflow ``b_i = a_i * prod_e (1 - I_e (1 - f_e))`` over ``scale_inflow`` effects; with a ceiling ``K`` the
  inflow tapers linearly, ``a (K - x) / (K - x0)``, i.e. ``b = a K / (K - x0)`` and ``g = -a / (K - x0)``;
* outflow ``d_i = churn_i + S_i sum_e I_e extra_e`` over ``raise_outflow`` effects, and ``S_i I_e h_e(t)``
  per ``retire_over`` effect, ``h_e`` its retirement rate ``t`` days after its measure (re)took effect
  (:func:`sim.engine.effects.retirement`);
* transfers ``T_ij = flow_ij + S_ij sum_e I_e rate_e`` over ``transfer`` effects; ``S_i`` and ``S_ij`` are
  ``prod_e (1 - I_e (1 - f_e))`` over ``scale_effects`` effects of population ``i`` (``S_ij``: also those
  with ``to: j``), 1 without any;
* metric weights ``W_ki = sum_terms w * U * M * prod_e (1 - I_e (1 - f_e))``, where ``U`` is the unpatched
  share (the largest ``stop_updates`` intensity) for ``only: unpatched`` terms, ``M`` is 1 while the
  ``while`` measure is in force, and the product runs over ``scale_exposure`` effects of that population.

Each type's part of these formulas is its action in :data:`sim.engine.effects.ACTIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.engine.coefficients import Coefficients
from sim.engine.effects import ACTIONS, Acted, EffectRef
from sim.scenario.errors import DocketError
from sim.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class Params:
    """Per-replication parameter draws of a chunk (arrays over replications)."""

    x0: FloatArray  # (R, n)
    inflow: FloatArray  # (R, n)
    churn: FloatArray  # (R, n)
    ceiling: FloatArray  # (R, n), inf without a ceiling
    flows: FloatArray  # (R, n, n)
    weights: list[FloatArray]  # per term of each metric, (R,), flattened in metric/term order
    effect_value: list[FloatArray]  # per effect: factor, extra, rate or 1/time_constant, (R,)

    def take(self, rows: IntArray, effects: bool = True) -> Params:
        """The draws of replications ``rows`` (one entry per row, repeats allowed); without ``effects``, no
        effect values (:func:`from_acted` reads none: one per effect and row would be most of the memory)."""
        return Params(self.x0[rows], self.inflow[rows], self.churn[rows], self.ceiling[rows], self.flows[rows],
                      [w[rows] for w in self.weights], [v[rows] for v in self.effect_value] if effects else [])


def coefficients(scenario: Scenario, refs: list[EffectRef], params: Params, level: FloatArray,
                 flags: FloatArray) -> Coefficients:
    """Coefficients for ``(R, S)`` segments from effect intensities ``level`` (R, S, E) and in-force ``flags``
    (R, S, M).

    Example:
        See ``tests/test_segments.py``.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by name below
        b, g, d, T, W = _coefficient_arrays(scenario, refs, params, level, flags)
    _require_finite(scenario, b, W)
    return Coefficients(b=b, g=g, d=d, T=T, W=W)


def _require_finite(scenario: Scenario, b: FloatArray, W: FloatArray) -> None:
    """Raise a :class:`DocketError` naming the population whose inflow, or the metric whose weight on a
    population, overflows: values within their limits can still multiply beyond a float (many large factors)."""
    for i, p in enumerate(scenario.populations):
        if not np.isfinite(b[..., i]).all():
            raise DocketError(f"population `{p.id}` inflow overflows: its inflow times the factors that scale it "
                              "is not a finite number; check the units of large rates and factors (see "
                              "docs/scenario-format.md, Limits)")
    for k, metric in enumerate(scenario.metrics):
        if not np.isfinite(W[:, :, k]).all():
            raise DocketError(f"metric `{metric.id}` overflows: a weight times the factors that scale it is not a "
                              "finite number; check its weights and `scale_exposure` factors (see "
                              "docs/scenario-format.md, Limits)")


def _coefficient_arrays(scenario: Scenario, refs: list[EffectRef], params: Params, level: FloatArray,
                        flags: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The arrays ``b, g, d, T, W`` of :class:`Coefficients` (see :func:`coefficients`)."""
    (R, S), n, m = level.shape[:2], len(scenario.populations), len(scenario.metrics)
    acted = Acted(scale_in=np.ones((R, S, n)), extra_out=np.zeros((R, S, n)),
                  T=np.broadcast_to(params.flows[:, None], (R, S, n, n)).copy(), unpatched=np.zeros((R, S, n)),
                  expo=np.ones((R, S, m, n)), scale_T=np.ones((R, S, n, n)), scale_out=np.ones((R, S, n)))
    order = sorted(range(len(refs)), key=lambda e: not ACTIONS[refs[e].effect.type].first)  # stable
    for e in order:  # in the order written, those that scale the others first (see sim.engine.effects)
        ACTIONS[refs[e].effect.type].act(acted, refs[e], level[:, :, e], params.effect_value[e][:, None])
    return from_acted(scenario, params, acted, {mi: flags[:, :, mi] for mi in while_measures(scenario)})


def while_measures(s: Scenario) -> set[int]:
    """The measures some metric term counts only while in force (their in-force flags are all
    :func:`from_acted` reads)."""
    ids = {mm.id: i for i, mm in enumerate(s.measures)}
    return {ids[term.while_] for metric in s.metrics for term in metric.terms if term.while_ is not None}


def from_acted(scenario: Scenario, params: Params, acted: Acted, flags: Mapping[int, FloatArray]
               ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The arrays ``b, g, d, T, W`` of :class:`Coefficients` of ``(R, S)`` segments from what effects act on
    (``acted``, changed in place) and the in-force ``flags`` (measure -> (R, S), for the
    :func:`while_measures`)."""
    (R, S), n, m = acted.scale_in.shape[:2], len(scenario.populations), len(scenario.metrics)
    scale_in, extra_out, T, unpatched, expo = acted.scale_in, acted.extra_out, acted.T, acted.unpatched, acted.expo
    a = params.inflow[:, None, :] * scale_in
    K, x0 = params.ceiling[:, None, :], params.x0[:, None, :]
    capped = np.isfinite(K)
    room = np.where(capped, K - x0, 1.0)
    b = np.where(capped, a * np.where(capped, K, 0.0) / room, a)
    g = np.where(capped, -a / room, 0.0)
    d = params.churn[:, None, :] + extra_out
    W = np.zeros((R, S, m, n))
    measures = {mm.id: i for i, mm in enumerate(scenario.measures)}
    pops = {p.id: i for i, p in enumerate(scenario.populations)}
    terms = [(k, term) for k, metric in enumerate(scenario.metrics) for term in metric.terms]
    for t, (k, term) in enumerate(terms):  # params.weights: one per term, in this order
        i = pops[term.population]
        w = params.weights[t][:, None] * expo[:, :, k, i]
        if term.only == "unpatched":
            w = w * unpatched[:, :, i]
        if term.while_ is not None:
            w = w * flags[measures[term.while_]]
        W[:, :, k, i] += w
    idx = np.arange(n)
    T[:, :, idx, idx] = 0.0
    return b, g, d, T, W
