"""A long run's series kept in a temporary file instead of memory, read back one series at a time.

The series of a run (stocks, metrics, their integrals, counterfactuals and avoided exposure: replications x
solved days x series, 8 bytes a value) grow with the horizon: a 20-year weekly window of the flagship at 10,000
replications holds 1.8 GB of them. Every value is needed (each day's quantiles take all replications), but not
at once: :func:`sim.runs.results.aggregate` reads one series (one population's stock, one metric's integral...)
at a time. So a run whose series pass :data:`SPILL_BYTES` keeps each in an unnamed temporary file in the folder
``TMPDIR`` names (else the system's), written chunk by chunk as tasks finish (:class:`Spilled`), read back whole,
one series at a time (:class:`SpilledSeries`), and closed (so deleted) when the run is aggregated
(:func:`release`) or its arrays are collected: the same float64 values, so the same digits, at the cost of
writing them once and reading them back (a series is read again by each table that needs it, from the page
cache, not the process). A disk that fills up is a :class:`~sim.scenario.errors.DocketError` naming the folder.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from sim.engine.replications import ARRAYS, Chunk, Collected
from sim.scenario.errors import DocketError

SPILL_BYTES: Final = 256 * 2**20
"""A run whose series arrays would pass this many bytes keeps them in a temporary file (:func:`collected_like`)."""
SERIES: Final = ("stocks", "metric", "metric_cum", "cf_stocks", "cf_metric", "cf_metric_cum", "avoided")
"""The arrays of a chunk that are series (replications x solved days x populations or metrics)."""


class Spilled:
    """A (replications x days x series) array in a temporary file, one series after the other, each
    replication-major, so that a task's rows of a series are one contiguous write and a series one read.

    Example:
        >>> a = np.arange(24, dtype=np.float64).reshape(4, 3, 2)
        >>> s = Spilled(a.shape, a.dtype)
        >>> s[0:1], s[1:4] = a[0:1], a[1:4]
        >>> np.array_equal(s[:, :, 1][:, [0, 2]], a[:, [0, 2], 1]), float(s[:, -1, 0][3]), len(s)
        (True, 22.0, 4)
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype[Any], last: LastRead | None = None) -> None:
        self.shape, self.dtype = (shape[0], shape[1], shape[2]), np.dtype(dtype)
        self._last = LastRead() if last is None else last
        try:
            self._file = tempfile.TemporaryFile(prefix="docket-series-")  # noqa: SIM115 (no name: gone when closed)
        except OSError as exc:
            raise disk_error(exc, "created") from exc
        weakref.finalize(self, self._file.close)  # closed with the array, whatever path drops it
        self._row = shape[1] * self.dtype.itemsize
        self._series = shape[0] * self._row

    def __len__(self) -> int:
        return self.shape[0]

    def __setitem__(self, rows: slice, part: npt.NDArray[Any]) -> None:
        """Write ``part`` (rows x days x series) as rows ``rows`` of every series."""
        start, self._last.key = rows.start or 0, None
        try:
            for c in range(self.shape[2]):
                _write(self._file.fileno(), np.ascontiguousarray(part[:, :, c], dtype=self.dtype),
                       c * self._series + start * self._row)
        except OSError as exc:
            raise disk_error(exc, "written") from exc

    def __getitem__(self, key: tuple[Any, Any, int]) -> Any:
        """``[:, :, c]``: series ``c`` (:class:`SpilledSeries`, read when indexed); ``[rows, days, c]``: those
        values of it, read now."""
        rows, days, c = key
        series = SpilledSeries(self, int(c))
        if isinstance(rows, slice) and rows == slice(None) and isinstance(days, slice) and days == slice(None):
            return series
        return series.read()[rows, days]

    def read(self, c: int) -> npt.NDArray[Any]:
        """Series ``c``: a (replications x days) array, read-only (the last series read by any of the arrays
        sharing ``last`` is kept: aggregation reads one series on several days in a row)."""
        if self._last.key == (id(self), c):
            return self._last.value
        self._last.key, self._last.value = None, np.empty(0)  # one series in memory at a time
        out = np.empty(self.shape[:2], self.dtype)
        view = out.reshape(-1).view(np.uint8).data
        done, at = 0, c * self._series
        while done < len(view):
            try:
                got = os.preadv(self._file.fileno(), [view[done:]], at + done)
            except OSError as exc:
                raise disk_error(exc, "read") from exc
            if got <= 0:
                raise DocketError(f"docket's temporary series file in {tempfile.gettempdir()} ended at byte "
                                  f"{at + done}, before the series it holds: was it truncated?")
            done += got
        out.flags.writeable = False
        self._last.key, self._last.value = (id(self), c), out
        return out

    def close(self) -> None:
        """Delete the file now."""
        self._last.key, self._last.value = None, np.empty(0)
        self._file.close()


class LastRead:
    """The last series read from the :class:`Spilled` arrays that share it (``key``: the array's id and the
    series, ``None`` when empty)."""

    def __init__(self) -> None:
        self.key: tuple[int, int] | None = None
        self.value: npt.NDArray[Any] = np.empty(0)


class SpilledSeries:
    """One series of a :class:`Spilled` array: read in full whenever it is indexed (``[:, days]``,
    ``[replications]``), never kept."""

    def __init__(self, spilled: Spilled, c: int) -> None:
        self.spilled, self.c = spilled, c
        self.shape = spilled.shape[:2]

    def __len__(self) -> int:
        return self.shape[0]

    def read(self) -> npt.NDArray[Any]:
        """The whole series (replications x days)."""
        return self.spilled.read(self.c)

    def __getitem__(self, key: Any) -> Any:
        return self.read()[key]


def disk_error(exc: OSError, what: str) -> DocketError:
    """The error of a temporary series file that could not be ``what`` (created, written, read), naming its folder.

    Example:
        >>> import errno
        >>> str(disk_error(OSError(errno.ENOSPC, "No space left on device"), "written")).split(": ", 1)[1][:45]
        'No space left on device; free space there, or'
    """
    return DocketError(f"a long run keeps its series in a temporary file in {tempfile.gettempdir()}, which could "
                       f"not be {what}: {exc.strerror or exc}; free space there, or set TMPDIR to a folder on a "
                       "larger disk, or run fewer replications")


def release(collected: Collected) -> None:
    """Close (so delete) the temporary files of a run's spilled series, once it has been aggregated."""
    for array in collected.arrays.values():
        if isinstance(array, Spilled):
            array.close()


def _write(fd: int, data: npt.NDArray[Any], at: int) -> None:
    view = data.reshape(-1).view(np.uint8).data
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], at + done)


def series_bytes(c: Chunk, replications: int) -> int:
    """Bytes of a run's series arrays of ``replications`` replications, shaped like chunk ``c``'s."""
    return sum(getattr(c, k)[0:1].nbytes for k in SERIES) * replications


def collected_like(c: Chunk, replications: int, spill_bytes: int | None = None) -> Collected:
    """:meth:`Collected.like <sim.engine.replications.Collected.like>`, but with the series in temporary files
    (:class:`Spilled`) when they would pass ``spill_bytes`` (``None``: never)."""
    if spill_bytes is None or series_bytes(c, replications) <= spill_bytes:
        return Collected.like(c, replications)
    arrays: dict[str, Any] = {}
    last = LastRead()  # shared: one series of the run in memory at a time
    for k in SERIES:
        part = getattr(c, k)
        arrays[k] = Spilled((replications, *part.shape[1:]), part.dtype, last)
    for k in (k for k in ARRAYS if k not in SERIES):
        part = getattr(c, k)
        arrays[k] = np.empty((replications, *part.shape[1:]), part.dtype)
    return Collected(arrays)

