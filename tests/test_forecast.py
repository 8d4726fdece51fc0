"""Forecasts as seen on each date and their scores against the record (``docket forecast``, ``docket score``)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from sim.scenario.errors import DocketError
from sim.scenario.loaded import load
from sim.studies.forecast import as_of_dates, changes, forecast, record_outcome
from sim.studies.score import (
    brier,
    check_score,
    compare_scores,
    jeffreys,
    log_score,
    score,
    score_path,
    store_score,
)
from sim.testing.suite import Target, run_target

N = 200


def _scenario(tmp_path: Path, injunction: float = 0.5, decision: float = 0.4) -> Path:
    path = tmp_path / "suit.yaml"
    path.write_text(f"""
name: suit
title: A ban, a lawsuit and a possible extension
as_of: 2026-01-01
window: {{start: 2026-01-01, end: 2026-12-31}}
key_dates: [2026-06-01, 2026-10-01]
replications: 100
populations: [{{id: users, initial: 1M, source: assumption}}]
measures:
  - id: ban
    deadline: 2026-06-01
    effects: [{{type: stop_updates, population: users}}]
    challenges:
      - {{id: suit, decision: {{between: [2026-02-01, 2026-05-01]}}, injunction: {injunction}, source: assumption}}
    source: assumption
  - id: rule
    deadline: 2026-09-01
    effects: [{{type: stop_updates, population: users}}]
    decisions:
      - {{id: reprieve, date: {{between: [2026-03-01, 2026-08-01]}}, probability: {decision}, extend: 90d,
         source: assumption}}
    source: assumption
record:
  until: 2026-07-01
  facts:
    - {{date: 2026-03-01, challenge: suit, injunction: false, source: assumption}}
""")
    return path


def _F(day: dt.date) -> float:
    """P(the reprieve's whole-day date <= day): uniform on Mar 1 to Aug 1 rounded to the day."""
    lo, hi = dt.date(2026, 3, 1).toordinal(), dt.date(2026, 8, 1).toordinal()
    return min(max((day.toordinal() + 0.5 - lo) / (hi - lo), 0.0), 1.0)


def test_a_decision_not_taken_by_as_of_follows_bayes(tmp_path: Path) -> None:
    t, p = dt.date(2026, 5, 1), 0.4
    node = load(_scenario(tmp_path, decision=p), as_of=t).data["measures"][1]["decisions"][0]
    assert math.isclose(node["probability"]["value"], p * (1 - _F(t)) / (1 - p * _F(t)), rel_tol=1e-9)
    assert node["date"]["later_than"] == t


def test_the_record_decides_the_outcome_and_the_forecast_converges_to_it(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    outcome = record_outcome(str(path))
    by = outcome[(outcome["kind"] == "in_force_by") & (outcome["target"] == "ban")].set_index("date")["value"]
    # no injunction: in force on its deadline, so by every later date too
    assert by.to_dict() == {"2026-06-01": 1.0, "2026-10-01": 1.0, "2026-07-01": 1.0}
    rule = outcome[(outcome["kind"] == "in_force_by") & (outcome["target"] == "rule")].set_index("date")["value"]
    assert rule.to_dict() == {"2026-06-01": 0.0, "2026-07-01": 0.0}  # by Oct 1: the reprieve may still come
    fc = forecast(str(path), as_of_dates(str(path), "month"), replications=N, seed=2)
    p = fc.chance("ban", "2026-06-01")
    se = math.sqrt(0.25 / N)
    assert abs(p[dt.date(2026, 1, 1)] - 0.5) < 4 * se and p[dt.date(2026, 2, 1)] != 1.0
    assert p[dt.date(2026, 3, 1)] == 1.0
    text, table = changes(fc, dt.date(2026, 1, 1))
    assert "2026-03-01 suit: no injunction" in text
    row = table[(table["target"] == "ban") & (table["date"] == "2026-06-01")].iloc[0]
    assert row["now"] == 1.0 and "suit: no injunction" in row["moved_by"]


def test_scores_are_the_brier_and_log_scores_of_the_forecasts(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    s = score([str(path)], every="month", replications=N, seed=2)
    t = s.table
    assert set(t["measure"]) == {"ban", "rule"} and (t["as_of"].map(dt.date.isoformat) < t["date"]).all()
    assert t["brier"].tolist() == [(p - o) ** 2 for p, o in zip(t["forecast"], t["outcome"], strict=True)]
    assert t["log"].tolist() == [-math.log(jeffreys(p, N) if o else 1 - jeffreys(p, N))
                                 for p, o in zip(t["forecast"], t["outcome"], strict=True)]
    assert (t["brier_hold"] == 0.0).all()  # no injunction, no reprieve before Jul 1: the deadlines held
    summary = s.summary().iloc[0]
    assert summary["brier"] == pytest.approx(t["brier"].mean()) and summary["brier_50"] == 0.25
    rel = s.reliability()
    assert rel["forecasts"].sum() == len(t) and rel.iloc[-1]["came_true"] == 1.0


def test_score_helpers() -> None:
    assert brier(1.0, 1) == 0.0 and log_score(0.5, 0) == pytest.approx(math.log(2))
    assert compare_scores({"brier": 0.1, "log": 0.3}, {"brier": 0.1, "log": 0.3})[0]
    assert not compare_scores({"brier": 0.1, "log": 0.3}, {"brier": 0.1, "log": 0.31})[0]
    assert not compare_scores(None, {"brier": 0.1, "log": 0.3})[0]


def _store_small(path: Path) -> None:
    """A stored score on monthly as-of dates of 50 runs (later scores are made as it was)."""
    score_path(path).parent.mkdir()
    store_score(score([str(path)], every="month", replications=50), path, "month", None)


def test_a_stored_score_fails_when_the_forecasts_get_worse(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    _store_small(path)
    ok, text = check_score(path, update=True)  # with the stored settings
    assert ok and score_path(path).exists(), text
    assert check_score(path)[0]
    path.write_text(path.read_text().replace("injunction: 0.5", "injunction: 0.9"))  # a worse assumption
    ok, text = check_score(path)
    assert not ok and "worse than stored" in text


def test_docket_test_has_a_score_item_that_fails_on_a_worse_library(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    _store_small(path)
    assert run_target(Target(path), update=True).passed
    assert run_target(Target(path)).passed
    path.write_text(path.read_text().replace("injunction: 0.5", "injunction: 0.9"))
    result = run_target(Target(path))
    assert result.score is not None and not result.score[0] and not result.passed
    assert "FAIL score: worse than stored" in result.text()


def test_forecast_and_score_commands(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    runner = CliRunner()
    out = runner.invoke(cli.cli, ["forecast", str(path), "--every", "month", "-n", "50", "--measure", "ban",
                                  "--out", str(tmp_path / "fc")])
    assert out.exit_code == 0, out.output
    assert {p.name for p in (tmp_path / "fc").iterdir()} >= {"forecast.csv", "forecast.png", "changes.txt"}
    out = runner.invoke(cli.cli, ["score", str(path), "-n", "50", "--every", "month", "--out", str(tmp_path / "sc")])
    assert out.exit_code == 0, out.output
    assert "Reliability" in out.output and (tmp_path / "sc" / "reliability.png").exists()


def test_score_without_a_record_is_a_clear_error(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    path.write_text(path.read_text().split("record:")[0])
    out = CliRunner().invoke(cli.cli, ["score", str(path), "--out", str(tmp_path / "sc")])
    assert isinstance(out.exception, DocketError) and "nothing to score" in str(out.exception)
    assert f"{path}: no `record:`" in str(out.exception)
    assert not (tmp_path / "sc").exists()
    out = CliRunner().invoke(cli.cli, ["forecast", str(path), "--every", "week"])
    assert out.exit_code == 2 and "has no `record:`" in out.output
