"""Hand a run's per-checkpoint scalars to the tracking tools people already use: TensorBoard
event files or an MLflow tracking store (both optional extras, both local: no server, no
network). The Parquet tables stay the record; this copies `tables/checkpoints.parquet` (every
finite scalar, at its training step) and, for MLflow, the resolved configuration as parameters.

    pip install 'slopscope[tensorboard]'   then   slopscope export RUN --to tensorboard --out tb
    pip install 'slopscope[mlflow]'        then   slopscope export RUN --to mlflow --out mlruns
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from slopscope.errors import SlopscopeError
from slopscope.saved_config import read_saved_config
from slopscope.store import read_table, run_tables

TARGETS = ("tensorboard", "mlflow")
EXTRA = {"tensorboard": "tensorboard", "mlflow": "mlflow"}


def checkpoint_scalars(run_dir) -> dict[str, list[tuple[int, float]]]:
    """{column: [(step, value), ...]} of a run's checkpoint table, finite values only."""
    path = run_tables(run_dir) / "checkpoints.parquet"
    if not path.exists():
        raise SlopscopeError(f"{run_dir} has no tables/checkpoints.parquet: not a finished run "
                             "(slopscope run, or slopscope measure RUN)")
    table = read_table(path)
    steps = [int(s) for s in table.column("step").to_pylist()]
    out = {}
    for name in table.column_names:
        if name == "step":
            continue
        values = [(step, float(v)) for step, v in zip(steps, table.column(name).to_pylist(),
                                                      strict=True)
                  if isinstance(v, (int, float)) and math.isfinite(v)]
        if values:
            out[name] = values
    return out


def flat_params(config: dict, prefix: str = "") -> dict[str, str]:
    """A nested configuration as {"train.steps": "5000", ...} (None left out)."""
    out = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_params(value, f"{name}."))
        elif value is not None:
            out[name] = str(value)
    return out


def export_run(run_dir, target: str, out) -> Path:
    """Write one run's scalars to `out` (a directory) for `target`; returns where they are."""
    if target not in TARGETS:
        raise SlopscopeError(f"export target {target!r}; allowed: {', '.join(TARGETS)}")
    run_dir = Path(run_dir)
    scalars = checkpoint_scalars(run_dir)
    saved = read_saved_config(run_dir).to_dict()
    writer = _tensorboard if target == "tensorboard" else _mlflow
    return writer(run_dir.name, scalars, saved, Path(out))


def _missing(target: str, exc: ImportError) -> SlopscopeError:
    return SlopscopeError(f"export to {target} needs its optional extra ({exc.name} is not "
                          f"installed): pip install 'slopscope[{EXTRA[target]}]'")


def _tensorboard(name: str, scalars: dict, saved: dict, out: Path) -> Path:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        raise _missing("tensorboard", exc) from None
    log_dir = out / name
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for tag, values in scalars.items():
            for step, value in values:
                writer.add_scalar(tag, value, global_step=step)
    return log_dir


def _mlflow(name: str, scalars: dict, saved: dict, out: Path) -> Path:
    try:
        from mlflow.entities import Metric, Param
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise _missing("mlflow", exc) from None
    # a local file store: MLflow keeps it in maintenance mode and asks for this opt-in
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    out.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(tracking_uri=out.resolve().as_uri())
    experiment = saved["config"].get("name") or "slopscope"
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    run = client.create_run(experiment_id, run_name=name,
                            tags={"slopscope.run": name, "slopscope.seed": str(saved["seed"])})
    params = [Param(k, v[:500]) for k, v in flat_params(saved["config"]).items()]
    metrics = [Metric(tag, value, 0, step) for tag, values in scalars.items()
               for step, value in values]
    for start in range(0, len(params), 100):  # MLflow's batch limits
        client.log_batch(run.info.run_id, params=params[start:start + 100])
    for start in range(0, len(metrics), 1000):
        client.log_batch(run.info.run_id, metrics=metrics[start:start + 1000])
    client.set_terminated(run.info.run_id)
    return out / experiment_id / run.info.run_id
