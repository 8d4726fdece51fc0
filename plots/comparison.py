"""Several runs (variants, or the same scenario under other assumptions): their bands on one chart
(:func:`plot`), and their paired differences from the reference, one small panel per metric
(:func:`plot_differences`)."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from plots import bands, data, style
from sim.runs.results import Results, cumulative_unit
from sim.scenario.errors import DocketError
from sim.studies.compare import Comparison
from sim.text import convention, findings
from sim.text.humanize import number, percent, signed_number
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
    return text if len(text) <= 40 else f"{len(names)} scenarios"


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
        label = style.wrap(f"{name}: {number(mean)} ({convention.INTERVAL}: {number(lo)} to {number(hi)})", 60)
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


def plot_differences(result: Comparison, quantity: str = "exposure") -> Figure:
    """Paired differences from the reference run: one small panel per metric, one row per compared run.

    Each row shows the difference ``run - reference`` replication by replication (same draws): its 5-95%
    range as a bar, its median as a dot and its mean as a diamond, and beside it the share of runs in which
    the run is higher and lower than the reference (a median of 0 with a mean that is not says "a few runs
    differ a lot").

    Args:
        result: a finished :func:`sim.studies.compare.compare`.
        quantity: ``exposure`` (accumulated to the window end) or ``avoided``.

    Returns:
        The figure.

    Example:
        >>> from sim.studies.compare import compare
        >>> c = compare([res.scenario, res_announced.scenario], ["as seen", "as announced"], 100)
        >>> plot_differences(c).savefig(out / "differences.png")
    """
    table = result.table[result.table["quantity"] == quantity]
    first = result.results[0]
    metrics = [m.id for m in first.scenario.metrics if m.id in set(table["target"])]
    if not metrics:
        raise DocketError(f"no {quantity} rows to draw: the runs share no metric")
    ncols = 1 if len(metrics) == 1 else 2 if len(metrics) in (2, 4) else 3
    fig, axes, _ = style.panels(None, len(metrics), ncols)
    names = list(result.labels[1:])
    for k, (ax, mid) in enumerate(zip(axes, metrics, strict=True)):
        rows = table[table["target"] == mid].set_index("label").loc[names]
        unit = cumulative_unit(next(m.unit for m in first.scenario.metrics if m.id == mid))
        for y, (_, r) in enumerate(rows.iterrows()):
            color = style.run_color(y + 1)
            ax.plot([r["diff_p05"], r["diff_p95"]], [y, y], color=color, linewidth=9, alpha=0.35,
                    solid_capstyle="butt")
            ax.plot([r["diff_median"]], [y], "o", color=color, markersize=9)
            ax.plot([r["diff_mean"]], [y], "D", color=style.INK, markersize=7)
            ax.annotate(f"higher in {percent(r['share_up'])} of runs, lower in {percent(r['share_down'])}",
                        xy=(0, y), xycoords=("axes fraction", "data"), xytext=(4, -13),
                        textcoords="offset points", va="top", ha="left", fontsize=style.SMALL_SIZE - 1,
                        color=style.MUTED)
        ax.axvline(0, color=style.INK, linewidth=1.2, zorder=0)
        ax.set_yticks(range(len(names)), [style.wrap(str(n), 22, 3) if k % ncols == 0 else "" for n in names])
        ax.set_ylim(len(names) - 0.2, -0.6)
        ax.set_title(style.wrap(data.metric_title(first.scenario, mid), 30 if ncols == 3 else 50, 3), loc="left",
                     fontsize=style.SMALL_SIZE + 1, fontweight="bold", color=style.INK)
        style.style_axes(ax, grid_axis="x")
        ax.tick_params(axis="y", length=0)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, min_n_ticks=3))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: signed_number(x)))
        ax.set_xlabel(f"difference, {unit}", fontsize=style.SMALL_SIZE, color=style.INK)
    handles = [Line2D([], [], color=style.MUTED, linewidth=9, alpha=0.35, label=f"{convention.INTERVAL} of runs"),
               Line2D([], [], marker="o", color=style.MUTED, linestyle="none", markersize=9, label="median"),
               Line2D([], [], marker="D", color=style.INK, linestyle="none", markersize=7, label="mean")]
    what = "accumulated" if quantity == "exposure" else "avoided by the measures"
    style.decorate(fig, f"Exposure {what}: each run minus {result.labels[0]}",
                   f"Paired difference replication by replication over {result.replications:,} runs on the same "
                   "random draws, so it shows what the change does, not noise. Right of 0: more exposure than "
                   "the reference.", first, handles=handles, footer_right=_footer_right(result.results))
    return fig
