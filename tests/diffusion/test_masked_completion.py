"""Completion of partly revealed strings (extraction probes): with the exact grammar denoiser the
one-token-per-step sampler draws from the exact posterior p(x | revealed tokens), and so does
the time-grid sampler when its steps rarely reveal two tokens at once (few steps do: they
sample tokens independently, and produce invalid strings); with the empirical (memorising)
denoiser they return the training strings that agree with what is revealed."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from slopscope import SlopscopeError
from slopscope.diffusion import get_family
from slopscope.rows import row_keys
from tests.tiny import GRAMMARS

G = GRAMMARS["zipf_top_rootprior"]  # v=4, d=8, non-uniform
FAM = get_family("masked", v=G.v, d=G.d)


def test_one_token_per_step_completions_follow_the_exact_posterior():
    x = G.sample(1, seed=1)
    known = np.zeros((4000, G.d), bool)
    known[:, [0, 1, 5]] = True
    done = FAM.complete(FAM.grammar_oracle(G), np.repeat(x, 4000, 0), known, seed=0)
    np.testing.assert_array_equal(done[:, [0, 1, 5]], np.repeat(x[:, [0, 1, 5]], 4000, 0))
    assert G.parse(done).valid.all()
    every = G.enumerate().astype(np.int64)
    agree = (every[:, [0, 1, 5]] == x[0, [0, 1, 5]]).all(axis=1)
    p = np.exp(G.log_prob(every[agree]))
    p /= p.sum()
    keys, counts = np.unique(row_keys(done), return_counts=True)
    found = dict(zip(keys.tolist(), counts.tolist(), strict=True))
    observed = np.array([found.get(k, 0) for k in row_keys(every[agree]).tolist()])
    assert observed.sum() == 4000  # nothing outside the posterior's support
    assert sps.chisquare(observed, 4000 * p).pvalue > 1e-3


def test_the_memoriser_completes_a_training_string_it_alone_agrees_with():
    train = G.sample(20, seed=0, unique=True).astype(np.int64)
    known = np.zeros(train.shape, bool)
    known[:, : G.d - 2] = True  # reveal all but the last two tokens
    done = FAM.complete(FAM.empirical_oracle(train), train, known, seed=0)
    agree = [(train[:, : G.d - 2] == row[: G.d - 2]).all(axis=1).sum() for row in train]
    unique = np.array(agree) == 1
    assert unique.any()
    np.testing.assert_array_equal(done[unique], train[unique])
    assert np.isin(row_keys(done), row_keys(train)).all()  # always one of its strings


def test_few_grid_steps_sample_tokens_independently_and_lose_validity():
    x = G.sample(1, seed=1)
    known = np.zeros((2000, G.d), bool)
    known[:, [0, 1]] = True
    valid = [G.parse(FAM.complete(FAM.grammar_oracle(G), np.repeat(x, 2000, 0), known, seed=0,
                                  sampler_steps=steps)).valid.mean() for steps in (1, 400)]
    assert valid[0] < 0.9 < 0.95 < valid[1]  # six tokens in one step; rarely two at once


def test_nothing_revealed_is_plain_sampling_and_bad_masks_fail_clearly():
    strings = G.sample(50, seed=2)
    none = np.zeros(strings.shape, bool)
    net = FAM.grammar_oracle(G)
    np.testing.assert_array_equal(FAM.complete(net, strings, none, seed=4),
                                  FAM.sample(net, 50, seed=4))
    everything = FAM.complete(net, strings, ~none, seed=4, sampler_steps=2)
    np.testing.assert_array_equal(everything, strings)
    with pytest.raises(SlopscopeError, match="known \\(50, 3\\) must have the shape"):
        FAM.complete(net, strings, none[:, :3], seed=0)
