"""Studies (`sim.runs.study`, `sim.runs.executors`): one set of tasks over runs, executors that never change
the numbers, failures named with their run and seed, and resume from the task cache."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import cli
import sim.runs.study as study_module
import sim.runs.task_files as task_files
from sim.engine.replications import ARRAYS
from sim.runs.atomic import write_with
from sim.runs.executors import Executor, LocalPool, open_executor
from sim.runs.outdir import task_cache
from sim.runs.study import RunSpec, run_study
from sim.scenario.errors import DocketError
from sim.scenario.loaded import load
from sim.scenario.loader import resolve_raw
from sim.studies.design import parse_param
from sim.studies.sweep import sweep
from tests.conftest import BASE, measure

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")
UNCERTAIN: dict[str, Any] = {
    **copy.deepcopy(BASE),
    "populations": [{"id": "users", "initial": {"between": ["0.8M", "1.2M"]}, "inflow": "10k/day",
                     "outflow": {"between": ["1%/month", "3%/month"]}}],
    "measures": [measure(deferral={"probability": 0.5, "delay": "30d", "max": 2})],
}


def specs(n: int = 70, deadlines: tuple[str, ...] = ("2020-03-01", "2020-05-01", "2020-07-01")) -> list[RunSpec]:
    """One run per deadline of the uncertain scenario; ``n`` replications each."""
    out = []
    for d in deadlines:
        data = copy.deepcopy(UNCERTAIN)
        data["measures"][0]["deadline"] = d
        out.append(RunSpec.of(f"deadline={d}", load(data, filename="<test>"), n, 3))
    return out


def same(a: Any, b: Any) -> bool:
    """Two studies' results are bit-identical: every array and every event-log row."""
    for x, y in zip(a.collected, b.collected, strict=True):
        if not all(np.array_equal(x.arrays[k], y.arrays[k]) for k in ARRAYS) or x.log.rows() != y.log.rows():
            return False
    return True


def test_executors_give_identical_results() -> None:
    """This process, a 2-process pool, and tasks of 16 replications instead of 1,024: bit-identical results."""
    base = run_study(specs(), workers=1)
    assert base.computed == 3 and not base.failures and base.executor == "this process"
    pooled = run_study(specs(), workers=2, chunk=16)  # 15 tasks over 2 processes, arriving in any order
    assert pooled.computed == 15 and pooled.executor == "2 local processes"
    assert same(base, pooled)


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three is bad")
    return x * x


def test_local_pool_returns_a_failure_and_finishes_the_others() -> None:
    """In a real process pool, one task raising leaves every other task's result intact."""
    with LocalPool(2) as pool:
        got = dict(pool.map(_fails_on_three, list(range(8))))
    assert sorted(got) == list(range(8))
    assert isinstance(got[3], ValueError) and str(got[3]) == "three is bad"
    assert {k: v for k, v in got.items() if k != 3} == {k: k * k for k in range(8) if k != 3}


class CrashOnce(Executor):
    """Runs tasks here, except that the task of ``scenario`` starting at replication ``start`` crashes (as a
    worker that runs out of memory would)."""

    def __init__(self, scenario: Any, start: int):
        self.scenario, self.start = scenario, start

    def map(self, fn: Any, items: Any) -> Any:
        for i, item in enumerate(items):
            scenario, _seed, start, *_rest = item.args if isinstance(item, task_files.Job) else item
            if scenario is self.scenario and start == self.start:
                yield i, MemoryError("worker ran out of memory")
            else:
                yield i, fn(items[i])


def test_failed_task_is_named_with_run_and_seed_and_others_finish(tmp_path: Path) -> None:
    """A failing task is reported with its run label, seed and replications; every other task finishes and is
    cached, so --resume then computes only the failed one."""
    runs = specs()
    crash = CrashOnce(runs[1].scenario, 32)
    study = run_study(runs, executor=crash, chunk=32, cache=tmp_path)
    assert len(study.failures) == 1 and study.computed == 8 and study.tasks == 9
    assert study.collected[1] is None and study.collected[0] is not None and study.collected[2] is not None
    with pytest.raises(DocketError) as err:
        study.raise_failures(tmp_path)
    text = str(err.value)
    assert "run `deadline=2020-05-01` (seed 3, replications 32-63) failed: MemoryError: worker ran out of memory" \
        in text and "1 of 9 tasks failed; the other 8 finished" in text and "--resume" in text
    assert len(list(tmp_path.glob("*.task"))) == 8
    resumed = run_study(runs, workers=1, chunk=32, cache=tmp_path, resume=True)
    assert (resumed.reused, resumed.computed, resumed.failures) == (8, 1, [])
    assert same(resumed, run_study(runs, workers=1, chunk=32))


def test_resume_after_interrupt_recomputes_nothing_that_finished(tmp_path: Path) -> None:
    """An interrupted study (Ctrl-C after 4 tasks) resumes with exactly those 4 reused, the rest computed, and
    the same numbers as an uninterrupted study."""
    runs, finished = specs(), []

    def interrupt(n: int) -> None:
        finished.append(n)
        if len(finished) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_study(runs, workers=1, chunk=16, cache=tmp_path, progress=SimpleNamespace(plan=abs, update=interrupt))
    assert len(list(tmp_path.glob("*.task"))) == 4
    resumed = run_study(runs, workers=1, chunk=16, cache=tmp_path, resume=True)
    assert (resumed.reused, resumed.computed) == (4, 11)
    assert same(resumed, run_study(runs, workers=1, chunk=16))


class Recording(Executor):
    """Runs tasks here, recording the task functions; ``local_files=False`` plays workers that do not share
    this machine's files (a remote Dask cluster)."""

    def __init__(self, local_files: bool) -> None:
        self.local_files, self.functions = local_files, set[str]()

    def map(self, fn: Any, items: Any) -> Any:
        self.functions.add(fn.__name__)
        yield from super().map(fn, items)


def test_task_files_are_written_by_workers_that_share_the_files_and_here_for_others(tmp_path: Path) -> None:
    """On a local pool each worker writes the task files it computed; on workers elsewhere this process writes
    them; either way the same files, loaded back to the same numbers."""
    runs = specs()
    with LocalPool(2) as pool:
        pooled = run_study(runs, executor=pool, chunk=32, cache=tmp_path / "pool")
    remote, here = Recording(local_files=False), Recording(local_files=True)
    far = run_study(runs, executor=remote, chunk=32, cache=tmp_path / "far")
    run_study(runs, executor=here, chunk=32, cache=tmp_path / "here")
    assert remote.functions == {"chunk_task"} and here.functions == {"computed_and_saved"}
    names = sorted(p.name for p in (tmp_path / "pool").iterdir())
    assert len(names) == 9 and names == sorted(p.name for p in (tmp_path / "far").iterdir())
    assert same(pooled, far)
    for folder in ("pool", "far"):
        resumed = run_study(runs, workers=1, chunk=32, cache=tmp_path / folder, resume=True)
        assert (resumed.reused, resumed.computed) == (9, 0) and same(resumed, far)


def test_pool_workers_hand_results_over_as_files_and_leave_nothing(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a cache, a local pool's workers still hand their results over as files (a private temporary
    folder, read in place): the same numbers as in this process, and the folder is gone afterwards."""
    runs = specs()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[str] = []
    real = task_files.load_task

    def load(path: Path) -> Any:
        seen.append(path.parent.name)
        return real(path)

    monkeypatch.setattr(study_module, "load_task", load)
    with LocalPool(2) as pool:
        pooled = run_study(runs, executor=pool, chunk=32)
    assert len(seen) == 9 and seen[0].startswith("docket-tasks-") and list(tmp_path.iterdir()) == []
    assert same(pooled, run_study(runs, workers=1, chunk=32))


def test_hand_over_folders_of_killed_dockets_are_cleared_and_nothing_else(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A hand-over folder whose docket is gone loses the task files docket wrote there (and goes if then empty);
    one of a live docket, or with someone else's file, is left as it is."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead, kept, live = (tmp_path / "docket-tasks-999999999-abcd1234", tmp_path / "docket-tasks-999999998-abcd1234",
                        tmp_path / f"docket-tasks-{os.getpid()}-abcd1234")
    for folder in (dead, kept, live):
        folder.mkdir()
        (folder / f"{'a' * 32}.task").write_bytes(b"half")
    (kept / "notes.txt").write_text("mine")
    fresh = task_files.hand_over_folder()
    assert fresh is not None and fresh.name.startswith(f"docket-tasks-{os.getpid()}-")
    assert not dead.exists() and sorted(p.name for p in kept.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in live.iterdir()) == [f"{'a' * 32}.task"]


def test_cache_is_keyed_by_scenario_and_seed(tmp_path: Path) -> None:
    """Tasks of a changed scenario or another seed are never reused."""
    run_study(specs(deadlines=("2020-03-01",)), workers=1, cache=tmp_path)
    other = specs(deadlines=("2020-03-02",))
    assert run_study(other, workers=1, cache=tmp_path, resume=True).reused == 0
    reseeded = [RunSpec(s.label, s.scenario, s.digest, s.replications, 4, s.grid) for s in specs(
        deadlines=("2020-03-01",))]
    assert run_study(reseeded, workers=1, cache=tmp_path, resume=True).reused == 0
    assert run_study(specs(deadlines=("2020-03-01",)), workers=1, cache=tmp_path, resume=True).reused == 1


def test_a_run_without_its_scenario_data_is_never_cached(tmp_path: Path) -> None:
    """A run built without its resolved data has no cache key; caching it is refused, not silently shared."""
    spec = specs(deadlines=("2020-03-01",))[0]
    bare = RunSpec.of("bare", spec.scenario, 10)
    assert bare.digest == "" and run_study([bare], workers=1).computed == 1
    with pytest.raises(DocketError, match="needs every run's resolved scenario"):
        run_study([bare], workers=1, cache=tmp_path)


def test_unreadable_cache_file_is_recomputed(tmp_path: Path) -> None:
    """A truncated task file (a crash mid-write on another machine) is computed again, not trusted."""
    runs = specs(deadlines=("2020-03-01",))
    run_study(runs, workers=1, cache=tmp_path)
    path = next(tmp_path.glob("*.task"))
    path.write_bytes(path.read_bytes()[:100])
    again = run_study(runs, workers=1, cache=tmp_path, resume=True)
    assert (again.reused, again.computed) == (0, 1)


def test_task_files_round_trip_and_damaged_ones_are_refused(tmp_path: Path) -> None:
    """A saved task loads back to the same arrays, log and inputs (read-only views of the file, the log copied);
    a file cut short, with another magic, a header that is not what docket writes, or log codes out of range is
    ``None`` (recomputed), never an exception."""
    runs = specs(deadlines=("2020-03-01",))
    chunk = run_study(runs, workers=1).collected[0].chunk()
    path = tmp_path / f"{'a' * 32}.task"
    assert task_files.save_task(path, chunk)
    back = task_files.load_task(path)
    assert back is not None and back.start == chunk.start and back.inputs == chunk.inputs
    assert all(np.array_equal(getattr(back, k), getattr(chunk, k)) and not getattr(back, k).flags.writeable
               for k in ARRAYS)
    assert back.log.rows() == chunk.log.rows() and back.log.replication[0].flags.writeable
    good = path.read_bytes()
    n = int.from_bytes(good[len(task_files.MAGIC):len(task_files.MAGIC) + 8], "little")
    header = json.loads(good[len(task_files.MAGIC) + 8:len(task_files.MAGIC) + 8 + n])

    def with_header(h: Any) -> bytes:
        text = json.dumps(h).encode().ljust(n)  # the same length, so the arrays stay where they were
        return good[:len(task_files.MAGIC) + 8] + text + good[len(task_files.MAGIC) + 8 + n:]

    codes = {**header, "texts": {**header["texts"], "what": []}}  # every `what` code now out of range
    damaged = [good[:-1], good + b"x", b"", b"not a task", b"x" + good[1:], with_header([1, 2]),
               with_header({**header, "arrays": [["stocks", "|O", [2], 0]]}), with_header(codes)]
    for k, data in enumerate(damaged):
        path.write_bytes(data)
        assert task_files.load_task(path) is None, k
    assert task_files.load_task(tmp_path / "missing.task") is None


@pytest.mark.parametrize("workers", [1, 2])
def test_a_full_disk_for_the_task_cache_costs_resumability_not_the_study(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], workers: int) -> None:
    """A task file that cannot be written (no space left) is a warning: the study finishes with its numbers, in
    this process or when a pool worker could not write it (it then sends the results back itself)."""
    import errno

    def no_space(*args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def full(path: Path, writer: Any) -> None:
        write_with(path, lambda fh: writer(SimpleNamespace(write=no_space, seek=fh.seek, truncate=fh.truncate)))

    runs = specs(deadlines=("2020-03-01", "2020-05-01"))
    expected = run_study(runs, workers=1)
    monkeypatch.setattr(task_files, "write_with", full)
    done = run_study(runs, workers=workers, cache=tmp_path)
    assert not done.failures and done.computed == 2 and not list(tmp_path.iterdir())
    assert same(done, expected)
    assert capfd.readouterr().err.count("No space left on device") == 2


def test_cli_sweep_resumes_an_interrupted_sweep(tmp_path: Path) -> None:
    """`docket sweep --resume` after an interrupted sweep of the same points reuses what finished (and says so),
    writes the same table as a fresh sweep, and removes the task cache."""
    out = tmp_path / "s"
    param = "measures.sales_ban.deadline=2026-02-01:2026-06-01:3"
    args = ["sweep", QUICKSTART, "--param", param, "-n", "40", "--workers", "1"]
    calls = []

    def interrupt(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # the same points, data and cache folder as the command uses
        sweep(resolve_raw(QUICKSTART, None), [parse_param(param)], replications=40, workers=1,
              cache=task_cache(out), progress=SimpleNamespace(plan=abs, update=interrupt))
    res = CliRunner().invoke(cli.cli, [*args, "--out", str(out), "--resume"])
    assert res.exit_code == 0, res.output
    # 3 points and the scenario as written (the base of each point's difference)
    assert "resumed: reused 2 of 4 tasks" in res.output and not task_cache(out).exists()
    fresh = CliRunner().invoke(cli.cli, [*args, "--out", str(tmp_path / "fresh")])
    assert fresh.exit_code == 0, fresh.output
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep.csv"), pd.read_csv(tmp_path / "fresh" / "sweep.csv"))


def test_dask_local_cluster_gives_the_local_numbers(tmp_path: Path) -> None:
    """A real 2-worker Dask LocalCluster (driven from a fresh process, so its threads never meet this process's
    forks) gives the same sweep table and the same run summary as local processes."""
    param = "measures.sales_ban.deadline=2026-02-01:2026-06-01:3"
    sweep_args = ["sweep", QUICKSTART, "--param", param, "-n", "1100"]
    run_args = ["run", QUICKSTART, "-n", "2100", "-q"]
    said = []
    for args, out in ((sweep_args, "sweep"), (run_args, "run")):
        done = subprocess.run([sys.executable, "-m", "cli", *args, "--out", str(tmp_path / f"{out}-dask"), "--dask",
                               "local", "--workers", "2"], capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        said.append(done.stderr)
        local = CliRunner().invoke(cli.cli, [*args, "--out", str(tmp_path / f"{out}-local"), "--workers", "2"])
        assert local.exit_code == 0, local.output
    assert "8 tasks ran on Dask LocalCluster (2 processes)" in said[0]  # 3 points and the base, 2 tasks each
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "sweep-dask" / "sweep.csv"),
                                  pd.read_csv(tmp_path / "sweep-local" / "sweep.csv"), check_exact=True)
    summaries = [json.loads((tmp_path / f"run-{n}" / "summary.json").read_text()) for n in ("dask", "local")]
    assert summaries[0] == summaries[1]


def test_unknown_scheduler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """An address nobody listens on fails cleanly, naming the address and what to check."""
    monkeypatch.setattr("sim.runs.executors.CONNECT_TIMEOUT", 1)
    with pytest.raises(DocketError, match=r"could not reach the Dask scheduler at `tcp://127.0.0.1:9`"):
        open_executor(1, "tcp://127.0.0.1:9")


def test_workers_must_be_positive() -> None:
    """Zero workers is refused with the number found."""
    with pytest.raises(DocketError, match="at least 1, got 0"):
        open_executor(0)
