"""Every transition of the measure lifecycle, on single replications with certain outcomes."""

from __future__ import annotations

import math

import pandas as pd
from conftest import build, day, measure, one

from sim.runs.runner import run


def switches(rep, mid="ban"):
    return rep.states[mid].switches


def log(rep, mid="ban"):
    return [(e.day, e.what) for e in rep.log if e.subject == mid]


def test_takes_effect_at_deadline():
    """With nothing in the way a measure is in force from 00:00 of its deadline."""
    rep = one(build(measures=[measure()]))
    assert switches(rep) == [(day("2020-03-01"), True)]


def test_deferral_schedule_moves_deadline():
    """A certain deferral with a schedule applies each extension in turn, then takes effect."""
    m = measure(deferral={"probability": 1, "schedule": ["10d", "5d"]})
    rep = one(build(measures=[m]))
    assert switches(rep) == [(day("2020-03-01") + 15, True)]
    assert rep.states["ban"].extensions == 2


def test_deferral_cap():
    """A certain deferral with `delay` stops after `max` extensions."""
    m = measure(deferral={"probability": 1, "delay": "7d", "max": 3})
    rep = one(build(measures=[m]))
    assert switches(rep) == [(day("2020-03-01") + 21, True)]


def test_deferral_in_months_follows_calendar():
    """A deferral of 1mo from Jan 31 lands on Feb 29 in a leap year (month arithmetic clamps)."""
    m = measure(deadline="2020-01-31", deferral={"probability": 1, "schedule": ["1mo"]})
    rep = one(build(measures=[m]))
    assert switches(rep) == [(day("2020-02-29"), True)]


def test_deferral_past_window_never_in_force():
    """A deadline deferred beyond the window never takes effect inside it."""
    m = measure(deadline="2020-12-20", deferral={"probability": 1, "schedule": ["30d"]})
    rep = one(build(measures=[m]))
    assert switches(rep) == []
    assert math.isinf(rep.states["ban"].first_in_force)


def test_injunction_before_deadline_blocks():
    """An injunction granted before the deadline keeps the measure from ever taking effect."""
    m = measure(challenges=[{"id": "suit", "decision": "2020-02-20", "injunction": 1}])
    rep = one(build(measures=[m]))
    assert switches(rep) == []
    assert rep.states["ban"].injunctions == 1


def test_injunction_on_deadline_day_wins():
    """Court decisions come before deadlines on the same day (docs/calendar.md)."""
    m = measure(challenges=[{"id": "suit", "decision": "2020-03-01", "injunction": 1}])
    rep = one(build(measures=[m]))
    assert switches(rep) == []


def test_injunction_after_deadline_suspends():
    """An injunction after the deadline suspends a measure in force."""
    m = measure(challenges=[{"id": "suit", "decision": "2020-04-01", "injunction": 1}])
    rep = one(build(measures=[m]))
    assert switches(rep) == [(day("2020-03-01"), True), (day("2020-04-01"), False)]


def test_appeal_reversal_reinstates():
    """An appeal that reverses the injunction puts the measure back in force on the appeal decision."""
    m = measure(challenges=[{"id": "suit", "decision": "2020-02-01", "injunction": 1,
                             "appeal": {"probability": 1, "decision": "60d", "reversal": 1}}])
    rep = one(build(measures=[m]))
    assert switches(rep) == [(day("2020-02-01") + 60, True)]


def test_appeal_upheld_keeps_injunction():
    """An appeal that fails leaves the injunction in place."""
    m = measure(challenges=[{"id": "suit", "decision": "2020-02-01", "injunction": 1,
                             "appeal": {"probability": 1, "decision": "60d", "reversal": 0}}])
    rep = one(build(measures=[m]))
    assert switches(rep) == []
    assert any(e.what == "injunction upheld on appeal" for e in rep.log)


def test_lifted_by_event_is_final():
    """A `lifted_by` event ends a measure in force for good."""
    events = [{"id": "deal", "probability": 1, "date": "2020-05-01"}]
    rep = one(build(events=events, measures=[measure(lifted_by=["deal"])]))
    assert switches(rep) == [(day("2020-03-01"), True), (day("2020-05-01"), False)]
    assert rep.states["ban"].lifted


def test_lift_on_deadline_day_prevents_effect():
    """Lifts come before deadlines on the same day, so the measure never takes effect."""
    events = [{"id": "deal", "probability": 1, "date": "2020-03-01"}]
    rep = one(build(events=events, measures=[measure(lifted_by=["deal"])]))
    assert switches(rep) == []


def test_unless_cancels_at_deadline():
    """An `unless` event seen by the deadline cancels the measure."""
    events = [{"id": "deal", "probability": 1, "date": "2020-02-01"}]
    rep = one(build(events=events, measures=[measure(unless=["deal"])]))
    assert switches(rep) == [] and rep.states["ban"].cancelled


def test_unless_after_deadline_does_nothing():
    """An `unless` event after the deadline does not cancel a measure already in force."""
    events = [{"id": "deal", "probability": 1, "date": "2020-04-01"}]
    rep = one(build(events=events, measures=[measure(unless=["deal"])]))
    assert switches(rep) == [(day("2020-03-01"), True)]


def test_shelving_on_event_and_revival():
    """A summit shelves the measure; a later event revives it after a delay."""
    events = [{"id": "summit", "probability": 1, "date": "2020-04-01"},
              {"id": "talks_fail", "probability": 1, "date": "2020-06-01"}]
    m = measure(shelving={"on": "summit", "revive": {"on": "talks_fail", "delay": "10d"}})
    rep = one(build(events=events, measures=[m]))
    assert switches(rep) == [(day("2020-03-01"), True), (day("2020-04-01"), False), (day("2020-06-11"), True)]


def test_one_event_shelves_several_measures():
    """One event can shelve several measures at once."""
    events = [{"id": "summit", "probability": 1, "date": "2020-04-01"}]
    ms = [measure("a", shelving={"on": "summit"}), measure("b", "2020-02-01", shelving={"on": "summit"})]
    rep = one(build(events=events, measures=ms))
    assert switches(rep, "a")[-1] == (day("2020-04-01"), False)
    assert switches(rep, "b")[-1] == (day("2020-04-01"), False)


def test_shelving_before_deadline_holds_it():
    """A measure shelved before its deadline does not take effect at the deadline."""
    m = measure(shelving={"date": "2020-02-01"})
    rep = one(build(measures=[m]))
    assert switches(rep) == []
    assert rep.states["ban"].shelvings == 1


def test_waiver_records_share_and_end():
    """A waiver exempts its share from its start until (exclusive) its end."""
    m = measure(waivers=[{"id": "w", "share": "30%", "from": "2020-03-01", "until": "2020-04-01"}])
    rep = one(build(measures=[m]))
    assert rep.states["ban"].waiver_changes == [(day("2020-03-01"), 0.7), (day("2020-04-01"), 1.0)]


def test_waiver_renewal():
    """A certain renewal extends a waiver by its period, up to `max` times."""
    m = measure(waivers=[{"id": "w", "share": 0.5, "duration": "30d",
                          "renewal": {"probability": 1, "period": "30d", "max": 2}}])
    rep = one(build(measures=[m]))
    assert rep.states["ban"].waiver_changes == [(day("2020-03-01"), 0.5), (day("2020-03-01") + 90, 1.0)]


def test_event_requires_other_event():
    """An event that requires another that did not occur does not occur."""
    events = [{"id": "a", "probability": 0, "date": "2020-02-01"},
              {"id": "b", "probability": 1, "date": "2020-03-01", "requires": ["a"]}]
    rep = one(build(events=events))
    assert "b" not in rep.event_day


def test_relative_dates_resolve_on_anchors():
    """Dates relative to an event, a measure's deadline and its coming into force resolve in order."""
    events = [{"id": "deal", "probability": 1, "date": "2020-02-01"},
              {"id": "follow_up", "probability": 1, "date": "ban + 10d"}]
    ms = [measure("ban", "deal + 14d"), measure("other", "ban.deadline + 1mo")]
    rep = one(build(events=events, measures=ms))
    assert switches(rep, "ban") == [(day("2020-02-15"), True)]
    assert rep.event_day["follow_up"] == day("2020-02-25")
    assert switches(rep, "other") == [(day("2020-03-15"), True)]


def test_anchor_that_never_happens():
    """A deadline relative to an event that does not occur never arrives."""
    events = [{"id": "deal", "probability": 0, "date": "2020-02-01"}]
    rep = one(build(events=events, measures=[measure("ban", "deal + 14d")]))
    assert switches(rep) == []


def test_log_explains_injunction_timing():
    """The event log says how long before taking effect an injunction came."""
    m = measure(challenges=[{"id": "suit", "title": "A v. B", "decision": "2020-02-20", "injunction": 1}])
    rep = one(build(measures=[m]))
    texts = [f"{e.what} ({e.why})" for e in rep.log]
    assert "enjoined (A v. B, 10 days before taking effect)" in texts


def test_shelving_by_hazard_and_revival_by_hazard():
    """With a near-certain daily hazard a measure is shelved the day after the window starts, then revived."""
    m = measure(deadline="2020-01-01",
                shelving={"hazard": "99.99%/day", "revive": {"hazard": "99.99%/day", "delay": "5d"}})
    rep = one(build(measures=[m]))
    assert switches(rep) == [(0, True), (1, False), (7, True)]
    assert rep.states["ban"].shelvings == 1


def test_shelving_probability_zero_never_shelves():
    """A shelving trigger with probability 0 leaves the measure alone."""
    events = [{"id": "summit", "probability": 1, "date": "2020-04-01"}]
    rep = one(build(events=events, measures=[measure(shelving={"on": "summit", "probability": 0})]))
    assert switches(rep) == [(day("2020-03-01"), True)]


def test_waiver_probability_zero_never_starts():
    """A waiver with probability 0 never exempts anyone."""
    m = measure(waivers=[{"id": "w", "share": "50%", "duration": "30d", "probability": 0}])
    rep = one(build(measures=[m]))
    assert rep.states["ban"].waiver_changes == []


LIFT = [{"id": "deal", "probability": 1, "date": "2020-03-15"}]


def test_lifted_measure_never_starts_a_waiver():
    """A waiver dated after the lift never starts: no `waiver ... starts` after `lifted` in the log, no share
    recorded, and the in-force series stays 0 after the lift."""
    m = measure(lifted_by=["deal"], waivers=[{"id": "w", "share": "40%", "from": "2020-04-01", "duration": "30d"}])
    s = build(events=LIFT, measures=[m], report="day", replications=5)
    rep = one(s)
    whats = [e.what for e in rep.log if e.subject == "ban"]
    assert whats == ["in force", "lifted", "suspended"]
    assert rep.states["ban"].waiver_changes == []
    res = run(s)
    log = res.events
    assert not log["what"].astype(str).str.startswith("waiver").any()
    after = res.in_force[(res.in_force.measure == "ban") & (res.in_force.date >= pd.Timestamp("2020-03-15"))]
    assert (after["probability"] == 0).all() and len(after) > 0


def test_lifted_measure_never_renews_a_waiver():
    """A waiver running at the lift ends at its end date and is not renewed, even with a certain renewal."""
    m = measure(lifted_by=["deal"], waivers=[{"id": "w", "share": 0.5, "from": "2020-03-01", "duration": "30d",
                                             "renewal": {"probability": 1, "period": "30d", "max": 2}}])
    rep = one(build(events=LIFT, measures=[m]))
    assert rep.states["ban"].waiver_changes == [(day("2020-03-01"), 0.5), (day("2020-03-31"), 1.0)]
    assert not any("renewed" in e.what for e in rep.log)


def test_cancelled_measure_never_starts_a_waiver():
    """A measure cancelled at its deadline (an `unless` event) starts no waiver dated later."""
    m = measure(unless=["deal"], deadline="2020-04-01",
                waivers=[{"id": "w", "share": "40%", "from": "2020-05-01", "duration": "30d"}])
    rep = one(build(events=LIFT, measures=[m]))
    assert [e.what for e in rep.log if e.subject == "ban"] == ["cancelled"]
    assert rep.states["ban"].waiver_changes == []


def test_enjoined_measure_keeps_its_waiver_dates():
    """An enjoined measure may come back, so its waiver starts and ends on its own dates (docs/engine.md);
    the share acts only while the measure is in force."""
    m = measure(challenges=[{"id": "c", "decision": "2020-03-10", "injunction": 1}],
                waivers=[{"id": "w", "share": "40%", "from": "2020-04-01", "until": "2020-05-01"}])
    rep = one(build(measures=[m]))
    assert rep.states["ban"].enjoined
    assert rep.states["ban"].waiver_changes == [(day("2020-04-01"), 0.6), (day("2020-05-01"), 1.0)]


def test_court_decides_on_its_date_when_deadline_is_relative():
    """A court decision dated before a relative deadline's anchor happens on its own date, not on the anchor's."""
    events = [{"id": "deal", "probability": 1, "date": "2020-03-01"}]
    m = measure("ban", "deal + 30d", challenges=[{"id": "suit", "decision": "2020-02-01", "injunction": 1,
                                                   "appeal": {"probability": 1, "decision": "45d", "reversal": 1}}])
    rep = one(build(events=events, measures=[m]))
    assert (day("2020-02-01"), "enjoined") in log(rep)
    # reversed on 2020-03-17, before the deadline of 2020-03-31: in force from the deadline
    assert rep.states["ban"].switches == [(day("2020-03-31"), True)]


def test_reversing_one_injunction_keeps_another():
    """An appeal reversing one court's injunction leaves a second court's injunction in place."""
    m = measure(challenges=[
        {"id": "a", "decision": "2020-02-01", "injunction": 1,
         "appeal": {"probability": 1, "decision": "60d", "reversal": 1}},
        {"id": "b", "decision": "2020-02-10", "injunction": 1}])
    rep = one(build(measures=[m]))
    assert rep.states["ban"].switches == []
    assert rep.states["ban"].enjoined


def test_waiver_with_relative_until_starts_on_time():
    """A waiver whose `until` anchors on an event starts on its `from` date, and lasts if the event never comes."""
    m = measure(waivers=[{"id": "w", "share": "50%", "from": "2020-03-01", "until": "deal + 0d"}])
    never = one(build(events=[{"id": "deal", "probability": 0, "date": "2020-06-01"}], measures=[m]))
    assert never.states["ban"].waiver_changes == [(day("2020-03-01"), 0.5)]
    later = one(build(events=[{"id": "deal", "probability": 1, "date": "2020-06-01"}], measures=[m]))
    assert later.states["ban"].waiver_changes == [(day("2020-03-01"), 0.5), (day("2020-06-01"), 1.0)]


def test_lifted_measure_is_not_also_cancelled():
    """Lifting is final: an `unless` event seen at a later deadline does not also cancel the lifted measure."""
    events = [{"id": "u", "probability": 1, "date": "2020-02-01"},
              {"id": "deal", "probability": 1, "date": "2020-02-10"}]
    rep = one(build(events=events, measures=[measure(lifted_by=["deal"], unless=["u"])]))
    st = rep.states["ban"]
    assert st.lifted and not st.cancelled
    assert "cancelled" not in [w for _, w in log(rep)]


def test_cancelled_measure_is_not_lifted_or_shelved_later():
    """Cancellation is final: a later lifting or shelving event leaves the cancelled measure alone."""
    events = [{"id": "u", "probability": 1, "date": "2020-02-01"},
              {"id": "deal", "probability": 1, "date": "2020-04-01"}]
    m = measure(lifted_by=["deal"], unless=["u"], shelving={"on": "deal"})
    rep = one(build(events=events, measures=[m]))
    st = rep.states["ban"]
    assert st.cancelled and not st.lifted and st.shelvings == 0
    assert [w for _, w in log(rep)] == ["cancelled"]


def test_revival_without_delay_yields_to_same_day_injunction():
    """A measure revived (no delay) on the day a court enjoins it never comes into force, as at a deadline."""
    events = [{"id": "s", "probability": 1, "date": "2020-02-01"},
              {"id": "r", "probability": 1, "date": "2020-04-01"}]
    m = measure(shelving={"on": "s", "revive": {"on": "r"}},
                challenges=[{"id": "c", "decision": "2020-04-01", "injunction": 1}])
    rep = one(build(events=events, measures=[m]))
    assert rep.states["ban"].switches == []
    assert math.isinf(rep.states["ban"].first_in_force)


def test_required_event_on_same_day_listed_later():
    """An event requiring another that occurs the same day occurs, whatever the order they are listed in."""
    events = [{"id": "b", "probability": 1, "date": "2020-03-01", "requires": ["a"]},
              {"id": "a", "probability": 1, "date": "2020-03-01"}]
    rep = one(build(events=events))
    assert rep.event_day == {"a": day("2020-03-01"), "b": day("2020-03-01")}
