"""Shared helpers: build small scenarios from Python dicts, run single replications."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

BASE: dict[str, Any] = {
    "name": "t",
    "title": "test scenario",
    "window": {"start": "2020-01-01", "end": "2020-12-31"},
    "report": "week",
    "replications": 20,
    "seed": 1,
    "populations": [{"id": "users", "initial": "1M", "inflow": "10k/day", "outflow": "2%/month"}],
    "metrics": [{"id": "exposure", "unit": "users", "terms": [{"population": "users"}]}],
}


def build(**changes: Any) -> Any:
    """A validated Scenario: BASE with top-level keys replaced (raises with the diagnostics if invalid)."""
    from sim.scenario.errors import ScenarioError
    from sim.scenario.loader import validate_data

    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    scenario, diagnostics = validate_data(data, "<test>")
    if scenario is None:
        raise ScenarioError(diagnostics)
    return scenario


def measure(mid: str = "ban", deadline: str = "2020-03-01", **extra: Any) -> dict[str, Any]:
    """A measure blocking the inflow of `users` from `deadline`, plus extra keys."""
    m = {"id": mid, "deadline": deadline, "effects": [{"type": "scale_inflow", "population": "users", "factor": 0}]}
    m.update(extra)
    return m


def one(scenario: Any, r: int = 0) -> Any:
    """The finished lifecycle of replication r (a sim.engine.lifecycle.Replication)."""
    from sim.engine.draws import ChunkDraws
    from sim.engine.lifecycle import Replication
    from sim.engine.streams import Streams

    start, end = scenario.window.start.fixed_day(), scenario.window.end.fixed_day()
    return Replication(scenario, ChunkDraws(Streams(scenario.seed), r, r + 1, start), r, end - start).run()


def day(text: str, start: str = "2020-01-01") -> int:
    """Days from `start` to the ISO date `text`."""
    import datetime as dt

    return (dt.date.fromisoformat(text) - dt.date.fromisoformat(start)).days


@pytest.fixture
def flagship_path() -> str:
    """Path of the bundled flagship scenario."""
    return os.path.join(os.path.dirname(__file__), "..", "scenarios", "tiktok-wechat-2020.yaml")


@pytest.fixture(scope="session")
def web_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three finished run folders for the web page's tests: the flagship as written (``flagship``), its
    ``deal_reached`` variant (``deal``, same seed and replications: paired), and the quickstart (``quick``)."""
    from click.testing import CliRunner

    from cli import cli

    root = tmp_path_factory.mktemp("web-runs")
    here = Path(__file__).resolve().parent.parent / "scenarios"
    made = {"flagship": ["run", str(here / "tiktok-wechat-2020.yaml"), "-n", "30"],
            "deal": ["run", str(here / "tiktok-wechat-2020.yaml"), "--variant", "deal_reached", "-n", "30"],
            "quick": ["run", str(here / "quickstart.yaml"), "-n", "12"]}
    for name, args in made.items():
        res = CliRunner().invoke(cli, [*args, "--out", str(root / name), "-q", "--workers", "1"])
        assert res.exit_code == 0, res.output
    return {name: root / name for name in made}
