"""Exchangeable splits: train and held-out strings are a seeded random partition of one pool, so
their mean log-probability agrees within chance, even under a fat tail where the most probable
strings are drawn first."""

from __future__ import annotations

import numpy as np
from scipy import stats

from slopscope import RHM
from slopscope.data import unique_split
from slopscope.grammar.sampling import unique as unique_trees

FAT = RHM(v=8, n=8, m=4, s=2, L=3, seed=0, zipf_a=4.0, zipf_levels="all")


def _gaps(first_drawn: bool, seeds: int = 150, n: int = 128) -> np.ndarray:
    gaps = []
    for seed in range(seeds):
        if first_drawn:  # the old rule: the first distinct strings drawn are the training set
            trees, _ = unique_trees(FAT, 2 * n, np.random.default_rng(seed))
            lp = FAT.log_prob(trees.strings)
            gaps.append(lp[:n].mean() - lp[n:].mean())
        else:
            split = unique_split(FAT, n, n, seed=seed)
            gaps.append(split.mean_log_p["train"] - split.mean_log_p["test"])
    return np.array(gaps)


def test_split_mean_log_p_agrees_within_chance_over_many_seeds():
    gaps = _gaps(first_drawn=False)
    assert stats.ttest_1samp(gaps, 0.0).pvalue > 1e-3
    assert abs(gaps.mean()) < 3 * gaps.std(ddof=1) / np.sqrt(gaps.size)


def test_the_same_check_rejects_the_first_drawn_rule():
    """The check has power: the old split fails it by a wide margin."""
    gaps = _gaps(first_drawn=True, seeds=30)
    assert gaps.mean() > 0.3 and stats.ttest_1samp(gaps, 0.0).pvalue < 1e-6


def test_split_records_the_mean_log_p_of_each_side():
    split = unique_split(FAT, 64, 32, seed=3)
    assert np.isclose(split.mean_log_p["train"], FAT.log_prob(split.train).mean())
    assert np.isclose(split.mean_log_p["test"], FAT.log_prob(split.test).mean())
    assert split.summary()["mean_log_p"] == split.mean_log_p
