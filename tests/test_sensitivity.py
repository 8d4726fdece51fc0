"""`docket sensitivity`: global measures from the base run and one-at-a-time runs on common random numbers."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import BASE, build, measure

from cli import cli
from sim.runs.outdir import task_cache
from sim.scenario.errors import DocketError
from sim.studies.sensitivity import TRIAL_HIGH, TRIAL_LOW, first_order, parse_outcome, rank_correlation, sensitivity

DRIVER = "param:populations.users.initial"
NOISE = "param:populations.other.initial"


def _data(**changes: object) -> dict:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return data


def _run(data: dict, outcome: str, **kwargs: object):
    from sim.scenario.loaded import load

    return sensitivity(load(data, filename="<test>"), outcome, **kwargs)


@pytest.fixture(scope="module")
def closed_form():
    """Users stay at their uncertain initial size (1M to 2M, no flows); `other` is uncertain and irrelevant."""
    data = _data(populations=[{"id": "users", "initial": {"between": ["1M", "2M"]}},
                              {"id": "other", "initial": {"between": ["5M", "9M"]}}])
    return _run(data, "exposure", replications=200, top=0)


def test_driver_ranks_first_and_noise_last(closed_form):
    """The outcome is increasing in the driver: rank correlation exactly 1, first-order index near 1; the
    irrelevant input has |rank correlation| and first-order index within sampling error of 0 (200 runs:
    tolerances are about 2.5 and 4 standard errors)."""
    t = closed_form.table.set_index("input")
    assert t.loc[DRIVER, "rank_correlation"] == pytest.approx(1.0, abs=1e-12)
    assert t.loc[DRIVER, "first_order"] > 0.98, "binning loses at most 1/bins^2 of a linear effect"
    assert abs(t.loc[NOISE, "rank_correlation"]) < 0.18
    assert t.loc[NOISE, "first_order"] < 0.1
    assert list(closed_form.table["input"]) == [DRIVER, NOISE], "biggest swing first"


def test_tornado_ends_are_the_closed_form_values(closed_form):
    """Held at its 10% and 90% quantiles, the driver gives exactly 1.1M and 1.9M users over the window
    (exposure = initial size x 365 days from 2020-01-01 to 2020-12-31); the irrelevant input moves nothing
    (same draws in every run: swing exactly 0)."""
    t = closed_form.table.set_index("input")
    days = 365
    assert t.loc[DRIVER, "low_mean"] == pytest.approx(1.1e6 * days, rel=1e-9)
    assert t.loc[DRIVER, "high_mean"] == pytest.approx(1.9e6 * days, rel=1e-9)
    assert (t.loc[DRIVER, "low_text"], t.loc[DRIVER, "high_text"]) == ("1.1M", "1.9M")
    assert t.loc[NOISE, "swing"] == 0.0
    assert t.loc[NOISE, "low_mean"] == t.loc[NOISE, "high_mean"] == closed_form.base_mean
    assert t["in_tornado"].all(), "top=0 runs every input one at a time"
    assert closed_form.outcome.unit == "user-days"


def test_ranking_never_puts_two_measures_on_one_axis(closed_form):
    """The ranking chart gives the rank correlation and the first-order index one panel each, each panel's
    x label naming its measure and its bars that measure's values; in one axes it cannot split, only the
    rank correlation."""
    from matplotlib.figure import Figure

    from plots import tornado

    fig = tornado.plot_ranking(closed_form)
    panels = [a for a in fig.axes if a.patches]
    assert [a.get_xlabel().replace("\n", " ") for a in panels] == [
        "|rank correlation| with the outcome", "first-order index: share of variance explained alone"]
    t = closed_form.table
    for a, column in zip(panels, ("rank_correlation", "first_order"), strict=True):
        widths = sorted(p.get_width() for p in a.patches)
        assert widths == pytest.approx(sorted(t[column].abs())), column
    lone = Figure().add_axes((0.1, 0.1, 0.8, 0.8))
    tornado.plot_ranking(closed_form, ax=lone)
    assert lone.get_xlabel().replace("\n", " ") == "|rank correlation| with the outcome"
    assert sorted(p.get_width() for p in lone.patches) == pytest.approx(sorted(t["rank_correlation"].abs()))


def test_trial_input_moves_in_force_from_certain_to_never():
    """A deferral held at `yes` (quantile 1e-9) means the ban is never in force two weeks after its deadline;
    held at `no`, always (the deferral delays it 60 days)."""
    data = _data(measures=[measure(deferral={"probability": 0.5, "delay": "60d", "max": 1})])
    sens = _run(data, "ban@2020-03-15", replications=100)
    row = sens.table.set_index("input").loc["measure:ban:deferral:u"]
    assert (row["low_quantile"], row["high_quantile"]) == (TRIAL_LOW, TRIAL_HIGH)
    assert (row["low_text"], row["high_text"]) == ("yes", "no")
    assert (row["low_mean"], row["high_mean"], row["swing"]) == (0.0, 1.0, 1.0)
    assert 0.3 < sens.base_mean < 0.7, "about half of the deadlines slip"
    assert row["rank_correlation"] > 0.8 and row["first_order"] > 0.8
    assert sens.outcome.is_probability and "in force by 2020-03-15" in sens.table_text()
    on_the_day = _run(data, "ban@2020-03-01", replications=20).table.iloc[0]
    assert on_the_day["high_mean"] == 1.0, "in force from its deadline counts as in force by that day"


def test_rank_correlation_matches_scipy_with_ties_and_is_nan_when_constant():
    """Spearman with average ranks for ties, as scipy computes it; a constant outcome gives NaN, not a warning."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    x, y = rng.random(300), rng.integers(0, 4, 300).astype(float)
    assert rank_correlation(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(rank_correlation(x, np.ones(300)))
        assert np.isnan(first_order(x, np.ones(300)))


def test_first_order_sees_a_non_monotone_effect():
    """Y = (u - 0.5)^2 has rank correlation near 0 but is a function of u: first-order index near 1."""
    u = np.random.default_rng(5).random(1000)
    y = (u - 0.5) ** 2
    assert abs(rank_correlation(u, y)) < 0.1
    assert first_order(u, y) > 0.95


def test_first_order_of_noise_is_corrected_to_zero():
    """Bin means of pure noise still differ: uncorrected, 32 bins of 1000 runs explain ~31/999 = 3.1% of the
    variance (sd 0.8%). The correction removes that: the median estimate over 21 noise outcomes is below 1%."""
    rng = np.random.default_rng(11)
    u = rng.random(1000)
    found = [first_order(u, rng.normal(size=1000)) for _ in range(21)]
    assert np.median(found) < 0.01, found


def test_bad_outcomes_are_clear_errors():
    """An unknown name lists every valid outcome (with a suggestion); a date must be inside the window."""
    s = build(measures=[measure()])
    with pytest.raises(DocketError, match=r"did you mean `exposure`.*valid outcomes: exposure, exposure.avoided, "
                                          r"users, ban"):
        parse_outcome(s, "exposur")
    with pytest.raises(DocketError, match="outside the window 2020-01-01 to 2020-12-31"):
        parse_outcome(s, "users@2021-01-01")
    with pytest.raises(DocketError, match="not a date"):
        parse_outcome(s, "users@soon")
    assert parse_outcome(s, "exposure.avoided@2020-06-01").quantity == "avoided"


def test_scenario_without_uncertain_inputs_is_an_error():
    """Every value fixed and every event certain: nothing to rank, and the message says how to add uncertainty."""
    with pytest.raises(DocketError, match="no uncertain inputs"):
        _run(_data(), "users", replications=10)


def test_cli_writes_outputs_and_workers_do_not_change_numbers(tmp_path):
    """`docket sensitivity` prints the table, writes the CSV and both charts, removes its task cache, and gives
    bit-identical numbers with one or two workers."""
    runner = CliRunner()
    tables = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        res = runner.invoke(cli, ["sensitivity", "scenarios/connected-vehicles-2025.yaml", "--outcome",
                                  _first_metric(), "-n", "40", "--top", "3", "--workers", workers, "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert "rank corr." in res.output and "wrote" in res.output
        for chart in ("tornado.png", "ranking.png"):
            assert (out / chart).stat().st_size > 10_000
        assert not task_cache(out).exists() and not (out / "tasks").exists()
        tables.append((out / "sensitivity.csv").read_text())
    assert tables[0] == tables[1]
    table = pd.read_csv(tmp_path / "w1" / "sensitivity.csv")
    assert table["in_tornado"].sum() == 3 and len(table) == 9
    bad = runner.invoke(cli, ["sensitivity", "scenarios/quickstart.yaml", "--outcome", "nope", "--out",
                              str(tmp_path / "bad")])
    assert bad.exit_code != 0 and "valid outcomes: unpatched_routers" in str(bad.exception)


def _first_metric() -> str:
    from sim.scenario.loader import load_scenario

    return load_scenario("scenarios/connected-vehicles-2025.yaml").metrics[0].id
