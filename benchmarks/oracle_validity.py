"""How many reverse steps the uniform and Gaussian samplers need: the share of valid strings when
the exact grammar oracle (belief propagation) is the denoiser, for each chain length T. The
reverse steps factorise over positions, so a short chain leaves invalid strings even with a
perfect denoiser; a run's sampler must have T where the oracle gives >= 99.9 % valid strings.

    python benchmarks/oracle_validity.py [--preset e2] [--count 20000] [--lengths 100,200,500,1000]
"""

from __future__ import annotations

import argparse
import math
import time

from slopscope.diffusion import get_family
from slopscope.experiments import load_config
from slopscope.grammar import RHM


def wilson_low(hits: int, n: int, z: float = 1.96) -> float:
    p = hits / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="e2")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--lengths", default="100,200,500,1000")
    parser.add_argument("--families", default="uniform,gaussian")
    args = parser.parse_args()
    gc = load_config(args.preset).grammar
    grammar = RHM(gc.v, gc.n, gc.m, gc.s, gc.L, seed=0, zipf_a=gc.zipf_a,
                  zipf_levels=gc.zipf_levels)
    print(f"grammar of {args.preset}: v={gc.v} n={gc.n} m={gc.m} s={gc.s} L={gc.L} d={grammar.d};"
          f" {args.count} oracle samples per cell; valid share [Wilson 95 % lower bound]")
    for name in args.families.split(","):
        for length in map(int, args.lengths.split(",")):
            family = get_family(name, v=grammar.v, d=grammar.d, chain_length=length)
            start = time.perf_counter()
            strings = family.sample(family.grammar_oracle(grammar), args.count, seed=0)
            valid = int(grammar.parse(strings).valid.sum())
            print(f"{name:8s} T={length:5d}: valid {valid / args.count:.5f} "
                  f"[{wilson_low(valid, args.count):.5f}]  ({time.perf_counter() - start:.1f} s)",
                  flush=True)


if __name__ == "__main__":
    main()
