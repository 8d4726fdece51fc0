"""Output folders: a command's whole output appears at once, replaces only what docket wrote, and survives kills.

A command that writes a folder (a run folder, a chart pack, a study's tables) does it through :func:`staged`:

1. **Before any work**, the target is checked and a sibling temporary folder ``.<name>.docket-tmp-<pid>-<rand>``
   is created, so an unwritable place (a file in the way, a read-only parent) fails in a second with the path
   and the reason. An existing target must be a folder docket wrote (see below), or it is refused (``force``
   proceeds and keeps the other files).
2. The command writes everything into the temporary folder.
3. On success a marker ``.docket.json`` (what wrote the folder, and every file it wrote) is added, files that
   docket did not write are moved over from the old folder, and the temporary folder is **swapped** with the
   target in one step (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, undone at the next run
   if interrupted between them). Only then is the old folder deleted, and only the files docket wrote in it.

A kill at any moment therefore leaves the complete old folder or the complete new one. Temporaries of a
process that no longer runs (``kill -9``) are cleaned up by the next command writing the same target.

**Docket's folder**: it has the marker, and every entry in it is a file the marker lists, a folder holding only
such files, a subfolder that is itself docket's (``charts/`` from ``docket plot`` in a run folder), or one of
docket's temporaries. A run folder of an older docket (no marker) is recognised by the files its ``run.json``
lists. An empty folder is fine to write into.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from sim import __version__
from sim.runs.atomic import running, write_text
from sim.runs.owned import MARKER, TASKS_SUFFIX, TEMP, clear, foreign, owned_files
from sim.scenario.errors import DocketError

PAUSE_ENV = "DOCKET_TEST_PAUSE_BEFORE_SWAP"
"""Test-only: seconds to sleep after the output is complete and before the swap (for the kill tests)."""
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_active: set[Path] = set()  # temporaries of stagings under way in this process


def task_cache(target: str | os.PathLike[str]) -> Path:
    """Where a study writing ``target`` keeps its finished tasks (for ``--resume``): a hidden sibling, so the
    output folder itself is only ever all old or all new.

    Example:
        >>> task_cache("runs/compare-quickstart").as_posix()
        'runs/.compare-quickstart.docket-tasks'
    """
    path = Path(target)
    return path.parent / f".{path.name}{TASKS_SUFFIX}"


def staged(target: str | os.PathLike[str], command: str, *, force: bool = False,
           protect: Sequence[str | os.PathLike[str]] = ()) -> Staging:
    """Check ``target`` and open a temporary folder for it; use as ``with staged(...) as tmp:``.

    Everything written into ``tmp`` inside the ``with`` block replaces ``target`` at its end, as one step; an
    exception (or Ctrl-C, or SIGTERM) removes ``tmp`` and leaves ``target`` as it was.

    Args:
        target: the output folder.
        command: what writes it (``run``, ``brief``, ``plot``, ``compare``...), recorded in the marker.
        force: write into a folder that holds files docket did not write (they are kept, moved into the new
            folder).
        protect: folders the command reads that must not be replaced (``target`` may not be or contain one).

    Raises:
        DocketError: ``target`` is a file, cannot be created or written, holds other files (without ``force``),
            or is or contains a protected folder.

    Example:
        >>> import pathlib, tempfile
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
        >>> with staged(out, "example") as tmp:
        ...     _ = (tmp / "a.txt").write_text("new")
        >>> sorted(p.name for p in out.iterdir())
        ['.docket.json', 'a.txt']
    """
    stage = Staging(Path(target), command, force)
    stage.check(protect)
    stage.open()
    return stage


class Staging:
    """One output folder being written (see :func:`staged`)."""

    def __init__(self, target: Path, command: str, force: bool):
        self.shown = target
        self.target = target.resolve() if target.is_symlink() else Path(os.path.abspath(target))
        self.command = command
        self.force = force
        self.path = self.target  # the temporary folder, once open
        self.aside: Path | None = None  # where the fallback swap puts the old folder
        self.swapped = False  # self.path holds the old folder (after an exchange)

    def check(self, protect: Sequence[str | os.PathLike[str]] = ()) -> None:
        """Refuse a target that cannot be docket's output folder (before any work)."""
        shown, target = self.shown, self.target
        real = target.resolve()
        for folder in (Path.cwd(), *map(Path, protect)):
            inner = folder.resolve()
            if inner == real or real in inner.parents:
                what = "the current folder" if folder == Path.cwd() else f"{folder}, which this command reads"
                raise DocketError(f"cannot write {shown}: it is or holds {what}, and an output folder is "
                                  "replaced whole; choose another --out")
        blocker = next((p for p in (shown, *shown.parents) if p.exists() or p.is_symlink()), None)
        if blocker is not None and not blocker.is_dir():
            where = "it is" if blocker == shown else f"{blocker} is"
            raise DocketError(f"cannot write {shown}/: {where} a file, not a folder; choose another --out")
        if not target.is_dir():
            return
        if not os.access(target, os.R_OK | os.W_OK | os.X_OK):
            raise DocketError(f"cannot write {shown}/: permission denied (it must be readable and writable to be "
                              "replaced); choose another --out")
        found = foreign(target)
        if found and not self.force:
            listed = ", ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
            why = "it was not written by docket" if owned_files(target) is None else \
                "it holds files docket did not write"
            raise DocketError(f"{shown}/ is not empty and {why} ({listed}); docket replaces its output folders "
                              "whole and never deletes other files: choose another --out, or pass --force to "
                              "write there anyway (those files are kept)")

    def open(self) -> None:
        """Clean up after earlier crashes, then create the temporary folder (proving the place is writable)."""
        parent = self.target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DocketError(f"cannot write {self.shown}/: cannot create {exc.filename or parent} "
                              f"({exc.strerror or exc}); choose another --out") from None
        try:
            recover(self.target)
            made = tempfile.mkdtemp(prefix=f".{self.target.name}.docket-tmp-{os.getpid()}-", dir=parent)
        except OSError as exc:
            raise DocketError(f"cannot write {self.shown}/: cannot create files in {parent} "
                              f"({exc.strerror or exc}); choose another --out") from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(made, 0o777 & ~umask)  # mkdtemp makes 0700; outputs should look like any other folder
        self.path = Path(made)
        _active.add(self.path)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        try:
            if kind is None:
                self.commit()
        finally:
            self._undo()
            _active.discard(self.path)

    def commit(self) -> None:
        """Mark the temporary folder docket's, carry other files over and swap it in (the old folder is deleted
        when the ``with`` block is left)."""
        files = sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*")
                       if not p.is_dir() or p.is_symlink())
        record = {"written_by": f"docket {__version__}", "command": self.command, "argv": sys.argv,
                  "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "files": files}
        write_text(self.path / MARKER, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        pause = os.environ.get(PAUSE_ENV)
        if pause:
            time.sleep(float(pause))
        with _signals_held():
            try:
                if self.target.is_dir():
                    self._carry()
                    self._swap()
                else:
                    os.rename(self.path, self.target)
            except OSError as exc:
                raise DocketError(f"cannot write {self.shown}/: {exc.strerror or exc}") from None

    def _carry(self) -> None:
        """Move the entries of the old folder that docket did not write into the new one (kept, not deleted)."""
        for rel in foreign(self.target):
            source, dest = self.target / rel, self.path / rel
            if dest.exists() or dest.is_symlink():
                n = 1
                while (dest := self.path / f"{rel}.kept-{n}").exists():
                    n += 1
                print(f"warning: kept your {self.shown / rel} as {self.shown / dest.name}: docket wrote a file "
                      "of that name", file=sys.stderr)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.rename(source, dest)

    def _swap(self) -> None:
        """Exchange the new folder with the old one; ``self.path`` then holds the old folder."""
        if _exchange(self.path, self.target):
            self.swapped = True
            return
        aside = self.target.parent / self.path.name.replace(".docket-tmp-", ".docket-old-", 1)
        self.aside = aside
        os.rename(self.target, aside)
        os.rename(self.path, self.target)

    def _undo(self) -> None:
        """Remove what is left besides the target: the new folder after a failure, the old one after a swap."""
        aside = self.aside
        if aside is not None and aside.is_dir() and not self.target.exists():
            os.rename(aside, self.target)  # interrupted between the two renames of the fallback swap
        for folder, written in ((self.path, not self.swapped), (aside, False)):
            if folder is not None and folder != self.target and folder.is_dir():
                clear(folder, rescue_to=self.target, written=written)


def recover(target: Path) -> None:
    """Undo what crashed commands left next to ``target``: restore a folder set aside by an interrupted swap
    (when ``target`` is missing), then remove the temporaries of processes that no longer run."""
    parent = target.parent
    stale = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(parent):
            match = TEMP.match(entry.name)
            path = Path(entry.path)
            if match and match["name"] == target.name and entry.is_dir(follow_symlinks=False) \
                    and path not in _active and (int(match["pid"]) == os.getpid() or not running(int(match["pid"]))):
                stale.append((match["kind"], path))
    aside = [p for kind, p in stale if kind == "old"]
    if aside and not target.exists():  # a swap of two renames was cut between them: the old folder goes back
        os.rename(aside[0], target)
        stale = [(k, p) for k, p in stale if p != aside[0]]
    for kind, path in stale:  # a tmp folder may also be an old one after an exchange: see clear()
        clear(path, rescue_to=target if target.is_dir() else None, written=kind == "tmp")


def _exchange(new: Path, old: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``); ``False`` where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(old), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(old))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM for the few renames of a swap; a signal that came meanwhile is raised after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    wanted = (signal.SIGINT, signal.SIGTERM)
    before = {s: signal.getsignal(s) for s in wanted}
    for s in wanted:
        signal.signal(s, lambda signum, _frame: got.append(signum))
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        if got:
            signal.raise_signal(got[0])
