"""Every chart of every bundled scenario renders without warnings."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest

from plots.pack import pages
from sim import load_scenario, run

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_page_renders_without_warnings(path):
    """All pages of the pack (and the comparison with the first variant, if any) draw cleanly."""
    scenario = load_scenario(path)
    res = run(scenario, replications=24)
    others = [run(load_scenario(path, scenario.variants[0].id), replications=24)] if scenario.variants else []
    names = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for stem, fig in pages(res, others):
            fig.savefig(io.BytesIO(), format="png", dpi=30)
            names.append(stem.split("-")[0])
    assert {"key_numbers", "populations", "assumptions"} <= set(names)
    assert ("comparison" in names) == bool(others)
