"""What the speed benchmarks share: a device's measured fp32 matmul peak, and the rate and FLOP/s
of full training steps (forward, backward, optimiser), timed with the device synchronised."""

from __future__ import annotations

import time

import torch
from torch.utils.flop_counter import FlopCounterMode


def synchronize(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def peak_matmul_flops(device="cpu", n: int | None = None, repeats: int = 10) -> float:
    """FLOP/s of an n x n fp32 matmul on `device` (n: 1024 on CPU, 8192 on CUDA)."""
    n = n or (8192 if torch.device(device).type == "cuda" else 1024)
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    torch.matmul(a, b)
    synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.matmul(a, b)
    synchronize(device)
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def training_figures(step, rows: int, steps: int, device="cpu",
                     warmup: int = 3) -> tuple[float, float]:
    """(rows/s, FLOP/s) of `step()`, one training step over `rows` sequences: FLOPs counted on
    one step, then `steps` steps timed after `warmup` untimed ones."""
    counter = FlopCounterMode(display=False)
    with counter:
        step()
    flops = counter.get_total_flops()
    for _ in range(warmup):
        step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize(device)
    seconds = (time.perf_counter() - start) / steps
    return rows / seconds, flops / seconds
