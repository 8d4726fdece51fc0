"""The figure layout of the chart pack: matplotlib's constrained layout, then the steps that need each axes'
final size (room for deadline labels above the data, line labels at their lines' ends: :mod:`plots.line_labels`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine


class Layout(ConstrainedLayoutEngine):
    """The constrained layout, then the steps that need each axes' final size (:func:`after_layout`), in the
    order they were asked for: room for deadline labels above the data, line labels at their lines' ends.
    Where the steps change a tick label (``100M`` once the top is raised), the layout no longer fits it: it runs
    once more, and the steps again after it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps: list[Callable[[], None]] = []

    def execute(self, fig: Any) -> Any:
        out = super().execute(fig)
        if self.steps:
            before = tick_labels(fig)
            for step in self.steps:
                step()
            if tick_labels(fig) != before:
                out = super().execute(fig)
                for step in self.steps:
                    step()
        return out


def tick_labels(fig: Figure) -> list[list[str]]:
    """The y tick labels of each axes of ``fig`` in its view (what the layout makes room for beside it)."""
    out = []
    for ax in fig.axes:
        lo, hi = sorted(ax.get_ylim())
        ticks = [t for t in ax.yaxis.get_major_locator()() if lo <= t <= hi]
        out.append(ax.yaxis.get_major_formatter().format_ticks(ticks))
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
