"""Ancestral sampling: exact frequencies, reproducibility, trees, unique draws and splits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from slopscope import RHM, SlopscopeError
from slopscope.data import unique_split
from slopscope.rows import row_keys
from tests.tiny import GRAMMARS


def _chi_square_pvalue(g: RHM, strings: np.ndarray, log_p: np.ndarray) -> float:
    """Goodness of fit of sampled string counts to exact probabilities (cells with p > 0)."""
    counts = np.bincount(g.index_of(strings), minlength=g.P_max)
    p = np.exp(log_p)
    support = p > 0
    assert counts[~support].sum() == 0, "sampled a string of probability zero"
    expected = p[support] * strings.shape[0]
    return stats.chisquare(counts[support], expected * counts.sum() / expected.sum()).pvalue


@pytest.mark.parametrize("name", sorted(GRAMMARS))
def test_sample_frequencies_match_exact_probabilities(name):
    g = GRAMMARS[name]
    exact = g.log_prob(g.enumerate())
    strings = g.sample(60 * g.P_max, seed=2024)
    assert _chi_square_pvalue(g, strings, exact) > 1e-4


def test_goodness_of_fit_test_has_power_against_a_wrong_distribution():
    g = GRAMMARS["zipf_top_rootprior"]
    strings = g.sample(60 * g.P_max, seed=2024)
    uniform = np.full(g.P_max, -np.log(g.P_max))
    assert _chi_square_pvalue(g, strings, uniform) < 1e-12


def test_reference_sampler_agrees_in_distribution():
    """The per-string reference sampler (independent code) passes the same test."""
    from slopscope.grammar.reference import Reference

    g = GRAMMARS["zipf_bottom"]
    strings = np.array(Reference(g).sample(20 * g.P_max, seed=3))
    assert _chi_square_pvalue(g, strings, g.log_prob(g.enumerate())) > 1e-4


def test_seeds_reproduce_bit_for_bit_and_differ_across_seeds(grammar):
    a = grammar.sample(500, seed=11)
    b = grammar.sample(500, seed=11)
    c = grammar.sample(500, seed=12)
    assert a.dtype == np.int32 and a.shape == (500, grammar.d)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(grammar.sample(500, seed=np.random.default_rng(11)), a)


def test_parse_recovers_the_sampled_trees(grammar):
    strings, trees = grammar.sample(2000, seed=5, return_trees=True)
    np.testing.assert_array_equal(strings, trees.strings)
    parsed = grammar.parse(strings)
    assert parsed.valid.all()
    for ours, theirs in zip(parsed.symbols, trees.symbols, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    for ours, theirs in zip(parsed.rules, trees.rules, strict=True):
        np.testing.assert_array_equal(ours, theirs)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), v=st.integers(3, 9), m=st.integers(1, 3),
       L=st.integers(1, 4), zipf=st.booleans())
def test_parse_recovers_trees_property(seed, v, m, L, zipf):
    g = RHM(v=v, n=v, m=m, s=2, L=L, seed=seed,
            zipf_a=0.7 if zipf else None, zipf_levels="all" if zipf else ())
    strings, trees = g.sample(64, seed=seed, return_trees=True)
    parsed = g.parse(strings)
    assert parsed.valid.all()
    for ours, theirs in zip(parsed.rules, trees.rules, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert np.isfinite(g.log_prob(strings)).all()


@pytest.mark.parametrize("name", ["uniform_L3", "zipf_top_rootprior"])
def test_unique_sampling_returns_exactly_count_distinct_strings(name):
    g = GRAMMARS[name]
    count = g.P_max // 4
    x = g.sample(count, seed=3, unique=True)
    assert x.shape == (count, g.d)
    assert np.unique(row_keys(x)).size == count
    assert g.parse(x).valid.all()
    np.testing.assert_array_equal(x, g.sample(count, seed=3, unique=True))


def test_unique_sampling_of_every_string_is_a_permutation_of_the_enumeration():
    g = GRAMMARS["uniform_s3"]
    x = g.sample(g.P_max, seed=0, unique=True)
    assert sorted(g.index_of(x)) == list(range(g.P_max))


def test_unique_uniform_subsets_are_uniform():
    """Each string is equally likely to be in a uniform unique sample (chi-square over seeds)."""
    g = GRAMMARS["uniform_s2"]
    hits = np.zeros(g.P_max)
    for seed in range(400):
        hits[g.index_of(g.sample(4, seed=seed, unique=True))] += 1
    assert stats.chisquare(hits).pvalue > 1e-4


def test_unique_rejects_impossible_counts():
    g = GRAMMARS["uniform_s2"]
    with pytest.raises(SlopscopeError, match=f"count=17 distinct strings .* P_max={g.P_max}"):
        g.sample(17, seed=0, unique=True)
    z = GRAMMARS["explicit_probs_with_zero"]  # a zero-probability rule shrinks the support
    support = int(np.isfinite(z.log_prob(z.enumerate())).sum())
    assert support < z.P_max
    with pytest.raises(SlopscopeError, match="only .* distinct strings found"):
        z.sample(support + 1, seed=0, unique=True)


def test_bad_counts_and_seeds_are_rejected():
    g = GRAMMARS["uniform_s2"]
    with pytest.raises(SlopscopeError, match="count=-1"):
        g.sample(-1, seed=0)
    with pytest.raises(SlopscopeError, match="seed=1.5"):
        g.sample(3, seed=1.5)


def test_split_is_unique_disjoint_and_records_draws():
    g = GRAMMARS["zipf_top_rootprior"]
    split = unique_split(g, 900, 300, seed=4)
    both = np.concatenate([split.train, split.test])
    assert split.train.shape == (900, g.d) and split.test.shape == (300, g.d)
    assert np.unique(row_keys(both)).size == 1200
    assert split.draws > 1200  # duplicates of a non-uniform law were rejected
    assert split.summary()["duplicates_rejected"] == split.draws - 1200
    again = unique_split(g, 900, 300, seed=4)
    np.testing.assert_array_equal(again.train, split.train)
    assert again.draws == split.draws


def test_split_draw_count_is_exact():
    """draws = position of the last kept string in the i.i.d. stream (replayed here)."""
    g = GRAMMARS["zipf_bottom"]
    split = unique_split(g, 200, 0, seed=9)
    assert split.draws < 1024  # all drawn in the first batch of 1024 i.i.d. strings
    stream = g.sample(1024, seed=np.random.default_rng(9))[: split.draws]
    keys = row_keys(stream)
    _, first = np.unique(keys, return_index=True)
    assert np.sort(first).size == 200  # exactly 200 distinct among the first `draws` draws
    assert np.sort(first)[-1] == split.draws - 1
    kept = stream[np.sort(first)]  # the pool; the split is a seeded permutation of it
    np.testing.assert_array_equal(np.sort(row_keys(kept)), np.sort(row_keys(split.train)))


def test_compiled_expansion_equals_the_level_by_level_derivation():
    """The fast path (choices drawn up front) and the parent-aware path consume the same random
    stream and give identical derivations."""
    from slopscope.grammar import sampling

    g = GRAMMARS["zipf_bottom"]
    fast = sampling.ancestral(g, 1000, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    root = sampling.draw_choices(rng, g.root_thresholds, g.root_uniform,
                                 np.zeros(1000, dtype=np.int32))
    slow = sampling.derive(g, root, lambda level, parents: sampling.draw_choices(
        rng, g.thresholds[level - 1], g.level_uniform[level - 1], parents))
    np.testing.assert_array_equal(fast.nodes, slow.nodes)
    np.testing.assert_array_equal(fast.choices, slow.choices)


def test_parent_dependent_probabilities_sample_correctly():
    probs = [None, np.array([[0.7, 0.3], [0.1, 0.9], [0.5, 0.5], [1.0, 0.0]])]
    g = RHM(v=4, n=3, m=2, s=2, L=2, seed=0, probs=probs, root_probs=[0.2, 0.3, 0.5])
    assert g.thresholds[1].shape[0] == 4  # per-parent path
    strings = g.sample(60 * g.P_max, seed=1)
    assert _chi_square_pvalue(g, strings, g.log_prob(g.enumerate())) > 1e-4
