"""Content keys and k-gram typicality on hand-made data with known counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slopscope.measure import (
    IGNORED,
    block_copy_fraction,
    block_typicality,
    block_widths,
    kgram_typicality,
    slop_metrics,
    token_block_ids,
    token_keys,
)

A, B = 0, 1
TRAIN = np.array([[A, B, A, B], [A, B, B, A], [B, B, B, B]])  # 2-grams: ab x3, ba x2, bb x4


def test_kgram_typicality_counts_occurrences_in_other_training_strings():
    overall, per_k = kgram_typicality(TRAIN, TRAIN, [2], 2, query_in_train=True)
    log = math.log
    # abab: ab (3 - 2 own), ba (2 - 1), ab -> log 2 each; abba: ab 2, bb 3, ba 1; bbbb: bb 1 x3
    np.testing.assert_allclose(per_k[2], [log(2), (log(3) + log(4) + log(2)) / 3, log(2)])
    np.testing.assert_allclose(overall, per_k[2])
    held, _ = kgram_typicality(np.array([[A, A, A, A], [B, A, A, B]]), TRAIN, [2], 2,
                               query_in_train=False)
    np.testing.assert_allclose(held, [0.0, (log(3) + log(1) + log(4)) / 3])
    whole, _ = kgram_typicality(TRAIN, TRAIN, [4], 2, query_in_train=True)
    np.testing.assert_allclose(whole, 0.0)  # each 4-gram is in no other training string


def test_kgram_typicality_leaves_padding_only_windows_out():
    pad = 2
    train = np.array([[A, B, pad, pad], [A, B, A, pad]])
    _, per_k = kgram_typicality(train, train, [2], 3, query_in_train=True, pad=pad)
    # row 0: ab (1 other), b· (0), ·· left out; row 1: ab (1), ba (0), a· (0)
    np.testing.assert_allclose(per_k[2], [math.log(2) / 2, math.log(2) / 3])


def test_block_typicality_and_copying_leave_padding_blocks_out():
    train = {2: np.array([[5, IGNORED], [5, 7]])}
    _, per = block_typicality(train, train, query_in_train=True)
    np.testing.assert_allclose(per[2], [math.log(2), math.log(2) / 2])
    assert block_copy_fraction(np.array([[5, IGNORED], [9, IGNORED]]), train[2]) == 0.5
    slop = slop_metrics(np.array([[5, IGNORED]]), train[2])
    assert slop["unseen_mass"] == 0.0 and slop["distinct_gen"] == 1


def test_block_widths():
    assert block_widths(8) == [2, 4] and block_widths(6) == [2] and block_widths(12) == [2, 4]
    assert block_widths(5) == [1] and block_widths(2) == [1]


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 40), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_keys_are_equal_exactly_when_contents_are(vocab, width, seed):
    """Exact radix keys for small vocab**width, 63-bit hashes beyond; both content-stable."""
    rng = np.random.default_rng(seed)
    runs = rng.integers(0, min(vocab, 3), size=(60, width))  # few symbols: many repeats
    keys = token_keys(runs, vocab)
    same_content = (runs[:, None, :] == runs[None, :, :]).all(axis=2)
    assert ((keys[:, None] == keys[None, :]) == same_content).all()
    assert (keys >= 0).all()
    np.testing.assert_array_equal(token_keys(runs[::-1], vocab), keys[::-1])


def test_aligned_block_keys_by_hand():
    ids = token_block_ids(np.array([[1, 2, 1, 2], [1, 2, 0, 0]]), [2], vocab_size=3, pad=0)
    assert ids[2].tolist() == [[5, 5], [5, IGNORED]]
    with pytest.raises(Exception, match="does not divide"):
        token_block_ids(np.zeros((1, 4), dtype=int), [3], 2)
