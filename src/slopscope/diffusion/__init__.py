"""Diffusion families behind one interface: corrupt, loss, sample, nll_bound, and exact oracles.

    family = get_family("masked", v=16, d=8)
    loss = family.loss(denoiser, x0, generator)
    strings = family.sample(denoiser, 1000, seed=0)  # masked: sampler_steps=K for a K-step grid
    nelbo = family.nll_bound(denoiser, strings, seed=0)
    oracle = family.grammar_oracle(rhm)        # a denoiser, usable wherever a network is

Samplers are registered by name per family (slopscope.diffusion.samplers):
list_samplers("masked") -> ['grid', 'one-per-step']; get_sampler(family, name) looks one up and
@register_sampler(family, name) adds one. A family's `sample` options pick among its samplers.
"""

from __future__ import annotations

import inspect

from slopscope.diffusion.base import DiffusionFamily
from slopscope.diffusion.gaussian import GaussianDiffusion
from slopscope.diffusion.masked import MaskedDiffusion
from slopscope.diffusion.samplers import SAMPLERS, get_sampler, list_samplers, register_sampler
from slopscope.diffusion.uniform import UniformDiffusion
from slopscope.errors import SlopscopeError

FAMILIES: dict[str, type[DiffusionFamily]] = {
    MaskedDiffusion.name: MaskedDiffusion,
    UniformDiffusion.name: UniformDiffusion,
    GaussianDiffusion.name: GaussianDiffusion,
}


def get_family(name: str, v: int, d: int, **options) -> DiffusionFamily:
    """The noise family `name` for strings of d tokens over a vocabulary of v."""
    if name not in FAMILIES:
        raise SlopscopeError(f"family={name!r}; allowed: {', '.join(sorted(FAMILIES))}")
    try:
        return FAMILIES[name](v=v, d=d, **options)
    except TypeError as exc:
        allowed = ", ".join(family_options(name)) or "none"
        raise SlopscopeError(f"bad option for family {name!r}: {exc}; allowed: {allowed}"
                             " (sampler options go to family.sample)") from None


def family_options(name: str) -> list[str]:
    """The keyword options of family `name` (its constructor: they define the model)."""
    params = inspect.signature(FAMILIES[name].__init__).parameters
    return [p for p in params if p not in ("self", "v", "d")]


def sampler_options(name: str) -> list[str]:
    """The keyword options of family `name`'s sampler that a measurement may set."""
    params = inspect.signature(FAMILIES[name].sample).parameters
    return [p for p in params
            if p not in ("self", "denoiser", "count", "seed", "batch_size", "return_stats")]


__all__ = [
    "FAMILIES",
    "SAMPLERS",
    "DiffusionFamily",
    "GaussianDiffusion",
    "MaskedDiffusion",
    "UniformDiffusion",
    "family_options",
    "get_family",
    "get_sampler",
    "list_samplers",
    "register_sampler",
    "sampler_options",
]
