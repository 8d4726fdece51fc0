"""Baselines: a stored, diff-friendly record of a run, and a Monte-Carlo-aware comparison with a new run.

A baseline (``baselines/<stem>.json``, or ``<stem>.<variant>.json``) holds the provenance of the run (docket
version, scenario hash, seed, replications, variant), the mean and standard error of every population stock and
metric cumulative on every report date, the probability each measure is in force on every report date, and per
replication the final value of every metric's cumulative and the event log as text lines. JSON with sorted keys
and one value per line, so a refreshed baseline reads as a diff in review.

Comparing (:func:`compare`): identical numbers pass. Otherwise every point gets
``z = (new - old) / sqrt(se_old^2 + se_new^2)`` (a pooled binomial standard error for probabilities); the run
has **changed within noise** when the largest ``|z|`` is below :data:`SHIFT_Z`, else it has **shifted**. Both
fail by default: with the same seed and version the numbers must be identical. ``allow_noise`` lets a change
within noise pass. See ``docs/testing.md``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.runs.atomic import write_text
from sim.runs.results import Results
from sim.scenario.errors import DocketError
from sim.scenario.files import read_json_object

SHIFT_Z = 3.0
"""A change of at least this many standard errors at some point is a shift, not noise."""
FORMAT = 1
DIGITS = 12
"""Significant digits stored: far below Monte Carlo error, and immune to the last-bit noise of summation order."""
WORST = 8
"""Rows of the worst points in a failure table."""
META = ("docket_version", "scenario_hash", "seed", "replications", "variant")


def baseline_path(scenario_file: str | os.PathLike[str], variant: str | None, override: str | None = None) -> Path:
    """Where a scenario's baseline lives: ``<dir>/baselines/<stem>[.<variant>].json``, or ``override``
    (relative to the scenario file) with ``.<variant>`` added before its suffix for a variant.

    Example:
        >>> baseline_path("scenarios/quickstart.yaml", None).as_posix()
        'scenarios/baselines/quickstart.json'
        >>> baseline_path("scenarios/x.yaml", "deal", "ref/x.json").as_posix()
        'scenarios/ref/x.deal.json'
    """
    src = Path(scenario_file)
    path = src.parent / override if override else src.parent / "baselines" / f"{src.stem}.json"
    return path.with_name(f"{path.stem}.{variant}{path.suffix}") if variant else path


def _round(x: float) -> float:
    return float(f"{x:.{DIGITS}g}")


def snapshot(results: Results, scenario_hash: str, dates: set[str] | None = None) -> dict[str, Any]:
    """The baseline record of a run made with ``keep_replications=True``, on ``dates`` (ISO; default: every
    reported date), so extra dates a run reports for its checks do not enter the baseline.

    Example:
        >>> from sim import load_scenario, run
        >>> from sim.scenario.loader import resolve_raw
        >>> from sim.scenario.loaded import scenario_hash
        >>> s = load_scenario("scenarios/quickstart.yaml")
        >>> record = snapshot(run(s, replications=200, keep_replications=True),
        ...                   scenario_hash(resolve_raw("scenarios/quickstart.yaml")))
        >>> record["replications"], record["seed"]
        (200, 0)
    """

    frame = results.replication_series
    if frame is None:
        raise DocketError("a baseline needs per-replication values: run with keep_replications=True")
    n = results.replications
    kinds = {p.id: "stock" for p in results.scenario.populations} | {m.id: "cumulative" for m in
                                                                      results.scenario.metrics}
    series: dict[str, dict[str, dict[str, float]]] = {}
    finals: dict[str, list[float]] = {}
    for sid, qty in kinds.items():
        rows = frame[(frame["series"] == sid) & (frame["quantity"] == qty)]
        if dates is not None:
            rows = rows[_isos(rows["date"]).isin(dates)]
        days = sorted(rows["date"].unique())
        values = rows.sort_values(["date", "replication"])["value"].to_numpy(np.float64).reshape(len(days), n)
        sd = values.std(axis=1, ddof=1) if n > 1 else np.zeros(len(days))
        series[f"{sid} {qty}"] = {
            _iso(d): {"mean": _round(float(v.mean())), "se": _round(float(e) / math.sqrt(n))}
            for d, v, e in zip(days, values, sd, strict=True)}
        if qty == "cumulative":
            finals[sid] = [_round(float(x)) for x in values[-1]]
    in_force: dict[str, dict[str, float]] = {}
    for measure, rows in results.in_force.groupby("measure", sort=True):
        in_force[str(measure)] = {_iso(d): _round(float(p)) for d, p in zip(rows["date"], rows["probability"],
                                                                              strict=True)
                                  if dates is None or _iso(d) in dates}
    return {"format": FORMAT, "docket_version": __version__, "scenario": results.scenario.name,
            "variant": results.scenario.variant, "scenario_hash": scenario_hash, "seed": results.seed,
            "replications": n, "series": series, "in_force": in_force, "finals": finals,
            "events": event_lines(results)}


def _iso(d: Any) -> str:
    return str(np.datetime_as_string(np.datetime64(d, "D")))


def _isos(dates: pd.Series) -> pd.Series:
    """A column of dates as ``YYYY-MM-DD`` texts, at once (one ``_iso`` per row is slow on long runs)."""
    texts = np.datetime_as_string(dates.to_numpy().astype("datetime64[D]"))
    return pd.Series(texts, index=dates.index)


def event_lines(results: Results) -> list[list[str]]:
    """Each replication's event log as lines ``YYYY-MM-DD subject: what (why)``, by replication."""
    ev = results.events
    out: list[list[str]] = [[] for _ in range(results.replications)]
    dates = ev["date"].dt.strftime("%Y-%m-%d").tolist()
    for r, d, subject, what, why in zip(ev["replication"].tolist(), dates, ev["subject"].astype(str),
                                        ev["what"].astype(str), ev["why"].astype(str), strict=True):
        out[r].append(f"{d} {subject}: {what}" + (f" ({why})" if why else ""))
    return out


def write_baseline(path: str | os.PathLike[str], record: dict[str, Any]) -> None:
    """Write a baseline atomically: sorted keys, one value per line."""
    write_text(path, json.dumps(record, sort_keys=True, indent=1, ensure_ascii=False) + "\n")


def read_baseline(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """A stored baseline, or ``None`` when there is none."""
    try:
        record = read_json_object(path, "refresh it with `docket test --update`")
    except FileNotFoundError:
        return None
    if not isinstance(record.get("replications"), int) or isinstance(record.get("replications"), bool):
        raise DocketError(f"cannot read baseline {path}: `replications` is not a whole number; refresh it with "
                          "`docket test --update`")
    return record


@dataclass(frozen=True)
class Point:
    """One compared number: a series (or ``P(measure in force)``) on a date."""

    series: str
    date: str
    old: float
    new: float
    z: float

    def row(self) -> list[str]:
        """Table cells: series, date, old, new, difference, ratio, z."""
        ratio = self.new / self.old if self.old else math.nan
        return [self.series, self.date, _fmt(self.old), _fmt(self.new), _fmt(self.new - self.old),
                "" if math.isnan(ratio) else f"{ratio:.6f}", f"{self.z:+.2f}"]


def _fmt(x: float) -> str:
    return f"{x:.6g}" if abs(x) < 1e4 else f"{x:,.0f}"


@dataclass
class Comparison:
    """The outcome of comparing a run with its baseline.

    Attributes:
        status: ``identical``, ``events changed, numbers identical``, ``within noise``, ``shifted``,
            ``no baseline`` or ``not comparable``.
        passed: whether the test passes.
        notes: metadata changes and other remarks.
        max_z: the largest ``|z|`` over every point.
        first_date: the first date at which any series or probability differs.
        first_replication: the first diverging replication and its first differing event line.
        table: checkpoints on the key dates and the worst points.
    """

    status: str
    passed: bool
    notes: list[str] = field(default_factory=list)
    max_z: float = 0.0
    first_date: str | None = None
    first_replication: str | None = None
    table: list[Point] = field(default_factory=list)

    def text(self) -> str:
        """The readable report: verdict, notes, first divergence, and the checkpoint table."""
        head = f"{'PASS' if self.passed else 'FAIL'} baseline: {self.status}"
        if self.status in ("within noise", "shifted"):
            head += f" (max |z| {self.max_z:.2f}; shifted at |z| >= {SHIFT_Z:g})"
        lines = [head, *(f"  {n}" for n in self.notes)]
        if self.first_date:
            lines.append(f"  first diverging date: {self.first_date}")
        if self.first_replication:
            lines.append(f"  first diverging {self.first_replication}")
        if self.table:
            lines += ["  " + line for line in _table(self.table)]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"status": self.status, "passed": self.passed, "notes": self.notes,
                "max_z": self.max_z if math.isfinite(self.max_z) else None, "first_date": self.first_date,
                "first_replication": self.first_replication,
                "table": [dict(zip(("series", "date", "old", "new", "difference", "ratio", "z"), p.row(),
                               strict=True)) for p in self.table]}


def _table(points: list[Point]) -> list[str]:
    rows = [["series", "date", "old", "new", "difference", "ratio", "z"], *(p.row() for p in points)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            .rstrip() for r in rows]


NOISE_SE = 1e-12
"""A standard error below this fraction of its mean is the float noise of a series equal in every replication
(its exact value depends on the solver's stop days): it compares as 0."""
LAST_DIGIT = 10.0 ** (1 - DIGITS)
"""Two stored values this close (relative) are the same number: rounding to :data:`DIGITS` digits can flip the
last one when the solver stops on more days (a few ulps apart before rounding)."""


def _settled(series: Any) -> Any:
    """``series`` of a record with every noise-level standard error (:data:`NOISE_SE`) read as 0.

    Example:
        >>> _settled({"x stock": {"2020-01-01": {"mean": 234.1, "se": 4e-15}}})
        {'x stock': {'2020-01-01': {'mean': 234.1, 'se': 0.0}}}
    """
    if not isinstance(series, dict):
        return series
    return {name: {date: {**v, "se": 0.0} if isinstance(v, dict) and isinstance(v.get("se"), float | int)
                   and isinstance(v.get("mean"), float | int) and abs(v["se"]) <= NOISE_SE * abs(v["mean"]) else v
                   for date, v in points.items()} if isinstance(points, dict) else points
            for name, points in series.items()}


def _same(a: Any, b: Any) -> bool:
    """Two parts of records hold the same numbers, up to the last stored digit (:data:`LAST_DIGIT`).

    Example:
        >>> _same({"x": [55274095497.6, 1.0]}, {"x": [55274095497.7, 1.0]}), _same([1.0], [1.1])
        (True, False)
    """
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool | str):
        return a == b or abs(a - b) <= LAST_DIGIT * max(abs(a), abs(b))
    return bool(a == b)


def compare(old: dict[str, Any] | None, new: dict[str, Any], *, allow_noise: bool = False,
            key_dates: tuple[str, ...] = (), update: str = "docket test --update NAME") -> Comparison:
    """Compare a new baseline record with the stored one.

    Args:
        old: the stored record (``None``: there is none).
        new: the record of this run (:func:`snapshot`).
        allow_noise: let a change within Monte Carlo noise pass.
        key_dates: ISO dates whose points head the failure table.
        update: the command that refreshes this baseline, for messages.

    Example:
        >>> compare(None, {}).text()
        'FAIL baseline: no baseline (run `docket test --update NAME`)'
    """
    if old is None:
        return Comparison(f"no baseline (run `{update}`)", False)
    notes = [f"{key} changed: {_short(old.get(key))} -> {_short(new.get(key))}" for key in META
             if old.get(key) != new.get(key)]
    if old.get("replications") != new.get("replications"):
        notes.append(f"a baseline compares like with like: run `{update}` to store one at "
                     f"{new.get('replications')} replications")
        return Comparison("not comparable", False, notes)
    if _same(_settled(old.get("series")), _settled(new.get("series"))) and _same(old.get("finals"), new.get("finals")) \
            and all(old.get(k) == new.get(k) for k in ("in_force", "events")):
        return Comparison("identical", True, notes)
    points, missing = _points(old, new)
    notes += missing
    max_z = math.inf if missing else max((abs(p.z) for p in points), default=0.0)
    changed = [p for p in points if p.old != p.new]
    first = min((p.date for p in changed), default=None)
    worst = sorted(changed, key=lambda p: -abs(p.z))[:WORST]
    keyed = [p for p in changed if p.date in key_dates and p not in worst]
    if not changed and not missing:
        # Same numbers, different story: e.g. a deadline that moved but never took effect in any replication.
        return Comparison("events changed, numbers identical", allow_noise, notes, 0.0, None,
                          first_replication(old, new), [])
    status = "shifted" if max_z >= SHIFT_Z else "within noise"
    return Comparison(status, status == "within noise" and allow_noise, notes, max_z, first,
                      first_replication(old, new), sorted(keyed, key=lambda p: (p.date, p.series)) + worst)


def _short(value: Any) -> str:
    return value[:12] if isinstance(value, str) and len(value) == 64 else str(value)


def _points(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[Point], list[str]]:
    """Every point present in both records with its z; notes for series or dates present in only one."""
    points, missing = [], []
    n_old, n_new = int(old["replications"]), int(new["replications"])
    for group, label in (("series", "{}"), ("in_force", "P({} in force)")):
        a, b = old.get(group, {}), new.get(group, {})
        for name in sorted(set(a) | set(b)):
            if name not in a or name not in b:
                missing.append(f"{label.format(name)} only {'in the baseline' if name in a else 'in this run'}")
                continue
            only = sorted(set(a[name]) ^ set(b[name]))
            if only:
                missing.append(f"{label.format(name)}: dates {only[0]} ... in only one of the runs")
            for date in sorted(set(a[name]) & set(b[name])):
                x, y = a[name][date], b[name][date]
                if group == "series":
                    points.append(Point(name, date, x["mean"], y["mean"], _z(x["mean"], y["mean"],
                                                                            math.hypot(x["se"], y["se"]))))
                else:
                    pooled = (x * n_old + y * n_new) / (n_old + n_new)
                    se = math.sqrt(pooled * (1 - pooled) * (1 / n_old + 1 / n_new))
                    points.append(Point(label.format(name), date, x, y, _z(x, y, se)))
    return points, missing


def _z(old: float, new: float, se: float) -> float:
    """Standardised difference; a change of a quantity with no Monte Carlo spread is infinitely significant."""
    diff = new - old
    if diff == 0:
        return 0.0
    return diff / se if se > 0 else math.copysign(math.inf, diff)


def first_replication(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """The lowest replication whose final values or event log differ, told by its first differing line.

    Example:
        >>> a = {"events": [["2020-11-26 cutoff: in force (deadline reached)"]], "finals": {}}
        >>> b = {"events": [["2020-12-06 cutoff: in force (deadline reached)"]], "finals": {}}
        >>> first_replication(a, b)
        'replication 0: cutoff: in force (deadline reached) on 2020-12-06, baseline 2020-11-26'
    """
    ev_a, ev_b = old.get("events", []), new.get("events", [])
    fin_a, fin_b = old.get("finals", {}), new.get("finals", {})
    for r in range(min(len(ev_a), len(ev_b))):
        la, lb = ev_a[r], ev_b[r]
        if la != lb:
            i = next((i for i, (x, y) in enumerate(zip(la, lb, strict=False)) if x != y), min(len(la), len(lb)))
            x = la[i] if i < len(la) else None
            y = lb[i] if i < len(lb) else None
            if x and y and x[11:] == y[11:]:
                return f"replication {r}: {y[11:]} on {y[:10]}, baseline {x[:10]}"
            return f"replication {r}, event {i + 1}: baseline `{x or '(no event)'}`, now `{y or '(no event)'}`"
        for metric in sorted(set(fin_a) & set(fin_b)):
            if fin_a[metric][r] != fin_b[metric][r]:
                return (f"replication {r}: same events, final {metric} {_fmt(fin_a[metric][r])} in the baseline, "
                        f"now {_fmt(fin_b[metric][r])}")
    return None
