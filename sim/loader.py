"""Load a scenario file: read strict YAML, follow ``extends``, apply a variant, validate, cross-check.

The pipeline, each step reporting through :class:`~sim.errors.ScenarioError` with file, line and key path:

1. :func:`sim.yamlload.load_yaml_file` reads plain YAML that remembers positions;
2. ``extends: base.yaml`` (a path relative to the file) is loaded first, recursively, and the file is merged
   over it by the rules of :mod:`sim.merge`; cycles are errors;
3. a named variant's ``changes`` are merged over the result the same way;
4. the merged data is validated against :mod:`sim.schema` and checked by :mod:`sim.checks`; all problems of
   both steps are reported together.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.checks import check
from sim.diagnose import from_validation_error, suggest
from sim.errors import Diagnostic, DocketError, Mark, ScenarioError, found_repr, join_ids
from sim.merge import merge
from sim.schema import Scenario
from sim.yamlload import MDict, MList, key_mark_at, load_yaml_file, mark_at

MAX_EXTENDS = 20


def _must_be_mapping(data: Any, name: str) -> MDict:
    if isinstance(data, MDict):
        return data
    raise ScenarioError(Diagnostic(
        "a scenario file must be a mapping of keys (`name:`, `window:`, `populations:` ...)",
        getattr(data, "mark", None) or Mark(name, 1, 1), "", expected="a YAML mapping", found=found_repr(data),
        hint="start from `docket new my-scenario`"))


def _load_chain(path: Path, stack: tuple[Path, ...]) -> MDict:
    data = _must_be_mapping(load_yaml_file(path), str(path))
    if "variant" in data:
        raise ScenarioError(Diagnostic(
            "`variant` is not written in a file: it records which variant was applied", key_mark_at(
                data, ["variant"]), "variant", expected="no `variant` key", found=found_repr(data["variant"]),
            hint="choose a variant with `--variant ID`, or define one under `variants:`"))
    base_ref = data.get("extends")
    if base_ref is None:
        return _merge_over(None, data)
    if not isinstance(base_ref, str) or not base_ref.strip():
        raise ScenarioError(Diagnostic("`extends` must be the path of another scenario file",
                                       mark_at(data, ["extends"]), "extends", expected="a path such as "
                                       "`base.yaml`", found=found_repr(base_ref)))
    base_path = path.parent / base_ref
    if base_path.resolve() in stack or len(stack) > MAX_EXTENDS:
        chain = " -> ".join(p.name for p in (*stack, base_path))
        raise ScenarioError(Diagnostic(f"`extends` goes round in a cycle: {chain}", mark_at(data, ["extends"]),
                                       "extends", expected="a chain of files that ends", found=chain,
                                       hint="remove `extends` from one of these files"))
    if not base_path.is_file():
        raise ScenarioError(Diagnostic(f"`extends` names a file that does not exist: {base_ref}",
                                       mark_at(data, ["extends"]), "extends",
                                       expected="a path relative to this file", found=str(base_path)))
    base = _load_chain(base_path, (*stack, base_path.resolve()))
    base.pop("variant", None)
    return _merge_over(base, data)


def _merge_over(base: MDict | None, data: MDict) -> MDict:
    """Merge a file over its base; ``variants`` are patches themselves, so they are carried over unmerged:
    the file's variants replace the base's of the same id and add new ones."""
    out: MDict = merge(_without_variants(base) if base is not None else None, _without_variants(data))
    mine = data.get("variants")
    theirs = base.get("variants") if base is not None else None
    if isinstance(mine, list) and isinstance(theirs, list):
        ids = {v.get("id") for v in mine if isinstance(v, dict)}
        out["variants"] = MList(getattr(theirs, "mark", None))
        for source in ([v for v in theirs if not (isinstance(v, dict) and v.get("id") in ids)], mine):
            out["variants"].extend(source)
        out["variants"].item_marks = [getattr(v, "mark", None) or getattr(mine, "mark", None)
                                       for v in out["variants"]]
    elif mine is not None or theirs is not None:
        out["variants"] = mine if mine is not None else theirs
    owner = data if "variants" in data else base
    if owner is not None and "variants" in owner:
        out.key_marks["variants"] = owner.key_marks["variants"]
        out.value_marks["variants"] = owner.value_marks["variants"]
    return out


def _without_variants(data: dict[str, Any]) -> MDict:
    body = MDict(getattr(data, "mark", None))
    body.update((k, v) for k, v in data.items() if k != "variants")
    body.key_marks, body.value_marks = getattr(data, "key_marks", {}), getattr(data, "value_marks", {})
    return body


def merge_patch(data: dict[str, Any], patch: dict[str, Any], path: tuple[str | int, ...] = ()) -> MDict:
    """Merge a patch (a variant's changes, a ``--set`` override) over a resolved scenario; its ``variants``
    menu is kept as it is (variants are patches themselves, not values to merge)."""
    merged: MDict = merge(_without_variants(data), patch, path=path)
    if "variants" in data:
        merged["variants"] = data["variants"]
    return merged


def variant_ids(data: dict[str, Any]) -> list[str]:
    """Ids of the named variants in raw scenario data."""
    items = data.get("variants")
    if not isinstance(items, list):
        return []
    return [str(v["id"]) for v in items if isinstance(v, dict) and isinstance(v.get("id"), str)]


def apply_variant(data: MDict, variant: str) -> MDict:
    """Merge a variant's ``changes`` over the scenario and record its id in ``variant``."""
    items = data.get("variants") if isinstance(data.get("variants"), list) else []
    for i, item in enumerate(items or []):
        if isinstance(item, dict) and item.get("id") == variant:
            changes = item.get("changes") or MDict()
            if not isinstance(changes, dict):
                raise ScenarioError(Diagnostic("a variant's `changes` must be a mapping", mark_at(
                    data, ["variants", i, "changes"]), f"variants.{variant}.changes", found=found_repr(changes)))
            for key in ("variants", "extends", "variant"):
                if key in changes:
                    raise ScenarioError(Diagnostic(
                        f"a variant cannot change `{key}`", key_mark_at(changes, [key]),
                        f"variants.{variant}.changes.{key}", hint="make a separate file that `extends` this one"))
            merged = merge_patch(data, changes, path=("variants", i, "changes"))
            merged["variant"] = variant
            return merged
    known = variant_ids(data)
    close = suggest(variant, known)
    raise ScenarioError(Diagnostic(
        f"no variant `{variant}` in this scenario", getattr(data, "mark", None), "variants",
        expected=f"one of {join_ids(known)}", found=f"`{variant}`",
        hint=f"did you mean `{close}`?" if close else "list them with `docket resolve FILE`"))


def resolve_raw(path: str | os.PathLike[str], variant: str | None = None) -> MDict:
    """The effective raw scenario after ``extends`` and ``variant`` (what ``docket resolve`` prints)."""
    p = Path(path)
    data = _load_chain(p, (p.resolve(),)) if p.is_file() else _must_be_mapping(load_yaml_file(p), str(p))
    return apply_variant(data, variant) if variant else data


def validate_data(data: dict[str, Any], filename: str) -> tuple[Scenario | None, list[Diagnostic]]:
    """Validate merged raw data: schema errors and cross-field problems, all in one list."""
    context: dict[str, Any] = {}
    diagnostics = check(data)
    try:
        scenario: Scenario | None = Scenario.model_validate(data, context=context, by_alias=True, by_name=False)
    except ValidationError as exc:
        scenario = None
        diagnostics = from_validation_error(exc, data, context, filename) + diagnostics
    return (scenario if not diagnostics else None), _dedupe(diagnostics)


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for d in diagnostics:
        key = (d.mark, d.path, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def load_scenario(path: str | os.PathLike[str], variant: str | None = None) -> Scenario:
    """Load, merge and validate a scenario file.

    Args:
        path: the YAML file.
        variant: the id of a named variant to apply, or ``None`` for the scenario as written.

    Raises:
        ScenarioError: every problem found, each with file:line:col, key path, expected/found and a hint.

    Example:
        >>> s = load_scenario("scenarios/quickstart.yaml")
        >>> s.measures[0].id
        'sales_ban'
    """
    data = resolve_raw(path, variant)
    scenario, diagnostics = validate_data(data, str(path))
    if scenario is None:
        raise ScenarioError(diagnostics)
    return scenario


def check_file(path: str | os.PathLike[str]) -> list[Diagnostic]:
    """Every problem in a file: the scenario as written and each of its variants (empty list: valid)."""
    try:
        data = resolve_raw(path)
    except ScenarioError as exc:
        return exc.diagnostics
    _, diagnostics = validate_data(data, str(path))
    if diagnostics:
        return ScenarioError(diagnostics).diagnostics
    for vid in variant_ids(data):
        try:
            merged = apply_variant(data, vid)
        except ScenarioError as exc:
            diagnostics += exc.diagnostics
            continue
        for d in validate_data(merged, str(path))[1]:
            diagnostics.append(Diagnostic(d.message + f" (in variant `{vid}`)", d.mark, d.path, d.expected,
                                          d.found, d.hint))
    return ScenarioError(_dedupe(diagnostics)).diagnostics


SCENARIO_SUFFIXES = (".yaml", ".yml")


def yaml_files(paths: Iterable[str | os.PathLike[str]],
               keep: Callable[[Path], bool] | None = None) -> list[Path]:
    """The scenario files named by ``paths``: files as given, folders searched recursively for ``*.yaml`` and
    ``*.yml`` (``baselines/`` folders skipped; ``keep`` filters what a folder holds). No duplicates.

    Raises:
        DocketError: a path does not exist, or a folder holds no scenario file.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.suffix in SCENARIO_SUFFIXES and p.is_file()
                            and "baselines" not in p.relative_to(path).parts and (keep is None or keep(p)))
            if not inside:
                raise DocketError(f"no scenario files (*.yaml) under {raw}")
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            raise DocketError(f"{raw} does not exist")
    return list(dict.fromkeys(found))

