"""`slopscope counterfactual` and `slopscope export`: the tools beyond a run's own report
(part of the command-line face; cli.py adds them to its parser)."""

from __future__ import annotations

from pathlib import Path

from slopscope.export import TARGETS, export_run
from slopscope.store import read_json


def tools_parser(sub) -> None:
    c = sub.add_parser("counterfactual", help="train K models on halves of one pool and score "
                       "each sample's counterfactual memorisation (no held-out split)",
                       description="Train (or resume) K models, each on a seeded half of one "
                       "pool (data.test is set to data.train: the pool is 2P samples), with the "
                       "same steps and checkpoints; write counterfactual.parquet, .json and "
                       "counterfactual.html into the sweep directory.")
    c.add_argument("source", help="a run preset or TOML file")
    c.add_argument("overrides", nargs="*", help="key.sub=value")
    c.add_argument("--models", type=int, default=8, help="K, even (default 8)")
    c.add_argument("--seed", type=int, default=0, help="the grammar, pool and initialisation")
    c.add_argument("--runs-dir", type=Path, default=Path("runs"))
    c.add_argument("--workers", type=int, default=2)
    c.add_argument("--executor", choices=["local", "ray", "slurm"], default="local")
    c.set_defaults(func=_run_counterfactual)
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
    from slopscope.experiments.counterfactual import run_counterfactual
    from slopscope.report.counterfactual import build_counterfactual_report

    sweep_dir = run_counterfactual(args.source, args.overrides, args.models, args.seed,
                                   args.runs_dir, args.workers, args.executor)
    page = build_counterfactual_report(sweep_dir)
    found = read_json(sweep_dir / "counterfactual.json")
    print(f"A without a held-out split: {found['finding_a']['verdict']}: "
          f"{found['finding_a']['measured']}")
    print(f"report: {page}")
    return 0


def _run_export(args) -> int:
    out = args.out or Path("tensorboard" if args.to == "tensorboard" else "mlruns")
    for run_dir in args.run_dirs:
        print(f"{run_dir} -> {export_run(run_dir, args.to, out)}")
    return 0
