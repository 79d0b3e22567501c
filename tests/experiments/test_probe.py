"""Extraction probes: mask shapes by hand, and the probe pipeline with exact denoisers in place
of the network (the memoriser extracts training strings and never held-out ones; the perfect
generaliser completes both alike), then once with a real trained network through the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from slopscope.errors import SlopscopeError
from slopscope.experiments import load_config
from slopscope.experiments.run.runner import run_experiment
from slopscope.experiments.studies import probe
from slopscope.store import read_json, read_table

TINY_RUN = ["grammar.v=8", "grammar.n=8", "grammar.m=4", "data.train=48", "data.test=48",
            "train.steps=40", "train.checkpoints=2", "train.first_checkpoint=20",
            "measure.generations=100", "model.options.width=16", "model.options.layers=1",
            "model.options.heads=2"]


def test_mask_shapes_reveal_the_named_tokens():
    def row(shape, r):
        return probe.reveal_mask(shape, r, 1, 8, seed=0)[0].astype(int).tolist()

    assert row("prefix", 3) == [1, 1, 1, 0, 0, 0, 0, 0]
    assert row("suffix", 3) == [0, 0, 0, 0, 0, 1, 1, 1]
    assert row("ends", 3) == [1, 1, 0, 0, 0, 0, 0, 1]
    rand = probe.reveal_mask("random", 3, 500, 8, seed=1)
    assert (rand.sum(axis=1) == 3).all() and 0.3 < rand.mean(axis=0).min() * 8 / 3
    np.testing.assert_array_equal(rand, probe.reveal_mask("random", 3, 500, 8, seed=1))
    with pytest.raises(SlopscopeError, match="mask shape 'middle'; allowed: prefix"):
        probe.check_settings(["middle"], [0.5], [0], 1)
    with pytest.raises(SlopscopeError, match="reveal=1.0; allowed"):
        probe.check_settings(["prefix"], [1.0], [0], 1)


@pytest.fixture(scope="module")
def masked_run(tmp_path_factory):
    return run_experiment(load_config("e2", TINY_RUN), 0, tmp_path_factory.mktemp("runs"),
                          progress=False)


def _with_denoiser(monkeypatch, make):
    """Replace the run's network by an exact denoiser (same family and sampler)."""
    real = probe.NetworkModel

    class Exact(real):
        def __init__(self, config, source, seeds, run_dir):
            super().__init__(config, source, seeds, run_dir)
            self.net = make(self.family, source)

        def at(self, step):
            pass

    monkeypatch.setattr(probe, "NetworkModel", Exact)


def test_the_memoriser_extracts_training_strings_and_no_held_out_one(masked_run, monkeypatch):
    from slopscope.experiments.run.sources import load_data

    _, train, _ = load_data(masked_run)
    _with_denoiser(monkeypatch, lambda family, source: family.empirical_oracle(train))
    out = probe.probe_run(masked_run, ["prefix", "random"], [0.75], [0], completions=2,
                          progress=False)
    found = read_json(out / "probe.json")
    for setting in found["settings"]:
        for entry in setting["curve"]:
            # it produces training strings only; where no training string agrees with what is
            # revealed its posterior is undefined and the draw arbitrary (a rare chance hit)
            assert entry["test"]["rate"] < 0.05
            assert entry["train"]["rate"] > 0.5
    times = read_table(out / "times.parquet").to_pydict()
    held = np.array(times["extraction_time"])[np.array(times["split"]) == "test"]
    assert np.isposinf(held).mean() > 0.9


def test_the_generaliser_completes_training_and_held_out_strings_alike(masked_run,
                                                                       monkeypatch):
    _with_denoiser(monkeypatch, lambda family, source: family.grammar_oracle(source.grammar))
    out = probe.probe_run(masked_run, ["suffix"], [0.75], [0], completions=8,
                          progress=False)
    for setting in read_json(out / "probe.json")["settings"]:
        last = setting["curve"][-1]
        assert last["train"]["low"] <= last["test"]["high"]  # intervals overlap
        assert last["test"]["low"] <= last["train"]["high"]
        assert last["train"]["rate"] > 0.05  # two tokens to fill: few choices


def test_probe_command_on_a_trained_network_writes_tables_and_page(masked_run, capsys):
    from slopscope.cli import main

    assert main(["probe", str(masked_run), "--masks", "prefix,ends", "--reveal", "0.5",
                 "--sampler-steps", "0,3", "--completions", "1"]) == 0
    table = read_table(masked_run / "probe" / "probe.parquet").to_pydict()
    # 2 checkpoints x 2 shapes x 1 share x 2 sampler settings x (48 + 48) strings
    assert len(table["extracted"]) == 2 * 2 * 2 * 96
    assert set(table["sampler_steps"]) == {0, 3} and max(table["extracted"]) <= 1
    page = (masked_run / "probe" / "probe.html").read_text()
    assert page.count("<img") == 1 and "held-out strings" in page
    assert "report:" in capsys.readouterr().out
    assert main(["probe", str(masked_run), "--reveal", "half"]) == 2
    oracle = run_experiment(load_config("e2", [*TINY_RUN[:-3], "model.backbone=oracle"]), 0,
                            masked_run.parent, progress=False)
    with pytest.raises(SlopscopeError, match="probes need a trained network of a family"):
        probe.probe_run(oracle, progress=False)
