"""Uniform discrete diffusion, D3PM-style (Austin et al. 2021).

Step k replaces a token by a uniformly random one: Q_k = alpha_k I + (1 - alpha_k) 11^T / v, so
q(x_k | x0) = alpha_bar_k onehot(x0) + (1 - alpha_bar_k) / v. The reverse step is
x0-parameterised: p(x_{k-1} = a | x_k) = sum_c q(a | x_k, x0 = c) p(x0 = c | x_k). Loss: the
variational bound (sum of per-step KLs, sampled over k) plus an optional cross-entropy on x0.
"""

from __future__ import annotations

import torch

from slopscope.diffusion.base import DiffusionFamily, categorical, log_scores
from slopscope.diffusion.schedules import DiscreteTime, stratified_steps
from slopscope.errors import SlopscopeError, check_int


class UniformDiffusion(DiscreteTime, DiffusionFamily):
    """Options: chain_length T (steps of the Markov chain, default 100), schedule ("cosine" |
    "linear"), ce_weight (weight of the auxiliary cross-entropy on x0 in the training loss,
    default 0.01 as in D3PM). The sampler runs the T reverse steps; it has no options."""

    name = "uniform"
    needs_time = True

    def __init__(self, v: int, d: int, chain_length: int = 100, schedule: str = "cosine",
                 ce_weight: float = 0.01):
        super().__init__(v, d)
        self._init_schedule(chain_length, schedule)
        if not ce_weight >= 0:
            raise SlopscopeError(f"ce_weight={ce_weight} must be >= 0")
        self.ce_weight = float(ce_weight)

    @property
    def input_vocab(self) -> int:
        return self.v

    # ---- kernels --------------------------------------------------------------------------
    def alpha(self, k: int) -> float:
        """One-step keep probability alpha_k = alpha_bar_k / alpha_bar_{k-1}."""
        prev = float(self.alpha_bar[k - 1])
        return float(self.alpha_bar[k]) / prev if prev > 0 else 0.0

    def transition(self, k: int) -> torch.Tensor:
        """Q_k (v, v): row = x_{k-1}, column = x_k."""
        a = self.alpha(k)
        return a * torch.eye(self.v, dtype=torch.float64) + (1 - a) / self.v

    def cumulative(self, k: int) -> torch.Tensor:
        """Q-bar_k = Q_1 ... Q_k (v, v): row = x0, column = x_k."""
        a = float(self.alpha_bar[k])
        return a * torch.eye(self.v, dtype=torch.float64) + (1 - a) / self.v

    def _t(self, k: torch.Tensor) -> torch.Tensor:
        return k.double() / self.T

    def corrupt(self, x0, t, generator):
        """x_k for k = round(t * T) (t may also be given directly as integer steps)."""
        k = self.steps_of(t)
        keep = self.alpha_bar.to(x0.device)[k]
        u = torch.rand(x0.shape, generator=generator, device=x0.device, dtype=torch.float64)
        noise = torch.randint(0, self.v, x0.shape, generator=generator, device=x0.device)
        return torch.where(u < keep[:, None], x0, noise)

    def leaf_log_likelihood(self, x_t, t):
        k = self.steps_of(t)
        a = self.alpha_bar[k.cpu()].to(x_t.device)[:, None, None]
        same = torch.nn.functional.one_hot(x_t, self.v).double()
        return torch.log(a * same + (1 - a) / self.v)

    # ---- the reverse step -------------------------------------------------------------------
    def reverse_probs(self, x_k: torch.Tensor, k, p0: torch.Tensor) -> torch.Tensor:
        """p(x_{k-1} = a | x_k) (B, d, v) = sum_c q(a | x_k, c) p0(c), for x0 probabilities p0;
        k: one step for all rows, or a (B,) tensor of steps (one per row)."""
        alpha_bar = self.alpha_bar.to(device=p0.device, dtype=p0.dtype)
        if isinstance(k, torch.Tensor):
            ab_prev, ab_k = alpha_bar[k - 1][:, None, None], alpha_bar[k][:, None, None]
            a_k = torch.where(ab_prev > 0, ab_k / torch.where(ab_prev > 0, ab_prev, 1.0), 0.0)
        else:
            a_k, ab_prev, ab_k = self.alpha(k), float(alpha_bar[k - 1]), float(alpha_bar[k])
        onehot = torch.nn.functional.one_hot(x_k, self.v).to(p0.dtype)
        forward = a_k * onehot + (1 - a_k) / self.v  # q(x_k | x_{k-1} = a)
        evidence = ab_k * onehot + (1 - ab_k) / self.v  # q(x_k | x0 = c)
        w = p0 / evidence
        return forward * (ab_prev * w + (1 - ab_prev) / self.v * w.sum(-1, keepdim=True))

    def posterior(self, x_k: torch.Tensor, k, x0: torch.Tensor) -> torch.Tensor:
        """q(x_{k-1} | x_k, x0) (B, d, v) for known x0 (k: a step, or one per row)."""
        return self.reverse_probs(x_k, k, torch.nn.functional.one_hot(x0, self.v).double())

    def _step_terms(self, denoiser, x0, x_k, k):
        """Per-string bound term at step k (B,) and cross-entropy on x0 (B,): the KL from the
        posterior at k >= 2, the reconstruction -log p(x0 | x_1) at k = 1 (all rows at once)."""
        t = self._t(k).float()
        logp0 = log_scores(denoiser, x_k, t, self.v).double()
        ce = -logp0.gather(-1, x0[..., None]).squeeze(-1).sum(1)
        p = self.reverse_probs(x_k, k, logp0.exp())
        q = self.posterior(x_k, k, x0)
        kl = (q * (torch.log(q.clamp_min(1e-300)) - torch.log(p.clamp_min(1e-300)))).sum(-1)
        reconstruction = -torch.log(p.gather(-1, x0[..., None]).squeeze(-1))
        term = torch.where((k == 1)[:, None], reconstruction, kl)
        return term.sum(1), ce

    def loss(self, denoiser, x0, generator):
        k = stratified_steps(x0.shape[0], self.T, generator, x0.device)
        x_k = self.corrupt(x0, k, generator)
        bound, ce = self._step_terms(denoiser, x0, x_k, k)
        return (self.T * bound + self.ce_weight * ce).mean().float() / self.d

    def nll_bound(self, denoiser, strings, seed, samples: int = 1, batch_size: int = 256):
        """Per-string variational bound (nats): prior KL (0: alpha_bar_T = 0) + sum over k of the
        step terms, each estimated with `samples` draws of x_k."""
        samples = check_int("samples", samples, minimum=1)

        def bound(batch, generator):
            total = torch.zeros(batch.shape[0], dtype=torch.float64, device=batch.device)
            for step in range(1, self.T + 1):
                k = torch.full((batch.shape[0],), step, device=batch.device)
                for _ in range(samples):
                    x_k = self.corrupt(batch, k, generator)
                    total += self._step_terms(denoiser, batch, x_k, k)[0] / samples
            return total

        return self.per_string(denoiser, strings, seed, batch_size, bound)

    # ---- sampling -------------------------------------------------------------------------
    def sample(self, denoiser, count, seed, batch_size: int = 1024):
        """Ancestral sampling from uniform noise x_T over T reverse steps."""
        def one_batch(size, generator):
            device = generator.device
            x = torch.randint(0, self.v, (size, self.d), generator=generator, device=device)
            for step in range(self.T, 0, -1):
                t = torch.full((size,), step / self.T, device=device)
                p0 = log_scores(denoiser, x, t, self.v).double().exp()
                x = categorical(self.reverse_probs(x, step, p0), generator)
            return x

        return self.generate(denoiser, count, seed, batch_size, one_batch)


__all__ = ["UniformDiffusion"]
