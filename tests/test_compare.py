"""Paired comparisons (`sim.studies.compare`, `docket compare`): same draws, differences per replication."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import cli
from sim.engine.replications import key_days, report_grid
from sim.runs.runner import collect
from sim.scenario.errors import DocketError
from sim.studies.compare import COLUMNS, compare, table_text
from tests.conftest import BASE, build, day, measure

UNCERTAIN = {"populations": [{"id": "users", "initial": {"between": ["0.8M", "1.2M"]}, "inflow": "10k/day",
                              "outflow": {"between": ["1%/month", "3%/month"]}}],
             "key_dates": ["2020-04-01", "2020-09-01"]}
DEFERRAL = {"probability": 0.5, "delay": "30d", "max": 2}


def scenario(deadline: str) -> object:
    """A ban with an uncertain population and a random deferral, due on `deadline`."""
    return build(**UNCERTAIN, measures=[measure("ban", deadline, deferral=DEFERRAL)], replications=30)


def test_scenario_against_itself_differs_by_exactly_zero() -> None:
    """The paired difference of a scenario with itself is exactly zero in every row."""
    s = scenario("2020-03-01")
    table = compare([s, s], ["a", "b"]).table
    assert set(table["quantity"]) == {"exposure", "avoided", "population", "in_force_by"}
    assert list(table.columns) == list(COLUMNS)
    diffs = table[["diff_median", "diff_p05", "diff_p95", "diff_mean", "share_up", "share_down"]]
    assert (diffs == 0).all().all(), table
    assert (table["share_same"] == 1).all() and (table["median"] == table["reference_median"]).all()


def test_later_deadline_is_identical_before_and_exposes_more_after() -> None:
    """A later deadline gives bit-identical trajectories before the earlier one and never less exposure."""
    early, late = scenario("2020-03-01"), scenario("2020-06-01")
    grid = sorted(set(report_grid(early)) | set(key_days(early)))
    a, b = collect(early, 30, 5, grid).arrays, collect(late, 30, 5, grid).arrays
    before = [i for i, d in enumerate(grid) if d <= day("2020-03-01")]
    assert np.array_equal(a["stocks"][:, before], b["stocks"][:, before])
    assert np.array_equal(a["metric_cum"][:, before], b["metric_cum"][:, before])
    table = compare([early, late], ["early", "late"], 30, 5).table
    exposure = table[table["quantity"] == "exposure"].iloc[0]
    assert exposure["diff_p05"] >= 0 and exposure["share_down"] == 0 and exposure["share_up"] > 0, exposure


def test_rows_only_for_shared_ids() -> None:
    """A measure that only one scenario has gets no row; the others are still compared."""
    with_ban, without = scenario("2020-03-01"), build(**UNCERTAIN, replications=30)
    table = compare([with_ban, without], ["ban", "none"]).table
    assert "in_force_by" not in set(table["quantity"]) and "exposure" in set(table["quantity"])


def test_different_windows_fail_naming_both() -> None:
    """Scenarios with different windows cannot be compared; the error names both windows."""
    other = build(window={"start": "2020-01-01", "end": "2020-06-30"})
    with pytest.raises(DocketError, match=r"2020-01-01 to 2020-12-31.*2020-01-01 to 2020-06-30"):
        compare([build(), other], ["full", "half"], 5)


def test_table_text_has_one_block_per_quantity() -> None:
    """The terminal table has a block per quantity, in human numbers."""
    s = scenario("2020-03-01")
    text = table_text(compare([s, scenario("2020-06-01")], ["early", "late"]))
    for heading in ("Exposure accumulated by 2020-12-31", "Populations", "P(in force by)"):
        assert heading in text
    assert "early" in text and "(reference)" in text and "e+" not in text


def write_scenario(tmp_path: Path) -> Path:
    """A scenario file with two variants that move the deadline."""
    data = copy.deepcopy(BASE) | copy.deepcopy(UNCERTAIN)
    data["measures"] = [measure("ban", "2020-03-01", deferral=DEFERRAL)]
    data["variants"] = [{"id": "later", "changes": {"measures": [{"id": "ban", "deadline": "2020-06-01"}]}},
                        {"id": "autumn", "changes": {"measures": [{"id": "ban", "deadline": "2020-11-01"}]}}]
    path = tmp_path / "ban.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: object) -> tuple[int, str, str]:
    """Call the entry point `cli.main` in-process; return its exit code, stdout and stderr."""
    monkeypatch.setattr("sys.argv", ["docket", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_cli_writes_csv_and_chart_and_prints_table(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`docket compare FILE --variants` writes comparison.csv and comparison.png and prints the table."""
    path, out = write_scenario(tmp_path), tmp_path / "cmp"
    code, stdout, err = main(capsys, monkeypatch, "compare", path, "--variants", "later,autumn", "-n", "20",
                             "--out", out)
    assert code == 0, err
    assert "Exposure accumulated by" in stdout and "as written" in stdout and "autumn" in stdout
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == list(COLUMNS) and set(table["label"]) == {"later", "autumn"}
    assert (out / "comparison.png").stat().st_size > 10_000
    assert (out / "differences.png").stat().st_size > 10_000 and "differences.png" in stdout
    assert [p.name for p in out.glob(".*")] == [".docket.json"]  # the marker; no temporaries


def test_cli_reference_variant(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                               tmp_path: Path) -> None:
    """`--reference VARIANT` compares the other variants against that one."""
    path, out = write_scenario(tmp_path), tmp_path / "cmp"
    code, _, err = main(capsys, monkeypatch, "compare", path, "--variants", "later,autumn", "--reference", "later",
                        "-n", "10", "--out", out)
    assert code == 0, err
    assert set(pd.read_csv(out / "comparison.csv")["label"]) == {"autumn"}


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--variants", "latr"], 1, "no variant `latr`"),
    ([], 2, "two or more FILES"),
])
def test_cli_bad_input_exits_cleanly(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path, args: list[str], code: int, message: str) -> None:
    """An unknown variant or a lone FILE exits non-zero with a message and no traceback."""
    path = write_scenario(tmp_path)
    got, stdout, err = main(capsys, monkeypatch, "compare", path, *args, "-n", "5", "--out", tmp_path / "x")
    assert got == code and message in err and "Traceback" not in stdout + err


def test_cli_different_windows_exit_1(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    """Two files with different windows exit 1 naming both windows."""
    first = write_scenario(tmp_path)
    data = yaml.safe_load(first.read_text()) | {"window": {"start": "2020-01-01", "end": "2020-06-30"},
                                                "key_dates": ["2020-04-01"]}
    data["variants"] = []
    second = tmp_path / "short.yaml"
    second.write_text(yaml.safe_dump(data, sort_keys=False))
    code, stdout, err = main(capsys, monkeypatch, "compare", first, second, "-n", "5", "--out", tmp_path / "x")
    assert code == 1 and "share a window" in err and "2020-06-30" in err and "Traceback" not in stdout + err


def test_cli_set_applies_to_every_run_and_workers_do_not_matter(capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    """`--set` overrides every run compared (here the deferral probability: 0 means no run ever defers), and
    `--workers 2` writes the same table as `--workers 1`."""
    path = write_scenario(tmp_path)
    common = ["compare", path, "--variants", "later,autumn", "-n", "200"]
    code, _, err = main(capsys, monkeypatch, *common, "--out", tmp_path / "one", "--workers", "1")
    assert code == 0, err
    code, _, err = main(capsys, monkeypatch, *common, "--out", tmp_path / "two", "--workers", "2")
    assert code == 0, err
    assert "3 tasks ran on 2 local processes" in err
    one, two = (pd.read_csv(tmp_path / d / "comparison.csv") for d in ("one", "two"))
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    code, _, err = main(capsys, monkeypatch, *common, "--out", tmp_path / "set", "--set",
                        "measures.ban.deferral.probability=0")
    assert code == 0, err
    fixed = pd.read_csv(tmp_path / "set" / "comparison.csv")
    p = fixed[(fixed["quantity"] == "in_force_by") & (fixed["date"] == "2020-04-01")].set_index("label")
    assert p.loc["later", "reference_mean"] == 1.0 and p.loc["later", "mean"] == 0.0  # no deferral anywhere
    assert not one[(one["quantity"] == "in_force_by") & (one["date"] == "2020-04-01")]["reference_mean"].eq(1).all()
    code, _, err = main(capsys, monkeypatch, *common, "--out", tmp_path / "bad", "--set", "measures.bam.deadline=x")
    assert code == 1 and "--set measures.bam.deadline=x" in err and "ban" in err
