"""The uncertain inputs of a scenario, named as the engine draws them, described for people.

Every random quantity comes from a named stream (:mod:`sim.engine.streams`); a run records the uncertain streams it
used (:attr:`sim.engine.replications.Collected.inputs`). An input is one of three kinds:

- ``value``: a distribution over a number or date (``param:populations.users.inflow``,
  ``measure:ban:deadline``); its quantile ``q`` is the value ``sample(dist, q)``;
- ``trial``: the uniform of a yes/no draw (``event:deal:u``): a low uniform means *yes* (the event happens, the
  deferral is granted), a high one *no*;
- ``time``: the uniform of a hazard's waiting time (``shelving:ban:time``): a low uniform means a *late* time.

Holding an input at a quantile (``pins``, see :mod:`sim.engine.draws`) gives one-at-a-time sensitivity runs; the
per-replication uniforms, regenerated from the streams, give global (rank) measures.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.draws import Input
from sim.engine.streams import Streams
from sim.scenario.calendar import day_to_date
from sim.scenario.quantities import DAYS_PER_MONTH
from sim.scenario.sampling import sample
from sim.scenario.schema import Scenario
from sim.text.humanize import number
from sim.text.titles import QUANTITY_WORDS, input_title

_DRAWS = {
    "date": "date", "deadline": "deadline", "delay": "delay", "hazard": "hazard rate", "revive": "revival rate",
    "revive_delay": "revival delay", "decision": "decision date", "filed": "filing date",
    "appeal_delay": "appeal delay", "duration": "duration", "share": "exempt share", "period": "renewal period",
    "until": "end date", "from": "start date", "p": "probability",
}
_TRIALS = {
    "event": "happens", "deferral": "deferral granted", "shelving": "shelved", "injunction": "injunction granted",
    "appeal": "appealed", "reversal": "reversed on appeal", "renewal": "renewed", "waiver": "granted",
}


def kind(x: Input) -> str:
    """``value``, ``trial`` or ``time`` (see the module docstring)."""
    if x.dist is not None:
        return "value"
    return "time" if x.name.endswith("time") else "trial"


def describe(x: Input) -> str:
    """A short label: ``populations.users: inflow``, ``event deal: happens``, ``measure ban: deferral granted``.

    Example:
        >>> describe(Input("event:deal:u", None))
        'event deal: happens'
        >>> describe(Input("measure:ban:deferral:u", None, 3))
        'measure ban: deferral granted (each deadline)'
    """
    parts = x.name.split(":")
    if parts[0] == "param":
        path = parts[1].split(".")
        return f"{'.'.join(path[:2])}: {QUANTITY_WORDS.get(path[-1], path[-1])}" + \
            (f" (effect {path[3]})" if path[0] == "measures" and len(path) > 4 else "")
    what, ident, rest = parts[0], parts[1] if len(parts) > 1 else "", parts[2:]
    subject = f"{what} {ident}" if what != "waiver" else f"waiver {':'.join(parts[1:3])}"
    if what == "waiver":
        rest = parts[3:]
    tail = [r for r in rest if r not in ("u",)]
    if kind(x) == "trial":
        word = _TRIALS.get(tail[-1] if tail else what, tail[-1] if tail else "happens")
    elif kind(x) == "time":
        word = "time until revival" if "revive" in x.name else "time until shelved"
    else:
        word = " ".join(_DRAWS.get(t, t) for t in tail) or "value"
        if tail and tail[-1] == "p":
            word = ("deferral " if "deferral" in tail else "") + "probability"
    return f"{subject}: {word}" + (" (each deadline)" if x.width > 1 else "")


def label(scenario: Scenario, x: Input) -> str:
    """The label people read: :func:`describe` with the scenario's titles for ids, effects counted from 1 as in
    the assumptions annex (:func:`sim.text.titles.input_title`)."""
    return input_title(scenario, x, describe(x))


def value_at(x: Input, q: float) -> float:
    """The value of a ``value`` input at quantile ``q`` (canonical units: days for dates and durations)."""
    assert x.dist is not None
    return float(sample(x.dist, np.array([q]))[0])


def text(value: float, unit: str) -> str:
    """A canonical value written back in scenario syntax, readable as an override value.

    Example:
        >>> text(2_000_000.0, "count"), text(0.35, "probability"), text(21.0, "duration")
        ('2e+06', '35%', '21d')
    """
    if unit == "date":
        return day_to_date(round(value)).isoformat()
    if unit in ("duration", "signed_duration"):
        return f"{round(value)}d"
    if unit in ("probability", "share"):
        return f"{value * 100:.4g}%"
    if unit == "per_capita":
        return f"{-math.expm1(-value * DAYS_PER_MONTH) * 100:.4g}%/month"
    if unit == "rate":
        return f"{value:.6g}/day"
    return f"{value:.6g}"


def shown(value: float, unit: str) -> str:
    """A canonical value for people (``40M``, ``2.5k/day``, ``2020-11-12``)."""
    if unit == "count":
        return number(value)
    if unit == "rate":
        return number(value) + "/day"
    if unit == "per_capita":  # three digits for people; text() keeps what an override needs
        return f"{-math.expm1(-value * DAYS_PER_MONTH) * 100:.3g}%/month"
    if unit in ("probability", "share"):
        return f"{value * 100:.3g}%"
    return text(value, unit)


def level_text(x: Input, q: float) -> str:
    """What holding the input at quantile ``q`` means: a value, ``yes``/``no``, or ``early``/``late``."""
    if x.dist is not None:
        return shown(value_at(x, q), x.dist.unit)
    if kind(x) == "trial":
        return "yes" if q < 0.5 else "no"
    return "late" if q < 0.5 else "early"


def uniforms(x: Input, seed: int, replications: int) -> np.ndarray:
    """Replications' uniforms of the input's first column (the same numbers the engine drew)."""
    return Streams(seed).uniform(x.name, 0, replications, x.width)[:, 0]


__all__ = ["Input", "describe", "kind", "label", "level_text", "shown", "text", "uniforms", "value_at"]
