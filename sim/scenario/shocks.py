"""Cross-field checks of the effects of measures and shocks, of shocks and of cohorts.

A shock (``shocks:``) acts in the counterfactual too, on the dates it had in the run: its date may be
absolute, or anchored on an event or on a measure's state (users drifting back after a reprieve). A cohort
(``measures[].cohorts``) splits a measure's members into groups with dates of their own; its shares add up to
100%. The checks use the shared reader
of :mod:`sim.scenario.checker`.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.calendar import day_to_date
from sim.scenario.checker import Checker, Path, exactly_one
from sim.scenario.dates import DateSpec
from sim.scenario.effects import EFFECTS
from sim.scenario.quantities import QuantityError
from sim.scenario.values import read_value


def check_effects(c: Checker, path: Path, owner: dict[str, Any], pops: set[str], metrics: set[str]) -> None:
    """The effects of a measure or a shock: populations and metrics known, one value key, two populations."""
    for epath, effect in c.items("effects", owner, path):
        for key in ("population", "from", "to"):
            c.ref((*epath, key), effect.get(key), pops, "population")
        if effect.get("metric") is not None:
            c.ref((*epath, "metric"), effect.get("metric"), metrics, "metric")
        kind = EFFECTS.get(str(effect.get("type")))
        if kind is not None and len(kind.value_keys) > 1:  # its value is one of several keys
            exactly_one(c, epath, effect, kind.value_keys, f"a {kind.name}")
        moves = kind is not None and "to" in kind.model.model_fields  # from one population to another
        source = effect.get("from", effect.get("population"))
        if moves and isinstance(source, str) and source == effect.get("to"):
            c.report((*epath, "to"), f"a {effect.get('type')} must go to a different population",
                     found=f"`{effect['to']}`", hint="name another population in `to`")


def _window_end(c: Checker) -> int | None:
    end = c.date(("window", "end"))
    return end.fixed_day() if end is not None else None


def _after_window(c: Checker, path: Path, spec: DateSpec, what: str) -> None:
    """Report an absolute date (or distribution of dates) that falls after the window's end in every draw."""
    end = _window_end(c)
    if spec.anchor is None and end is not None and spec.offset.low > end:
        c.report(path, f"{what} is dated after the simulated window", expected=f"a date by {day_to_date(end)}",
                 found=f"`{spec.describe()}`", hint="move it into the window or widen `window.end`")


def check_shocks(c: Checker, pops: set[str], metrics: set[str]) -> None:
    """Every shock: its effects, and an absolute date inside the window (an anchor is checked with every other
    relative date, :mod:`sim.scenario.crosschecks`)."""
    for path, shock in c.items("shocks"):
        check_effects(c, path, shock, pops, metrics)
        spec = c.date((*path, "date"))
        if spec is not None and spec.anchor is None:
            _after_window(c, (*path, "date"), spec, "the shock")


def check_cohorts(c: Checker) -> None:
    """Every measure's ``cohorts``: members, absolute starts inside the window (a start may also be relative to
    an event or a measure's state), shares adding up to 100%; one measure at most has them."""
    first: str | None = None
    for mpath, measure in c.items("measures"):
        groups = measure.get("cohorts")
        if groups is None:
            continue
        if first is not None:
            c.report((*mpath, "cohorts"), "only one measure may have `cohorts`", key=True,
                     found=f"cohorts on `{first}` already", hint="put the members of both in one measure's cohorts")
        first = str(measure.get("id"))
        if isinstance(groups, list) and not groups:
            c.report((*mpath, "cohorts"), "a measure's `cohorts` has no members", expected="at least one group",
                     found="an empty list", hint="add a group (`id`, `share`, `members`, `start`) or remove "
                     "`cohorts`")
        total, shares_read = 0.0, True
        for gpath, group in c.items("cohorts", measure, mpath):
            _check_group(c, gpath, group)
            if group.get("share") is None:  # the schema reports it
                shares_read = False
                continue
            try:
                share = read_value(group.get("share"), "share")
            except QuantityError:
                shares_read = False
                continue
            if not share.is_fixed:
                c.report((*gpath, "share"), "a cohort's share is a fixed number", found=f"`{share.describe()}`",
                         expected="a share such as `40%`", hint="draw the members' dates, not their shares")
                shares_read = False
            total += share.params[0]
        if shares_read and groups and abs(total - 1.0) > 1e-9:
            c.report((*mpath, "cohorts"), "the cohorts' shares do not add up to 100%", key=True,
                     expected="shares adding up to 100%", found=f"{total * 100:.6g}%",
                     hint="every member of the population belongs to one group: add a group for the rest")


def _check_group(c: Checker, path: Path, group: dict[str, Any]) -> None:
    exactly_one(c, path, group, ("start", "starts"), "a cohort", "`start` is drawn for each of `members`; "
                "`starts` lists one date per member")
    members, starts = group.get("members"), group.get("starts")
    if isinstance(starts, list) and members is not None:
        c.report((*path, "members"), "`members` goes with `start`; `starts` already lists one date per member",
                 key=True, hint="remove `members`")
    if (isinstance(members, int) and not isinstance(members, bool) and members < 1) or starts == []:
        found = "`starts: []`" if starts == [] else f"`members: {members}`"
        c.report((*path, "starts" if starts == [] else "members"), "a cohort with no members",
                 expected="one member or more", found=found, hint="give it members (`members: 100` with "
                 "`start`, or a list of `starts`) or remove the group")
    paths = [(*path, "start")] + [(*path, "starts", i) for i in range(len(starts) if isinstance(starts, list) else 0)]
    for p in paths:
        spec = c.date(p)
        if spec is None:
            continue
        if spec.anchor is None:  # a relative start is checked with every other relative date
            _after_window(c, p, spec, "a cohort member's start")
