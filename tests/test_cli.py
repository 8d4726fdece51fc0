"""Tests for cli.py: validate, schema, resolve, new and --version, their output and their exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

import cli
from sim import __version__
from sim.scenario.errors import DocketError, ScenarioError
from sim.scenario.loader import check_file

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "tiktok-wechat-2020.yaml"
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
HEAVY = ("numpy", "pandas", "matplotlib", "simpy")
DIAGNOSTIC_KEYS = {"file", "line", "col", "path", "message", "expected", "found", "hint"}

# A misspelt key (line 10), a missing deadline, a per-capita rate where a rate belongs (line 7).
BAD = """\
name: bad
title: Bad
window: {start: 2020-01-01, end: 2020-12-31}
populations:
  - id: users
    initial: 10M
    inflow: 2%/month
measures:
  - id: ban
    dedline: 2020-06-01
    effects:
      - {type: scale_inflow, population: users, factor: 0}
"""


def invoke(*args: object) -> Result:
    """Run the click group in-process with string arguments."""
    return CliRunner().invoke(cli.cli, [str(a) for a in args])


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    """An invalid scenario file."""
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


# --- validate -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [FLAGSHIP, QUICKSTART], ids=["flagship", "quickstart"])
def test_validate_valid_file_prints_ok_and_exits_0(path: Path) -> None:
    """A valid scenario prints `ok   FILE` and exits 0."""
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert result.output == f"ok   {path}\n"


def test_validate_invalid_file_exits_1_with_file_line_col(bad_file: Path) -> None:
    """Each problem is printed as file:line:col with expected/found/hint, and no traceback."""
    result = invoke("validate", bad_file)
    assert result.exit_code == 1
    assert f"FAIL {bad_file}: 2 problems" in result.output
    assert f"{bad_file}:10:5: measures.ban.dedline: unknown key `dedline`" in result.output
    assert f"{bad_file}:7:13: populations.users.inflow: expected a rate" in result.output
    assert "hint:     did you mean `deadline`?" in result.output
    assert "expected: a rate such as `250k/day`" in result.output
    assert "Traceback" not in result.output


def test_validate_folder_checks_every_yaml_file_except_baselines(tmp_path: Path, bad_file: Path) -> None:
    """A folder is searched recursively for *.yaml/*.yml, skipping `baselines/`; one bad file gives exit 1."""
    shutil.copy(FLAGSHIP, tmp_path / "flagship.yaml")
    (tmp_path / "nested").mkdir()
    shutil.copy(QUICKSTART, tmp_path / "nested" / "quick.yml")
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "ignored.yaml").write_text(BAD, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    result = invoke("validate", tmp_path)
    assert result.exit_code == 1
    assert "2 of 3 files valid" in result.output
    assert "ignored.yaml" not in result.output
    bad_file.unlink()
    result = invoke("validate", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 of 2 files valid"


@pytest.mark.parametrize("args", [["validate"], ["validate", "no/such/file.yaml"],
                                  ["validate", "--format", "xml", str(FLAGSHIP)], ["no-such-command"]],
                         ids=["no-path", "missing-path", "bad-format", "bad-command"])
def test_usage_errors_exit_2(args: list[str]) -> None:
    """A missing argument, a missing path, a bad option value or an unknown command is a usage error (2)."""
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_validate_folder_without_scenarios_is_a_usage_error(tmp_path: Path) -> None:
    """A folder that holds no *.yaml file exits 2 and says so."""
    result = invoke("validate", tmp_path)
    assert result.exit_code == 2
    assert "no scenario files" in result.output


def test_validate_json_output(bad_file: Path) -> None:
    """--format json prints one JSON document with every diagnostic's fields; the exit code is unchanged."""
    result = invoke("validate", "--format", "json", bad_file, FLAGSHIP)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    bad, good = report["files"]
    assert (bad["file"], bad["ok"], good["file"], good["ok"]) == (str(bad_file), False, str(FLAGSHIP), True)
    assert good["diagnostics"] == []
    assert len(bad["diagnostics"]) == 2
    for d in bad["diagnostics"]:
        assert set(d) == DIAGNOSTIC_KEYS
        assert isinstance(d["line"], int) and isinstance(d["col"], int)
    typo = next(d for d in bad["diagnostics"] if d["path"] == "measures.ban.dedline")
    assert (typo["line"], typo["col"], typo["hint"]) == (10, 5, "did you mean `deadline`?")


def test_validate_json_output_all_valid_exits_0() -> None:
    """--format json on valid files reports ok and exits 0."""
    result = invoke("validate", "--format", "json", FLAGSHIP, QUICKSTART)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["ok"] is True


# --- schema -------------------------------------------------------------------------------------------------


def test_schema_is_json_with_the_top_level_keys() -> None:
    """`schema` prints a JSON Schema whose properties are the scenario's top-level keys."""
    result = invoke("schema")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["title"] == "docket scenario"
    assert doc["additionalProperties"] is False
    assert set(doc["required"]) == {"name", "title", "window", "populations"}
    assert {"format", "name", "title", "description", "as_of", "extends", "sources", "window", "report",
            "replications", "seed", "key_dates", "populations", "flows", "events", "measures", "metrics",
            "expectations", "variants"} <= set(doc["properties"])
    assert {"Measure", "Deferral", "Waiver", "Shelving", "Challenge", "Metric"} <= set(doc["$defs"])


def test_schema_out_writes_the_same_document(tmp_path: Path) -> None:
    """`schema --out FILE` writes the printed schema to FILE and says so."""
    target = tmp_path / "sub" / "docket.schema.json"
    result = invoke("schema", "--out", target)
    assert result.exit_code == 0
    assert result.output == f"wrote {target}\n"
    assert json.loads(target.read_text(encoding="utf-8")) == json.loads(invoke("schema").stdout)


def test_schema_accepts_the_flagship_and_rejects_an_unknown_key() -> None:
    """An editor's JSON Schema validator accepts the flagship and rejects a misspelt key."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(invoke("schema").stdout))
    data = json.loads(json.dumps(yaml.safe_load(FLAGSHIP.read_text(encoding="utf-8")), default=str))
    assert list(validator.iter_errors(data)) == []
    data["dedline"] = "2020-09-20"
    assert not validator.is_valid(data)


# --- resolve ------------------------------------------------------------------------------------------------


def test_resolve_without_variant_prints_the_scenario() -> None:
    """Without extends or a variant, `resolve` prints the same data as the file holds."""
    result = invoke("resolve", FLAGSHIP)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout) == yaml.safe_load(FLAGSHIP.read_text(encoding="utf-8"))


def test_resolve_variant_shows_merged_values() -> None:
    """`resolve --variant` prints the variant's changes merged in, as a scenario of its own."""
    result = invoke("resolve", FLAGSHIP, "--variant", "deal_reached")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    deal = next(e for e in data["events"] if e["id"] == "oracle_deal")
    assert deal["probability"] == 1
    assert str(deal["date"]) == "2020-09-30"
    assert "variants" not in data and "variant" not in data
    assert result.stdout.startswith("# ") and "deal_reached" in result.stdout.splitlines()[0]


def test_resolve_variant_deletes_keys_and_clears_lists() -> None:
    """`$delete` removes a key and an empty list replaces the base's list."""
    result = invoke("resolve", FLAGSHIP, "--variant", "as_announced")
    assert result.exit_code == 0, result.output
    measures = {m["id"]: m for m in yaml.safe_load(result.stdout)["measures"]}
    assert "deferral" not in measures["tiktok_app_store"]
    assert measures["tiktok_app_store"]["challenges"] == []
    assert measures["tiktok_app_store"]["lifted_by"] == ["oracle_deal"]


def test_resolve_unknown_variant_fails_with_a_suggestion() -> None:
    """An unknown variant raises a ScenarioError (exit 1) naming the variants and the closest one."""
    result = invoke("resolve", FLAGSHIP, "--variant", "as_anounced")
    assert result.exit_code == 1
    assert isinstance(result.exception, ScenarioError)
    message = str(result.exception)
    assert "no variant `as_anounced`" in message
    assert "did you mean `as_announced`?" in message
    assert "`as_announced`, `as_it_happened`, `deal_reached`" in message


# --- new ----------------------------------------------------------------------------------------------------


def test_new_writes_a_valid_scenario(tmp_path: Path) -> None:
    """`new NAME` writes NAME.yaml from the starter with the name filled in; it and its variants validate."""
    result = invoke("new", "router-ban", "--dir", tmp_path)
    target = tmp_path / "router-ban.yaml"
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {target}\n")
    text = target.read_text(encoding="utf-8")
    assert "__NAME__" not in text
    assert "name: router-ban" in text
    assert check_file(target) == []
    assert invoke("validate", target).exit_code == 0


def test_new_drops_a_yaml_suffix(tmp_path: Path) -> None:
    """`new demo.yaml` writes demo.yaml, not demo.yaml.yaml."""
    assert invoke("new", "demo.yaml", "--dir", tmp_path).exit_code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["demo.yaml"]
    assert yaml.safe_load((tmp_path / "demo.yaml").read_text(encoding="utf-8"))["name"] == "demo"


def test_new_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    """An existing file is left alone (exit 1) unless --force is given."""
    target = tmp_path / "mine.yaml"
    target.write_text("# my work\n", encoding="utf-8")
    result = invoke("new", "mine", "--dir", tmp_path)
    assert result.exit_code == 1
    assert isinstance(result.exception, DocketError)
    assert "already exists; pass --force" in str(result.exception)
    assert target.read_text(encoding="utf-8") == "# my work\n"
    assert invoke("new", "mine", "--dir", tmp_path, "--force").exit_code == 0
    assert check_file(target) == []


@pytest.mark.parametrize("name", ["router ban", "../escape", ".hidden", "a/b"])
def test_new_rejects_bad_names(tmp_path: Path, name: str) -> None:
    """A NAME with spaces, slashes or a leading dot is a usage error and writes nothing."""
    result = invoke("new", name, "--dir", tmp_path)
    assert result.exit_code == 2
    assert "Invalid value for NAME" in result.output
    assert list(tmp_path.iterdir()) == []


# --- version and the real entry point -----------------------------------------------------------------------


def test_version() -> None:
    """`--version` prints `docket <version>` and exits 0."""
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"docket {__version__}\n"


def main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: object) -> tuple[int, str, str]:
    """Call the entry point `cli.main` in-process; return its exit code, stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["docket", *map(str, args)])
    monkeypatch.delenv("DOCKET_DEBUG", raising=False)
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        cli.main()
        sys.exit(0)  # main() returns normally on success
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_main_exit_codes(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bad_file: Path,
                         tmp_path: Path) -> None:
    """The entry point exits 0 on success, 1 for invalid input (message on stderr), 2 for usage errors."""
    assert main(capsys, monkeypatch, "validate", FLAGSHIP)[0] == 0
    code, out, _ = main(capsys, monkeypatch, "validate", bad_file)
    assert code == 1
    assert f"{bad_file}:10:5:" in out
    code, _, err = main(capsys, monkeypatch, "resolve", FLAGSHIP, "--variant", "as_anounced")
    assert code == 1
    assert err.startswith("error: ")
    assert "did you mean `as_announced`?" in err
    code, _, err = main(capsys, monkeypatch, "validate", "--format", "xml", FLAGSHIP)
    assert code == 2
    assert "Usage:" in err
    (tmp_path / "x.yaml").write_text("", encoding="utf-8")
    code, _, err = main(capsys, monkeypatch, "new", "x", "--dir", tmp_path)
    assert code == 1
    assert err == f"error: {tmp_path / 'x.yaml'} already exists; pass --force to overwrite it, or choose another name\n"


def test_main_internal_error_exits_70_without_traceback(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception becomes a one-line `internal error` (exit 70), not a traceback."""
    import sim.scenario.validation

    def broken(path: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(sim.scenario.validation, "check_file", broken)
    code, out, err = main(capsys, monkeypatch, "validate", FLAGSHIP)
    assert code == 70
    assert err.startswith("internal error: RuntimeError: boom\n")
    assert "DOCKET_DEBUG=1" in err
    assert "Traceback" not in out + err


def test_entry_point_in_a_fresh_process() -> None:
    """`python -m cli` exits 1 with a clean message and a hint on stderr, and prints no traceback."""
    env = {k: v for k, v in os.environ.items() if k != "DOCKET_DEBUG"}
    proc = subprocess.run([sys.executable, "-m", "cli", "resolve", str(FLAGSHIP), "--variant", "as_anounced"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    line = FLAGSHIP.read_text().splitlines().index("variants:") + 1  # the error points at the `variants:` line
    assert f"{FLAGSHIP}:{line}:1: variants: no variant `as_anounced`" in proc.stderr
    assert "did you mean `as_announced`?" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_validate_does_not_import_heavy_libraries() -> None:
    """`import cli` and `validate` on the flagship load none of numpy, pandas, matplotlib or simpy."""
    code = f"""
import json, sys
import cli
from click.testing import CliRunner
after_import = [m for m in {HEAVY!r} if m in sys.modules]
result = CliRunner().invoke(cli.cli, ["validate", {str(FLAGSHIP)!r}])
print(json.dumps([result.exit_code, after_import, [m for m in {HEAVY!r} if m in sys.modules]]))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    exit_code, after_import, after_validate = json.loads(proc.stdout.splitlines()[-1])
    assert exit_code == 0
    assert after_import == [], f"`import cli` loaded {after_import}"
    assert after_validate == [], f"`docket validate` loaded {after_validate}"
