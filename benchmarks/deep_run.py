"""Where the time of a deep run goes: training, sampling, the NELBO, the per-checkpoint
measurements, the tables and the report, timed stage by stage on one configuration.

The default is the issue's pilot, shortened: uniform-state diffusion on the tree U-Net (the
A-uniform-window row: w2 at P = 3072, T = 100 reverse steps, 1000 generations a checkpoint),
trained 3000 steps with 6 checkpoints. Stages are timed by wrapping the functions the runner
calls (the run itself is the ordinary `run_experiment`), so the split is that of a real run.

    python benchmarks/deep_run.py                                  # the pilot, shortened
    python benchmarks/deep_run.py --baseline       # before (per-tensor optimiser) and after
    python benchmarks/deep_run.py --overrides train.steps=60000 train.checkpoints=16  # full
    python benchmarks/deep_run.py --preset demo --overrides train.steps=300   # a quick look
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager

PILOT = ["data.train=3072", 'diffusion.family="uniform"', "diffusion.options.chain_length=100",
         "train.steps=3000", "train.checkpoints=6", "measure.generations=1000"]


class Stopwatch:
    """Seconds and calls per stage, from wrapped functions (a wrapped call inside another
    wrapped call is counted in both: the stages below are not nested)."""

    def __init__(self):
        self.seconds, self.calls = defaultdict(float), defaultdict(int)

    def wrap(self, stage: str, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - start
                self.calls[stage] += 1
        return timed

    @contextmanager
    def patched(self, stages: dict):
        """Replace `module.name` by its timed version for each stage {stage: (module, name)}."""
        kept = {stage: getattr(module, name) for stage, (module, name) in stages.items()}
        for stage, (module, name) in stages.items():
            setattr(module, name, self.wrap(stage, kept[stage]))
        try:
            yield self
        finally:
            for stage, (module, name) in stages.items():
                setattr(module, name, kept[stage])


def profile_run(preset: str, overrides: list[str], threads: int = 1) -> tuple[dict, bytes]:
    """({stage: (seconds, calls)}, "total" included; the run's summary.json) of one fresh run of
    `preset` with `overrides`."""
    from slopscope import app
    from slopscope.experiments.config.schema import load_config
    from slopscope.experiments.run import measured_models, runner
    from slopscope.summary import summary_path

    app.use_threads(threads)
    stages = {"train": (runner, "train"),
              "data and static measurements": (runner, "static_metrics"),
              "sample": (measured_models.NetworkModel, "generate"),
              "NELBO": (measured_models.NetworkModel, "nll"),
              "checkpoint measurements": (runner, "checkpoint_metrics"),
              "tables and summary": (runner, "build_tables")}
    config = load_config(preset, overrides)
    watch = Stopwatch()
    with tempfile.TemporaryDirectory() as runs, watch.patched(stages):
        start = time.perf_counter()
        run_dir = runner.run_experiment(config, config.seeds[0], runs, progress=False)
        app.run_report(run_dir, force=True)
        total = time.perf_counter() - start
        summary = summary_path(run_dir).read_bytes()
    figures = {stage: (watch.seconds[stage], watch.calls[stage]) for stage in stages}
    accounted = sum(seconds for seconds, _ in figures.values())
    figures["report and the rest"] = (total - accounted, 1)
    figures["total"] = (total, 1)
    return figures, summary


def print_figures(title: str, figures: dict) -> None:
    total = figures["total"][0]
    print(title)
    print(f"  {'stage':30s} {'seconds':>9s} {'calls':>6s} {'share':>6s}")
    for stage, (seconds, calls) in figures.items():
        print(f"  {stage:30s} {seconds:9.1f} {calls:6d} {seconds / total:6.1%}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="w2")
    parser.add_argument("--overrides", nargs="*", default=None,
                        help="key=value (default: the shortened pilot, with preset w2)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--baseline", action="store_true",
                        help="first the same run with the per-tensor optimiser and clipping "
                        "(slopscope.train.FOREACH = False, the code before), then the ratios "
                        "and whether the two runs' summary.json are byte for byte the same")
    args = parser.parse_args(argv)
    overrides = PILOT if args.overrides is None else args.overrides
    title = f"{args.preset} {' '.join(overrides)} (threads={args.threads})"
    from slopscope import train

    runs = {}
    for foreach in ((False, True) if args.baseline else (train.FOREACH,)):
        train.FOREACH = foreach
        runs[foreach] = profile_run(args.preset, overrides, args.threads)
        print_figures(f"{title}, FOREACH={foreach}", runs[foreach][0])
    if args.baseline:
        (before, summary_before), (after, summary_after) = runs[False], runs[True]
        for stage in ("train", "total"):
            print(f"{stage}: {before[stage][0] / after[stage][0]:.2f}x faster")
        print("summary.json byte for byte the same:", summary_before == summary_after)
    return {foreach: figures for foreach, (figures, _) in runs.items()}


if __name__ == "__main__":
    main()
