"""Uniform (D3PM) and Gaussian (DDPM on one-hot codes) families: kernels, posteriors, oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from slopscope import SlopscopeError
from slopscope.diffusion import get_family
from slopscope.diffusion.base import categorical
from slopscope.diffusion.schedules import make_schedule, stratified_steps
from slopscope.models import build_denoiser
from slopscope.rows import row_keys
from tests.tiny import GRAMMARS

G = GRAMMARS["zipf_top_rootprior"]


@pytest.mark.parametrize("name", ["cosine", "linear"])
def test_schedules_start_clean_end_in_noise_and_decrease(name):
    ab = make_schedule(name, 50)
    assert ab[0] == 1.0 and ab[-1] == 0.0
    assert (ab[1:] < ab[:-1]).all()


def test_the_beta_linear_schedule_is_the_product_of_its_betas():
    """D3PM's (and the authors') schedule: beta linear from 1e-3 to 0.1 over T = 200 steps."""
    ab = make_schedule("beta-linear", 200)
    assert ab[0] == 1.0 and ab[1] == pytest.approx(1 - 1e-3)
    assert ab[200] / ab[199] == pytest.approx(1 - 0.1)
    assert ab[100] / ab[99] == pytest.approx(1 - (1e-3 + 99 / 199 * (0.1 - 1e-3)))
    assert (ab[1:] < ab[:-1]).all() and ab[-1] < 1e-4  # nearly pure noise at the end


def test_stratified_steps_cover_every_step_evenly():
    k = stratified_steps(1000, 10, torch.Generator().manual_seed(0), "cpu")
    counts = torch.bincount(k, minlength=11)
    assert counts[0] == 0 and counts[1:].min() >= 99 and counts[1:].max() <= 101


def test_uniform_transitions_are_stochastic_and_cumulate_to_matrix_products():
    fam = get_family("uniform", v=5, d=4, chain_length=12)
    product = torch.eye(5, dtype=torch.float64)
    for k in range(1, 13):
        Q = fam.transition(k)
        torch.testing.assert_close(Q.sum(1), torch.ones(5, dtype=torch.float64))
        assert (Q >= 0).all()
        product = product @ Q
        torch.testing.assert_close(fam.cumulative(k), product)


def test_uniform_posterior_matches_bayes_rule_on_a_two_token_toy():
    """q(x_{k-1} | x_k, x0) = Q_k[x_{k-1}, x_k] Qbar_{k-1}[x0, x_{k-1}] / Qbar_k[x0, x_k]."""
    fam = get_family("uniform", v=2, d=1, chain_length=5, schedule="linear")
    for k in range(1, 6):
        Q, Qprev, Qk = fam.transition(k), fam.cumulative(k - 1), fam.cumulative(k)
        for xk in range(2):
            for x0 in range(2):
                want = torch.tensor([Q[a, xk] * Qprev[x0, a] / Qk[x0, xk] for a in range(2)])
                got = fam.posterior(torch.tensor([[xk]]), k, torch.tensor([[x0]]))[0, 0]
                torch.testing.assert_close(got, want.double())
    # the x0-parameterised reverse step mixes the posteriors with the x0 probabilities
    p0 = torch.tensor([[[0.3, 0.7]]], dtype=torch.float64)
    mix = fam.reverse_probs(torch.tensor([[1]]), 3, p0)[0, 0]
    want = 0.3 * fam.posterior(torch.tensor([[1]]), 3, torch.tensor([[0]]))[0, 0] + \
        0.7 * fam.posterior(torch.tensor([[1]]), 3, torch.tensor([[1]]))[0, 0]
    torch.testing.assert_close(mix, want)


def test_uniform_corruption_keeps_x0_with_probability_alpha_bar_plus_chance():
    fam = get_family("uniform", v=4, d=1, chain_length=10)
    x0 = torch.zeros((40_000, 1), dtype=torch.long)
    for k in (2, 5, 9):
        x_k = fam.corrupt(x0, torch.full((40_000,), k), torch.Generator().manual_seed(k))
        want = float(fam.alpha_bar[k]) + (1 - float(fam.alpha_bar[k])) / 4
        assert abs((x_k == 0).float().mean().item() - want) < 0.01


def test_gaussian_posterior_coefficients_match_gaussian_conditioning():
    """For x_{k-1} = sqrt(ab') x0 + ..., x_k = sqrt(a) x_{k-1} + ...: condition the joint."""
    fam = get_family("gaussian", v=3, d=1, chain_length=20)
    for k in (2, 7, 20):
        ab_k, ab_p = float(fam.alpha_bar[k]), float(fam.alpha_bar[k - 1])
        a = ab_k / ab_p
        # Cov(x_{k-1}, x_k | x0) and Var(x_k | x0); regression of x_{k-1} on x_k given x0
        cov, var_k, var_p = math.sqrt(a) * (1 - ab_p), 1 - ab_k, 1 - ab_p
        ck_want = cov / var_k
        c0_want = math.sqrt(ab_p) - ck_want * math.sqrt(ab_k)
        var_want = var_p - cov**2 / var_k
        c0, ck, var = fam._coefficients(k)
        assert (c0, ck, var) == pytest.approx((c0_want, ck_want, var_want), rel=1e-10, abs=1e-12)


def test_gaussian_leaf_likelihood_differences_are_exact_log_density_differences():
    fam = get_family("gaussian", v=3, d=2, chain_length=10, scale=1.5)
    x0 = torch.tensor([[0, 2]])
    x_t = fam.corrupt(x0, torch.tensor([4]), torch.Generator().manual_seed(0))
    got = fam.leaf_log_likelihood(x_t, torch.tensor([0.4]))
    ab = float(fam.alpha_bar[4])
    codes = fam.embed(torch.arange(3))
    exact = -((x_t.double()[0, :, None, :] - math.sqrt(ab) * codes) ** 2).sum(-1) / (2 * (1 - ab))
    torch.testing.assert_close(got[0] - got[0, :, :1], exact - exact[:, :1])


@pytest.mark.parametrize("family, steps", [("uniform", 1000), ("gaussian", 100)])
def test_grammar_oracle_sampling_is_fully_grammatical(family, steps):
    """Reverse steps update positions independently, so a few strings can break at small T
    (uniform, measured on 2000 draws: 0.25 % invalid at T=100, 0.1 % at 300, 0 at 1000)."""
    fam = get_family(family, v=G.v, d=G.d, chain_length=steps)
    out = fam.sample(fam.grammar_oracle(G), 300, seed=0)
    assert G.parse(out).valid.all()


@pytest.mark.parametrize("family", ["uniform", "gaussian"])
def test_empirical_oracle_sampling_returns_training_strings(family):
    fam = get_family(family, v=G.v, d=G.d, chain_length=100)
    train = G.sample(25, seed=3, unique=True)
    out = fam.sample(fam.empirical_oracle(train), 300, seed=1).astype(np.int32)
    assert np.isin(row_keys(out), row_keys(train)).all()


@pytest.mark.parametrize("family", ["uniform", "gaussian"])
def test_grammar_oracle_bound_is_close_to_and_not_below_minus_log_p(family):
    fam = get_family(family, v=G.v, d=G.d, chain_length=50)
    x = G.sample(3, seed=5)
    reps = np.stack([fam.nll_bound(fam.grammar_oracle(G), x, seed=s) for s in range(12)])
    mean, err = reps.mean(0), reps.std(0, ddof=1) / math.sqrt(reps.shape[0])
    truth = -G.log_prob(x)
    assert np.all(mean > truth - 4 * err)  # a bound, up to Monte-Carlo error
    assert np.all(mean < truth + 1.5)  # and a tight one for the exact denoiser


@pytest.mark.parametrize("family", ["uniform", "gaussian"])
def test_networks_train_reproducibly_for_time_conditioned_families(family):
    fam = get_family(family, v=G.v, d=G.d, chain_length=20)
    x0 = torch.from_numpy(G.sample(64, seed=0).astype(np.int64))
    losses = []
    for _ in range(2):
        net = build_denoiser(fam, seed=0, width=16, layers=1, heads=2)
        opt = torch.optim.AdamW(net.parameters(), lr=3e-3)
        gen = torch.Generator().manual_seed(0)
        run = []
        for _ in range(60):
            loss = fam.loss(net, x0, gen)
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
    assert losses[0] == losses[1]
    assert np.mean(losses[0][-10:]) < np.mean(losses[0][:10])
    out = fam.sample(net, 20, seed=0)
    assert out.shape == (20, G.d) and out.min() >= 0 and out.max() < G.v


@pytest.mark.parametrize("family", ["uniform", "gaussian"])
def test_leaf_evidence_accepts_integer_steps_like_times(family):
    fam = get_family(family, v=4, d=3, chain_length=10)
    x0 = torch.tensor([[0, 1, 2]])
    x_t = fam.corrupt(x0, torch.tensor([2]), torch.Generator().manual_seed(0))
    torch.testing.assert_close(fam.leaf_log_likelihood(x_t, torch.tensor([2])),
                               fam.leaf_log_likelihood(x_t, torch.tensor([0.2])))


@pytest.mark.parametrize("family", ["uniform", "gaussian"])
def test_chain_length_is_the_option_and_is_named_in_errors(family):
    assert get_family(family, v=4, d=3, chain_length=7).T == 7
    with pytest.raises(SlopscopeError, match="chain_length=0 is too small"):
        get_family(family, v=4, d=3, chain_length=0)
    with pytest.raises(SlopscopeError, match="'steps'; allowed: chain_length, schedule"):
        get_family(family, v=4, d=3, steps=10)


def test_categorical_draws_by_inverse_cdf_from_unnormalised_rows():
    from scipy import stats

    p = torch.tensor([[2.0, 0.0, 6.0, 2.0]], dtype=torch.float64)  # probabilities .2 0 .6 .2
    u = torch.tensor([0.0, 0.19, 0.2, 0.79, 0.8, 0.999])
    got = categorical(p.expand(6, 4), u=u)
    assert got.tolist() == [0, 0, 2, 2, 3, 3]  # token 1 (probability 0) is never drawn
    draws = categorical(p.expand(20_000, 4), torch.Generator().manual_seed(0))
    counts = torch.bincount(draws, minlength=4).numpy()
    assert counts[1] == 0
    assert stats.chisquare(counts[[0, 2, 3]], 20_000 * np.array([0.2, 0.6, 0.2])).pvalue > 1e-4
    batched = categorical(p.expand(2, 3, 4), torch.Generator().manual_seed(1))
    assert batched.shape == (2, 3)
