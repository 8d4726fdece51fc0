"""The one convention of every chart and table: which statistic leads, which interval, which words.

Every page of the pack and every terminal table reads its headline statistic, its interval and its wording of
"in force" from here, so a number means the same everywhere:

- quantities (exposure, populations) lead with the **mean** over the runs: where an uncertain branch (a deal,
  a ruling) splits the runs into two clusters, the median jumps from one cluster to the other and moves between
  runs of the same scenario, while the mean is stable;
- the one interval is **5-95%** of the runs (``p05`` to ``p95``);
- a date leads with the median day (a day some run saw, never a day between two clusters);
- "in force **on** a date" is the state that day; "in force **by** a date" means it took effect on or before it
  (it may have been enjoined or lifted since).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sim.text.humanize import interval, number

HEADLINE: Final = "mean"
"""The key of the headline statistic in ``Results.series`` and in the summary's intervals."""
LOW: Final = "p05"
HIGH: Final = "p95"
INTERVAL: Final = "5–95%"
STATISTIC: Final = "mean"
"""The headline statistic as words."""
IN_FORCE_ON: Final = "in force on a date: in force that day"
IN_FORCE_BY: Final = "in force by a date: took effect on or before it (it may have been enjoined or lifted since)"


def headline(stats: Mapping[Any, Any]) -> tuple[float, float, float]:
    """The headline value and its interval from a mapping with ``mean``, ``p05`` and ``p95``.

    Example:
        >>> headline({"mean": 18.5, "p05": 7.7, "p50": 14.6, "p95": 35.4})
        (18.5, 7.7, 35.4)
    """
    return float(stats[HEADLINE]), float(stats[LOW]), float(stats[HIGH])


def figure(stats: Mapping[str, Any], unit: str = "") -> str:
    """The headline value and its interval as text: ``18.5B user-days (7.7B to 35.4B)``.

    Example:
        >>> figure({"mean": 18.5e9, "p05": 7.7e9, "p95": 35.4e9}, "user-days")
        '18.5B user-days (7.7B to 35.4B)'
    """
    mid, lo, hi = headline(stats)
    if not unit:
        return interval(mid, lo, hi)
    return f"{number(mid)} {unit} ({number(lo)} to {number(hi)})"


def band_text(replications: int) -> str:
    """What a line and its band show, for a chart's footer or a table's heading.

    Example:
        >>> band_text(1000)
        'Lines and figures: mean of 1,000 runs; bands and ranges: 5–95% of runs'
    """
    return f"Lines and figures: {STATISTIC} of {replications:,} runs; bands and ranges: {INTERVAL} of runs"


def chance_text(replications: int, *readings: str) -> str:
    """The convention line of a chart of chances; each of ``readings`` is ``on`` (in force that day), ``by``
    (took effect on or before it) or ``dates`` (effective dates: the median day and the 5-95% range).

    Example:
        >>> chance_text(1000, "on")
        'Chances: share of 1,000 runs; in force on a date: in force that day'
    """
    words = {"on": IN_FORCE_ON, "by": IN_FORCE_BY,
             "dates": f"dates: the median day and {INTERVAL} of the runs where the measure takes effect"}
    return "; ".join([f"Chances: share of {replications:,} runs", *(words[r] for r in readings)])


def table_heading(what: str) -> str:
    """A terminal column heading with the convention: ``exposure: mean (5–95%)``.

    Example:
        >>> table_heading("avoided")
        'avoided: mean (5–95%)'
    """
    return f"{what}: {STATISTIC} ({INTERVAL})"
