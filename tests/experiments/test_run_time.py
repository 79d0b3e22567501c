"""One estimator of run time for every command that announces its cost (config/run_time.py)."""

from __future__ import annotations

from slopscope.experiments.config.run_time import ORACLE_RUN_SECONDS, cost_text, run_seconds
from slopscope.experiments.config.schema import load_config
from slopscope.models.unet import UNetConfig


def test_a_trained_run_costs_its_backbone_per_step_and_an_oracle_a_fixed_few_seconds():
    short = run_seconds(load_config("regime-unet", ["train.steps=5000"]))
    assert short == UNetConfig.SECONDS_PER_5000_STEPS  # masked: a family cost of 1
    assert run_seconds(load_config("regime-unet", ["train.steps=10000"])) == 2 * short
    uniform = load_config("regime-unet", ["train.steps=5000", 'diffusion.family="uniform"'])
    assert run_seconds(uniform) > short  # a longer sampling chain
    oracle = load_config("demo", ['model.backbone="oracle"'])
    assert run_seconds(oracle) == ORACLE_RUN_SECONDS


def test_the_cost_line_names_runs_hours_and_workers():
    assert cost_text(15, 2 * 3600 * 2, 2) == "15 runs, about 2.0 h on 2 workers (2-core estimate)"
    assert cost_text(1, 90, 1) == "1 run, about 2 min on 1 worker (2-core estimate)"
