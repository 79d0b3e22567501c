"""Noise schedules for the discrete-time families: alpha_bar[k], k = 0..T, the probability mass
(uniform) or signal variance (Gaussian) kept from x0 after k steps. alpha_bar[0] = 1."""

from __future__ import annotations

import math

import torch

from slopscope.errors import SlopscopeError, check_int


def cosine(T: int, offset: float = 0.008) -> torch.Tensor:
    """Nichol & Dhariwal's cosine schedule, ending at exactly 0 (pure noise) at k = T."""
    k = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos(math.pi / 2 * (k / T + offset) / (1 + offset)) ** 2
    out = (f / f[0]).clamp(0.0, 1.0)
    out[-1] = 0.0
    return out


def linear(T: int) -> torch.Tensor:
    """alpha_bar decreasing linearly from 1 to 0."""
    return 1.0 - torch.arange(T + 1, dtype=torch.float64) / T


def beta_linear(T: int, start: float = 1e-3, end: float = 0.1) -> torch.Tensor:
    """D3PM's linear beta schedule (as in the authors' experiment: beta from 1e-3 to 0.1):
    beta_k rises linearly from `start` (k = 1) to `end` (k = T), alpha_bar[k] = prod_{j<=k}
    (1 - beta_j)."""
    beta = (torch.linspace(start, end, T, dtype=torch.float64) if T > 1
            else torch.tensor([end], dtype=torch.float64))
    return torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1.0 - beta, 0)])


MAX_CHAIN_LENGTH = 100_000  # reverse steps of the discrete-time chains (a sampler makes T calls)
SCHEDULES = {"cosine": cosine, "linear": linear, "beta-linear": beta_linear}


def make_schedule(name: str, T: int) -> torch.Tensor:
    T = check_int("chain_length", T, minimum=1, maximum=MAX_CHAIN_LENGTH)
    if name not in SCHEDULES:
        raise SlopscopeError(f"schedule={name!r}; allowed: {', '.join(sorted(SCHEDULES))}")
    return SCHEDULES[name](T)


def stratified_steps(count: int, T: int, generator, device) -> torch.Tensor:
    """Step indices in 1..T, stratified ((u + i/B) mod 1) for lower-variance loss estimates."""
    u = torch.rand(1, generator=generator, device=device)
    frac = (u + torch.arange(count, device=device) / count) % 1.0
    return (frac * T).long().clamp_max(T - 1) + 1


class DiscreteTime:
    """Mixin of the discrete-time families: a chain of T = chain_length steps, a schedule, and
    t <-> step k."""

    @classmethod
    def network_calls(cls, options: dict, d: int) -> int:
        """Their samplers (and the uniform NELBO) make T network calls."""
        return int(options.get("chain_length", 100))

    def _init_schedule(self, chain_length: int, schedule: str) -> None:
        self.T = check_int("chain_length", chain_length, minimum=1, maximum=MAX_CHAIN_LENGTH)
        self.schedule = schedule
        self.alpha_bar = make_schedule(schedule, self.T)  # (T + 1,) float64

    def steps_of(self, t: torch.Tensor) -> torch.Tensor:
        """Integer steps k from times t in [0, 1] (integer tensors are taken as steps)."""
        return t if not t.is_floating_point() else (t * self.T).round().long().clamp(0, self.T)
