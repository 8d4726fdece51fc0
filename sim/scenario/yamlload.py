"""Safe, strict YAML reading that remembers where every value came from.

Scenario files become :class:`MDict` / :class:`MList` (``dict`` / ``list`` subclasses carrying
:class:`~sim.scenario.errors.Mark` positions) so every later error can name a file, line and column. Nodes are composed
from parser events and built here, never by ``yaml.load``, so the reader can:

* accept only plain YAML (text, numbers, ``true``/``false``, null, dates, lists, mappings): explicit tags
  (``!!python/object:...``, ``!foo``, ``!!binary``, ``!!set``) and merge keys (``<<``) are refused;
* keep YAML 1.1's ``on``/``off``/``yes``/``no`` as text (only ``true``/``false`` are booleans);
* refuse duplicate keys, non-text keys, date-times (docket works in whole days), several documents;
* stay bounded: more than :data:`MAX_BYTES`, more than :data:`~sim.scenario.yamlcompose.MAX_NODES` values once
  aliases are expanded ("billion laughs"), nesting deeper than :data:`~sim.scenario.yamlcompose.MAX_DEPTH` and
  recursive aliases are clean errors (the composer, :mod:`sim.scenario.yamlcompose`).

Every problem is a :class:`~sim.scenario.errors.ScenarioError`; no other exception escapes for any input. Aliases are
expanded into independent copies whose marks are those of the anchored original.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import Any, Final

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import Node, ScalarNode, SequenceNode

from sim.scenario.errors import Diagnostic, Mark, ScenarioError, excerpt
from sim.scenario.files import MISSING, NotRegularFileError, kind_of, read_regular
from sim.scenario.yamlcompose import check_size, compose, mark_of, too_deep

MAX_BYTES: Final = 2 * 1024 * 1024

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Y: Final = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _DATE, _MAP, _SEQ, _MERGE = (
    _Y + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge")
)
_AS_TEXT: Final = frozenset({_STR, _Y + "value", _Y + "yaml", _MERGE})  # `=`, and `<<` as a value, stay text
_KIND: Final = {_INT: "number", _FLOAT: "number", _BOOL: "true/false", _NULL: "null", _DATE: "date"}
_C = SafeConstructor()
_CONSTRUCT: Final = {_INT: _C.construct_yaml_int, _FLOAT: _C.construct_yaml_float,
                     _DATE: _C.construct_yaml_timestamp}
_BAD_VALUE: Final = (ValueError, TypeError, AttributeError, ArithmeticError)


class MDict(dict[str, Any]):
    """A YAML mapping that remembers where it starts, where each key is written and where each value starts.

    Example:
        >>> d = load_yaml_text("a: 1\\n", "s.yaml")
        >>> str(d.mark), str(d.key_marks["a"]), str(d.value_marks["a"])
        ('s.yaml:1:1', 's.yaml:1:1', 's.yaml:1:4')
    """

    def __init__(self, mark: Mark | None = None) -> None:
        super().__init__()
        self.mark: Mark | None = mark
        self.key_marks: dict[str, Mark] = {}
        self.value_marks: dict[str, Mark] = {}


class MList(list[Any]):
    """A YAML sequence that remembers where it starts and where each item starts.

    Example:
        >>> [str(m) for m in load_yaml_text("- a\\n- b\\n", "s.yaml").item_marks]
        ['s.yaml:1:3', 's.yaml:2:3']
    """

    def __init__(self, mark: Mark | None = None) -> None:
        super().__init__()
        self.mark: Mark | None = mark
        self.item_marks: list[Mark] = []


def dotted_path(path: Sequence[str | int]) -> str:
    """Render a key path for a diagnostic: keys joined by dots, list indices in brackets.

    Example:
        >>> dotted_path(["measures", 2, "deadline"])
        'measures[2].deadline'
    """
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _err(
    message: str, mark: Mark | None = None, path: Sequence[str | int] = (), **extra: str | None
) -> ScenarioError:
    return ScenarioError(Diagnostic(message, mark, dotted_path(path), **extra))


def _tag_error(filename: str, node: Node, path: Sequence[str | int]) -> ScenarioError:
    shown = "!!" + node.tag[len(_Y) :] if node.tag.startswith(_Y) else node.tag
    return _err(f"only plain YAML is accepted; found tag `{shown}`", mark_of(filename, node), path,
                expected="plain text, numbers, true/false, dates, lists and mappings",
                found=f"the tag `{shown}`", hint="remove the tag and write the value itself")


class _Builder:
    """Turns a composed node graph into MDict/MList/scalars, expanding aliases into copies."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.scalars: dict[int, Any] = {}  # id(node) -> value; scalar values are immutable, so shareable

    def build(self, node: Node, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, ScalarNode):
            if id(node) not in self.scalars:
                self.scalars[id(node)] = self.scalar(node, path)
            return self.scalars[id(node)]
        if node.tag != (_SEQ if isinstance(node, SequenceNode) else _MAP):
            raise _tag_error(self.filename, node, path)
        if isinstance(node, SequenceNode):
            seq = MList(mark_of(self.filename, node))
            for index, item in enumerate(node.value):
                seq.append(self.build(item, (*path, index)))
                seq.item_marks.append(mark_of(self.filename, item))
            return seq
        mapping = MDict(mark_of(self.filename, node))
        for key_node, value_node in node.value:
            key, key_mark = self.key(key_node, path), mark_of(self.filename, key_node)
            if key in mapping:
                first = mapping.key_marks[key].line
                raise _err(f"duplicate key `{key}`", key_mark, (*path, key), expected="each key once",
                           found=f"`{key}` on lines {first} and {key_mark.line}",
                           hint=f"the same key was already set at line {first}; "
                           "YAML would silently keep the last one — remove one of them")
            mapping.key_marks[key] = key_mark
            mapping[key] = self.build(value_node, (*path, key))
            mapping.value_marks[key] = mark_of(self.filename, value_node)
        return mapping

    def key(self, node: Node, path: tuple[str | int, ...]) -> str:
        mark = mark_of(self.filename, node)
        if isinstance(node, ScalarNode) and node.tag == _MERGE:
            raise _err("YAML merge keys (`<<`) are not supported; use `extends:` or repeat the keys", mark,
                       path, expected="ordinary keys", found="`<<`",
                       hint="put shared settings in a base scenario and `extends:` it, or write the keys out")
        if isinstance(node, ScalarNode):
            value = self.scalar(node, path) if node.tag in _AS_TEXT or node.tag == _BOOL else None
            if isinstance(value, str):
                return value
            if node.tag not in _KIND:
                raise _tag_error(self.filename, node, path)
            found = f"`{node.value}` ({_KIND[node.tag]})" if node.value else "nothing (null)"
            hint = f'quote it to use it as text: `"{node.value}":`' if node.value else "write a name"
        else:
            found = "a list" if isinstance(node, SequenceNode) else "a mapping"
            hint = "a key is a single name such as `deadline`; lists and mappings go after the `:`"
        raise _err("keys must be text", mark, path, expected="a name such as `deadline`", found=found,
                   hint=hint)

    def scalar(self, node: ScalarNode, path: tuple[str | int, ...]) -> Any:
        tag, text = node.tag, node.value
        if tag in _AS_TEXT:
            return text
        if tag == _BOOL:
            return text.lower() == "true" if text.lower() in ("true", "false") else text
        if tag == _NULL:
            return None
        if tag not in _CONSTRUCT:
            raise _tag_error(self.filename, node, path)
        try:
            value = _CONSTRUCT[tag](node)
        except _BAD_VALUE:
            value = None
        if value is not None and not isinstance(value, dt.datetime):
            return value
        mark, shown = mark_of(self.filename, node), excerpt(text)
        expected = "a date like 2020-11-12" if tag == _DATE else "a number like 100_000 or 2.5"
        if value is None:
            raise _err(f"`{shown}` is not a valid {'date' if tag == _DATE else 'number'}", mark, path,
                       expected=expected, found=f"`{shown}`",
                       hint="check the month (1-12) and the day" if tag == _DATE else None)
        raise _err("expected a date like 2020-11-12, found a date-time; docket works in whole days", mark,
                   path, expected=expected, found=f"`{shown}` (date-time)",
                   hint=f"drop the time part: `{value.date().isoformat()}`")


_SYNTAX_HINTS: Final = (
    ("mapping values are not allowed", 'quote a value that contains ": ", or check the indentation'),
    ("block end", "check this line's indentation against the lines above"),
    ("expected key", "check this line's indentation against the lines above"),
    ("expected '-'", "check this line's indentation against the lines above"),
    ("end of stream", "a quote or bracket is not closed"),
)


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, filename: str) -> ScenarioError:
    where = exc.problem_mark or exc.context_mark
    mark = Mark(filename, where.line + 1, where.column + 1) if where is not None else None
    if "nesting depth" in (exc.problem or ""):
        # Newer libyaml (PyYAML >= 6.0.3's C loader) stops deep nesting itself, before our own limit sees it:
        # the user gets the same message whichever parser read the file.
        return too_deep(mark)
    message = f"YAML syntax error: {exc.problem or exc.context or 'unreadable YAML'}"
    if exc.context and exc.problem:
        at = f" that starts at line {exc.context_mark.line + 1}" if exc.context_mark is not None else ""
        message += f" ({exc.context}{at})"
    lines = text.splitlines()
    line = lines[where.line] if where is not None and where.line < len(lines) else ""
    shown = excerpt(line.strip())
    hint = next((h for key, h in _SYNTAX_HINTS if key in (exc.problem or "")), None)
    if "\t" in line[: len(line) - len(line.lstrip())] or "'\\t'" in (exc.problem or ""):
        hint = "indent with spaces; YAML does not allow tabs for indentation"
    return _err(message, mark, expected="valid YAML", found=f"`{shown}`" if shown else None, hint=hint)


def _too_big(size: int, filename: str) -> ScenarioError:
    return _err(f"file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB",
                Mark(filename, 1, 1), expected=f"at most {MAX_BYTES} bytes", found=f"{size} bytes",
                hint="a scenario should be small; move bulk data into separate files")


def load_yaml_text(text: str, filename: str) -> Any:
    """Parse one YAML document into MDict/MList/scalars; ``None`` for an empty document.

    Args:
        text: the YAML source.
        filename: the name shown in marks and messages.

    Raises:
        ScenarioError: any problem (syntax, tags, duplicate keys, limits), with file:line:col where known.

    Example:
        >>> data = load_yaml_text("deadline: 2020-11-12\\non: yes\\n", "a.yaml")
        >>> data["deadline"], data["on"], str(data.value_marks["on"])
        (datetime.date(2020, 11, 12), 'yes', 'a.yaml:2:5')
    """
    size = len(text) if len(text) > MAX_BYTES else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise _too_big(size, filename)
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad is not None:
        pos, code = bad.start(), f"U+{ord(bad.group()):04X}"
        raise _err(f"the file contains a character YAML does not allow ({code})",
                   Mark(filename, text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)),
                   expected="printable text", found=code,
                   hint="remove it (control characters must be written as escapes inside double quotes)")
    loader = _LOADER(text)
    try:
        root = compose(loader, filename)
        if root is None:
            return None
        check_size(root, filename)
        return _Builder(filename).build(root, ())
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, filename) from exc
    except yaml.YAMLError as exc:
        raise _err(f"cannot read {filename} as YAML: {exc}", Mark(filename, 1, 1)) from exc
    except RecursionError:
        raise _err(f"values are nested too deeply to read in {filename}", Mark(filename, 1, 1)) from None
    finally:
        loader.dispose()


def _not_regular(name: str, kind: str) -> ScenarioError:
    return _err(f"{name} is {kind}, not a scenario file", expected="a regular .yaml file", found=kind,
                hint="give the path of a regular .yaml file")


def load_yaml_file(path: str | os.PathLike[str]) -> Any:
    """Read a UTF-8 file of at most :data:`MAX_BYTES` with :func:`load_yaml_text`; marks show ``str(path)``.

    Raises:
        ScenarioError: missing file, not a regular file (a directory, named pipe or device is never opened for
            reading: see :mod:`sim.scenario.files`), unreadable, too large, not UTF-8, or any YAML problem.

    Example:
        >>> try:
        ...     load_yaml_file("no/such/file.yaml")
        ... except ScenarioError as exc:
        ...     print(exc.diagnostics[0].message)
        file not found: no/such/file.yaml
    """
    name = str(path)
    kind = kind_of(path)
    if kind == MISSING:
        raise _err(f"file not found: {name}", hint="check the path; a relative path starts at the current "
                   "directory (for `extends:`, at the extending file)")
    if kind is not None:
        raise _not_regular(name, kind)
    try:
        if (size := os.stat(path).st_size) > MAX_BYTES:
            raise _too_big(size, name)
        data = read_regular(path, MAX_BYTES)
    except NotRegularFileError as exc:  # swapped for something else since the check above
        raise _not_regular(name, exc.kind) from None
    except FileNotFoundError:
        raise _err(f"file not found: {name}") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _err(f"cannot read {name}: {reason}") from None
    if len(data) > MAX_BYTES:
        raise _too_big(len(data), name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        found = "UTF-16 text" if utf16 else f"the byte 0x{data[exc.start]:02x}"
        raise _err(f"{name} is not UTF-8 text", Mark(name, before.count(b"\n") + 1, col),
                   expected="UTF-8 text", found=found,
                   hint="save the file as UTF-8 (most editors offer this under 'encoding')") from None
    return load_yaml_text(text, name)


def _step(data: Any, step: str | int) -> tuple[bool, Any, Mark | None]:
    """One step of a path walk: (found, value, mark of the value)."""
    if isinstance(data, MDict) and isinstance(step, str) and step in data:
        return True, data[step], data.value_marks.get(step, data.mark)
    if isinstance(data, MList) and type(step) is int and 0 <= step < len(data):
        return True, data[step], data.item_marks[step] if step < len(data.item_marks) else data.mark
    return False, None, None


def mark_at(data: Any, path: Sequence[str | int]) -> Mark | None:
    """Where the value at ``path`` starts; if a step is missing, where the deepest value reached starts.

    So a "missing key" error points at the mapping that lacks the key.

    Example:
        >>> data = load_yaml_text("a:\\n  b: [1, 2]\\n", "s.yaml")
        >>> str(mark_at(data, ["a", "b", 1])), str(mark_at(data, ["a", "nope", "x"]))
        ('s.yaml:2:10', 's.yaml:2:3')
    """
    mark = data.mark if isinstance(data, MDict | MList) else None
    for step in path:
        found, value, value_mark = _step(data, step)
        if not found:
            return data.mark if isinstance(data, MDict | MList) and data.mark is not None else mark
        data, mark = value, value_mark
    return mark


def key_mark_at(data: Any, path: Sequence[str | int]) -> Mark | None:
    """Where the last key of ``path`` is written (for "unknown key" errors); else the same as :func:`mark_at`.

    Example:
        >>> data = load_yaml_text("a:\\n  b: 1\\n", "s.yaml")
        >>> str(key_mark_at(data, ["a", "b"])), str(mark_at(data, ["a", "b"]))
        ('s.yaml:2:3', 's.yaml:2:6')
    """
    if path and isinstance(path[-1], str):
        parent = data
        for step in path[:-1]:
            found, parent, _ = _step(parent, step)
            if not found:
                break
        else:
            if isinstance(parent, MDict) and path[-1] in parent.key_marks:
                return parent.key_marks[path[-1]]
    return mark_at(data, path)


def plain(value: Any, *, iso_dates: bool = False) -> Any:
    """Loaded data as plain dicts and lists (for YAML or JSON output); dates as ISO text with ``iso_dates``.

    Example:
        >>> plain(load_yaml_text("d: 2020-01-02\\n", "s.yaml"), iso_dates=True)
        {'d': '2020-01-02'}
    """
    if isinstance(value, dict):
        return {str(k): plain(v, iso_dates=iso_dates) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, iso_dates=iso_dates) for v in value]
    if iso_dates and isinstance(value, dt.date):
        return value.isoformat()
    return value

