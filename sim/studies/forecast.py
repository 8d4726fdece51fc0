"""The outlook over time: a scenario run as seen on each of several dates, on common random numbers.

Each as-of date is a run of :func:`sim.scenario.loaded.load` with ``as_of`` (the record's facts up to it fixed,
the rest conditioned, :mod:`sim.scenario.record`) with the same seed, so every replication keeps its uniforms
and a line moves only when information moves. :func:`forecast` gathers one tidy table (as-of date x measure x
key date: P(in force by / on); as-of date x metric: exposure to the window end, mean and 5-95% as the house
convention says, :mod:`sim.text.convention`), the record's outcome (the run as seen on ``record.until``, where
it is decided) and the facts in between, for the chart (``plots/forecast.py``) and for "what
changed since" (:func:`changes`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pandas as pd

from sim.runs.runner import run
from sim.scenario.calendar import add_months, day_to_date
from sim.scenario.errors import UsageError
from sim.scenario.facts import Fact, record_span, recorded_facts
from sim.scenario.loaded import load
from sim.scenario.loader import resolve_raw
from sim.text.convention import HEADLINE, HIGH, LOW, table_heading
from sim.text.humanize import interval, percent

COLUMNS = ("as_of", "kind", "target", "date", "value", "low", "high")
"""The forecast table: ``kind`` is ``in_force_by``, ``in_force_on`` (a chance; ``low``/``high`` empty) or
``exposure`` (the metric's total to ``date``, the window end: mean and 5-95% of the runs)."""
STEPS = {"week": 7, "day": 1, "month": 0}
"""Days between as-of dates (``month``: calendar months from the first date, clamped to the month's end)."""


@dataclass(frozen=True)
class Forecast:
    """Forecasts of one scenario as seen on several dates.

    Attributes:
        name: the scenario's name.
        title: its title.
        table: the tidy table (:data:`COLUMNS`), one block of rows per as-of date.
        outcome: what the record decides (:func:`record_outcome`), in the same columns with ``as_of`` empty.
        facts: the record's facts, by date.
        replications: runs per as-of date.
        titles: each measure's and metric's title, by id.
        concerns: the ids each measure's facts can name (itself, its challenges and rulings, the events that
            lift or cancel it).
    """

    name: str
    title: str
    table: pd.DataFrame
    outcome: pd.DataFrame
    facts: list[Fact]
    replications: int
    titles: dict[str, str]
    concerns: dict[str, set[str]]

    def chance(self, measure: str, date: str, kind: str = "in_force_by") -> pd.Series:
        """The chance ``kind`` of ``measure`` at ``date``, by as-of date."""
        t = self.table
        rows = t[(t["kind"] == kind) & (t["target"] == measure) & (t["date"] == date)]
        return rows.set_index("as_of")["value"]

    def outcome_of(self, measure: str, date: str, kind: str = "in_force_by") -> float | None:
        """What the record says (0 or 1), or ``None`` without a replay."""
        o = self.outcome
        if o.empty:
            return None
        rows = o[(o["kind"] == kind) & (o["target"] == measure) & (o["date"] == date)]
        return float(rows["value"].iloc[0]) if len(rows) else None


def as_of_dates(file: str, every: str | None = None, dates: Sequence[dt.date] = (),
                start: dt.date | None = None, stop: dt.date | None = None) -> list[dt.date]:
    """The as-of dates of a forecast: ``dates`` as given, or every ``day``/``week``/``month`` from ``start``
    (default: the scenario's ``as_of``) to ``stop`` (default: the record's ``until``), ``stop`` included.

    Raises:
        UsageError: both or neither of ``every`` and ``dates``; a scenario without a record.
    """
    if bool(every) == bool(dates):
        raise UsageError("give either --every (day, week or month) or --dates, not both or neither", param="--every")
    if dates:
        return sorted(set(dates))
    span = record_span(resolve_raw(file))
    if span is None:
        raise UsageError(f"{file} has no `record:`, so it has no dates to be seen on (docs/forecasting.md)")
    first = start or day_to_date(span[0])
    last = stop or day_to_date(span[1])
    if every not in STEPS:
        raise UsageError(f"--every takes day, week or month, not {every}", param="--every")
    out, day, k = [], first, 0
    while day <= last:
        out.append(day)
        k += 1
        day = (day_to_date(add_months(first.toordinal(), k)) if every == "month"
               else first + dt.timedelta(days=STEPS[every] * k))
    if out and out[-1] != last and stop is not None:
        out.append(last)
    return out


def _rows(summary: dict[str, Any], as_of: dt.date | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    end = summary["window"]["end"]
    for mid, m in summary["measures"].items():
        for kind in ("in_force_by", "in_force_on"):
            for date, p in m[f"p_{kind}"].items():
                rows.append({"as_of": as_of, "kind": kind, "target": mid, "date": date, "value": float(p),
                             "low": None, "high": None})
    for metric, e in summary["exposure"].items():
        total = e["total"]
        rows.append({"as_of": as_of, "kind": "exposure", "target": metric, "date": end,
                     "value": float(total[HEADLINE]), "low": float(total[LOW]), "high": float(total[HIGH])})
    return rows


def forecast(file: str, as_ofs: Sequence[dt.date], *, replications: int | None = None, seed: int | None = None,
             sets: Sequence[str] = (), progress: Callable[[dt.date], None] | None = None) -> Forecast:
    """Run ``file`` as seen on each of ``as_ofs`` (same seed: common random numbers) and gather the table.

    Raises:
        DocketError: a scenario without a record, an as-of date outside it, facts the scenario gives no chance
            (before anything runs: every date is loaded first).
    """
    loaded = [load(file, None, tuple(sets), as_of=d) for d in as_ofs]
    rows: list[dict[str, Any]] = []
    n = 0
    for d, one in zip(as_ofs, loaded, strict=True):
        if progress:
            progress(d)
        res = run(one.scenario, replications=replications, seed=seed)
        n = res.replications
        rows.extend(_rows(res.summary, d))
    base = resolve_raw(file)
    outcome = record_outcome(file, sets, seed)
    scenario = loaded[0].scenario
    titles = {m.id: m.title or m.id for m in scenario.measures} | {x.id: x.title or x.id for x in scenario.metrics}
    concerns = {m.id: {m.id, *(c.id for c in m.challenges), *m.lifted_by, *m.unless,
                       *(d.id for d in m.decisions),
                       *(r.id for r in scenario.rulings if m.id in r.measures)} for m in scenario.measures}
    return Forecast(scenario.name, scenario.title, pd.DataFrame(rows, columns=COLUMNS), outcome,
                    recorded_facts(base), n, titles, concerns)


OUTCOME_RUNS = 100
"""Replications of the run as seen on ``record.until``: what it decides (a chance of exactly 0 or 1) does not
depend on their number."""


def record_outcome(file: str, sets: Sequence[str] = (), seed: int | None = None) -> pd.DataFrame:
    """What the record decides: the chances of the run as seen on ``record.until`` that are exactly 0 or 1 (every
    ``in_force_by``/``in_force_on`` of a key date up to ``until``; later ones only if the record settles them), in
    the :data:`COLUMNS` of the forecast table with ``as_of`` empty.

    Raises:
        DocketError: a scenario without a record.
    """
    span = record_span(resolve_raw(file))
    if span is None:
        raise UsageError(f"{file} has no `record:`, so it has no outcome to score against (docs/forecasting.md)")
    seen = run(load(file, None, tuple(sets), as_of=day_to_date(span[1])).scenario, replications=OUTCOME_RUNS,
               seed=seed)
    rows = [r for r in _rows(seen.summary, None) if r["kind"] != "exposure" and r["value"] in (0.0, 1.0)]
    return pd.DataFrame(rows, columns=COLUMNS)


def default_target(fc: Forecast) -> str:
    """The headline key date: the first on or after the last as-of date (else the last key date)."""
    last = max(fc.table["as_of"]).isoformat()
    keys = sorted(set(fc.table[fc.table["kind"] == "in_force_by"]["date"]))
    later = [k for k in keys if k >= last]
    return later[0] if later else keys[-1]


def changes(fc: Forecast, since: dt.date, now: dt.date | None = None,
            target: str | None = None) -> tuple[str, pd.DataFrame]:
    """What changed between the forecast as seen on ``since`` and on ``now`` (default: the last as-of date):
    the facts of the record in between; each headline number then and now (P(in force by ``target``, default
    :func:`default_target`) per measure, each metric's exposure: mean and 5-95%) with the facts that moved it
    most (those dated between the two as-of dates that bracket its largest one-step move). The table holds
    every chance and exposure.

    Raises:
        UsageError: ``since`` or ``now`` is not one of the forecast's as-of dates.
    """
    dates = sorted(set(fc.table["as_of"]))
    now = now or dates[-1]
    for d in (since, now):
        if d not in dates:
            raise UsageError(f"{d} is not one of the forecast's as-of dates ({dates[0]} to {dates[-1]})",
                             param="--since")
    t = fc.table[fc.table["kind"].isin(["in_force_by", "exposure"])]
    then = t[t["as_of"] == since].set_index(["kind", "target", "date"])["value"]
    later = t[t["as_of"] == now].set_index(["kind", "target", "date"])["value"]
    between = [f for f in fc.facts if since.toordinal() < f.day <= now.toordinal()]
    rows = []
    for key in then.index:
        kind, what, date = key
        series = t[(t["kind"] == kind) & (t["target"] == what) & (t["date"] == date)
                   & (t["as_of"] >= since) & (t["as_of"] <= now)].sort_values("as_of")
        steps = series["value"].diff().abs().tolist()[1:]
        moved = ""
        if steps and max(steps) > 0:
            i = steps.index(max(steps)) + 1
            lo, hi = series["as_of"].iloc[i - 1], series["as_of"].iloc[i]
            moved = "; ".join(fact_text(f) for f in _step_facts(fc, what, lo, hi))
        rows.append({"kind": kind, "target": what, "date": date, "then": then[key], "now": later[key],
                     "change": later[key] - then[key], "moved_by": moved})
    table = pd.DataFrame(rows)
    table = table.reindex(table["change"].abs().sort_values(ascending=False, kind="stable").index)
    target = target or default_target(fc)
    lines = [f"{fc.title}: what changed from {since} to {now}", f"Facts of the record in between ({len(between)}):"]
    lines += [f"  {fact_text(f)}" for f in between] or ["  (none)"]
    lines.append(f"P(in force by {target}), {since} -> {now}:")
    for r in table[(table["kind"] == "in_force_by") & (table["date"] == target)].to_dict("records"):
        lines.append(f"  {fc.titles.get(r['target'], r['target'])}: {percent(r['then'])} -> {percent(r['now'])}"
                     + (f"; moved most by {r['moved_by']}" if r["moved_by"] else ""))
    ex = fc.table[fc.table["kind"] == "exposure"]
    end = ex["date"].iloc[0] if len(ex) else ""
    lines.append(f"Exposure to {end} (the window end), {table_heading('total')}:")
    for metric in dict.fromkeys(ex["target"]):
        a, b = (ex[(ex["target"] == metric) & (ex["as_of"] == d)].iloc[0] for d in (since, now))
        lines.append(f"  {fc.titles.get(metric, metric)}: {interval(a['value'], a['low'], a['high'])} -> "
                     f"{interval(b['value'], b['low'], b['high'])}")
    return "\n".join(lines), table


def moving_facts(fc: Forecast, measure: str, date: str, at_least: float = 0.02) -> list[Fact]:
    """The facts of the record that moved P(``measure`` in force by ``date``): in each as-of step where it moved
    by ``at_least`` or more, the facts dated in the step that concern the measure (:attr:`Forecast.concerns`),
    else every fact dated in it."""
    s = fc.chance(measure, date).sort_index()
    out = []
    for (lo, a), (hi, b) in pairwise(s.items()):
        if abs(b - a) >= at_least:
            out += _step_facts(fc, measure, lo, hi)  # type: ignore[arg-type]  # the index holds dates
    return out


def _step_facts(fc: Forecast, target: str, lo: dt.date, hi: dt.date) -> list[Fact]:
    """The facts dated after ``lo`` up to ``hi`` that concern ``target``, else all of them."""
    step = [f for f in fc.facts if lo.toordinal() < f.day <= hi.toordinal()]
    own = [f for f in step if f.subject in fc.concerns.get(target, set())]
    return own or step


def fact_text(f: Fact) -> str:
    """A fact as a short dated phrase: ``2020-09-27 tiktok_v_trump: injunction``."""
    what = {"event": "happened", "shock": "happened", "decision": "decided",
            "deferral": f"deferred {f.raw.get('delay')}",
            "challenge": "injunction" if f.raw.get("injunction") else "no injunction",
            "appeal": "reversed" if f.raw.get("reversal") else "upheld"}[f.kind]
    return f"{day_to_date(f.day)} {f.subject}: {what}"
