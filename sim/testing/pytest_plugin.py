"""pytest plugin (entry point ``docket``): scenario files are tests.

``pytest scenarios/`` collects every scenario YAML file in a folder named ``scenarios`` (or any scenario file
named on the command line): one collector per scenario and variant (``quickstart``, ``tiktok-wechat-2020.
deal_reached``), holding one item per expectation and one ``baseline`` item. The scenario runs once, when its
first item runs; failures read exactly like ``docket test``. Options (``pyproject.toml`` or ``-o``):
``docket_replications`` (replications of every scenario run) and ``docket_allow_noise``.

The plugin is loaded by every pytest session of an environment where docket is installed, so docket itself
(numpy, pandas, simpy) is imported inside the hooks, only once a scenario file is in view: these deferred
imports are for start-up time, not to break an import circle.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sim.testing.suite import Target, TargetResult


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini options of the plugin."""
    parser.addini("docket_replications", "replications of every scenario test (default: as `docket test`)",
                  default=None)
    parser.addini("docket_allow_noise", "a baseline changed within Monte Carlo noise passes", type="bool",
                  default=False)


def _explicit(config: pytest.Config) -> set[Path]:
    return {Path(str(arg).split("::")[0]).resolve() for arg in config.args}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect a scenario file found in a ``scenarios`` folder, or named on the command line."""
    if file_path.suffix not in (".yaml", ".yml") or "baselines" in file_path.parts:
        return None
    resolved = file_path.resolve()
    if ("tests", "data") in zip(resolved.parts, resolved.parts[1:], strict=False):  # the gallery of broken files
        return None
    if file_path.parent.name != "scenarios" and resolved not in _explicit(parent.config):
        return None
    from sim.testing.suite import is_scenario_file  # numpy and pandas: only once a scenario is in view

    if not is_scenario_file(file_path):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):
    """A scenario file: one :class:`ScenarioRun` per scenario and variant."""

    def collect(self) -> Iterator[ScenarioRun]:
        """The scenario as written, then each variant."""
        from sim.testing.suite import targets

        for target in targets(self.path):
            yield ScenarioRun.from_parent(self, name=target.name, target=target)


class ScenarioRun(pytest.Collector):
    """One scenario with one variant: its expectations and its baseline, from a single run."""

    def __init__(self, *, target: Target, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self._result: TargetResult | None = None

    def collect(self) -> Iterator[pytest.Item]:
        """An item per expectation, then ``baseline``; a scenario that does not load gives one ``load`` item."""
        from sim.scenario.errors import DocketError
        from sim.testing.suite import load_target

        try:
            scenario, _ = load_target(self.target)
        except DocketError as exc:
            yield ScenarioItem.from_parent(self, name="load", error=str(exc))
            return
        for check in scenario.expectations.checks if scenario.expectations else []:
            yield ScenarioItem.from_parent(self, name=check.id)
        yield ScenarioItem.from_parent(self, name="baseline")

    def result(self) -> TargetResult:
        """Run the scenario (once) and return its outcome."""
        if self._result is None:
            from sim.testing.suite import run_target

            config = self.config
            raw = config.getini("docket_replications")
            self._result = run_target(self.target, replications=int(raw) if raw else None,
                                      allow_noise=bool(config.getini("docket_allow_noise")))
        return self._result


class ScenarioFailure(Exception):
    """A failed expectation or baseline; its message is the readable report."""


class ScenarioItem(pytest.Item):
    """One expectation of a scenario run, or its baseline comparison."""

    def __init__(self, *, error: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        """Pass, or raise :class:`ScenarioFailure` with the report."""
        if self.error is not None:
            raise ScenarioFailure(self.error)
        assert isinstance(self.parent, ScenarioRun)
        result = self.parent.result()
        if result.error is not None:
            raise ScenarioFailure(result.error)
        if self.name == "baseline":
            ok, text = result.baseline_ok, result.baseline_text()
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
