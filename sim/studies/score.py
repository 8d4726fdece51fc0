"""Forecasts scored against the record: Brier and log scores, a reliability table, two references.

A scenario with a ``record:`` is forecast as seen on each of its as-of dates (:func:`sim.studies.forecast.forecast`,
on common random numbers). Each *forecast* is one headline chance P(measure in force by key date) seen on an
as-of date before that key date, whose outcome the record decides (:func:`sim.studies.forecast.record_outcome`:
the run as seen on ``record.until``, where the chance is exactly 0 or 1). For each:

- the **Brier score** ``(p - o)^2`` (0 perfect, 0.25 for an even chance, 1 confidently wrong);
- the **log score** ``-ln(p')`` if it happened, ``-ln(1 - p')`` if not (natural log; ``ln 2 = 0.693`` for an even
  chance), with ``p' = (k + 1/2) / (n + 1)`` for ``k`` of ``n`` runs (the Jeffreys estimate), so a chance of 0 or 1
  from a finite number of runs costs a finite score;

against two references scored on the same forecasts: **always 50%**, and **deadlines hold** (the scenario as of
its own ``as_of`` with the chance of every deferral, extension decision, shelving and injunction set to 0,
:func:`deadlines_hold`; it knows nothing of the record). Lower is better for both scores. The reliability table
pools every forecast of the scored scenarios into bins of chance and compares each bin's mean forecast with how
often those forecasts came true. Forecasts of one scenario on successive dates are strongly correlated: the
counts are forecasts, not independent trials.

:func:`score_record` and :func:`compare_scores` store and compare a scenario's score with its baselines
(``baselines/<stem>.score.json``), so ``docket test`` fails when the library's forecasts get worse.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from sim.runs.atomic import write_text
from sim.runs.runner import run
from sim.scenario.errors import DocketError
from sim.scenario.facts import record_span
from sim.scenario.files import read_json_object
from sim.scenario.loaded import load, scenario_hash
from sim.scenario.loader import resolve_raw
from sim.scenario.record import until_as_key_date
from sim.scenario.yamlload import MDict
from sim.studies.forecast import as_of_dates, forecast

BINS: Final = 10
"""Reliability bins: 0-10%, 10-20%, ..., 90-100% (a chance of exactly 1 falls in the last)."""
AUTO_WEEKS: Final = 26
"""``every="auto"``: weekly as-of dates when the record spans at most this many weeks, else monthly."""
SCORE_REPLICATIONS: Final = 200
"""Replications per as-of date of a stored score (``docket score --update``, ``docket test``)."""
TOLERANCE: Final = 1e-9
"""A stored score differs from a new one when they are this far apart (the same seed gives the same score)."""
SCORE_COLUMNS: Final = ("scenario", "as_of", "measure", "date", "forecast", "outcome", "brier", "log",
                        "hold", "brier_hold", "log_hold")


@dataclass(frozen=True)
class Scores:
    """The scored forecasts of one or more scenarios.

    Attributes:
        table: one row per forecast (:data:`SCORE_COLUMNS`): the chance, the record's outcome (0/1), its Brier and
            log score, and the "deadlines hold" reference's chance and scores.
        replications: runs per as-of date, by scenario.
        skipped: scenarios without a record or without a decided forecast, with the reason.
    """

    table: pd.DataFrame
    replications: dict[str, int]
    skipped: dict[str, str]

    def summary(self) -> pd.DataFrame:
        """Per scenario (and ``all``): forecasts, mean Brier and log score, and the references'."""
        t = self.table
        groups = [(name, rows) for name, rows in t.groupby("scenario", sort=True)]
        if len(groups) > 1:
            groups.append(("all", t))
        return pd.DataFrame([{"scenario": name, "forecasts": len(rows), "brier": rows["brier"].mean(),
                              "log": rows["log"].mean(), "brier_50": 0.25, "log_50": math.log(2),
                              "brier_hold": rows["brier_hold"].mean(), "log_hold": rows["log_hold"].mean()}
                             for name, rows in groups])

    def reliability(self) -> pd.DataFrame:
        """Forecasts pooled into :data:`BINS` bins of chance: count, mean forecast, share that came true."""
        t = self.table
        which = (t["forecast"] * BINS).astype(int).clip(0, BINS - 1)
        rows = []
        for b in range(BINS):
            sel = t[which == b]
            rows.append({"bin": f"{b * 100 // BINS}-{(b + 1) * 100 // BINS}%", "forecasts": len(sel),
                         "mean_forecast": sel["forecast"].mean() if len(sel) else math.nan,
                         "came_true": sel["outcome"].mean() if len(sel) else math.nan})
        return pd.DataFrame(rows)

    def text(self) -> str:
        """The scores per scenario, the references, and the reliability table, as printed by ``docket score``."""
        lines = ["Forecasts scored against the record: P(measure in force by key date) as seen on each as-of date",
                 "before it, against what the record decides. Brier (p-o)^2 and log score -ln p' (natural log);",
                 "lower is better. References: always 50%; deadlines hold (no deferral, extension or injunction).",
                 ""]
        lines.append(f"{'scenario':<28} {'forecasts':>9} {'Brier':>7} {'50%':>7} {'hold':>7}   {'log':>6} "
                     f"{'50%':>6} {'hold':>6}")
        for _, r in self.summary().iterrows():
            lines.append(f"{r['scenario']:<28} {r['forecasts']:>9} {r['brier']:>7.3f} {r['brier_50']:>7.3f} "
                         f"{r['brier_hold']:>7.3f}   {r['log']:>6.3f} {r['log_50']:>6.3f} {r['log_hold']:>6.3f}")
        lines += ["", "Reliability (pooled): forecasts binned by chance, against how often they came true",
                  f"{'bin':<9} {'forecasts':>9} {'mean forecast':>14} {'came true':>10}"]
        for _, r in self.reliability().iterrows():
            mean = "" if math.isnan(r["mean_forecast"]) else f"{r['mean_forecast']:.0%}"
            true = "" if math.isnan(r["came_true"]) else f"{r['came_true']:.0%}"
            lines.append(f"{r['bin']:<9} {r['forecasts']:>9} {mean:>14} {true:>10}")
        for name, why in self.skipped.items():
            lines.append(f"skipped {name}: {why}")
        return "\n".join(lines)


def jeffreys(p: float, n: int) -> float:
    """The chance ``p = k/n`` of ``n`` runs as ``(k + 1/2) / (n + 1)``: never 0 or 1.

    Example:
        >>> jeffreys(0.0, 99), jeffreys(1.0, 99), jeffreys(0.5, 100)
        (0.005, 0.995, 0.5)
    """
    return (round(p * n) + 0.5) / (n + 1)


def brier(p: float, outcome: float) -> float:
    """``(p - outcome)^2``.

    Example:
        >>> brier(0.8, 1), brier(0.5, 0)
        (0.03999999999999998, 0.25)
    """
    return (p - outcome) ** 2


def log_score(p: float, outcome: float) -> float:
    """``-ln p`` if it happened (``outcome`` 1), ``-ln(1 - p)`` if not.

    Example:
        >>> round(log_score(0.5, 1), 6), round(log_score(0.9, 0), 6)
        (0.693147, 2.302585)
    """
    return -math.log(p if outcome >= 0.5 else 1.0 - p)


def deadlines_hold(data: dict[str, Any]) -> MDict:
    """The resolved scenario ``data`` with the chance of every deferral (each step of a chain), extension decision,
    shelving and injunction (a measure's challenges and shared rulings) set to 0: "the deadlines hold"."""
    out = MDict(getattr(data, "mark", None))
    out.update(data)
    out["measures"] = []
    for m in data.get("measures") or []:
        m2 = dict(m)
        defer = m.get("deferral")
        if isinstance(defer, dict):
            m2["deferral"] = ({**defer, "steps": [{**s, "probability": 0} for s in defer["steps"]]}
                              if "steps" in defer else {**defer, "probability": 0})
        m2["decisions"] = [{**d, "probability": 0} for d in m.get("decisions") or []]
        if isinstance(m.get("shelving"), dict):
            m2["shelving"] = {**m["shelving"], "probability": 0}
        m2["challenges"] = [{**c, "injunction": 0} for c in m.get("challenges") or []]
        out["measures"].append(m2)
    out["rulings"] = [{**r, "injunction": 0} for r in data.get("rulings") or []]
    until_as_key_date(out)
    out.pop("record", None)
    out.pop("variants", None)
    return out


def every_for(file: str | os.PathLike[str]) -> str:
    """The as-of step of ``every="auto"``: ``week`` for a record of at most :data:`AUTO_WEEKS` weeks, else
    ``month``."""
    span = record_span(resolve_raw(file))
    return "week" if span is None or span[1] - span[0] <= 7 * AUTO_WEEKS else "month"


def score(files: Sequence[str | os.PathLike[str]], *, every: str = "auto", replications: int | None = None,
          seed: int | None = None, progress: Callable[[str], None] | None = None) -> Scores:
    """Score the forecasts of each scenario file with a record (others are listed in ``skipped``).

    Raises:
        DocketError: a scenario whose record does not fit it (before its runs), or none of ``files`` scored.
    """
    rows: list[dict[str, Any]] = []
    ns: dict[str, int] = {}
    skipped: dict[str, str] = {}
    plan = []
    for file in map(str, files):
        raw = resolve_raw(file)
        name = scenario_name(raw, file)
        if record_span(raw) is None:
            skipped[name] = "no `record:` of what happened"
            continue
        dates = as_of_dates(file, every_for(file) if every == "auto" else every)
        load(file, as_of=dates[-1])  # a record that does not fit its scenario fails before any run
        plan.append((file, raw, name, dates))
    for file, raw, name, dates in plan:
        if progress:
            progress(name)
        fc = forecast(file, dates, replications=replications, seed=seed)
        hold = run(load(deadlines_hold(raw), filename=file).scenario, replications=fc.replications, seed=seed)
        mine = _scored(name, fc.table, fc.outcome, fc.replications, hold.summary)
        if not mine:
            skipped[name] = "no forecast the record decides"
            continue
        rows += mine
        ns[name] = fc.replications
    if not rows:
        why = "; ".join(f"{f}: {skipped[scenario_name(resolve_raw(f), f)]}" for f in map(str, files))
        raise DocketError(f"nothing to score ({why}): a scenario needs a `record:` that decides a forecast "
                          "(docs/forecasting.md says how to write one)")
    return Scores(pd.DataFrame(rows, columns=SCORE_COLUMNS), ns, skipped)


def _scored(name: str, table: pd.DataFrame, outcome: pd.DataFrame, n: int,
            hold: dict[str, Any]) -> list[dict[str, Any]]:
    decided = {(r["target"], r["date"]): float(r["value"])
               for r in outcome[outcome["kind"] == "in_force_by"].to_dict("records")}
    rows = []
    for r in table[table["kind"] == "in_force_by"].to_dict("records"):
        key = (r["target"], r["date"])
        if key not in decided or r["as_of"].isoformat() >= r["date"]:
            continue
        o, p = decided[key], float(r["value"])
        h = float(hold["measures"][r["target"]]["p_in_force_by"][r["date"]])
        rows.append({"scenario": name, "as_of": r["as_of"], "measure": r["target"], "date": r["date"], "forecast": p,
                     "outcome": o, "brier": brier(p, o), "log": log_score(jeffreys(p, n), o), "hold": h,
                     "brier_hold": brier(h, o), "log_hold": log_score(jeffreys(h, n), o)})
    return rows


def score_path(file: str | os.PathLike[str]) -> Path:
    """Where a scenario's stored score lives: ``<dir>/baselines/<stem>.score.json``.

    Example:
        >>> score_path("scenarios/pafaca-2024.yaml").as_posix()
        'scenarios/baselines/pafaca-2024.score.json'
    """
    src = Path(file)
    return src.parent / "baselines" / f"{src.stem}.score.json"


def score_record(scores: Scores, name: str, every: str, seed: int | None, scenario_hash: str) -> dict[str, Any]:
    """The stored score of scenario ``name``: its settings, mean scores and every forecast's scores."""
    t = scores.table[scores.table["scenario"] == name]
    s = scores.summary()
    row = s[s["scenario"] == name].iloc[0]
    return {"format": 1, "scenario": name, "scenario_hash": scenario_hash, "every": every, "seed": seed,
            "replications": scores.replications[name], "forecasts": int(row["forecasts"]),
            "brier": float(f"{row['brier']:.12g}"), "log": float(f"{row['log']:.12g}"),
            "brier_hold": float(f"{row['brier_hold']:.12g}"), "log_hold": float(f"{row['log_hold']:.12g}"),
            "items": [f"{r['as_of']} {r['measure']} by {r['date']}: {r['forecast']:.6g} -> {r['outcome']:g}"
                      for r in t.to_dict("records")]}


def compare_scores(old: dict[str, Any] | None, new: dict[str, Any]) -> tuple[bool, str]:
    """Whether the new score is no worse than the stored one (within :data:`TOLERANCE`), and the report.

    Example:
        >>> compare_scores({"brier": 0.1, "log": 0.3, "forecasts": 4}, {"brier": 0.12, "log": 0.3, "forecasts": 4})[1]
        'FAIL score: worse than stored: Brier 0.1 -> 0.12, log 0.3 -> 0.3 (4 -> 4 forecasts)'
    """
    if old is None:
        return False, "FAIL score: no stored score (run `docket score FILE --update`)"
    text = (f"Brier {old['brier']:.4g} -> {new['brier']:.4g}, log {old['log']:.4g} -> {new['log']:.4g} "
            f"({old.get('forecasts')} -> {new.get('forecasts')} forecasts)")
    worse = new["brier"] > old["brier"] + TOLERANCE or new["log"] > old["log"] + TOLERANCE
    if worse:
        return False, f"FAIL score: worse than stored: {text}"
    if abs(new["brier"] - old["brier"]) > TOLERANCE or abs(new["log"] - old["log"]) > TOLERANCE:
        return True, f"PASS score: better than stored: {text}; store it with `docket score FILE --update`"
    return True, f"PASS score: as stored: {text}"


def read_score(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """A stored score, or ``None`` when there is none."""
    try:
        return read_json_object(path, "refresh it with `docket score FILE --update`")
    except FileNotFoundError:
        return None


def check_score(file: str | os.PathLike[str], *, update: bool = False) -> tuple[bool, str]:
    """Score a scenario with a record as its stored score was made (same as-of step, seed and replications;
    defaults ``auto``, the scenario's seed, :data:`SCORE_REPLICATIONS`) and compare, or (``update``) store it.

    Returns:
        Whether it passed, and the report line (``PASS score: ...`` / ``FAIL score: ...``).
    """
    path = score_path(file)
    stored = read_score(path)
    every = str(stored.get("every", "auto")) if stored else "auto"
    n = int(stored.get("replications", SCORE_REPLICATIONS)) if stored else SCORE_REPLICATIONS
    seed = stored.get("seed") if stored else None
    seed = seed if isinstance(seed, int) else None
    scores = score([file], every=every, replications=n, seed=seed)
    if update:
        return True, store_score(scores, file, every, seed)
    raw = resolve_raw(file)
    return compare_scores(stored, score_record(scores, scenario_name(raw, file), every, seed, scenario_hash(raw)))


def scenario_name(raw: dict[str, Any], file: str | os.PathLike[str]) -> str:
    """The name scores are kept under: the scenario's ``name`` (else the file stem)."""
    return str(raw.get("name") or Path(file).stem)


def store_score(scores: Scores, file: str | os.PathLike[str], every: str, seed: int | None) -> str:
    """Store the score of ``file``'s scenario from ``scores`` (made with ``every`` and ``seed``) with its baselines
    (:func:`score_path`); returns the report line."""
    raw = resolve_raw(file)
    name = scenario_name(raw, file)
    if name not in scores.replications:
        return f"no score stored for {file}: {scores.skipped.get(name, 'not scored')}"
    path = score_path(file)
    new = score_record(scores, name, every, seed, scenario_hash(raw))
    if new != read_score(path):
        write_text(path, json.dumps(new, sort_keys=True, indent=1, ensure_ascii=False) + "\n")
    return f"PASS score: written to {path} (Brier {new['brier']:.4g}, log {new['log']:.4g}, {new['forecasts']} " \
           "forecasts)"
