"""What ``docket validate`` reports: every problem of every scenario file named, as text or JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass

from sim.scenario.errors import Diagnostic, DocketError, UsageError, printable
from sim.scenario.loader import check_file, yaml_files


@dataclass(frozen=True)
class ValidationReport:
    """The problems of each file checked (an empty list: the file is valid)."""

    files: list[tuple[str, list[Diagnostic]]]

    @property
    def bad(self) -> int:
        """How many files have problems."""
        return sum(bool(d) for _, d in self.files)

    def text(self) -> str:
        """For people: ``ok   FILE`` or ``FAIL FILE: N problems`` and each problem; a count for several files.

        Example:
            >>> print(validate_paths(["scenarios/quickstart.yaml"]).text())
            ok   scenarios/quickstart.yaml
        """
        lines = []
        for path, diagnostics in self.files:
            if diagnostics:
                lines.append(f"FAIL {printable(path)}: {len(diagnostics)} problem{'s' if len(diagnostics) > 1 else ''}")
                lines += [d.format() for d in diagnostics]
            else:
                lines.append(f"ok   {printable(path)}")
        if len(self.files) > 1:
            lines.append(f"{len(self.files) - self.bad} of {len(self.files)} files valid")
        return "\n".join(lines)

    def as_json(self) -> str:
        """For machines: ``{"ok": ..., "files": [{"file", "ok", "diagnostics"}, ...]}``."""
        report = [{"file": path, "ok": not diagnostics, "diagnostics": [d.as_dict() for d in diagnostics]}
                  for path, diagnostics in self.files]
        return json.dumps({"ok": self.bad == 0, "files": report}, indent=2)


def validate_paths(paths: Iterable[str | os.PathLike[str]]) -> ValidationReport:
    """Check each scenario file of ``paths`` (folders: every ``*.yaml`` under them, :func:`yaml_files`).

    Raises:
        UsageError: a path that is not a regular file or folder, or a folder without scenario files.
    """
    try:
        files = yaml_files(paths)
    except DocketError as exc:
        raise UsageError(str(exc)) from exc
    return ValidationReport([(str(path), check_file(path)) for path in files])
