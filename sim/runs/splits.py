"""Split outcomes: a headline number cut in two by an uncertain branch (a deal, a ruling, a shelving).

A median describes a distribution with one mode. Where a binary fact of each replication (an event occurs
or not; a measure takes effect, is in force on the outcome's date, is enjoined, shelved or deferred) sorts the
runs into two clusters, the median sits on one cluster's edge or in the gap and jumps between runs, while
"34% chance of about 35B, otherwise about 15B" says what the runs show.

The rule (:func:`split_of`), for one outcome (a value per replication) and one branch:

1. each side of the branch holds at least :data:`MIN_SHARE` of the runs, and
2. the two sides' middle halves (25-75%) are disjoint, with a gap of at least :data:`MIN_GAP` of the outcome's
   scale (the larger absolute 5% or 95% quantile over all runs).

Both ask for a clear gap. The threshold sits in the widest empty band of the gaps measured on the bundled
scenarios at 300 to 1,000 replications and seeds 0 to 2: the outcomes that split have gaps of 0.35 to 0.8 of
their scale, the others stay below 0.28 (most below 0.2), so the verdict does not flip with the number of runs
or the seed (``tests/test_splits.py`` checks it on three of them).

Of the branches that split an outcome, the one whose two sides explain the largest share of its variance is
reported; branches that sort the runs identically (or as exact complements) count once, the first in the
order of :func:`branches`.

Outcomes (:func:`outcomes`): each metric's accumulated total and avoided exposure at the end of the window, and
each population on each key date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from sim.engine.replications import EventLog, key_days
from sim.scenario.calendar import day_to_date
from sim.scenario.schema import Scenario

MIN_SHARE: Final = 0.1
"""The smaller side of a split holds at least this share of the runs."""
MIN_GAP: Final = 0.3
"""The gap between the two sides' 25-75% ranges, as a share of the outcome's scale."""

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Branch:
    """A binary fact of each replication: ``mask`` is true where ``label`` holds (``if not`` names the rest)."""

    id: str
    label: str
    other: str
    mask: BoolArray
    day: int | None = None  # the outcome day it belongs to (in force on that day), None for any outcome


@dataclass(frozen=True)
class Outcome:
    """A headline number: one value per replication, with what it is and where its curves are."""

    id: str
    title: str
    series: str
    quantity: str
    unit: str
    date: str
    day: int
    values: FloatArray


@dataclass(frozen=True)
class Split:
    """An outcome split by a branch: the two sides' masks (``yes`` first) and the share of variance explained."""

    outcome: Outcome
    branch: Branch
    explained: float

    def sides(self) -> list[tuple[str, BoolArray]]:
        """``(label, mask)`` of each side, the branch's side first."""
        return [(self.branch.label, self.branch.mask), (self.branch.other, ~self.branch.mask)]


def occurred(s: Scenario, log: EventLog, n: int) -> dict[str, BoolArray]:
    """Per event, whether it occurred in each of the ``n`` replications (from the log's ``occurred`` lines)."""
    reps = np.concatenate(log.replication) if log.replication else np.zeros(0, dtype=np.int32)
    subject, what = np.array(log.subject, dtype=object), np.array(log.what, dtype=object)
    out = {}
    for e in s.events:
        mask = np.zeros(n, dtype=bool)
        mask[reps[(subject == e.id) & (what == "occurred")]] = True
        out[e.id] = mask
    return out


def branches(s: Scenario, cat: dict[str, Any], grid: list[int], happened: dict[str, BoolArray]) -> list[Branch]:
    """Every candidate branch, in order: events occurring; then per measure, taking effect, being in force on
    each key date, an injunction, a shelving, a deferral."""
    out = [Branch(f"event:{e.id}", f"if {_phrase(e.title)}" if e.title else f"if {e.id} happens", "if not",
                  happened[e.id]) for e in s.events]
    start = s.start_day
    keys = [(d, day_to_date(start + d).isoformat(), grid.index(d)) for d in key_days(s)]
    for mi, m in enumerate(s.measures):
        title = _phrase(m.title) if m.title else m.id  # "if the full ban takes effect"
        out.append(Branch(f"{m.id}:takes_effect", f"if {title} takes effect", "if it never does",
                          np.isfinite(cat["first_in_force"][:, mi])))
        for d, on, g in keys:
            out.append(Branch(f"{m.id}:in_force:{on}", f"if {title} is in force on {on}", "if not",
                              cat["in_force"][:, mi, g], d))
        for key, word in (("injunctions", "enjoined"), ("shelvings", "shelved"), ("extensions", "deferred")):
            out.append(Branch(f"{m.id}:{word}", f"if {title} is {word}", "if not", cat[key][:, mi] > 0))
    return out


def _phrase(title: str) -> str:
    """A title inside a sentence: ``The April summit ...`` -> ``the April summit ...`` (``TikTok`` stays).

    Example:
        >>> _phrase("The deal closes"), _phrase("TikTok Global closes"), _phrase("EU rules")
        ('the deal closes', 'TikTok Global closes', 'EU rules')
    """
    return title[0].lower() + title[1:] if len(title) > 1 and title[1].islower() and title[0].isupper() \
        and not any(c.isupper() for c in title.split()[0][1:]) else title


def outcomes(s: Scenario, cat: dict[str, Any], grid: list[int], units: Callable[[str | None], str],
             ) -> list[Outcome]:
    """The headline outcomes: metric totals and avoided exposure at the end (in ``units(metric.unit)``),
    populations on each key date."""
    start, end = s.start_day, len(grid) - 1
    last = day_to_date(start + grid[-1]).isoformat()
    out = []
    for k, metric in enumerate(s.metrics):
        title, unit = metric.title or metric.id, units(metric.unit)
        out.append(Outcome(f"{metric.id}:total", title, metric.id, "cumulative", unit, last, grid[-1],
                           cat["metric_cum"][:, end, k].astype(np.float64)))
        out.append(Outcome(f"{metric.id}:avoided", f"{title} avoided", metric.id, "avoided", unit, last, grid[-1],
                           cat["avoided"][:, end, k].astype(np.float64)))
    for d in key_days(s):
        on = day_to_date(start + d).isoformat()
        for i, p in enumerate(s.populations):
            out.append(Outcome(f"{p.id}:{on}", p.title or p.id, p.id, "stock", p.unit or p.kind, on, d,
                               cat["stocks"][:, grid.index(d), i].astype(np.float64)))
    return out


def scale_of(values: FloatArray) -> float:
    """The scale of ``values``: the larger size of its 5% and 95% quantiles."""
    return max(abs(float(np.quantile(values, 0.05))), abs(float(np.quantile(values, 0.95))))


def gap(values: FloatArray, mask: BoolArray, scale: float | None = None) -> float:
    """The gap between the 25-75% ranges of ``values`` where ``mask`` holds and where it does not, as a share of
    the scale of ``values`` (negative when the ranges overlap; ``scale``: :func:`scale_of` ``values``, if known).

    Example:
        >>> values = np.array([0.0] * 6 + [10.0, 11.0, 12.0, 13.0])
        >>> round(gap(values, values > 5), 3)
        0.857
    """
    a, b = np.quantile(values[mask], (0.25, 0.75)), np.quantile(values[~mask], (0.25, 0.75))
    scale = scale_of(values) if scale is None else scale
    if scale == 0:
        return -1.0
    return float(max(a[0] - b[1], b[0] - a[1])) / scale


ROUGH_BYTES: Final = 32 * 2**20
"""The most bytes of running counts :func:`rough_gaps` holds for a group of masks at once."""


def rough_gaps(values: FloatArray, masks: BoolArray, scale: float) -> FloatArray:
    """:func:`gap` of ``values`` for each row of ``masks`` at once, from the same order statistics but
    interpolated here, so within a few units in the last place of ``max |values|`` (divided by ``scale``) of
    :func:`gap`'s: :func:`split_of` computes :func:`gap` itself wherever that could cross :data:`MIN_GAP`.

    Example:
        >>> values = np.array([0.0] * 6 + [10.0, 11.0, 12.0, 13.0])
        >>> masks = np.array([values > 5, values > 11])
        >>> [round(float(g), 6) for g in rough_gaps(values, masks, scale_of(values))]
        [0.856574, 0.776892]
        >>> [round(gap(values, m), 6) for m in masks]
        [0.856574, 0.776892]
    """
    order = np.argsort(values, kind="stable")
    ordered, n = values[order], values.size
    out = np.empty(len(masks))
    group = max(1, ROUGH_BYTES // (8 * max(1, n)))
    for a in range(0, len(masks), group):
        sides = []
        for side in (masks[a : a + group][:, order], ~masks[a : a + group][:, order]):
            rank = np.cumsum(side, axis=1)  # how many of the side's values are at or below each position
            size = rank[:, -1]
            quartiles = []
            for q in (0.25, 0.75):
                h = (size - 1) * q  # numpy's "linear" quantile: between order statistics floor(h) and floor(h) + 1
                lo = np.floor(h).astype(np.int64)
                hi = np.minimum(lo + 1, size - 1)
                at_lo = (rank < lo[:, None] + 1).sum(axis=1)  # the position of the side's value of rank lo
                at_hi = (rank < hi[:, None] + 1).sum(axis=1)
                quartiles.append(ordered[at_lo] + (h - lo) * (ordered[at_hi] - ordered[at_lo]))
            sides.append(quartiles)
        (a25, a75), (b25, b75) = sides
        out[a : a + group] = np.maximum(a25 - b75, b25 - a75) / scale
    return out


def explained(values: FloatArray, mask: BoolArray) -> float:
    """The share of the variance of ``values`` between the two sides of ``mask`` (0 to 1)."""
    total = float(values.var())
    if total == 0:
        return 0.0
    p = float(mask.mean())
    return p * (1 - p) * float(values[mask].mean() - values[~mask].mean()) ** 2 / total


def split_of(outcome: Outcome, candidates: Sequence[Branch]) -> Split | None:
    """The branch that splits ``outcome`` (see the module's rule), or ``None``.

    Example:
        >>> deal = np.arange(100) < 35
        >>> values = np.where(deal, 35e9, 15e9) + np.linspace(0, 1e9, 100)
        >>> found = split_of(Outcome("x", "X", "x", "cumulative", "user-days", "2021-06-30", 0, values),
        ...                  [Branch("event:deal", "if the deal happens", "if not", deal)])
        >>> found.branch.id, round(found.explained, 2)
        ('event:deal', 1.0)
    """
    best: Split | None = None
    seen: set[bytes] = set()
    tried = []
    for b in candidates:
        if b.day is not None and b.day != outcome.day:
            continue
        key = (b.mask if not b.mask[0] else ~b.mask).tobytes()
        share = float(b.mask.mean())
        if key in seen or not MIN_SHARE <= share <= 1 - MIN_SHARE:
            continue
        seen.add(key)
        tried.append(b)
    if not tried:
        return None
    scale = scale_of(outcome.values)  # the same for every candidate
    if scale == 0:
        return None  # no gap is a share of a zero scale (gap() is -1)
    # Only where the rough gap is near the threshold or above can the exact one reach it: 64 units in the last
    # place of the largest value, as a share of the scale, cover the rough gap's rounding many times over.
    margin = 64 * np.finfo(np.float64).eps * float(np.max(np.abs(outcome.values))) / scale
    rough = rough_gaps(outcome.values, np.array([b.mask for b in tried]), scale)
    for b, near in zip(tried, rough >= MIN_GAP - margin, strict=True):
        if near and gap(outcome.values, b.mask, scale) >= MIN_GAP:
            r2 = explained(outcome.values, b.mask)
            if best is None or r2 > best.explained:
                best = Split(outcome, b, r2)
    return best


def find(s: Scenario, cat: dict[str, Any], grid: list[int], log: EventLog, units: Callable[[str | None], str],
         ) -> list[Split]:
    """Every headline outcome of a run that a branch splits, in the order of :func:`outcomes` (``units`` names
    the unit of a metric's integral)."""
    n = len(cat["first_in_force"])
    if n < 2:
        return []
    candidates = branches(s, cat, grid, occurred(s, log, n))
    found = (split_of(o, candidates) for o in outcomes(s, cat, grid, units))
    return [f for f in found if f is not None]
