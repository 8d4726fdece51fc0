"""`docket sweep`: parameter grids on common random numbers."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import BASE, measure

from cli import cli
from sim.errors import DocketError
from sim.sweep import grid, parse_param, sweep


def test_parse_values_with_units():
    """Ranges of dates, percentages, durations and rates are spaced evenly in their own unit."""
    assert parse_param("a=2020-01-01:2020-01-31:3").values == ("2020-01-01", "2020-01-16", "2020-01-31")
    assert parse_param("a=10%:30%:3").values == ("10%", "20%", "30%")
    assert parse_param("a=7d:21d:3").values == ("7d", "14d", "21d")
    assert parse_param("a=1%/month:3%/month:2").values == ("1%/month", "3%/month")
    assert parse_param("a=0.5:0.5:1").values == ("0.5",)


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
    """Sweeping the deadline later gives non-decreasing median exposure (same draws at every point)."""
    data = copy.deepcopy(BASE)
    data["measures"] = [measure(deferral={"probability": 0.5, "delay": "20d", "max": 2})]
    table, results, _ = sweep(data, [parse_param("measures.ban.deadline=2020-02-01:2020-08-01:4")], replications=40)
    medians = table["exposure.total.p50"].tolist()
    assert medians == sorted(medians) and medians[0] < medians[-1]
    assert len(results) == 4 and table["measures.ban.deadline"].iloc[0] == "2020-02-01"


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
