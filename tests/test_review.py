"""Regression tests for engine bugs found in review (lifecycle, segments, results, narrate)."""

from __future__ import annotations

import math

import numpy as np
from conftest import build, day, measure, one

from sim.engine.segments import profile
from sim.runs.results import _measure_table
from sim.text.narrate import plan_text


def log(rep, mid="ban"):
    return [(e.day, e.what) for e in rep.log if e.subject == mid]


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


def test_waiver_ending_and_another_starting_same_day():
    """When one waiver ends and another starts on the same day, the later change wins in the intensity."""
    events = [{"id": "ev", "probability": 1, "date": "2020-01-11"}]
    m = measure(deadline="2020-01-01", waivers=[
        {"id": "w1", "share": "50%", "from": "2020-01-01", "until": "2020-04-01"},
        {"id": "w2", "share": "20%", "from": "ev + 81d"}])
    rep = one(build(events=events, measures=[m]))
    prof = profile(rep.states["ban"], 0, None, 365)
    assert prof[-1] == (day("2020-04-01"), 0.8)


def test_plan_with_unbounded_normal_event_date():
    """`docket plan` lists an event whose date is an unbounded normal distribution."""
    events = [{"id": "deal", "probability": 0.5, "date": {"normal": {"mean": "2020-06-01", "sd": "10d"}}}]
    text = plan_text(build(events=events, measures=[measure(lifted_by=["deal"])]))
    assert "event    deal" in text


def test_effective_date_quantiles_are_dates_that_occur():
    """Effective-date quantiles are effective dates of some replication, not interpolated between two."""
    s = build(measures=[measure()])
    cat = {"first_in_force": np.array([[60.0], [120.0]]), "extensions": np.zeros((2, 1)),
           "injunctions": np.zeros((2, 1)), "shelvings": np.zeros((2, 1)), "lifted": np.zeros((2, 1)),
           "cancelled": np.zeros((2, 1))}
    start = s.window.start.fixed_day()
    row = _measure_table(s, cat, start).iloc[0]
    assert {row.effective_p10, row.effective_p50, row.effective_p90} <= {"2020-03-01", "2020-04-30"}


def test_required_event_on_same_day_listed_later():
    """An event requiring another that occurs the same day occurs, whatever the order they are listed in."""
    events = [{"id": "b", "probability": 1, "date": "2020-03-01", "requires": ["a"]},
              {"id": "a", "probability": 1, "date": "2020-03-01"}]
    rep = one(build(events=events))
    assert rep.event_day == {"a": day("2020-03-01"), "b": day("2020-03-01")}


def test_measures_table_has_columns_without_measures():
    """With no measures the per-measure table still has its columns (measures.csv keeps its header)."""
    s = build()
    table = _measure_table(s, {}, s.window.start.fixed_day())
    one_measure = build(measures=[measure()])
    cat = {k: np.zeros((1, 1)) for k in ("first_in_force", "extensions", "injunctions", "shelvings", "lifted",
                                         "cancelled")}
    assert list(table.columns) == list(_measure_table(one_measure, cat, s.window.start.fixed_day()).columns)
    assert len(table) == 0
