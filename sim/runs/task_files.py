"""A study's finished tasks as files: what ``--resume`` reloads, and how a worker hands its results back.

:func:`save_task` writes one task's :class:`~sim.engine.replications.Chunk` as a ``<key>.task`` file, atomically:
:data:`MAGIC`, the length of a JSON header, the header (the chunk's start, accounting error and inputs; the event
log's texts, each distinct text once; every array's name, dtype, shape and offset; the file's size), then every
array's bytes as they are in memory, each at a multiple of 64 bytes. No pickles, no compression and no checksum:
writing is one copy into the page cache, and :func:`load_task` maps the file and gives arrays that read it in
place (read-only; the event log's rows are copied, so nothing keeps the file mapped once the arrays are copied
into the run's), so a finished task reaches the process that collects it with one copy, the one into its place
among the run's replications. A file of another size than its header says (truncated), or without the
magic, is ``None``: the task is recomputed.

:func:`computed_and_saved` is the task a worker runs when it shares this machine's files (a local process, a Dask
``LocalCluster``): it writes the file where the replications were computed, in parallel, and returns only a
:class:`SavedTask` naming it, instead of the arrays pickled through a pipe (10 MB per 1,000 flagship
replications). If the file cannot be written (a full disk), the chunk itself is returned, with a warning. A
study without a cache hands its tasks over through a private folder of :func:`hand_over_folder`.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import re
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Final, NamedTuple

import numpy as np

from sim.engine.draws import Input
from sim.engine.replications import ARRAYS, Chunk, EventLog, TaskArgs, chunk_task
from sim.runs.atomic import running, write_with
from sim.runs.owned import clear_tasks
from sim.scenario.errors import DocketError
from sim.scenario.values import Dist

MAGIC: Final = b"docket-task 1\n"
"""The first bytes of a task file (its format's version)."""
ALIGN: Final = 64
"""Every array starts at a multiple of this many bytes."""
HAND_OVER: Final = re.compile(r"^docket-tasks-(\d+)-[a-z0-9_]{8}$")
"""Name of a private folder of :func:`hand_over_folder`: ``docket-tasks-<pid>-<8 random>``."""
TEXTS: Final = ("subject", "what", "why")
"""The event log's text columns: a few distinct texts each, stored once, the rows as codes."""


@dataclass(frozen=True)
class SavedTask:
    """A finished task that a worker saved to ``path`` (:func:`computed_and_saved`): read it with
    :func:`load_task`."""

    path: str


class Job(NamedTuple):
    """A task to run and save (:func:`computed_and_saved`)."""

    args: TaskArgs
    path: str
    """Where to save it."""
    keep: bool
    """Return the chunk itself (the task runs in the collecting process: nothing needs to travel)."""
    resumable: bool
    """The file is a study's task cache (``--resume`` reuses it), not only the way results travel."""


def computed_and_saved(job: Job) -> Chunk | SavedTask:
    """:func:`~sim.engine.replications.chunk_task` of ``job``'s arguments, saved to ``job.path``; returns the
    :class:`SavedTask`, or the chunk itself when ``job.keep`` says so or it could not be saved (with a
    warning)."""
    chunk = chunk_task(job.args)
    saved = save_task(Path(job.path), chunk, job.resumable)
    return SavedTask(job.path) if saved and not job.keep else chunk


def save_task(path: Path, c: Chunk, resumable: bool = True) -> bool:
    """Write one finished task to ``path`` atomically; ``False`` (and a warning) if it cannot be written: a full
    disk costs resumability (when ``resumable``: the file is a task cache's) or a copy, not the run."""
    log = c.log
    arrays: dict[str, np.ndarray[Any, Any]] = {k: np.ascontiguousarray(getattr(c, k)) for k in ARRAYS}
    arrays["log_replication"] = np.concatenate(log.replication) if log.replication else np.empty(0, np.int32)
    arrays["log_day"] = np.concatenate(log.day) if log.day else np.empty(0, np.int32)
    texts = {}
    for col in TEXTS:
        rows: list[str] = getattr(log, col)
        texts[col] = values = sorted(set(rows))
        index = {t: i for i, t in enumerate(values)}
        arrays[f"log_{col}"] = np.array([index[t] for t in rows], dtype=np.int32)
    layout, at = [], 0
    for name, a in arrays.items():
        layout.append([name, a.dtype.str, list(a.shape), at])
        at += _aligned(a.nbytes)
    header = {"start": c.start, "check_error": c.check_error, "texts": texts, "arrays": layout, "end": at,
              "inputs": [{"name": x.name, "width": x.width, "dist": asdict(x.dist) if x.dist else None}
                         for x in c.inputs.values()]}
    head = json.dumps(header).encode()
    base = _aligned(len(MAGIC) + 8 + len(head))

    def write(fh: IO[bytes]) -> None:
        fh.write(MAGIC + len(head).to_bytes(8, "little") + head)
        fh.write(bytes(base - len(MAGIC) - 8 - len(head)))
        for (_, _, _, offset), a in zip(layout, arrays.values(), strict=True):
            fh.seek(base + offset)
            fh.write(a.data if a.nbytes else b"")
        fh.truncate(base + at)

    try:
        write_with(path, write)
    except DocketError as exc:  # atomic writes report any OSError (a full disk) as a DocketError
        then = "--resume will recompute it" if resumable else "its results travel through a pipe instead"
        print(f"warning: could not save a finished task to {path} ({exc}); {then}", file=sys.stderr)
        return False
    return True


def load_task(path: Path) -> Chunk | None:
    """A saved task, its arrays reading the file in place (read-only), or ``None`` if there is none or it cannot
    be read (it is then recomputed)."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if data[:len(MAGIC)] != MAGIC:
            return None
        n = int.from_bytes(data[len(MAGIC):len(MAGIC) + 8], "little")
        header = json.loads(data[len(MAGIC) + 8:len(MAGIC) + 8 + n])
        base = _aligned(len(MAGIC) + 8 + n)
        if base + header["end"] != size:
            return None
        found = {name: np.frombuffer(data, np.dtype(dtype), int(np.prod(shape)), base + offset).reshape(shape)
                 if np.prod(shape) else np.empty(shape, dtype) for name, dtype, shape, offset in header["arrays"]}
        texts = {}
        for col in TEXTS:
            values = [sys.intern(v) for v in header["texts"][col]]
            texts[col] = [values[i] for i in found[f"log_{col}"].tolist()]
        log = EventLog([found["log_replication"].copy()], [found["log_day"].copy()],  # kept: not views of the file
                       texts["subject"], texts["what"], texts["why"])
        inputs = {x["name"]: Input(x["name"], _dist(x["dist"]), x["width"]) for x in header["inputs"]}
        return Chunk(header["start"], **{k: found[k] for k in ARRAYS}, log=log, check_error=header["check_error"],
                     inputs=inputs)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def hand_over_folder() -> Path | None:
    """A private temporary folder (``$TMPDIR/docket-tasks-<pid>-*``) through which pool workers hand finished
    tasks over as files when a study keeps no cache; ``None`` if none can be made (results then travel pickled).

    Folders left by a docket that was killed (its pid no longer runs) are emptied of the task files it wrote and
    removed first; anything else in them stays.
    """
    root = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for entry in os.scandir(root):
            match = HAND_OVER.match(entry.name)
            if match and entry.is_dir(follow_symlinks=False) and not running(int(match[1])):
                clear_tasks(Path(entry.path))
    try:
        return Path(tempfile.mkdtemp(prefix=f"docket-tasks-{os.getpid()}-", dir=root))
    except OSError:
        return None


def _aligned(n: int) -> int:
    """``n`` rounded up to a multiple of :data:`ALIGN`."""
    return -(-n // ALIGN) * ALIGN


def _dist(d: dict[str, Any] | None) -> Dist | None:
    """A saved input distribution back as a :class:`~sim.scenario.values.Dist`."""
    if d is None:
        return None
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    return Dist(**fields)
