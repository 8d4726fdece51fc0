"""Executable documentation: every YAML example of the scenario reference validates, and every bundled
scenario (and each of its variants) validates and runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.runs.runner import run
from sim.scenario.loader import check_file, load_scenario, resolve_raw, variant_ids
from sim.scenario.schema import Scenario, Strict
from sim.scenario.yamlload import load_yaml_text

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "scenario-format.md"
BLOCKS = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
VALUE_KEYS = {"from", "offset", "$delete", "value", "between", "uniform", "triangular", "normal", "lognormal",
              "choice", "empirical", "mean", "sd", "min", "max", "median", "sigma", "source", "note"}


def _known_keys() -> set[str]:
    import sim.scenario.effects as effects
    import sim.scenario.schema as schema

    known = set(VALUE_KEYS)
    for model in (*vars(schema).values(), *vars(effects).values()):
        if isinstance(model, type) and issubclass(model, Strict):
            known |= {f.alias or n for n, f in model.model_fields.items()}
    return known


def _keys(node: object, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            out.add(str(k))
            _keys(v, out)
    elif isinstance(node, list):
        for v in node:
            _keys(v, out)
    return out


def test_reference_has_examples():
    """The scenario reference holds YAML examples, the first a complete scenario."""
    assert len(BLOCKS) >= 10
    first = load_yaml_text(BLOCKS[0], "doc.yaml")
    assert "name" in first and "populations" in first


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_reference_example_validates(index, tmp_path):
    """Each example validates: complete ones alone, fragments laid over the running example with `extends`."""
    text = BLOCKS[index]
    data = load_yaml_text(text, "doc.yaml")
    unknown = _keys(data, set()) - _known_keys()
    assert not unknown, f"keys the schema does not know: {sorted(unknown)}"
    (tmp_path / "base.yaml").write_text(BLOCKS[0], encoding="utf-8")
    if isinstance(data, dict) and "extends" in data:
        (tmp_path / str(data["extends"])).write_text(BLOCKS[0], encoding="utf-8")
        body = text
    elif isinstance(data, dict) and "name" in data and "populations" in data:
        body = text
    else:
        body = "extends: base.yaml\n" + text
    path = tmp_path / f"example{index}.yaml"
    path.write_text(body, encoding="utf-8")
    assert [d.format() for d in check_file(path)] == []


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_runs_with_every_variant(path):
    """Each bundled scenario and each of its variants validates and runs (16 replications, accounting checked)."""
    assert check_file(path) == []
    for variant in [None, *variant_ids(resolve_raw(path))]:
        scenario = load_scenario(path, variant)
        assert isinstance(scenario, Scenario)
        res = run(scenario, replications=16, verify_accounting=True)
        assert res.check_error < 1e-9
        assert not res.series.empty


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_cites_every_number(path):
    """Every number of a bundled scenario cites a source or is marked `assumption` (the assumptions table)."""
    from plots.assumptions import NOT_CITED, rows

    uncited = [(r.item, r.parameter) for r in rows(load_scenario(path)) if r.source == NOT_CITED]
    assert uncited == []


def test_every_promise_names_a_test_that_exists() -> None:
    """Each `tests/x.py::name` that docs/reliability.md cites is a test function in that file."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "reliability.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"(tests/[\w/]+\.py)::(\w+)", text))
    assert len(cited) > 50
    missing = [f"{f}::{name}" for f, name in sorted(cited)
               if not (root / f).is_file() or not re.search(rf"^def {name}\(", (root / f).read_text(encoding="utf-8"),
                                                            re.M)]
    assert not missing, missing
