"""Split outcomes are detected and labelled where a branch cuts them in two, and nowhere else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario, run
from sim.runs.records import load_results, write_run
from sim.runs.splits import (
    MIN_GAP,
    MIN_SHARE,
    Branch,
    Outcome,
    explained,
    gap,
    rough_gaps,
    scale_of,
    split_of,
)
from sim.scenario.loader import resolve_raw
from sim.text.narrate import split_sentence, summary_text

DATA = Path(__file__).parent / "data" / "splits"


def test_a_deal_splits_the_outcome() -> None:
    """A deal with probability 0.35 that lifts a ban splits user-days: two sides, labelled, with their chances."""
    res = run(load_scenario(DATA / "deal-split.yaml"))
    found = {sp["outcome"]: sp for sp in res.summary["splits"]}
    assert "user_days:total" in found, f"expected user-days to split, found {sorted(found)}"
    sp = found["user_days:total"]
    assert sp["branch"] == "event:deal"
    yes, no = sp["sides"]
    assert yes["label"] == "if the deal closes" and no["label"] == "if not"
    assert 0.25 < yes["probability"] < 0.45 and yes["probability"] + no["probability"] == pytest.approx(1)
    assert yes["p50"] > 2 * no["p50"], "with the deal, users keep growing: more user-days"
    text = split_sentence(sp)
    assert text.startswith(f"User-days by 2020-12-31: {round(yes['probability'] * 100)}% chance of about ")
    assert "(if the deal closes), otherwise about " in text
    assert text in summary_text(res)


def test_no_split_where_outcomes_have_one_mode() -> None:
    """A certain ban on an uncertain date gives outcomes that vary smoothly: no split is reported."""
    res = run(load_scenario(DATA / "no-split.yaml"))
    assert res.summary["splits"] == []
    assert "split outcomes" not in summary_text(res)


def test_branch_curves_are_written_and_read_back(tmp_path: Path) -> None:
    """``branches.csv`` holds each split outcome's curves per side; a run folder reads them back."""
    file = DATA / "deal-split.yaml"
    res = run(load_scenario(file), replications=100)
    write_run(res, tmp_path, resolve_raw(file))
    back = load_results(tmp_path)
    assert back.branches is not None and len(back.branches) == len(res.branches) > 0
    total = back.branches[(back.branches["outcome"] == "user_days:total") & (back.branches["quantity"] == "cumulative")]
    assert set(total["side"]) == {0, 1}
    last = total[total["date"] == total["date"].max()].sort_values("side")
    sides = {sp["outcome"]: sp for sp in res.summary["splits"]}["user_days:total"]["sides"]
    assert list(last["p50"]) == pytest.approx([s["p50"] for s in sides], rel=1e-12)


def _verdicts(name: str, n: int, seed: int) -> set[tuple[str, str]]:
    res = run(load_scenario(f"scenarios/{name}.yaml"), replications=n, seed=seed)
    return {(sp["outcome"], sp["branch"].split(":")[0]) for sp in res.summary["splits"]}


@pytest.mark.parametrize("name", ["tiktok-wechat-2020", "shelved-measures-2026", "carrier-revocations-2021"])
def test_verdicts_are_stable_across_replications_and_seeds(name: str) -> None:
    """The same outcomes split (by the same event or measure) at 300, 400 and 800 replications, seeds 0 and 1."""
    first = _verdicts(name, 400, 0)
    for n, seed in ((300, 0), (800, 0), (400, 1), (300, 1)):
        found = _verdicts(name, n, seed)
        assert found == first, f"{name} at n={n}, seed {seed}: {sorted(found ^ first)} differ from n=400, seed 0"


def test_charts_draw_and_label_the_sides() -> None:
    """Where users split, the population chart draws each side's median, labelled with its chance, and the
    outcomes chart stacks the two sides of the user-days histogram."""
    from plots import outcomes, populations

    res = run(load_scenario(DATA / "deal-split.yaml"), replications=200)
    fig = populations.plot(res)
    lines = [line for a in fig.axes for line in a.get_lines() if line.get_gid() == "branch"]
    assert len(lines) == 2
    texts = " ".join(t.get_text().replace("\n", " ") for t in fig.texts)  # the subtitle names the sides
    share = {sp["outcome"]: sp for sp in res.summary["splits"]}["users:2020-12-31"]["sides"][0]["probability"]
    assert f"dash-dot if the deal closes ({round(share * 100)}%), dotted if not" in texts, texts
    fig = outcomes.plot(res)
    legend = fig.axes[0].get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()][1] == \
        f"if not ({round((1 - share) * 100)}%)"


def test_compare_gives_the_mean_where_the_median_difference_is_0() -> None:
    """A paired difference with median 0 and a mean that is not 0 reads as its mean and the share that differ."""
    import pandas as pd

    from sim.studies.compare import _difference

    row = pd.Series({"diff_median": 0.0, "diff_mean": -849e3, "diff_p05": -3e6, "diff_p95": 0.0, "share_up": 0.0,
                     "share_down": 0.49})
    assert _difference(row, False) == "mean \u2212849k, 49% of runs differ"
    assert _difference(row.copy().replace({-849e3: 0.0}), False) == "0 (\u22123M to 0)"


def test_rough_gaps_are_the_exact_gaps_to_rounding_and_split_of_decides_as_the_exact_rule() -> None:
    """The vectorised gaps equal :func:`gap` (ties, zeros, heavy tails, tiny and huge values) to 1e-12, and
    :func:`split_of`, which computes the exact gap only near the threshold, picks what trying every candidate's
    exact gap picks, even for masks built to sit right at the threshold."""
    rng = np.random.default_rng(7)
    for trial in range(300):
        n = int(rng.integers(5, 400))
        values = rng.lognormal(size=n) * rng.choice([1e-6, 1.0, 1e12])
        values[rng.random(n) < 0.3] = 0.0
        values = np.round(values, int(rng.integers(0, 3))) if trial % 3 == 0 else values  # ties
        if trial % 4 == 1:  # two clusters, a split to find
            values = np.where(rng.random(n) < rng.uniform(0.15, 0.85), 35.0, 15.0) * (1 + rng.random(n))
        masks = np.array([m for m in rng.random((6, n)) < rng.random() if 0 < m.sum() < n] or [values > 0])
        masks = np.vstack([masks, values > np.quantile(values, 0.6), values > 30.0])
        scale = scale_of(values)
        if scale == 0 or masks.all(axis=1).any() or (~masks).all(axis=1).any():
            continue
        exact = np.array([gap(values, m, scale) for m in masks])
        assert np.allclose(rough_gaps(values, masks, scale), exact, rtol=0, atol=1e-12), trial
        outcome = Outcome("x", "X", "x", "cumulative", "u", "2021-01-01", 0, values)
        branches = [Branch(f"b{i}", "if", "if not", m) for i, m in enumerate(masks)]
        expected = None
        for b in branches:  # the rule by hand: every eligible candidate's exact gap
            share = float(b.mask.mean())
            if MIN_SHARE <= share <= 1 - MIN_SHARE and gap(values, b.mask, scale) >= MIN_GAP:
                r2 = explained(values, b.mask)
                if expected is None or r2 > expected[1]:
                    expected = (b.id, r2)
        found = split_of(outcome, branches)
        assert (found.branch.id, found.explained) == expected if found else expected is None, trial
