"""Drawing a simulated series as its headline line (the mean) with the one band (5-95% of runs), shared by
several charts; :mod:`sim.text.convention` says which statistic and which interval."""

from __future__ import annotations

from typing import Final, Literal

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from plots import style
from sim.runs.results import Results
from sim.text.convention import HEADLINE, HIGH, INTERVAL, LOW, STATISTIC
from sim.text.humanize import percent

BAND_ALPHA: Final = 0.22


def draw(ax: Axes, rows: pd.DataFrame, color: str, label: str | None = None, linewidth: float = 2.6) -> None:
    """The headline statistic of ``rows`` (a slice of ``Results.series``) with its 5-95% band."""
    ax.fill_between(rows["date"], rows[LOW], rows[HIGH], color=color, alpha=BAND_ALPHA, linewidth=0, gid="band")
    ax.plot(rows["date"], rows[HEADLINE], color=color, linewidth=linewidth, label=label, gid="headline-line")


BRANCH_STYLES: Final[tuple[Literal["-."], Literal[":"]]] = ("-.", ":")
"""Line styles of a split's two sides (the branch's side first): never the counterfactual's dashes."""


def branch_rows(results: Results, sid: str, quantity: str, outcome: str | None = None) -> pd.DataFrame:
    """The rows of ``results.branches`` for one series and quantity, of the split outcome ``outcome`` where it
    splits, else of its last split outcome (the latest date: the end of the window for exposure, the last key
    date for a population); empty when it does not split."""
    frame = results.branches
    if frame is None or frame.empty:
        return pd.DataFrame()
    rows = frame[(frame["series"] == sid) & (frame["quantity"] == quantity)]
    if rows.empty:
        return rows
    chosen = outcome if outcome is not None and (rows["outcome"] == outcome).any() else rows["outcome"].iloc[-1]
    return rows[rows["outcome"] == chosen].sort_values(["side", "date"])


def branches(ax: Axes, results: Results, sid: str, quantity: str, color: str, outcome: str | None = None,
             negate: bool = False) -> list[object]:
    """Where ``sid``'s outcome splits (``outcome``, if given and split: see :func:`branch_rows`), each side's
    median as its own line, labelled with its chance ("if enjoined (60%)"); returns legend handles (none when it
    does not split). ``negate`` draws each median turned around, as a panel of exposure the measures add draws
    its avoided exposure."""
    rows = branch_rows(results, sid, quantity, outcome)
    out: list[object] = []
    if rows.empty:
        return out
    for k, (_, part) in enumerate(rows.groupby("side", sort=True)):
        label = f"{part['label'].iloc[0]} ({percent(float(part['probability'].iloc[0]))})"
        style_ = BRANCH_STYLES[k % 2]
        ax.plot(part["date"], -part["p50"] if negate else part["p50"], color=style.INK, linewidth=1.8,
                linestyle=style_, gid="branch")
        out.append(Line2D([], [], color=style.INK, linewidth=1.8, linestyle=style_, label=style.wrap(label, 56, 2)))
    return out


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
