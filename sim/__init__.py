"""docket's engine: scenario language, Monte Carlo timeline simulation and exposure accounting.

The public API is reached lazily so ``import sim`` stays cheap (``docket validate`` must not load numpy,
pandas or simpy):

    >>> from sim import load_scenario
    >>> load_scenario("scenarios/quickstart.yaml").name
    'quickstart'
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_scenario": "sim.scenario.loader",
    "check_file": "sim.scenario.loader",
    "resolve_raw": "sim.scenario.loader",
    "Scenario": "sim.scenario.schema",
    "ScenarioError": "sim.scenario.errors",
    "DocketError": "sim.scenario.errors",
    "run": "sim.runs.runner",
    "Results": "sim.runs.results",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
