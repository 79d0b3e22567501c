"""What a run's training costs, counted before it starts: the FLOP of one training step (a
forward and backward pass of the loss on one batch, counted by torch's FlopCounterMode on the
run's own network), times the steps; and what that is in hours on a named GPU, at a stated
share of its peak (an assumption, printed with the figure; benchmarks/gpu.py measures the real
rate on a GPU)."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

# the named GPU of the estimate: an H100 SXM's dense TF32 tensor-core peak, and the share of it
# assumed sustained by small-batch training of these models
GPU_NAME = "H100"
GPU_PEAK_FLOPS = 4.95e14
GPU_SHARE = 0.3


def step_flops(family, net, train_strings, batch_size: int) -> float:
    """FLOP of one training step (forward and backward; the optimiser's few per parameter left
    out), counted on the network with a throwaway generator (the run's own is not touched)."""
    x = family.check_strings(train_strings, "train_strings")
    device = next(net.parameters()).device
    x = x[:min(batch_size, x.shape[0])].to(device)
    generator = torch.Generator(device=device).manual_seed(0)
    counter = FlopCounterMode(display=False)
    with counter:
        loss = family.loss(net, x, generator)
        loss.backward()
    net.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


def describe_cost(flops_per_step: float, steps: int) -> str:
    """One line: the training FLOP and the hours on the named GPU at the assumed share."""
    total = flops_per_step * steps
    seconds = total / (GPU_PEAK_FLOPS * GPU_SHARE)
    took = f"{seconds / 3600:.3g} h" if seconds >= 360 else f"{seconds:.2g} s"
    return (f"training cost: {total:.2g} FLOP ({flops_per_step:.2g} per step x {steps} steps); "
            f"about {took} on one {GPU_NAME} at {GPU_SHARE:.0%} of its dense TF32 peak "
            f"({GPU_PEAK_FLOPS / 1e12:.0f} TFLOP/s)")
