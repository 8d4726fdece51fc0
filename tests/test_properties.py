"""Directional properties of the engine, checked by Hypothesis on small random scenarios (paired draws)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from conftest import build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine.replications import replicate, report_grid

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
START = dt.date(2020, 1, 1)


def iso(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


@st.composite
def scenarios(draw):
    """A scenario with two populations, a random measure (effects, deferral, challenge) and maybe a deal."""
    effects = [{"type": "scale_inflow", "population": "users", "factor": draw(st.sampled_from([0, 0.2, 0.5]))}]
    if draw(st.booleans()):
        effects.append({"type": "raise_outflow", "population": "users",
                        "extra": f"{draw(st.integers(1, 60))}%/30d", "phase_in": f"{draw(st.integers(0, 30))}d"})
    if draw(st.booleans()):
        effects.append({"type": "transfer", "from": "users", "to": "alt",
                        "rate": f"{draw(st.integers(1, 50))}%/30d"})
    m = {"id": "ban", "deadline": iso(draw(st.integers(10, 200))), "effects": effects,
         "deferral": {"probability": draw(st.sampled_from([0, 0.3, 0.7])),
                      "delay": {"between": ["5d", f"{draw(st.integers(5, 60))}d"]}, "max": 2}}
    if draw(st.booleans()):
        m["challenges"] = [{"id": "suit", "decision": {"between": [iso(5), iso(250)]}, "injunction": 0.4,
                            "appeal": {"probability": 0.5, "decision": "60d", "reversal": 0.5}}]
    events = []
    if draw(st.booleans()):
        events = [{"id": "deal", "probability": 0.5, "date": {"between": [iso(20), iso(300)]}}]
        m["lifted_by"] = ["deal"]
    pops = [{"id": "users", "initial": "1M", "inflow": "5k/day", "outflow": "2%/month"},
            {"id": "alt", "initial": "100k", "outflow": "1%/month"}]
    metrics = [{"id": "exposure", "terms": [{"population": "users"}, {"population": "alt", "weight": 0.5}]}]
    return {"populations": pops, "events": events, "measures": [m], "metrics": metrics}


def exposure(data, **measure_changes):
    d = {**data, "measures": [{**data["measures"][0], **measure_changes}]}
    s = build(**d)
    c = replicate(s, 5, 0, 24, report_grid(s), verify_accounting=True)
    return c


@SETTINGS
@given(scenarios())
def test_stocks_nonnegative_and_conserved(data):
    """Stocks never go negative and the accounting check (inflow - outflow - transfers) holds."""
    c = exposure(data)
    assert (c.stocks >= 0).all() and (c.cf_stocks >= 0).all()
    assert c.check_error < 1e-9


@SETTINGS
@given(scenarios(), st.integers(1, 60))
def test_earlier_deadline_never_more_exposure(data, shift):
    """Moving the deadline earlier never increases cumulative exposure, replication by replication."""
    late = data["measures"][0]["deadline"]
    early = max(dt.date.fromisoformat(late) - dt.timedelta(days=shift), START).isoformat()
    a, b = exposure(data, deadline=early), exposure(data)
    assert np.all(a.metric_cum[:, -1] <= b.metric_cum[:, -1] * (1 + 1e-9) + 1e-6)


@SETTINGS
@given(scenarios())
def test_higher_deferral_probability_never_less_exposure(data):
    """Raising the deferral probability never reduces cumulative exposure."""
    base = data["measures"][0]["deferral"]
    lo = exposure(data, deferral={**base, "probability": 0.2})
    hi = exposure(data, deferral={**base, "probability": 0.8})
    assert np.all(hi.metric_cum[:, -1] >= lo.metric_cum[:, -1] * (1 - 1e-9) - 1e-6)


@SETTINGS
@given(scenarios(), st.integers(5, 95))
def test_waiver_never_increases_enforced_effect(data, share):
    """A waiver never makes the measure bite harder: exposure with it is at least exposure without."""
    with_waiver = exposure(data, waivers=[{"id": "w", "share": f"{share}%", "duration": "90d"}])
    without = exposure(data)
    assert np.all(with_waiver.metric_cum[:, -1] >= without.metric_cum[:, -1] * (1 - 1e-9) - 1e-6)
