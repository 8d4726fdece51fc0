"""Several runs (variants, or the same scenario under other assumptions) on one chart."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plots import bands, data, style
from sim.runs.results import Results
from sim.scenario.errors import DocketError
from sim.text import convention, findings
from sim.text.humanize import number
from sim.text.titles import run_title

MAX_RUNS = len(style.RUN_PALETTE)


def default_series(results: Results) -> tuple[str, str]:
    """The series a comparison shows by default: the first metric's cumulative total, else the first stock."""
    s = results.scenario
    return (s.metrics[0].id, "cumulative") if s.metrics else (s.populations[0].id, "stock")


def _footer_right(runs: Sequence[Results]) -> str:
    """The scenarios compared, short enough to sit beside the source line (the legend names each run)."""
    names = sorted({r.scenario.name for r in runs})
    text = "Scenario: " + ", ".join(names) if len(names) <= 2 else f"{len(names)} scenarios"
    return text if len(text) <= 40 else text[:37] + "..."


def run_names(runs: Sequence[Results]) -> list[str]:
    """How the runs are named: each variant's title (``as written`` for none), after the scenario's title when
    the runs come from different scenarios."""
    several = len({r.scenario.name for r in runs}) > 1
    return [(f"{r.scenario.title}: " if several else "") + run_title(r.scenario) for r in runs]


def plot(runs: Sequence[Results], series: str | None = None, quantity: str | None = None,
         labels: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """Mean and 5-95% band of one series for each run, labelled by variant title (or by ``labels``).

    Args:
        runs: one to eight finished runs that share the series.
        series: series id (default: the first run's first metric, else its first population).
        quantity: ``stock``, ``value``, ``cumulative``, ``avoided``... (default: ``cumulative`` for a metric,
            ``stock`` for a population).
        labels: names of the runs (default: :func:`run_names`).
        ax: axes to draw into; a new figure with title and footer when ``None``.

    Returns:
        The figure.

    Raises:
        DocketError: for no runs, more than eight, or labels that do not match the runs.

    Example:
        >>> plot([res, res_announced], labels=["as seen", "as announced"]).savefig(out / "compare.png")
    """
    if not runs or len(runs) > MAX_RUNS:
        raise DocketError(f"compare 1 to {MAX_RUNS} runs, got {len(runs)}")
    if labels is not None and len(labels) != len(runs):
        raise DocketError(f"{len(labels)} labels for {len(runs)} runs")
    first = runs[0]
    sid, qty = default_series(first) if series is None else (series, quantity or "")
    if not qty:
        qty = "cumulative" if sid in {m.id for m in first.scenario.metrics} else "stock"
    names = list(labels) if labels is not None else run_names(runs)
    fig, axes, new = style.panels(ax, 1, 1)
    ax = axes[0]
    unit = ""
    ends: list[float] = []
    for i, (res, name) in enumerate(zip(runs, names, strict=True)):
        rows = data.series(res, sid, qty)
        unit = str(rows["unit"].iloc[0])
        mean, lo, hi = convention.headline(rows.iloc[-1].to_dict())
        ends.append(mean)
        label = f"{style.abbreviate(name, 44)}: {number(mean)} ({convention.INTERVAL}: {number(lo)} to {number(hi)})"
        bands.draw(ax, rows, style.run_color(i), label=label)
    start, end = data.window(first)
    style.style_axes(ax)
    style.date_axis(ax, start, end)
    style.number_axis(ax, unit)
    low = min(0.0, float(ax.get_ylim()[0]))
    ax.set_ylim(bottom=low)
    end_label = style.day_label(end)
    style.legend(ax, loc="upper left", title=f"{convention.STATISTIC.capitalize()} on {end_label} "
                 f"({convention.INTERVAL} of runs)",
                 title_fontsize=style.SMALL_SIZE, alignment="left")
    if new:
        title_of = data.metric_title(first.scenario, sid) if qty not in ("stock", "stock_cf") else \
            data.population_title(first.scenario, sid)
        what = {"stock": "", "value": " on each date", "cumulative": ", accumulated",
                "avoided": " avoided by the measures"}.get(qty, f" ({qty})")
        style.decorate(fig, findings.comparison(ends, names, f"{title_of}{what}"),
                       f"{title_of}{what}: {len(runs)} runs compared. Mean of each run with the band holding "
                       f"{convention.INTERVAL} of its runs." + (
                           " Same seed in every run (common random numbers), so differences come from the "
                           "assumptions, not from noise." if len({r.seed for r in runs}) == 1 else ""),
                       first, footer_right=_footer_right(runs))
    else:
        ax.set_title(f"{sid} ({qty})", loc="left", fontsize=style.LABEL_SIZE)
    return fig
