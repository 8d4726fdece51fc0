"""``docket test``: pytest, in this process, with the docket plugin (:mod:`sim.testing.pytest_plugin`) collecting
and running the scenario files, and pytest writing JUnit XML (``--junitxml``).

The scenario files are found here (:func:`sim.testing.suite.find_scenarios`: files as given, folders searched
for files that look like scenarios) and named to pytest one by one, in isolation from the project around them:
no ini file (a project's ``addopts``, doctest or warning settings do not apply), no ``conftest.py``, no plugin
but docket's, no Python test modules, no cache folder. pytest's own terminal report is off: the report people
and machines read is :class:`sim.testing.suite.Report`, built from the outcome of every scenario run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

import pytest

from sim.runs.atomic import atomic_path
from sim.testing.pytest_plugin import Options, ScenarioFailure, ScenarioRun, scenario_runs
from sim.testing.suite import Report, find_scenarios, targets

ISOLATED = ("-c", os.devnull, "--noconftest", "--disable-plugin-autoload", "-p", "sim.testing.pytest_plugin",
            "-p", "no:python", "-p", "no:doctest", "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:warnings",
            "-p", "no:logging", "-p", "no:faulthandler", "-p", "no:unraisableexception", "-p", "no:threadexception",
            "--capture=no", "-o", "junit_suite_name=docket test")
"""How ``docket test`` runs pytest: only the docket plugin, only the files it names, with output as it always
was (warnings and log records are not captured, nothing is printed by pytest), and without the garbage
collection passes with which two plugins (unraisable and thread exceptions) end a session: a quarter of a
second of every ``docket test``."""


class Recorder:
    """A plugin of one ``docket test`` session: the scenario runs in order, and the exception (Ctrl-C, a bug)
    that must reach the command line instead of being reported by pytest."""

    def __init__(self) -> None:
        self.runs: list[ScenarioRun] = []
        self.raised: BaseException | None = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Keep the scenario runs, in the order they run."""
        self.runs = scenario_runs(session)

    def pytest_exception_interact(self, node: pytest.Item | pytest.Collector, call: pytest.CallInfo[Any],
                                  report: Any) -> None:
        """A crash (not a failed expectation or baseline) stops the session; the command line reports it."""
        if call.excinfo is not None and not isinstance(call.excinfo.value, ScenarioFailure) and self.raised is None:
            self.raised = call.excinfo.value
            node.session.shouldstop = "docket: internal error"

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Ctrl-C or SIGTERM: raised again after pytest cleaned up, so the exit code says which (a crash that
        stopped the session comes here as pytest's ``Interrupted``: the crash is what is raised)."""
        self.raised = self.raised or excinfo.value

    def pytest_internalerror(self, excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
        """An error in a hook: raised again after the session instead of pytest's INTERNALERROR lines."""
        self.raised = self.raised or excinfo.value
        return True


def run_tests(paths: Sequence[str | os.PathLike[str]], *, update: Sequence[str] = (), update_all: bool = False,
              replications: int | None = None, allow_noise: bool = False, junit: str | None = None,
              update_failing: bool = False) -> Report:
    """Test every scenario file under ``paths`` (each variant too) with pytest; refresh the named baselines.

    Args:
        paths: scenario files or folders.
        update, update_all, update_failing, replications, allow_noise: see
            :class:`sim.testing.pytest_plugin.Options`.
        junit: have pytest write a JUnit XML report to this file (``--junitxml``; published atomically).

    Raises:
        UsageError: ``update_failing`` without ``update`` or ``update_all``.
        DocketError: a path does not exist, or an ``update`` name matches no target.

    Example:
        >>> run_tests(["scenarios/quickstart.yaml"]).passed  # expectations and the stored baseline
        True
    """
    options = Options(update=tuple(update), update_all=update_all, update_failing=update_failing,
                      replications=replications, allow_noise=allow_noise)
    files = find_scenarios(paths)
    if update:  # here, to be a docket error (the plugin's check is a usage error of pytest)
        options.check_names([t for f in files for t in targets(f)])
    # node ids (the JUnit classnames) are paths from the folder holding the working directory and every file
    root = os.path.commonpath([os.getcwd(), *(os.path.abspath(f) for f in files)])
    args = [*ISOLATED, "--rootdir", root, *options.args()]
    args += [os.path.join(os.curdir, str(f)) if str(f).startswith("-") else str(f) for f in files]
    recorder = Recorder()
    with atomic_path(junit) if junit else contextlib.nullcontext() as xml:
        code = pytest.main([*args, *(["--junitxml", str(xml)] if xml else [])], plugins=[recorder])
        if recorder.raised is not None:
            raise recorder.raised
    report = Report([run.outcome for run in recorder.runs if run.outcome is not None])
    # pytest's verdict (items) and the report's (targets) are one rule seen twice: a difference is a bug here
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or (code == pytest.ExitCode.OK) != report.passed \
            or len(report.results) != len(recorder.runs):
        raise RuntimeError(f"pytest ended with {code!r} for {len(recorder.runs)} scenario runs, "
                           f"of which {len(report.results)} reported")
    return report
