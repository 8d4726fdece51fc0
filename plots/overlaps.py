"""Layout checks of a drawn figure, from the renderer: text over text, text off the page, cut or tiny text.

A chart is checked as matplotlib draws it: :func:`drawn_texts` lists the texts a draw paints (visible, not
empty, tick labels only of ticks inside the view) with their boxes in display units, and :func:`problems`
says, in words, which pairs overlap, which leave the figure, which end in an ellipsis and which are smaller
than :data:`MIN_POINTS`. The tests run it over every page of every bundled scenario's pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import matplotlib as mpl
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from plots.render import RASTER_TEXT

MIN_POINTS: Final = 10.0
"""Smallest text size that reads on a projected 16:9 slide of the pack's size (13.33 x 7.5 in)."""
TOLERANCE_PX: Final = 1.0
"""Boxes may touch by this much (at 100 dpi) without counting as an overlap: glyph boxes include line gaps."""


@dataclass(frozen=True)
class Drawn:
    """One text as drawn: the artist, its words and its box in display units."""

    text: Text
    words: str
    box: Bbox


def _hidden_tick_labels(fig: Figure) -> set[int]:
    """Ids of tick labels that a draw does not paint: their tick is outside the view, or the label is off."""
    hidden: set[int] = set()
    for ax in fig.axes:
        axes_axis: list[Axis] = [ax.xaxis, ax.yaxis]
        for axis in axes_axis:
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) or 1.0
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                loc = tick.get_loc()
                inside = loc is not None and lo - 1e-9 * span <= loc <= hi + 1e-9 * span
                for label in (tick.label1, tick.label2):
                    if not (inside and tick.get_visible() and axis.get_visible() and ax.axison):
                        hidden.add(id(label))
    return hidden


def _legend_hidden(fig: Figure) -> set[int]:
    """Ids of the texts of legends that are not drawn."""
    out: set[int] = set()
    for legend in fig.findobj(Legend):
        if not legend.get_visible():
            out |= {id(t) for t in legend.findobj(Text)}
    return out


def drawn_texts(fig: Figure) -> list[Drawn]:
    """Every text the figure paints, with its box (the figure is drawn first, so layouts are final), measured
    with the text settings the pack draws its pages with (:data:`plots.render.RASTER_TEXT`).

    Example:
        >>> from plots.style import new_figure
        >>> fig = new_figure()
        >>> _ = fig.text(0.5, 0.5, "hello", fontsize=12)
        >>> [d.words for d in drawn_texts(fig)]
        ['hello']
    """
    with mpl.rc_context(RASTER_TEXT):  # type: ignore[arg-type]
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        hidden = _hidden_tick_labels(fig) | _legend_hidden(fig)
        out: list[Drawn] = []
        for text in fig.findobj(Text):
            if id(text) in hidden or not text.get_visible() or not text.get_text().strip():
                continue
            if text.axes is not None and not text.axes.get_visible():
                continue
            if isinstance(text, Annotation) and _clipped(text):
                continue
            box = text.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                out.append(Drawn(text, text.get_text(), box))
    return out


def _clipped(text: Annotation) -> bool:
    """Whether matplotlib skips drawing the annotation: clipped to its axes, and its point outside them."""
    clip, ax = text.get_annotation_clip(), text.axes
    if ax is None or not (clip or (clip is None and text.xycoords == "data")) or text.xycoords != "data":
        return False
    x, y = ax.transData.transform(text.xy)
    return not ax.contains_point((x, y))


def _overlap(a: Bbox, b: Bbox, tol: float) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol


def problems(fig: Figure, min_points: float = MIN_POINTS) -> list[str]:
    """What is wrong with the figure's text, one sentence each (empty when nothing is).

    Checks every pair of drawn texts for overlapping boxes, every text for leaving the figure, ending in
    an ellipsis (cut, not wrapped) or being smaller than ``min_points``.

    Example:
        >>> from plots.style import new_figure
        >>> fig = new_figure()
        >>> _ = fig.text(0.5, 0.5, "hello", fontsize=12)
        >>> _ = fig.text(0.5, 0.5, "world", fontsize=12)
        >>> problems(fig)
        ["'hello' overlaps 'world'"]
    """
    texts = drawn_texts(fig)
    scale = fig.dpi / 100.0
    page = fig.bbox
    out: list[str] = []
    for i, a in enumerate(texts):
        if a.box.x0 < page.x0 - 0.5 or a.box.y0 < page.y0 - 0.5 or a.box.x1 > page.x1 + 0.5 \
                or a.box.y1 > page.y1 + 0.5:
            out.append(f"{a.words!r} leaves the figure")
        if a.words.rstrip().endswith(("…", "...")):
            out.append(f"{a.words!r} is cut with an ellipsis")
        size = float(a.text.get_fontsize())
        if size < min_points - 1e-9:
            out.append(f"{a.words!r} is {size:g} pt, under {min_points:g} pt")
        out += [f"{a.words!r} overlaps {b.words!r}" for b in texts[i + 1:]
                if _overlap(a.box, b.box, TOLERANCE_PX * scale)]
    return out
