"""The oracle backbone: exact samples and likelihoods of the perfect generaliser, optionally mixed
with a planted memoriser, and every verdict calibrated on it (no training)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slopscope import RHM, SlopscopeError
from slopscope.experiments import load_config
from slopscope.experiments.calibration.calibrate import calibrate
from slopscope.experiments.run.controls import OracleConfig, PlantedOracle, memorised_indices
from slopscope.experiments.run.runner import run_experiment
from slopscope.experiments.sweeps.executors import Execution
from slopscope.verdicts import BY_NAME

TINY = RHM(v=4, n=3, m=2, s=2, L=3, seed=2)


def _oracle(memorize=0.3, which="typical", onset=0):
    train = TINY.sample(40, seed=1, unique=True)
    t1 = np.arange(40, dtype=float)  # string i has typicality i
    return train, PlantedOracle(TINY, train, t1, OracleConfig(memorize, which, onset),
                                [10, 100, 1000])


def test_memorised_sets_are_the_typical_and_atypical_fifths():
    t1 = np.array([5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 0.0, 6.0, 4.0])
    assert memorised_indices(t1, "typical").tolist() == [2, 6]
    assert memorised_indices(t1, "atypical").tolist() == [1, 7]
    assert memorised_indices(t1, "all").tolist() == list(range(10))


def test_the_share_ramps_up_in_log_step_from_the_onset():
    _, oracle = _oracle(0.4, onset=10)
    assert oracle.share(5) == 0.0 and oracle.share(10) == 0.0
    assert oracle.share(100) == pytest.approx(0.2) and oracle.share(1000) == pytest.approx(0.4)
    _, constant = _oracle(0.4, onset=0)
    assert constant.share(10) == constant.share(1000) == 0.4


def test_the_likelihood_is_the_exact_mixture_and_sums_to_one():
    train, oracle = _oracle(0.3)
    every = TINY.enumerate()
    p = np.exp(-oracle.nll(every, 1000))
    assert p.sum() == pytest.approx(1.0)
    memorised = {tuple(row) for row in oracle.memorised}
    flags = np.array([tuple(row) in memorised for row in every])
    expected = 0.7 * np.exp(TINY.log_prob(every)) + 0.3 * flags / len(memorised)
    np.testing.assert_allclose(p, expected, rtol=1e-12)


def test_the_slop_generator_draws_rules_at_sharpened_training_frequencies():
    train = TINY.sample(40, seed=1, unique=True)
    oracle = PlantedOracle(TINY, train, np.zeros(40), OracleConfig(sharpen=2.0), [10, 100])
    every = TINY.enumerate()
    assert np.exp(-oracle.nll(every, 100)).sum() == pytest.approx(1.0)
    from slopscope.measure import rule_frequencies

    tables, _ = rule_frequencies(TINY, train)
    expected = tables[-1] ** 2 / (tables[-1] ** 2).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(oracle.grammar.probs[-1], expected)


def test_generations_copy_the_memorised_set_at_the_planted_share():
    _, oracle = _oracle(0.3)
    gens = oracle.generate(20_000, seed=0, step=1000)
    assert TINY.is_valid(gens).all()
    np.testing.assert_array_equal(gens, oracle.generate(20_000, seed=0, step=1000))
    in_set = (gens[:, None, :] == oracle.memorised[None]).all(-1).any(-1)
    chance = np.exp(TINY.log_prob(oracle.memorised)).sum()  # the generaliser hits the set too
    assert in_set.mean() == pytest.approx(0.3 + 0.7 * chance, abs=0.015)


def test_oracle_settings_and_token_data_give_one_line_errors():
    with pytest.raises(SlopscopeError, match="memorize' = 1.5"):
        load_config("e2", ["model.backbone=oracle", "model.options.memorize=1.5"])
    with pytest.raises(SlopscopeError, match="allowed: all, typical, atypical"):
        load_config("e2", ["model.backbone=oracle", "model.options.memorize_set='rare'"])
    with pytest.raises(SlopscopeError, match="needs a grammar"):
        load_config("words", ["model.backbone=oracle"])


SMALL = ["grammar.v=8", "grammar.n=8", "grammar.m=4", "data.train=128", "data.test=128",
         "train.steps=1000", "train.checkpoints=5", "train.first_checkpoint=100",
         "measure.generations=500"]


def _config_file(tmp_path, base: str, overrides: list[str], name: str):
    from slopscope.experiments.config.schema import read_toml

    config = load_config(base, overrides).to_dict()
    config["name"] = name
    config = {k: v for k, v in config.items() if v is not None}
    lines = []

    def emit(prefix, table):
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict) and v is not None}
        lines.append(f"[{prefix}]" if prefix else "")
        lines.extend(f"{k} = {json.dumps(v)}" for k, v in scalars.items())
        for k, v in table.items():
            if isinstance(v, dict):
                emit(f"{prefix}.{k}" if prefix else k, v)

    emit("", config)
    path = tmp_path / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    read_toml(str(path))
    return path


def test_an_oracle_run_goes_through_the_whole_pipeline(tmp_path):
    config = load_config("e2", [*SMALL, "model.backbone=oracle", "model.options.memorize=0.3",
                                "model.options.memorize_set='typical'"])
    run_dir = run_experiment(config, 3, tmp_path, progress=False)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert not (run_dir / "checkpoints").exists()  # nothing was trained
    assert summary["steps"] == [100, 178, 316, 562, 1000]
    assert summary["findings"]["A"]["verdict"] == "holds"
    assert set(summary["findings"]) == {"A", "D"}
    saved = json.loads((run_dir / "config.json").read_text())
    assert set(saved["seeds"]) == {"run", "grammar", "data", "model"}


def test_a_run_judged_under_an_older_rule_is_judged_again_from_its_measurements(tmp_path):
    config = load_config("e2", [*SMALL, "model.backbone=oracle", "model.options.memorize=0.3",
                                "model.options.memorize_set='typical'"])
    run_dir = run_experiment(config, 3, tmp_path, progress=False)
    path, measured = run_dir / "summary.json", sorted((run_dir / "measurements").iterdir())
    judged = json.loads(path.read_text())
    assert judged["revisions"] == {name: BY_NAME[name].revision for name in ("A", "D")}
    stamps = [m.stat().st_mtime_ns for m in measured]
    tampered = json.loads(path.read_text())
    tampered["findings"]["A"]["statistic"] = 99.0
    path.write_text(json.dumps(tampered))  # judged under today's rules: left as it is
    run_experiment(config, 3, tmp_path, progress=False)
    assert json.loads(path.read_text())["findings"]["A"]["statistic"] == 99.0
    del tampered["revisions"]  # a summary from before revisions: revision 1, older than A's
    path.write_text(json.dumps(tampered))
    run_experiment(config, 3, tmp_path, progress=False)
    again = json.loads(path.read_text())
    assert again["findings"] == judged["findings"] and again["revisions"] == judged["revisions"]
    assert [m.stat().st_mtime_ns for m in measured] == stamps  # nothing measured again


def test_calibration_of_run_verdicts_on_nulls_and_planted_memorisers(tmp_path):
    """Nulls on a fat-tailed grammar where the generaliser reproduces many strings: D on the
    perfect generaliser, A on the memoriser of every string (`uniform`, A's null arm) hold at no
    more than the nominal rate. There A's uniform null leans to "reversed", never to "holds":
    typical strings are reproduced by the generaliser in both splits, so copies of them add no
    excess and copies of atypical ones do (saturation; docs/verdicts.md). Planted typical
    memorisation (0.3) is detected in >= 80 % of seeds on a uniform grammar; planted atypical
    memorisation never reads as A."""
    fat = _config_file(tmp_path, "e3", SMALL, "small-fat")
    table = calibrate(str(fat), runs=30, execution=Execution(tmp_path / "runs"),
                      report=lambda _: None)
    for name in ("A", "D"):
        null = table["verdicts"][name][BY_NAME[name].null_label]
        assert null["hits"] <= 3  # 2.5 % of 30: P < 1 %
    coverage = table["verdicts"]["D"]["null_coverage"]  # of the pipeline's own intervals
    assert coverage["n"] >= 20 and coverage["rate"] >= 0.85
    uniform_null = [s for s, _, _ in table["statistics"]["A"]["uniform"] if s is not None]
    assert len(uniform_null) >= 20 and sum(uniform_null) / len(uniform_null) < 0
    uniform = _config_file(tmp_path, "e2", SMALL, "small-uniform")
    table = calibrate(str(uniform), runs=20, execution=Execution(tmp_path / "runs"),
                      report=lambda _: None)
    a, d = table["verdicts"]["A"], table["verdicts"]["D"]
    assert a["power"]["rate"] >= 0.8 and a["atypical_holds"]["hits"] == 0
    assert d["slop_holds"]["rate"] >= 0.8  # rules drawn at their training frequencies
    assert (tmp_path / "runs" / "calibration" / "small-uniform.json").exists()


def test_b_does_not_hold_on_a_null_sweep_and_detects_a_planted_delay(tmp_path):
    """Null sweep over a = 0.25, 1, 4: B never holds. A planted delay (the memorisation of the
    typical fifth starts later at smaller a) is detected, on a grammar where the generaliser does
    not already reproduce most strings (at a = 4 nearly every string is reproduced by chance, and
    no excess is left to see: a ceiling that the calibration of e3 measures)."""
    fat = _config_file(tmp_path, "e3", SMALL, "small-fat")
    sweep = tmp_path / "null-b.toml"
    sweep.write_text(f'base = "{fat}"\nseeds = [0, 1, 2, 3, 4]\n[grid]\n'
                     '"grammar.zipf_a" = [0.25, 1.0, 4.0]\n')
    table = calibrate(str(sweep), runs=2, execution=Execution(tmp_path / "runs"),
                      report=lambda _: None)
    assert table["verdicts"]["B"]["false_positive_rate"]["hits"] == 0
    wide = _config_file(tmp_path, "e3", [*SMALL[3:], "grammar.m=4"], "wide-fat")
    sweep = tmp_path / "planted-b.toml"
    sweep.write_text(f'base = "{wide}"\nseeds = [0, 1, 2, 3, 4]\n[grid]\n'
                     '"grammar.zipf_a" = [0.1, 0.25, 0.5]\n')
    table = calibrate(str(sweep), runs=2, memorize=0.5, execution=Execution(tmp_path / "runs"),
                      report=lambda _: None)
    b = table["verdicts"]["B"]
    assert b["false_positive_rate"]["hits"] == 0 and b["power"]["hits"] == 2


def test_c_calibrates_on_a_matched_entropy_sweep_with_list_valued_points(tmp_path):
    from slopscope.grammar.matching import matched_zipf_exponent

    base = _config_file(tmp_path, "e4", [*SMALL[3:], "grammar.zipf_a=2.0"], "small-levels")
    top = RHM(16, 16, 4, 2, 3, seed=0, zipf_a=2.0, zipf_levels=(1,)).entropy()
    bottom = matched_zipf_exponent(16, 16, 4, 2, 3, 3, top)
    sweep = tmp_path / "c.toml"
    sweep.write_text(f'base = "{base}"\nseeds = [0, 1, 2, 3]\npoints = [\n'
                     '  { "grammar.zipf_levels" = [1], "grammar.zipf_a" = 2.0 },\n'
                     f'  {{ "grammar.zipf_levels" = [3], "grammar.zipf_a" = {bottom:.6f} }},\n]\n')
    table = calibrate(str(sweep), runs=1, execution=Execution(tmp_path / "runs"),
                      report=lambda _: None)
    c = table["verdicts"]["C"]
    assert c["false_positive_rate"]["n"] == 1 and c["false_positive_rate"]["hits"] == 0
    assert c["false_positive_rate"]["measurable"] == 1  # the arms' entropies match


def test_a_t3_preset_plants_its_typical_fifth_by_exact_log_p():
    """A preset judging A by T3 calibrates on fifths ranked by log p (the oracle ranks them),
    while a T1 preset's controls stay as they were (no memorize_by override, same hashes)."""
    from slopscope.experiments.calibration.calibrate import _jobs
    from slopscope.experiments.run.measured_models import OracleModel
    from slopscope.experiments.run.sources import GrammarSource

    _, (job,) = _jobs("paper-cpu", "planted", 0.3, 0)
    assert 'model.options.memorize_by="t3"' in job.overrides
    _, (plain,) = _jobs("w2", "planted", 0.3, 0)
    assert not any("memorize_by" in o for o in plain.overrides)
    config = load_config("paper-cpu", ["data.train=200", "data.test=50", *job.overrides])
    source, train, _, _ = GrammarSource.build(config, {"grammar": 1, "data": 2})
    model = OracleModel(config, source, train, np.zeros(len(train)))
    log_p = source.grammar.log_prob(train)
    memorised = {tuple(x) for x in model.oracle.memorised}
    assert len(memorised) == 40 and min(log_p[[tuple(x) in memorised for x in train]]) == \
        log_p.max()  # every planted string has the top log p: the root's first production
