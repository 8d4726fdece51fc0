"""The largest value of each quantity kind, so that every run's results stay finite.

With every value within its limit a run's stocks, exposures and their integrals stay finite
(``docs/scenario-format.md``, "Limits"); :func:`sim.scenario.quantities.within_limit` refuses a value above it.

Example:
    >>> LIMITS["count"] == MAX_COUNT, LIMIT_TEXT["count"]
    (True, '1e15')
"""

from __future__ import annotations

from typing import Final

MAX_COUNT: Final = 1e15
"""Largest count (``initial``, ``ceiling``, the amount of a rate): a billion times the world's population."""
MAX_RATE: Final = 1e15
"""Largest rate, in count per day."""
MAX_FACTOR: Final = 1e6
"""Largest factor (``scale_inflow``/``scale_exposure`` factors, metric weights, choice weights, sigma)."""
MAX_PER_CAPITA: Final = 1e3
"""Largest per-capita rate, per day (1,000/day empties a stock in minutes: anything faster is instant)."""
MAX_DAYS: Final = 3_652_425
"""Longest duration: 10,000 years, in days (the calendar itself spans years 1 to 9999)."""
LIMITS: Final = {"count": MAX_COUNT, "rate": MAX_RATE, "factor": MAX_FACTOR, "per_capita": MAX_PER_CAPITA,
                 "duration": float(MAX_DAYS)}
"""The largest canonical value of each kind: with every value within its limit a run's stocks, exposures and
their integrals stay finite (``docs/scenario-format.md``, "Limits"). Probabilities and shares lie in [0, 1]."""
LIMIT_TEXT: Final = {"count": "1e15", "rate": "1e15", "factor": "1e6", "per_capita": "1000",
                     "duration": "3,652,425"}
""":data:`LIMITS` as messages write them."""
