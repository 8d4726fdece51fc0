"""Benchmark the flagship's chart pack against plain matplotlib: how long ``docket brief`` spends drawing.

Run from anywhere (all numbers of one table are measured in this one run)::

    python benchmarks/bench_pack.py              # 1,000 replications, best of 3 of each
    python benchmarks/bench_pack.py --repeat 1   # quicker

What is timed:

1. **pack** -- :func:`plots.pack.write_pack` of ``scenarios/tiktok-wechat-2020.yaml`` (``docket brief`` minus its
   run) with the brief's defaults: every page as PNG at 200 dpi plus ``charts.pdf`` (bookmarked, numbered), pages
   drawn in parallel on the cores this process may use.
2. **plain** -- the same number of plain 16:9 line charts (13.33 x 7.5 in, one line of 365 points, a title)
   saved one after another by matplotlib as PNG at 200 dpi and as PDF: what any chart of that size and those
   formats costs at least.

Both sides write their PNGs at the same zlib level: the pack's (:data:`plots.render.PNG_COMPRESSION`, 3) by
default; ``--png-level 6`` puts both at matplotlib's default instead. The plain side is ``savefig`` as a user
writes it (Pillow's encoder, matplotlib's default text hinting). The pack writes its PNGs its own way
(:mod:`plots.png`: the same RGBA pixels, same size and resolution, every row unfiltered rather than Pillow's
per-row filter search; the files come out 5-10% smaller than ``savefig``'s of the same page) and draws its
text unhinted (:data:`plots.render.RASTER_TEXT`) on :class:`plots.canvas.PageCanvas` (matplotlib's Agg
renderer, byte-identical, with a quicker glyph loop).

Target: pack / plain <= 1.0. Each side is the best of ``--repeat`` runs, after one untimed warm-up of each
(fonts loaded and cached), in this process. The CPU column adds this process's and its finished children's
CPU time (the pack's page workers) over the best run; the load average (1 minute) is printed before and after.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import plots.render
from plots.pack import plan, write_pack
from sim import load_scenario, run
from sim.runs.executors import cores

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "tiktok-wechat-2020.yaml"


def plain(count: int, dpi: int = 200, level: int = 6) -> None:
    """Save ``count`` plain 16:9 line charts as PNG (zlib ``level``) and PDF, one after another."""
    x = np.arange(365)
    for k in range(count):
        fig = Figure(figsize=(13.33, 7.5))
        ax = fig.add_subplot()
        ax.plot(x, np.sin(x / 30 + k))
        ax.set_title(f"chart {k}")
        fig.savefig(io.BytesIO(), format="png", dpi=dpi, pil_kwargs={"compress_level": level})
        fig.savefig(io.BytesIO(), format="pdf")


def cpu() -> float:
    """CPU seconds (user + system) of this process and of its children that have ended."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def best(repeat: int, fn: object) -> tuple[float, float]:
    """Best wall time of ``repeat`` calls of ``fn`` (after one untimed warm-up call), and that call's CPU time."""
    assert callable(fn)
    fn()
    times = []
    for _ in range(repeat):
        t, c = time.perf_counter(), cpu()
        fn()
        times.append((time.perf_counter() - t, cpu() - c))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--png-level", type=int, default=plots.render.PNG_COMPRESSION,
                        help="zlib level of the PNGs of both sides (default: the pack's)")
    args = parser.parse_args()
    plots.render.PNG_COMPRESSION = args.png_level  # type: ignore[misc]  # both sides at one level
    load_before = os.getloadavg()[0]
    results = run(load_scenario(FLAGSHIP), replications=args.replications, seed=1)
    count = len(plan(results))
    with tempfile.TemporaryDirectory() as tmp:
        pack_s, pack_cpu = best(args.repeat, lambda: write_pack(results, Path(tmp) / "pack"))
    plain_s, plain_cpu = best(args.repeat, lambda: plain(count, level=args.png_level))
    print(f"flagship pack: {count} pages, PNG (200 dpi, zlib level {args.png_level}) + PDF, {cores()} cores, "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"{'':<28}{'wall':>8}  {'CPU':>8}")
    print(f"{'pack (write_pack)':<28}{pack_s:8.2f} s{pack_cpu:8.2f} s")
    print(f"{'plain charts, one by one':<28}{plain_s:8.2f} s{plain_cpu:8.2f} s")
    print(f"{'ratio pack / plain':<28}{pack_s / plain_s:8.2f}   (target <= 1.0)")


if __name__ == "__main__":
    main()
