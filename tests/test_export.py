"""Export of a run's checkpoint scalars to TensorBoard and MLflow, read back by each tool."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from slopscope.cli import main
from slopscope.errors import SlopscopeError
from slopscope.experiments import load_config
from slopscope.experiments.run.runner import run_experiment
from slopscope.export import checkpoint_scalars, export_run

SMALL = ["grammar.v=8", "grammar.n=8", "grammar.m=4", "data.train=64", "data.test=64",
         "train.steps=1000", "train.checkpoints=3", "train.first_checkpoint=100",
         "measure.generations=200", "model.backbone=oracle", "model.options.memorize=0.3"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return run_experiment(load_config("e2", SMALL), 0, tmp_path_factory.mktemp("runs"),
                          progress=False)


def test_tensorboard_events_hold_every_finite_scalar_at_its_step(run_dir, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert main(["export", str(run_dir), "--to", "tensorboard", "--out", str(tmp_path)]) == 0
    events = EventAccumulator(str(tmp_path / run_dir.name)).Reload()
    expected = checkpoint_scalars(run_dir)
    assert set(events.Tags()["scalars"]) == set(expected)
    assert {"copy_fraction", "mia_auc", "valid"} <= set(expected)
    for tag, values in expected.items():
        got = [(e.step, e.value) for e in events.Scalars(tag)]
        assert [s for s, _ in got] == [s for s, _ in values]
        np.testing.assert_allclose([v for _, v in got], [v for _, v in values], rtol=1e-6)


def test_mlflow_holds_the_scalars_and_the_configuration(run_dir, tmp_path):
    from mlflow.tracking import MlflowClient

    where = export_run(run_dir, "mlflow", tmp_path)
    client = MlflowClient(tracking_uri=tmp_path.resolve().as_uri())
    run = client.get_run(where.name)
    assert run.data.params["train.steps"] == "1000"
    assert run.data.params["model.options.memorize"] == "0.3"
    assert run.data.tags["slopscope.run"] == run_dir.name
    for tag, values in checkpoint_scalars(run_dir).items():
        history = sorted((m.step, m.value) for m in client.get_metric_history(where.name, tag))
        assert history == values


def test_export_errors_name_the_bad_value(run_dir, tmp_path, monkeypatch):
    with pytest.raises(SlopscopeError, match="export target 'wandb'; allowed: tensorboard"):
        export_run(run_dir, "wandb", tmp_path)
    with pytest.raises(SlopscopeError, match="has no tables/checkpoints.parquet"):
        export_run(tmp_path, "tensorboard", tmp_path)
    for module in ("mlflow", "mlflow.entities", "mlflow.tracking"):
        monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    with pytest.raises(SlopscopeError, match=r"pip install 'slopscope\[mlflow\]'"):
        export_run(run_dir, "mlflow", tmp_path)
