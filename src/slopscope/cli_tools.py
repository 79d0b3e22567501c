"""`slopscope export`: the tools beyond a run's own report (part of the command-line face;
cli.py adds them to its parser)."""

from __future__ import annotations

from pathlib import Path

from slopscope.export import TARGETS, export_run


def tools_parser(sub) -> None:
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


def _run_export(args) -> int:
    out = args.out or Path("tensorboard" if args.to == "tensorboard" else "mlruns")
    for run_dir in args.run_dirs:
        print(f"{run_dir} -> {export_run(run_dir, args.to, out)}")
    return 0
