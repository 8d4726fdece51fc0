"""A result table kept as numpy columns: written to CSV without pandas, a pandas DataFrame only when asked for.

``docket run`` builds its tables (:mod:`sim.runs.results`) and writes them (:mod:`sim.runs.records`) without
importing pandas, which costs about a third of a second of start-up; :attr:`Results.series
<sim.runs.results.Results>` and the other tables become DataFrames on first access (:class:`Frame`).
:meth:`Table.csv_rows` gives the very cells ``DataFrame.to_csv(index=False, date_format="%Y-%m-%d")`` writes:
floats by numpy's shortest repr (``astype(str)``, as pandas does), dates as ``YYYY-MM-DD``, a missing value
(NaN, NaT, ``None``) as an empty cell, quoted by :mod:`csv` as pandas quotes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import numpy as np
import numpy.typing as npt

from sim.scenario.calendar import day_to_date

if TYPE_CHECKING:
    import pandas as pd

ROWS_AT_A_TIME = 50_000
"""Rows of a table turned into text at a time when it is written (:meth:`Table.csv_rows`)."""

Column = Any
"""A numpy array (float, int, ``datetime64[D]``) or a list of strings (``None``: missing)."""


@dataclass
class Table:
    """Named columns of equal length (``columns``); ``categorical`` names those that become
    ``pandas.Categorical`` in :meth:`frame`.

    Example:
        >>> t = Table({"measure": ["a", "b,c"], "date": np.array(["2020-09-20", "NaT"], "datetime64[D]"),
        ...            "probability": np.array([0.1, float("nan")])})
        >>> t.csv_text()
        'measure,date,probability\\na,2020-09-20,0.1\\n"b,c",,\\n'
        >>> t.csv_text() == t.frame().to_csv(index=False, date_format="%Y-%m-%d")
        True
    """

    columns: dict[str, Column]
    categorical: tuple[str, ...] = ()
    blank: bool = field(default=False)
    """A table without rows nor column types: :meth:`frame` is ``pandas.DataFrame(columns=...)``."""

    @classmethod
    def empty(cls, names: Sequence[str]) -> Table:
        """A table of these columns without rows (a ``pandas.DataFrame(columns=names)``)."""
        return cls({name: [] for name in names}, blank=True)

    @classmethod
    def concat(cls, parts: Sequence[Table], names: Sequence[str]) -> Table:
        """The rows of ``parts`` one after the other (:meth:`empty` when there are none), like ``pandas.concat``
        of their frames with ``ignore_index=True``."""
        if not parts:
            return cls.empty(names)
        columns = {}
        for name in parts[0].columns:
            cols = [p.columns[name] for p in parts]
            columns[name] = (np.concatenate(cols) if all(isinstance(c, np.ndarray) for c in cols)
                             else [v for c in cols for v in c])
        return cls(columns, parts[0].categorical)

    @classmethod
    def of_rows(cls, rows: Sequence[dict[str, Any]]) -> Table:
        """A table of records (``pandas.DataFrame(rows)``): a column whose cells are all floats is a float array."""
        columns = {name: [row[name] for row in rows] for name in rows[0]}
        return cls({name: np.array(col, dtype=np.float64) if all(type(v) is float for v in col) else col
                    for name, col in columns.items()})

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def frame(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (dates as ``datetime64``, strings as pandas' string type)."""
        import pandas as pd

        if self.blank:
            return pd.DataFrame(columns=list(self.columns))
        data = {name: pd.Categorical(col) if name in self.categorical else col for name, col in self.columns.items()}
        return pd.DataFrame(data)

    def csv_rows(self, rows_at_a_time: int = ROWS_AT_A_TIME) -> Iterator[list[str]]:
        """The header, then each row's cells as text (made ``rows_at_a_time`` rows at a time, so a long event log
        is never all text at once)."""
        yield list(self.columns)
        for a in range(0, len(self), rows_at_a_time):
            cells = [_cells(col[a : a + rows_at_a_time]) for col in self.columns.values()]
            yield from (list(row) for row in zip(*cells, strict=True))

    def write_csv(self, handle: Any) -> None:
        """Write :meth:`csv_rows` to an open text file (opened with ``newline=""``)."""
        csv.writer(handle, lineterminator="\n").writerows(self.csv_rows())

    def csv_text(self) -> str:
        """The CSV text (for tests and small tables)."""
        import io

        out = io.StringIO()
        self.write_csv(out)
        return out.getvalue()


def dates_from(start: int, days: Any) -> npt.NDArray[np.datetime64]:
    """The dates of ``days`` counted from the day number ``start`` (``datetime64[D]``; a NaN day is NaT).

    Example:
        >>> import datetime as dt
        >>> dates_from(dt.date(2020, 9, 1).toordinal(), [0, 19, float("nan")]).tolist()
        [datetime.date(2020, 9, 1), datetime.date(2020, 9, 20), None]
    """
    origin = np.datetime64(day_to_date(start).isoformat(), "D")
    days = np.asarray(days, dtype=np.float64)
    known = np.isfinite(days)
    out = origin + np.where(known, days, 0).astype(np.int64).astype("timedelta64[D]")
    out[~known] = np.datetime64("NaT")
    return out


def repeated(value: Any, n: int) -> npt.NDArray[Any]:
    """A column of ``n`` equal cells (what pandas makes of a scalar beside columns of ``n`` rows)."""
    return np.full(n, value)


def _cells(col: Column) -> list[str]:
    """One column's cells as ``DataFrame.to_csv`` writes them."""
    if isinstance(col, np.ndarray):
        if col.dtype.kind == "M":
            text = np.datetime_as_string(col.astype("datetime64[D]"), unit="D")
            text[np.isnat(col)] = ""
        elif col.dtype == np.float64:  # Python's repr is numpy's str of a float64 (the shortest round trip), faster
            return ["" if v != v else repr(v) for v in col.tolist()]
        elif col.dtype.kind == "f":
            text = col.astype(str)
            text[np.isnan(col)] = ""
        else:
            return list(map(str, col.tolist()))
        return text.tolist()
    return ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in col]


T = TypeVar("T")


class Frame(Generic[T]):
    """A :class:`Table` attribute that is a pandas DataFrame when read: a :class:`Table` stored in it is turned
    into its frame on first access (and kept); :func:`stored` gives what is stored, without pandas.

    ``T`` is ``pandas.DataFrame`` or ``pandas.DataFrame | None``.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = "_" + name

    @overload
    def __get__(self, obj: None, owner: type) -> Frame[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object | None, owner: type) -> Frame[T] | T:
        if obj is None:
            return self
        value = getattr(obj, self.name)
        if isinstance(value, Table):
            value = value.frame()
            setattr(obj, self.name, value)
        return value

    def __set__(self, obj: object, value: T | Table) -> None:
        setattr(obj, self.name, value)


def stored(obj: object, name: str) -> Any:
    """What a :class:`Frame` attribute ``name`` of ``obj`` holds: a :class:`Table`, a DataFrame or ``None``."""
    return getattr(obj, "_" + name)
