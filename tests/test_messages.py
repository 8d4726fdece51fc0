"""The messages issue 14 found unclear, and the strictness of its new keys: each names the key, says what was
expected and found, and hints at the fix (through the same loader as `docket validate`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario.errors import Diagnostic
from sim.scenario.loader import check_file, load_scenario
from sim.text.narrate import plan_text

HEAD = """\
name: m
title: M
window: {start: 2024-04-24, end: 2026-03-31}
populations:
  - {id: u, initial: 100M}
"""
BAN = """\
  - id: ban
    deadline: 2025-01-19
    effects:
      - {type: scale_inflow, population: u, factor: 0.1}
"""


def diagnostics(tmp_path: Path, body: str) -> list[Diagnostic]:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return check_file(path)


def first(tmp_path: Path, body: str) -> Diagnostic:
    found = diagnostics(tmp_path, body)
    assert found, "expected a diagnostic"
    return found[0]


def test_a_date_where_text_is_expected_says_yaml_read_it_as_a_date(tmp_path: Path) -> None:
    d = first(tmp_path, "events:\n  - {id: e, date: 2025-01-19, note: 2025-01-19}\n")
    assert d.message == "YAML read this as a date, not text"
    assert d.path == "events.e.note" and d.hint == "quote it to keep it as text: `note: '2025-01-19'`"


@pytest.mark.parametrize(("line", "path"), [
    ("events:\n  - {id: e, date: 2025-01-19, note: the order, then the letters}\n", "events.e.then the letters"),
    ("events:\n  - {id: e, date: {value: 2025-01-19, note: the order, then the letters}}\n", "events.e.date"),
])
def test_an_unquoted_note_cut_at_a_comma_says_to_quote_it(tmp_path: Path, line: str, path: str) -> None:
    """In a flow mapping a comma ends the note: the rest is a key of its own, and the hint says to quote."""
    d = first(tmp_path, line)
    assert d.path == path and "then the letters" in d.message, d.format()
    assert d.hint == 'a comma ends a value inside `{...}`: quote the text, `note: "the order, then the letters"`'


def test_hours_say_docket_works_in_whole_days(tmp_path: Path) -> None:
    d = first(tmp_path, "measures:\n" + BAN.replace("factor: 0.1}", "factor: 0.1, phase_in: 14h}"))
    assert d.message == "expected a duration" and d.hint is not None
    assert d.hint.startswith("docket works in whole days")


def test_a_scaled_type_is_not_offered_the_type_it_scales(tmp_path: Path) -> None:
    d = first(tmp_path, "measures:\n" + BAN.replace("scale_inflow", "scale_transfer"))
    assert d.message == "unknown effect type `scale_transfer`"
    assert d.hint is not None and d.hint.startswith("`transfer` is a different effect, not a variant of")


def test_a_misspelt_type_still_gets_its_suggestion(tmp_path: Path) -> None:
    d = first(tmp_path, "measures:\n" + BAN.replace("scale_inflow", "scale_inflows"))
    assert d.hint == "did you mean `scale_inflow`?"


def test_a_list_of_extension_lengths_points_to_schedule_or_steps(tmp_path: Path) -> None:
    d = first(tmp_path, "measures:\n" + BAN + "    deferral: {probability: 0.5, delay: [75d, 90d], max: 2}\n")
    assert d.message == "a list is not a single value" and d.hint is not None
    assert "`schedule` or `steps`" in d.hint


def test_a_deferral_key_in_a_decision_names_the_decision_key(tmp_path: Path) -> None:
    decision = "    decisions:\n      - {id: eo, date: 2025-01-20, delay: 75d}\n"
    found = diagnostics(tmp_path, "measures:\n" + BAN + decision)
    moved = next(d for d in found if d.message == "unknown key `delay`")
    assert moved.hint == "here it is called `extend` (`delay` belongs to another construct)"


@pytest.mark.parametrize(("body", "message"), [
    ("    deferral: {steps: [{probability: 1, delay: 90d}], probability: 0.5}\n",
     "`probability` goes with `delay` or `schedule`; each of `steps` has its own"),
    ("    deferral: {delay: 90d, max: 1}\n", "a deferral needs `probability`"),
    ("    deferral: {steps: [{probability: 1, delay: 9d}], stricter: {on: nope, factor: 0.5}}\n",
     "`nope` is not a known event"),
    ("    decisions: [{id: eo, date: 2025-01-20, extend: 75d, until: 2025-04-01}]\n",
     "a decision needs exactly one of `extend` or `until`"),
    ("    decisions: [{id: eo, date: 2025-01-20, until: 2025-04-01, from: decision}]\n",
     "`from` says what `extend` counts from; `until` is already a date"),
])  # fmt: skip
def test_new_keys_are_strict(tmp_path: Path, body: str, message: str) -> None:
    """Misplaced or missing keys of a chain or a decision are errors naming the key."""
    d = first(tmp_path, "measures:\n" + BAN + body)
    assert d.message == message and d.mark is not None and d.mark.line > 5


def test_a_check_key_of_another_kind_is_refused(tmp_path: Path) -> None:
    body = "measures:\n" + BAN + "expectations:\n  checks:\n    - {id: c, kind: in_force_on, target: ban, n: 2}\n"
    d = first(tmp_path, body)
    assert d.message == "an `in_force_on` check takes no `n`" and d.path == "expectations.checks.c.n"


def test_the_plan_lists_decisions_chains_and_shared_rulings() -> None:
    """`docket plan` shows every decision on its date, the chain's steps and a shared ruling once."""
    text = plan_text(load_scenario("scenarios/pafaca-2024.yaml", variant="as_it_happened"))
    assert "2025-09-25                         decision full_ban: the qualified-divestiture order" in text
    assert "full_ban, store_removal: TikTok v. Garland" in text
    assert "each deadline deferred by a chain" in plan_text(load_scenario("scenarios/pafaca-2024.yaml"))


def test_the_plan_prints_a_choice_like_the_other_distributions() -> None:
    """A `choice` reads as its values as written with their chances, not as a Python list."""
    text = plan_text(load_scenario("scenarios/pafaca-2024.yaml"))
    assert "one of 75d (40%), 90d (40%), 120d (20%)" in text
    assert "[[" not in text and "'" not in text.split("full_ban:")[-1]
