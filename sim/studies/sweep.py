"""Parameter sweeps: run a design's points (:mod:`sim.studies.design`) and tabulate inputs against outcomes.

Every point runs with the same seed and named streams, so neighbouring points differ only through their values
(common random numbers). All points' tasks go to one executor as one study (:mod:`sim.runs.study`). A grid's table
has one row per point (its values, then the outcomes); a sampled design's table starts with ``sample`` (1..N).
With named parameters the scenario's other uncertain inputs keep varying from replication to replication; with
the scenario's own inputs sampled, each point holds them at its quantiles (``pins``), so its replications vary
only in the yes/no draws and hazard times: an outer design over parameters, an inner Monte Carlo over events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.runs.results import Results, cumulative_unit
from sim.runs.study import Progress, RunSpec, Study, aggregate, run_study
from sim.scenario.errors import UsageError
from sim.scenario.loaded import Loaded, load
from sim.scenario.quantities import split_number
from sim.studies.correlation import rank_correlation
from sim.studies.design import Design, Param, Span, grid, numeric, parse_all, parse_span, sample_design
from sim.studies.paired import paired
from sim.text.convention import HEADLINE, HIGH, INTERVAL, LOW, STATISTIC
from sim.text.humanize import number


def check_mode(method: str, samples: int | None, params: Sequence[str], patterns: Sequence[str]) -> None:
    """Refuse ``docket sweep`` options that do not go together: a grid needs ``--param`` values with STEPS and
    no ``--samples``; ``--method lhs|random`` needs ``--samples``; ``--inputs`` only picks sampled inputs.

    Raises:
        UsageError: naming the options and what to give instead.
    """
    sampled = method != "grid"
    if samples is not None and not sampled:
        raise UsageError("--samples N needs --method lhs or random (a grid's points come from each "
                         "--param's STEPS)")
    if sampled and samples is None:
        raise UsageError(f"--method {method} needs --samples N")
    if not sampled and not params:
        raise UsageError("a grid needs at least one --param KEY=LO:HI:STEPS; or sample the scenario's "
                         "uncertain inputs with --samples N --method lhs")
    if patterns and (not sampled or params):
        raise UsageError("--inputs picks which of the scenario's uncertain inputs to sample: use it with "
                         "--samples N --method lhs|random and no --param")


@dataclass(frozen=True)
class SweepRequest:
    """What ``docket sweep`` was asked for, checked and parsed before the scenario is loaded.

    Attributes:
        method: ``grid``, ``lhs`` or ``random``.
        params: a grid's parameters (``KEY=LO:HI:STEPS``).
        spans: a sampled design's ranges (``KEY=LO:HI``); none: sample the scenario's own uncertain inputs.
        samples: points of a sampled design.
        patterns: stream-name patterns picking which uncertain inputs are sampled.
    """

    method: str
    params: list[Param]
    spans: list[Span]
    samples: int
    patterns: tuple[str, ...]

    @classmethod
    def of(cls, method: str, samples: int | None, params: Sequence[str], patterns: Sequence[str]) -> SweepRequest:
        """Check the options go together (:func:`check_mode`), then parse every ``--param``.

        Example:
            >>> SweepRequest.of("grid", None, ["seed=1:3:3"], ()).params[0].values
            ('1', '2', '3')
        """
        check_mode(method, samples, params, patterns)
        sampled = method != "grid"
        return cls(method, [] if sampled else parse_all(list(params)),
                   [parse_span(p) for p in params] if sampled else [], samples or 0, tuple(patterns))

    def plan(self, loaded: Loaded, seed: int | None = None) -> SweepPlan:
        """The points to run on ``loaded``; a sampled design of its own inputs runs a pilot to find them."""
        design = sample_design(loaded.data, self.spans, self.samples, self.method, seed=seed,
                               patterns=self.patterns) if self.method != "grid" else None
        return SweepPlan(self, loaded, design)


@dataclass(frozen=True)
class SweepPlan:
    """The points of a sweep, ready to run: a grid of :class:`Param` values or a sampled :class:`Design`."""

    request: SweepRequest
    loaded: Loaded
    design: Design | None

    @property
    def keys(self) -> list[str]:
        """The table's input columns."""
        return list(self.design.columns) if self.design else [p.key for p in self.request.params]

    @property
    def points(self) -> int:
        """How many points run."""
        return len(self.design.points) if self.design else len(grid(self.request.params))

    def run(self, **run: Any) -> tuple[pd.DataFrame, list[Results], Study]:
        """Run every point (``run``: the keywords of :func:`sweep` after ``params``)."""
        data = self.loaded.data
        return run_design(data, self.design, **run) if self.design else sweep(data, self.request.params, **run)

    def summary(self, table: pd.DataFrame) -> str:
        """The table for the terminal (:func:`summary_text`): a sampled design's first 20 rows, totals only."""
        units = {m.id: cumulative_unit(m.unit) for m in self.loaded.scenario.metrics}
        return summary_text(table, self.keys, max_rows=20, quantities=("total",), units=units) if self.design \
            else summary_text(table, self.keys, units=units)


def run_design(data: dict[str, Any], design: Design, *, replications: int | None = None,
               seed: int | None = None, workers: int | None = 1, scheduler: str | None = None,
               cache: str | Path | None = None, resume: bool = False,
               progress: Progress | None = None) -> tuple[pd.DataFrame, list[Results], Study]:
    """Run every sample of ``design`` as one study; the table has ``sample`` (1..N), the inputs, the outcomes.

    Raises:
        ScenarioError: a sampled value that does not validate (reported at its override).
        DocketError: failed tasks (each named with its sample and seed).
    """
    if any(design.pins):
        loaded = load(data, filename="sweep")
        specs = [RunSpec.of(f"sample {i + 1}", loaded, replications, seed, pins=pins)
                 for i, pins in enumerate(design.pins)]
    else:
        specs = [spec_for(data, point, replications, seed) for point in design.points]
    table, results, study = run_points(list(design.points), specs, workers=workers, scheduler=scheduler,
                                       cache=cache, resume=resume, progress=progress,
                                       base=spec_for(data, {}, replications, seed))
    table.insert(0, "sample", range(1, len(table) + 1))
    return table, results, study


def outcomes(res: Results) -> dict[str, float]:
    """The headline outcomes of one run: exposure totals and avoided (mean, 5th and 95th percentiles,
    :mod:`sim.text.convention`), P(in force by key dates)."""
    out: dict[str, float] = {}
    for mid, e in res.summary["exposure"].items():
        for key in ("total", "avoided"):
            for stat in (HEADLINE, LOW, HIGH):
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
          resume: bool = False, progress: Progress | None = None,
          ) -> tuple[pd.DataFrame, list[Results], Study]:
    """Run every grid point of the resolved scenario ``data``; returns the table, each point's results and the
    study (how its tasks went).

    Every point is validated before anything runs; then all points' tasks go to one executor as one study
    (:func:`sim.runs.study.run_study`: ``workers``, ``scheduler``, ``cache`` and ``resume`` are passed on).

    Raises:
        ScenarioError: a value that does not validate (reported at its override).
        DocketError: failed tasks (each named with its point and seed; the others finish and are cached).
    """
    points = grid(params)
    specs = [spec_for(data, point, replications, seed) for point in points]
    return run_points(points, specs, workers=workers, scheduler=scheduler, cache=cache, resume=resume,
                      progress=progress, base=spec_for(data, {}, replications, seed))


def spec_for(data: dict[str, Any], point: dict[str, str], replications: int | None, seed: int | None) -> RunSpec:
    """The run of one point: ``data`` with the point's values as overrides, validated like the file."""
    loaded = load(data, sets=[f"{k}={v}" for k, v in point.items()], filename="sweep")
    return RunSpec.of(point_label(point), loaded, replications, seed)


def run_points(points: list[dict[str, str]], specs: list[RunSpec], *, workers: int | None = 1,
               scheduler: str | None = None, cache: str | Path | None = None, resume: bool = False,
               progress: Progress | None = None, base: RunSpec | None = None,
               ) -> tuple[pd.DataFrame, list[Results], Study]:
    """Run the points' specs as one study; one table row (the point's values, then its outcomes) per point.

    With ``base`` (the scenario as written, same seed and replications) run in the same study, each row also
    has each metric's paired difference from it (:func:`differences`); the results returned are the points'.
    """
    every = [*specs, base] if base is not None else list(specs)
    study = run_study(every, workers=workers, scheduler=scheduler, cache=cache, resume=resume, progress=progress,
                      reduce=lambda i, collected: aggregate(every[i], collected))
    study.raise_failures(Path(cache) if cache is not None else None)
    results: list[Results] = study.outputs[: len(specs)]
    ref = study.outputs[len(specs)] if base is not None else None
    rows = [{**point, **outcomes(res), **(differences(res, ref) if ref is not None else {})}
            for point, res in zip(points, results, strict=True)]
    return pd.DataFrame(rows), results, study


VS_BASE = "_vs_base"
"""Suffix of a quantity's paired difference from the base point: ``METRIC.total_vs_base.mean``."""
DIFFERENCE_STATS = (HEADLINE, LOW, HIGH, "share_differ")
"""Columns of each difference from the base point: its mean and 5-95% interval over the paired replications,
and the share of replications where the point differs from the base at all."""


def differences(res: Results, base: Results) -> dict[str, float]:
    """Each metric's accumulated and avoided exposure at the end minus the base run's, replication by
    replication (:func:`sim.studies.paired.paired`: same seed and streams, so the same draws wherever the point
    does not change them), as ``METRIC.total_vs_base.mean``, ``.p05``, ``.p95`` and ``.share_differ``."""
    out: dict[str, float] = {}
    if res.finals is None or base.finals is None:
        return out
    for mid in dict.fromkeys(res.finals["metric"]):
        a = base.finals[base.finals["metric"] == mid].sort_values("replication")
        b = res.finals[res.finals["metric"] == mid].sort_values("replication")
        if a.empty:
            continue
        totals = (a["total"].to_numpy(dtype=float), b["total"].to_numpy(dtype=float))
        # avoided = counterfactual - total: its round-off is relative to the counterfactual total
        cf = np.maximum(np.abs(totals[0] + a["avoided"].to_numpy(dtype=float)),
                        np.abs(totals[1] + b["avoided"].to_numpy(dtype=float)))
        for key, scale in (("total", None), ("avoided", cf)):
            d = paired(a[key].to_numpy(dtype=float), b[key].to_numpy(dtype=float), scale)
            values = (d["diff_mean"], d["diff_p05"], d["diff_p95"], d["share_up"] + d["share_down"])
            out.update({f"{mid}.{key}{VS_BASE}.{stat}": v for stat, v in zip(DIFFERENCE_STATS, values, strict=True)})
    return out


def rank_correlations(table: pd.DataFrame, columns: Sequence[str], outcome: str) -> dict[str, float]:
    """Spearman rank correlation of each input column with ``outcome`` (0 where either is constant),
    strongest first."""
    y = table[outcome].to_numpy(dtype=float)
    out = {}
    for c in columns:
        rho = rank_correlation(np.array(numeric(table[c].tolist())[0]), y)
        out[c] = 0.0 if np.isnan(rho) else rho
    return dict(sorted(out.items(), key=lambda kv: -abs(kv[1])))


def headline(table: pd.DataFrame) -> str | None:
    """The first headline exposure column (``METRIC.total.mean``), if the scenario has metrics."""
    return next((c for c in table.columns if c.endswith(f".total.{HEADLINE}")), None)


def short(column: str) -> str:
    """A column head: the last two parts of a key, ``measure.extra`` of a measure effect, ``id:what`` of a
    stream name.

    Example:
        >>> short("param:measures.ban.effects.2.extra"), short("challenge:suit:decision"), short("a.b.deadline")
        ('ban.extra', 'suit:decision', 'b.deadline')
    """
    name = column.removeprefix("param:")
    if ":" in name:
        parts = name.split(":")
        return f"{parts[1]}:{parts[-1]}"
    parts = name.split(".")
    if "effects" in parts and parts.index("effects") >= 1:
        return f"{parts[parts.index('effects') - 1]}.{parts[-1]}"
    return ".".join(parts[-2:])


def summary_text(table: pd.DataFrame, keys: Sequence[str], *, max_inputs: int = 4, max_rows: int | None = None,
                 quantities: Sequence[str] = ("total", "avoided"), units: dict[str, str] | None = None) -> str:
    """The sweep as a terminal table: inputs, then the mean of each metric's ``quantities`` (exposure
    ``total``, ``avoided``), each column head naming its statistic and unit (``units``, by metric id).

    With more than ``max_inputs`` input columns, it shows those with the strongest rank correlation with the
    first mean exposure; with more than ``max_rows`` rows, the first ones; and it says so.
    """

    first = headline(table)
    cols = list(rank_correlations(table, keys, first))[:max_inputs] if first and len(keys) > max_inputs \
        else list(keys)
    if "sample" in table.columns:
        cols = ["sample", *cols]
    shown = [c for c in table.columns if c.endswith(tuple(f".{q}.{HEADLINE}" for q in quantities))]
    heads = [short(k) for k in cols]
    if len(set(heads)) != len(heads):
        heads = list(cols)
    names = [_head(c, units or {}) for c in shown]
    widths = [max(6 if k == "sample" else 12, len(h)) for k, h in zip(cols, heads, strict=True)]
    widths += [max(12, len(n)) for n in names]
    lines = ["  ".join(h.rjust(w) for h, w in zip([*heads, *names], widths, strict=True))]
    for _, row in (table if max_rows is None else table.head(max_rows)).iterrows():
        cells = [_cell(row[k]) for k in cols] + [number(float(row[c])) for c in shown]
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    notes = []
    if max_rows is not None and len(table) > max_rows:
        notes.append(f"first {max_rows} of {len(table)} rows")
    if len(cols) - ("sample" in cols) < len(keys):
        notes.append(f"the {len(cols) - ('sample' in cols)} of {len(keys)} inputs most rank-correlated with "
                     f"{STATISTIC} {(first or '').removesuffix('.' + HEADLINE).replace('.total', ' total')}")
    if notes:
        lines.append(f"showing {' and '.join(notes)}; every row and column is in sweep.csv")
    if shown:
        lines.append(f"exposure columns: {STATISTIC} over each point's runs; sweep.csv also has {INTERVAL} "
                     f"({LOW}, {HIGH})" + (" and each point's paired difference from the scenario as written "
                                          f"(METRIC.total{VS_BASE}.*)" if any(VS_BASE in c for c in table.columns)
                                          else ""))
    return "\n".join(lines)


def _head(column: str, units: dict[str, str]) -> str:
    """An outcome column's head with its statistic and unit: ``exposure total, mean user-days``."""
    metric, quantity, _ = column.rsplit(".", 2)
    unit = units.get(metric)
    return f"{metric} {quantity}, {STATISTIC}" + (f" {unit}" if unit else "")


def _cell(value: Any) -> str:
    """A table value for the terminal: large plain numbers and rates as ``10.4M``, ``1.42k/day``; anything else
    as written."""

    text = str(value)
    found = split_number(text)
    if found and found[1] in ("", "/day") and abs(found[0]) >= 1e3:
        return number(found[0]) + found[1]
    return text


