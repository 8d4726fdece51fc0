"""Memory: every command that simulates estimates what its runs will hold and refuses, before anything is
allocated, a run above --max-memory (default: half of the machine's memory)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from click.testing import CliRunner

from cli import cli
from sim.engine.replications import EXACT_LIMIT, grids
from sim.runs import memory
from sim.runs.study import RunSpec
from sim.scenario.errors import DocketError
from sim.scenario.loader import load_scenario

FLAGSHIP = "scenarios/tiktok-wechat-2020.yaml"


@pytest.mark.parametrize(("text", "size"), [
    ("4G", 4 * 10**9), ("512M", 512 * 10**6), ("1.5GB", 1.5e9), ("2GiB", 2 * 2**30), ("100k", 10**5),
    ("2000", 2000), (" 3 tb ", 3 * 10**12),
])  # fmt: skip
def test_sizes_read_with_suffixes(text: str, size: float) -> None:
    """--max-memory takes sizes with k/M/G/T (powers of 1000, as messages print them) or KiB..TiB."""
    assert memory.parse_size(text) == int(size)


@pytest.mark.parametrize("bad", ["lots", "-1G", "0", "4X", "", "1e3G"])
def test_bad_sizes_are_refused(bad: str) -> None:
    """A size that is not a positive number with a known suffix is an error naming the option."""
    with pytest.raises(DocketError, match="--max-memory"):
        memory.parse_size(bad)


def test_the_default_limit_is_half_of_the_machine() -> None:
    """Without --max-memory the limit is half of the physical memory (a fixed fallback if unreadable)."""
    total = memory.total_memory()
    assert total is None or total > 2**28
    assert memory.default_limit() == (total // 2 if total else memory.FALLBACK)
    with memory.limited(123):
        assert memory.current_limit() == 123
    assert memory.current_limit() == memory.default_limit()


def test_the_estimate_grows_with_replications_grid_and_kept_rows() -> None:
    """The estimate is replications x report days x series x bytes plus the event log, float32 beyond
    EXACT_LIMIT replications, and --keep-replications adds the per-replication table."""
    s = load_scenario(FLAGSHIP)
    days = len(grids(s)[0])
    small, kept = memory.estimate(s, 1000, days), memory.estimate(s, 1000, days, keep_replications=True)
    assert small.series == 2 * len(s.populations) + 5 * len(s.metrics) and small.itemsize == 8
    assert small.series_bytes == pytest.approx(1000 * days * small.series * 8 * memory.AGGREGATE, rel=1e-9)
    assert memory.estimate(s, 2000, days).bytes == pytest.approx(2 * small.bytes, rel=1e-9)
    assert kept.bytes > 2 * small.bytes
    assert memory.estimate(s, EXACT_LIMIT + 1, days).itemsize == 4
    assert memory.log_rows(s) >= len(s.measures) + len(s.events)


def test_the_log_bound_covers_the_rows_a_run_writes() -> None:
    """The event-log rows per replication the estimate assumes are at least what a real run logs."""
    from sim import run

    for path in ("scenarios/tiktok-wechat-2020.yaml", "scenarios/shelved-measures-2026.yaml"):
        s = load_scenario(path)
        results = run(s, replications=100)
        per_rep = results.events.groupby("replication").size()
        assert per_rep.max() <= memory.log_rows(s), path


def test_a_trillion_replications_are_refused_at_once() -> None:
    """`-n 1000000000000` (the issue's example) is refused in well under a second with the estimate, how it
    is made and how to reduce it; nothing is allocated."""
    runner = CliRunner()
    t0 = time.perf_counter()
    res = runner.invoke(cli, ["run", FLAGSHIP, "-n", "1000000000000", "--max-memory", "12G"])
    elapsed = time.perf_counter() - t0
    assert res.exit_code == 1 and isinstance(res.exception, DocketError), res.output
    text = str(res.exception)
    assert text.startswith("this run would need about ")
    days = len(grids(load_scenario(FLAGSHIP))[0])  # the report grid with the key and dated days: 44 + 6
    assert f"1,000,000,000,000 replications × {days} report days × 23 series × 4 bytes" in text
    assert "more than --max-memory 12 GB: use fewer replications (-n)" in text
    assert "a coarser report grid (`report: month`)" in text
    assert elapsed < 1.0


def test_the_limit_applies_to_every_simulating_command(tmp_path: Any) -> None:
    """run, brief, compare, sweep, sensitivity and test all take --max-memory and refuse before running."""
    small = ["-n", "10", "--max-memory", "1M"]
    commands = [
        ["run", FLAGSHIP, *small, "--out", str(tmp_path / "run")],
        ["brief", FLAGSHIP, *small, "--out", str(tmp_path / "brief")],
        ["compare", FLAGSHIP, "--variants", "deal_reached", *small, "--out", str(tmp_path / "cmp")],
        ["sweep", FLAGSHIP, "--param", "measures.tiktok_app_store.deferral.probability=10%:50%:3", *small,
         "--out", str(tmp_path / "sweep")],
        ["sensitivity", FLAGSHIP, "--outcome", "tiktok_user_days", *small, "--out", str(tmp_path / "sens")],
    ]
    for args in commands:
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 1 and isinstance(res.exception, DocketError), (args[0], res.output)
        assert "more than --max-memory 1 MB" in str(res.exception), args[0]
    assert not any(tmp_path.iterdir())
    res = CliRunner().invoke(cli, ["test", "scenarios/quickstart.yaml", *small])
    assert res.exit_code == 1 and "more than --max-memory 1 MB" in res.output
    assert "drop --keep-replications" in res.output  # docket test keeps every replication: counted


def test_keep_replications_counts(tmp_path: Any) -> None:
    """A run that fits the limit without --keep-replications is refused with it."""
    s = load_scenario(FLAGSHIP)
    days = len(grids(s)[0])
    plain = memory.BASE + memory.estimate(s, 2000, days).bytes
    limit = plain + 10**6
    memory.require([RunSpec.of("run", s, 2000)], limit=limit)  # fits without the kept table
    out = str(tmp_path / "r")
    res = CliRunner().invoke(cli, ["run", FLAGSHIP, "-n", "2000", "--max-memory", str(limit), "-q", "--out", out,
                                   "--keep-replications"])
    assert res.exit_code == 1 and "drop --keep-replications" in str(res.exception)
    res = CliRunner().invoke(cli, ["run", FLAGSHIP, "-n", "20", "--max-memory", "4G", "-q", "--out", out])
    assert res.exit_code == 0, res.output


def test_a_bad_max_memory_is_a_usage_error() -> None:
    """`--max-memory lots` exits 2 with the expected form."""
    res = CliRunner().invoke(cli, ["run", FLAGSHIP, "--max-memory", "lots"])
    assert res.exit_code == 2
    assert "expected a size such as `4G`" in res.output


def test_require_sums_the_runs_of_a_study() -> None:
    """A study's runs are counted together; the message names how many."""
    s = load_scenario(FLAGSHIP)
    specs = [RunSpec.of(f"r{i}", s, 1000) for i in range(3)]
    need = memory.require(specs, limit=10**15)
    one = memory.require(specs[:1], limit=10**15)
    assert need - memory.BASE == pytest.approx(3 * (one - memory.BASE), rel=1e-9)
    with pytest.raises(DocketError, match="these 3 runs would need about"):
        memory.require(specs, limit=need - 1)


def test_a_reduced_study_counts_the_runs_it_holds_at_once() -> None:
    """A sweep drops each run's arrays once it is aggregated: 1,000 points need what two runs need, not 1,000."""
    s = load_scenario(FLAGSHIP)
    specs = [RunSpec.of(f"r{i}", s, 1000) for i in range(1000)]
    one = memory.require(specs[:1], limit=10**15) - memory.BASE
    assert memory.require(specs, limit=10**15, reduced=True) - memory.BASE == pytest.approx(2 * one, rel=1e-9)
    assert memory.require(specs, limit=10**15) - memory.BASE == pytest.approx(1000 * one, rel=1e-9)


def test_a_spilled_run_counts_one_series_in_memory(flagship_path):
    """A run whose series go to a temporary file (sim/runs/spill.py) holds one series at a time: the estimate
    of a 20-year weekly window at 10,000 replications drops from about 2.9 GB to about 0.4 GB of series."""
    from sim.runs.memory import estimate
    from sim.runs.spill import SPILL_BYTES

    s = load_scenario(flagship_path)
    kept, spilled = estimate(s, 10_000, 1054), estimate(s, 10_000, 1054, spill_bytes=SPILL_BYTES)
    assert not kept.spilled and spilled.spilled
    assert kept.series_bytes == int(10_000 * 1054 * 23 * 8 * 1.5) and spilled.series_bytes == 10_000 * 1054 * 8 * 4
    assert not estimate(s, 1_000, 60, spill_bytes=SPILL_BYTES).spilled  # a small run keeps its series in memory
