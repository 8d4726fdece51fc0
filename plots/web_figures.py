"""The charts of the web page (:mod:`plots.web`) as Plotly figures, each with its data and a text alternative.

Each chart is the static pack's chart in a second medium: the same finding as its title
(:mod:`sim.text.findings`), the same convention (:mod:`sim.text.convention`: the mean with its 5-95% band, the
median day for dates), the same colours (:mod:`plots.style`) and the same split branches. Hover texts are the
numbers as :mod:`sim.text.humanize` writes them, so a tooltip reads exactly what the key-numbers table prints.
This module imports Plotly (the optional ``web`` extra): only the HTML code path imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from plots import bands, data, style
from plots.comparison import default_series, run_names
from sim.runs.results import Results, cumulative_unit
from sim.scenario.errors import DocketError
from sim.studies.paired import paired
from sim.text import convention, findings
from sim.text.humanize import interval, number, percent

try:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
except ImportError as exc:  # pragma: no cover - the web extra is in the test extra
    raise DocketError("the web page needs Plotly: pip install -e '.[web]' in the docket checkout "
                      "(or pip install plotly)") from exc


@dataclass
class Chart:
    """One chart of the page: an id (its anchor and CSV name), the finding as title, a subtitle saying what is
    shown, the figure, the data behind it (offered as CSV) and its text alternative (finding and numbers)."""

    id: str
    title: str
    subtitle: str
    figure: go.Figure
    table: pd.DataFrame
    alt: list[str]


def figure_layout(fig: go.Figure, height: int, y_title: str = "", percent_axis: bool = False) -> go.Figure:
    """The page's house layout for one plotly figure (fonts, margins, date x axis, grid), set in place.

    Args:
        fig: the figure to lay out; returned for chaining.
        height: its height in pixels.
        y_title: the y axis title.
        percent_axis: show the y axis from 0% to 100%.
    """
    fig.update_layout(template="none", height=height, margin={"l": 70, "r": 20, "t": 30, "b": 40},
                      font={"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 13,
                            "color": style.INK},
                      hovermode="closest", legend={"orientation": "h", "y": -0.12},
                      paper_bgcolor="white", plot_bgcolor="white")
    fig.update_xaxes(type="date", showgrid=False, linecolor=style.MUTED)
    fig.update_yaxes(gridcolor=style.GRID, zeroline=False, title_text=y_title)
    if percent_axis:
        fig.update_yaxes(range=[-0.02, 1.04], tickformat=".0%")
    return fig


HOVER_DAY = "%{x|%-d %b %Y}"
"""A point's date in its tooltip, as :func:`plots.style.day_label` writes it (``20 Sep 2020``), by Plotly."""


def _days(dates: pd.Series) -> list[str]:
    """Dates as ``YYYY-MM-DD``: the figure's x values, the same whatever the dates' precision (a run in memory or
    read back from its folder) and short in the page."""
    return [str(d) for d in pd.to_datetime(dates).dt.strftime("%Y-%m-%d")]


def _ys(values: pd.Series) -> npt.NDArray[np.float32]:
    """A curve's y values in single precision (7 digits; half the page's bytes of double): they place the line,
    while the hover text and the CSV carry the exact values."""
    return values.to_numpy(np.float32)


def _day(value: Any) -> str:
    return style.day_label(pd.Timestamp(value).date())


def _band(fig: go.Figure, rows: pd.DataFrame, color: str, name: str, group: str, legend: bool,
          **where: Any) -> None:
    """The mean line with its 5-95% band (hover: date, mean, interval), as the static :func:`plots.bands.draw`."""
    text = [f"{convention.STATISTIC} {number(m)} ({convention.INTERVAL}: {number(lo)} to {number(hi)})"
            for m, lo, hi in zip(rows[convention.HEADLINE], rows[convention.LOW], rows[convention.HIGH], strict=True)]
    fig.add_trace(go.Scatter(x=_days(rows["date"]), y=_ys(rows[convention.HIGH]), mode="lines", line={"width": 0},
                             hoverinfo="skip", showlegend=False, legendgroup=f"{group}-band"), **where)
    fig.add_trace(go.Scatter(x=_days(rows["date"]), y=_ys(rows[convention.LOW]), mode="lines", line={"width": 0},
                             fill="tonexty", fillcolor=_alpha(color, bands.BAND_ALPHA), hoverinfo="skip",
                             name=f"{convention.INTERVAL} of runs" + (f" ({name})" if group != "mean" else ""),
                             legendgroup=f"{group}-band", showlegend=legend), **where)
    fig.add_trace(go.Scatter(x=_days(rows["date"]), y=_ys(rows[convention.HEADLINE]), mode="lines", name=name,
                             line={"color": color, "width": 2.6}, legendgroup=group, showlegend=legend,
                             customdata=text, hovertemplate=f"{HOVER_DAY}: %{{customdata}}<extra>{name}</extra>"),
                  **where)


def _alpha(color: str, alpha: float) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _counterfactual(fig: go.Figure, rows: pd.DataFrame, legend: bool, **where: Any) -> None:
    text = [number(m) for m in rows[convention.HEADLINE]]
    fig.add_trace(go.Scatter(x=_days(rows["date"]), y=_ys(rows[convention.HEADLINE]), mode="lines",
                             name=f"No measure ({convention.STATISTIC})", legendgroup="counterfactual",
                             showlegend=legend, line={"color": style.COUNTERFACTUAL, "width": 1.8, "dash": "dash"},
                             customdata=text, hovertemplate=f"{HOVER_DAY}: no measure, {convention.STATISTIC} "
                             "%{customdata}<extra></extra>"), **where)


def _branches(fig: go.Figure, results: Results, sid: str, quantity: str, legend: bool, *,
              outcome: str | None = None, negate: bool = False, **where: Any) -> list[str]:
    """Each side's median where ``sid`` splits (:func:`plots.bands.branch_rows`, of ``outcome`` where it splits);
    returns the sides' labels. One legend entry (and toggle) per split, naming both sides: panels split on
    different conditions get their own."""
    rows = bands.branch_rows(results, sid, quantity, outcome)
    labels: list[str] = []
    parts = list(rows.groupby("side", sort=True)) if not rows.empty else []
    for _, part in parts:
        labels.append(f"{part['label'].iloc[0]} ({percent(float(part['probability'].iloc[0]))})")
    group = "branch-" + " / ".join(labels)
    name = "; ".join(f"{('dash-dot', 'dotted')[k % 2]}: {label}" for k, label in enumerate(labels))
    for k, (_, part) in enumerate(parts):
        label = labels[k]
        shown = any(trace.legendgroup == group and trace.showlegend for trace in fig.data)
        median = -part["p50"] if negate else part["p50"]  # an added exposure's avoided, turned around
        fig.add_trace(go.Scatter(x=_days(part["date"]), y=_ys(median), mode="lines", name=name,
                                 legendgroup=group, showlegend=legend and k == 0 and not shown,
                                 line={"color": style.INK, "width": 1.8, "dash": ("dashdot", "dot")[k % 2]},
                                 customdata=[number(v) for v in median],
                                 hovertemplate=f"{HOVER_DAY}: median %{{customdata}} {label}<extra></extra>"), **where)
    return labels


def timeline(results: Results) -> Chart:
    """When each measure takes effect: the 5-95% range of effective dates, the median day, the planned deadline."""
    s = results.scenario
    colors = style.measure_colors(s)
    stats = {str(r["measure"]): r for r in results.measures.to_dict("records")}
    fig = go.Figure()
    alt = [findings.timeline(results)]
    for m in s.measures:
        name, st = data.measure_title(m), stats.get(m.id)
        if st is None:
            continue
        lo, hi = (findings.effective_quantile(results, m.id, q) for q in (0.05, 0.95))
        odds = ", ".join(f"{w} {percent(float(st[k]))}" for k, w in
                         (("p_never", "never"), ("p_enjoined", "enjoined"), ("p_shelved", "shelved"),
                          ("p_lifted", "lifted")))
        planned = data.planned_deadline(m)
        if lo is not None and hi is not None:
            fig.add_trace(go.Scatter(x=[lo, hi], y=[name, name], mode="lines", showlegend=False,
                                     line={"color": _alpha(colors[m.id], 0.45), "width": 16},
                                     hovertemplate=f"{name}<br>takes effect ({convention.INTERVAL} of the runs where "
                                     f"it does): {style.day_label(lo)} to {style.day_label(hi)}<extra></extra>"))
        if isinstance(st["effective_p50"], str):
            mid = pd.Timestamp(st["effective_p50"])
            fig.add_trace(go.Scatter(x=[mid], y=[name], mode="markers", showlegend=False,
                                     marker={"symbol": "line-ns", "size": 26, "line": {"width": 4,
                                                                                     "color": colors[m.id]}},
                                     hovertemplate=f"{name}<br>median effective date {_day(mid)}<br>{odds}"
                                     "<extra></extra>"))
        if planned is not None:
            fig.add_trace(go.Scatter(x=[planned], y=[name], mode="markers", name="Planned deadline",
                                     legendgroup="planned", showlegend=not any(t.name == "Planned deadline"
                                                                               for t in fig.data),
                                     marker={"symbol": "diamond-open", "size": 12, "color": style.INK,
                                             "line": {"width": 2}},
                                     hovertemplate=f"{name}<br>planned deadline {style.day_label(planned)}"
                                     "<extra></extra>"))
        when = (f"takes effect between {style.day_label(lo)} and {style.day_label(hi)} ({convention.INTERVAL} of the "
                f"runs where it does), median {_day(st['effective_p50'])}" if lo is not None and hi is not None
                else "never takes effect")
        alt.append(f"{name}: planned {style.day_label(planned) if planned else st['planned_deadline']}; {when}; "
                   f"{odds}.")
    figure_layout(fig, 120 + 70 * max(len(s.measures), 1))
    fig.update_yaxes(autorange="reversed", gridcolor=style.GRID, automargin=True)
    start, end = data.window(results)
    fig.update_xaxes(range=[start, end])
    return Chart("timeline", findings.timeline(results),
                 f"{s.title}: when each measure takes effect. Bar: {convention.INTERVAL} of the runs where it takes "
                 "effect; tick: median day; diamond: planned deadline. Hover a mark for its dates and the chance it "
                 "never takes effect, is enjoined, shelved or lifted.", fig, results.measures, alt)


def in_force(results: Results) -> Chart:
    """P(in force on) each date per measure, step curves exact on every switching day, with a point on each key
    date holding the value the key-numbers table prints."""
    s = results.scenario
    colors, keys = style.measure_colors(s), results.summary["key_dates"]
    _, end = data.window(results)
    fig, frames = go.Figure(), []
    alt = [findings.in_force(results)]
    for m in s.measures:
        rows = results.in_force_curve(m.id)
        points = pd.concat([rows, pd.DataFrame({"date": pd.to_datetime([*keys, end]),
                                                "probability": [results.in_force_on(m.id, d) for d in [*keys, end]]})])
        points = points.drop_duplicates("date").sort_values("date", kind="stable")
        name = data.measure_title(m)
        fig.add_trace(go.Scatter(x=_days(points["date"]), y=points["probability"], mode="lines", line_shape="hv",
                                 name=name, legendgroup=m.id, line={"color": colors[m.id], "width": 2.6},
                                 customdata=[percent(p) for p in points["probability"]],
                                 hovertemplate=f"{HOVER_DAY}: in force that day in %{{customdata}} of runs<extra>"
                                 f"{name}</extra>"))
        frames.append(points.assign(measure=m.id))
        on = results.summary["measures"][m.id]["p_in_force_on"]
        alt.append(f"{name}: in force on " + ", ".join(f"{_day(k)} {percent(on[k])}" for k in keys) + ".")
    figure_layout(fig, 420, "Chance in force", percent_axis=True)
    table = pd.concat(frames, ignore_index=True)[["measure", "date", "probability"]] if frames else pd.DataFrame()
    return Chart("in_force", findings.in_force(results),
                 f"{s.title}: chance each measure is in force on each date, that day (not deferred, enjoined, shelved, "
                 f"lifted or cancelled). {convention.chance_text(results.replications, 'on')}.", fig, table, alt)


def _series_table(results: Results, sid: str, quantities: Sequence[str]) -> pd.DataFrame:
    cols = ["series", "quantity", "unit", "date", convention.HEADLINE, convention.LOW, "p50", convention.HIGH]
    return pd.concat([data.series(results, sid, q)[cols] for q in quantities], ignore_index=True)


def populations(results: Results) -> Chart:
    """Each population: mean with its 5-95% band, the no-measure counterfactual dashed, split sides' medians."""
    s = results.scenario
    ids = [p.id for p in s.populations]
    fig = make_subplots(rows=max(len(ids), 1), cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[data.population_title(s, pid) for pid in ids] or [""])
    alt, sides = [findings.populations(results)], list[str]()
    last = results.summary["key_dates"][-1] if results.summary["key_dates"] else None
    for k, pid in enumerate(ids):
        where = {"row": k + 1, "col": 1}
        _band(fig, data.series(results, pid, "stock"), style.POPULATION, convention.STATISTIC.capitalize(), "mean",
              k == 0, **where)
        _counterfactual(fig, data.series(results, pid, "stock_cf"), k == 0, **where)
        sides += _branches(fig, results, pid, "stock", True, row=k + 1, col=1)
        if last is not None:
            st = results.summary["populations"][pid][last]
            alt.append(f"{data.population_title(s, pid)} on {_day(last)}: {convention.STATISTIC} "
                       f"{interval(*convention.headline(st))}.")
    figure_layout(fig, 80 + 260 * max(len(ids), 1))
    table = pd.concat([_series_table(results, pid, ("stock", "stock_cf")) for pid in ids], ignore_index=True) \
        if ids else pd.DataFrame()
    split = (f" Where a branch splits the runs, black lines give each side's median: {'; '.join(sides)}."
             if sides else "")
    return Chart("populations", findings.populations(results),
                 f"{s.title}: how many remain. {convention.STATISTIC.capitalize()} with {convention.INTERVAL} of runs; "
                 f"dashed: the same runs with no measure in force.{split}", fig, table, alt)


def exposure(results: Results, metric: str) -> Chart:
    """One metric: exposed on each date, accumulated, and avoided (or added) by the measures, paired per run."""
    s = results.scenario
    total = results.summary["exposure"][metric]
    added = total["avoided"][convention.HEADLINE] < 0
    names = ["Exposed on each date", "Accumulated since the start",
             "Added by the measures" if added else "Avoided by the measures"]
    fig = make_subplots(rows=1, cols=3, subplot_titles=names, horizontal_spacing=0.07)
    for k, quantity in enumerate(("value", "cumulative", "avoided")):
        rows = data.series(results, metric, quantity)
        if quantity == "avoided" and added:  # the static page's turn-around: values negated, quantiles swapped
            rows = rows.assign(**{convention.HEADLINE: -rows[convention.HEADLINE],
                                  convention.LOW: -rows[convention.HIGH], convention.HIGH: -rows[convention.LOW]})
        color = style.EXPOSURE if quantity != "avoided" else style.ADDED if added else style.AVOIDED
        _band(fig, rows, color, convention.STATISTIC.capitalize() + ("" if k == 0 else f" ({names[k].lower()})"),
              "mean" if k == 0 else f"mean-{quantity}", k == 0, row=1, col=k + 1)
        if quantity != "avoided":
            _counterfactual(fig, data.series(results, metric, quantity + "_cf"), k == 0, row=1, col=k + 1)
        _branches(fig, results, metric, quantity, k == 1, outcome=f"{metric}:total",  # as the pack
                  negate=quantity == "avoided" and added, row=1, col=k + 1)
    figure_layout(fig, 420)
    a = total["avoided"]
    change = (f"added {interval(-a['mean'], -a['p95'], -a['p05'])}" if added else f"avoided {convention.figure(a)}")
    alt = [findings.exposure(results, metric),
           f"By {_day(results.summary['window']['end'])}: {convention.STATISTIC} {convention.figure(total['total'])} "
           f"{total['unit']}; {change}; with no measure {number(total['counterfactual'][convention.HEADLINE])}."]
    table = _series_table(results, metric, ("value", "value_cf", "cumulative", "cumulative_cf", "avoided"))
    return Chart(f"exposure-{metric}", findings.exposure(results, metric),
                 f"{data.metric_title(s, metric)}, in {total['unit']}: {convention.STATISTIC} with "
                 f"{convention.INTERVAL} of runs; dashed: the same runs with no measure in force. Right: the "
                 "difference, run by run.", fig, table, alt)


def comparison(runs: Sequence[Results]) -> Chart:
    """One series of several runs (mean and 5-95% band each), one legend entry per run (click to hide it)."""
    sid, qty = default_series(runs[0])
    every = run_names(runs)
    shown = [i for i, res in enumerate(runs) if not res.curve(sid, qty).empty]  # other scenarios may lack it
    names = [every[i] for i in shown]
    fig, frames, ends = go.Figure(), [], []
    for i in shown:
        res, name = runs[i], every[i]
        rows = data.series(res, sid, qty)
        _band(fig, rows, style.run_color(i), name, f"run-{i}", True)
        frames.append(rows.assign(run=name))
        ends.append(float(rows[convention.HEADLINE].iloc[-1]))
    what = data.metric_title(runs[0].scenario, sid) + (", accumulated" if qty == "cumulative" else "")
    for trace in fig.data:  # the band's legend entry toggles with its run's line: one entry per run
        if trace.legendgroup and trace.legendgroup.endswith("-band"):
            trace.legendgroup, trace.showlegend = trace.legendgroup[:-5], False
    figure_layout(fig, 440)
    alt = [findings.comparison(ends, names, what)]
    alt += [f"{name}: {convention.STATISTIC} {number(v)} at the end." for name, v in zip(names, ends, strict=True)]
    left = [every[i] for i in range(len(runs)) if i not in shown]
    missing = f" Not on this chart (they have no {what}): {'; '.join(left)}." if left else ""
    alt += [missing.strip()] if left else []
    return Chart("comparison", findings.comparison(ends, names, what),
                 f"{what}: {len(shown)} runs compared, {convention.STATISTIC} of each with the band holding "
                 f"{convention.INTERVAL} of its runs. Click a run in the legend (or its box above) to hide it."
                 + missing, fig, pd.concat(frames, ignore_index=True), alt)


def differences(runs: Sequence[Results]) -> Chart | None:
    """Each run minus the first, replication by replication, of each shared metric's exposure at the end (from
    ``finals``); only runs with the first run's seed and replications are paired (same draws). ``None`` if none."""
    names, ref = run_names(runs), runs[0]
    rows = []
    for res, name in zip(runs[1:], names[1:], strict=True):
        if res.finals is None or ref.finals is None or (res.seed, res.replications) != (ref.seed, ref.replications):
            continue
        for m in ref.scenario.metrics:
            a = ref.finals[ref.finals["metric"] == m.id].sort_values("replication")["total"].to_numpy(np.float64)
            b = res.finals[res.finals["metric"] == m.id].sort_values("replication")["total"].to_numpy(np.float64)
            if len(a) and len(a) == len(b):
                rows.append({"metric": m.id, "unit": cumulative_unit(m.unit), "label": name,
                             **paired(a, b, np.maximum(np.abs(a), np.abs(b)))})
    if not rows:
        return None
    table = pd.DataFrame(rows)
    fig = go.Figure()
    alt = [f"Exposure accumulated by the end: each run minus {names[0]}, replication by replication"]
    for i, (_, r) in enumerate(table.iterrows()):
        y = f"{data.metric_title(ref.scenario, str(r['metric']))}<br>{r['label']}"
        text = (f"{y.replace('<br>', ': ')}<br>difference: mean {number(r['diff_mean'])}, "
                f"median {number(r['diff_median'])}, "
                f"{convention.INTERVAL}: {number(r['diff_p05'])} to {number(r['diff_p95'])} {r['unit']}<br>"
                f"higher in {percent(r['share_up'])} of runs, lower in {percent(r['share_down'])}")
        color = style.run_color(1 + names[1:].index(str(r["label"])))
        fig.add_trace(go.Scatter(x=[r["diff_p05"], r["diff_p95"]], y=[y, y], mode="lines", showlegend=False,
                                 line={"color": _alpha(color, 0.45), "width": 14}, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=[r["diff_median"], r["diff_mean"]], y=[y, y], mode="markers", showlegend=False,
                                 marker={"symbol": ["circle", "diamond"], "size": [11, 10],
                                         "color": [color, style.INK]},
                                 hovertemplate=text + "<extra></extra>"))
        alt.append(text.replace("<br>", "; ") + f" (row {i + 1}).")
    figure_layout(fig, 140 + 60 * len(table))
    lo, hi = min(0.0, float(table["diff_p05"].min())), max(0.0, float(table["diff_p95"].max()))
    pad = 0.05 * (hi - lo) or 1.0  # bars end inside the axes, not at its edges
    fig.update_xaxes(type="linear", zeroline=True, zerolinecolor=style.INK, title_text="difference",
                     range=[lo - pad, hi + pad])
    fig.update_yaxes(autorange="reversed", automargin=True)
    return Chart("differences", f"Exposure accumulated: each run minus {names[0]}",
                 "Paired difference replication by replication on the same random draws (same seed and "
                 f"replications): bar {convention.INTERVAL} of runs, dot the median, diamond the mean. Right of 0: "
                 "more exposure than the first run.", fig, table, alt)
