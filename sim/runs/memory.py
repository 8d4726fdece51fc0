"""Memory: what a run will hold, estimated before it starts, and the limit it must stay under (``--max-memory``).

A run keeps, for every replication, its series on the solve grid (stocks and metrics, with and without the
measures: ``2 x populations + 5 x metrics`` arrays of ``report days`` values, float64 up to
:data:`sim.engine.replications.EXACT_LIMIT` replications and float32 beyond), a few numbers per measure, and its
event log (a handful of rows per measure, challenge and event). ``--keep-replications`` (and ``docket test``) adds a
table with one row per replication, series and report day. :func:`estimate` adds these up from the scenario's shape
alone, in microseconds, so a run that cannot fit is refused before anything is allocated:

>>> size_text(Estimate(10**12, 44, 23, 4, 25).bytes)
'9.07 PB'

The default limit is half of the machine's physical memory (:func:`default_limit`); commands take
``--max-memory 4G`` to set another, and :func:`limited` holds it for the duration of a command. The constants
are calibrated against the peak resident memory of real runs (``docs/performance.md``): the estimate is within a
factor of about 2 of what a run uses, erring high.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Protocol

from sim.engine.replications import EXACT_LIMIT
from sim.scenario.errors import DocketError
from sim.scenario.schema import Scenario


class Planned(Protocol):
    """What a memory estimate needs of a planned run (a :class:`sim.runs.study.RunSpec` is one)."""

    @property
    def scenario(self) -> Scenario: ...

    @property
    def replications(self) -> int: ...

    @property
    def grid(self) -> Sequence[int]: ...


IN_FLIGHT: Final = 2
"""Runs of a reduced study whose arrays are held at once: tasks go out in run order, so while one run's last
tasks finish the next run's first ones arrive."""
BASE: Final = 250 * 2**20
"""Bytes of a docket process before any replication: Python, numpy, pandas, SimPy and the scenario."""
LOG_ROW: Final = 120
"""Bytes per event-log row over a run's life (numpy columns, Python lists, then a categorical table)."""
KEPT_ROW: Final = 110
"""Bytes per row of the per-replication table (``--keep-replications``), its construction included."""
AGGREGATE: Final = 1.5
"""Series are held once by the run and briefly copied (by report date, for quantiles) while aggregated."""
SPILLED_COPIES: Final = 3
"""Copies of one series that aggregation makes at once (the report days, a contiguous copy, the quantiles')."""
FALLBACK: Final = 8 * 2**30
"""The limit when the machine's memory cannot be read."""

_UNITS: Final = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
                 "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$")
_LIMIT: contextvars.ContextVar[int | None] = contextvars.ContextVar("docket_max_memory", default=None)


def parse_size(text: str) -> int:
    """Read a size such as ``4G``, ``512M``, ``1.5GB``, ``2GiB`` or ``2000000`` (bytes) into bytes: ``k``, ``M``,
    ``G``, ``T`` are powers of 1000, as :func:`size_text` writes them; ``KiB`` ... ``TiB`` powers of 1024.

    Raises:
        DocketError: text that is not a positive size.

    Example:
        >>> parse_size("4G"), parse_size("512M"), parse_size("1.5gb"), parse_size("1GiB")
        (4000000000, 512000000, 1500000000, 1073741824)
    """
    m = _SIZE.match(text)
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _UNITS or float(m.group(1)) <= 0:
        raise DocketError(f"--max-memory {text}: expected a size such as `4G`, `512M` or `1.5GB`")
    return int(float(m.group(1)) * _UNITS[unit])


def size_text(n: float) -> str:
    """A size for messages, in decimal units as people read them: ``17.2 GB``, ``640 MB``.

    Example:
        >>> size_text(17.2e9), size_text(6.4e8), size_text(12e9)
        ('17.2 GB', '640 MB', '12 GB')
    """
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:,.0f} {unit}"
    return f"{n:.0f} bytes"


def total_memory() -> int | None:
    """The machine's physical memory in bytes (``os.sysconf``, else ``/proc/meminfo``), or ``None``."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and size > 0:
            return int(pages * size)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def default_limit() -> int:
    """Half of the machine's physical memory (:data:`FALLBACK` when it cannot be read)."""
    total = total_memory()
    return total // 2 if total else FALLBACK


def current_limit() -> int:
    """The limit in force: the one :func:`limited` set, else :func:`default_limit`."""
    limit = _LIMIT.get()
    return default_limit() if limit is None else limit


@contextmanager
def limited(max_bytes: int | None) -> Iterator[None]:
    """Hold ``max_bytes`` as the limit of every run started inside (``None``: the default)."""
    token = _LIMIT.set(max_bytes)
    try:
        yield
    finally:
        _LIMIT.reset(token)


@dataclass(frozen=True)
class Estimate:
    """What one run holds at its peak, from the scenario's shape.

    Attributes:
        replications: replications of the run.
        days: days on the solve grid (report dates and key dates).
        series: series arrays per replication (``2 x populations + 5 x metrics``).
        itemsize: bytes per stored value (8, or 4 beyond :data:`sim.engine.replications.EXACT_LIMIT` replications).
        log_rows: event-log rows per replication (an upper bound from the scenario's structure).
        per_measure: bytes per replication of measure statistics and in-force flags.
        kept_rows: rows per replication of the per-replication table (0 without ``--keep-replications``).
        spilled: the series wait in a temporary file (:mod:`sim.runs.spill`): one series at a time is in memory.
    """

    replications: int
    days: int
    series: int
    itemsize: int
    log_rows: int
    per_measure: int = 0
    kept_rows: int = 0
    spilled: bool = False

    @property
    def series_bytes(self) -> int:
        """Bytes of the series arrays, with the copies aggregation makes (of a spilled run: one series read back
        and :data:`SPILLED_COPIES` copies of it)."""
        if self.spilled:
            return self.replications * self.days * self.itemsize * (1 + SPILLED_COPIES)
        return int(self.replications * self.days * self.series * self.itemsize * AGGREGATE)

    @property
    def bytes(self) -> int:
        """Bytes the run holds at its peak, excluding :data:`BASE`."""
        per_rep = self.log_rows * LOG_ROW + self.per_measure + self.kept_rows * KEPT_ROW
        return self.series_bytes + self.replications * per_rep

    def text(self) -> str:
        """How the estimate is made, for the refusal message."""
        parts = [f"{self.replications:,} replications × {self.days:,} report days × {self.series} series × "
                 f"{self.itemsize} bytes", f"~{self.log_rows} event-log rows per replication"]
        if self.kept_rows:
            parts.append(f"{self.kept_rows:,} kept rows per replication (--keep-replications)")
        return ", ".join(parts)


def log_rows(s: Scenario) -> int:
    """An upper bound on the event-log rows of one replication: per measure its coming into force, lifting
    and cancellation, each extension, each challenge's injunction, appeal and deadline, shelving and revival,
    each waiver and renewal; one row per event and two per shock (measured at about half of this on the bundled
    scenarios)."""
    rows = len(s.events) + 2 * len(s.shocks)
    for m in s.measures:
        rows += 3
        if m.deferral is not None:
            rows += m.deferral.max or len(m.deferral.schedule or [])
        rows += 3 * len(m.challenges)
        rows += 4 if m.shelving is not None else 0
        rows += sum(2 * (1 + (w.renewal.max if w.renewal else 0)) for w in m.waivers)
    return rows


def estimate(s: Scenario, replications: int, days: int, keep_replications: bool = False,
             spill_bytes: int | None = None) -> Estimate:
    """The peak memory of a run of ``replications`` of ``s`` on a grid of ``days`` days (whose series go to a
    temporary file when they pass ``spill_bytes``, :mod:`sim.runs.spill`).

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> e = estimate(load_scenario("scenarios/tiktok-wechat-2020.yaml"), 10**6, 44)
        >>> (e.series, e.itemsize, size_text(e.bytes))
        (23, 4, '9.92 GB')
    """

    series = 2 * len(s.populations) + 5 * len(s.metrics)
    itemsize = 8 if replications <= EXACT_LIMIT else 4
    per_measure = len(s.measures) * (6 * 8 + days)
    spilled = spill_bytes is not None and replications * days * series * itemsize > spill_bytes
    return Estimate(replications, days, series, itemsize, log_rows(s), per_measure,
                    days * series if keep_replications else 0, spilled)


def require(specs: Sequence[Planned], keep_replications: bool = False, limit: int | None = None,
            reduced: bool = False, spill_bytes: int | None = None) -> int:
    """Refuse a study whose runs together would need more memory than ``limit`` (default: the one in force).

    A study whose runs are ``reduced`` as they complete (a sweep, a sensitivity study: each run's arrays are
    dropped once it is aggregated) holds at most :data:`IN_FLIGHT` runs' arrays at a time, not all of them. A
    run whose series pass ``spill_bytes`` keeps them in a temporary file (:mod:`sim.runs.spill`).

    Returns:
        The estimated bytes.

    Raises:
        DocketError: with the estimate, how it is made, and how to reduce it.
    """
    limit = current_limit() if limit is None else limit
    estimates = [estimate(spec.scenario, spec.replications, len(spec.grid), keep_replications, spill_bytes)
                 for spec in specs]
    held = sorted((e.bytes for e in estimates), reverse=True)[:IN_FLIGHT] if reduced else [e.bytes for e in estimates]
    need = BASE + sum(held)
    if need <= limit:
        return need
    biggest = max(estimates, key=lambda e: e.bytes)
    what = "this run" if len(specs) == 1 else f"these {len(specs)} runs"
    how = biggest.text() if len(specs) == 1 else f"the largest: {biggest.text()}"
    total = total_memory()
    ways = ["use fewer replications (-n)", "a coarser report grid (`report: month`)"]
    ways += ["drop --keep-replications"] if keep_replications else []
    fits = total is None or need <= total
    ways += [f"raise --max-memory (e.g. --max-memory {-(-need // 10**9)}G)"] if fits else []
    machine = "" if fits else f" (this machine has {size_text(total or 0)} in all)"
    raise DocketError(f"{what} would need about {size_text(need)} of memory ({how}), more than --max-memory "
                      f"{size_text(limit)}: {', '.join(ways[:-1])} or {ways[-1]}{machine}")
