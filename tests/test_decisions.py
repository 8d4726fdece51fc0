"""Extension decisions, deferral chains, triggers on a measure's state and shared rulings, each against a
timeline computed by hand (day numbers from 2020-01-01; ``docs/calendar.md`` rules 8 and 9)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import build, day, measure, one

from sim.runs.runner import run


def switches(rep: Any, mid: str = "ban") -> list[tuple[int, bool]]:
    return rep.states[mid].switches


def log(rep: Any, mid: str = "ban") -> list[tuple[int, str]]:
    return [(e.day, e.what) for e in rep.log if e.subject == mid]


def decided(*decisions: dict[str, Any], **extra: Any) -> Any:
    return one(build(measures=[measure(decisions=list(decisions), **extra)]))


def test_a_decision_counts_from_the_standing_deadline() -> None:
    """Signed Feb 28, one day before the Mar 1 deadline, 75 days from the deadline: in force May 15."""
    rep = decided({"id": "eo", "date": "2020-02-28", "extend": "75d"})
    assert switches(rep) == [(day("2020-05-15"), True)]
    assert log(rep)[0] == (day("2020-02-28"), "deferred (extension 1)")


def test_a_decision_counts_from_its_own_date() -> None:
    """Signed Feb 10, 30 days from signing: Mar 11 (not Mar 31)."""
    rep = decided({"id": "eo", "date": "2020-02-10", "extend": "30d", "from": "decision"})
    assert switches(rep) == [(day("2020-03-11"), True)]


def test_a_later_decision_replaces_an_earlier_one_early() -> None:
    """Eo1 (Feb 20) moves Mar 1 to Mar 31; eo2 on Mar 5, 10 days from signing, would end the reprieve on Mar 15:
    without `replaces` it does not shorten the running extension, with it the deadline is Mar 15."""
    eo1 = {"id": "eo1", "date": "2020-02-20", "extend": "30d"}
    eo2 = {"id": "eo2", "date": "2020-03-05", "extend": "10d", "from": "decision"}
    assert switches(decided(eo1, eo2)) == [(day("2020-03-31"), True)]
    rep = decided(eo1, {**eo2, "replaces": True})
    assert switches(rep) == [(day("2020-03-15"), True)]
    assert rep.states["ban"].extensions == 2


def test_a_hold_that_does_not_count_moves_the_deadline_but_is_no_extension() -> None:
    """The record's Jan 19 promise: a hold on the Mar 1 deadline day until Mar 2 (`counts: false`), then an order
    on Mar 2, 75 days from signing: never in force until May 16, and one extension (the order), not two."""
    promise = {"id": "promise", "date": "2020-03-01", "until": "2020-03-02", "counts": False}
    order = {"id": "eo", "date": "2020-03-02", "extend": "75d", "from": "decision"}
    rep = decided(promise, order)
    assert switches(rep) == [(day("2020-05-16"), True)], "the hold keeps the ban out of force on Mar 1"
    assert rep.states["ban"].extensions == 1, "only the order counts as an extension"
    assert log(rep)[:2] == [(day("2020-03-01"), "held (not an extension)"),
                            (day("2020-03-02"), "deferred (extension 1)")]
    counted = decided({**promise, "counts": True}, order)
    assert counted.states["ban"].extensions == 2, "counted, the promise is an extension too"


def test_a_decision_after_the_measure_took_effect_suspends_it() -> None:
    """In force Mar 1; a decision on Mar 2 (the record's Jan 20 order, a day after the Jan 19 deadline), 75 days
    from signing: suspended Mar 2, in force again May 16."""
    rep = decided({"id": "eo", "date": "2020-03-02", "extend": "75d", "from": "decision"})
    assert switches(rep) == [(day("2020-03-01"), True), (day("2020-03-02"), False), (day("2020-05-16"), True)]


def test_a_decision_on_the_deadline_day_comes_before_the_deadline() -> None:
    """Dated on the deadline itself, the decision acts first (phase `decisions` before `deadlines`)."""
    rep = decided({"id": "eo", "date": "2020-03-01", "until": "2020-04-01"})
    assert switches(rep) == [(day("2020-04-01"), True)]


def test_an_unlikely_decision_and_a_chain_of_decisions() -> None:
    """A decision with probability 0 does nothing; three certain ones chain (Mar 1 + 10 + 10, then to May 1)."""
    assert switches(decided({"id": "eo", "date": "2020-02-01", "extend": "10d", "probability": 0})) == [
        (day("2020-03-01"), True)]
    rep = decided({"id": "a", "date": "2020-02-01", "extend": "10d"}, {"id": "b", "date": "2020-03-05",
                                                                      "extend": "10d"},
                  {"id": "c", "date": "2020-03-15", "until": "2020-05-01"})
    assert switches(rep) == [(day("2020-05-01"), True)]
    assert [d for d, what in log(rep) if what.startswith("deferred")] == [day(x) for x in (
        "2020-02-01", "2020-03-05", "2020-03-15")]


def test_chain_steps_each_with_its_probability_and_length() -> None:
    """A statutory 90-day step (certain) then executive 30-day steps (certain, at most 2): Mar 1 + 90 + 30 + 30
    = Jul 29; a step not granted gives way to the next one the same day (Mar 1 + 30 = Mar 31), and a last
    step not granted ends the chain."""
    steps = [{"probability": 1, "delay": "90d"}, {"probability": 1, "delay": "30d", "times": 2}]
    rep = one(build(measures=[measure(deferral={"steps": steps})]))
    assert switches(rep) == [(day("2020-07-29"), True)]
    assert rep.states["ban"].extensions == 3
    skip = [{"probability": 0, "delay": "90d"}, {"probability": 1, "delay": "30d"}]
    assert switches(one(build(measures=[measure(deferral={"steps": skip})]))) == [(day("2020-03-31"), True)]
    last = [{"probability": 1, "delay": "30d"}, {"probability": 0, "delay": "90d", "times": 3}]
    assert switches(one(build(measures=[measure(deferral={"steps": last})]))) == [(day("2020-03-31"), True)]


def test_each_renewal_less_likely_and_stricter_after_an_event() -> None:
    """`decay: 0` makes every repeat after the first impossible (one extension); a `stricter` factor of 0 once
    an event occurred stops the chain (the event on Feb 1, before the deadline: no extension)."""
    steps = [{"probability": 1, "delay": "10d", "times": 5, "decay": 0}]
    assert one(build(measures=[measure(deferral={"steps": steps})])).states["ban"].extensions == 1
    strict = {"steps": [{"probability": 1, "delay": "10d", "times": 5}], "stricter": {"on": "summit", "factor": 0}}
    rep = one(build(events=[{"id": "summit", "date": "2020-03-11"}], measures=[measure(deferral=strict)]))
    assert switches(rep) == [(day("2020-03-11"), True)]  # extended twice (Mar 1, Mar 11 after the summit: no)
    many = run(build(replications=400, measures=[measure(deferral={"steps": [
        {"probability": 0.8, "delay": "10d", "times": 3, "decay": 0.5}]})]))
    # P(at least one) = 0.8; mean extensions = 0.8 + 0.8*0.4 + 0.8*0.4*0.2 = 1.184
    assert many.measures.iloc[0]["p_extended"] == pytest.approx(0.8, abs=0.06)
    assert many.measures.iloc[0]["mean_extensions"] == pytest.approx(1.184, abs=0.12)


@pytest.mark.parametrize(("state", "extra", "when"), [
    ("deferred", {"deferral": {"probability": 1, "schedule": ["10d"]}}, "2020-03-01"),
    ("enjoined", {"challenges": [{"id": "suit", "decision": "2020-02-20", "injunction": 1}]}, "2020-02-20"),
    ("in_force", {}, "2020-03-01"),
    ("lifted", {"lifted_by": ["deal"]}, "2020-04-01"),
    ("cancelled", {"unless": ["deal0"]}, "2020-03-01"),
    ("shelved", {"shelving": {"date": "2020-05-01"}}, "2020-05-01"),
])  # fmt: skip
def test_an_event_triggered_by_a_state(state: str, extra: dict[str, Any], when: str) -> None:
    """An event anchored on `ban.<state> + 2d` occurs two days after the measure first enters the state."""
    events = [{"id": "deal", "date": "2020-04-01"}, {"id": "deal0", "date": "2020-02-01"},
              {"id": "echo", "date": f"ban.{state} + 2d"}]
    rep = one(build(events=events, measures=[measure(**extra)]))
    assert rep.event_day["echo"] == day(when) + 2


def test_a_trigger_on_days_in_force_counts_only_days_in_force() -> None:
    """In force Mar 1, suspended by an injunction Mar 11 (10 days), back on appeal Apr 10: 30 days in force are
    reached on Apr 10 + 20 = Apr 30; the store removal anchored on the reprieve happens only when deferred."""
    suit = {"id": "suit", "decision": "2020-03-11", "injunction": 1,
            "appeal": {"probability": 1, "decision": "30d", "reversal": 1}}
    events = [{"id": "decay", "date": {"after": "ban", "in_force_for": "30d"}}]
    rep = one(build(events=events, measures=[measure(challenges=[suit])]))
    assert switches(rep) == [(day("2020-03-01"), True), (day("2020-03-11"), False), (day("2020-04-10"), True)]
    assert rep.event_day["decay"] == day("2020-04-30")


def test_the_stores_remove_the_app_only_if_the_ban_was_not_deferred() -> None:
    """A measure the day before the ban, cancelled `unless` the ban was deferred before it: in force when the ban
    is not deferred, cancelled when it is (deferred on Feb 20 by a decision)."""
    stores = measure("stores", deadline="ban.deadline - 1d", unless=["reprieve"])
    events = [{"id": "reprieve", "date": "ban.deferred"}]
    plain = one(build(events=events, measures=[measure(decisions=[{"id": "eo", "date": "2020-02-20", "extend": "1d",
                                                                   "probability": 0}]), stores]))
    assert switches(plain, "stores") == [(day("2020-02-29"), True)]
    spared = one(build(events=events, measures=[measure(decisions=[{"id": "eo", "date": "2020-02-20",
                                                                    "extend": "30d"}]), stores]))
    assert switches(spared, "stores") == [] and spared.states["stores"].cancelled


def test_a_shared_ruling_is_drawn_once_for_all_its_measures() -> None:
    """One ruling (injunction 50%) over two measures: in every replication both are enjoined or neither; about
    half the replications enjoin them. Its appeal reverses both on the same day."""
    ruling = {"id": "circuit", "decision": "2020-02-20", "injunction": 0.5, "measures": ["ban", "stores"],
              "appeal": {"probability": 1, "decision": "30d", "reversal": 1}}
    s = build(replications=200, measures=[measure(), measure("stores", deadline="2020-02-01")], rulings=[ruling])
    res = run(s)
    ev = res.events[res.events["what"] == "enjoined"]
    per = ev.groupby("replication")["subject"].nunique()
    assert set(per) == {2}
    assert 0.35 < len(per) / 200 < 0.65
    rep = next(one(s, r) for r in range(20) if one(s, r).states["ban"].injunctions)
    assert switches(rep, "stores") == [(day("2020-02-01"), True), (day("2020-02-20"), False),
                                       (day("2020-03-21"), True)]
    assert switches(rep) == [(day("2020-03-21"), True)]
