"""The calendar: :mod:`sim.scenario.calendar` (ISO dates, day numbers, month arithmetic), then one test per rule
of docs/calendar.md."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import build, day, measure, one

from sim.runs.runner import run
from sim.scenario.calendar import add_duration, add_months, day_to_date, parse_iso_date
from sim.scenario.quantities import Duration, QuantityError


def refused(parse: object, value: object) -> QuantityError:
    """Call a reader that must refuse ``value``; return its error."""
    assert callable(parse)
    with pytest.raises(QuantityError) as info:
        parse(value)
    return info.value


# --- the calendar module: ISO dates, day numbers, month arithmetic ------------------------------------------


def test_iso_date_reads_text_and_yaml_dates() -> None:
    """ISO text and YAML dates become the same day number."""
    assert parse_iso_date("2020-11-12") == dt.date(2020, 11, 12).toordinal()
    assert parse_iso_date(dt.date(2020, 11, 12)) == dt.date(2020, 11, 12).toordinal()
    assert day_to_date(parse_iso_date("2020-02-29")) == dt.date(2020, 2, 29)


def test_iso_date_refuses_impossible_days() -> None:
    """2020-02-30 is not a calendar date."""
    assert refused(parse_iso_date, "2020-02-30").message == "not a real calendar date"


def test_iso_date_refuses_times_of_day() -> None:
    """A date-time is refused with a hint to drop the time."""
    err = refused(parse_iso_date, dt.datetime(2020, 11, 12, 10, 0))
    assert err.hint == "docket works in whole days: drop the time"


@pytest.mark.parametrize("bad", ["12/11/2020", "2020-11-12T00:00", 20201112, "tomorrow"])
def test_iso_date_refuses_other_forms(bad: object) -> None:
    """Only YYYY-MM-DD (or a YAML date) is an absolute date."""
    refused(parse_iso_date, bad)


@pytest.mark.parametrize(("start", "months", "end"), [
    ("2021-01-31", 1, "2021-02-28"), ("2020-01-31", 1, "2020-02-29"), ("2020-12-15", 1, "2021-01-15"),
    ("2020-03-31", -1, "2020-02-29"), ("2020-11-12", 12, "2021-11-12"), ("2020-05-31", 13, "2021-06-30"),
    ("2021-01-15", -13, "2019-12-15"),
])  # fmt: skip
def test_add_months_follows_the_calendar_and_clamps(start: str, months: int, end: str) -> None:
    """Adding whole months keeps the day of month, clamped to the month's last day."""
    day = parse_iso_date(start)
    assert day_to_date(add_months(day, months)) == dt.date.fromisoformat(end)


def test_add_duration_mixes_months_and_days() -> None:
    """add_duration adds calendar months, then whole days; a negative sign subtracts both."""
    day = parse_iso_date("2021-01-31")
    assert day_to_date(add_duration(day, Duration(1.0, 1))) == dt.date(2021, 3, 1)
    assert day_to_date(add_duration(day, Duration(3.4))) == dt.date(2021, 2, 3)
    assert day_to_date(add_duration(day, Duration(7.0), -1)) == dt.date(2021, 1, 24)


# --- the rules of docs/calendar.md --------------------------------------------------------------------------

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


def test_rule6_shocks_and_cohort_members_before_the_window():
    """Rule 6: a shock from Dec 29 for 5 days acts on Jan 1 and 2; a member whose start is before the measure's
    deadline is bound from the deadline (the stock moves from day 20, not from its start on day 0)."""
    from sim.engine.replications import replicate, report_grid

    outage = {"id": "outage", "date": "2019-12-29", "duration": "5d",
              "effects": [{"type": "scale_inflow", "population": "users", "factor": 0}]}
    s = build(shocks=[outage], report="day", populations=[{"id": "users", "initial": 0, "inflow": "1k/day"}])
    x = replicate(s, s.seed, 0, 1, report_grid(s)).stocks[0, :, 0]
    assert (x[2], x[3]) == (0.0, 1000.0)
    group = {"id": "all", "share": "100%", "start": "2020-01-01"}
    m = {"id": "replace", "deadline": "2020-01-21", "cohorts": [group],
         "effects": [{"type": "raise_outflow", "population": "users", "extra": "1%/day"}]}
    s = build(measures=[m], report="day", populations=[{"id": "users", "initial": "1M"}])
    x = replicate(s, s.seed, 0, 1, report_grid(s)).stocks[0, :, 0]
    assert x[20] == 1e6 and x[21] < 1e6


def test_rule5_shocks_begin_in_the_events_phase():
    """Rule 5: a shock on a deal's day is logged with the events, before the day's deadline."""
    outage = {"id": "outage", "date": "2020-03-01", "duration": "2d",
              "effects": [{"type": "scale_inflow", "population": "users", "factor": 0}]}
    from sim.engine.replications import replicate, report_grid

    s = build(shocks=[outage], measures=[measure()])
    log = [(d, subject, what) for _, d, subject, what, _ in replicate(s, s.seed, 0, 1, report_grid(s)).log.rows()]
    assert log.index((day("2020-03-01"), "outage", "began")) < log.index((day("2020-03-01"), "ban", "in force"))
    assert (day("2020-03-03"), "outage", "ended") in log


def test_rule7_relative_to_measure_and_deadline():
    """Rule 7: `measure + d` counts from coming into force; `measure.deadline + d` from the initial deadline."""
    a = measure("a", "2020-03-01", deferral={"probability": 1, "schedule": ["10d"]})
    events = [{"id": "after_force", "probability": 1, "date": "a + 5d"},
              {"id": "after_deadline", "probability": 1, "date": "a.deadline + 5d"}]
    rep = one(build(events=events, measures=[a]))
    assert rep.event_day["after_force"] == day("2020-03-16")
    assert rep.event_day["after_deadline"] == day("2020-03-06")


# Rule 3, everywhere a duration is added to a date: (start, duration, the day it lands on)
MONTH_CASES = [
    ("2024-03-01", "6mo", "2024-09-01"),  # the issue's three cases
    ("2021-01-31", "1mo", "2021-02-28"), ("2020-01-31", "1mo", "2020-02-29"),  # month ends clamp
    ("2024-08-31", "6mo", "2025-02-28"), ("2023-08-31", "6mo", "2024-02-29"),  # Aug 31 + 6mo, into a leap year
    ("2024-02-29", "1y", "2025-02-28"), ("2024-01-15", "2y", "2026-01-15"),  # leap day + 1y clamps
]
WIDE = {"start": "2019-01-01", "end": "2026-12-31"}


def _iso(day_number: int) -> str:
    return day_to_date(day_number).isoformat()


def _before(iso: str) -> str:
    return _iso(parse_iso_date(iso) - 1)


def _landing(kind: str, start: str, dur: object) -> str:
    """Where a duration `dur` started on `start` lands, for one place of the scenario that takes a duration."""
    deal = [{"id": "e", "probability": 1, "date": start}]
    if kind == "deferral schedule":
        m = measure(deadline=start, deferral={"probability": 1, "schedule": [dur]})
        landed = one(build(window=WIDE, measures=[m])).states["ban"].first_in_force
    elif kind == "deferral delay":
        m = measure(deadline=start, deferral={"probability": 1, "delay": dur, "max": 1})
        landed = one(build(window=WIDE, measures=[m])).states["ban"].first_in_force
    elif kind == "waiver duration":
        m = measure(deadline="2019-01-01", waivers=[{"id": "w", "share": 0.5, "from": start, "duration": dur}])
        landed = one(build(window=WIDE, measures=[m])).states["ban"].waiver_changes[-1][0]
    elif kind == "waiver renewal":
        w = {"id": "w", "share": 0.5, "from": _before(start), "duration": "1d",
             "renewal": {"probability": 1, "period": dur, "max": 1}}
        m = measure(deadline="2019-01-01", waivers=[w])
        landed = one(build(window=WIDE, measures=[m])).states["ban"].waiver_changes[-1][0]
    elif kind == "revival delay":
        m = measure(deadline="2019-01-01", shelving={"on": "e", "revive": {"on": "e", "delay": dur}})
        rep = one(build(window=WIDE, events=deal, measures=[m]))
        landed = next(x.day for x in rep.log if x.what == "revived")
    elif kind == "appeal":
        c = {"id": "c", "decision": start, "injunction": 1,
             "appeal": {"probability": 1, "decision": dur, "reversal": 1}}
        rep = one(build(window=WIDE, measures=[measure(deadline="2019-01-01", challenges=[c])]))
        landed = next(x.day for x in rep.log if x.what == "injunction reversed on appeal")
    else:  # a relative date, written `e + 6mo` or `{from: e, offset: ...}`
        text = f"e + {dur}" if isinstance(dur, str) else {"from": "e", "offset": dur}
        rep = one(build(window=WIDE, events=[*deal, {"id": "f", "probability": 1, "date": text}]))
        landed = rep.event_day["f"]
    return _iso(parse_iso_date("2019-01-01") + int(landed))


KINDS = ["deferral schedule", "deferral delay", "waiver duration", "waiver renewal", "revival delay", "appeal",
         "relative date"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("start", "dur", "expected"), MONTH_CASES)
def test_rule3_months_follow_the_calendar_everywhere(kind, start, dur, expected):
    """Rule 3: a duration in months or years lands on the same calendar day wherever it is added to a date,
    written plainly (`6mo`) or as a degenerate distribution (`{between: [6mo, 6mo]}`)."""
    assert _landing(kind, start, dur) == expected
    assert _landing(kind, start, {"between": [dur, dur]}) == expected


def test_rule3_the_issues_three_6mo_agree():
    """Rule 3: `schedule: [6mo]`, `schedule: [{between: [6mo, 6mo]}]` and a waiver `duration: 6mo` from
    2024-03-01 all land on 2024-09-01 (they used to add 184, 183 and 183 days)."""
    days = {_landing("deferral schedule", "2024-03-01", "6mo"),
            _landing("deferral schedule", "2024-03-01", {"between": ["6mo", "6mo"]}),
            _landing("waiver duration", "2024-03-01", "6mo")}
    assert days == {"2024-09-01"}


def test_rule3_phase_in_in_months_lasts_calendar_months():
    """Rule 3: a phase-in of 1mo from Jan 31 lasts to Feb 29 in 2020 (29 days) and to Feb 28 in 2021 (28)."""
    from sim.engine.segments import profile
    from sim.engine.timeline import MeasureState

    st = MeasureState(switches=[(0, True)])
    for start, days in (("2020-01-31", 29), ("2021-01-31", 28), ("2020-03-01", 31)):
        assert profile(st, 30, 2, 400, months=1, day0=parse_iso_date(start)) == profile(st, days, 2, 400)


def test_rule3_phase_in_in_months_changes_the_run():
    """Rule 3: in a run, `phase_in: 1mo` from 2021-01-31 steps up on the day a 28-day phase-in does (February
    2021 has 28 days), not on the day of a 29-day one (nor at 365.25/12 = 30.4 days)."""
    def stock(phase: str) -> float:
        eff = [{"type": "scale_inflow", "population": "users", "factor": 0, "phase_in": phase, "steps": 2}]
        s = build(window={"start": "2021-01-01", "end": "2021-12-31"}, report="month", replications=1,
                  measures=[{"id": "m", "deadline": "2021-01-31", "effects": eff}])
        sr = run(s).series
        return float(sr[(sr.series == "users") & (sr.quantity == "stock")].set_index("date")["p50"].iloc[-1])
    assert stock("1mo") == stock("28d") != stock("29d")


def test_rule3_fractional_months_are_monotone_and_continuous():
    """Rule 3: a distribution over months draws fractional months: whole calendar months, then the fraction
    of the next month in days; the landing day never decreases with the uniform, and meets the whole-month
    days at the ends."""
    import numpy as np

    from sim.scenario.calendar import add_month_span
    from sim.scenario.sampling import sample_months
    from sim.scenario.values import read_value

    dist = read_value({"between": ["1mo", "3mo"]}, "duration")
    start = parse_iso_date("2021-01-31")
    landed = [add_month_span(start, m) for m in sample_months(dist, np.linspace(0, 1, 2001)).tolist()]
    assert landed == sorted(landed)
    assert (_iso(landed[0]), _iso(landed[-1])) == ("2021-02-28", "2021-04-30")
    assert _iso(add_month_span(start, 1.5)) == "2021-03-16"  # Feb 28 + half of the 31 days to Mar 31


def test_rule3_mixed_days_and_months_are_refused():
    """Rule 3: a distribution mixing days and months has no single calendar meaning and is refused."""
    from sim.scenario.values import read_value

    with pytest.raises(QuantityError, match="mixes days and months"):
        read_value({"between": ["20d", "2mo"]}, "duration")
