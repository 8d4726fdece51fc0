"""Regression tests of scenario files: run each scenario (and each variant), check its expectations, compare
with its baseline, or refresh the baseline on request (for the pytest plugin, which ``docket test`` runs;
``docs/testing.md``).

A *target* is one scenario file with one variant (or none); its name is the file stem, or ``stem.variant``.
The number of replications of a target is, in order: an explicit override (``--replications``, the pytest
``docket_replications`` option), ``expectations.replications``, the replications of the stored baseline (so
like is compared with like), the scenario's ``replications``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.engine.replications import key_days, report_grid
from sim.runs.results import Results
from sim.runs.runner import run
from sim.scenario.calendar import day_to_date
from sim.scenario.errors import DocketError, ScenarioError
from sim.scenario.loaded import load, run_defaults
from sim.scenario.loader import SCENARIO_SUFFIXES, resolve_raw, variant_ids, yaml_files
from sim.scenario.schema import Scenario
from sim.scenario.yamlload import load_yaml_file
from sim.studies.score import check_score
from sim.testing.baseline import Comparison, baseline_path, compare, read_baseline, snapshot, write_baseline
from sim.testing.expect import EVALUATORS, CheckResult, Statistic, check_day, evaluate


def is_scenario_file(path: str | os.PathLike[str]) -> bool:
    """A YAML file whose top level is a mapping with ``name`` or ``extends`` (a broken file counts: its test
    then reports the problem)."""

    p = Path(path)
    if p.suffix not in SCENARIO_SUFFIXES:
        return False
    try:
        data = load_yaml_file(p)
    except ScenarioError:
        return True
    return isinstance(data, dict) and ("name" in data or "extends" in data)


def find_scenarios(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Scenario files among ``paths``: files as given, folders searched recursively for files that look like
    scenarios (``baselines/`` skipped).

    Raises:
        DocketError: a path does not exist, or a folder holds no scenario file.
    """
    return yaml_files(paths, keep=is_scenario_file)


@dataclass(frozen=True)
class Target:
    """One scenario file with one variant (``None``: the scenario as written)."""

    file: Path
    variant: str | None = None

    @property
    def name(self) -> str:
        """``stem`` or ``stem.variant``: what ``--update`` and ``-k`` select by."""
        return self.file.stem + (f".{self.variant}" if self.variant else "")


def targets(file: str | os.PathLike[str]) -> list[Target]:
    """The scenario as written, then each of its variants (a file that cannot be read gives one target)."""

    path = Path(file)
    try:
        variants = variant_ids(resolve_raw(path))
    except ScenarioError:
        variants = []
    return [Target(path, None), *(Target(path, v) for v in variants)]


def load_target(target: Target) -> tuple[Scenario, str]:
    """The validated scenario of a target and the hash of its resolved data."""

    loaded = load(target.file, target.variant)
    return loaded.scenario, loaded.digest


@dataclass
class TargetResult:
    """The outcome of one target: its checks, its baseline comparison (or the baseline written), or an error."""

    target: Target
    replications: int = 0
    checks: list[CheckResult] = field(default_factory=list)
    baseline: Comparison | None = None
    written: Path | None = None
    error: str | None = None
    refused: Path | None = None
    """An update that was refused because an expectation failed: the baseline that was not written."""
    score: tuple[bool, str] | None = None
    """A scenario with a record: whether its forecasts scored no worse than stored, and the report line."""

    @property
    def baseline_ok(self) -> bool:
        """The baseline was just written, or compared and passed."""
        return self.written is not None or (self.baseline is not None and self.baseline.passed)

    @property
    def passed(self) -> bool:
        """No error, every check passed, and the baseline matched (or was just written)."""
        return (self.error is None and self.baseline_ok and all(c.passed for c in self.checks)
                and (self.score is None or self.score[0]))

    def failing(self) -> list[str]:
        """Ids of the checks that failed."""
        return [c.id for c in self.checks if not c.passed]

    def baseline_text(self) -> str:
        """The baseline line(s) of the report."""
        bad = ", ".join(self.failing())
        if self.refused is not None:
            return (f"FAIL baseline: not written to {self.refused}: expectation{'s' if ',' in bad else ''} {bad} "
                    f"failed; fix the scenario or its expectations, or store a baseline of the failing scenario "
                    f"with --update-failing")
        if self.written is not None and bad:
            return (f"PASS baseline: written to {self.written}\n"
                    f"WARNING: this baseline records a scenario that fails expectation{'s' if ',' in bad else ''} "
                    f"{bad} (--update-failing)")
        if self.written is not None:
            return f"PASS baseline: written to {self.written}"
        return self.baseline.text() if self.baseline else "FAIL baseline: not compared"

    def text(self) -> str:
        """The readable report of this target."""
        head = f"{'PASS' if self.passed else 'FAIL'} {self.target.name} ({self.target.file}"
        head += f", variant {self.target.variant})" if self.target.variant else ")"
        if self.error is not None:
            return "\n".join([head, *("  " + line for line in self.error.splitlines())])
        lines = [f"{head}: {self.replications} replications"]
        lines += ["  " + c.message() for c in self.checks]
        lines += ["  " + line for line in self.baseline_text().splitlines()]
        if self.score is not None:
            lines.append("  " + self.score[1])
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"name": self.target.name, "file": str(self.target.file), "variant": self.target.variant,
                "replications": self.replications, "passed": self.passed, "error": self.error,
                "checks": [c.as_dict() for c in self.checks],
                "baseline": self.baseline.as_dict() if self.baseline else None,
                "written": str(self.written) if self.written else None,
                "refused": str(self.refused) if self.refused else None,
                "score": {"passed": self.score[0], "text": self.score[1]} if self.score else None}


def update_command(target: Target, replications: int) -> str:
    """The command that refreshes a target's baseline at ``replications``."""
    try:
        shown = target.file.resolve().relative_to(Path.cwd())
    except ValueError:
        shown = target.file
    return f"docket test {shown} --update {target.name} --replications {replications}"


def run_target(target: Target, *, replications: int | None = None, allow_noise: bool = False,
               update: bool = False, update_failing: bool = False) -> TargetResult:
    """Run one target: evaluate its expectations, then compare with its baseline or (``update``) write it.

    Args:
        target: the scenario file and variant.
        replications: an explicit number of replications (see the module docstring for the default).
        allow_noise: a change within Monte Carlo noise passes.
        update: write the baseline instead of comparing with it; refused (nothing written, the target fails)
            when an expectation fails, unless ``update_failing``.
        update_failing: with ``update``, write the baseline even when an expectation fails (the report says
            so loudly, and the target still fails on that expectation).

    Example:
        >>> print(run_target(Target(Path("scenarios/quickstart.yaml"))).text().splitlines()[0])
        PASS quickstart (scenarios/quickstart.yaml): 200 replications
    """
    try:
        scenario, digest = load_target(target)
        exp = scenario.expectations
        path = baseline_path(target.file, target.variant, exp.baseline if exp else None)
        stored = read_baseline(path)
        n = run_defaults(scenario, replications or (exp.replications if exp else None)
                         or (int(stored["replications"]) if stored and "replications" in stored else None))[0]
        results, dates = run_for_checks(scenario, n)
        out = TargetResult(target, n, evaluate(results, exp.checks if exp else []))
        record = snapshot(results, digest, dates)
    except DocketError as exc:
        return TargetResult(target, error=str(exc))
    if target.variant is None and scenario.record is not None:
        out.score = _score(target, update and not (out.failing() and not update_failing))
    if update:
        if out.failing() and not update_failing:
            out.refused = path
            return out
        if record != stored:
            write_baseline(path, record)
        out.written = path
        return out

    start = scenario.start_day
    keys = tuple(_iso(start + d) for d in key_days(scenario))
    out.baseline = compare(stored, record, allow_noise=allow_noise, key_dates=keys, update=update_command(target, n))
    return out


def _score(target: Target, update: bool) -> tuple[bool, str]:
    """The forecasts of a scenario with a record, scored against its stored score (or stored, ``update``)."""
    try:
        return check_score(target.file, update=update)
    except DocketError as exc:
        return False, f"FAIL score: {exc}"


def _iso(day: int) -> str:
    return day_to_date(day).isoformat()


def run_for_checks(scenario: Scenario, n: int) -> tuple[Results, set[str]]:
    """One run serving both the checks and the baseline: the report grid plus any check date off it
    (values on a date do not depend on the grid), and the ISO dates of the plain report grid, which are the
    only ones a baseline records (so it equals ``docket run -n N --keep-replications``)."""

    start = scenario.start_day
    grid = report_grid(scenario)
    checks = scenario.expectations.checks if scenario.expectations else []
    # A statistic reads the series on its date, so that date is solved too; a probability reads in-force shares.
    days = {check_day(scenario, c.date) - start for c in checks if isinstance(EVALUATORS[c.kind], Statistic)}
    outside = sorted(d for d in days if not 0 <= d <= grid[-1])
    if outside:
        raise DocketError(f"a check reads {_iso(start + outside[0])}, outside the window "
                          f"{_iso(start)} to {_iso(start + grid[-1])}")
    results = run(scenario, replications=n, keep_replications=True, extra_days=days)
    return results, {_iso(start + d) for d in grid}


@dataclass
class Report:
    """The outcome of ``docket test``: one :class:`TargetResult` per scenario and variant."""

    results: list[TargetResult]

    @property
    def passed(self) -> bool:
        """Every target passed."""
        return all(r.passed for r in self.results)

    def text(self) -> str:
        """Every target's report and a closing count."""
        bad = [r.target.name for r in self.results if not r.passed]
        tail = f"{len(self.results) - len(bad)} of {len(self.results)} scenario runs passed"
        return "\n\n".join([*(r.text() for r in self.results), tail + (f"; failed: {', '.join(bad)}" if bad else "")])

    def as_json(self) -> str:
        """The report as JSON."""
        return json.dumps({"ok": self.passed, "targets": [r.as_dict() for r in self.results]}, indent=2) + "\n"
