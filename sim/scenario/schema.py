"""The scenario format as typed, frozen, strict pydantic models (``docs/scenario-format.md`` documents it).

Unknown keys are errors (``extra="forbid"``), so a misspelt or mis-indented key never goes unnoticed. Values
use the quantity types of :mod:`sim.scenario.fields`; references between items (a flow's populations, a measure's
events) are checked in :mod:`sim.scenario.crosschecks`, because they need the whole scenario.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from sim.scenario.checkkinds import kind_type
from sim.scenario.effects import EffectBase, effect_union
from sim.scenario.errors import DocketError
from sim.scenario.extensions import Decision, Step, Stricter
from sim.scenario.fields import (
    ID_REGEX,
    READ_WHOLE,
    Bound,
    Count,
    Factor,
    PerCapita,
    Probability,
    Rate,
    Share,
    Span,
    When,
    Whole,
)
from sim.scenario.strict import Strict

Id = Annotated[str, Field(pattern=ID_REGEX, description="an identifier: letters, digits and _")]
Name = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", description="a short name: letters, digits, _ . -")
]
FORMAT_VERSION: Literal[1] = 1


class Source(Strict):
    """A document that values cite by ``id``; ``assumption`` is reserved for modelling choices."""

    id: Id
    title: str
    publisher: str | None = None
    url: str | None = None
    date: When | None = None
    note: str | None = None


class Window(Strict):
    """The simulated period: ``start`` is day 0; ``end`` is the last reported date."""

    start: When
    end: When


class Population(Strict):
    """A stock: users, installed devices, subscribers, vehicles."""

    id: Id
    title: str | None = None
    kind: Literal["users", "devices", "subscribers", "vehicles", "accounts", "other"] = "users"
    unit: str | None = None
    initial: Count
    inflow: Rate | None = None
    outflow: PerCapita | None = None
    ceiling: Count | None = None
    source: str | None = None
    note: str | None = None


class Flow(Strict):
    """A standing per-capita flow from one population to another (substitution, migration)."""

    id: Id
    title: str | None = None
    from_: str = Field(alias="from")
    to: str
    rate: PerCapita
    source: str | None = None


class Event(Strict):
    """An uncertain event (a deal, a summit, a ruling): occurs with ``probability`` on ``date``."""

    id: Id
    title: str | None = None
    probability: Probability | None = None
    date: When
    requires: list[str] = []
    source: str | None = None
    note: str | None = None


if TYPE_CHECKING:
    Effect = EffectBase
    CheckKindName = str
else:  # from the registries: the union of the effect types, told apart by `type`; the check kinds' names
    Effect = effect_union()
    CheckKindName = kind_type()


class Deferral(Strict):
    """Each deadline is pushed back with ``probability``: by ``delay`` up to ``max`` times, or by the next
    entry of ``schedule``; or by a chain of ``steps``, each with its own probability and length."""

    probability: Probability | None = None
    delay: Span | None = None
    max: Whole | None = Field(default=None, ge=1, le=100)
    schedule: list[Span] | None = None
    steps: list[Step] | None = Field(default=None, min_length=1)
    stricter: Stricter | None = None
    source: str | None = None


class Renewal(Strict):
    """A waiver is renewed at its end with ``probability`` for ``period``, at most ``max`` times."""

    probability: Probability
    period: Span
    max: Whole = Field(default=1, ge=1, le=100)


class Waiver(Strict):
    """A share of the target is exempt from ``from`` until ``until`` (exclusive) or for ``duration``."""

    id: Id
    title: str | None = None
    share: Share
    from_: When | None = Field(default=None, alias="from")
    until: When | None = None
    duration: Span | None = None
    probability: Probability | None = None
    renewal: Renewal | None = None
    source: str | None = None


class Revival(Strict):
    """How a shelved measure comes back: when an event occurs, or with a hazard; after ``delay``."""

    on: str | None = None
    hazard: PerCapita | None = None
    delay: Span | None = None


class Shelving(Strict):
    """The measure is put on hold indefinitely: on an event, on a date, or with a hazard per time."""

    on: str | None = None
    date: When | None = None
    hazard: PerCapita | None = None
    probability: Probability | None = None
    revive: Revival | None = None
    source: str | None = None


class Appeal(Strict):
    """After an injunction, an appeal is decided ``decision`` later and reverses it with ``reversal``."""

    probability: Probability
    decision: Span
    reversal: Probability


class Challenge(Strict):
    """A lawsuit: filed on ``filed``, decided on ``decision``; an injunction with ``injunction`` chance."""

    id: Id
    title: str | None = None
    filed: When | None = None
    decision: When
    injunction: Probability
    appeal: Appeal | None = None
    source: str | None = None


class Cohort(Strict):
    """A group of the members a measure applies to, each with its own date: ``members`` members sharing
    ``share`` of every population the measure acts on; member ``j`` is bound from its start (``start``, drawn
    for each member, or the ``j``-th of ``starts``) plus ``period``."""

    id: Id
    title: str | None = None
    share: Share
    members: Whole | None = Field(default=None, le=10_000)
    start: When | None = None
    starts: list[When] | None = None
    period: Span | None = None
    source: str | None = None


class Ruling(Challenge):
    """One lawsuit (and its appeal) shared by several ``measures``: drawn once per replication, it enjoins
    each of them."""

    measures: list[str] = Field(min_length=1)


class Measure(Strict):
    """A government measure with a deadline, its effects while in force, and what can move or stop it."""

    id: Id
    title: str | None = None
    label: str | None = Field(default=None, max_length=40)
    authority: str | None = None
    description: str | None = None
    deadline: When
    effects: list[Effect] = Field(min_length=1)
    deferral: Deferral | None = None
    decisions: list[Decision] = []
    waivers: list[Waiver] = []
    shelving: Shelving | None = None
    challenges: list[Challenge] = []
    lifted_by: list[str] = []
    unless: list[str] = []
    cohorts: list[Cohort] | None = None
    source: str | None = None
    note: str | None = None


class Shock(Strict):
    """A shock that is not a government measure (an outage, a migration wave): from ``date``, for ``duration``
    (default: to the end of the window), its effects act at ``intensity`` in the factual run and in the
    counterfactual alike, so exposure avoided counts only the measures."""

    id: Id
    title: str | None = None
    date: When
    duration: Span | None = None
    probability: Probability | None = None
    intensity: Share | None = None
    effects: list[Effect] = Field(min_length=1)
    source: str | None = None
    note: str | None = None


class Term(Strict):
    """One population in a metric: ``weight`` per member; ``only: unpatched`` counts it only while its
    updates are stopped; ``while`` counts it only while a measure is in force."""

    population: str
    weight: Factor | None = None
    only: Literal["all", "unpatched"] = "all"
    while_: str | None = Field(default=None, alias="while")


class Metric(Strict):
    """An exposure metric: a weighted sum of populations, with its cumulative integral over time."""

    id: Id
    title: str | None = None
    unit: str | None = None
    terms: list[Term] = Field(min_length=1)
    source: str | None = None


class Expectation(Strict):
    """An expectation on a run, checked by ``docket test``: a statistic of a series, or a probability.

    ``quantity`` chooses which series of ``target`` a ``series`` check reads (default: ``stock`` for a
    population, ``cumulative`` for a metric); ``date`` defaults to the end of the window.
    """

    id: Id
    title: str | None = None
    kind: CheckKindName
    target: str
    quantity: Literal["stock", "value", "cumulative", "avoided"] | None = None
    from_: When | None = Field(default=None, alias="from")
    date: When | None = None
    n: Whole | None = Field(default=None, ge=1, le=100)
    stat: Literal["mean", "median", "p05", "p10", "p25", "p50", "p75", "p90", "p95"] = "median"
    min: Bound | None = None
    max: Bound | None = None


class Fact(Strict):
    """One dated fact of the record, naming the uncertain part of the scenario it settles (exactly one of
    ``event``, ``shock``, ``decision``, ``challenge``, ``appeal``, ``deferral``; :mod:`sim.scenario.record`
    reads them)."""

    date: When
    event: str | None = None
    shock: str | None = None
    decision: str | None = None
    challenge: str | None = None
    injunction: bool | None = None
    appeal: str | None = None
    reversal: bool | None = None
    deferral: str | None = None
    delay: Span | None = None
    title: str | None = None
    source: str | None = None
    note: str | None = None


class Record(Strict):
    """What happened after ``as_of``, up to ``until``, as facts about the scenario's own uncertain parts: a run
    as seen on a date (``docket run --as-of``) fixes the facts up to it and conditions the rest."""

    until: When
    facts: list[Fact] = []
    source: str | None = None
    note: str | None = None


class Expectations(Strict):
    """The regression contract of a scenario: a baseline file, the replications to test with, and checks."""

    baseline: str | None = None
    replications: Whole | None = Field(default=None, ge=1, le=10_000_000)
    checks: list[Expectation] = []


class Variant(Strict):
    """A named what-if: ``changes`` is merged over the scenario (see ``docs/scenario-format.md``)."""

    id: Id
    title: str | None = None
    description: str | None = None
    changes: dict[str, Any] = {}


class Scenario(Strict):
    """A whole scenario file, after ``extends`` and the chosen variant have been merged."""

    format: Annotated[Literal[1], READ_WHOLE] = FORMAT_VERSION
    name: Name
    title: str
    description: str | None = None
    as_of: When | None = None
    extends: str | None = None
    variant: str | None = None
    sources: list[Source] = []
    window: Window
    report: Literal["day", "week", "month"] = "week"
    replications: Whole = Field(default=1000, ge=1, le=10_000_000)
    seed: Whole = Field(default=0, ge=0, le=2**63 - 1)
    key_dates: list[When] = []
    populations: list[Population] = Field(min_length=1)
    flows: list[Flow] = []
    events: list[Event] = []
    measures: list[Measure] = []
    shocks: list[Shock] = []
    rulings: list[Ruling] = []
    metrics: list[Metric] = []
    expectations: Expectations | None = None
    record: Record | None = None
    variants: list[Variant] = []
    _days: tuple[int, int] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _window_days(self) -> Scenario:
        # The window's day numbers, resolved once (the cross-checks refuse a window without fixed dates).
        start, end = self.window.start.fixed_day(), self.window.end.fixed_day()
        self._days = (start, end) if start is not None and end is not None else None
        return self

    @property
    def start_day(self) -> int:
        """The day number of ``window.start`` (day 0 of the simulation)."""
        return self._window_days_or_raise()[0]

    @property
    def end_day(self) -> int:
        """The day number of ``window.end`` (the last reported date)."""
        return self._window_days_or_raise()[1]

    def _window_days_or_raise(self) -> tuple[int, int]:
        if self._days is None:
            raise DocketError("the window needs fixed start and end dates")
        return self._days


def use_registries() -> None:
    """Rebuild the models after an effect type or a check kind was added to (or removed from) its registry,
    :data:`sim.scenario.effects.EFFECTS` or :data:`sim.scenario.checkkinds.CHECK_KINDS`."""
    Measure.model_fields["effects"].annotation = list[effect_union()]  # type: ignore[assignment, misc]
    Shock.model_fields["effects"].annotation = list[effect_union()]  # type: ignore[assignment, misc]
    Expectation.model_fields["kind"].annotation = kind_type()
    for model in (Measure, Shock, Expectation, Expectations, Scenario):
        model.model_rebuild(force=True)
