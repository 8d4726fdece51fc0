"""The registries of effect types and check kinds: every entry validates, draws, acts and is documented; the
scenario and engine halves name the same entries; and a new entry needs nothing but that entry."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
from conftest import BASE, build

from sim.engine.effects import ACTIONS, Acted, Action, EffectRef
from sim.engine.replications import replicate, report_grid
from sim.runs.runner import run
from sim.scenario.checkkinds import CHECK_KINDS, CheckKind
from sim.scenario.effects import EFFECTS, EffectBase, EffectType
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate_data
from sim.scenario.schema import Scenario, use_registries
from sim.testing.expect import EVALUATORS, Statistic, evaluate
from sim.testing.suite import run_for_checks

ROOT = Path(__file__).resolve().parents[1]
FORMAT = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")

POPULATIONS = [{"id": "users", "initial": "1M", "inflow": "10k/day", "outflow": "2%/month"},
               {"id": "vpn", "initial": 0}]
METRICS = [{"id": "exposure", "terms": [{"population": "users"}]},
           {"id": "unpatched", "terms": [{"population": "users", "only": "unpatched"}]}]

# One effect of each type (values uncertain, so their streams are recorded), the key its value is drawn from
# (None: it draws none) and what it does compared
# with the counterfactual (same draws, no measure in force): (series of the chunk, index, sign of actual - cf).
CASES: dict[str, tuple[dict[str, Any], str | None, tuple[str, int, int]]] = {
    "scale_inflow": ({"population": "users", "factor": {"between": [0, 0.5]}}, "factor", ("stocks", 0, -1)),
    "raise_outflow": ({"population": "users", "extra": {"between": ["2%/month", "5%/month"]}}, "extra",
                      ("stocks", 0, -1)),
    "transfer": ({"from": "users", "to": "vpn", "time_constant": {"between": ["30d", "90d"]}}, "time_constant",
                 ("stocks", 1, 1)),
    "stop_updates": ({"population": "users"}, None, ("metric_cum", 1, 1)),
    "scale_exposure": ({"population": "users", "factor": {"between": [0.3, 0.6]}, "metric": "exposure"}, "factor",
                       ("metric_cum", 0, -1)),
    "retire_over": ({"population": "users", "life": {"between": ["1y", "2y"]}}, "life", ("stocks", 0, -1)),
    "scale_effects": ({"population": "users", "factor": {"between": [0.2, 0.5]}}, "factor", ("stocks", 1, 1)),
}
# Effects a case's measure holds after the one tested (a `scale_effects` scales the transfer written after it).
AFTER: dict[str, list[dict[str, Any]]] = {"scale_effects": [{"type": "transfer", "from": "users", "to": "vpn",
                                                             "rate": "1%/day"}]}


def scenario_with(kind: str, keys: dict[str, Any]) -> Scenario:
    """BASE with two populations, two metrics and one measure (in force from day 10) holding one effect."""
    return build(populations=POPULATIONS, metrics=METRICS, replications=8,
                 measures=[{"id": "m", "deadline": "2020-01-11",
                            "effects": [{"type": kind, **keys}, *AFTER.get(kind, [])]}])


def test_the_two_effect_registries_name_the_same_types() -> None:
    """Each effect type has a schema entry and an engine action, and nothing else has either."""
    assert list(ACTIONS) == list(EFFECTS)
    assert all(name == t.name == t.model.model_fields["type"].annotation.__args__[0] for name, t in EFFECTS.items())


def test_every_effect_type_has_a_case_here() -> None:
    """Adding a type without its case below fails: every type is checked to validate, draw and act."""
    assert set(CASES) == set(EFFECTS)


@pytest.mark.parametrize("kind", list(CASES))
def test_each_effect_type_validates_draws_and_acts(kind: str) -> None:
    """A tiny scenario per type: it loads into the type's model, draws its value from its named stream, and
    moves its series the way the type says (against the counterfactual with the same draws)."""
    keys, drawn, (series, index, sign) = CASES[kind]
    s = scenario_with(kind, keys)
    effect = s.measures[0].effects[0]
    assert type(effect) is EFFECTS[kind].model and EFFECTS[kind].value_key(effect) == drawn
    chunk = replicate(s, s.seed, 0, 8, report_grid(s))
    params = {name for name in chunk.inputs if name.startswith("param:measures.m.effects.0.")}
    assert params == ({f"param:measures.m.effects.0.{drawn}"} if drawn else set())
    actual, cf = getattr(chunk, series)[:, -1, index], getattr(chunk, "cf_" + series)[:, -1, index]
    assert np.all(np.sign(actual - cf) == sign), (actual, cf)
    before = report_grid(s).index(7)  # day 7: the measure is not yet in force
    assert np.array_equal(getattr(chunk, series)[:, before], getattr(chunk, "cf_" + series)[:, before])


def test_a_transfer_at_its_time_constant_moves_members_at_its_inverse() -> None:
    """Closed form: a transfer with ``time_constant: 50d`` from a population with no other flow moves
    ``1 - exp(-t / 50)`` of it."""
    s = build(populations=[{"id": "users", "initial": "1M"}, {"id": "vpn", "initial": 0}], replications=2,
              metrics=METRICS[:1], measures=[{"id": "m", "deadline": "2020-01-01", "effects": [
                  {"type": "transfer", "from": "users", "to": "vpn", "time_constant": "50d"}]}])
    grid = report_grid(s)
    chunk = replicate(s, s.seed, 0, 2, grid)
    t = np.array(grid, dtype=float)
    assert np.allclose(chunk.stocks[0, :, 1], 1e6 * (1 - np.exp(-t / 50)), rtol=1e-9)


def test_a_fleet_retired_over_its_life_falls_linearly_to_zero() -> None:
    """Closed form: ``retire_over`` with ``life: 364d`` on a population with no other flow, in force from day 0,
    leaves ``1M (1 - t / 364)`` on every weekly step day, never more in between, and (almost) none after."""
    s = build(populations=[{"id": "fleet", "initial": "1M"}], metrics=[{"id": "exposure", "terms": [
        {"population": "fleet"}]}], replications=2, report="day", measures=[{"id": "m", "deadline": "2020-01-01",
            "effects": [{"type": "retire_over", "population": "fleet", "life": "364d"}]}])
    grid = np.array(report_grid(s))
    x = replicate(s, s.seed, 0, 2, list(grid)).stocks[0, :, 0]
    linear = 1e6 * np.clip(1 - grid / 364, 0, 1)
    steps = (grid % 7 == 0) & (grid < 364)
    assert np.allclose(x[steps], linear[steps], rtol=1e-9), "exact on every step day"
    assert np.all(x[grid < 364] <= linear[grid < 364] * (1 + 1e-12)), "convex within a step: never above the line"
    assert np.all(x[grid >= 364] < 1e-3), "a billionth of the last step's stock is left"
    assert x[grid == 182][0] == pytest.approx(5e5, rel=1e-9)


def test_a_life_in_years_ends_on_its_calendar_day() -> None:
    """``life: 1y`` from 2020-01-01 ends on 2021-01-01, 366 days later (docs/calendar.md rule 3): the line is
    ``1M (1 - t / 366)``."""
    s = build(populations=[{"id": "fleet", "initial": "1M"}], metrics=[{"id": "exposure", "terms": [
        {"population": "fleet"}]}], replications=2, report="day", window={"start": "2020-01-01", "end": "2021-03-31"},
        measures=[{"id": "m", "deadline": "2020-01-01",
                   "effects": [{"type": "retire_over", "population": "fleet", "life": "1y"}]}])
    grid = np.array(report_grid(s))
    x = replicate(s, s.seed, 0, 2, list(grid)).stocks[0, :, 0]
    steps = (grid % 7 == 0) & (grid < 366)
    assert np.allclose(x[steps], 1e6 * (1 - grid[steps] / 366), rtol=1e-9)
    assert x[grid == 364][0] == pytest.approx(1e6 * 2 / 366, rel=1e-9) and x[grid == 366][0] < 1e-3


def test_a_retirement_restarts_its_life_when_the_measure_comes_back() -> None:
    """The clock restarts each day the measure (re)takes effect, as a phase-in does (``scheduled``)."""
    from sim.engine.segments import scheduled
    from sim.engine.timeline import MeasureState
    st = MeasureState(switches=[(0, True), (10, False), (20, True)])
    assert scheduled([(0, 1.0), (10, 0.0), (20, 1.0)], st, lambda day: [(0, 0.5), (7, 2.0), (14, 0.0)], 100) == [
        (0, 0.5), (7, 2.0), (10, 0.0), (20, 0.5), (27, 2.0), (34, 0.0)]


FUNDED = {"populations": [{"id": "gear", "initial": "1M"}, {"id": "replaced", "initial": 0},
                          {"id": "rival", "initial": 0}],
          "metrics": [{"id": "exposure", "terms": [{"population": "gear"}]}],
          "events": [{"id": "full_funding", "date": "2020-04-10"}]}


def _funded(scale: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Stocks of ``gear`` and ``rival`` on days 50 and 200: a programme moves gear to ``replaced`` at 1%/day
    and to ``rival`` at 0.5%/day and retires it at 0.2%/day, scaled by ``scale`` until full funding on day 100."""
    s = build(**FUNDED, replications=2, report="day", measures=[
        {"id": "programme", "deadline": "2020-01-01", "effects": [
            {"type": "transfer", "from": "gear", "to": "replaced", "rate": "1%/day"},
            {"type": "transfer", "from": "gear", "to": "rival", "rate": "0.5%/day"},
            {"type": "raise_outflow", "population": "gear", "extra": "0.2%/day"}]},
        {"id": "partial", "deadline": "2020-01-01", "lifted_by": ["full_funding"],
         "effects": [{"type": "scale_effects", "population": "gear", **scale}]}])
    grid = report_grid(s)
    stocks = replicate(s, s.seed, 0, 2, grid).stocks[0]
    return stocks[[grid.index(50), grid.index(200)], 0], stocks[[grid.index(50), grid.index(200)], 2]


RATES = -np.log1p(-np.array([0.01, 0.005, 0.002]))  # 1%, 0.5%, 0.2% a day as continuous rates (-ln(1 - p))


def test_scaled_effects_slow_until_an_event_lifts_the_scale() -> None:
    """Hand-computed: 40% funding scales every effect on gear (total rate r = 0.017065/day becomes 0.4 r) until
    the ``full_funding`` event lifts it on day 100: gear is ``1M e^(-0.4 r t)``, then ``e^(-40 r - r (t - 100))``."""
    r = RATES.sum()
    gear, rival = _funded({"factor": "40%"})
    assert gear == pytest.approx(1e6 * np.exp(-np.array([0.4 * r * 50, 0.4 * r * 100 + r * 100])), rel=1e-9)
    assert rival == pytest.approx(RATES[1] / r * (1e6 - gear), rel=1e-9), "every effect scaled alike"


def test_a_scale_to_one_population_scales_only_the_transfers_to_it() -> None:
    """With ``to: replaced`` only that transfer runs at 50% until day 100; the others stay at 100%."""
    r, r_half = RATES.sum(), RATES.sum() - 0.5 * RATES[0]
    gear, _ = _funded({"factor": 0.5, "to": "replaced"})
    assert gear == pytest.approx(1e6 * np.exp(-np.array([r_half * 50, r_half * 100 + r * 100])), rel=1e-9)


@pytest.mark.parametrize("name", list(EFFECTS))
def test_each_effect_type_has_its_documentation_row(name: str) -> None:
    """The effect table of docs/scenario-format.md holds each type's row as registered."""
    assert EFFECTS[name].row() in FORMAT.splitlines()


def test_a_missing_type_lists_every_registered_type() -> None:
    """The diagnostic for an effect without ``type`` names every registered type, in order."""
    data = copy.deepcopy(BASE)
    data["measures"] = [{"id": "m", "deadline": "2020-03-01", "effects": [{"population": "users", "factor": 0}]}]
    _, diagnostics = validate_data(data, "<test>")
    expected = [d.expected for d in diagnostics if d.message == "an effect needs a `type`"]
    assert expected == ["`type: " + ", ".join(f"`{n}`" for n in EFFECTS)[1:].replace(
        f", `{list(EFFECTS)[-1]}`", f" or `{list(EFFECTS)[-1]}`")]


def test_the_json_schema_offers_every_registered_type() -> None:
    """``docket schema`` describes one model per registered type under the effects' discriminator."""
    doc = Scenario.model_json_schema(by_alias=True)
    mapping = doc["$defs"]["Measure"]["properties"]["effects"]["items"]["discriminator"]["mapping"]
    assert {name: ref.rsplit("/", 1)[-1] for name, ref in mapping.items()} == {
        name: t.model.__name__ for name, t in EFFECTS.items()}


def test_the_two_check_kind_registries_name_the_same_kinds() -> None:
    """Each check kind has a schema entry and an evaluator, and the schema accepts exactly those kinds."""
    assert list(EVALUATORS) == list(CHECK_KINDS)
    schema = Scenario.model_json_schema(by_alias=True)["$defs"]["Expectation"]["properties"]["kind"]
    assert schema["enum"] == list(CHECK_KINDS)


def test_each_check_kind_is_documented() -> None:
    """The ``kind`` row of the check table in docs/scenario-format.md describes each kind as registered."""
    row = next(line for line in FORMAT.splitlines() if line.startswith("| `kind` | **yes** |"))
    assert row == "| `kind` | **yes** | " + "; ".join(k.row() for k in CHECK_KINDS.values()) + " |"


def test_each_check_kind_evaluates() -> None:
    """One check of each kind on a run: each gives a result of its kind (probabilities in [0, 1]). The measure
    takes effect on 2020-03-01 after one 14-day extension decided on 2020-02-10 (deadline 2020-02-16)."""
    checks = [{"id": "s", "kind": "series", "target": "users", "min": 0},
              {"id": "f", "kind": "in_force", "target": "m", "min": 0.5},
              {"id": "b", "kind": "in_force_by", "target": "m", "date": "2020-03-01", "min": 1},
              {"id": "o", "kind": "in_force_on", "target": "m", "date": "2020-02-29", "max": 0},
              {"id": "n", "kind": "never_in_force", "target": "m", "max": 0.5},
              {"id": "d", "kind": "days_in_force", "target": "m", "from": "2020-02-20", "date": "2020-03-10",
               "min": "10d", "max": "10d"},
              {"id": "e", "kind": "extensions", "target": "m", "min": 1, "max": 1},
              {"id": "t", "kind": "extension_date", "target": "m", "min": "2020-02-10", "max": "2020-02-10"},
              {"id": "a", "kind": "avoided", "target": "exposure", "min": 0}]
    assert {c["kind"] for c in checks} == set(CHECK_KINDS)
    s = build(replications=20, measures=[{"id": "m", "deadline": "2020-02-16", "effects": [
        {"type": "scale_inflow", "population": "users", "factor": 0}], "decisions": [
        {"id": "eo", "date": "2020-02-10", "extend": "14d"}]}], expectations={"checks": checks})
    assert s.expectations is not None
    results = evaluate(run(s, keep_replications=True), s.expectations.checks)
    assert [(r.id, r.passed) for r in results] == [(c["id"], True) for c in checks]
    est = {r.id: r.estimate for r in results}
    assert (est["f"], est["b"], est["o"], est["n"], est["d"], est["e"]) == (1.0, 1.0, 0.0, 0.0, 10.0, 1.0)
    assert results[7].message().startswith("PASS t: median of date of extension 1 of m = 2020-02-10")
    assert results[-1].estimate > 0 and "avoided" in results[-1].what


# -- the recipe: a new effect type or check kind is its entries and nothing else ------------------------------


class HalveInflow(EffectBase):
    """A throwaway effect type: halve a population's inflow while in force."""

    type: Literal["halve_inflow"]
    population: str


def _halve(a: Acted, ref: EffectRef, lv: np.ndarray, v: np.ndarray) -> None:
    a.scale_in[:, :, ref.src] *= 1.0 - 0.5 * lv


@pytest.fixture
def halve_inflow() -> Iterator[None]:
    """Register ``halve_inflow`` and a ``final_stock`` check kind for one test, then remove them."""
    EFFECTS["halve_inflow"] = EffectType("halve_inflow", HalveInflow, "`population`", "its inflow is halved")
    ACTIONS["halve_inflow"] = Action(_halve)
    CHECK_KINDS["final_stock"] = CheckKind("final_stock", "series", ("stock",), "a population's stock")
    EVALUATORS["final_stock"] = Statistic()
    use_registries()
    try:
        yield
    finally:
        for registry in (EFFECTS, ACTIONS, CHECK_KINDS, EVALUATORS):
            registry.pop("halve_inflow", None)
            registry.pop("final_stock", None)
        use_registries()


NEW = {"populations": [{"id": "users", "initial": 0, "inflow": "100/day"}],
       "measures": [{"id": "m", "deadline": "2020-01-01",
                     "effects": [{"type": "halve_inflow", "population": "users"}]}],
       "expectations": {"checks": [{"id": "half", "kind": "final_stock", "target": "users", "stat": "mean",
                                    "min": 18_200, "max": 18_300}]}}


def test_a_new_effect_type_and_check_kind_need_only_their_entries(halve_inflow: None) -> None:
    """Registering a type (model + action) and a kind (entry + evaluator) is enough to validate, run and check
    a scenario that uses them: 100/day halved from day 0 is 50 x 365 = 18,250 on 2020-12-31."""
    s = build(replications=2, **NEW)
    res = run(s, keep_replications=True)
    users = res.series[(res.series.series == "users") & (res.series.quantity == "stock")]
    assert users.p50.iloc[-1] == pytest.approx(50 * 365, rel=1e-9)
    assert s.expectations is not None
    [result] = evaluate(res, s.expectations.checks)
    assert result.passed and result.estimate == pytest.approx(18_250, rel=1e-9)
    assert '"halve_inflow"' in json.dumps(Scenario.model_json_schema(by_alias=True))


def test_a_new_statistic_kind_is_read_on_its_own_date(halve_inflow: None) -> None:
    """`docket test` solves the date of any statistic check, not only of the built-in kinds: a registered kind
    checked off a monthly grid (2020-06-17) reads 50 x 168 days."""
    checks = [{"id": "mid", "kind": "final_stock", "target": "users", "stat": "mean", "date": "2020-06-17",
               "min": 8_350, "max": 8_450}]
    s = build(replications=2, report="month", **{**NEW, "expectations": {"checks": checks}})
    res, _ = run_for_checks(s, 2)
    [result] = evaluate(res, checks=s.expectations.checks if s.expectations else [])
    assert result.passed and result.estimate == pytest.approx(50 * 168, rel=1e-9)


def test_a_new_entry_reaches_the_messages(halve_inflow: None) -> None:
    """The messages read the registries: a missing ``type`` lists the new type; a ``quantity`` the new kind
    does not read is refused with the one it does."""
    data = copy.deepcopy(BASE)
    checks = [{"id": "c", "kind": "final_stock", "target": "users", "quantity": "value"}]
    data.update(measures=[{"id": "m", "deadline": "2020-03-01", "effects": [{"population": "users"}]}],
                expectations={"checks": checks})
    _, diagnostics = validate_data(data, "<test>")
    found = {d.message: d.expected for d in diagnostics}
    assert found["an effect needs a `type`"].endswith("`scale_effects` or `halve_inflow`")
    assert found["a `final_stock` check takes no `quantity: value`"] == "stock"


def test_an_unregistered_effect_type_is_refused() -> None:
    """Without its entry (the fixture above removes it again) the type is an unknown effect type."""
    with pytest.raises(ScenarioError) as err:
        build(replications=2, **{**NEW, "expectations": None})
    assert re.search(r"unknown effect type `halve_inflow`", str(err.value))


def test_a_scale_to_its_own_population_is_refused_at_to() -> None:
    """``scale_effects`` with ``to`` equal to ``population`` is refused at the ``to`` key, with a hint."""
    data = copy.deepcopy(BASE)
    data["measures"] = [{"id": "m", "deadline": "2020-03-01", "effects": [
        {"type": "scale_effects", "population": "users", "to": "users", "factor": 0.5}]}]
    _, diagnostics = validate_data(data, "<test>")
    [d] = diagnostics
    assert (d.path, d.message, d.hint) == ("measures.m.effects[0].to",
                                           "a scale_effects must go to a different population",
                                           "name another population in `to`")
