"""How each effect type acts on the coefficients of the stock dynamics: one :class:`Action` per type.

The types themselves (their keys, documentation row, the keys they draw) are registered in
:data:`sim.scenario.effects.EFFECTS`; :data:`ACTIONS` names the same types (a test checks). An action gets the
effect's intensity ``I`` per segment (``in_force x phase x (1 - waived share)``, :mod:`sim.engine.segments`) and
its drawn value ``v``, and changes the :class:`Acted` arrays in place (the formulas are at the top of
:mod:`sim.engine.segments`). Effects act in the order they are written, measure by measure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.engine.draws import ChunkDraws
from sim.scenario.effects import EFFECTS, EffectBase
from sim.scenario.schema import Scenario

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EffectRef:
    """One effect of one measure, with the indices it acts on."""

    measure: int
    index: int
    effect: EffectBase
    src: int
    dst: int
    metric: int  # -1: every metric


def effect_refs(scenario: Scenario) -> list[EffectRef]:
    """Every effect of every measure, with population and metric indices resolved."""
    pops = {p.id: i for i, p in enumerate(scenario.populations)}
    metrics = {m.id: i for i, m in enumerate(scenario.metrics)}
    out = []
    for mi, m in enumerate(scenario.measures):
        for ei, e in enumerate(m.effects):
            src, dst, metric = e.acts_on()
            out.append(EffectRef(mi, ei, e, pops[src], pops[dst], metrics[metric] if metric else -1))
    return out


@dataclass
class Acted:
    """What effects act on, for ``(R, S)`` segments of ``n`` populations and ``m`` metrics."""

    scale_in: FloatArray  # (R, S, n) factor on the inflow
    extra_out: FloatArray  # (R, S, n) added per-capita outflow
    T: FloatArray  # (R, S, n, n) per-capita transfers
    unpatched: FloatArray  # (R, S, n) share counted as unpatched
    expo: FloatArray  # (R, S, m, n) factor on each metric's weight of each population


Act = Callable[[Acted, EffectRef, FloatArray, FloatArray], None]
"""``act(arrays, ref, I, v)``: apply an effect of intensity ``I`` (R, S) and value ``v`` (R, 1)."""


@dataclass(frozen=True)
class Action:
    """How one effect type acts: ``act`` on the arrays; ``value`` turns the drawn key into the value ``v``."""

    act: Act
    value: Callable[[str, FloatArray], FloatArray] = lambda key, drawn: drawn


def _scale_inflow(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    a.scale_in[:, :, ref.src] *= 1.0 - lv * (1.0 - v)


def _raise_outflow(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    a.extra_out[:, :, ref.src] += lv * v


def _transfer(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    a.T[:, :, ref.src, ref.dst] += lv * v


def _transfer_rate(key: str, drawn: FloatArray) -> FloatArray:
    """A ``rate`` as drawn; a ``time_constant`` (at least a day) as its inverse."""
    return drawn if key == "rate" else 1.0 / np.maximum(drawn, 1.0)


def _stop_updates(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    a.unpatched[:, :, ref.src] = np.maximum(a.unpatched[:, :, ref.src], lv)


def _scale_exposure(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    for k in range(a.expo.shape[2]) if ref.metric < 0 else [ref.metric]:
        a.expo[:, :, k, ref.src] *= 1.0 - lv * (1.0 - v)


ACTIONS: dict[str, Action] = {
    "scale_inflow": Action(_scale_inflow),
    "raise_outflow": Action(_raise_outflow),
    "transfer": Action(_transfer, _transfer_rate),
    "stop_updates": Action(_stop_updates),
    "scale_exposure": Action(_scale_exposure),
}
"""The action of every effect type of :data:`sim.scenario.effects.EFFECTS`, by name."""


def effect_values(scenario: Scenario, draws: ChunkDraws, refs: list[EffectRef]) -> list[FloatArray]:
    """Each effect's value per replication (R,), drawn from ``param:measures.<id>.effects.<i>.<key>`` (1 for
    a type that draws nothing)."""
    values = []
    for ref in refs:
        e = ref.effect
        key = EFFECTS[e.type].value_key(e)
        if key is None:
            values.append(np.ones(draws.stop - draws.start))
            continue
        name = f"param:measures.{scenario.measures[ref.measure].id}.effects.{ref.index}.{key}"
        values.append(ACTIONS[e.type].value(key, draws.values(name, getattr(e, key))))
    return values
