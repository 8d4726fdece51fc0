"""The outlook over time on the web page: a folder written by ``docket forecast``, drawn beside the current view.

``docket report RUN_DIR --forecast FOLDER`` adds one chart to the page: each measure's chance of being in force
by the forecast's key date as seen on each as-of date, the record's outcome at the right, the facts of the record
that moved it as dotted lines, and the "what changed" text. Its finding, measures, colours and facts are those of
``forecast.png``, read from the folder's ``forecast.json`` (:func:`plots.forecast.outlook`), so the two never
disagree and nothing is re-run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from plots.forecast import OUTLOOK_NAME
from plots.web_figures import HOVER_DAY, Chart, figure_layout
from sim.scenario.errors import DocketError
from sim.text.convention import IN_FORCE_BY
from sim.text.humanize import percent

try:
    import plotly.graph_objects as go
except ImportError as exc:  # pragma: no cover - the web extra is in the test extra
    raise DocketError("the web page needs Plotly: pip install -e '.[web]' in the docket checkout "
                      "(or pip install plotly)") from exc


@dataclass(frozen=True)
class Outlook:
    """A forecast folder read back: its words and marks (``forecast.json``), its table and the record's outcome."""

    folder: Path
    meta: dict[str, Any]
    table: pd.DataFrame
    outcome: pd.DataFrame


def read_outlook(folder: str | os.PathLike[str]) -> Outlook:
    """Read a folder written by ``docket forecast``.

    Raises:
        DocketError: naming the folder and the file it lacks, with the command that writes one.
    """
    root = Path(folder)
    needed = [root / OUTLOOK_NAME, root / "forecast.csv", root / "outcome.csv"]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        raise DocketError(f"--forecast {root} is not a folder written by `docket forecast`: it has no "
                          f"{', '.join(missing)}\n    hint:     write one with `docket forecast FILE --every week "
                          f"--out {root}` (a folder from an older docket: run that again)")
    try:
        meta = json.loads(needed[0].read_text(encoding="utf-8"))
        table = pd.read_csv(needed[1], dtype={"as_of": str, "date": str})
        outcome = pd.read_csv(needed[2], dtype={"as_of": str, "date": str})
    except (ValueError, OSError) as exc:
        raise DocketError(f"cannot read the forecast in {root}: {exc}\n    hint:     write it again with "
                          "`docket forecast`") from None
    return Outlook(root, meta, table, outcome)


def check_scenario(outlook: Outlook, name: str) -> None:
    """Refuse a forecast of another scenario than the page's.

    Raises:
        DocketError: naming both scenarios.
    """
    if outlook.meta.get("scenario") != name:
        raise DocketError(f"--forecast {outlook.folder} is a forecast of {outlook.meta.get('scenario')!r}, but the "
                          f"page is of {name!r}\n    hint:     give the forecast of the first run's scenario")


def _chances(outlook: Outlook, measure: str) -> pd.DataFrame:
    t, target = outlook.table, outlook.meta["target"]
    rows = t[(t["kind"] == "in_force_by") & (t["target"] == measure) & (t["date"] == target)]
    return rows.sort_values("as_of")[["as_of", "value"]]


def _outcome(outlook: Outlook, measure: str) -> float | None:
    o, target = outlook.outcome, outlook.meta["target"]
    rows = o[(o["kind"] == "in_force_by") & (o["target"] == measure) & (o["date"] == target)]
    return float(rows["value"].iloc[0]) if len(rows) else None


def chart(outlook: Outlook) -> Chart:
    """The chance-over-time chart of ``outlook`` as the page's ``outlook`` section."""
    meta, fig, frames = outlook.meta, go.Figure(), []
    target = dt.date.fromisoformat(meta["target"])
    dates = sorted(set(outlook.table["as_of"]))
    last = dt.date.fromisoformat(dates[-1])
    alt = [meta["finding"]]
    for i, m in enumerate(meta["measures"]):
        rows = _chances(outlook, m["id"])
        fig.add_trace(go.Scatter(x=list(rows["as_of"]), y=list(rows["value"]), mode="lines+markers",
                                 line_shape="hv", name=m["title"], legendgroup=m["id"],
                                 line={"color": m["color"], "width": 2.6}, marker={"size": 6},
                                 customdata=[percent(p) for p in rows["value"]],
                                 hovertemplate=f"as seen on {HOVER_DAY}: %{{customdata}} of runs<extra>"
                                 f"{m['title']}</extra>"))
        said = f"{m['title']}: " + ", ".join(f"{d} {percent(p)}" for d, p in zip(rows["as_of"], rows["value"],
                                                                                  strict=True))
        outcome = _outcome(outlook, m["id"])
        if outcome is not None:
            at = (last + dt.timedelta(days=2 + 2 * i)).isoformat()
            word = "took effect" if outcome >= 0.5 else "did not take effect"
            fig.add_trace(go.Scatter(x=[at], y=[outcome], mode="markers", legendgroup=m["id"], showlegend=False,
                                     marker={"symbol": "diamond", "size": 12, "color": m["color"] if outcome >= 0.5
                                             else "white", "line": {"color": m["color"], "width": 2}},
                                     hovertemplate=f"the record: {word} by {target:%-d %b %Y}<extra>{m['title']}"
                                     "</extra>"))
            said += f"; the record: {word}"
        alt.append(said + ".")
        frames.append(rows.assign(measure=m["id"], target_date=meta["target"]))
    gap = max((last - dt.date.fromisoformat(dates[0])).days / 40, 1.0)
    previous: dt.date | None = None
    for f in meta["facts"]:
        day = dt.date.fromisoformat(f["date"])
        right = previous is not None and (day - previous).days < 2 * gap  # close facts: one label each side
        previous = None if right else day
        fig.add_vline(x=f["date"], line={"color": "#999999", "width": 1, "dash": "dot"})
        fig.add_annotation(x=f["date"], y=1.04, text=f["text"].split(" ", 1)[1], showarrow=False, textangle=-90,
                           xanchor="left" if right else "right", yanchor="top", font={"size": 11, "color": "#555555"},
                           hovertext=f["text"] + (f" (source: {f['source']})" if f.get("source") else ""))
    figure_layout(fig, 440, f"P(in force by {target:%-d %b %Y})", percent_axis=True)
    alt += [f"Fact of the record: {f['text']}." for f in meta["facts"]]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Chart("outlook", meta["finding"],
                 f"{meta['title']}: the chance each measure is in force by {target:%-d %b %Y}, as seen on each date "
                 f"(the record's facts up to it fixed; {meta['replications']:,} runs per date on common random "
                 f"numbers); diamond at the right: the record's outcome (filled: took effect); dotted: the facts that "
                 f"moved it. {IN_FORCE_BY.capitalize()}.", fig, table, alt)
