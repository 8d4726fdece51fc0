"""The briefing as one self-contained interactive HTML page: ``docket brief FILE --html`` and ``docket report``.

The page holds every script, style and datum (Plotly's JavaScript inlined, no CDN, no font fetched), so it opens
from disk with no network. It says what the static pack says, from the same functions: the bottom line
(:func:`plots.key_numbers.bottom_line`), the findings as titles (:mod:`sim.text.findings`), the convention
(:mod:`sim.text.convention`), the split sentences (:func:`sim.text.narrate.split_sentence`) and the assumptions
table (:func:`plots.assumptions.rows`). Each chart has a text alternative, a CSV of its data (a ``data:`` link) and
keyboard-reachable toggles; the key numbers carry their exact values (``data-value``) for checks.
"""

from __future__ import annotations

import html
import json
import os
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import plotly.io as pio
from plotly.offline import get_plotlyjs

import sim
from plots import assumptions, data, web_figures, web_outlook, web_tables
from plots.web_figures import Chart
from plots.web_outlook import Outlook, check_scenario, read_outlook
from sim.runs.atomic import write_text
from sim.runs.records import load_results, read_run
from sim.runs.results import Results
from sim.scenario.errors import DocketError
from sim.text import convention
from sim.text.titles import variant_title

PAGE_NAME: Final = "briefing.html"
"""The page ``docket brief --html`` writes beside the pack."""
GENERATOR: Final = "docket"
"""The page's ``<meta name="generator">``: a file holding it was written by docket and may be replaced."""
CSV_FLOAT: Final = "%.10g"
"""Numbers in a chart's CSV: ten significant digits, far finer than any Monte Carlo estimate here."""
CSV_SAFE: Final = ",.:-_()"
"""Characters a CSV's ``data:`` link keeps as they are (percent-encoding them would only make the page bigger)."""
CONFIG: Final = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}

e = html.escape


def charts(results: Results, others: Sequence[Results] = ()) -> list[Chart]:
    """Every chart of the page, in briefing order (as :func:`plots.pack.plan`)."""
    out = []
    if results.scenario.measures:
        out += [web_figures.timeline(results), web_figures.in_force(results)]
    if results.scenario.populations:
        out.append(web_figures.populations(results))
    out += [web_figures.exposure(results, m.id) for m in results.scenario.metrics]
    if others:
        out.append(web_figures.comparison([results, *others]))
        paired = web_figures.differences([results, *others])
        if paired is not None:
            out.append(paired)
    return out


def _csv_link(chart: Chart) -> str:
    text = chart.table.to_csv(index=False, date_format="%Y-%m-%d", float_format=CSV_FLOAT)
    return (f'<a class="csv" download="{chart.id}.csv" href="data:text/csv;charset=utf-8,'
            f'{urllib.parse.quote(text, safe=CSV_SAFE)}">Download the data of this chart (CSV)</a>')


def _toggles(chart: Chart) -> str:
    """A checkbox per legend entry of the figure: the keyboard's way to hide and show traces."""
    seen: dict[str, str] = {}
    for trace in chart.figure.data:
        if trace.showlegend is not False and trace.legendgroup and trace.name and trace.legendgroup not in seen:
            seen[trace.legendgroup] = trace.name
    boxes = "".join(f'<label><input type="checkbox" checked data-group="{e(g)}"> {e(name)}</label>'
                    for g, name in seen.items())
    return f'<fieldset class="toggles"><legend>Show</legend>{boxes}</fieldset>' if boxes else ""


def _chart(chart: Chart) -> str:
    spec = pio.to_json(chart.figure, validate=False).replace("</", "<\\/")
    alt = "".join(f"<li>{e(line)}</li>" for line in chart.alt[1:])
    return (f'<section id="{chart.id}" aria-labelledby="{chart.id}-title"><h2 id="{chart.id}-title">'
            f"{e(chart.title)}</h2><p class=\"subtitle\">{e(chart.subtitle)}</p>{_toggles(chart)}"
            f'<div class="chart" id="{chart.id}-chart" role="img" tabindex="0" aria-label="{e(chart.title)}" '
            f'aria-describedby="{chart.id}-alt"></div>'
            f'<script type="application/json" class="figure" data-target="{chart.id}-chart">{spec}</script>'
            f'<details id="{chart.id}-alt" class="alt"><summary>Text alternative: the finding and its numbers'
            f"</summary><p>{e(chart.alt[0])}</p><ul>{alt}</ul></details><p>{_csv_link(chart)}</p></section>")


def _assumptions(results: Results) -> str:
    s = results.scenario
    links = assumptions.source_links(s)
    body, previous = [], None
    for r in assumptions.rows(s):
        source = (f'<a href="{e(links[r.source])}" rel="noopener">{e(r.source)}</a>' if r.source in links
                  else e(r.source))
        body.append(f"<tr><td>{e(r.item) if r.item != previous else ''}</td><td>{e(r.parameter)}</td>"
                    f"<td>{e(r.value)}</td><td>{source}</td></tr>")
        previous = r.item
    return ('<section id="assumptions"><h2>Assumptions and sources</h2><p class="subtitle">Every input, the value or '
            "distribution each run draws from, and the source it cites (a link where the scenario gives one).</p>"
            '<table class="assumptions"><thead><tr><th scope="col">Item</th><th scope="col">Parameter</th>'
            '<th scope="col">Value or distribution</th><th scope="col">Source</th></tr></thead><tbody>'
            + "".join(body) + "</tbody></table></section>")


def _provenance(runs: Sequence[tuple[Results, dict[str, Any]]]) -> str:
    rows = []
    for res, record in runs:
        s = res.scenario
        cells = {"scenario": s.name + (f" · {variant_title(s)}" if s.variant else ""),
                 "docket version": str(record.get("docket_version", sim.__version__)),
                 "created": str(record.get("created", "")), "seed": str(res.seed),
                 "replications": f"{res.replications:,}", "scenario hash": str(record.get("scenario_hash", "")),
                 "command": " ".join(map(str, record.get("command", []))), "source file": str(
                     record.get("source_file") or "")}
        rows.append("<tr>" + "".join(f"<td>{e(v)}</td>" for v in cells.values()) + "</tr>")
        head = "".join(f'<th scope="col">{e(k)}</th>' for k in cells)
    return (f'<section id="provenance"><h2>Provenance</h2><table class="provenance"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table><p>Page written by docket {sim.__version__}. "
            f"{e(convention.band_text(runs[0][0].replications))}.</p></section>")


STYLE: Final = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;max-width:1180px;margin:0 auto;padding:1rem}
a{color:#0072B2}
a:focus,select:focus,input:focus,.chart:focus,summary:focus{outline:3px solid #E69F00;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
nav ul{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;list-style:none;padding:0}
.bottom-line{font-size:1.15rem;line-height:1.5}.subtitle,.convention{color:#555}
.cards{display:flex;flex-wrap:wrap;gap:1rem}.card{flex:1 1 240px;border:1px solid #ddd;border-radius:6px;padding:.6rem}
.card h3{font-size:.95rem;color:#555;margin:.2rem 0}.big{font-size:1.6rem;font-weight:bold;margin:.3rem 0}
table{border-collapse:collapse;margin:.6rem 0}th,td{text-align:left;padding:.25rem .6rem;border-bottom:1px solid #ddd;
vertical-align:top}caption{text-align:left;font-weight:bold;padding:.3rem 0}
.toggles{border:none;padding:0;margin:.3rem 0}.toggles legend{float:left;margin-right:.6rem;font-weight:bold}
.toggles label{margin-right:1rem}.provenance td:nth-child(6),.provenance td:nth-child(7){overflow-wrap:anywhere}
section{margin:2rem 0}details.alt{margin:.4rem 0}
"""

SCRIPT: Final = """
document.querySelectorAll('script.figure').forEach(function (node) {
  var fig = JSON.parse(node.textContent), gd = document.getElementById(node.dataset.target);
  Plotly.newPlot(gd, fig.data, fig.layout, CONFIG);
  var section = gd.closest('section');
  function sync() {
    section.querySelectorAll('.toggles input').forEach(function (box) {
      box.checked = gd.data.some(function (t) {
        return t.legendgroup === box.dataset.group && t.visible !== 'legendonly';
      });
    });
  }
  gd.on('plotly_restyle', sync);
  section.querySelectorAll('.toggles input').forEach(function (box) {
    box.addEventListener('change', function () {
      var idx = [];
      gd.data.forEach(function (t, i) {
        if (t.legendgroup === box.dataset.group || t.legendgroup === box.dataset.group + '-band') { idx.push(i); }
      });
      Plotly.restyle(gd, {visible: box.checked ? true : 'legendonly'}, idx);
    });
  });
});
var chooser = document.getElementById('date-chooser');
if (chooser) {
  chooser.addEventListener('change', function () {
    document.querySelectorAll('.on-date').forEach(function (d) { d.hidden = d.dataset.date !== chooser.value; });
  });
}
"""


def _changes(outlook: Outlook | None) -> str:
    """The forecast's "what changed" text, as ``docket forecast`` printed it."""
    if outlook is None:
        return ""
    return (f'<section id="changes" aria-labelledby="changes-title"><h2 id="changes-title">What changed</h2>'
            f'<pre class="changes">{e(outlook.meta["changes"])}</pre></section>')


def page(results: Results, others: Sequence[Results] = (), record: dict[str, Any] | None = None,
         records: Sequence[dict[str, Any]] = (), outlook: Outlook | None = None) -> str:
    """The whole page as HTML text: the key numbers of ``results``, the outlook over time (a forecast folder read
    by :func:`plots.web_outlook.read_outlook`, if given), its charts (with ``others`` compared), the assumptions,
    and the provenance from ``record`` (its ``run.json``) and ``records`` (the others')."""
    s = results.scenario
    ahead = [web_outlook.chart(outlook)] if outlook is not None else []  # the outlook leads, then what changed
    found = ahead + charts(results, others)
    variant = variant_title(s)
    title = s.title + (f" · {variant}" if variant else "")
    nav = "".join(f'<li><a href="#{c.id}">{e(_label(results, c.id))}</a></li>' for c in found)
    runs = [(results, record or {}), *((r, rec) for r, rec in zip(others, [*records, *[{}] * len(others)],
                                                                   strict=False))]
    as_of = f" as seen on {s.as_of.describe()}" if s.as_of is not None else ""
    body = (f'<a class="skip" href="#main">Skip to the key numbers</a><header><h1>{e(title)}</h1>'
            f'<p class="subtitle">Key numbers of {results.replications:,} simulated runs{e(as_of)}. Figures are '
            f"{convention.STATISTIC}s; intervals hold {convention.INTERVAL} of the runs. "
            f'{e(convention.IN_FORCE_ON.capitalize())}; {e(convention.IN_FORCE_BY)}.</p><nav aria-label="Charts"><ul>'
            f'<li><a href="#main">Key numbers</a></li>{nav}<li><a href="#assumptions">Assumptions</a></li>'
            f'<li><a href="#provenance">Provenance</a></li></ul></nav></header><main id="main" tabindex="-1">'
            f'<section id="key-numbers"><h2>Key numbers</h2>{web_tables.key_numbers(results)}</section>'
            + "".join(_chart(c) for c in ahead) + _changes(outlook)
            + "".join(_chart(c) for c in found[len(ahead):]) + _assumptions(results) + _provenance(runs) + "</main>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="generator" '
            f'content="{GENERATOR} {sim.__version__}"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><title>{e(title)}</title><style>{STYLE}</style>'
            f"<script>{get_plotlyjs()}</script></head><body>{body}<script>var CONFIG = {json.dumps(CONFIG)};"
            f"{SCRIPT}</script></body></html>\n")


def _label(results: Results, chart: str) -> str:
    """A chart's name in the page's navigation: ``Timeline``, or an exposure chart's metric title."""
    names = {"outlook": "Outlook over time", "timeline": "Timeline", "in_force": "In force",
             "populations": "Populations", "comparison": "Comparison", "differences": "Paired differences"}
    return names.get(chart) or data.metric_title(results.scenario, chart.removeprefix("exposure-"))


def check_target(path: str | os.PathLike[str], force: bool = False) -> Path:
    """Refuse, before any work, a page path that cannot be written: a folder, a missing or read-only parent, or a
    file docket did not write (without ``force``, which replaces it).

    Raises:
        DocketError: naming the path, with a hint.
    """
    target = Path(path)
    if target.is_dir():
        raise DocketError(f"cannot write {target}: it is a folder\n    hint:     give a file name, e.g. "
                          f"{target / 'report.html'}")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise DocketError(f"cannot write {target}: the folder {parent} does not exist\n    hint:     create it first")
    if not os.access(parent, os.W_OK):
        raise DocketError(f"cannot write {target}: the folder {parent} is not writable\n    hint:     choose another "
                          "--out")
    if target.exists() and not force:
        with open(target, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
        if f'name="generator" content="{GENERATOR}' not in head:
            raise DocketError(f"{target} exists and was not written by docket\n    hint:     choose another --out, "
                              "or pass --force to replace it")
    return target


def write_page(results: Results, path: str | os.PathLike[str], others: Sequence[Results] = (),
               record: dict[str, Any] | None = None, records: Sequence[dict[str, Any]] = ()) -> Path:
    """Write :func:`page` to ``path`` atomically (a failure leaves the old file, never half a page)."""
    target = Path(path)
    write_text(target, page(results, others, record, records))
    return target


def read_runs(run_dirs: Sequence[str | os.PathLike[str]]) -> list[tuple[Results, dict[str, Any]]]:
    """Each run folder read back with its ``run.json``; a folder of another docket version is read when its files
    load, else refused naming both versions.

    Raises:
        DocketError: a folder that is not a run folder, or one that this version cannot read.
    """
    out = []
    for run_dir in run_dirs:
        try:
            record = read_run(run_dir)
        except DocketError as exc:
            raise DocketError(f"{run_dir} is not a run folder: {exc}\n    hint:     give folders written by "
                              "`docket run` (they hold run.json and summary.json)") from None
        version = record.get("docket_version")
        try:
            out.append((load_results(run_dir), record))
        except DocketError as exc:
            if version == sim.__version__:
                raise
            raise DocketError(f"{run_dir} was written by docket {version}, which this docket ({sim.__version__}) "
                              f"cannot read: {exc}\n    hint:     re-run it with `docket run --from {run_dir}`"
                              ) from None
    return out


def write_report(run_dirs: Sequence[str], out: str | os.PathLike[str], force: bool = False,
                 forecast: str | os.PathLike[str] | None = None) -> Path:
    """``docket report``: one page of the first run folder, compared with the others (runs of other scenarios
    are allowed and labelled with their scenario's title), with the outlook over time of the ``forecast`` folder
    (written by ``docket forecast`` for the first run's scenario) beside the current view; returns the page."""
    target = check_target(out, force)
    outlook = read_outlook(forecast) if forecast is not None else None
    runs = read_runs(run_dirs)
    (first, record), rest = runs[0], runs[1:]
    if outlook is not None:
        check_scenario(outlook, first.scenario.name)
    older = [f"{d} (docket {rec.get('docket_version')})" for d, (_, rec) in zip(run_dirs, runs, strict=True)
             if rec.get("docket_version") != sim.__version__]
    try:
        text = page(first, [r for r, _ in rest], record, [rec for _, rec in rest], outlook)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if not older:
            raise
        raise DocketError(f"cannot chart {', '.join(older)} with docket {sim.__version__}: its files differ "
                          f"({type(exc).__name__}: {exc})\n    hint:     re-run it with `docket run --from "
                          "RUN_DIR`") from None
    write_text(target, text)
    return target
