"""Atomic file output: a failed or interrupted write never leaves a half-written file over a good one.

A file is written as a temporary ``.<name>.<pid>.<random>.part`` next to its target and renamed into place.
The temporary carries the writer's process id, so a temporary left by a process that was killed (``kill -9``,
a power cut) is recognised and removed the next time the same target is written; one of a live process is
left alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from sim.scenario.errors import DocketError

PART = re.compile(r"^\..+\.[a-z0-9_]{8}\.part$")
"""Name of a temporary file of :func:`atomic_path`: ``.<name>.<pid>.<8 random>.part`` (older docket versions
wrote no pid)."""


def running(pid: int) -> bool:
    """Whether process ``pid`` exists (a zombie counts as gone).

    Example:
        >>> running(os.getpid())
        True
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def stale_part(name: str, target: str) -> bool:
    """Whether ``name`` is a temporary of :func:`atomic_path` for a file named ``target`` whose writer is gone.

    Example:
        >>> stale_part(".series.csv.999999999.ab12cd34.part", "series.csv")
        True
        >>> stale_part(f".series.csv.{os.getpid()}.ab12cd34.part", "series.csv")
        False
    """
    match = re.match(rf"^\.{re.escape(target)}\.(?:(\d+)\.)?[a-z0-9_]{{8}}\.part$", name)
    if match is None:
        return False
    return match[1] is None or not running(int(match[1]))


def _remove_stale_parts(target: Path) -> None:
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if entry.is_file(follow_symlinks=False) and stale_part(entry.name, target.name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` in one rename.

    On any exception the temporary file is removed and ``path`` is left as it was. Temporaries of the same
    target left by processes that no longer run are removed first.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_text("done")
        >>> target.read_text()
        'done'
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(target)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise DocketError(f"cannot write {target}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs should look like any other file
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise DocketError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write text (UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_with(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], None]) -> None:
    """Call ``writer`` with a binary file handle and publish the result atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        writer(handle)
