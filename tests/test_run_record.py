"""`docket run --from DIR` re-runs a run folder only if its run.json is what `docket run` wrote: the recorded
scenario must hash to `scenario_hash`, and `record_hash` binds the seed and replications to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import cli
from sim.runs.records import record_hash, scenario_hash
from sim.scenario.errors import DocketError

FLAGSHIP = "scenarios/tiktok-wechat-2020.yaml"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run folder of the flagship."""
    out = tmp_path_factory.mktemp("rec") / "run"
    res = CliRunner().invoke(cli, ["run", FLAGSHIP, "-n", "12", "--seed", "5", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out


def edited(recorded: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the recorded folder's run.json with ``change`` applied."""
    record = json.loads((recorded / "run.json").read_text())
    change(record)
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps(record))
    return folder


def test_run_json_records_both_hashes(recorded: Path) -> None:
    """run.json holds the scenario's hash and the record hash over it, the seed and the replications."""
    record = json.loads((recorded / "run.json").read_text())
    assert record["scenario_hash"] == scenario_hash(record["scenario"])
    assert record["record_hash"] == record_hash(record["scenario_hash"], 5, 12)


def test_an_intact_record_re_runs(recorded: Path, tmp_path: Path) -> None:
    """An untouched run.json re-runs bit for bit."""
    res = CliRunner().invoke(cli, ["run", "--from", str(recorded), "--out", str(tmp_path / "again"), "-q"])
    assert res.exit_code == 0, res.output
    assert (recorded / "series.csv").read_bytes() == (tmp_path / "again" / "series.csv").read_bytes()


def _value(r: dict[str, Any]) -> None:
    r["scenario"]["populations"][0]["initial"] = "50M"


def _seed(r: dict[str, Any]) -> None:
    r["seed"] = 6


def _replications(r: dict[str, Any]) -> None:
    r["replications"] = 13


def _zeroed(r: dict[str, Any]) -> None:
    r["scenario_hash"] = "0" * 64


def _no_record_hash(r: dict[str, Any]) -> None:
    del r["record_hash"]


@pytest.mark.parametrize(("change", "key", "says"), [
    (_value, "`scenario_hash`", "does not match the recorded `scenario`"),
    (_zeroed, "`scenario_hash`", "found `000000000000…`"),
    (_seed, "`record_hash`", "does not match the recorded `seed` 6"),
    (_replications, "`record_hash`", "`replications` 13"),
    (_no_record_hash, "`record_hash`", "there is no `record_hash`"),
])  # fmt: skip
def test_an_edited_record_is_refused(recorded: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None],
                                     key: str, says: str) -> None:
    """An edited value, seed or replications, or a zeroed or removed hash: exit 1 naming run.json, the key and
    what was found, with a hint; nothing runs."""
    folder = edited(recorded, tmp_path, change)
    res = CliRunner().invoke(cli, ["run", "--from", str(folder), "--out", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 1 and isinstance(res.exception, DocketError), res.output
    text = str(res.exception)
    assert text.startswith(f"{folder / 'run.json'}: ") and key in text and says in text
    assert "hint:     re-run from the scenario file (`docket run FILE`), or pass --ignore-hash" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("key", "value", "says"), [
    ("scenario", "x", "`scenario` must be the recorded scenario (a mapping of keys), found `x` (text)"),
    ("scenario", None, "found nothing (null)"),
    ("seed", True, "`seed` must be a whole number >= 0, found `true` (true/false)"),
    ("replications", "12", "`replications` must be a whole number >= 1, found `12` (text)"),
    ("replications", 0, "`replications` must be a whole number >= 1, found `0` (number)"),
])  # fmt: skip
def test_a_damaged_record_is_a_clean_error(recorded: Path, tmp_path: Path, key: str, value: object,
                                           says: str) -> None:
    """`"scenario": "x"` (exit 70 before) and non-numbers for seed/replications are exit 1, even with
    --ignore-hash (there is nothing to run)."""
    folder = edited(recorded, tmp_path, lambda r: r.__setitem__(key, value))
    for extra in ([], ["--ignore-hash"]):
        res = CliRunner().invoke(cli, ["run", "--from", str(folder), "--out", str(tmp_path / "o"), "-q", *extra])
        assert res.exit_code == 1 and isinstance(res.exception, DocketError), res.output
        assert says in str(res.exception)


def test_ignore_hash_runs_with_a_warning(recorded: Path, tmp_path: Path) -> None:
    """--ignore-hash runs the edited record anyway (its new seed) and says so on stderr."""
    folder = edited(recorded, tmp_path, _seed)
    res = CliRunner().invoke(cli, ["run", "--from", str(folder), "--out", str(tmp_path / "o"), "-q",
                                   "--ignore-hash"])
    assert res.exit_code == 0, res.output
    assert "warning: " in res.output and "running it anyway (--ignore-hash)" in res.output
    assert json.loads((tmp_path / "o" / "run.json").read_text())["seed"] == 6


def test_ignore_hash_needs_from() -> None:
    """--ignore-hash with a scenario FILE is a usage error."""
    assert CliRunner().invoke(cli, ["run", FLAGSHIP, "--ignore-hash"]).exit_code == 2


@pytest.mark.parametrize(("content", "found"), [(b"\xff\xfe not utf-8", "utf-8"), (b'"x"', "found text"),
                                               (b"[1, 2]", "found a list"), (b"{", "Expecting")])
def test_a_damaged_run_json_is_a_clean_error(tmp_path: Path, content: bytes, found: str) -> None:
    """A run.json that is not UTF-8, not JSON, or not an object: exit 1 naming the file, never an internal error."""
    (tmp_path / "run.json").write_bytes(content)
    for args in (["run", "--from", str(tmp_path), "--out", str(tmp_path / "out")], ["plot", str(tmp_path)]):
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 1 and isinstance(res.exception, DocketError), (args, res.output)
        assert str(tmp_path / "run.json") in str(res.exception) and found in str(res.exception)


@pytest.mark.parametrize("content", ["[1]", '{"replications": "many"}', "\"text\""])
def test_a_damaged_baseline_fails_its_target_only(tmp_path: Path, content: str) -> None:
    """A baseline that is not an object, or whose replications are not a number, fails that target with a
    message naming it; the other targets of the run still run."""
    from sim.testing.session import run_tests

    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(Path("scenarios/quickstart.yaml").read_text().replace(
            "name: quickstart", f"name: {name}"))
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "a.json").write_text(content)
    report = run_tests([tmp_path], replications=20)
    errors = {r.target.name: r.error for r in report.results}
    assert errors["a"] is not None and "baselines/a.json" in errors["a"]
    assert errors["b"] is None
