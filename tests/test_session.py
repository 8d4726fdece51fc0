"""`docket test` is pytest run in this process with the docket plugin: JUnit XML from pytest, isolation from the
project around the scenario files, and crashes or Ctrl-C reaching the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_regression import FAILING, write

import cli
import sim.testing.suite
from sim.testing.session import run_tests

VARIANT = """\
variants:
  - id: later
    title: More new users a day
    changes:
      populations:
        - {id: users, inflow: 12k/day}
"""


def test_junit_xml_names_every_target_and_fails_the_failing_one(tmp_path: Path) -> None:
    """`--junit FILE` is pytest's JUnit XML: it parses, has a testcase per expectation and per baseline of
    every scenario and variant (classname ending in the target's name), and a failure element exactly where an
    expectation or a baseline failed."""
    folder = tmp_path / "scenarios"
    write(folder, extra=VARIANT)
    assert run_tests([folder], update_all=True).passed
    write(folder, "second", extra=FAILING)  # no baseline stored, and ban_rarely fails
    out = tmp_path / "report" / "junit.xml"
    result = CliRunner().invoke(cli.cli, ["test", str(folder), "--junit", str(out)])
    assert result.exit_code == 1, result.output
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    cases = [(c.get("classname", "").rsplit(".yaml.", 1)[-1], c.get("name"), c.find("failure") is not None)
             for c in root.iter("testcase")]
    assert cases == [("demo", "ban_half_the_time", False), ("demo", "users_grow", False), ("demo", "baseline", False),
                     ("demo.later", "ban_half_the_time", False), ("demo.later", "users_grow", False),
                     ("demo.later", "baseline", False),
                     ("second", "ban_half_the_time", False), ("second", "users_grow", False),
                     ("second", "ban_rarely", True), ("second", "baseline", True)]
    suite = root.find("testsuite")
    assert suite is not None and (suite.get("name"), suite.get("tests"), suite.get("failures")) == \
        ("docket test", "10", "2")
    failures = [f.text or "" for f in root.iter("failure")]
    assert "FAIL ban_rarely: P(ban in force by 2020-03-01)" in failures[0]
    assert "no baseline (run `docket test" in failures[1]
    assert not list(out.parent.glob(".*.part")), "the report is published in one rename"


def test_docket_test_dot_collects_only_scenario_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`docket test .` in a project with failing unit tests, conftest.py files that raise, a package whose
    __init__ raises and pytest settings that would break any session tests the scenario file and nothing else;
    the project's folder gets no pytest cache."""
    write(tmp_path / "cases")
    (tmp_path / "cases" / "__init__.py").write_text("raise RuntimeError('package imported')\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text("raise RuntimeError('conftest loaded')\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("raise RuntimeError('conftest loaded')\n", encoding="utf-8")
    (tmp_path / "tests" / "test_unit.py").write_text("def test_fails():\n    assert False\n", encoding="utf-8")
    (tmp_path / "test_top.py").write_text("def test_fails():\n    assert False\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "--no-such-option -x"\n'
                                             'testpaths = ["tests"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    stored = CliRunner().invoke(cli.cli, ["test", ".", "--update-all"])
    assert stored.exit_code == 0, stored.output
    result = CliRunner().invoke(cli.cli, ["test", "."])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("PASS demo (cases/demo.yaml): 100 replications\n"), result.output
    assert result.output.endswith("\n1 of 1 scenario runs passed\n"), result.output
    assert not (tmp_path / ".pytest_cache").exists()


def test_a_yaml_file_outside_scenarios_is_tested_when_named(tmp_path: Path) -> None:
    """A scenario file in a folder not named `scenarios` is tested when named, by `docket test` and by pytest
    (with the plugin's options: `--docket-update-all` stores its baseline, `--docket-update-failing` alone is a
    usage error, `--docket-max-memory` refuses a run that does not fit)."""
    path = write(tmp_path / "elsewhere")
    result = CliRunner().invoke(cli.cli, ["test", str(path)])
    assert result.exit_code == 1 and f"FAIL demo ({path}): 100 replications" in result.output, result.output
    assert "no baseline (run `docket test" in result.output
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "elsewhere/demo.yaml"]
    ran = subprocess.run([*args, "--docket-update-all"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and "3 passed" in ran.stdout, ran.stdout + ran.stderr
    assert (tmp_path / "elsewhere" / "baselines" / "demo.json").exists()
    refused = subprocess.run([*args, "--docket-update-failing"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == pytest.ExitCode.USAGE_ERROR, refused.stdout + refused.stderr
    assert "--docket-update-failing goes with --docket-update NAME or --docket-update-all" in refused.stderr
    limited = subprocess.run([*args, "--docket-max-memory", "1M"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
    assert limited.returncode == 1 and "more than --max-memory 1 MB" in limited.stdout, limited.stdout


def test_a_crash_is_not_a_failed_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug inside a scenario run reaches the command line as itself (an internal error), not as a test result;
    so does Ctrl-C (exit 130)."""
    path = write(tmp_path)

    def crash(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(sim.testing.suite, "run_target", crash)
    with pytest.raises(ZeroDivisionError, match="a bug"):
        run_tests([path])

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.testing.suite, "run_target", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_tests([path])


def test_docket_test_exits_130_on_ctrl_c(tmp_path: Path) -> None:
    """Ctrl-C during `docket test` ends it like any command: `interrupted`, exit 130, no traceback."""
    path = write(tmp_path)
    code = ("import sim.testing.suite as s, cli\n"
            "def stop(*a, **k): raise KeyboardInterrupt\n"
            "s.run_target = stop\n"
            f"import sys; sys.argv = ['docket', 'test', {str(path)!r}]; cli.main()\n")
    env = {k: v for k, v in os.environ.items() if k != "DOCKET_DEBUG"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(cli.__file__).parent, env=env, capture_output=True,
                          text=True, timeout=120)
    # click ends the terminal's ^C line with a blank one
    assert proc.returncode == 130 and proc.stderr == "\ninterrupted\n", (proc.returncode, proc.stderr)
