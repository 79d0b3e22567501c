"""One estimator of run time for every command that announces its cost (config/run_time.py),
held to runs measured alone on 2 idle cores with one thread (benchmarks/run_time.py)."""

from __future__ import annotations

import pytest

from slopscope.experiments.config.run_time import (
    ORACLE_CHECKPOINT_SECONDS,
    cost_terms,
    cost_text,
    run_seconds,
)
from slopscope.experiments.config.schema import load_config

UNET = ("train.checkpoints=4", "measure.generations=500")
# (preset, overrides): seconds the run recorded (done.json), measured alone with one thread
MEASURED = {  # python benchmarks/run_time.py, 2026-12-08
    ("demo", ()): 31, ("demo", ("train.steps=4500",)): 71,
    ("demo", ("measure.generations=4000",)): 43, ("demo", ("measure.likelihood=false",)): 28,
    ("paper-cpu", (*UNET, "train.steps=3000")): 78, ("paper-cpu", (*UNET, "train.steps=9000")): 194,
    ("paper-cpu", (*UNET, "train.steps=3000", "measure.generations=2000")): 91, ("e3", ()): 216,
    # not in the fit: the paper-cpu run of the README (its done.json; beside one other run)
    ("paper-cpu", ()): 2286,
}


def test_a_trained_run_is_linear_in_strings_trained_and_network_calls():
    short = load_config("regime-unet", ["train.steps=5000"])
    long = load_config("regime-unet", ["train.steps=10000"])
    assert (cost_terms(long)["train:unet"] == 2 * cost_terms(short)["train:unet"]
            and cost_terms(long)["call:unet"] == cost_terms(short)["call:unet"])
    uniform = load_config("regime-unet", ["train.steps=5000", 'diffusion.family="uniform"',
                                          "diffusion.options.chain_length=100"])
    d = 2 ** 3  # regime grammar: s = 2, L = 3; masked unmasks one token per call
    assert cost_terms(uniform)["call:unet"] == cost_terms(short)["call:unet"] * 100 / d
    half = load_config("regime-unet", ["train.steps=5000", "train.batch_size=128"])
    assert cost_terms(half)["train:unet"] == cost_terms(short)["train:unet"] / 2
    wide = load_config("regime-unet", ["train.steps=5000", "model.options.width=128"])
    assert cost_terms(wide)["train:unet"] == 4 * cost_terms(short)["train:unet"]
    oracle = load_config("demo", ['model.backbone="oracle"'])
    assert run_seconds(oracle) == ORACLE_CHECKPOINT_SECONDS * oracle.train.checkpoints


@pytest.mark.parametrize(("preset", "overrides"), list(MEASURED))
def test_the_estimate_is_within_a_third_of_a_run_measured_alone(preset, overrides):
    estimate = run_seconds(load_config(preset, list(overrides)))
    assert 0.67 < estimate / MEASURED[(preset, overrides)] < 1.5


def test_the_cost_line_names_runs_hours_and_workers():
    assert cost_text(15, 2 * 3600 * 2, 2) == "15 runs, about 2.0 h on 2 workers (2-core estimate)"
    assert cost_text(1, 90, 1) == "1 run, about 2 min on 1 worker (2-core estimate)"
