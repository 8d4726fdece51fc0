"""A run whose series wait in a temporary file (:mod:`sim.runs.spill`) gives the very results of one that keeps
them in memory."""

from __future__ import annotations

import numpy as np
import pandas as pd

import sim.runs.runner as runner
from sim import load_scenario, run
from sim.runs.spill import Spilled, SpilledSeries

TABLES = ("series", "dated", "in_force", "effective", "measures", "events", "replication_series", "branches", "finals")


def test_spilled_run_is_identical(flagship_path, monkeypatch):
    s = load_scenario(flagship_path)
    kept = run(s, replications=24, keep_replications=True)
    made = []
    real = Spilled.__init__

    def spy(self, *args):
        made.append(self)
        real(self, *args)

    monkeypatch.setattr(Spilled, "__init__", spy)
    monkeypatch.setattr(runner, "SPILL_BYTES", 0)  # every run spills
    spilled = run(s, replications=24, keep_replications=True, workers=2)
    assert len(made) == 7  # every series array went to a file
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(kept, name), getattr(spilled, name), check_exact=True)
    assert kept.summary == spilled.summary


def test_spilled_reads_rows_written_in_any_order():
    a = np.random.default_rng(1).random((7, 5, 3))
    s = Spilled(a.shape, a.dtype)
    s[4:7], s[0:4] = a[4:7], a[0:4]
    column = s[:, :, 2]
    assert isinstance(column, SpilledSeries) and len(column) == 7
    assert np.array_equal(column[:, [1, 3]], a[:, [1, 3], 2]) and np.array_equal(column[[0, 5]], a[[0, 5], :, 2])
    assert np.array_equal(s[:, -1, 0], a[:, -1, 0])
    s.close()
