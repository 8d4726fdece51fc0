"""The key-numbers page: headline figures with their intervals, and where they come from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

import sim
from plots import data, style
from sim.runs.results import Results
from sim.text.humanize import interval, number, percent

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


def _exposure(w: _Writer, results: Results, y: float) -> float:
    """Cards with each metric's total and avoided exposure; returns the y below them."""
    exposure: dict[str, Any] = results.summary["exposure"]
    end = style.day_label(data.window(results)[1])
    w.text(0, y, f"Exposure accumulated by {end}: median (90% of runs)", style.LABEL_SIZE, fontweight="bold")
    y += 26
    n = max(len(exposure), 1)
    big = 20 if n <= 3 else 15 if n == 4 else 13
    small = style.SMALL_SIZE - (0 if n <= 3 else 1)
    titles = [style.wrap(e["title"], int(150 / n), 3) for e in exposure.values()]
    line = style.SMALL_SIZE * 1.2
    most = max([2, *(t.count("\n") + 1 for t in titles)])
    top, y = y, y + line * (most - 2)  # titles end on one line: a third line moves the cards down
    for k, (e, title) in enumerate(zip(exposure.values(), titles, strict=True)):
        x = k / n
        w.text(x, top + line * (most - 1 - title.count("\n")), title, style.SMALL_SIZE, color=style.MUTED)
        t, a, cf = e["total"], e["avoided"], e["counterfactual"]
        # a measure can add exposure (stopped updates leave installs unpatched): say so rather than "-2.7B"
        change = f"avoided: {interval(a['p50'], a['p05'], a['p95'])}" if a["p50"] >= 0 else \
            f"added by the measures: {interval(-a['p50'], -a['p95'], -a['p05'])}"
        w.text(x, y + 34, f"{number(t['p50'])} {e['unit']}", big, fontweight="bold")
        w.text(x, y + 36 + big * 1.4, f"90%: {number(t['p05'])} to {number(t['p95'])}\n"
               f"{change}\nwith no measure: {number(cf['p50'])}", small, linespacing=1.35)
    return y + 36 + big * 1.4 + 5 * small if exposure else y


def _measures(w: _Writer, results: Results, y: float, width: float) -> None:
    """P(in force) on the key dates and P(never), one row per measure."""
    measures: dict[str, Any] = results.summary["measures"]
    keys = _dates(results.summary)
    w.text(0, y, "Chance each measure is in force on the key dates", style.LABEL_SIZE, fontweight="bold")
    y += 24
    n = len(measures)
    size = style.SMALL_SIZE if n <= 6 else style.SMALL_SIZE - 1.5
    lines = 2 if n <= 6 else 1
    row = (1.4 * lines + 0.6) * size
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
    w.text(x, y, f"On {style.day_label(dt.date.fromisoformat(last))}: median (90% of runs)", style.LABEL_SIZE,
           fontweight="bold")
    y += 24
    size = style.SMALL_SIZE if len(pops) <= 4 else style.SMALL_SIZE - 1
    for pid, by_date in pops.items():
        st = by_date[last]
        name = style.wrap(data.population_title(results.scenario, pid), int(3.4 * 72 / (size * 0.55)), 2)
        w.text(x, y, name, size, color=style.MUTED, linespacing=1.1)
        # below one member is rounding noise of a count, not a fraction of a user
        mid, lo, hi = (0.0 if abs(st[k]) < 1 else st[k] for k in ("p50", "p05", "p95"))
        y += size * 1.15 * (name.count("\n") + 1) + 2
        w.text(x, y, interval(mid, lo, hi), size + 1, fontweight="bold")
        y += size * 1.75
    return y


def provenance(results: Results) -> list[str]:
    """Lines saying how the numbers were made: seed, replications, docket version, run date."""
    s = results.scenario
    return [f"Scenario: {s.name}" + (f", variant {s.variant}" if s.variant else ""),
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
    y = _exposure(w, results, 0)
    _measures(w, results, y + 12, 0.57)
    below = _populations(w, results, 0.63, y + 12)
    lines = [*provenance(results), *notes]
    if len(results.scenario.populations) <= 4 or notes:  # else the footer's source line says it (and no more fits)
        w.text(0.63, below + 8, "Provenance", style.LABEL_SIZE, fontweight="bold")
        w.text(0.63, below + 32, "\n".join(lines), style.SMALL_SIZE, color=style.MUTED, linespacing=1.4,
               gid="provenance")
    if new:
        s = results.scenario
        as_of = f" as seen on {s.as_of.describe()}" if s.as_of is not None else ""
        style.decorate(fig, f"{s.title}: key numbers",
                       f"Headline results of {results.replications:,} simulated runs{as_of}. Intervals hold 90% of "
                       "the runs (5th to 95th percentile).", results)
    return fig
