"""The timeline chart's shocks and cohort members: dates from the run's log and the scenario, checked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pytest

from plots import timeline, timeline_marks
from sim import load_scenario, run
from sim.scenario.schema import Cohort

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture(scope="module")
def rush() -> Any:
    return run(load_scenario(SCENARIOS / "wechat-install-rush-2020.yaml"), replications=20)


@pytest.fixture(scope="module")
def record() -> Any:
    return run(load_scenario(SCENARIOS / "pafaca-2024.yaml", "as_it_happened"), replications=4)


def test_a_shock_spans_its_dates_in_the_log(rush: Any) -> None:
    """The Sept 18-19 rush (2 days from 2020-09-18): it begins on the 18th and ends on the 20th, in every run."""
    [span] = timeline_marks.shock_spans(rush)
    assert (span.began, span.ended, span.share) == (d("2020-09-18"), d("2020-09-20"), 1.0)


def test_the_record_draws_each_shock_on_its_date(record: Any) -> None:
    """as_it_happened: the wave Jan 8-13, the outage on Jan 19 (one day), the drift back from the reprieve on
    Jan 19 to the end of the window, the dip from 2026-01-24 for 14 days."""
    spans = {s.title.split()[0] + s.title.split()[1]: (s.began, s.ended) for s in timeline_marks.shock_spans(record)}
    assert list(spans.values()) == [(d("2025-01-08"), d("2025-01-14")), (d("2025-01-19"), d("2025-01-20")),
                                    (d("2025-01-19"), None), (d("2026-01-24"), d("2026-02-07"))]
    fig = timeline.plot(record)
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "shock-label"]
    assert len(labels) == 4 and all("every run" in t for t in labels), labels
    assert "to the end" in labels[2]
    assert any("Shock" in t.get_text() for t in fig.axes[0].get_legend().get_texts())


def test_listed_starts_and_waves_are_ticks_a_range_is_a_bracket() -> None:
    """tplink's groups by hand: the five large ISPs on Feb 1 to Jun 1, 2026 (no period); the small ones' nine
    monthly waves from Mar 1 plus 30 days (Mar 31, May 1, ..., Dec 1); a start drawn between two dates plus a
    period of 1 to 2 months is one range, Mar 1 + 1 month to Jun 1 + 2 months."""
    s = load_scenario(SCENARIOS / "tplink-routers-2025.yaml")
    large, small = next(m for m in s.measures if m.cohorts).cohorts or []
    assert timeline_marks.member_dates(large).ticks == tuple(d(f"2026-0{k}-01") for k in range(2, 7))
    waves = timeline_marks.member_dates(small).ticks
    assert len(waves) == 9 and waves[0] == d("2026-03-31") and waves[-1] == d("2026-12-01")
    ranged = Cohort(id="g", share="100%", members=10, start={"between": ["2026-03-01", "2026-06-01"]},
                    period={"between": ["1mo", "2mo"]})
    dates = timeline_marks.member_dates(ranged)
    assert dates.ticks == () and dates.span == (d("2026-04-01"), d("2026-08-01"))


def test_the_timeline_draws_the_members_under_their_measure() -> None:
    """The cohort measure's row gets its members' ticks (one line per group); a scenario without cohorts none."""
    res = run(load_scenario(SCENARIOS / "tplink-routers-2025.yaml"), replications=8)
    ax = timeline.plot(res).axes[0]
    members = [line for line in ax.lines if line.get_gid() == "cohort-members"]
    assert [len(line.get_xdata()) for line in members] == [5, 9]
    assert any("Cohort members" in t.get_text() for t in ax.get_legend().get_texts())
