"""Measurement speed and peak memory vs. straightforward NumPy broadcasting baselines.

Exact-copy counting and nearest-neighbour search for 10^4 generations x 10^5 training strings
(d = 16 and d = 64), and block / typicality statistics for 10^5 strings. Baselines run in the same
process on a subset and are extrapolated linearly (they are linear in the number of queries).

    python benchmarks/measure_speed.py [--gen 10000] [--train 100000]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from slopscope import RHM
from slopscope.measure import block_typicality, copy_counts, grammar_block_ids, nearest_hamming


def measured(fn, *args):
    """(result, seconds, peak MiB of Python/NumPy allocations during the call)."""
    tracemalloc.start()
    start = time.perf_counter()
    out = fn(*args)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, seconds, peak


def baseline_copy_counts(gen, train, chunk=64):
    counts = np.zeros(train.shape[0], dtype=np.int64)
    for start in range(0, gen.shape[0], chunk):
        equal = (gen[start:start + chunk, None, :] == train[None]).all(-1)
        counts += equal.sum(0)
    return counts


def baseline_nearest(gen, train, chunk=64):
    d1, d2 = [], []
    for start in range(0, gen.shape[0], chunk):
        dist = np.sort((gen[start:start + chunk, None, :] != train[None]).sum(-1), axis=1)
        d1.append(dist[:, 0])
        d2.append(dist[:, 1])
    return np.concatenate(d1), np.concatenate(d2)


def baseline_block_counts(ids_q, ids_t):
    """log(1 + count of others) by broadcasting equality per position."""
    out = []
    for k in ids_q:
        q, t = ids_q[k], ids_t[k]
        per = [(q[:, None, p] == t[None, :, p]).sum(1) for p in range(q.shape[1])]
        out.append(np.log1p(np.stack(per, 1) - 1).mean(1))
    return np.mean(out, axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gen", type=int, default=10_000)
    parser.add_argument("--train", type=int, default=100_000)
    parser.add_argument("--subset", type=int, default=256)
    args = parser.parse_args()
    print(f"{'operation':44s} {'fast s':>8s} {'MiB':>7s} {'baseline s':>11s} {'MiB':>7s} "
          f"{'ratio':>7s}")
    for L in (4, 6):
        g = RHM(v=16, n=16, m=4, s=2, L=L, seed=0)
        train = g.sample(args.train, seed=0, unique=True).astype(np.int64)
        gen = np.concatenate([train[: args.gen // 2], g.sample(args.gen - args.gen // 2, seed=1)])
        sub = gen[: args.subset]
        scale = args.gen / args.subset
        nearest_hamming(gen[:2], train[:2])  # compile outside the timing
        for name, fast, base in (("copy counts", copy_counts, baseline_copy_counts),
                                 ("nearest_hamming", nearest_hamming, baseline_nearest)):
            out, t_fast, m_fast = measured(fast, gen, train)
            ref, t_base, m_base = measured(base, sub, train)
            if name == "copy counts":
                assert out.sum() >= args.gen // 2
            else:
                np.testing.assert_array_equal(out[0][: args.subset], ref[0])
            t_base *= scale
            print(f"{name + f' {args.gen}x{args.train}, d={g.d}':44s} {t_fast:8.2f} "
                  f"{m_fast:7.0f} {t_base:11.1f} {m_base:7.0f} {t_base / t_fast:6.1f}x")
    g = RHM(v=16, n=16, m=4, s=2, L=4, seed=0)
    strings = g.sample(args.train, seed=2, unique=True)
    ids, t_ids, m_ids = measured(grammar_block_ids, g, strings)
    (t1, _), t_fast, m_fast = measured(block_typicality, ids, ids, True)
    sub_ids = {k: v[: args.subset] for k, v in ids.items()}
    ref, t_base, m_base = measured(baseline_block_counts, sub_ids, ids)
    np.testing.assert_allclose(t1[: args.subset], ref)
    t_base *= args.train / args.subset
    print(f"{f'block ids, {args.train} strings, d=16':44s} {t_ids:8.2f} {m_ids:7.0f}")
    print(f"{f'T1 typicality, {args.train} strings, d=16':44s} {t_fast:8.2f} {m_fast:7.0f} "
          f"{t_base:11.1f} {m_base:7.0f} {t_base / t_fast:6.1f}x")


if __name__ == "__main__":
    main()
