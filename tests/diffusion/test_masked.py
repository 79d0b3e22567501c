"""Masked (absorbing) diffusion: the math against exact answers on tiny grammars."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from slopscope import RHM, SlopscopeError
from slopscope.diffusion import get_family
from slopscope.diffusion.masked import alpha, loss_weight
from slopscope.models import build_denoiser
from slopscope.rows import row_keys
from tests.tiny import GRAMMARS

G = GRAMMARS["zipf_top_rootprior"]  # v=4, d=8, non-uniform with a root prior
FAM = get_family("masked", v=G.v, d=G.d)


def _random_net(seed=0):
    return build_denoiser(FAM, seed=seed, width=16, layers=1, heads=2).eval()


def test_output_has_zero_mass_on_mask_and_carries_unmasked_tokens_over():
    x0 = torch.from_numpy(G.sample(32, seed=0).astype(np.int64))
    x_t = FAM.corrupt(x0, torch.full((32,), 0.5), torch.Generator().manual_seed(0))
    logp = FAM.log_probs(_random_net(), x_t, torch.full((32,), 0.5))
    assert logp.shape == (32, G.d, G.v)  # v slots: the mask token (id v) has none
    torch.testing.assert_close(logp.exp().sum(-1), torch.ones(32, G.d))
    unmasked = x_t != FAM.mask
    assert unmasked.any() and (~unmasked).any()
    carried = logp.exp()[unmasked]
    torch.testing.assert_close(carried, torch.nn.functional.one_hot(x_t[unmasked], G.v).float())


def test_corruption_masks_each_token_with_probability_t():
    x0 = torch.zeros((20_000, G.d), dtype=torch.long)
    for t in (0.1, 0.5, 0.9):
        x_t = FAM.corrupt(x0, torch.full((20_000,), t), torch.Generator().manual_seed(1))
        frac = (x_t == FAM.mask).float().mean().item()
        assert abs(frac - t) < 4 * math.sqrt(t * (1 - t) / x0.numel())
        assert (x_t[x_t != FAM.mask] == 0).all()


def test_loss_weight_is_minus_alpha_prime_over_one_minus_alpha():
    t = torch.linspace(0.01, 1.0, 50, dtype=torch.float64, requires_grad=True)
    a = alpha(t)
    (da,) = torch.autograd.grad(a.sum(), t)
    torch.testing.assert_close(loss_weight(t.detach()), (-da / (1 - a)).detach())
    torch.testing.assert_close(loss_weight(t.detach()), 1 / t.detach())


def test_loss_of_a_uniform_denoiser_is_log_v_per_token_in_expectation():
    """Uniform scores give -log p = log v per masked token; E[#masked / t] = d."""
    def uniform(x_t, t):
        return torch.zeros(x_t.shape + (G.v,))

    x0 = torch.from_numpy(G.sample(4096, seed=0).astype(np.int64))
    losses = [FAM.loss(uniform, x0, torch.Generator().manual_seed(s)).item() for s in range(5)]
    assert np.mean(losses) == pytest.approx(math.log(G.v), rel=0.02)


def test_antithetic_times_are_stratified_in_eps_to_one():
    t = FAM.antithetic_times(1000, torch.Generator().manual_seed(0), "cpu")
    assert t.min() >= FAM.eps and t.max() <= 1.0
    counts = np.histogram(t.numpy(), bins=10, range=(FAM.eps, 1.0))[0]
    assert counts.min() >= 99 and counts.max() <= 101


@pytest.mark.parametrize("name", ["uniform_L3", "zipf_top_rootprior", "zipf_bottom"])
def test_grammar_oracle_nelbo_equals_minus_log_p_exactly(name):
    g = GRAMMARS[name]
    fam = get_family("masked", v=g.v, d=g.d)
    x = g.sample(6, seed=3)
    nelbo = fam.nll_bound(fam.grammar_oracle(g), x, seed=0, estimator="exact")
    np.testing.assert_allclose(nelbo, -g.log_prob(x), rtol=1e-5)
    if g.is_uniform:
        np.testing.assert_allclose(nelbo, math.log(g.P_max), rtol=1e-5)


def test_k_mask_and_continuous_estimators_agree_with_exact_within_error():
    g = GRAMMARS["zipf_bottom"]
    fam = get_family("masked", v=g.v, d=g.d)
    x = g.sample(4, seed=1)
    for denoiser in (fam.grammar_oracle(g), _random_net(1)):
        exact = fam.nll_bound(denoiser, x, seed=0, estimator="exact")
        reps_k = np.stack([fam.nll_bound(denoiser, x, seed=s, samples=2) for s in range(30)])
        reps_c = np.stack([fam.nll_bound(denoiser, x, seed=s, estimator="continuous",
                                         samples=20) for s in range(30)])
        for reps in (reps_k, reps_c):
            err = reps.std(axis=0, ddof=1) / math.sqrt(reps.shape[0])
            assert np.all(np.abs(reps.mean(axis=0) - exact) < 4 * err + 1e-6)
        assert reps_k.std(axis=0).mean() < reps_c.std(axis=0).mean()  # k-mask: lower variance


def test_empirical_oracle_nelbo_is_log_train_size():
    train = G.sample(40, seed=2, unique=True)
    fam_oracle = FAM.empirical_oracle(train)
    nelbo = FAM.nll_bound(fam_oracle, train[:5], seed=0, estimator="exact")
    np.testing.assert_allclose(nelbo, math.log(40), rtol=1e-5)


@pytest.mark.parametrize("steps", [None, 4 * G.d])
def test_grammar_oracle_generates_only_grammatical_strings(steps):
    out = FAM.sample(FAM.grammar_oracle(G), 600, seed=0, sampler_steps=steps)
    valid = G.parse(out).valid.mean()
    if steps is None:
        assert valid == 1.0  # one token per step: exact ancestral sampling
    else:
        assert valid > 0.9  # several tokens per step are decoded independently


def test_one_per_step_grammar_oracle_samples_follow_the_grammar_distribution():
    from scipy import stats

    g = GRAMMARS["uniform_s2"]
    fam = get_family("masked", v=g.v, d=g.d)
    out = fam.sample(fam.grammar_oracle(g), 60 * g.P_max, seed=1)
    counts = np.bincount(g.index_of(out), minlength=g.P_max)
    assert stats.chisquare(counts).pvalue > 1e-4


@pytest.mark.parametrize("steps", [None, 2 * G.d])
def test_empirical_oracle_generates_only_training_strings(steps):
    train = G.sample(30, seed=4, unique=True)
    out = FAM.sample(FAM.empirical_oracle(train), 400, seed=0,
                     sampler_steps=steps).astype(np.int32)
    if steps is None:
        assert np.isin(row_keys(out), row_keys(train)).all()
    else:
        assert np.isin(row_keys(out), row_keys(train)).mean() > 0.5


def test_skipping_sampler_gives_identical_strings_with_fewer_evaluations():
    net = _random_net(2)
    a, stats_a = FAM.sample(net, 300, seed=7, sampler_steps=64, skip=True, return_stats=True)
    b, stats_b = FAM.sample(net, 300, seed=7, sampler_steps=64, skip=False, return_stats=True)
    np.testing.assert_array_equal(a, b)
    assert stats_a["rows_evaluated"] < stats_b["rows_evaluated"] / 3
    assert stats_a["steps"] == 64 and stats_b["network_calls"] == 64


def test_sampler_steps_default_to_one_token_per_step():
    _, stats = FAM.sample(_random_net(2), 10, seed=0, return_stats=True)
    assert stats["steps"] == G.d and stats["network_calls"] == G.d
    _, stats = FAM.sample(_random_net(2), 10, seed=0, sampler_steps=3, return_stats=True)
    assert stats["steps"] == 3 and stats["network_calls"] <= 3


def test_sampling_and_nelbo_reproduce_with_the_same_seed():
    net = _random_net(3)
    np.testing.assert_array_equal(FAM.sample(net, 50, seed=1), FAM.sample(net, 50, seed=1))
    assert not np.array_equal(FAM.sample(net, 50, seed=1), FAM.sample(net, 50, seed=2))
    x = G.sample(5, seed=0)
    np.testing.assert_array_equal(FAM.nll_bound(net, x, seed=4), FAM.nll_bound(net, x, seed=4))


def test_bad_options_are_rejected():
    with pytest.raises(SlopscopeError, match="family='gauss'"):
        get_family("gauss", v=4, d=8)
    with pytest.raises(SlopscopeError, match="estimator='mc'"):
        FAM.nll_bound(_random_net(), G.sample(2, seed=0), seed=0, estimator="mc")
    with pytest.raises(SlopscopeError, match="shape"):
        FAM.nll_bound(_random_net(), np.zeros((2, 5), dtype=int), seed=0)
    with pytest.raises(SlopscopeError, match="grammar has v=4, d=8"):
        get_family("masked", v=5, d=8).grammar_oracle(G)
    with pytest.raises(SlopscopeError, match="bad option for family"):
        get_family("masked", v=4, d=8, schedule="cosine")
    with pytest.raises(SlopscopeError, match="'steps'; allowed: eps") as info:
        get_family("masked", v=4, d=8, steps=4)  # a sampler option, not the family's
    assert "\n" not in str(info.value)
    with pytest.raises(SlopscopeError, match="sampler_steps=0 is too small"):
        FAM.sample(_random_net(), 2, seed=0, sampler_steps=0)
    with pytest.raises(SlopscopeError, match="sampler_steps=2.5 must be an integer"):
        FAM.sample(_random_net(), 2, seed=0, sampler_steps=2.5)


def test_oracle_marginals_match_bayes_rule_on_a_hand_case():
    """Masked leaves given the others: p(x_i | rest) from brute force over the enumeration."""
    g = RHM(v=3, n=2, m=2, s=2, L=2, seed=0)
    fam = get_family("masked", v=g.v, d=g.d)
    x = torch.from_numpy(g.sample(1, seed=0).astype(np.int64))
    x_t = x.clone()
    x_t[0, [0, 3]] = fam.mask
    logp = fam.log_probs(fam.grammar_oracle(g), x_t, torch.ones(1))
    strings = g.enumerate()
    keep = (strings[:, 1] == x[0, 1].item()) & (strings[:, 2] == x[0, 2].item())
    for i in (0, 3):
        want = np.bincount(strings[keep, i], minlength=g.v) / keep.sum()
        np.testing.assert_allclose(logp[0, i].exp().numpy(), want, atol=1e-6)


def test_impossible_strings_get_an_infinite_bound_not_nan():
    """Strings the oracle gives probability zero: NELBO = +inf (not NaN)."""
    train = G.sample(10, seed=0, unique=True)
    held = G.sample(200, seed=9, unique=True)
    outside = held[~np.isin(row_keys(held), row_keys(train))][:3]
    nelbo = FAM.nll_bound(FAM.empirical_oracle(train), outside, seed=0, estimator="exact")
    assert np.all(nelbo == np.inf)
    invalid = G.sample(2, seed=0)
    emitted = {tuple(t) for t in G.rules[G.L - 1].reshape(-1, 2).tolist()}
    invalid[:, :2] = next((a, b) for a in range(G.v) for b in range(G.v) if (a, b) not in emitted)
    assert not G.parse(invalid).valid.any()
    bound = FAM.nll_bound(FAM.grammar_oracle(G), invalid, seed=0, estimator="exact")
    assert np.all(bound == np.inf)
