"""Exact copies and nearest neighbours on hand-built cases and against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slopscope import SlopscopeError
from slopscope.measure import (
    copy_counts,
    copy_fraction,
    distance_histogram,
    distinct_count,
    is_copy,
    js_divergence,
    nearest_hamming,
    ratio_test,
)


def test_copy_counts_follow_chosen_multiplicities_in_training_order():
    rng = np.random.default_rng(0)
    train = np.unique(rng.integers(0, 5, (50, 6)), axis=0)[:40]
    rng.shuffle(train)
    multiplicity = rng.integers(0, 4, train.shape[0])
    novel = train[:7].copy()
    novel[:, 0] = 9  # token 9 never occurs in training
    generations = np.concatenate([np.repeat(train, multiplicity, axis=0), novel])
    rng.shuffle(generations)
    np.testing.assert_array_equal(copy_counts(generations, train), multiplicity)
    assert copy_fraction(generations, train) == multiplicity.sum() / generations.shape[0]
    assert is_copy(generations, train).sum() == multiplicity.sum()
    assert distinct_count(generations) == (multiplicity > 0).sum() + 7


def test_copies_of_duplicated_training_rows_count_once_at_the_first():
    train = np.array([[1, 2], [1, 2], [3, 4]])
    np.testing.assert_array_equal(copy_counts([[1, 2], [1, 2], [3, 4]], train), [2, 0, 1])


def test_bad_inputs_for_copies():
    with pytest.raises(SlopscopeError, match="equal lengths"):
        copy_counts(np.zeros((2, 3), int), np.zeros((2, 4), int))
    with pytest.raises(SlopscopeError, match="integer array"):
        copy_counts(np.zeros((2, 3)), np.zeros((2, 3), int))


def _brute(g, r):
    dist = np.sort((g[:, None, :] != r[None, :, :]).sum(-1), axis=1)
    d2 = dist[:, 1] if r.shape[0] > 1 else np.full(g.shape[0], g.shape[1] + 1)
    return dist[:, 0], d2


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), vocab=st.sampled_from([2, 3, 4, 16, 17, 200, 300, 65536]),
       d=st.integers(1, 40), n_gen=st.integers(1, 30), n_ref=st.integers(1, 40))
def test_nearest_hamming_equals_brute_force(seed, vocab, d, n_gen, n_ref):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, vocab, (n_gen, d))
    r = rng.integers(0, vocab, (n_ref, d))
    g[: n_gen // 3] = r[rng.integers(0, n_ref, n_gen // 3)]  # some exact copies
    d1, d2 = nearest_hamming(g, r)
    want1, want2 = _brute(g, r)
    np.testing.assert_array_equal(d1, want1)
    np.testing.assert_array_equal(d2, want2)


def test_ratio_test_flags_copies_with_a_distinct_second_neighbour():
    d1, d2 = np.array([0, 1, 0, 2, 1]), np.array([3, 2, 0, 7, 4])
    np.testing.assert_array_equal(ratio_test(d1, d2), [True, False, True, True, True])


def test_histograms_and_divergence():
    h = distance_histogram([0, 0, 1, 3], d=3)
    np.testing.assert_allclose(h, [0.5, 0.25, 0.0, 0.25])
    assert js_divergence(h, h) == 0.0
    assert js_divergence([1, 0], [0, 1]) == pytest.approx(np.log(2))
