"""A scenario as seen on a date: the facts of its ``record:`` up to that date fixed, the rest conditioned on them.

The facts are read by :mod:`sim.scenario.facts`. :func:`seen_on` rewrites the resolved data of a scenario as it
was known on day ``t``:

- a fact dated on or before ``t`` is fixed: probability 1 (or the recorded outcome) on its recorded date;
- what the record does not show by ``t`` had not happened by ``t``: an uncertain date not yet reached is drawn
  from its distribution truncated to after ``t`` (``later_than``, sampled by the inverse CDF of the same named
  stream, :func:`sim.scenario.sampling.conditioned_uniforms`), and the chance ``p`` of an event with date
  distribution ``F`` becomes, by Bayes' rule, ``p (1 - F(t)) / (1 - p F(t))``; a deadline passed with no
  recorded deferral was not deferred;
- everything later stays as uncertain as the scenario says;
- ``record.until`` is one more key date (what the record decides by its end is what forecasts are scored on).

A fact the scenario gives no chance (a date outside its distribution, an injunction of probability 0, a deferral
of a measure that has none) is an error naming both the fact and the scenario's value, with their positions.
Facts dated after ``t`` are not known on ``t`` and are ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sim.scenario.quantities as q
from sim.scenario.calendar import add_duration, day_to_date
from sim.scenario.dates import DateSpec, read_date
from sim.scenario.errors import Diagnostic, DocketError, ScenarioError, UsageError
from sim.scenario.facts import Fact, Path, by_id, challenges, decisions, read_facts, record_span
from sim.scenario.quantities import QuantityError
from sim.scenario.sampling import mean, share_by
from sim.scenario.values import CONDITION_KEY, read_value
from sim.scenario.yamlload import MDict, MList, dotted_path, mark_at


class _Seen:
    """The rewriting of one scenario's data as seen on day ``t``; collects every problem before raising."""

    def __init__(self, data: MDict, t: int, filename: str):
        self.data = data
        self.t = t
        self.filename = filename
        self.problems: list[Diagnostic] = []

    def fail(self, path: Path, message: str, *, expected: str | None = None, found: str | None = None,
             hint: str | None = None) -> None:
        self.problems.append(Diagnostic(message, mark_at(self.data, path), dotted_path(path), expected, found,
                                        hint))

    def where(self, path: Path) -> str:
        """``file:line`` of the value at ``path`` (to name the other side of a contradiction)."""
        mark = mark_at(self.data, path)
        return f"{mark.file}:{mark.line}" if mark else dotted_path(path)

    # ---- reading the scenario's values

    def date_of(self, path: Path, offset: bool = False) -> DateSpec | None:
        """The date at ``path`` (with ``offset``: a duration, as an offset without anchor); ``None`` if unread."""
        try:
            raw = _get(self.data, path)
            return DateSpec(None, read_value(raw, "duration")) if offset else read_date(raw)
        except (QuantityError, KeyError, IndexError, TypeError):
            return None

    def chance(self, path: Path) -> float | None:
        """The mean chance a probability value gives (1 if absent)."""
        try:
            raw = _get(self.data, path)
        except KeyError:
            return 1.0
        try:
            dist = read_value(raw, "probability")
        except QuantityError:
            return None
        return mean(dist)

    # ---- conditioning

    def not_yet(self, path: Path, prob_key: str | None, date_key: str, base: int = 0,
                what: str = "") -> None:
        """``path``'s date (at ``date_key``; an offset from day ``base`` if ``base``) had not come by ``t``: truncate
        it to after ``t``, and update its chance at ``prob_key`` by Bayes' rule."""
        spec = self.date_of((*path, date_key), offset=bool(base))
        if spec is None or spec.anchor is not None:
            return  # relative dates are resolved on their anchors, not conditioned here
        dist = spec.offset
        cut = self.t - base
        by = share_by(dist, cut) if dist.later_than is None or dist.later_than < cut else 0.0
        p = 1.0 if prob_key is None else self.chance((*path, prob_key))
        if p is None:
            return
        node = _get(self.data, path)
        if by >= 1.0 and p >= 1.0:
            self.fail((*path, date_key), f"the record shows no {what} by {day_to_date(self.t)}, but the scenario "
                      f"gives it no chance of coming later", expected=f"a date that may fall after "
                      f"{day_to_date(self.t)}", found=f"`{dist.describe()}` ({self.where((*path, date_key))})",
                      hint=f"add the {what} to `record.facts`, or widen the scenario's date")
            return
        if by > 0.0 and prob_key is not None:
            updated = p * (1.0 - by) / (1.0 - p * by)
            _put(node, prob_key, _conditioned(node.get(prob_key), round(updated, 12),
                                              f"Bayes given none by {day_to_date(self.t)}, from {p:g}"))
        if 0.0 < by < 1.0:
            raw = node[date_key]
            bound = day_to_date(self.t) if not base else f"{cut}d"
            if isinstance(raw, dict) and "value" not in raw:
                new = _copy(raw)
                new[CONDITION_KEY] = bound
                _put(node, date_key, new)

    def happened(self, path: Path, fact: Fact, prob_key: str | None, date_key: str, base: int = 0) -> None:
        """``path`` happened on the fact's day: its chance 1, its date (or offset from ``base``) that day."""
        spec = self.date_of((*path, date_key), offset=bool(base))
        node = _get(self.data, path)
        if spec is not None and spec.anchor is None:
            dist = spec.offset
            at = fact.day - base
            if share_by(dist, at) - share_by(dist, at - 1) <= 0.0:
                self.zero(fact, (*path, date_key), f"`{dist.describe()}`")
                return
        if prob_key is not None and self.chance((*path, prob_key)) == 0.0:
            self.zero(fact, (*path, prob_key), "probability 0")
            return
        if prob_key is not None:
            _put(node, prob_key, _fixed(1, fact.source))
        _put(node, date_key, _fixed(day_to_date(fact.day) if not base else f"{fact.day - base}d", fact.source))

    def outcome(self, fact: Fact, node: MDict, path: Path, key: str, flag: str) -> None:
        """A yes/no outcome of a fact (``injunction``, ``reversal``) replaces the chance at ``key``."""
        value = fact.raw.get(flag)
        if not isinstance(value, bool):
            self.fail((*fact.path, flag), f"a fact about a {fact.kind} needs `{flag}: true` or `false`",
                      expected=f"`{flag}: true` or `{flag}: false`", found=f"`{value}`")
            return
        p = self.chance((*path, key))
        if p is not None and (p == 0.0 if value else p == 1.0):
            self.zero(fact, (*path, key), f"probability {p:g}")
            return
        _put(node, key, _fixed(1 if value else 0, fact.source))

    def zero(self, fact: Fact, path: Path, found: str) -> None:
        self.fail(fact.path, f"the record's {fact.kind} `{fact.subject}` on {day_to_date(fact.day)} has no chance "
                  f"in the scenario ({dotted_path(path)} at {self.where(path)})",
                  expected="a fact the scenario gives some chance", found=found,
                  hint=f"check the fact's date and outcome, or let {dotted_path(path)} allow it")


def _get(data: Any, path: Path) -> Any:
    for step in path:
        data = data[step]
    return data


def _copy(value: Any) -> Any:
    """A deep copy that keeps positions."""
    if isinstance(value, MDict):
        out = MDict(value.mark)
        out.key_marks, out.value_marks = dict(value.key_marks), dict(value.value_marks)
        for k, v in value.items():
            out[k] = _copy(v)
        return out
    if isinstance(value, MList):
        seq = MList(value.mark)
        seq.item_marks = list(value.item_marks)
        seq.extend(_copy(v) for v in value)
        return seq
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _put(node: MDict, key: str, value: Any) -> None:
    """Set ``node[key]``; a new mapping takes the position of the value it replaces."""
    mark = node.value_marks.get(key, node.mark) if isinstance(node, MDict) else None
    if isinstance(value, dict) and not isinstance(value, MDict):
        out = MDict(mark)
        for k, v in value.items():
            out[k] = v
            if mark is not None:
                out.key_marks[k] = out.value_marks[k] = mark
        value = out
    node[key] = value
    if isinstance(node, MDict) and mark is not None:
        node.value_marks.setdefault(key, mark)
        node.key_marks.setdefault(key, mark)


def _fixed(value: object, source: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value}
    if source:
        out["source"] = source
    return out


def _conditioned(raw: object, value: float, note: str) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "note": note}
    if isinstance(raw, dict) and isinstance(raw.get("source"), str):
        out["source"] = raw["source"]
    return out


def _occurrences(s: _Seen, facts: list[Fact], known: dict[str, Path], kind: str) -> None:
    """Events (shocks, decisions): happened on their recorded day, or not by ``t``."""
    seen = {f.subject: f for f in facts if f.kind == kind}
    for f in seen.values():
        if f.subject not in known:
            s.fail((*f.path, kind), f"`{f.subject}` is not a known {kind} of the scenario",
                   expected=f"one of {', '.join(sorted(known)) or '(none)'}", found=f"`{f.subject}`")
    for sid, path in known.items():
        if sid in seen:
            s.happened(path, seen[sid], "probability", "date")
        else:
            s.not_yet(path, "probability", "date", what=f"{kind} `{sid}`")


def _courts(s: _Seen, facts: list[Fact]) -> None:
    """Challenges and shared rulings: decided on their recorded day (with the recorded outcome), or not by
    ``t``; an injunction's appeal likewise."""
    known = challenges(s.data)
    decided = {f.subject: f for f in facts if f.kind == "challenge"}
    appealed = {f.subject: f for f in facts if f.kind == "appeal"}
    for f in [*decided.values(), *appealed.values()]:
        if f.subject not in known:
            s.fail((*f.path, f.kind), f"`{f.subject}` is not a known challenge or ruling of the scenario",
                   expected=f"one of {', '.join(sorted(known)) or '(none)'}", found=f"`{f.subject}`")
    for cid, path in known.items():
        node = _get(s.data, path)
        fact = decided.get(cid)
        if fact is None:
            s.not_yet(path, None, "decision", what=f"decision in `{cid}`")
            if cid in appealed:
                s.fail(appealed[cid].path, f"the record has an appeal in `{cid}` before its decision",
                       expected="a `challenge` fact on or before the appeal", found="none")
            continue
        s.happened(path, fact, None, "decision")
        s.outcome(fact, node, path, "injunction", "injunction")
        appeal = node.get("appeal")
        if not isinstance(appeal, dict) or fact.raw.get("injunction") is not True:
            if cid in appealed:
                s.fail(appealed[cid].path, f"the record has an appeal in `{cid}`, but the scenario has none "
                       "(or no injunction to appeal)", expected="an `appeal:` under the challenge",
                       found="none")
            continue
        apath = (*path, "appeal")
        if cid in appealed:
            s.happened(apath, appealed[cid], "probability", "decision", base=fact.day)
            s.outcome(appealed[cid], _get(s.data, apath), apath, "reversal", "reversal")
        else:
            s.not_yet(apath, "probability", "decision", base=fact.day, what=f"appeal decision in `{cid}`")


def _deferrals(s: _Seen, facts: list[Fact]) -> None:
    """Deadlines: moved by each recorded deferral; one passed by ``t`` with no deferral recorded held."""
    known = by_id(s.data, "measures")
    recorded: dict[str, list[Fact]] = {}
    for f in facts:
        if f.kind == "deferral":
            if f.subject not in known:
                s.fail((*f.path, "deferral"), f"`{f.subject}` is not a known measure of the scenario",
                       expected=f"one of {', '.join(sorted(known))}", found=f"`{f.subject}`")
            else:
                recorded.setdefault(f.subject, []).append(f)
    for mid, path in known.items():
        node = _get(s.data, path)
        spec = s.date_of((*path, "deadline"))
        mine = recorded.get(mid, [])
        deadline = spec.fixed_day() if spec is not None else None
        if deadline is None:
            if mine:
                s.fail(mine[0].path, f"`{mid}` has no fixed deadline, so a recorded deferral cannot be placed",
                       expected="a measure with a fixed `deadline`", found=f"`{node.get('deadline')}`")
            continue
        if deadline > s.t and not mine:
            continue
        defer = node.get("deferral")
        if not isinstance(defer, dict):
            for f in mine:
                s.zero(f, (*path, "deadline"), "no `deferral:` in the scenario")
            continue
        if "steps" in defer or "stricter" in defer:
            s.fail((*path, "deferral"), f"`{mid}`: a deferral chain of `steps` cannot be seen on a date yet",
                   expected="a deferral with `probability` and `delay` or `schedule`", found="`steps`",
                   hint=f"choose an --as-of before {day_to_date(deadline)}, or write the chain with `schedule`")
            continue
        schedule = defer.get("schedule")
        cap = len(schedule) if isinstance(schedule, list) else defer.get("max") or 0
        done = 0
        for f in mine:
            if f.day != deadline:
                s.fail((*f.path, "date"), f"the record defers `{mid}` on {day_to_date(f.day)}, but its deadline "
                       f"then was {day_to_date(deadline)}", expected=f"the date of the deadline it moved "
                       f"({day_to_date(deadline)})", found=f"{day_to_date(f.day)}",
                       hint="a deferral is recorded on the deadline it moves")
                return
            if done >= cap or s.chance((*path, "deferral", "probability")) == 0.0:
                s.zero(f, (*path, "deferral"), f"at most {cap} deferrals" if done >= cap else "probability 0")
                return
            try:
                delay = q.parse_duration(f.raw.get("delay"))
            except QuantityError as exc:
                s.fail((*f.path, "delay"), "a recorded deferral needs its `delay`", expected="a duration such "
                       "as `7d`", found=f"`{f.raw.get('delay')}`", hint=str(exc.hint or ""))
                return
            written = schedule[done] if isinstance(schedule, list) else defer.get("delay")
            try:
                allowed = read_value(written, "duration")
            except QuantityError:
                allowed = None
            days = round(delay.mean_days)
            if allowed is not None and share_by(allowed, days) - share_by(allowed, days - 1) <= 0.0:
                s.zero(f, (*path, "deferral"), f"a delay of {f.raw.get('delay')}, where the scenario has "
                       f"`{allowed.describe()}`")
                return
            deadline = add_duration(deadline, delay)
            done += 1
        if deadline <= s.t and s.chance((*path, "deferral", "probability")) == 1.0 and done < cap:
            s.fail((*path, "deferral", "probability"), f"the record shows no deferral of `{mid}` at its deadline "
                   f"{day_to_date(deadline)}, but the scenario defers it for certain",
                   expected="a deferral probability below 1", found="probability 1",
                   hint="add the deferral to `record.facts`, or lower the probability")
            return
        source = mine[-1].source if mine else None
        if mine:
            _put(node, "deadline", _fixed(day_to_date(deadline), source))
        if deadline <= s.t or done >= cap:
            del node["deferral"]
        elif done:
            left = _copy(defer)
            if isinstance(schedule, list):
                left["schedule"] = MList(getattr(schedule, "mark", None))
                left["schedule"].extend(schedule[done:])
                left["schedule"].item_marks = list(getattr(schedule, "item_marks", [])[done:])
            else:
                left["max"] = cap - done
            _put(node, "deferral", left)


def seen_on(data: dict[str, Any], as_of: dt.date, filename: str) -> MDict:
    """The resolved scenario ``data`` as seen on ``as_of``: the record's facts up to it fixed, the rest conditioned
    (see the module docstring). The result records ``as_of`` as the scenario's ``as_of``.

    Raises:
        DocketError: the scenario has no record.
        UsageError: ``as_of`` is outside the record (before the scenario's ``as_of`` or after ``record.until``).
        ScenarioError: facts that name nothing of the scenario, or that the scenario gives no chance.

    Example:
        >>> from sim.scenario.loader import resolve_raw
        >>> seen = seen_on(resolve_raw("scenarios/tiktok-wechat-2020.yaml"), dt.date(2020, 10, 15), "f")
        >>> seen["events"][0]["probability"]["value"] < 0.35, seen["as_of"]
        (True, datetime.date(2020, 10, 15))
    """
    span = record_span(data)
    if span is None:
        raise DocketError(f"{filename} has no `record:` of what happened, so it cannot be seen on a later date "
                          f"(docs/forecasting.md says how to write one)")
    t = as_of.toordinal()
    if not span[0] <= t <= span[1]:
        raise UsageError(f"{as_of} is outside the record of {filename}: it can be seen on {day_to_date(span[0])} "
                         f"to {day_to_date(span[1])} (its as_of to record.until)", param="--as-of")
    out = _copy(data)
    s = _Seen(out, t, filename)
    facts = [f for f in read_facts(out["record"], s.fail) if f.day <= t]
    _occurrences(s, facts, by_id(out, "events"), "event")
    _occurrences(s, facts, by_id(out, "shocks"), "shock")
    _occurrences(s, facts, decisions(out), "decision")
    _courts(s, facts)
    _deferrals(s, facts)
    if s.problems:
        raise ScenarioError(s.problems)
    _put(out, "as_of", as_of)
    until_as_key_date(out)
    return out


def until_as_key_date(data: dict[str, Any]) -> None:
    """Add the record's ``until`` to the key dates of the resolved ``data`` (in place; the window end stands for
    absent key dates), so runs report what the record decides by its end."""
    span = record_span(data)
    if span is None:
        return
    keys = MList(getattr(data.get("key_dates"), "mark", None))
    keys.extend(data.get("key_dates") or [(data.get("window") or {}).get("end")])
    keys.append(day_to_date(span[1]))
    if isinstance(data, MDict):
        _put(data, "key_dates", keys)
    else:
        data["key_dates"] = keys
