"""Tests for sim.scenario.schema through the loader: every construct of the scenario language parses into typed
models."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from sim.scenario.calendar import parse_iso_date
from sim.scenario.dates import DateSpec
from sim.scenario.effects import RaiseOutflow, ScaleExposure, ScaleInflow, StopUpdates, Transfer
from sim.scenario.errors import Diagnostic, ScenarioError
from sim.scenario.loader import check_file, load_scenario, resolve_raw, validate_data
from sim.scenario.quantities import DAYS_PER_MONTH, parse_per_capita
from sim.scenario.schema import Deferral, Scenario
from sim.scenario.values import Dist
from sim.scenario.yamlload import load_yaml_text

FLAGSHIP = Path(__file__).parent.parent / "scenarios" / "tiktok-wechat-2020.yaml"

FULL = """\
format: 1
name: full-tour
title: Every construct of the language
description: a scenario that uses each key at least once
as_of: 2020-09-18
sources:
  - {id: billboard_2020, title: User numbers, publisher: Billboard, url: "https://example.org/b", date: 2020-08-24}
  - {id: orrick_2020, title: Commerce identifies prohibited transactions, note: law-firm summary}
window: {start: 2020-09-18, end: 2021-06-30}
report: month
replications: 500
seed: 7
key_dates: [2020-11-12, 2021-01-01]
populations:
  - id: app_users
    title: App users
    kind: users
    unit: users
    initial: {value: 100M, source: billboard_2020, note: company figure}
    inflow: 250k/day
    outflow: {between: [1.5%/month, 2.5%/month], source: assumption}
    ceiling: 150M
    source: billboard_2020
    note: the main stock
  - {id: vpn_users, kind: accounts, initial: 0}
  - {id: routers, kind: devices, initial: 2.5k, outflow: 10%/year}
flows:
  - {id: drift, title: Drift to VPNs, from: app_users, to: vpn_users, rate: 0.5%/month, source: assumption}
events:
  - id: deal
    title: A deal closes
    probability: {value: 35%, source: assumption}
    date: {between: [2020-09-25, 2020-12-31]}
    note: the big unknown
  - id: approval
    probability: 0.8
    date: deal + 14d
    requires: [deal]
  - id: summit
    date: hosting_cutoff.deadline - 7d
measures:
  - id: app_store_ban
    title: App-store removal
    authority: Commerce
    description: no new downloads
    deadline: {value: 2020-09-20, source: orrick_2020}
    effects:
      - {type: scale_inflow, population: app_users, factor: 0.1, phase_in: 30d, steps: 4}
      - {type: raise_outflow, population: app_users, extra: {between: [0.5%/month, 2%/month]}}
      - {type: transfer, from: app_users, to: vpn_users, rate: 1%/month, note: sideloading}
      - {type: stop_updates, population: app_users}
      - {type: scale_exposure, population: app_users, factor: 50%, metric: user_days, source: assumption}
    deferral:
      probability: 0.4
      delay: {triangular: [7d, 7d, 30d]}
      max: 2
      source: assumption
    waivers:
      - id: enterprise
        title: Enterprise accounts
        share: {value: 10%, source: assumption}
        duration: 60d
        probability: 0.7
        renewal: {probability: 0.5, period: 30d, max: 2}
      - {id: wind_down, share: 25%, from: app_store_ban + 7d, until: 2021-01-01}
    shelving:
      on: deal
      probability: 0.5
      revive: {on: approval, delay: 14d}
      source: assumption
    challenges:
      - id: lawsuit
        title: A lawsuit
        filed: 2020-09-18
        decision: {between: [2020-09-19, 2020-10-15]}
        injunction: 0.5
        appeal: {probability: 0.9, decision: {between: [60d, 240d]}, reversal: 0.3}
        source: assumption
    lifted_by: [deal]
    unless: [approval]
    source: orrick_2020
    note: the first measure
  - id: hosting_cutoff
    deadline: 2020-11-12
    effects:
      - {type: transfer, from: app_users, to: vpn_users, time_constant: 3mo}
    deferral: {probability: 0.6, schedule: [15d, 7d, 1mo]}
    shelving: {date: 2021-02-01, revive: {hazard: 10%/month}}
  - id: router_ban
    deadline: app_store_ban.deadline + 2mo
    effects:
      - {type: scale_inflow, population: routers, factor: 0}
    shelving: {hazard: 5%/month, probability: 1}
metrics:
  - id: user_days
    title: User-days of data
    unit: users
    terms: [{population: app_users}, {population: vpn_users, weight: 0.5}]
    source: assumption
  - id: unpatched
    terms:
      - {population: app_users, only: unpatched}
      - {population: routers, only: all, while: router_ban}
expectations:
  baseline: baselines/full.parquet
  checks:
    - {id: starts, title: Starts at 100M, kind: series, target: app_users, date: 2020-09-18, stat: p50,
       min: 99_000_000, max: 101_000_000}
    - {id: ban_holds, kind: in_force, target: app_store_ban, date: 2020-12-01, min: 0.1}
    - {id: never, kind: never_in_force, target: router_ban, max: 0.9}
    - {id: saved, kind: avoided, target: user_days, stat: mean, min: 0}
variants:
  - id: no_deal
    title: No deal
    description: the deal never closes
    changes:
      events: [{id: deal, probability: 0}]
  - id: hard_line
    changes:
      measures:
        - {id: app_store_ban, deferral: $delete, challenges: []}
"""


def load_text(text: str, tmp_path: Path, name: str = "s.yaml") -> Scenario:
    """Write ``text`` to a file under tmp_path and load it (raises ScenarioError when invalid)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def problems(text: str) -> list[Diagnostic]:
    """Diagnostics of a scenario given as YAML text (empty list: valid)."""
    scenario, diagnostics = validate_data(load_yaml_text(text, "s.yaml"), "s.yaml")
    assert (scenario is None) == bool(diagnostics)
    return diagnostics


@pytest.fixture(scope="module")
def full() -> Scenario:
    """The full tour scenario, validated."""
    scenario, diagnostics = validate_data(load_yaml_text(FULL, "full.yaml"), "full.yaml")
    assert scenario is not None, [d.format() for d in diagnostics]
    return scenario


def test_flagship_scenario_is_valid() -> None:
    """The bundled flagship scenario and all its variants validate without a diagnostic."""
    assert check_file(FLAGSHIP) == []
    s = load_scenario(FLAGSHIP)
    assert [m.id for m in s.measures] == ["tiktok_app_store", "wechat_prohibitions", "tiktok_hosting_cutoff",
                                          "cfius_divestiture"]
    assert load_scenario(FLAGSHIP, variant="as_announced").measures[0].deferral is None


def test_full_tour_is_valid_with_every_variant(tmp_path: Path) -> None:
    """The full tour passes check_file, which also validates each variant."""
    path = tmp_path / "full.yaml"
    path.write_text(FULL, encoding="utf-8")
    assert check_file(path) == []


def test_top_level_keys(full: Scenario) -> None:
    """Top-level settings are read with their types."""
    assert (full.format, full.name, full.report, full.replications, full.seed) == (1, "full-tour", "month", 500, 7)
    assert full.as_of is not None and full.as_of.fixed_day() == parse_iso_date("2020-09-18")
    assert [d.fixed_day() for d in full.key_dates] == [parse_iso_date("2020-11-12"), parse_iso_date("2021-01-01")]
    assert full.window.start.fixed_day() == parse_iso_date("2020-09-18")


def test_defaults() -> None:
    """Omitted settings take documented defaults."""
    s, _ = validate_data(load_yaml_text("name: x\ntitle: t\nwindow: {start: 2020-01-01, end: 2020-12-31}\n"
                                        "populations: [{id: p, initial: 1}]\n", "d.yaml"), "d.yaml")
    assert s is not None
    assert (s.format, s.report, s.replications, s.seed) == (1, "week", 1000, 0)
    assert (s.flows, s.events, s.measures, s.metrics, s.variants, s.expectations) == ([], [], [], [], [], None)
    assert s.populations[0].kind == "users"


def test_sources_and_values_citing_them(full: Scenario) -> None:
    """Sources are read; a value mapping's source and note end up on its Dist."""
    assert [s.id for s in full.sources] == ["billboard_2020", "orrick_2020"]
    assert full.sources[0].date is not None and full.sources[0].url == "https://example.org/b"
    pop = full.populations[0]
    assert (pop.initial.source, pop.initial.note, pop.initial.params) == ("billboard_2020", "company figure", (1e8,))
    assert pop.outflow is not None and pop.outflow.source == "assumption"
    assert full.measures[0].deadline.source == "orrick_2020"
    assert full.events[0].probability is not None and full.events[0].probability.source == "assumption"


def test_populations(full: Scenario) -> None:
    """Populations read counts, rates (per day) and per-capita rates (continuous per day)."""
    app, vpn, routers = full.populations
    assert app.inflow is not None and app.inflow.params == (250e3,)
    assert app.ceiling is not None and app.ceiling.params == (1.5e8,)
    assert (app.kind, app.unit, app.source, app.note) == ("users", "users", "billboard_2020", "the main stock")
    assert (vpn.kind, vpn.initial.params, vpn.inflow, vpn.outflow) == ("accounts", (0.0,), None, None)
    assert routers.outflow is not None
    assert routers.outflow.params[0] == pytest.approx(-math.log(0.9) / 365.25)


def test_flows(full: Scenario) -> None:
    """A flow reads `from`, `to` and a per-capita rate."""
    flow = full.flows[0]
    assert (flow.id, flow.from_, flow.to, flow.source) == ("drift", "app_users", "vpn_users", "assumption")
    assert flow.rate.params[0] == pytest.approx(parse_per_capita("0.5%/month"))


def test_events_with_requires_and_relative_dates(full: Scenario) -> None:
    """Events read probabilities, uncertain or relative dates and `requires`."""
    deal, approval, summit = full.events
    assert deal.probability is not None and deal.probability.params == (0.35,)
    assert deal.date.offset.kind == "between"
    assert (approval.requires, approval.date.anchor, approval.date.offset.params) == (["deal"], "deal", (14.0,))
    assert summit.probability is None
    assert (summit.date.anchor, summit.date.offset.params) == ("hosting_cutoff.deadline", (-7.0,))


def test_each_effect_type(full: Scenario) -> None:
    """Each effect type parses into its own model with its keys."""
    effects = full.measures[0].effects
    assert [type(e) for e in effects] == [ScaleInflow, RaiseOutflow, Transfer, StopUpdates, ScaleExposure]
    inflow, outflow, transfer, stop, exposure = effects
    assert isinstance(inflow, ScaleInflow) and inflow.factor.params == (0.1,)
    assert inflow.phase_in is not None and inflow.phase_in.params == (30.0,) and inflow.steps == 4
    assert isinstance(outflow, RaiseOutflow) and outflow.extra.kind == "between"
    assert isinstance(transfer, Transfer) and (transfer.from_, transfer.to) == ("app_users", "vpn_users")
    assert transfer.rate is not None and transfer.time_constant is None and transfer.note == "sideloading"
    assert isinstance(stop, StopUpdates) and stop.population == "app_users"
    assert isinstance(exposure, ScaleExposure) and exposure.metric == "user_days"
    assert exposure.factor.params == (0.5,) and exposure.source == "assumption"


def test_transfer_with_a_time_constant(full: Scenario) -> None:
    """A transfer may give a time constant (a duration) instead of a rate."""
    transfer = full.measures[1].effects[0]
    assert isinstance(transfer, Transfer) and transfer.rate is None
    assert transfer.time_constant is not None
    assert transfer.time_constant.params == (float(round(3 * DAYS_PER_MONTH)),)
    assert transfer.time_constant.months == 3


def test_deferral_by_delay_and_by_schedule(full: Scenario) -> None:
    """A deferral takes `delay` with `max`, or a `schedule` of durations."""
    by_delay, by_schedule = full.measures[0].deferral, full.measures[1].deferral
    assert isinstance(by_delay, Deferral) and isinstance(by_schedule, Deferral)
    assert by_delay.delay is not None and by_delay.delay.params == (7.0, 7.0, 30.0)
    assert (by_delay.max, by_delay.schedule, by_delay.source) == (2, None, "assumption")
    assert by_schedule.schedule is not None and by_schedule.delay is None and by_schedule.max is None
    assert [d.params[0] for d in by_schedule.schedule] == [15.0, 7.0, float(round(DAYS_PER_MONTH))]
    assert by_schedule.schedule[2].months == 1
    assert by_schedule.probability.params == (0.6,)


def test_waivers_with_renewal(full: Scenario) -> None:
    """Waivers read share, from/until or duration, probability and renewal (with its default max)."""
    enterprise, wind_down = full.measures[0].waivers
    assert enterprise.share.params == (0.1,) and enterprise.share.source == "assumption"
    assert enterprise.duration is not None and enterprise.duration.params == (60.0,)
    assert enterprise.renewal is not None
    assert (enterprise.renewal.probability.params, enterprise.renewal.period.params, enterprise.renewal.max) == (
        (0.5,), (30.0,), 2)
    assert wind_down.from_ is not None and wind_down.from_.anchor == "app_store_ban"
    assert wind_down.until is not None and wind_down.until.fixed_day() == parse_iso_date("2021-01-01")
    assert wind_down.renewal is None and wind_down.probability is None


def test_renewal_max_defaults_to_one() -> None:
    """A renewal without `max` is renewed at most once."""
    text = FULL.replace("renewal: {probability: 0.5, period: 30d, max: 2}", "renewal: {probability: 0.5, period: 30d}")
    s, _ = validate_data(load_yaml_text(text, "r.yaml"), "r.yaml")
    assert s is not None and s.measures[0].waivers[0].renewal is not None
    assert s.measures[0].waivers[0].renewal.max == 1


def test_shelving_on_an_event_a_date_or_a_hazard(full: Scenario) -> None:
    """Shelving reads each trigger and each way of revival."""
    on, on_date, hazard = (m.shelving for m in full.measures)
    assert on is not None and (on.on, on.date, on.hazard) == ("deal", None, None)
    assert on.probability is not None and on.probability.params == (0.5,) and on.source == "assumption"
    assert on.revive is not None and (on.revive.on, on.revive.hazard) == ("approval", None)
    assert on.revive.delay is not None and on.revive.delay.params == (14.0,)
    assert on_date is not None and isinstance(on_date.date, DateSpec) and on_date.on is None
    assert on_date.revive is not None and on_date.revive.hazard is not None and on_date.revive.on is None
    assert hazard is not None and hazard.hazard is not None and hazard.revive is None
    assert hazard.hazard.params[0] == pytest.approx(parse_per_capita("5%/month"))


def test_challenges_with_appeal(full: Scenario) -> None:
    """A challenge reads filed, decision, injunction chance and an appeal."""
    c = full.measures[0].challenges[0]
    assert c.filed is not None and c.filed.fixed_day() == parse_iso_date("2020-09-18")
    assert c.decision.offset.kind == "between" and c.injunction.params == (0.5,)
    assert c.appeal is not None
    assert (c.appeal.probability.params, c.appeal.decision.params, c.appeal.reversal.params) == (
        (0.9,), (60.0, 240.0), (0.3,))


def test_lifted_by_unless_and_measure_text(full: Scenario) -> None:
    """`lifted_by` and `unless` list event ids; title, authority, description and note are kept."""
    m = full.measures[0]
    assert (m.lifted_by, m.unless) == (["deal"], ["approval"])
    assert (m.title, m.authority, m.description, m.source, m.note) == (
        "App-store removal", "Commerce", "no new downloads", "orrick_2020", "the first measure")
    router = full.measures[2]
    assert (router.deadline.anchor, router.deadline.months) == ("app_store_ban.deadline", 2)


def test_metrics_with_only_and_while(full: Scenario) -> None:
    """Metric terms read population, weight, `only` and `while` (with defaults)."""
    days, unpatched = full.metrics
    assert days.terms[1].weight is not None and days.terms[1].weight.params == (0.5,)
    assert (days.terms[0].weight, days.terms[0].only, days.terms[0].while_) == (None, "all", None)
    assert (unpatched.terms[0].only, unpatched.terms[1].only, unpatched.terms[1].while_) == (
        "unpatched", "all", "router_ban")


def test_expectations(full: Scenario) -> None:
    """Expectations read a baseline and checks of each kind, with stat defaulting to the median."""
    exp = full.expectations
    assert exp is not None and exp.baseline == "baselines/full.parquet"
    kinds = [(c.kind, c.target, c.stat, c.min, c.max) for c in exp.checks]
    assert kinds == [("series", "app_users", "p50", 99_000_000, 101_000_000),
                     ("in_force", "app_store_ban", "median", 0.1, None),
                     ("never_in_force", "router_ban", "median", None, 0.9),
                     ("avoided", "user_days", "mean", 0, None)]
    assert exp.checks[0].date is not None and exp.checks[2].date is None


def test_variants_are_kept_and_applied(tmp_path: Path) -> None:
    """Variants are listed on the scenario, and loading one merges its changes and records its id."""
    path = tmp_path / "full.yaml"
    path.write_text(FULL, encoding="utf-8")
    s = load_scenario(path)
    assert [v.id for v in s.variants] == ["no_deal", "hard_line"] and s.variant is None
    assert s.variants[0].changes == {"events": [{"id": "deal", "probability": 0}]}
    no_deal = load_scenario(path, variant="no_deal")
    assert no_deal.variant == "no_deal"
    assert no_deal.events[0].probability is not None and no_deal.events[0].probability.params == (0.0,)
    assert no_deal.events[0].date.offset.kind == "between"  # untouched keys are kept
    hard = load_scenario(path, variant="hard_line")
    assert hard.measures[0].deferral is None and hard.measures[0].challenges == []
    assert hard.measures[0].waivers == s.measures[0].waivers


def test_unknown_variant_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    """Asking for a variant that does not exist names the known ones and the closest."""
    assert load_text(FULL, tmp_path).name == "full-tour"
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml", variant="no_dael")
    d = info.value.diagnostics[0]
    assert d.message == "no variant `no_dael` in this scenario"
    assert d.hint == "did you mean `no_deal`?"


BASE = """\
name: base
title: Base
window: {start: 2020-01-01, end: 2020-12-31}
populations:
  - {id: users, initial: 1M, inflow: 10k/day}
measures:
  - id: ban
    deadline: 2020-06-01
    effects: [{type: scale_inflow, population: users, factor: 0}]
    deferral: {probability: 0.5, delay: 30d, max: 1}
variants:
  - {id: early, changes: {measures: [{id: ban, deadline: 2020-03-01}]}}
"""


def test_extends_chain(tmp_path: Path) -> None:
    """`extends` follows a chain of files, each merged over the one it extends (relative paths)."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "lib" / "mid.yaml").write_text(
        "extends: base.yaml\nname: mid\npopulations:\n  - {id: users, initial: 2M}\n", encoding="utf-8")
    top = tmp_path / "top.yaml"
    top.write_text("extends: lib/mid.yaml\nname: top\nmeasures:\n  - {id: ban, deferral: $delete}\n"
                   "variants:\n  - {id: late, changes: {measures: [{id: ban, deadline: 2020-09-01}]}}\n",
                   encoding="utf-8")
    s = load_scenario(top)
    assert (s.name, s.title, s.extends) == ("top", "Base", "lib/mid.yaml")
    assert s.populations[0].initial.params == (2e6,)
    assert s.populations[0].inflow is not None and s.populations[0].inflow.params == (1e4,)
    assert s.measures[0].deferral is None
    assert [v.id for v in s.variants] == ["early", "late"]
    late = load_scenario(top, variant="late")
    assert late.measures[0].deadline.fixed_day() == parse_iso_date("2020-09-01")
    early = load_scenario(top, variant="early")
    assert early.measures[0].deadline.fixed_day() == parse_iso_date("2020-03-01")
    assert check_file(top) == []


def test_extends_marks_point_at_the_file_that_wrote_the_value(tmp_path: Path) -> None:
    """An error in a value the base wrote points at the base file; one the top wrote, at the top."""
    (tmp_path / "base.yaml").write_text(BASE.replace("inflow: 10k/day", "inflow: 10d"), encoding="utf-8")
    top = tmp_path / "top.yaml"
    top.write_text("extends: base.yaml\nname: top\nmeasures:\n  - {id: ban, deadline: 2020-02-30x}\n",
                   encoding="utf-8")
    diagnostics = check_file(top)
    by_path = {d.path: d for d in diagnostics}
    assert by_path["populations.users.inflow"].mark is not None
    assert Path(by_path["populations.users.inflow"].mark.file).name == "base.yaml"
    assert by_path["measures.ban.deadline"].mark is not None
    assert Path(by_path["measures.ban.deadline"].mark.file).name == "top.yaml"


def test_extends_missing_file(tmp_path: Path) -> None:
    """Extending a file that does not exist is an error at the `extends` key's value."""
    path = tmp_path / "a.yaml"
    path.write_text("name: a\nextends: nothere.yaml\n", encoding="utf-8")
    d = check_file(path)[0]
    assert d.message == "`extends` names a file that does not exist: nothere.yaml"
    assert (d.path, d.mark.line if d.mark else 0) == ("extends", 2)


def test_resolve_raw_shows_the_merged_data(tmp_path: Path) -> None:
    """resolve_raw returns the merged raw data with the variant recorded."""
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    raw = resolve_raw(tmp_path / "base.yaml", "early")
    assert raw["variant"] == "early"
    assert str(raw["measures"][0]["deadline"]) == "2020-03-01"


@pytest.mark.parametrize(("old", "new", "path", "suggestion"), [
    ("    deadline: 2020-11-12\n", "    deadline: 2020-11-12\n    lifted_bye: [deal]\n",
     "measures.hosting_cutoff.lifted_bye", "lifted_by"),
    ("{type: transfer, from: app_users, to: vpn_users, time_constant: 3mo}",
     "{type: transfer, from: app_users, to: vpn_users, time_constant: 3mo, phase: 3d}",
     "measures.hosting_cutoff.effects[0].phase", "phase_in"),
    ("revive: {hazard: 10%/month}", "revive: {hazard: 10%/month, dealy: 3d}",
     "measures.hosting_cutoff.shelving.revive.dealy", "delay"),
    ("{population: vpn_users, weight: 0.5}", "{population: vpn_users, wieght: 0.5}",
     "metrics.user_days.terms[1].wieght", "weight"),
    ("appeal: {probability: 0.9,", "appeal: {probabilty: 0.9, probability: 0.9,",
     "measures.app_store_ban.challenges.lawsuit.appeal.probabilty", "probability"),
    ("report: month", "reprot: month", "reprot", "report"),
    ("  baseline: baselines/full.parquet", "  baseline: baselines/full.parquet\n  chekcs: []", "expectations.chekcs",
     "checks"),
])  # fmt: skip
def test_unknown_keys_are_errors_with_suggestions(old: str, new: str, path: str, suggestion: str) -> None:
    """A misspelt key anywhere is reported at that key, with the closest known key of that mapping."""
    assert old in FULL
    diagnostics = problems(FULL.replace(old, new, 1))
    assert len(diagnostics) == 1, [d.format() for d in diagnostics]
    d = diagnostics[0]
    assert d.message == f"unknown key `{path.rsplit('.', 1)[-1]}`"
    assert d.path == path
    assert d.hint == f"did you mean `{suggestion}`?"
    assert d.expected is not None and f"`{suggestion}`" in d.expected


@pytest.mark.parametrize(("key", "where"), [("from_", "flows.drift"), ("while_", "metrics.unpatched.terms[1]")])
def test_python_field_names_are_not_keys(key: str, where: str) -> None:
    """`from_` and `while_` (the Python names) are unknown keys in a file: only `from` and `while` are accepted."""
    alias = key.rstrip("_")
    old = {"from_": "from: app_users, to: vpn_users, rate: 0.5%/month",
           "while_": "while: router_ban"}[key]
    new = old.replace(f"{alias}:", f"{key}:", 1)
    diagnostics = problems(FULL.replace(old, new, 1))
    messages = {(d.path, d.message) for d in diagnostics}
    assert (f"{where}.{key}", f"unknown key `{key}`") in messages
    assert any(d.hint == f"did you mean `{alias}`?" for d in diagnostics)


def test_misspelt_required_key_reports_once() -> None:
    """A misspelt required key is one diagnostic, at the key, suggesting the right one (not also 'missing')."""
    head = "  - id: hosting_cutoff\n"
    diagnostics = problems(FULL.replace(head + "    deadline:", head + "    dedline:", 1))
    assert [(d.path, d.message) for d in diagnostics] == [
        ("measures.hosting_cutoff.dedline", "unknown key `dedline`")]
    assert diagnostics[0].hint == "did you mean `deadline`?"


def test_missing_key_without_lookalike_is_reported() -> None:
    """A required key that is simply absent (no similar unknown key) is reported as missing."""
    head = "  - id: hosting_cutoff\n"
    diagnostics = problems(FULL.replace(head + "    deadline:", head + "    frobnicate:", 1))
    assert ("measures.hosting_cutoff.deadline", "missing required key `deadline`") in [
        (d.path, d.message) for d in diagnostics]


@pytest.mark.parametrize(("old", "new", "path", "message"), [
    ("report: month", "report: monthly", "report", "not one of the accepted choices"),
    ("{id: vpn_users, kind: accounts,", "{id: vpn_users, kind: acounts,", "populations.vpn_users.kind",
     "not one of the accepted choices"),
    ("only: unpatched", "only: patched", "metrics.unpatched.terms[0].only", "not one of the accepted choices"),
    ("stat: p50", "stat: p99", "expectations.checks.starts.stat", "not one of the accepted choices"),
    ("kind: in_force", "kind: inforce", "expectations.checks.ban_holds.kind", "not one of the accepted choices"),
    ("format: 1", "format: 2", "format", "not one of the accepted choices"),
    ("replications: 500", "replications: 0", "replications", "input should be greater than or equal to 1"),
    ("seed: 7", "seed: -1", "seed", "input should be greater than or equal to 0"),
    ("seed: 7", "seed: 1.5", "seed", "expected a whole number"),
    ("steps: 4", "steps: 0", "measures.app_store_ban.effects[0].steps", "input should be greater than or equal to 1"),
    ("max: 2\n      source: assumption", "max: 101\n      source: assumption", "measures.app_store_ban.deferral.max",
     "input should be less than or equal to 100"),
    ("title: Every construct of the language", "title: [a, b]", "title", "input should be a valid string"),
    ("requires: [deal]", "requires: deal", "events.approval.requires", "input should be a valid list"),
    ("effects:\n      - {type: scale_inflow, population: routers, factor: 0}", "effects: []",
     "measures.router_ban.effects", "list should have at least 1 item after validation, not 0"),
    ("{type: stop_updates, population: app_users}", "{population: app_users}",
     "measures.app_store_ban.effects[3]", "an effect needs a `type`"),
])  # fmt: skip
def test_schema_errors_name_the_key(old: str, new: str, path: str, message: str) -> None:
    """Wrong literals, out-of-range integers, wrong types and a missing effect type are reported at their key."""
    assert old in FULL
    diagnostics = problems(FULL.replace(old, new, 1))
    assert (path, message) in [(d.path, d.message) for d in diagnostics], [d.format() for d in diagnostics]


def test_literal_error_suggests_the_closest_choice() -> None:
    """A wrong choice lists the accepted ones and suggests the closest."""
    d = next(d for d in problems(FULL.replace("report: month", "report: weak")) if d.path == "report")
    assert d.hint == "did you mean `week`?"
    assert d.expected == "'day', 'week' or 'month'"
    assert d.found == "`weak` (text)"


@pytest.mark.parametrize(("old", "new", "path", "expected_kind"), [
    ("inflow: 250k/day", "inflow: 45d", "populations.app_users.inflow", "rate"),
    ("ceiling: 150M", "ceiling: 5%/month", "populations.app_users.ceiling", "count"),
    ("extra: {between: [0.5%/month, 2%/month]}", "extra: 250k/day", "measures.app_store_ban.effects[1].extra",
     "per-capita rate"),
    ("factor: 50%, metric", "factor: -2, metric", "measures.app_store_ban.effects[4].factor", "factor"),
    ("duration: 60d", "duration: 60", "measures.app_store_ban.waivers.enterprise.duration", "duration"),
    ("injunction: 0.5", "injunction: 1.5", "measures.app_store_ban.challenges.lawsuit.injunction", "probability"),
    ("share: 25%", "share: 125%", "measures.app_store_ban.waivers.wind_down.share", "share"),
    ("deadline: 2020-11-12", "deadline: next week", "measures.hosting_cutoff.deadline", "date"),
])  # fmt: skip
def test_wrong_kind_of_value_is_reported_with_expected_and_found(old: str, new: str, path: str,
                                                                 expected_kind: str) -> None:
    """A value of the wrong kind is reported at its key with what was expected and what was found."""
    assert old in FULL
    diagnostics = [d for d in problems(FULL.replace(old, new, 1)) if d.path == path]
    assert len(diagnostics) == 1
    d = diagnostics[0]
    assert d.expected is not None and d.expected.startswith(f"a {expected_kind}")
    assert d.found is not None and new.split(": ", 1)[1].split(",")[0].rstrip("}") in d.found


def test_models_are_frozen(full: Scenario) -> None:
    """Loaded scenarios cannot be changed in place."""
    with pytest.raises(ValidationError):
        full.measures[0].id = "other"  # type: ignore[misc]


def test_values_are_dists_and_dates_are_datespecs(full: Scenario) -> None:
    """Every quantity field holds a Dist and every date a DateSpec, so the engine never sees raw text."""
    def walk(node: Any) -> list[Any]:
        """Every leaf value under a model or list."""
        if isinstance(node, list):
            return [x for item in node for x in walk(item)]
        if isinstance(node, BaseModel):
            return [x for name in type(node).model_fields for x in walk(getattr(node, name))]
        return [node]

    leaves = walk(full)
    assert sum(isinstance(x, Dist) for x in leaves) >= 39
    assert sum(isinstance(x, DateSpec) for x in leaves) >= 15
    assert not any(isinstance(x, str) and ("%/" in x or x.endswith("/day")) for x in leaves)


def test_json_schema_forbids_unknown_keys() -> None:
    """The JSON Schema export uses YAML key names and forbids unknown keys."""
    schema = Scenario.model_json_schema(by_alias=True)
    flow = schema["$defs"]["Flow"]
    assert flow["additionalProperties"] is False
    assert "from" in flow["properties"] and "from_" not in flow["properties"]
    assert set(flow["required"]) == {"id", "from", "to", "rate"}
