"""One base exception for the domain, and the diagnostics a scenario error carries.

Every problem found in a scenario becomes a :class:`Diagnostic` that knows where it is (file, line, column),
which key it concerns (a dotted path such as ``measures.hosting_cutoff.deferral.probability``), what was
expected, what was found and, where it can, how to fix it. ``cli.py`` turns a :class:`DocketError` into a clean
message and exit code once; nothing else prints tracebacks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

# Control characters, bidi and other invisible format characters, line/paragraph separators, lone surrogates.
_ESCAPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAMED_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
EXCERPT: Final = 60


def comma_hint(mapping: object, key: object) -> str | None:
    """The hint for an unknown key that is the tail of an unquoted text cut at a comma in a flow mapping:
    ``{note: the wave, counted once}`` reads as ``note: the wave`` and a key ``counted once`` with no value.

    Example:
        >>> comma_hint({"note": "Jan 8 to Jan 13", "the last count": None}, "the last count")
        'a comma ends a value inside `{...}`: quote the text, `note: "Jan 8 to Jan 13, the last count"`'
        >>> comma_hint({"note": "x", "sorce": "y"}, "sorce") is None
        True
    """
    if not isinstance(mapping, dict) or key not in mapping or mapping[key] is not None:
        return None
    keys = list(mapping)
    before = keys[keys.index(key) - 1] if keys.index(key) else None
    if before is None or not isinstance(mapping[before], str):
        return None
    return f'a comma ends a value inside `{{...}}`: quote the text, `{before}: "{mapping[before]}, {key}"`'


def unprintable(ch: str) -> bool:
    """Whether a character is escaped in messages: a control, bidi or other invisible format character.

    Example:
        >>> unprintable("\\x00"), unprintable("\\u202e"), unprintable("é")
        (True, True, False)
    """
    return unicodedata.category(ch) in _ESCAPED_CATEGORIES


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every :func:`unprintable` character written as an escape (``\\x1b``, ``\\u202e``), so a
    message shows what a file holds and can neither reorder nor rewrite the terminal. Idempotent.

    Example:
        >>> print(printable("a\\x00b\\u202ec\\n"))
        a\\x00b\\u202ec\\n
        >>> printable("two\\nlines", keep_newlines=True) == "two\\nlines"
        True
    """
    if text.isprintable():  # the fast path: str.isprintable() is false for every escaped category
        return text
    out = []
    for ch in text:
        if not unprintable(ch) or (keep_newlines and ch == "\n"):
            out.append(ch)
        elif ch in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """At most ``limit`` characters of ``text`` (cut with ``...``): what a message may quote of a file.

    Example:
        >>> excerpt("x" * 70)
        'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'
    """
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Mark:
    """A position in a source file; ``line`` and ``col`` are 1-based.

    Example:
        >>> str(Mark("a.yaml", 3, 5))
        'a.yaml:3:5'
    """

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a scenario, with enough context to fix it without reading code.

    Attributes:
        message: what is wrong, in one sentence.
        mark: where (file, line, column); ``None`` when no position is known.
        path: dotted key path, e.g. ``measures.hosting_cutoff.deadline``; empty for the whole file.
        expected: what the key accepts.
        found: what the file holds there.
        hint: a suggested fix ("did you mean `deadline`?").
    """

    message: str
    mark: Mark | None = None
    path: str = ""
    expected: str | None = None
    found: str | None = None
    hint: str | None = None

    def format(self) -> str:
        """Render as ``file:line:col: path: message`` plus expected/found/hint lines; every part goes through
        :func:`printable`, so control and bidi characters a file holds are shown escaped."""
        where = str(self.mark) if self.mark else ""
        head = ": ".join(part for part in (where, self.path, self.message) if part)
        lines = [printable(head)]
        if self.expected is not None:
            lines.append(f"    expected: {printable(self.expected)}")
        if self.found is not None:
            lines.append(f"    found:    {printable(self.found)}")
        if self.hint:
            lines.append(f"    hint:     {printable(self.hint)}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view (used by ``docket validate --format json``)."""
        return {
            "file": self.mark.file if self.mark else None,
            "line": self.mark.line if self.mark else None,
            "col": self.mark.col if self.mark else None,
            "path": self.path,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "hint": self.hint,
        }


class DocketError(Exception):
    """Base class of every error docket reports to a user (bad input, bad options, failed runs); its text has
    control and bidi characters escaped (:func:`printable`; line breaks kept)."""

    def __str__(self) -> str:
        return printable(super().__str__(), keep_newlines=True)


class UsageError(DocketError):
    """Options of a command that do not go together, or a bad value of one (``param``: its name, such as
    ``NAME``); the command line shows it as a usage error (exit 2)."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class ScenarioError(DocketError):
    """A scenario file (or one it extends) is invalid; carries every problem found in one pass."""

    def __init__(self, diagnostics: Sequence[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = in_file_order(diagnostics)
        super().__init__(self.format())

    def format(self) -> str:
        """All diagnostics, one block each, in file order."""
        return "\n".join(d.format() for d in self.diagnostics)


def in_file_order(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics sorted by file, line, column and key (those without a position first)."""
    return sorted(diagnostics, key=_sort_key)


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    if d.mark is None:
        return ("", 0, 0, d.path)
    return (d.mark.file, d.mark.line, d.mark.col, d.path)


def found_repr(value: object) -> str:
    """Describe a found value for a message: ``"45d" (text)``, ``1.5 (number)``, ``a list``.

    Example:
        >>> found_repr("45d")
        '`45d` (text)'
    """
    if isinstance(value, bool):
        return f"`{str(value).lower()}` (true/false)"
    if isinstance(value, int | float):
        return f"`{value}` (number)"
    if isinstance(value, str):
        return f"`{excerpt(value)}` (text)"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:6])
        return f"a mapping with keys {keys}" if keys else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if value is None:
        return "nothing (null)"
    return f"`{value}` ({type(value).__name__})"


def join_ids(ids: Iterable[str], limit: int = 12) -> str:
    """Format a list of known ids for a hint: ``a, b, c`` (truncated with a count)."""
    items = sorted(ids)
    if not items:
        return "(none defined)"
    shown = ", ".join(f"`{i}`" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
