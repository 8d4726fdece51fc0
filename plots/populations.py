"""Population sizes over time: one panel per population, with the no-measure counterfactual."""

from __future__ import annotations

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plots import bands, data, line_labels, style
from sim.runs.results import Results
from sim.text import convention, findings

COLOR = style.POPULATION


def _columns(n: int) -> int:
    return 1 if n == 1 else 2 if n <= 4 else 3 if n <= 6 else 4


def plot(results: Results, populations: list[str] | None = None, ax: Axes | None = None) -> Figure:
    """Mean population size with its 5-95% band, the counterfactual dashed, deadlines as dotted lines.

    Each population gets its own panel and y scale (100M users and 10M users do not share an axis). Dotted
    lines mark the planned deadlines of the measures whose effects act on that population.

    Args:
        results: a finished run.
        populations: ids to show (default: every population, in scenario order).
        ax: axes to draw into (split into panels); a new figure with title and footer when ``None``.

    Returns:
        The figure.

    Example:
        >>> plot(res, ["tiktok_users"]).savefig(out / "users.png")
    """
    s = results.scenario
    ids = populations or [p.id for p in s.populations]
    ncols = _columns(len(ids))
    fig, axes, new = style.panels(ax, len(ids), ncols)
    start, end = data.window(results)
    small = len(ids) > 4
    colors = style.measure_colors(s)
    split: list[tuple[Axes, tuple[str, str] | None]] = []
    for i, (a, pid) in enumerate(zip(axes, ids, strict=True)):
        stock = data.series(results, pid, "stock")
        bands.draw(a, stock, COLOR)
        bands.counterfactual(a, data.series(results, pid, "stock_cf"))
        # the sides are named in the subtitle, or under the panel's title where panels split on different
        # branches: a legend inside a small panel covers its deadline labels
        sides = bands.branches(a, results, pid, "stock", COLOR)
        split.append((a, _names(sides)))
        style.style_axes(a)
        top = max(float(stock["p95"].max()), float(data.series(results, pid, "stock_cf")[convention.HEADLINE].max()))
        a.set_ylim(0, top * 1.04 if top > 0 else 1)  # deadline_lines adds room for its labels
        style.date_axis(a, start, end, max_ticks=4 if ncols >= 3 else 6)
        if i + ncols < len(ids):  # every panel spans the same window: the dates are read off the panel below
            a.tick_params(axis="x", labelbottom=False)
        unit = str(stock["unit"].iloc[0])
        style.number_axis(a, unit)
        width = 28 if ncols >= 3 else 44 if ncols == 2 else 90
        a.set_title(style.wrap(data.population_title(s, pid), width), loc="left", fontweight="bold",
                    fontsize=style.SMALL_SIZE + (0 if small else 2), color=style.INK)
        acting = [m for m in s.measures if pid in data.acts_on(m)]
        line_labels.deadline_lines(a, data.deadline_marks(s, acting, colors))
        if small:
            a.tick_params(labelsize=style.SMALL_SIZE - 1)
    each = len({n for _, n in split if n}) > 1
    for a, names in split:
        if each and names:
            width = 40 if ncols >= 3 else 70 if ncols == 2 else 150  # characters of small text above a panel
            note = style.wrap(f"dash-dot {names[0]}, dotted {names[1]}", width, lines=3)
            a.text(0, 1.0, note, transform=a.transAxes, ha="left", va="bottom", fontsize=style.SMALL_SIZE - 1,
                   color=style.MUTED, linespacing=1.1, gid="branch-note")
            a.set_title(a.get_title(loc="left"), loc="left", fontweight="bold", color=style.INK,
                        fontsize=style.SMALL_SIZE + (0 if small else 2),
                        pad=6 + (note.count("\n") + 1) * (style.SMALL_SIZE - 1) * 1.25)
    if not new:
        style.legend(axes[0], bands.handles(COLOR), loc="upper left")
    else:
        style.decorate(fig, findings.populations(results),
                       f"{s.title}: how many remain. Each population's mean with 5–95% of runs; dashed: the same "
                       "runs with no measure in force"
                       + ("; no deadline is a fixed date, so none is marked." if data.fixed_deadlines(
                           [m for m in s.measures if set(ids) & set(data.acts_on(m))]) == "none"
                          else "; dotted lines: planned deadlines of the measures acting on it.")
                       + _sides([n for _, n in split if n]),
                       results, handles=bands.handles(COLOR))
    return fig


def _names(handles: list[object]) -> tuple[str, str] | None:
    """The two sides of a panel's split as their legend labels (on one line), or ``None`` without a split."""
    labels = [str(h.get_label()).replace("\n", " ") for h in handles if isinstance(h, Artist)]
    return (labels[0], labels[1]) if len(labels) >= 2 else None


def _sides(names: list[tuple[str, str]]) -> str:
    """The subtitle's sentence on the black lines (empty without a split): the sides by their line styles where
    every panel splits on the same branch, else where to find each panel's."""
    if not names:
        return ""
    if len(set(names)) == 1:
        yes, no = names[0]
        return (" Where a branch splits the runs in two, black lines give each side's median: "
                f"dash-dot {yes}, dotted {no}.")
    return " Where a branch splits a panel's runs, black lines give each side's median, named under its title."
