"""The figure layout of the chart pack: matplotlib's constrained layout, then the steps that need each axes'
final size (room for deadline labels above the data, line labels at their lines' ends: :mod:`plots.line_labels`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine


class Layout(ConstrainedLayoutEngine):
    """The constrained layout, then the steps that need each axes' final size (:func:`after_layout`), in the
    order they were asked for: room for deadline labels above the data, line labels at their lines' ends.
    Where the steps change the room the y tick labels need (a wider ``100M`` once the top is raised, or a label
    now at the very top), the layout no longer fits them: it runs once more, and the steps again after it. New
    labels that fit the same room (``250`` to ``300``) keep the layout as it is (:func:`tick_room`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps: list[Callable[[], None]] = []

    def execute(self, fig: Any) -> Any:
        out = super().execute(fig)
        if self.steps:
            before = tick_room(fig)
            for step in self.steps:
                step()
            if tick_room(fig) != before:
                out = super().execute(fig)
                for step in self.steps:
                    step()
        return out


def tick_labels(fig: Figure) -> list[list[str]]:
    """The y tick labels of each axes of ``fig`` in its view."""
    out = []
    for ax in fig.axes:
        lo, hi = sorted(ax.get_ylim())
        ticks = [t for t in ax.yaxis.get_major_locator()() if lo <= t <= hi]
        out.append(ax.yaxis.get_major_formatter().format_ticks(ticks))
    return out


def tick_room(fig: Figure) -> list[tuple[float, bool, bool]] | list[list[str]]:
    """What the layout makes room for beside each axes' y tick labels: the widest label's width in pixels (as
    the figure's Agg canvas draws it), and whether a tick sits at the bottom or the top of the view (its label
    then reaches half a line past the axes). Without an Agg canvas to measure on: the labels themselves."""
    get_renderer = getattr(fig.canvas, "get_renderer", None)
    if get_renderer is None:
        return tick_labels(fig)
    renderer = get_renderer()
    out = []
    for ax, labels in zip(fig.axes, tick_labels(fig), strict=True):
        lo, hi = sorted(ax.get_ylim())
        ticks = list(ax.yaxis.get_major_locator()())
        prop = ax.yaxis.get_major_ticks(1)[0].label1.get_fontproperties()
        widest = max((renderer.get_text_width_height_descent(text, prop, ismath=False)[0] for text in labels),
                     default=0.0)
        out.append((round(widest, 1), any(math.isclose(t, lo) for t in ticks), any(math.isclose(t, hi) for t in ticks)))
    return out


def after_layout(ax: Axes, step: Callable[[], None]) -> None:
    """Run ``step`` each time the figure of ``ax`` is laid out, once the axes have their final size (at once
    if the figure has no :class:`Layout`: its axes already have theirs)."""
    root = ax.get_figure(root=True)
    engine = root.get_layout_engine() if isinstance(root, Figure) else None
    if isinstance(engine, Layout):
        engine.steps.append(step)
    else:
        step()


def height_pt(ax: Axes) -> float:
    """The axes' height on the page, in points (final once the figure is laid out)."""
    root = ax.get_figure(root=True)
    assert isinstance(root, Figure), "an axes in a figure"
    return float(root.get_size_inches()[1]) * ax.get_position().height * 72
