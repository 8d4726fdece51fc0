"""The registry of effect types: each type's schema model, its documentation row and the keys it draws.

An effect acts on the stock dynamics while its measure is in force. Each type is one :class:`EffectType` in
:data:`EFFECTS`: its pydantic model (the keys it takes), the row of its table in ``docs/scenario-format.md``,
and ``value_keys``, the keys holding the uncertain value the engine draws for it (none, one, or several of
which exactly one must be given, e.g. a transfer's ``rate`` or ``time_constant``). How each type acts on the
coefficients is its entry in :data:`sim.engine.effects.ACTIONS`, which names the same types (a test checks).
``docs/architecture.md`` has the recipe for adding a type.

Example:
    >>> [t.name for t in EFFECTS.values()]
    ['scale_inflow', 'raise_outflow', 'transfer', 'stop_updates', 'scale_exposure', 'retire_over', 'scale_effects']
    >>> EFFECTS["transfer"].value_keys
    ('rate', 'time_constant')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field

from sim.scenario.fields import Factor, PerCapita, Span, Whole
from sim.scenario.strict import Strict


class EffectBase(Strict):
    """The keys every effect takes: a phase-in, its steps, a source and a note."""

    type: str
    phase_in: Span | None = None
    steps: Whole | None = Field(default=None, ge=1, le=365)
    source: str | None = None
    note: str | None = None

    def acts_on(self) -> tuple[str, str, str | None]:
        """The population the effect acts on, the one it moves members to (the same if none), and the metric
        it is limited to (``None``: every metric, or none)."""
        population: str = self.population  # type: ignore[attr-defined]  # every type without one overrides
        return population, population, None


class ScaleInflow(EffectBase):
    """Multiply a population's inflow by ``factor`` while in force (0 blocks it)."""

    type: Literal["scale_inflow"]
    population: str
    factor: Factor


class RaiseOutflow(EffectBase):
    """Add an extra per-capita outflow while in force."""

    type: Literal["raise_outflow"]
    population: str
    extra: PerCapita


class Transfer(EffectBase):
    """Move a population to another at a per-capita ``rate`` (or ``1 / time_constant``) while in force."""

    type: Literal["transfer"]
    from_: str = Field(alias="from")
    to: str
    rate: PerCapita | None = None
    time_constant: Span | None = None

    def acts_on(self) -> tuple[str, str, str | None]:
        """From ``from`` to ``to``, in every metric."""
        return self.from_, self.to, None


class StopUpdates(EffectBase):
    """Existing installs stop receiving updates: they count as unpatched while in force."""

    type: Literal["stop_updates"]
    population: str


class ScaleExposure(EffectBase):
    """Multiply a population's exposure weight (in one metric, or all) by ``factor`` while in force."""

    type: Literal["scale_exposure"]
    population: str
    factor: Factor
    metric: str | None = None

    def acts_on(self) -> tuple[str, str, str | None]:
        """The population, in ``metric`` (or every metric)."""
        return self.population, self.population, self.metric


class RetireOver(EffectBase):
    """Retire a population linearly over ``life`` while in force: with no other flow it falls to 0 at ``life``."""

    type: Literal["retire_over"]
    population: str
    life: Span


class ScaleEffects(EffectBase):
    """Multiply what the other effects move out of a population (transfers, extra outflow) by ``factor``."""

    type: Literal["scale_effects"]
    population: str
    factor: Factor
    to: str | None = None

    def acts_on(self) -> tuple[str, str, str | None]:
        """The population, and ``to`` if given (only the transfers to it are scaled)."""
        return self.population, self.to or self.population, None


@dataclass(frozen=True)
class EffectType:
    """One effect type: its model, its documentation row (keys, what it does) and the keys it draws."""

    name: str
    model: type[EffectBase]
    keys: str
    acts: str
    value_keys: tuple[str, ...] = ()

    def value_key(self, effect: EffectBase) -> str | None:
        """The key of ``effect`` that holds its drawn value: the first of :attr:`value_keys` given.

        Example:
            >>> t = EFFECTS["scale_inflow"]
            >>> t.value_key(t.model(type="scale_inflow", population="users", factor=0))
            'factor'
        """
        return next((k for k in self.value_keys if getattr(effect, k) is not None), None)

    def row(self) -> str:
        """Its row of the effect table in ``docs/scenario-format.md``."""
        return f"| `{self.name}` | {self.keys} | {self.acts} |"


EFFECTS: dict[str, EffectType] = {t.name: t for t in (
    EffectType("scale_inflow", ScaleInflow, "`population`, `factor`",
               "the population's inflow is multiplied by `factor` (0 blocks it, 2 doubles it)", ("factor",)),
    EffectType("raise_outflow", RaiseOutflow, "`population`, `extra` (per-capita rate)",
               "`extra` is added to the population's outflow", ("extra",)),
    EffectType("transfer", Transfer, "`from`, `to`, and `rate` (per-capita rate) **or** `time_constant` (duration)",
               "members move from `from` to `to` at `rate`, or at `1 / time_constant`", ("rate", "time_constant")),
    EffectType("stop_updates", StopUpdates, "`population`",
               "existing installs stop receiving updates: they count as unpatched in metric terms with "
               "`only: unpatched`"),
    EffectType("scale_exposure", ScaleExposure, "`population`, `factor`, `metric` (optional)",
               "the population's weight in `metric` (or in every metric) is multiplied by `factor`", ("factor",)),
    EffectType("retire_over", RetireOver, "`population`, `life` (duration)",
               "the population retires linearly over `life` from each day the measure takes effect: it falls to 0 "
               "at `life` if nothing else flows (exact at weekly steps; see Retirement over a fixed life)",
               ("life",)),
    EffectType("scale_effects", ScaleEffects, "`population`, `factor` (share), `to` (optional)",
               "what the other effects of any measure move out of the population (`transfer`s, to `to` only if "
               "given; `raise_outflow`, `retire_over`) is multiplied by `factor`; lift it with `lifted_by` to "
               "restore 100%", ("factor",)),
)}
"""Every effect type, by name, in the order documented (and tried by the schema's discriminated union)."""


def effect_union() -> Any:
    """The schema type of one effect: the union of the registered models, told apart by ``type``."""
    models = tuple(t.model for t in EFFECTS.values())
    return Annotated[models[0] if len(models) == 1 else _union(models), Field(discriminator="type")]


def _union(models: tuple[type[EffectBase], ...]) -> Any:
    union: Any = models[0]
    for model in models[1:]:
        union = union | model
    return union


def effect_names(last: str = "or") -> str:
    """The registered type names for a message: ``scale_inflow``, ``raise_outflow`` ... ``or`` the last one.

    Example:
        >>> effect_names().endswith("`retire_over` or `scale_effects`")
        True
    """
    names = [f"`{n}`" for n in EFFECTS]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"
