"""The models of how a deadline moves: extension decisions on their own dates, and chains of extensions.

A :class:`Decision` is an extension announced on its own (possibly uncertain) date, of a length counted from
the standing deadline or from the decision's date, or to a new date (``docs/calendar.md`` rule 8). A
:class:`Step` is one link of a deferral chain drawn at the deadline: its own probability and length, repeated
``times`` with each repeat ``decay`` times as likely; :class:`Stricter` makes every step less likely once an
event has occurred.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sim.scenario.fields import ID_REGEX, Factor, Probability, Span, When, Whole
from sim.scenario.strict import Strict

Id = Annotated[str, Field(pattern=ID_REGEX, description="an identifier: letters, digits and _")]


class Decision(Strict):
    """An extension decided on ``date``: the deadline moves by ``extend`` counted ``from`` the standing
    deadline or the decision's date, or to ``until``; ``replaces: true`` lets it shorten a running extension;
    ``counts: false`` holds the deadline without counting as an extension (a promise pending the order)."""

    id: Id
    title: str | None = None
    date: When
    probability: Probability | None = None
    extend: Span | None = None
    until: When | None = None
    from_: Literal["deadline", "decision"] = Field(default="deadline", alias="from")
    replaces: bool = False
    counts: bool = True
    source: str | None = None
    note: str | None = None


class Step(Strict):
    """One link of a deferral chain: at a deadline, extended with ``probability`` by ``delay``; repeated up to
    ``times`` times, each repeat ``decay`` times as likely as the one before."""

    title: str | None = None
    probability: Probability
    delay: Span
    times: Whole = Field(default=1, ge=1, le=100)
    decay: Factor | None = None
    source: str | None = None


class Stricter(Strict):
    """Once event ``on`` has occurred, each extension of the chain is ``factor`` times as likely."""

    on: str
    factor: Factor
    source: str | None = None
