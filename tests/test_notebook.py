"""Results in a notebook: ``_repr_html_`` shows the terminal summary's numbers, ``plot`` returns the page's
figure, ``to_html`` writes the page; the worked example docs/notebook.ipynb runs end to end (nbclient)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from plots import web
from sim.runs import views
from sim.runs.records import load_results
from sim.scenario.errors import DocketError
from sim.text.narrate import summary_text

ROOT = Path(__file__).resolve().parent.parent


def rows_of(page: str) -> list[list[str]]:
    """The text of each table row's cells (data rows only)."""
    body = re.findall(r"<tbody>(.*?)</tbody>", page, flags=re.S)
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for part in body for row in re.findall(r"<tr>(.*?)</tr>", part)]


def test_repr_html_shows_the_terminal_summarys_numbers(web_runs: dict[str, Path]) -> None:
    """Every row of the notebook's tables is a line of the terminal summary (same cells, same rounding), every
    line of the terminal's tables is a row, and each number carries summary.json's value."""
    res = load_results(web_runs["flagship"])
    page = res._repr_html_()
    assert page is not None and 'src="data:image/png;base64,' in page
    terminal = [line.split() for line in summary_text(res).splitlines()]
    rows = rows_of(page)
    assert len(rows) == len(res.summary["measures"]) + len(res.summary["exposure"]) + len(res.summary["populations"])
    for row in rows:
        assert " ".join(row).split() in terminal, row
    summary = json.loads((web_runs["flagship"] / "summary.json").read_text(encoding="utf-8"))
    cells = re.findall(r'data-key="([^"]+)" data-value="([^"]+)"', page)
    assert len(cells) >= len(rows)
    for key, value in cells:
        found: Any = summary
        for part in key.split("."):
            found = found[part]
        assert float(value) == pytest.approx(found, rel=1e-12, abs=1e-15), key


def test_plot_returns_the_pages_figure_and_names_the_charts(web_runs: dict[str, Path]) -> None:
    res = load_results(web_runs["flagship"])
    fig = res.plot("in_force")
    assert [t.name for t in fig.data] == [m.title for m in res.scenario.measures]
    assert res.plot("exposure").to_json() == res.plot("exposure-tiktok_user_days").to_json()
    with pytest.raises(DocketError, match="no chart 'nope'; charts are: timeline, in_force, populations"):
        res.plot("nope")


def test_to_html_writes_the_page_of_brief_html(web_runs: dict[str, Path], tmp_path: Path) -> None:
    """The page ``res.to_html`` writes is :func:`plots.web.page` of the run (what ``brief --html`` writes, but
    for the provenance of the run folder), and it refuses to replace a file docket did not write."""
    res = load_results(web_runs["quick"])
    page = res.to_html(tmp_path / "page.html")
    assert page.read_text(encoding="utf-8") == web.page(res)
    mine = tmp_path / "mine.html"
    mine.write_text("notes", encoding="utf-8")
    with pytest.raises(DocketError, match="not written by docket"):
        res.to_html(mine)


def test_without_the_view_the_plain_repr_shows_and_plot_says_how_to_install(web_runs: dict[str, Path],
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    res = load_results(web_runs["quick"])
    monkeypatch.setattr(views, "entry_points", lambda group: [])
    assert res._repr_html_() is None
    with pytest.raises(DocketError, match=r"pip install -e '\.\[web\]'"):
        res.plot()


def test_comparison_and_sensitivity_show_their_terminal_tables() -> None:
    """A comparison and a sensitivity study in a notebook show the tables `docket compare` and `docket
    sensitivity` print."""
    from sim import load_scenario
    from sim.scenario.loaded import load
    from sim.studies.compare import compare, table_text
    from sim.studies.sensitivity import sensitivity

    path = str(ROOT / "scenarios" / "quickstart.yaml")
    c = compare([load_scenario(path), load_scenario(path)], ["a", "b"], replications=6)
    assert html.unescape(c._repr_html_()) == f'<pre class="docket-comparison">{table_text(c)}</pre>'
    study = sensitivity(load(path), "unpatched_routers", replications=8, top=2)
    assert study.table_text().strip() and \
        html.unescape(study._repr_html_()) == f'<pre class="docket-sensitivity">{study.table_text()}</pre>'


def test_the_worked_example_notebook_runs() -> None:
    """docs/notebook.ipynb executes end to end in a fresh kernel; any error fails the test; its cells show the
    run's view, Plotly figures and the comparison table."""
    import nbclient
    import nbformat

    nb = nbformat.read(ROOT / "docs" / "notebook.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit it without outputs"
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "docs")}}).execute()
    kinds = [set(o.get("data", {})) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert {"text/html"} <= kinds[0]  # res: its _repr_html_
    assert sum("application/vnd.plotly.v1+json" in k for k in kinds) == 2
    assert sum("text/html" in k for k in kinds) >= 3  # the run, the comparison, the sweep's table
