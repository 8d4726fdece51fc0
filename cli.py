"""docket's command line: a thin click layer over ``sim`` (and ``plots``).

Each command parses options, calls one library function, and prints or saves the result. Heavy libraries
(numpy, pandas, simpy, matplotlib) are imported inside the commands that need them, so ``docket --help`` and
``docket validate`` start fast. Errors a user can fix (:class:`sim.scenario.errors.DocketError`) are printed once,
cleanly, with exit code 1; usage errors exit 2; nothing prints a traceback unless ``DOCKET_DEBUG=1``.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

import click

from sim import __version__
from sim.scenario.errors import DocketError, UsageError, printable

SET_OPTION = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="override a value, validated like the file: --set measures.hosting_cutoff.deadline=2021-02-01 "
         "(repeatable; list items by id)")
RESUME_OPTION = click.option(
    "--resume", is_flag=True,
    help="reuse the tasks an interrupted or failed run of this command saved next to OUT (in .OUT.docket-tasks; "
         "same scenario, seed and replications); compute only the rest")
FORCE_OPTION = click.option(
    "--force", is_flag=True,
    help="write into an --out folder that holds files docket did not write (they are kept, never deleted)")
SEED_OPTION = click.option("--seed", type=click.IntRange(min=0), help="root seed (default: the scenario's)")
REPLICATIONS = click.IntRange(min=1)
AS_OF_OPTION = click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
                            help="draw an 'as of' line on the timeline at this date [default: the scenario's as_of]")


class ScenarioFile(click.Path):
    """A scenario FILE argument: an existing regular file. A folder, named pipe, device or socket is refused in
    one sentence saying what it is (:func:`sim.scenario.files.refusal`), before anything opens it."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=True)  # folders get the same sentence as pipes and devices

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Check like click.Path, then refuse anything but a regular file."""
        from sim.scenario.files import refusal

        path = super().convert(value, param, ctx)
        problem = refusal(os.fsdecode(path))
        if problem is not None:
            self.fail(printable(problem), param, ctx)
        return path


def exec_options(fn: Any) -> Any:
    """``--workers``, ``--scheduler`` and ``--dask``: where the tasks of a command run (never what they give)."""
    fn = click.option("--dask", "dask", type=click.Choice(["local"]),
                      help="run on a Dask LocalCluster of --workers processes started here (same as "
                           "--scheduler local)")(fn)
    fn = click.option("--scheduler", metavar="ADDRESS",
                      help="run the tasks on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.5:8786), or `local` "
                           "to start one here; needs `distributed`: pip install -e '.[dask]' in the docket "
                           "checkout")(fn)
    return click.option("--workers", type=click.IntRange(min=1), default=None,
                        help="local processes (default: every core); results are identical for any number")(fn)


def study_options(fn: Any) -> Any:
    """What every study command (compare, sweep, sensitivity) takes after its own options."""
    return exec_options(RESUME_OPTION(memory_option(FORCE_OPTION(fn))))


class _Size(click.ParamType):
    """A memory size such as ``4G`` or ``512M`` (:func:`sim.runs.memory.parse_size`), in bytes."""

    name = "size"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        from sim.runs.memory import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except DocketError:
            self.fail(f"expected a size such as `4G`, `512M` or `1.5GB`, found `{value}`", param, ctx)


def memory_option(fn: Any) -> Any:
    """``--max-memory SIZE`` for a command that simulates: its runs are refused, before they start, when their
    estimated memory is larger (:mod:`sim.runs.memory`; default: half of the machine's memory)."""

    @functools.wraps(fn)
    def command(*args: Any, max_memory: int | None = None, **kwargs: Any) -> Any:
        from sim.runs.memory import limited

        with limited(max_memory):
            return fn(*args, **kwargs)

    return click.option("--max-memory", "max_memory", type=_Size(), metavar="SIZE",
                        help="refuse a run whose estimated memory is above SIZE (e.g. 4G, 512M), before it starts "
                             "[default: half of this machine's memory]")(command)


def _scheduler(scheduler: str | None, dask: str | None) -> str | None:
    if scheduler and dask:
        raise click.UsageError("give --scheduler or --dask, not both")
    return scheduler or dask


def _say(text: str) -> None:
    click.echo(text, err=True)


def _finish(study: Any, folder: Path, resume: bool) -> None:
    """After a study's outputs are written: say what was reused and where tasks ran; drop its task cache."""
    from sim.runs.outdir import task_cache

    study.finish(task_cache(folder), resume, _say)


def _bar(total: int, quiet: bool = False) -> Any:
    """One progress bar (on a terminal, for runs of 2,000 replications or more) over every task of a command."""
    show = sys.stderr.isatty() and not quiet and total >= 2000
    return click.progressbar(length=total, label="simulating", file=sys.stderr) if show else _NoBar()


class _NoBar:
    """Stands in for a progress bar when output is not a terminal."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        """Ignore progress."""


class _Command(click.Command):
    """A command whose :class:`sim.scenario.errors.UsageError` shows as click's usage error (exit 2)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a library usage error gets the command's usage line."""
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            if exc.param:
                raise click.BadParameter(str(exc), ctx, param_hint=exc.param) from exc
            raise click.UsageError(str(exc), ctx) from exc


class _Group(click.Group):
    command_class = _Command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--variant", help="apply this named variant")
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
                                                   seed=seed, warn=lambda w: _say(f"warning: {w}"))
    else:
        loaded, source = load(str(file), variant, overrides), file
    n = run_defaults(loaded.scenario, replications)[0]
    folder = out or str(run_folder(loaded.scenario))
    with staged(folder, "run", force=force) as tmp:  # checked and created before anything runs
        with _bar(n, quiet) as bar:
            results = simulate(loaded.scenario, replications=n, seed=seed, workers=workers,
                               scheduler=_scheduler(scheduler, dask), keep_replications=keep_replications,
                               verify_accounting=verify_accounting or check_alias, progress=bar.update)
        write_run(results, tmp, loaded.data, fmt=fmt, source=source)
    if not quiet:
        click.echo(summary_text(results) + "\n")
    click.echo(f"wrote {folder}/")


@cli.command()
@click.argument("file", type=ScenarioFile())
@click.option("--variant", help="apply this named variant")
def plan(file: str, variant: str | None) -> None:
    """Print the planned timeline of FILE: dates and the rules that can move them, before any randomness."""
    from sim.scenario.loaded import load
    from sim.text.narrate import plan_text

    click.echo(plan_text(load(file, variant).scenario))


@cli.command()
@click.argument("file", type=ScenarioFile())
@click.option("--replication", "-r", type=click.IntRange(min=0), default=0, show_default=True,
              help="which replication to narrate (same draws as in `docket run`)")
@click.option("--variant", help="apply this named variant")
@SEED_OPTION
def explain(file: str, replication: int, variant: str | None, seed: int | None) -> None:
    """Tell one replication of FILE as dated sentences: what happened to each measure, and why."""
    from sim.scenario.loaded import load
    from sim.text.narrate import explain_text

    click.echo(explain_text(load(file, variant).scenario, replication, seed))


CHART_NAMES = ("key_numbers", "timeline", "in_force", "populations", "exposure", "comparison", "assumptions")


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


@cli.command()
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
        with _bar(run_defaults(loaded.scenario, replications)[0]) as bar:
            results = simulate(loaded.scenario, replications=replications, seed=seed, workers=workers,
                               scheduler=_scheduler(scheduler, dask), progress=bar.update)
        write_run(results, tmp / "run" if out else tmp, loaded.data, source=file)
        written = write_pack(results, tmp if out else tmp / "brief", as_of=as_of.date() if as_of else "scenario")
    folder = target if out else run_dir / "brief"
    click.echo(f"wrote {folder / written[0].name} and {len(written) - 1} chart files in {folder}/")


@cli.command(name="test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--update", "update", multiple=True, metavar="NAME",
              help="write the baseline of this scenario (file stem: with all its variants) or stem.variant; repeat")
@click.option("--update-all", is_flag=True, help="write the baseline of every scenario and variant found")
@click.option("--update-failing", is_flag=True,
              help="with --update/--update-all: write the baseline even of a scenario whose expectations fail "
                   "(refused without it)")
@click.option("--replications", "-n", type=REPLICATIONS,
              help="replications [default: expectations.replications, else the baseline's, else the scenario's]")
@click.option("--allow-noise", is_flag=True, help="a baseline that changed only within Monte Carlo noise passes")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for machines")
@click.option("--junit", type=click.Path(dir_okay=False), help="also write a JUnit XML report to this file")
@memory_option
def test_command(paths: tuple[str, ...], update: tuple[str, ...], update_all: bool, update_failing: bool,
                 replications: int | None, allow_noise: bool, fmt: str, junit: str | None) -> None:
    """Regression-test scenario files: check their expectations and compare with their baselines; exit 1 on
    any failure."""
    from sim.testing.suite import run_tests

    if update_failing and not (update or update_all):
        raise click.UsageError("--update-failing goes with --update NAME or --update-all")
    report = run_tests(paths, update=update, update_all=update_all, replications=replications,
                       allow_noise=allow_noise, junit=junit, update_failing=update_failing)
    click.echo(report.as_json() if fmt == "json" else report.text(), nl=fmt != "json")
    if not report.passed:
        sys.exit(1)


@cli.command(name="compare")
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
        with _bar(run_defaults(loaded[0].scenario, replications)[0] * len(loaded)) as bar:
            comparison = compare(loaded, labels, replications, seed, workers, scheduler=_scheduler(scheduler, dask),
                                 cache=task_cache(folder), resume=resume, progress=bar.update)
        comparison.write_csv(tmp / "comparison.csv")
        save_figure(plot(comparison.results, labels=labels), tmp / "comparison.png")
    _finish(comparison.study, folder, resume)
    click.echo(table_text(comparison) + "\n")
    click.echo(f"wrote {folder}/comparison.csv and comparison.png")


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
            _say(f"sampling {len(points.design.columns)} uncertain inputs found by a pilot run of "
                 f"{points.design.pilot} replications")
        with _bar(points.points * run_defaults(loaded.scenario, replications)[0]) as bar:
            table, results, study = points.run(replications=replications, seed=seed, workers=workers, resume=resume,
                                               scheduler=_scheduler(scheduler, dask), cache=task_cache(folder),
                                               progress=bar.update)
        write_text(staging / "sweep.csv", table.to_csv(index=False))
        if loaded.scenario.metrics:
            save_figure(plot_plan(points, table, results), staging / "sweep.png")
    _finish(study, folder, resume)
    click.echo(points.summary(table))
    click.echo(f"wrote {folder}/")


@cli.command()
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
            _bar(run_defaults(loaded.scenario, replications)[0] * (1 + 2 * (top or 12))) as bar:
        sens = run_sensitivity(loaded, outcome, replications=replications, seed=seed, top=top, workers=workers,
                               scheduler=_scheduler(scheduler, dask), cache=task_cache(folder), resume=resume,
                               progress=bar.update)
        sens.write_csv(tmp / "sensitivity.csv")
        save_figure(tornado.plot(sens), tmp / "tornado.png")
        save_figure(tornado.plot_ranking(sens), tmp / "ranking.png")
    _finish(sens.study, folder, resume)
    click.echo(sens.table_text() + "\n")
    click.echo(f"wrote {folder}/sensitivity.csv, tornado.png and ranking.png")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every cleanup (temporary folders, pool workers) runs the same way."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated


def _interrupted(exc: BaseException) -> None:
    """Exit 143 for SIGTERM, 130 for Ctrl-C (128 + the signal), with one word on stderr."""
    terminated = isinstance(exc, Terminated) or isinstance(exc.__cause__ or exc.__context__, Terminated)
    click.echo("terminated" if terminated else "interrupted", err=True)
    sys.exit(143 if terminated else 130)


def main() -> None:
    """Console entry point: run the click group, turning docket errors into clean messages."""
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            _interrupted(exc.__cause__)
        click.echo("aborted", err=True)
        sys.exit(130)
    except DocketError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    except Exception as exc:
        if os.environ.get("DOCKET_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                   "this is a bug in docket; re-run with DOCKET_DEBUG=1 for details and report it", err=True)
        sys.exit(70)


if __name__ == "__main__":
    main()
