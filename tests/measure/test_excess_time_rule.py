"""A's time rule for models that learn first (excess-half), the memorisation floor it rests on,
and scores with few distinct values (T3 under a Zipf tail on the root's productions)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slopscope.measure import excess_contrast, excess_reproduced
from slopscope.measure.excess import _rule_index, score_groups

STEPS = np.array([10, 30, 100, 300, 1000, 3000])


def _learner_then_memoriser(rng, n=1000, onset=4):
    """Both splits reproduced alike (generalisation) from the second checkpoint; the most
    typical fifth of the training strings copied from checkpoint `onset` on."""
    typ_train, typ_test = rng.normal(size=n), rng.normal(size=n)
    tau_train, tau_test = np.full(n, np.inf), np.full(n, np.inf)
    for tau, typ in ((tau_train, typ_train), (tau_test, typ_test)):
        general = rng.random(n) < 0.4 / (1 + np.exp(-typ))
        tau[general] = STEPS[1]
    top = typ_train > np.quantile(typ_train, 0.8)
    tau_train[top] = np.minimum(tau_train[top], STEPS[onset])
    return tau_train, typ_train, tau_test, typ_test


def test_excess_half_judges_after_copying_begins_where_halfway_judges_before():
    tau_train, typ_train, tau_test, typ_test = _learner_then_memoriser(np.random.default_rng(0))
    early = excess_contrast(tau_train, typ_train, tau_test, typ_test, STEPS, seed=0,
                            time_rule="halfway", n_boot=200)
    late = excess_contrast(tau_train, typ_train, tau_test, typ_test, STEPS, seed=0,
                           time_rule="excess-half", n_boot=200)
    assert early["step"] == 30 and early["low"] <= 0  # only generalisation by then
    assert late["step"] == 1000 and late["low"] > 0.3  # the copies of the typical fifth


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=40),
       st.lists(st.integers(0, 6), min_size=1, max_size=40))
def test_excess_half_is_the_first_checkpoint_at_half_the_final_excess(train, test):
    i_train, i_test, k = np.array(train), np.array(test), 6  # index 6: never reproduced
    excess = np.array([(i_train <= j).mean() - (i_test <= j).mean() for j in range(k)])
    at = _rule_index(i_train, i_test, k, "excess-half")
    if excess[-1] <= 0:
        assert at == k - 1
    else:
        assert excess[at] >= excess[-1] / 2 and (excess[:at] < excess[-1] / 2).all()


def test_excess_reproduced_by_hand():
    out = excess_reproduced([10, 10, 100, np.inf], [100, np.inf], [10, 100])
    assert out["curve"] == [0.5, 0.25] and out["last"] == 0.25
    half = 1.959964 * np.sqrt(0.75 * 0.25 / 4 + 0.5 * 0.5 / 2)
    assert out["low"] == pytest.approx(0.25 - half, abs=1e-5)
    assert out["high"] == pytest.approx(0.25 + half, abs=1e-5)


def test_a_score_with_few_values_is_grouped_by_value():
    groups, count, by_value = score_groups(np.array([-3.0, -1.0, -3.0, -2.0, -1.0]), 5)
    assert count == 3 and by_value and groups.tolist() == [0, 2, 0, 1, 2]
    groups, count, by_value = score_groups(np.arange(10.0), 5)  # many values: quintiles
    assert count == 5 and not by_value and groups.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    # four root productions (T3 under a root-only tail): the most typical group is the most
    # probable production's strings, and every group has a figure (no nan)
    rng = np.random.default_rng(1)
    rank_train, rank_test = rng.integers(0, 4, 400), rng.integers(0, 4, 400)
    tau_train = np.where(rank_train == 0, 10.0, np.inf)
    out = excess_contrast(tau_train, -rank_train.astype(float), np.full(400, np.inf),
                          -rank_test.astype(float), [10], seed=0, time_rule="last",
                          n_boot=100)
    assert out["by_value"] and len(out["train"]) == 4 and np.isfinite(out["train"]).all()
    assert out["train"][-1] == 1.0 and out["contrast"] == 1.0


def test_a_contrast_is_saturated_only_when_both_extreme_groups_are_reproduced_whole():
    from slopscope.experiments.verdicts.run_rules import _a_one

    steps = [10, 100]
    score = {"train": np.arange(50, dtype=float), "test": np.arange(50, dtype=float)}
    static = {split: {"t1": score[split]} for split in score}
    # every training string reproduced by step 10, the held-out typical ones too: "reversed"
    taus = {"train": np.full(50, 10.0), "test": np.where(np.arange(50) >= 25, 10.0, np.inf)}
    full = _a_one(taus, static, steps, "t1", "last", seed=0, n_boot=50)
    assert full.details.get("saturated") is True
    # the least typical training fifth only partly reproduced: an order to see, not saturated
    taus["train"] = np.where(np.arange(50) < 5, np.inf, 10.0)
    partial = _a_one(taus, static, steps, "t1", "last", seed=0, n_boot=50)
    assert "saturated" not in partial.details


@pytest.mark.parametrize("values", [None, 3])
def test_the_quintile_curves_are_the_groups_a_compares(values):
    """The report's curves by typicality group equal, at A's checkpoint, the per-group
    reproduced fractions A's contrast is made of (fifths of the pooled score, or one group per
    value when the score takes few)."""
    from slopscope.measure import curves_by_score_group

    rng = np.random.default_rng(7)
    tau_train, typ_train, tau_test, typ_test = _learner_then_memoriser(rng, n=400)
    if values:
        typ_train, typ_test = np.digitize(typ_train, [-0.5, 0.5]), np.digitize(typ_test, [-0.5,
                                                                                     0.5])
    found = excess_contrast(tau_train, typ_train, tau_test, typ_test, STEPS, seed=0,
                            time_rule="excess-half", n_boot=10)
    curves, by_value = curves_by_score_group({"train": tau_train, "test": tau_test},
                                             {"train": typ_train, "test": typ_test}, STEPS)
    assert by_value == found["by_value"] == bool(values)
    at = list(STEPS).index(found["step"])
    for split in ("train", "test"):
        assert len(curves[split]) == (values or 5)
        np.testing.assert_allclose([c["fraction"][at] for c in curves[split]], found[split])
        assert sum(c["size"] for c in curves[split]) == 400
