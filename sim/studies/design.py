"""Designs: the points a sweep runs, before anything runs.

**Grid.** ``--param KEY=LO:HI:STEPS`` takes ``STEPS`` evenly spaced values from ``LO`` to ``HI`` for the
override key ``KEY`` (see :mod:`sim.scenario.overrides`). Both ends are written like the value itself and must have the
same unit: dates (``2020-11-12:2021-02-12:4``), plain numbers or percentages (``10%:50%:5``), durations
(``7d:63d:5``), rates (``1%/month:3%/month:3``). Several ``--param`` make a full grid.

**Sampled designs** (``--samples N --method lhs|random``) take ``N`` points instead:

- over named parameters ``KEY=LO:HI`` (no ``STEPS``), in each parameter's own unit, written like the grid's
  values (dates to the day, durations in whole days);
- with no ``--param``, over the scenario's uncertain *value* inputs (:mod:`sim.studies.inputs`), found by a pilot run:
  each point holds every such input at its sampled quantile (``pins``).

``lhs`` is a Latin hypercube: each dimension is cut into ``N`` equal strata (of ``[LO, HI]``, or of the
input's quantiles), each stratum holds exactly one point, strata are matched up at random per dimension and the
point is uniform within its stratum. ``random`` draws every coordinate uniformly. The design comes from its own
generator, ``SeedSequence(seed, spawn_key=(stable_hash("sweep:design"),))``: the same seed, ``N`` and
parameters always give the same points, and it shares nothing with the simulation's streams.

How the points run and what the table holds: :mod:`sim.studies.sweep`.
"""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.engine.draws import Input
from sim.engine.replications import grids
from sim.engine.streams import stable_hash
from sim.runs.runner import collect
from sim.scenario.calendar import day_to_date, parse_iso_date
from sim.scenario.errors import DocketError
from sim.scenario.loaded import run_defaults
from sim.scenario.loader import validated
from sim.scenario.quantities import ISO_DATE, QuantityError, parse_duration, split_number, split_suffix
from sim.studies.inputs import label, text, value_at

PILOT = 256
"""Replications of the pilot run that finds a scenario's uncertain inputs."""


@dataclass(frozen=True)
class Span:
    """The range ``LO:HI`` of one key, as numbers in the unit both ends are written in.

    Attributes:
        key: the override key.
        lo: low end (a day ordinal for dates).
        hi: high end.
        unit: ``date``, or what follows the number (``%``, ``d``, ``%/month``, ``""``).
    """

    key: str
    lo: float
    hi: float
    unit: str

    def text(self, x: float) -> str:
        """``x`` written like the ends: dates to the day, durations in whole units or else whole days.

        Example:
            >>> Span("k", 7.0, 14.0, "w").text(10.5), Span("k", 1.0, 2.0, "%").text(1.25)
            ('74d', '1.25%')
        """
        if self.unit == "date":
            return day_to_date(round(x)).isoformat()
        per = _duration_days(self.unit)
        if per is not None:  # a fraction of a unit becomes whole days: `10d`, not `1.43w` (`1.5mo` would not read)
            return f"{round(x)}{self.unit}" if abs(x - round(x)) < 1e-9 else f"{round(x * per)}d"
        return f"{x:.6g}{self.unit}"

    def at(self, u: float) -> str:
        """The value a share ``u`` (0 to 1) of the way from ``lo`` to ``hi``."""
        return self.text(self.lo + (self.hi - self.lo) * u)


@dataclass(frozen=True)
class Param:
    """One swept key and the values it takes (as override texts)."""

    key: str
    values: tuple[str, ...]


def _duration_days(unit: str) -> float | None:
    """Days in one ``unit`` if it is a duration unit (``d``, ``w``, ``mo``...), else ``None``."""
    try:
        return parse_duration(f"1{unit}").mean_days if unit else None
    except QuantityError:
        return None


def _span(text: str, steps: bool) -> tuple[Span, str]:
    """Read ``KEY=LO:HI:STEPS`` (``steps``) or ``KEY=LO:HI``; returns the span and the ``STEPS`` text."""
    key, eq, spec = text.partition("=")
    parts = [p.strip() for p in spec.split(":")]
    if steps and len(parts) == 2 and eq and key.strip():
        raise DocketError(f"--param {text}: a grid needs KEY=LO:HI:STEPS (e.g. {text}:5); "
                          "for a sampled design add --samples N --method lhs")
    if not steps and len(parts) == 3 and eq and key.strip():
        raise DocketError(f"--param {text}: with --samples give KEY=LO:HI without STEPS "
                          f"(e.g. {text.rpartition(':')[0]}); the design picks the N values")
    if not eq or not key.strip() or len(parts) != (3 if steps else 2):
        form = "KEY=LO:HI:STEPS" if steps else "KEY=LO:HI"
        raise DocketError(f"--param {text}: expected {form}, "
                          f"e.g. measures.ban.deadline=2021-01-01:2021-07-01{':7' if steps else ''}")
    lo, hi = parts[0], parts[1]
    if ISO_DATE.match(lo) and ISO_DATE.match(hi):
        return Span(key.strip(), _day(lo, text), _day(hi, text), "date"), parts[-1]
    low, high = split_number(lo), split_number(hi)
    if not low or not high or low[1] != high[1]:
        raise DocketError(f"--param {text}: LO and HI must be dates, or numbers with the same unit "
                          f"(`10%:50%`, `7d:63d`, `1%/month:3%/month`); found `{lo}` and `{hi}`")
    return Span(key.strip(), low[0], high[0], low[1]), parts[-1]


def _day(date: str, param: str) -> int:
    """The day number of one end of a range of dates."""
    try:
        return parse_iso_date(date)
    except QuantityError as exc:
        raise DocketError(f"--param {param}: `{date}` is {exc.message}; write a real date as YYYY-MM-DD") from None


def parse_param(text: str) -> Param:
    """Read ``KEY=LO:HI:STEPS`` into the values of a grid.

    Raises:
        DocketError: a malformed range, different units at both ends, or fewer than 1 / more than 50 steps.

    Example:
        >>> parse_param("measures.ban.deferral.probability=10%:50%:3").values
        ('10%', '30%', '50%')
        >>> parse_param("measures.ban.deadline=2020-03-01:2020-03-31:3").values
        ('2020-03-01', '2020-03-16', '2020-03-31')
    """
    span, steps_text = _span(text, steps=True)
    try:
        steps = int(steps_text)
    except ValueError:
        raise DocketError(f"--param {text}: STEPS must be a whole number, found `{steps_text}`") from None
    if not 1 <= steps <= 50:
        raise DocketError(f"--param {text}: STEPS must be between 1 and 50, found {steps}")
    xs = [span.lo + (span.hi - span.lo) * i / (steps - 1) for i in range(steps)] if steps > 1 else [span.lo]
    return Param(span.key, tuple(span.text(x) for x in xs))


def parse_span(text: str) -> Span:
    """Read ``KEY=LO:HI``, the range of a sampled parameter.

    Example:
        >>> parse_span("measures.ban.deadline=2020-03-01:2020-03-31").at(0.5)
        '2020-03-16'
    """
    return _span(text, steps=False)[0]


def grid(params: list[Param]) -> list[dict[str, str]]:
    """Every combination of the swept values (the first parameter varies slowest)."""
    return [dict(zip([p.key for p in params], combo, strict=True))
            for combo in itertools.product(*(p.values for p in params))]


def unit_cube(method: str, samples: int, dims: int, seed: int) -> np.ndarray:
    """``(samples, dims)`` points in (0, 1): a Latin hypercube (``lhs``) or independent uniforms (``random``).

    In a Latin hypercube, sorting any column puts its ``k``-th point in ``[k/N, (k+1)/N]``. The generator is
    the design's own (see the module docstring), so a seed gives the same points in every run.

    Example:
        >>> u = unit_cube("lhs", 4, 2, seed=1)
        >>> sorted((u[:, 0] * 4).astype(int).tolist())
        [0, 1, 2, 3]
    """

    if method not in ("lhs", "random"):
        raise DocketError(f"unknown design method `{method}`; use lhs or random")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stable_hash("sweep:design"),)))
    if method == "random":
        u = rng.random((samples, dims))
    else:
        u = np.empty((samples, dims))
        for j in range(dims):  # one permutation of the strata, then one jitter per stratum, per dimension
            u[:, j] = (rng.permutation(samples) + rng.random(samples)) / samples
    # Quantiles of 0 or 1 would be infinite for unbounded distributions.
    return np.clip(u, np.nextafter(0.0, 1.0), np.nextafter(1.0, 0.0))


@dataclass(frozen=True)
class Design:
    """The points of a sampled sweep, before anything runs.

    Attributes:
        method: ``lhs`` or ``random``.
        columns: the table's input columns: override keys, or the stream names of the sampled inputs.
        labels: a short label for people, by column (the key, or :func:`sim.studies.inputs.label`).
        points: each sample's values by column, as override text.
        pins: each sample's quantiles by stream name (empty for named parameters).
        pilot: replications of the pilot run that found the inputs (0 for named parameters).
    """

    method: str
    columns: tuple[str, ...]
    labels: dict[str, str]
    points: tuple[dict[str, str], ...]
    pins: tuple[dict[str, float], ...] = ()
    pilot: int = 0


def uncertain_inputs(data: dict[str, Any], seed: int | None = None, patterns: Sequence[str] = (),
                     pilot: int = PILOT) -> list[Input]:
    """The uncertain value inputs of the resolved scenario ``data``, sorted by stream name, found by a pilot run
    of ``pilot`` replications (whatever the sweep's own replications, so they never change the design).

    Inputs that only rare paths draw (a deferral delay after an unlikely grant) may be missed by the pilot.
    ``patterns`` (shell-style, ``param:*``) keep only the matching stream names.

    Raises:
        DocketError: no uncertain value input was found (or none matches ``patterns``).
    """

    scenario = validated(data, "sweep")
    found = collect(scenario, *run_defaults(scenario, pilot, seed), grids(scenario)[0]).inputs
    values = [x for _, x in sorted(found.items()) if x.dist is not None]
    chosen = [x for x in values if not patterns or any(fnmatch.fnmatchcase(x.name, p) for p in patterns)]
    if not values:
        raise DocketError(f"no uncertain value input was found in {pilot} pilot replications; "
                          "sample named parameters with --param KEY=LO:HI")
    if not chosen:
        raise DocketError(f"no uncertain input matches --inputs {' '.join(patterns)}; the {len(values)} found are "
                          f"{', '.join(x.name for x in values[:3])}{'...' if len(values) > 3 else ''}")
    return chosen


def sample_design(data: dict[str, Any], spans: Sequence[Span], samples: int, method: str = "lhs", *,
                  seed: int | None = None, patterns: Sequence[str] = ()) -> Design:
    """``samples`` points over the named ``spans``, or (no spans) over the scenario's uncertain inputs.

    ``seed`` (default: the scenario's) seeds the design and, later, the runs.

    Example:
        >>> from sim.scenario.loader import resolve_raw
        >>> d = sample_design(resolve_raw("scenarios/quickstart.yaml"),
        ...                   [parse_span("measures.sales_ban.deadline=2026-02-01:2026-06-01")], 3, seed=1)
        >>> [p["measures.sales_ban.deadline"] for p in d.points]
        ['2026-05-04', '2026-03-05', '2026-03-18']
    """

    if samples < 1:
        raise DocketError(f"--samples must be at least 1, got {samples}")
    if len({s.key for s in spans}) != len(spans):
        raise DocketError("each --param key may be swept only once")
    scenario = validated(data, "sweep")
    root = run_defaults(scenario, seed=seed)[1]
    if spans:
        u = unit_cube(method, samples, len(spans), root)
        points = tuple({s.key: s.at(float(u[i, j])) for j, s in enumerate(spans)} for i in range(samples))
        return Design(method, tuple(s.key for s in spans), {s.key: s.key for s in spans}, points,
                      tuple({} for _ in range(samples)))
    inputs = uncertain_inputs(data, seed, patterns)
    u = unit_cube(method, samples, len(inputs), root)
    pins = tuple({x.name: float(u[i, j]) for j, x in enumerate(inputs)} for i in range(samples))
    points = tuple({x.name: text(value_at(x, q[x.name]), x.dist.unit)  # type: ignore[union-attr]
                    for x in inputs} for q in pins)
    return Design(method, tuple(x.name for x in inputs), {x.name: label(scenario, x) for x in inputs}, points, pins,
                  PILOT)


def numeric(values: Sequence[Any]) -> tuple[list[float], str]:
    """Values of one input column as numbers, and their unit: ``date`` (day ordinals), ``d`` (durations in any
    unit, as days), or what follows the number and its count suffix (``%``, ``%/month``, ``/day``, ``""``).

    Raises:
        DocketError: values that are not all dates, all durations, or all numbers with one unit.

    Example:
        >>> numeric(["2w", "3d"]), numeric(["2.5M", "1e6"]), numeric(["10k/day", "2.5k/day"])
        (([14.0, 3.0], 'd'), ([2500000.0, 1000000.0], ''), ([10000.0, 2500.0], '/day'))
    """
    texts = [str(v).strip() for v in values]
    if all(ISO_DATE.match(t) for t in texts):
        return [float(parse_iso_date(t)) for t in texts], "date"
    found = [n for n in (split_number(t) for t in texts) if n]
    if len(found) == len(texts):
        per = [_duration_days(unit) for _, unit in found]
        if all(p is not None for p in per):
            return [x * (p or 0.0) for (x, _), p in zip(found, per, strict=True)], "d"
        # `2.5M`, `10k/day`: fold the count suffix into the number, keep the rest as the unit
        scaled = [(x, *split_suffix(unit)) for x, unit in found]
        units = {unit for _, _, unit in scaled}
        if len(units) == 1:
            return [x * scale for x, scale, _ in scaled], units.pop()
    raise DocketError(f"values {sorted(set(texts))[:4]} are not all dates or numbers with one unit")


def parse_all(texts: tuple[str, ...] | list[str]) -> list[Param]:
    """Read every ``--param`` of a grid; at least one is needed."""
    if not texts:
        raise DocketError("a sweep needs at least one --param KEY=LO:HI:STEPS")
    params = [parse_param(t) for t in texts]
    if len({p.key for p in params}) != len(params):
        raise DocketError("each --param key may be swept only once")
    return params
