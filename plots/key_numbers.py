"""The key-numbers page: the bottom line, headline figures with their intervals, and where they come from."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from typing import Any, Final

from matplotlib.axes import Axes
from matplotlib.figure import Figure

import sim
from plots import data, style
from sim.runs.results import Results
from sim.text import convention, findings
from sim.text.humanize import interval, number, percent
from sim.text.narrate import summary_text
from sim.text.titles import variant_title

MAX_KEY_DATES = 5


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
    its first sentence says so; ``docket run`` and ``summary.json`` list every split); a crowded page keeps two
    sentences, since the tables below need the room."""
    s = results.scenario
    crowded = len(s.measures) > 3 or len(s.populations) > 4 or len(s.metrics) > 2
    lines = findings.bottom_line(results)
    return lines[:2] if crowded else lines


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
    size = style.SMALL_SIZE
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
    big = 20 if n <= 3 else 15 if n == 4 else 13
    small = style.SMALL_SIZE - (0 if n <= 3 else 1)
    titles = [style.wrap(e["title"], int(125 / n), 3) for e in exposure.values()]  # wrap may run 20% over
    line = style.SMALL_SIZE * 1.2
    most = max([2, *(t.count("\n") + 1 for t in titles)])
    top, y = y, y + line * (most - 2)  # titles end on one line: a third line moves the cards down
    for k, (e, title) in enumerate(zip(exposure.values(), titles, strict=True)):
        x = k / n
        w.text(x, top + line * (most - 1 - title.count("\n")), title, small, color=style.MUTED)
        t, a, cf = e["total"], e["avoided"], e["counterfactual"]
        mean, lo, hi = convention.headline(t)
        # a measure can add exposure (stopped updates leave installs unpatched): say so rather than "−2.7B"
        change = f"avoided: {convention.figure(a)}" if a[convention.HEADLINE] >= 0 else \
            f"added{' by the measures' if n <= 3 else ''}: {interval(-a['mean'], -a['p95'], -a['p05'])}"
        w.text(x, y + 34, f"{number(mean)} {e['unit']}", big, fontweight="bold")
        w.text(x, y + 36 + big * 1.4, f"{convention.INTERVAL}: {number(lo)} to {number(hi)}\n"
               f"{change}\nwith no measure: {number(cf[convention.HEADLINE])}", small, linespacing=1.35,
               color=style.ADDED if a[convention.HEADLINE] < 0 else style.INK)
    return y + 36 + big * 1.4 + 5 * small if exposure else y


_PITCH: Final = 0.06
"""Width of a column of chances in the measures table, as a share of the page (a figure is right-aligned in it)."""
_GAP_IN: Final = 0.3
"""Room taken off a measure's name, inches, so it ends clear of the first column's figures (with the page's
margins and the figure's own width, a long name ends half an inch or more before ``100%``)."""


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
    first = width - _PITCH * (len(keys) + 1)
    cols = [first + _PITCH * i for i in range(len(keys) + 1)]
    for x, head in zip(cols, [*(_short(k) for k in keys), "never\nin force"], strict=True):
        w.text(x + 0.06, y, head, size - 1, ha="right", color=style.MUTED, linespacing=1.1)
    y += 2.6 * size
    # the names end _GAP_IN before the first column's widest figure (100%, right-aligned at its column's end)
    chars = int((first * style.SLIDE[0] - _GAP_IN) * 72 / (size * 0.56))
    for mid, m in measures.items():
        name = style.wrap(m["title"] or mid, chars, 99)  # never cut, never wider: a longer title takes a line more
        w.text(0, y, name, size, linespacing=1.15)
        values = [m["p_in_force_on"][k] for k in keys] + [m["p_never_in_force"]]
        for x, p in zip(cols, values, strict=True):
            w.text(x + 0.06, y, percent(p), size, ha="right", fontweight="bold" if p >= 0.5 else "normal")
        y += max(row, (1.2 * (name.count("\n") + 1) + 0.5) * size)
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
    compact = len(pops) > 4  # the name, and the figure right-aligned beside it
    size = style.SMALL_SIZE if not compact else style.SMALL_SIZE - 1
    for pid, by_date in pops.items():
        st = by_date[last]
        chars = int((2.0 if compact else 3.4) * 72 / (size * 0.55))
        name = style.wrap(data.population_title(results.scenario, pid), chars, 2)
        w.text(x, y, name, size, color=style.MUTED, linespacing=1.1)
        # below one member is rounding noise of a count, not a fraction of a user
        mid, lo, hi = (0.0 if abs(v) < 1 else v for v in convention.headline(st))
        if compact:
            w.text(0.99, y, interval(mid, lo, hi), size, fontweight="bold", ha="right")
            y += size * 1.15 * (name.count("\n") + 1) + 3
            continue
        y += size * 1.15 * (name.count("\n") + 1) + 2
        w.text(x, y, interval(mid, lo, hi), size + 1, fontweight="bold")
        y += size * 1.75
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
    y = _exposure(w, results, _bottom_line(w, results, 0))
    _measures(w, results, y + 12, 0.57)
    below = _populations(w, results, 0.63, y + 12)
    lines = [*provenance(results), *notes]
    if notes:  # else the footer says it (source, replications, seed, docket version): no room beside the bottom line
        w.text(0.63, below + 8, "Provenance", style.LABEL_SIZE, fontweight="bold")
        w.text(0.63, below + 32, "\n".join(lines), style.SMALL_SIZE, color=style.MUTED, linespacing=1.4,
               gid="provenance")
    if new:
        s = results.scenario
        as_of = f" as seen on {s.as_of.describe()}" if s.as_of is not None else ""
        style.decorate(fig, s.title, f"Key numbers of {results.replications:,} simulated runs{as_of}. Figures are "
                       f"{convention.STATISTIC}s; intervals hold {convention.INTERVAL} of the runs.", results)
    return fig
