"""Parameter sweeps: run a scenario over a grid of values and tabulate inputs against outcomes.

``--param KEY=LO:HI:STEPS`` takes ``STEPS`` evenly spaced values from ``LO`` to ``HI`` for the override key
``KEY`` (see :mod:`sim.overrides`). Both ends are written like the value itself and must have the same unit:
dates (``2020-11-12:2021-02-12:4``), plain numbers or percentages (``10%:50%:5``), durations (``7d:63d:5``),
rates (``1%/month:3%/month:3``). Several ``--param`` make a full grid. Every point runs with the same seed and
named streams, so neighbouring points differ only through the parameter (common random numbers).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import DocketError
from sim.loader import validate_data
from sim.overrides import apply_overrides
from sim.results import Results
from sim.study import RunSpec, Study, run_study

_NUM = re.compile(r"^\s*([+-]?\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Param:
    """One swept key and the values it takes (as override texts)."""

    key: str
    values: tuple[str, ...]


def _spaced(lo: float, hi: float, steps: int) -> list[float]:
    return [lo + (hi - lo) * i / (steps - 1) for i in range(steps)] if steps > 1 else [lo]


def parse_param(text: str) -> Param:
    """Read ``KEY=LO:HI:STEPS`` into the values of the sweep.

    Raises:
        DocketError: a malformed range, different units at both ends, or fewer than 1 / more than 50 steps.

    Example:
        >>> parse_param("measures.ban.deferral.probability=10%:50%:3").values
        ('10%', '30%', '50%')
        >>> parse_param("measures.ban.deadline=2020-03-01:2020-03-31:3").values
        ('2020-03-01', '2020-03-16', '2020-03-31')
    """
    key, eq, spec = text.partition("=")
    parts = spec.split(":")
    if not eq or not key.strip() or len(parts) != 3:
        raise DocketError(f"--param {text}: expected KEY=LO:HI:STEPS, "
                          "e.g. measures.ban.deadline=2021-01-01:2021-07-01:7")
    lo, hi, steps_text = (p.strip() for p in parts)
    try:
        steps = int(steps_text)
    except ValueError:
        raise DocketError(f"--param {text}: STEPS must be a whole number, found `{steps_text}`") from None
    if not 1 <= steps <= 50:
        raise DocketError(f"--param {text}: STEPS must be between 1 and 50, found {steps}")
    if _DATE.match(lo) and _DATE.match(hi):
        a, b = dt.date.fromisoformat(lo).toordinal(), dt.date.fromisoformat(hi).toordinal()
        values = [dt.date.fromordinal(round(x)).isoformat() for x in _spaced(a, b, steps)]
    else:
        m_lo, m_hi = _NUM.match(lo), _NUM.match(hi)
        if not m_lo or not m_hi or m_lo.group(2) != m_hi.group(2):
            raise DocketError(f"--param {text}: LO and HI must be dates, or numbers with the same unit "
                              f"(`10%:50%`, `7d:63d`, `1%/month:3%/month`); found `{lo}` and `{hi}`")
        unit = m_lo.group(2)
        nums = _spaced(float(m_lo.group(1).replace("_", "")), float(m_hi.group(1).replace("_", "")), steps)
        values = [(f"{round(x)}" if unit in ("d", "w") else f"{x:.6g}") + unit for x in nums]
    return Param(key.strip(), tuple(values))


def grid(params: list[Param]) -> list[dict[str, str]]:
    """Every combination of the swept values (the first parameter varies slowest)."""
    return [dict(zip([p.key for p in params], combo, strict=True))
            for combo in itertools.product(*(p.values for p in params))]


def outcomes(res: Results) -> dict[str, float]:
    """The headline outcomes of one run: exposure totals and avoided (median, p10, p90), P(in force by key dates)."""
    out: dict[str, float] = {}
    for mid, e in res.summary["exposure"].items():
        for key in ("total", "avoided"):
            for stat in ("p50", "p10", "p90"):
                out[f"{mid}.{key}.{stat}"] = e[key][stat]
    for mid, m in res.summary["measures"].items():
        for day, p in m["p_in_force_by"].items():
            out[f"{mid}.p_in_force_by.{day}"] = p
    return out


def point_label(point: dict[str, str]) -> str:
    """How messages name a grid point: ``key=value, key=value``."""
    return ", ".join(f"{k}={v}" for k, v in point.items())


def sweep(data: dict[str, Any], params: list[Param], *, replications: int | None = None, seed: int | None = None,
          workers: int | None = 1, scheduler: str | None = None, cache: str | Path | None = None,
          resume: bool = False, progress: Callable[[int], None] | None = None,
          ) -> tuple[pd.DataFrame, list[Results], Study]:
    """Run every grid point of the resolved scenario ``data``; returns the table, each point's results and the
    study (how its tasks went).

    Every point is validated before anything runs; then all points' tasks go to one executor as one study
    (:func:`sim.study.run_study`: ``workers``, ``scheduler``, ``cache`` and ``resume`` are passed on).

    Raises:
        ScenarioError: a value that does not validate (reported at its override).
        DocketError: failed tasks (each named with its point and seed; the others finish and are cached).
    """
    points = grid(params)
    specs = [spec_for(data, point, replications, seed) for point in points]
    return run_points(points, specs, workers=workers, scheduler=scheduler, cache=cache, resume=resume,
                      progress=progress)


def spec_for(data: dict[str, Any], point: dict[str, str], replications: int | None, seed: int | None) -> RunSpec:
    """The run of one point: ``data`` with the point's values as overrides, validated like the file."""
    from sim.errors import ScenarioError

    patched = apply_overrides(data, [f"{k}={v}" for k, v in point.items()])
    scenario, problems = validate_data(patched, "sweep")
    if scenario is None:
        raise ScenarioError(problems)
    return RunSpec.of(point_label(point), scenario, patched, replications, seed)


def run_points(points: list[dict[str, str]], specs: list[RunSpec], *, workers: int | None = 1,
               scheduler: str | None = None, cache: str | Path | None = None, resume: bool = False,
               progress: Callable[[int], None] | None = None) -> tuple[pd.DataFrame, list[Results], Study]:
    """Run the points' specs as one study; one table row (the point's values, then its outcomes) per point."""
    study = run_study(specs, workers=workers, scheduler=scheduler, cache=cache, resume=resume, progress=progress)
    study.raise_failures(Path(cache) if cache is not None else None)
    results = [study.results(i) for i in range(len(specs))]
    rows = [{**point, **outcomes(res)} for point, res in zip(points, results, strict=True)]
    return pd.DataFrame(rows), results, study


def summary_text(table: pd.DataFrame, params: list[Param]) -> str:
    """The sweep as a terminal table: parameters, then median exposure and avoided for each metric."""
    from sim.humanize import number

    keys = [p.key for p in params]
    shown = [c for c in table.columns if c.endswith((".total.p50", ".avoided.p50"))]
    head = [k.split(".")[-2] + "." + k.split(".")[-1] if k.count(".") else k for k in keys]
    names = [c.replace(".p50", "").replace(".total", " total").replace(".avoided", " avoided") for c in shown]
    widths = [max(12, len(h)) for h in head] + [max(12, len(n)) for n in names]
    lines = ["  ".join(h.rjust(w) for h, w in zip([*head, *names], widths, strict=True))]
    for _, row in table.iterrows():
        cells = [str(row[k]) for k in keys] + [number(float(row[c])) for c in shown]
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    return "\n".join(lines)


def parse_all(texts: tuple[str, ...] | list[str]) -> list[Param]:
    """Read every ``--param``; at least one is needed."""
    if not texts:
        raise DocketError("a sweep needs at least one --param KEY=LO:HI:STEPS")
    params = [parse_param(t) for t in texts]
    if len({p.key for p in params}) != len(params):
        raise DocketError("each --param key may be swept only once")
    return params

