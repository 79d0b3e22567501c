"""A tree-aligned 1-D U-Net: one down and one up block per grammar level.

Each down block is a convolution with kernel = stride = s (an s-tuple of children -> one parent,
exactly the shape of a production), each up block its transpose; skip connections join equal
resolutions. Written as reshape + linear in (B, length, channels) layout, which is the same
operation as conv1d(kernel=s, stride=s) and lets LayerNorm act per position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from slopscope.errors import SlopscopeError, check_int
from slopscope.models.transformer import time_features


@dataclass(frozen=True)
class UNetConfig:
    # seconds per string trained on and per string per network call while measuring, at width
    # 64 and d = 8, one thread on the 2-core machines (benchmarks/run_time.py --fit): for the
    # run-time estimate (slopscope.experiments.config.run_time)
    TRAIN_SECONDS_PER_SAMPLE: ClassVar[float] = 1.567e-4
    CALL_SECONDS_PER_STRING: ClassVar[float] = 2.839e-5
    # what it takes from a grammar when the run does not set it: the branching factor s
    FROM_GRAMMAR: ClassVar[dict] = {"branching": "s"}

    width: int = 64
    branching: int = 2  # s: the grammar's branching factor; d must be a power of it
    mlp_ratio: int = 2

    def __post_init__(self):
        check_int("width", self.width, minimum=1)
        check_int("branching", self.branching, minimum=2)
        check_int("mlp_ratio", self.mlp_ratio, minimum=1)

    def memory_counts(self, batch: int, d: int, v: int) -> tuple[int, int]:
        """(parameters, float activations of a batch): one down and one up block per level, of
        lengths d, d/b, ... (their sum < d b / (b - 1)); d must be a power of the branching."""
        b, width, ratio = self.branching, self.width, self.mlp_ratio
        levels = levels_of(d, b)
        io = batch * d * v * 4  # input vectors (gaussian), logits, their softmax and gradient
        acts = 2 * batch * (d * b // (b - 1)) * width * (6 + 2 * ratio) + io
        params = (2 * v + 2) * width + 2 * levels * (b + 2 * ratio) * width * width
        return params, acts


def levels_of(d: int, s: int) -> int:
    """L with s**L == d, or a clear error."""
    L, size = 0, 1
    while size < d:
        size *= s
        L += 1
    if size != d:
        raise SlopscopeError(f"d={d} is not a power of branching={s}; allowed: d = s**L")
    return L


class Residual(nn.Module):
    """h + MLP(LayerNorm(h)) per position."""

    def __init__(self, width: int, ratio: int):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, ratio * width), nn.GELU(),
                                 nn.Linear(ratio * width, width))

    def forward(self, h):
        return h + self.mlp(self.norm(h))


class Down(nn.Module):
    """conv1d(kernel=s, stride=s) over positions, then a residual MLP."""

    def __init__(self, width: int, s: int, ratio: int):
        super().__init__()
        self.s = s
        self.norm = nn.LayerNorm(width)
        self.conv = nn.Linear(s * width, width)
        self.act = nn.GELU()
        self.res = Residual(width, ratio)

    def forward(self, h):
        B, n, c = h.shape
        return self.res(self.act(self.conv(self.norm(h).reshape(B, n // self.s, self.s * c))))


class Up(nn.Module):
    """conv_transpose1d(kernel=s, stride=s), add the skip, then a residual MLP."""

    def __init__(self, width: int, s: int, ratio: int):
        super().__init__()
        self.s = s
        self.norm = nn.LayerNorm(width)
        self.conv = nn.Linear(width, s * width)
        self.res = Residual(width, ratio)

    def forward(self, h, skip):
        B, n, c = h.shape
        return self.res(self.conv(self.norm(h)).reshape(B, n * self.s, c) + skip)


class TreeUNet(nn.Module):
    """Denoiser with the same interface as the transformer: (x_t, t) -> (B, d, v) logits."""

    def __init__(self, v: int, d: int, input_vocab: int | None, use_time: bool,
                 config: UNetConfig = UNetConfig()):
        super().__init__()
        self.v, self.d, self.config = v, d, config
        width, s = config.width, config.branching
        self.L = levels_of(d, s)
        self.embed = nn.Embedding(input_vocab, width) if input_vocab else nn.Linear(v, width)
        self.pos = nn.Parameter(torch.zeros(d, width))
        self.time = (
            nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
            if use_time else None
        )
        self.downs = nn.ModuleList(Down(width, s, config.mlp_ratio) for _ in range(self.L))
        self.middle = Residual(width, config.mlp_ratio)
        self.ups = nn.ModuleList(Up(width, s, config.mlp_ratio) for _ in range(self.L))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, v)

    def forward(self, x_t, t):
        h = self.embed(x_t) + self.pos
        if self.time is not None:
            h = h + self.time(time_features(t, self.config.width))[:, None, :]
        skips = []
        for down in self.downs:
            skips.append(h)
            h = down(h)
        h = self.middle(h)
        for up, skip in zip(reversed(self.ups), reversed(skips), strict=True):
            h = up(h, skip)
        return self.head(self.norm(h))
