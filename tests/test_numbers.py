"""Numbers: booleans, NaN and infinities are refused wherever a number is meant, every value has a limit that
keeps results finite, and an overflow the limits cannot rule out stops the run instead of writing inf/nan."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from typing import Any

import pytest
from click.testing import CliRunner

import sim.scenario.quantities as q
from cli import cli
from sim.scenario.errors import DocketError
from sim.scenario.limits import MAX_COUNT
from sim.scenario.loader import resolve_raw, validate_data
from sim.scenario.quantities import QuantityError
from sim.scenario.values import DIST_KEYS, Z_MAX, read_value

FLAGSHIP = "scenarios/tiktok-wechat-2020.yaml"
NOT_NUMBERS = [float("nan"), float("inf"), float("-inf"), True, False, "1e400"]
"""What YAML gives for `.nan`, `.inf`, `-.inf`, `true`, `false` and `1e400` (text that overflows to inf)."""


def problems(data: dict[str, Any]) -> list[Any]:
    """The diagnostics of raw scenario data (none: it is valid)."""
    scenario, diagnostics = validate_data(data, "s.yaml")
    assert (scenario is None) == bool(diagnostics)
    return diagnostics


def set_at(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of ``data`` with ``value`` at ``path``."""
    out = copy.deepcopy(data)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


# --- every kind of quantity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(q.PARSERS))
@pytest.mark.parametrize("bad", NOT_NUMBERS, ids=repr)
def test_every_scalar_kind_refuses_booleans_nan_and_infinity(kind: str, bad: object) -> None:
    """No reader of a number (count, rate, per-capita rate, probability, share, factor, number, whole) takes a
    boolean as 1 or 0, or NaN/inf as a number."""
    with pytest.raises(QuantityError) as info:
        q.PARSERS[kind](bad)
    if isinstance(bad, bool):
        assert info.value.found == f"`{str(bad).lower()}` (true/false)"


@pytest.mark.parametrize("bad", NOT_NUMBERS, ids=repr)
def test_durations_refuse_booleans_nan_and_infinity(bad: object) -> None:
    """Durations refuse them too (and `nand`, `infd` are not durations)."""
    for value in (bad, f"{bad}d"):
        with pytest.raises(QuantityError):
            q.parse_duration(value)


@pytest.mark.parametrize(("raw", "unit"), [
    ({"between": [float("nan"), 1]}, "count"), ({"between": ["1M", "1e400"]}, "count"),
    ({"triangular": [0, True, 1]}, "share"), ({"normal": {"mean": "1M", "sd": float("inf")}}, "count"),
    ({"normal": {"mean": "1M", "sd": "1k", "max": float("nan")}}, "count"),
    ({"lognormal": {"median": "30d", "sigma": float("nan")}}, "duration"),
    ({"choice": [["7d", float("inf")], ["14d", 1]]}, "duration"), ({"empirical": [1, True]}, "factor"),
])  # fmt: skip
def test_distribution_parameters_refuse_nan_inf_and_booleans(raw: dict[str, Any], unit: str) -> None:
    """Every number inside a distribution (bounds, sd, sigma, weights, listed values) is read like the value."""
    with pytest.raises(QuantityError):
        read_value(raw, unit)


def test_whole_and_number_readers() -> None:
    """Plain numbers: a boolean is named as such; fractions are not whole; numeric text (`1e6`, which YAML
    leaves as text) reads as a number."""
    for parse, value, message in ((q.parse_whole, True, "expected a whole number, found a boolean"),
                                  (q.parse_number, False, "expected a number, found a boolean"),
                                  (q.parse_whole, 2.5, "expected a whole number")):
        with pytest.raises(QuantityError) as info:
            parse(value)
        assert info.value.message == message
        assert info.value.found == (f"`{value}` (number)" if value == 2.5 else f"`{str(value).lower()}` (true/false)")
    assert q.parse_number("1e6") == 1e6 and q.parse_whole("1e3") == 1000 and q.parse_whole(7) == 7


# --- the schema's plain numbers --------------------------------------------------------------------------------

PLAIN = [
    (("seed",), 7), (("replications",), 100), (("measures", 0, "deferral", "max"), 2),
    (("expectations", "checks", 0, "min"), 99_999_000), (("expectations", "checks", 0, "max"), 100_001_000),
    (("expectations", "replications"), 100), (("measures", 0, "effects", 2, "steps"), 4),
]


@pytest.mark.parametrize(("path", "good"), PLAIN, ids=lambda p: ".".join(map(str, p)) if isinstance(p, tuple) else "")
@pytest.mark.parametrize("bad", NOT_NUMBERS, ids=repr)
def test_plain_number_keys_refuse_booleans_nan_and_infinity(path: tuple[str | int, ...], good: int,
                                                            bad: object) -> None:
    """seed, replications, deferral `max`, a check's `min`/`max`, `steps`: `true` is not 1 and `.nan` does not
    switch a check off; the diagnostic names the key."""
    data = resolve_raw(FLAGSHIP)
    assert not problems(set_at(data, path, good))
    found = problems(set_at(data, path, bad))
    assert found, f"{path} accepted {bad!r}"
    shown = {d.path for d in found}
    assert any(p.endswith(str(path[-1])) for p in shown), shown
    if isinstance(bad, bool):
        assert any("found a boolean" in d.message for d in found)
    else:
        assert any(d.message == "a number must be finite" for d in found)


def test_renewal_max_refuses_a_boolean() -> None:
    """A waiver renewal's `max: true` is not one renewal."""
    data = resolve_raw(FLAGSHIP)
    waiver = {"id": "w", "share": 0.5, "duration": "30d", "renewal": {"probability": 0.5, "period": "30d",
                                                                       "max": True}}
    data["measures"][0]["waivers"] = [waiver]
    assert [d.path for d in problems(data)] == ["measures.tiktok_app_store.waivers.w.renewal.max"]


def test_set_seed_true_is_refused_on_the_command_line(tmp_path: Any) -> None:
    """`--set seed=true` (the issue's example) is an error at the override, exit 1, nothing run."""
    res = CliRunner().invoke(cli, ["run", FLAGSHIP, "-n", "5", "--out", str(tmp_path / "r"), "--set", "seed=true"])
    assert res.exit_code == 1 and isinstance(res.exception, DocketError)
    assert "--set seed=true:1:6: seed: expected a whole number, found a boolean" in str(res.exception)
    assert not (tmp_path / "r").exists()


def _numeric_leaves(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Paths of every number of a raw scenario: plain numbers, and quantities written as text (`100M`,
    `2%/month`, `30d`); not dates, ids, names or free text."""
    text_keys = {"id", "title", "description", "note", "source", "url", "publisher", "unit", "kind", "type",
                 "population", "from", "to", "target", "stat", "quantity", "only", "while", "on", "name",
                 "metric", "authority", "report", "sources", "variants", "lifted_by", "unless", "requires"}
    if isinstance(node, dict):
        return [p for k, v in node.items() if k not in text_keys for p in _numeric_leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _numeric_leaves(v, (*path, i))]
    if isinstance(node, bool | dt.date):
        return []
    if isinstance(node, int | float) or (isinstance(node, str) and any(c.isdigit() for c in node)):
        return [path]
    return []


FLAGSHIP_LEAVES = _numeric_leaves(resolve_raw(FLAGSHIP))


def test_the_flagship_has_many_numeric_keys() -> None:
    """The walk below finds the flagship's numbers (so the parametrized test cannot pass vacuously)."""
    assert len(FLAGSHIP_LEAVES) > 50
    assert ("seed",) in FLAGSHIP_LEAVES and ("measures", 0, "deferral", "max") in FLAGSHIP_LEAVES
    assert ("populations", 0, "initial", "value") in FLAGSHIP_LEAVES


@pytest.mark.parametrize("bad", NOT_NUMBERS, ids=repr)
def test_every_number_of_the_flagship_refuses_nan_inf_and_booleans(bad: object) -> None:
    """Each number of the flagship replaced by NaN, an infinity or a boolean gives a clean diagnostic at that
    key, with its line (data mutation over every numeric key of `scenarios/tiktok-wechat-2020.yaml`)."""
    data = resolve_raw(FLAGSHIP)
    for path in FLAGSHIP_LEAVES:
        found = problems(set_at(data, path, bad))
        assert found, f"{path} accepted {bad!r}"
        assert all(d.mark is not None and d.mark.line > 0 for d in found), [d.format() for d in found]
        key = next(str(p) for p in reversed(path) if isinstance(p, str) and p not in DIST_KEYS)
        assert any(key in d.path for d in found), (path, [d.format() for d in found])


# --- limits: results that cannot be finite are refused at validation -----------------------------------------


@pytest.mark.parametrize(("path", "value", "message"), [
    (("populations", 0, "initial"), "1e307", "a count must be at most 1e15"),
    (("populations", 0, "initial"), 1e16, "a count must be at most 1e15"),
    (("measures", 0, "effects", 0, "factor"), "1e300", "a factor must be at most 1e6"),
    (("populations", 0, "inflow"), "1e16/day", "a rate must be at most 1e15 per day"),
    (("populations", 0, "outflow"), "99.99999%/0.001d", "a per-capita rate must be at most 1000 per day"),
    (("measures", 0, "deferral", "delay"), "1e30mo", "a duration must be at most 3,652,425 days (10,000 years)"),
    (("populations", 0, "initial"), {"lognormal": {"median": "100M", "sigma": 10}},
     f"this lognormal draws values up to {1e8 * math.exp(10 * Z_MAX):.3g}, above 1e15, the largest count"),
])  # fmt: skip
def test_values_beyond_their_limit_are_refused_at_their_key(path: tuple[str | int, ...], value: object,
                                                             message: str) -> None:
    """`initial: 1e307` and `factor: 1e300` (the issue's examples) and the other kinds' limits: the diagnostic
    names the key, the limit and what was found."""
    found = problems(set_at(resolve_raw(FLAGSHIP), path, value))
    assert [d.message for d in found] == [message]
    assert found[0].path.endswith(str(path[-1]))
    assert found[0].mark is not None and found[0].hint


def test_values_at_their_limit_are_accepted() -> None:
    """The limits are inclusive: a count of exactly 1e15 and a factor of 1e6 validate."""
    data = set_at(resolve_raw(FLAGSHIP), ("populations", 0, "initial"), "1e15")
    assert not problems(set_at(data, ("measures", 0, "effects", 0, "factor"), 1e6))


def test_a_normal_without_max_is_truncated_at_the_limit() -> None:
    """A count normal with no `max` cannot draw beyond the largest count."""
    assert read_value({"normal": {"mean": "1M", "sd": "1e14"}}, "count").high == MAX_COUNT


# --- the engine: an overflow the limits allow is an error naming the series, never a file with inf ----------


def _many_factors(k: int) -> list[dict[str, Any]]:
    return [{"type": "scale_inflow", "population": "tiktok_users", "factor": "1e6"}] * k


@pytest.mark.parametrize(("changes", "named"), [
    ({"effects": 60, "weight": None}, "population `tiktok_users` inflow overflows"),
    ({"effects": 48, "weight": "1e6"}, "metric `tiktok_user_days` value overflows in replication 0"),
])  # fmt: skip
def test_an_overflow_in_the_engine_stops_the_run(tmp_path: Any, changes: dict[str, Any], named: str) -> None:
    """Many factors of 1e6 multiply beyond a float although each is within its limit: the run fails naming the
    series, exit 1, and writes no run folder (so no `inf` in series.csv, no `Infinity` in summary.json)."""
    data = resolve_raw(FLAGSHIP)
    data["populations"][0]["inflow"] = "1e15/day"
    data["measures"][0]["effects"] = _many_factors(changes["effects"])
    if changes["weight"]:
        data["metrics"][0]["terms"] = [{"population": "tiktok_users", "weight": changes["weight"]}]
    assert not problems(data)
    path = tmp_path / "big.yaml"
    from sim.scenario.yamlload import plain

    path.write_text(json.dumps(plain(data, iso_dates=True)))
    res = CliRunner().invoke(cli, ["run", str(path), "-n", "4", "--workers", "1", "--out", str(tmp_path / "r")])
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, DocketError)
    assert named in str(res.exception)
    assert not (tmp_path / "r").exists()


def test_summary_json_is_strict_json(tmp_path: Any) -> None:
    """summary.json and run.json are written with allow_nan=False: a non-finite number is a DocketError and no
    file with `NaN` is left behind."""
    from sim import load_scenario, run
    from sim.runs.records import write_run

    results = run(load_scenario("scenarios/quickstart.yaml"), replications=4)
    results.summary["bad"] = math.nan
    with pytest.raises(DocketError, match=r"cannot write summary\.json: it would hold a number that is not finite"):
        write_run(results, tmp_path / "r", resolve_raw("scenarios/quickstart.yaml"))
    assert not (tmp_path / "r" / "summary.json").exists()
    del results.summary["bad"]
    write_run(results, tmp_path / "r", resolve_raw("scenarios/quickstart.yaml"))
    json.loads((tmp_path / "r" / "summary.json").read_text(), parse_constant=pytest.fail)
