"""Turn pydantic validation errors into diagnostics a person can act on.

Each pydantic error location is walked through the raw YAML data (which remembers file, line and column) to
find where the problem is written, to name the key path with item ids (``measures.hosting_cutoff.deadline``
rather than ``measures[2].deadline``), and to suggest a fix: the closest known key for a misspelt one, the
accepted choices for a wrong literal.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from sim.scenario.effects import effect_names
from sim.scenario.errors import Diagnostic, Mark, comma_hint, found_repr
from sim.scenario.fields import ERROR_TYPE, ID_REGEX
from sim.scenario.yamlload import key_mark_at, mark_at

Loc = tuple[str | int, ...]


def suggest(word: str, choices: Sequence[str]) -> str | None:
    """The closest of ``choices`` to a misspelt ``word``, or ``None``.

    Example:
        >>> suggest("dedline", ["deadline", "effects"])
        'deadline'
    """
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def raw_path(data: Any, loc: Loc) -> tuple[list[str | int], str]:
    """Map a pydantic location to the path in the raw data and a display path with item ids.

    Location steps that are not keys of the raw mapping (the tag pydantic adds for a discriminated union)
    are dropped, except the last, which may name a missing key.
    """
    path: list[str | int] = []
    shown = ""
    node = data
    for i, step in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(step, str) and isinstance(node, dict):
            if step not in node and not last:
                continue
            path.append(step)
            shown = f"{shown}.{step}" if shown else step
            node = node.get(step)
        elif isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            path.append(step)
            item = node[step]
            ident = item.get("id") if isinstance(item, dict) else None
            shown += f".{ident}" if isinstance(ident, str) and ident else f"[{step}]"
            node = item
        else:
            path.append(step)
            shown += f"[{step}]" if isinstance(step, int) else f".{step}"
            node = None
    return path, shown


def at(data: Any, loc: Loc) -> Any:
    """The raw value at a raw path, or ``None``."""
    node = data
    for step in loc:
        if isinstance(node, dict) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def _fallback(data: Any, filename: str) -> Mark:
    return getattr(data, "mark", None) or Mark(filename, 1, 1)


def from_validation_error(exc: ValidationError, data: Any, context: dict[str, Any], filename: str,
                          prefix: Loc = ()) -> list[Diagnostic]:
    """Diagnostics for every error of ``exc``; ``data`` is the raw mapping that was validated.

    Args:
        exc: the pydantic error.
        data: the raw (MDict) data given to pydantic, so positions can be found.
        context: the validation context, holding the known keys of each mapping seen.
        filename: used when no position is known.
        prefix: location of ``data`` inside the whole scenario (when an item is validated on its own).
    """
    known: dict[int, list[str]] = context.get("known_keys", {})
    out: list[Diagnostic] = []
    errors = exc.errors(include_url=False)
    # A misspelt required key shows up twice (unknown `dedline`, missing `deadline`): report it once, as the
    # unknown key with its suggestion.
    misspelt = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            parent = tuple(err["loc"][:-1])
            close = suggest(str(err["loc"][-1]), known.get(id(at(data, tuple(raw_path(data, parent)[0]))), []))
            if close:
                misspelt.add((parent, close))
    for err in errors:
        if err["type"] == "missing" and (tuple(err["loc"][:-1]), err["loc"][-1]) in misspelt:
            continue
        loc = tuple(err["loc"])
        path, shown = raw_path(data, loc)
        if prefix:
            _, shown_prefix = raw_path(context.get("root", data), prefix)
            shown = f"{shown_prefix}.{shown}" if shown else shown_prefix
        mark = mark_at(data, path) or _fallback(data, filename)
        kind, ctx = err["type"], err.get("ctx", {})
        found = found_repr(err.get("input"))
        if kind == "extra_forbidden":
            key = str(path[-1])
            names = known.get(id(at(data, tuple(path[:-1]))), [])
            close = suggest(key, names)
            out.append(Diagnostic(
                f"unknown key `{key}`", key_mark_at(data, path) or mark, shown,
                expected="one of " + ", ".join(f"`{n}`" for n in names) if names else None,
                found=f"`{key}`",
                hint=f"did you mean `{close}`?" if close else comma_hint(at(data, tuple(path[:-1])), path[-1])
                or _moved(key, names)))
        elif kind == "missing":
            out.append(Diagnostic(f"missing required key `{path[-1]}`", mark, shown,
                                  expected=f"a `{path[-1]}` key", found="no such key",
                                  hint=f"add `{path[-1]}: ...`"))
        elif kind == ERROR_TYPE:
            out.append(Diagnostic(str(ctx.get("message")), mark, shown, expected=str(ctx.get("expected")),
                                  found=str(ctx.get("found")), hint=str(ctx.get("hint")) or None))
        elif kind == "union_tag_invalid":
            tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
            tag = str(ctx.get("tag"))
            close = suggest(tag, tags)
            out.append(Diagnostic(f"unknown effect type `{tag}`", mark_at(data, [*path, "type"]) or mark, shown,
                                  expected="one of " + ", ".join(f"`{t}`" for t in tags), found=f"`{tag}`",
                                  hint=_close_type(tag, close)))
        elif kind == "union_tag_not_found":
            out.append(Diagnostic("an effect needs a `type`", mark, shown,
                                  expected="`type: " + effect_names()[1:], found=found,
                                  hint="add `type: ...` to the effect"))
        elif kind == "literal_error":
            choices = [c.strip(" '") for c in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
            close = suggest(str(err.get("input")), [c for c in choices if c])
            out.append(Diagnostic("not one of the accepted choices", mark, shown,
                                  expected=str(ctx.get("expected")), found=found,
                                  hint=f"did you mean `{close}`?" if close else None))
        elif kind == "string_type" and isinstance(err.get("input"), dt.date | int | float | bool):
            raw, what = err["input"], "a date" if isinstance(err["input"], dt.date) else "a number"
            out.append(Diagnostic(f"YAML read this as {what}, not text", mark, shown, expected="text", found=found,
                                  hint=f"quote it to keep it as text: `{path[-1]}: '{_yaml_text(raw)}'`"))
        elif kind == "string_pattern_mismatch" and isinstance(err.get("input"), str):
            out.append(_bad_name(str(err["input"]), str(ctx.get("pattern")), mark, shown, found))
        else:
            out.append(Diagnostic(_message(err["msg"]), mark, shown, expected=_expected(kind, ctx), found=found))
    return out


def _bad_name(text: str, pattern: str, mark: Mark, shown: str, found: str) -> Diagnostic:
    """An id (or a scenario name) with characters it may not hold; the hint offers a fixed spelling."""
    if pattern == ID_REGEX:
        fixed = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "x"
        fixed = fixed if not fixed[0].isdigit() else "_" + fixed
        return Diagnostic("not a valid id", mark, shown, expected=_expected("string_pattern_mismatch", {}),
                          found=found, hint=f"ids use letters, digits and `_` only: try `{fixed}`")
    fixed = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "x"
    return Diagnostic("not a valid name", mark, shown, expected="a name: letters, digits, `_`, `.` or `-`",
                      found=found, hint=f"no spaces or other characters: try `{fixed}`")


MOVED: dict[str, str] = {"delay": "extend", "extend": "delay", "length": "extend", "schedule": "steps",
                         "chance": "probability", "on": "date"}
"""Keys people carry over from a neighbouring construct: ``delay`` is a deferral's, ``extend`` a decision's."""


def _moved(key: str, names: list[str]) -> str:
    """The hint for an unknown key: the name this mapping uses for it, if it has one."""
    other = MOVED.get(key)
    if other in names:
        return f"here it is called `{other}` (`{key}` belongs to another construct)"
    return "remove it, or check its indentation"


def _close_type(tag: str, close: str | None) -> str | None:
    """Suggest a close effect type, unless it is only part of the name written (``scale_transfer`` is not a
    kind of ``transfer``)."""
    if close is None:
        return None
    if set(close.split("_")) < set(tag.split("_")):  # a word added to a type's name: another effect meant
        return (f"`{close}` is a different effect, not a variant of `{tag}`: pick from the types listed "
                "(docs/scenario-format.md, effect table)")
    return f"did you mean `{close}`?"


def _yaml_text(raw: object) -> str:
    return str(raw).lower() if isinstance(raw, bool) else raw.isoformat() if isinstance(raw, dt.date) else str(raw)


def _message(msg: str) -> str:
    return msg[0].lower() + msg[1:] if msg else "invalid value"


def _expected(kind: str, ctx: dict[str, Any]) -> str | None:
    table = {
        "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
        "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
        "list_type": "a list (items starting with `- `)", "dict_type": "a mapping (`key: value` lines)",
        "model_type": "a mapping (`key: value` lines)", "bool_type": "true or false",
        "string_pattern_mismatch": "an id: a letter or _, then letters, digits or _",
        "too_short": "at least one item", "greater_than_equal": f"a number >= {ctx.get('ge')}",
        "less_than_equal": f"a number <= {ctx.get('le')}",
    }  # fmt: skip
    return table.get(kind)
