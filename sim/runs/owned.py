"""Which files docket wrote: the marker of an output folder, the files it lists, and deleting only those.

A folder is docket's when it has the marker ``.docket.json`` and every entry in it is a file the marker lists,
a folder holding only such files, a subfolder that is itself docket's (``charts/`` from ``docket plot`` in a
run folder), or one of docket's temporaries. A run folder of an older docket (no marker) is recognised by the
files its ``run.json`` lists. Nothing here deletes a file docket did not write.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from sim.runs.atomic import PART

MARKER = ".docket.json"
"""The file that makes a folder docket's: JSON with ``written_by``, ``command``, ``created`` and ``files``."""
TEMP = re.compile(r"^\.(?P<name>.+)\.docket-(?P<kind>tmp|old)-(?P<pid>\d+)-[A-Za-z0-9_]+$")
"""Name of a temporary or set-aside output folder: ``.<name>.docket-tmp-<pid>-<rand>`` (``-old-`` aside)."""
TASKS_SUFFIX = ".docket-tasks"
"""A study's task cache is the hidden sibling ``.<out>.docket-tasks`` of its output folder."""
TASK_FILE = re.compile(r"^[0-9a-f]{32}\.(?:task|npz)$")
"""Name of a finished task in a study's cache (:meth:`sim.runs.study.RunSpec.task_key`; ``.npz`` files are
an older docket's)."""


def foreign(folder: Path) -> list[str]:
    """The entries under ``folder`` that docket did not write, as relative paths (a folder's own name when all
    of it is foreign).

    Example:
        >>> import pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "notes.txt").write_text("mine")
        >>> foreign(d)
        ['notes.txt']
    """
    return [p.relative_to(folder).as_posix() for p, mine in _scan(folder, owned_files(folder), folder) if not mine]


def clear(folder: Path, rescue_to: Path | None = None, written: bool = True) -> list[Path]:
    """Delete the files docket wrote in ``folder`` (and the folder, once empty); returns what was left.

    A temporary folder without a marker (``written``: one docket was writing, not an old folder set aside) was
    cut short, so all of it is docket's. Entries docket did not write are moved into ``rescue_to`` when given
    and free there, else left where they are.
    """
    if written and TEMP.match(folder.name) and not (folder / MARKER).is_file():  # its run.json is no marker
        shutil.rmtree(folder, ignore_errors=True)
        return []
    owned = owned_files(folder)
    left: list[Path] = []
    for path, mine in _scan(folder, owned, folder):
        if not mine:
            dest = rescue_to / path.relative_to(folder) if rescue_to is not None else None
            if dest is not None and rescue_to is not None and rescue_to.is_dir() and not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.rename(path, dest)
            else:
                left.append(path)
        elif path.is_dir() and not path.is_symlink():
            if TEMP.match(path.name) or path.name.endswith(TASKS_SUFFIX):
                left += clear(path) if TEMP.match(path.name) else _clear_tasks(path)
            with contextlib.suppress(FileNotFoundError):
                (path / MARKER).unlink()
            with contextlib.suppress(OSError):
                path.rmdir()
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    with contextlib.suppress(FileNotFoundError):
        (folder / MARKER).unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()
    if left:
        print(f"warning: kept {folder}: it holds files docket did not write ({', '.join(p.name for p in left[:4])})",
              file=sys.stderr)
    return left


def clear_tasks(cache: Path) -> None:
    """Delete a study's task cache: only the task files docket wrote (and their temporaries), then the folder if
    it is empty. Files of anyone else stay."""
    left = _clear_tasks(cache)
    if left:
        print(f"warning: kept {cache}/: it holds files docket did not write "
              f"({', '.join(p.name for p in left[:4])})", file=sys.stderr)


def _clear_tasks(cache: Path) -> list[Path]:
    left = []
    try:
        entries = list(os.scandir(cache))
    except OSError:
        return []
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False) and (TASK_FILE.match(entry.name) or PART.match(entry.name)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
        else:
            left.append(Path(entry.path))
    with contextlib.suppress(OSError):
        cache.rmdir()
    return left


def owned_files(folder: Path) -> set[str] | None:
    """The files docket wrote in ``folder`` (relative paths), from its marker or, for a run folder of an older
    docket, its ``run.json``; ``None`` when there is neither."""
    for name, key in ((MARKER, "files"), ("run.json", "files")):
        try:
            record = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        files = record.get(key) if isinstance(record, dict) else None
        if isinstance(files, list) and all(isinstance(f, str) for f in files):
            if name == "run.json" and "docket_version" not in record:
                continue
            return {*files, name}
    return None


def _scan(root: Path, owned: set[str] | None, folder: Path) -> Iterator[tuple[Path, bool]]:
    """Every entry under ``folder`` as ``(path, written by docket)``, children before their folder; a foreign
    folder is not entered. Without a marker (``owned`` is ``None``) every entry is foreign but docket's
    temporaries: a folder docket did not write is never emptied, even of docket folders inside it."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        rel = path.relative_to(root).as_posix()
        if folder == root and entry.name == MARKER:
            continue
        temporary = bool(TEMP.match(entry.name) or PART.match(entry.name)) or entry.name.endswith(TASKS_SUFFIX)
        if owned is None:
            yield path, temporary
        elif entry.is_dir(follow_symlinks=False):
            inner = owned_files(path)
            if inner is not None:
                yield from _scan(path, inner, path)
                yield path, True
            elif any(f.startswith(rel + "/") for f in owned):
                yield from _scan(root, owned, path)
                yield path, True
            else:
                yield path, temporary
        else:
            yield path, rel in owned or temporary
