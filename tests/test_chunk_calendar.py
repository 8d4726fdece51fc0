"""The chunk calendar plays every replication exactly as one replication's own SimPy lifecycle does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import build, measure

from sim.engine.chunk_lifecycle import play_chunk, unsupported
from sim.engine.draws import ChunkDraws
from sim.engine.played import Played
from sim.engine.streams import Streams
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
TARGETS = [(p.name, v) for p in sorted((ROOT / "scenarios").glob("*.yaml"))
           for v in [None, *(x["id"] for x in (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("variants")
                             or [])]]


def both(s: Scenario, start: int, n: int) -> tuple[Played, Played, ChunkDraws, ChunkDraws]:
    """The chunk ``start .. start + n - 1`` played per replication and on the chunk calendar, and their draws."""
    horizon = s.end_day - s.start_day
    old, new = (ChunkDraws(Streams(s.seed), start, start + n, s.start_day) for _ in range(2))
    return play_chunk(s, old, horizon, calendar=False), play_chunk(s, new, horizon, calendar=True), old, new


def assert_same(s: Scenario, start: int = 0, n: int = 200) -> None:
    per_rep, calendar, old, new = both(s, start, n)
    assert calendar.log.rows() == per_rep.log.rows(), "the event logs differ"
    # What the calendar hands over as arrays is what the timelines hold, read before the states are built
    timelines = range(len(s.measures) + len(s.shocks))
    assert calendar.waivers == per_rep.waivers
    assert np.array_equal(calendar.stats, per_rep.stats) and calendar.stats.dtype == per_rep.stats.dtype
    found, expected = calendar.table(timelines), per_rep.table(timelines)
    assert "states" not in calendar.__dict__, "the calendar built its states unasked"
    for t in timelines:
        assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(found[t], expected[t], strict=True)), t
    assert calendar.states == per_rep.states, "the timelines differ"
    assert new.inputs == old.inputs, "the streams drawn from differ"


@pytest.mark.parametrize(("file", "variant"), TARGETS)
def test_every_bundled_scenario_plays_the_same_on_the_chunk_calendar(file: str, variant: str | None) -> None:
    """Event logs, timelines and inputs are equal on both paths, for each bundled scenario and variant the
    calendar plays; the others name what it does not play (they go per replication)."""
    s = load_scenario(str(ROOT / "scenarios" / file), variant=variant)
    if unsupported(s):
        assert set(unsupported(s)) <= {"extension decisions", "waivers", "events that require another",
                                       "deferral chains of steps", "relative dates",
                                       "cohort starts relative to an event or a state"}
        return
    assert_same(s, start=1000, n=150)


def crowded() -> Scenario:
    """Many same-day actions in one replication, in orders that differ between replications: two lawsuits of
    one measure and a ruling shared with another, appeals landing on the same days, deferrals of three
    measures onto common days, a lift and an `unless` event on deadline days, shocks beginning and ending on
    the days events occur (one dated before the window, one in months with an intensity), measures shelved on
    an event, on a date and by a hazard and revived on an event (at once or after a delay) or by a hazard."""
    court = {"decision": {"between": ["2020-02-01", "2020-02-04"]}, "injunction": 0.6,
             "appeal": {"probability": 0.9, "decision": {"between": ["1d", "4d"]}, "reversal": 0.5}}
    deferral = {"probability": 0.7, "delay": {"between": ["1d", "3d"]}, "max": 4}
    blackout = [{"type": "scale_inflow", "population": "users", "factor": 0}]
    return build(
        shocks=[{"id": "early", "date": {"between": ["2019-12-25", "2020-01-03"]}, "probability": 0.8,
                 "duration": {"between": ["3d", "12d"]}, "effects": blackout},
                {"id": "wave", "date": {"between": ["2020-02-27", "2020-03-03"]}, "probability": 0.5,
                 "duration": {"between": ["1mo", "2mo"]}, "intensity": {"between": [0.2, 0.9]}, "effects": blackout}],
        events=[{"id": "deal", "probability": 0.5, "date": {"between": ["2020-02-28", "2020-03-04"]}},
                {"id": "veto", "probability": 0.3, "date": {"between": ["2020-02-27", "2020-03-03"]}}],
        rulings=[{"id": "shared", "measures": ["a", "b"], **court}],
        measures=[measure("a", "2020-02-28", deferral=deferral, lifted_by=["deal"],
                          challenges=[{"id": "a1", **court}, {"id": "a2", **court}]),
                  measure("b", "2020-02-29", deferral=deferral, unless=["veto"], challenges=[{"id": "b1", **court}]),
                  measure("c", "2020-03-01", deferral={**deferral, "delay": "1mo"}, lifted_by=["deal", "veto"]),
                  measure("d", "2020-02-29", shelving={"on": "veto", "revive": {"on": "deal"}}),
                  measure("e", "2020-02-28", shelving={"on": "deal", "probability": 0.7,
                                                       "revive": {"on": "veto", "delay": {"between": ["0d", "2d"]}}}),
                  measure("f", "2020-02-27", shelving={"date": {"between": ["2020-02-26", "2020-03-02"]},
                                                       "revive": {"hazard": "50%/7d", "delay": "1d"}}),
                  measure("g", "2020-03-01", deferral=deferral,
                          shelving={"hazard": "30%/30d", "revive": {"on": "deal", "delay": "1mo"}})])


def test_same_day_order_is_each_replications_own() -> None:
    """Where a replication has several actions on a day, they act in the order it scheduled them."""
    s = crowded()
    assert not unsupported(s)
    assert_same(s, n=400)


def test_a_chunk_of_one_is_the_same() -> None:
    """`docket explain` plays a chunk of one row: the same as that row in a whole chunk."""
    s = crowded()
    whole = both(s, 0, 50)[1]
    for r in (0, 17, 49):
        alone = both(s, r, 1)[1]
        assert alone.states == [whole.states[r]]
        assert alone.log.rows() == [row for row in whole.log.rows() if row[0] == r]


def test_the_dispatcher_names_what_goes_per_replication() -> None:
    """A construct the calendar does not play sends the chunk per replication, and is named."""
    s = build(events=[{"id": "deal", "date": "2020-02-01"}, {"id": "vote", "date": "2020-02-01", "requires": ["deal"]}],
              measures=[measure("a", "deal + 10d"), measure("b", shelving={"on": "vote"})])
    assert unsupported(s) == ["events that require another", "relative dates"]
    horizon = s.end_day - s.start_day
    played = play_chunk(s, ChunkDraws(Streams(s.seed), 0, 5, s.start_day), horizon)
    assert played.log.rows() == both(s, 0, 5)[0].log.rows()
