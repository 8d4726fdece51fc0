"""Scaling of docket's time and peak memory in replications, horizon and measures (a script).

Each case runs in a fresh subprocess (``sim.runs.runner.run``, one worker, summary output only), which prints
its CPU time inside ``run`` and its own peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``)::

    python benchmarks/bench_scaling.py                       # every part
    python benchmarks/bench_scaling.py --parts measures      # 10..200 measures x 1,000 replications
    python benchmarks/bench_scaling.py --parts horizon       # 1..20-year weekly window, 10,000 replications
    python benchmarks/bench_scaling.py --parts replications  # the flagship at 1,000..40,000 replications
    python benchmarks/bench_scaling.py --case measures:200   # one case
    python benchmarks/bench_scaling.py --parts measures --rounds 5   # each case 5 times: the least CPU time

The *measures* scenario is generated (:func:`many_measures`): one population of 40M devices with a sales
inflow and churn, and ``N`` measures with deadlines spread over the first year, each with a 50% chance of a
60-day deferral (at most twice), a challenge whose injunction holds with 30% and two effects (a 2% inflow
cut, an extra outflow with a 30-day phase-in); one metric counts unpatched device-days. Cost per measure per
replication is the slope of CPU time over ``N`` divided by the replications.
The *horizon* scenario is the flagship with its window end moved (weekly report, as written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "tiktok-wechat-2020.yaml"
MB = 2**20


def many_measures(n: int, years: int = 2) -> dict[str, Any]:
    """A scenario's raw data with ``n`` measures on one population (see the module docstring)."""
    start = dt.date(2026, 1, 1)
    measures = []
    for i in range(n):
        deadline = start + dt.timedelta(days=15 + (330 * i) // max(1, n))
        measures.append({
            "id": f"m{i}", "title": f"Measure {i}", "source": "assumption",
            "deadline": {"value": deadline.isoformat(), "source": "assumption"},
            "effects": [
                {"type": "scale_inflow", "population": "devices", "factor": 0.98, "source": "assumption"},
                {"type": "raise_outflow", "population": "devices", "extra": {"between": ["0.1%/month", "0.3%/month"]},
                 "phase_in": "30d", "source": "assumption"},
                {"type": "stop_updates", "population": "devices", "source": "assumption"},
            ],
            "deferral": {"probability": 0.5, "delay": "60d", "max": 2, "source": "assumption"},
            "challenges": [{"id": f"c{i}", "title": f"Challenge {i}", "decision": {
                "value": (deadline + dt.timedelta(days=20)).isoformat(), "source": "assumption"},
                "injunction": {"value": 0.3, "source": "assumption"}}],
        })
    return {
        "format": 1, "name": f"measures-{n}", "title": f"{n} measures",
        "window": {"start": start.isoformat(), "end": start.replace(year=start.year + years).isoformat()},
        "report": "week",
        "populations": [{"id": "devices", "title": "Devices", "kind": "devices", "unit": "devices",
                         "initial": {"value": "40M", "source": "assumption"},
                         "inflow": {"value": "1M/month", "source": "assumption"},
                         "outflow": {"value": "20%/year", "source": "assumption"}}],
        "measures": measures,
        "metrics": [{"id": "unpatched", "title": "Unpatched devices", "unit": "devices",
                     "terms": [{"population": "devices", "only": "unpatched"}]}],
    }


CHILD = """
import json, resource, sys, time, datetime as dt
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from bench_scaling import scenario_of
from sim.runs.runner import run
s = scenario_of({case!r})
c0 = time.process_time()
res = run(s, replications={n}, workers=1)
cpu = time.process_time() - c0
print(json.dumps({{"cpu": cpu, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def scenario_of(case: str) -> Any:
    """The validated scenario of a case ``measures:N``, ``horizon:YEARS`` or ``flagship``."""
    from sim.scenario.loader import resolve_raw, validate_data

    kind, _, arg = case.partition(":")
    if kind == "measures":
        data = many_measures(int(arg))
    else:
        data = resolve_raw(str(FLAGSHIP))
        if kind == "horizon":
            start = data["window"]["start"]
            start = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
            data["window"]["end"] = start.replace(year=start.year + int(arg))
    scenario, diagnostics = validate_data(data, case)
    if scenario is None:
        raise SystemExit("\n".join(d.format() for d in diagnostics))
    return scenario


def measure(case: str, n: int, quiet: bool = False) -> dict[str, float]:
    """CPU time inside ``run`` and peak RSS of one case in a fresh subprocess."""
    code = CHILD.format(root=str(ROOT), bench=str(ROOT / "benchmarks"), case=case, n=n)
    env_vars = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    import os

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False,
                          env={**os.environ, **env_vars})
    if proc.returncode != 0:
        raise SystemExit(f"{case} x {n}: failed\n{proc.stderr[-2000:]}")
    out: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    if not quiet:
        show(case, n, out)
    return out


def show(case: str, n: int, out: dict[str, float], spread: str = "") -> None:
    print(f"  {case:<14} x {n:>7,} replications: {out['cpu']:8.2f} s CPU, "
          f"{1e3 * out['cpu'] / n:7.3f} ms/replication, peak {out['peak_mb']:7.0f} MB{spread}", flush=True)


def rounds(cases: list[tuple[str, int]], k: int) -> dict[str, dict[str, float]]:
    """Each case ``k`` times, round after round (each round every case once, so a slow spell of the machine
    falls on all of them): the least CPU time of each (and its spread) and the largest peak."""
    runs: dict[str, list[dict[str, float]]] = {case: [] for case, _ in cases}
    for _ in range(k):
        for case, n in cases:
            runs[case].append(measure(case, n, quiet=k > 1))
    best = {}
    for case, n in cases:
        cpu = [r["cpu"] for r in runs[case]]
        best[case] = {"cpu": min(cpu), "peak_mb": max(r["peak_mb"] for r in runs[case])}
        if k > 1:
            show(case, n, best[case], f"  (least of {k}; CPU {min(cpu):.2f}-{max(cpu):.2f} s)")
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", default="measures,horizon,replications")
    ap.add_argument("--case", help="one case, e.g. measures:200 (with --n)")
    ap.add_argument("--n", type=int, default=1000, help="replications of --case")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run each case this many times, round after round, and report the least CPU time")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error(f"--rounds: expected a whole number of at least 1, found {args.rounds}")
    if args.case:
        rounds([(args.case, args.n)], args.rounds)
        return
    parts = set(args.parts.split(","))
    if "measures" in parts:
        print("measures (generated scenario, 2-year weekly window, 1,000 replications)")
        sizes = (10, 50, 100, 200)
        found = rounds([(f"measures:{k}", 1000) for k in sizes], args.rounds)
        slope = (found["measures:200"]["cpu"] - found["measures:10"]["cpu"]) / (200 - 10) / 1000
        print(f"  cost per measure per replication (10 -> 200): {1e6 * slope:.2f} us")
    if "horizon" in parts:
        print("horizon (the flagship, weekly report, 10,000 replications)")
        rounds([(f"horizon:{years}", 10_000) for years in (1, 5, 20)], args.rounds)
    if "replications" in parts:
        print("replications (the flagship as written)")
        rounds([("flagship", n) for n in (1_000, 10_000, 40_000)], args.rounds)


if __name__ == "__main__":
    main()
