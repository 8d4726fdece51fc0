"""Variants and ``extends:`` — how a patch is laid over its base.

``merge(base, patch)`` returns a new value; the rules, applied recursively:

1. **Mapping over mapping** merges key by key. Keys keep the base's order; keys new in the patch are appended
   in patch order. A patch value of exactly ``$delete`` removes that key (``deferral: $delete``); deleting a
   key the base does not have is an error.
2. **List over list, when every item of both lists is a mapping with a text** ``id`` (a list of *named
   items*, such as ``measures``) merges item by item: an item whose ``id`` is in both lists is merged with
   rule 1; items with new ids are appended in patch order; the base order is kept. A patch item
   ``{id: foo, $delete: true}`` removes item ``foo``; it must hold nothing else, ``$delete`` must be ``true``,
   and the base must have ``foo``. Ids must be unique within each list. An *empty* patch list is not merged
   but replaces (so ``measures: []`` clears the list).
3. **A value written as a mapping** (one with a distribution key such as ``between`` or ``value``, or a
   relative date ``{from: ..., offset: ...}``) replaces the base value wholesale: a variant that writes
   ``initial: {between: [80M, 120M]}`` over ``initial: {value: 100M, source: x}`` gets exactly the range.
4. **Anything else** — lists without ids, scalars, a mapping over a scalar, ``null`` over anything — the
   patch value replaces the base value wholesale.
5. The result is made of new :class:`~sim.scenario.yamlload.MDict` / :class:`~sim.scenario.yamlload.MList`
   objects; the inputs are never changed. Every key, value and item keeps the mark of the side it came from: the
   patch's for what the patch set (including a merged mapping or list itself), the base's for what it left alone.
6. ``$delete`` markers never survive. Wherever the patch brings in a value the base does not have (a new
   key, a replacing value, an appended item), that value is treated as merged over *nothing*: any
   ``key: $delete`` or ``{id: x, $delete: true}`` inside it deletes something that does not exist and is an
   error, and so is ``$delete`` as a list item or a ``$delete:`` key outside a list of named items. The same
   check runs over the base, so ``merge(None, data)`` is a way to check a scenario that extends nothing.

Example:
    >>> merge({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": "$delete", "e": 4}, "f": 5})
    {'a': 1, 'b': {'d': 3, 'e': 4}, 'f': 5}
"""

from __future__ import annotations

from typing import Any, Final

from sim.scenario.errors import Diagnostic, Mark, ScenarioError, found_repr, join_ids
from sim.scenario.yamlload import MDict, MList, dotted_path

DELETE: Final = "$delete"
VALUE_KEYS: Final = frozenset({"value", "between", "uniform", "triangular", "normal", "lognormal", "choice",
                               "empirical", "from", "offset"})

Path = tuple[str | int, ...]


def merge(base: Any, patch: Any, *, path: Path = ()) -> Any:
    """Lay ``patch`` over ``base`` following the module's rules; the inputs are left untouched.

    Args:
        base: the value being extended (a loaded scenario, or the result of an earlier merge).
        patch: the variant or extending file's value.
        path: where these values sit, for diagnostics (e.g. ``("measures", 0)``).

    Raises:
        ScenarioError: a ``$delete`` that deletes nothing, a malformed ``$delete`` item, a duplicate id.

    Example:
        >>> base = {"measures": [{"id": "a", "x": 1}, {"id": "b"}]}
        >>> merge(base, {"measures": [{"id": "a", "x": 2}, {"id": "b", "$delete": True}, {"id": "c"}]})
        {'measures': [{'id': 'a', 'x': 2}, {'id': 'c'}]}
    """
    if isinstance(base, dict) and isinstance(patch, dict) and not _is_value(patch):
        return _merge_maps(base, patch, path)
    if isinstance(base, list) and isinstance(patch, list) and patch and _named(base) and _named(patch):
        return _merge_items(base, patch, path)
    return _fresh(patch, path)


def _err(message: str, mark: Mark | None, path: Path, **extra: str | None) -> ScenarioError:
    return ScenarioError(Diagnostic(message, mark, dotted_path(path), **extra))


def _is_value(mapping: dict[str, Any]) -> bool:
    """A value written as a mapping (``{between: [...]}``, ``{from: deal, offset: 7d}``) replaces wholesale."""
    return any(key in mapping for key in VALUE_KEYS)


def _is_delete(value: Any) -> bool:
    return isinstance(value, str) and value == DELETE


def _named(items: list[Any]) -> bool:
    return all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in items)


def _mark(value: Any) -> Mark | None:
    return value.mark if isinstance(value, MDict | MList) else None


def _key_mark(mapping: dict[str, Any], key: str) -> Mark | None:
    return mapping.key_marks.get(key) if isinstance(mapping, MDict) else None


def _value_mark(mapping: dict[str, Any], key: str) -> Mark | None:
    return mapping.value_marks.get(key) if isinstance(mapping, MDict) else None


def _item_mark(items: list[Any], index: int) -> Mark | None:
    if isinstance(items, MList) and index < len(items.item_marks):
        return items.item_marks[index]
    return _mark(items)


def _put(out: MDict, key: str, value: Any, source: dict[str, Any]) -> None:
    """Set ``out[key]`` with the key and value marks ``source`` has for it."""
    out[key] = value
    if (key_mark := _key_mark(source, key)) is not None:
        out.key_marks[key] = key_mark
    if (value_mark := _value_mark(source, key)) is not None:
        out.value_marks[key] = value_mark


def _append(out: MList, value: Any, source: list[Any], index: int) -> None:
    """Append ``value`` with the item mark ``source`` has at ``index`` (if marks are kept at all)."""
    out.append(value)
    marks = source.item_marks if isinstance(source, MList) else []
    if index < len(marks) and len(out.item_marks) == len(out) - 1:  # keep item_marks aligned with the items
        out.item_marks.append(marks[index])


def _no_such_key(patch: dict[str, Any], key: str, path: Path) -> ScenarioError:
    return _err(f"cannot delete `{key}`: the base has no such key", _key_mark(patch, key), (*path, key),
                expected="a key the base defines", found=f"`{key}: {DELETE}`",
                hint="remove this line, or check the spelling of the key")


def _stray_delete_key(mapping: dict[str, Any], path: Path) -> ScenarioError:
    return _err(f"`{DELETE}:` as a key only removes an item from a list of named items",
                _key_mark(mapping, DELETE), (*path, DELETE),
                expected=f"`- {{id: name, {DELETE}: true}}` in a list of items with ids",
                found=f"`{DELETE}:` in a mapping", hint=f"to remove a key, write `key: {DELETE}`")


def _merge_maps(base: dict[str, Any], patch: dict[str, Any], path: Path) -> MDict:
    for side in (patch, base):
        if DELETE in side:
            raise _stray_delete_key(side, path)
    out = MDict(_mark(patch) or _mark(base))
    for key, value in base.items():
        if key not in patch and _is_delete(value):
            raise _no_such_key(base, key, path)
        if key not in patch:
            _put(out, key, _fresh(value, (*path, key)), base)
        elif not _is_delete(patch[key]):
            _put(out, key, merge(value, patch[key], path=(*path, key)), patch)
    for key, value in patch.items():
        if key not in base:
            if _is_delete(value):
                raise _no_such_key(patch, key, path)
            _put(out, key, _fresh(value, (*path, key)), patch)
    return out


def _ids(items: list[Any], path: Path) -> dict[str, int]:
    """Map each id to its index; refuse duplicate ids."""
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item["id"] in seen:
            first = _item_mark(items, seen[item["id"]])
            raise _err(f"duplicate id `{item['id']}` in this list", _item_mark(items, index), (*path, index),
                       expected="each id once per list", found=f"`{item['id']}` twice",
                       hint=f"the first item with this id is at line {first.line}" if first else None)
        seen[item["id"]] = index
    return seen


def _check_delete_item(item: dict[str, Any], items: list[Any], index: int, base_ids: dict[str, int],
                       path: Path) -> None:
    """Validate a ``{id: x, $delete: true}`` patch item against the base's ids."""
    where, name = (*path, index), item["id"]
    if item[DELETE] is not True:
        raise _err(f"`{DELETE}` must be `true` to remove item `{name}`", _value_mark(item, DELETE),
                   (*where, DELETE), expected="`true`", found=found_repr(item[DELETE]),
                   hint=f"write `{DELETE}: true`, or drop the `{DELETE}` key to change the item instead")
    extra = [key for key in item if key not in ("id", DELETE)]
    if extra:
        raise _err(f"item `{name}` is marked `{DELETE}: true` but also sets other keys",
                   _item_mark(items, index), where, expected=f"only `id` and `{DELETE}`",
                   found=", ".join(f"`{key}`" for key in extra),
                   hint=f"remove the other keys, or drop `{DELETE}` to change the item instead")
    if name not in base_ids:
        raise _err(f"cannot delete item `{name}`: the base has no item with that id",
                   _item_mark(items, index), where, expected="an id the base defines", found=f"`{name}`",
                   hint=f"the base's ids: {join_ids(base_ids)}")


def _merge_items(base: list[Any], patch: list[Any], path: Path) -> MList:
    base_ids, patch_ids = _ids(base, path), _ids(patch, path)
    for index, item in enumerate(patch):
        if DELETE in item:
            _check_delete_item(item, patch, index, base_ids, path)
    out = MList(_mark(patch) or _mark(base))
    for index, item in enumerate(base):
        if item["id"] not in patch_ids:
            _append(out, _fresh(item, (*path, index)), base, index)
            continue
        at = patch_ids[item["id"]]
        if DELETE not in patch[at]:
            _append(out, _merge_maps(item, patch[at], (*path, at)), patch, at)
    for index, item in enumerate(patch):
        if item["id"] not in base_ids:
            _append(out, _fresh(item, (*path, index)), patch, index)
    return out


def _fresh(value: Any, path: Path) -> Any:
    """Copy ``value`` into new MDict/MList objects with its marks — i.e. merge it over nothing."""
    if isinstance(value, dict):
        if DELETE in value:
            raise _stray_delete_key(value, path)
        out = MDict(_mark(value))
        for key, item in value.items():
            if _is_delete(item):
                raise _no_such_key(value, key, path)
            _put(out, key, _fresh(item, (*path, key)), value)
        return out
    if isinstance(value, list):
        seq = MList(_mark(value))
        for index, item in enumerate(value):
            if isinstance(item, dict) and DELETE in item and isinstance(item.get("id"), str):
                _check_delete_item(item, value, index, {}, path)
            if _is_delete(item):
                raise _err(f"`{DELETE}` cannot be a list item", _item_mark(value, index), (*path, index),
                           expected="a value", found=f"`{DELETE}`",
                           hint=f"to remove a named item write `- {{id: name, {DELETE}: true}}`")
            _append(seq, _fresh(item, (*path, index)), value, index)
        return seq
    if _is_delete(value):
        raise _err(f"`{DELETE}` can only be the value of a key (to remove that key)", None, path,
                   expected="a value", found=f"`{DELETE}`")
    return value
