"""The GPU check, one prepared script for the day a GPU is lent: training speed and model FLOP
utilisation at the paper's shapes, sampler speed, and the same verdicts on two devices.

1. Training: the paper's grammar (v = n = 6, m = 4, s = 2, L = 4, d = 16, a k^-1 tail on the
   root's productions), uniform-state D3PM at T = 200, the tree U-Net, Adam at lr 0.01, batch
   32 strings x 32 noise draws (1024 noisy sequences a step, as the authors train). Steps/s,
   sequences/s and FLOP/s against the device's measured fp32 matmul peak (MFU).
2. Sampling: strings/s of T = 200 reverse steps at that width.
3. Agreement: a small run of `--agree-preset` on two settings, CPU against CUDA (`--device
   cuda`), or one thread against two (`--device cpu`); the verdicts must carry the same words,
   and each statistic must lie within the wider of the two intervals' half-widths of the other
   (random streams differ between devices: the runs are not bit for bit the same).

    python benchmarks/gpu.py --device cuda                       # the lent GPU, paper width 4096
    python benchmarks/gpu.py --device cpu --tiny                 # CI-sized, on CPU
    python benchmarks/gpu.py --device cuda --width 1024 --steps 50 --generations 10000

It prints one line per figure and returns them as a dict (the test reads it). The paper's
width is 4096 (slopscope's U-Net, with its MLP blocks, then has about 9e8 parameters; the
authors' about 4e8).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from flops import peak_matmul_flops, synchronize, training_figures
from slopscope import RHM
from slopscope.diffusion import get_family
from slopscope.models import build_denoiser
from slopscope.threads import use_threads

PAPER_GRAMMAR = dict(v=6, n=6, m=4, s=2, L=4, zipf_a=0.0, zipf_levels=(1,))
NOISE_DRAWS = 32  # noisy copies of each training string per step (the authors')


def paper_shapes(width: int, chain_length: int, device):
    """(family, network, 32 training strings) at the paper's shapes on `device`."""
    grammar = RHM(seed=0, **PAPER_GRAMMAR)
    family = get_family("uniform", v=grammar.v, d=grammar.d, chain_length=chain_length)
    net = build_denoiser(family, "unet", seed=0, width=width, branching=grammar.s).to(device)
    strings = torch.from_numpy(grammar.sample(32, seed=0, unique=True).astype(np.int64))
    return family, net, strings.to(device)


def training_speed(family, net, strings, steps: int, device) -> dict:
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    generator = torch.Generator(device=device).manual_seed(0)
    batch = strings.repeat_interleave(NOISE_DRAWS, dim=0)

    def step():
        loss = family.loss(net, batch, generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    rows, flops = training_figures(step, batch.shape[0], steps, device, warmup=2)
    return {"steps_per_s": rows / batch.shape[0], "sequences_per_s": rows, "flop_per_s": flops}


def sampling_speed(family, net, generations: int, device) -> float:
    net.eval()
    family.sample(net, min(generations, 64), seed=1)  # warm-up
    synchronize(device)
    start = time.perf_counter()
    family.sample(net, generations, seed=0)
    synchronize(device)
    return generations / (time.perf_counter() - start)


def verdicts_of(preset: str, overrides: list[str], device: str, threads: int) -> dict:
    """{finding: (verdict, statistic, low, high)} of one fresh run of the preset."""
    from slopscope.experiments.config.schema import load_config
    from slopscope.experiments.run.runner import run_experiment
    from slopscope.summary import read_summary

    use_threads(threads)
    config = load_config(preset, [*overrides, f'train.device="{device}"'])
    with tempfile.TemporaryDirectory() as runs:
        run_dir = run_experiment(config, config.seeds[0], runs, progress=False)
        findings = read_summary(run_dir).findings
    return {name: (v.verdict, v.statistic, v.low, v.high) for name, v in findings.items()}


def agree(first: tuple, second: tuple) -> bool:
    """Same verdict words; statistics within the wider interval half-width of the two."""
    if first[0] != second[0]:
        return False
    if first[1] is None or second[1] is None:
        return first[1] is None and second[1] is None
    half = max((h - lo) / 2 for _, _, lo, h in (first, second) if lo is not None and h is not None)
    return abs(first[1] - second[1]) <= half


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda[:N] or cpu")
    parser.add_argument("--tiny", action="store_true",
                        help="CI-sized: width 32, T = 10, 2 steps, 32 generations, a short run")
    parser.add_argument("--width", type=int, default=4096)
    parser.add_argument("--chain-length", type=int, default=200)
    parser.add_argument("--steps", type=int, default=20, help="timed training steps")
    parser.add_argument("--generations", type=int, default=2048)
    parser.add_argument("--agree-preset", default="demo")
    parser.add_argument("--agree-overrides", nargs="*", default=None)
    args = parser.parse_args(argv)
    if args.tiny:
        args.width, args.chain_length, args.steps, args.generations = 32, 10, 2, 32
    agree_overrides = args.agree_overrides
    if agree_overrides is None:
        agree_overrides = (["train.steps=60", "train.first_checkpoint=20", "train.checkpoints=2",
                            "measure.generations=200"]
                           if args.tiny else [])
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: CUDA is not available here; use --device cpu")
    use_threads(1)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU, 1 thread"
    figures = {"device": name, "peak_flop_per_s": peak_matmul_flops(device)}
    print(f"device: {name}; fp32 matmul peak {figures['peak_flop_per_s'] / 1e12:.2f} TFLOP/s")

    family, net, strings = paper_shapes(args.width, args.chain_length, device)
    params = sum(p.numel() for p in net.parameters())
    figures.update(training_speed(family, net, strings, args.steps, device), parameters=params)
    figures["mfu"] = figures["flop_per_s"] / figures["peak_flop_per_s"]
    print(f"training, width {args.width} ({params / 1e6:.1f}M parameters), T = "
          f"{args.chain_length}, 32 x {NOISE_DRAWS} sequences a step: "
          f"{figures['steps_per_s']:.2f} steps/s, {figures['sequences_per_s']:.0f} sequences/s, "
          f"{figures['flop_per_s'] / 1e12:.2f} TFLOP/s, MFU {figures['mfu']:.1%}")
    figures["strings_per_s"] = sampling_speed(family, net, args.generations, device)
    print(f"sampling, {args.generations} strings x {args.chain_length} reverse steps: "
          f"{figures['strings_per_s']:.1f} strings/s")
    del net

    if device.type == "cuda":
        settings = (("cpu", 1), (args.device, 1))
    else:
        settings = (("cpu", 1), ("cpu", 2))
    runs = [verdicts_of(args.agree_preset, agree_overrides, dev, threads)
            for dev, threads in settings]
    use_threads(1)
    figures["agreement"] = {}
    for finding in runs[0]:
        same = agree(runs[0][finding], runs[1][finding])
        figures["agreement"][finding] = same
        print(f"{finding}: {settings[0]} {runs[0][finding][:2]} vs {settings[1]} "
              f"{runs[1][finding][:2]}: {'agree' if same else 'DIFFER'}")
    return figures


if __name__ == "__main__":
    main()
