"""Command-line overrides: ``--set measures.hosting_cutoff.deadline=2021-02-01``.

The key is a dotted path through the scenario in which list items are named by their ``id``
(``populations.tiktok_users.outflow``, ``measures.tiktok_app_store.deferral.probability``); the value is read
as YAML, so ``2021-02-01`` is a date, ``35%`` a percentage, ``{between: [7d, 30d]}`` a distribution. An
override is merged like a variant (a distribution replaces the whole value) and then validated exactly like the
file: every diagnostic about an overridden value names the override (``--set KEY=VALUE``) instead of a line.

An override is one line: a value holding a line break is refused, so it cannot add keys of its own
(``title=a<newline>seed: 5``), and the value is read as the value of KEY only. ``extends``, ``variants`` and
``variant`` cannot be overridden: they are used while the file is read, before any override.
"""

from __future__ import annotations

from typing import Any, Final

from sim.scenario.diagnose import suggest
from sim.scenario.errors import Diagnostic, Mark, ScenarioError, found_repr, join_ids
from sim.scenario.loader import merge_patch
from sim.scenario.yamlload import MDict, MList, load_yaml_text

# YAML's line breaks (and the other control characters, which YAML refuses anyway).
_LINE_BREAKS: Final = frozenset("\n\r\x85\u2028\u2029")
_READ_EARLY: Final = {
    "extends": ("`extends` is followed when the file is read, before any --set",
                "write a file with `extends: FILE` and the changes, or edit this file's `extends:` line"),
    "variants": ("variants are patches chosen with --variant, before any --set",
                 "choose one with --variant ID, or edit `variants:` in the file"),
    "variant": ("`variant` records which variant --variant applied", "choose a variant with --variant ID"),
}
_WRAP: Final = "v: "  # the value is read as the value of this one-key document


def _fail(text: str, message: str, **extra: str | None) -> ScenarioError:
    return ScenarioError(Diagnostic(message, Mark(f"--set {text}", 1, 1), text.partition("=")[0].strip(), **extra))


def _at_key(d: Diagnostic, key: str) -> Diagnostic:
    """A diagnostic about the wrapped value, retold at the key the user wrote and the column in the override."""
    path = key + d.path[1:] if d.path.startswith(("v.", "v[")) else key
    mark = d.mark
    if mark is not None:  # past the first line is past the end of the value
        col = mark.col - len(_WRAP) + len(key) + 1 if mark.line == 1 else len(mark.file) - len("--set ") + 1
        mark = Mark(mark.file, 1, max(1, col))
    return Diagnostic(d.message, mark, path, d.expected, d.found, d.hint)


def _value(text: str, key: str, raw: str) -> Any:
    """The value of one override, read as YAML; it cannot hold a line break, so nothing escapes into new keys."""
    stripped = key.strip()
    bad = next((ch for ch in raw if ch in _LINE_BREAKS or (ch < " " and ch != "\t")), None)
    if bad is not None:
        raise _fail(text, "an override's value must be one line", expected="a value on one line",
                    found=f"the character U+{ord(bad):04X} in {found_repr(raw)}",
                    hint="write lists and mappings inline (`KEY={between: [7d, 30d]}`); give each key its own --set")
    try:
        data = load_yaml_text(f"{_WRAP}{raw}\n", f"--set {text}")
    except ScenarioError as exc:
        raise ScenarioError([_at_key(d, stripped) for d in exc.diagnostics]) from None
    if not isinstance(data, dict) or list(data) != ["v"]:  # cannot happen for one line; never trust it silently
        raise _fail(text, "an override sets one value", found=found_repr(raw))
    return data["v"]


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
        ScenarioError: no ``=``, an empty key, a key read before overrides apply (``extends``, ``variants``,
            ``variant``), a value that is not one line of YAML, or a path through a list naming an id that does
            not exist.

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
    if steps[0] in _READ_EARLY:
        why, hint = _READ_EARLY[steps[0]]
        raise _fail(text, f"`--set {steps[0]}=` has no effect: {why}", expected="a key of the resolved scenario",
                    found=f"`{steps[0]}`", hint=hint)
    mark = Mark(f"--set {text}", 1, len(key) + 2)
    value: Any = _retag(_value(text, key, raw), mark)
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
