"""Cross-field checks of how a measure's deadline moves and what its states trigger.

A deferral takes exactly one of ``delay``, ``schedule`` or ``steps``; a decision takes ``extend`` or ``until``
and falls inside the window; a shared ruling names known measures; a trigger on a measure's state
(``ban.deferred``) names a state the measure can reach; and the edges a state adds to the graph of dates
(an event anchored on ``ban.lifted`` depends on the events that lift ``ban``) let
:mod:`sim.scenario.crosschecks` find cycles through triggers.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.calendar import day_to_date
from sim.scenario.checker import Checker, Path, at, exactly_one, items_of
from sim.scenario.dates import IN_FORCE_FOR, DateSpec

REACHED_BY: dict[str, tuple[tuple[str, ...], str]] = {
    "deferred": (("deferral", "decisions"), "a `deferral` or `decisions`"),
    "enjoined": (("challenges", "rulings"), "a challenge (or a shared ruling naming it)"),
    "lifted": (("lifted_by",), "`lifted_by` events"),
    "cancelled": (("unless",), "`unless` events"),
    "shelved": (("shelving",), "a `shelving`"),
}
"""What a measure needs to reach each state a trigger can name (``in_force`` it can always reach)."""


def check_deferral(c: Checker, path: Path, m: dict[str, Any], events: set[str]) -> None:
    """A measure's ``deferral``: one of ``delay``, ``schedule`` or ``steps``; ``probability`` unless steps."""
    d = m.get("deferral")
    if not isinstance(d, dict):
        return
    dpath = (*path, "deferral")
    exactly_one(c, dpath, d, ("delay", "schedule", "steps"), "a deferral")
    if d.get("delay") is not None and d.get("max") is None:
        c.report(dpath, "a deferral with `delay` needs `max`, the cap on the number of extensions",
                 expected="`max: <number of extensions>`", found="no `max`", hint="add e.g. `max: 2`")
    if d.get("schedule") is not None and d.get("max") is not None:
        c.report((*dpath, "max"), "`max` goes with `delay`; a `schedule` already fixes the extensions",
                 key=True, hint="remove `max`")
    if d.get("steps") is not None:
        for key in ("probability", "max"):
            if d.get(key) is not None:
                c.report((*dpath, key), f"`{key}` goes with `delay` or `schedule`; each of `steps` has its own",
                         key=True, hint=f"remove `{key}` (a step's `probability`, `times` and `decay` say it)")
    elif d.get("probability") is None:
        c.report(dpath, "a deferral needs `probability`", expected="`probability: <chance of each extension>`",
                 found="no `probability`", hint="add e.g. `probability: 0.5`, or write per-step `steps`")
    stricter = d.get("stricter")
    if isinstance(stricter, dict):
        c.ref((*dpath, "stricter", "on"), stricter.get("on"), events, "event")


def check_lifecycle(c: Checker, events: set[str], measures: set[str],
                    dates: list[tuple[Path, DateSpec]]) -> None:
    """Decisions, shared rulings and triggers on states (see the module docstring)."""
    end = c.date(("window", "end"))
    last = end.fixed_day() if end is not None else None
    for path, m in c.items("measures"):
        for dpath, dec in c.items("decisions", m, path):
            exactly_one(c, dpath, dec, ("extend", "until"), "a decision")
            if dec.get("until") is not None and dec.get("from") is not None:
                c.report((*dpath, "from"), "`from` says what `extend` counts from; `until` is already a date",
                         key=True, hint="remove `from`, or write `extend` instead of `until`")
            spec = c.date((*dpath, "date"))
            if spec is not None and spec.anchor is None and last is not None and spec.offset.low > last:
                c.report((*dpath, "date"), "the decision is dated after the simulated window",
                         expected=f"a date on or before {day_to_date(last)}", found=f"`{spec.describe()}`",
                         hint="move the decision or widen `window` (a decision after the window never acts)")
    for path, ruling in c.items("rulings"):
        for i, mid in enumerate(items_of(ruling.get("measures"))):
            c.ref((*path, "measures", i), mid, measures, "measure")
    for path, spec in dates:
        _check_reachable(c, path, spec, measures)


def _ruled(c: Checker, mid: str) -> bool:
    return any(mid in items_of(r.get("measures")) for _, r in c.items("rulings"))


def _check_reachable(c: Checker, path: Path, spec: DateSpec, measures: set[str]) -> None:
    """A trigger on a state (``ban.deferred``) names a state its measure can reach."""
    state, mid = spec.state, spec.anchor_id
    if state not in REACHED_BY or mid not in measures:
        return
    m = next((x for _, x in c.items("measures") if x.get("id") == mid), {})
    keys, needs = REACHED_BY[state]
    if any(m.get(k) for k in keys) or (state == "enjoined" and _ruled(c, str(mid))):
        return
    c.report(path, f"measure `{mid}` can never be {state}, so this date never comes",
             expected=f"a measure with {needs}", found=f"`{spec.describe()}`",
             hint=f"give `{mid}` {needs}, or anchor on another state: `{mid}.in_force`, `{mid}.deadline`")


def state_edges(c: Checker) -> dict[str, list[tuple[str, Path]]]:
    """The graph edges of the states triggers name: ``ban.lifted`` depends on the events lifting ``ban``,
    ``ban.cancelled`` on its ``unless`` events, ``ban.shelved`` on its shelving event, ``ban.deferred`` on
    its decisions, ``ban.in_force`` and its days in force on ``ban`` itself."""
    out: dict[str, list[tuple[str, Path]]] = {}
    for path, m in c.items("measures"):
        mid = m.get("id")
        if not isinstance(mid, str):
            continue
        for key, state in (("lifted_by", "lifted"), ("unless", "cancelled")):
            for i, ev in enumerate(items_of(m.get(key))):
                if isinstance(ev, str):
                    out.setdefault(f"{mid}.{state}", []).append((ev, (*path, key, i)))
        on = at(m, ("shelving", "on"))
        if isinstance(on, str):
            out.setdefault(f"{mid}.shelved", []).append((on, (*path, "shelving", "on")))
        for dpath, _ in c.items("decisions", m, path):
            spec = c.date((*dpath, "date"))
            if spec is not None and spec.anchor_id:
                out.setdefault(f"{mid}.deferred", []).append((spec.anchor_id, (*dpath, "date")))
        out.setdefault(f"{mid}.in_force", []).append((mid, (*path, "deadline")))
        out.setdefault(f"{mid}{IN_FORCE_FOR.rstrip(':')}", []).append((mid, (*path, "deadline")))
    return out
