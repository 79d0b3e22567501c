"""Denoiser backbones."""

from __future__ import annotations

import torch

from slopscope.errors import SlopscopeError, check_int
from slopscope.models.transformer import Transformer, TransformerConfig, reset_parameters
from slopscope.models.unet import TreeUNet, UNetConfig

BACKBONES = {
    "transformer": (Transformer, TransformerConfig),
    "unet": (TreeUNet, UNetConfig),
}


def build_denoiser(family, backbone: str = "transformer", seed: int = 0, **config):
    """A network fitted to `family` (its input vocabulary and whether it needs t), with weights
    initialised from an explicit generator seeded by `seed` (same seed, same weights)."""
    if backbone not in BACKBONES:
        raise SlopscopeError(f"backbone={backbone!r}; allowed: {', '.join(sorted(BACKBONES))}")
    cls, config_cls = BACKBONES[backbone]
    try:
        cfg = config_cls(**config)
    except TypeError as exc:
        raise SlopscopeError(f"bad option for backbone {backbone!r}: {exc}") from None
    model = cls(family.v, family.d, family.input_vocab, family.needs_time, cfg)
    reset_parameters(model, torch.Generator().manual_seed(check_int("seed", seed, minimum=0)))
    return model


__all__ = [
    "BACKBONES",
    "Transformer",
    "TransformerConfig",
    "TreeUNet",
    "UNetConfig",
    "build_denoiser",
]
