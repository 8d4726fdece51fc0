"""A scenario as seen on a date (``record:``, ``--as-of``): conditioning checked against closed forms."""

from __future__ import annotations

import datetime as dt
import math
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from sim.runs.runner import run
from sim.scenario.errors import ScenarioError, UsageError
from sim.scenario.loaded import load
from sim.scenario.sampling import mean
from sim.scenario.values import read_value

START = dt.date(2026, 1, 1)
LO, HI = dt.date(2026, 2, 1), dt.date(2026, 5, 1)  # the deal's date: uniform on these days
N = 4000


def _scenario(tmp_path: Path, probability: float, facts: str = "[]", injunction: float = 0.5) -> Path:
    path = tmp_path / "deal.yaml"
    path.write_text(f"""
name: deal
title: A ban that starts when a deal closes
as_of: {START}
window: {{start: {START}, end: 2026-12-31}}
populations: [{{id: users, initial: 1M, source: assumption}}]
events:
  - {{id: deal, probability: {probability}, date: {{between: [{LO}, {HI}]}}, source: assumption}}
measures:
  - id: ban
    deadline: {{from: deal, offset: 0d}}
    effects: [{{type: stop_updates, population: users}}]
    source: assumption
  - id: other
    deadline: 2026-09-01
    effects: [{{type: stop_updates, population: users}}]
    challenges:
      - {{id: suit, decision: {{between: [2026-02-01, 2026-08-01]}}, injunction: {injunction}, source: assumption}}
    source: assumption
record:
  until: 2026-12-31
  facts: {facts}
""")
    return path


def _by(results: object, measure: str, day: dt.date) -> float:
    eff = results.effective  # type: ignore[attr-defined]
    rows = eff[(eff["measure"] == measure) & eff["date"].notna() & (eff["date"] <= pd.Timestamp(day))]
    return float(rows["cumulative"].iloc[-1]) if len(rows) else 0.0


def _F(day: dt.date) -> float:
    """P(the deal's whole-day date <= day): a uniform on [LO, HI] rounded to the nearest day."""
    return min(max((day.toordinal() + 0.5 - LO.toordinal()) / (HI.toordinal() - LO.toordinal()), 0.0), 1.0)


def _close(estimate: float, p: float, n: int = N) -> bool:
    """Within 4 binomial standard errors (a true p gives a false alarm about once in 16,000 tests)."""
    return abs(estimate - p) <= 4 * math.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-12


@pytest.mark.parametrize("t, d", [(dt.date(2026, 3, 1), dt.date(2026, 3, 20)), (dt.date(2026, 2, 10),
                                                                               dt.date(2026, 4, 15))])
def test_an_uncertain_date_not_reached_is_drawn_after_as_of(tmp_path: Path, t: dt.date, d: dt.date) -> None:
    res = run(load(_scenario(tmp_path, 1.0), as_of=t).scenario, replications=N, seed=3)
    expected = (_F(d) - _F(t)) / (1 - _F(t))
    assert _by(res, "ban", t) == 0.0  # nothing before as-of
    assert _close(_by(res, "ban", d), expected), (_by(res, "ban", d), expected)
    assert _by(res, "ban", HI) == 1.0


def test_a_probability_p_event_not_happened_follows_bayes(tmp_path: Path) -> None:
    t, p = dt.date(2026, 3, 15), 0.5
    res = run(load(_scenario(tmp_path, p), as_of=t).scenario, replications=N, seed=5)
    posterior = p * (1 - _F(t)) / (1 - p * _F(t))
    assert _close(_by(res, "ban", HI), posterior), (_by(res, "ban", HI), posterior)
    # and, given it happens, its date is the truncated one
    d = dt.date(2026, 4, 1)
    assert _close(_by(res, "ban", d), posterior * (_F(d) - _F(t)) / (1 - _F(t)))


def test_common_random_numbers_across_as_of_dates(tmp_path: Path) -> None:
    """A replication's conditioned draw is the same uniform through the truncated inverse CDF: later as-of
    dates never move a draw earlier."""
    path = _scenario(tmp_path, 1.0)
    days = []
    for t in (START, dt.date(2026, 2, 20), dt.date(2026, 3, 20)):
        res = run(load(path, as_of=t).scenario, replications=200, seed=1)
        days.append([_by(res, "ban", dt.date(2026, 3, 1) + dt.timedelta(k)) for k in range(0, 60, 5)])
    assert all(a >= b for early, late in pairwise(days) for a, b in zip(early, late, strict=True))


def test_a_recorded_fact_is_fixed(tmp_path: Path) -> None:
    facts = "[{date: 2026-02-15, event: deal}, {date: 2026-02-10, challenge: suit, injunction: true}]"
    loaded = load(_scenario(tmp_path, 0.3, facts), as_of=dt.date(2026, 3, 1))
    res = run(loaded.scenario, replications=50, seed=1)
    assert _by(res, "ban", dt.date(2026, 2, 14)) == 0.0 and _by(res, "ban", dt.date(2026, 2, 15)) == 1.0
    assert _by(res, "other", dt.date(2026, 12, 31)) == 0.0  # enjoined for good (no appeal)
    # a fact after as-of is not known yet: the deal is conditioned instead
    later = load(_scenario(tmp_path, 0.3, facts), as_of=dt.date(2026, 2, 12)).data
    assert later["events"][0]["probability"]["value"] < 0.3


def test_a_fact_the_scenario_gives_no_chance_names_both(tmp_path: Path) -> None:
    facts = "[{date: 2026-02-10, challenge: suit, injunction: true}, {date: 2026-06-01, event: deal}]"
    path = _scenario(tmp_path, 0.3, facts, injunction=0)
    with pytest.raises(ScenarioError) as err:
        load(path, as_of=dt.date(2026, 7, 1))
    text = str(err.value)
    assert "challenge `suit` on 2026-02-10 has no chance" in text and "probability 0" in text
    assert "event `deal` on 2026-06-01 has no chance" in text
    assert f"{path}:" in text and "record.facts[0]" in text and "injunction at" in text


def test_a_certain_date_passed_without_the_fact_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no chance of coming later"):
        load(_scenario(tmp_path, 0.3), as_of=dt.date(2026, 8, 5))  # the suit is decided by Aug 1 for sure


def test_as_of_outside_the_record_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="outside the record"):
        load(_scenario(tmp_path, 0.3), as_of=dt.date(2025, 12, 1))


def test_mean_of_an_uncertain_probability() -> None:
    assert abs(mean(read_value({"triangular": [0.1, 0.2, 0.6]}, "probability")) - 0.3) < 1e-4
