"""Studies: the runs of one question (variants, sweep points, inputs held low or high) as one set of tasks.

A study is a list of :class:`RunSpec` (a resolved scenario, its replications, seed and report grid, and any
pinned inputs). Each run is cut into tasks of :data:`sim.engine.replications.CHUNK` replications and every task
of every run goes to one executor (:mod:`sim.runs.executors`): this process, a local process pool, or a Dask cluster.
Tasks are pure functions of their run and replication range and are put back in place, so the numbers never depend on
where or in which order tasks ran.

**Failures.** A task that raises is recorded as a :class:`Failure` naming its run's label, seed and
replications; every other task still runs. :meth:`Study.raise_failures` turns them into one error.

**Resume.** With a ``cache`` folder, every finished task is saved there (``<key>.task``, written atomically as
it finishes, by the worker that computed it when the executor's workers share this machine's files:
:mod:`sim.runs.task_files`). The key is a hash of the resolved scenario
(:func:`sim.scenario.loaded.scenario_hash`), seed, replication range, grid, pinned inputs and docket's version,
so a changed scenario never reuses an old task. With ``resume=True`` a task whose file exists is loaded instead
of computed. Callers delete the cache once the study's outputs are written (:func:`clear_cache`, which deletes
only the task files): it exists only to survive an interruption or a failure. The commands keep it next to their
output folder (:func:`sim.runs.outdir.task_cache`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from sim import __version__
from sim.engine.replications import (
    CHUNK,
    EXACT_LIMIT,
    Chunk,
    Collected,
    chunk_task,
    grids,
    report_grid,
)
from sim.runs.executors import Executor, open_executor
from sim.runs.memory import require
from sim.runs.owned import clear_tasks
from sim.runs.results import aggregate as results_of
from sim.runs.spill import collected_like, release
from sim.runs.task_files import Job, SavedTask, computed_and_saved, hand_over_folder, load_task, save_task
from sim.scenario.errors import DocketError
from sim.scenario.loaded import Loaded, run_defaults
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.runs.results import Results


class Progress(Protocol):
    """Where a study reports its progress (the command line's progress bar).

    :func:`run_study` calls ``plan`` once with the replications of all its runs, before any of them finishes, then
    ``update`` with the replications of each task as it finishes (reused tasks first). A command that runs two
    studies one after the other (sensitivity: the base run, then the inputs held low and high) plans twice.
    """

    def plan(self, replications: int) -> None:
        """``replications`` more replications are to run."""

    def update(self, replications: int) -> None:
        """``replications`` replications have finished."""


@dataclass(frozen=True)
class RunSpec:
    """One run of a study.

    Attributes:
        label: how messages name the run (a variant, a sweep point, ``input=low``).
        scenario: the validated scenario.
        digest: SHA-256 of the resolved scenario data (:func:`sim.scenario.loaded.scenario_hash`); keys the task cache
            (empty for a run that is never cached).
        replications: replications of the run.
        seed: root seed.
        grid: days (since the window start) to solve.
        pins: ``(stream name, quantile)`` pairs held fixed in every replication (see :mod:`sim.engine.draws`).
    """

    label: str
    scenario: Scenario
    digest: str
    replications: int
    seed: int
    grid: tuple[int, ...]
    pins: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, label: str, run: Loaded | Scenario, replications: int | None = None, seed: int | None = None,
           grid: Sequence[int] | None = None, pins: dict[str, float] | None = None) -> RunSpec:
        """A run of a loaded scenario (a bare :class:`Scenario`: a run that cannot be cached), with its defaults
        filled in (:func:`sim.scenario.loaded.run_defaults`)."""

        scenario, digest = (run.scenario, run.digest) if isinstance(run, Loaded) else (run, "")
        n, sd = run_defaults(scenario, replications, seed)
        return cls(label, scenario, digest, n, sd, tuple(grids(scenario)[0] if grid is None else grid),
                   tuple(sorted((pins or {}).items())))

    @property
    def dtype(self) -> type:
        """Storage type of the run's series (see :data:`sim.engine.replications.EXACT_LIMIT`)."""
        return np.float64 if self.replications <= EXACT_LIMIT else np.float32

    def task_key(self, start: int, stop: int) -> str:
        """The cache key of replications ``start .. stop - 1`` of this run."""
        what = {"version": __version__, "scenario": self.digest, "seed": self.seed, "start": start, "stop": stop,
                "grid": list(self.grid), "pins": [list(p) for p in self.pins], "dtype": np.dtype(self.dtype).name}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Failure:
    """A task that raised: which run, seed and replications, and the error."""

    label: str
    seed: int
    start: int
    stop: int
    error: str

    def text(self) -> str:
        """One line for the terminal."""
        return (f"run `{self.label}` (seed {self.seed}, replications {self.start}-{self.stop - 1}) failed: "
                f"{self.error}")


@dataclass
class Study:
    """What :func:`run_study` returns.

    Attributes:
        specs: the runs, in order.
        collected: each run's results, or ``None`` for a run with a failed task (or one given to ``reduce``).
        outputs: what ``reduce`` returned for each run (``None`` without ``reduce`` or for a failed run).
        failures: the tasks that raised.
        computed: tasks computed in this call.
        reused: tasks loaded from the cache (``resume=True``).
        executor: where the tasks ran (:meth:`sim.runs.executors.Executor.describe`).
        wall_time: seconds for the whole study.
    """

    specs: list[RunSpec]
    collected: list[Collected | None]
    failures: list[Failure] = field(default_factory=list)
    computed: int = 0
    reused: int = 0
    executor: str = ""
    wall_time: float = 0.0
    outputs: list[Any] = field(default_factory=list)

    def results(self, i: int, keep_replications: bool = False) -> Results:
        """Run ``i`` aggregated (:func:`aggregate`)."""
        collected = self.collected[i]
        if collected is None:
            raise DocketError(f"run `{self.specs[i].label}` has no results: a task failed")
        return aggregate(self.specs[i], collected, self.wall_time / len(self.specs), keep_replications)

    @property
    def tasks(self) -> int:
        """Tasks in the study."""
        return self.computed + self.reused + len(self.failures)

    def raise_failures(self, cache: Path | None = None) -> None:
        """Raise one :class:`DocketError` listing every failed task (and how to resume), if any failed."""
        if not self.failures:
            return
        lines = [f"{len(self.failures)} of {self.tasks} tasks failed; the other {self.tasks - len(self.failures)} "
                 "finished", *(f"  {f.text()}" for f in self.failures)]
        if cache is not None:
            lines.append(f"finished tasks are saved in {cache}/: fix the cause and re-run the same command with "
                         "--resume to compute only what is missing")
        raise DocketError("\n".join(lines))

    def finish(self, cache: str | Path, resume: bool, say: Callable[[str], None]) -> None:
        """After the study's outputs are written: ``say`` what was reused (with ``resume``) and where the computed
        tasks ran, then drop the task cache (:func:`clear_cache`).

        Example:
            >>> Study([], [], [], computed=3, executor="2 processes", wall_time=1.25).finish("/none", False, print)
            3 tasks ran on 2 processes in 1.2 s
        """
        if resume:
            say(f"resumed: reused {self.reused} of {self.tasks} tasks from {cache}/, computed {self.computed}")
        if self.computed:
            say(f"{self.computed} task{'s' if self.computed != 1 else ''} ran on {self.executor} in "
                f"{self.wall_time:.1f} s")
        clear_cache(cache)


def aggregate(spec: RunSpec, collected: Collected, wall_time: float = 0.0, keep_replications: bool = False,
              ) -> Results:
    """A run's results (:func:`sim.runs.results.aggregate`), reported on its scenario's report grid."""

    return results_of(spec.scenario, collected, list(spec.grid), set(report_grid(spec.scenario)),
                      spec.replications, spec.seed, wall_time, keep_replications)


def run_study(specs: Sequence[RunSpec], *, workers: int | None = None, scheduler: str | None = None,
              executor: Executor | None = None, cache: str | Path | None = None, resume: bool = False,
              chunk: int = CHUNK, verify_accounting: bool = False, progress: Progress | None = None,
              reduce: Callable[[int, Collected], Any] | None = None, keep_replications: bool = False,
              spill_bytes: int | None = None) -> Study:
    """Run every task of every run on one executor; finished tasks are saved to ``cache`` as they arrive.

    Args:
        specs: the runs.
        workers: local processes (``None``: every core); with ``scheduler``, the size of a ``local`` cluster.
        scheduler: a Dask scheduler address, or ``local`` (see :func:`sim.runs.executors.open_executor`).
        executor: an open executor to use instead of ``workers``/``scheduler`` (it is not closed here).
        cache: folder for finished tasks (``None``: keep nothing).
        resume: load tasks already in ``cache`` instead of computing them.
        chunk: replications per task (results do not depend on it).
        verify_accounting: verify stock accounting in every task (:func:`sim.engine.replications.replicate`).
        progress: told the replications planned, then those finished, task by task (reused ones first).
        reduce: called as ``reduce(i, collected)`` as soon as run ``i`` is complete; its value goes to
            :attr:`Study.outputs` and the run's arrays are dropped, so a study of many runs holds only what each
            run reduces to (a sweep keeps each point's aggregated results, not its replications).
        keep_replications: the caller keeps every replication's series (counted in the memory estimate).
        spill_bytes: a run whose series would pass this many bytes keeps them in a temporary file
            (:func:`sim.runs.spill.collected_like`; ``None``: in memory).

    Returns:
        A :class:`Study`; runs with a failed task have ``None`` results and a :class:`Failure` each.

    Raises:
        DocketError: before anything runs, when the runs would need more memory than the limit in force
            (:func:`sim.runs.memory.require`, ``--max-memory``).
    """

    require(specs, keep_replications, reduced=reduce is not None, spill_bytes=spill_bytes)
    t0 = time.perf_counter()
    folder = Path(cache) if cache is not None else None
    if folder is not None and not all(spec.digest for spec in specs):
        raise DocketError("a cached study needs every run's resolved scenario (RunSpec.of a Loaded): tasks "
                          "are keyed by its hash")
    tasks = [(i, a, min(spec.replications, a + chunk)) for i, spec in enumerate(specs)
             for a in range(0, spec.replications, chunk)]
    study = Study(list(specs), [None] * len(specs), outputs=[None] * len(specs))
    done = [0] * len(specs)
    needed = [0] * len(specs)
    for i, _, _ in tasks:
        needed[i] += 1
    failed: set[int] = set()

    def file_of(i: int, a: int, b: int, where: Path | None = folder) -> Path:
        assert where is not None
        return where / f"{specs[i].task_key(a, b)}.task"

    def take(i: int, c: Chunk) -> None:
        got = study.collected[i]
        if got is None:
            got = study.collected[i] = collected_like(c, specs[i].replications, spill_bytes)
        try:
            got.add(c)
        except BaseException:  # a spilled series that cannot be written: its files are closed now, not at exit
            release(got)
            study.collected[i] = None
            raise
        done[i] += 1
        if reduce is not None and done[i] == needed[i]:
            study.outputs[i] = reduce(i, got)
            study.collected[i] = None
        if progress is not None:
            progress.update(len(c.stocks))

    if progress is not None:
        progress.plan(sum(spec.replications for spec in specs))
    todo = []
    for i, a, b in tasks:
        found = load_task(file_of(i, a, b)) if resume and folder is not None else None
        if found is not None:
            study.reused += 1
            take(i, found)
        else:
            todo.append((i, a, b))
    args = [(specs[i].scenario, specs[i].seed, a, b, list(specs[i].grid), verify_accounting, specs[i].dtype,
             dict(specs[i].pins) or None) for i, a, b in todo]
    if todo:
        own, hand_over = executor is None, None
        ex = executor or open_executor(workers, scheduler, len(todo))
        try:
            study.executor = ex.describe()
            hand_over = hand_over_folder() if folder is None and ex.local_files and not ex.in_process else None
            where = folder or hand_over
            saving = where is not None and ex.local_files  # the workers write the task files, in parallel
            jobs: list[Any] = args
            if saving:
                jobs = [Job(x, str(file_of(i, a, b, where)), ex.in_process, folder is not None)
                        for x, (i, a, b) in zip(args, todo, strict=True)]
            for k, result in ex.map(computed_and_saved if saving else chunk_task, jobs):
                i, a, b = todo[k]
                if isinstance(result, BaseException):
                    study.failures.append(Failure(specs[i].label, specs[i].seed, a, b, _error_text(result)))
                    failed.add(i)
                    continue
                if isinstance(result, SavedTask):  # a worker wrote it: read it in place
                    path = Path(result.path)
                    result = load_task(path)
                    if hand_over is not None:
                        path.unlink(missing_ok=True)  # mapped: readable until copied
                    if result is None:
                        study.failures.append(Failure(specs[i].label, specs[i].seed, a, b,
                                                      "its saved results could not be read back"))
                        failed.add(i)
                        continue
                elif folder is not None and not saving:  # workers elsewhere: this process keeps the cache
                    save_task(file_of(i, a, b), result)
                study.computed += 1
                take(i, result)
                del result  # copied into place: not alive while the next task runs in this process
        except BaseException as exc:  # Ctrl-C, SIGTERM, a failing progress callback: end the workers now
            if own:
                own = False
                ex.__exit__(type(exc), exc, exc.__traceback__)
            raise
        finally:
            if own:
                ex.__exit__(None, None, None)
            if hand_over is not None:
                clear_tasks(hand_over)
    for i in failed:
        study.collected[i] = study.outputs[i] = None
    study.failures.sort(key=lambda f: (f.label, f.start))
    study.wall_time = time.perf_counter() - t0
    return study


def clear_cache(cache: str | Path) -> None:
    """Delete a study's task cache (after its outputs are written): only the task files docket wrote there,
    then the folder if it is empty (:func:`sim.runs.owned.clear_tasks`); anyone else's files stay."""

    clear_tasks(Path(cache))


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


