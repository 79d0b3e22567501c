"""The README demo alone and beside a busy process, at each thread setting: wall times and their
ratio (beside / alone). Every figure is measured in this one invocation, on this machine.

The busy process (`while True: pass` in Python) is started and stopped by the benchmark. The
demo runs as a fresh `slopscope run` process in a new runs directory each time, so numba's
on-disk cache is warm but nothing else is shared.

    python benchmarks/load.py                      # --threads 1 (the default) and 0 (torch's)
    python benchmarks/load.py --threads 1 --repeats 3
    python benchmarks/load.py --overrides train.steps=200 measure.generations=200   # quicker
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

BUSY = "while True: pass"


def demo_seconds(preset: str, threads: int, overrides: list[str]) -> float:
    """Wall time of one `slopscope run` of the preset in a fresh runs directory."""
    with tempfile.TemporaryDirectory() as runs:
        command = [sys.executable, "-m", "slopscope.cli", "run", preset, *overrides,
                   "--runs-dir", runs, "--quiet", "--threads", str(threads)]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


@contextmanager
def busy_process():
    """One process spinning on a core for as long as the block runs."""
    process = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        time.sleep(0.5)  # let it start spinning
        yield
    finally:
        process.kill()
        process.wait()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 0],
                        help="thread settings to compare (0: torch's default, one per core)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per cell (median shown)")
    parser.add_argument("--overrides", nargs="*", default=[], help="key=value of the preset")
    args = parser.parse_args(argv)

    demo_seconds(args.preset, 1, args.overrides)  # warm numba's cache and the file cache
    print(f"{args.preset} {' '.join(args.overrides)}: median of {args.repeats} run(s), seconds")
    print(f"{'threads':>8s} {'alone':>8s} {'beside 1 busy':>14s} {'ratio':>6s}")
    figures = {}
    for threads in args.threads:
        alone = statistics.median(demo_seconds(args.preset, threads, args.overrides)
                                  for _ in range(args.repeats))
        with busy_process():
            beside = statistics.median(demo_seconds(args.preset, threads, args.overrides)
                                       for _ in range(args.repeats))
        figures[threads] = (alone, beside, beside / alone)
        label = str(threads) if threads else "0 (torch)"
        print(f"{label:>8s} {alone:8.1f} {beside:14.1f} {beside / alone:6.2f}", flush=True)
    return figures


if __name__ == "__main__":
    main()
