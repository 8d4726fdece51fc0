"""A pytest plugin (``-p tests.doctest_examples`` in pyproject's ``addopts``): the names the docstring examples of
``plots/`` share, finished runs of the flagship and a folder to save into.

The runs are made once, only when a ``plots`` doctest asks for them (200 replications each, a few seconds in
all); the tests under ``tests/`` have their own fixtures.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from _pytest.doctest import DoctestItem

FLAGSHIP = Path(__file__).resolve().parent.parent / "scenarios" / "tiktok-wechat-2020.yaml"


@functools.cache
def _examples() -> dict[str, Any]:
    from sim import load_scenario, run
    from sim.scenario.loader import resolve_raw

    return {
        "res": run(load_scenario(FLAGSHIP), replications=200),
        "res_announced": run(load_scenario(FLAGSHIP, "as_announced"), replications=200),
        "data": resolve_raw(FLAGSHIP),
    }


@pytest.fixture(autouse=True)
def _plots_examples(request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]) -> None:
    """Give a ``plots`` (or ``sim.text.findings``) docstring example ``res``, ``res_announced``, ``data`` and
    ``out`` (a fresh folder)."""
    if isinstance(request.node, DoctestItem) and request.node.name.startswith(("plots.", "sim.text.findings.")):
        doctest_namespace.update(_examples(), out=request.getfixturevalue("tmp_path"))
