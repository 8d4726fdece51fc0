"""Names for people: the title of a measure, population, metric, event or variant, and of an uncertain input.

Charts, tables and studies name things by their titles, never by their ids; an input of a sensitivity study is
named as the assumptions annex names it (``TikTok app-store removal: effect 1: factor``), with effects counted
from 1 in both.
"""

from __future__ import annotations

from sim.engine.draws import Input
from sim.scenario.schema import Scenario

QUANTITY_WORDS = {
    "initial": "initial size", "inflow": "inflow", "outflow": "outflow", "ceiling": "ceiling", "rate": "rate",
    "weight": "weight", "factor": "factor", "extra": "extra outflow", "time_constant": "time constant",
    "phase_in": "phase-in",
}
"""Words for the last part of a ``param:`` stream."""
_BLOCKS = ("populations", "flows", "events", "measures", "shocks", "metrics")


def title_of(scenario: Scenario, ident: str) -> str:
    """The title of the population, flow, event, measure, shock, metric, shared ruling, or a measure's
    challenge, waiver, decision or cohort ``ident``, else ``ident`` itself.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> s = load_scenario("scenarios/quickstart.yaml")
        >>> title_of(s, "sales_ban"), title_of(s, "nothing_by_that_name")
        ('Router sales ban', 'nothing_by_that_name')
    """
    nested = [x for m in scenario.measures for x in (*m.challenges, *m.waivers, *m.decisions, *(m.cohorts or []))]
    for item in (*(x for block in _BLOCKS for x in getattr(scenario, block)), *scenario.rulings, *nested):
        if item.id == ident:
            return str(getattr(item, "title", None) or ident)
    return ident


def variant_title(scenario: Scenario) -> str | None:
    """The title of the scenario's variant (else the first sentence of its description, else its id); ``None``
    for the scenario as written.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> variant_title(load_scenario("scenarios/tiktok-wechat-2020.yaml", variant="as_announced"))
        'Everything enforced on schedule'
    """
    if scenario.variant is None:
        return None
    v = next((v for v in scenario.variants if v.id == scenario.variant), None)
    if v is None:
        return scenario.variant
    if v.title:
        return v.title
    if v.description:
        return v.description.split(". ")[0].rstrip(".")
    return v.id


def run_title(scenario: Scenario) -> str:
    """How a run is named beside others: its variant's title, else ``as written``."""
    return variant_title(scenario) or "as written"


def input_title(scenario: Scenario, x: Input, fallback: str) -> str:
    """An uncertain input named with titles: ``TikTok app-store removal: effect 1: factor``.

    ``fallback`` is the id-based label (:func:`sim.studies.inputs.describe`), whose subject (``event deal``,
    ``measure ban``) is replaced by the item's title when the scenario has one.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> s = load_scenario("scenarios/tiktok-wechat-2020.yaml")
        >>> input_title(s, Input("param:measures.tiktok_app_store.effects.0.factor", None), "")
        'TikTok app-store removal and update ban: effect 1: factor'
        >>> input_title(s, Input("event:oracle_deal:u", None), "event oracle_deal: happens")
        'Oracle/Walmart "TikTok Global" deal closes and the TikTok prohibitions are withdrawn: happens'
    """
    parts = x.name.split(":")
    if parts[0] == "param" and len(parts) > 1:
        path = parts[1].split(".")
        if len(path) < 3 or path[0] not in _BLOCKS:
            return fallback
        item = title_of(scenario, path[1])
        rest = path[2:]
        where = ""
        if len(rest) >= 3 and rest[0] == "effects" and rest[1].isdigit():
            where, rest = f"effect {int(rest[1]) + 1}: ", rest[2:]
        words = " ".join(QUANTITY_WORDS.get(r, r.replace("_", " ")) for r in rest)
        return f"{item}: {where}{words}"
    subject = f"{parts[0]} {parts[1]}" if len(parts) > 1 else ""
    if subject and fallback.startswith(subject + ":") and title_of(scenario, parts[1]) != parts[1]:
        return title_of(scenario, parts[1]) + fallback[len(subject):]
    return fallback


def shorten(label: str, width: int) -> str:
    """``label`` in at most ``width`` characters, shortening the subject and keeping what follows its last
    ``: `` (``happens``, ``date``), which tells two inputs of one item apart.

    Example:
        >>> shorten("Oracle/Walmart deal closes and the TikTok prohibitions are withdrawn: date", 40)
        'Oracle/Walmart deal closes and th…: date'
    """
    if len(label) <= width:
        return label
    subject, sep, what = label.rpartition(": ")
    if not sep or len(what) > width // 2:
        return label[: width - 1] + "…"
    return subject[: width - len(what) - 3].rstrip() + "…: " + what


def short_title(title: str, width: int = 28) -> str:
    """A measure's title to label a deadline line that reads whole: the words before a ``:`` when they name it
    in at most ``width`` characters (``Software ban``), else the whole title without its parentheses (the label
    wraps it). Never a phrase cut after its first words (``Revocation of Pacific``), never an ellipsis.

    Example:
        >>> short_title("Software ban: covered VCS and ADS software, from model year 2027")
        'Software ban'
        >>> short_title("CFIUS order to divest TikTok's US business")
        "CFIUS order to divest TikTok's US business"
        >>> short_title("Revocation of Pacific Networks' and ComNet's Section 214 authority (D.C. Cir.)")
        "Revocation of Pacific Networks' and ComNet's Section 214 authority"
        >>> short_title("Hypothetical: the fleet on the road is retired over six years")
        'The fleet on the road is retired over six years'
    """
    head, sep, rest = title.partition(": ")
    if sep and head.lower() != "hypothetical" and len(head) <= width:
        return head
    text = rest if sep and head.lower() == "hypothetical" else title
    while "(" in text and ")" in text.split("(", 1)[1]:
        before, _, after = text.partition("(")
        text = (before.rstrip() + " " + after.partition(")")[2].lstrip()).strip()
    out = " ".join(text.split()).rstrip(",;:")
    return out[:1].upper() + out[1:]


def short_titles(scenario: Scenario, width: int = 28) -> dict[str, str]:
    """:func:`short_title` of every measure, by id, longer where two would read the same; a measure's own
    ``label`` (a short name written in the scenario) is taken as it is.

    Example:
        >>> from sim.scenario.loader import load_scenario
        >>> short_titles(load_scenario("scenarios/carrier-revocations-2021.yaml"))["cua_revocation"]
        "Revocation of China Unicom Americas' Section 214 authority"
        >>> short_titles(load_scenario("scenarios/tiktok-wechat-2020.yaml"))["cfius_divestiture"]  # its label
        'CFIUS divestiture order'
    """
    titles = {m.id: m.title or m.id for m in scenario.measures}
    labels = {m.id: m.label for m in scenario.measures if m.label}
    for w in range(width, max(map(len, titles.values()), default=width) + 1):
        out = {k: labels.get(k) or short_title(t, w) for k, t in titles.items()}
        if len(set(out.values())) == len(out):
            return out
    return titles | labels
