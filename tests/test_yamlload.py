"""Tests for sim.scenario.yamlload: strict, safe YAML reading with marks."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario import yamlcompose, yamlload
from sim.scenario.errors import Diagnostic, Mark, ScenarioError
from sim.scenario.yamlload import MDict, MList, dotted_path, key_mark_at, load_yaml_file, load_yaml_text, mark_at

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])


@pytest.fixture(autouse=True, params=LOADERS, ids=lambda cls: cls.__name__)
def loader(request: pytest.FixtureRequest) -> Iterator[type]:
    """Run every test with the C loader (when built) and with the pure-Python SafeLoader."""
    saved = yamlload._LOADER
    yamlload._LOADER = request.param
    yield request.param
    yamlload._LOADER = saved


def fail(text: str, match: str, filename: str = "s.yaml") -> Diagnostic:
    """Load text that must fail; return its single diagnostic."""
    with pytest.raises(ScenarioError, match=match) as info:
        load_yaml_text(text, filename)
    assert len(info.value.diagnostics) == 1
    return info.value.diagnostics[0]


def at(diag: Diagnostic) -> tuple[int, int]:
    """Line and column of a diagnostic."""
    assert diag.mark is not None
    return diag.mark.line, diag.mark.col


# --- structure and marks ------------------------------------------------------------------------------------


NESTED = """\
name: demo
measures:
  - id: cutoff
    deadline: 2020-11-12
  - id: fine
    amounts: [1, 2]
"""


def test_mappings_and_lists_become_mdict_and_mlist() -> None:
    """Mappings load as MDict and sequences as MList, recursively."""
    data = load_yaml_text(NESTED, "s.yaml")
    assert isinstance(data, MDict)
    assert isinstance(data["measures"], MList)
    assert isinstance(data["measures"][1], MDict)
    assert isinstance(data["measures"][1]["amounts"], MList)
    assert data == {"name": "demo", "measures": [
        {"id": "cutoff", "deadline": dt.date(2020, 11, 12)}, {"id": "fine", "amounts": [1, 2]}]}


def test_marks_of_nested_values() -> None:
    """Container, key, value and item marks are 1-based and carry the filename."""
    data = load_yaml_text(NESTED, "s.yaml")
    assert data.mark == Mark("s.yaml", 1, 1)
    assert data.key_marks["measures"] == Mark("s.yaml", 2, 1)
    assert data.value_marks["name"] == Mark("s.yaml", 1, 7)
    measures = data["measures"]
    assert measures.item_marks == [Mark("s.yaml", 3, 5), Mark("s.yaml", 5, 5)]
    assert measures[0].key_marks["deadline"] == Mark("s.yaml", 4, 5)
    assert measures[0].value_marks["deadline"] == Mark("s.yaml", 4, 15)
    amounts = measures[1]["amounts"]
    assert amounts.mark == Mark("s.yaml", 6, 14)
    assert amounts.item_marks == [Mark("s.yaml", 6, 15), Mark("s.yaml", 6, 18)]


def test_empty_and_comment_only_files_give_none() -> None:
    """An empty document (or one with only comments) loads as None."""
    assert load_yaml_text("", "s.yaml") is None
    assert load_yaml_text("# just a comment\n\n", "s.yaml") is None


def test_top_level_scalar_is_returned_as_is() -> None:
    """A document that is a single scalar loads as that scalar (the schema rejects it later)."""
    assert load_yaml_text("hello\n", "s.yaml") == "hello"


# --- scalars ------------------------------------------------------------------------------------------------


def test_yaml11_booleans_stay_text_as_keys_and_values() -> None:
    """`on`/`off`/`yes`/`no` keys and values stay strings; `on:` is the key "on"."""
    data = load_yaml_text("on: yes\noff: No\nY: n\nenabled: ON\n", "s.yaml")
    assert data == {"on": "yes", "off": "No", "Y": "n", "enabled": "ON"}


@pytest.mark.parametrize(("text", "value"), [("true", True), ("True", True), ("TRUE", True), ("false", False),
                                             ("False", False), ("FALSE", False)])
def test_true_and_false_are_booleans(text: str, value: bool) -> None:
    """Only true/false (any case YAML accepts) become booleans."""
    assert load_yaml_text(f"flag: {text}\n", "s.yaml")["flag"] is value


def test_numbers_null_and_quoted_text() -> None:
    """Ints with underscores, floats, inf, null and quoted numbers load as expected."""
    data = load_yaml_text("a: 100_000_000\nb: 2.5\nc: .inf\nd: ~\ne:\nf: '12'\ng: 1e5\nh: -7\n", "s.yaml")
    assert data == {"a": 100_000_000, "b": 2.5, "c": float("inf"), "d": None, "e": None, "f": "12",
                    "g": "1e5", "h": -7}
    assert isinstance(data["a"], int)


def test_nan_is_kept_as_float() -> None:
    """`.nan` loads as a float NaN (the schema rejects it later)."""
    value = load_yaml_text("x: .nan\n", "s.yaml")["x"]
    assert isinstance(value, float) and value != value


def test_standard_explicit_tags_are_accepted() -> None:
    """Explicit standard tags such as `!!str` and `!!int` are plain YAML and allowed."""
    assert load_yaml_text("a: !!str 12\nb: !!int '7'\n", "s.yaml") == {"a": "12", "b": 7}


def test_plain_yaml_value_indicators_stay_text() -> None:
    """`=` and `<<` as values are text, not special YAML types."""
    assert load_yaml_text("a: =\nb: <<\n", "s.yaml") == {"a": "=", "b": "<<"}


def test_date_loads_as_date() -> None:
    """A date like 2020-11-12 loads as datetime.date."""
    value = load_yaml_text("deadline: 2020-11-12\n", "s.yaml")["deadline"]
    assert type(value) is dt.date and value == dt.date(2020, 11, 12)


@pytest.mark.parametrize("stamp", ["2020-11-12 10:00:00", "2020-11-12T10:00:00Z", "2020-11-12 1:02:03+02"])
def test_datetime_is_rejected(stamp: str) -> None:
    """A timestamp with a time part is an error at the value: docket works in whole days."""
    diag = fail(f"name: x\ndeadline: {stamp}\n", "found a date-time; docket works in whole days")
    assert at(diag) == (2, 11)
    assert diag.path == "deadline"
    assert diag.expected == "a date like 2020-11-12"
    assert diag.hint is not None and "2020-11-12" in diag.hint


def test_impossible_date_is_rejected() -> None:
    """A date-shaped value that is not a real day (month 13) is an error."""
    diag = fail("deadline: 2020-13-45\n", "`2020-13-45` is not a valid date")
    assert at(diag) == (1, 11)


@pytest.mark.parametrize("text", ["x: !!int abc\n", "x: !!float abc\n", "x: !!timestamp nope\n",
                                  "x: " + "9" * 5000 + "\n"])
def test_unconvertible_numbers_are_errors(text: str) -> None:
    """Values that cannot be converted to their number/date type are ScenarioErrors, not ValueErrors."""
    diag = fail(text, "is not a valid")
    assert at(diag) == (1, 4)


# --- refused constructs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "tag"), [
    ("cmd: !!python/object:os.system ls\n", "!!python/object:os.system"),
    ("cmd: !!python/object/apply:os.system [ls]\n", "!!python/object/apply:os.system"),
    ("x: !foo bar\n", "!foo"),
    ("x: !!binary aGVsbG8=\n", "!!binary"),
    ("x: !!set {a, b}\n", "!!set"),
    ("x: !!omap [a: 1]\n", "!!omap"),
    ("x: !custom {a: 1}\n", "!custom"),
])
def test_non_standard_tags_are_rejected(text: str, tag: str) -> None:
    """Any tag outside plain YAML is refused at the tagged value, naming the tag."""
    diag = fail(text, f"only plain YAML is accepted; found tag `{tag}`")
    assert diag.mark is not None and diag.mark.line == 1
    assert diag.found == f"the tag `{tag}`"


def test_duplicate_key_points_at_second_occurrence() -> None:
    """A repeated key is an error at its second occurrence; the hint names the first line."""
    diag = fail("deadline: 2020-01-01\nname: x\ndeadline: 2020-02-02\n", "duplicate key `deadline`")
    assert at(diag) == (3, 1)
    assert diag.hint is not None and "already set at line 1" in diag.hint
    assert "silently keep the last one" in diag.hint


def test_duplicate_key_in_nested_mapping() -> None:
    """Duplicate keys are found at any depth, with the dotted path."""
    diag = fail("a:\n  b: 1\n  b: 2\n", "duplicate key `b`")
    assert at(diag) == (3, 3)
    assert diag.path == "a.b"


@pytest.mark.parametrize(("text", "found"), [
    ("1: a\n", "`1` (number)"),
    ("true: a\n", "`true` (true/false)"),
    ("2020-01-01: a\n", "`2020-01-01` (date)"),
    ("~: a\n", "`~` (null)"),
    ("? [a, b]\n: c\n", "a list"),
    ("{a: 1}: c\n", "a mapping"),
])
def test_keys_must_be_text(text: str, found: str) -> None:
    """Keys that do not resolve to text are refused at the key."""
    diag = fail(text, "keys must be text")
    assert diag.mark is not None and diag.mark.line == 1
    assert diag.found == found


def test_quoted_keys_are_text() -> None:
    """Quoting a number-like key makes it text."""
    assert load_yaml_text('"1": a\n"true": b\n', "s.yaml") == {"1": "a", "true": "b"}


def test_merge_keys_are_rejected() -> None:
    """`<<` merge keys are refused with a pointer to `extends:`."""
    diag = fail("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", r"YAML merge keys \(`<<`\) are not supported")
    assert at(diag) == (3, 3)
    assert "extends:" in diag.format()


def test_multiple_documents_are_rejected() -> None:
    """A second `---` document is an error at the second document."""
    diag = fail("a: 1\n---\nb: 2\n", "one YAML document per file")
    assert at(diag) == (2, 1)


def test_control_characters_are_rejected() -> None:
    """Characters YAML does not allow are reported with their position."""
    diag = fail("a: 1\nb: x\x07y\n", r"character YAML does not allow \(U\+0007\)")
    assert at(diag) == (2, 5)


# --- aliases and limits -------------------------------------------------------------------------------------


def test_aliases_expand_to_independent_copies() -> None:
    """An alias yields an equal but separate copy, so changing one never changes the other."""
    data = load_yaml_text("a: &x {k: [1, 2]}\nb: *x\n", "s.yaml")
    assert data["a"] == data["b"]
    assert data["a"] is not data["b"] and data["a"]["k"] is not data["b"]["k"]
    data["b"]["k"].append(3)
    assert data["a"]["k"] == [1, 2]


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The classic exponential-alias document."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_billion_laughs_fails_fast() -> None:
    """A billion-laughs file is refused (more than MAX_NODES values) well within a second or two."""
    start = time.perf_counter()
    diag = fail(billion_laughs(), 'expands to more than 200000 values through YAML aliases')
    assert time.perf_counter() - start < 2.0
    assert diag.mark is not None and diag.mark.file == "s.yaml"


def test_wide_billion_laughs_fails_fast() -> None:
    """A wider, deeper alias bomb is refused just as fast."""
    start = time.perf_counter()
    fail(billion_laughs(levels=30, width=10), "through YAML aliases")
    assert time.perf_counter() - start < 2.0


def test_too_many_plain_values_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file holding more than MAX_NODES values without aliases is refused with its own message."""
    monkeypatch.setattr(yamlcompose, "MAX_NODES", 50)
    fail("[" + "1, " * 60 + "]\n", "the file holds more than 50 values")
    assert len(load_yaml_text("[" + "1, " * 40 + "]\n", "s.yaml")) == 40


@pytest.mark.parametrize("text", ["a: &x [*x]\n", "a: &x {b: *x}\n", "a: &x [1, {b: [*x]}]\n"])
def test_recursive_alias_is_an_error(text: str) -> None:
    """An alias used inside the value it names is an error at the alias."""
    diag = fail(text, "recursive alias")
    assert diag.mark is not None and diag.mark.line == 1


def test_undefined_alias_and_duplicate_anchor() -> None:
    """Using an undefined alias, or defining an anchor twice, is an error."""
    assert at(fail("a: *nope\n", "alias `\\*nope` is not defined")) == (1, 4)
    assert at(fail("a: &x 1\nb: &x 2\n", "anchor `&x` is defined twice")) == (2, 4)


@pytest.mark.parametrize("text", ["[" * 5000, "a: " + "[" * 100_000 + "]" * 100_000, "a:\n" + "".join(
    " " * i + "- \n" for i in range(0, 400, 2))])
def test_deep_nesting_is_a_clean_error(text: str) -> None:
    """Very deep nesting is one ScenarioError in docket's words, with a position, whichever parser stops it
    (our own depth limit, or libyaml's, which newer PyYAML C loaders apply first)."""
    diag = fail(text, f"nested more than {yamlcompose.MAX_DEPTH} levels deep")
    assert diag.mark is not None and diag.mark.file == "s.yaml" and diag.mark.line >= 1
    assert "YAML syntax error" not in diag.message and diag.expected == f"at most {yamlcompose.MAX_DEPTH} levels " \
        "of lists and mappings"


def test_a_parser_depth_limit_reads_like_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser that reports nesting depth itself (libyaml >= 0.2.6) gives the same message as our limit,
    at the parser's position: independent of which PyYAML happens to be installed."""
    def compose(loader: Any, filename: str) -> Any:
        mark = yaml.Mark("s.yaml", 0, 2, 7, None, None)
        raise yaml.MarkedYAMLError("while increasing flow level", mark, "exceeded maximum nesting depth", mark)

    monkeypatch.setattr(yamlload, "compose", compose)
    diag = fail("a: [[1]]\n", f"nested more than {yamlcompose.MAX_DEPTH} levels deep")
    assert diag.mark is not None and (diag.mark.line, diag.mark.col) == (3, 8)


def test_moderate_nesting_is_fine() -> None:
    """Nesting well within MAX_DEPTH loads normally."""
    assert load_yaml_text("[" * 50 + "]" * 50, "s.yaml") is not None


# --- syntax errors ------------------------------------------------------------------------------------------


def test_syntax_error_reports_line_and_column() -> None:
    """A YAML syntax error becomes a ScenarioError at the parser's problem position (1-based)."""
    diag = fail("a: 1\n  b: 2\n", "YAML syntax error: mapping values are not allowed")
    assert at(diag) == (2, 4)
    assert diag.found == "`b: 2`"


def test_unclosed_quote_is_a_syntax_error_with_context() -> None:
    """An unclosed quote names what was being parsed and where it started."""
    diag = fail('a: 1\nb: "abc\n', "YAML syntax error")
    assert "quoted scalar" in diag.message and "line 2" in diag.message
    assert diag.hint == "a quote or bracket is not closed"


def test_tab_indentation_gets_a_hint() -> None:
    """Tab indentation is a syntax error with a hint to use spaces."""
    diag = fail("a:\n\t- 1\n", "YAML syntax error")
    assert diag.mark is not None and diag.mark.line == 2
    assert diag.hint is not None and "spaces" in diag.hint


# --- files --------------------------------------------------------------------------------------------------


def test_file_marks_use_the_path_as_given(tmp_path: Path) -> None:
    """Marks of a loaded file carry str(path) as the filename."""
    path = tmp_path / "scenario.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    data = load_yaml_file(path)
    assert data.value_marks["a"] == Mark(str(path), 1, 4)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark at the start is ignored."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml_file(path) == {"a": 1}


def test_file_over_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    """A file over MAX_BYTES is refused with its size, without parsing it."""
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * int(3.1 * 1024 * 1024))
    with pytest.raises(ScenarioError, match=r"file is 3\.1 MB; the limit is 2 MB"):
        load_yaml_file(path)


def test_text_over_size_limit_is_refused() -> None:
    """load_yaml_text applies the same size limit."""
    fail("#" * (yamlload.MAX_BYTES + 1), "the limit is 2 MB")


def test_non_utf8_bytes_are_refused(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are an error naming the file and the position of the bad byte."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nname: café\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"latin1\.yaml is not UTF-8 text") as info:
        load_yaml_file(path)
    assert at(info.value.diagnostics[0]) == (2, 10)
    assert info.value.diagnostics[0].found == "the byte 0xe9"


def test_utf16_is_named(tmp_path: Path) -> None:
    """A UTF-16 file is reported as UTF-16."""
    path = tmp_path / "u16.yaml"
    path.write_bytes("a: 1\n".encode("utf-16"))
    with pytest.raises(ScenarioError, match="not UTF-8") as info:
        load_yaml_file(path)
    assert info.value.diagnostics[0].found == "UTF-16 text"


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is an error without a mark whose message names the path."""
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError, match="file not found") as info:
        load_yaml_file(path)
    diag = info.value.diagnostics[0]
    assert diag.mark is None and str(path) in diag.message


def test_directory_is_refused(tmp_path: Path) -> None:
    """A directory is not a scenario file."""
    with pytest.raises(ScenarioError, match="is a directory"):
        load_yaml_file(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that cannot be opened (permissions, I/O error) is a ScenarioError naming the reason."""
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("sim.scenario.files.os.open", refuse)  # files are opened with os.open (non-blocking)
    with pytest.raises(ScenarioError, match=r"cannot read .*Permission denied"):
        load_yaml_file(path)


# --- mark_at / key_mark_at ----------------------------------------------------------------------------------


def test_mark_at_existing_paths() -> None:
    """mark_at returns the value mark of the last key or the item mark of the last index."""
    data = load_yaml_text(NESTED, "s.yaml")
    assert mark_at(data, []) == Mark("s.yaml", 1, 1)
    assert mark_at(data, ["measures", 0, "deadline"]) == Mark("s.yaml", 4, 15)
    assert mark_at(data, ["measures", 1, "amounts", 1]) == Mark("s.yaml", 6, 18)
    assert mark_at(data, ["measures", 1]) == Mark("s.yaml", 5, 5)


def test_mark_at_missing_steps_points_at_deepest_container() -> None:
    """A missing key or index gives the mark of the container that lacks it."""
    data = load_yaml_text(NESTED, "s.yaml")
    assert mark_at(data, ["measures", 0, "nope"]) == Mark("s.yaml", 3, 5)
    assert mark_at(data, ["measures", 7, "deadline"]) == data["measures"].mark
    assert mark_at(data, ["nope", "deeper"]) == Mark("s.yaml", 1, 1)
    assert mark_at(data, ["measures", "not-an-index"]) == data["measures"].mark
    assert mark_at(data, ["name", "below-a-scalar"]) == Mark("s.yaml", 1, 7)


def test_key_mark_at() -> None:
    """key_mark_at gives the mark of the key itself; for an index, or a missing key, it matches mark_at."""
    data = load_yaml_text(NESTED, "s.yaml")
    assert key_mark_at(data, ["measures", 0, "deadline"]) == Mark("s.yaml", 4, 5)
    assert key_mark_at(data, ["measures", 1]) == mark_at(data, ["measures", 1])
    assert key_mark_at(data, ["measures", 0, "nope"]) == Mark("s.yaml", 3, 5)
    assert key_mark_at(data, ["x", "y"]) == Mark("s.yaml", 1, 1)


def test_mark_helpers_on_plain_data() -> None:
    """On data without marks (plain dicts/lists) the helpers return None."""
    assert mark_at({"a": 1}, ["a"]) is None
    assert key_mark_at([1], [0]) is None


def test_dotted_path() -> None:
    """Paths render as dotted keys with bracketed indices."""
    assert dotted_path(["measures", 2, "deadline"]) == "measures[2].deadline"
    assert dotted_path([]) == ""
    assert dotted_path([0, "a"]) == "[0].a"


# --- fuzzing ------------------------------------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
YAMLISH = st.text(alphabet=st.sampled_from(list("ab:-[]{},&*!?|>'\"#%@`~\n\t 01.xyz<=\\")), max_size=80)


def load_or_error(text: str) -> Any:
    """Load text; a ScenarioError is an acceptable outcome."""
    try:
        return load_yaml_text(text, "fuzz.yaml")
    except ScenarioError as exc:
        assert exc.diagnostics and all(d.message for d in exc.diagnostics)
        return None


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_scenario_error(text: str) -> None:
    """Any text either loads or raises ScenarioError, never another exception."""
    load_or_error(text)


@FUZZ
@given(YAMLISH)
def test_yaml_like_text_only_raises_scenario_error(text: str) -> None:
    """Text built from YAML's special characters either loads or raises ScenarioError."""
    load_or_error(text)


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_scenario_error(tmp_path: Path, data: bytes) -> None:
    """Any file content either loads or raises ScenarioError, never another exception."""
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    with contextlib.suppress(ScenarioError):
        load_yaml_file(path)
