"""The run-time estimator (slopscope.experiments.config.run_time) against measured runs: each
configuration below runs as a fresh `slopscope run` in a new runs directory, one torch thread,
one at a time, and its own recorded time (done.json: training and measuring, without process
start-up) is printed beside the estimate and their ratio. `--fit` also prints the least-squares
constants of the estimator's cost model from these runs (how run_time.py's constants were set).

    python benchmarks/run_time.py            # every configuration below, about 6 min on 2 cores
    python benchmarks/run_time.py --fit

Time it alone: another busy process on a 2-core machine slows a run by up to 2x."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from slopscope.experiments.config.run_time import cost_terms, run_seconds
from slopscope.experiments.config.schema import load_config

UNET = ["train.checkpoints=4", "measure.generations=500"]
CONFIGURATIONS = [  # (preset, overrides): each backbone at two step counts and two sample counts
    ("demo", []),
    ("demo", ["train.steps=4500"]),
    ("demo", ["measure.generations=4000"]),
    ("demo", ["measure.likelihood=false"]),
    ("paper-cpu", [*UNET, "train.steps=3000"]),
    ("paper-cpu", [*UNET, "train.steps=9000"]),
    ("paper-cpu", [*UNET, "train.steps=3000", "measure.generations=2000"]),
    ("e3", []),
]


def measured_seconds(preset: str, overrides: list[str]) -> float:
    """The recorded time of one fresh run (done.json "seconds")."""
    with tempfile.TemporaryDirectory() as runs:
        subprocess.run([sys.executable, "-m", "slopscope.cli", "run", preset, *overrides,
                        "--runs-dir", runs, "--quiet", "--threads", "1"], check=True,
                       stdout=subprocess.DEVNULL)
        (done,) = Path(runs).glob("*/done.json")
        return float(json.loads(done.read_text())["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="print fitted cost constants")
    args = parser.parse_args()
    rows = []
    for preset, overrides in CONFIGURATIONS:
        config = load_config(preset, overrides)
        seconds, estimate = measured_seconds(preset, overrides), run_seconds(config)
        rows.append((config, seconds))
        print(f"{preset} {' '.join(overrides) or '(defaults)'}: measured {seconds:.0f} s, "
              f"estimated {estimate:.0f} s, ratio {estimate / seconds:.2f}", flush=True)
    if args.fit:
        terms = [cost_terms(config) for config, _ in rows]
        names = sorted({name for t in terms for name in t})
        design = np.array([[t.get(name, 0.0) for name in names] for t in terms])
        fitted, *_ = np.linalg.lstsq(design, np.array([s for _, s in rows]), rcond=None)
        for name, value in zip(names, fitted, strict=True):
            print(f"{name} = {value:.4g}")


if __name__ == "__main__":
    main()
