"""docket's command line: a thin click layer over ``sim`` (and ``plots``).

Each command parses options, calls one library function, and prints or saves the result; the commands of run
folders are in :mod:`cli_runs`, those of studies in :mod:`cli_studies` (loaded when named). Heavy libraries
(numpy, pandas, simpy, matplotlib) are imported inside the commands that need them, so ``docket --help`` and
``docket validate`` start fast. Errors a user can fix (:class:`sim.scenario.errors.DocketError`) are printed once,
cleanly, with exit code 1; usage errors exit 2; nothing prints a traceback unless ``DOCKET_DEBUG=1``.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
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


def scheduler_of(scheduler: str | None, dask: str | None) -> str | None:
    """The scheduler of ``--scheduler`` or ``--dask`` (one of them at most)."""
    if scheduler and dask:
        raise click.UsageError("give --scheduler or --dask, not both")
    return scheduler or dask


def say(text: str) -> None:
    """Print a note on stderr (stdout holds a command's output)."""
    click.echo(text, err=True)


def progress_bar(total: int, quiet: bool = False) -> Any:
    """One progress bar (on a terminal, for runs of 2,000 replications or more) over every task of a command."""
    show = sys.stderr.isatty() and not quiet and total >= 2000
    return click.progressbar(length=total, label="simulating", file=sys.stderr) if show else NoBar()


class NoBar:
    """Stands in for a progress bar when output is not a terminal."""

    def __enter__(self) -> NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        """Ignore progress."""


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


ELSEWHERE = {"run": "cli_runs:run", "brief": "cli_runs:brief", "plot": "cli_runs:plot",
             "compare": "cli_studies:compare_command", "sweep": "cli_studies:sweep",
             "sensitivity": "cli_studies:sensitivity"}
"""Commands defined in the modules beside this one (run folders, studies), loaded when named or listed."""


class _Group(click.Group):
    """docket's commands: those defined here and those of :data:`ELSEWHERE`."""

    command_class = Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, sorted."""
        return sorted([*self.commands, *ELSEWHERE])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A command by name, importing its module if it is defined elsewhere."""
        if name in ELSEWHERE:
            module, attr = ELSEWHERE[name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)


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
