"""Every number on page 1 (key numbers) equals the curves the charts draw, on the same date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from plots import in_force as in_force_chart
from sim import load_scenario, run
from sim.engine.replications import dated_days, grids, report_grid
from sim.runs.results import Results

CASES = ("tiktok-wechat-2020", "carrier-revocations-2021")


@pytest.fixture(scope="module", params=CASES)
def res(request: pytest.FixtureRequest) -> Results:
    return run(load_scenario(f"scenarios/{request.param}.yaml"), replications=200)


def _at(rows: pd.DataFrame, iso: str) -> pd.Series:
    hit = rows[rows["date"] == pd.Timestamp(iso)]
    assert len(hit) == 1, f"the curve has no row on {iso} (expected exactly one)"
    return hit.iloc[0]


def test_in_force_on_page_one_equals_the_curve(res: Results) -> None:
    """P(in force on a key date) in the key-numbers table is the in-force curve's value on that date."""
    for mid, m in res.summary["measures"].items():
        for iso, p in m["p_in_force_on"].items():
            assert res.in_force_on(mid, iso) == p, f"{mid} on {iso}: page 1 says {p}, the curve says " \
                f"{res.in_force_on(mid, iso)}"


def _step_value(xs: Any, ys: Any, when: dt.date) -> float:
    """The value a post-step line drawn through (xs, ys) shows on ``when``."""
    days = np.array([pd.Timestamp(x).date().toordinal() if not isinstance(x, float) else x for x in xs], float)
    if days.max() < 1e5:  # matplotlib date numbers (days since 1970-01-01)
        days = days + dt.date(1970, 1, 1).toordinal()
    i = np.searchsorted(days, when.toordinal(), side="right") - 1
    return float(ys[i])


def test_the_in_force_chart_draws_page_one_numbers(res: Results) -> None:
    """The lines of the in-force chart pass through page 1's P(in force) on each key date."""
    fig = in_force_chart.plot(res)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines() if not str(line.get_label()).startswith("_")}
    for m in res.scenario.measures:
        line = next(v for k, v in lines.items() if k.replace("\n", " ") == (m.title or m.id))
        for iso, p in res.summary["measures"][m.id]["p_in_force_on"].items():
            shown = _step_value(line.get_xdata(), line.get_ydata(), dt.date.fromisoformat(iso))
            assert shown == pytest.approx(p, abs=1e-12), f"{m.id} on {iso}: chart {shown}, page 1 {p}"


def test_populations_on_page_one_equal_the_curves(res: Results) -> None:
    """Each population's median and 90% interval on each key date are the stock curve's on that date."""
    for pid, by_date in res.summary["populations"].items():
        rows = res.curve(pid, "stock")
        for iso, st in by_date.items():
            row = _at(rows, iso)
            for key in ("p50", "p05", "p95", "mean"):
                assert row[key] == st[key], f"{pid} {key} on {iso}: page 1 {st[key]}, curve {row[key]}"


def test_exposure_on_page_one_equals_the_curves_at_the_end(res: Results) -> None:
    """Each metric's total, avoided and no-measure totals are the cumulative curves' last values."""
    end = res.summary["window"]["end"]
    for mid, e in res.summary["exposure"].items():
        for key, quantity in (("total", "cumulative"), ("avoided", "avoided"), ("counterfactual", "cumulative_cf")):
            row = _at(res.curve(mid, quantity), end)
            for stat in ("p50", "p05", "p95"):
                assert row[stat] == e[key][stat], f"{mid} {key} {stat}: page 1 {e[key][stat]}, curve {row[stat]}"


def test_curves_have_a_point_on_every_planned_date(res: Results) -> None:
    """The planned deadlines and key dates, and the day before each, are rows of every curve."""
    s = res.scenario
    start = dt.date.fromordinal(s.start_day)
    want = {pd.Timestamp(start + dt.timedelta(days=d)) for d in dated_days(s)}
    have = set(res.curve(s.populations[0].id, "stock")["date"])
    assert want <= have, f"missing dates: {sorted(want - have)[:5]}"


def test_the_report_grid_keeps_its_rows(res: Results) -> None:
    """``series`` (series.csv, the baselines) holds exactly the report grid; the dated days are in ``dated``."""
    s = res.scenario
    grid = {pd.Timestamp(dt.date.fromordinal(s.start_day + d)) for d in report_grid(s)}
    assert set(res.series["date"]) == grid
    assert not set(res.dated["date"]) & grid


def test_flagship_app_store_in_force_from_sep_20() -> None:
    """On the flagship, the TikTok app-store ban's curve is not 0 on its deadline (the weekly grid skips it)."""
    s = load_scenario("scenarios/tiktok-wechat-2020.yaml")
    res = run(s, replications=200)
    p = res.in_force_on("tiktok_app_store", "2020-09-20")
    on_grid = res.in_force[res.in_force["measure"] == "tiktok_app_store"]
    sampled = float(on_grid[on_grid["date"] <= pd.Timestamp("2020-09-20")]["probability"].iloc[-1])
    assert sampled == 0.0 and p > 0.3, f"expected the grid to read 0 and the curve over 30% on Sep 20, got " \
        f"{sampled} and {p}"


def test_events_do_not_depend_on_the_grid() -> None:
    """Adding solved days changes neither the event log nor, beyond float noise, any value on a report day."""
    from sim.runs.runner import collect
    from sim.scenario.loaded import load

    s = load("scenarios/transit-buses-2021.yaml", "fully_funded").scenario
    plain = sorted(set(report_grid(s)))
    full, _ = grids(s, range(0, 400, 3))
    a, b = collect(s, 50, 0, plain), collect(s, 50, 0, full)
    assert a.log.rows() == b.log.rows()
    idx = [full.index(d) for d in plain]
    x, y = a.arrays["metric_cum"], b.arrays["metric_cum"][:, idx]
    scale = np.abs(x).max()
    assert np.abs(x - y).max() <= 1e-9 * scale
