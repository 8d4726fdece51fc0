"""Time a cohort measure against the same measure without cohorts, and against one written per member.

Cases (one chunk of 1,024 replications, a one-year window, weekly grid, a replacement programme moving
``gear`` to ``replaced`` at 1%/day): no cohorts; one member; 100 members drawn from 9 monthly waves
(``{empirical: [...]}``, at most 9 distinct dates per replication); 100 members each with its own date drawn
over nine months (about 85 distinct days per replication). The last case, ``per member``, writes the same
thing without cohorts: 100 populations and 100 measures (one per member), at 16 replications (it is slow),
scaled to 1,024. Prints the CPU seconds of each case and its ratio to the case without cohorts.

Run from the repository root::

    python benchmarks/bench_cohorts.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from sim.engine.replications import replicate, report_grid
from sim.scenario.loader import validate_data

R = 1024
BASE: dict[str, Any] = {"name": "bench", "title": "cohorts", "window": {"start": "2020-01-01", "end": "2020-12-31"},
                        "report": "week", "seed": 1}
NINE_MONTHS = {"between": ["2020-01-01", "2020-10-01"]}
WAVES = {"empirical": [f"2020-{m:02d}-01" for m in range(1, 10)]}


def scenario(cohorts: list[dict[str, Any]] | None) -> Any:
    """The programme on one population, with ``cohorts`` (or none)."""
    m: dict[str, Any] = {"id": "replace", "deadline": "2020-01-01",
                         "effects": [{"type": "transfer", "from": "gear", "to": "replaced", "rate": "1%/day"}]}
    if cohorts:
        m["cohorts"] = cohorts
    return _valid({**BASE, "populations": [{"id": "gear", "initial": "1M"}, {"id": "replaced", "initial": 0}],
                   "metrics": [{"id": "exposure", "terms": [{"population": "gear"}]}], "measures": [m]})


def per_member(n: int = 100) -> Any:
    """The same without cohorts: a population and a measure per member, each with its own deadline."""
    pops = [{"id": f"gear_{j}", "initial": 1e6 / n} for j in range(n)] + [{"id": "replaced", "initial": 0}]
    measures = [{"id": f"replace_{j}", "deadline": NINE_MONTHS, "effects": [
        {"type": "transfer", "from": f"gear_{j}", "to": "replaced", "rate": "1%/day"}]} for j in range(n)]
    return _valid({**BASE, "populations": pops, "measures": measures,
                   "metrics": [{"id": "exposure", "terms": [{"population": f"gear_{j}"} for j in range(n)]}]})


def _valid(data: dict[str, Any]) -> Any:
    s, problems = validate_data(data, "<bench>")
    assert s is not None, [p.format() for p in problems]
    return s


def cpu(s: Any, reps: int) -> float:
    """CPU seconds of one chunk of ``reps`` replications (after a small warm-up chunk)."""
    grid = report_grid(s)
    replicate(s, 1, 0, 8, grid)
    t = time.process_time()
    replicate(s, 1, 0, reps, grid)
    return time.process_time() - t


def main() -> None:
    cases = {
        "no cohorts": (scenario(None), R),
        "1 member": (scenario([{"id": "c", "share": "100%", "start": NINE_MONTHS}]), R),
        "100 members, 9 monthly waves": (scenario([{"id": "c", "share": "100%", "members": 100, "start": WAVES}]), R),
        "100 members, own dates": (scenario([{"id": "c", "share": "100%", "members": 100, "start": NINE_MONTHS}]), R),
        "per member (100 measures)": (per_member(), 16),
    }
    base = None
    print(f"{'case':<32}{'CPU s / 1,024 replications':>28}{'ratio':>8}")
    for name, (s, reps) in cases.items():
        seconds = cpu(s, reps) * R / reps
        base = base or seconds
        print(f"{name:<32}{seconds:>28.2f}{seconds / base:>8.1f}")


if __name__ == "__main__":
    main()
