"""Membership inference on the two oracles: the memoriser is found at every checkpoint (AUC 1,
every training string flagged at 0.1 % false positives); the perfect generaliser is not (AUC 0.5
within error), on a fat-tailed grammar where likelihoods differ between strings."""

from __future__ import annotations

import numpy as np

from slopscope.experiments import load_config
from slopscope.experiments.run.runner import run_experiment
from slopscope.store import read_table

SMALL = ["grammar.v=8", "grammar.n=8", "grammar.m=4", "data.train=256", "data.test=256",
         "train.steps=1000", "train.checkpoints=3", "train.first_checkpoint=100",
         "measure.generations=200", "model.backbone=oracle"]


def _checkpoints(tmp_path, memorize: float, seed: int) -> dict:
    config = load_config("e3", [*SMALL, f"model.options.memorize={memorize}"])
    run_dir = run_experiment(config, seed, tmp_path, progress=False)
    table = read_table(run_dir / "tables" / "checkpoints.parquet")
    return {name: table.column(name).to_numpy() for name in table.column_names}


def test_the_memoriser_gives_auc_one_and_full_recall_at_every_checkpoint(tmp_path):
    table = _checkpoints(tmp_path, 1.0, seed=0)
    np.testing.assert_array_equal(table["mia_auc"], 1.0)
    np.testing.assert_array_equal(table["mia_tpr_at_0_1pct"], 1.0)


def test_the_generaliser_gives_auc_one_half_within_error(tmp_path):
    """Six grammars, splits and seeds: each interval is informative, most contain 1/2 (nominal
    95 %), the mean AUC is 1/2 within its error, and 1 % false positives flag few members."""
    tables = [_checkpoints(tmp_path, 0.0, seed) for seed in range(6)]
    covered = [bool(np.all((t["mia_auc_low"] <= 0.5) & (t["mia_auc_high"] >= 0.5)))
               for t in tables]
    assert sum(covered) >= 4
    assert all(np.all(t["mia_auc_high"] - t["mia_auc_low"] < 0.15) for t in tables)
    assert abs(np.mean([t["mia_auc"][-1] for t in tables]) - 0.5) < 0.03
    assert all(np.all(t["mia_tpr_at_1pct"] < 0.06) for t in tables)


def test_the_report_draws_membership_only_when_the_likelihood_was_measured(tmp_path):
    from slopscope.report import build_report

    measured = run_experiment(load_config("e3", [*SMALL, "model.options.memorize=0.5"]), 0,
                              tmp_path, progress=False)
    skipped = run_experiment(load_config("e3", [*SMALL, "measure.likelihood=false"]), 0,
                             tmp_path, progress=False)
    assert 'alt="membership_inference"' in build_report(measured).read_text()
    assert (measured / "report" / "membership_inference.png").exists()
    assert "membership_inference" not in build_report(skipped).read_text()
    table = read_table(skipped / "tables" / "checkpoints.parquet")
    assert np.isnan(table.column("mia_auc").to_numpy()).all()


def test_the_grammar_as_reference_model_finds_a_partial_memoriser_at_low_false_positives(
        tmp_path):
    """Half the generations copied: raw likelihood ranks the held-out strings that are
    probable anyway above rare training strings (low TPR at 1 % FPR); the ratio to the
    grammar's own probability removes that, and every training string stands out."""
    table = _checkpoints(tmp_path, 0.5, seed=0)
    assert np.all(table["mia_tpr_at_1pct"] < 0.2)
    np.testing.assert_array_equal(table["mia_ref_auc"], 1.0)
    np.testing.assert_array_equal(table["mia_ref_tpr_at_0_1pct"], 1.0)
    generaliser = _checkpoints(tmp_path, 0.0, seed=0)
    np.testing.assert_allclose(generaliser["mia_ref_auc"], 0.5)  # log ratio 0 for every string
