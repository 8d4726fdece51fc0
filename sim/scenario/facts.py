"""The record of a scenario: the dated facts of its ``record:`` section and the days it covers.

Each fact names the one uncertain part of the scenario it settles (``docs/forecasting.md``):

- ``{date: D, event: ID}`` (or ``shock: ID``, ``decision: ID``): the event (shock, a measure's extension
  decision) happened on ``D``;
- ``{date: D, challenge: ID, injunction: true|false}``: the court (a measure's challenge or a shared ruling)
  decided on ``D``;
- ``{date: D, appeal: ID, reversal: true|false}``: the appeal of challenge ``ID`` was decided on ``D``;
- ``{date: D, deferral: MEASURE, delay: 7d}``: at its deadline ``D`` the measure was deferred by ``delay``.

:mod:`sim.scenario.record` conditions a scenario on the facts up to a date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sim.scenario.dates import read_date
from sim.scenario.quantities import QuantityError

KINDS: Final = ("event", "shock", "decision", "challenge", "appeal", "deferral")
"""The keys a fact names its subject with: exactly one per fact."""
Path = tuple[str | int, ...]
Fail = Callable[..., None]
"""Where a fact that does not read is told: ``fail(path, message, expected=..., found=..., hint=...)``."""


@dataclass(frozen=True)
class Fact:
    """One fact of the record: its ``kind`` (one of :data:`KINDS`), the id it names, its day, and where it is."""

    kind: str
    subject: str
    day: int
    raw: dict[str, Any]
    path: Path

    @property
    def source(self) -> str | None:
        """The source the fact cites."""
        src = self.raw.get("source")
        return src if isinstance(src, str) else None


def read_facts(record: dict[str, Any], fail: Fail) -> list[Fact]:
    """The facts of a ``record:`` mapping, by date; a fact that does not read is told to ``fail`` and left out."""
    out = []
    for i, raw in enumerate(record.get("facts") or []):
        path: Path = ("record", "facts", i)
        if not isinstance(raw, dict):
            continue  # the schema reports it
        kinds = [k for k in KINDS if k in raw]
        if len(kinds) != 1:
            fail(path, "a fact names exactly one thing it settles",
                   expected="one of " + ", ".join(f"`{k}`" for k in KINDS),
                   found=", ".join(f"`{k}`" for k in kinds) or "none of them",
                   hint="write one fact per line, e.g. `{date: 2020-09-27, challenge: tiktok_v_trump, "
                        "injunction: true}`")
            continue
        try:
            day = read_date(raw.get("date")).fixed_day()
        except (QuantityError, AttributeError):
            day = None
        if day is None:
            fail((*path, "date"), "a fact needs the date it happened", expected="a date such as `2020-09-27`",
                   found=f"`{raw.get('date')}`")
            continue
        out.append(Fact(kinds[0], str(raw[kinds[0]]), day, raw, path))
    return sorted(out, key=lambda f: f.day)


def by_id(data: dict[str, Any], key: str) -> dict[str, Path]:
    """Where each item of the list ``key`` is, by id."""
    return {item["id"]: (key, i) for i, item in enumerate(data.get(key) or [])
            if isinstance(item, dict) and isinstance(item.get("id"), str)}


def challenges(data: dict[str, Any]) -> dict[str, Path]:
    """Where each court case is (a measure's challenge or a shared ruling), by id."""
    out = by_id(data, "rulings")
    for i, m in enumerate(data.get("measures") or []):
        for j, c in enumerate((m.get("challenges") or []) if isinstance(m, dict) else []):
            if isinstance(c, dict) and isinstance(c.get("id"), str):
                out[c["id"]] = ("measures", i, "challenges", j)
    return out


def decisions(data: dict[str, Any]) -> dict[str, Path]:
    """Where each measure's extension decision is, by id."""
    out: dict[str, Path] = {}
    for i, m in enumerate(data.get("measures") or []):
        for j, d in enumerate((m.get("decisions") or []) if isinstance(m, dict) else []):
            if isinstance(d, dict) and isinstance(d.get("id"), str):
                out[d["id"]] = ("measures", i, "decisions", j)
    return out


def record_span(data: dict[str, Any]) -> tuple[int, int] | None:
    """The days a scenario can be seen on: from its ``as_of`` (else its window start) to its record's ``until``;
    ``None`` without a record (or with one that does not read; validation reports it)."""
    record = data.get("record")
    if not isinstance(record, dict):
        return None
    try:
        until = read_date(record.get("until")).fixed_day()
        start = read_date(data.get("as_of") or (data.get("window") or {}).get("start")).fixed_day()
    except (QuantityError, AttributeError):
        return None
    return None if until is None or start is None else (start, until)


def recorded_facts(data: dict[str, Any]) -> list[Fact]:
    """Every fact of a scenario's record, by date (facts that do not read are left out: validation and
    :func:`sim.scenario.record.seen_on` report them)."""
    record = data.get("record")
    if not isinstance(record, dict):
        return []
    return read_facts(record, lambda *args, **kwargs: None)
