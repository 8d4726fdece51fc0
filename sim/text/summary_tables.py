"""The tables of a run's summary as cells: measures by key date, exposure with intervals, populations by key date.

One source for every medium: the terminal summary (:func:`sim.text.narrate.summary_text`) lays them out as
fixed-width text (:func:`text_lines`), a notebook's view of a run (``Results._repr_html_``) as HTML tables; so
both show the same numbers, written the same way. Each number cell carries the exact value it rounds and where
``summary.json`` holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.runs.results import Results
from sim.text import convention
from sim.text.humanize import interval, number, percent


@dataclass(frozen=True)
class Cell:
    """One cell: its text; for a single number, the exact value and its dotted key in ``summary.json``."""

    text: str
    value: float | None = None
    key: str = ""


@dataclass(frozen=True)
class Table:
    """One table: heading cells, rows of cells, the note under it (``""``: none), and its terminal layout (column
    widths; the first ``left`` columns align left, the rest right; ``rule``: a dashed line under the heading)."""

    head: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[int, ...]
    left: int
    note: str = ""
    rule: bool = False


def tables(res: Results) -> list[Table]:
    """The measures, exposure and populations tables of ``res`` (each present, possibly without rows).

    Example:
        >>> from sim import load_scenario, run
        >>> t = tables(run(load_scenario("scenarios/quickstart.yaml"), replications=20))
        >>> [table.head[0] for table in t]
        ['P(in force on)', 'exposure to 2027-12-31', 'population: mean']
        >>> t[0].rows[0][1].text, t[0].rows[0][1].key
        ('100%', 'measures.sales_ban.p_in_force_on.2027-12-31')
    """
    sm = res.summary
    keys = sm["key_dates"]
    measures = tuple(
        (Cell(mid), *(Cell(percent(m["p_in_force_on"][k]), m["p_in_force_on"][k], f"measures.{mid}.p_in_force_on.{k}")
                      for k in keys),
         Cell(percent(m["p_never_in_force"]), m["p_never_in_force"], f"measures.{mid}.p_never_in_force"))
        for mid, m in sm["measures"].items())
    out = [Table(("P(in force on)", *keys, "never"), measures, (28, *[12] * len(keys), 9), 1,
                 f"({convention.IN_FORCE_ON}; never: not in force on any day of the window)" if measures else "",
                 rule=True)]
    rows = []
    for mid, e in sm["exposure"].items():
        a = e["avoided"]
        change = convention.figure(a) if a[convention.HEADLINE] >= 0 else \
            "added " + interval(-a["mean"], -a["p95"], -a["p05"])
        rows.append((Cell(mid), Cell(e["unit"]),
                     Cell(convention.figure(e["total"]), e["total"]["mean"], f"exposure.{mid}.total.mean"),
                     Cell(change, a["mean"], f"exposure.{mid}.avoided.mean")))
    added = any(e["avoided"][convention.HEADLINE] < 0 for e in sm["exposure"].values())
    out.append(Table((f"exposure to {sm['window']['end']}", "unit", convention.table_heading("total"),
                      convention.table_heading("avoided (or added)")), tuple(rows), (28, 14, 30, 40), 2,
                     "(avoided = without measures minus with them; added: the measures increase this exposure)"
                     if added else ""))
    units = {p.id: p.unit or p.kind for p in res.scenario.populations}
    pops = tuple((Cell(pid), Cell(units.get(pid, "")),
                  *(Cell(number(by[k][convention.HEADLINE]), by[k][convention.HEADLINE],
                         f"populations.{pid}.{k}.{convention.HEADLINE}") for k in keys))
                 for pid, by in sm["populations"].items())
    out.append(Table((f"population: {convention.STATISTIC}", "unit", *keys), pops, (28, 14, *[12] * len(keys)), 2))
    return out


def text_lines(table: Table) -> list[str]:
    """The table as the terminal prints it: fixed-width columns (the first cut to fit), then its note."""

    def line(cells: tuple[str, ...], cut: bool) -> str:
        parts = []
        for i, (cell, width) in enumerate(zip(cells, table.widths, strict=True)):
            cell = cell[:width - 1] if cut and i == 0 else cell
            parts.append(f"{cell:<{width}}" if i < table.left else f"{cell:>{width}}")
        return "".join(parts)

    head = line(table.head, False)
    lines = [head, *(["-" * len(head)] if table.rule else [])]
    lines += [line(tuple(c.text for c in row), True) for row in table.rows]
    return lines + ([table.note] if table.note else [])
