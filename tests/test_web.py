"""The interactive page (``docket brief --html``, ``docket report``): self-contained, the same numbers as the run's
summary.json, runs compared as paired differences, and bad input refused before a page is half-written."""

from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import cli
from plots import web
from sim import __version__
from sim.runs.records import load_results
from sim.scenario.errors import DocketError
from sim.studies.paired import paired

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "tiktok-wechat-2020.yaml"
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def run(args: list[str]) -> Any:
    """``docket ARGS`` through click, the result."""
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def runs(web_runs: dict[str, Path]) -> dict[str, Path]:
    """The run folders of ``conftest.web_runs``."""
    return web_runs


def lookup(summary: dict[str, Any], key: str) -> Any:
    """``summary["measures"]["x"]["p_in_force_on"]["2020-10-01"]`` for ``measures.x.p_in_force_on.2020-10-01``
    (dates hold no dot, ids neither)."""
    value: Any = summary
    for part in key.split("."):
        value = value[part]
    return value


def csv_of(text: str, chart: str) -> str:
    """The CSV a chart's download link holds."""
    found = re.search(rf'download="{re.escape(chart)}.csv" href="data:text/csv;charset=utf-8,([^"]*)"', text)
    assert found, f"no CSV link for {chart}"
    return urllib.parse.unquote(found.group(1))


def test_report_page_is_self_contained_and_says_what_summary_json_says(runs: dict[str, Path], tmp_path: Path
                                                                       ) -> None:
    """One file, nothing fetched (no src/href to the network, Plotly inlined); every key number on the page
    carries the value summary.json holds, and the bottom line is the pack's."""
    out = tmp_path / "page.html"
    res = run(["report", str(runs["flagship"]), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    from plotly.offline import get_plotlyjs

    assert f"<script>{get_plotlyjs()}</script>" in text  # plotly.js itself is inside
    ours = text.replace(get_plotlyjs(), "").split('<section id="assumptions"')[0]  # sources may link out
    assert not re.search(r'(src|href)="(https?:)?//', ours) and "<link" not in ours and "@import" not in ours
    assert "<script src" not in text and "Plotly.newPlot(" in text.replace(get_plotlyjs(), "")
    summary = json.loads((runs["flagship"] / "summary.json").read_text(encoding="utf-8"))
    cells = re.findall(r'data-key="([^"]+)" data-value="([^"]+)"', text)
    assert len(cells) > 40
    for key, value in cells:
        assert float(value) == pytest.approx(lookup(summary, key), rel=1e-12, abs=1e-15), key
    keys = {k for k, _ in cells}
    for mid in summary["measures"]:
        assert {f"measures.{mid}.p_in_force_on.{d}" for d in summary["key_dates"]} <= keys
    from plots.key_numbers import bottom_line

    assert html.escape(" ".join(bottom_line(load_results(runs["flagship"])))) in text
    from sim.text.narrate import split_sentence

    assert summary["splits"]
    for sp in summary["splits"]:  # each split outcome as the terminal summary says it: each side's chance
        assert f"<li>{html.escape(split_sentence(sp))}</li>" in text


def test_each_chart_has_text_alternative_and_csv_of_its_data(runs: dict[str, Path]) -> None:
    """Every chart has its finding as heading, a text alternative, and a CSV whose rows are the chart's series."""
    results = load_results(runs["flagship"])
    charts = web.charts(results)
    assert [c.id for c in charts][:3] == ["timeline", "in_force", "populations"]
    text = web.page(results)
    for c in charts:
        assert f'id="{c.id}-alt"' in text and c.alt and c.alt[0]
        got = pd.read_csv(io.StringIO(csv_of(text, c.id)))
        want = pd.read_csv(io.StringIO(c.table.to_csv(index=False, date_format="%Y-%m-%d")))
        pd.testing.assert_frame_equal(got, want, check_exact=False, check_dtype=False, rtol=1e-9)  # 10 digits
    frame = charts[1].table  # in force: on each key date, the chance the key-numbers table prints
    for mid, m in results.summary["measures"].items():
        for k in results.summary["key_dates"]:
            on = frame[(frame["measure"] == mid) & (frame["date"] == k)]["probability"]
            assert list(on) == [pytest.approx(m["p_in_force_on"][k])], (mid, k)


def test_report_compares_runs_as_paired_differences_and_labels_other_scenarios(runs: dict[str, Path],
                                                                                tmp_path: Path) -> None:
    """Several folders on one page: the variant's paired differences are those of compare (same draws, row by
    row), and a run of another scenario is allowed and named as such."""
    out = tmp_path / "report.html"
    res = run(["report", str(runs["flagship"]), str(runs["deal"]), str(runs["quick"]), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert 'id="comparison"' in text and 'id="differences"' in text
    assert "Router sales ban, smallest example: as written" in text  # the other scenario, labelled by its title
    a, b = load_results(runs["flagship"]), load_results(runs["deal"])
    table = web.charts(a, [b, load_results(runs["quick"])])[-1].table
    assert set(table["label"]) == {"TikTok and WeChat prohibitions, Sept 2020: The Oracle/Walmart deal closes at the "
                                   "end of September"}  # the quickstart has other draws: not paired
    assert a.finals is not None and b.finals is not None
    for _, row in table.iterrows():
        x = a.finals[a.finals["metric"] == row["metric"]].sort_values("replication")["total"].to_numpy(np.float64)
        y = b.finals[b.finals["metric"] == row["metric"]].sort_values("replication")["total"].to_numpy(np.float64)
        want = paired(x, y, np.maximum(np.abs(x), np.abs(y)))
        assert row["diff_mean"] == pytest.approx(float((y - x).mean()), abs=1e-6 * max(1.0, float(np.abs(x).max())))
        assert {k: row[k] for k in want} == pytest.approx(want)


def test_brief_html_writes_the_page_beside_the_pack(tmp_path: Path) -> None:
    """`docket brief FILE --html` writes briefing.html in the pack folder and says so; without --html, none."""
    out = tmp_path / "pack"
    res = run(["brief", str(QUICKSTART), "-n", "12", "--out", str(out), "--html", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert f"wrote {out / web.PAGE_NAME} (open it in a browser)" in res.output
    text = (out / web.PAGE_NAME).read_text(encoding="utf-8")
    assert f'content="docket {__version__}"' in text and "Router sales ban" in text
    record = json.loads((out / "run" / "run.json").read_text(encoding="utf-8"))
    assert f"<td>{record['scenario_hash']}</td>" in text and f"<td>{record['seed']}</td>" in text  # provenance
    assert not list(out.glob("*.tmp*"))
    again = load_results(out / "run").to_html(tmp_path / "again.html").read_text(encoding="utf-8")
    cut = '<section id="provenance">'
    assert again.split(cut)[0] == text.split(cut)[0]  # res.to_html: the same page, but for run.json's provenance


def error_of(args: list[str]) -> tuple[int, str]:
    """``docket ARGS`` in-process: the exit code and the message of the DocketError it stopped with (the
    console entry point prints it as ``error: ...``, exit 1), or its output when it succeeded."""
    res = CliRunner().invoke(cli, args)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        assert isinstance(res.exception, DocketError), repr(res.exception)  # a user's error, not a crash
        return 1, str(res.exception)
    return res.exit_code, res.output


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    """As a user sees it (a fresh process): one error line with a hint, exit 1, no traceback, no page."""
    (tmp_path / "notes").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DOCKET_DEBUG"}
    proc = subprocess.run([sys.executable, "-m", "cli", "report", str(tmp_path / "notes"), "--out",
                           str(tmp_path / "p.html")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 1, proc.stderr
    assert "is not a run folder" in proc.stderr and "run.json" in proc.stderr and "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "p.html").exists()


def test_report_refuses_an_output_it_cannot_write(runs: dict[str, Path], tmp_path: Path) -> None:
    """A missing folder, a folder as file, and a file docket did not write (kept as it was) are refused first."""
    folder = str(runs["quick"])
    code, text = error_of(["report", folder, "--out", str(tmp_path / "no" / "p.html")])
    assert code != 0 and "does not exist" in text
    code, text = error_of(["report", folder, "--out", str(tmp_path)])
    assert code != 0 and "it is a folder" in text
    mine = tmp_path / "mine.html"
    mine.write_text("<p>my notes</p>", encoding="utf-8")
    code, text = error_of(["report", folder, "--out", str(mine)])
    assert code != 0 and "was not written by docket" in text and "--force" in text
    assert mine.read_text(encoding="utf-8") == "<p>my notes</p>"
    ours = tmp_path / "ours.html"
    assert error_of(["report", folder, "--out", str(ours)])[0] == 0
    assert error_of(["report", folder, "--out", str(ours)])[0] == 0  # a page docket wrote is replaced


def test_a_failed_page_leaves_the_old_one(runs: dict[str, Path], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The page is written atomically: an error while writing keeps the previous page, and no temporary."""
    out = tmp_path / "p.html"
    assert error_of(["report", str(runs["quick"]), "--out", str(out)])[0] == 0
    before = out.read_bytes()

    def broken(*_: Any, **__: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(web, "page", broken)
    with pytest.raises(OSError):
        web.write_report([str(runs["quick"])], out)
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]


def test_a_run_of_another_version_is_read_when_compatible_else_named(runs: dict[str, Path], tmp_path: Path) -> None:
    """A folder from another docket version is charted when its files load (its version in the provenance);
    when they do not, the message names the folder and both versions."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(runs["quick"], old)
    record = json.loads((old / "run.json").read_text(encoding="utf-8"))
    record["docket_version"] = "0.0.9"
    (old / "run.json").write_text(json.dumps(record), encoding="utf-8")
    out = tmp_path / "p.html"
    assert error_of(["report", str(old), "--out", str(out)])[0] == 0
    assert "<td>0.0.9</td>" in out.read_text(encoding="utf-8")
    summary = json.loads((old / "summary.json").read_text(encoding="utf-8"))
    del summary["key_dates"]
    (old / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    code, text = error_of(["report", str(old), "--out", str(tmp_path / "q.html")])
    assert code != 0 and "0.0.9" in text and __version__ in text and str(old) in text and "hint:" in text
    assert "Traceback" not in text and not (tmp_path / "q.html").exists()


def test_run_and_brief_without_html_do_not_import_plotly(tmp_path: Path) -> None:
    """Plotly is loaded on the HTML path only: `docket run` and `docket brief` without --html start as before."""
    code = f"""
import json, sys
import cli
from click.testing import CliRunner
done = [CliRunner().invoke(cli.cli, ["run", {str(QUICKSTART)!r}, "-n", "4", "--out", {str(tmp_path / "r")!r}, "-q",
                                     "--workers", "1"]).exit_code]
done.append(CliRunner().invoke(cli.cli, ["brief", {str(QUICKSTART)!r}, "-n", "4", "--out", {str(tmp_path / "b")!r},
                                         "--workers", "1"]).exit_code)
print(json.dumps([done, sorted(m for m in sys.modules if m.split(".")[0] == "plotly")]))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    done, loaded = json.loads(proc.stdout.splitlines()[-1])
    assert done == [0, 0] and loaded == []


@pytest.fixture(scope="module")
def outlook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small forecast of the flagship as seen on two dates (before and after the Marland injunction)."""
    folder = tmp_path_factory.mktemp("outlook") / "fc"
    res = run(["forecast", str(FLAGSHIP), "--dates", "2020-09-18", "--dates", "2020-11-06", "-n", "20",
               "--target", "2020-11-12", "--out", str(folder)])
    assert res.exit_code == 0, res.output
    return folder


def test_report_shows_the_outlook_over_time_of_a_forecast_folder(runs: dict[str, Path], outlook: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    res = run(["report", str(runs["flagship"]), "--forecast", str(outlook), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    meta = json.loads((outlook / "forecast.json").read_text(encoding="utf-8"))
    assert text.index('id="outlook"') < text.index('id="changes"') < text.index('id="timeline"')
    assert f'<h2 id="outlook-title">{html.escape(meta["finding"])}</h2>' in text  # the PNG's title, not another
    assert html.escape(meta["changes"]) in text  # the text `docket forecast` printed
    drawn = pd.read_csv(io.StringIO(csv_of(text, "outlook")), dtype={"as_of": str})
    table = pd.read_csv(outlook / "forecast.csv", dtype={"as_of": str})
    table = table[(table["kind"] == "in_force_by") & (table["date"] == "2020-11-12")]
    for m in meta["measures"]:
        want = table[table["target"] == m["id"]].sort_values("as_of")
        got = drawn[drawn["measure"] == m["id"]]
        assert list(got["as_of"]) == list(want["as_of"]) == ["2020-09-18", "2020-11-06"]
        assert np.allclose(got["value"], want["value"])
    hosting = drawn[drawn["measure"] == "tiktok_hosting_cutoff"]["value"]
    assert hosting.iloc[-1] == 0.0  # enjoined on Oct 30: the chart moves when the record does


def test_report_refuses_a_forecast_of_another_scenario_or_a_folder_that_is_not_one(
        runs: dict[str, Path], outlook: Path, tmp_path: Path) -> None:
    code, message = error_of(["report", str(runs["quick"]), "--forecast", str(outlook),
                              "--out", str(tmp_path / "a.html")])
    assert code == 1 and "'tiktok-wechat-2020'" in message and "'quickstart'" in message
    code, message = error_of(["report", str(runs["flagship"]), "--forecast", str(runs["quick"]),
                              "--out", str(tmp_path / "b.html")])
    assert code == 1 and "not a folder written by `docket forecast`" in message and "forecast.json" in message
    assert not (tmp_path / "a.html").exists() and not (tmp_path / "b.html").exists()
