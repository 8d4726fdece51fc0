"""Findings as titles, one convention, added versus avoided, one meaning per colour, names for people, and the
terminal tables: every title is computed from the results, so changing the data changes the title."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pytest
from click.testing import CliRunner
from matplotlib.colors import to_hex

from cli import cli
from plots import assumptions, exposure, in_force, key_numbers, pack, populations, style, timeline
from plots.style import header_texts
from sim.text import convention, findings
from sim.text.humanize import number
from tests.conftest import build, measure

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "tiktok-wechat-2020.yaml"
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def ran(**changes: Any) -> Any:
    from sim import run

    return run(build(**changes), replications=200)


@pytest.fixture(scope="module")
def flagship() -> Any:
    from sim import load_scenario, run

    return run(load_scenario(FLAGSHIP), replications=100)


@pytest.fixture(scope="module")
def adding() -> Any:
    """A measure that stops updates: the unpatched metric is added by the measures, not avoided."""
    from sim import load_scenario, run

    return run(load_scenario(QUICKSTART), replications=50)


def test_in_force_title_follows_the_chance_of_being_on_time() -> None:
    """The in-force title is the exact chance the measure is in force by its deadline; changing the deferral
    probability changes the title (and a certain measure gets "every run", not "100%")."""
    sure = ran(measures=[measure()])
    assert findings.in_force(sure) == "Every measure is in force by its planned deadline in every run"
    titles = []
    for p in (0.3, 0.7):
        res = ran(measures=[measure(deferral={"probability": p, "delay": "30d", "max": 1})])
        on_time = float((res.effective["date"] <= "2020-03-01").mul(res.effective["probability"]).sum())
        title = findings.in_force(res)
        assert title == f"ban: in force by its deadline (1 Mar 2020) {findings.chance(on_time)}", title
        assert header_texts(in_force.plot(res))["title"].replace("\n", " ") == title
        titles.append(title)
    assert titles[0] != titles[1], "different data, different title"


def test_exposure_title_changes_with_the_data(flagship: Any) -> None:
    """The exposure title compares the mean with the no-measure mean; edit the summary and the title follows."""
    title = findings.exposure(flagship, "tiktok_user_days")
    e = flagship.summary["exposure"]["tiktok_user_days"]
    assert f"{findings.amount(e['total']['mean'])} vs {findings.amount(e['counterfactual']['mean'])}" in title
    edited = copy.copy(flagship)
    edited.summary = copy.deepcopy(flagship.summary)
    edited.summary["exposure"]["tiktok_user_days"]["total"]["mean"] = 3 * e["counterfactual"]["mean"]
    new = findings.exposure(edited, "tiktok_user_days")
    assert new != title and "more than triple" in new, new


def test_population_and_timeline_titles_follow_the_data() -> None:
    """A stronger measure gives a bigger cut in the population title; a longer delay a later median delay."""
    weak = ran(measures=[measure(effects=[{"type": "scale_inflow", "population": "users", "factor": 0.8}])])
    strong = ran(measures=[measure()])
    assert findings.populations(weak) != findings.populations(strong)
    assert "cut it by" in findings.populations(strong), findings.populations(strong)
    short, long = (findings.timeline(ran(measures=[measure(deferral={"probability": 0.5, "delay": d, "max": 1})]))
                   for d in ("10d", "120d"))
    assert "by a median 10 days" in short and "by a median 4 months" in long, (short, long)


@pytest.mark.parametrize("p", [i / 200 for i in range(1, 200)])
def test_frequencies_are_near_the_percentage(p: float) -> None:
    """`about n in d` is within 5 points of p (and its rarer side within a factor 1.25 of p or 1 - p below 20% or
    above 80%), never "0 in", "1 in 1" or "10 in 10", and a chance strictly between 0 and 1 is never "every"
    or "no"."""
    words = findings.frequency(p)
    found = re.fullmatch(r"about ([\d,]+) in ([\d,]+)", words)
    assert found, words
    n, d = (int(x.replace(",", "")) for x in found.groups())
    assert 0 < n < d, words
    assert abs(n / d - p) <= 0.05 + 1e-9, (p, words)
    if not 0.2 <= p <= 0.8:
        rare, q = (n / d, p) if p < 0.2 else ((d - n) / d, 1 - p)
        assert 1 / 1.25 <= rare / q <= 1.25, (p, words)
    assert "%" in findings.chance(p) and findings.chance(p) != "in every run"


def test_added_by_the_measures_is_positive_and_in_the_warning_colour(adding: Any) -> None:
    """A metric the measures increase is titled "added by the measures" on a positive axis, in the warning
    colour; its numbers carry no minus sign."""
    mid = adding.scenario.metrics[0].id
    assert adding.summary["exposure"][mid]["avoided"]["mean"] < 0, "the quickstart's measure adds exposure"
    fig = exposure.plot(adding, mid)
    third = fig.axes[2]
    assert third.get_title(loc="left") == exposure.ADDED_TITLE
    assert to_hex(third.get_lines()[0].get_color()) == style.ADDED.lower()
    assert min(third.get_lines()[0].get_ydata()) >= 0 and third.get_ylim()[0] >= -1e-9
    assert "added by the measures" in header_texts(fig)["title"]
    texts = " ".join(t.get_text() for a in fig.axes for t in a.texts)
    assert "−" not in texts and "-" not in re.sub(r"\d+[–-]\d+%", "", texts), texts
    page = " ".join(t.get_text() for t in key_numbers.plot(adding).axes[0].texts)
    assert "added by the measures" in page


def test_one_meaning_per_colour() -> None:
    """Measure, quantity, shock, run and study colours are disjoint sets: a colour means one thing in the pack."""
    groups = {"measures": set(style.MEASURE_PALETTE), "runs": set(style.RUN_PALETTE),
              "quantities": {style.EXPOSURE, style.AVOIDED, style.ADDED, style.POPULATION}, "shocks": {style.SHOCK},
              "study": {style.LOW_INPUT, style.HIGH_INPUT}}
    seen: dict[str, str] = {}
    for name, colours in groups.items():
        for c in colours:
            assert c.lower() not in seen, f"{c} is both a {seen.get(c.lower())} and a {name} colour"
            seen[c.lower()] = name
    assert len(groups["quantities"]) == 4


def test_every_page_states_the_convention_and_its_finding(flagship: Any) -> None:
    """Every page of the pack has a convention line in the footer, a title that is not the bare topic, and no
    second interval (no "90% of runs", "50% of runs" or "10-90%")."""
    for stem, fig in pack.pages(flagship):
        texts = header_texts(fig)
        assert ("5–95%" in texts["convention"] or "Chances: share of 100 runs" in texts["convention"]
                or texts["convention"].startswith("Inputs as written")), stem
        every = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
        for other in ("90% of runs", "50% of runs", "10–90%", "10-90%", "median (", "Median on"):
            assert other not in every, f"{stem}: {other!r}"
    titles = {stem: header_texts(fig)["title"].replace("\n", " ") for stem, fig in pack.pages(flagship)}
    assert titles["timeline"] == findings.timeline(flagship) and titles["in_force"] == findings.in_force(flagship)
    assert titles["populations"] == findings.populations(flagship)
    assert titles["exposure-wechat_user_days"] == findings.exposure(flagship, "wechat_user_days")
    assert titles["assumptions-1"].split(":")[0].endswith("inputs")


def test_page_one_opens_with_the_bottom_line(flagship: Any) -> None:
    """Page 1 opens with two or three sentences computed from the results, and its cards lead with the mean."""
    lines = key_numbers.bottom_line(flagship)
    assert 2 <= len(lines) <= 3 and all(line.endswith(".") for line in lines)
    fig = key_numbers.plot(flagship)
    shown = next(t.get_text() for t in fig.axes[0].texts if t.get_gid() == "bottom-line")
    assert shown.replace("\n", " ") == " ".join(lines)
    total = flagship.summary["exposure"]["tiktok_user_days"]["total"]
    cards = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert f"{number(total['mean'])} user-days" in cards and number(total["p50"]) not in cards


def test_split_sentences_nest_no_brackets(flagship: Any) -> None:
    """The flagship's TikTok total splits (a deal or not): page 1 and the outcomes title give both sides with the
    chance in one pair of brackets, never "(in about 2 in 5 runs (36%))"."""
    import re

    from sim.text import findings

    texts = [*findings.bottom_line(flagship), findings.outcomes(flagship)]
    assert any("but the runs split" in t for t in texts) and "two clusters" in texts[-1]
    for t in texts:
        depth = 0
        for ch in t:
            depth += (ch == "(") - (ch == ")")
            assert 0 <= depth <= 1, t
        assert not re.search(r"\(in about [^()]*\(", t), t


def test_assumptions_title_counts_the_sources(flagship: Any) -> None:
    """The annex's title counts the inputs that cite a source, those that are assumptions and those that cite
    nothing, from the rows of the table."""
    rows = assumptions.rows(flagship.scenario)
    title = header_texts(assumptions.plot(flagship, 0))["title"].replace("\n", " ")
    assert title.startswith(f"{len(rows)} inputs: ")
    assumed = sum(r.source.startswith("Assumption") for r in rows)
    assert f"{assumed} are modelling assumptions" in title or f"{assumed} is a modelling assumption" in title


def test_inputs_are_named_as_in_the_annex() -> None:
    """A sensitivity input on an effect is named by the measure's title and the effect's number counted from 1,
    exactly as the assumptions annex names the same value."""
    from sim import load_scenario
    from sim.engine.draws import Input
    from sim.studies.inputs import label

    s = load_scenario(FLAGSHIP)
    rows = {(r.item, r.parameter) for r in assumptions.rows(s)}
    m = next(m for m in s.measures if m.effects and "factor" in type(m.effects[0]).model_fields)
    name = label(s, Input(f"param:measures.{m.id}.effects.0.factor", None))
    assert name == f"{m.title}: effect 1: factor"
    assert (m.title, "effect 1: factor") in rows, "the annex names the same value the same way"
    assert "(effect 0)" not in name and m.id not in name


def test_variant_titles_not_ids() -> None:
    """Footers, page 1 and the terminal name a variant by its title."""
    from sim import load_scenario, run
    from sim.text.narrate import summary_text

    res = run(load_scenario(FLAGSHIP, "as_announced"), replications=20)
    assert "Everything enforced on schedule" in style.footer_text(res)[1]
    assert "as_announced" not in style.footer_text(res)[1]
    assert "Everything enforced on schedule" in " ".join(key_numbers.provenance(res))
    assert summary_text(res).splitlines()[0].endswith("[Everything enforced on schedule]")


def test_terminal_tables_say_statistic_and_unit(flagship: Any) -> None:
    """The run summary states the convention; the exposure table has a unit and says mean (5-95%); the
    population table says it shows means."""
    from sim.text.narrate import summary_text

    text = summary_text(flagship)
    assert convention.band_text(flagship.replications) in text
    assert "total: mean (5–95%)" in text and "user-days" in text
    assert "population: mean" in text and convention.IN_FORCE_ON in text
    e = flagship.summary["exposure"]["tiktok_user_days"]["total"]
    assert convention.figure(e) in text


def test_run_ends_with_the_next_command_and_brief_prints_its_numbers(tmp_path: Path) -> None:
    """`docket run` ends with the commands to chart it; `docket brief` prints the bottom line and tables."""
    runner = CliRunner()
    out = runner.invoke(cli, ["run", str(QUICKSTART), "-n", "20", "--out", str(tmp_path / "r")])
    assert out.exit_code == 0, out.output
    assert out.output.rstrip().splitlines()[-1] == (f"next: docket plot {tmp_path / 'r'} (charts of this run) or "
                                                    f"docket brief {QUICKSTART} (run + pack)")
    env = {"MPLBACKEND": "Agg", **os.environ}
    got = runner.invoke(cli, ["brief", str(QUICKSTART), "-n", "20", "--out", str(tmp_path / "b")], env=env)
    assert got.exit_code == 0, got.output
    assert got.output.startswith("Bottom line: ") and "P(in force on)" in got.output
    assert "total: mean (5–95%)" in got.output


def test_sweep_columns_name_statistic_and_unit() -> None:
    """Sweep columns say their statistic and unit."""
    import pandas as pd

    from sim.studies.sweep import summary_text

    table = pd.DataFrame({"k": ["1", "2"], "exposure.total.mean": [1e6, 2e6], "exposure.avoided.mean": [5e5, 1e5]})
    head = summary_text(table, ["k"], units={"exposure": "user-days"}).splitlines()[0]
    assert "exposure total, mean user-days" in head and "exposure avoided, mean user-days" in head


def test_timeline_band_is_5_to_95(flagship: Any) -> None:
    """The timeline's bar spans the 5th to the 95th percentile of the exact effective dates."""
    import matplotlib.dates as mdates

    fig = timeline.plot(flagship)
    bars = fig.axes[0].patches
    took = [m for m in flagship.scenario.measures if findings.effective_quantile(flagship, m.id, 0.05)]
    assert len(bars) == len(took)
    for bar, m in zip(bars, took, strict=True):
        lo = findings.effective_quantile(flagship, m.id, 0.05)
        assert bar.get_x() == pytest.approx(mdates.date2num(lo) - 0.5)


def test_populations_chart_draws_the_mean(flagship: Any) -> None:
    """The population line is the mean series (the headline statistic), not the median."""
    fig = populations.plot(flagship, ["tiktok_users"])
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "headline-line")
    rows = flagship.curve("tiktok_users", "stock")  # the report grid and the dated days
    assert list(line.get_ydata()) == pytest.approx(list(rows["mean"]))


def test_a_narrow_range_keeps_the_digits_that_make_it_true() -> None:
    """The quickstart's routers end between 20.9B and 22.3B router-days in 9 of 10 runs: two digits would say
    "between 21B and 22B", a range its runs mostly fall outside."""
    from sim import load_scenario, run
    from sim.text import findings

    res = run(load_scenario(QUICKSTART), replications=200)
    t = next(iter(res.summary["exposure"].values()))["total"]
    title = findings.outcomes(res)
    assert (t["p95"] - t["p05"]) < 0.2 * t["p95"], "the narrow case this test is about"
    assert f"between {number(t['p05'], 3)} and {number(t['p95'], 3)}" in title, title
