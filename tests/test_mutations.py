"""Mutation tests: any damage to the flagship scenario yields a Scenario or diagnostics, never another exception."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario.errors import Diagnostic, ScenarioError
from sim.scenario.loader import apply_variant, check_file, validate_data, variant_ids
from sim.scenario.schema import Scenario
from sim.scenario.yamlload import MDict, MList, load_yaml_text

FLAGSHIP = Path(__file__).parent.parent / "scenarios" / "tiktok-wechat-2020.yaml"
TEXT = FLAGSHIP.read_text(encoding="utf-8")
NAME = "flagship.yaml"
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

Path_ = tuple[str | int, ...]


def _paths(node: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every path to a value inside ``node`` (not the root itself)."""
    out: list[Path_] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out += _paths(value, (*prefix, key))
    return out


def _parent(data: Any, path: Path_) -> Any:
    """The container holding the value at ``path``."""
    for step in path[:-1]:
        data = data[step]
    return data


def _copy(node: Any) -> Any:
    """A deep copy of loaded YAML that keeps every mark (much faster than re-reading the text)."""
    if isinstance(node, MDict):
        out = MDict(node.mark)
        out.update((k, _copy(v)) for k, v in node.items())
        out.key_marks, out.value_marks = dict(node.key_marks), dict(node.value_marks)
        return out
    if isinstance(node, MList):
        seq = MList(node.mark)
        seq.extend(_copy(v) for v in node)
        seq.item_marks = list(node.item_marks)
        return seq
    return node


BASE = load_yaml_text(TEXT, NAME)
PATHS = _paths(BASE)
ID_PATHS = [p for p in PATHS if p[-1] == "id"]
LIST_PATHS = [p for p in PATHS if isinstance(_parent(BASE, p)[p[-1]], list)]
IDS = sorted({str(_parent(BASE, p)[p[-1]]) for p in ID_PATHS})
KEYS = sorted({str(p[-1]) for p in PATHS if isinstance(p[-1], str)})

STRINGS = st.sampled_from([
    "", " ", "x", "45d", "-45d", "0d", "3mo", "1.5mo", "2%/month", "150%/month", "250k/day", "-5/day", "100M", "-5M",
    "1.4", "140%", "-0.1", "2020-02-30", "2020-11-12", "0001-01-01 - 1d", "9999-12-31 + 1d", "2020-11-12 + 99999y",
    "oracle_deal + 14d", "oracle_deal - 1mo", "tiktok_app_store - 7d", "tiktok_app_store.deadline - 7d",
    "nope.deadline", "1e400", "1e308y", "1M/1e-320d", "$delete", "null", "assumption", "scale_inflows", "transfer",
    "unpatched", "in_force", "week",
])  # fmt: skip
NUMBERS = st.one_of(st.integers(-10**6, 10**6), st.sampled_from([10**400, -10**400, 2**63, 0, 1, -1]),
                    st.floats(allow_nan=True, allow_infinity=True))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS, st.sampled_from(IDS), st.text(max_size=12),
                    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
VALUE_MAPPINGS = st.sampled_from([
    {}, {"between": [1, 2]}, {"between": ["2020-12-31", "2020-01-01"]}, {"between": "1d"}, {"value": [1, 2]},
    {"value": {"value": 1}}, {"from": "oracle_deal", "offset": "-5d"}, {"from": 5}, {"normal": {"mean": 1}},
    {"lognormal": {"median": "-1d", "sigma": 1}}, {"choice": [[1, 0]]}, {"empirical": "abc"}, {"id": "x"},
    {"type": "transfer"}, {"type": "bogus"}, {"on": "oracle_deal", "date": "2020-10-01"}, {"source": 5},
])  # fmt: skip
WRONG = st.one_of(SCALARS, VALUE_MAPPINGS, st.lists(SCALARS, max_size=3),
                  st.dictionaries(st.sampled_from(KEYS), SCALARS, max_size=3))


def _negative(value: Any) -> Any:
    """A negative version of a value (number or written quantity)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return -value - 1
    return f"-{value}" if isinstance(value, str) else -1


def _huge(value: Any) -> Any:
    """A huge version of a value: more digits than a float holds, or a huge count or duration."""
    if isinstance(value, str) and value[-1:].isalpha():
        return "9" * 30 + value.lstrip("0123456789._-")
    return 10**400 if not isinstance(value, str) else "9" * 400


@st.composite
def mutated(draw: st.DrawFn) -> tuple[MDict, list[str]]:
    """The flagship's raw data with one to three random mutations, and a description of each."""
    data = _copy(BASE)
    done: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "replace", "negative", "huge", "rename_id", "duplicate", "unknown_key",
                                   "scalar_for_list"]))
        path = draw(st.sampled_from({"rename_id": ID_PATHS, "scalar_for_list": LIST_PATHS}.get(op, PATHS)))
        try:
            parent = _parent(data, path)
            key = path[-1]
            current = parent[key] if isinstance(parent, dict | list) else None
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
        if current is None and not isinstance(parent, dict | list):
            continue
        if op == "delete":
            del parent[key]
            if isinstance(parent, MList) and isinstance(key, int):
                del parent.item_marks[key]
        elif op == "replace":
            parent[key] = draw(WRONG)
        elif op == "scalar_for_list":
            parent[key] = draw(SCALARS)
        elif op == "negative":
            parent[key] = _negative(current)
        elif op == "huge":
            parent[key] = _huge(current)
        elif op == "rename_id":
            parent[key] = draw(st.one_of(st.sampled_from(IDS), st.sampled_from(["renamed", "x y", "1st", "a.b"])))
        elif op == "duplicate":
            target = current if isinstance(current, list) and current else parent if isinstance(parent, list) else None
            if target is None:
                continue
            index = draw(st.integers(0, len(target) - 1))
            target.append(_copy(target[index]))
            if isinstance(target, MList) and index < len(target.item_marks):
                target.item_marks.append(target.item_marks[index])
        else:
            target = current if isinstance(current, dict) else parent if isinstance(parent, dict) else None
            if target is None:
                continue
            target[draw(st.sampled_from(["bogus", "dedline", "from_", "while_", "source", "type", "id", *KEYS]))] = (
                draw(WRONG))
        done.append(f"{op} {'.'.join(map(str, path))}")
    return data, done


def _plain(node: Any) -> Any:
    """Plain dicts and lists (for dumping back to YAML text)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _assert_outcome(scenario: Scenario | None, diagnostics: list[Diagnostic], marks: bool) -> None:
    """Either a scenario and no diagnostics, or no scenario and diagnostics that each say what and where."""
    assert (scenario is None) == bool(diagnostics)
    assert scenario is None or isinstance(scenario, Scenario)
    for d in diagnostics:
        assert isinstance(d.message, str) and d.message.strip(), d
        assert isinstance(d.path, str) and d.path.strip(), d
        if marks:
            assert d.mark is not None and d.mark.line >= 1 and d.mark.col >= 1, d
        d.format()  # renders without error


def _validate_all(data: MDict, marks: bool, variants: bool = True) -> None:
    """Validate the data as written and (unless told not to) with each of its variants."""
    _assert_outcome(*validate_data(data, NAME), marks=marks)
    for vid in variant_ids(data) if variants else ():
        try:
            merged = apply_variant(data, vid)
        except ScenarioError as exc:  # a variant that cannot be applied is itself a diagnostic
            assert all(d.message for d in exc.diagnostics)
            continue
        _assert_outcome(*validate_data(merged, NAME), marks=False)


@settings(deadline=None, max_examples=150, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_flagship_gives_a_scenario_or_diagnostics(case: tuple[MDict, list[str]]) -> None:
    """Mutated raw data (and the same data re-read from YAML text) validates or yields located diagnostics."""
    data, _ = case
    _validate_all(data, marks=True)
    text = yaml.dump(_plain(data), Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
    try:
        reread = load_yaml_text(text, NAME)
    except ScenarioError as exc:
        assert exc.diagnostics and all(d.message and d.mark for d in exc.diagnostics)
        return
    assert isinstance(reread, MDict)
    _validate_all(reread, marks=True, variants=False)


def test_unmutated_flagship_is_a_scenario() -> None:
    """Without mutations, the flagship's raw data validates (so the mutation test starts from a valid file)."""
    scenario, diagnostics = validate_data(load_yaml_text(TEXT, NAME), NAME)
    assert diagnostics == [] and scenario is not None
    assert len(PATHS) > 300 and len(ID_PATHS) > 20 and "tiktok_app_store" in IDS


@pytest.mark.parametrize(("old", "new", "path", "message"), [
    ("initial: {value: 100M, source: billboard_2020", "initial: {value: 100Q, source: billboard_2020",
     "populations.tiktok_users.initial", "expected a count"),
    ("inflow: {value: 250k/day,", "inflow: {value: 1M/1e-320d,", "populations.tiktok_users.inflow",
     "a rate must be finite"),
    ("    lifted_by: [oracle_deal]\n    source: seattle_times_ross", "    lifted_by: [oracle_dael]\n    source: "
     "seattle_times_ross", "measures.tiktok_app_store.lifted_by[0]", "`oracle_dael` is not a known event"),
    ("deadline: {value: 2020-11-12, source: treasury_cfius}", "deadline: {value: 2020-11-12 + 99999y, source: "
     "treasury_cfius}", "measures.cfius_divestiture.deadline", "the date falls outside the calendar (years 1 to 9999)"),
])  # fmt: skip
def test_known_mutations_give_exact_diagnostics(old: str, new: str, path: str, message: str) -> None:
    """Single known mutations of the flagship give exactly one diagnostic, at the mutated key."""
    assert old in TEXT
    _, diagnostics = validate_data(load_yaml_text(TEXT.replace(old, new, 1), NAME), NAME)
    assert [(d.path, d.message) for d in diagnostics] == [(path, message)]


def test_three_independent_mistakes_in_the_flagship_are_reported_in_one_pass(tmp_path: Path) -> None:
    """A file with three unrelated mistakes yields all three diagnostics from one check, in file order."""
    text = (TEXT.replace("report: week", "report: weekly")
            .replace("probability: {value: 0.35, source: assumption}", "probability: {value: 1.35, source: assumption}")
            .replace("- {type: stop_updates, population: wechat_users}",
                     "- {type: stop_updates, population: wechat_user}"))
    path = tmp_path / "three.yaml"
    path.write_text(text, encoding="utf-8")
    diagnostics = check_file(path)
    assert [(d.path, d.message) for d in diagnostics] == [
        ("report", "not one of the accepted choices"),
        ("events.oracle_deal.probability", "a probability must lie between 0 and 1"),
        ("measures.wechat_prohibitions.effects[1].population", "`wechat_user` is not a known population"),
    ]
    lines = [d.mark.line for d in diagnostics if d.mark is not None]
    assert lines == sorted(lines) and len(lines) == 3
    assert diagnostics[2].hint is not None and diagnostics[2].hint.startswith("did you mean `wechat_users`?")
