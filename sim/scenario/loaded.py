"""One loaded scenario: the validated :class:`~sim.scenario.schema.Scenario`, its resolved data and their hash.

:func:`load` is the one way from a file (or already resolved data, such as a ``run.json``'s ``scenario``) to a
scenario a run can use: ``extends`` and the variant merged (:func:`sim.scenario.loader.resolve_raw`), each
``--set`` laid over (:func:`sim.scenario.overrides.apply_overrides`), validated and cross-checked
(:func:`sim.scenario.loader.validated`), every problem raised together. The hash keys task caches and
provenance (``run.json``, baselines), so the data travels with the scenario only inside a :class:`Loaded`.
:func:`run_defaults` fills in the replications and seed a run uses when none are given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from sim.scenario.errors import DocketError
from sim.scenario.loader import resolve_raw, validated
from sim.scenario.overrides import apply_overrides
from sim.scenario.record import seen_on
from sim.scenario.schema import Scenario
from sim.scenario.yamlload import plain


def scenario_hash(resolved: dict[str, Any]) -> str:
    """SHA-256 of the resolved scenario in canonical JSON: equal hashes, equal scenarios.

    Example:
        >>> scenario_hash({"name": "x", "seed": 1}) == scenario_hash({"seed": 1, "name": "x"})
        True
    """
    text = json.dumps(plain(resolved, iso_dates=True), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Loaded:
    """A validated scenario together with the resolved data it was validated from.

    Attributes:
        scenario: the validated scenario.
        data: the resolved data (``extends``, variant and overrides applied) that ``run.json`` records.
        digest: :func:`scenario_hash` of ``data``.
    """

    scenario: Scenario
    data: dict[str, Any]
    digest: str


def load(source: str | os.PathLike[str] | dict[str, Any], variant: str | None = None,
         sets: list[str] | tuple[str, ...] = (), *, filename: str | None = None,
         as_of: dt.date | None = None) -> Loaded:
    """Load a scenario file (or resolved data), apply ``variant`` and the ``--set`` overrides ``sets``, validate.

    Args:
        source: a scenario file, or resolved data (e.g. the ``scenario`` of a ``run.json``; no ``variant`` then).
        variant: the id of a named variant to apply, or ``None`` for the scenario as written.
        sets: ``KEY=VALUE`` overrides, laid over in order.
        filename: how messages name the source [default: the path; ``scenario`` for data].
        as_of: run the scenario as seen on this date: its record's facts up to it fixed, the rest conditioned
            on them (:func:`sim.scenario.record.seen_on`).

    Raises:
        ScenarioError: every problem found, each with file:line:col, key path, expected/found and a hint.

    Example:
        >>> loaded = load("scenarios/quickstart.yaml", sets=["seed=7"])
        >>> loaded.scenario.seed, loaded.digest == scenario_hash(loaded.data)
        (7, True)
    """
    if isinstance(source, dict):
        if variant is not None:
            raise ValueError("resolved data has its variant applied already; pass variant=None")
        data, name = source, filename or "scenario"
    else:
        data = resolve_raw(source, variant)
        name = filename or str(source)
    if sets:
        data = apply_overrides(data, sets)
    if as_of is not None:
        validated(data, name)  # the file's own problems first, told as usual
        data = seen_on(data, as_of, name)
    return Loaded(validated(data, name), data, scenario_hash(data))


def run_defaults(scenario: Scenario, replications: int | None = None, seed: int | None = None) -> tuple[int, int]:
    """The replications and seed of a run: those given, else the scenario's.

    Raises:
        DocketError: fewer than one replication.

    Example:
        >>> s = load("scenarios/quickstart.yaml").scenario
        >>> run_defaults(s) == (s.replications, s.seed), run_defaults(s, 10, 3)
        (True, (10, 3))
    """
    n = scenario.replications if replications is None else replications
    if n < 1:
        raise DocketError(f"replications must be at least 1, got {n}")
    return n, scenario.seed if seed is None else seed
