"""`slopscope counterfactual`, `slopscope probe` and `slopscope export`: the tools beyond a
run's own report (part of the command-line face; cli.py adds them to its parser)."""

from __future__ import annotations

import argparse
from pathlib import Path

from slopscope import app
from slopscope.cli_options import (
    MAX_COMPLETIONS,
    MAX_REPLICATES,
    add_integer,
    integers,
    output_dir,
)
from slopscope.errors import MAX_SEED, SlopscopeError
from slopscope.export import TARGETS, export_run
from slopscope.verdicts import HELD_OUT_FREE_A


def execution_options(parser, workers: str = "2") -> None:
    """--runs-dir, --workers, --executor and the executors' own options (from the registry,
    app.EXECUTORS and app.EXECUTOR_OPTIONS) of the commands that run many runs; `execution`
    turns them into one app.Execution."""
    parser.add_argument("--runs-dir", type=output_dir, default=Path("runs"))
    add_integer(parser, "--workers", default=None, minimum=1,
                help=f"parallel runs (default: {workers})")
    parser.add_argument("--executor", choices=list(app.EXECUTORS), default="local")
    for option in app.EXECUTOR_OPTIONS:
        flag = "--" + option.name.replace("_", "-")
        if option.type is int:
            add_integer(parser, flag, default=None, minimum=1, help=option.help)
        else:
            parser.add_argument(flag, default=None, help=option.help)


def execution(args):
    """The app.Execution of a command's `execution_options`."""
    return app.Execution.given(args.runs_dir, args.workers, args.executor,
                               **{o.name: getattr(args, o.name) for o in app.EXECUTOR_OPTIONS})


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
    add_integer(c, "--models", default=8, minimum=2, maximum=MAX_REPLICATES, help="K, even")
    add_integer(c, "--seed", default=0, minimum=0, maximum=MAX_SEED,
                help="the grammar, pool and initialisation")
    add_integer(c, "--calibrate", default=None, minimum=1, maximum=MAX_REPLICATES, metavar="N",
                help="instead: the verdict's false-positive rate and power on N replicates of "
                "oracle controls per arm (no training)")
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
    p.add_argument("--sampler-steps", type=integers("sampler_steps", minimum=0), default=(0,),
                   help="comma-separated network calls per completion; 0 = one token per call "
                   "(default 0; allowed >= 0)")
    add_integer(p, "--completions", default=2, minimum=1, maximum=MAX_COMPLETIONS,
                help="per string")
    p.set_defaults(func=_run_probe)
    e = sub.add_parser("export", help="copy runs' per-checkpoint scalars to TensorBoard or "
                       "MLflow (local files; optional extras)",
                       description="Write every finite column of tables/checkpoints.parquet at "
                       "its training step to TensorBoard event files (<out>/<run>/) or a local "
                       "MLflow store (<out>, one MLflow run per run directory, the configuration "
                       "as parameters). The Parquet tables stay the record.")
    e.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN")
    e.add_argument("--to", choices=TARGETS, required=True)
    e.add_argument("--out", type=output_dir, default=None,
                   help="destination directory (default tensorboard/ or mlruns/)")
    e.set_defaults(func=_run_export)


def _run_counterfactual(args) -> int:
    if args.calibrate is not None:
        app.calibrate_counterfactual(args.source, args.overrides, args.calibrate, args.models,
                                     execution(args))
        return 0
    found, page = app.counterfactual(args.source, args.overrides, args.models, args.seed,
                                     execution(args))
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
        try:
            written = export_run(run_dir, args.to, out)
        except OSError as exc:  # e.g. a folder that cannot be written
            raise SlopscopeError(f"cannot write into {out}: {exc.strerror or exc}") from None
        print(f"{run_dir} -> {written}")
    return 0
