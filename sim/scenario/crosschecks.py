"""Cross-field checks: what one key alone cannot tell (references, cycles, dates inside the window).

The checks read the raw, merged YAML data, so they run even when some values failed schema validation and
every problem of a file is reported in one pass. A value they cannot read is skipped: the schema reports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sim.scenario.calendar import day_to_date
from sim.scenario.checker import Checker, Path, at, exactly_one, items_of
from sim.scenario.checkkinds import CHECK_KINDS, TARGETS
from sim.scenario.dates import DateSpec
from sim.scenario.errors import Diagnostic, found_repr
from sim.scenario.fields import read_bound
from sim.scenario.lifecyclechecks import check_deferral, check_lifecycle, state_edges
from sim.scenario.quantities import QuantityError
from sim.scenario.shocks import check_cohorts, check_effects, check_shocks
from sim.scenario.values import read_value
from sim.scenario.yamlload import mark_at

ASSUMPTION = "assumption"
ID_LISTS = ("populations", "flows", "events", "measures", "rulings", "shocks", "metrics")


def check(data: dict[str, Any]) -> list[Diagnostic]:
    """Every cross-field problem of a raw (merged) scenario mapping, in one pass.

    Example:
        >>> bad = {"populations": [{"id": "a"}], "flows": [{"id": "f", "from": "a", "to": "b"}]}
        >>> [d.message for d in check(bad)]
        ['`b` is not a known population']
    """
    c = Checker(data)
    _unique_ids(c)
    pops, events, measures, metrics = c.ids("populations"), c.ids("events"), c.ids("measures"), c.ids("metrics")
    sources = c.ids("sources") | {ASSUMPTION}
    for path, flow in c.items("flows"):
        c.ref((*path, "from"), flow.get("from"), pops, "population")
        c.ref((*path, "to"), flow.get("to"), pops, "population")
        if isinstance(flow.get("from"), str) and flow.get("from") == flow.get("to"):
            c.report((*path, "to"), "a flow must go to a different population", found=f"`{flow['to']}`")
    for path, event in c.items("events"):
        for i, req in enumerate(items_of(event.get("requires"))):
            c.ref((*path, "requires", i), req, events, "event")
    for path, measure in c.items("measures"):
        _check_measure(c, path, measure, pops, events, metrics)
    check_shocks(c, pops, metrics)
    check_cohorts(c)
    for path, metric in c.items("metrics"):
        for tpath, term in c.items("terms", metric, path):
            c.ref((*tpath, "population"), term.get("population"), pops, "population")
            c.ref((*tpath, "while"), term.get("while"), measures, "measure")
    for path, pop in c.items("populations"):
        _check_ceiling(c, path, pop)
    _check_expectations(c, pops | metrics, measures, metrics)
    _check_sources(c, data, (), sources)
    _check_dates(c, events, measures)
    check_lifecycle(c, events, measures, list(_date_fields(c)))
    _check_cycles(c)
    return c.out


def _unique_ids(c: Checker) -> None:
    seen: dict[str, str] = {}
    nested = (("measures", "waivers"), ("measures", "challenges"), ("measures", "decisions"),
              ("measures", "cohorts"))
    paths = [p for key in ID_LISTS for p, _ in c.items(key)]
    for outer, inner in nested:
        paths += [p for op, o in c.items(outer) for p, _ in c.items(inner, o, op)]
    for path in paths:
        item = mark_at(c.data, path)
        ident = at(c.data, (*path, "id"))
        if not isinstance(ident, str):
            continue
        if ident in seen:
            c.report((*path, "id"), f"duplicate id `{ident}`", expected="ids unique across the whole scenario",
                     found=f"`{ident}` again (first used by {seen[ident]})", hint="rename one of them")
        else:
            seen[ident] = f"{path[0]} at line {item.line if item else '?'}"
    labels: dict[str, str] = {}  # a measure's chart label names it alone: two alike would read as one measure
    for path, m in c.items("measures"):
        label = m.get("label")
        if isinstance(label, str) and label in labels:
            c.report((*path, "label"), f"duplicate measure label `{label}`", expected="labels unique among measures",
                     found=f"`{label}` again (first used by measure `{labels[label]}`)", hint="rename one of them")
        elif isinstance(label, str):
            labels[label] = str(m.get("id"))
    for key in ("sources", "variants"):
        names: set[str] = set()
        for path, entry in c.items(key):
            if isinstance(entry.get("id"), str) and entry["id"] in names:
                c.report((*path, "id"), f"duplicate {key[:-1]} id `{entry['id']}`", hint="rename one of them")
            names.add(str(entry.get("id")))
    for path, exp in (((("expectations",), c.data["expectations"]),) if isinstance(c.data.get("expectations"),
                                                                                  dict) else ()):
        names = set()
        for cpath, entry in c.items("checks", exp, path):
            if isinstance(entry.get("id"), str) and entry["id"] in names:
                c.report((*cpath, "id"), f"duplicate check id `{entry['id']}`", hint="rename one of them")
            names.add(str(entry.get("id")))


def _check_measure(c: Checker, path: Path, m: dict[str, Any], pops: set[str], events: set[str],
                   metrics: set[str]) -> None:
    check_effects(c, path, m, pops, metrics)
    check_deferral(c, path, m, events)
    shelving = m.get("shelving")
    if isinstance(shelving, dict):
        exactly_one(c, (*path, "shelving"), shelving, ("on", "date", "hazard"), "shelving")
        c.ref((*path, "shelving", "on"), shelving.get("on"), events, "event")
        revive = shelving.get("revive")
        if isinstance(revive, dict):
            exactly_one(c, (*path, "shelving", "revive"), revive, ("on", "hazard"), "a revival")
            c.ref((*path, "shelving", "revive", "on"), revive.get("on"), events, "event")
    for wpath, waiver in c.items("waivers", m, path):
        if waiver.get("until") is not None and waiver.get("duration") is not None:
            c.report(wpath, "a waiver takes `until` or `duration`, not both", hint="keep one of them")
    for key in ("lifted_by", "unless"):
        for i, ev in enumerate(items_of(m.get(key))):
            c.ref((*path, key, i), ev, events, "event")


def _check_ceiling(c: Checker, path: Path, pop: dict[str, Any]) -> None:

    try:
        initial = read_value(pop.get("initial"), "count").high
        ceiling = read_value(pop["ceiling"], "count").low if pop.get("ceiling") is not None else None
    except QuantityError:
        return
    if ceiling is not None and ceiling <= initial:
        c.report((*path, "ceiling"), "the ceiling must be above the initial size",
                 expected=f"more than {initial:,.0f}", found=f"{ceiling:,.0f}")


def _check_expectations(c: Checker, series: set[str], measures: set[str], metrics: set[str]) -> None:
    exp = c.data.get("expectations")
    if not isinstance(exp, dict):
        return
    for path, chk in c.items("checks", exp, ("expectations",)):
        kind = CHECK_KINDS.get(str(chk.get("kind")))
        target = kind.target if kind is not None else "series"
        known = {"series": series, "measure": measures, "metric": metrics}[target]
        c.ref((*path, "target"), chk.get("target"), known, TARGETS[target])
        _check_quantity(c, path, chk, metrics)
        for key in ("from", "n"):
            if chk.get(key) is not None and kind is not None and key not in kind.keys:
                readers = [k.name for k in CHECK_KINDS.values() if key in k.keys]
                article = "an" if kind.name[0] in "aeiou" else "a"
                c.report((*path, key), f"{article} `{kind.name}` check takes no `{key}`", key=True,
                         hint=f"`{key}` is read by {', '.join(f'`{r}`' for r in readers)} checks; remove it")
        lo, hi = _bound(chk.get("min")), _bound(chk.get("max"))
        if lo is not None and hi is not None and lo > hi:
            c.report(path, "`min` is above `max`", expected="min <= max",
                     found=f"min {chk.get('min')}, max {chk.get('max')}")


def _bound(raw: object) -> float | None:
    """A check bound as the schema reads it (``1e6`` is text to YAML), or ``None`` when it is not a number
    (the schema reports that)."""
    try:
        return read_bound(raw) if raw is not None else None
    except QuantityError:
        return None


def _check_quantity(c: Checker, path: Path, chk: dict[str, Any], metrics: set[str]) -> None:
    """A check's ``quantity`` fits its kind and target: ``stock`` for a population, the others for a metric."""
    qty, kind, target = chk.get("quantity"), CHECK_KINDS.get(str(chk.get("kind"))), chk.get("target")
    if not isinstance(qty, str) or kind is None:
        return
    if kind.quantities is not None and qty not in kind.quantities:
        c.report((*path, "quantity"), f"a `{kind.name}` check takes no `quantity: {qty}`",
                 expected=", ".join(kind.quantities) or "no `quantity`", found=qty)
    elif kind.quantities is None and isinstance(target, str):
        is_metric = target in metrics
        if (qty == "stock") == is_metric:
            c.report((*path, "quantity"), f"`quantity: {qty}` does not apply to "
                     f"{'metric' if is_metric else 'population'} `{target}`",
                     expected="value, cumulative or avoided" if is_metric else "stock", found=qty)


def _check_sources(c: Checker, node: Any, path: Path, known: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "source" and isinstance(value, str) and path[:1] != ("sources",):
                c.ref((*path, key), value, known, "source")
            elif key != "variants":
                _check_sources(c, value, (*path, key), known)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _check_sources(c, item, (*path, i), known)


def _date_fields(c: Checker) -> Iterator[tuple[Path, DateSpec]]:
    candidates: list[Path] = [("as_of",)]
    candidates += [(*p, "date") for p, _ in c.items("events")]
    for p, m in c.items("measures"):
        candidates += [(*p, "deadline"), (*p, "shelving", "date")]
        candidates += [(*wp, k) for wp, _ in c.items("waivers", m, p) for k in ("from", "until")]
        candidates += [(*cp, k) for cp, _ in c.items("challenges", m, p) for k in ("filed", "decision")]
        candidates += [(*dp, k) for dp, _ in c.items("decisions", m, p) for k in ("date", "until")]
        for gp, g in c.items("cohorts", m, p):
            starts = g.get("starts")
            candidates += [(*gp, "start")]
            candidates += [(*gp, "starts", i) for i in range(len(starts) if isinstance(starts, list) else 0)]
    candidates += [(*p, k) for p, _ in c.items("rulings") for k in ("filed", "decision")]
    candidates += [(*p, "date") for p, _ in c.items("shocks")]
    for path in candidates:
        spec = c.date(path)
        if spec is not None:
            yield path, spec


def _fixed_dates(c: Checker, s0: int | None, s1: int | None) -> None:
    """Key dates, check dates and source dates are plain dates; key dates lie inside the window."""
    paths: list[Path] = [("key_dates", i) for i in range(len(items_of(c.data.get("key_dates"))))]
    paths += [(*p, "date") for p, _ in c.items("sources")]
    exp = c.data.get("expectations")
    if isinstance(exp, dict):
        paths += [(*p, "date") for p, _ in c.items("checks", exp, ("expectations",))]
    for path in paths:
        spec = c.date(path)
        if spec is None:
            continue
        day = spec.fixed_day()
        if day is None:
            c.report(path, "this needs a fixed date", expected="a date such as `2020-11-12`",
                     found=f"`{spec.describe()}`", hint="relative and uncertain dates are for events and measures")
        elif path[0] == "key_dates" and s0 is not None and s1 is not None and not s0 <= day <= s1:
            c.report(path, "a key date outside the simulated window", expected=f"dates from {day_to_date(s0)} to "
                     f"{day_to_date(s1)}", found=str(day_to_date(day)), hint="move it or widen `window`")


def _check_dates(c: Checker, events: set[str], measures: set[str]) -> None:
    start, end = c.date(("window", "start")), c.date(("window", "end"))
    s0 = start.fixed_day() if start else None
    s1 = end.fixed_day() if end else None
    for key, spec in (("start", start), ("end", end)):
        if spec is not None and not spec.is_fixed:
            c.report(("window", key), "the window needs a fixed date", expected="a date such as `2020-09-18`",
                     found=f"`{spec.describe()}`")
    if s0 is not None and s1 is not None and s1 <= s0:
        c.report(("window", "end"), "the window ends before it starts",
                 expected=f"a date after {day_to_date(s0)}", found=str(day_to_date(s1)))
    _fixed_dates(c, s0, s1)
    for path, spec in _date_fields(c):
        if spec.anchor is not None:
            anchor = spec.anchor_id or ""
            if spec.state is not None:
                c.ref(path, anchor, measures, f"measure (before `.{spec.state}`)")
            else:
                c.ref(path, anchor, events | measures, "event or measure")
            if anchor in measures and spec.state != "deadline" and spec.offset.low < 0:
                c.report(path, "a date relative to when a measure came into force cannot be before it"
                         if spec.state is None else f"a date relative to when a measure became {spec.state} "
                         "cannot be before it",
                         expected="`measure + <duration>`", found=f"`{spec.describe()}`",
                         hint=f"anchor on the deadline instead: `{anchor}.deadline - ...`")
        elif path[-1] == "deadline" and s0 is not None and s1 is not None:
            lo, hi = spec.offset.low, spec.offset.high
            if lo < s0 or hi > s1:
                c.report(path, "the deadline is outside the simulated window" if spec.is_fixed
                         else "the deadline can fall outside the simulated window",
                         expected=f"dates from {day_to_date(s0)} to {day_to_date(s1)}",
                         found=f"`{spec.describe()}`" if spec.is_fixed else f"dates from {_day(lo)} to {_day(hi)}",
                         hint="move the deadline or widen `window`")


def _day(x: float) -> str:
    try:
        return str(day_to_date(int(x)))
    except (ValueError, OverflowError):
        return found_repr(x)


def _check_cycles(c: Checker) -> None:
    graph: dict[str, list[tuple[str, Path]]] = {}
    for path, spec in _date_fields(c):
        owner = at(c.data, (*path[:2], "id"))
        # A measure comes into force by its deadline alone; its waivers, challenges and shelving dates are
        # resolved afterwards, so they may refer to the measure itself (`from: app_store_ban + 7d`).
        if isinstance(owner, str) and spec.anchor_id and (path[0] == "events" or path[2:] == ("deadline",)):
            node = spec.anchor_id if spec.state in (None, "deadline") else f"{spec.anchor_id}.{spec.state}"
            graph.setdefault(owner, []).append((node, path))
    for node, edges in state_edges(c).items():
        graph.setdefault(node, []).extend(edges)
    for path, event in c.items("events"):
        for i, req in enumerate(items_of(event.get("requires"))):
            if isinstance(event.get("id"), str) and isinstance(req, str):
                graph.setdefault(event["id"], []).append((req, (*path, "requires", i)))
    reported: set[frozenset[str]] = set()
    for start in sorted(graph):
        stack: list[tuple[str, list[str], Path]] = [(start, [start], ())]
        while stack:
            node, trail, _ = stack.pop()
            for nxt, path in graph.get(node, []):
                if nxt == start and frozenset(trail) not in reported:
                    reported.add(frozenset(trail))
                    loop = " -> ".join([*trail, start])
                    c.report(path, f"dates or requirements refer to each other in a cycle: {loop}",
                             expected="each date anchored on something that does not depend on it",
                             found=loop, hint="anchor one of them on a fixed date")
                elif nxt not in trail:
                    stack.append((nxt, [*trail, nxt], path))
