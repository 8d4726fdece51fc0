"""Tests for sim.scenario.crosschecks: cross-field rules that no single key can tell, each reported at the right key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario.crosschecks import check
from sim.scenario.errors import Diagnostic
from sim.scenario.loader import check_file, validate_data
from sim.scenario.yamlload import load_yaml_text

BASE = """\
name: checks
title: Cross-field checks
sources:
  - {id: orrick, title: Orrick}
window: {start: 2020-09-18, end: 2021-06-30}
populations:
  - {id: app_users, initial: 100M, inflow: 250k/day}
  - {id: vpn_users, initial: 0}
flows:
  - {id: drift, from: app_users, to: vpn_users, rate: 1%/month}
events:
  - {id: deal, probability: 0.3, date: 2020-10-15}
  - {id: ruling, date: 2020-12-01}
measures:
  - id: ban
    deadline: 2020-11-12
    effects:
      - {type: scale_inflow, population: app_users, factor: 0}
      - {type: transfer, from: app_users, to: vpn_users, rate: 5%/month}
    deferral: {probability: 0.3, delay: 14d, max: 2}
    shelving: {on: ruling, revive: {on: deal}}
    waivers:
      - {id: grace, share: 10%, until: 2021-01-01}
    challenges:
      - {id: suit, decision: 2020-10-01, injunction: 0.5}
    lifted_by: [deal]
    unless: [ruling]
metrics:
  - id: exposure
    terms: [{population: app_users}, {population: vpn_users, while: ban}]
expectations:
  checks:
    - {id: holds, kind: in_force, target: ban, min: 0.1, max: 0.9}
"""


def diagnose(old: str = "", new: str = "", text: str = BASE) -> list[Diagnostic]:
    """Cross-field diagnostics of BASE with ``old`` replaced by ``new`` (``old`` must occur)."""
    if old:
        assert old in text, old
        text = text.replace(old, new, 1)
    return check(load_yaml_text(text, "c.yaml"))


def only(old: str, new: str, text: str = BASE) -> Diagnostic:
    """The single cross-field diagnostic of a one-edit change."""
    diagnostics = diagnose(old, new, text)
    assert len(diagnostics) == 1, [d.format() for d in diagnostics]
    return diagnostics[0]


def line(d: Diagnostic) -> int:
    """The line a diagnostic points at."""
    assert d.mark is not None
    return d.mark.line


def test_base_is_valid() -> None:
    """The base scenario of these tests passes the checks and the schema."""
    assert diagnose() == []
    scenario, diagnostics = validate_data(load_yaml_text(BASE, "c.yaml"), "c.yaml")
    assert scenario is not None and diagnostics == []


# --- dates and the window -----------------------------------------------------------------------------------


def test_deadline_after_the_window() -> None:
    """A fixed deadline after the window's end is reported at the deadline with the window's dates."""
    d = only("deadline: 2020-11-12", "deadline: 2021-11-12")
    assert (d.path, d.message, line(d)) == ("measures.ban.deadline", "the deadline is outside the simulated window", 16)
    assert d.expected == "dates from 2020-09-18 to 2021-06-30"
    assert d.found == "`2021-11-12`"
    assert d.hint == "move the deadline or widen `window`"


def test_deadline_before_the_window() -> None:
    """A deadline before the window's start is also outside it."""
    assert only("deadline: 2020-11-12", "deadline: 2020-01-01").path == "measures.ban.deadline"


def test_uncertain_deadline_that_can_fall_outside() -> None:
    """An uncertain deadline whose range leaves the window is reported with the range found."""
    d = only("deadline: 2020-11-12", "deadline: {between: [2021-06-01, 2021-08-01]}")
    assert d.message == "the deadline can fall outside the simulated window"
    assert d.found == "dates from 2021-06-01 to 2021-08-01"


def test_deadlines_on_the_window_edges_are_inside() -> None:
    """Deadlines on the first and the last day of the window are fine; relative deadlines are not range-checked."""
    assert diagnose("deadline: 2020-11-12", "deadline: 2021-06-30") == []
    assert diagnose("deadline: 2020-11-12", "deadline: 2020-09-18") == []
    assert diagnose("deadline: 2020-11-12", "deadline: deal + 900d") == []


def test_window_must_end_after_it_starts() -> None:
    """A window ending before (or on) its start is reported at `window.end`."""
    d = only("end: 2021-06-30", "end: 2020-09-18", BASE.replace("deadline: 2020-11-12", "deadline: deal + 1d"))
    assert (d.path, d.message, d.found) == ("window.end", "the window ends before it starts", "2020-09-18")
    assert d.expected == "a date after 2020-09-18"


def test_window_needs_fixed_dates() -> None:
    """An uncertain or relative window edge is refused."""
    d = only("start: 2020-09-18", "start: {between: [2020-09-01, 2020-09-18]}")
    assert (d.path, d.message) == ("window.start", "the window needs a fixed date")


# --- references ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "path", "wrong", "what", "close"), [
    ("from: app_users, to: vpn_users, rate: 1%", "from: app_user, to: vpn_users, rate: 1%", "flows.drift.from",
     "app_user", "population", "app_users"),
    ("to: vpn_users, rate: 1%", "to: vpn_user, rate: 1%", "flows.drift.to", "vpn_user", "population", "vpn_users"),
    ("population: app_users, factor: 0}", "population: app_usres, factor: 0}", "measures.ban.effects[0].population",
     "app_usres", "population", "app_users"),
    ("to: vpn_users, rate: 5%", "to: vpn_userz, rate: 5%", "measures.ban.effects[1].to", "vpn_userz", "population",
     "vpn_users"),
    ("shelving: {on: ruling", "shelving: {on: rulling", "measures.ban.shelving.on", "rulling", "event", "ruling"),
    ("revive: {on: deal}", "revive: {on: dael}", "measures.ban.shelving.revive.on", "dael", "event", "deal"),
    ("lifted_by: [deal]", "lifted_by: [deals]", "measures.ban.lifted_by[0]", "deals", "event", "deal"),
    ("unless: [ruling]", "unless: [ruling, rulings]", "measures.ban.unless[1]", "rulings", "event", "ruling"),
    ("{population: vpn_users, while: ban}", "{population: vpn_users, while: bam}", "metrics.exposure.terms[1].while",
     "bam", "measure", "ban"),
    ("terms: [{population: app_users}", "terms: [{population: ap_users}", "metrics.exposure.terms[0].population",
     "ap_users", "population", "app_users"),
    ("target: ban", "target: bans", "expectations.checks.holds.target", "bans", "measure", "ban"),
])  # fmt: skip
def test_unknown_references_suggest_known_ids(old: str, new: str, path: str, wrong: str, what: str,
                                              close: str) -> None:
    """A reference to an unknown id names the key, suggests the closest known id and lists the known ones."""
    d = only(old, new)
    assert d.path == path
    assert d.message == f"`{wrong}` is not a known {what}"
    assert d.found == f"`{wrong}`"
    assert d.expected == f"the id of {'an' if what == 'event' else 'a'} {what}"
    assert d.hint is not None and d.hint.startswith(f"did you mean `{close}`? known {what} ids: ")
    assert f"`{close}`" in d.hint.split("ids: ")[1]


def test_unknown_reference_without_a_close_match_lists_ids() -> None:
    """When nothing is close, the hint only lists the known ids."""
    d = only("lifted_by: [deal]", "lifted_by: [xylophone]")
    assert d.hint == "known event ids: `deal`, `ruling`"


def test_requires_must_name_events() -> None:
    """`requires` names events; a measure id there is not an event."""
    d = only("{id: ruling, date: 2020-12-01}", "{id: ruling, date: 2020-12-01, requires: [ban]}")
    assert (d.path, d.message) == ("events.ruling.requires[0]", "`ban` is not a known event")


def test_effect_metric_must_be_a_metric() -> None:
    """`scale_exposure` may name a metric, which must exist."""
    d = only("- {type: scale_inflow, population: app_users, factor: 0}",
             "- {type: scale_exposure, population: app_users, factor: 0, metric: exposures}")
    assert (d.path, d.message) == ("measures.ban.effects[0].metric", "`exposures` is not a known metric")


@pytest.mark.parametrize(("kind", "target", "what"), [
    ("series", "ban", "population or metric"), ("never_in_force", "app_users", "measure"),
    ("avoided", "app_users", "metric"),
])  # fmt: skip
def test_check_targets_depend_on_the_kind(kind: str, target: str, what: str) -> None:
    """A check's target must be a population or metric (series), a measure (in force) or a metric (avoided)."""
    d = only("kind: in_force, target: ban", f"kind: {kind}, target: {target}")
    assert d.message == f"`{target}` is not a known {what}"
    assert diagnose("kind: in_force, target: ban", "kind: series, target: exposure") == []


def test_date_anchors_must_exist() -> None:
    """A relative date's anchor must be an event or measure; `.deadline` only follows a measure."""
    d = only("date: 2020-12-01", "date: dael + 7d")
    assert (d.path, d.message) == ("events.ruling.date", "`dael` is not a known event or measure")
    assert d.hint is not None and d.hint.startswith("did you mean `deal`?")
    d = only("date: 2020-12-01", "date: deal.deadline + 7d")
    assert d.message == "`deal` is not a known measure (before `.deadline`)"
    assert diagnose("date: 2020-12-01", "date: ban.deadline - 7d") == []


def test_references_ignore_values_of_the_wrong_type() -> None:
    """A non-list `requires`/`lifted_by` is left to the schema: no crash and no reference errors per character."""
    assert diagnose("lifted_by: [deal]", "lifted_by: deal") == []
    assert diagnose("unless: [ruling]", "unless: 5") == []
    assert diagnose("{id: ruling, date: 2020-12-01}", "{id: ruling, date: 2020-12-01, requires: 5}") == []
    _, diagnostics = validate_data(load_yaml_text(BASE.replace("lifted_by: [deal]", "lifted_by: deal"), "c.yaml"),
                                   "c.yaml")
    assert [(d.path, d.message) for d in diagnostics] == [("measures.ban.lifted_by", "input should be a valid list")]


# --- duplicate ids ------------------------------------------------------------------------------------------


def test_duplicate_ids_across_lists() -> None:
    """Ids are unique across populations, flows, events, measures and metrics; the first use is named."""
    ruling = "  - {id: ruling, date: 2020-12-01}\n"
    d = only(ruling, ruling + "  - {id: drift, date: 2021-01-01}\n")
    assert (d.path, d.message, line(d)) == ("events.drift.id", "duplicate id `drift`", 14)
    assert d.found == "`drift` again (first used by flows at line 10)"


def test_duplicate_ids_in_waivers_and_challenges() -> None:
    """A waiver or challenge id must not repeat any other id of the scenario."""
    assert only("{id: suit, decision", "{id: grace, decision").path == "measures.ban.challenges.grace.id"
    assert only("{id: grace, share", "{id: deal, share").message == "duplicate id `deal`"


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  - {id: orrick, title: Orrick}\n", "  - {id: orrick, title: Orrick}\n  - {id: orrick, title: Again}\n",
     "duplicate source id `orrick`"),
    ("    - {id: holds, kind", "    - {id: holds, kind: series, target: app_users}\n    - {id: holds, kind",
     "duplicate check id `holds`"),
])  # fmt: skip
def test_duplicate_source_and_check_ids(old: str, new: str, message: str) -> None:
    """Sources and checks have their own id spaces, each without repeats."""
    assert only(old, new).message == message


def test_duplicate_measure_labels() -> None:
    """Two measures with one chart label would read as one measure on every deadline line: reported at the second,
    naming the first; a label may repeat its own measure's title or another measure's id."""
    second = ("  - id: ban\n", "  - id: other\n    label: Sales ban\n    deadline: 2021-01-01\n    effects:\n"
              "      - {type: scale_inflow, population: vpn_users, factor: 0}\n  - id: ban\n    label: Sales ban\n")
    d = only(*second)
    assert (d.path, d.message) == ("measures.ban.label", "duplicate measure label `Sales ban`")
    assert d.found == "`Sales ban` again (first used by measure `other`)" and d.hint == "rename one of them"
    assert diagnose(second[0], second[1].replace("label: Sales ban\n    deadline", "label: other\n    deadline")) == []


def test_a_label_is_short_text() -> None:
    """A label is at most 40 characters of text, said at its key with the limit."""
    text = BASE.replace("  - id: ban\n", "  - id: ban\n    label: A label far too long to sit on a deadline line\n")
    _, diagnostics = validate_data(load_yaml_text(text, "c.yaml"), "c.yaml")
    assert [(d.path, d.message) for d in diagnostics] == [("measures.ban.label",
                                                            "string should have at most 40 characters")]


def test_duplicate_variant_ids() -> None:
    """Two variants with one id are reported."""
    text = BASE + "variants:\n  - {id: v, changes: {}}\n  - {id: v, changes: {}}\n"
    d = only("", "", text)
    assert (d.path, d.message) == ("variants.v.id", "duplicate variant id `v`")


def test_a_source_id_may_equal_an_item_id() -> None:
    """Sources are a separate id space: a source named like a measure is not a duplicate."""
    assert diagnose("{id: orrick, title", "{id: ban, title") == []


# --- cycles -------------------------------------------------------------------------------------------------


def test_relative_dates_in_a_cycle() -> None:
    """Two events whose dates refer to each other are one cycle, reported once."""
    d = only("{id: deal, probability: 0.3, date: 2020-10-15}", "{id: deal, probability: 0.3, date: ruling + 1d}",
             BASE.replace("date: 2020-12-01", "date: deal + 7d"))
    assert d.message == "dates or requirements refer to each other in a cycle: deal -> ruling -> deal"
    assert d.hint == "anchor one of them on a fixed date"


def test_cycle_through_a_measure_deadline_and_requires() -> None:
    """A cycle may run through a measure's deadline and an event's `requires`."""
    text = BASE.replace("deadline: 2020-11-12", "deadline: ruling + 7d").replace(
        "{id: ruling, date: 2020-12-01}", "{id: ruling, date: 2020-12-01, requires: [other]}\n"
        "  - {id: other, date: ban + 1d}")
    messages = [d.message for d in diagnose(text=text)]
    assert messages == ["dates or requirements refer to each other in a cycle: ban -> ruling -> other -> ban"]


def test_a_deadline_relative_to_itself_is_a_cycle() -> None:
    """A measure whose deadline depends on its own deadline is a cycle of one."""
    d = only("deadline: 2020-11-12", "deadline: ban.deadline + 1d")
    assert d.message == "dates or requirements refer to each other in a cycle: ban -> ban"


@pytest.mark.parametrize(("old", "new"), [
    ("{id: grace, share: 10%, until: 2021-01-01}", "{id: grace, share: 10%, from: ban + 7d, until: ban + 60d}"),
    ("{id: grace, share: 10%, until: 2021-01-01}", "{id: grace, share: 10%, from: ban.deadline - 7d}"),
    ("{id: suit, decision: 2020-10-01", "{id: suit, filed: ban.deadline - 30d, decision: ban + 14d"),
    ("shelving: {on: ruling, revive: {on: deal}}", "shelving: {date: ban + 90d}"),
])  # fmt: skip
def test_dates_inside_a_measure_may_follow_the_measure(old: str, new: str) -> None:
    """Waiver, challenge and shelving dates come after the measure's own deadline, so anchoring them on it is fine."""
    assert diagnose(old, new) == []


def test_no_false_cycle_between_two_measures_waivers() -> None:
    """A waiver of one measure anchored on another measure whose deadline follows the first is not a cycle."""
    text = BASE.replace("metrics:", "  - id: later\n    deadline: ban + 30d\n    effects: "
                        "[{type: stop_updates, population: app_users}]\nmetrics:").replace(
        "{id: grace, share: 10%, until: 2021-01-01}", "{id: grace, share: 10%, from: later + 1d}")
    assert diagnose(text=text) == []


def test_extends_cycle(tmp_path: Path) -> None:
    """Two files that extend each other are reported at the `extends` key with the chain."""
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\n", encoding="utf-8")
    diagnostics = check_file(tmp_path / "a.yaml")
    assert len(diagnostics) == 1
    d = diagnostics[0]
    assert d.message == "`extends` goes round in a cycle: a.yaml -> b.yaml -> a.yaml"
    assert d.path == "extends" and d.mark is not None
    assert (Path(d.mark.file).name, d.mark.line) == ("b.yaml", 2)


# --- shapes that need several keys --------------------------------------------------------------------------


def test_flow_to_the_same_population() -> None:
    """A flow from a population to itself is refused at `to`."""
    d = only("to: vpn_users, rate: 1%", "to: app_users, rate: 1%")
    assert (d.path, d.message, d.found) == ("flows.drift.to", "a flow must go to a different population",
                                            "`app_users`")


def test_transfer_to_the_same_population() -> None:
    """A transfer effect from a population to itself is refused."""
    d = only("to: vpn_users, rate: 5%", "to: app_users, rate: 5%")
    assert (d.path, d.message) == ("measures.ban.effects[1].to", "a transfer must go to a different population")


@pytest.mark.parametrize(("new", "found"), [
    ("{probability: 0.3, max: 2}", "none of them"),
    ("{probability: 0.3, delay: 14d, max: 2, schedule: [7d]}", "both `delay` and `schedule`"),
])  # fmt: skip
def test_deferral_needs_exactly_one_of_delay_and_schedule(new: str, found: str) -> None:
    """A deferral gives `delay`, `schedule` or `steps`, not none and not two."""
    diagnostics = diagnose("{probability: 0.3, delay: 14d, max: 2}", new)
    d = diagnostics[0]
    assert (d.path, d.message, d.found) == ("measures.ban.deferral",
                                            "a deferral needs exactly one of `delay` or `schedule` or `steps`", found)


def test_deferral_delay_needs_max() -> None:
    """A deferral by `delay` needs `max`."""
    d = only("{probability: 0.3, delay: 14d, max: 2}", "{probability: 0.3, delay: 14d}")
    assert (d.path, d.message, d.hint) == (
        "measures.ban.deferral", "a deferral with `delay` needs `max`, the cap on the number of extensions",
        "add e.g. `max: 2`")


def test_deferral_schedule_refuses_max_at_the_key() -> None:
    """`max` with a `schedule` is reported at the `max` key itself."""
    d = only("{probability: 0.3, delay: 14d, max: 2}", "{probability: 0.3, schedule: [7d, 14d], max: 2}")
    assert (d.path, d.message) == ("measures.ban.deferral.max",
                                   "`max` goes with `delay`; a `schedule` already fixes the extensions")
    written = "    deferral: {probability: 0.3, schedule: [7d, 14d], max: 2}"
    assert d.mark is not None and (d.mark.line, d.mark.col) == (20, written.index("max:") + 1)


@pytest.mark.parametrize(("new", "found"), [
    ("shelving: {probability: 0.5}", "none of them"),
    ("shelving: {on: ruling, date: 2021-01-01}", "both `on` and `date`"),
    ("shelving: {on: ruling, date: 2021-01-01, hazard: 1%/month}", "all of `on` and `date` and `hazard`"),
])  # fmt: skip
def test_shelving_needs_exactly_one_trigger(new: str, found: str) -> None:
    """Shelving gives exactly one of `on`, `date` and `hazard`."""
    d = only("shelving: {on: ruling, revive: {on: deal}}", new)
    assert (d.path, d.message, d.found) == (
        "measures.ban.shelving", "shelving needs exactly one of `on` or `date` or `hazard`", found)


def test_revival_needs_exactly_one_way_back() -> None:
    """A revival gives `on` or `hazard`, not both."""
    d = only("revive: {on: deal}", "revive: {on: deal, hazard: 5%/month}")
    assert (d.path, d.message) == ("measures.ban.shelving.revive", "a revival needs exactly one of `on` or `hazard`")


def test_waiver_until_and_duration() -> None:
    """A waiver takes `until` or `duration`, not both; neither means it does not end."""
    d = only("{id: grace, share: 10%, until: 2021-01-01}", "{id: grace, share: 10%, until: 2021-01-01, duration: 9d}")
    assert (d.path, d.message) == ("measures.ban.waivers.grace", "a waiver takes `until` or `duration`, not both")
    assert diagnose("{id: grace, share: 10%, until: 2021-01-01}", "{id: grace, share: 10%}") == []


@pytest.mark.parametrize(("new", "found"), [
    ("{type: transfer, from: app_users, to: vpn_users}", "none of them"),
    ("{type: transfer, from: app_users, to: vpn_users, rate: 5%/month, time_constant: 30d}",
     "both `rate` and `time_constant`"),
])  # fmt: skip
def test_transfer_needs_rate_or_time_constant(new: str, found: str) -> None:
    """A transfer gives exactly one of `rate` and `time_constant`; a time constant alone is fine."""
    d = only("{type: transfer, from: app_users, to: vpn_users, rate: 5%/month}", new)
    assert (d.path, d.message, d.found) == (
        "measures.ban.effects[1]", "a transfer needs exactly one of `rate` or `time_constant`", found)
    assert diagnose("rate: 5%/month}", "time_constant: 30d}") == []


@pytest.mark.parametrize("new", ["date: ban - 7d", "date: {from: ban, offset: {between: [-7d, 7d]}}"])
def test_date_before_a_measure_came_into_force(new: str) -> None:
    """A date anchored on a measure's in-force date may not be before it (even possibly); the hint names `.deadline`."""
    d = only("date: 2020-12-01", new)
    assert (d.path, d.message) == ("events.ruling.date",
                                   "a date relative to when a measure came into force cannot be before it")
    assert d.hint == "anchor on the deadline instead: `ban.deadline - ...`"
    assert diagnose("date: 2020-12-01", "date: ban + 0d") == []


@pytest.mark.parametrize(("new", "found"), [("initial: 100M, ceiling: 90M", "90,000,000"),
                                            ("initial: 100M, ceiling: 100M", "100,000,000"),
                                            ("initial: {between: [50M, 120M]}, ceiling: 110M", "110,000,000")])
def test_ceiling_must_be_above_the_initial_size(new: str, found: str) -> None:
    """A ceiling at or below the (largest possible) initial size is refused at `ceiling`."""
    d = only("initial: 100M", new)
    assert (d.path, d.message, d.found) == ("populations.app_users.ceiling",
                                            "the ceiling must be above the initial size", found)
    assert diagnose("initial: 100M", "initial: 100M, ceiling: 101M") == []


def test_unknown_source_ids() -> None:
    """Every `source` outside `sources` (on a value or an item) must name a listed source or `assumption`."""
    d = only("initial: 100M", "initial: {value: 100M, source: oricc}")
    assert (d.path, d.message) == ("populations.app_users.initial.source", "`oricc` is not a known source")
    assert d.hint is not None and d.hint.startswith("did you mean `orrick`?")
    d = only("    lifted_by: [deal]", "    source: nobody\n    lifted_by: [deal]")
    assert d.path == "measures.ban.source"
    assert diagnose("initial: 100M", "initial: {value: 100M, source: assumption}") == []
    assert diagnose("initial: 100M", "initial: {value: 100M, source: orrick}") == []


def test_check_min_above_max() -> None:
    """A check whose `min` is above its `max` is refused."""
    d = only("min: 0.1, max: 0.9", "min: 0.9, max: 0.1")
    assert (d.path, d.message, d.found) == ("expectations.checks.holds", "`min` is above `max`", "min 0.9, max 0.1")


def test_check_min_above_max_written_as_exponents() -> None:
    """`2e6` and `1e6` are text to YAML but numbers to a check's bounds: the order is checked all the same."""
    d = only("min: 0.1, max: 0.9", "min: 2e6, max: 1e6")
    assert (d.message, d.found) == ("`min` is above `max`", "min 2e6, max 1e6")


# --- one pass -----------------------------------------------------------------------------------------------


def test_three_independent_mistakes_are_reported_in_one_pass(tmp_path: Path) -> None:
    """A schema error, a reference error and a cross-field error in one file all come back from one check."""
    text = (BASE.replace("inflow: 250k/day", "inflow: 45d")
            .replace("lifted_by: [deal]", "lifted_by: [dael]")
            .replace("{probability: 0.3, delay: 14d, max: 2}", "{probability: 0.3, delay: 14d}"))
    path = tmp_path / "three.yaml"
    path.write_text(text, encoding="utf-8")
    diagnostics = check_file(path)
    assert [(line(d), d.path, d.message) for d in diagnostics] == [
        (7, "populations.app_users.inflow", "expected a rate"),
        (20, "measures.ban.deferral", "a deferral with `delay` needs `max`, the cap on the number of extensions"),
        (26, "measures.ban.lifted_by[0]", "`dael` is not a known event"),
    ]


def test_checks_run_even_when_values_fail_the_schema() -> None:
    """Cross-field checks still run over raw data whose values the schema refuses, skipping unreadable ones."""
    text = BASE.replace("deadline: 2020-11-12", "deadline: not-a-date").replace("to: vpn_users, rate: 1%",
                                                                             "to: app_users, rate: 1%")
    _, diagnostics = validate_data(load_yaml_text(text, "c.yaml"), "c.yaml")
    assert {d.path for d in diagnostics} == {"measures.ban.deadline", "flows.drift.to"}
