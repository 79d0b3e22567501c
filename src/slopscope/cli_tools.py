"""`slopscope counterfactual`, `slopscope probe` and `slopscope export`: the tools beyond a
run's own report (part of the command-line face; cli.py adds them to its parser)."""

from __future__ import annotations

import argparse
from pathlib import Path

from slopscope import app
from slopscope.export import TARGETS, export_run
from slopscope.verdicts import HELD_OUT_FREE_A


def execution_options(parser) -> None:
    """--runs-dir, --workers and --executor of the commands that run many runs."""
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"))
    parser.add_argument("--workers", type=int, default=2, help="parallel runs (default 2)")
    parser.add_argument("--executor", choices=["local", "ray", "slurm"], default="local")


def tools_parser(sub) -> None:
    c = sub.add_parser("counterfactual", help="train K models on halves of one pool and score "
                       "each sample's counterfactual memorisation (no held-out split)",
                       description="Train (or resume) K models, each on a seeded half of one "
                       "pool (data.test is set to data.train: the pool is 2P samples), with the "
                       "same steps and checkpoints; write counterfactual.parquet, .json and "
                       "counterfactual.html into the sweep directory.")
    c.add_argument("source", nargs="?", default="counterfactual",
                   help="a run preset or TOML file (default: the counterfactual preset)")
    c.add_argument("overrides", nargs="*", help="key.sub=value")
    c.add_argument("--models", type=int, default=8, help="K, even (default 8)")
    c.add_argument("--seed", type=int, default=0, help="the grammar, pool and initialisation")
    c.add_argument("--calibrate", type=int, default=None, metavar="N",
                   help="instead: the verdict's false-positive rate and power on N replicates "
                   "of oracle controls per arm (no training)")
    execution_options(c)
    c.set_defaults(func=_run_counterfactual)
    p = sub.add_parser("probe", help="extraction probes: reveal part of each training string "
                       "and let a masked-diffusion run complete it, checkpoint by checkpoint",
                       description="For each checkpoint, mask shape, revealed share and "
                       "sampler step count, complete every training and held-out string and "
                       "count completions that reproduce it; write <run>/probe/ (probe.parquet, "
                       "times.parquet, probe.json, probe.html).")
    p.add_argument("run_dir", type=Path, metavar="RUN")
    p.add_argument("--masks", type=_names, default=None,
                   help="comma-separated shapes: prefix, suffix, ends, random (default all)")
    p.add_argument("--reveal", type=_numbers(float), default=(0.25, 0.5),
                   help="comma-separated revealed shares (default 0.25,0.5)")
    p.add_argument("--sampler-steps", type=_numbers(int), default=(0,),
                   help="comma-separated network calls per completion; 0 = one token per call "
                   "(default 0)")
    p.add_argument("--completions", type=int, default=2, help="per string (default 2)")
    p.set_defaults(func=_run_probe)
    e = sub.add_parser("export", help="copy runs' per-checkpoint scalars to TensorBoard or "
                       "MLflow (local files; optional extras)",
                       description="Write every finite column of tables/checkpoints.parquet at "
                       "its training step to TensorBoard event files (<out>/<run>/) or a local "
                       "MLflow store (<out>, one MLflow run per run directory, the configuration "
                       "as parameters). The Parquet tables stay the record.")
    e.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN")
    e.add_argument("--to", choices=TARGETS, required=True)
    e.add_argument("--out", type=Path, default=None,
                   help="destination directory (default tensorboard/ or mlruns/)")
    e.set_defaults(func=_run_export)


def _run_counterfactual(args) -> int:
    if args.calibrate is not None:
        app.calibrate_counterfactual(args.source, args.overrides, args.calibrate, args.models,
                                     args.runs_dir, args.workers, args.executor)
        return 0
    found, page = app.counterfactual(args.source, args.overrides, args.models, args.seed,
                                     args.runs_dir, args.workers, args.executor)
    print(f"{HELD_OUT_FREE_A.title}: {found['verdict']}: {found['measured']}")
    print(f"report: {page}")
    return 0


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _numbers(kind):
    def parse(text: str) -> tuple:
        try:
            return tuple(kind(part) for part in text.split(",") if part.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: allowed a comma-separated list of "
                                             f"{kind.__name__} values, like 1,2") from None
    return parse


def _run_probe(args) -> int:
    page = app.probe(args.run_dir, args.masks, args.reveal, args.sampler_steps, args.completions)
    print(f"report: {page}")
    return 0


def _run_export(args) -> int:
    out = args.out or Path("tensorboard" if args.to == "tensorboard" else "mlruns")
    for run_dir in args.run_dirs:
        print(f"{run_dir} -> {export_run(run_dir, args.to, out)}")
    return 0
