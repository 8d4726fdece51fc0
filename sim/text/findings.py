"""Findings as titles: each chart's message computed from the results, in words a slide can carry.

The phrasing rules come first (:func:`frequency`, :func:`chance`, :func:`change`, :func:`amount`), then one
finding per chart, each a pure function of :class:`sim.runs.results.Results` (or of plain numbers, for the
study charts). Quantities are compared by their mean (:mod:`sim.text.convention`); a chance is written as a
frequency with its percentage ("in about 1 in 3 runs (34%)").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import pandas as pd

from sim.runs.results import Results
from sim.scenario.schema import Scenario
from sim.text.convention import HEADLINE, INTERVAL
from sim.text.humanize import number, percent

_FRACTIONS = (2, 3, 4, 5, 10)


def _nice(k: float) -> int:
    """``k`` as people round it: whole below 20, else to a half of its leading digit's place (29 -> 30,
    143 -> 150), never off by more than 12.5%."""
    if k < 20:
        return max(2, round(k))
    step = 10 ** math.floor(math.log10(k)) / 2
    return int(round(k / step) * step)


def frequency(p: float) -> str:
    """A chance as a natural frequency: ``about 1 in 3``; ``every`` and ``no`` for certain outcomes.

    Simple fractions (halves, thirds, quarters, fifths) within 3 points of ``p`` first, else tenths; below 20%
    "about 1 in N", above 80% "about N-1 in N", with N rounded as people do (:func:`_nice`).

    Example:
        >>> frequency(0.34), frequency(0.5), frequency(0.67), frequency(0.03), frequency(0.97)
        ('about 1 in 3', 'about 1 in 2', 'about 2 in 3', 'about 1 in 35', 'about 34 in 35')
        >>> frequency(0.0), frequency(1.0), frequency(0.0004), frequency(0.45)
        ('no', 'every', 'fewer than 1 in 1,000', 'about 2 in 5')
    """
    if p <= 0:
        return "no"
    if p >= 1:
        return "every"
    if p < 0.001:
        return "fewer than 1 in 1,000"
    if p > 0.999:
        return "all but fewer than 1 in 1,000"
    if p < 0.2:
        return f"about 1 in {_nice(1 / p):,}"
    if p > 0.8:
        k = _nice(1 / (1 - p))
        return f"about {k - 1:,} in {k:,}"
    for d in _FRACTIONS:
        n = round(p * d)
        if 0 < n < d and abs(n / d - p) <= 0.03 + 1e-9:
            g = math.gcd(n, d)
            return f"about {n // g} in {d // g}"
    n = min(max(round(p * 10), 1), 9)
    g = math.gcd(n, 10)
    return f"about {n // g} in {10 // g}"


def chance(p: float) -> str:
    """A chance for a sentence: ``in about 1 in 3 runs (34%)``, ``in every run``, ``in no run``.

    Example:
        >>> chance(0.34), chance(1.0), chance(0.0)
        ('in about 1 in 3 runs (34%)', 'in every run', 'in no run')
    """
    words = frequency(p)
    if words in ("no", "every"):
        return f"in {words} run"
    return f"in {words} runs ({percent(p)})"


def amount(x: float) -> str:
    """A quantity for a title: two significant digits (``35B``, ``7.7B``, ``−1.2M``).

    Example:
        >>> amount(35.4e9), amount(7.74e9), amount(-1.23e6)
        ('35B', '7.7B', '−1.2M')
    """
    return number(x, 2)


def _between(lo: float, hi: float) -> tuple[str, str]:
    """The two ends of a range, with the digits that keep it true: two significant digits where the range is
    wide, three or four where rounding to two would move an end by much of its width.

    Example:
        >>> _between(7.7e9, 35.4e9), _between(20.9e9, 22.3e9), _between(100.2, 100.9)
        (('7.7B', '35B'), ('20.9B', '22.3B'), ('100.2', '100.9'))
    """
    width, size = abs(hi - lo), max(abs(lo), abs(hi))
    digits = 2 if width >= 0.2 * size else 3 if width >= 0.02 * size else 4
    return number(lo, digits), number(hi, digits)


def _share(x: float) -> str:
    """A relative change as a round percentage: the nearest 5% up to 100%, the nearest 10% above (never more
    than 2.5 points from the exact share page 1 prints: 24.6% is "about 25%", not "about 20%").

    Example:
        >>> _share(0.246), _share(0.74), _share(0.03), _share(1.46)
        ('25%', '75%', '5%', '150%')
    """
    pct = x * 100
    step = 5 if pct < 100 else 10
    return f"{max(step, round(pct / step) * step):.0f}%"


def change(new: float, old: float, what: str) -> str:
    """How ``new`` compares with ``old``, as a verb phrase on ``what``.

    Example:
        >>> change(35e9, 15e9, "TikTok user-days")
        'more than double TikTok user-days'
        >>> change(19.5, 10, "x"), change(14, 10, "x"), change(10.2, 10, "x"), change(6, 10, "x")
        ('roughly double x', 'raise x by about 40%', 'barely change x', 'cut x by about 40%')
        >>> change(0.2, 10, "x"), change(0, 10, "x"), change(5, 0, "x"), change(0, 0, "x"), change(50, 10, "x")
        ('all but eliminate x', 'eliminate x', 'create x where there is none', 'leave x at none', 'multiply x by 5')
    """
    if old <= 0:
        return f"create {what} where there is none" if new > 0 else f"leave {what} at none"
    r = new / old
    if r >= 4:
        return f"multiply {what} by {round(r)}"
    if r >= 3:
        return f"more than triple {what}"
    if r >= 2.05:
        return f"more than double {what}"
    if r >= 1.9:
        return f"roughly double {what}"
    if r >= 1.05:
        return f"raise {what} by about {_share(r - 1)}"
    if r > 0.95:
        return f"barely change {what}"
    if r <= 0:
        return f"eliminate {what}"
    if r <= 0.05:
        return f"all but eliminate {what}"
    return f"cut {what} by about {_share(1 - r)}"


def _day(iso: str | dt.date) -> str:
    day = dt.date.fromisoformat(iso) if isinstance(iso, str) else iso
    return f"{day.day} {day:%b %Y}"


def _span(days: int) -> str:
    """A delay in words: ``5 days``, ``3 weeks``, ``4 months``."""
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 63:
        return f"{round(days / 7)} weeks"
    months = round(days / 30.44)
    return f"{months} months" if months < 24 else f"{days / 365.25:.1f} years"


def _end_value(results: Results, sid: str, quantity: str) -> float:
    rows = results.series[(results.series["series"] == sid) & (results.series["quantity"] == quantity)]
    return float(rows.sort_values("date")[HEADLINE].iloc[-1]) if not rows.empty else 0.0


def exposure(results: Results, metric: str) -> str:
    """The finding of a metric's exposure page: what the measures do to its total (means).

    Example:
        >>> exposure(res, "tiktok_user_days")
        'TikTok user-days of US data: the measures cut it by about 50% (18B vs 36B with no measure)'
    """
    e = results.summary["exposure"][metric]
    total, cf, avoided = (float(e[k][HEADLINE]) for k in ("total", "counterfactual", "avoided"))
    if avoided < 0:
        versus = _versus(total, cf) if cf > 0 else "none with no measure"
        return f"{e['title']}: {amount(-avoided)} added by the measures ({versus})"
    return f"{e['title']}: the measures {change(total, cf, 'it')} ({_versus(total, cf)})"


def outcomes(results: Results) -> str:
    """The finding of the outcomes page: how the first metric's total ends, as two clusters with their chances
    where a branch splits it (:mod:`sim.runs.splits`), else as the range of 5-95% of runs."""
    exposure = results.summary["exposure"]
    if not exposure:
        return f"{results.scenario.title}: how the runs end"
    metric, e = next(iter(exposure.items()))
    split = next((sp for sp in results.summary.get("splits", []) if sp["outcome"] == f"{metric}:total"), None)
    if split is not None:
        yes, no = split["sides"]
        return (f"{e['title']} ends in two clusters: about {amount(yes['p50'])} {yes['label']}, "
                f"{chance(yes['probability'])}; about {amount(no['p50'])} otherwise")
    t = e["total"]
    lo, hi = _between(t["p05"], t["p95"])
    return f"{e['title']} ends between {lo} and {hi} in 9 of 10 runs"


def _versus(value: float, cf: float) -> str:
    """``18B vs 36B with no measure``; ``none with no measure`` when the counterfactual is zero."""
    return f"{amount(value)} vs {amount(cf)} with no measure" if cf > 0 else f"{amount(value)}; none with no measure"


def populations(results: Results) -> str:
    """The finding of the populations page: the population the measures change most by the end (means), among
    those that exist without the measures (a population the measures fill, such as former users, only if none
    does)."""
    s = results.scenario
    end = _day(results.summary["window"]["end"])
    found: list[tuple[bool, float, str]] = []
    for p in s.populations:
        # below one member is rounding noise of a count, not a fraction of a user
        v, cf = (x if x >= 1 else 0.0 for x in (_end_value(results, p.id, q) for q in ("stock", "stock_cf")))
        size = abs(math.log((v + 1) / (cf + 1)))
        text = f"{p.title or p.id}: the measures {change(v, cf, 'it')} by {end} ({_versus(v, cf)})"
        found.append((cf > 0, size, text))
    return max(found)[2] if found else f"{s.title}: populations"


def p_in_force_by(results: Results, measure: str, day: dt.date) -> float:
    """The share of runs in which ``measure`` took effect on or before ``day`` (exact, from the effective dates).

    Example:
        >>> import datetime as dt
        >>> 0 <= p_in_force_by(res, "tiktok_app_store", dt.date(2020, 11, 12)) <= 1
        True
    """
    rows = results.effective[(results.effective["measure"] == measure) & results.effective["date"].notna()]
    taken = rows[rows["date"] <= pd.Timestamp(day)]
    return float(taken["cumulative"].max()) if not taken.empty else 0.0


def effective_quantile(results: Results, measure: str, q: float) -> dt.date | None:
    """The ``q`` quantile of ``measure``'s effective date among runs where it takes effect (a day some run saw);
    ``None`` if it never does."""
    rows = results.effective[(results.effective["measure"] == measure) & results.effective["date"].notna()]
    if rows.empty:
        return None
    took = float(rows["cumulative"].iloc[-1])
    hit = rows[rows["cumulative"] >= q * took - 1e-12]
    return pd.Timestamp(hit["date"].iloc[0]).date()


def _deadlines(s: Scenario) -> list[tuple[str, str, dt.date]]:
    """``(id, title, planned deadline)`` of the measures with a fixed deadline inside the window."""
    out = []
    for m in s.measures:
        day = m.deadline.fixed_day()
        if day is not None and s.start_day <= day <= s.end_day:
            out.append((m.id, m.title or m.id, dt.date.fromordinal(day)))
    return out


def in_force(results: Results) -> str:
    """The finding of the in-force page: the measure least likely to be in force by its planned deadline."""
    s = results.scenario
    odds = [(p_in_force_by(results, mid, day), title, day) for mid, title, day in _deadlines(s)]
    if odds:
        p, title, day = min(odds, key=lambda o: o[0])
        if p >= 1:
            return "Every measure is in force by its planned deadline in every run"
        return f"{title}: in force by its deadline ({_day(day)}) {chance(p)}"
    measures = results.summary["measures"]
    last = results.summary["key_dates"][-1]
    if not measures:
        return f"{s.title}: no measures"
    mid = max(measures, key=lambda k: measures[k]["p_in_force_on"][last])
    return f"{measures[mid]['title']}: in force on {_day(last)} {chance(measures[mid]['p_in_force_on'][last])}"


def timeline(results: Results) -> str:
    """The finding of the timeline page: the measure most often late against its planned deadline (the share of
    late runs times their median delay), else the one most likely never to take effect."""
    s = results.scenario
    eff = results.effective
    late: list[tuple[float, str]] = []
    for mid, title, day in _deadlines(s):
        rows = eff[(eff["measure"] == mid) & (eff["date"] > pd.Timestamp(day))]
        p_late = float(rows["probability"].sum())
        if p_late <= 0:
            continue
        half = rows["probability"].cumsum() >= p_late / 2 - 1e-12
        delay = (pd.Timestamp(rows["date"][half].iloc[0]).date() - day).days
        never = results.summary["measures"][mid]["p_never_in_force"]
        text = f"{title}: late {chance(p_late)}, by a median {_span(delay)}" + (
            f"; never in force {chance(never)}" if never > 0 else "")
        late.append((p_late * delay, text))
    if late:
        return max(late)[1]
    measures = results.summary["measures"]
    if measures:
        mid = max(measures, key=lambda k: measures[k]["p_never_in_force"])
        p = measures[mid]["p_never_in_force"]
        if p > 0:
            return f"{measures[mid]['title']}: never in force {chance(p)}"
    return "Every measure takes effect on its planned deadline"


def bottom_line(results: Results) -> list[str]:
    """Two or three sentences opening page 1: exposure and what the measures do to it, the measures' odds, and
    the population they change most.

    Example:
        >>> len(bottom_line(res)) in (2, 3)
        True
    """
    sm = results.summary
    end = _day(sm["window"]["end"])
    out: list[str] = []
    for metric, e in list(sm["exposure"].items())[:1]:
        t, cf, a = (e[k] for k in ("total", "counterfactual", "avoided"))
        head = (f"{e['title']}: {amount(t[HEADLINE])} {e['unit']} by {end} on average ({INTERVAL} of runs: "
                f"{amount(t['p05'])} to {amount(t['p95'])})")
        if a[HEADLINE] < 0 and cf[HEADLINE] <= 0:
            out.append(f"{head}, all of it added by the measures.")
        elif a[HEADLINE] < 0:
            out.append(f"{head}; the measures add {amount(-a[HEADLINE])} to the {amount(cf[HEADLINE])} there would "
                       "be with no measure.")
        elif cf[HEADLINE] > 0:
            out.append(f"{head}; the measures avoid {amount(a[HEADLINE])}, {percent(a[HEADLINE] / cf[HEADLINE])} of "
                       f"the {amount(cf[HEADLINE])} with no measure.")
        else:
            out.append(head + ".")
        split = next((sp for sp in sm.get("splits", []) if sp["outcome"] == f"{metric}:total"), None)
        if split is not None:  # a mean across two clusters is no finding alone: say both
            yes, no = split["sides"]
            out[-1] = (f"{out[-1][:-1]}; but the runs split: about {amount(yes['p50'])} {yes['label']}, "
                       f"{chance(yes['probability'])}; about {amount(no['p50'])} otherwise.")
    measures = sm["measures"]
    last = sm["key_dates"][-1] if sm["key_dates"] else None
    if measures and last is not None:
        on = {k: m["p_in_force_on"][last] for k, m in measures.items()}
        top = max(on, key=lambda k: on[k])
        text = f"{measures[top]['title']} is in force on {_day(last)} {chance(on[top])}"
        never = max(measures, key=lambda k: measures[k]["p_never_in_force"])
        if never != top and measures[never]["p_never_in_force"] > 0:
            text += f"; {measures[never]['title']} never takes effect {chance(measures[never]['p_never_in_force'])}"
        out.append(text + ".")
    if results.scenario.populations and len(out) < 3:
        out.append(populations(results) + ".")
    return out


def sources(total: int, cited: int, assumed: int) -> str:
    """The finding of the assumptions annex: how many inputs cite a source.

    Example:
        >>> sources(40, 28, 9)
        '40 inputs: 28 cite a source, 9 are modelling assumptions, 3 cite none'
    """
    none = total - cited - assumed
    assumptions = "is a modelling assumption" if assumed == 1 else "are modelling assumptions"
    parts = [f"{cited} cite a source", f"{assumed} {assumptions}"]
    if none:
        parts.append(f"{none} cite{'s' if none == 1 else ''} none")
    return f"{total} inputs: " + ", ".join(parts)


def comparison(values: Sequence[float], names: Sequence[str], what: str) -> str:
    """The finding of a comparison: the run that differs most from the first (the reference), by their means.

    Example:
        >>> comparison([15e9, 35e9, 14e9], ["as written", "Deal reached", "Everything on schedule"],
        ...            "TikTok user-days")
        'TikTok user-days: “Deal reached” would more than double it, 35B vs 15B (as written)'
    """
    ref = values[0]
    if len(values) < 2:
        return f"{what}: {amount(ref)} ({names[0]})"
    k = max(range(1, len(values)), key=lambda i: abs(math.log((values[i] + 1) / (ref + 1))))
    return (f"{what}: “{names[k]}” would {change(values[k], ref, 'it')}, {amount(values[k])} vs {amount(ref)} "
            f"({names[0]})")


def swing(label: str, outcome: str, low: str, high: str) -> str:
    """The finding of a tornado: the input that moves the outcome most, with the outcome at its two ends
    (``low`` and ``high`` already say the level and the value, ``yes: 31B``).

    Example:
        >>> swing("Oracle deal: happens", "TikTok user-days", "yes: 31B", "no: 11B")
        'Oracle deal: happens moves TikTok user-days most (yes: 31B, no: 11B)'
    """
    return f"{label} moves {outcome} most ({low}, {high})"


def sweep(what: str, key: str, first: float, last: float, x0: str, x1: str) -> str:
    """The finding of a grid sweep: how the outcome's mean moves from the first point to the last.

    Example:
        >>> sweep("TikTok user-days", "deadline", 10e9, 25e9, "2020-11-12", "2021-05-12")
        'Moving deadline from 2020-11-12 to 2021-05-12 would more than double TikTok user-days: 10B to 25B'
    """
    return f"Moving {key} from {x0} to {x1} would {change(last, first, what)}: {amount(first)} to {amount(last)}"

