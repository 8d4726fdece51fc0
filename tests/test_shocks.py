"""Shocks: effects outside the measures, on their own dates, in the factual run and the counterfactual alike."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.engine.replications import replicate, report_grid
from sim.scenario.errors import ScenarioError
from tests.conftest import build, day, measure

SIGNUPS = {"populations": [{"id": "users", "initial": 0, "inflow": "1k/day"}],
           "metrics": [{"id": "exposure", "terms": [{"population": "users"}]}], "report": "day", "replications": 4}


def outage(**extra: Any) -> dict[str, Any]:
    """A shock blocking sign-ups from 2020-01-11 (day 10) for 5 days."""
    return {"id": "outage", "date": "2020-01-11", "duration": "5d",
            "effects": [{"type": "scale_inflow", "population": "users", "factor": 0}], **extra}


def stocks(**changes: Any) -> tuple[np.ndarray, np.ndarray, list[int], Any]:
    """Replication 0's stocks of ``users`` with and without the measures, the grid and the chunk."""
    s = build(**{**SIGNUPS, **changes})
    grid = report_grid(s)
    chunk = replicate(s, s.seed, 0, 2, grid)
    return chunk.stocks[0, :, 0], chunk.cf_stocks[0, :, 0], grid, chunk


def test_a_shock_scales_inflow_for_its_duration_in_both_runs() -> None:
    """Hand-computed: 1,000 sign-ups a day, none on days 10-14: 25,000 on day 30, with and without measures."""
    x, cf, grid, _ = stocks(shocks=[outage()])
    assert x[grid.index(10)] == pytest.approx(10_000, rel=1e-12)
    assert x[grid.index(15)] == pytest.approx(10_000, rel=1e-12), "no sign-up during the outage"
    assert x[grid.index(30)] == pytest.approx(25_000, rel=1e-12)
    assert np.array_equal(x, cf), "a shock is not a measure: the counterfactual has it too"


def test_avoided_exposure_counts_only_the_measures() -> None:
    """A ban on sign-ups from day 20 and the outage on days 10-14: on day 30 the factual run has the sign-ups of
    days 0-9 and 15-19 (15,000), the counterfactual those of every day but the outage (25,000); avoided
    exposure is the ban's alone, the integral of 1,000 (t - 20) from 20 to 30 = 50,000 user-days."""
    x, cf, grid, chunk = stocks(shocks=[outage()], measures=[measure(deadline="2020-01-21")])
    assert x[grid.index(30)] == pytest.approx(15_000, rel=1e-12)
    assert cf[grid.index(30)] == pytest.approx(25_000, rel=1e-12)
    assert chunk.avoided[0, grid.index(30), 0] == pytest.approx(50_000, rel=1e-9)


def test_a_sub_day_shock_is_a_share_of_a_day() -> None:
    """A 14-hour outage written ``duration: 1d, intensity: 14/24``: the day's inflow is 10/24 of 1,000."""
    x, _, grid, _ = stocks(shocks=[outage(duration="1d", intensity=14 / 24)])
    assert x[grid.index(11)] - x[grid.index(10)] == pytest.approx(1000 * 10 / 24, rel=1e-12)
    assert x[grid.index(30)] == pytest.approx(30_000 - 1000 * 14 / 24, rel=1e-12)


def test_a_shock_without_duration_lasts_to_the_end_and_a_transfer_shock_moves_members() -> None:
    """A migration wave to a rival from day 10 at 1%/day (continuous rate -ln 0.99) to the end of the window."""
    pops = [{"id": "users", "initial": "1M"}, {"id": "rival", "initial": 0}]
    wave = {"id": "wave", "date": "2020-01-11", "effects": [{"type": "transfer", "from": "users", "to": "rival",
                                                              "rate": "1%/day"}]}
    x, cf, grid, _ = stocks(populations=pops, shocks=[wave])
    t = np.array(grid, dtype=float)
    assert x == pytest.approx(1e6 * np.exp(np.log(0.99) * np.clip(t - 10, 0, None)), rel=1e-9)
    assert np.array_equal(x, cf)


def test_a_shock_dated_from_an_event_happens_only_with_it() -> None:
    """``date: deal + 2d``: the outage begins two days after the deal, and not at all without it."""
    deal = {"id": "deal", "date": "2020-01-09"}
    x, _, grid, chunk = stocks(events=[deal], shocks=[outage(date="deal + 2d")])
    assert x[grid.index(30)] == pytest.approx(25_000, rel=1e-12)
    rows = [(d, subject, what) for r, d, subject, what, _ in chunk.log.rows() if r == 0]
    assert (10, "outage", "began") in rows and (15, "outage", "ended") in rows
    x, _, _, _ = stocks(events=[{**deal, "probability": 0}], shocks=[outage(date="deal + 2d")])
    assert x[grid.index(30)] == pytest.approx(30_000, rel=1e-12)


def test_an_uncertain_shock_draws_from_its_own_streams() -> None:
    """Adding a shock changes no other draw: the measure's deferrals are the same with and without it."""
    deferred = measure(deadline="2020-03-01", deferral={"probability": 0.5, "delay": "30d", "max": 3})
    maybe = outage(probability=0.5, date={"between": ["2020-01-05", "2020-02-05"]})
    s0 = build(**{**SIGNUPS, "replications": 64}, measures=[deferred])
    s1 = build(**{**SIGNUPS, "replications": 64}, measures=[deferred], shocks=[maybe])
    grid = report_grid(s0)
    a, b = replicate(s0, 3, 0, 64, grid), replicate(s1, 3, 0, 64, grid)
    assert np.array_equal(a.in_force, b.in_force) and np.array_equal(a.extensions, b.extensions)
    began = {r for r, _, subject, what, _ in b.log.rows() if subject == "outage" and what == "began"}
    assert 10 < len(began) < 54, "about half the replications have the outage"


def test_a_shock_on_a_measure_state_keeps_the_runs_date_in_the_counterfactual() -> None:
    """Users drifting back after a reprieve: a ban on sign-ups from Mar 1 (day 60) deferred by 10 days at its
    deadline, and the outage dated ``ban.deferred`` (day 60, for 5 days). Hand-computed: the counterfactual
    has the outage on days 60-64 too, so it has 90,000 - 5,000 = 85,000 users on day 90; the run also lacks the
    sign-ups of the ban's days 70-89 (20,000): 65,000; avoided is the ban's alone."""
    deferred = measure(deferral={"probability": 1, "delay": "10d", "max": 1})
    x, cf, grid, chunk = stocks(shocks=[outage(date="ban.deferred")], measures=[deferred])
    rows = [(d, subject, what) for r, d, subject, what, _ in chunk.log.rows() if r == 0]
    assert (60, "outage", "began") in rows and (65, "outage", "ended") in rows
    assert cf[grid.index(90)] == pytest.approx(85_000, rel=1e-12), "the counterfactual has the run's shock"
    assert x[grid.index(90)] == pytest.approx(65_000, rel=1e-12)
    x, cf, _, _ = stocks(shocks=[outage(date="ban.deferred")], measures=[measure(deferral={
        "probability": 0, "delay": "10d", "max": 1})])
    assert cf[grid.index(90)] == pytest.approx(90_000, rel=1e-12), "never deferred: no shock in either run"


def test_a_shock_before_the_window_acts_for_what_is_left_of_it() -> None:
    """An outage dated 3 days before the start for 5 days blocks days 0 and 1 only."""
    x, _, grid, _ = stocks(shocks=[outage(date="2019-12-29")])
    assert x[grid.index(30)] == pytest.approx(28_000, rel=1e-12)


@pytest.mark.parametrize(("shock", "events", "message"), [
    (outage(date="2021-02-01"), [], "the shock is dated after the simulated window"),
    (outage(date="ban.enjoined"), [], "measure `ban` can never be enjoined, so this date never comes"),
    (outage(date="nothing + 1d"), [], "`nothing` is not a known event or measure"),
    ({**outage(), "effects": [{"type": "scale_inflow", "population": "user", "factor": 0}]}, [],
     "`user` is not a known population"),
])
def test_bad_shocks_are_refused_where_they_are(shock: dict[str, Any], events: list[Any], message: str) -> None:
    """Each mistake is one diagnostic naming the shock's key, with a hint."""
    with pytest.raises(ScenarioError) as err:
        build(**SIGNUPS, measures=[measure()], events=events, shocks=[shock])
    found = [d for d in err.value.diagnostics if d.message == message]
    assert found and found[0].hint, [d.format() for d in err.value.diagnostics]


def test_an_unknown_key_of_a_shock_is_refused() -> None:
    """``duraton`` is a misspelt key (strict models)."""
    with pytest.raises(ScenarioError, match="duraton"):
        build(**SIGNUPS, shocks=[{**outage(), "duraton": "5d"}])


def test_day_helper_matches_the_outage_dates() -> None:
    """The test dates above: 2020-01-11 is day 10."""
    assert day("2020-01-11") == 10
