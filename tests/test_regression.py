"""Tests of the scenario tester: expectations with Monte Carlo error, baselines, reports, pytest plugin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import cli
from sim.runs.runner import run
from sim.scenario.loader import load_scenario
from sim.testing.session import run_tests
from sim.testing.suite import Target, run_target

SCENARIO = """\
name: {name}
title: Regression test scenario
window: {{start: 2020-01-01, end: 2020-12-31}}
report: week
replications: 100
seed: 7
populations:
  - id: users
    initial: {{between: [900k, 1.1M]}}
    inflow: 10k/day
    outflow: {outflow}
measures:
  - id: ban
    deadline: {deadline}
    effects: [{{type: scale_inflow, population: users, factor: 0}}]
    deferral: {{probability: {deferral}, delay: 30d, max: 2}}
metrics:
  - id: exposure
    unit: users
    terms: [{{population: users}}]
expectations:
  checks:
    - id: ban_half_the_time
      kind: in_force
      target: ban
      date: 2020-03-01
      min: 0.3
      max: 0.7
    - id: users_grow
      kind: series
      target: users
      stat: median
      min: 1_000_000
{extra}
"""
FAILING = """\
    - id: ban_rarely
      kind: in_force
      target: ban
      date: 2020-03-01
      max: 0.1
"""


def write(folder: Path, name: str = "demo", *, outflow: str = "2%/month", deadline: str = "2020-03-01",
          deferral: float = 0.5, extra: str = "") -> Path:
    """Write a small scenario file into `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(SCENARIO.format(name=name, outflow=outflow, deadline=deadline, deferral=deferral, extra=extra),
                    encoding="utf-8")
    return path


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A `scenarios` folder holding `demo.yaml` with a stored baseline."""
    folder = tmp_path / "scenarios"
    write(folder)
    assert run_tests([folder], update_all=True).passed
    return folder


def test_expectation_passes_with_estimate_and_interval(tmp_path: Path) -> None:
    """A true expectation passes and reports its estimate, interval and n."""
    result = run_target(Target(write(tmp_path)), update=True)
    check = result.checks[0]
    assert check.passed and check.n == 100
    assert check.low <= check.estimate <= check.high and 0.3 < check.estimate < 0.7


def test_expectation_fails_only_outside_its_interval(tmp_path: Path) -> None:
    """A false expectation fails; the message shows the estimate, the interval and the bounds."""
    result = run_target(Target(write(tmp_path, extra=FAILING)), update=True)
    bad = result.checks[-1]
    assert not bad.passed and bad.low > 0.1, "the whole interval lies above max"
    assert "FAIL ban_rarely: P(ban in force by 2020-03-01) = 0." in bad.message()
    assert "interval [0." in bad.message() and "bounds [-inf, 0.1]" in bad.message()
    assert not result.passed


def test_unchanged_scenario_is_identical(scenario_dir: Path) -> None:
    """Re-running an unchanged scenario gives the same numbers: the baseline passes as identical."""
    report = run_tests([scenario_dir])
    assert report.passed, report.text()
    assert "PASS baseline: identical" in report.text()


def test_tiny_change_is_within_noise_and_fails_unless_allowed(scenario_dir: Path) -> None:
    """Outflow 2%/month -> 2.001%/month changes the numbers within noise: a failure unless --allow-noise."""
    write(scenario_dir, outflow="2.001%/month")
    strict = CliRunner().invoke(cli.cli, ["test", str(scenario_dir)])
    assert strict.exit_code == 1 and "FAIL baseline: within noise" in strict.output, strict.output
    lenient = CliRunner().invoke(cli.cli, ["test", str(scenario_dir), "--allow-noise"])
    assert lenient.exit_code == 0 and "PASS baseline: within noise" in lenient.output, lenient.output
    assert "scenario_hash changed" in lenient.output


def test_moved_deadline_is_a_shift_with_its_first_date(scenario_dir: Path) -> None:
    """A deadline moved three months is a shift; the first diverging date is the first report date after it."""
    write(scenario_dir, deadline="2020-06-01")
    result = run_target(Target(scenario_dir / "demo.yaml"), allow_noise=True)
    assert result.baseline is not None and result.baseline.status == "shifted"
    assert result.baseline.first_date == "2020-03-04"
    text = result.text()
    assert "first diverging date: 2020-03-04" in text
    assert "difference" in text and "ratio" in text and "users stock          2020-12-31" in text


def test_changed_event_names_first_diverging_replication(scenario_dir: Path) -> None:
    """A deferral probability change alters some logs: the report names the first and its first changed line."""
    write(scenario_dir, deferral=0.6)
    old = run(load_scenario(write(scenario_dir.parent / "old")), replications=100).events
    new = run(load_scenario(write(scenario_dir.parent / "new", deferral=0.6)), replications=100).events

    def lines(events: pd.DataFrame, r: int) -> list[str]:
        rows = events[events["replication"] == r]
        return [f"{d:%Y-%m-%d} {s}: {w}" for d, s, w in zip(rows["date"], rows["subject"], rows["what"], strict=True)]

    k = next(r for r in range(100) if lines(old, r) != lines(new, r))
    result = run_target(Target(scenario_dir / "demo.yaml"))
    assert result.baseline is not None
    text = result.baseline.first_replication or ""
    assert text.startswith(f"replication {k}, event 1: baseline `2020-03-01 ban: in force"), text
    assert "now `2020-03-01 ban: deferred (extension 1)" in text


def test_update_touches_only_the_named_baselines(tmp_path: Path) -> None:
    """`--update a` rewrites a's baseline only; others stay byte-identical; baselines of files not run stay."""
    folder = tmp_path / "scenarios"
    write(folder, "a")
    write(folder, "b")
    assert run_tests([folder], update_all=True).passed
    stale = folder / "baselines" / "gone.json"
    stale.write_text("{}\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in (folder / "baselines").iterdir()}
    write(folder, "a", outflow="3%/month")
    write(folder, "b", outflow="3%/month")
    report = run_tests([folder], update=["a"])
    assert [r.passed for r in report.results] == [True, False]
    after = {p.name: p.read_bytes() for p in (folder / "baselines").iterdir()}
    assert set(after) == set(before) == {"a.json", "b.json", "gone.json"}
    assert after["a.json"] != before["a.json"]
    assert after["b.json"] == before["b.json"] and after["gone.json"] == before["gone.json"]
    run_tests([folder / "b.yaml"], update_all=True)
    assert (folder / "baselines" / "a.json").read_bytes() == after["a.json"] and stale.exists()


def test_replications_mismatch_is_a_clear_failure(scenario_dir: Path) -> None:
    """A run at another number of replications is not compared with the baseline; the message says what to do."""
    result = run_target(Target(scenario_dir / "demo.yaml"), replications=50)
    assert result.baseline is not None and result.baseline.status == "not comparable"
    assert "--update demo --replications 50" in result.text()


def test_missing_baseline_fails_with_the_update_command(tmp_path: Path) -> None:
    """Without a stored baseline the test fails and says which command stores one."""
    report = run_tests([write(tmp_path)])
    assert not report.passed and "no baseline (run `docket test" in report.text()


def test_pytest_plugin_collects_one_item_per_expectation(scenario_dir: Path) -> None:
    """`pytest scenarios/` collects an item per expectation plus a baseline item; -k selects among them."""
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "docket_replications=100"]
    listed = subprocess.run([*args, "--collect-only", "-q", "scenarios"], cwd=scenario_dir.parent,
                            capture_output=True, text=True, timeout=120)
    ids = [line for line in listed.stdout.splitlines() if "::" in line]
    assert ids == ["scenarios/demo.yaml::demo::ban_half_the_time", "scenarios/demo.yaml::demo::users_grow",
                   "scenarios/demo.yaml::demo::baseline"], listed.stdout
    write(scenario_dir, deadline="2020-06-01")
    ran = subprocess.run([*args, "scenarios", "-k", "baseline"], cwd=scenario_dir.parent, capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 1 and "1 failed, 2 deselected" in ran.stdout, ran.stdout
    assert "FAIL baseline: shifted" in ran.stdout and "first diverging date: 2020-03-04" in ran.stdout


def test_check_quantity_must_fit_its_target(tmp_path: Path) -> None:
    """`quantity: stock` on a metric is reported when the scenario is validated."""
    from sim.scenario.loader import check_file

    bad = "    - {id: odd, kind: series, target: exposure, quantity: stock, min: 0}\n"
    problems = check_file(write(tmp_path, extra=bad))
    assert [(d.path, d.found) for d in problems] == [("expectations.checks.odd.quantity", "stock")]


def test_events_changed_numbers_identical(scenario_dir: Path) -> None:
    """A change that alters only event logs (a deadline moved past the window) gets its own verdict and fails."""
    write(scenario_dir, deferral=0.5)
    base = scenario_dir / "demo.yaml"
    text = base.read_text(encoding="utf-8").replace(
        "expectations:", "events:\n  - {id: unused, probability: 1, date: 2020-12-31}\nexpectations:")
    base.write_text(text, encoding="utf-8")
    result = run_target(Target(base))
    assert result.baseline is not None
    assert result.baseline.status == "events changed, numbers identical"
    assert not result.baseline.passed
    assert "unused: occurred" in (result.baseline.first_replication or "")
    assert run_target(Target(base), allow_noise=True).baseline.passed  # type: ignore[union-attr]
