"""A run in a notebook: ``Results._repr_html_``, ``Results.plot`` and ``Results.to_html`` (the ``web`` view of
:mod:`sim.runs.views`, registered in ``pyproject.toml``).

The view shows the bottom line (:func:`plots.key_numbers.bottom_line`), the terminal summary's tables from the
same cells (:mod:`sim.text.summary_tables`), the split outcomes, and a small in-force chart as an inline PNG (no
script: notebooks that do not trust the output still show it). Plotly is loaded only by :func:`plot` and
:func:`to_html`, so the table shows without the ``web`` extra.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from plots import in_force
from plots import key_numbers as pack_page
from sim.runs.results import Results
from sim.scenario.errors import DocketError
from sim.text import convention, findings, summary_tables
from sim.text.narrate import split_sentence
from sim.text.titles import variant_title

e = html.escape
CHART_DPI = 48
"""Resolution of the small chart: the pack's in-force page at a quarter of its 200 dpi."""


def _table(table: summary_tables.Table) -> str:
    def cell(c: summary_tables.Cell, i: int) -> str:
        align = "left" if i < table.left else "right"
        data = f' data-key="{e(c.key)}" data-value="{c.value!r}"' if c.key else ""
        return f'<td style="text-align:{align};padding:0 .6em"{data}>{e(c.text)}</td>'

    head = "".join(f'<th style="text-align:{"left" if i < table.left else "right"};padding:0 .6em">{e(h)}</th>'
                   for i, h in enumerate(table.head))
    rows = "".join("<tr>" + "".join(cell(c, i) for i, c in enumerate(row)) + "</tr>" for row in table.rows)
    note = f"<caption style=\"caption-side:bottom;text-align:left\">{e(table.note)}</caption>" if table.note else ""
    return f"<table>{note}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _chart_png(results: Results) -> str:
    fig = in_force.plot(results)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=CHART_DPI)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def repr_html(results: Results) -> str:
    """The notebook view of a run: what the terminal prints after ``docket run``, as HTML, and a small chart."""
    s, sm = results.scenario, results.summary
    variant = variant_title(s)
    parts = [f"<h3>{e(s.title)}{e(f' · {variant}' if variant else '')}</h3>",
             f"<p>{e(' '.join(pack_page.bottom_line(results)))}</p>",
             f"<p><em>{results.replications:,} replications, seed {results.seed}. "
             f"{e(convention.band_text(results.replications))}.</em></p>"]
    parts += [_table(t) for t in summary_tables.tables(results) if t.rows]
    if sm.get("splits"):
        parts.append("<p>Split outcomes (a median across two clusters misleads; each side's median):</p><ul>"
                     + "".join(f"<li>{e(split_sentence(sp))}</li>" for sp in sm["splits"]) + "</ul>")
    if s.measures:
        parts.append(f'<img alt="{e(findings.in_force(results))}" '
                     f'src="data:image/png;base64,{_chart_png(results)}">')
    parts.append("<p><em>res.plot(\"in_force\") for the interactive chart; res.to_html(\"page.html\") for the whole "
                 "briefing as one page.</em></p>")
    return '<div class="docket-results">' + "".join(parts) + "</div>"


def plot(results: Results, chart: str = "in_force") -> Any:
    """The page's Plotly figure ``chart`` of ``results``.

    Raises:
        DocketError: an unknown chart, listing those there are.
    """
    from plots import web

    found = {c.id: c for c in web.charts(results)}
    if chart == "exposure" and results.scenario.metrics:
        chart = f"exposure-{results.scenario.metrics[0].id}"
    if chart not in found:
        raise DocketError(f"no chart {chart!r}; charts are: {', '.join(found)}")
    return found[chart].figure


def to_html(results: Results, path: str | os.PathLike[str]) -> Path:
    """Write the page ``docket brief --html`` writes for ``results`` (atomically) to ``path``."""
    from plots import web

    return web.write_page(results, web.check_target(path, force=False))
