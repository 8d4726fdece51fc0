"""Hostile input files and overrides: each ends in a clean diagnostic (exit 1 or 2), never a hang, an internal
error (exit 70), a silently wrong result or a copy of a file that is not a scenario."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import cli
from sim.scenario.errors import Diagnostic, DocketError, Mark, ScenarioError
from sim.scenario.loader import MAX_EXTENDS, check_file, load_scenario, resolve_raw
from sim.scenario.overrides import apply_overrides, patch_for
from sim.scenario.yamlload import load_yaml_file

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
FLAGSHIP = ROOT / "scenarios" / "tiktok-wechat-2020.yaml"
COMMANDS = ("validate", "run", "resolve", "plan", "test")
# 27 lines of `key: value`-ish text, as in a system file.
NOTES = "".join(f"Secret{i}Field:   value number {i} private-{i}\n" for i in range(27))


def invoke(*args: object) -> Result:
    """Run the click group in-process with string arguments."""
    return CliRunner().invoke(cli.cli, [str(a) for a in args])


def docket(*args: object, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run docket in a fresh process (so a hang is a failed test after ``timeout``, and exit 70 is visible)."""
    env = {k: v for k, v in os.environ.items() if k != "DOCKET_DEBUG"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "cli", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def scenario_with(tmp_path: Path, name: str, text: str) -> Path:
    """Write ``text`` next to a copy of the quickstart scenario (``base.yaml``)."""
    shutil.copy(QUICKSTART, tmp_path / "base.yaml")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- an embedded NUL in `extends` ---------------------------------------------------------------------------


def test_nul_in_extends_is_one_diagnostic_at_the_extends_line(tmp_path: Path) -> None:
    """`extends: "a\\0b.yaml"` is reported at the `extends` value, the NUL shown as an escape."""
    path = scenario_with(tmp_path, "nul.yaml", 'name: nul\nextends: "a\\0b.yaml"\n')
    diagnostics = check_file(path)
    assert len(diagnostics) == 1, [d.format() for d in diagnostics]
    d = diagnostics[0]
    assert d.message == "`extends` holds a control character (U+0000), which no file name can hold"
    assert (d.path, d.mark) == ("extends", Mark(str(path), 2, 10))
    assert "\\x00" in d.format() and "\0" not in d.format()


@pytest.mark.parametrize("command", COMMANDS)
def test_nul_in_extends_is_a_clean_error_in_every_command(tmp_path: Path, command: str) -> None:
    """validate, run, resolve, plan and test exit 1 with the diagnostic, no internal error."""
    scenario_with(tmp_path, "nul.yaml", 'name: nul\nextends: "a\\0b.yaml"\n')
    proc = docket(command, "nul.yaml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "control character (U+0000)" in proc.stdout + proc.stderr
    assert "internal error" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


def test_one_bad_file_does_not_abort_validate_of_a_folder(tmp_path: Path) -> None:
    """`docket validate DIR` reports the bad file and still checks every other file."""
    folder = tmp_path / "dir"
    folder.mkdir()
    scenario_with(folder, "nul.yaml", 'name: nul\nextends: "a\\0b.yaml"\n')
    proc = docket("validate", "dir", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert f"ok   {Path('dir') / 'base.yaml'}" in proc.stdout
    assert f"FAIL {Path('dir') / 'nul.yaml'}: 1 problem" in proc.stdout
    assert "1 of 2 files valid" in proc.stdout


# --- named pipes, folders and devices -----------------------------------------------------------------------

PIPE_MESSAGE = "pipe.yaml is a named pipe, not a scenario file: give a regular .yaml file"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_named_pipe_is_refused_without_being_opened(tmp_path: Path, command: str) -> None:
    """A FIFO given as the scenario is refused at once (a regression hangs and fails at the timeout)."""
    os.mkfifo(tmp_path / "pipe.yaml")
    proc = docket(command, "pipe.yaml", cwd=tmp_path, timeout=30)
    assert proc.returncode == (1 if command == "test" else 2), proc.stdout + proc.stderr
    assert PIPE_MESSAGE in proc.stderr
    assert "does not exist" not in proc.stderr


def test_extends_naming_a_named_pipe_is_refused_without_being_opened(tmp_path: Path) -> None:
    """A FIFO reached through `extends` is a diagnostic at the `extends` line, not a hang."""
    os.mkfifo(tmp_path / "pipe.yaml")
    scenario_with(tmp_path, "top.yaml", "name: top\nextends: pipe.yaml\n")
    proc = docket("validate", "top.yaml", cwd=tmp_path, timeout=30)
    assert proc.returncode == 1
    assert "top.yaml:2:10: extends: `extends` names pipe.yaml, which is a named pipe, not a scenario file" \
        in proc.stdout


def test_load_yaml_file_never_blocks_on_a_named_pipe(tmp_path: Path) -> None:
    """Even when the stat check is passed (a file swapped for a FIFO), the file is opened without blocking."""
    os.mkfifo(tmp_path / "pipe.yaml")
    code = ("import os, stat, sim.scenario.yamlload as y\n"
            "real = os.stat\n"
            "class Fake:\n"
            "    st_mode = stat.S_IFREG | 0o644\n"
            "    st_size = 10\n"
            "y.os.stat = lambda p, *a, **k: Fake() if str(p).endswith('pipe.yaml') else real(p, *a, **k)\n"
            "try:\n"
            "    y.load_yaml_file('pipe.yaml')\n"
            "except y.ScenarioError as e:\n"
            "    print(e.diagnostics[0].message)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=30,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.strip() == "pipe.yaml is a named pipe, not a scenario file", proc.stderr


@pytest.mark.parametrize("command", ["run", "resolve", "plan"])
@pytest.mark.parametrize(("target", "kind"), [("dir", "a directory"), ("/dev/zero", "a character device")])
def test_folders_and_devices_are_named_as_what_they_are(tmp_path: Path, command: str, target: str,
                                                        kind: str) -> None:
    """A folder or a device given as the scenario FILE gets the same message shape as a named pipe."""
    (tmp_path / "dir").mkdir()
    path = tmp_path / target if target == "dir" else Path(target)
    result = invoke(command, path)
    assert result.exit_code == 2, result.output
    assert f"{path} is {kind}, not a scenario file: give a regular .yaml file" in result.output


@pytest.mark.parametrize(("target", "kind"), [("dir", "a directory"), ("/dev/zero", "a character device")])
def test_validate_names_a_device_or_folder_through_extends(tmp_path: Path, target: str, kind: str) -> None:
    """`extends` naming a folder or a device says what it is, not "does not exist"."""
    (tmp_path / "dir").mkdir()
    path = scenario_with(tmp_path, "top.yaml", f"name: top\nextends: {target}\n")
    d = check_file(path)[0]
    assert d.message == f"`extends` names {target}, which is {kind}, not a scenario file"
    assert (d.path, d.mark and d.mark.line) == ("extends", 2)


def test_validate_names_a_device_given_on_the_command_line(tmp_path: Path) -> None:
    """`docket validate /dev/zero` is a usage error naming the device, not "does not exist"."""
    result = invoke("validate", "/dev/zero")
    assert result.exit_code == 2
    assert "/dev/zero is a character device, not a scenario file: give a regular .yaml file" in result.output


# --- files that are not scenarios ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["notes.txt", "notes.yaml"])
def test_extends_of_a_non_scenario_file_is_one_short_diagnostic(tmp_path: Path, name: str) -> None:
    """A 27-line `key: value` file reached by `extends` is one diagnostic quoting at most a short excerpt."""
    (tmp_path / name).write_text(NOTES, encoding="utf-8")
    path = scenario_with(tmp_path, "top.yaml", f"name: top\nextends: {name}\n")
    diagnostics = check_file(path)
    assert len(diagnostics) == 1, [d.format() for d in diagnostics]
    d = diagnostics[0]
    assert d.message == f"`extends` file {name} is not a docket scenario"
    assert (d.path, d.mark and d.mark.line) == ("extends", 2)
    assert d.expected and "`name`" in d.expected and "`window`" in d.expected
    shown = d.format()
    assert "Secret1Field" not in shown and "private" not in shown
    assert len(d.found or "") <= 100


def test_extends_of_prose_that_is_not_yaml_is_one_short_diagnostic(tmp_path: Path) -> None:
    """A text file that does not parse as YAML is "not a docket scenario", with a short escaped excerpt."""
    prose = "".join(f"line {i}: the quick\tbrown: fox {i} - [unclosed {{\n" for i in range(27))
    (tmp_path / "prose.txt").write_text(prose, encoding="utf-8")
    path = scenario_with(tmp_path, "top.yaml", "name: top\nextends: prose.txt\n")
    diagnostics = check_file(path)
    assert [d.message for d in diagnostics] == ["`extends` file prose.txt is not a docket scenario"]
    assert "fox" not in diagnostics[0].format() and len(diagnostics[0].found or "") <= 100


def test_a_non_scenario_file_given_directly_is_one_diagnostic(tmp_path: Path) -> None:
    """`docket validate notes.yaml` on a mapping with no scenario key says so once, not once per line."""
    (tmp_path / "notes.yaml").write_text(NOTES, encoding="utf-8")
    diagnostics = check_file(tmp_path / "notes.yaml")
    assert [d.message for d in diagnostics] == ["notes.yaml is not a docket scenario"]
    assert diagnostics[0].mark == Mark(str(tmp_path / "notes.yaml"), 1, 1)
    assert "private" not in diagnostics[0].format()


def test_a_scenario_with_a_misspelt_key_is_still_a_scenario(tmp_path: Path) -> None:
    """The "not a scenario" rule does not swallow ordinary mistakes: most keys known, one misspelt."""
    path = tmp_path / "s.yaml"
    path.write_text(QUICKSTART.read_text(encoding="utf-8").replace("title:", "titel:", 1), encoding="utf-8")
    assert [d.message for d in check_file(path)] == ["unknown key `titel`"]


# --- control and bidi characters in messages ----------------------------------------------------------------


def test_the_formatter_escapes_control_and_bidi_characters() -> None:
    """Every field of a diagnostic is shown with control, bidi and invisible characters escaped."""
    d = Diagnostic("unknown key `a\u202eb`", Mark("x\x1b[2J.yaml", 1, 1), "a\u202eb", expected="\u2066x\u2069",
                   found="`\x07`\n", hint="tab\there")
    shown = d.format()
    assert shown == ("x\\x1b[2J.yaml:1:1: a\\u202eb: unknown key `a\\u202eb`\n    expected: \\u2066x\\u2069\n"
                     "    found:    `\\x07`\\n\n    hint:     tab\\there")
    assert str(DocketError("bad \x1b[31mred\x1b[0m\nsecond line")) == "bad \\x1b[31mred\\x1b[0m\nsecond line"


def test_a_bidi_character_in_a_key_is_escaped_on_the_terminal(tmp_path: Path) -> None:
    """A misspelt key holding a right-to-left override is printed with the character escaped."""
    path = tmp_path / "s.yaml"
    path.write_text(QUICKSTART.read_text(encoding="utf-8").replace("title:", "ti\u202etle:", 1), encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert "unknown key `ti\\u202etle`" in result.output and "\u202e" not in result.output


# --- extends chains -----------------------------------------------------------------------------------------


def chain(tmp_path: Path, files: int) -> Path:
    """``files`` files, each extending the next; the last is the quickstart scenario. Returns the first."""
    shutil.copy(QUICKSTART, tmp_path / f"f{files - 1}.yaml")
    for i in range(files - 1):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: f{i + 1}.yaml\ntitle: level {i}\n", encoding="utf-8")
    return tmp_path / "f0.yaml"


@pytest.mark.parametrize("files", [25, 100])
def test_a_long_chain_of_extends_without_a_cycle_loads(tmp_path: Path, files: int) -> None:
    """25 and 100 files extending one another are not a cycle: the scenario loads, the first file wins."""
    top = chain(tmp_path, files)
    assert check_file(top) == []
    assert load_scenario(top).title == "level 0"


def test_a_chain_deeper_than_the_cap_is_too_deep_not_a_cycle(tmp_path: Path) -> None:
    """More than MAX_EXTENDS `extends` in a chain is "too deep", at the `extends` of the last file followed."""
    top = chain(tmp_path, MAX_EXTENDS + 2)
    d = check_file(top)[0]
    assert d.message == f"`extends` goes too deep: more than {MAX_EXTENDS} files extend one another"
    assert "cycle" not in d.format()
    assert d.mark is not None and Path(d.mark.file).name == f"f{MAX_EXTENDS}.yaml"


# --- docket new ---------------------------------------------------------------------------------------------


def test_new_with_a_very_long_name_is_a_usage_error(tmp_path: Path) -> None:
    """A 300-character name is refused (exit 2) before anything is written."""
    result = invoke("new", "a" * 300, "--dir", tmp_path)
    assert result.exit_code == 2, result.output
    assert "at most 100 characters" in result.output and "300" in result.output
    assert list(tmp_path.iterdir()) == []


def test_new_into_a_folder_whose_name_is_too_long_is_a_clean_error(tmp_path: Path) -> None:
    """An OS error such as ENAMETOOLONG from the folder is a clean error (exit 1), not an internal error."""
    proc = docket("new", "ok", "--dir", "d" * 300, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("error: cannot write ") and "too long" in proc.stderr


# --- --set ----------------------------------------------------------------------------------------------------


def test_set_value_with_a_line_break_cannot_smuggle_keys() -> None:
    """`--set 'title=a\\nseed: 5'` is refused; it does not set `seed`."""
    data = resolve_raw(FLAGSHIP)
    for text in ("title=a\nseed: 5", "title=a\rseed: 5", "title=a\u2028seed: 5"):
        with pytest.raises(ScenarioError) as info:
            apply_overrides(data, [text])
        d = info.value.diagnostics[0]
        assert d.message == "an override's value must be one line" and d.path == "title"


def test_set_value_that_is_a_document_cannot_smuggle_keys() -> None:
    """A one-line value cannot add a key next to the one written: YAML structure stays inside the value."""
    data = resolve_raw(FLAGSHIP)
    for text in ("title={a: 1}, seed: 5", "title=x # seed: 5"):
        try:
            out = apply_overrides(data, [text])
        except ScenarioError as exc:
            assert all(d.path == "title" for d in exc.diagnostics), exc.format()
        else:
            assert out["seed"] == data["seed"]


@pytest.mark.parametrize("key", ["extends", "variants", "variant"])
def test_set_of_a_key_that_has_no_effect_is_refused(key: str) -> None:
    """`--set extends=...` (and `variants`, `variant`) is refused with the reason, not silently ignored."""
    with pytest.raises(ScenarioError) as info:
        patch_for(resolve_raw(FLAGSHIP), f"{key}=other.yaml")
    d = info.value.diagnostics[0]
    assert d.path == key and d.message.startswith(f"`--set {key}=` has no effect")
    assert d.hint


def test_set_extends_on_the_command_line_exits_1(tmp_path: Path) -> None:
    """The refusal reaches the user as a clean error, before anything runs."""
    result = invoke("run", FLAGSHIP, "--out", tmp_path / "r", "--set", "extends=x.yaml")
    assert result.exit_code == 1 and "`--set extends=` has no effect" in str(result.exception)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(("text", "message"), [
    ("window.start=2020-01-01 10:00:00", "found a date-time"),
    ("title=!!binary aGVsbG8=", "only plain YAML is accepted"),
    ("title=[1, 2", "YAML syntax error"),
])
def test_set_diagnostics_name_the_key_the_user_wrote(text: str, message: str) -> None:
    """A value YAML refuses is reported at the user's key (never an internal `v`), at the value's column."""
    with pytest.raises(ScenarioError) as info:
        patch_for(resolve_raw(FLAGSHIP), text)
    d = info.value.diagnostics[0]
    key = text.partition("=")[0]
    assert message in d.message
    assert d.path == key, d.format()
    assert d.mark is not None and d.mark.file == f"--set {text}" and d.mark.col >= len(key) + 2
    assert "`v`" not in d.format() and "v:" not in d.format()


# --- unknown --variant --------------------------------------------------------------------------------------


def test_unknown_variant_points_at_the_variants_line() -> None:
    """The diagnostic is at the `variants:` key, lists the known variants and suggests the closest."""
    with pytest.raises(ScenarioError) as info:
        resolve_raw(FLAGSHIP, "as_anounced")
    d = info.value.diagnostics[0]
    line = next(i for i, t in enumerate(FLAGSHIP.read_text(encoding="utf-8").splitlines(), 1)
                if t.startswith("variants:"))
    assert d.mark == Mark(str(FLAGSHIP), line, 1)
    assert d.hint == "did you mean `as_announced`?" and "`deal_reached`" in (d.expected or "")


def test_unknown_variant_in_a_file_without_variants_points_at_its_top(tmp_path: Path) -> None:
    """Without `variants:` the diagnostic is at the file's first line and says there are none."""
    path = tmp_path / "s.yaml"
    path.write_text("\n\n" + QUICKSTART.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        resolve_raw(path, "late")
    d = info.value.diagnostics[0]
    assert d.mark == Mark(str(path), 1, 1)
    assert d.message == "no variant `late` in this scenario" and "defines no variants" in (d.expected or "")


def test_unknown_variant_defined_in_the_base_points_at_the_base(tmp_path: Path) -> None:
    """Variants written in the file `extends` names are located in that file."""
    (tmp_path / "base.yaml").write_text(FLAGSHIP.read_text(encoding="utf-8"), encoding="utf-8")
    top = tmp_path / "top.yaml"
    top.write_text("extends: base.yaml\ntitle: top\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        resolve_raw(top, "nope")
    d = info.value.diagnostics[0]
    assert d.mark is not None and Path(d.mark.file).name == "base.yaml" and d.mark.col == 1


def test_load_yaml_file_reports_a_folder_as_a_folder(tmp_path: Path) -> None:
    """The library refuses a folder in the same words as the command line."""
    with pytest.raises(ScenarioError) as info:
        load_yaml_file(tmp_path)
    assert info.value.diagnostics[0].message == f"{tmp_path} is a directory, not a scenario file"
