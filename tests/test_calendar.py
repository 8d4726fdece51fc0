"""One test per rule of docs/calendar.md."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import build, day, measure, one

from sim.quantities import add_months, day_to_date, parse_iso_date
from sim.runner import run


def test_rule1_acts_from_midnight_of_deadline():
    """Rule 1: the deadline day is the first day in force."""
    rep = one(build(measures=[measure(deadline="2020-09-20")]))
    assert rep.states["ban"].first_in_force == day("2020-09-20")


def test_rule2_until_is_exclusive():
    """Rule 2: a waiver `until` Nov 1 no longer applies on Nov 1."""
    w = [{"id": "w", "share": "40%", "from": "2020-10-01", "until": "2020-11-01"}]
    rep = one(build(measures=[measure(deadline="2020-09-20", waivers=w)]))
    assert rep.states["ban"].waiver_changes[-1] == (day("2020-11-01"), 1.0)


@pytest.mark.parametrize(("start", "months", "expected"), [
    ("2021-01-31", 1, "2021-02-28"), ("2020-01-31", 1, "2020-02-29"), ("2020-03-31", 1, "2020-04-30"),
    ("2020-01-31", 12, "2021-01-31"), ("2020-12-15", 2, "2021-02-15"),
])
def test_rule3_month_arithmetic_clamps(start, months, expected):
    """Rule 3: adding months follows the calendar and clamps to the month's last day."""
    assert day_to_date(add_months(parse_iso_date(start), months)).isoformat() == expected


def test_rule4_grid_samples_midnight():
    """Rule 4: on the deadline day the stock is untouched but the instantaneous metric already reflects it."""
    eff = [{"type": "stop_updates", "population": "users"},
           {"type": "raise_outflow", "population": "users", "extra": "50%/30d"}]
    metrics = [{"id": "unpatched", "terms": [{"population": "users", "only": "unpatched"}]}]
    s = build(report="day", replications=1, metrics=metrics,
              measures=[{"id": "m", "deadline": "2020-03-01", "effects": eff}])
    res = run(s)
    sr = res.series
    users = sr[(sr.series == "users") & (sr.quantity == "stock_cf")].set_index("date")["p50"]
    actual = sr[(sr.series == "users") & (sr.quantity == "stock")].set_index("date")["p50"]
    unpatched = sr[(sr.series == "unpatched") & (sr.quantity == "value")].set_index("date")["p50"]
    d = pd.Timestamp("2020-03-01")
    assert actual[d] == users[d]  # the measure has not acted on the stock yet at 00:00
    assert actual[d + pd.Timedelta(days=1)] < users[d + pd.Timedelta(days=1)]
    assert unpatched[d] == actual[d] and unpatched[d - pd.Timedelta(days=1)] == 0


def test_rule5_same_day_order():
    """Rule 5: on one day, a lift beats a court, which beats a deferral, which beats the deadline."""
    events = [{"id": "deal", "probability": 1, "date": "2020-03-01"}]
    lifted = one(build(events=events, measures=[measure(lifted_by=["deal"],
                                                        deferral={"probability": 1, "schedule": ["5d"]})]))
    assert lifted.states["ban"].extensions == 0 and lifted.states["ban"].switches == []
    court = measure(challenges=[{"id": "c", "decision": "2020-03-01", "injunction": 1}],
                    deferral={"probability": 1, "schedule": ["5d"]})
    enjoined = one(build(measures=[court]))
    assert enjoined.states["ban"].injunctions == 1 and enjoined.states["ban"].switches == []
    order = [e.what for e in enjoined.log]
    assert order.index("enjoined") < order.index("deferred (extension 1)")


def test_rule6_dates_before_window_happen_at_start():
    """Rule 6: a decision dated before the window acts on day 0."""
    m = measure(challenges=[{"id": "c", "filed": "2019-06-01", "decision": "2019-12-01", "injunction": 1}])
    rep = one(build(measures=[m]))
    assert (rep.log[0].day, rep.log[0].what) == (0, "enjoined")


def test_rule7_relative_to_measure_and_deadline():
    """Rule 7: `measure + d` counts from coming into force; `measure.deadline + d` from the initial deadline."""
    a = measure("a", "2020-03-01", deferral={"probability": 1, "schedule": ["10d"]})
    events = [{"id": "after_force", "probability": 1, "date": "a + 5d"},
              {"id": "after_deadline", "probability": 1, "date": "a.deadline + 5d"}]
    rep = one(build(events=events, measures=[a]))
    assert rep.event_day["after_force"] == day("2020-03-16")
    assert rep.event_day["after_deadline"] == day("2020-03-06")
