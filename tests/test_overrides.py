"""`--set KEY=VALUE` overrides: merged like a variant, validated like the file, errors naming the override."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from cli import cli
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import resolve_raw, validate_data
from sim.scenario.overrides import apply_overrides, patch_for

FLAGSHIP = "scenarios/tiktok-wechat-2020.yaml"


def scenario(*overrides: str):
    data = apply_overrides(resolve_raw(FLAGSHIP), overrides)
    return validate_data(data, FLAGSHIP)


def test_override_sets_a_value_in_a_named_item():
    """A path through ids changes exactly that value; the rest of the scenario is unchanged."""
    s, problems = scenario("measures.tiktok_hosting_cutoff.deadline=2021-02-01")
    assert problems == []
    m = next(m for m in s.measures if m.id == "tiktok_hosting_cutoff")
    assert m.deadline.fixed_day() == dt.date(2021, 2, 1).toordinal()
    assert m.challenges and m.deferral is not None  # merged, not replaced


def test_distribution_override_replaces_the_value():
    """A distribution written in an override replaces the whole value (not merged key by key)."""
    s, problems = scenario("populations.tiktok_users.outflow={between: [1%/month, 3%/month]}")
    assert problems == []
    assert s.populations[0].outflow.kind == "between" and s.populations[0].outflow.source is None


def test_overrides_apply_in_order_and_top_level_keys():
    """Several overrides apply in order; top-level keys work too."""
    s, problems = scenario("replications=10", "seed=5", "replications=12")
    assert problems == [] and (s.replications, s.seed) == (12, 5)


def test_bad_value_names_the_override():
    """A value of the wrong kind is reported at the override, with expected/found/hint."""
    _, problems = scenario("populations.tiktok_users.outflow=45d")
    assert len(problems) == 1
    d = problems[0]
    assert d.mark is not None and d.mark.file == "--set populations.tiktok_users.outflow=45d"
    assert d.path == "populations.tiktok_users.outflow" and "per-capita" in (d.expected or "")


def test_unknown_id_suggests_the_closest():
    """An id that is not in the list is an error listing the ids and suggesting the closest."""
    with pytest.raises(ScenarioError) as err:
        patch_for(resolve_raw(FLAGSHIP), "measures.tiktok_hosting_cutof.deadline=2021-02-01")
    d = err.value.diagnostics[0]
    assert d.hint == "did you mean `tiktok_hosting_cutoff`?" and "wechat_prohibitions" in (d.expected or "")


def test_misspelt_key_is_caught_by_validation():
    """A misspelt key in an override is an unknown key with a suggestion, like in the file."""
    _, problems = scenario("measures.tiktok_hosting_cutoff.dedline=2021-02-01")
    assert [(p.message, p.hint) for p in problems] == [("unknown key `dedline`", "did you mean `deadline`?")]


def test_missing_equals_sign():
    """An override without `=` is refused with an example."""
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        patch_for({}, "replications")


def test_run_with_set_changes_results_and_records_it(tmp_path):
    """`docket run --set` runs the changed scenario and run.json records the resolved, overridden scenario."""
    out = tmp_path / "r"
    res = CliRunner().invoke(cli, ["run", FLAGSHIP, "-n", "20", "--out", str(out), "-q",
                                   "--set", "measures.tiktok_hosting_cutoff.deadline=2021-02-01"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["measures"]["tiktok_hosting_cutoff"]["p_in_force_by"]["2021-01-01"] == 0.0
    record = json.loads((out / "run.json").read_text())
    cutoff = next(m for m in record["scenario"]["measures"] if m["id"] == "tiktok_hosting_cutoff")
    assert cutoff["deadline"] == "2021-02-01"


def test_set_with_from_is_a_usage_error(tmp_path):
    """--set goes with a scenario FILE, not with --from (exit 2)."""
    res = CliRunner().invoke(cli, ["run", "--from", str(tmp_path), "--set", "seed=1"])
    assert res.exit_code == 2
