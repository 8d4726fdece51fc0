"""A chunk's played lifecycles, read by column: switches, counts and flags as arrays over the chunk's rows.

What :func:`sim.engine.chunk_lifecycle.play_chunk` returns. The per-replication path fills one
:class:`~sim.engine.timeline.MeasureState` per row and timeline, and the columns are read from them; the chunk
calendar keeps its state as arrays over the rows already, so it hands those over and builds the
:class:`~sim.engine.timeline.MeasureState` objects only if something asks for them (cohort copies, waivers,
scheduled effects and the shocks' counterfactual read timelines one row at a time; the common case never does:
at 200 measures building them cost about a tenth of a chunk's time, and as much again to collect them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from itertools import chain
from typing import Final

import numpy as np
import numpy.typing as npt

from sim.engine.timeline import EventLog, MeasureState

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Switches = tuple[IntArray, IntArray, npt.NDArray[np.bool_]]
"""The switches of one timeline over every row: each one's row, day and state, rows in order, each row's in the
order they happened."""
SwitchTable = dict[int, Switches]
"""Timeline (measures, then shocks) -> its :data:`Switches`."""
STATS: Final = ("first_in_force", "extensions", "injunctions", "shelvings", "lifted", "cancelled")
"""What :attr:`Played.stats` holds of each row's measure, in this order (a day or infinity, counts, 0/1 flags)."""


def switches(states: list[list[MeasureState]], t: int) -> Switches:
    """The switches of timeline ``t`` of every row, read from the rows' states.

    Example:
        >>> a, b = MeasureState(switches=[(3, True), (9, False)]), MeasureState(switches=[(5, True)])
        >>> [x.tolist() for x in switches([[a], [b]], 0)]
        [[0, 0, 1], [3, 9, 5], [True, False, True]]
    """
    lists = [row[t].switches for row in states]
    lens = [len(sw) for sw in lists]
    count = sum(lens)
    row = np.repeat(np.arange(len(lists)), lens)
    day = np.fromiter((d for d, _ in chain.from_iterable(lists)), np.int64, count)
    on = np.fromiter((a for _, a in chain.from_iterable(lists)), np.bool_, count)
    return row, day, on


class Played:
    """The lifecycles of a chunk of ``rows`` replications and ``measures`` measures: per row, the timelines of
    the measures then the shocks (:attr:`states`), the event log, and what the engine reads by column.

    Give either ``states`` (the per-replication path: everything else is read from them) or, from the chunk
    calendar, ``build`` (makes the states when asked), the switches of every timeline, the :attr:`stats` and
    whether any timeline has waiver changes. ``anchors``: per row, the day each anchor fell on
    (:meth:`sim.engine.clock.Clock.anchor_days`: only the per-replication path needs them, for cohort starts
    relative to an event, which the calendar does not play).
    """

    def __init__(self, rows: int, measures: int, log: EventLog, *, states: list[list[MeasureState]] | None = None,
                 build: Callable[[], list[list[MeasureState]]] | None = None, table: SwitchTable | None = None,
                 stats: FloatArray | None = None, waivers: bool | None = None,
                 anchors: list[dict[str, int]] | None = None):
        if states is None and (build is None or table is None or stats is None or waivers is None):
            raise ValueError("Played: give the states, or build, table, stats and waivers")
        self.rows, self.measures, self.log, self.anchors = rows, measures, log, anchors or []
        self._build, self._table = build, table or {}
        # What is given fills the cached properties below; the rest is read from the states when first asked
        if states is not None:
            self.__dict__["states"] = states
        if stats is not None:
            self.__dict__["stats"] = stats
        if waivers is not None:
            self.__dict__["waivers"] = waivers

    @cached_property
    def states(self) -> list[list[MeasureState]]:
        """Per row, the :class:`~sim.engine.timeline.MeasureState` of each measure then each shock."""
        assert self._build is not None
        return self._build()

    @cached_property
    def stats(self) -> FloatArray:
        """``(rows, measures, len(STATS))``: each row's measure's :data:`STATS` as floats."""
        found = [[tuple(getattr(st, key) for key in STATS) for st in row[:self.measures]] for row in self.states]
        return np.array(found, dtype=float).reshape(self.rows, self.measures, len(STATS))

    @cached_property
    def waivers(self) -> bool:
        """Whether any timeline of any row has waiver changes."""
        return any(st.waiver_changes for row in self.states for st in row)

    def table(self, timelines: Iterable[int]) -> SwitchTable:
        """The :data:`Switches` of each of ``timelines``: the calendar's arrays where it gave them, else read from
        :attr:`states`."""
        return {t: self._table[t] if t in self._table else switches(self.states, t) for t in sorted(set(timelines))}
