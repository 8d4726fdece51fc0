"""The README's set-up commands and the install hints docket prints are ones that work from a checkout."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_commands() -> list[str]:
    """The first two lines of the README's first bash block (what `.ci/run` executes)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```bash\n(.*?)^```", text, re.M | re.S)
    assert block is not None, "README.md has no ```bash block"
    return block.group(1).splitlines()[:2]


def test_the_main_job_needs_no_test_tools() -> None:
    """Command one installs docket alone (no extra) and runs a bundled scenario that exists."""
    first = setup_commands()[0]
    install, _, job = first.partition(" && ")
    assert shlex.split(install) == ["python", "-m", "pip", "install", "-e", "."]
    words = shlex.split(job)
    assert words[:2] == ["docket", "run"] and (ROOT / words[2]).is_file()


def test_the_test_command_installs_the_test_extra() -> None:
    """Command two installs the test extra, then runs the suite (doctests included by pyproject's addopts)."""
    install, _, tests = setup_commands()[1].partition(" && ")
    assert shlex.split(install) == ["python", "-m", "pip", "install", "-e", ".[test]"]
    assert shlex.split(tests) == ["python", "-m", "pytest"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "--doctest-modules" in pyproject and '"sim", "plots"' in pyproject


def test_ci_uses_a_new_venv_and_the_readme_commands() -> None:
    """`.ci/run` makes a virtual environment of its own and executes the README's commands, not its own copy."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-m venv" in script and "mktemp -d" in script and "README.md" in script
    assert "pip install" not in script.replace("pip list", "")


def test_install_hints_work_from_a_checkout() -> None:
    """docket is installed from its checkout: a hint must never say `pip install 'docket[...]'` (that would fetch
    an unrelated package of that name from the index)."""
    offenders = []
    for path in [ROOT / "cli.py", *ROOT.glob("sim/**/*.py"), *ROOT.glob("plots/**/*.py"), *ROOT.glob("docs/*.md"),
                 ROOT / "README.md"]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"pip install\s+['\"]?docket\[", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert not offenders, offenders
