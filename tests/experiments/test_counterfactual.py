"""Counterfactual memorisation on the oracles (no training): the generaliser's score is 0 for
every sample, the memoriser's 1 (its half of the pool), and the disjoint-half pairs agree
completely for the generaliser and never for the memoriser."""

from __future__ import annotations

import numpy as np
import pytest

from slopscope import app
from slopscope.errors import SlopscopeError
from slopscope.experiments.studies.counterfactual import counterfactual_sweep, run_counterfactual
from slopscope.experiments.sweeps.executors import Execution
from slopscope.measure.counterfactual import counterfactual_scores, pair_agreement
from slopscope.store import read_json, read_table

ORACLE = ["grammar.v=8", "grammar.n=8", "grammar.m=4", "data.train=64", "train.steps=1000",
          "train.checkpoints=3", "train.first_checkpoint=100", "measure.generations=2000",
          "model.backbone=oracle"]


def _run(tmp_path, *options, models=4):
    sweep_dir = run_counterfactual("e2", [*ORACLE, *options], models=models, seed=0,
                                   execution=Execution(tmp_path, workers=1), report=lambda *_: None)
    table = read_table(sweep_dir / "counterfactual.parquet")
    columns = {n: table.column(n).to_numpy() for n in table.column_names}
    return columns, read_json(sweep_dir / "counterfactual.json"), sweep_dir


def test_the_generaliser_scores_zero_and_its_disjoint_halves_agree(tmp_path):
    cf, found, _ = _run(tmp_path, "model.options.memorize=0.0")
    assert found["pool"] == 128 and found["models"] == 4
    np.testing.assert_array_equal(cf["cf_nelbo"], 0.0)  # the likelihood ignores the training set
    assert abs(cf["cf_reproduced"].mean()) < 0.05
    assert all(a["mean"] == 1.0 for a in found["agreement"])  # same noise, same strings
    assert found["finding_a"]["verdict"] != "holds"
    assert all(m["lira_auc"] == 0.5 for m in found["membership"])  # no model differs


def test_the_memoriser_scores_one_on_its_half_and_its_halves_never_agree(tmp_path):
    cf, found, _ = _run(tmp_path, "model.options.memorize=1.0")
    assert np.all(cf["cf_reproduced"] >= 0.99) and np.all(cf["cf_area"] >= 0.99)
    # in-models copy each of their 64 strings at rate 1/64, out-models never
    np.testing.assert_allclose(cf["cf_rate"].mean(), 1 / 64, rtol=0.05)
    assert np.isposinf(cf["cf_nelbo"]).all()  # out-models cannot generate the sample at all
    assert all(a["max"] == 0.0 for a in found["agreement"])
    assert all(m["lira_auc_min"] == 1.0 and m["lira_tpr_at_0_1pct"] == 1.0
               for m in found["membership"])


def test_a_planted_typical_memoriser_gives_a_held_out_free_a(tmp_path):
    _, found, sweep_dir = _run(tmp_path, "model.options.memorize=0.3",
                               "model.options.memorize_set='typical'")
    assert found["finding_a"]["verdict"] == "holds"
    assert found["correlations"]["t1"]["rho"] > 0.3
    halves = [read_json(p / "data.json")["half"]
              for p in sorted(sweep_dir.parent.parent.glob("*-s0"))]
    assert sorted(halves) == [0, 1, 2, 3]


def test_every_sample_is_in_training_for_half_the_models(tmp_path):
    from slopscope.experiments.studies.counterfactual import load_models

    _, _, sweep_dir = _run(tmp_path, "model.options.memorize=0.0", models=6)
    member = load_models(sweep_dir)["member"]
    np.testing.assert_array_equal(member.sum(axis=0), 3)
    np.testing.assert_array_equal(member[0] ^ member[1], True)  # complementary halves
    from slopscope.store import file_digest, load_array, save_array, write_json

    other = load_models(sweep_dir)["runs"][3] / "train.npy"
    train = load_array(other)
    save_array(other, np.roll(train, 1, axis=1))  # strings that are not in the pool
    record = read_json(other.parent / "data.json")  # ... recorded as the run's own split
    record["split_sha256"]["train"] = file_digest(other)
    write_json(other.parent / "data.json", record)
    with pytest.raises(SlopscopeError, match="outside the pool of the first model"):
        load_models(sweep_dir)


def test_the_welch_interval_and_agreement_match_hand_values():
    perf = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    member = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], bool)
    score, low, high = counterfactual_scores(perf, member)
    np.testing.assert_allclose(score, [1.0, 0.0])
    # sample 1: in {0, 1}, out {0, 1}: difference 0 with se = sqrt(0.5/2 + 0.5/2), df = 2
    np.testing.assert_allclose(high[1], 4.302652729911275 * np.sqrt(0.5))
    assert low[0] == high[0] == 1.0  # no spread on either side
    assert pair_agreement(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 5]])) == 0.5


def test_counterfactual_inputs_give_one_line_errors():
    with pytest.raises(SlopscopeError, match="an even number"):
        counterfactual_sweep("e2", ORACLE, models=3)
    with pytest.raises(SlopscopeError, match="at least one model that trained"):
        counterfactual_scores(np.zeros((2, 3)), np.ones((2, 3), bool))
    with pytest.raises(SlopscopeError, match="data.half=1 needs data.train = data.test"):
        from slopscope.experiments import load_config

        load_config("e2", ["data.half=1", "data.train=10", "data.test=20"])


def test_the_command_writes_the_report_with_the_verdict(tmp_path, capsys):
    from slopscope.cli import main

    assert main(["counterfactual", "e2", *ORACLE, "model.options.memorize=0.3",
                 "model.options.memorize_set='typical'", "--models", "2",
                 "--runs-dir", str(tmp_path), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "A without a held-out split: holds" in out
    page = next(tmp_path.glob("sweeps/*/counterfactual.html")).read_text()
    assert page.count("<img") == 2 and "holds" in page


def test_token_data_runs_counterfactually_with_one_pool_across_models(tmp_path):
    """Your own token data: the K models cut one pool of 2P sequences into halves (T3 is not
    available without a grammar)."""
    from tests.experiments.test_token_runs import TINY, _words

    path = _words(tmp_path / "words.txt")
    options = [f"data.path={path}", *TINY, "train.steps=60", "train.checkpoints=2"]
    sweep_dir = run_counterfactual("e2", options, models=4, seed=0,
                                   execution=Execution(tmp_path, workers=2),
                                     report=lambda *_: None)
    found = read_json(sweep_dir / "counterfactual.json")
    assert found["pool"] == 80 and found["correlations"]["t3"] is None
    assert found["finding_a"]["verdict"] in ("holds", "not shown", "not measurable")
    cf = read_table(sweep_dir / "counterfactual.parquet").to_pydict()
    assert len(cf["cf_reproduced"]) == 80 * len(found["steps"])
    assert np.isfinite(cf["cf_nelbo"]).all() and len(found["membership"]) == 2


def test_calibration_counts_holds_on_null_and_planted_oracles_and_the_page_shows_it(tmp_path):
    from slopscope.experiments.studies.counterfactual_calibration import calibrate_counterfactual
    from slopscope.report.counterfactual import build_counterfactual_report

    found = calibrate_counterfactual("e2", ORACLE, replicates=3, models=2,
                                     execution=Execution(tmp_path, workers=2),
                                     report=lambda *_: None)
    assert found["arms"]["null"]["hits"] == 0 and found["arms"]["planted"]["hits"] == 3
    assert (tmp_path / "calibration" / "e2-prototypical-cf.json").exists()
    sweep_dir = run_counterfactual("e2", [*ORACLE, "model.options.memorize=0.0"], models=2,
                                   execution=Execution(tmp_path, workers=2), report=lambda *_: None)
    page = build_counterfactual_report(sweep_dir, app.sweep_calibration_for(sweep_dir))
    page = page.read_text()
    assert "false positives 0/3 = 0%" in page and "power 3/3 = 100%" in page
