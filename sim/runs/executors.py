"""Where tasks run: in this process, in a local process pool, or on a Dask distributed cluster.

Every executor has the same small interface, :meth:`Executor.map`: it runs a module-level function over a list
of arguments and yields ``(index, result)`` pairs as tasks finish, in any order. A task that raises yields its
exception as the result, so one failing task never stops the others. Which executor runs a study never changes
its numbers: tasks are pure functions of their arguments and results are put back in place by index.

``distributed`` is optional (``pip install -e '.[dask]'`` in the docket checkout) and imported only when a Dask
executor is opened.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sim.runs.atomic import running
from sim.scenario.errors import DocketError

if TYPE_CHECKING:  # the pool's module (and multiprocessing) loads when a pool starts, not with docket
    from concurrent.futures import ProcessPoolExecutor

Task = Callable[[Any], Any]
CONNECT_TIMEOUT = 10
"""Seconds to wait for a Dask scheduler to answer before giving up with a clear error."""
NANNY_MALLOC = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
"""Dask's nannies start workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which fixes glibc's allocation
thresholds and made docket's tasks take 1.8x the CPU time (0.57 -> 1.05 s per 1,000 flagship replications,
measured); a local cluster is started without it (see docs/execution.md for remote workers)."""
PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process gets when its parent dies."""
STOP_TIMEOUT = 5.0
"""Seconds a terminated pool worker gets to exit before it is killed."""


def cores() -> int:
    """Cores this process may use (the default number of workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


class Executor(AbstractContextManager["Executor"]):
    """Runs tasks; use as a context manager so pools and cluster connections are closed."""

    workers = 1
    local_files = True
    """Whether the tasks run on this machine, so that they can write files where this process reads them (a
    study's task cache)."""
    in_process = True
    """Whether the tasks run in this process (their results need not travel)."""

    def map(self, fn: Task, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(items[index]))`` as tasks finish; an exception is yielded as the result."""
        for i, item in enumerate(items):
            try:
                yield i, fn(item)
            except Exception as exc:  # reported with its task by the caller; the others go on
                yield i, exc

    def describe(self) -> str:
        """Where the tasks run, for messages and run records."""
        return "this process"

    def __exit__(self, *exc: object) -> None:
        return None


def _worker_start(parent: int) -> None:
    """Initializer of every pool worker: it ends with its parent, however the parent ends.

    The parent alone handles Ctrl-C and SIGTERM (and then terminates its workers); a worker takes SIGTERM's
    default action (exit) and, on Linux, asks for SIGTERM when its parent dies, so even a parent killed with
    SIGKILL takes its workers down.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # a libc without prctl: workers end with the pool only
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent and not running(parent):  # the parent died before prctl took effect
        os._exit(1)


class LocalPool(Executor):
    """A pool of ``workers`` local processes.

    Tasks are submitted a few at a time (twice the workers), so a long study holds few pending results
    in memory. On an interrupt (Ctrl-C, SIGTERM, any exception in the caller) the workers are terminated at
    once, not left to finish their tasks; they also end if this process is killed (:func:`_worker_start`).
    """

    in_process = False

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Task, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, result or exception)`` as the pool's processes finish tasks."""
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_start,
                                             initargs=(os.getpid(),))
        todo = iter(enumerate(items))
        running: dict[Future[Any], int] = {}
        refused: list[tuple[int, Any]] = []  # a broken pool (a worker killed) refuses new tasks

        def top_up() -> None:
            assert self._pool is not None
            for i, item in todo:
                try:
                    running[self._pool.submit(fn, item)] = i
                except RuntimeError as exc:  # BrokenProcessPool, or a pool shut down under us
                    refused.append((i, exc))
                if len(running) >= 2 * self.workers:
                    return

        top_up()
        while running or refused:
            yield from refused
            refused.clear()
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                i = running.pop(fut)
                exc = fut.exception()
                yield i, exc if exc is not None else fut.result()
            top_up()

    def describe(self) -> str:
        """``N local processes``."""
        return f"{self.workers} local processes"

    def __exit__(self, kind: object = None, *exc: object) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kind is None:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        # Interrupted: a ProcessPoolExecutor would wait for the running tasks; end its processes instead.
        procs = list((getattr(pool, "_processes", None) or {}).values())  # no public handle before Python 3.14
        for proc in procs:
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.join(STOP_TIMEOUT)
            if proc.is_alive():
                proc.kill()
                proc.join(STOP_TIMEOUT)


class DaskExecutor(Executor):
    """A Dask distributed cluster: an existing scheduler (``tcp://host:8786``), or ``local`` for a
    ``LocalCluster`` of ``workers`` single-threaded processes started here and closed afterwards.

    Workers need docket installed (the same version): tasks are docket functions, sent by reference.
    """

    in_process = False

    def __init__(self, scheduler: str, workers: int):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise DocketError("running on Dask needs the `distributed` package: pip install -e '.[dask]' in the docket "
                              "checkout (or drop --scheduler/--dask to use local processes)") from None
        self.scheduler = scheduler
        self.local_files = scheduler == "local"  # a remote worker's folders are not this machine's
        self._cluster: Any = None
        if scheduler == "local":
            import dask

            self.workers = workers
            with dask.config.set({NANNY_MALLOC: None}):
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             dashboard_address=None)
            self.client = Client(self._cluster)
        else:
            try:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise DocketError(f"could not reach the Dask scheduler at `{scheduler}` within {CONNECT_TIMEOUT} s "
                                  f"({exc}); check the address (e.g. tcp://10.0.0.5:8786) and that the scheduler "
                                  "is running, or use --dask local") from None
            self.workers = max(1, sum(w.get("nthreads", 1) for w in
                                      self.client.scheduler_info().get("workers", {}).values()))

    def map(self, fn: Task, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Submit every task to the cluster and yield results as they complete."""
        from distributed import as_completed

        futures = {self.client.submit(fn, item, pure=False): i for i, item in enumerate(items)}
        for fut in as_completed(futures):
            i = futures[fut]
            if fut.status == "error":
                exc = fut.exception()
                yield i, exc if isinstance(exc, BaseException) else RuntimeError(str(exc))
            else:
                yield i, fut.result()
            fut.release()

    def describe(self) -> str:
        """``Dask LocalCluster (N processes)`` or ``Dask scheduler ADDRESS``."""
        if self._cluster is not None:
            return f"Dask LocalCluster ({self.workers} processes)"
        return f"Dask scheduler {self.scheduler} ({self.workers} worker threads)"

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def open_executor(workers: int | None = None, scheduler: str | None = None, tasks: int | None = None) -> Executor:
    """The executor for ``--workers`` and ``--scheduler``: Dask when a scheduler is given (``local`` starts one
    here), else a local pool of ``workers`` processes (default: every core), else this process when one worker
    (or one task) is enough.

    Example:
        >>> with open_executor(1) as ex:
        ...     sorted(ex.map(abs, [-1, 2]))
        [(0, 1), (1, 2)]
    """
    n = cores() if workers is None else workers
    if n < 1:
        raise DocketError(f"workers must be at least 1, got {n}")
    if scheduler is not None:
        return DaskExecutor(scheduler, n)
    if n == 1 or (tasks is not None and tasks <= 1):
        return Executor()
    return LocalPool(n if tasks is None else min(n, tasks))
