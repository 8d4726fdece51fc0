"""Tests for sim.scenario.merge: how variants and `extends:` patches are laid over a base."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.errors import Diagnostic, Mark, ScenarioError
from sim.scenario.merge import DELETE, merge
from sim.scenario.yamlload import MDict, MList, load_yaml_text

BASE = """\
name: base
horizon: 365d
measures:
  - id: cutoff
    deadline: 2020-11-12
    deferral: {probability: 0.3, delay: 45d}
  - id: fine
    amount: 1M
tags: [a, b]
"""


def base() -> Any:
    """The base scenario, loaded with marks from base.yaml."""
    return load_yaml_text(BASE, "base.yaml")


def patch(text: str) -> Any:
    """A patch loaded with marks from patch.yaml."""
    return load_yaml_text(text, "patch.yaml")


def fail(base_value: Any, patch_value: Any, match: str) -> Diagnostic:
    """Merge that must fail; return its diagnostic."""
    with pytest.raises(ScenarioError, match=match) as info:
        merge(base_value, patch_value)
    return info.value.diagnostics[0]


# --- rule 1: mappings ---------------------------------------------------------------------------------------


def test_mappings_merge_by_key_recursively() -> None:
    """Mapping over mapping merges key by key at every depth; base keys not in the patch are kept."""
    result = merge({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 20, "e": 5}})
    assert result == {"a": 1, "b": {"c": 20, "d": 3, "e": 5}}


def test_mapping_key_order_is_base_then_new_keys() -> None:
    """Merged keys keep the base's order; keys new in the patch come after, in patch order."""
    result = merge({"x": 1, "y": 2, "z": 3}, {"new2": 0, "y": 20, "new1": 0})
    assert list(result) == ["x", "y", "z", "new2", "new1"]


def test_delete_key() -> None:
    """A patch value `$delete` removes that key from the result."""
    result = merge(base(), patch("horizon: $delete\nmeasures:\n  - id: cutoff\n    deferral: $delete\n"))
    assert "horizon" not in result
    assert "deferral" not in result["measures"][0]
    assert result["measures"][0]["deadline"] is not None


def test_delete_missing_key_is_an_error_at_the_patch_key() -> None:
    """Deleting a key the base lacks is an error at the patch's key."""
    diag = fail(base(), patch("name: v\nhorizn: $delete\n"), "cannot delete `horizn`: the base has no such")
    assert diag.mark == Mark("patch.yaml", 2, 1)
    assert diag.path == "horizn"


# --- rule 2: named items ------------------------------------------------------------------------------------


def test_named_items_merge_by_id_keeping_base_order() -> None:
    """Items with the same id are merged; base order is kept; new ids are appended in patch order."""
    result = merge(base(), patch("measures:\n  - id: zeta\n  - id: fine\n    amount: 2M\n  - id: alpha\n"
                                 "  - id: cutoff\n    extra: 1\n"))
    assert [m["id"] for m in result["measures"]] == ["cutoff", "fine", "zeta", "alpha"]
    assert result["measures"][1] == {"id": "fine", "amount": "2M"}
    assert result["measures"][0]["extra"] == 1
    assert result["measures"][0]["deferral"] == {"probability": 0.3, "delay": "45d"}


def test_named_item_fields_merge_recursively() -> None:
    """Inside a matched item, nested mappings merge by key too."""
    result = merge(base(), patch("measures:\n  - id: cutoff\n    deferral: {probability: 0.5}\n"))
    assert result["measures"][0]["deferral"] == {"probability": 0.5, "delay": "45d"}


def test_delete_item() -> None:
    """A patch item `{id: x, $delete: true}` removes item x."""
    result = merge(base(), patch("measures:\n  - {id: cutoff, $delete: true}\n"))
    assert [m["id"] for m in result["measures"]] == ["fine"]


def test_delete_missing_item_lists_the_base_ids() -> None:
    """Deleting an id the base lacks is an error at the item, with the base's ids in the hint."""
    diag = fail(base(), patch("measures:\n  - {id: cutof, $delete: true}\n"), "cannot delete item `cutof`")
    assert diag.mark == Mark("patch.yaml", 2, 5)
    assert diag.hint is not None and "`cutoff`" in diag.hint and "`fine`" in diag.hint


@pytest.mark.parametrize("value", ["false", "yes", "1", "'true'", "null"])
def test_delete_item_marker_must_be_true(value: str) -> None:
    """`$delete:` on an item with anything but `true` is an error at that value."""
    diag = fail(base(), patch(f"measures:\n  - id: fine\n    $delete: {value}\n"), "must be `true`")
    assert diag.mark == Mark("patch.yaml", 3, 14)


def test_delete_item_with_other_keys_is_an_error() -> None:
    """An item marked for deletion may not set anything else."""
    fail(base(), patch("measures:\n  - {id: fine, $delete: true, amount: 3M}\n"), "also sets other keys")


def test_duplicate_ids_are_an_error() -> None:
    """Two items with the same id in one list cannot be merged by id."""
    diag = fail(base(), patch("measures:\n  - id: fine\n  - id: fine\n"), "duplicate id `fine`")
    assert diag.mark == Mark("patch.yaml", 3, 5)


# --- rule 3: replacement ------------------------------------------------------------------------------------


def test_lists_without_ids_are_replaced() -> None:
    """A list whose items are not all named replaces the base list."""
    assert merge(base(), patch("tags: [c]\n"))["tags"] == ["c"]
    assert merge([{"id": "a"}, {"id": "b"}], [{"id": "c"}, "x"]) == [{"id": "c"}, "x"]
    assert merge([{"id": "a"}, 3], [{"id": "b"}]) == [{"id": "b"}]


def test_empty_patch_list_clears() -> None:
    """An empty patch list replaces (clears) even a list of named items."""
    assert merge(base(), patch("measures: []\n"))["measures"] == []


@pytest.mark.parametrize(("old", "new"), [
    (1, 2), ("a", {"b": 1}), ({"b": 1}, "a"), ([1], {"b": 1}), ({"b": 1}, None), (None, [1]),
    (1, [{"id": "x"}]),
])
def test_other_combinations_replace(old: Any, new: Any) -> None:
    """Any other combination of base and patch values gives the patch value."""
    assert merge({"k": old}, {"k": new}) == {"k": new}


# --- rule 4: fresh objects, untouched inputs, marks ---------------------------------------------------------


def test_inputs_are_not_mutated() -> None:
    """Merging never changes the base or the patch, and shares no containers with them."""
    base_value = base()
    patch_value = patch("measures:\n  - id: cutoff\n    deadline: 2021-01-01\ntags: [z]\n")
    before = (copy.deepcopy(base_value), copy.deepcopy(patch_value))
    result = merge(base_value, patch_value)
    assert (base_value, patch_value) == before
    assert result["measures"] is not base_value["measures"]
    assert result["measures"][1] is not base_value["measures"][1]
    assert result["tags"] is not patch_value["tags"]
    result["measures"][1]["amount"] = "changed"
    assert base_value["measures"][1]["amount"] == "1M"


def test_result_is_made_of_mdict_and_mlist() -> None:
    """The result uses MDict/MList even when the inputs are plain dicts and lists."""
    result = merge({"a": [1]}, {"b": {"c": [2]}})
    assert isinstance(result, MDict) and isinstance(result["a"], MList)
    assert isinstance(result["b"]["c"], MList)


def test_marks_provenance() -> None:
    """Untouched values keep base marks; what the patch set carries patch marks."""
    result = merge(base(), patch("name: variant\nmeasures:\n  - id: cutoff\n    deadline: 2021-01-01\n"
                                 "  - id: new\n"))
    assert result.mark == Mark("patch.yaml", 1, 1)
    assert result.key_marks["name"] == Mark("patch.yaml", 1, 1)
    assert result.value_marks["name"] == Mark("patch.yaml", 1, 7)
    assert result.key_marks["horizon"] == Mark("base.yaml", 2, 1)
    assert result.value_marks["tags"] == Mark("base.yaml", 9, 7)
    measures = result["measures"]
    assert measures.mark == Mark("patch.yaml", 3, 3)
    assert measures.item_marks == [
        Mark("patch.yaml", 3, 5), Mark("base.yaml", 7, 5), Mark("patch.yaml", 5, 5)]
    cutoff = measures[0]
    assert cutoff.mark == Mark("patch.yaml", 3, 5)
    assert cutoff.value_marks["deadline"] == Mark("patch.yaml", 4, 15)
    assert cutoff.value_marks["deferral"] == Mark("base.yaml", 6, 15)
    assert cutoff["deferral"].value_marks["delay"] == Mark("base.yaml", 6, 41)


# --- rule 5: no stray markers -------------------------------------------------------------------------------


def test_delete_inside_a_new_value_is_an_error() -> None:
    """A `$delete` inside a value the base does not have deletes nothing: an error."""
    diag = fail(base(), patch("extra:\n  a: 1\n  b: $delete\n"), "cannot delete `b`: the base has no such")
    assert diag.mark == Mark("patch.yaml", 3, 3)
    assert diag.path == "extra.b"


def test_delete_inside_a_replacing_value_is_an_error() -> None:
    """A mapping replacing a scalar is merged over nothing, so its `$delete` markers are errors."""
    fail(base(), patch("name:\n  x: $delete\n"), "cannot delete `x`")


def test_delete_item_in_a_new_list_is_an_error() -> None:
    """A `$delete: true` item in a list that replaces or adds is an error."""
    fail(base(), patch("new_list:\n  - {id: a, $delete: true}\n"), "cannot delete item `a`")
    fail(base(), patch("tags:\n  - {id: a, $delete: true}\n"), "cannot delete item `a`")


def test_stray_delete_markers_are_errors() -> None:
    """`$delete` as a list item, or a `$delete:` key outside a named list, is an error."""
    fail(base(), patch("tags: [a, $delete]\n"), "cannot be a list item")
    fail(base(), patch("measures:\n  - id: cutoff\n    deferral: {$delete: true}\n"), "as a key only removes")
    fail({"a": 1}, {DELETE: True}, "as a key only removes")
    fail({"a": 1}, DELETE, "can only be the value of a key")


def test_merge_over_nothing_checks_a_root_scenario() -> None:
    """merge(None, data) copies data and rejects any marker left in it."""
    data = base()
    copied = merge(None, data)
    assert copied == data and copied is not data
    assert copied.value_marks == data.value_marks
    fail(None, patch("a: $delete\n"), "cannot delete `a`")


def test_markers_in_the_base_are_errors() -> None:
    """A base that still holds markers (a root that extends nothing) is refused too."""
    fail(patch("a: $delete\nb: 1\n"), {"b": 2}, "cannot delete `a`")


# --- properties ---------------------------------------------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5).filter(lambda s: s != DELETE),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(JSONISH)
def test_merging_a_value_over_itself_or_nothing_gives_it_back(value: Any) -> None:
    """merge(x, x) == x and merge(None, x) == x for marker-free data."""
    assert merge(value, value) == value
    assert merge(None, value) == value


@settings(max_examples=200, deadline=None)
@given(JSONISH, JSONISH)
def test_merge_never_mutates_inputs(left: Any, right: Any) -> None:
    """Merging arbitrary marker-free data leaves both inputs unchanged."""
    before = (copy.deepcopy(left), copy.deepcopy(right))
    merge(left, right)
    assert (left, right) == before
