"""A small bidirectional transformer denoiser (PyTorch SDPA attention; CPU and CUDA)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from slopscope.errors import SlopscopeError, check_int


@dataclass(frozen=True)
class TransformerConfig:
    """CPU defaults: width 64, 2 layers (about 100k parameters at v = 16, d = 16)."""

    # seconds per string trained on and per string per network call while measuring, at width
    # 64 and d = 8, one thread on the 2-core machines (benchmarks/run_time.py --fit): for the
    # run-time estimate (slopscope.experiments.config.run_time)
    TRAIN_SECONDS_PER_SAMPLE: ClassVar[float] = 1.453e-4
    CALL_SECONDS_PER_STRING: ClassVar[float] = 3.928e-5

    width: int = 64
    layers: int = 2
    heads: int = 4
    mlp_ratio: int = 4

    def __post_init__(self):
        check_int("width", self.width, minimum=1)
        check_int("layers", self.layers, minimum=1)
        check_int("heads", self.heads, minimum=1)
        check_int("mlp_ratio", self.mlp_ratio, minimum=1)
        if self.width % self.heads:
            raise SlopscopeError(
                f"width={self.width} is not divisible by heads={self.heads}; allowed: "
                "width a multiple of heads"
            )

    def memory_counts(self, batch: int, d: int, v: int) -> tuple[int, int]:
        """(parameters, float activations kept for the backward pass of a batch), generous
        estimates for the memory check (slopscope.experiments.config.run_size)."""
        width, ratio = self.width, self.mlp_ratio
        io = batch * d * v * 4  # input vectors (gaussian), logits, their softmax and gradient
        per_layer = batch * d * width * (10 + 2 * ratio) + 2 * batch * self.heads * d * d
        acts = self.layers * per_layer + batch * d * width * 4 + io
        params = (2 * v + 2 + d) * width + self.layers * (4 + 2 * ratio) * width * width
        return params, acts


@torch.no_grad()
def reset_parameters(model: nn.Module, generator: torch.Generator) -> None:
    """Deterministic initialisation from an explicit generator (no global RNG): uniform
    +-1/sqrt(fan_in) linear weights, zero biases, N(0, 0.02) embeddings and positions."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            bound = 1.0 / math.sqrt(module.in_features)
            module.weight.uniform_(-bound, bound, generator=generator)
            module.bias.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.normal_(0.0, 0.02, generator=generator)
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()
    for name, param in model.named_parameters():
        if name == "pos":
            param.normal_(0.0, 0.02, generator=generator)


def time_features(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of t in [0, 1] (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device) / max(half, 1))
    angles = 1000.0 * t.float()[:, None] * freqs[None, :]
    feats = torch.cat([angles.sin(), angles.cos()], dim=1)
    return F.pad(feats, (0, dim - feats.shape[1]))


class Block(nn.Module):
    def __init__(self, width: int, heads: int, mlp_ratio: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, mlp_ratio * width), nn.GELU(), nn.Linear(mlp_ratio * width, width)
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        B, d, w = h.shape
        q, k, v = self.qkv(self.norm1(h)).view(B, d, 3, self.heads, w // self.heads).unbind(2)
        att = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                             v.transpose(1, 2))
        h = h + self.proj(att.transpose(1, 2).reshape(B, d, w))
        return h + self.mlp(self.norm2(h))


class Transformer(nn.Module):
    """Denoiser: x_t (B, d) token ids in [0, input_vocab) — or (B, d, v) vectors when
    input_vocab is None — and t (B,) -> (B, d, v) logits over the clean token."""

    def __init__(self, v: int, d: int, input_vocab: int | None, use_time: bool,
                 config: TransformerConfig = TransformerConfig()):
        super().__init__()
        self.v, self.d, self.use_time, self.config = v, d, use_time, config
        width = config.width
        self.embed = nn.Embedding(input_vocab, width) if input_vocab else nn.Linear(v, width)
        self.pos = nn.Parameter(torch.zeros(d, width))
        self.time = (
            nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
            if use_time else None
        )
        self.blocks = nn.ModuleList(
            Block(width, config.heads, config.mlp_ratio) for _ in range(config.layers)
        )
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, v)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = self.embed(x_t) + self.pos
        if self.time is not None:
            h = h + self.time(time_features(t, self.config.width))[:, None, :]
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h))
