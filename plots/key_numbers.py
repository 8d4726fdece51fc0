"""The key-numbers page: the bottom line, headline figures with their intervals, and where they come from."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

import sim
from plots import data, style
from sim.runs.results import Results
from sim.text import convention, findings
from sim.text.humanize import interval, number, percent
from sim.text.narrate import split_sentence, summary_text
from sim.text.titles import variant_title

MAX_KEY_DATES = 5
MAX_SPLITS = 3  # split outcomes on page 1: each metric's total and avoided, then populations on the last key date


class _Writer:
    """Places text in an axes: ``x`` in axes fraction, ``y`` in points down from the top (exact, any size)."""

    def __init__(self, ax: Axes) -> None:
        self.ax = ax

    def text(self, x: float, y: float, text: str, size: float = style.SMALL_SIZE, **kwargs: Any) -> None:
        opts: dict[str, Any] = {"color": style.INK, "va": "top", "ha": "left", **kwargs}
        self.ax.annotate(text, xy=(x, 1), xycoords="axes fraction", xytext=(12, -y), textcoords="offset points",
                         fontsize=size, annotation_clip=False, **opts)


def _dates(summary: dict[str, Any]) -> list[str]:
    keys: list[str] = summary["key_dates"]
    return keys if len(keys) <= MAX_KEY_DATES else [*keys[: MAX_KEY_DATES - 1], keys[-1]]


def _short(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%b}\n{day:%Y}"


def bottom_line(results: Results) -> list[str]:
    """The lines opening page 1: the bottom line (:func:`sim.text.findings.bottom_line`; where the runs split,
    its first sentence says so, and the page lists every split under the exposure cards, :func:`split_lines`)."""
    return findings.bottom_line(results)


def text(results: Results) -> str:
    """The key numbers as the terminal prints them after ``docket brief``: the bottom line of page 1, then the
    tables of the run (:func:`sim.text.narrate.summary_text`).

    Example:
        >>> print(text(res).splitlines()[0])  # doctest: +ELLIPSIS
        Bottom line: TikTok user-days of US data: ...
    """
    para = textwrap.fill("Bottom line: " + " ".join(bottom_line(results)), 110)
    return "\n".join([para, "", summary_text(results)])


def _bottom_line(w: _Writer, results: Results, y: float) -> float:
    """The bottom line as one wrapped paragraph; returns the y below it."""
    lines = bottom_line(results)
    if not lines:
        return y
    crowded = len(results.scenario.measures) > 4 or len(results.scenario.metrics) > 3
    size = style.SMALL_SIZE if crowded else style.SMALL_SIZE + 1
    chars = int(0.97 * style.SLIDE[0] * 72 / (size * 0.55))
    text = style.wrap(" ".join(lines), chars, lines=6)
    w.text(0, y, text, size, linespacing=1.3, gid="bottom-line")
    return y + (text.count("\n") + 1) * size * 1.3 + 14


def _exposure(w: _Writer, results: Results, y: float) -> float:
    """Cards with each metric's total and avoided exposure; returns the y below them."""
    exposure: dict[str, Any] = results.summary["exposure"]
    end = style.day_label(data.window(results)[1])
    w.text(0, y, f"Exposure accumulated by {end}: {convention.STATISTIC} ({convention.INTERVAL} of runs)",
           style.LABEL_SIZE, fontweight="bold")
    y += 26
    n = max(len(exposure), 1)
    big = 18 if n <= 3 else 15 if n == 4 else 13
    for k, (_mid, e) in enumerate(exposure.items()):
        x = k / n
        w.text(x, y, style.wrap(e["title"], int(120 / n)), style.SMALL_SIZE, color=style.MUTED)
        t, a, cf = e["total"], e["avoided"], e["counterfactual"]
        mean, lo, hi = convention.headline(t)
        # a measure can add exposure (stopped updates leave installs unpatched): say so rather than "−2.7B"
        change = f"avoided: {convention.figure(a)}" if a[convention.HEADLINE] >= 0 else \
            f"added{' by the measures' if n <= 3 else ''}: {interval(-a['mean'], -a['p95'], -a['p05'])}"
        w.text(x, y + 34, f"{number(mean)} {e['unit']}", big, fontweight="bold")
        w.text(x, y + 36 + big * 1.4, f"{convention.INTERVAL}: {number(lo)} to {number(hi)}\n"
               f"{change}\nwith no measure: {number(cf[convention.HEADLINE])}",
               style.SMALL_SIZE - (0 if n <= 3 else 1), linespacing=1.35,
               color=style.ADDED if a[convention.HEADLINE] < 0 else style.INK)
    return y + 36 + big * 1.4 + 3 * style.SMALL_SIZE * 1.35 + 8 if exposure else y


def _measures(w: _Writer, results: Results, y: float, width: float) -> None:
    """P(in force) on the key dates and P(never), one row per measure."""
    measures: dict[str, Any] = results.summary["measures"]
    keys = _dates(results.summary)
    w.text(0, y, "Chance each measure is in force on the key dates (that day)", style.LABEL_SIZE,
           fontweight="bold")
    y += 24
    n = len(measures)
    size = style.SMALL_SIZE if n <= 6 else style.SMALL_SIZE - 1.5
    lines = 2 if n <= 6 else 1
    row = (1.35 * lines + 0.45) * size
    first = width - 0.065 * (len(keys) + 1)
    cols = [first + 0.065 * i for i in range(len(keys) + 1)]
    for x, head in zip(cols, [*(_short(k) for k in keys), "never\nin force"], strict=True):
        w.text(x + 0.06, y, head, size - 1, ha="right", color=style.MUTED, linespacing=1.1)
    y += 2.6 * size
    chars = int(first * style.SLIDE[0] * 72 / (size * 0.56))
    for mid, m in measures.items():
        w.text(0, y, style.wrap(m["title"] or mid, chars, lines), size, linespacing=1.15)
        values = [m["p_in_force_on"][k] for k in keys] + [m["p_never_in_force"]]
        for x, p in zip(cols, values, strict=True):
            w.text(x + 0.06, y, percent(p), size, ha="right", fontweight="bold" if p >= 0.5 else "normal")
        y += row
    if not measures:
        w.text(0, y, "No measures in this scenario.", size, color=style.MUTED)


def _populations(w: _Writer, results: Results, x: float, y: float) -> float:
    """Each population on the last key date; returns the y below."""
    pops: dict[str, Any] = results.summary["populations"]
    last = results.summary["key_dates"][-1] if results.summary["key_dates"] else None
    if last is None:
        return y
    w.text(x, y, f"On {style.day_label(dt.date.fromisoformat(last))}: {convention.STATISTIC} "
           f"({convention.INTERVAL} of runs)", style.LABEL_SIZE, fontweight="bold")
    y += 24
    compact = len(pops) > 4  # one line each: the name, and the figure right-aligned
    size = style.SMALL_SIZE if not compact else style.SMALL_SIZE - 1
    for pid, by_date in pops.items():
        st = by_date[last]
        name = style.abbreviate(data.population_title(results.scenario, pid), 30 if compact else 44)
        w.text(x, y, name, size, color=style.MUTED)
        # below one member is rounding noise of a count, not a fraction of a user
        mid, lo, hi = (0.0 if abs(v) < 1 else v for v in convention.headline(st))
        if compact:
            w.text(0.99, y, interval(mid, lo, hi), size, fontweight="bold", ha="right")
            y += size * 1.9
        else:
            w.text(x, y + size * 1.35, interval(mid, lo, hi), size + 1, fontweight="bold")
            y += size * 3.2
    return y


def split_lines(results: Results) -> list[str]:
    """The split outcomes of page 1 (its exposure totals and avoided exposure, and populations on the last key
    date), grouped by branch: a line naming the branch and its chance, then one line per outcome, "34% chance
    of about X, otherwise about Y"; at most :data:`MAX_SPLITS` outcomes.

    Example:
        >>> lines = split_lines(res)
        >>> lines[0].startswith("Split by ") and "chance of about" in lines[1]
        True
    """
    sm = results.summary
    last = sm["key_dates"][-1] if sm["key_dates"] else None
    splits = sm.get("splits", [])
    totals = {sp["series"]: [abs(side["p50"]) for side in sp["sides"]] for sp in splits
              if sp["quantity"] == "cumulative"}
    shown = [sp for sp in splits if sp["quantity"] != "stock"  # an avoided equal to its total says it twice
             and not (sp["quantity"] == "avoided" and [abs(x["p50"]) for x in sp["sides"]] == totals.get(sp["series"]))]
    shown += [sp for sp in splits if sp["quantity"] == "stock" and sp["date"] == last]
    lines: list[str] = []
    for branch in dict.fromkeys(sp["branch"] for sp in shown[:MAX_SPLITS]):
        mine = [sp for sp in shown[:MAX_SPLITS] if sp["branch"] == branch]
        yes, no = mine[0]["sides"]
        lines.append(f"Split by {yes['label'].removeprefix('if ')} ({percent(yes['probability'])} of runs) or not "
                     f"({percent(no['probability'])}): each side's median")
        lines += [split_sentence(sp, labelled=False) for sp in mine]
    return lines


def _splits(w: _Writer, results: Results, y: float) -> float:
    """The split lines under the exposure cards; returns the y below them."""
    size = style.SMALL_SIZE - 1
    for line in split_lines(results):
        head = line.startswith("Split by ")
        text = style.wrap(line if head else "  " + line, 170)
        w.text(0, y, text, size, gid="split", fontweight="bold" if head else "normal")
        y += size * 1.3 * (1 + text.count("\n"))
    return y


def provenance(results: Results) -> list[str]:
    """Lines saying how the numbers were made: seed, replications, docket version, run date."""
    s = results.scenario
    variant = variant_title(s)
    return [f"Scenario: {s.name}" + (f", variant: {variant}" if variant else ""),
            f"{results.replications:,} replications, seed {results.seed}",
            f"docket {sim.__version__}, {data.run_date(results)}"]


def plot(results: Results, ax: Axes | None = None, notes: Sequence[str] = ()) -> Figure:
    """A text page of headline numbers: exposure, chance in force, populations, provenance.

    Args:
        results: a finished run.
        ax: axes to write into (its frame is hidden); a new figure with title and footer when ``None``.
        notes: extra lines for the provenance block.

    Returns:
        The figure.

    Example:
        >>> plot(res).savefig(out / "key_numbers.png")
    """
    fig, axes, new = style.panels(ax, 1, 1)
    ax = axes[0]
    ax.set_axis_off()
    w = _Writer(ax)
    y = _splits(w, results, _exposure(w, results, _bottom_line(w, results, 0)) - 14)
    _measures(w, results, y + 12, 0.57)
    _populations(w, results, 0.63, y + 12)
    # one muted paragraph at the foot of the right column (the footer already gives source, replications, seed)
    ax.annotate(style.wrap(" · ".join([*provenance(results), *notes]), 66, lines=4), xy=(0.63, 0),
                xycoords="axes fraction", xytext=(12, 0), textcoords="offset points", va="bottom", ha="left",
                fontsize=style.SMALL_SIZE - 1, color=style.MUTED, linespacing=1.3, gid="provenance",
                annotation_clip=False)
    if new:
        s = results.scenario
        as_of = f" as seen on {s.as_of.describe()}" if s.as_of is not None else ""
        style.decorate(fig, s.title, f"Key numbers of {results.replications:,} simulated runs{as_of}. Figures are "
                       f"{convention.STATISTIC}s; intervals hold {convention.INTERVAL} of the runs.", results)
    return fig
