"""Labels on the lines instead of side legends: planned deadlines named at the top of an axes, above the data
(:func:`deadline_lines`), and curves named at their right ends (:func:`end_labels`). Both are placed once the
axes have their final size (:func:`plots.layout.after_layout`).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Sequence
from typing import Any, Final

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plots import style
from plots.layout import after_layout, height_pt

Deadline = tuple[dt.date, str, str, int]
"""A planned deadline to mark: its day, the short title of its measure (or ``""``), the measure's colour and its
number in the scenario (``measure 3`` where the title finds no room)."""

_ROWS: Final = 6  # label rows at the top of an axes, at most
_ROW_PT: Final = 13.0  # height of one label row, points
_LABEL_SHARE: Final = 0.5  # label rows take at most this share of an axes' height
_GAP_PT: Final = 8.0  # a label's offset from its line and the space kept to the next label, points


def deadline_lines(ax: Axes, marks: Sequence[Deadline], prefix: str = "") -> None:
    """Dotted vertical lines at planned deadlines, each labelled at the top of the axes with its day and the
    measure it belongs to (``20 Sep: TikTok app-store removal and update ban``; measures due the same day
    share one label).

    Labels are placed once the axes have their final size (:func:`after_layout`): each on the lowest of the
    rows at the top where it clears every label already there (widths measured as drawn), right of its line or,
    where that runs off the axes or into another label, left of it; on one line if it fits, else wrapped (to 34
    characters, then in a wide panel to 60), else with the measures' numbers in the scenario (``12 Nov:
    measures 3, 4``), else shrunk to its day, and hidden only if even that finds no room. There are as many rows
    as fit in half of the axes' height, up to six. The y axis is then raised so the rows used sit above the data:
    curves are never drawn over a label.
    """
    by_day: dict[dt.date, list[Deadline]] = {}
    for mark in marks:
        by_day.setdefault(mark[0], []).append(mark)
    labels: list[tuple[float, list[str], str, Any]] = []
    for day in sorted(by_day):
        x = float(mdates.date2num(day))
        ax.axvline(x, color=style.MUTED, linestyle=":", linewidth=1.4, zorder=1, gid="deadline")
        names = list(dict.fromkeys(name for _, name, _, _ in by_day[day] if name))
        numbers = sorted({k for _, name, _, k in by_day[day] if name})
        numbered = f"measure{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}" if numbers else ""
        colors = {c for _, _, c, _ in by_day[day]}
        color = colors.pop() if len(colors) == 1 and names else style.MUTED
        when = prefix + style.short_day(day)
        text = f"{when}: {'; '.join(names)}" if names else when
        label = ax.annotate(text, xy=(x, 1), xycoords=("data", "axes fraction"), xytext=(3, -3),
                            textcoords="offset points", ha="left", va="top", fontsize=style.SMALL_SIZE - 1, color=color,
                            linespacing=1.0, gid="deadline-label", zorder=6,
                            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 1.0, "pad": 0.15})
        label.set_in_layout(False)  # placed inside the axes once it has its size: no room to make around it
        labels.append((x, [when, *names], numbered, label))
    if labels:
        _ROOM[ax] = (*ax.get_ylim(), 0.0)
        after_layout(ax, lambda: _place_deadline_labels(ax, labels))


def _place_deadline_labels(ax: Axes, labels: Sequence[tuple[float, list[str], str, Any]]) -> None:
    """Put each deadline label on a free row for the axes' current size, then raise the top to make room."""
    lo, hi = ax.get_xlim()
    root = ax.get_figure(root=True)
    size = root.get_size_inches() if isinstance(root, Figure) else style.SLIDE
    width_in = max(float(size[0]) * ax.get_position().width, 0.5)
    char_in = (style.SMALL_SIZE - 1) * 0.6 / 72  # for the wrap width only: spans are measured
    per_px = (hi - lo) / max(ax.bbox.width, 1.0)
    gap_px = _GAP_PT * (root.dpi if isinstance(root, Figure) else 72) / 72
    count = int((_LABEL_SHARE * height_pt(ax) - 9) // _ROW_PT)
    rows: list[list[tuple[float, float]]] = [[] for _ in range(max(1, min(_ROWS, count)))]
    used = 0
    for x, (when, *names), numbered, label in labels:
        full = f"{when}: {'; '.join(names)}" if names else when
        half = int(0.5 * width_in / char_in)
        wrapped = style.wrap(full, max(14, min(34, half)))  # half a panel, at most 34 characters
        wide = style.wrap(full, max(14, min(60, half)))  # fewer lines in a wide panel
        options = list(dict.fromkeys([full, wrapped, wide, *([f"{when}: {numbered}"] if numbered else []), when]))
        label.set_visible(True)  # a hidden text measures as nothing
        for text in options:
            n_lines = text.count("\n") + 1
            label.set_text(text)  # measured as drawn: the layout has given the figure its renderer
            span = (label.get_window_extent().width + gap_px) * per_px
            sides = [(a0, a0 + span, a0 == x) for a0 in (x, x - span) if lo <= a0 and a0 + span <= hi]
            spot = next(((r, left) for r in range(len(rows) - n_lines + 1) for a0, a1, left in sides
                         if all(a1 < b0 or a0 > b1 for k in range(r, r + n_lines) for b0, b1 in rows[k])), None)
            if spot is None:
                continue
            row, left = spot
            for k in range(row, row + n_lines):
                rows[k].append((x, x + span) if left else (x - span, x))
            used = max(used, row + n_lines)
            label.set_horizontalalignment("left" if left else "right")
            label.xyann = (3 if left else -3, -3 - _ROW_PT * row)
            break
        else:
            label.set_visible(False)
    bottom, top, _ = _ROOM[ax]
    _ROOM[ax] = (bottom, top, 9 + _ROW_PT * used if used else 0.0)  # rows, their last descent and a margin
    _raise_top(ax)


_ROOM: weakref.WeakKeyDictionary[Axes, tuple[float, float, float]] = weakref.WeakKeyDictionary()
"""Per axes with deadline labels: its y limits before they were raised, and the points its labels need."""


def _raise_top(ax: Axes) -> None:
    """Set the top of ``ax`` so the label rows sit above its data; axes sharing y take the largest need."""
    group = [a for a in ax.get_shared_y_axes().get_siblings(ax) if a in _ROOM]
    bottom, top, _ = _ROOM[ax]
    share = max(min(_LABEL_SHARE, _ROOM[a][2] / max(height_pt(a), 1.0)) for a in group)
    ax.set_ylim(bottom, bottom + (top - bottom) / (1 - share))


def end_labels(ax: Axes, items: Sequence[tuple[float, str, str]], gap_pt: float = 8.0) -> None:
    """Name each line at its right end, in its colour, instead of a side legend: ``items`` are (the line's last
    y value, its label, its colour). Once the axes have their final size, labels keep the order of their lines'
    ends and are pushed apart just enough not to touch (heights estimated from their lines of text), then kept
    inside the axes' height."""
    order = sorted(items)
    texts = [ax.annotate(text, xy=(1.0, 0.5), xycoords="axes fraction", xytext=(8, 0), textcoords="offset points",
                         ha="left", va="center", fontsize=style.SMALL_SIZE, color=color, fontweight="bold",
                         linespacing=1.1, gid="line-label") for _, text, color in order]

    def place() -> None:
        height = max(height_pt(ax), 1.0)
        lo, hi = ax.get_ylim()
        ys = [(y - lo) / (hi - lo) for y, _, _ in order]
        heights = [((text.count("\n") + 1) * style.SMALL_SIZE * 1.2 + gap_pt) / height for _, text, _ in order]
        for i in range(1, len(ys)):  # push up from the bottom: centres at least half of both heights apart
            ys[i] = max(ys[i], ys[i - 1] + (heights[i - 1] + heights[i]) / 2)
        over = ys[-1] + heights[-1] / 2 - 1 if ys else 0.0
        if over > 0:  # then down from the top, so the highest stays inside
            ys[-1] -= over
            for i in range(len(ys) - 2, -1, -1):
                ys[i] = min(ys[i], ys[i + 1] - (heights[i] + heights[i + 1]) / 2)
        for y, label in zip(ys, texts, strict=True):
            label.xy = (1.0, y)

    after_layout(ax, place)
