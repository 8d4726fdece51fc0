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


def test_a_full_disk_is_a_clear_error_and_the_file_is_closed(flagship_path, monkeypatch, tmp_path, capsys):
    """A temporary series file that cannot be written (a full disk) stops the run with a DocketError naming its
    folder and what to do, not an internal error; `docket run` exits 1 without a traceback and writes no folder."""
    import errno
    import sys

    import pytest

    import cli
    import sim.runs.spill as spill

    def full(fd, data, at):
        raise OSError(errno.ENOSPC, "No space left on device")

    made = []
    real = Spilled.__init__

    def spy(self, *args):
        made.append(self)
        real(self, *args)

    monkeypatch.setattr(spill.os, "pwrite", full)
    monkeypatch.setattr(Spilled, "__init__", spy)
    monkeypatch.setattr(runner, "SPILL_BYTES", 0)
    monkeypatch.setattr(sys, "argv", ["docket", "run", str(flagship_path), "-n", "24", "--workers", "1",
                                      "--out", str(tmp_path / "out")])
    monkeypatch.delenv("DOCKET_DEBUG", raising=False)
    with pytest.raises(SystemExit) as info:
        cli.main()
    err = capsys.readouterr().err
    assert info.value.code == 1, err
    assert "keeps its series in a temporary file in" in err and "No space left on device" in err
    assert "set TMPDIR to a folder on a larger disk" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert made and all(s._file.closed for s in made)  # released on the failure path, not left to the collector
