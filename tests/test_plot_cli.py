"""`docket plot` and `docket brief` as a user runs them."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def test_brief_writes_pdf_png_svg(tmp_path):
    """`docket brief` runs the scenario and writes the PDF plus every page as PNG, and as SVG only when asked,
    without warnings."""
    out, plain = tmp_path / "brief", tmp_path / "plain"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = CliRunner().invoke(cli, ["brief", str(QUICKSTART), "-n", "20", "--out", str(out), "--format", "png",
                                       "--format", "svg"])
        default = CliRunner().invoke(cli, ["brief", str(QUICKSTART), "-n", "20", "--out", str(plain)])
    assert res.exit_code == 0, res.output
    assert default.exit_code == 0, default.output
    pngs = sorted(p.stem for p in out.glob("*.png"))
    assert pngs == sorted(p.stem for p in out.glob("*.svg"))
    assert pngs == sorted(p.stem for p in plain.glob("*.png")) and not list(plain.glob("*.svg"))
    assert {"key_numbers", "timeline", "in_force", "populations", "assumptions"} <= set(pngs)
    pdf_pages = len(re.findall(rb"/Type\s*/Page[^s]", (out / "charts.pdf").read_bytes()))
    assert pdf_pages == len(pngs)
    assert (out / "run" / "run.json").is_file()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".docket.json"]  # no temporaries


def test_plot_from_run_folder(tmp_path):
    """`docket plot RUN_DIR --chart ...` draws the chosen charts of a finished run in the chosen format."""
    run_dir = tmp_path / "run"
    runner = CliRunner()
    assert runner.invoke(cli, ["run", str(QUICKSTART), "-n", "20", "--out", str(run_dir), "-q"]).exit_code == 0
    res = runner.invoke(cli, ["plot", str(run_dir), "--chart", "timeline", "--chart", "exposure", "--format", "svg",
                              "--as-of", "2026-02-01"])
    assert res.exit_code == 0, res.output
    written = sorted(p.name for p in (run_dir / "charts").iterdir() if p.name != ".docket.json")
    assert written[0].startswith("exposure-") and "timeline.svg" in written
    assert all(name.endswith(".svg") for name in written)
    assert "As of 1 Feb 2026" in (run_dir / "charts" / "timeline.svg").read_text()


def test_plot_comparison_needs_other_runs(tmp_path):
    """The comparison chart without --compare is a clean error; with it, it is drawn."""
    a, b = tmp_path / "a", tmp_path / "b"
    runner = CliRunner()
    for folder, seed in ((a, "1"), (b, "2")):
        assert runner.invoke(cli, ["run", str(QUICKSTART), "-n", "10", "--seed", seed, "--out", str(folder),
                                   "-q"]).exit_code == 0
    bad = runner.invoke(cli, ["plot", str(a), "--chart", "comparison"])
    assert bad.exit_code != 0 and "needs other runs" in str(bad.exception)
    good = runner.invoke(cli, ["plot", str(a), "--chart", "comparison", "--compare", str(b), "--dpi", "60"])
    assert good.exit_code == 0, good.output
    assert (a / "charts" / "comparison.png").stat().st_size > 5_000


def test_plot_rejects_unknown_chart(tmp_path):
    """An unknown chart name is a usage error (exit 2) listing the choices."""
    res = CliRunner().invoke(cli, ["plot", str(tmp_path), "--chart", "pie"])
    assert res.exit_code == 2 and "timeline" in res.output
    assert os.environ.get("MPLBACKEND", "Agg") == "Agg"
