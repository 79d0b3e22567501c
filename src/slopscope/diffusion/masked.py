"""Masked (absorbing-state) diffusion, MDLM-style (Sahoo et al. 2024).

Each token is independently replaced by the mask token (id v) with probability 1 - alpha_t, with
the log-linear schedule alpha_t = 1 - t. The denoiser's output puts zero mass on the mask token
(it only scores the v real tokens) and unmasked tokens are carried over unchanged. The
continuous-time NELBO weights the masked tokens' cross-entropy by -alpha'_t / (1 - alpha_t) = 1/t.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from slopscope.diffusion import masked_samplers  # noqa: F401  (registers the samplers)
from slopscope.diffusion.base import DiffusionFamily, log_scores
from slopscope.diffusion.samplers import get_sampler
from slopscope.errors import SlopscopeError, check_int

MAX_SAMPLER_STEPS = 100_000  # network calls per sampled batch

def alpha(t: torch.Tensor) -> torch.Tensor:
    """Probability that a token is still clean at time t (log-linear schedule)."""
    return 1.0 - t


def loss_weight(t: torch.Tensor) -> torch.Tensor:
    """-alpha'(t) / (1 - alpha(t)) for alpha(t) = 1 - t, i.e. 1/t."""
    return 1.0 / t


class MaskedDiffusion(DiffusionFamily):
    """Absorbing-state diffusion. Option: eps (smallest training time, default 1e-3). Sampler
    options (measurement settings): sampler_steps (None = d steps unmasking exactly one token
    each, the registered sampler "one-per-step"; K = the ancestral sampler on a uniform time grid
    of K steps, "grid", in masked_samplers.py) and skip. NELBO estimators: ESTIMATORS."""

    name = "masked"
    needs_time = False  # with carry-over, the exact denoiser does not depend on t
    can_complete = True

    def __init__(self, v: int, d: int, eps: float = 1e-3):
        super().__init__(v, d)
        if not 0.0 <= eps < 1.0:
            raise SlopscopeError(f"eps={eps} must be in [0, 1)")
        self.eps = float(eps)
        self.mask = v

    @property
    def input_vocab(self) -> int:
        return self.v + 1

    # ---- forward process and denoising distribution -----------------------------------------
    def corrupt(self, x0, t, generator):
        u = torch.rand(x0.shape, generator=generator, device=x0.device)
        return torch.where(u < t[:, None], torch.full_like(x0, self.mask), x0)

    def log_probs(self, denoiser, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """log p(x0 | x_t) (B, d, v): the denoiser's scores at masked positions, a point mass on
        x_t at unmasked ones (carry-over). The mask token has no slot, hence zero mass."""
        logp = log_scores(denoiser, x_t, t, self.v)
        unmasked = x_t != self.mask
        carry = torch.full_like(logp, -math.inf)
        carry.scatter_(-1, torch.where(unmasked, x_t, 0)[..., None], 0.0)
        return torch.where(unmasked[..., None], carry, logp)

    def leaf_log_likelihood(self, x_t, t):
        ev = torch.zeros(x_t.shape + (self.v,), dtype=torch.float64, device=x_t.device)
        unmasked = x_t != self.mask
        onehot = torch.full_like(ev, -math.inf).scatter_(
            -1, torch.where(unmasked, x_t, 0)[..., None], 0.0
        )
        return torch.where(unmasked[..., None], onehot, ev)

    # ---- training -------------------------------------------------------------------------
    def antithetic_times(self, count: int, generator, device) -> torch.Tensor:
        """Stratified times (u + i/B) mod 1, mapped to [eps, 1]: lower-variance loss estimates."""
        u = torch.rand(1, generator=generator, device=device)
        t = (u + torch.arange(count, device=device) / count) % 1.0
        return self.eps + (1.0 - self.eps) * t

    def masked_nll(self, denoiser, x0, x_t, t) -> torch.Tensor:
        """Sum over masked positions of -log p(x0_i | x_t), per string (B,)."""
        logp = self.log_probs(denoiser, x_t, t)
        nll = -logp.gather(-1, x0[..., None]).squeeze(-1)
        return torch.where(x_t == self.mask, nll, torch.zeros_like(nll)).sum(dim=1)

    def loss(self, denoiser, x0, generator):
        t = self.antithetic_times(x0.shape[0], generator, x0.device)
        x_t = self.corrupt(x0, t, generator)
        return (loss_weight(t) * self.masked_nll(denoiser, x0, x_t, t)).mean() / self.d

    # ---- likelihood -----------------------------------------------------------------------
    def nll_bound(self, denoiser, strings, seed, estimator: str = "k-mask", samples: int = 1,
                  batch_size: int = 256) -> np.ndarray:
        """Per-string NELBO (nats) = sum_k (1/k) E_{|M|=k}[sum_{i in M} -log p(x_i | x with M
        masked)]. estimator: "k-mask" (`samples` random masks per k), "exact" (every mask; for
        small d) or "continuous" (`samples` draws of t ~ U(0, 1), weight 1/t)."""
        if estimator not in self.ESTIMATORS:
            allowed = ", ".join(repr(name) for name in self.ESTIMATORS)
            raise SlopscopeError(f"estimator={estimator!r}; allowed: {allowed}")
        if estimator == "exact" and self.d > 16:
            raise SlopscopeError(f"exact NELBO enumerates 2**d masks; d={self.d} allowed <= 16")
        samples = check_int("samples", samples, minimum=1)
        estimate = getattr(self, self.ESTIMATORS[estimator])
        return self.per_string(denoiser, strings, seed, batch_size,
                               lambda batch, generator: estimate(denoiser, batch, generator,
                                                                 samples))

    # estimator name -> the method computing it, (denoiser, x0, generator, samples) -> (B,)
    ESTIMATORS = {"k-mask": "_nelbo_k_mask", "exact": "_nelbo_exact",
                  "continuous": "_nelbo_continuous"}

    def _nll_with_mask(self, denoiser, x0, masked: torch.Tensor) -> torch.Tensor:
        x_t = torch.where(masked, torch.full_like(x0, self.mask), x0)
        t = masked.float().mean(dim=1)
        return self.masked_nll(denoiser, x0, x_t, t).double()

    def _nelbo_k_mask(self, denoiser, x0, generator, samples):
        total = torch.zeros(x0.shape[0], dtype=torch.float64, device=x0.device)
        for k in range(1, self.d + 1):
            for _ in range(samples):
                ranks = torch.rand(x0.shape, generator=generator, device=x0.device).argsort(1)
                total += self._nll_with_mask(denoiser, x0, ranks < k) / (k * samples)
        return total

    def _nelbo_exact(self, denoiser, x0, generator, samples):
        total = torch.zeros(x0.shape[0], dtype=torch.float64, device=x0.device)
        for k in range(1, self.d + 1):
            subsets = list(itertools.combinations(range(self.d), k))
            for subset in subsets:
                masked = torch.zeros(x0.shape, dtype=torch.bool, device=x0.device)
                masked[:, list(subset)] = True
                total += self._nll_with_mask(denoiser, x0, masked) / (k * len(subsets))
        return total

    def _nelbo_continuous(self, denoiser, x0, generator, samples):
        total = torch.zeros(x0.shape[0], dtype=torch.float64, device=x0.device)
        for _ in range(samples):
            t = torch.rand(x0.shape[0], generator=generator, device=x0.device).clamp_min(1e-6)
            x_t = self.corrupt(x0, t, generator)
            total += self.masked_nll(denoiser, x0, x_t, t).double() / t.double() / samples
        return total

    # ---- sampling -------------------------------------------------------------------------
    @classmethod
    def check_sampler(cls, options: dict) -> None:
        if options.get("sampler_steps") is not None:
            check_int("sampler_steps", options["sampler_steps"], minimum=1,
                      maximum=MAX_SAMPLER_STEPS)
        if not isinstance(options.get("skip", True), bool):
            raise SlopscopeError(f"skip={options['skip']!r} must be true or false")

    def sample(self, denoiser, count, seed, sampler_steps: int | None = None, skip: bool = True,
               batch_size: int = 1024, return_stats: bool = False):
        """Ancestral sampling from all-mask. sampler_steps: None = d steps, one token unmasked
        per step (a uniformly random masked position); K = uniform time grid of K steps where
        each masked token is revealed with probability (t - s)/t, and (skip=True) rows whose
        state did not change since the last call are not re-evaluated (same strings, fewer
        evaluations). Returns int64 (count, d) [and stats: network calls, rows evaluated and
        the number of steps]."""
        self.check_sampler({"sampler_steps": sampler_steps, "skip": skip})
        name, options = self.choose_sampler(sampler_steps, skip)
        sampler = get_sampler(self, name)
        stats = {"network_calls": 0, "rows_evaluated": 0, "steps": options.get("steps", self.d)}

        def one_batch(size, generator):
            x = torch.full((size, self.d), self.mask, dtype=torch.long, device=generator.device)
            return sampler(self, denoiser, x, generator, stats, **options)

        out = self.generate(denoiser, count, seed, batch_size, one_batch)
        return (out, stats) if return_stats else out

    def complete(self, denoiser, strings, known, seed, sampler_steps: int | None = None,
                 skip: bool = True, batch_size: int = 1024) -> np.ndarray:
        """Fill in the unknown positions of `strings` (known: (B, d) bool, True = revealed) by
        the same ancestral samplers, started at the time t = (share of unknown tokens) that the
        partly masked string corresponds to (alpha(t) = 1 - t). Revealed tokens stay."""
        self.check_sampler({"sampler_steps": sampler_steps, "skip": skip})
        x0 = self.check_strings(strings)
        known = torch.as_tensor(np.asarray(known, dtype=bool))
        if known.shape != x0.shape:
            raise SlopscopeError(f"known {tuple(known.shape)} must have the shape of the "
                                 f"strings {tuple(x0.shape)}")
        start = torch.where(known, x0, torch.full_like(x0, self.mask))
        name, options = self.choose_sampler(sampler_steps, skip)
        sampler = get_sampler(self, name)
        stats = {"network_calls": 0, "rows_evaluated": 0}
        first = iter(range(0, start.shape[0], batch_size))

        def one_batch(size, generator):
            begin = next(first)
            x = start[begin:begin + size].to(generator.device)
            return sampler(self, denoiser, x, generator, stats, **options)

        return self.generate(denoiser, start.shape[0], seed, batch_size, one_batch)

    def choose_sampler(self, sampler_steps: int | None, skip: bool) -> tuple[str, dict]:
        """The registered sampler (slopscope.diffusion.samplers) that the `sample` options pick,
        and its options: None -> "one-per-step"; K -> "grid" with steps=K and skip."""
        if sampler_steps is None:
            return "one-per-step", {}
        return "grid", {"steps": int(sampler_steps), "skip": skip}
