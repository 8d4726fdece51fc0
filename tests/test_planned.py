"""`docket plan` and `measures.csv`: relative dates with a certain anchor resolved, date order, tidy shares,
uncertain event dates, effective-date quantiles and the table's columns."""

from __future__ import annotations

import numpy as np
from conftest import build, measure

from sim.runs.results import _measure_table, share
from sim.runs.runner import run
from sim.scenario.planned import planned_text
from sim.text.narrate import plan_text

EVENTS = [{"id": "maybe", "probability": 0.5, "date": "2020-06-01"},
          {"id": "deal", "probability": 1, "date": "2020-11-11"}]
MEASURES = [measure("full_ban", "2020-11-12"), measure("partial", "full_ban.deadline - 2d"),
            measure("after_deal", "deal + 1mo"), measure("uncertain", "maybe + 7d"),
            measure("early", {"between": ["2020-02-01", "2020-03-01"]})]


def test_plan_resolves_relative_deadlines_with_a_certain_anchor_in_date_order():
    """`docket plan` shows `2020-11-10 (full_ban.deadline - 2d)` and `2020-12-11 (deal + 1mo)`, keeps an
    uncertain anchor as written, and lists every line in date order."""
    text = plan_text(build(events=EVENTS, measures=MEASURES))
    lines = [line for line in text.splitlines() if "deadline " in line or "event " in line]
    assert [(line.split("event ") if "event " in line else line.split("deadline "))[-1].split(":")[0].strip()
            for line in lines] == ["early", "maybe", "partial", "deal", "full_ban", "after_deal", "uncertain"]
    assert lines[2].startswith("2020-11-10 (full_ban.deadline - 2d)")
    assert lines[5].startswith("2020-12-11 (deal + 1mo)")
    assert lines[6].startswith("maybe + 7d")


def test_planned_text_needs_a_certain_anchor():
    """An event that may not occur, or requires another, is no certain anchor; a chain of `.deadline`s is."""
    events = [*EVENTS, {"id": "needs", "probability": 1, "date": "2020-05-01", "requires": ["maybe"]}]
    ms = [*MEASURES, measure("chained", "partial.deadline + 1d"), measure("needy", "needs + 1d")]
    s = build(events=events, measures=ms)
    by_id = {m.id: planned_text(s, m.deadline) for m in s.measures}
    assert by_id["chained"] == "2020-11-11 (partial.deadline + 1d)"
    assert by_id["needy"] == "needs + 1d" and by_id["uncertain"] == "maybe + 7d"
    assert by_id["full_ban"] == "2020-11-12"


def test_measures_table_resolves_deadlines_in_date_order():
    """`measures.csv` rows are in planned-deadline order, with the resolved date and the expression."""
    res = run(build(events=EVENTS, measures=MEASURES, replications=10))
    table = res.measures
    assert table["measure"].tolist() == ["early", "partial", "full_ban", "after_deal", "uncertain"]
    assert table.set_index("measure").loc["partial", "planned_deadline"] == "2020-11-10 (full_ban.deadline - 2d)"


def test_measure_shares_carry_no_float_noise():
    """P(never) of 98 in 500 replications is 0.196, not 1 - 0.804 = 0.19599999999999995; every share in the
    table has at most as many decimals as n has digits."""
    assert share(98, 500) == 0.196 and repr(share(500 - 402, 500)) == "0.196"
    events = [{"id": "deal", "probability": 0.2, "date": "2020-02-01"}]
    res = run(build(events=events, measures=[measure(lifted_by=["deal"])], replications=500, seed=11))
    row = res.measures.iloc[0]
    assert round(row["p_never"] + row["p_ever_in_force"], 9) == 1.0
    for col in ("p_never", "p_ever_in_force", "p_lifted", "mean_extensions"):
        assert len(repr(float(row[col])).split(".")[-1]) <= 3, (col, row[col])
    never = res.effective[res.effective["date"].isna()]["probability"].iloc[0]
    assert never == row["p_never"]  # effective.csv: the count over n, no difference of floats either


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
    row = _measure_table(s, cat, start).frame().iloc[0]
    assert {row.effective_p10, row.effective_p50, row.effective_p90} <= {"2020-03-01", "2020-04-30"}


def test_measures_table_has_columns_without_measures():
    """With no measures the per-measure table still has its columns (measures.csv keeps its header)."""
    s = build()
    table = _measure_table(s, {}, s.window.start.fixed_day())
    one_measure = build(measures=[measure()])
    cat = {k: np.zeros((1, 1)) for k in ("first_in_force", "extensions", "injunctions", "shelvings", "lifted",
                                         "cancelled")}
    assert list(table.columns) == list(_measure_table(one_measure, cat, s.window.start.fixed_day()).columns)
    assert len(table) == 0
