"""The click plumbing every docket command shares: option sets, argument types, the progress bar, and how
errors, Ctrl-C and SIGTERM become exit codes.

``cli.py`` holds the commands; each parses its options (declared here once when several commands take them),
calls one library function and prints. Nothing here imports numpy, pandas, simpy or matplotlib at module level:
``docket --help`` and ``docket validate`` must start fast.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

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
AS_OF_OPTION = click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
                            callback=lambda ctx, param, value: value.date() if value else "scenario",
                            help="draw an 'as of' line on the timeline at this date [default: the scenario's as_of]")
SEEN_OPTION = click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
                           callback=lambda ctx, param, value: value.date() if value else None,
                           help="run the scenario as seen on this date: its record's facts up to it fixed, the "
                                "rest conditioned on them (docs/forecasting.md)")
VARIANT_OPTION = click.option("--variant", help="apply this named variant of the scenario")


def replications_option(help: str = "replications (default: the scenario's)") -> Callable[[Any], Any]:
    """``--replications/-n N`` (at least 1)."""
    return click.option("--replications", "-n", type=click.IntRange(min=1), help=help)


def out_option(help: str) -> Callable[[Any], Any]:
    """``--out FOLDER``: where a command writes its output folder."""
    return click.option("--out", type=click.Path(file_okay=False), help=help)


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
    """``--workers``, ``--scheduler`` and ``--dask``: where the tasks of a command run (never what they give).
    The command receives ``workers`` and ``scheduler`` (``--dask local`` is ``--scheduler local``)."""

    @functools.wraps(fn)
    def command(*args: Any, scheduler: str | None = None, dask: str | None = None, **kwargs: Any) -> Any:
        if scheduler and dask:
            raise click.UsageError("give --scheduler or --dask, not both")
        return fn(*args, scheduler=scheduler or dask, **kwargs)

    command = click.option("--dask", "dask", type=click.Choice(["local"]),
                           help="run on a Dask LocalCluster of --workers processes started here (same as "
                                "--scheduler local)")(command)
    command = click.option("--scheduler", metavar="ADDRESS",
                           help="run the tasks on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.5:8786), or `local` "
                                "to start one here; needs `distributed`: pip install -e '.[dask]' in the docket "
                                "checkout")(command)
    return click.option("--workers", type=click.IntRange(min=1), default=None,
                        help="local processes (default: every core); results are identical for any number")(command)


class Size(click.ParamType):
    """A memory size such as ``4G`` or ``512M`` (:func:`sim.runs.memory.parse_size`), in bytes."""

    name = "size"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        """Bytes, or click's usage error naming the option."""
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

    return click.option("--max-memory", "max_memory", type=Size(), metavar="SIZE",
                        help="refuse a run whose estimated memory is above SIZE (e.g. 4G, 512M), before it starts "
                             "[default: half of this machine's memory]")(command)


def _dates(ctx: Any, param: Any, value: Any) -> Any:
    """A click date option (or a repeated one) as dates."""
    if isinstance(value, tuple):
        return [v.date() for v in value]
    return value.date() if value else None


def _day_option(*names: str, help: str, multiple: bool = False) -> Callable[[Any], Any]:
    return click.option(*names, type=click.DateTime(["%Y-%m-%d"]), callback=_dates, multiple=multiple, help=help)


def forecast_options(fn: Any) -> Any:
    """The argument and options of ``docket forecast``: FILE, its as-of dates, the chart's key date and measures,
    the run's."""
    options = [
        click.argument("file", type=ScenarioFile()),
        click.option("--every", type=click.Choice(["day", "week", "month"]),
                     help="an as-of date every day, week or calendar month"),
        _day_option("--dates", help="an as-of date (repeat for several); instead of --every", multiple=True),
        _day_option("--from", "start", help="first as-of date [default: the scenario's as_of]"),
        _day_option("--to", "stop", help="last as-of date [default: record.until]"),
        _day_option("--since", help="what changed since this as-of date [default: the first]"),
        _day_option("--target", help="the key date the chart's chances are by [default: the first key date on or "
                    "after the last as-of date]"),
        click.option("--measure", "measures", multiple=True, help="a measure the chart shows (repeat; default: all)"),
        replications_option(), SEED_OPTION, SET_OPTION, out_option("folder [default: runs/forecast-NAME]"),
        FORCE_OPTION]
    return _stack(options, fn)


def score_options(fn: Any) -> Any:
    """The arguments and options of ``docket score``."""
    options = [
        click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True)),
        click.option("--every", type=click.Choice(["auto", "day", "week", "month"]), default="auto",
                     show_default=True, help="as-of dates every day, week or calendar month from each scenario's "
                     "as_of to its record's end (auto: weekly for a record of up to 26 weeks, else monthly)"),
        replications_option("replications per as-of date [default: 200]"), SEED_OPTION,
        click.option("--update", is_flag=True, help="also store each scenario's score with its baselines "
                     "(docket test then fails when a change makes it worse)"),
        out_option("folder for forecasts.csv, scores.csv, reliability.csv and reliability.png [default: "
                   "runs/score]"),
        FORCE_OPTION]
    return _stack(options, fn)


def test_options(fn: Any) -> Any:
    """The arguments and options of ``docket test``."""
    options = [
        click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True)),
        click.option("--update", "update", multiple=True, metavar="NAME", help="write the baseline of this "
                     "scenario (file stem: with all its variants) or stem.variant; repeat"),
        click.option("--update-all", is_flag=True, help="write the baseline of every scenario and variant found"),
        click.option("--update-failing", is_flag=True, help="with --update/--update-all: write the baseline even "
                     "of a scenario whose expectations fail (refused without it)"),
        replications_option("replications [default: expectations.replications, else the baseline's, else the "
                            "scenario's]"),
        click.option("--allow-noise", is_flag=True,
                     help="a baseline that changed only within Monte Carlo noise passes"),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                     help="text for people, json for machines"),
        click.option("--junit", type=click.Path(dir_okay=False),
                     help="also write a JUnit XML report to this file (pytest's --junitxml)"),
        memory_option]
    return _stack(options, fn)


def report_options(fn: Any) -> Any:
    """The arguments and options of ``docket report``."""
    options = [
        click.argument("run_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False)),
        click.option("--out", required=True, type=click.Path(), help="the page to write: one self-contained HTML "
                     "file"),
        click.option("--force", is_flag=True, help="replace an --out file that docket did not write"),
        click.option("--forecast", type=click.Path(exists=True, file_okay=False), help="a folder written by "
                     "`docket forecast` of the first run's scenario: its outlook over time, beside the current view")]
    return _stack(options, fn)


def _stack(options: list[Callable[[Any], Any]], fn: Any) -> Any:
    """Apply click decorators as if written one above the other, first on top."""
    for option in reversed(options):
        fn = option(fn)
    return fn


def echo_written(written: tuple[Any, str]) -> None:
    """Print what a command wrote: its text, then the folder."""
    folder, text = written
    click.echo(f"{text}\nwrote {folder}/")


def study_options(fn: Any) -> Any:
    """What every study command (compare, sweep, sensitivity) takes after its own options."""
    return exec_options(RESUME_OPTION(memory_option(FORCE_OPTION(fn))))


def say(text: str) -> None:
    """A line for people on stderr (warnings, what a study reused)."""
    click.echo(text, err=True)


class Bar:
    """The progress bar of a command (a :class:`sim.runs.study.Progress`): drawn on a terminal once 2,000 or
    more replications are planned, never when output is not a terminal or with ``quiet``."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet, self.planned, self.finished = quiet, 0, 0
        self.bar: Any = None

    def plan(self, replications: int) -> None:
        """Count ``replications`` more; start the bar once there are enough."""
        self.planned += replications
        if self.bar is not None:
            self.bar.length = self.planned
        elif sys.stderr.isatty() and not self.quiet and self.planned >= 2000:
            self.bar = click.progressbar(length=self.planned, label="simulating", file=sys.stderr).__enter__()
            self.bar.update(self.finished)

    def update(self, replications: int) -> None:
        """``replications`` more have finished."""
        self.finished += replications
        if self.bar is not None:
            self.bar.update(replications)
            if self.finished >= self.planned:  # end the line before the command says what ran where
                self.bar.__exit__(None, None, None)
                self.bar = None

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


class Command(click.Command):
    """A command whose :class:`sim.scenario.errors.UsageError` shows as click's usage error (exit 2)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a library usage error gets the command's usage line."""
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            if exc.param:
                raise click.BadParameter(str(exc), ctx, param_hint=exc.param) from exc
            raise click.UsageError(str(exc), ctx) from exc


class Group(click.Group):
    """docket's group: every command is a :class:`Command`."""

    command_class = Command


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every cleanup (temporary folders, pool workers) runs the same way."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated


def _interrupted(exc: BaseException) -> None:
    """Exit 143 for SIGTERM, 130 for Ctrl-C (128 + the signal), with one word on stderr."""
    terminated = isinstance(exc, Terminated) or isinstance(exc.__cause__ or exc.__context__, Terminated)
    click.echo("terminated" if terminated else "interrupted", err=True)
    sys.exit(143 if terminated else 130)


def run_group(group: click.Group) -> None:
    """Run ``group`` as the console program: a docket error is one line and exit 1, a usage error exit 2, Ctrl-C
    130, SIGTERM 143, anything else an internal error (exit 70) without a traceback unless ``DOCKET_DEBUG=1``."""
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        group.main(standalone_mode=False)
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
