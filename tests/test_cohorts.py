"""Cohorts: a measure's members bound from dates of their own, with exposure summed over them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.engine.cohorts import members
from sim.engine.draws import ChunkDraws
from sim.engine.replications import replicate, report_grid
from sim.engine.streams import Streams
from sim.scenario.errors import ScenarioError
from tests.conftest import build

RATE = -np.log(0.99)  # 1%/day as a continuous rate
GEAR = {"populations": [{"id": "gear", "initial": "1M"}, {"id": "replaced", "initial": 0}],
        "metrics": [{"id": "exposure", "terms": [{"population": "gear"}]}], "report": "day", "replications": 4}


def programme(cohorts: list[dict[str, Any]], deadline: str = "2020-01-01", **extra: Any) -> dict[str, Any]:
    """A replacement programme moving gear to ``replaced`` at 1%/day, member by member."""
    return {"id": "replace", "deadline": deadline, "cohorts": cohorts, **extra,
            "effects": [{"type": "transfer", "from": "gear", "to": "replaced", "rate": "1%/day"}]}


def gear(*groups: dict[str, Any], replications: int = 2, **extra: Any) -> tuple[np.ndarray, list[int], Any]:
    s = build(**{**GEAR, "replications": replications}, measures=[programme(list(groups), **extra)])
    grid = report_grid(s)
    chunk = replicate(s, s.seed, 0, replications, grid, verify_accounting=True)
    return chunk.stocks[:, :, 0], grid, s


def test_two_members_each_from_its_own_date_sum_exactly() -> None:
    """Hand-computed: half the gear from day 0, half from day 10:
    ``500k e^(-r t) + 500k e^(-r (t - 10)+)``, which no single averaged rate gives."""
    x, grid, _ = gear({"id": "carriers", "share": "100%", "starts": ["2020-01-01", "2020-01-11"]})
    t = np.array(grid, dtype=float)
    want = 5e5 * np.exp(-RATE * t) + 5e5 * np.exp(-RATE * np.clip(t - 10, 0, None))
    assert x[0] == pytest.approx(want, rel=1e-9)
    assert not np.allclose(want, 1e6 * np.exp(-RATE * 0.5 * t)), "not one population at half the rate"


def test_a_hundred_members_with_drawn_starts_match_the_sum_over_members() -> None:
    """100 carriers, each from its own start drawn over nine months, then a 30-day period: the stock is the
    mean over members of ``1M e^(-r (t - d_j)+)``, with ``d_j`` the drawn start + 30."""
    group = {"id": "carriers", "share": "100%", "members": 100, "period": "30d",
             "start": {"between": ["2020-01-01", "2020-10-01"]}}
    x, grid, s = gear(group, replications=3)
    found = members(s, ChunkDraws(Streams(s.seed), 0, 3, s.start_day))
    assert found is not None and found.days.shape == (3, 100)
    t = np.array(grid, dtype=float)
    for k in range(3):
        want = np.mean(1e6 * np.exp(-RATE * np.clip(t[:, None] - found.days[k][None, :], 0, None)), axis=1)
        assert x[k] == pytest.approx(want, rel=1e-9)
    assert len(set(found.days[0].tolist())) > 50, "members drawn one by one"


def test_each_member_has_its_own_deadline_counted_from_its_own_start() -> None:
    """The issue's case by hand: three carriers funded on Jan 1, Jan 21 and Feb 10, each with 60 days from its
    own funding (deadlines day 60, 80 and 100); the programme is in force from day 0. Each third of the gear
    moves at 1%/day from its own deadline: ``1M/3 (e^(-r (t-60)+) + e^(-r (t-80)+) + e^(-r (t-100)+))``."""
    group = {"id": "carriers", "share": "100%", "starts": ["2020-01-01", "2020-01-21", "2020-02-10"],
             "period": "60d"}
    x, grid, _ = gear(group)
    t = np.array(grid, dtype=float)
    want = sum(1e6 / 3 * np.exp(-RATE * np.clip(t - d, 0, None)) for d in (60, 80, 100))
    assert x[0] == pytest.approx(want, rel=1e-9)
    assert x[0][grid.index(60)] == pytest.approx(1e6, rel=1e-12), "nobody is bound before the first deadline"


def test_a_start_relative_to_an_event_counts_from_the_day_it_occurs() -> None:
    """Funding arrives on Feb 1 (day 31): one carrier starts then, another 20 days after, each with a 30-day
    period, so they are bound from days 61 and 81; without the event nobody is ever bound."""
    funding = {"id": "funding", "date": "2020-02-01"}
    group = {"id": "carriers", "share": "100%", "starts": ["funding + 0d", "funding + 20d"], "period": "30d"}
    s = build(**GEAR, events=[funding], measures=[programme([group])])
    grid = report_grid(s)
    x = replicate(s, s.seed, 0, 2, grid, verify_accounting=True).stocks[:, :, 0]
    t = np.array(grid, dtype=float)
    want = sum(5e5 * np.exp(-RATE * np.clip(t - d, 0, None)) for d in (61, 81))
    assert x[0] == pytest.approx(want, rel=1e-9)
    s = build(**GEAR, events=[{**funding, "probability": 0}], measures=[programme([group])])
    x = replicate(s, s.seed, 0, 2, grid).stocks[:, :, 0]
    assert x[0] == pytest.approx(np.full(len(grid), 1e6), rel=1e-12), "the funding never came: nobody is bound"


def test_a_drawn_offset_from_a_state_is_drawn_per_member() -> None:
    """Members start 0 to 60 days after the programme is first deferred (a 10-day deferral at its Jan 1
    deadline: deferred on day 0, in force from day 10): each member's day is 0 + its own draw, and the stock
    is the mean over members of ``1M e^(-r (t - max(d_j, 10))+)``."""
    group = {"id": "carriers", "share": "100%", "members": 40, "start": {"from": "replace.deferred",
                                                                        "offset": {"between": ["0d", "60d"]}}}
    x, grid, s = gear(group, replications=2, deferral={"probability": 1, "delay": "10d", "max": 1})
    from sim.engine.lifecycle import Replication
    draws = ChunkDraws(Streams(s.seed), 0, 2, s.start_day)
    reps = [Replication(s, draws, r, s.end_day - s.start_day).run() for r in range(2)]
    found = members(s, draws, [rep.anchor_days() for rep in reps])
    assert found is not None and found.days.shape == (2, 40)
    assert found.days.min() >= 0 and found.days.max() <= 60 and len(set(found.days[0].tolist())) > 20
    t = np.array(grid, dtype=float)
    for k in range(2):
        bound = np.maximum(found.days[k], 10)
        want = np.mean(1e6 * np.exp(-RATE * np.clip(t[:, None] - bound[None, :], 0, None)), axis=1)
        assert x[k] == pytest.approx(want, rel=1e-9)


def test_groups_with_shares_and_a_measure_that_binds_later() -> None:
    """30% of the gear from day 5 and 70% from day 40, under a rule in force from day 20: the first group is
    bound from day 20 (the rule), the second from day 40 (its own start)."""
    x, grid, _ = gear({"id": "large", "share": "30%", "start": "2020-01-06"},
                      {"id": "small", "share": "70%", "start": "2020-02-10"}, deadline="2020-01-21")
    t = np.array(grid, dtype=float)
    want = 3e5 * np.exp(-RATE * np.clip(t - 20, 0, None)) + 7e5 * np.exp(-RATE * np.clip(t - 40, 0, None))
    assert x[0] == pytest.approx(want, rel=1e-9)


def test_a_lift_ends_every_members_obligation() -> None:
    """Lifted on day 30: members who started on day 0 and day 50 stop moving on day 30; the second never starts."""
    x, grid, _ = build_lifted()
    t = np.array(grid, dtype=float)
    assert x[0] == pytest.approx(5e5 * np.exp(-RATE * np.clip(t, 0, 30)) + 5e5, rel=1e-9)


def build_lifted() -> tuple[np.ndarray, list[int], Any]:
    s = build(**GEAR, events=[{"id": "repeal", "date": "2020-01-31"}], measures=[programme(
        [{"id": "c", "share": "100%", "starts": ["2020-01-01", "2020-02-20"]}], lifted_by=["repeal"])])
    grid = report_grid(s)
    return replicate(s, s.seed, 0, 2, grid).stocks[:, :, 0], grid, s


def test_members_with_the_same_timeline_are_one_copy() -> None:
    """Every member starting before the rule binds has the rule's own timeline: one copy of summed share."""
    from sim.engine.cohorts import Members, copies
    from sim.engine.timeline import MeasureState

    found = Members(0, np.full(4, 0.25), np.array([[0, 5, 10, 30]]))
    got = list(copies(found, 0, MeasureState(switches=[(10, True)])))
    assert [(w, st.switches) for w, st in got] == [(0.75, [(10, True)]), (0.25, [(30, True)])]


@pytest.mark.parametrize(("groups", "message"), [
    ([], "a measure's `cohorts` has no members"),
    ([{"id": "c", "share": "100%", "members": 0, "start": "2020-01-01"}], "a cohort with no members"),
    ([{"id": "c", "share": "100%", "starts": []}], "a cohort with no members"),
    ([{"id": "c", "share": "60%", "start": "2020-01-01"}], "the cohorts' shares do not add up to 100%"),
    ([{"id": "c", "share": "100%", "start": "2021-03-01"}], "a cohort member's start is dated after the simulated "
     "window"),
    ([{"id": "c", "share": "100%", "start": "2020-01-01", "starts": ["2020-01-01"]}],
     "a cohort needs exactly one of `start` or `starts`"),
    ([{"id": "c", "share": "100%", "start": "nodeal + 3d"}], "`nodeal` is not a known event or measure"),
    ([{"id": "c", "share": "100%", "start": "replace.enjoined + 3d"}],
     "measure `replace` can never be enjoined, so this date never comes"),
    ([{"id": "c", "share": {"between": ["40%", "60%"]}, "start": "2020-01-01"}], "a cohort's share is a fixed number"),
])
def test_bad_cohorts_are_refused_with_a_hint(groups: list[Any], message: str) -> None:
    """Each mistake is reported with a hint."""
    with pytest.raises(ScenarioError) as err:
        build(**GEAR, events=[{"id": "deal", "date": "2020-02-01"}], measures=[programme(groups)])
    found = [d for d in err.value.diagnostics if d.message == message]
    assert found and found[0].hint, [d.format() for d in err.value.diagnostics]


def test_only_one_measure_may_have_cohorts() -> None:
    """Two measures with cohorts: refused at the second's `cohorts`."""
    c = [{"id": "c", "share": "100%", "start": "2020-01-01"}]
    second = {**programme([{**c[0], "id": "d"}]), "id": "other"}
    with pytest.raises(ScenarioError, match="only one measure may have `cohorts`"):
        build(**GEAR, measures=[programme(c), second])


def test_a_phase_in_counts_from_each_members_date() -> None:
    """Hand-computed: with ``phase_in: 14d`` (two weekly steps) half the gear from day 0 and half from day 20
    each move at half the rate for 7 days, then at the full rate: ``500k e^(-r/2 min(s, 7) - r (s - 7)+)`` with
    ``s`` the days since the member's date."""
    s = build(**GEAR, measures=[{**programme([{"id": "c", "share": "100%", "starts": ["2020-01-01", "2020-01-21"]}]),
                                 "effects": [{"type": "transfer", "from": "gear", "to": "replaced", "rate": "1%/day",
                                              "phase_in": "14d"}]}])
    grid = report_grid(s)
    x = replicate(s, s.seed, 0, 2, grid, verify_accounting=True).stocks[0, :, 0]
    t = np.array(grid, dtype=float)

    def member(d: float) -> np.ndarray:
        since = np.clip(t - d, 0, None)
        return 5e5 * np.exp(-RATE / 2 * np.minimum(since, 7) - RATE * np.clip(since - 7, 0, None))

    assert x == pytest.approx(member(0) + member(20), rel=1e-9)


def test_masked_rows_give_what_replayed_profiles_give(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut for effects without phase-in (members' rows masked from the replication's) and replaying
    each member's profiles agree, with a measure that is enjoined and comes back."""
    from sim.engine import layout

    court = [{"id": "suit", "decision": "2020-03-01", "injunction": 0.5,
              "appeal": {"probability": 1, "decision": "30d", "reversal": 1}}]
    group = {"id": "c", "share": "100%", "members": 20, "start": {"between": ["2020-01-01", "2020-06-01"]}}
    s = build(**{**GEAR, "replications": 16}, measures=[programme([group], challenges=court)])
    grid = report_grid(s)
    fast = replicate(s, s.seed, 0, 16, grid)
    init = layout.EffectProfiles.__init__

    def replaying(self: layout.EffectProfiles, *args: Any) -> None:
        init(self, *args)
        self.masked = [False] * len(self.masked)

    monkeypatch.setattr(layout.EffectProfiles, "__init__", replaying)
    slow = replicate(s, s.seed, 0, 16, grid)
    assert fast.stocks == pytest.approx(slow.stocks, rel=1e-12)
    assert fast.metric_cum == pytest.approx(slow.metric_cum, rel=1e-12)
    assert 0 < fast.injunctions.sum() < 16, "some replications enjoined and restored, some not"
