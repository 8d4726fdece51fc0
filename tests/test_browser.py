"""The flagship's page in a real browser: Debian's headless Chromium driven by Playwright, the network off.

Checks what a reader meets: no console error, every chart drawn, a hovered point's tooltip holding the value the
key-numbers table prints, a variant hidden by clicking its legend entry (and by its checkbox from the keyboard),
a CSV download holding the chart's data, the page's numbers equal to summary.json. A full-page screenshot is kept
(its path printed; ``pytest -s`` shows it). Skipped off CI when Chromium or Playwright is missing; never on CI
(``CI`` set): there a missing browser fails.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from plots import web
from sim.text.humanize import number, percent

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _needs(what: str, missing: bool) -> None:
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing on CI: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip(f"{what} is missing (apt-get install -y chromium; pip install -e '.[test]')")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium, the system's (Playwright downloads none)."""
    _needs(CHROMIUM, shutil.which(CHROMIUM) is None)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _needs("playwright", True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page_file(web_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flagship's page compared with its ``deal_reached`` variant (``docket report``)."""
    return web.write_report([str(web_runs["flagship"]), str(web_runs["deal"])],
                            tmp_path_factory.mktemp("page") / "flagship.html")


@pytest.fixture(scope="module")
def opened(browser: Any, page_file: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    """The page open in an offline context: (page, console errors, requests that left the file)."""
    context = browser.new_context(offline=True, accept_downloads=True, viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    fetched: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            fetched.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(page_file.as_uri())
    tab.wait_for_function("document.querySelectorAll('.chart .main-svg').length >= "
                          "document.querySelectorAll('.chart').length")
    yield tab, errors, fetched
    context.close()


def test_the_page_loads_offline_with_no_error_and_draws_every_chart(opened: tuple[Any, list[str], list[str]],
                                                                    tmp_path_factory: pytest.TempPathFactory
                                                                    ) -> None:
    tab, errors, fetched = opened
    drawn = tab.evaluate("""Array.from(document.querySelectorAll('.chart')).map(function (gd) {
        var box = gd.getBoundingClientRect();
        return [gd.id, gd.querySelectorAll('.scatterlayer .trace path, .barlayer .trace path').length,
                box.width, box.height]; })""")
    assert [d[0] for d in drawn][:3] == ["timeline-chart", "in_force-chart", "populations-chart"]
    assert {"comparison-chart", "differences-chart"} <= {d[0] for d in drawn}
    for ident, paths, width, height in drawn:
        assert paths > 0 and width > 300 and height > 200, ident
    shot = tmp_path_factory.mktemp("screenshot") / "flagship-page.png"
    tab.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot of the flagship page: {shot}")
    assert shot.stat().st_size > 100_000
    assert errors == [] and fetched == []


def _cell(tab: Any, key: str) -> str:
    return str(tab.locator(f'[data-key="{key}"]').first.inner_text()).strip()


def test_hovering_a_point_shows_the_value_of_the_key_numbers_table(opened: tuple[Any, list[str], list[str]],
                                                                   web_runs: dict[str, Path]) -> None:
    """Choose a key date in the table; hover that date's point on the in-force chart with the mouse: the tooltip
    says the chance the table says."""
    tab, _, _ = opened
    summary = json.loads((web_runs["flagship"] / "summary.json").read_text(encoding="utf-8"))
    day, mid = summary["key_dates"][0], list(summary["measures"])[-1]
    tab.select_option("#date-chooser", day)
    shown = _cell(tab, f"measures.{mid}.p_in_force_on.{day}")
    assert shown == percent(summary["measures"][mid]["p_in_force_on"][day])
    index = [m for m in summary["measures"]].index(mid)
    tab.locator("#in_force-chart").scroll_into_view_if_needed()
    where = tab.evaluate("""([i, day]) => {
        var gd = document.getElementById('in_force-chart'), fl = gd._fullLayout, t = gd._fullData[i];
        var k = Array.from(t.x, function (x) { return String(x).slice(0, 10); }).indexOf(day);
        var box = gd.getBoundingClientRect();
        return [box.left + fl.xaxis._offset + fl.xaxis.l2p(fl.xaxis.d2l(t.x[k])),
                box.top + fl.yaxis._offset + fl.yaxis.l2p(t.y[k]), k]; }""", [index, day])
    assert where[2] >= 0, f"no point on {day}"
    tab.mouse.move(where[0] - 30, where[1] - 30)
    tab.mouse.move(where[0], where[1], steps=5)
    tip = tab.locator("#in_force-chart .hoverlayer .hovertext")
    tip.first.wait_for(timeout=5000)
    text = " ".join(t or "" for t in tip.all_text_contents())
    assert f"in force that day in {shown} of runs" in text, text


def test_a_variant_hides_by_its_legend_entry_and_by_its_checkbox(opened: tuple[Any, list[str], list[str]]) -> None:
    """Clicking the variant in the legend hides its line and band; its checkbox follows; the checkbox, from
    the keyboard (Space), shows it again."""
    tab, _, _ = opened
    gd = "document.getElementById('comparison-chart')"
    groups = tab.evaluate(f"{gd}.data.map(function (t) {{ return [t.legendgroup, t.visible === undefined ? true : "
                          "t.visible]; })")
    assert {g for g, _ in groups} == {"run-0", "run-1"} and all(v is True for _, v in groups)
    drawn = tab.locator("#comparison-chart .scatterlayer .trace")
    before = drawn.count()
    tab.locator("#comparison-chart .legend .traces").nth(1).click()
    tab.wait_for_function(f"{gd}.data.filter(function (t) {{ return t.visible === 'legendonly'; }}).length > 0")
    hidden = tab.evaluate(f"{gd}.data.map(function (t) {{ return [t.legendgroup, t.visible]; }})")
    assert {g for g, v in hidden if v == "legendonly"} == {"run-1"}
    assert all(v is not False and v != "legendonly" for g, v in hidden if g == "run-0")
    assert drawn.count() < before
    box = tab.locator('#comparison .toggles input[data-group="run-1"]')
    assert not box.is_checked()
    box.focus()
    tab.keyboard.press("Space")
    tab.wait_for_function(f"{gd}.data.every(function (t) {{ return t.visible !== 'legendonly'; }})")
    assert box.is_checked() and drawn.count() == before


def test_a_csv_download_holds_the_charts_data(opened: tuple[Any, list[str], list[str]],
                                              web_runs: dict[str, Path]) -> None:
    """The in-force chart's CSV, downloaded by a click: its rows are the points drawn, and on each key date
    the chance summary.json holds."""
    tab, _, _ = opened
    with tab.expect_download() as caught:
        tab.locator("#in_force a.csv").click()
    download = caught.value
    assert download.suggested_filename == "in_force.csv"
    table = pd.read_csv(io.StringIO(Path(download.path()).read_text(encoding="utf-8")))
    assert list(table.columns) == ["measure", "date", "probability"]
    summary = json.loads((web_runs["flagship"] / "summary.json").read_text(encoding="utf-8"))
    traces = tab.evaluate("document.getElementById('in_force-chart')._fullData.map(function (t) { return "
                          "[t.legendgroup, Array.from(t.x, function (x) { return String(x).slice(0, 10); }), "
                          "Array.from(t.y)]; })")
    assert [g for g, _, _ in traces] == list(summary["measures"])
    for mid, xs, ys in traces:
        rows = table[table["measure"] == mid]
        assert list(rows["date"]) == xs and list(rows["probability"]) == pytest.approx(ys)
        for day, p in summary["measures"][mid]["p_in_force_on"].items():
            assert float(rows[rows["date"] == day]["probability"].iloc[0]) == pytest.approx(p)


def test_the_numbers_a_reader_sees_are_summary_json(opened: tuple[Any, list[str], list[str]],
                                                    web_runs: dict[str, Path]) -> None:
    """On every key date (chosen in the table), each measure's chances and each population's mean, as read off
    the screen, are summary.json's values as the terminal summary writes them."""
    tab, _, _ = opened
    summary = json.loads((web_runs["flagship"] / "summary.json").read_text(encoding="utf-8"))
    for day in summary["key_dates"]:
        tab.select_option("#date-chooser", day)
        for mid, m in summary["measures"].items():
            for kind in ("p_in_force_on", "p_in_force_by"):
                assert _cell(tab, f"measures.{mid}.{kind}.{day}") == percent(m[kind][day]), (mid, kind, day)
        for pid, by in summary["populations"].items():
            assert _cell(tab, f"populations.{pid}.{day}.mean") == number(by[day]["mean"]), (pid, day)
        assert tab.locator(f'.on-date[data-date="{day}"]').is_visible()
    for mid, x in summary["exposure"].items():
        assert _cell(tab, f"exposure.{mid}.total.mean").startswith(number(x["total"]["mean"]) + " ")


def test_the_keyboard_reaches_every_control(opened: tuple[Any, list[str], list[str]]) -> None:
    """Tab from the top: the skip link first, then the navigation, the date chooser, each chart's checkboxes and
    the chart itself (focusable, described by its text alternative), its text alternative and its CSV link."""
    tab = opened[0].context.new_page()  # a fresh load: focus starts at the top
    tab.goto(opened[0].url)
    seen = []
    for _ in range(60):
        tab.keyboard.press("Tab")
        seen.append(tab.evaluate("""(() => { var a = document.activeElement;
            return [a.tagName.toLowerCase(), a.id || a.className || a.getAttribute('href') || '',
                    a.getAttribute('aria-describedby') || '']; })()"""))
    assert seen[0] == ["a", "skip", ""]
    kinds = [f"{tag}:{ident}" for tag, ident, _ in seen]
    order = [kinds.index(k) for k in ("a:#timeline", "select:date-chooser", "div:timeline-chart", "a:csv")]
    assert order == sorted(order), kinds
    chart = next(s for s in seen if s[1] == "in_force-chart")
    assert chart[2] == "in_force-alt"
    assert any(tag == "input" for tag, _, _ in seen) and any(tag == "summary" for tag, _, _ in seen)
    tab.close()
