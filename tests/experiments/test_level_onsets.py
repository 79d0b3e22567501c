"""Per-level learning times on novel generations: the novel-valid shares against an enumeration on
a tiny grammar, and the onsets tau_k on oracle controls whose answer is known (the perfect
generaliser, an exact memoriser, a hierarchical learner with planted learning times)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from slopscope import RHM
from slopscope.experiments import load_config
from slopscope.experiments.run.checkpoint_metrics import novel_validity
from slopscope.experiments.run.controls import OracleConfig, PlantedOracle
from slopscope.experiments.run.runner import run_experiment
from slopscope.experiments.run.sources import GrammarSource
from slopscope.store import read_columns
from slopscope.summary import read_summary
from tests.tiny import GRAMMARS

ORACLE = ["grammar.v=8", "grammar.n=8", "grammar.m=2", "data.train=64", "data.test=64",
          "train.steps=2000", "train.checkpoints=8", "train.first_checkpoint=10",
          "measure.generations=400", "measure.likelihood=false", "model.backbone=oracle"]


def _yields(g: RHM, k: int) -> set:
    """Every block of s**k tokens that the bottom k rule levels can produce, by enumeration."""
    if k == g.L:
        return {tuple(x) for x in g.enumerate()}
    sub = RHM.from_rules(list(g.rules[g.L - k:]), g.v, g.v)
    return {tuple(x) for x in sub.enumerate()}


@pytest.mark.parametrize("name", ["uniform_L3", "zipf_all", "uniform_s3"])
def test_novel_validity_equals_an_enumeration(name):
    g = GRAMMARS[name]
    rng = np.random.default_rng(0)
    train = g.sample(6, seed=1, unique=True).astype(np.int64)
    generations = np.concatenate([train[:4], g.sample(20, seed=2).astype(np.int64),
                                  rng.integers(0, g.v, (30, g.d))])
    copies = np.array([any((row == t).all() for t in train) for row in generations])
    found = novel_validity(GrammarSource(g), generations, copies)
    novel = generations[~copies]
    for k in range(1, g.L + 1):
        width, allowed = g.s**k, _yields(g, k)
        valid = [all(tuple(row[i:i + width]) in allowed for i in range(0, g.d, width))
                 for row in novel]
        assert found[f"novel_valid_k{k}"] == pytest.approx(np.mean(valid), abs=1e-12)
    assert found["novel_valid_k1"] >= found[f"novel_valid_k{g.L}"]
    none = novel_validity(GrammarSource(g), train, np.ones(len(train), bool))
    assert all(math.isnan(v) for v in none.values())  # no novel generation: not a number


def test_the_hierarchical_learner_knows_its_planted_block_sizes():
    g = RHM(v=8, n=8, m=2, s=2, L=3, seed=0)
    train = g.sample(32, seed=1, unique=True)
    oracle = PlantedOracle(g, train, np.zeros(32), OracleConfig(level_onset=100,
                                                                level_ratio=4.0), [10, 6400])
    for step, known in ((10, 0), (100, 1), (399, 1), (400, 2), (1600, 3)):
        assert oracle.learned(step) == known
        x = oracle.generate(500, seed=step, step=step)
        up_to = g.parse(x).valid_up_to  # smallest rule level l with levels l..L valid
        if known:
            assert (up_to <= g.L - known + 1).all()  # valid at every learned block size
        assert np.isfinite(oracle.nll(x, step)).all()


def test_the_hierarchical_learners_likelihood_is_normalised():
    g = GRAMMARS["uniform_L3"]  # v = 4, d = 8: all 4**8 strings
    every = np.stack(np.meshgrid(*[np.arange(g.v)] * g.d, indexing="ij"), -1).reshape(-1, g.d)
    train = g.sample(4, seed=0, unique=True)
    oracle = PlantedOracle(g, train, np.zeros(4), OracleConfig(level_onset=10), [1, 100])
    for step in (1, 10, 20, 40, 80):  # block sizes 0, 1, 2, 3 learned
        total = np.exp(-oracle.nll(every, step)).sum()
        assert total == pytest.approx(1.0, abs=1e-9), step


def _run(tmp_path, *extra):
    config = load_config("e2", [*ORACLE, *extra])
    return read_summary(run_experiment(config, 0, tmp_path, progress=False))


def test_onsets_per_level_on_the_oracles(tmp_path):
    generaliser = _run(tmp_path, "name='gen'")
    first = generaliser.steps[0]
    assert generaliser.tau_levels == {k: first for k in (1, 2, 3)}
    memoriser = _run(tmp_path, "name='mem'", "model.options.memorize=1.0")
    assert memoriser.tau_levels == {k: math.inf for k in (1, 2, 3)}  # censored, never a number
    raw = json.loads((tmp_path / next(p.name for p in tmp_path.iterdir()
                                      if p.name.startswith("mem"))
                      / "summary.json").read_text())
    assert raw["onsets"]["levels"] == {"1": None, "2": None, "3": None}
    learner = _run(tmp_path, "name='learner'", "model.options.level_onset=40",
                   "model.options.level_ratio=4.0")
    steps = np.array(learner.steps)
    taus = learner.tau_levels
    assert taus[1] <= taus[2] <= taus[3] < math.inf  # the right order
    for k, tau in taus.items():  # between the checkpoints around the planted time
        planted = 40 * 4.0 ** (k - 1)
        before = steps[steps < planted].max()
        after = steps[steps >= planted].min()
        assert before < tau <= after, (k, tau, planted)
    assert first < taus[1] and generaliser.tau_levels[3] < taus[3]  # in between the two
    # above chance: the same on the generaliser, the memoriser and the learner (e2's chance is
    # below one half at every level, so the share of valid strings is not fooled either)
    assert generaliser.tau_learned == {k: first for k in (1, 2, 3)}
    assert memoriser.tau_learned == {k: math.inf for k in (1, 2, 3)}
    for k, tau in learner.tau_learned.items():
        planted = 40 * 4.0 ** (k - 1)
        assert steps[steps < planted].max() < tau <= steps[steps >= planted].min(), (k, tau)


def test_above_chance_times_are_not_fooled_by_a_top_level_valid_by_chance(tmp_path):
    """v = n = 8, m = 4: a learner of the bottom two levels is valid at the top half of the time
    by chance; the share of valid strings reaches one half then, the above-chance time does not."""
    grammar = ["grammar.v=8", "grammar.n=8", "grammar.m=4", "grammar.L=3", "data.train=256",
               "measure.generations=2000"]
    learner = _run(tmp_path, "name='chance'", *grammar, "train.first_checkpoint=100",
                   "model.options.level_onset=1", "model.options.level_ratio=50.0")
    steps = learner.steps  # block sizes 1, 2 from step 50, the top level from 2500
    assert steps[0] == 100 and steps[-1] < 2500 and learner.tau_learned[3] == math.inf
    assert learner.tau_learned[1] == learner.tau_learned[2] == steps[0]
    table = read_columns(next(tmp_path.glob("chance*")) / "tables" / "checkpoints.parquet")
    assert abs(np.nanmean(table["novel_valid_k3"]) - 0.5) < 0.05  # the top valid by chance
    assert np.nanmax(np.abs(table["novel_learned_k3"])) < 0.15


def test_d_learning_window_starts_at_the_learners_tau_1(tmp_path):
    """Through the pipeline: D's learning window is the checkpoints from tau*_1 on (no copies, so
    tau_mem is beyond the run), the copy window every checkpoint, the young learner's included."""
    learner = ["model.options.level_onset=40", "model.options.level_ratio=4.0",
               "model.options.sharpen=1.0", "findings.d_block_size=1"]
    copies = _run(tmp_path, "name='copies'", *learner)
    window = _run(tmp_path, "name='window'", *learner, "findings.d_window='learning'")
    steps, tau_1 = window.steps, window.tau_learned[1]
    assert window.onsets["memorisation"] is None  # censored
    assert copies.findings["D"].details["window"] == steps
    assert window.findings["D"].details["window"] == [s for s in steps if s >= tau_1]
    assert steps[0] < tau_1 and "tau*_1" in window.findings["D"].rule
