"""The registry of check kinds: what each kind of expectation check reads, and its documentation.

Each kind is one :class:`CheckKind` in :data:`CHECK_KINDS`: what its ``target`` names, which ``quantity``
values it accepts, and its text in the ``kind`` row of the check table in ``docs/scenario-format.md``. How each
kind is evaluated on a run is its entry in :data:`sim.testing.expect.EVALUATORS`, which names the same kinds
(a test checks). ``docs/architecture.md`` has the recipe for adding a kind.

Example:
    >>> list(CHECK_KINDS)  # doctest: +NORMALIZE_WHITESPACE
    ['series', 'in_force', 'in_force_by', 'in_force_on', 'never_in_force', 'days_in_force', 'extensions',
     'extension_date', 'avoided']
    >>> CHECK_KINDS["in_force"].target, CHECK_KINDS["in_force"].quantities
    ('measure', ())
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

TARGETS: dict[str, str] = {"series": "population or metric", "measure": "measure", "metric": "metric"}
"""What a check's ``target`` may name, as the messages say it."""


@dataclass(frozen=True)
class CheckKind:
    """One kind of check.

    Attributes:
        name: the ``kind`` written in the scenario.
        target: what ``target`` names: ``series`` (a population or a metric), ``measure`` or ``metric``.
        quantities: the ``quantity`` values it accepts (the first is what it reads); ``()`` none; ``None``: by
            its target (``stock`` for a population, ``value``, ``cumulative`` or ``avoided`` for a metric).
        doc: its description in the documentation.
        keys: the check keys only this kind reads (``from``: the start of a window; ``n``: which extension).
        unit: what its statistic counts, for messages: ``""`` (a number), ``days`` or ``date`` (a day number,
            shown as a date).
    """

    name: str
    target: Literal["series", "measure", "metric"]
    quantities: tuple[str, ...] | None
    doc: str
    keys: tuple[str, ...] = ()
    unit: str = ""

    def row(self) -> str:
        """Its part of the ``kind`` row of the check table in ``docs/scenario-format.md``."""
        return f"`{self.name}`: {self.doc}"


CHECK_KINDS: dict[str, CheckKind] = {k.name: k for k in (
    CheckKind("series", "series", None, "a statistic of a population or metric (`target`) on `date`"),
    CheckKind("in_force", "measure", (), "the probability that measure `target` is in force **by** `date` (its "
              "first day in force is on or before `date`; the same as `in_force_by`)"),
    CheckKind("in_force_by", "measure", (), "the same as `in_force`, named explicitly"),
    CheckKind("in_force_on", "measure", (), "the probability that measure `target` is in force **on** `date` "
              "(as the run's in-force table shows it)"),
    CheckKind("never_in_force", "measure", (), "the probability that measure `target` never comes into force "
              "in the window"),
    CheckKind("days_in_force", "measure", (), "a statistic of the days measure `target` is in force from `from` "
              "(default: the window's start) to `date`, both included", ("from",), "days"),
    CheckKind("extensions", "measure", (), "a statistic of the number of extensions of measure `target` (drawn "
              "or decided) on or before `date`"),
    CheckKind("extension_date", "measure", (), "a statistic of the date of the `n`-th extension (default 1) of "
              "measure `target` (never: after every date); bounds are dates", ("n",), "date"),
    CheckKind("avoided", "metric", ("avoided",), "a statistic of the exposure of metric `target` avoided by "
              "`date` compared with the same draws with no measure in force"),
)}
"""Every check kind, by name, in the order documented."""


def kind_type() -> Any:
    """The schema type of a check's ``kind``: one of the registered names."""
    return Literal[tuple(CHECK_KINDS)]
