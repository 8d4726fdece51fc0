"""What a replication's timeline records: each measure's state and switches, and the event log.

:class:`sim.engine.lifecycle.Replication` fills these as it plays the timeline; :mod:`sim.engine.segments` turns
a :class:`MeasureState`'s switches and waiver changes into effect intensities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

IN_FORCE: Final = "in force"
"""The log's ``what`` when a measure comes into force (again): with :data:`SUSPENDED`, its switches."""
SUSPENDED: Final = "suspended"
"""The log's ``what`` when a measure stops being in force."""
DEFERRED: Final = "deferred (extension "
"""How the log's ``what`` of an extension begins: ``deferred (extension 2)``."""
HELD: Final = "held (not an extension)"
"""The log's ``what`` when a decision with ``counts: false`` holds the deadline (a promise pending an order)."""


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
    chain: int = 0  # extensions drawn from the deferral chain (decisions count only in ``extensions``)
    injunctions: int = 0
    enjoined_by: set[str] = field(default_factory=set)  # challenges whose injunction stands
    shelvings: int = 0
    first_in_force: float = math.inf
    switches: list[tuple[int, bool]] = field(default_factory=list)
    waivers: dict[str, float] = field(default_factory=dict)
    waiver_changes: list[tuple[int, float]] = field(default_factory=list)


@dataclass
class EventLog:
    """The event log of many replications, by column (compact: 100,000 replications log over a million rows)."""

    replication: list[npt.NDArray[np.int32]]
    day: list[npt.NDArray[np.int32]]
    subject: list[str]
    what: list[str]
    why: list[str]

    @classmethod
    def of(cls, logs: list[tuple[int, list[LogEntry]]]) -> EventLog:
        """The logs of finished replications: ``(replication, log)`` pairs."""
        entries = [(r, e) for r, log in logs for e in log]
        return cls([np.array([r for r, _ in entries], dtype=np.int32)],
                   [np.array([e.day for _, e in entries], dtype=np.int32)],
                   [e.subject for _, e in entries], [e.what for _, e in entries], [e.why for _, e in entries])

    def extend(self, other: EventLog) -> None:
        """Append another log."""
        self.replication += other.replication
        self.day += other.day
        self.subject += other.subject
        self.what += other.what
        self.why += other.why

    def rows(self) -> list[tuple[int, int, str, str, str]]:
        """``(replication, day, subject, what, why)`` rows."""
        reps, days = np.concatenate(self.replication).tolist(), np.concatenate(self.day).tolist()
        return list(zip(reps, days, self.subject, self.what, self.why, strict=True))
