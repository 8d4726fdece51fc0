"""The engine end to end: closed-form answers, grids, reproducibility, common random numbers, outputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import build, day, measure

from sim.engine.replications import replicate, report_grid
from sim.runs.runner import run
from sim.scenario.loader import load_scenario

A, X0 = 10_000.0, 1_000_000.0
D = -math.log(1 - 0.02) / (365.25 / 12)  # 2%/month as a continuous rate per day


def stock(t: float, block: int) -> float:
    """Closed form: constant inflow A and churn D, inflow blocked from day `block`."""
    eq = A / D
    if t <= block:
        return eq + (X0 - eq) * math.exp(-D * t)
    return stock(block, block) * math.exp(-D * (t - block))


def integral(t: float, block: int) -> float:
    """Closed form of the integral of `stock` from 0 to t."""
    eq = A / D
    first = min(t, block)
    total = eq * first + (X0 - eq) * (1 - math.exp(-D * first)) / D
    if t > block:
        total += stock(block, block) * (1 - math.exp(-D * (t - block))) / D
    return total


def series(res, sid, qty="stock", col="p50"):
    s = res.series
    return s[(s.series == sid) & (s.quantity == qty)].set_index("date")[col]


@pytest.mark.parametrize("report", ["day", "week", "month"])
def test_closed_form_blocked_inflow(report):
    """One stock with inflow and churn, inflow blocked from day 30: exact at every report date (rel < 1e-9)."""
    s = build(report=report, replications=3, measures=[measure(deadline="2020-01-31")])
    res = run(s)
    users = series(res, "users")
    cum = series(res, "exposure", "cumulative")
    for date, value in users.items():
        t = (date.date() - pd.Timestamp("2020-01-01").date()).days
        assert value == pytest.approx(stock(t, 30), rel=1e-9), f"users on {date.date()}"
        assert cum[date] == pytest.approx(integral(t, 30), rel=1e-9, abs=1e-6), f"user-days on {date.date()}"


def test_value_on_a_date_independent_of_grid():
    """The value on 2020-12-01 is the same with daily, weekly and monthly grids."""
    base = {"window": {"start": "2020-01-01", "end": "2020-12-31"}, "key_dates": ["2020-12-01"],
            "measures": [measure(deferral={"probability": 0.5, "delay": {"between": ["5d", "40d"]}, "max": 2})]}
    values = [run(build(report=r, replications=50, **base)).summary["populations"]["users"]["2020-12-01"]["p50"]
              for r in ("day", "week", "month")]
    assert values[1] == pytest.approx(values[0], rel=1e-12)
    assert values[2] == pytest.approx(values[0], rel=1e-12)


def test_two_stock_substitution_closed_form():
    """A transfer at rate k from A to B (no other flows) gives A = A0 e^-kt and B = A0 (1 - e^-kt)."""
    pops = [{"id": "a", "initial": "1M"}, {"id": "b", "initial": 0}]
    eff = {"type": "transfer", "from": "a", "to": "b", "time_constant": "50d"}
    s = build(populations=pops, metrics=[], replications=2, report="day",
              measures=[{"id": "m", "deadline": "2020-01-01", "effects": [eff]}])
    res = run(s)
    a, b = series(res, "a"), series(res, "b")
    for t, (va, vb) in enumerate(zip(a, b, strict=True)):
        assert va == pytest.approx(1e6 * math.exp(-t / 50), rel=1e-9)
        assert vb == pytest.approx(1e6 * (1 - math.exp(-t / 50)), rel=1e-9, abs=1e-6)


def test_ceiling_tapers_inflow():
    """With a ceiling K the stock approaches the equilibrium of a (K - x)/(K - x0) inflow and churn."""
    pops = [{"id": "users", "initial": "1M", "inflow": "10k/day", "ceiling": "2M"}]
    res = run(build(populations=pops, replications=2, report="month"))
    a, K = 1e4, 2e6
    rate = a / (K - 1e6)
    last = series(res, "users").iloc[-1]
    assert last == pytest.approx(K - (K - 1e6) * math.exp(-rate * 365), rel=1e-9)


def test_counterfactual_and_avoided_are_paired():
    """Avoided exposure is counterfactual minus actual, per replication, and zero before the deadline."""
    s = build(replications=40, measures=[measure(deadline="2020-06-01")])
    res = run(s, keep_replications=True)
    reps = res.replication_series
    piv = reps[reps.series == "exposure"].pivot_table(index=["replication", "date"], columns="quantity",
                                                      values="value")
    assert np.allclose(piv["avoided"], piv["cumulative_cf"] - piv["cumulative"])
    early = piv.xs(pd.Timestamp("2020-05-27"), level="date")
    assert (early["avoided"].abs() < 1e-6 * early["cumulative"]).all()


def test_stop_updates_counts_unpatched_only_while_in_force():
    """An `only: unpatched` term counts the population only while updates are stopped."""
    eff = [{"type": "stop_updates", "population": "users"}]
    metrics = [{"id": "unpatched", "terms": [{"population": "users", "only": "unpatched"}]}]
    s = build(replications=2, metrics=metrics, report="day",
              measures=[{"id": "m", "deadline": "2020-03-01", "effects": eff}])
    res = run(s)
    val = series(res, "unpatched", "value")
    users = series(res, "users")
    assert (val[: "2020-02-29"] == 0).all()
    assert np.allclose(val["2020-03-01":], users["2020-03-01":], rtol=1e-12)


def test_phase_in_steps():
    """A 14-day phase-in in weekly steps applies half the effect for the first week."""
    eff = [{"type": "raise_outflow", "population": "users", "extra": "50%/30d", "phase_in": "14d"}]
    pops = [{"id": "users", "initial": "1M"}]
    s = build(populations=pops, replications=1, report="day",
              measures=[{"id": "m", "deadline": "2020-03-01", "effects": eff}])
    users = series(run(s), "users")
    rate = -math.log(0.5) / 30
    t0 = pd.Timestamp("2020-03-01")
    assert users[t0 + pd.Timedelta(days=7)] == pytest.approx(1e6 * math.exp(-rate * 0.5 * 7), rel=1e-9)
    assert users[t0 + pd.Timedelta(days=10)] == pytest.approx(
        1e6 * math.exp(-rate * 0.5 * 7 - rate * 3), rel=1e-9)


def test_waiver_halves_effect():
    """A 50% waiver halves the intensity of the measure's effects while it lasts."""
    eff = [{"type": "raise_outflow", "population": "users", "extra": "50%/30d"}]
    pops = [{"id": "users", "initial": "1M"}]
    waiver = [{"id": "w", "share": "50%", "from": "2020-03-01", "until": "2020-03-11"}]
    s = build(populations=pops, replications=1, report="day",
              measures=[{"id": "m", "deadline": "2020-03-01", "effects": eff, "waivers": waiver}])
    users = series(run(s), "users")
    rate = -math.log(0.5) / 30
    assert users[pd.Timestamp("2020-03-11")] == pytest.approx(1e6 * math.exp(-rate * 0.5 * 10), rel=1e-9)


def test_same_seed_same_results():
    """Two runs with the same seed are bit-identical."""
    s = build(replications=30, measures=[measure(deferral={"probability": 0.5, "delay": "10d", "max": 2})])
    a, b = run(s), run(s)
    pd.testing.assert_frame_equal(a.series, b.series, check_exact=True)
    pd.testing.assert_frame_equal(a.events, b.events)


def test_workers_and_chunks_do_not_change_results(flagship_path):
    """One worker or two, one chunk or many: identical numbers."""
    from sim.runs.runner import collect

    s = load_scenario(flagship_path)
    grid = report_grid(s)
    one = collect(s, 40, 3, grid, workers=1, chunk=1024)
    many = collect(s, 40, 3, grid, workers=2, chunk=16)
    for field in ("stocks", "metric_cum", "avoided", "first_in_force", "in_force"):
        assert np.array_equal(one.arrays[field], many.arrays[field]), field
    assert one.log.rows() == many.log.rows()


def test_adding_unrelated_measure_keeps_draws():
    """Common random numbers: adding a measure leaves another measure's effective dates unchanged."""
    a = measure("a", deferral={"probability": 0.5, "delay": {"between": ["5d", "60d"]}, "max": 3},
                challenges=[{"id": "suit", "decision": {"between": ["2020-02-01", "2020-06-01"]},
                             "injunction": 0.3}])
    b = measure("b", "2020-04-01", deferral={"probability": 0.7, "delay": "20d", "max": 2})
    s1, s2 = build(measures=[a]), build(measures=[b, a])
    grid = report_grid(s1)
    c1, c2 = replicate(s1, 9, 0, 200, grid), replicate(s2, 9, 0, 200, grid)
    assert np.array_equal(c1.first_in_force[:, 0], c2.first_in_force[:, 1])
    assert np.isfinite(c1.first_in_force[:, 0]).sum() > 20  # the draws did vary


def test_check_mode_passes_on_flagship(flagship_path):
    """The flagship runs end to end with the accounting check on, and its numbers make sense."""
    res = run(load_scenario(flagship_path), replications=64, verify_accounting=True)
    assert res.check_error < 1e-9
    first = series(res, "tiktok_users", col="mean").iloc[0]
    assert first == pytest.approx(100e6)
    assert set(res.summary["measures"]) == {"tiktok_app_store", "wechat_prohibitions", "tiktok_hosting_cutoff",
                                            "cfius_divestiture"}
    assert (res.series.drop(columns=["series", "kind", "quantity", "unit", "date"])[
        res.series.quantity.isin(["stock", "stock_cf"])] >= 0).all().all()
    json.dumps(res.summary)


def test_variant_as_announced_all_take_effect(flagship_path):
    """In the `as_announced` variant every measure is in force from its deadline in every replication."""
    res = run(load_scenario(flagship_path, "as_announced"), replications=20)
    table = res.measures.set_index("measure")
    assert (table["p_ever_in_force"] == 1.0).all()
    assert table.loc["tiktok_hosting_cutoff", "effective_p50"] == "2020-11-12"


def test_report_grid_monthly_first_of_month():
    """A monthly grid reports the start, the 1st of each month and the end."""
    s = build(report="month", window={"start": "2020-01-15", "end": "2020-04-10"})
    assert report_grid(s) == [0, day("2020-02-01", "2020-01-15"), day("2020-03-01", "2020-01-15"),
                              day("2020-04-01", "2020-01-15"), day("2020-04-10", "2020-01-15")]


def test_a_task_played_in_parts_is_the_task_played_at_once(flagship_path, monkeypatch):
    """A task of a scenario with many measures plays its replications a part at a time (bounded memory): the
    same arrays, log and inputs as one part."""
    from sim.engine import replications

    s = load_scenario(flagship_path)
    grid = report_grid(s)
    assert replications.rows_at_a_time(s) == replications.CHUNK  # four measures: one part per task
    whole = replications.chunk_task((s, 5, 10, 110, grid, False, np.float64, None))
    played = []
    replicate = replications.replicate
    monkeypatch.setattr(replications, "replicate", lambda *a, **k: played.append(a[3] - a[2]) or replicate(*a, **k))
    monkeypatch.setattr(replications, "rows_at_a_time", lambda scenario: 30)  # at most 30: parts of 25
    parts = replications.chunk_task((s, 5, 10, 110, grid, False, np.float64, None))
    assert played == [25, 25, 25, 25]
    assert parts.start == whole.start == 10
    for key in replications.ARRAYS:
        assert np.array_equal(getattr(parts, key), getattr(whole, key)), key
    assert parts.log.rows() == whole.log.rows()
    assert parts.inputs == whole.inputs
