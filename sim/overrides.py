"""Command-line overrides: ``--set measures.hosting_cutoff.deadline=2021-02-01``.

The key is a dotted path through the scenario in which list items are named by their ``id``
(``populations.tiktok_users.outflow``, ``measures.tiktok_app_store.deferral.probability``); the value is read
as YAML, so ``2021-02-01`` is a date, ``35%`` a percentage, ``{between: [7d, 30d]}`` a distribution. An
override is merged like a variant (a distribution replaces the whole value) and then validated exactly like the
file: every diagnostic about an overridden value names the override (``--set KEY=VALUE``) instead of a line.
"""

from __future__ import annotations

from typing import Any

from sim.diagnose import suggest
from sim.errors import Diagnostic, Mark, ScenarioError, join_ids
from sim.loader import merge_patch
from sim.yamlload import MDict, MList, load_yaml_text


def _fail(text: str, message: str, **extra: str | None) -> ScenarioError:
    return ScenarioError(Diagnostic(message, Mark(f"--set {text}", 1, 1), text.partition("=")[0], **extra))


def _value(text: str, raw: str) -> Any:
    data = load_yaml_text(f"v: {raw}\n", f"--set {text}")
    return data["v"] if isinstance(data, dict) else None


def _retag(value: Any, mark: Mark) -> Any:
    """Give an override's value (and everything inside it) the override as its position."""
    if isinstance(value, dict):
        out = MDict(mark)
        for k, v in value.items():
            out[k] = _retag(v, mark)
            out.key_marks[k] = out.value_marks[k] = mark
        return out
    if isinstance(value, list):
        seq = MList(mark)
        seq.extend(_retag(v, mark) for v in value)
        seq.item_marks = [mark] * len(seq)
        return seq
    return value


def patch_for(data: dict[str, Any], text: str) -> MDict:
    """The patch one ``KEY=VALUE`` override lays over the scenario ``data``.

    Raises:
        ScenarioError: no ``=``, an empty key, or a path through a list naming an id that does not exist.

    Example:
        >>> base = {"measures": [{"id": "ban", "deadline": "2020-03-01"}]}
        >>> dict(patch_for(base, "measures.ban.deadline=2020-06-01")["measures"][0])
        {'id': 'ban', 'deadline': datetime.date(2020, 6, 1)}
    """
    key, eq, raw = text.partition("=")
    steps = [s.strip() for s in key.strip().split(".")]
    if not eq or not all(steps):
        raise _fail(text, "an override is written KEY=VALUE", expected="e.g. `measures.ban.deadline=2021-02-01`",
                    found=f"`{text}`")
    mark = Mark(f"--set {text}", 1, len(key) + 2)
    value: Any = _retag(_value(text, raw), mark)
    node: Any = data
    built: list[Any] = []  # (container kind, key) from the top, to nest the value afterwards
    for i, step in enumerate(steps):
        if isinstance(node, list):
            ids = [item.get("id") for item in node if isinstance(item, dict)]
            if step not in ids:
                close = suggest(step, [str(x) for x in ids if x])
                where = ".".join(steps[:i]) or "the scenario"
                raise _fail(text, f"no item `{step}` in {where}", expected=f"one of {join_ids(str(x) for x in ids)}",
                            found=f"`{step}`", hint=f"did you mean `{close}`?" if close else None)
            built.append(("item", step))
            node = next(item for item in node if isinstance(item, dict) and item.get("id") == step)
        else:
            built.append(("key", step))
            node = node.get(step) if isinstance(node, dict) else None
    for kind, step in reversed(built):
        if kind == "item":
            item = MDict(mark)
            item["id"] = step
            if isinstance(value, dict):
                for k, v in value.items():
                    item[k] = v
            value = MList(mark)
            value.append(item)
            value.item_marks = [mark]
        else:
            wrapper = MDict(mark)
            wrapper[step] = value
            wrapper.key_marks[step] = wrapper.value_marks[step] = mark
            value = wrapper
    assert isinstance(value, MDict)
    return value


def apply_overrides(data: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Lay each ``KEY=VALUE`` override over the resolved scenario, in order."""
    for text in overrides:
        data = merge_patch(data, patch_for(data, text))
    return data
