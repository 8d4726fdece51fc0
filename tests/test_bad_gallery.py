"""The gallery of bad scenarios: each file holds one mistake and must yield exactly the diagnostic it expects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.scenario.errors import ScenarioError
from sim.scenario.loader import check_file, load_scenario

GALLERY = Path(__file__).parent / "data" / "bad"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((GALLERY / "expected.yaml").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in GALLERY.glob("*.yaml") if p.name != "expected.yaml")


def test_every_gallery_file_has_an_expectation() -> None:
    """expected.yaml lists exactly the gallery's files, and the gallery has at least 20 of them."""
    assert sorted(EXPECTED) == FILES
    assert len(FILES) >= 20


@pytest.mark.parametrize("name", FILES)
def test_gallery_first_diagnostic(name: str) -> None:
    """check_file reports the expected first message, line, column, key path and suggestion for the file."""
    want = EXPECTED[name]
    diagnostics = check_file(GALLERY / name)
    assert len(diagnostics) == want.get("count", 1), [d.format() for d in diagnostics]
    first = diagnostics[0]
    assert first.message == want["message"]
    assert first.mark is not None
    assert Path(first.mark.file).name == name
    assert (first.mark.line, first.mark.col) == (want["line"], want["col"])
    assert first.path == want["path"]
    if "suggest" in want:
        assert first.hint is not None and first.hint.startswith(want["suggest"]), first.hint
    for d in diagnostics:
        assert d.message and d.mark is not None


@pytest.mark.parametrize("name", FILES)
def test_gallery_file_does_not_load(name: str) -> None:
    """load_scenario refuses every gallery file with a ScenarioError (never a scenario, never another error)."""
    try:
        load_scenario(GALLERY / name)
    except ScenarioError as exc:
        assert exc.diagnostics
    else:
        # A file whose only mistake is in a variant loads as written; loading that variant must fail.
        message = EXPECTED[name]["message"]
        assert "(in variant `" in message, f"{name} loaded without error"
        variant = message.split("(in variant `")[1].split("`")[0]
        with pytest.raises(ScenarioError):
            load_scenario(GALLERY / name, variant=variant)
