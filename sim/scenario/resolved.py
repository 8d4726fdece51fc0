"""The effective scenario as YAML (``docket resolve``): ``extends`` and a variant merged, ready to save as a file.

With a variant, the output is a scenario of its own that validates, not a menu of variants: ``variants`` and
``variant`` are left out and a comment line names the file and the variant applied.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from sim.scenario.errors import Diagnostic
from sim.scenario.loader import resolve_raw, validate_data
from sim.scenario.yamlload import plain


class _NoAliases(yaml.SafeDumper):
    """A YAML dumper that writes a value met twice in full each time (no ``&id001`` anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def resolved_yaml(path: str | os.PathLike[str], variant: str | None = None) -> tuple[str, list[Diagnostic]]:
    """The effective scenario of ``path`` (with ``variant``) as YAML text, and every problem it has.

    Raises:
        ScenarioError: the file cannot be read or merged (a problem with its YAML, ``extends`` or the variant).

    Example:
        >>> text, problems = resolved_yaml("scenarios/quickstart.yaml")
        >>> text.splitlines()[0], problems
        ('name: quickstart', [])
    """
    data = resolve_raw(path, variant)
    _, diagnostics = validate_data(data, os.fsdecode(path))
    out = plain(data)
    header = ""
    if variant:
        out.pop("variants", None)
        out.pop("variant", None)
        header = f"# {os.fsdecode(path)} with variant `{variant}` applied\n"
    return header + yaml.dump(out, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=110), diagnostics
