"""Every page of every bundled scenario's pack: no text over text, off the page, cut or too small to project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plots.overlaps import problems
from plots.pack import plan
from plots.render import number_page
from plots.style import new_figure
from sim import load_scenario, run

SCENARIOS = sorted(Path(__file__).resolve().parent.parent.glob("scenarios/*.yaml"))


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.stem)
def bundled(request: pytest.FixtureRequest) -> Any:
    """A bundled scenario run at 100 replications (layouts do not depend on the count)."""
    return run(load_scenario(request.param), replications=100, seed=1)


def test_no_text_over_text_on_any_page(bundled: Any) -> None:
    """No two drawn texts overlap, none leaves the page, is cut with an ellipsis or is under 10 pt."""
    book = plan(bundled)
    found = []
    for i, (stem, make) in enumerate(book, 1):
        fig = make()
        number_page(fig, i, len(book))  # as in the pack: "page i of n" in the footer
        found += [f"{stem}: {p}" for p in problems(fig)]
    assert not found, "\n".join(found)


def test_the_check_sees_overlaps_and_cut_text() -> None:
    """The check itself fails on text over text, text off the page, an ellipsis and small print."""
    fig = new_figure()
    fig.text(0.5, 0.5, "one label", fontsize=12)
    fig.text(0.52, 0.5, "another label", fontsize=12)
    fig.text(0.99, 0.2, "runs off the right edge", fontsize=12)
    fig.text(0.1, 0.1, "cut short…", fontsize=12)
    fig.text(0.1, 0.3, "tiny", fontsize=8)
    found = problems(fig)
    assert "'one label' overlaps 'another label'" in found
    assert "'runs off the right edge' leaves the figure" in found
    assert "'cut short…' is cut with an ellipsis" in found
    assert "'tiny' is 8 pt, under 10 pt" in found
    assert len(found) == 4


def test_ticks_outside_the_view_are_not_counted() -> None:
    """Tick labels of ticks beyond the axis limits are not drawn, so they cannot overlap anything."""
    fig = new_figure()
    ax = fig.add_subplot()
    ax.set_xticks([0, 5, 10, 1000], ["0", "5", "10", "far away"])
    ax.set_xlim(0, 10)
    ax.tick_params(labelsize=12)
    assert all("far away" not in p for p in problems(fig))


def test_study_charts_keep_text_apart() -> None:
    """The paired-difference chart of a comparison has no text over text either, and says the shares."""
    from plots.comparison import plot_differences
    from sim.studies.compare import compare

    flagship = SCENARIOS[0].parent / "tiktok-wechat-2020.yaml"
    runs = [load_scenario(flagship, v) for v in ("as_announced", "as_it_happened", "deal_reached")]
    fig = plot_differences(compare(runs, ["as announced", "as it happened", "deal reached"], 60))
    assert not problems(fig)
    shares = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_text().startswith("higher in")]
    assert len(shares) == 2 * 3, shares  # two runs against the reference, three metrics
