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
    "load_scenario": "sim.loader",
    "check_file": "sim.loader",
    "resolve_raw": "sim.loader",
    "Scenario": "sim.schema",
    "ScenarioError": "sim.errors",
    "DocketError": "sim.errors",
    "run": "sim.runner",
    "Results": "sim.results",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
