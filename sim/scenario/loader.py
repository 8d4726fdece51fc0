"""Load a scenario file: read strict YAML, follow ``extends``, apply a variant, validate, cross-check.

The pipeline, each step reporting through :class:`~sim.scenario.errors.ScenarioError` with file, line and key path:

1. :func:`sim.scenario.yamlload.load_yaml_file` reads plain YAML that remembers positions (regular files only); a file
   that is not a scenario (:func:`is_scenario_mapping`) is one diagnostic, never one per line it holds;
2. ``extends: base.yaml`` (a path relative to the file) is loaded first, following the chain of files without
   recursion, and the file is merged over it by the rules of :mod:`sim.scenario.merge`; a cycle, a chain of more than
   :data:`MAX_EXTENDS` steps, a path holding control characters or naming no regular file are errors;
3. a named variant's ``changes`` are merged over the result the same way;
4. the merged data is validated against :mod:`sim.scenario.schema` and checked by
   :mod:`sim.scenario.crosschecks`; all problems of both steps are reported together.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.scenario.crosschecks import check
from sim.scenario.diagnose import from_validation_error, suggest
from sim.scenario.errors import (
    Diagnostic,
    DocketError,
    Mark,
    ScenarioError,
    excerpt,
    found_repr,
    in_file_order,
    join_ids,
    unprintable,
)
from sim.scenario.files import MISSING, kind_of, refusal
from sim.scenario.merge import merge
from sim.scenario.schema import Scenario
from sim.scenario.yamlload import MDict, MList, key_mark_at, load_yaml_file, mark_at

MAX_EXTENDS = 128
"""The most ``extends`` steps one chain of files may take (a file extending a file ... 128 times)."""
SCENARIO_KEYS = tuple(f.alias or n for n, f in Scenario.model_fields.items())
"""The top-level keys of the scenario format."""
SCENARIO_SUFFIXES = (".yaml", ".yml")


def is_scenario_mapping(data: Any) -> bool:
    """Whether loaded YAML looks like a scenario: a mapping at least half of whose top-level keys are keys of
    the scenario format (an empty mapping counts; its missing keys are then reported one by one).

    Example:
        >>> is_scenario_mapping({"name": "x", "titel": "y"}), is_scenario_mapping({"MemTotal": 1, "name": 2, "a": 3})
        (True, False)
    """
    if not isinstance(data, dict):
        return False
    known = sum(key in SCENARIO_KEYS for key in data)
    return 2 * known >= len(data)


def _expected_scenario() -> str:
    return "a YAML mapping with scenario keys (" + ", ".join(f"`{k}`" for k in ("name", "window", "populations",
                                                                                "measures")) + " ...)"


def _what_it_holds(data: Any) -> str:
    """A short description of loaded data that is not a scenario: at most a short excerpt of its keys."""
    if isinstance(data, dict):
        known = sum(key in SCENARIO_KEYS for key in data)
        return (f"a mapping of {len(data)} keys, {known} of them scenario keys (the first: "
                f"`{excerpt(str(next(iter(data))), 30)}`)")
    return found_repr(data)


def _not_a_scenario(path: Path, via: MDict | None, found: str) -> ScenarioError:
    """One diagnostic for a file that is not a scenario, quoting at most a short excerpt of it."""
    if via is None:
        return ScenarioError(Diagnostic(f"{path.name} is not a docket scenario", Mark(str(path), 1, 1), "",
                                        expected=_expected_scenario(), found=found,
                                        hint="start from `docket new my-scenario`"))
    return ScenarioError(Diagnostic(f"`extends` file {via['extends']} is not a docket scenario",
                                    mark_at(via, ["extends"]), "extends", expected=_expected_scenario(),
                                    found=found, hint="`extends` names another scenario file (a .yaml file with "
                                    "`name:`, `window:` ...) relative to this one"))


def _read(path: Path, via: MDict | None) -> MDict:
    """Load one file of a chain: the file given (``via`` is ``None``) or the one ``via``'s ``extends`` names.

    A file that is not a scenario is one diagnostic, never one per line it holds; an ``extends`` target that is
    not YAML at all (and not named ``*.yaml``) counts as not a scenario.
    """
    try:
        data = load_yaml_file(path)
    except ScenarioError as exc:
        if via is None or path.suffix in SCENARIO_SUFFIXES:
            raise
        first = exc.diagnostics[0].mark
        raise _not_a_scenario(path, via, "a file that is not valid YAML" + (f" (line {first.line})" if first else "")
                              ) from None
    if isinstance(data, dict) and not is_scenario_mapping(data):
        raise _not_a_scenario(path, via, _what_it_holds(data))
    if via is not None and not isinstance(data, MDict):
        raise _not_a_scenario(path, via, _what_it_holds(data))
    data = _must_be_mapping(data, str(path))
    if "variant" in data:
        raise ScenarioError(Diagnostic(
            "`variant` is not written in a file: it records which variant was applied", key_mark_at(
                data, ["variant"]), "variant", expected="no `variant` key", found=found_repr(data["variant"]),
            hint="choose a variant with `--variant ID`, or define one under `variants:`"))
    return data


def _must_be_mapping(data: Any, name: str) -> MDict:
    if isinstance(data, MDict):
        return data
    raise ScenarioError(Diagnostic(
        "a scenario file must be a mapping of keys (`name:`, `window:`, `populations:` ...)",
        getattr(data, "mark", None) or Mark(name, 1, 1), "", expected="a YAML mapping", found=found_repr(data),
        hint="start from `docket new my-scenario`"))


def _real(path: Path) -> Path:
    """The resolved path, to recognise a file met twice; the absolute path if it cannot be resolved."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path.absolute()


def _base_path(data: MDict, path: Path) -> Path:
    """The file ``data`` (read from ``path``) extends, checked to be a usable path of a regular file."""
    ref = data["extends"]
    if not isinstance(ref, str) or not ref.strip():
        raise ScenarioError(Diagnostic("`extends` must be the path of another scenario file",
                                       mark_at(data, ["extends"]), "extends", expected="a path such as "
                                       "`base.yaml`", found=found_repr(ref)))
    bad = next((ch for ch in ref if unprintable(ch)), None)
    if bad is not None:
        raise ScenarioError(Diagnostic(
            f"`extends` holds a control character (U+{ord(bad):04X}), which no file name can hold",
            mark_at(data, ["extends"]), "extends", expected="a path such as `base.yaml`", found=found_repr(ref),
            hint="write the file name without escapes such as `\\0` or `\\n`"))
    return path.parent / ref


def _check_base(data: MDict, base: Path, chain: list[Path], seen: set[Path]) -> None:
    """Refuse a base that closes a cycle (its real path is in ``seen``), makes the chain too deep, or is not a
    regular file."""
    where = mark_at(data, ["extends"])
    if _real(base) in seen:
        names = " -> ".join(p.name for p in (*chain, base))
        raise ScenarioError(Diagnostic(f"`extends` goes round in a cycle: {names}", where, "extends",
                                       expected="a chain of files that ends", found=names,
                                       hint="remove `extends` from one of these files"))
    if len(chain) > MAX_EXTENDS:
        raise ScenarioError(Diagnostic(
            f"`extends` goes too deep: more than {MAX_EXTENDS} files extend one another", where, "extends",
            expected=f"at most {MAX_EXTENDS} `extends` in a chain",
            found=f"{chain[0].name} -> {chain[1].name} -> ... -> {chain[-1].name} -> {base.name}",
            hint="merge some of the files of the chain into one"))
    kind = kind_of(base)
    if kind == MISSING:
        raise ScenarioError(Diagnostic(f"`extends` names a file that does not exist: {data['extends']}", where,
                                       "extends", expected="a path relative to this file", found=str(base)))
    if kind is not None:
        raise ScenarioError(Diagnostic(f"`extends` names {data['extends']}, which is {kind}, not a scenario file",
                                       where, "extends", expected="a regular .yaml file relative to this file",
                                       found=f"{base}: {kind}", hint="give the path of a regular .yaml file"))


def _load_chain(path: Path) -> MDict:
    """The file at ``path`` merged over the chain of files its ``extends`` names, followed without recursion."""
    chain, files, seen = [path], [_read(path, None)], {_real(path)}
    while files[-1].get("extends") is not None:
        base = _base_path(files[-1], chain[-1])
        _check_base(files[-1], base, chain, seen)
        files.append(_read(base, files[-1]))
        chain.append(base)
        seen.add(_real(base))
    merged: MDict | None = None
    for data in reversed(files):
        merged = _merge_over(merged, data)
    assert merged is not None
    return merged


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
    where = data.key_marks.get("variants") if isinstance(data, MDict) else None
    top = getattr(data, "mark", None)
    raise ScenarioError(Diagnostic(
        f"no variant `{variant}` in this scenario", where or (Mark(top.file, 1, 1) if top else None), "variants",
        expected=f"one of {join_ids(known)}" if known else "a variant defined under `variants:` (this scenario "
        "defines no variants)", found=f"`{variant}`",
        hint=f"did you mean `{close}`?" if close else "list them with `docket resolve FILE`" if known else
        "add one under `variants:`, or leave out --variant"))


def resolve_raw(path: str | os.PathLike[str], variant: str | None = None) -> MDict:
    """The effective raw scenario after ``extends`` and ``variant`` (what ``docket resolve`` prints)."""
    data = _load_chain(Path(path))
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


def validated(data: dict[str, Any], filename: str) -> Scenario:
    """The scenario validated from resolved ``data``; ``filename`` names it in messages.

    Raises:
        ScenarioError: every schema and cross-field problem, together.
    """
    scenario, diagnostics = validate_data(data, filename)
    if scenario is None:
        raise ScenarioError(diagnostics)
    return scenario


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
    return validated(resolve_raw(path, variant), str(path))


def check_file(path: str | os.PathLike[str]) -> list[Diagnostic]:
    """Every problem in a file: the scenario as written and each of its variants (empty list: valid)."""
    try:
        data = resolve_raw(path)
    except ScenarioError as exc:
        return exc.diagnostics
    _, diagnostics = validate_data(data, str(path))
    if diagnostics:
        return in_file_order(diagnostics)
    for vid in variant_ids(data):
        try:
            merged = apply_variant(data, vid)
        except ScenarioError as exc:
            diagnostics += exc.diagnostics
            continue
        for d in validate_data(merged, str(path))[1]:
            diagnostics.append(Diagnostic(d.message + f" (in variant `{vid}`)", d.mark, d.path, d.expected,
                                          d.found, d.hint))
    return in_file_order(_dedupe(diagnostics))


def yaml_files(paths: Iterable[str | os.PathLike[str]],
               keep: Callable[[Path], bool] | None = None) -> list[Path]:
    """The scenario files named by ``paths``: files as given, folders searched recursively for ``*.yaml`` and
    ``*.yml`` (``baselines/`` folders skipped; ``keep`` filters what a folder holds). No duplicates.

    Raises:
        DocketError: a path does not exist or is not a regular file or folder (a named pipe, a device), or a
            folder holds no scenario file.
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
        elif (problem := refusal(path)) is None:
            found.append(path)
        else:
            raise DocketError(problem)
    return list(dict.fromkeys(found))

