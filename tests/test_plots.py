"""The chart pack: every chart renders for the flagship and a tiny scenario, without warnings, with the
structure a reader relies on (bands, dates, legends, titles, footer); the pack writes every page atomically."""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.dates as mdates
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from plots import assumptions, comparison, exposure, in_force, key_numbers, pack, populations, style, timeline
from plots.style import header_texts
from sim.text import findings
from tests.conftest import build, measure

REPS = 60


@pytest.fixture(scope="module")
def flagship() -> Any:
    """The flagship scenario, run with few replications."""
    from sim import load_scenario, run

    path = os.path.join(os.path.dirname(__file__), "..", "scenarios", "tiktok-wechat-2020.yaml")
    return run(load_scenario(path), replications=REPS)


@pytest.fixture(scope="module")
def announced() -> Any:
    """The flagship's as_announced variant."""
    from sim import load_scenario, run

    path = os.path.join(os.path.dirname(__file__), "..", "scenarios", "tiktok-wechat-2020.yaml")
    return run(load_scenario(path, "as_announced"), replications=REPS)


@pytest.fixture(scope="module")
def tiny() -> Any:
    """One population, one measure, one metric."""
    from sim import run

    return run(build(measures=[measure(deferral={"probability": 0.5, "delay": "30d", "max": 1})]), replications=20)


@pytest.fixture(params=["flagship", "tiny"])
def res(request: pytest.FixtureRequest) -> Any:
    """Each of the two runs in turn."""
    return request.getfixturevalue(request.param)


def quiet(make: Callable[[], Figure]) -> Figure:
    """Build a figure and draw it, turning any warning into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = make()
        fig.canvas.draw()
    return fig


def date_axes(fig: Figure) -> Iterator[Any]:
    """The visible axes whose x axis carries dates."""
    return (a for a in fig.axes if a.axison and isinstance(a.xaxis.get_major_formatter(), style.YearTicks))


def assert_decorated(fig: Figure, res: Any, topic: str, finding: str) -> None:
    """The title is the finding, the subtitle names the topic, the footer states the convention and the source."""
    texts = header_texts(fig)
    assert texts["title"].replace("\n", " ") == finding, texts["title"]
    assert topic in texts["subtitle"].replace("\n", " "), texts["subtitle"]
    assert "docket" in texts["footer"] and res.scenario.name in texts["footer-right"]
    assert "5–95%" in texts["convention"] or "Chances: share of" in texts["convention"], texts["convention"]


def assert_month_ticks(fig: Figure) -> None:
    """Every date axis shows month or year tick labels, never raw numbers (a panel above another panel of the
    same window may leave its dates to the one below, which must show them)."""
    found = [a for a in date_axes(fig) if a.xaxis.get_tick_params(which="major").get("labelbottom", True)]
    assert found, "expected a date axis"
    for a in date_axes(fig):
        if a not in found:  # its dates are read off the panel below it, which has the same limits
            assert any(b.get_xlim() == a.get_xlim() and b.get_position().y0 < a.get_position().y0 for b in found)
    for a in found:
        labels = [t.get_text() for t in a.get_xticklabels() if t.get_text()]
        assert labels and all(lab[:3].isalpha() or (lab.isdigit() and len(lab) == 4) for lab in labels), labels


def test_timeline_rows_markers_and_odds(res: Any) -> None:
    """The timeline has one row per measure, a deadline marker, a band, and the four odds columns."""
    fig = quiet(lambda: timeline.plot(res))
    ax = fig.axes[0]
    n = len(res.scenario.measures)
    assert len(ax.get_yticklabels()) == n
    assert len(ax.patches) == n, "one effective-date band per measure"
    odds = [t for t in ax.texts if t.get_gid() == "odds"]
    assert len(odds) == 4 * n
    assert [t.get_text() for t in ax.texts if t.get_gid() == "odds-header"] == ["Never", "Enjoined", "Shelved",
                                                                               "Lifted"]
    assert len(ax.get_legend().get_texts()) >= 3
    assert_month_ticks(fig)
    assert_decorated(fig, res, "when each measure takes effect", findings.timeline(res))


def test_timeline_as_of_line(flagship: Any) -> None:
    """The scenario's as_of date is drawn and named in the legend; None removes it."""
    with_line = quiet(lambda: timeline.plot(flagship))
    assert any("As of 18 Sep 2020" in t.get_text() for t in with_line.axes[0].get_legend().get_texts())
    without = quiet(lambda: timeline.plot(flagship, as_of=None))
    assert not any("As of" in t.get_text() for t in without.axes[0].get_legend().get_texts())


def test_no_planned_deadline_is_promised_where_none_is_drawn(flagship: Any) -> None:
    """A deadline drawn between two dates has no diamond on the timeline and no dotted line on the in-force
    chart: neither the legend nor the subtitles promise one (they do on the flagship, whose deadlines are dates)."""
    from sim import run

    drawn = run(build(measures=[measure(deadline={"between": ["2020-02-01", "2020-04-01"]})]), replications=20)
    legend = [t.get_text() for t in quiet(lambda: timeline.plot(drawn)).axes[0].get_legend().get_texts()]
    assert "Planned deadline" not in legend and len(legend) >= 2
    texts = " ".join(t.get_text() for t in quiet(lambda: timeline.plot(drawn)).texts)
    assert "No deadline is a fixed date" in texts
    assert "none is marked" in " ".join(t.get_text() for t in quiet(lambda: in_force.plot(drawn)).texts)
    assert "none is marked" in " ".join(t.get_text() for t in quiet(lambda: populations.plot(drawn)).texts)
    shown = [t.get_text() for t in quiet(lambda: timeline.plot(flagship)).axes[0].get_legend().get_texts()]
    assert "Planned deadline" in shown
    chart = quiet(lambda: in_force.plot(flagship))
    assert "Dotted lines: planned deadlines" in " ".join(t.get_text() for t in chart.texts)


def test_in_force_one_step_curve_per_measure(res: Any) -> None:
    """Each measure has one curve, named at its end in its colour (no side legend), on a 0-100% axis."""
    fig = quiet(lambda: in_force.plot(res))
    ax = fig.axes[0]
    curves = [ln for ln in ax.get_lines() if ln.get_label() and not ln.get_label().startswith("_")]
    assert len(curves) == len(res.scenario.measures)
    assert ax.get_legend() is None
    named = {t.get_text(): t.get_color() for t in ax.texts if t.get_gid() == "line-label"}
    assert named == {ln.get_label(): ln.get_color() for ln in curves}
    assert ax.get_yticklabels()[-1].get_text() == "100%"
    assert_month_ticks(fig)


def test_month_ticks_carry_the_year_where_it_changes(flagship: Any) -> None:
    """The first tick and the first tick of each new year carry the year (``Jan\n2021``); the others do not."""
    fig = quiet(lambda: in_force.plot(flagship))
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [(mdates.num2date(x).date(), t.get_text()) for x, t in zip(ax.get_xticks(), ax.get_xticklabels(),
                                                                        strict=True) if lo <= x <= hi]
    assert any(day.year == 2021 and day.month == 1 for day, _ in ticks), ticks
    years = [day.year for day, _ in ticks]
    for k, (day, text) in enumerate(ticks):
        changes = k == 0 or years[k] != years[k - 1]
        assert text.endswith(f"\n{day.year}") == changes, (day, text)
        assert text.startswith(f"{day:%b}" if day.day == 1 else f"{day.day} {day:%b}"), (day, text)


def test_deadline_labels_name_their_measure_above_the_curves(flagship: Any) -> None:
    """Each population panel of the flagship labels its deadline lines with the short titles of the measures
    acting on it (the scenario's ``label`` where it has one: never the bare numbers ``measures 3, 4``, which no
    page explains), and no curve or band reaches up into a label: the labels sit in room above the data."""
    from plots import data as chart_data
    from sim.text.titles import short_titles

    s = flagship.scenario
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = populations.plot(flagship)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    short = short_titles(s)
    axes = [a for a in fig.axes if a.axison]
    for a, p in zip(axes, s.populations, strict=True):
        labels = [t for t in a.texts if t.get_gid() == "deadline-label"]
        text = " ".join(t.get_text().replace("\n", " ") for t in labels)
        acting = [m for m in s.measures if p.id in chart_data.acts_on(m) and chart_data.planned_deadline(m)]
        assert acting and all(short[m.id] in text for m in acting), (p.id, text)
        floor = min(t.get_window_extent(renderer).y0 for t in labels)
        tops = [a.transData.transform(ln.get_xydata()).max(axis=0)[1] for ln in a.get_lines()
                if ln.get_gid() != "deadline"]
        tops += [a.transData.transform(c.get_paths()[0].vertices).max(axis=0)[1] for c in a.collections]
        assert max(tops) < floor, (p.id, max(tops), floor)


def test_in_force_many_measures_get_panels() -> None:
    """Twelve measures are drawn as twelve small panels, not twelve curves on one axes."""
    from sim import run

    ms = [measure(f"m{i}", f"2020-{1 + i % 12:02d}-15", title=f"Measure number {i} with a long title") for i in
          range(12)]
    res = run(build(measures=ms), replications=5)
    fig = quiet(lambda: in_force.plot(res))
    assert len(fig.axes) == 12
    assert all(len(a.get_lines()) >= 1 for a in fig.axes)
    assert len({style.measure_colors(res.scenario)[m.id] for m in res.scenario.measures}) == 7


def test_populations_bands_counterfactual_deadlines(res: Any) -> None:
    """Each population panel has a mean, one 5-95% band, a dashed counterfactual and its deadline lines."""
    fig = quiet(lambda: populations.plot(res))
    axes = [a for a in fig.axes if a.axison]
    assert len(axes) == len(res.scenario.populations)
    for a in axes:
        assert len([c for c in a.collections if isinstance(c, PolyCollection)]) == 1
        assert [ln.get_linestyle() for ln in a.get_lines() if ln.get_gid() == "counterfactual"] == ["--"]
        assert all("e+" not in t.get_text() for t in a.get_yticklabels()), "no scientific notation"
    assert any(ln.get_gid() == "deadline" for a in axes for ln in a.get_lines())
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Mean", "5–95% of runs", "No measure (mean)"]
    assert_month_ticks(fig)
    assert_decorated(fig, res, "how many remain", findings.populations(res))


def test_exposure_three_panels(res: Any) -> None:
    """Value, cumulative and avoided panels, each with bands, and headline numbers."""
    fig = quiet(lambda: exposure.plot(res))
    axes = fig.axes
    assert [a.get_title(loc="left") for a in axes] == [t for _, t, _ in exposure.PANELS]
    assert all(len(a.collections) == 1 for a in axes), "one band (5-95%) per panel"
    assert sum(t.get_gid() == "headline" for a in axes for t in a.texts) == 2
    assert_month_ticks(fig)


def test_comparison_labels_each_run(flagship: Any, announced: Any) -> None:
    """Two runs give two medians with bands, labelled by variant, with final values."""
    fig = quiet(lambda: comparison.plot([flagship, announced]))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("as written") and labels[1].startswith("Everything enforced on schedule")
    assert len(fig.axes[0].collections) == 2
    assert header_texts(fig)["footer-right"] == "Scenario: tiktok-wechat-2020"  # short: runs are in the legend


def test_key_numbers_page(res: Any) -> None:
    """The page shows exposure, measures and provenance with seed, replications and version."""
    import sim

    fig = quiet(lambda: key_numbers.plot(res))
    text = " ".join(t.get_text() for t in [*fig.axes[0].texts, *fig.texts])  # the page and its footer
    assert f"seed {res.seed}" in text and f"{res.replications:,} replications" in text
    assert f"docket {sim.__version__}" in text
    for m in res.scenario.measures:
        assert (m.title or m.id)[:10] in text


def test_assumptions_every_parameter_and_pages(flagship: Any) -> None:
    """Every population and measure parameter appears once, with its source, over the pages."""
    table = assumptions.rows(flagship.scenario)
    assert ("TikTok US monthly active users", "initial") in {(r.item, r.parameter) for r in table}
    assert any(r.source.startswith("TikTok discloses US user numbers") for r in table)
    pages = assumptions.page_count(flagship)
    assert pages == len(assumptions.paged(flagship.scenario)) > 1
    cells = 0
    for p in range(pages):
        fig = quiet(lambda p=p: assumptions.plot(flagship, p))
        cells += sum(t.get_gid() == "cell" for t in fig.axes[0].texts)
        assert f"Page {p + 1} of {pages}" in header_texts(fig)["subtitle"].replace("\n", " ")
    assert cells == 4 * len(table)
    with pytest.raises(Exception, match="out of range"):
        assumptions.plot(flagship, pages)


def test_pack_writes_every_page(tiny: Any, tmp_path: Path) -> None:
    """The pack holds a PDF with one numbered, bookmarked page per chart and a PNG per chart, and no temporary
    file; SVG only when asked."""
    from pypdf import PdfReader

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        written = pack.write_pack(tiny, tmp_path, dpi=20, others=[tiny])
    stems = [name for name, _ in pack.pages(tiny, [tiny])]
    assert stems == ["key_numbers", "timeline", "in_force", "populations", "exposure-exposure", "outcomes",
                     "comparison", "assumptions-summary", "assumptions"]
    reader = PdfReader(written[0])
    assert written[0].name == pack.PDF_NAME and len(reader.pages) == len(stems)
    outline = [item.title for item in reader.outline]  # type: ignore[union-attr]
    assert outline[0].startswith("1. ") and len(outline) == len(stems), outline
    assert all(f"page {i} of {len(stems)}" in page.extract_text() for i, page in enumerate(reader.pages, 1))
    assert {p.name for p in written[1:]} == {f"{s}.png" for s in stems}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)


def test_svg_keeps_text_as_text(tiny: Any, tmp_path: Path) -> None:
    """An SVG page holds its words as <text> elements a slide editor can change (not glyph outlines)."""
    written = pack.write_pack(tiny, tmp_path, formats=("svg",), dpi=20)
    svg = (tmp_path / "key_numbers.svg").read_text(encoding="utf-8")
    assert tmp_path / "key_numbers.svg" in written
    assert svg.count("<text") > 10 and "test scenario" in svg


def test_pages_are_the_same_whatever_the_workers(tiny: Any, tmp_path: Path) -> None:
    """Drawing pages in parallel gives byte-identical files to drawing them one after another."""
    one = pack.write_pack(tiny, tmp_path / "one", formats=("png", "svg"), dpi=20, workers=1)
    two = pack.write_pack(tiny, tmp_path / "two", formats=("png", "svg"), dpi=20, workers=2)
    assert [p.name for p in one] == [p.name for p in two]
    for a, b in zip(one[1:], two[1:], strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_pack_pages_of_the_flagship(flagship: Any) -> None:
    """The flagship pack has one exposure page per metric, and an annex of a summary and several table pages."""
    stems = [name for name, _ in pack.pages(flagship)]
    assert [s for s in stems if s.startswith("exposure-")] == [f"exposure-{m.id}" for m in flagship.scenario.metrics]
    assert sum(s.startswith("assumptions-") for s in stems) == assumptions.page_count(flagship) + 1 > 2


def test_failed_write_leaves_no_partial_file(tiny: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chart that fails while saving leaves neither its file nor a temporary file behind."""
    calls = {"n": 0}
    real = Figure.savefig

    def flaky(self: Figure, fname: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if kwargs.get("format") == "svg":
            Path(fname).write_bytes(b"<svg half")
            raise OSError(28, "No space left on device")
        real(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", flaky)
    with pytest.raises(Exception, match="No space left"):
        pack.write_pack(tiny, tmp_path, formats=("png", "svg"), dpi=20)
    names = [p.name for p in tmp_path.iterdir()]
    assert not [n for n in names if n.endswith(".svg") or n.endswith(".part")], names


def test_annex_summary_counts_the_table(flagship: Any) -> None:
    """The annex opens with the counts of the table (inputs, cited, assumed, uncited) and its widest ranges."""
    table = assumptions.rows(flagship.scenario)
    fig = quiet(lambda: assumptions.plot_summary(flagship))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assumed = sum(r.source.startswith("Assumption") for r in table)
    assert texts[:2] == [str(len(table)), "inputs in the table"] and str(assumed) in texts
    widest = max((r for r in table if r.spread is not None), key=lambda r: r.spread or 0.0)
    assert any(t.replace("\n", " ").startswith(f"{widest.item}, {widest.parameter}") for t in texts)
    assert any("cheap proxy" in t for t in texts)
    cited = {r.source for r in table if r.source != assumptions.NOT_CITED and not r.source.startswith("Assumption")}
    assert f"Sources cited ({len(cited)})" in texts and cited


def test_annex_summary_draws_no_empty_sources_column(tiny: Any) -> None:
    """Where no input cites a source (every one is assumed or uncited), the summary has no "Sources cited (0)"
    column: the counts above say it."""
    table = assumptions.rows(tiny.scenario)
    assert all(r.source == assumptions.NOT_CITED or r.source.startswith("Assumption") for r in table)
    texts = [t.get_text() for t in assumptions.plot_summary(tiny).axes[0].texts]
    assert "cite a source" in texts and not [t for t in texts if t.startswith("Sources cited")]


def test_registry_is_explicit() -> None:
    """Every chart module is reachable by name in the registry."""
    assert set(pack.CHARTS) == {"key_numbers", "timeline", "in_force", "populations", "exposure", "outcomes",
                                "comparison", "assumptions"}


def test_each_panel_names_its_own_split(flagship: Any) -> None:
    """Where population panels split on different branches, each panel with black branch lines names its own
    branch (the side's label from the results) under its title, not one branch for all."""
    from plots import bands

    fig = quiet(lambda: populations.plot(flagship))
    axes = [a for a in fig.axes if a.axison]
    labels = {p.id: bands.branch_rows(flagship, p.id, "stock") for p in flagship.scenario.populations}
    branches = {str(rows["label"].iloc[0]) for rows in labels.values() if not rows.empty}
    assert len(branches) > 1, "the flagship's panels split on different branches"
    for a, p in zip(axes, flagship.scenario.populations, strict=True):
        rows = labels[p.id]
        notes = [t.get_text().replace("\n", " ") for t in a.texts if t.get_gid() == "branch-note"]
        if rows.empty:
            assert not notes
            continue
        assert len(notes) == 1 and str(rows["label"].iloc[0]) in notes[0], (p.id, notes)


@pytest.mark.parametrize("name", ["tplink-routers-2025", "pafaca-2024", "wechat-install-rush-2020"])
def test_assumption_rows_name_each_input_once(name: str) -> None:
    """Every input has one row: a shock's effects are listed as effects (what each acts on, then its values),
    not a second time as the shock's own ``effects`` field ("effects 1: factor" beside "effect 1: factor")."""
    from sim import load_scenario

    s = load_scenario(os.path.join(os.path.dirname(__file__), "..", "scenarios", f"{name}.yaml"))
    rows = assumptions.rows(s)
    keys = [(r.item, r.parameter, r.value) for r in rows]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
    assert not [r for r in rows if r.parameter.startswith("effects ")]
    assert any(r.item.endswith("(shock)") and r.parameter == "effect 1: factor" for r in rows) or not s.shocks


def test_exposure_panels_split_as_the_total_does() -> None:
    """Where a metric's total and its avoided exposure split on different branches (the flagship's WeChat
    user-days at 200 runs: enjoined, and in force on 30 Jun 2021), every panel of the exposure page draws the
    total's split, the one page 1 and the outcomes page name."""
    from sim import load_scenario, run

    path = os.path.join(os.path.dirname(__file__), "..", "scenarios", "tiktok-wechat-2020.yaml")
    res = run(load_scenario(path), replications=200)
    by = {sp["outcome"]: sp for sp in res.summary["splits"]}
    total, avoided = by["wechat_user_days:total"], by["wechat_user_days:avoided"]
    assert total["branch"] != avoided["branch"], "the case this test is about"
    fig = quiet(lambda: exposure.plot(res, "wechat_user_days"))
    boxes = [*fig.legends, *(a.get_legend() for a in fig.axes if a.get_legend() is not None)]
    legend = " ".join(t.get_text().replace("\n", " ") for box in boxes for t in box.get_texts())
    assert total["sides"][0]["label"] in legend and avoided["sides"][0]["label"] not in legend


def test_identical_in_force_curves_share_one_end_label() -> None:
    """Two measures in force on the same days in every run draw one visible curve: one end label names both and
    says so, in the colour that shows, instead of a label for a line hidden under another."""
    from sim import load_scenario, run

    path = os.path.join(os.path.dirname(__file__), "..", "scenarios", "connected-vehicles-2025.yaml")
    res = run(load_scenario(path), replications=40)
    fig = quiet(lambda: in_force.plot(res))
    labels = [t for t in fig.axes[0].texts if t.get_gid() == "line-label"]
    texts = [t.get_text().replace("\n", " ") for t in labels]
    assert len(labels) == 2, texts  # software and maker bans: one curve; hardware ban: another
    merged = next(t for t in labels if "identical curves" in t.get_text())
    assert "Software ban" in merged.get_text().replace("\n", " ") and "Maker ban" in merged.get_text()
    assert merged.get_color() == style.measure_colors(res.scenario)["maker_ban"]


def test_stacked_shock_labels_keep_a_gap() -> None:
    """Three shocks starting together (PAFACA's migration, outage and fading gains) stack their labels with
    visible space between them, whatever their number of lines, so they do not read as one paragraph."""
    from sim import load_scenario, run

    path = os.path.join(os.path.dirname(__file__), "..", "scenarios", "pafaca-2024.yaml")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = quiet(lambda: timeline.plot(run(load_scenario(path), replications=40)))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = sorted((t.get_window_extent(renderer) for t in fig.axes[0].texts if t.get_gid() == "shock-label"),
                   key=lambda b: -b.y1)
    assert len(boxes) == 3
    points = fig.dpi / 72
    assert all(upper.y0 - lower.y1 >= 3 * points for upper, lower in itertools.pairwise(boxes))


def test_split_lines_show_on_a_panel_of_exposure_the_measures_add() -> None:
    """PAFACA's unpatched installs are added by the measures: the right panel is turned around (positive), and
    its split lines are turned with it, inside the panel like the middle one's (they were drawn below zero)."""
    from sim import load_scenario, run

    path = os.path.join(os.path.dirname(__file__), "..", "scenarios", "pafaca-2024.yaml")
    res = run(load_scenario(path), replications=200)
    fig = quiet(lambda: exposure.plot(res, "unpatched_installs"))
    for a in fig.axes[1:3]:
        lines = [ln for ln in a.get_lines() if ln.get_gid() == "branch"]
        lo, hi = a.get_ylim()
        assert len(lines) == 2, a.get_title()
        tops = [float(np.max(ln.get_ydata())) for ln in lines]  # one side's median stays 0 (it never acts)
        assert all(lo <= t <= hi for t in tops) and max(tops) > 0.25 * hi, (a.get_title(), tops, hi)
