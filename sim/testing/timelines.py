"""Each replication's timeline of a measure, read back from a run's event log, for the check kinds on
measures: in force on a day, days in force in a window, extensions by a day, the day of the n-th extension.

The log records every switch of a measure (``in force`` / ``suspended``, :data:`sim.engine.timeline.IN_FORCE`)
and every extension (``deferred (extension n)``) on its day; a measure is in force on a day when its last
switch on or before that day put it in force (``docs/calendar.md`` rule 1: in force from its first day).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine.timeline import DEFERRED, IN_FORCE, SUSPENDED
from sim.runs.results import Results

FloatArray = npt.NDArray[np.float64]


def _rows(results: Results, measure: str, what: tuple[str, ...] | None = None,
          prefix: str | None = None) -> pd.DataFrame:
    ev = results.events
    rows = ev[ev["subject"] == measure]
    labels = rows["what"].astype(str)
    keep = labels.isin(what) if what is not None else labels.str.startswith(prefix or "")
    return rows[keep]


def _days(dates: pd.Series) -> npt.NDArray[np.int64]:
    """Day numbers (``date.toordinal()``) of timestamps."""
    return (dates.to_numpy(dtype="datetime64[D]").astype(np.int64) + 719163).astype(np.int64)


def switches(results: Results, measure: str) -> list[list[tuple[int, bool]]]:
    """Per replication, the measure's switches in order: (day number, in force after it)."""
    out: list[list[tuple[int, bool]]] = [[] for _ in range(results.replications)]
    rows = _rows(results, measure, (IN_FORCE, SUSPENDED))
    for r, day, what in zip(rows["replication"], _days(rows["date"]), rows["what"].astype(str), strict=True):
        out[int(r)].append((int(day), what == IN_FORCE))
    return out


def days_in_force(results: Results, measure: str, first: int, last: int) -> FloatArray:
    """Per replication, the days from day number ``first`` to ``last`` (both included) the measure was in
    force (a switch and its reversal on the same day count no day).

    Example:
        >>> _overlap([(10, True), (20, False)], 0, 14)
        5
    """
    return np.array([_overlap(sw, first, last) for sw in switches(results, measure)], dtype=np.float64)


def _overlap(sw: list[tuple[int, bool]], first: int, last: int) -> int:
    total, since = 0, None
    for day, active in [*sw, (last + 1, False)]:
        if since is not None:
            total += max(0, min(day, last + 1) - max(since, first))
        since = day if active else None
    return total


def in_force_on(results: Results, measure: str, day: int) -> FloatArray:
    """Per replication, 1 if the measure was in force on day number ``day``, else 0."""
    return np.array([float(bool(s) and _state(s, day)) for s in switches(results, measure)])


def _state(sw: list[tuple[int, bool]], day: int) -> bool:
    state = False
    for d, active in sw:
        if d > day:
            break
        state = active
    return state


def _extensions(results: Results, measure: str) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(results.replications)]
    rows = _rows(results, measure, prefix=DEFERRED)
    for r, day in zip(rows["replication"], _days(rows["date"]), strict=True):
        out[int(r)].append(int(day))
    return out


def extensions_by(results: Results, measure: str, day: int) -> FloatArray:
    """Per replication, the number of extensions of the measure on or before day number ``day``."""
    return np.array([sum(d <= day for d in days) for days in _extensions(results, measure)], dtype=np.float64)


def nth_extension(results: Results, measure: str, n: int) -> FloatArray:
    """Per replication, the day number of the measure's ``n``-th extension (infinity if there was none)."""
    return np.array([days[n - 1] if len(days) >= n else math.inf for days in _extensions(results, measure)])
