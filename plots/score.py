"""The library's forecasts scored against the record: the reliability (calibration) chart, and the folder
``docket score`` writes (every scored forecast, the scores per scenario, the reliability table, the chart),
staged and swapped in whole."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from plots.pack import save_figure
from plots.style import INK, MEASURE_PALETTE, MUTED, decorate, new_figure, percent_axis, style_axes
from sim.runs.atomic import write_text
from sim.runs.outdir import staged
from sim.scenario.loader import resolve_raw
from sim.studies.score import SCORE_REPLICATIONS, Scores, scenario_name, score, store_score
from sim.testing.suite import find_scenarios
from sim.text.humanize import percent


def reliability_chart(scores: Scores) -> Figure:
    """Each bin's mean forecast against the share of its forecasts that came true (a dot sized by the number of
    forecasts in it, labelled with that number); on the diagonal, forecasts are calibrated."""
    fig = new_figure()
    ax = fig.add_subplot()
    table = scores.reliability()
    (diagonal,) = ax.plot([0, 1], [0, 1], color=MUTED, ls="--", lw=1.2, zorder=1,
                          label="calibrated: came true as often as forecast")
    full = table[table["forecasts"] > 0]
    biggest = max(int(full["forecasts"].max()), 1)
    color = MEASURE_PALETTE[0]
    (line,) = ax.plot(full["mean_forecast"], full["came_true"], color=color, lw=1.5, zorder=2,
                      label="the library's forecasts (dot size and number: forecasts in the bin)")
    for r in full.to_dict("records"):
        x, y, k = float(r["mean_forecast"]), float(r["came_true"]), int(r["forecasts"])
        ax.scatter([x], [y], s=60 + 600 * math.sqrt(k / biggest), color=color, edgecolor="white", zorder=3)
        ax.annotate(f"{k}", (x, y), xytext=(0, 14), textcoords="offset points", fontsize=10, color=INK,
                    ha="center", fontweight="bold")
    percent_axis(ax, "share that came true")
    ax.set_xlim(-0.02, 1.02)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xticklabels([percent(x) for x in (0, 0.25, 0.5, 0.75, 1.0)])
    ax.set_xlabel("forecast chance (mean of the bin)", fontsize=10, color=INK)
    style_axes(ax)
    s = scores.summary()
    total = s.iloc[-1]
    title = (f"{int(total['forecasts'])} forecasts of {len(scores.replications)} scenarios: Brier {total['brier']:.3f} "
             f"against {total['brier_50']:.3f} for always 50% and {total['brier_hold']:.3f} for deadlines hold")
    decorate(fig, title, "Reliability: forecasts of P(measure in force by a key date) as seen on each date before it, "
             "binned by chance (10-point bins)", None, handles=[line, diagonal],
             stated=f"Chances: share of {' or '.join(f'{n:,}' for n in sorted(set(scores.replications.values())))} "
                    "runs per as-of date (common random numbers); outcome: what the record decides; Brier: mean "
                    "(p - outcome)^2, lower is better",
             footer_right="docket score")
    return fig


def write_score(paths: Sequence[str | os.PathLike[str]], *, every: str = "auto",
                replications: int | None = None, seed: int | None = None, out: str | None = None,
                force: bool = False, update: bool = False, say: Callable[[str], None] = print) -> tuple[Path, str]:
    """Score the scenario files among ``paths`` (folders searched; :data:`sim.studies.score.SCORE_REPLICATIONS`
    runs per as-of date unless ``replications``) and write ``forecasts.csv``, ``scores.csv``, ``reliability.csv``
    and ``reliability.png`` into ``out`` (default ``runs/score``); with ``update``, also store each scored
    scenario's score with its baselines (as ``docket test`` makes it).

    Returns:
        The folder and the text to print.
    """
    files = [str(p) for p in find_scenarios(paths)]
    scores = score(files, every=every, replications=replications or SCORE_REPLICATIONS, seed=seed,
                   progress=lambda n: say(f"scoring {n}"))
    text = scores.text()
    if update:
        text += "\n" + "\n".join(store_score(scores, f, every, seed) for f in files
                                   if scenario_name(resolve_raw(f), f) in scores.replications)
    folder = Path(out or Path("runs") / "score")
    with staged(folder, "score", force=force) as tmp:
        write_text(tmp / "forecasts.csv", scores.table.to_csv(index=False))
        write_text(tmp / "scores.csv", scores.summary().to_csv(index=False))
        write_text(tmp / "reliability.csv", scores.reliability().to_csv(index=False))
        write_text(tmp / "scores.txt", text + "\n")
        save_figure(reliability_chart(scores), tmp / "reliability.png")
    return folder, text
