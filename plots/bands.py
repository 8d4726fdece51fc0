"""Drawing a simulated series as its headline line (the mean) with the one band (5-95% of runs), shared by
several charts; :mod:`sim.text.convention` says which statistic and which interval."""

from __future__ import annotations

from typing import Final

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from plots import style
from sim.text.convention import HEADLINE, HIGH, INTERVAL, LOW, STATISTIC

BAND_ALPHA: Final = 0.22


def draw(ax: Axes, rows: pd.DataFrame, color: str, label: str | None = None, linewidth: float = 2.6) -> None:
    """The headline statistic of ``rows`` (a slice of ``Results.series``) with its 5-95% band."""
    ax.fill_between(rows["date"], rows[LOW], rows[HIGH], color=color, alpha=BAND_ALPHA, linewidth=0, gid="band")
    ax.plot(rows["date"], rows[HEADLINE], color=color, linewidth=linewidth, label=label, gid="headline-line")


def counterfactual(ax: Axes, rows: pd.DataFrame) -> None:
    """The headline statistic of the no-measure counterfactual, dashed."""
    ax.plot(rows["date"], rows[HEADLINE], color=style.COUNTERFACTUAL, linewidth=1.8, linestyle="--",
            gid="counterfactual")


def handles(color: str, with_counterfactual: bool = True) -> list[object]:
    """Legend entries explaining the line, the band and the counterfactual."""
    out: list[object] = [
        Line2D([], [], color=color, linewidth=2.6, label=STATISTIC.capitalize()),
        Patch(facecolor=color, alpha=BAND_ALPHA, label=f"{INTERVAL} of runs"),
    ]
    if with_counterfactual:
        out.append(Line2D([], [], color=style.COUNTERFACTUAL, linewidth=1.8, linestyle="--",
                          label=f"No measure ({STATISTIC})"))
    return out
