"""Time the lifecycle on the flagship: the chunk calendar against one SimPy lifecycle per replication (a script,
not a test).

Both paths are :func:`sim.engine.replications.replicate` on the same chunks of 1,024 replications, in this
process, one worker: ``per-replication`` plays each replication's own SimPy environment
(:class:`sim.engine.lifecycle.Replication`), ``calendar`` one SimPy calendar per chunk
(:class:`sim.engine.chunk_calendar.ChunkCalendar`). Rounds alternate the two paths (interleaved, so the
machine's load falls on both alike); the script prints each round, the median per replication of each path
(whole chunk: draws, lifecycle, segments, solve) and of the lifecycle alone
(:func:`sim.engine.chunk_calendar.play_chunk`), their ratios, and checks the two give equal event logs.
Times are CPU seconds of this process (``time.process_time``): on a machine shared with other jobs they
vary far less than wall time, which is printed alongside.

Run from the repository root::

    python benchmarks/bench_engine.py [-n 10000] [--rounds 3] [--scenario scenarios/tiktok-wechat-2020.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from sim.engine.chunk_lifecycle import play_chunk, unsupported
from sim.engine.draws import ChunkDraws
from sim.engine.replications import CHUNK, grids, replicate
from sim.engine.streams import Streams
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario

PATHS = {"per-replication": False, "calendar": True}


def whole(s: Scenario, n: int, calendar: bool) -> tuple[float, float]:
    """CPU and wall seconds per replication of ``replicate`` over ``n`` replications, chunk by chunk."""
    grid = grids(s)[0]
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, n, CHUNK):
        replicate(s, s.seed, start, min(n, start + CHUNK), grid, calendar=calendar)
    return (time.process_time() - cpu) / n, (time.perf_counter() - wall) / n


def lifecycle(s: Scenario, n: int, calendar: bool) -> tuple[float, float]:
    """CPU and wall seconds per replication of the lifecycles alone (fresh draws per chunk, as in a run)."""
    horizon = s.end_day - s.start_day
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, n, CHUNK):
        play_chunk(s, ChunkDraws(Streams(s.seed), start, min(n, start + CHUNK), s.start_day), horizon, calendar)
    return (time.process_time() - cpu) / n, (time.perf_counter() - wall) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=10_000, help="replications per timing")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each path")
    ap.add_argument("--scenario", default="scenarios/tiktok-wechat-2020.yaml", help="scenario file")
    args = ap.parse_args()
    s = load_scenario(args.scenario)
    if unsupported(s):
        sys.exit(f"{args.scenario}: the chunk calendar does not play {', '.join(unsupported(s))}")
    a, b = (play_chunk(s, ChunkDraws(Streams(s.seed), 0, CHUNK, s.start_day), s.end_day - s.start_day, c)
            for c in PATHS.values())
    assert a.log.rows() == b.log.rows() and a.states == b.states, "the two paths differ"
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for i in range(args.rounds):
        for part, fn in (("whole chunk", whole), ("lifecycle", lifecycle)):
            for name, calendar in PATHS.items():
                cpu, wall = fn(s, args.n, calendar)
                found.setdefault((part, name), []).append((cpu, wall))
                print(f"round {i + 1}: {part:11} {name:15} {cpu * 1e6:8.1f} us CPU {wall * 1e6:8.1f} us wall "
                      "per replication", flush=True)
    print(f"\n{s.name}, {args.n:,} replications, one worker, median of {args.rounds} interleaved rounds, "
          "CPU (wall) per replication:")
    for part in ("whole chunk", "lifecycle"):
        (old, old_wall), (new, new_wall) = ((statistics.median(x[0] for x in found[part, name]),
                                             statistics.median(x[1] for x in found[part, name])) for name in PATHS)
        print(f"  {part:11}  per-replication {old * 1e6:7.1f} us ({old_wall * 1e6:7.1f})  calendar "
              f"{new * 1e6:7.1f} us ({new_wall * 1e6:7.1f})  ratio {old / new:5.2f}x")


if __name__ == "__main__":
    main()
