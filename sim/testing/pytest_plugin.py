"""pytest plugin (entry point ``docket``): scenario files are tests. ``docket test`` is pytest run with it.

``pytest scenarios/`` collects every scenario YAML file in a folder named ``scenarios`` (and any YAML file named
on the command line): one collector per scenario and variant (``quickstart``, ``tiktok-wechat-2020.
deal_reached``), holding one item per expectation and one ``baseline`` item. The scenario runs once, when its
first item runs; failures read exactly like ``docket test``, which drives this plugin
(:mod:`sim.testing.session`). Its options are the plugin's: ``--docket-update NAME``, ``--docket-update-all``,
``--docket-update-failing``, ``--docket-replications N``, ``--docket-allow-noise`` and ``--docket-max-memory
SIZE`` on the command line; ``docket_replications`` and ``docket_allow_noise`` also as ini options
(``pyproject.toml`` or ``-o``), which the command line overrides.

The plugin is loaded by every pytest session of an environment where docket is installed, so docket itself
(numpy, pandas, simpy) is imported inside the hooks, only once a scenario file is in view: these deferred
imports are for start-up time, not to break an import circle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sim.scenario.errors import DocketError, UsageError

if TYPE_CHECKING:
    from sim.testing.suite import Target, TargetResult


@dataclass(frozen=True)
class Options:
    """What every target of one test session shares: ``docket test``'s options, the plugin's ``--docket-*``.

    Attributes:
        update: names whose baselines are written instead of compared: a file stem (the scenario and all its
            variants) or ``stem.variant``. Other baselines are neither written nor deleted.
        update_all: write the baseline of every target.
        update_failing: write the baselines to update even of targets whose expectations fail (without it such
            an update is refused and the target fails; see :func:`sim.testing.suite.run_target`).
        replications: run every target with this many replications (``None``: the target's own number).
        allow_noise: a baseline changed only within Monte Carlo noise passes.
        max_memory: a memory limit in bytes for every run (``None``: the limit in force, see
            :func:`sim.runs.memory.limited`).

    Raises:
        UsageError: ``update_failing`` without ``update`` or ``update_all``.

    Example:
        >>> Options(update=("quickstart",)).args()
        ['--docket-update', 'quickstart']
    """

    update: tuple[str, ...] = ()
    update_all: bool = False
    update_failing: bool = False
    replications: int | None = None
    allow_noise: bool = False
    max_memory: int | None = None

    def __post_init__(self) -> None:
        if self.update_failing and not (self.update or self.update_all):
            raise UsageError("--update-failing goes with --update NAME or --update-all")

    @classmethod
    def of(cls, config: pytest.Config) -> Options:
        """The options of a pytest session: its command line, else its ini options."""
        raw = config.getoption("docket_replications") or config.getini("docket_replications")
        size = config.getoption("docket_max_memory")
        max_memory = None
        if size:
            from sim.runs.memory import parse_size  # numpy: only when the option is given

            max_memory = parse_size(size)
        return cls(update=tuple(config.getoption("docket_update")), update_all=config.getoption("docket_update_all"),
                   update_failing=config.getoption("docket_update_failing"), replications=int(raw) if raw else None,
                   allow_noise=config.getoption("docket_allow_noise") or bool(config.getini("docket_allow_noise")),
                   max_memory=max_memory)

    def args(self) -> list[str]:
        """The plugin's command-line options that give these options (what ``docket test`` passes to pytest)."""
        args = [arg for name in self.update for arg in ("--docket-update", name)]
        args += [flag for flag, on in (("--docket-update-all", self.update_all),
                                       ("--docket-update-failing", self.update_failing),
                                       ("--docket-allow-noise", self.allow_noise)) if on]
        if self.replications is not None:
            args += ["--docket-replications", str(self.replications)]
        if self.max_memory is not None:
            args += ["--docket-max-memory", str(self.max_memory)]
        return args

    def updates(self, target: Target) -> bool:
        """Whether the baseline of ``target`` is written instead of compared."""
        return self.update_all or target.name in self.update or target.file.stem in self.update

    def check_names(self, found: Sequence[Target]) -> None:
        """Refuse an ``update`` name that matches none of the targets ``found``.

        Raises:
            DocketError: naming the first unknown name and every target found.
        """
        unknown = [u for u in self.update if not any(u in (t.name, t.file.stem) for t in found)]
        if unknown:
            known = ", ".join(t.name for t in found)
            raise DocketError(f"--update {unknown[0]}: no scenario or variant of that name; found: {known}")


OPTIONS = pytest.StashKey[Options]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's command-line and ini options."""
    parser.addini("docket_replications", "replications of every scenario test (default: as `docket test`)",
                  default=None)
    parser.addini("docket_allow_noise", "a baseline changed within Monte Carlo noise passes", type="bool",
                  default=False)
    group = parser.getgroup("docket", "scenario files as tests (docket test)")
    group.addoption("--docket-update", action="append", default=[], metavar="NAME",
                    help="write the baseline of this scenario (file stem: with all its variants) or stem.variant")
    group.addoption("--docket-update-all", action="store_true", help="write the baseline of every scenario")
    group.addoption("--docket-update-failing", action="store_true",
                    help="with --docket-update(-all): write the baseline even of a scenario whose expectations fail")
    group.addoption("--docket-replications", type=int, metavar="N", help="replications of every scenario test")
    group.addoption("--docket-allow-noise", action="store_true",
                    help="a baseline changed within Monte Carlo noise passes")
    group.addoption("--docket-max-memory", metavar="SIZE", help="refuse a run whose estimated memory is above SIZE")


def _for_pytest(exc: DocketError) -> pytest.UsageError:
    """A usage error worded with the plugin's option names (the messages name ``docket test``'s)."""
    return pytest.UsageError(str(exc).replace("--update", "--docket-update"))


def pytest_configure(config: pytest.Config) -> None:
    """Read the options once, refusing a combination that makes no sense."""
    try:
        config.stash[OPTIONS] = Options.of(config)
    except DocketError as exc:
        raise _for_pytest(exc) from exc


def scenario_runs(session: pytest.Session) -> list[ScenarioRun]:
    """The scenario runs of the selected items, in the order they run."""
    return list(dict.fromkeys(item.parent for item in session.items if isinstance(item.parent, ScenarioRun)))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse an ``--docket-update`` name that matches no selected scenario run."""
    try:
        session.config.stash[OPTIONS].check_names([run.target for run in scenario_runs(session)])
    except DocketError as exc:
        raise _for_pytest(exc) from exc


def _named(config: pytest.Config) -> dict[Path, Path]:
    """The files named on the command line, resolved, each to the path as it was given."""
    return {Path(arg).resolve(): Path(arg) for arg in (str(a).split("::")[0] for a in config.args)}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect a YAML file named on the command line, or a scenario file found in a ``scenarios`` folder."""
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    named = _named(parent.config).get(file_path.resolve())
    if named is not None:
        return ScenarioFile.from_parent(parent, path=file_path, shown=named)
    resolved = file_path.resolve()
    if "baselines" in file_path.parts or file_path.parent.name != "scenarios":
        return None
    if ("tests", "data") in zip(resolved.parts, resolved.parts[1:], strict=False):  # the gallery of broken files
        return None
    return ScenarioFile.from_parent(parent, path=file_path, shown=None)


class ScenarioFile(pytest.File):
    """A scenario file: one :class:`ScenarioRun` per scenario and variant."""

    def __init__(self, *, shown: Path | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shown = shown
        """The file as named on the command line (reports show it so), or ``None`` for a file found in a folder:
        it is collected only if it looks like a scenario."""

    def collect(self) -> Iterator[ScenarioRun]:
        """The scenario as written, then each variant (nothing for a YAML file found that is not a scenario).

        The file is read here, not when pytest finds it: pytest finds every file beside a file named on its
        command line, and drops those not named without collecting them."""
        from sim.testing.suite import is_scenario_file, targets  # numpy and pandas: only once a scenario is in view

        if self.shown is None and not is_scenario_file(self.path):
            return
        for target in targets(self.shown or self.path):
            yield ScenarioRun.from_parent(self, name=target.name, target=target)


class ScenarioRun(pytest.Collector):
    """One scenario with one variant: its expectations and its baseline, from a single run."""

    def __init__(self, *, target: Target, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.outcome: TargetResult | None = None
        """The outcome of the run, once it ran (or once its scenario failed to load)."""

    def collect(self) -> Iterator[pytest.Item]:
        """An item per expectation, then ``baseline`` (and ``score``, for a scenario with a record); a scenario that
        does not load gives one ``load`` item."""
        from sim.testing.suite import TargetResult, load_target

        try:
            scenario, _ = load_target(self.target)
        except DocketError as exc:
            self.outcome = TargetResult(self.target, error=str(exc))
            yield ScenarioItem.from_parent(self, name="load")
            return
        for check in scenario.expectations.checks if scenario.expectations else []:
            yield ScenarioItem.from_parent(self, name=check.id)
        yield ScenarioItem.from_parent(self, name="baseline")
        if self.target.variant is None and scenario.record is not None:
            yield ScenarioItem.from_parent(self, name="score")

    def result(self) -> TargetResult:
        """Run the scenario (once) and return its outcome."""
        if self.outcome is None:
            from sim.runs.memory import limited
            from sim.testing.suite import run_target

            options = self.config.stash[OPTIONS]
            with limited(options.max_memory) if options.max_memory is not None else contextlib.nullcontext():
                self.outcome = run_target(self.target, replications=options.replications,
                                          allow_noise=options.allow_noise, update=options.updates(self.target),
                                          update_failing=options.update_failing)
        return self.outcome


class ScenarioFailure(Exception):
    """A failed expectation or baseline; its message is the readable report."""


class ScenarioItem(pytest.Item):
    """One expectation of a scenario run, its baseline comparison, or (``load``) a scenario that did not load."""

    def runtest(self) -> None:
        """Pass, or raise :class:`ScenarioFailure` with the report."""
        assert isinstance(self.parent, ScenarioRun)
        result = self.parent.result()
        if result.error is not None:
            raise ScenarioFailure(result.error)
        if self.name == "baseline":
            ok, text = result.baseline_ok, result.baseline_text()
        elif self.name == "score":
            ok, text = result.score if result.score else (False, "FAIL score: not scored")
        else:
            found = [c for c in result.checks if c.id == self.name]
            ok, text = (found[0].passed, found[0].message()) if found else (False, f"no check `{self.name}`")
        if not ok:
            raise ScenarioFailure(text)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The readable report for a scenario failure; a normal traceback for anything else."""
        if isinstance(excinfo.value, ScenarioFailure):
            return f"{self.parent.name if self.parent else ''}: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the item comes from, for pytest's report."""
        return self.path, None, f"{self.parent.name if self.parent else ''}::{self.name}"
