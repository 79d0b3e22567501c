"""Gaussian diffusion on one-hot codes (DDPM; as in Garnier-Brun et al. 2026).

A token c is embedded as e_c = scale * (2 onehot(c) - 1) in R^v; x_k = sqrt(alpha_bar_k) e +
sqrt(1 - alpha_bar_k) noise. The denoiser scores x0 (cross-entropy loss); its expected code
E[e] under p(x0 | x_k) gives the DDPM posterior mean; the last step decodes by argmax.
"""

from __future__ import annotations

import math

import torch

from slopscope.diffusion.base import DiffusionFamily, log_scores
from slopscope.diffusion.schedules import DiscreteTime, stratified_steps
from slopscope.errors import SlopscopeError, check_int


class GaussianDiffusion(DiscreteTime, DiffusionFamily):
    """Options: chain_length T (steps of the Markov chain, default 100), schedule ("cosine" |
    "linear"), scale of the codes. The sampler runs the T reverse steps; it has no options."""

    name = "gaussian"
    needs_time = True

    def __init__(self, v: int, d: int, chain_length: int = 100, schedule: str = "cosine",
                 scale: float = 1.0):
        super().__init__(v, d)
        self._init_schedule(chain_length, schedule)
        if not (scale > 0 and math.isfinite(scale)):
            raise SlopscopeError(f"scale={scale} must be a positive number")
        self.scale = float(scale)

    @property
    def input_vocab(self) -> None:
        return None

    def embed(self, x0: torch.Tensor) -> torch.Tensor:
        return self.scale * (2.0 * torch.nn.functional.one_hot(x0, self.v).double() - 1.0)

    def corrupt(self, x0, t, generator):
        k = self.steps_of(t)
        ab = self.alpha_bar.to(x0.device)[k][:, None, None]
        noise = torch.randn(x0.shape + (self.v,), generator=generator, device=x0.device,
                            dtype=torch.float64)
        return (ab.sqrt() * self.embed(x0) + (1 - ab).sqrt() * noise).float()

    def leaf_log_likelihood(self, x_t, t):
        """log N(x_t,i; sqrt(ab) e_c, (1 - ab) I) up to a per-leaf constant (|e_c| is fixed)."""
        ab = self.alpha_bar[self.steps_of(t).cpu()].to(x_t.device)[:, None, None]
        codes = self.embed(torch.arange(self.v, device=x_t.device))  # (v, v)
        return ab.sqrt() / (1 - ab).clamp_min(1e-12) * (x_t.double() @ codes.T)

    def _coefficients(self, k: int):
        """Posterior q(x_{k-1} | x_k, x0) = N(c0 * x0 + ck * x_k, var)."""
        ab_k, ab_prev = float(self.alpha_bar[k]), float(self.alpha_bar[k - 1])
        beta = 1.0 - ab_k / ab_prev if ab_prev > 0 else 1.0
        c0 = math.sqrt(ab_prev) * beta / (1 - ab_k)
        ck = math.sqrt(1 - beta) * (1 - ab_prev) / (1 - ab_k)
        var = beta * (1 - ab_prev) / (1 - ab_k)
        return c0, ck, var

    def expected_code(self, logp0: torch.Tensor) -> torch.Tensor:
        return self.scale * (2.0 * logp0.double().exp() - 1.0)

    def loss(self, denoiser, x0, generator):
        k = stratified_steps(x0.shape[0], self.T, generator, x0.device)
        x_k = self.corrupt(x0, k, generator)
        logp0 = log_scores(denoiser, x_k, k.float() / self.T, self.v)
        return -logp0.gather(-1, x0[..., None]).mean()

    def nll_bound(self, denoiser, strings, seed, samples: int = 1, batch_size: int = 256):
        """Per-string bound (nats) of the discrete data under the latent Gaussian chain with a
        categorical decoder p(x0 | x_1): KL(q(x_T | x0) || N(0, I)) + sum_{k >= 2} of the
        Gaussian posterior KLs + E[-log p(x0 | x_1)], each with `samples` draws."""
        samples = check_int("samples", samples, minimum=1)
        ab_T = float(self.alpha_bar[-1])

        def bound(batch, generator):
            e = self.embed(batch)
            prior = 0.5 * ((ab_T * e.pow(2)).sum((1, 2))
                           + self.d * self.v * (-ab_T - math.log1p(-ab_T + 1e-300)))
            total = prior
            for step in range(1, self.T + 1):
                k = torch.full((batch.shape[0],), step, device=batch.device)
                for _ in range(samples):
                    x_k = self.corrupt(batch, k, generator)
                    logp0 = log_scores(denoiser, x_k, k.float() / self.T, self.v)
                    if step == 1:
                        term = -logp0.gather(-1, batch[..., None]).squeeze(-1).sum(1)
                    else:
                        c0, _, var = self._coefficients(step)
                        diff = e - self.expected_code(logp0)
                        term = c0**2 * diff.pow(2).sum((1, 2)) / (2 * var)
                    total = total + term.double() / samples
            return total

        return self.per_string(denoiser, strings, seed, batch_size, bound)

    def sample(self, denoiser, count, seed, batch_size: int = 1024):
        """DDPM ancestral sampling from N(0, I); the last step decodes tokens by argmax."""
        def one_batch(size, generator):
            device = generator.device
            x = torch.randn((size, self.d, self.v), generator=generator, device=device,
                            dtype=torch.float64)
            for step in range(self.T, 1, -1):
                t = torch.full((size,), step / self.T, device=device)
                logp0 = log_scores(denoiser, x.float(), t, self.v)
                c0, ck, var = self._coefficients(step)
                noise = torch.randn(x.shape, generator=generator, device=device,
                                    dtype=torch.float64)
                x = c0 * self.expected_code(logp0) + ck * x + math.sqrt(var) * noise
            t = torch.full((size,), 1 / self.T, device=device)
            return log_scores(denoiser, x.float(), t, self.v).argmax(-1)

        return self.generate(denoiser, count, seed, batch_size, one_batch)
