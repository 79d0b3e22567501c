"""Training throughput and model FLOP utilisation, sampler skipping, and oracle sampling speed.

Figures are compared as ratios against baselines measured in the same process on the same
threads: training FLOP/s against a large fp32 matmul (model FLOP utilisation), the skipping
masked sampler against the plain one.

    python benchmarks/diffusion_speed.py [--threads 1] [--steps 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from flops import peak_matmul_flops, training_figures
from slopscope import RHM
from slopscope.diffusion import get_family
from slopscope.models import build_denoiser


def training_step(fam, backbone: str, x0: torch.Tensor):
    """One full training step (forward, backward, AdamW) of a fresh denoiser, as a closure."""
    net = build_denoiser(fam, backbone, seed=0)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)

    def step():
        loss = fam.loss(net, x0, gen)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    g = RHM(v=16, n=16, m=4, s=2, L=4, seed=0)
    fam = get_family("masked", v=g.v, d=g.d)
    x0 = torch.from_numpy(g.sample(args.batch, seed=0).astype(np.int64))
    peak = peak_matmul_flops()
    print(f"threads={args.threads}; peak fp32 matmul (1024^3): {peak / 1e9:.1f} GFLOP/s")
    print(f"{'training (masked, d=16, batch ' + str(args.batch) + ')':40s} {'strings/s':>10s} "
          f"{'GFLOP/s':>8s} {'MFU':>6s}")
    for backbone in ("transformer", "unet"):
        rate, flops = training_figures(training_step(fam, backbone, x0), x0.shape[0],
                                       args.steps)
        print(f"  {backbone:38s} {rate:10.0f} {flops / 1e9:8.2f} {flops / peak:6.1%}")

    net = build_denoiser(fam, seed=0).eval()
    print("masked sampler, 1024 strings, 128 steps (untrained default transformer):")
    times = {}
    for skip in (False, True):
        start = time.perf_counter()
        _, stats = fam.sample(net, 1024, seed=0, sampler_steps=128, skip=skip,
                              return_stats=True)
        times[skip] = time.perf_counter() - start
        print(f"  skip={str(skip):5s} calls={stats['network_calls']:4d} "
              f"rows evaluated={stats['rows_evaluated']:7d} time={times[skip]:.2f} s")
    print(f"  skipping speed-up: {times[False] / times[True]:.1f}x")

    train = g.sample(512, seed=1, unique=True)
    print("oracle samplers (strings/s, 1000 strings):")
    for name, options in (("masked", {}), ("uniform", {"chain_length": 100}),
                          ("gaussian", {"chain_length": 100})):
        family = get_family(name, v=g.v, d=g.d, **options)
        for label, oracle in (("grammar", family.grammar_oracle(g)),
                              ("empirical", family.empirical_oracle(train))):
            start = time.perf_counter()
            family.sample(oracle, 1000, seed=0)
            rate = 1000 / (time.perf_counter() - start)
            print(f"  {name:9s} {label:10s} {rate:10.0f}")


if __name__ == "__main__":
    main()
