"""The segment tables built by column for a whole chunk (sim.engine.columns) equal those built per replication."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.engine import columns
from sim.engine.chunk_lifecycle import play_chunk
from sim.engine.cohorts import members
from sim.engine.columns import chunk_batches, on_grid, profile_column, supported
from sim.engine.draws import ChunkDraws
from sim.engine.effects import ACTIONS, effect_refs
from sim.engine.layout import Batch, EffectProfiles, column_batches
from sim.engine.played import switches
from sim.engine.replications import _params
from sim.engine.segments import profile
from sim.engine.streams import Streams
from sim.engine.timeline import MeasureState
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
TARGETS = [(p.name, v) for p in sorted((ROOT / "scenarios").glob("*.yaml"))
           for v in [None, *(x["id"] for x in (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("variants")
                             or [])]]


def rows_of(batches: list[Batch]) -> list[tuple[list[int], bytes]]:
    """Each solved row's segment days and table, whatever the batches."""
    out = []
    for owner, _, seg in batches:
        for i in range(len(owner)):
            a, b = seg.offsets[i], seg.offsets[i + 1]
            out.append((seg.days[a:b].tolist(), seg.table[a:b].tobytes()))
    return out


@pytest.mark.parametrize(("file", "variant"), TARGETS)
def test_bundled_scenarios_have_the_same_segments_by_column(file: str, variant: str | None) -> None:
    """Every bundled scenario and variant the column path builds: the same segment days and tables, row by row,
    in batches of a few rows (so a batch boundary falls between rows); the others have what it does not build
    (cohorts, waivers, schedules)."""
    s = load_scenario(ROOT / "scenarios" / file, variant)
    draws = ChunkDraws(Streams(s.seed), 0, 40, s.start_day)
    refs = effect_refs(s)
    horizon, M = s.end_day - s.start_day, len(s.measures)
    played = play_chunk(s, draws, horizon, None)
    profiles = EffectProfiles(s, draws, refs, _params(s, draws, refs), horizon)
    if members(s, draws, played.anchors) is not None or not supported(refs, played.waivers):
        # Built per replication: the scenario has cohorts, or one of what the column path does not build.
        assert members(s, draws, played.anchors) is not None or any(
            ACTIONS[ref.effect.type].schedule is not None for ref in refs) or any(
            st.waiver_changes for row in played.states for st in row)
        return
    want = rows_of(list(column_batches((profiles.table_columns(k, st, M) for k, st in enumerate(played.states)),
                                       horizon)))
    found = played.table({ref.measure for ref in refs} | set(range(M)))  # before the states are built
    got = list(chunk_batches(refs, profiles.phase, profiles.phase_months, 40, M, horizon, s.start_day,
                             200, found))  # a few rows a batch
    assert len(got) > 1
    assert rows_of(got) == want


def test_profiles_by_column_equal_each_row_s_profile() -> None:
    """Random timelines (switches on one day, back on before a phase-in ends, at day 0, past the horizon),
    phase-ins of 0 to 40 days or of 0.5 to 3 calendar months, in default or given steps: the column is each row's
    profile, change for change."""
    rng = np.random.default_rng(5)
    horizon = 120
    for steps in (None, 1, 3):
        states = []
        for _ in range(60):
            days = np.sort(rng.integers(0, horizon + 3, rng.integers(0, 7))).tolist()
            on = rng.integers(0, 2, len(days)).astype(bool).tolist()
            states.append([MeasureState(switches=list(zip(days, on, strict=True)))])
        phase = rng.choice([0.0, 1.0, 6.0, 7.0, 13.5, 40.0], size=len(states))
        months = np.where(rng.random(len(states)) < 0.3, rng.choice([0.5, 1.0, 3.0], size=len(states)), 0.0)
        day0 = 18_300  # 2020-02-07: month ends fall inside the horizon
        row, day, value = profile_column(len(states), *switches(states, 0), phase, steps, horizon, months, day0)
        for r, st in enumerate(states):
            want = profile(st[0], float(phase[r]), steps, horizon, float(months[r]), day0)
            assert list(zip(day[row == r].tolist(), value[row == r].tolist(), strict=True)) == want


def test_the_column_path_builds_most_bundled_targets() -> None:
    """The flagship and 18 of the 27 bundled targets go by column (a guard against the path silently never running)."""
    built = 0
    for file, variant in TARGETS:
        s = load_scenario(ROOT / "scenarios" / file, variant)
        draws = ChunkDraws(Streams(s.seed), 0, 8, s.start_day)
        refs = effect_refs(s)
        horizon = s.end_day - s.start_day
        played = play_chunk(s, draws, horizon, None)
        if file == "tiktok-wechat-2020.yaml" and variant is None:
            assert supported(refs, played.waivers)
        built += members(s, draws, played.anchors) is None and supported(refs, played.waivers)
    assert built >= 17  # 18 of the 27 today


@pytest.mark.parametrize("grid_bytes", [columns.GRID_BYTES, 1])
def test_in_force_on_the_grid_is_the_last_switch_on_or_before_each_day(grid_bytes: int,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Random switches (same-day pairs, before day 0, past the last grid day, a row out of day order): each grid
    day shows the last switch on or before it, as the switches replayed one by one give (all measures summed
    at once, and one at a time)."""
    monkeypatch.setattr(columns, "GRID_BYTES", grid_bytes)
    rng = np.random.default_rng(11)
    grid = [0, 3, 7, 14, 21, 30]
    for unordered in (False, True):
        states = []
        for _ in range(50):
            sw = [(int(d), bool(a)) for d, a in zip(np.sort(rng.integers(-2, 35, rng.integers(0, 6))),
                                                   rng.integers(0, 2, 6), strict=False)]
            states.append([MeasureState(switches=sw), MeasureState(switches=sw[::-1] if unordered else sw[:1])])
        want = np.zeros((len(states), 2, len(grid)), dtype=bool)
        for k, row in enumerate(states):
            for mi in range(2):
                for day, active in row[mi].switches:
                    want[k, mi, int(np.searchsorted(grid, day)):] = active
        assert (on_grid({mi: switches(states, mi) for mi in range(2)}, len(states), 2, grid) == want).all()
