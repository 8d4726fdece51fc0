"""The assumptions and sources table: every parameter of the scenario, its value and what it cites."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plots import style
from sim.runs.results import Results
from sim.scenario.dates import DateSpec
from sim.scenario.effects import EffectBase
from sim.scenario.errors import DocketError
from sim.scenario.schema import Scenario
from sim.scenario.values import Dist
from sim.text import findings

COLUMNS = (("Item", 0.0, 27), ("Parameter", 0.205, 25), ("Value or distribution", 0.39, 40), ("Source", 0.675, 50))
NOT_CITED = "not cited"


@dataclass(frozen=True)
class Row:
    """One line of the table: the item (population, measure...), the parameter, its value and its source."""

    item: str
    parameter: str
    value: str
    source: str
    spread: float | None = field(default=None, repr=False, compare=False)
    """How wide the value's range is: as a share of its middle, or of the window for a date (``None``: fixed)."""


def _spread(value: Dist | DateSpec, window_days: int) -> float | None:
    """The width of an uncertain value's range relative to its middle (a date's: relative to the window)."""
    dist = value.offset if isinstance(value, DateSpec) else value
    if dist.is_fixed or not (math.isfinite(dist.low) and math.isfinite(dist.high)):
        return None
    if isinstance(value, DateSpec) or dist.unit == "date":
        return (dist.high - dist.low) / max(window_days, 1)
    return (dist.high - dist.low) / abs(dist.center) if dist.center else None


def _source(scenario: Scenario, sid: str | None) -> str:
    if sid is None:
        return NOT_CITED
    if sid == "assumption":
        return "Assumption (modelling choice)"
    return next((s.title + (f" ({s.publisher})" if s.publisher else "") for s in scenario.sources if s.id == sid),
                sid)


def source_links(scenario: Scenario) -> dict[str, str]:
    """The link of each cited source that gives a ``url``, by the text the table shows in its Source column.

    Example:
        >>> from sim import load_scenario
        >>> links = source_links(load_scenario("scenarios/tiktok-wechat-2020.yaml"))
        >>> all(url.startswith("http") for url in links.values())
        True
    """
    return {_source(scenario, s.id): s.url for s in scenario.sources if s.url}


def _describe(value: Dist | DateSpec) -> str:
    """The value as written, with a triangular's three numbers named, and its note in brackets."""
    text = value.describe()
    m = re.fullmatch(r"triangular \[(.*)\]", text)
    if m:
        lo, mode, hi = (part.strip(" '\"") for part in m.group(1).split(","))
        text = f"triangular: min {lo}, mode {mode}, max {hi}"
    note = value.note if isinstance(value, Dist) else value.offset.note
    return text + (f" ({note})" if note else "")


def _rows_of(scenario: Scenario, item: str, obj: Any, fallback: str | None, prefix: str = "",
             skip: tuple[str, ...] = ()) -> list[Row]:
    """Rows for every value held by ``obj`` (a scenario model), in field order, recursing into sub-models
    (but not into the fields ``skip``: a shock's effects have rows of their own, :func:`_effect_rows`).

    A value without a source of its own cites ``fallback``: the source of the block that holds it (a
    deferral, a challenge, a population), never the measure's, which cites the measure itself."""
    out: list[Row] = []
    for name, info in type(obj).model_fields.items():
        if name in skip:
            continue
        value = getattr(obj, name)
        label = prefix + (info.alias or name).replace("_", " ")
        if isinstance(value, Dist | DateSpec):
            out.append(Row(item, label, _describe(value), _source(scenario, value.source or fallback),
                           _spread(value, scenario.end_day - scenario.start_day)))
        elif hasattr(type(value), "model_fields"):
            own = getattr(value, "source", None) or fallback
            out += _rows_of(scenario, item, value, own, prefix=label + " ")
        elif isinstance(value, list) and value and hasattr(type(value[0]), "model_fields"):  # a chain's steps
            for k, step in enumerate(value, 1):
                own = getattr(step, "source", None) or fallback
                out += _rows_of(scenario, item, step, own, prefix=f"{label} {k}: ")
        elif name in ("max", "steps", "only") and value is not None:
            out.append(Row(item, label, str(value), _source(scenario, fallback)))
        elif name == "schedule" and value:
            text = ", then ".join(d.describe() for d in value)
            out.append(Row(item, label, text, _source(scenario, getattr(obj, "source", None) or fallback)))
    return out


def rows(scenario: Scenario) -> list[Row]:
    """Every parameter of the scenario as table rows: populations, flows, events, measures, then shocks.

    A value without its own source inherits the source of the item that holds it; one with none says so.

    Example:
        >>> from sim import load_scenario
        >>> rows(load_scenario("scenarios/quickstart.yaml"))[0]  # doctest: +NORMALIZE_WHITESPACE
        Row(item='Routers of the targeted maker in US homes', parameter='initial', value='40M',
            source='Assumption (modelling choice)')
    """
    out: list[Row] = []
    for p in scenario.populations:
        out += _rows_of(scenario, p.title or p.id, p, p.source)
    for f in scenario.flows:
        out += _rows_of(scenario, f.title or f.id, f, f.source)
    for e in scenario.events:
        out += _rows_of(scenario, e.title or e.id, e, e.source)
    for m in scenario.measures:
        name = m.title or m.id
        out.append(Row(name, "deadline", _describe(m.deadline), _source(scenario, m.deadline.source or m.source),
                       _spread(m.deadline, scenario.end_day - scenario.start_day)))
        for block in (m.deferral, m.shelving):
            if block is not None:
                label = "deferral" if block is m.deferral else "shelving"
                out += _rows_of(scenario, name, block, block.source, prefix=label + " ")
        out += _effect_rows(scenario, name, m.effects, m.source)
        for k, g in enumerate(m.cohorts or [], 1):
            n = len(g.starts) if g.starts is not None else g.members or 1
            out.append(Row(name, f"cohort {k}", f"{g.title or g.id} ({n} member{'s' if n > 1 else ''})",
                           _source(scenario, g.source or m.source)))
            out += _rows_of(scenario, name, g, g.source or m.source, prefix=f"cohort {k}: ")
            if g.starts is not None:
                out.append(Row(name, f"cohort {k}: starts", ", ".join(d.describe() for d in g.starts),
                               _source(scenario, g.source or m.source)))
        for k, c in enumerate(m.challenges, 1):
            out.append(Row(name, f"challenge {k}", c.title or c.id, _source(scenario, c.source)))
            out += _rows_of(scenario, name, c, c.source, prefix=f"challenge {k}: ")
        for k, w in enumerate(m.waivers, 1):
            out.append(Row(name, f"waiver {k}", w.title or w.id, _source(scenario, w.source)))
            out += _rows_of(scenario, name, w, w.source, prefix=f"waiver {k}: ")
        for k, d in enumerate(m.decisions, 1):
            out.append(Row(name, f"decision {k}", d.title or d.id, _source(scenario, d.source)))
            out += _rows_of(scenario, name, d, d.source, prefix=f"decision {k}: ")
        for k, c in enumerate((c for c in scenario.rulings if m.id in c.measures), 1):
            out.append(Row(name, f"shared ruling {k}", c.title or c.id, _source(scenario, c.source)))
            out += _rows_of(scenario, name, c, c.source, prefix=f"shared ruling {k}: ")
        for event in m.lifted_by:
            out.append(Row(name, "lifted by", event, _source(scenario, m.source)))
    for sh in scenario.shocks:
        name = f"{sh.title or sh.id} (shock)"
        out += _rows_of(scenario, name, sh, sh.source, skip=("effects",))
        out += _effect_rows(scenario, name, sh.effects, sh.source)
    return out


def _effect_rows(scenario: Scenario, name: str, effects: Sequence[EffectBase], source: str | None) -> list[Row]:
    """The rows of a measure's or a shock's effects: what each acts on, then its values."""
    out: list[Row] = []
    for k, effect in enumerate(effects, 1):
        src, dst, _ = effect.acts_on()
        target = src if src == dst else f"{src} to {dst}"
        out.append(Row(name, f"effect {k}", f"{effect.type.replace('_', ' ')}: {target}",
                       _source(scenario, effect.source or source)))
        out += _rows_of(scenario, name, effect, effect.source, prefix=f"effect {k}: ")
    return out


PAGE_PT = 380.0
"""Height of the table body on one page, points (the slide between header and footer, less the column heads)."""
SIZE = style.SMALL_SIZE
LINE_PT = 1.32 * SIZE  # one line of a cell at linespacing 1.1


def _cells(r: Row, previous: str | None) -> tuple[str, ...]:
    """A row's cells, wrapped to their columns (never cut); the item only where it changes."""
    texts = ("" if r.item == previous else r.item, r.parameter, r.value, r.source)
    return tuple(style.wrap(t, width, lines=99) for (_, _, width), t in zip(COLUMNS, texts, strict=True))


def paged(scenario: Scenario, page_pt: float = PAGE_PT) -> list[list[tuple[tuple[str, ...], float]]]:
    """The table cut into pages by height: each page a list of (wrapped cells, row height in points).

    Example:
        >>> from sim import load_scenario
        >>> len(paged(load_scenario("scenarios/quickstart.yaml")))
        1
    """
    out: list[list[tuple[tuple[str, ...], float]]] = [[]]
    used, previous = 0.0, None
    for r in rows(scenario):
        cells = _cells(r, previous)
        height = LINE_PT * max(c.count("\n") + 1 for c in cells) + 6
        if used + height > page_pt and out[-1]:
            out.append([])
            used, cells = 0.0, _cells(r, None)  # a new page names the item again
            height = LINE_PT * max(c.count("\n") + 1 for c in cells) + 6
        out[-1].append((cells, height))
        used += height
        previous = r.item
    return out


def page_count(results: Results) -> int:
    """How many pages the table needs."""
    return len(paged(results.scenario))


def plot(results: Results, page: int = 0, ax: Axes | None = None) -> Figure:
    """One page of the assumptions and sources table (``page`` counts from 0; see :func:`page_count`).

    Args:
        results: a finished run (its scenario is tabulated).
        page: which page.
        ax: axes to draw into (frame hidden); a new figure with title and footer when ``None``.

    Returns:
        The figure.

    Raises:
        DocketError: for a page beyond the last.

    Example:
        >>> figs = [plot(res, p) for p in range(page_count(res))]
        >>> len(figs) >= 1
        True
    """
    book = paged(results.scenario)
    if not 0 <= page < len(book):
        raise DocketError(f"page {page} out of range: the table has {len(book)} page(s), numbered from 0")
    fig, axes, new = style.panels(ax, 1, 1)
    ax = axes[0]
    ax.set_axis_off()

    def put(x: float, y: float, text: str, **kw: Any) -> None:
        ax.annotate(text, xy=(x, 1), xycoords="axes fraction", xytext=(12, -y), textcoords="offset points",
                    va="top", ha="left", fontsize=SIZE, annotation_clip=False, linespacing=1.1, **kw)

    for name, x, _ in COLUMNS:
        put(x, 0, name, fontweight="bold", color=style.INK)
    y = 22.0
    for cells, height in book[page]:
        for (_, x, _), text in zip(COLUMNS, cells, strict=True):
            muted = text == NOT_CITED or text.startswith("Assumption")
            put(x, y, text, color=style.MUTED if muted else style.INK, gid="cell")
        y += height
    if new:
        s = results.scenario
        more = f" Page {page + 1} of {len(book)}." if len(book) > 1 else ""
        table = rows(s)
        assumed = sum(r.source.startswith("Assumption") for r in table)
        cited = len(table) - assumed - sum(r.source == NOT_CITED for r in table)
        style.decorate(fig, findings.sources(len(table), cited, assumed),
                       f"{s.title}: assumptions and sources. Every input of the scenario, the value or distribution "
                       "drawn, and the source it cites; a value without a source of its own takes that of the block "
                       f"holding it (a deferral, a challenge), if any.{more}", results,
                       stated=f"Inputs as written; each of the {results.replications:,} runs draws its own values")
    return fig


WIDEST = 6
"""Inputs the summary page lists as the widest ranges."""
ROOM_PT = 300.0
"""Points below the top of the summary page's axes that its lists may fill (the slide leaves about 330)."""


def plot_summary(results: Results, ax: Axes | None = None) -> Figure:
    """The annex's first page: how many inputs cite a source, how many are assumptions, and the widest ranges.

    Without a sensitivity study (``docket sensitivity`` ranks inputs by their effect), the inputs that may
    matter most are guessed by a cheap proxy, said so on the page: the width of each uncertain input's range
    relative to its middle value (a date's relative to the window).

    Example:
        >>> plot_summary(res).savefig(out / "annex.png")
    """
    table = rows(results.scenario)
    assumed = sum(r.source.startswith("Assumption") for r in table)
    missing = sum(r.source == NOT_CITED for r in table)
    cited = len(table) - assumed - missing
    uncertain = sorted((r for r in table if r.spread is not None), key=lambda r: -(r.spread or 0.0))
    sources = Counter(r.source for r in table if r.source != NOT_CITED and not r.source.startswith("Assumption"))
    fig, axes, new = style.panels(ax, 1, 1)
    ax = axes[0]
    ax.set_axis_off()

    def put(x: float, y: float, text: str, size: float = SIZE, **kw: Any) -> None:
        ax.annotate(text, xy=(x, 1), xycoords="axes fraction", xytext=(12, -y), textcoords="offset points",
                    va="top", ha="left", fontsize=size, annotation_clip=False, linespacing=1.2,
                    color=kw.pop("color", style.INK), **kw)

    for k, (count, what) in enumerate(((len(table), "inputs in the table"), (cited, "cite a source"),
                                       (assumed, "are stated assumptions"), (missing, "cite nothing"))):
        put(0.25 * k, 0, str(count), 30, fontweight="bold", color=style.MUTED if k == 3 and not count else style.INK)
        put(0.25 * k, 44, what, style.LABEL_SIZE, color=style.MUTED)
    put(0, 90, "Widest uncertain ranges", style.LABEL_SIZE, fontweight="bold")
    put(0, 110, style.wrap("A cheap proxy, not a sensitivity analysis: the width of each range relative to its "
                           "middle (for a date, to the window). Which inputs move an outcome: docket "
                           "sensitivity FILE --outcome METRIC.", 80, 3), color=style.MUTED)
    y = 164.0
    shown = 0
    for r in uncertain[:WIDEST]:
        text = style.wrap(f"{r.item}, {r.parameter}: {r.value}", 80, 2)
        if y + LINE_PT * (text.count("\n") + 1) > ROOM_PT:  # the rest are in the table
            break
        put(0, y, text)
        y += LINE_PT * (text.count("\n") + 1) + 6
        shown += 1
    if shown < min(len(uncertain), WIDEST):
        put(0, y, f"and {len(uncertain) - shown} more uncertain inputs in the table", color=style.MUTED)
    if not uncertain:
        put(0, y, "Every input is a fixed value.", color=style.MUTED)
    if sources:  # no empty column where nothing cites a source (the counts above say so)
        put(0.6, 90, f"Sources cited ({len(sources)})", style.LABEL_SIZE, fontweight="bold")
    y = 114.0
    for source, n in sources.most_common(8):
        text = style.wrap(f"{source} ({n} input{'s' if n > 1 else ''})", 58, 2)
        put(0.6, y, text)
        y += LINE_PT * (text.count("\n") + 1) + 5
    if len(sources) > 8:
        put(0.6, y, f"and {len(sources) - 8} more in the table", color=style.MUTED)
    if new:
        style.decorate(fig, f"{results.scenario.title}: what the numbers rest on",
                       "Summary of the assumptions and sources table on the next pages: each input is counted once "
                       "per parameter.", results)
    return fig
