"""The commands that run a study of several runs: ``docket compare``, ``docket sweep`` and ``docket sensitivity``.

Registered on :data:`cli.cli` (loaded when used); each parses its options, calls one library function, draws its
chart and prints. Heavy libraries are imported inside the commands (start-up time).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli import (
    FORCE_OPTION,
    REPLICATIONS,
    RESUME_OPTION,
    SET_OPTION,
    Command,
    ScenarioFile,
    exec_options,
    memory_option,
    progress_bar,
    say,
    scheduler_of,
)


def finish_study(study: Any, folder: Path, resume: bool) -> None:
    """After a study's outputs are written: say what was reused and where tasks ran; drop its task cache."""
    from sim.runs.outdir import task_cache

    study.finish(task_cache(folder), resume, say)


def study_options(fn: Any) -> Any:
    """What every study command (compare, sweep, sensitivity) takes after its own options."""
    return exec_options(RESUME_OPTION(memory_option(FORCE_OPTION(fn))))


@click.command(cls=Command, name="compare")
@click.argument("files", nargs=-1, required=True, type=ScenarioFile())
@click.option("--variants", help="comma-separated variant ids: with one FILE, the variants to compare with it; "
              "with several FILES, one per file (`-` for the file as written)")
@click.option("--reference", metavar="VARIANT",
              help="with one FILE: compare against this variant [default: the file as written]")
@click.option("--replications", "-n", type=REPLICATIONS, help="replications (default: the reference's)")
@click.option("--seed", type=click.IntRange(min=0), help="root seed of every run (default: the reference's)")
@click.option("--out", type=click.Path(file_okay=False), help="folder for comparison.csv and comparison.png "
              "[default: runs/compare-NAME]")
@SET_OPTION
@study_options
def compare_command(files: tuple[str, ...], variants: str | None, reference: str | None, replications: int | None,
                    seed: int | None, out: str | None, overrides: tuple[str, ...], workers: int | None,
                    scheduler: str | None, dask: str | None, resume: bool, force: bool) -> None:
    """Run scenarios (or variants of one) on the same draws and print paired differences against the first."""
    from plots.comparison import MAX_RUNS, plot
    from plots.pack import save_figure
    from sim.runs.outdir import staged, task_cache
    from sim.scenario.loaded import load, run_defaults
    from sim.studies.compare import compare, compared_runs, table_text

    pairs, labels = compared_runs(files, variants, reference, MAX_RUNS)
    loaded = [load(f, v, overrides) for f, v in pairs]
    folder = Path(out) if out else Path("runs") / f"compare-{loaded[0].scenario.name}"
    with staged(folder, "compare", force=force) as tmp:
        with progress_bar(run_defaults(loaded[0].scenario, replications)[0] * len(loaded)) as bar:
            comparison = compare(loaded, labels, replications, seed, workers, scheduler=scheduler_of(scheduler, dask),
                                 cache=task_cache(folder), resume=resume, progress=bar.update)
        comparison.write_csv(tmp / "comparison.csv")
        save_figure(plot(comparison.results, labels=labels), tmp / "comparison.png")
    finish_study(comparison.study, folder, resume)
    click.echo(table_text(comparison) + "\n")
    click.echo(f"wrote {folder}/comparison.csv and comparison.png")


@click.command(cls=Command)
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
@click.option("--replications", "-n", type=REPLICATIONS, help="replications per point")
@click.option("--seed", type=click.IntRange(min=0),
              help="root seed of the runs and of a sampled design (default: the scenario's)")
@click.option("--out", type=click.Path(file_okay=False), help="folder for sweep.csv and sweep.png "
              "[default: runs/sweep-NAME]")
@study_options
def sweep(file: str, params: tuple[str, ...], samples: int | None, method: str, patterns: tuple[str, ...],
          variant: str | None, overrides: tuple[str, ...], replications: int | None, seed: int | None,
          out: str | None, workers: int | None, scheduler: str | None, dask: str | None, resume: bool,
          force: bool) -> None:
    """Run FILE over a grid of values or N sampled points (same random draws at every point) and tabulate
    inputs against outcomes."""
    from plots.pack import save_figure
    from plots.sweep import plot_plan
    from sim.runs.atomic import write_text
    from sim.runs.outdir import staged, task_cache
    from sim.scenario.loaded import load, run_defaults
    from sim.studies.sweep import SweepRequest

    request = SweepRequest.of(method, samples, params, patterns)  # option and --param errors before loading
    loaded = load(file, variant, overrides)
    folder = Path(out or Path("runs") / f"sweep-{loaded.scenario.name}")
    with staged(folder, "sweep", force=force) as staging:  # checked and created before the pilot run and points
        points = request.plan(loaded, seed)
        if points.design is not None and points.design.pilot:
            say(f"sampling {len(points.design.columns)} uncertain inputs found by a pilot run of "
                 f"{points.design.pilot} replications")
        with progress_bar(points.points * run_defaults(loaded.scenario, replications)[0]) as bar:
            table, results, study = points.run(replications=replications, seed=seed, workers=workers, resume=resume,
                                               scheduler=scheduler_of(scheduler, dask), cache=task_cache(folder),
                                               progress=bar.update)
        write_text(staging / "sweep.csv", table.to_csv(index=False))
        if loaded.scenario.metrics:
            save_figure(plot_plan(points, table, results), staging / "sweep.png")
    finish_study(study, folder, resume)
    click.echo(points.summary(table))
    click.echo(f"wrote {folder}/")


@click.command(cls=Command)
@click.argument("file", type=ScenarioFile())
@click.option("--outcome", required=True, metavar="NAME",
              help="METRIC (exposure), METRIC.avoided, POPULATION (stock) or MEASURE (P(in force by)), on the "
                   "window end or @YYYY-MM-DD: tiktok_user_days, tiktok_app_store@2020-11-12")
@click.option("--variant", help="apply this named variant")
@SET_OPTION
@click.option("--replications", "-n", type=REPLICATIONS, help="replications per run (default: the scenario's)")
@click.option("--seed", type=click.IntRange(min=0), help="root seed of every run (default: the scenario's)")
@click.option("--top", type=click.IntRange(min=0), default=12, show_default=True,
              help="inputs run one at a time (held low, then high), by |rank correlation|; 0 for all")
@click.option("--out", type=click.Path(file_okay=False), help="folder for sensitivity.csv, tornado.png and "
              "ranking.png [default: runs/sensitivity-NAME]")
@study_options
def sensitivity(file: str, outcome: str, variant: str | None, overrides: tuple[str, ...], replications: int | None,
                seed: int | None, top: int, out: str | None, workers: int | None, scheduler: str | None,
                dask: str | None, resume: bool, force: bool) -> None:
    """Rank the uncertain inputs of FILE by how much they move one outcome: tornado chart and global measures."""
    from plots import tornado
    from plots.pack import save_figure
    from sim.runs.outdir import staged, task_cache
    from sim.scenario.loaded import load, run_defaults
    from sim.studies.sensitivity import parse_outcome
    from sim.studies.sensitivity import sensitivity as run_sensitivity

    loaded = load(file, variant, overrides)
    parse_outcome(loaded.scenario, outcome)  # a bad name stops here, before anything runs
    folder = Path(out or Path("runs") / f"sensitivity-{loaded.scenario.name}")
    # The number of inputs is known only after the base run: the bar counts 1 + 2 * top runs (top 12 if 0).
    with staged(folder, "sensitivity", force=force) as tmp, \
            progress_bar(run_defaults(loaded.scenario, replications)[0] * (1 + 2 * (top or 12))) as bar:
        sens = run_sensitivity(loaded, outcome, replications=replications, seed=seed, top=top, workers=workers,
                               scheduler=scheduler_of(scheduler, dask), cache=task_cache(folder), resume=resume,
                               progress=bar.update)
        sens.write_csv(tmp / "sensitivity.csv")
        save_figure(tornado.plot(sens), tmp / "tornado.png")
        save_figure(tornado.plot_ranking(sens), tmp / "ranking.png")
    finish_study(sens.study, folder, resume)
    click.echo(sens.table_text() + "\n")
    click.echo(f"wrote {folder}/sensitivity.csv, tornado.png and ranking.png")
