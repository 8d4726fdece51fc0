"""The one style module of the chart pack: palette, sizes, header and footer, axes and label helpers.

Every chart builds its figure with :func:`new_figure` (or draws into an axes it is given), dresses it with
:func:`decorate` and formats its axes with :func:`date_axis`, :func:`number_axis` or :func:`percent_axis`, so
all charts share one look. Nothing here touches matplotlib's global ``rcParams``: sizes are set per artist.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from typing import Any, Final

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpecBase
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

import sim
from plots.layout import Layout
from sim.runs.results import Results
from sim.scenario.schema import Scenario
from sim.text import convention
from sim.text.humanize import number, percent
from sim.text.titles import variant_title

# Okabe & Ito (2008), ordered so the first colours are the most distinct on white; yellow comes last.
PALETTE: Final = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
# Measures skip yellow, too faint for a line on white; black takes its place.
MEASURE_PALETTE: Final = (*PALETTE[:6], PALETTE[7])
LINESTYLES: Final = ("-", "--", ":")
# What a colour means is fixed across the pack: one per measure (above); exposure, avoided, added and population
# colours (Paul Tol's palettes, none of them a measure's) and run colours are used for nothing else.
EXPOSURE: Final = "#882255"
AVOIDED: Final = "#117733"
ADDED: Final = "#CC3311"
"""Warning colour: exposure the measures add (unpatched installs, private-carrier customers)."""
POPULATION: Final = "#332288"
SHOCK: Final = "#8C6BB1"
"""A violet no measure of the palette uses: a shock is not a measure (timeline bands)."""
RUN_PALETTE: Final = ("#44AA99", "#AA4499", "#999933", "#6699CC", "#661100", "#DDCC77", "#888888", "#EE7733")
"""Runs side by side in a comparison."""
LOW_INPUT: Final = "#4477AA"
HIGH_INPUT: Final = "#EE3377"
"""A study input held low / high (tornado); a positive / negative rank correlation (ranking)."""
INK: Final = "#222222"
MUTED: Final = "#666666"
GRID: Final = "#DDDDDD"
COUNTERFACTUAL: Final = "#555555"

SLIDE: Final = (13.33, 7.5)  # 16:9 inches; 200 dpi gives 2666 x 1500 pixels
TITLE_SIZE: Final = 20
SUBTITLE_SIZE: Final = 13
LABEL_SIZE: Final = 13
TICK_SIZE: Final = 12
SMALL_SIZE: Final = 11
FOOTER_SIZE: Final = 10
FONT: Final = "DejaVu Sans"

_HEADER_LINE_IN: Final = 0.34  # height of one header line, inches
_FOOTER_IN: Final = 0.62  # the convention line, then the source line


def measure_colors(scenario: Scenario) -> dict[str, str]:
    """A stable colour per measure id, assigned in the scenario's measure order.

    Example:
        >>> from sim import load_scenario
        >>> measure_colors(load_scenario("scenarios/quickstart.yaml"))
        {'sales_ban': '#0072B2'}
    """
    return {m.id: MEASURE_PALETTE[i % len(MEASURE_PALETTE)] for i, m in enumerate(scenario.measures)}


def measure_linestyles(scenario: Scenario) -> dict[str, str]:
    """A line style per measure: solid for the first seven, then dashed, then dotted (colours repeat)."""
    n = len(MEASURE_PALETTE)
    return {m.id: LINESTYLES[(i // n) % len(LINESTYLES)] for i, m in enumerate(scenario.measures)}


def run_color(index: int) -> str:
    """Colour of the ``index``-th run in a comparison."""
    return RUN_PALETTE[index % len(RUN_PALETTE)]


def wrap(text: str, width: int, lines: int = 2) -> str:
    """Wrap ``text`` at ``width`` characters, never cutting it: lines up to 20% longer are tried first to keep
    it within ``lines`` lines, and a text that still needs more keeps them all.

    Example:
        >>> wrap("WeChat app-store removal, hosting and payments ban", 22)
        'WeChat app-store removal,\\nhosting and payments ban'
        >>> wrap("WeChat app-store removal, hosting and payments ban", 10, lines=1).count("\\n")
        6
    """
    parts = textwrap.wrap(text, width) or [""]
    for wider in range(width + 1, int(width * 1.2) + 1):
        if len(parts) <= lines:
            break
        parts = textwrap.wrap(text, wider)
    if len(parts) > lines:
        parts = textwrap.wrap(text, width)
    return "\n".join(parts)


def new_figure(size: tuple[float, float] = SLIDE) -> Figure:
    """A figure with the constrained layout (:class:`plots.layout.Layout`), outside pyplot (no global figure
    list, nothing to close).

    Example:
        >>> new_figure().get_size_inches().tolist()
        [13.33, 7.5]
    """
    return Figure(figsize=size, layout=Layout(w_pad=0.08, h_pad=0.08))


def panels(ax: Axes | None, n: int, ncols: int, sharey: bool = False) -> tuple[Figure, list[Axes], bool]:
    """``n`` axes in a grid of ``ncols`` columns: in a new figure, or in the area of the given ``ax``.

    Returns:
        The figure, the axes (row by row), and whether the figure is new (and so gets a header and footer).
    """
    nrows = -(-n // ncols)
    grid: GridSpecBase
    if ax is None:
        fig = new_figure()
        grid = fig.add_gridspec(nrows, ncols)
        new = True
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
        spec = ax.get_subplotspec()
        if n == 1 or spec is None:
            return fig, [ax], False
        grid = spec.subgridspec(nrows, ncols)
        ax.remove()
        new = False
    axes: list[Axes] = []
    for i in range(n):
        share = axes[0] if sharey and axes else None
        axes.append(fig.add_subplot(grid[i // ncols, i % ncols], sharey=share))
    return fig, axes, new


def footer_text(results: Results) -> tuple[str, str]:
    """Left and right footer: the source of the numbers, and the scenario (and variant) they come from."""
    left = (f"Source: docket {sim.__version__} Monte Carlo simulation, {results.replications:,} replications, "
            f"seed {results.seed}; inputs and their sources in the assumptions table")
    s = results.scenario
    variant = variant_title(s)
    right = f"Scenario: {s.name}" + (f" · {variant}" if variant else "")
    return left, right


def decorate(fig: Figure, title: str, subtitle: str, results: Results | None,
             handles: Sequence[Any] | None = None, footer_right: str | None = None,
             stated: str | None = None) -> None:
    """Add a left-aligned title (the finding), a subtitle (the topic and how to read it), and a footer stating
    the convention and the source; keep the axes between them.

    The header and footer sit in fixed bands (in inches) so they look the same on every chart; the
    constrained layout places the axes in the rest of the figure. ``handles``, if given, become a one-row
    legend under the subtitle, shared by every panel; ``footer_right`` replaces the scenario name; ``stated``
    replaces the convention line (default :func:`sim.text.convention.band_text`), and gives a chart without
    ``results`` its footer.
    """
    width, height = fig.get_size_inches()
    chars = int(width * 72 / (SUBTITLE_SIZE * 0.55) / 1.2)  # wrap may run 20% over to save a line
    title_text = wrap(title, int(width * 72 / (TITLE_SIZE * 0.72)), lines=2)  # bold glyphs; wrap may run over
    sub_text = wrap(subtitle, chars, lines=3)
    n_title, n_sub = title_text.count("\n") + 1, sub_text.count("\n") + 1
    rows = max((str(h.get_label()).count("\n") + 1 for h in handles or () if hasattr(h, "get_label")), default=1)
    top_in = 0.22 + _HEADER_LINE_IN * (n_title + 0.72 * n_sub) + 0.15 + (0.24 + 0.19 * rows if handles else 0.0)
    margin = 0.25 / width
    y = 1 - 0.2 / height
    fig.text(margin, y, title_text, ha="left", va="top", fontsize=TITLE_SIZE, fontweight="bold", color=INK,
             family=FONT, gid="title")
    y -= (_HEADER_LINE_IN * n_title + 0.06) / height
    fig.text(margin, y, sub_text, ha="left", va="top", fontsize=SUBTITLE_SIZE, color=MUTED, family=FONT,
             gid="subtitle", linespacing=1.25)
    if handles:
        y -= (_HEADER_LINE_IN * 0.72 * n_sub + 0.1) / height
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(margin - 0.005, y), ncol=len(handles),
                   frameon=False, fontsize=SMALL_SIZE, handlelength=2.2, columnspacing=1.8,
                   borderaxespad=0).set_in_layout(False)
    bottom_in = 0.0
    if results is not None or stated is not None:
        left, right = footer_text(results) if results is not None else ("", "")
        right = footer_right or right
        fig.text(margin, 0.12 / height, left, ha="left", va="bottom", fontsize=FOOTER_SIZE, color=MUTED,
                 family=FONT, gid="footer")
        fig.text(margin, 0.36 / height, stated or convention.band_text(results.replications if results else 0),
                 ha="left", va="bottom", fontsize=FOOTER_SIZE, color=INK, family=FONT, gid="convention")
        fig.text(1 - margin, 0.12 / height, right, ha="right", va="bottom", fontsize=FOOTER_SIZE, color=MUTED,
                 family=FONT, gid="footer-right")
        bottom_in = _FOOTER_IN
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0.0, bottom_in / height, 1.0, 1 - (top_in + bottom_in) / height))  # type: ignore[call-arg]


def header_texts(fig: Figure) -> dict[str, str]:
    """The title, subtitle and footer texts of a decorated figure, by their ``gid`` (for tests and checks)."""
    return {t.get_gid(): t.get_text() for t in fig.texts if t.get_gid()}  # type: ignore[misc]


def style_axes(ax: Axes, grid_axis: str = "y") -> None:
    """Light grid, no top/right spines, slide-readable tick labels."""
    ax.tick_params(labelsize=TICK_SIZE, colors=INK, length=4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)
    if grid_axis:
        ax.grid(True, axis=grid_axis, color=GRID, linewidth=0.8)  # type: ignore[arg-type]
    ax.set_axisbelow(True)


class YearTicks(Formatter):
    r"""Date tick labels that carry the year where it changes: ``Nov``, ``Dec``, ``Jan\n2021``; the first tick
    carries it too, a tick off the first of a month reads ``15 Sep``, and yearly ticks read ``2021``.

    Example:
        >>> f = YearTicks()
        >>> f.format_ticks([mdates.date2num(dt.date(y, m, 1)) for y, m in ((2020, 11), (2020, 12), (2021, 1))])
        ['Nov\n2020', 'Dec', 'Jan\n2021']
    """

    _key: tuple[float, ...] | None = None
    _labels: tuple[str, ...] = ()

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self._format([x])[0]

    def format_ticks(self, values: Any) -> list[str]:
        """The labels of ``values``, found once per set of ticks (matplotlib asks again on every layout pass
        and draw)."""
        key = tuple(float(v) for v in values)
        if key != self._key:
            self._key, self._labels = key, tuple(self._format(values))
        return list(self._labels)

    @staticmethod
    def _format(values: Any) -> list[str]:
        days = [mdates.num2date(v).date() for v in values]
        if len(days) > 1 and all((d.month, d.day) == (1, 1) for d in days):
            return [str(d.year) for d in days]
        out, year = [], None
        for d in days:
            text = f"{d:%b}" if d.day == 1 else short_day(d)
            out.append(text if d.year == year else f"{text}\n{d.year}")
            year = d.year
        return out


class DateTicks(mdates.AutoDateLocator):
    """Matplotlib's :class:`~matplotlib.dates.AutoDateLocator`, its ticks found once per view interval: they
    depend on the interval alone (not on the axes' size), and matplotlib asks for them again on every layout
    pass, tight-box measure and draw (the rrule search was about a fifth of a four-panel page's layout).

    Example:
        >>> from matplotlib.figure import Figure
        >>> ax = Figure().add_subplot()
        >>> ax.xaxis.set_major_locator(DateTicks(minticks=3, maxticks=8))
        >>> ax.set_xlim(mdates.date2num(dt.date(2020, 9, 1)), mdates.date2num(dt.date(2021, 7, 1)))
        (np.float64(18506.0), np.float64(18809.0))
        >>> plain = mdates.AutoDateLocator(minticks=3, maxticks=8)
        >>> plain.set_axis(ax.xaxis)
        >>> list(ax.xaxis.get_major_locator()()) == list(plain())
        True
    """

    _key: tuple[float, float] | None = None
    _ticks: Any = None

    def __call__(self) -> Any:
        key = tuple(self.axis.get_view_interval()) if self.axis is not None else None
        if key is None or key != self._key:
            self._key, self._ticks = key, super().__call__()
        return self._ticks


def date_axis(ax: Axes, start: Any = None, end: Any = None, max_ticks: int = 8, pad: float = 0.015) -> None:
    r"""Month ticks (``Oct``, ``Nov``, ``Jan\n2021``: :class:`YearTicks`) on the x axis, optionally limited to
    ``start``-``end`` plus a margin of ``pad`` (a share of the span) so markers on the first or last day stay
    visible."""
    locator = DateTicks(minticks=3, maxticks=max_ticks)
    # Narrow panels over a few years need yearly steps of months too (else matplotlib warns and guesses).
    locator.intervald[mdates.MONTHLY] = [1, 2, 3, 4, 6, 12]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(YearTicks())
    if start is not None and end is not None:
        lo, hi = mdates.date2num(start), mdates.date2num(end)
        ax.set_xlim(lo - pad * (hi - lo), hi + pad * (hi - lo))


def number_axis(ax: Axes, label: str | None = None) -> None:
    """Human numbers (``100M``, ``2.5k``) on the y axis, never scientific notation."""
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: number(x)))
    if label:
        ax.set_ylabel(label, fontsize=LABEL_SIZE, color=INK)


def percent_axis(ax: Axes, label: str | None = None) -> None:
    """A 0-100% probability axis."""
    ax.set_ylim(-0.02, 1.04)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: percent(min(max(x, 0.0), 1.0))))
    if label:
        ax.set_ylabel(label, fontsize=LABEL_SIZE, color=INK)


def day_label(day: dt.date) -> str:
    """A date as people say it on a slide: ``20 Sep 2020``.

    Example:
        >>> day_label(dt.date(2020, 9, 20))
        '20 Sep 2020'
    """
    return f"{day.day} {day:%b %Y}"


def short_day(day: dt.date) -> str:
    """``20 Sep``: a date within a chart whose axis already shows the year."""
    return f"{day.day} {day:%b}"


def legend(ax: Axes, handles: Sequence[Any] | None = None, ncol: int = 1, **kwargs: Any) -> None:
    """A frameless legend with slide-size text."""
    opts: dict[str, Any] = {"frameon": False, "fontsize": SMALL_SIZE, "ncol": ncol, **kwargs}
    if handles is not None:
        ax.legend(handles=handles, **opts)
    else:
        ax.legend(**opts)
