"""`docket sweep`: parameter grids and sampled designs (Latin hypercube, random) on common random numbers."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import BASE, measure

from cli import cli
from sim.scenario.errors import DocketError
from sim.studies.design import grid, numeric, parse_param, parse_span, sample_design, unit_cube
from sim.studies.sweep import run_design, sweep


def test_parse_values_with_units():
    """Ranges of dates, percentages, durations and rates are spaced evenly in their own unit."""
    assert parse_param("a=2020-01-01:2020-01-31:3").values == ("2020-01-01", "2020-01-16", "2020-01-31")
    assert parse_param("a=10%:30%:3").values == ("10%", "20%", "30%")
    assert parse_param("a=7d:21d:3").values == ("7d", "14d", "21d")
    assert parse_param("a=1%/month:3%/month:2").values == ("1%/month", "3%/month")
    assert parse_param("a=0.5:0.5:1").values == ("0.5",)


def test_ranges_read_numbers_as_scenario_values_do():
    """A range's ends are read by the scenario's own quantity parser: `.5%` and `1_000` are numbers there too,
    and a column of counts or rates folds its `k`/`M` suffix the same way a scenario value does."""
    assert parse_param("a=.5%:1.5%:3").values == ("0.5%", "1%", "1.5%")
    assert parse_param("a=1_000:3_000:3").values == ("1000", "2000", "3000")
    assert numeric([".5k/day", "2k/day"]) == ([500.0, 2000.0], "/day")
    assert numeric(["1.2bn", "3B"]) == ([1.2e9, 3e9], "")


@pytest.mark.parametrize("text", ["a=2020-02-30:2020-03-31:3", "a=2020-03-01:2020-13-01:3"])
def test_an_impossible_date_in_a_range_is_a_clear_error(text):
    """A range end that is no calendar date is a DocketError naming the parameter, not a traceback."""
    with pytest.raises(DocketError, match=rf"--param {re.escape(text)}: `2020-\d\d-\d\d` is not a real calendar "
                       "date; write a real date as YYYY-MM-DD"):
        parse_param(text)


@pytest.mark.parametrize("text", ["a=1:2", "a=10%:2d:3", "a=1:2:x", "a=1:2:0", "=1:2:3", "a"])
def test_bad_ranges_are_clear_errors(text):
    """A malformed range, mixed units or a bad step count is a DocketError naming the --param."""
    with pytest.raises(DocketError, match="--param"):
        parse_param(text)


def test_grid_is_the_full_product():
    """Two parameters give every combination, the first varying slowest."""
    points = grid([parse_param("a=1:2:2"), parse_param("b=5%:10%:2")])
    assert points == [{"a": "1", "b": "5%"}, {"a": "1", "b": "10%"}, {"a": "2", "b": "5%"}, {"a": "2", "b": "10%"}]


def test_later_deadline_never_less_exposure():
    """Sweeping the deadline later gives non-decreasing mean exposure (same draws at every point)."""
    data = copy.deepcopy(BASE)
    data["measures"] = [measure(deferral={"probability": 0.5, "delay": "20d", "max": 2})]
    table, results, _ = sweep(data, [parse_param("measures.ban.deadline=2020-02-01:2020-08-01:4")], replications=40)
    means = table["exposure.total.mean"].tolist()
    assert means == sorted(means) and means[0] < means[-1]
    assert len(results) == 4 and table["measures.ban.deadline"].iloc[0] == "2020-02-01"


def test_differences_from_the_base_are_the_paired_differences():
    """Each point's `_vs_base` columns are its per-replication exposure minus that of the scenario as written
    (run alone, same seed and replications); a point equal to the scenario as written differs by exactly 0."""
    import numpy as np

    from sim import run
    from sim.scenario.loaded import load

    data = copy.deepcopy(BASE)
    data["measures"] = [measure(deferral={"probability": 0.5, "delay": "20d", "max": 2})]  # deadline 2020-03-01
    table, results, _ = sweep(data, [parse_param("measures.ban.deadline=2020-03-01:2020-07-01:3")],
                              replications=30, seed=7)
    base = run(load(data, filename="base").scenario, replications=30, seed=7).finals
    mid = "exposure"
    assert (table.loc[0, [f"{mid}.total_vs_base.{s}" for s in ("mean", "p05", "p95", "share_differ")]] == 0).all()
    for i, res in enumerate(results):
        a = base[base["metric"] == mid].sort_values("replication")["total"].to_numpy()
        b = res.finals[res.finals["metric"] == mid].sort_values("replication")["total"].to_numpy()
        d = b - a
        assert table.loc[i, f"{mid}.total_vs_base.mean"] == pytest.approx(d.mean(), rel=1e-9, abs=1e-6)
        assert table.loc[i, f"{mid}.total_vs_base.p05"] == pytest.approx(np.quantile(d, 0.05), rel=1e-9, abs=1e-6)
        assert table.loc[i, f"{mid}.total_vs_base.p95"] == pytest.approx(np.quantile(d, 0.95), rel=1e-9, abs=1e-6)
    assert table[f"{mid}.total_vs_base.mean"].iloc[-1] > 0  # a later deadline: more exposure than as written


def assert_differences_drawn(fig, table):
    """The one panel of differences plots the table's mean paired difference of each point (dots) and its 5-95%
    interval (bars)."""
    low = [a for a in fig.axes if a.get_title(loc="left") == "difference from the scenario as written"]
    assert len(low) == 1
    dots = next(ln for ln in low[0].get_lines() if ln.get_marker() == "o")
    assert list(dots.get_ydata()) == pytest.approx(table["exposure.total_vs_base.mean"].tolist())
    bars = low[0].collections[0].get_segments()
    assert [y for seg in bars for y in seg[:, 1]] == pytest.approx(
        table[["exposure.total_vs_base.p05", "exposure.total_vs_base.p95"]].to_numpy().ravel().tolist())


def test_sweep_chart_draws_the_differences_from_the_base():
    """The grid chart's lower panel plots each point's mean paired difference from the scenario as written, and
    its 5-95% interval, as in the table."""
    from plots import sweep as sweep_chart

    data = copy.deepcopy(BASE)
    data["measures"] = [measure(deferral={"probability": 0.5, "delay": "20d", "max": 2})]
    table, results, _ = sweep(data, [parse_param("measures.ban.deadline=2020-02-01:2020-07-01:3")],
                              replications=20, seed=3)
    fig = sweep_chart.plot(table, "measures.ban.deadline", results)
    assert_differences_drawn(fig, table)
    assert table["exposure.total_vs_base.mean"].iloc[0] < 0 < table["exposure.total_vs_base.mean"].iloc[-1]


def test_sampled_chart_draws_the_differences_from_the_base():
    """A sampled design's chart has, under each input's levels, each sample's mean paired difference from the
    scenario as written and its 5-95% interval, as in the table (as the grid chart does)."""
    from plots import sweep as sweep_chart

    data = copy.deepcopy(BASE)
    data["measures"] = [measure(deferral={"probability": 0.5, "delay": "20d", "max": 2})]
    design = sample_design(data, [parse_span("measures.ban.deadline=2020-02-01:2020-07-01")], 4, "lhs", seed=3)
    table, results, _ = run_design(data, design, replications=20, seed=3)
    fig = sweep_chart.plot_samples(table, design.columns, results, design.labels)
    assert_differences_drawn(fig, table)
    no_base = table.drop(columns=[c for c in table.columns if "_vs_base." in c])
    fig = sweep_chart.plot_samples(no_base, design.columns, results, design.labels)
    assert not [a for a in fig.axes if a.get_title(loc="left") == "difference from the scenario as written"]


def test_cli_writes_table_and_chart(tmp_path):
    """`docket sweep` prints the table and writes sweep.csv and sweep.png; a bad value names its override."""
    out = tmp_path / "s"
    runner = CliRunner()
    res = runner.invoke(cli, ["sweep", "scenarios/quickstart.yaml", "--param",
                              "measures.sales_ban.deadline=2026-02-01:2026-06-01:3", "-n", "20", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 3 and (out / "sweep.png").stat().st_size > 10_000
    bad = runner.invoke(cli, ["sweep", "scenarios/quickstart.yaml", "--param",
                              "populations.routers.outflow=1d:5d:2", "-n", "5", "--out", str(out)])
    assert bad.exit_code != 0 and "--set populations.routers.outflow=1d" in str(bad.exception)


# Sampled designs: --samples N --method lhs|random


def _strata(values: list[float], lo: float, hi: float) -> list[int]:
    """The stratum (of N equal strata of [lo, hi]) of each value, N = len(values)."""
    n = len(values)
    return sorted(min(int((v - lo) / (hi - lo) * n), n - 1) for v in values)


def test_latin_hypercube_hits_each_stratum_of_each_dimension_once():
    """Each of the N strata of every dimension holds exactly one point; independent uniforms do not."""
    n = 40
    u = unit_cube("lhs", n, 3, seed=7)
    assert u.shape == (n, 3) and ((u > 0) & (u < 1)).all()
    for j in range(3):
        assert _strata(u[:, j].tolist(), 0.0, 1.0) == list(range(n)), f"dimension {j} is not stratified"
    plain = unit_cube("random", n, 3, seed=7)
    assert any(_strata(plain[:, j].tolist(), 0.0, 1.0) != list(range(n)) for j in range(3)), \
        "40 uniform draws should (almost surely) leave some stratum empty"


def test_design_is_deterministic_for_a_seed():
    """The same seed gives the same design; another seed, another design; lhs and random differ."""
    assert (unit_cube("lhs", 10, 2, seed=3) == unit_cube("lhs", 10, 2, seed=3)).all()
    assert not (unit_cube("lhs", 10, 2, seed=3) == unit_cube("lhs", 10, 2, seed=4)).all()
    assert not (unit_cube("lhs", 10, 2, seed=3) == unit_cube("random", 10, 2, seed=3)).all()
    spans = [parse_span("measures.ban.deadline=2020-02-01:2020-08-01"), parse_span("a=10%:50%")]
    first = sample_design(BASE, spans, 8, seed=5)
    assert first.points == sample_design(BASE, spans, 8, seed=5).points
    assert first.points != sample_design(BASE, spans, 8, seed=6).points


@pytest.mark.parametrize(("text", "lo", "hi", "unit", "pattern"), [
    ("k=2020-02-01:2020-08-01", "2020-02-01", "2020-08-01", "date", r"^\d{4}-\d{2}-\d{2}$"),
    ("k=10%:50%", 10, 50, "%", r"^[\d.]+%$"),
    ("k=7d:63d", 7, 63, "d", r"^\d+d$"),
    ("k=1w:9w", 7, 63, "d", r"^\d+d$"),
    ("k=1%/month:3%/month", 1, 3, "%/month", r"^[\d.]+%/month$"),
    ("k=1M:3M", 1e6, 3e6, "", r"^[\d.]+M$"),
])
def test_sampled_values_stay_in_range_and_unit(text, lo, hi, unit, pattern):
    """Sampled values are written in the range's unit (dates to the day, durations in whole days), lie in
    [LO, HI] and still fall one per stratum (up to the rounding to days)."""
    n = 12
    values = [p["k"] for p in sample_design(BASE, [parse_span(text)], n, seed=2).points]
    assert all(re.match(pattern, v) for v in values), values
    nums, found = numeric(values)
    if unit == "date":
        lo, hi = (dt.date.fromisoformat(d).toordinal() for d in (lo, hi))
    assert found == unit and all(lo <= x <= hi for x in nums), (found, values)
    if unit in ("%", "%/month", ""):  # not rounded: exactly one value per stratum
        assert _strata(nums, lo, hi) == list(range(n))


@pytest.mark.parametrize(("parse", "text", "match"), [
    (parse_span, "a=1:2:3", "without STEPS"), (parse_span, "a=1%:2d", "same unit"), (parse_span, "a", "KEY=LO:HI"),
    (parse_param, "a=1:2", "a grid needs KEY=LO:HI:STEPS .*add --samples N")])
def test_sampled_and_grid_ranges_say_which_form_they_need(parse, text, match):
    """A STEPS under --samples, or a missing STEPS in a grid, is a clear error naming the form to use."""
    with pytest.raises(DocketError, match=match):
        parse(text)


def test_grid_writes_fractional_weeks_in_days():
    """A grid value that is not a whole number of weeks is written in whole days (it used to round to weeks)."""
    assert parse_param("a=1w:2w:3").values == ("1w", "10d", "2w")


def test_uncertain_inputs_are_held_at_their_sampled_quantile():
    """Without --param, each sample pins the scenario's uncertain initial size at its quantile: the sample's
    exposure is that size times the 365 days of the window, with no spread across replications."""
    data = copy.deepcopy(BASE)
    data["populations"] = [{"id": "users", "initial": {"between": ["1M", "3M"]}}]
    design = sample_design(data, [], 6, "lhs", seed=3)
    name = "param:populations.users.initial"
    assert design.columns == (name,) and design.pilot == 256
    table, _, _ = run_design(data, design, replications=20)
    assert table.columns[:2].tolist() == ["sample", name] and table["sample"].tolist() == list(range(1, 7))
    for i, pins in enumerate(design.pins):
        size = 1e6 + 2e6 * pins[name]  # the uniform's quantile
        assert table[name][i] == f"{size:.6g}"
        row = table.iloc[i]
        assert row["exposure.total.mean"] == pytest.approx(size * 365, rel=1e-9), f"sample {i + 1}"
        assert row["exposure.total.p05"] == row["exposure.total.p95"], f"sample {i + 1} should not vary"
    assert _strata([float(v) for v in table[name]], 1e6, 3e6) == list(range(6))


def test_inputs_patterns_pick_the_sampled_inputs():
    """`--inputs` patterns keep the matching stream names only; a pattern matching none lists what exists."""
    data = copy.deepcopy(BASE)
    data["populations"] = [{"id": "users", "initial": {"between": ["1M", "3M"]},
                            "outflow": {"between": ["1%/month", "3%/month"]}}]
    every = sample_design(data, [], 4, seed=1)
    assert every.columns == ("param:populations.users.initial", "param:populations.users.outflow")
    assert sample_design(data, [], 4, seed=1, patterns=["*.outflow"]).columns == ("param:populations.users.outflow",)
    with pytest.raises(DocketError, match=re.escape("the 2 found are param:populations.users.initial")):
        sample_design(data, [], 4, patterns=["event:*"])


def test_no_uncertain_input_is_a_clear_error():
    """A scenario without uncertain values cannot be sampled without --param; the error says what to do."""
    with pytest.raises(DocketError, match="--param KEY=LO:HI"):
        sample_design(BASE, [], 4)


def test_cli_writes_sampled_table_and_chart(tmp_path):
    """`docket sweep --samples N --method lhs` writes one row per sample (sample, inputs, outcomes) and a chart,
    over the scenario's uncertain inputs or over named parameters."""
    runner = CliRunner()
    out = tmp_path / "inputs"
    res = runner.invoke(cli, ["sweep", "scenarios/connected-vehicles-2025.yaml", "--samples", "5", "--method",
                              "lhs", "-n", "20", "--workers", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 5 and table.columns[0] == "sample"
    assert sum(c.startswith("param:") for c in table.columns) == 9 and table.columns[10].endswith(".total.mean")
    assert (out / "sweep.png").stat().st_size > 10_000 and "every row and column is in sweep.csv" in res.output
    out = tmp_path / "named"
    res = runner.invoke(cli, ["sweep", "scenarios/quickstart.yaml", "--samples", "4", "--method", "random",
                              "--param", "measures.sales_ban.deadline=2026-02-01:2026-06-01", "-n", "10",
                              "--workers", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "sweep.csv")
    assert table.columns[:2].tolist() == ["sample", "measures.sales_ban.deadline"] and len(table) == 4
    assert (out / "sweep.png").stat().st_size > 10_000


@pytest.mark.parametrize(("args", "message"), [
    (["--samples", "4"], "needs --method lhs or random"),
    (["--method", "lhs"], "needs --samples N"),
    ([], "a grid needs at least one --param"),
    (["--samples", "4", "--method", "lhs", "--param", "a=1:2", "--inputs", "param:*"], "--inputs picks"),
])
def test_cli_bad_combinations_are_usage_errors(args, message):
    """Options that do not go together exit with code 2 and say which option needs which."""
    res = CliRunner().invoke(cli, ["sweep", "scenarios/quickstart.yaml", *args])
    assert res.exit_code == 2 and message in res.output, res.output
