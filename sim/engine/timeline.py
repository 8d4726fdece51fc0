"""What a replication's timeline records: each measure's state and switches, and the event log.

:class:`sim.engine.lifecycle.Replication` fills these as it plays the timeline; :mod:`sim.engine.segments` turns
a :class:`MeasureState`'s switches and waiver changes into effect intensities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(slots=True)
class LogEntry:
    """One line of a replication's event log."""

    day: int
    subject: str
    what: str
    why: str = ""


@dataclass
class MeasureState:
    """The state flags of one measure and what happened to it."""

    due: bool = False
    enjoined: bool = False
    shelved: bool = False
    lifted: bool = False
    cancelled: bool = False
    in_force: bool = False
    deadline: float = math.inf
    extensions: int = 0
    injunctions: int = 0
    enjoined_by: set[str] = field(default_factory=set)  # challenges whose injunction stands
    shelvings: int = 0
    first_in_force: float = math.inf
    switches: list[tuple[int, bool]] = field(default_factory=list)
    waivers: dict[str, float] = field(default_factory=dict)
    waiver_changes: list[tuple[int, float]] = field(default_factory=list)
