"""The JSON Schema of the scenario format (``docket schema``), for editors that validate YAML as it is typed."""

from __future__ import annotations

import json

from sim.scenario.schema import Scenario


def schema_text() -> str:
    """The JSON Schema (draft 2020-12) of a scenario file, as indented JSON ending in a newline.

    Example:
        >>> json.loads(schema_text())["title"]
        'docket scenario'
    """
    doc = Scenario.model_json_schema(by_alias=True)
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "docket scenario"
    return json.dumps(doc, indent=2) + "\n"
