"""The key numbers of a run as HTML (no Plotly): the bottom line, the exposure cards, the split outcomes, and per
key date the chance each measure is in force and each population's size. The web page (:mod:`plots.web`) and a
notebook's view of a run (:mod:`plots.notebook`) show them; every figure carries its exact value (``data-value``)
and is written as the terminal summary writes it (:func:`sim.text.narrate.summary_text`).
"""

from __future__ import annotations

import html

from plots import data
from plots import key_numbers as pack_page
from sim.runs.results import Results
from sim.text import convention
from sim.text.humanize import number, percent
from sim.text.narrate import split_sentence

e = html.escape


def _cell(text: str, key: str, value: float, strong: bool = False) -> str:
    inner = f"<strong>{e(text)}</strong>" if strong else e(text)
    return f'<td data-key="{e(key)}" data-value="{value!r}">{inner}</td>'


def key_numbers(results: Results) -> str:
    """The bottom line, the exposure cards, the split outcomes, and per key date (a chooser) the chance each
    measure is in force and each population's size."""
    sm = results.summary
    parts = [f'<p class="bottom-line" id="bottom-line">{e(" ".join(pack_page.bottom_line(results)))}</p>']
    cards = []
    for mid, x in sm["exposure"].items():
        mean, lo, hi = convention.headline(x["total"])
        a = x["avoided"]
        change = (f"avoided: {convention.figure(a)}" if a[convention.HEADLINE] >= 0 else
                  f"added by the measures: {number(-a['mean'])} ({number(-a['p95'])} to {number(-a['p05'])})")
        cards.append(f'<div class="card"><h3>{e(x["title"])}</h3><p class="big" data-key="exposure.{e(mid)}.total.mean"'
                     f' data-value="{mean!r}">{e(number(mean))} {e(x["unit"])}</p><p>{convention.INTERVAL}: '
                     f'{e(number(lo))} to {e(number(hi))}<br>{e(change)}<br>with no measure: '
                     f'{e(number(x["counterfactual"][convention.HEADLINE]))}</p></div>')
    if cards:
        parts.append(f"<h3>Exposure accumulated by {e(sm['window']['end'])}: {convention.STATISTIC} "
                     f"({convention.INTERVAL} of runs)</h3><div class=\"cards\">{''.join(cards)}</div>")
    if sm.get("splits"):
        parts.append("<h3>Split outcomes</h3><p>A median across two clusters misleads: each side's chance and "
                     "median.</p><ul>" + "".join(f"<li>{e(split_sentence(sp))}</li>" for sp in sm["splits"]) + "</ul>")
    keys = sm["key_dates"]
    if keys:
        options = "".join(f'<option value="{k}"{" selected" if k == keys[-1] else ""}>{e(k)}</option>' for k in keys)
        parts.append(f'<p><label for="date-chooser"><strong>Key date:</strong></label> <select id="date-chooser">'
                     f"{options}</select></p>")
        for k in keys:
            parts.append(f'<div class="on-date" data-date="{k}"{"" if k == keys[-1] else " hidden"}>'
                         + _on_date(results, k) + "</div>")
    return "\n".join(parts)


def _on_date(results: Results, k: str) -> str:
    sm = results.summary
    rows = "".join(
        f"<tr><th scope=\"row\">{e(m['title'])}</th>"
        + _cell(percent(m["p_in_force_on"][k]), f"measures.{mid}.p_in_force_on.{k}", m["p_in_force_on"][k],
                m["p_in_force_on"][k] >= 0.5)
        + _cell(percent(m["p_in_force_by"][k]), f"measures.{mid}.p_in_force_by.{k}", m["p_in_force_by"][k])
        + _cell(percent(m["p_never_in_force"]), f"measures.{mid}.p_never_in_force", m["p_never_in_force"]) + "</tr>"
        for mid, m in sm["measures"].items())
    out = ""
    if rows:
        out += (f"<table class=\"measures\"><caption>Chance each measure is in force, {e(k)} "
                f"(share of {results.replications:,} runs)</caption><thead><tr><th scope=\"col\">Measure</th>"
                "<th scope=\"col\">in force on (that day)</th><th scope=\"col\">in force by (took effect on or "
                "before)</th><th scope=\"col\">never in force</th></tr></thead><tbody>" + rows + "</tbody></table>")
    units = {p.id: p.unit or p.kind for p in results.scenario.populations}
    pops = "".join(f"<tr><th scope=\"row\">{e(data.population_title(results.scenario, pid))}</th>"
                   + _cell(number(by[k][convention.HEADLINE]), f"populations.{pid}.{k}.mean", by[k]["mean"])
                   + f"<td>{e(number(by[k][convention.LOW]))} to {e(number(by[k][convention.HIGH]))}</td>"
                   f"<td>{e(units.get(pid, ''))}</td></tr>" for pid, by in sm["populations"].items())
    if pops:
        out += (f"<table class=\"populations\"><caption>Populations on {e(k)}</caption><thead><tr><th scope=\"col\">"
                f"Population</th><th scope=\"col\">{convention.STATISTIC}</th><th scope=\"col\">{convention.INTERVAL}"
                "</th><th scope=\"col\">unit</th></tr></thead><tbody>" + pops + "</tbody></table>")
    return out
