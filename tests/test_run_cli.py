"""`docket run`, `plan`, `explain` and run folders, as a user would use them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import cli

CLI = os.path.join(os.path.dirname(__file__), "..", "cli.py")


@pytest.fixture
def runner():
    return CliRunner()


def test_run_writes_run_folder(runner, flagship_path, tmp_path):
    """`docket run` writes the tables, summary.json and run.json, and prints a summary table."""
    out = tmp_path / "run"
    res = runner.invoke(cli, ["run", flagship_path, "-n", "40", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "P(in force on)" in res.output and "tiktok_user_days" in res.output
    for name in ("series.csv", "in_force.csv", "effective.csv", "measures.csv", "events.csv", "summary.json",
                 "run.json"):
        assert (out / name).is_file(), name
    series = pd.read_csv(out / "series.csv", parse_dates=["date"])
    assert list(series.columns[-8:]) == ["mean", "p05", "p10", "p25", "p50", "p75", "p90", "p95"]
    assert series.date.min() == pd.Timestamp("2020-09-18") and series.date.max() == pd.Timestamp("2021-06-30")
    record = json.loads((out / "run.json").read_text())
    assert record["replications"] == 40 and record["seed"] == 20200918 and len(record["scenario_hash"]) == 64
    assert record["packages"]["simpy"]
    eff = pd.read_csv(out / "effective.csv", parse_dates=["date"])
    per_measure = eff.groupby("measure")["probability"].sum()
    assert ((per_measure - 1).abs() < 1e-9).all()  # every replication: some date or never
    summary = json.loads((out / "summary.json").read_text())
    assert summary["measures"]["tiktok_app_store"]["p_in_force_by"]["2020-11-12"] >= 0
    assert not list(out.glob("*.part")) and [p.name for p in out.glob(".*")] == [".docket.json"]  # the marker only


def test_run_from_reproduces_exactly(runner, flagship_path, tmp_path):
    """`docket run --from RUN_DIR` re-runs the recorded scenario, seed and replications bit for bit."""
    first, second = tmp_path / "a", tmp_path / "b"
    assert runner.invoke(cli, ["run", flagship_path, "-n", "30", "--seed", "7", "--variant", "deal_reached",
                               "--out", str(first), "-q"]).exit_code == 0
    res = runner.invoke(cli, ["run", "--from", str(first), "--out", str(second), "-q"])
    assert res.exit_code == 0, res.output
    assert (first / "series.csv").read_bytes() == (second / "series.csv").read_bytes()
    assert json.loads((second / "run.json").read_text())["variant"] == "deal_reached"


def test_parquet_and_replications(runner, flagship_path, tmp_path):
    """`--format parquet --keep-replications` writes parquet tables including per-replication series."""
    out = tmp_path / "p"
    res = runner.invoke(cli, ["run", flagship_path, "-n", "8", "--out", str(out), "--format", "parquet",
                              "--keep-replications", "-q"])
    assert res.exit_code == 0, res.output
    reps = pd.read_parquet(out / "replications.parquet")
    assert set(reps.replication) == set(range(8))


def test_failed_write_keeps_good_file(runner, flagship_path, tmp_path, monkeypatch):
    """A run that fails while writing leaves the previous good files untouched and no partial files."""
    out = tmp_path / "r"
    assert runner.invoke(cli, ["run", flagship_path, "-n", "8", "--out", str(out), "-q"]).exit_code == 0
    before = (out / "series.csv").read_bytes()

    def broken(self, handle):
        handle.write("half a fi")
        raise OSError("disk full")

    from sim.runs.table import Table

    monkeypatch.setattr(Table, "write_csv", broken)  # how a run folder's tables are written (without pandas)
    res = runner.invoke(cli, ["run", flagship_path, "-n", "9", "--out", str(out), "-q"])
    assert res.exit_code != 0
    assert "disk full" in str(res.exception)
    assert (out / "series.csv").read_bytes() == before
    assert not list(out.glob("*.part")) and [p.name for p in out.glob(".*")] == [".docket.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_plan_lists_deadlines(runner, flagship_path):
    """`docket plan` prints the planned deadlines and the rules that can move them."""
    res = runner.invoke(cli, ["plan", flagship_path])
    assert res.exit_code == 0
    assert "2020-11-12" in res.output and "deferred with probability 40%" in res.output


def test_explain_narrates(runner, flagship_path):
    """`docket explain -r K` tells replication K in dated sentences consistent with a full run."""
    res = runner.invoke(cli, ["explain", flagship_path, "-r", "3"])
    assert res.exit_code == 0
    assert res.output.splitlines()[0].startswith("replication 3 of tiktok-wechat-2020")
    assert any(line.startswith("2020-") for line in res.output.splitlines())


def test_run_bad_scenario_clean_error(runner, tmp_path):
    """Running an invalid scenario prints its problems and exits 1 without a traceback."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntitle: x\nwindow: {start: 2020-01-01, end: 2020-02-01}\npopulations: []\n")
    proc = subprocess.run([sys.executable, CLI, "run", str(bad)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "bad.yaml:4:14: populations: list should have at least 1 item" in proc.stderr


def test_run_needs_file_or_from(runner):
    """`docket run` with neither FILE nor --from is a usage error (exit 2)."""
    assert runner.invoke(cli, ["run"]).exit_code == 2


def test_load_results_round_trip(runner, flagship_path, tmp_path):
    """A run folder reads back into Results with the same tables and summary (for charts of a finished run)."""
    from sim import load_scenario, run
    from sim.runs.records import load_results, write_run
    from sim.scenario.loader import resolve_raw

    res = run(load_scenario(flagship_path), replications=12)
    write_run(res, tmp_path / "r", resolve_raw(flagship_path))
    back = load_results(tmp_path / "r")
    assert back.summary == json.loads(json.dumps(res.summary))
    pd.testing.assert_frame_equal(back.series, res.series, check_dtype=False, check_exact=True)
    assert back.scenario.name == res.scenario.name and back.replications == 12
    assert list(back.effective.columns) == ["measure", "date", "probability", "cumulative"]


HEAVY = ("pandas", "matplotlib", "pyarrow", "scipy", "plotly", "pytest", "jsonschema")
"""Libraries `docket run` must not import (start-up time, issue 17): pandas only when a table is read."""


def test_run_imports_no_pandas_nor_charts(tmp_path):
    """`docket run` (a fresh interpreter) writes its folder, summary included, without importing pandas or any
    chart library; reading a table then builds its DataFrame."""
    code = ("import sys, cli\n"
            f"sys.argv = ['docket', 'run', 'scenarios/quickstart.yaml', '-n', '3', '--workers', '1', '--out', "
            f"{str(tmp_path / 'run')!r}]\n"
            "try:\n    cli.main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
            "from sim import load_scenario, run\n"
            "res = run(load_scenario('scenarios/quickstart.yaml'), replications=3)\n"
            "print('pandas' in sys.modules, type(res.series).__name__, 'pandas' in sys.modules)\n")
    root = os.path.join(os.path.dirname(__file__), "..")
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    lines = proc.stdout.strip().splitlines()
    assert lines[-2:] == ["[]", "False DataFrame True"], proc.stdout
    assert (tmp_path / "run" / "series.csv").is_file() and (tmp_path / "run" / "summary.json").is_file()


def test_tables_written_without_pandas_are_pandas_bytes(tmp_path):
    """Every table of a run folder is the file ``DataFrame.to_csv`` writes of the same table (the run folder
    is written from numpy columns, :mod:`sim.runs.table`)."""
    from sim import load_scenario, run
    from sim.runs.records import write_run
    from sim.scenario.loader import resolve_raw

    path = "scenarios/tiktok-wechat-2020.yaml"
    res = run(load_scenario(path), replications=20, keep_replications=True)
    files = write_run(res, tmp_path, resolve_raw(path))
    names = {"replications": "replication_series"}
    for file in files:
        if file.suffix == ".csv":
            frame = getattr(res, names.get(file.stem, file.stem))
            assert file.read_text(encoding="utf-8") == frame.to_csv(index=False, date_format="%Y-%m-%d"), file.name
