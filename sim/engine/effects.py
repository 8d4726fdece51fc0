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
from sim.scenario.calendar import add_month_span
from sim.scenario.effects import EFFECTS, EffectBase
from sim.scenario.schema import Measure, Scenario, Shock

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EffectRef:
    """One effect of one measure (``measure`` < the number of measures) or of a shock (shock ``measure - M``),
    with the indices it acts on."""

    measure: int
    index: int
    effect: EffectBase
    src: int
    dst: int
    metric: int  # -1: every metric


def effect_refs(scenario: Scenario) -> list[EffectRef]:
    """Every effect of every measure, then of every shock, with population and metric indices resolved."""
    pops = {p.id: i for i, p in enumerate(scenario.populations)}
    metrics = {m.id: i for i, m in enumerate(scenario.metrics)}
    out = []
    owners: list[Measure | Shock] = [*scenario.measures, *scenario.shocks]
    for mi, m in enumerate(owners):
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
    scale_T: FloatArray  # (R, S, n, n) factor on what effects transfer from i to j (``scale_effects``)
    scale_out: FloatArray  # (R, S, n) factor on the outflow effects add to each population (``scale_effects``)


Act = Callable[[Acted, EffectRef, FloatArray, FloatArray], None]
"""``act(arrays, ref, I, v)``: apply an effect of intensity ``I`` (R, S) and value ``v`` (R, 1)."""


Schedule = Callable[[float], list[tuple[int, float]]]
"""``schedule(v)``: the ``(days after the measure takes effect, rate)`` steps of an effect whose rate changes
with time in force, for its value ``v``; its intensity column then holds intensity x rate."""


@dataclass(frozen=True)
class Action:
    """How one effect type acts: ``act`` on the arrays; ``value`` turns the drawn key into the value ``v``;
    ``first``: it acts before the others (it sets factors they read); ``schedule``: its rate over time in force
    (see :data:`Schedule`)."""

    act: Act
    value: Callable[[str, FloatArray], FloatArray] = lambda key, drawn: drawn
    first: bool = False
    schedule: Schedule | None = None


def _scale_inflow(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    a.scale_in[:, :, ref.src] *= 1.0 - lv * (1.0 - v)


def _raise_outflow(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    a.extra_out[:, :, ref.src] += lv * v * a.scale_out[:, :, ref.src]


def _transfer(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    a.T[:, :, ref.src, ref.dst] += lv * v * a.scale_T[:, :, ref.src, ref.dst]


def _transfer_rate(key: str, drawn: FloatArray) -> FloatArray:
    """A ``rate`` as drawn; a ``time_constant`` (at least a day) as its inverse."""
    return drawn if key == "rate" else 1.0 / np.maximum(drawn, 1.0)


def _stop_updates(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    a.unpatched[:, :, ref.src] = np.maximum(a.unpatched[:, :, ref.src], lv)


def _scale_exposure(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    for k in range(a.expo.shape[2]) if ref.metric < 0 else [ref.metric]:
        a.expo[:, :, k, ref.src] *= 1.0 - lv * (1.0 - v)


def _retire_over(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    a.extra_out[:, :, ref.src] += lv * a.scale_out[:, :, ref.src]  # lv: intensity x the schedule's rate


RETIRE_STEP = 7
"""Days per step of a ``retire_over`` schedule (the last step may be shorter)."""
RETIRE_LEFT = 1e-9
"""The share of its stock a ``retire_over`` population keeps through its last step."""


def retirement(life: float) -> list[tuple[int, float]]:
    """The ``(day after taking effect, per-capita rate)`` steps that retire a stock linearly over ``life`` days.

    The rate of step ``[t, u)`` is ``ln((L - t) / (L - u)) / (u - t)`` (``L``: the life in whole days), so a
    stock with no other flow is ``x0 (1 - t / L)`` exactly on every step day; in between it declines
    exponentially. The last step cannot reach 0 at a finite rate: it keeps :data:`RETIRE_LEFT` of its stock.
    After ``L`` the rate is 0.

    Example:
        >>> [(t, round(r, 4)) for t, r in retirement(14)]
        [(0, 0.099), (7, 2.9605), (14, 0.0)]
    """
    L = max(1, round(life))
    ends = sorted({min(L, k * RETIRE_STEP) for k in range(1, -(-L // RETIRE_STEP) + 1)})
    steps, start = [], 0
    for end in ends:
        left = (L - end) / (L - start) if end < L else RETIRE_LEFT
        steps.append((start, float(np.log(1.0 / left) / (end - start))))
        start = end
    return [*steps, (L, 0.0)]


def _scale_effects(a: Acted, ref: EffectRef, lv: FloatArray, v: FloatArray) -> None:
    factor = 1.0 - lv * (1.0 - v)
    if ref.dst != ref.src:  # `to` given: only the transfers to it
        a.scale_T[:, :, ref.src, ref.dst] *= factor
        return
    a.scale_out[:, :, ref.src] *= factor
    for j in range(a.scale_T.shape[2]):
        a.scale_T[:, :, ref.src, j] *= factor


ACTIONS: dict[str, Action] = {
    "scale_inflow": Action(_scale_inflow),
    "raise_outflow": Action(_raise_outflow),
    "transfer": Action(_transfer, _transfer_rate),
    "stop_updates": Action(_stop_updates),
    "scale_exposure": Action(_scale_exposure),
    "retire_over": Action(_retire_over, schedule=retirement),
    "scale_effects": Action(_scale_effects, first=True),
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
        values.append(ACTIONS[e.type].value(key, draws.values(effect_stream(scenario, ref, key), getattr(e, key))))
    return values


def effect_stream(scenario: Scenario, ref: EffectRef, key: str) -> str:
    """The stream an effect's ``key`` is drawn from: ``param:measures.<id>.effects.<i>.<key>``, or
    ``param:shocks.<id>...`` for a shock's effect."""
    M = len(scenario.measures)
    owner = f"measures.{scenario.measures[ref.measure].id}" if ref.measure < M else \
        f"shocks.{scenario.shocks[ref.measure - M].id}"
    return f"param:{owner}.effects.{ref.index}.{key}"


def calendar_months(scenario: Scenario, draws: ChunkDraws, refs: list[EffectRef]) -> list[FloatArray | None]:
    """Per effect with a schedule whose value is a duration written in months (``life: 5y``): its draws in
    calendar months, from the stream of its value (``None`` for every other effect)."""
    out: list[FloatArray | None] = []
    for ref in refs:
        key = EFFECTS[ref.effect.type].value_key(ref.effect)
        dist = getattr(ref.effect, key) if key is not None else None
        if key is None or dist is None or ACTIONS[ref.effect.type].schedule is None or not dist.month_params:
            out.append(None)
            continue
        out.append(draws.month_values(effect_stream(scenario, ref, key), dist))
    return out


def schedule_from(schedule: Schedule, value: float, months: float | None, day0: int
                  ) -> Callable[[int], list[tuple[int, float]]]:
    """An effect's schedule from each day its measure takes effect: for ``value`` days, or, for a duration
    written in months, for ``months`` calendar months from that day (``docs/calendar.md`` rule 3).

    Example:
        >>> from sim.scenario.calendar import parse_iso_date
        >>> schedule_from(retirement, 30.44, 1.0, parse_iso_date("2024-01-01"))(31)[-1]  # 2024-02-01 + 1mo
        (29, 0.0)
        >>> schedule_from(retirement, 30.44, None, 0)(31)[-1]  # 30.44 days, in whole days
        (30, 0.0)
    """
    def at(day: int) -> list[tuple[int, float]]:
        life = value if months is None else add_month_span(day0 + day, months) - (day0 + day)
        return schedule(life)
    return at
