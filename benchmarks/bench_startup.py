"""Start-up of ``docket run -n 1`` against ``python -c "import numpy, simpy"`` (a script; issue 17's target: 2.5x).

    python benchmarks/bench_startup.py                    # 7 interleaved rounds
    python benchmarks/bench_startup.py --other /tmp/old   # also another checkout of docket (its own tree)

Each round runs the import of numpy and simpy, then the flagship for one replication (``python -m cli run
scenarios/tiktok-wechat-2020.yaml -n 1 --workers 1 -q --force`` into a temporary folder) from this checkout and,
with ``--other``, from that one, one after the other; wall and CPU times (user + system of the child), the median
over rounds and the ratios of the medians. A first round, not counted, compiles every module's bytecode: the
subprocesses run without ``PYTHONDONTWRITEBYTECODE``, as an installed docket has its ``.pyc`` files (without
them each start compiles docket's sources again, about 0.1 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--other", type=Path, help="another checkout of docket, run from its own tree")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = ["-m", "cli", "run", "scenarios/tiktok-wechat-2020.yaml", "-n", "1", "--workers", "1", "-q", "--force"]
        cmds = {"import numpy, simpy": ([sys.executable, "-c", "import numpy, simpy"], ROOT),
                "docket run -n 1": ([sys.executable, *run, "--out", f"{tmp}/this"], ROOT)}
        if args.other:
            cmds["docket run -n 1 (--other)"] = ([sys.executable, *run, "--out", f"{tmp}/other"], args.other)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        times: dict[str, list[float]] = {k: [] for k in cmds}
        cpu: dict[str, list[float]] = {k: [] for k in cmds}
        for round_ in range(args.rounds + 1):
            for name, (cmd, cwd) in cmds.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, env=env)
                wall = time.perf_counter() - t
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if round_:  # round 0 writes the bytecode
                    times[name].append(wall)
                    cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    ref = statistics.median(times["import numpy, simpy"])
    ref_cpu = statistics.median(cpu["import numpy, simpy"])
    for name, found in times.items():
        med, med_cpu = statistics.median(found), statistics.median(cpu[name])
        print(f"{name:28s} wall median {med:.3f} s (min {min(found):.3f}, max {max(found):.3f}) {med / ref:.2f}x;"
              f" CPU median {med_cpu:.3f} s {med_cpu / ref_cpu:.2f}x")
    print("target: docket run -n 1 <= 2.5x the import of numpy and simpy")


if __name__ == "__main__":
    main()
