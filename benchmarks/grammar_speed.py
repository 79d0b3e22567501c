"""Strings/s of the vectorised grammar engine vs. a per-string Python implementation.

Both run in this process on the same grammar (fast paths: best of 3 runs, after the compiled
kernels are loaded); the ratio is the figure of merit. Goal: >= 50x for sampling and parsing,
and 10**6 strings sampled + parsed in a few seconds on 2 cores.

    python benchmarks/grammar_speed.py [--count 1000000] [--L 4]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from slopscope import RHM
from slopscope.grammar.reference import Reference


def timed(fn, *args, repeats: int = 1):
    """Result and the best wall time of `repeats` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
    return out, best


def masked_evidence(g: RHM, strings: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ev = np.eye(g.v)[strings]
    ev[rng.random(strings.shape) < 0.5] = 1.0
    return ev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--bp-count", type=int, default=100_000)
    parser.add_argument("--baseline-count", type=int, default=20_000)
    parser.add_argument("--L", type=int, default=4)
    args = parser.parse_args()

    g = RHM(v=16, n=16, m=4, s=2, L=args.L, seed=0, zipf_a=0.5, zipf_levels=(1,))
    ref = Reference(g)
    rng = np.random.default_rng(0)
    print(f"grammar: {g}; Zipf a=0.5 at level 1")
    rows = []
    warm = g.sample(10, 0)  # compile / load the numba kernels outside the timings
    g.log_prob(warm), g.marginals(masked_evidence(g, warm, rng))

    x, t_fast = timed(g.sample, args.count, 1, repeats=3)
    base, t_ref = timed(ref.sample, args.baseline_count, 1)
    rows.append(("sample", args.count / t_fast, args.baseline_count / t_ref))

    parsed, t_parse = timed(g.parse, x, repeats=3)
    assert parsed.valid.all()
    sub = x[: args.baseline_count]
    _, t_ref = timed(lambda: [ref.parse(row) for row in sub])
    rows.append(("parse", args.count / t_parse, args.baseline_count / t_ref))

    _, t_fast = timed(g.log_prob, x, repeats=3)
    _, t_ref = timed(lambda: [ref.log_prob(row) for row in sub])
    rows.append(("log_prob", args.count / t_fast, args.baseline_count / t_ref))

    ev = masked_evidence(g, x[: args.bp_count], rng)
    _, t_fast = timed(g.marginals, ev, repeats=2)
    few = ev[:200]
    _, t_ref = timed(lambda: [ref.marginals(row) for row in few])
    rows.append(("BP marginals (50% masked)", args.bp_count / t_fast, few.shape[0] / t_ref))

    print(f"{'operation':28s} {'vectorised/s':>14s} {'per-string/s':>14s} {'ratio':>8s}")
    for name, fast, slow in rows:
        print(f"{name:28s} {fast:14.3g} {slow:14.3g} {fast / slow:8.1f}x")
    print(f"sample + parse of {args.count} strings: {args.count / rows[0][1] + t_parse:.2f} s")


if __name__ == "__main__":
    main()
