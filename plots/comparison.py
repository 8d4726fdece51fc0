"""Several runs (variants, or the same scenario under other assumptions) on one chart."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plots import bands, data, style
from sim.runs.results import Results
from sim.scenario.errors import DocketError
from sim.text.humanize import number

MAX_RUNS = len(style.PALETTE)


def default_series(results: Results) -> tuple[str, str]:
    """The series a comparison shows by default: the first metric's cumulative total, else the first stock."""
    s = results.scenario
    return (s.metrics[0].id, "cumulative") if s.metrics else (s.populations[0].id, "stock")


def _footer_right(runs: Sequence[Results]) -> str:
    """The scenarios compared, short enough to sit beside the source line (the legend names each run)."""
    names = sorted({r.scenario.name for r in runs})
    text = "Scenario: " + ", ".join(names) if len(names) <= 2 else f"{len(names)} scenarios"
    return text if len(text) <= 40 else f"{len(names)} scenarios"


def _run_name(results: Results) -> str:
    s = results.scenario
    return s.name + (f" ({s.variant})" if s.variant else "")


def plot(runs: Sequence[Results], series: str | None = None, quantity: str | None = None,
         labels: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """Median and 90% band of one series for each run, labelled by variant (or by ``labels``).

    Args:
        runs: one to eight finished runs that share the series.
        series: series id (default: the first run's first metric, else its first population).
        quantity: ``stock``, ``value``, ``cumulative``, ``avoided``... (default: ``cumulative`` for a metric,
            ``stock`` for a population).
        labels: names of the runs (default: each run's variant title).
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
    names = list(labels) if labels is not None else [data.run_label(r) for r in runs]
    fig, axes, new = style.panels(ax, 1, 1)
    ax = axes[0]
    unit = ""
    for i, (res, name) in enumerate(zip(runs, names, strict=True)):
        rows = data.series(res, sid, qty)
        unit = str(rows["unit"].iloc[0])
        last = rows.iloc[-1]
        label = style.wrap(f"{name}: {number(last['p50'])} (90%: {number(last['p05'])} to {number(last['p95'])})",
                           60)
        bands.draw(ax, rows, style.run_color(i), label=label, bands=("90",))
    start, end = data.window(first)
    style.style_axes(ax)
    style.date_axis(ax, start, end)
    style.number_axis(ax, unit)
    low = min(0.0, float(ax.get_ylim()[0]))
    ax.set_ylim(bottom=low)
    end_label = style.day_label(end)
    style.legend(ax, loc="upper left", title=f"Median on {end_label} (90% of runs)",
                 title_fontsize=style.SMALL_SIZE, alignment="left")
    if new:
        title_of = data.metric_title(first.scenario, sid) if qty not in ("stock", "stock_cf") else \
            data.population_title(first.scenario, sid)
        what = {"stock": "", "value": " on each date", "cumulative": ", accumulated",
                "avoided": " avoided by the measures"}.get(qty, f" ({qty})")
        style.decorate(fig, f"{title_of}{what}: {len(runs)} runs compared",
                       "Median of each run with the band holding 90% of its runs." + (
                           " Same seed in every run (common random numbers), so differences come from the "
                           "assumptions, not from noise." if len({r.seed for r in runs}) == 1 else ""),
                       first, footer_right=_footer_right(runs))
    else:
        ax.set_title(f"{sid} ({qty})", loc="left", fontsize=style.LABEL_SIZE)
    return fig
