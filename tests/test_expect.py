"""Expectations on certain and impossible outcomes: exact Wilson ends, verdicts and their text."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import cli
from sim.testing.expect import wilson
from sim.testing.suite import Target, run_target

CERTAIN = """\
name: certain
title: outcomes that are certain or impossible
window: {start: 2020-01-01, end: 2020-06-30}
report: month
replications: 20
seed: 3
populations: [{id: users, initial: 1M}]
events: [{id: deal, probability: 1, date: 2020-02-01}]
measures:
  - {id: always, deadline: 2020-03-01, effects: [{type: scale_inflow, population: users, factor: 0}]}
  - {id: never, deadline: 2020-03-01, lifted_by: [deal],
     effects: [{type: scale_inflow, population: users, factor: 0}]}
expectations:
  checks:
    - {id: always_in_force, kind: in_force, target: always, date: 2020-04-01, min: 1}
    - {id: never_never, kind: never_in_force, target: never, min: 1}
    - {id: always_not_never, kind: never_in_force, target: always, max: 0}
    - {id: never_not_in_force, kind: in_force, target: never, date: 2020-06-30, max: 0}
"""


def test_wilson_ends_exactly_at_one_and_zero_for_every_n() -> None:
    """p = 1 has an upper bound of exactly 1.0 and p = 0 a lower bound of exactly 0.0, for n = 1 .. 5000."""
    high = [n for n in range(1, 5001) if wilson(n / n, n)[1] != 1.0]
    low = [n for n in range(1, 5001) if wilson(0 / n, n)[0] != 0.0]
    assert high == [] and low == []


def test_wilson_interior_bounds_stay_inside() -> None:
    """The exact ends do not leak to other proportions: 499 of 500 is below 1, 1 of 500 above 0."""
    assert wilson(499 / 500, 500)[1] < 1.0 and wilson(1 / 500, 500)[0] > 0.0


def test_certain_outcomes_pass_min_one_and_max_zero(tmp_path: Path) -> None:
    """`min: 1` passes an outcome seen in every replication and `max: 0` one seen in none, at every n that
    used to fail (100, 300, 500 for p = 1; 1, 2, 5, 7, 10 for p = 0); none is labelled uncertain."""
    path = tmp_path / "certain.yaml"
    path.write_text(CERTAIN, encoding="utf-8")
    for n in (1, 2, 5, 7, 10, 100, 300, 500):
        result = run_target(Target(path), replications=n, update=True)
        assert [(c.id, c.passed, c.uncertain, c.certain) for c in result.checks] == [
            (c.id, True, False, True) for c in result.checks], n
        assert [c.estimate for c in result.checks] == [1.0, 1.0, 0.0, 0.0]
        for c in result.checks:
            assert "uncertain" not in c.message() and "(certain: " in c.message()


def test_near_certain_outcome_still_fails_min_one(tmp_path: Path) -> None:
    """A bound of 1 is not loosened: an outcome missed in some replications fails `min: 1`."""
    text = CERTAIN.replace("probability: 1, date: 2020-02-01", "probability: 0.5, date: 2020-02-01")
    path = tmp_path / "certain.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_target(Target(path), replications=100, update=True)
    by_id = {c.id: c for c in result.checks}
    assert not by_id["never_never"].passed and not by_id["never_not_in_force"].passed
    assert not by_id["never_never"].certain and by_id["always_in_force"].certain


def test_cli_repro_tiktok_as_it_happened_at_500(flagship_path: str) -> None:
    """The issue's repro: `docket test scenarios/tiktok-wechat-2020.yaml -n 500` passes `app_store_never`
    (P = 1); the run still fails its baselines, which are stored at 200 replications (not comparable)."""
    out = CliRunner().invoke(cli.cli, ["test", flagship_path, "-n", "500", "--format", "json"])
    targets = {t["name"]: t for t in json.loads(out.output)["targets"]}
    checks = {c["id"]: c for c in targets["tiktok-wechat-2020.as_it_happened"]["checks"]}
    assert checks["app_store_never"]["estimate"] == 1.0 and checks["app_store_never"]["high"] == 1.0
    assert all(c["passed"] and not c["uncertain"] for c in checks.values() if c["id"].endswith("_never"))
