"""One loaded scenario (`sim.scenario.loaded`), its window days, its defaults, and the library pieces the CLI calls:
re-running a run folder, the run-folder name, compare's runs and labels, sweep's option checks, the accounting
option."""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import cli
from sim.runs.records import rerun, run_folder, write_run
from sim.runs.runner import run
from sim.runs.study import RunSpec
from sim.scenario.errors import DocketError, ScenarioError, UsageError
from sim.scenario.loaded import Loaded, load, run_defaults, scenario_hash
from sim.scenario.loader import resolve_raw
from sim.scenario.schema import Scenario
from sim.studies.compare import compared_runs
from sim.studies.sweep import SweepRequest

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
FLAGSHIP = ROOT / "scenarios" / "tiktok-wechat-2020.yaml"


def test_load_carries_the_resolved_data_and_its_hash() -> None:
    """A Loaded holds the scenario, the data it came from (variant and --set applied) and that data's hash."""
    loaded = load(FLAGSHIP, "deal_reached", ["seed=11"])
    assert isinstance(loaded, Loaded)
    assert loaded.scenario.variant == "deal_reached" and loaded.scenario.seed == 11
    assert loaded.data["seed"] == 11 and loaded.digest == scenario_hash(loaded.data)
    assert loaded.digest != load(FLAGSHIP, "deal_reached").digest  # the override is part of the hash


def test_load_of_resolved_data_equals_load_of_the_file() -> None:
    """Resolved data (e.g. a run.json's scenario) loads to the same scenario and hash as its file."""
    from_file = load(QUICKSTART)
    from_data = load(copy.deepcopy(resolve_raw(QUICKSTART)))
    assert from_data.scenario == from_file.scenario and from_data.digest == from_file.digest


def test_load_reports_every_problem_at_once() -> None:
    """An invalid scenario raises one ScenarioError with the schema and the cross-field problems together."""
    data: dict[str, Any] = copy.deepcopy(dict(resolve_raw(QUICKSTART)))
    data["seed"] = -1
    data["measures"][0]["population"] = "nobody"
    with pytest.raises(ScenarioError) as err:
        load(data, filename="broken.yaml")
    paths = {d.path for d in err.value.diagnostics}
    assert "seed" in paths and any("population" in p for p in paths), paths


def test_run_defaults_are_the_scenarios_unless_given() -> None:
    """Replications and seed default to the scenario's; fewer than one replication is an error."""
    s = load(QUICKSTART, sets=["replications=77", "seed=5"]).scenario
    assert run_defaults(s) == (77, 5)
    assert run_defaults(s, 3, 0) == (3, 0)
    with pytest.raises(DocketError, match="at least 1"):
        run_defaults(s, 0)
    spec = RunSpec.of("x", s)
    assert (spec.replications, spec.seed) == (77, 5)


def test_runspec_of_a_loaded_scenario_is_keyed_by_its_hash() -> None:
    """A Loaded run can be cached (its digest keys the tasks); a bare Scenario cannot."""
    loaded = load(QUICKSTART)
    assert RunSpec.of("a", loaded, 10).digest == loaded.digest
    assert RunSpec.of("b", loaded.scenario, 10).digest == ""


def test_window_days_are_resolved_at_validation() -> None:
    """start_day and end_day are the window's day numbers (date ordinals), and travel with the scenario to worker
    processes."""
    s = load(FLAGSHIP).scenario
    assert (s.start_day, s.end_day) == (dt.date(2020, 9, 18).toordinal(), dt.date(2021, 6, 30).toordinal())
    again = pickle.loads(pickle.dumps(s))
    assert (again.start_day, again.end_day) == (s.start_day, s.end_day)


def test_a_window_without_fixed_dates_has_no_days() -> None:
    """A scenario validated past the cross-checks with a relative window start says so when its days are read."""
    data = copy.deepcopy(dict(resolve_raw(QUICKSTART)))
    data["window"] = {"start": "deal + 1d", "end": data["window"]["end"]}
    data["events"] = [{"id": "deal", "title": "Deal", "date": "2026-02-01"}]
    s = Scenario.model_validate(data)
    with pytest.raises(DocketError, match="window needs fixed start and end dates"):
        _ = s.start_day


def test_run_folder_names_the_scenario_and_its_variant() -> None:
    """The default run folder is runs/NAME, or runs/NAME.VARIANT for a variant."""
    assert run_folder(load(FLAGSHIP).scenario) == Path("runs/tiktok-wechat-2020")
    assert run_folder(load(FLAGSHIP, "deal_reached").scenario) == Path("runs/tiktok-wechat-2020.deal_reached")


def test_rerun_gives_the_recorded_run_or_the_options(tmp_path: Path) -> None:
    """rerun() loads a run folder's scenario, seed and replications; given ones replace them; warnings go to
    `warn` only with ignore_hash."""
    loaded = load(QUICKSTART)
    write_run(run(loaded.scenario, replications=12, seed=3), tmp_path, loaded.data, source="q.yaml")
    again = rerun(tmp_path)
    assert (again.seed, again.replications, again.source) == (3, 12, "q.yaml")
    assert again.loaded.digest == loaded.digest and again.loaded.scenario == loaded.scenario
    assert rerun(tmp_path, replications=5, seed=9)[1:3] == (9, 5)
    record = json.loads((tmp_path / "run.json").read_text())
    record["seed"] = 4
    (tmp_path / "run.json").write_text(json.dumps(record))
    with pytest.raises(DocketError, match="record_hash"):
        rerun(tmp_path)
    said: list[str] = []
    assert rerun(tmp_path, ignore_hash=True, warn=said.append).seed == 4
    assert len(said) == 1 and "record_hash" in said[0]


def test_compared_runs_pairs_files_and_variants() -> None:
    """compare's runs: variants of one file against a reference, or one id per file; clashes are usage errors."""
    assert compared_runs(["f.yaml"], "a,b", "a", 8) == ([("f.yaml", "a"), ("f.yaml", "b")], ["a", "b"])
    assert compared_runs(["x/f.yaml", "g.yaml"], None, None, 8)[1] == ["f", "g"]
    for files, variants, reference, message in [
            (["f.yaml"], None, None, "two or more FILES"), (["f.yaml"], "a", "a", "besides the reference"),
            (["f.yaml", "g.yaml"], "a", None, "one per file"), (["f.yaml", "f.yaml"], None, None, "listed twice"),
            (["f.yaml", "g.yaml"], None, "a", "--reference works with one FILE")]:
        with pytest.raises(UsageError, match=message):
            compared_runs(files, variants, reference, 8)
    with pytest.raises(UsageError, match="at most 2 runs"):
        compared_runs(["f.yaml"], "a,b", None, 2)


@pytest.mark.parametrize(("method", "samples", "params", "patterns", "message"), [
    ("grid", 5, ["seed=1:2:2"], (), "--samples N needs --method"),
    ("lhs", None, [], (), "needs --samples N"),
    ("grid", None, [], (), "a grid needs at least one --param"),
    ("lhs", 4, ["seed=1:2"], ("param:*",), "--inputs picks"),
])
def test_sweep_options_that_do_not_go_together(method: str, samples: int | None, params: list[str],
                                               patterns: tuple[str, ...], message: str) -> None:
    """Sweep's option checks raise a usage error before any --param is parsed."""
    with pytest.raises(UsageError, match=message):
        SweepRequest.of(method, samples, params, patterns)


def test_library_usage_errors_show_as_click_usage_errors(tmp_path: Path) -> None:
    """A UsageError from the library exits 2 with the command's usage line, like click's own."""
    res = CliRunner().invoke(cli, ["compare", str(QUICKSTART)])
    assert res.exit_code == 2
    assert "Usage: " in res.output and "give two or more FILES" in res.output


@pytest.mark.parametrize(("flags", "expected"), [([], False), (["--verify-accounting"], True), (["--check"], True)])
def test_verify_accounting_option_and_its_old_name(flags: list[str], expected: bool, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`docket run --verify-accounting` (and its hidden old name `--check`) asks the run to verify accounting."""
    import sim.runs.job

    seen: list[bool] = []
    real = sim.runs.job.run

    def spy(*args: Any, verify_accounting: bool = False, **kwargs: Any) -> Any:
        seen.append(verify_accounting)
        return real(*args, verify_accounting=verify_accounting, **kwargs)

    monkeypatch.setattr(sim.runs.job, "run", spy)
    res = CliRunner().invoke(cli, ["run", str(QUICKSTART), "-n", "8", "-q", "--out", str(tmp_path / "r"), *flags])
    assert res.exit_code == 0, res.output
    assert seen == [expected]


def test_help_names_verify_accounting_not_check() -> None:
    """`docket run --help` shows --verify-accounting; the old --check is hidden."""
    text = CliRunner().invoke(cli, ["run", "--help"]).output
    assert "--verify-accounting" in text and "--check" not in text
