"""Plain-language views of a scenario: the planned timeline (``docket plan``), one replication told as a
story (``docket explain``), and the terminal summary of a run."""

from __future__ import annotations

from typing import Any

from sim.engine.cohorts import members
from sim.engine.draws import ChunkDraws
from sim.engine.replications import grids, replicate
from sim.engine.streams import Streams
from sim.runs.results import Results
from sim.scenario.calendar import day_to_date
from sim.scenario.dates import DateSpec
from sim.scenario.loaded import run_defaults
from sim.scenario.planned import date_order, planned_text
from sim.scenario.schema import Event, Measure, Scenario, Shock
from sim.scenario.values import Dist
from sim.text import convention, summary_tables
from sim.text.humanize import number, percent
from sim.text.titles import variant_title


def _p(dist: Dist | None) -> str:
    if dist is None:
        return "certain"
    return percent(dist.params[0]) if dist.is_fixed else dist.describe()


def plan_text(s: Scenario) -> str:
    """The timeline as planned, before any randomness: dates in the order they fall (a relative date whose
    anchor is certain shows its day, :mod:`sim.scenario.planned`), and what could move them.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> print(plan_text(load_scenario("scenarios/quickstart.yaml")).splitlines()[3])
        2026-03-01                         deadline sales_ban: Router sales ban
    """
    window = f"{planned_text(s, s.window.start)} to {planned_text(s, s.window.end)}"
    lines = [f"{s.title}", f"window {window}, report every {s.report}, "
             f"{s.replications} replications, seed {s.seed}" + (f", variant {s.variant}" if s.variant else ""), ""]
    items: list[tuple[DateSpec, str]] = []
    for e in s.events:
        req = f"; requires {', '.join(e.requires)}" if e.requires else ""
        items.append((e.date, f"event    {e.id}: {e.title or ''} (probability {_p(e.probability)}{req})"))
    for m in s.measures:
        items.append((m.deadline, f"deadline {m.id}" + (f": {m.title}" if m.title else "")))
        for c in m.challenges:
            items.append((c.decision, f"court    {m.id}: {c.title or c.id} decides; injunction {_p(c.injunction)}"))
        for dec in m.decisions:
            length = (f"extends by {dec.extend.describe()} from the {dec.from_}" if dec.extend is not None
                      else f"extends to {planned_text(s, dec.until)}" if dec.until is not None else "")
            items.append((dec.date, f"decision {m.id}: {dec.title or dec.id} {length}"
                          + ("; replaces a running extension" if dec.replaces else "")
                          + ("; not counted as an extension" if not dec.counts else "")
                          + (f" (probability {_p(dec.probability)})" if dec.probability is not None else "")))
    for c in s.rulings:
        items.append((c.decision, f"court    {', '.join(c.measures)}: {c.title or c.id} decides once for all; "
                      f"injunction {_p(c.injunction)}"))
    for sh in s.shocks:
        lasts = f"for {sh.duration.describe()}" if sh.duration is not None else "to the end of the window"
        lasts += f" at {sh.intensity.describe()} strength" if sh.intensity is not None else ""
        items.append((sh.date, f"shock    {sh.id}: {sh.title or ''} ({lasts}, probability {_p(sh.probability)}, in "
                               "both runs)"))
    for spec, text in sorted(items, key=lambda it: date_order(s, it[0])):
        lines.append(f"{planned_text(s, spec):<34} {text}")
    lines.append("")
    for m in s.measures:
        lines.append(f"{m.id}: " + "; ".join(_rules(m)))
    return "\n".join(lines)


def _cohorts(m: Measure) -> list[str]:
    """The cohort groups of ``m``, for its rules line."""
    groups = []
    for g in m.cohorts or []:
        n = len(g.starts) if g.starts is not None else g.members or 1
        when = "listed starts" if g.starts is not None else f"starts {g.start.describe() if g.start else '?'}"
        period = f" + {g.period.describe()}" if g.period is not None else ""
        groups.append(f"{g.id} ({_p(g.share)}, {n} member{'s' if n > 1 else ''}, {when}{period})")
    return [f"cohorts, each member bound from its own date: {', '.join(groups)}"] if groups else []


def _rules(m: Measure) -> list[str]:
    out = [f"{len(m.effects)} effect{'s' if len(m.effects) > 1 else ''}: " + ", ".join(e.type for e in m.effects)]
    out += _cohorts(m)
    d = m.deferral
    if d is not None and d.steps:
        out.append("each deadline deferred by a chain: " + ", then ".join(
            f"{x.title or 'a step'} ({_p(x.probability)}, {x.delay.describe()}"
            + (f", up to {x.times} times" if x.times > 1 else "")
            + (f", each {x.decay.describe()} as likely" if x.decay is not None else "") + ")" for x in d.steps)
            + (f"; {d.stricter.factor.describe()} as likely once {d.stricter.on} occurred" if d.stricter else ""))
    elif d is not None:
        times = f"{d.max} time{'s' if (d.max or 0) > 1 else ''}"
        how = (f"by {', then '.join(x.describe() for x in d.schedule)}" if d.schedule
               else f"by {d.delay.describe() if d.delay else '?'}, at most {times}")
        out.append(f"each deadline deferred with probability {_p(d.probability)} {how}")
    out += [f"waiver {w.id}: {w.share.describe()} exempt" for w in m.waivers]
    if m.shelving is not None:
        trigger = m.shelving.on or (m.shelving.date.describe() if m.shelving.date else "hazard")
        out.append(f"shelved on {trigger} with probability {_p(m.shelving.probability)}")
    if m.lifted_by:
        out.append(f"lifted by {', '.join(m.lifted_by)}")
    if m.unless:
        out.append(f"cancelled if {', '.join(m.unless)} occurred by the deadline")
    return out


def explain_text(s: Scenario, replication: int, seed: int | None = None) -> str:
    """Replication ``replication`` told in dated sentences (same draws as in a full run)."""

    sd = run_defaults(s, seed=seed)[1]
    start = s.start_day
    chunk = replicate(s, sd, replication, replication + 1, grids(s)[0])
    named: list[Measure | Event | Shock] = [*s.measures, *s.events, *s.shocks]
    titles = {x.id: x.title or x.id for x in named}
    lines = [f"replication {replication} of {s.name}" + (f" ({s.variant})" if s.variant else "") + f", seed {sd}"]
    for _, day, subject, what, why in chunk.log.rows():
        because = f" ({why})" if why else ""
        lines.append(f"{day_to_date(start + day)}: {titles.get(subject, subject)} {what}{because}")
    if len(lines) == 1:
        lines.append("nothing happened: no event occurred and no deadline fell inside the window")
    for mi, m in enumerate(s.measures):
        first = chunk.first_in_force[0, mi]
        state = f"first in force {day_to_date(start + int(first))}" if first < 1e18 else "never in force"
        lines.append(f"  {m.id}: {state}")
    found = members(s, ChunkDraws(Streams(sd), replication, replication + 1, start))
    if found is not None:
        days = sorted(found.days[0].tolist())
        lines.append(f"  {s.measures[found.measure].id}: {len(days)} members, each bound from its own date once "
                     f"the measure is in force: from {day_to_date(start + days[0])} to "
                     f"{day_to_date(start + days[-1])} ({len(set(days))} distinct dates)")
    return "\n".join(lines)


def split_sentence(split: dict[str, Any], labelled: bool = True) -> str:
    """A split outcome of ``summary.json`` as a forecaster says it: the chance of each side and its median
    (``labelled``: with the branch's side named in brackets).

    Example:
        >>> split_sentence({"title": "User-days", "quantity": "cumulative", "unit": "user-days",
        ...     "date": "2021-06-30", "sides": [{"label": "if the deal closes", "probability": 0.34, "p50": 35e9},
        ...                                     {"label": "if not", "probability": 0.66, "p50": 0.0}]})
        'User-days by 2021-06-30: 34% chance of about 35B user-days (if the deal closes), otherwise about 0'
    """
    yes, no = split["sides"]
    when = "on" if split["quantity"] == "stock" else "by"
    added = split["quantity"] == "avoided" and yes["p50"] <= 0 and no["p50"] <= 0
    sign = -1 if added else 1
    title = split["title"].replace(" avoided", " added by the measures") if added else split["title"]
    return (f"{title} {when} {split['date']}: {percent(yes['probability'])} chance of about "
            f"{number(sign * yes['p50'])} {split['unit']}" + (f" ({yes['label']})" if labelled else "") +
            f", otherwise about {number(sign * no['p50'])}")


def summary_text(res: Results) -> str:
    """The terminal summary of a run: measures by key date, exposure with intervals, populations; every table
    says its statistic (:mod:`sim.text.convention`) and unit.

    Example:
        >>> from sim import load_scenario, run
        >>> text = summary_text(run(load_scenario("scenarios/quickstart.yaml"), replications=20))
        >>> print(text.splitlines()[2])
        Lines and figures: mean of 20 runs; bands and ranges: 5–95% of runs
    """
    sm = res.summary
    variant = variant_title(res.scenario)
    lines = [f"{sm['title']}" + (f" [{variant}]" if variant else ""),
             f"{res.replications} replications, seed {res.seed}, {res.wall_time:.1f} s",
             convention.band_text(res.replications)]
    for table in summary_tables.tables(res):
        lines += ["", *summary_tables.text_lines(table)]
    splits = sm.get("splits", [])
    if splits:
        lines += ["", "split outcomes (a median across two clusters misleads; each side's median):"]
        lines += [f"  {split_sentence(sp)}" for sp in splits]
    return "\n".join(lines)


def next_steps(folder: str, source: str | None) -> str:
    """The commands worth running after ``docket run``: the briefing pack, or charts of this run folder.

    Example:
        >>> next_steps("runs/quickstart", "scenarios/quickstart.yaml")
        'next: docket plot runs/quickstart (charts of this run) or docket brief scenarios/quickstart.yaml (run + pack)'
    """
    brief = f" or docket brief {source} (run + pack)" if source else ""
    return f"next: docket plot {folder} (charts of this run){brief}"
