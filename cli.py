"""docket's command line: a thin click layer over ``sim`` (and ``plots``).

Each command parses options, calls one library function, and prints or saves the result. The shared options,
argument types, progress bar and error handling are in :mod:`cli_kit`. Heavy libraries (numpy, pandas, simpy,
matplotlib) are imported inside the commands that need them, so ``docket --help`` and ``docket validate`` start
fast. Errors a user can fix (:class:`sim.scenario.errors.DocketError`) are printed once, cleanly, with exit code 1;
usage errors exit 2; nothing prints a traceback unless ``DOCKET_DEBUG=1``.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from cli_kit import (
    AS_OF_OPTION,
    FORCE_OPTION,
    SEED_OPTION,
    SEEN_OPTION,
    SET_OPTION,
    VARIANT_OPTION,
    Bar,
    Group,
    ScenarioFile,
    echo_written,
    exec_options,
    forecast_options,
    memory_option,
    out_option,
    replications_option,
    report_options,
    run_group,
    say,
    score_options,
    study_options,
    test_options,
)
from sim import __version__


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="docket", message="%(prog)s %(version)s")
def cli() -> None:
    """docket: simulate deadlines of government measures (bans, cutoffs, deferrals, injunctions) and the
    exposure that accumulates while they are pending.

    Start with `docket new my-scenario`, check it with `docket validate`, run it with `docket run`.
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for machines")
def validate(paths: tuple[str, ...], fmt: str) -> None:
    """Check scenario files (or every *.yaml under folders): prints `ok` or every problem; exit 1 if any."""
    from sim.scenario.validation import validate_paths

    report = validate_paths(paths)
    click.echo(report.as_json() if fmt == "json" else report.text())
    if report.bad:
        sys.exit(1)


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False), help="write to this file instead of the terminal")
def schema(out: str | None) -> None:
    """Print the JSON Schema of the scenario format (for editor validation, e.g. VS Code YAML)."""
    from sim.runs.atomic import write_text
    from sim.scenario.jsonschema import schema_text

    if out:
        write_text(out, schema_text())
        click.echo(f"wrote {out}")
    else:
        click.echo(schema_text(), nl=False)


@cli.command()
@click.argument("file", type=ScenarioFile())
@VARIANT_OPTION
def resolve(file: str, variant: str | None) -> None:
    """Print the effective scenario after `extends` and `--variant` are merged (and check it)."""
    from sim.scenario.errors import ScenarioError
    from sim.scenario.resolved import resolved_yaml

    text, diagnostics = resolved_yaml(file, variant)
    click.echo(text, nl=False)
    if diagnostics:
        raise ScenarioError(diagnostics)


@cli.command()
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=".", show_default=True,
              help="folder to write NAME.yaml into")
@click.option("--force", is_flag=True, help="overwrite an existing file")
def new(name: str, directory: str, force: bool) -> None:
    """Write a commented starter scenario NAME.yaml that validates and runs."""
    from sim.runs.atomic import write_text
    from sim.scenario.starter import starter

    target, text = starter(name, directory, force)
    write_text(target, text)
    click.echo(f"wrote {target}\nnext: docket validate {target} && docket run {target}")


@cli.command()
@click.argument("file", required=False, type=ScenarioFile())
@VARIANT_OPTION
@replications_option()
@SEED_OPTION
@out_option("run folder [default: runs/NAME or runs/NAME.VARIANT]")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="table format of the run folder")
@click.option("--keep-replications", is_flag=True, help="also write every replication's series")
@exec_options
@click.option("--verify-accounting", is_flag=True, help="assert in every chunk that each stock's change equals its "
              "inflow - outflow + transfers (internal assertion mode, slower)")
@click.option("--check", "check_alias", is_flag=True, hidden=True)  # the old name of --verify-accounting
@click.option("--from", "from_run", type=click.Path(exists=True, file_okay=False),
              help="re-run exactly the scenario, seed and replications recorded in this run folder")
@click.option("--ignore-hash", is_flag=True,
              help="with --from: run a run.json whose hashes no longer match (an edited file), with a warning")
@click.option("--quiet", "-q", is_flag=True, help="print only the run folder")
@SEEN_OPTION
@SET_OPTION
@memory_option
@FORCE_OPTION
def run(file: str | None, check_alias: bool, verify_accounting: bool, quiet: bool, **options: Any) -> None:
    """Simulate FILE and write a run folder (tables, summary.json, run.json)."""
    from sim.runs.job import run_to_folder
    from sim.text.narrate import next_steps, summary_text

    with Bar(quiet) as bar:
        results, folder = run_to_folder(file, verify_accounting=verify_accounting or check_alias, progress=bar,
                                        warn=say, **options)
    if not quiet:
        click.echo(summary_text(results) + "\n")
    click.echo(f"wrote {folder}/")
    if not quiet:
        click.echo(next_steps(str(folder), file))


@cli.command()
@click.argument("file", type=ScenarioFile())
@VARIANT_OPTION
def plan(file: str, variant: str | None) -> None:
    """Print the planned timeline of FILE: dates and the rules that can move them, before any randomness."""
    from sim.scenario.loaded import load
    from sim.text.narrate import plan_text

    click.echo(plan_text(load(file, variant).scenario))


@cli.command()
@click.argument("file", type=ScenarioFile())
@click.option("--replication", "-r", type=click.IntRange(min=0), default=0, show_default=True,
              help="which replication to narrate (same draws as in `docket run`)")
@VARIANT_OPTION
@SEED_OPTION
def explain(file: str, replication: int, variant: str | None, seed: int | None) -> None:
    """Tell one replication of FILE as dated sentences: what happened to each measure, and why."""
    from sim.scenario.loaded import load
    from sim.text.narrate import explain_text

    click.echo(explain_text(load(file, variant).scenario, replication, seed))


@cli.command()
@forecast_options
def forecast(file: str, **options: Any) -> None:
    """Run FILE as seen on each date (its record's facts up to it fixed): a table, a chart, what changed."""
    from plots.forecast import write_forecast
    echo_written(write_forecast(file, say=say, **options))


CHART_NAMES = ("key_numbers", "timeline", "in_force", "populations", "exposure", "outcomes", "comparison",
               "assumptions")


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--chart", "charts", multiple=True, type=click.Choice(CHART_NAMES),
              help="chart to draw (repeat for several; default: all)")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png", show_default=True,
              help="file format of each chart")
@click.option("--out", type=click.Path(file_okay=False), help="folder for the charts [default: RUN_DIR/charts]")
@click.option("--compare", "compare", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="another run folder to compare with (repeat; enables the comparison chart)")
@click.option("--dpi", type=click.IntRange(50, 600), default=200, show_default=True, help="resolution of PNGs")
@AS_OF_OPTION
@FORCE_OPTION
def plot(run_dir: str, **options: Any) -> None:
    """Draw charts of a finished run (from `docket run`) into a charts folder (replaced whole)."""
    from plots.folders import write_plots

    for path in write_plots(run_dir, **options):
        click.echo(f"wrote {path}")


@cli.command()
@click.argument("file", type=ScenarioFile())
@VARIANT_OPTION
@replications_option()
@SEED_OPTION
@out_option("folder for the pack and its run/ [default: the pack in runs/NAME[.VARIANT]/brief, next to the run]")
@AS_OF_OPTION
@SET_OPTION
@exec_options
@memory_option
@FORCE_OPTION
@click.option("--format", "formats", multiple=True, type=click.Choice(["png", "svg"]), default=("png",),
              show_default=True, help="image format of each page besides the PDF; repeat for both (SVG keeps text)")
@click.option("--html", is_flag=True, help="also write briefing.html: one interactive page, opens with no network")
def brief(file: str, **options: Any) -> None:
    """Run FILE and write the briefing pack: one multi-page PDF plus every chart as PNG (200 dpi), SVG if asked."""
    from plots.folders import write_brief

    with Bar() as bar:
        folder, written, text = write_brief(file, progress=bar, **options)
    click.echo(text + "\n")
    page = [written.pop()] if options["html"] else []
    click.echo(f"wrote {folder / written[0].name} and {len(written) - 1} chart files in {folder}/")
    click.echo("".join(f"wrote {p} (open it in a browser)" for p in page), nl=bool(page))


@cli.command(name="report")
@report_options
def report_command(run_dirs: tuple[str, ...], out: str, force: bool, forecast: str | None) -> None:
    """Write one interactive HTML page of finished runs: the first run, compared with the others."""
    from plots.web import write_report

    click.echo(f"wrote {write_report(run_dirs, out, force, forecast)} (open it in a browser)")


@cli.command(name="test")
@test_options
def test_command(paths: tuple[str, ...], fmt: str, **options: Any) -> None:
    """Regression-test scenario files: check their expectations and compare with their baselines; exit 1 on
    any failure."""
    from sim.testing.session import run_tests

    report = run_tests(paths, **options)
    click.echo(report.as_json() if fmt == "json" else report.text(), nl=fmt != "json")
    if not report.passed:
        sys.exit(1)


@cli.command(name="score")
@score_options
def score_command(paths: tuple[str, ...], **options: Any) -> None:
    """Score the forecasts of scenario files with a record (or folders of them): Brier, log score, reliability."""
    from plots.score import write_score
    echo_written(write_score(paths, say=say, **options))


@cli.command(name="compare")
@click.argument("files", nargs=-1, required=True, type=ScenarioFile())
@click.option("--variants", help="comma-separated variant ids: with one FILE, the variants to compare with it; "
              "with several FILES, one per file (`-` for the file as written)")
@click.option("--reference", metavar="VARIANT",
              help="with one FILE: compare against this variant [default: the file as written]")
@replications_option("replications (default: the reference's)")
@click.option("--seed", type=click.IntRange(min=0), help="root seed of every run (default: the reference's)")
@out_option("folder for comparison.csv, comparison.png and differences.png [default: runs/compare-NAME]")
@SET_OPTION
@study_options
def compare_command(files: tuple[str, ...], **options: Any) -> None:
    """Run scenarios (or variants of one) on the same draws and print paired differences against the first."""
    from plots.folders import write_comparison
    from sim.studies.compare import table_text

    with Bar() as bar:
        comparison, folder = write_comparison(files, progress=bar, say=say, **options)
    click.echo(table_text(comparison) + "\n")
    charts = "comparison.png and differences.png" if (folder / "differences.png").exists() else "comparison.png"
    click.echo(f"wrote {folder}/comparison.csv, {charts}")


@cli.command()
@click.argument("file", type=ScenarioFile())
@click.option("--param", "params", multiple=True, metavar="KEY=LO:HI[:STEPS]",
              help="a swept value: KEY=LO:HI:STEPS for a grid, e.g. "
                   "measures.hosting_cutoff.deadline=2020-11-12:2021-05-12:7 (repeat for a full grid); "
                   "KEY=LO:HI with --samples")
@click.option("--samples", type=click.IntRange(min=1, max=10_000),
              help="run N sampled points instead of a grid (needs --method lhs or random)")
@click.option("--method", type=click.Choice(["grid", "lhs", "random"]), default="grid", show_default=True,
              help="grid: every combination of the STEPS values; lhs: a Latin hypercube of --samples points; "
                   "random: independent uniform points. lhs/random without --param sample the scenario's own "
                   "uncertain inputs, held fixed within each point")
@click.option("--inputs", "patterns", multiple=True, metavar="PATTERN",
              help="with --samples and no --param: sample only the uncertain inputs whose stream name matches "
                   "(shell-style, e.g. 'param:populations.*'; repeatable)")
@click.option("--variant", help="sweep this named variant of the scenario")
@SET_OPTION
@replications_option("replications per point")
@click.option("--seed", type=click.IntRange(min=0),
              help="root seed of the runs and of a sampled design (default: the scenario's)")
@out_option("folder for sweep.csv and sweep.png [default: runs/sweep-NAME]")
@study_options
def sweep(file: str, params: tuple[str, ...], samples: int | None, method: str, patterns: tuple[str, ...],
          **options: Any) -> None:
    """Run FILE over a grid of values or N sampled points (same random draws at every point) and tabulate
    inputs against outcomes."""
    from plots.folders import write_sweep
    from sim.studies.sweep import SweepRequest

    request = SweepRequest.of(method, samples, params, patterns)  # option and --param errors before loading
    with Bar() as bar:
        points, table, folder = write_sweep(file, request, progress=bar, say=say, **options)
    click.echo(points.summary(table))
    click.echo(f"wrote {folder}/")


@cli.command()
@click.argument("file", type=ScenarioFile())
@click.option("--outcome", required=True, metavar="NAME",
              help="METRIC (exposure), METRIC.avoided, POPULATION (stock) or MEASURE (P(in force by)), on the "
                   "window end or @YYYY-MM-DD: tiktok_user_days, tiktok_app_store@2020-11-12")
@VARIANT_OPTION
@SET_OPTION
@replications_option("replications per run (default: the scenario's)")
@click.option("--seed", type=click.IntRange(min=0), help="root seed of every run (default: the scenario's)")
@click.option("--top", type=click.IntRange(min=0), default=12, show_default=True,
              help="inputs run one at a time (held low, then high), by |rank correlation|; 0 for all")
@out_option("folder for sensitivity.csv, tornado.png and ranking.png [default: runs/sensitivity-NAME]")
@study_options
def sensitivity(file: str, outcome: str, **options: Any) -> None:
    """Rank the uncertain inputs of FILE by how much they move one outcome: tornado chart and global measures."""
    from plots.folders import write_sensitivity

    with Bar() as bar:
        sens, folder = write_sensitivity(file, outcome, progress=bar, say=say, **options)
    click.echo(sens.table_text() + "\n")
    click.echo(f"wrote {folder}/sensitivity.csv, tornado.png and ranking.png")


def main() -> None:
    """Console entry point (:func:`cli_kit.run_group`)."""
    run_group(cli)


if __name__ == "__main__":
    main()
