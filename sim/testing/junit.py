"""JUnit XML for ``docket test --junit FILE``: one testcase per expectation and one per baseline comparison,
grouped in one testsuite per scenario and variant (CI systems show them as tests)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.runs.atomic import write_text

if TYPE_CHECKING:
    from sim.testing.suite import TargetResult


def junit_xml(results: Sequence[TargetResult]) -> str:
    """The JUnit XML document of a test run.

    Example:
        >>> junit_xml([]).splitlines()[1]
        '<testsuites name="docket test" tests="0" failures="0" errors="0" />'
    """
    root = ET.Element("testsuites", name="docket test")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for r in results:
        suite = ET.SubElement(root, "testsuite", name=r.target.name, file=str(r.target.file))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        if r.error is not None:
            case = ET.SubElement(suite, "testcase", classname=r.target.name, name="run")
            ET.SubElement(case, "error", message=r.error.splitlines()[0] if r.error else "error").text = r.error
            counts["tests"] += 1
            counts["errors"] += 1
        else:
            cases = [(c.id, c.passed, c.message()) for c in r.checks]
            ok = r.written is not None or (r.baseline is not None and r.baseline.passed)
            cases.append(("baseline", ok, r.baseline_text()))
            for name, passed, text in cases:
                case = ET.SubElement(suite, "testcase", classname=r.target.name, name=name)
                counts["tests"] += 1
                if not passed:
                    ET.SubElement(case, "failure", message=text.splitlines()[0]).text = text
                    counts["failures"] += 1
                else:
                    ET.SubElement(case, "system-out").text = text
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(path: str | os.PathLike[str], results: Sequence[TargetResult]) -> None:
    """Write the JUnit XML of a test run atomically."""
    write_text(path, junit_xml(results))
