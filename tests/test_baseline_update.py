"""`docket test --update` refuses to store a baseline of a scenario whose expectations fail."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from test_regression import FAILING, write

import cli
from sim.testing.session import run_tests


def test_update_refuses_a_failing_scenario(tmp_path: Path) -> None:
    """`--update NAME` with a failing expectation writes nothing, exits 1, and names the expectation and the
    flag that overrides the refusal."""
    path = write(tmp_path, extra=FAILING)
    out = CliRunner().invoke(cli.cli, ["test", str(path), "--update", "demo"])
    assert out.exit_code == 1, out.output
    assert not (tmp_path / "baselines" / "demo.json").exists()
    assert "FAIL baseline: not written to" in out.output
    assert "expectation ban_rarely failed" in out.output and "--update-failing" in out.output
    assert "Traceback" not in out.output


def test_update_refusal_keeps_the_stored_baseline(tmp_path: Path) -> None:
    """A refused update leaves the baseline already stored byte-identical (also with --update-all)."""
    path = write(tmp_path)
    assert run_tests([path], update_all=True).passed
    stored = (tmp_path / "baselines" / "demo.json").read_bytes()
    write(tmp_path, extra=FAILING, outflow="3%/month")
    report = run_tests([path], update_all=True)
    assert not report.passed and report.results[0].refused is not None
    assert (tmp_path / "baselines" / "demo.json").read_bytes() == stored


def test_update_failing_stores_it_and_says_so(tmp_path: Path) -> None:
    """`--update-failing` writes the baseline, warns that it records a failing scenario, and still exits 1
    (the expectation fails); JSON carries where it was written."""
    path = write(tmp_path, extra=FAILING)
    out = CliRunner().invoke(cli.cli, ["test", str(path), "--update", "demo", "--update-failing"])
    assert out.exit_code == 1, out.output
    assert (tmp_path / "baselines" / "demo.json").exists()
    assert "WARNING: this baseline records a scenario that fails expectation ban_rarely" in out.output
    again = CliRunner().invoke(cli.cli, ["test", str(path), "--format", "json"])
    target = json.loads(again.output)["targets"][0]
    assert target["baseline"]["passed"] and not target["passed"]


def test_update_failing_alone_is_a_usage_error(tmp_path: Path) -> None:
    """`--update-failing` without `--update`/`--update-all` is a usage error (exit 2)."""
    out = CliRunner().invoke(cli.cli, ["test", str(write(tmp_path)), "--update-failing"])
    assert out.exit_code == 2 and "--update-failing goes with --update" in out.output
