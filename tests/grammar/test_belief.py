"""Belief propagation against brute-force sums over the enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from slopscope import RHM, SlopscopeError
from slopscope.grammar.reference import Reference
from tests.tiny import GRAMMARS


def brute_force(g: RHM, evidence: np.ndarray):
    """Exact posterior marginals and log-likelihood by summing over all strings."""
    strings = g.enumerate()
    prior = np.exp(g.log_prob(strings))
    posts, logliks = [], []
    for ev in evidence:
        weight = prior * np.prod(ev[np.arange(g.d), strings], axis=1)
        total = weight.sum()
        logliks.append(np.log(total) if total > 0 else -np.inf)
        post = np.stack([np.bincount(strings[:, i], weights=weight, minlength=g.v)
                         for i in range(g.d)])
        posts.append(post / total if total > 0 else np.full_like(post, np.nan))
    return np.array(posts), np.array(logliks)


def random_evidence(g: RHM, count: int, rng: np.random.Generator) -> np.ndarray:
    """Mixed evidence per leaf: masked (uniform), observed (one-hot of a real string), noisy."""
    truth = g.sample(count, seed=rng)
    ev = np.empty((count, g.d, g.v))
    kind = rng.integers(0, 3, size=(count, g.d))
    onehot = np.eye(g.v)[truth]
    ev[kind == 0] = 1.0
    ev[kind == 1] = onehot[kind == 1]
    noisy = rng.random((count, g.d, g.v)) + 2.0 * onehot
    ev[kind == 2] = noisy[kind == 2]
    return ev


def test_marginals_and_likelihood_equal_brute_force(grammar, rng):
    ev = random_evidence(grammar, 25, rng)
    post, loglik = grammar.marginals(ev)
    want_post, want_loglik = brute_force(grammar, ev)
    np.testing.assert_allclose(loglik, want_loglik, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(post, want_post, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), name=st.sampled_from(sorted(GRAMMARS)),
       scale=st.floats(1e-3, 1e3))
def test_marginals_property_including_scaled_evidence(seed, name, scale):
    """Random positive evidence; scaling a leaf's likelihood leaves posteriors unchanged and
    shifts log p(evidence) by log(scale)."""
    g = GRAMMARS[name]
    rng = np.random.default_rng(seed)
    ev = rng.random((3, g.d, g.v)) ** 3
    post, loglik = g.marginals(ev)
    want_post, want_loglik = brute_force(g, ev)
    np.testing.assert_allclose(post, want_post, atol=1e-10)
    np.testing.assert_allclose(loglik, want_loglik, rtol=1e-9, atol=1e-12)
    ev[:, 0] *= scale
    post2, loglik2 = g.marginals(ev)
    np.testing.assert_allclose(post2, post, atol=1e-10)
    np.testing.assert_allclose(loglik2, loglik + np.log(scale), rtol=1e-9, atol=1e-9)


def test_fully_masked_evidence_gives_the_prior_marginals_and_zero_loglik(grammar):
    post, loglik = grammar.marginals(np.ones((1, grammar.d, grammar.v)))
    want, _ = brute_force(grammar, np.ones((1, grammar.d, grammar.v)))
    np.testing.assert_allclose(loglik, [0.0], atol=1e-12)
    np.testing.assert_allclose(post, want, atol=1e-12)


def test_fully_observed_evidence_gives_log_prob_and_one_hot_marginals(grammar):
    x = grammar.sample(10, seed=3)
    post, loglik = grammar.marginals(np.eye(grammar.v)[x])
    np.testing.assert_allclose(loglik, grammar.log_prob(x), rtol=1e-12)
    np.testing.assert_allclose(post, np.eye(grammar.v)[x], atol=1e-12)


def test_deep_tree_does_not_underflow_and_matches_the_reference():
    """L = 8 (d = 256): unscaled products would reach ~1e-150; the scaled messages stay exact."""
    g = RHM(v=6, n=4, m=3, s=2, L=8, seed=0, zipf_a=1.0, zipf_levels=(2, 5))
    x = g.sample(2, seed=0)
    ev = np.eye(g.v)[x] * 0.01 + 0.001
    post, loglik = g.marginals(ev)
    assert np.isfinite(loglik).all() and loglik[0] < -300
    onehot = g.marginals(np.eye(g.v)[x])[1]
    np.testing.assert_allclose(onehot, g.log_prob(x), rtol=1e-12)
    ref_post, ref_loglik = Reference(g).marginals(ev[1] * 100)  # scaled to avoid underflow
    np.testing.assert_allclose(post[1], ref_post, atol=1e-10)
    np.testing.assert_allclose(loglik[1] + g.d * np.log(100), ref_loglik, rtol=1e-10)


def test_impossible_evidence_gives_nan_marginals_and_minus_inf():
    g = GRAMMARS["uniform_L3"]
    ev = np.ones((2, g.d, g.v))
    ev[0] = 0.0  # nothing is possible at any leaf
    post, loglik = g.marginals(ev)
    assert loglik[0] == -np.inf and np.isnan(post[0]).all()
    assert np.isfinite(loglik[1]) and np.isfinite(post[1]).all()


def test_marginals_are_chunked_without_changing_results(monkeypatch, rng):
    from slopscope.grammar import belief

    g = GRAMMARS["zipf_top_rootprior"]
    ev = random_evidence(g, 50, rng)
    whole = g.marginals(ev)
    monkeypatch.setattr(belief, "CHUNK_ELEMENTS", 1)
    chunked = g.marginals(ev)
    np.testing.assert_allclose(whole[0], chunked[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(whole[1], chunked[1], rtol=1e-12)


def test_posterior_sampler_matches_the_exact_posterior():
    g = GRAMMARS["zipf_top_rootprior"]
    rng = np.random.default_rng(0)
    ev = random_evidence(g, 1, rng)[0]
    ev[[1, 4, 6]] = 1.0  # mask a few leaves so the posterior is spread
    draws = g.sample_posterior(np.broadcast_to(ev, (40_000, g.d, g.v)), seed=1)
    strings = g.enumerate()
    weight = np.exp(g.log_prob(strings)) * np.prod(ev[np.arange(g.d), strings], axis=1)
    weight /= weight.sum()
    counts = np.bincount(g.index_of(draws), minlength=g.P_max)
    support = weight > 0
    assert counts[~support].sum() == 0
    assert stats.chisquare(counts[support], weight[support] * counts.sum()).pvalue > 1e-4


def test_posterior_sampler_respects_observed_tokens_and_reproduces(grammar):
    x = grammar.sample(30, seed=2)
    ev = np.eye(grammar.v)[x]
    ev[:, ::2] = 1.0  # mask every other token
    a = grammar.sample_posterior(ev, seed=5)
    np.testing.assert_array_equal(a, grammar.sample_posterior(ev, seed=5))
    assert grammar.parse(a).valid.all()
    np.testing.assert_array_equal(a[:, 1::2], x[:, 1::2])


def test_posterior_sampler_refuses_impossible_evidence():
    g = GRAMMARS["uniform_L3"]
    ev = np.ones((3, g.d, g.v))
    ev[2, 0] = 0.0
    ev[2, :] = 0.0
    with pytest.raises(SlopscopeError, match="evidence row 2 has probability zero"):
        g.sample_posterior(ev, seed=0)


@pytest.mark.parametrize("bad, fragment", [
    (np.ones((2, 8, 3)), "shape (2, 8, 3)"),
    (-np.ones((1, 8, 4)), "negative"),
    (np.full((1, 8, 4), np.nan), "non-finite"),
    (np.ones((1, 8, 4), dtype=bool), "dtype bool"),
])
def test_bad_evidence_is_rejected(bad, fragment):
    g = GRAMMARS["uniform_L3"]
    with pytest.raises(SlopscopeError) as info:
        g.marginals(bad)
    assert fragment in str(info.value)
