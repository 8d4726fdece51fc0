"""Which paths docket reads as input files: regular files only, checked before anything opens them.

A named pipe (FIFO) would block a reader forever, ``/dev/zero`` never ends, a folder or a socket cannot be
read: each is refused by :func:`refusal` in one sentence saying what the path is. :func:`read_regular` opens a
file without blocking (``O_NONBLOCK``) and checks the open file again, so a file swapped for a pipe between the
check and the read cannot hang docket either.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from typing import Any, Final

from sim.scenario.errors import DocketError

_KINDS: Final = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
                 (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                 (stat.S_ISSOCK, "a socket"))
MISSING: Final = "missing"


class NotRegularFileError(OSError):
    """An opened path turned out not to be a regular file; ``kind`` says what it is (``a named pipe``)."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(errno.EINVAL, f"{path} is {kind}, not a regular file")
        self.kind = kind


def kind_of_mode(mode: int) -> str | None:
    """What a file mode describes, as a phrase (``a named pipe``); ``None`` for a regular file.

    Example:
        >>> kind_of_mode(stat.S_IFIFO | 0o644), kind_of_mode(stat.S_IFREG | 0o644)
        ('a named pipe', None)
    """
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def kind_of(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is when it is not a regular file (symbolic links followed): :data:`MISSING`, ``a directory``,
    ``a named pipe``, ``a character device``, ``a block device``, ``a socket``, or why it cannot be looked at
    (``a path holding a NUL character``, an OS error such as ``File name too long``); ``None`` for a regular file.

    Example:
        >>> kind_of("no/such/file.yaml"), kind_of("/dev/null"), kind_of("a\\0b")
        ('missing', 'a character device', 'a path holding a NUL character')
    """
    try:
        return kind_of_mode(os.stat(path).st_mode)
    except ValueError:
        return "a path holding a NUL character"
    except (FileNotFoundError, NotADirectoryError):
        return MISSING
    except OSError as exc:
        return f"a path that cannot be read ({exc.strerror or exc})"


def refusal(path: str | os.PathLike[str], what: str = "scenario file") -> str | None:
    """The sentence that refuses ``path`` as an input file, or ``None`` when it is a regular file.

    Example:
        >>> refusal("/dev/null")
        '/dev/null is a character device, not a scenario file: give a regular .yaml file'
        >>> refusal("no/such.yaml")
        'no/such.yaml does not exist'
    """
    kind = kind_of(path)
    if kind is None:
        return None
    if kind == MISSING:
        return f"{os.fspath(path)} does not exist"
    return f"{os.fspath(path)} is {kind}, not a {what}: give a regular .yaml file"


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a regular file, opened without blocking (so a FIFO cannot hang the read).

    Raises:
        NotRegularFileError: the opened path is not a regular file (nothing is read from it).
        OSError, ValueError: the file cannot be opened or read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                 | getattr(os, "O_CLOEXEC", 0))
    try:
        kind = kind_of_mode(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFileError(os.fspath(path), kind)
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_json_object(path: str | os.PathLike[str], hint: str) -> dict[str, Any]:
    """A JSON file docket wrote (``run.json``, ``summary.json``, a baseline), read back as a mapping.

    Raises:
        FileNotFoundError: the file is not there (callers say what that means for them).
        DocketError: it cannot be read, is not UTF-8 or JSON, or holds something other than a mapping; the
            message names the file and ends with ``hint``.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "run.json"
        >>> _ = p.write_text('"x"')
        >>> read_json_object(p, "re-run it")
        Traceback (most recent call last):
        ...
        sim.scenario.errors.DocketError: cannot read ...run.json: expected a JSON object, found text; re-run it
    """
    try:
        with open(path, "rb") as fh:
            record = json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise DocketError(f"cannot read {path}: {exc.strerror or exc}; {hint}") from None
    except ValueError as exc:  # not UTF-8, or not JSON
        raise DocketError(f"cannot read {path}: {exc}; {hint}") from None
    if not isinstance(record, dict):
        found = {str: "text", list: "a list", bool: "true/false", type(None): "null"}.get(type(record), "a number")
        raise DocketError(f"cannot read {path}: expected a JSON object, found {found}; {hint}")
    return record
