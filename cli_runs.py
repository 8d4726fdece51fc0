"""The commands that write or read a run folder: ``docket run``, ``docket brief`` and ``docket plot``.

Registered on :data:`cli.cli` (loaded when used); each parses its options, calls one library function and prints.
Heavy libraries are imported inside the commands (start-up time).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli import (
    FORCE_OPTION,
    REPLICATIONS,
    SEED_OPTION,
    SET_OPTION,
    Command,
    ScenarioFile,
    exec_options,
    memory_option,
    progress_bar,
    say,
    scheduler_of,
)

AS_OF_OPTION = click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
                            help="draw an 'as of' line on the timeline at this date [default: the scenario's as_of]")


@click.command(cls=Command)
@click.argument("file", required=False, type=ScenarioFile())
@click.option("--variant", help="run this named variant of the scenario")
@click.option("--replications", "-n", type=REPLICATIONS, help="replications (default: the scenario's)")
@SEED_OPTION
@click.option("--out", type=click.Path(file_okay=False), help="run folder [default: runs/NAME or runs/NAME.VARIANT]")
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
@SET_OPTION
@memory_option
@FORCE_OPTION
def run(file: str | None, variant: str | None, replications: int | None, seed: int | None, out: str | None,
        fmt: str, keep_replications: bool, workers: int | None, scheduler: str | None, dask: str | None,
        verify_accounting: bool, check_alias: bool, from_run: str | None, ignore_hash: bool, quiet: bool,
        overrides: tuple[str, ...], force: bool) -> None:
    """Simulate FILE and write a run folder (tables, summary.json, run.json)."""
    from sim.runs.outdir import staged
    from sim.runs.records import check_source, rerun, run_folder, write_run
    from sim.runs.runner import run as simulate
    from sim.scenario.loaded import load, run_defaults
    from sim.text.narrate import summary_text

    check_source(file, from_run, overrides, ignore_hash)
    if from_run is not None:
        loaded, seed, replications, source = rerun(from_run, ignore_hash=ignore_hash, replications=replications,
                                                   seed=seed, warn=lambda w: say(f"warning: {w}"))
    else:
        loaded, source = load(str(file), variant, overrides), file
    n = run_defaults(loaded.scenario, replications)[0]
    folder = out or str(run_folder(loaded.scenario))
    with staged(folder, "run", force=force) as tmp:  # checked and created before anything runs
        with progress_bar(n, quiet) as bar:
            results = simulate(loaded.scenario, replications=n, seed=seed, workers=workers,
                               scheduler=scheduler_of(scheduler, dask), keep_replications=keep_replications,
                               verify_accounting=verify_accounting or check_alias, progress=bar.update)
        write_run(results, tmp, loaded.data, fmt=fmt, source=source)
    if not quiet:
        click.echo(summary_text(results) + "\n")
    click.echo(f"wrote {folder}/")


CHART_NAMES = ("key_numbers", "timeline", "in_force", "populations", "exposure", "comparison", "assumptions")


@click.command(cls=Command)
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
def plot(run_dir: str, charts: tuple[str, ...], fmt: str, out: str | None, compare: tuple[str, ...],
         dpi: int, as_of: Any, force: bool) -> None:
    """Draw charts of a finished run (from `docket run`) into a charts folder (replaced whole)."""
    from plots.pack import write_charts
    from sim.runs.outdir import staged
    from sim.runs.records import load_results

    results, others = load_results(run_dir), [load_results(d) for d in compare]
    folder = out or str(Path(run_dir) / "charts")
    with staged(folder, "plot", force=force, protect=(run_dir, *compare)) as tmp:
        written = write_charts(results, tmp, charts, fmt, dpi, others, as_of.date() if as_of else "scenario")
    for path in written:
        click.echo(f"wrote {Path(folder) / path.relative_to(tmp)}")


@click.command(cls=Command)
@click.argument("file", type=ScenarioFile())
@click.option("--variant", help="run this named variant of the scenario")
@click.option("--replications", "-n", type=REPLICATIONS, help="replications (default: the scenario's)")
@SEED_OPTION
@click.option("--out", type=click.Path(file_okay=False),
              help="folder for the pack and its run/ [default: the pack in runs/NAME[.VARIANT]/brief, next to the run]")
@AS_OF_OPTION
@SET_OPTION
@exec_options
@memory_option
@FORCE_OPTION
def brief(file: str, variant: str | None, replications: int | None, seed: int | None, out: str | None,
          as_of: Any, overrides: tuple[str, ...], workers: int | None, scheduler: str | None, dask: str | None,
          force: bool) -> None:
    """Run FILE and write the briefing pack: one multi-page PDF plus every chart as PNG (200 dpi) and SVG."""
    from plots.pack import write_pack
    from sim.runs.outdir import staged
    from sim.runs.records import run_folder, write_run
    from sim.runs.runner import run as simulate
    from sim.scenario.loaded import load, run_defaults

    loaded = load(file, variant, overrides)
    run_dir = run_folder(loaded.scenario)
    # One staged folder for the run and its pack: a kill mid-pack leaves the old run and the old pack.
    target = Path(out) if out else run_dir
    with staged(target, "brief", force=force) as tmp:
        with progress_bar(run_defaults(loaded.scenario, replications)[0]) as bar:
            results = simulate(loaded.scenario, replications=replications, seed=seed, workers=workers,
                               scheduler=scheduler_of(scheduler, dask), progress=bar.update)
        write_run(results, tmp / "run" if out else tmp, loaded.data, source=file)
        written = write_pack(results, tmp if out else tmp / "brief", as_of=as_of.date() if as_of else "scenario")
    folder = target if out else run_dir / "brief"
    click.echo(f"wrote {folder / written[0].name} and {len(written) - 1} chart files in {folder}/")
