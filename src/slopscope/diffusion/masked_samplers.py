"""The masked family's samplers, registered by name: "one-per-step" and "grid".

Both take a batch x (B, d) whose masked tokens (id family.mask) are to be filled in, starting at
each row's time t0 = its masked share (all-mask rows start at t = 1), and work in place.
MaskedDiffusion.choose_sampler picks one from the `sample`/`complete` options.
"""

from __future__ import annotations

import torch

from slopscope.diffusion.base import categorical
from slopscope.diffusion.samplers import register_sampler


@register_sampler("masked", "one-per-step")
def one_per_step(family, denoiser, x, generator, stats):
    """One masked position per network call, at t = (masked share) of each row."""
    device, size = generator.device, x.shape[0]
    rows = torch.arange(size, device=device)
    for _ in range(int((x == family.mask).sum(dim=1).max().item()) if size else 0):
        masked = x == family.mask
        t = masked.sum(dim=1).to(torch.float32) / family.d
        active = masked.any(dim=1)
        logp = family.log_probs(denoiser, x, torch.where(active, t, 1.0 / family.d))
        stats["network_calls"] += 1
        stats["rows_evaluated"] += size
        pick = torch.rand((size, family.d), generator=generator, device=device)
        pos = torch.where(masked, pick, -1.0).argmax(dim=1)
        u = torch.rand(size, generator=generator, device=device)
        value = categorical(logp[rows, pos].double().exp(), u=u)
        x[rows, pos] = torch.where(active, value, x[rows, pos])
    return x


@register_sampler("masked", "grid")
def grid(family, denoiser, x, generator, stats, steps, skip):
    """K = steps steps from each row's start time t0 (its masked share) down to 0: at step k
    every masked token is revealed with probability 1 / (K - k), the network told t0 (1 - k/K).
    skip=True: rows whose state did not change since the last call are not re-evaluated."""
    device, size = generator.device, x.shape[0]
    t0 = (x == family.mask).sum(dim=1).to(torch.float32) / family.d
    logp = torch.empty((size, family.d, family.v), device=device)
    stale = torch.ones(size, dtype=torch.bool, device=device)
    for k in range(steps):
        t, s = 1.0 - k / steps, 1.0 - (k + 1) / steps
        rows = stale.nonzero().squeeze(1) if skip else torch.arange(size, device=device)
        if rows.numel():
            tt = t0[rows].clamp(min=1.0 / family.d) * t
            logp[rows] = family.log_probs(denoiser, x[rows], tt).to(logp.dtype)
            stats["network_calls"] += 1
            stats["rows_evaluated"] += int(rows.numel())
        reveal_u = torch.rand((size, family.d), generator=generator, device=device)
        value_u = torch.rand((size, family.d), generator=generator, device=device)
        reveal = (x == family.mask) & (reveal_u < (t - s) / t)
        where = reveal.nonzero(as_tuple=True)
        if where[0].numel():
            x[where] = categorical(logp[where].double().exp(), u=value_u[where])
        stale = reveal.any(dim=1)
    return x
