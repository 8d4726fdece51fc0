"""Pre-drawn random values for a chunk of replications, by stream name, sampled lazily and vectorised.

The lifecycle of one replication asks for "the deferral delay of extension 2 of measure X"; the first such
request in a chunk samples that stream for every replication of the chunk at once (inverse CDF of the
stream's uniforms, :func:`sim.scenario.sampling.sample`), later requests index the cached array.

Two hooks serve sensitivity studies (:mod:`sim.studies.sensitivity`): ``pins`` fixes a stream's uniform at one quantile
for every replication (an input held at its low or high value), and :attr:`ChunkDraws.inputs` records which
uncertain streams the chunk actually used, so the inputs of a scenario are found by running it, with the very
names the engine draws from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.engine.streams import Streams
from sim.scenario.dates import DateSpec
from sim.scenario.sampling import sample, sample_months
from sim.scenario.values import Dist

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Input:
    """An uncertain input the engine drew from: its stream name and what the uniform decides.

    Attributes:
        name: the stream name (``param:populations.users.inflow``, ``event:deal:u``...).
        dist: the distribution drawn through the uniform; ``None`` for a plain uniform (a Bernoulli trial,
            ``...:u``, or the time of a hazard, ``...:time``).
        width: columns drawn per replication (one per possible extension, for instance); column 0 is the first.
    """

    name: str
    dist: Dist | None
    width: int = 1


class ChunkDraws:
    """Draws for replications ``start .. stop - 1`` of a run.

    Args:
        streams: the run's named streams.
        start: first replication of the chunk.
        stop: one past the last replication.
        day0: day number of the window start (dates are returned as days since it).
        pins: stream names whose uniforms are held at the given quantile in (0, 1) for every replication.

    Example:
        >>> from sim.scenario.values import read_value
        >>> d = ChunkDraws(Streams(7), 0, 4, day0=0)
        >>> d.values("param:x", read_value({"between": [1, 2]}, "factor")).shape
        (4,)
    """

    def __init__(self, streams: Streams, start: int, stop: int, day0: int, pins: dict[str, float] | None = None):
        self.streams = streams
        self.start = start
        self.stop = stop
        self.day0 = day0
        self.pins = pins or {}
        self.inputs: dict[str, Input] = {}
        """Uncertain streams drawn in this chunk, by name (fixed values and certain trials are left out)."""
        self._cache: dict[tuple[str, int, int], FloatArray] = {}
        self._lists: dict[tuple[str, int, int], list[Any]] = {}

    def uniforms(self, name: str, width: int = 1) -> FloatArray:
        """``(n, width)`` uniforms of stream ``name`` for the chunk."""
        key = (name, -1, width)
        found = self._cache.get(key)
        if found is None:
            pin = self.pins.get(name)
            found = self._cache[key] = self.streams.uniform(name, self.start, self.stop, width) if pin is None \
                else np.full((self.stop - self.start, width), pin)
        return found

    def values(self, name: str, dist: Dist, width: int = 1) -> FloatArray:
        """``(n,)`` (or ``(n, width)``) draws of ``dist`` from stream ``name``; dates as days since the start."""
        return self._sampled(name, dist, width, months=False)

    def month_values(self, name: str, dist: Dist, width: int = 1) -> FloatArray:
        """``(n,)`` draws, in calendar months, of a duration written in months (``dist.month_params``), from the
        same uniforms as :meth:`values`."""
        return self._sampled(name, dist, width, months=True)

    def value(self, name: str, dist: Dist, r: int, col: int = 0, width: int = 1) -> float:
        """One replication's draw (``r`` is the run-wide replication number)."""
        return self._one(name, dist, r, col, width, months=False)

    def months(self, name: str, dist: Dist, r: int, col: int = 0, width: int = 1) -> float:
        """One replication's draw, in calendar months, of a duration written in months."""
        return self._one(name, dist, r, col, width, months=True)

    def _sampled(self, name: str, dist: Dist, width: int, months: bool) -> FloatArray:
        key = (name + (":months" if months else ""), id(dist), width)
        found = self._cache.get(key)
        if found is None:
            if not dist.is_fixed:
                self.inputs[name] = Input(name, dist, width)
            u = self.uniforms(name, width)
            out = sample_months(dist, u) if months else sample(dist, u)
            if dist.unit == "date" and not months:
                out = out - self.day0
            found = self._cache[key] = np.asarray(out if width > 1 else out[:, 0], dtype=np.float64)
        return found

    def _one(self, name: str, dist: Dist, r: int, col: int, width: int, months: bool) -> float:
        key = (name + (":months" if months else ""), id(dist), width)
        found = self._lists.get(key)
        if found is None:  # plain lists: indexing them is much cheaper than numpy scalars, per replication
            found = self._lists[key] = self._sampled(name, dist, width, months).tolist()
        row = found[r - self.start]
        return float(row[col] if width > 1 else row)

    def happens(self, name: str, probability: Dist | None, r: int, col: int = 0, width: int = 1) -> bool:
        """A Bernoulli trial: ``True`` with the (possibly uncertain) ``probability``; ``None`` means 1."""
        if probability is None:
            return True
        p = self.value(name + ":p", probability, r)
        return self.trial(name, p, r, col, width, certain=probability.is_fixed and probability.params[0] in (0, 1))

    def trial(self, name: str, p: float, r: int, col: int = 0, width: int = 1, certain: bool = False) -> bool:
        """A Bernoulli trial with a known ``p``, from stream ``name + ":u"`` (``certain``: ``p`` is a fixed 0 or 1,
        so the stream is no uncertain input)."""
        key = (name + ":u", -1, width)
        found = self._lists.get(key)
        if found is None:
            if not certain:
                self.inputs[name + ":u"] = Input(name + ":u", None, width)
            found = self._lists[key] = self.uniforms(name + ":u", width).tolist()
        return bool(found[r - self.start][col] < p)

    def uniform(self, name: str, r: int) -> float:
        """One replication's plain uniform of stream ``name`` (the time of a hazard, for instance)."""
        key = (name + ":time", -1, 1)
        found = self._lists.get(key)
        if found is None:
            self.inputs[name] = Input(name, None)
            found = self._lists[key] = self.uniforms(name)[:, 0].tolist()
        return float(found[r - self.start])

    def rows(self, name: str, dist: Dist, rows: IntArray, col: int | IntArray = 0, width: int = 1,
             months: bool = False) -> FloatArray:
        """:meth:`value` (or, with ``months``, :meth:`months`) for the chunk rows ``rows`` at once; ``col`` is
        one column for all or one per row. No row: nothing drawn (nor recorded as an input)."""
        if not len(rows):
            return np.empty(0)
        found = self._sampled(name, dist, width, months)
        return found[rows] if found.ndim == 1 else found[rows, col]

    def happen(self, name: str, probability: Dist | None, rows: IntArray, col: int | IntArray = 0,
               width: int = 1) -> npt.NDArray[np.bool_]:
        """:meth:`happens` for the chunk rows ``rows`` at once (the same uniforms, the same inputs recorded);
        ``col`` is one column for all or one per row."""
        if probability is None or not len(rows):
            return np.ones(len(rows), dtype=bool)
        p = self.rows(name + ":p", probability, rows)
        if not (probability.is_fixed and probability.params[0] in (0, 1)):
            self.inputs[name + ":u"] = Input(name + ":u", None, width)
        return np.asarray(self.uniforms(name + ":u", width)[rows, col] < p)

    def uniform_rows(self, name: str, rows: IntArray) -> FloatArray:
        """:meth:`uniform` for the chunk rows ``rows`` at once."""
        if len(rows):
            self.inputs[name] = Input(name, None)
        return self.uniforms(name)[rows, 0]

    def date(self, name: str, spec: DateSpec, r: int) -> float:
        """An absolute date as days since the start, or the offset (days) of a relative one."""
        return self.value(name, spec.offset, r)
