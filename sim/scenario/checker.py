"""The reader the cross-field checks share: the raw data, its items with their paths, and the report.

:mod:`sim.scenario.crosschecks` runs the checks; :mod:`sim.scenario.lifecyclechecks` holds those of how a
measure's deadline moves and what its states trigger.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sim.scenario.dates import DateSpec, read_date
from sim.scenario.diagnose import raw_path, suggest
from sim.scenario.errors import Diagnostic, join_ids
from sim.scenario.quantities import QuantityError
from sim.scenario.yamlload import key_mark_at, mark_at

Path = tuple[str | int, ...]


class Checker:
    """The raw scenario data being checked and the diagnostics found so far."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.out: list[Diagnostic] = []

    def items(self, key: str, node: Any = None, path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
        """The mapping items of list ``key`` (of the scenario, or of ``node`` at ``path``), with their paths."""
        seq = (self.data if node is None else node).get(key)
        if isinstance(seq, list):
            for i, item in enumerate(seq):
                if isinstance(item, dict):
                    yield (*path, key, i), item

    def ids(self, key: str) -> set[str]:
        """The ids declared in list ``key``."""
        return {str(item["id"]) for _, item in self.items(key) if isinstance(item.get("id"), str)}

    def report(self, path: Path, message: str, *, key: bool = False, **extra: str | None) -> None:
        """Add a diagnostic at ``path`` (at its key with ``key=True``)."""
        mark = key_mark_at(self.data, path) if key else mark_at(self.data, path)
        self.out.append(Diagnostic(message, mark, raw_path(self.data, path)[1], **extra))

    def ref(self, path: Path, value: Any, known: set[str], what: str) -> None:
        """Report ``value`` at ``path`` unless it is one of the ``known`` ids of a ``what``."""
        if not isinstance(value, str) or value in known:
            return
        close = suggest(value, sorted(known))
        hint = f"did you mean `{close}`? " if close else ""
        article = "an" if what[0] in "aeiou" else "a"
        self.report(path, f"`{value}` is not a known {what}", expected=f"the id of {article} {what}",
                    found=f"`{value}`",
                    hint=f"{hint}known {what} ids: {join_ids(known)}")

    def date(self, path: Path) -> DateSpec | None:
        """The date at ``path``, or ``None`` if absent or unreadable (the schema reports that)."""
        raw = at(self.data, path)
        if raw is None:
            return None
        try:
            return read_date(raw)
        except QuantityError:
            return None


def items_of(value: Any) -> list[Any]:
    """``value`` if it is a list, else no items (the schema reports a non-list)."""
    return value if isinstance(value, list) else []


def _has(node: Any, step: str | int) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(step, int) and 0 <= step < len(node)


def at(data: Any, path: Path) -> Any:
    for step in path:
        if not isinstance(data, dict | list) or not _has(data, step):
            return None
        data = data[step]  # type: ignore[index]
    return data


def exactly_one(c: Checker, path: Path, node: dict[str, Any], keys: tuple[str, ...], what: str,
                hint: str | None = None) -> None:
    """Report ``node`` at ``path`` unless exactly one of ``keys`` is given (with ``hint``, if any)."""
    given = [k for k in keys if node.get(k) is not None]
    if len(given) != 1:
        shown = " or ".join(f"`{k}`" for k in keys)
        c.report(path, f"{what} needs exactly one of {shown}",
                 expected=f"one of {shown}", found=("both " if len(given) == 2 else "all of ")
                 + " and ".join(f"`{k}`" for k in given) if given else "none of them", hint=hint)
