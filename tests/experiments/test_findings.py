"""Verdict rules (slopscope.experiments.verdicts: run_rules, sweep_rules): exact answers on
constructed inputs, and the points a rule turns on."""

from __future__ import annotations

import numpy as np
import pytest

from slopscope import RHM
from slopscope.errors import SlopscopeError
from slopscope.experiments.config.schema import FindingsConfig
from slopscope.experiments.run.seeds import resolve_seeds
from slopscope.experiments.verdicts import RunEvidence
from slopscope.experiments.verdicts.run_rules import finding_a, finding_d
from slopscope.experiments.verdicts.sweep_rules import sweep_findings
from slopscope.grammar.matching import matched_zipf_exponent
from slopscope.verdicts import judge as verdict


def _finding_d(records, config) -> dict:
    steps = [r["step"] for r in records]
    return finding_d(RunEvidence({}, {}, steps, records, config, 0)).to_dict()


def _finding_a(taus, static, steps, config, seed) -> dict:
    return finding_a(RunEvidence(taus, static, list(steps), [], config, seed)).to_dict()


def _sweep_findings(runs) -> dict:
    return {name: found.to_dict() for name, found in sweep_findings(runs).items()}


def test_verdict_follows_the_interval():
    assert verdict(0.2, 0.1, 0.3) == "holds"
    assert verdict(-0.2, -0.3, -0.1) == "reversed"
    assert verdict(0.05, -0.02, 0.12) == "not shown"
    assert verdict(float("nan"), 0.0, 1.0) == "not measurable"


def _records(excess_slopes, p_values, copies, size=1):
    return [{"step": 10 * (i + 1), "scalars": {"excess_copy_fraction": c},
             "blocks": [{"unit": "block", "size": size, "excess_slope": e, "excess_slope_p": p,
                         "excess_slope_low": e - 0.1, "excess_slope_high": e + 0.1,
                         "slope": 0.5 + e, "slope_null": 0.5}]}
            for i, (e, p, c) in enumerate(zip(excess_slopes, p_values, copies, strict=True))]


def test_d_tests_only_the_copy_window_with_holm():
    config = FindingsConfig()
    # p = 0.02 at one of 2 window checkpoints: Holm 0.04 < 0.05 -> holds
    d = _finding_d(_records([0.3, 0.1, 0.4], [0.02, 0.5, 1e-6], [0.0, 0.01, 0.2]), config)
    assert d["verdict"] == "holds" and d["window"] == [10, 20] and d["rejected"] == [10]
    assert d["holm_p"] == pytest.approx(0.04)
    half = 0.1 / 1.959964 * 2.241403  # the row's 95 % half-width widened to 1 - 0.05 / 4
    assert d["low"] == pytest.approx(0.3 - half) and d["high"] == pytest.approx(0.3 + half)
    # the same p among 4 window checkpoints: Holm 0.08 -> not shown
    d = _finding_d(_records([0.3, 0.1, 0.1, 0.1], [0.02, 0.5, 0.5, 0.5], [0.0] * 4), config)
    assert d["verdict"] == "not shown"
    # a checkpoint without a p-value is not in Holm's family, nor in the interval's level
    d = _finding_d(_records([0.3, float("nan"), 0.1], [0.02, float("nan"), 0.5], [0.0] * 3),
                  config)
    assert d["verdict"] == "holds" and d["low"] > 0 and "over 2 checkpoints" in d["measured"]
    d = _finding_d(_records([-0.3, 0.1], [1e-4, 0.5], [0.0, 0.0]), config)
    assert d["verdict"] == "reversed"
    assert _finding_d(_records([0.3], [1e-4], [0.5]), config)["verdict"] == "not measurable"
    d = _finding_d(_records([0.3], [1e-4], [0.0]), FindingsConfig(d_block_size=2))
    assert d["verdict"] == "not measurable" and "not measured" in d["measured"]


def test_d_learning_window_runs_from_tau_star_1_to_tau_mem():
    # a young model under-produces common blocks (steps 10, 20), then over-produces them (30, 40),
    # then copies (50, 60: above the gate)
    records = _records([-0.4, -0.4, 0.4, 0.4, 0.4, 0.4], [1e-5] * 6,
                       [0.0, 0.0, 0.0, 0.01, 0.2, 0.3])
    steps = [r["step"] for r in records]
    copies = _finding_d(records, FindingsConfig())
    assert copies["window"] == [10, 20, 30, 40] and copies["verdict"] == "not shown"

    def learning(onsets):
        return finding_d(RunEvidence({}, {}, steps, records, FindingsConfig(d_window="learning"),
                                     0, onsets)).to_dict()

    d = learning({"memorisation": 45.0, "learned": {"1": 25.0, "2": 35.0}})
    assert d["window"] == [30, 40] and d["verdict"] == "holds" and "tau*_1" in d["rule"]
    assert learning({"memorisation": 45.0, "learned": {"1": 30.0}})["window"] == [30, 40]
    assert learning({"memorisation": 40.0, "learned": {"1": 30.0}})["window"] == [30]
    censored = learning({"memorisation": float("inf"), "learned": {"1": 25.0}})
    assert censored["window"] == [30, 40, 50, 60]  # tau_mem beyond the run: up to its end
    for onsets, why in (({"memorisation": 45.0, "learned": {"1": float("inf")}}, "never learned"),
                        ({"memorisation": 15.0, "learned": {"1": 25.0}}, "before block size 1"),
                        ({"memorisation": 28.0, "learned": {"1": 25.0}}, "no checkpoint between"),
                        ({"memorisation": 45.0}, "needs per-level validity")):
        d = learning(onsets)
        assert d["verdict"] == "not measurable" and why in d["measured"], (onsets, d)
    # the share of valid strings ("levels") does not open the window: above chance does
    assert learning({"memorisation": 45.0, "levels": {"1": 25.0}})["verdict"] == "not measurable"
    # "generalising": from the top level's learning time (the largest block size) on
    whole = finding_d(RunEvidence({}, {}, steps, records, FindingsConfig(d_window="generalising"),
                                  0, {"memorisation": 45.0, "learned": {"1": 15.0, "2": 35.0}}))
    assert whole.details["window"] == [40] and "tau*_L" in whole.rule
    with pytest.raises(SlopscopeError, match="d_window"):
        FindingsConfig(d_window="gate")


def _static(t1_train, t1_test):
    nan = np.full_like
    return {split: {"t1": t, "t1_kgram": t, "t2": nan(t, np.nan), "t3": nan(t, np.nan)}
            for split, t in (("train", t1_train), ("test", t1_test))}


def test_a_primary_statistic_is_declared_and_variants_are_secondary():
    rng = np.random.default_rng(0)
    t_train, t_test = rng.normal(size=400), rng.normal(size=400)
    steps = [10, 100, 1000]
    taus = {"train": np.where(t_train > 0.8, 10.0, np.where(rng.random(400) < 0.1, 1000, np.inf)),
            "test": np.where(rng.random(400) < 0.1, 1000.0, np.inf)}
    a = _finding_a(taus, _static(t_train, t_test), steps, FindingsConfig(a_time="halfway"),
                   seed=0)
    assert a["verdict"] == "holds" and a["step"] == 10 and "t1, halfway" in a["measured"]
    labels = [s["measured"].split(":")[0] for s in a["secondary"]]
    assert labels == ["t1, excess-half", "t1, last", "t1_kgram, excess-half",
                      "t1_kgram, halfway", "t1_kgram, last"]  # t2, t3 unavailable
    assert FindingsConfig().a_time == "excess-half"
    none = {"train": np.full(400, np.inf), "test": np.full(400, np.inf)}
    assert _finding_a(none, _static(t_train, t_test), steps, FindingsConfig(),
                     seed=0)["verdict"] == "not measurable"


def _runs(key, values, area, seeds=5, noise=0.01, entropy=10.0):
    rng = np.random.default_rng(1)
    return [{"values": {key: v}, "seed": s, "area": area(v) + noise * rng.normal(),
             "entropy": entropy, "tau_mem": None, "tau_rule": None}
            for v in values for s in range(seeds)]


def test_b_and_e1_regress_the_delay_area_on_the_log_grid_value():
    b = _sweep_findings(_runs("grammar.zipf_a", [0.25, 1.0, 4.0], lambda a: 0.1 * np.log(a)))["B"]
    assert b["verdict"] == "holds" and b["statistic"] == pytest.approx(0.1, abs=0.01)
    flat = _sweep_findings(_runs("grammar.zipf_a", [0.25, 1.0, 4.0], lambda a: 0.2))["B"]
    assert flat["verdict"] == "not shown"
    e1 = _sweep_findings(_runs("data.train", [128, 256, 512], lambda p: -0.05 * np.log(p)))["E1"]
    assert e1["verdict"] == "holds" and e1["high"] < 0


def test_the_memorisation_time_exponent_is_recovered_and_censored_runs_are_counted():
    from slopscope.experiments.verdicts.scaling import memorisation_scaling

    rng = np.random.default_rng(0)
    runs = [{"values": {"data.train": p}, "seed": s, "tau_mem": 3.0 * p * np.exp(0.05 * z),
             "tau_rule": 40.0} for p in (128, 256, 512, 1024) for s, z in
            enumerate(rng.normal(size=6))]
    fit = memorisation_scaling(runs)
    assert fit["low"] < 1.0 < fit["high"] and fit["exponent"] == pytest.approx(1.0, abs=0.05)
    assert fit["runs"] == 24 and fit["censored"] == 0
    assert [w["tau_rule"] for w in fit["window"]] == pytest.approx([40.0] * 4)
    exact = np.exp(np.mean([np.log(r["tau_mem"]) for r in runs[:6]]))
    assert fit["window"][0]["tau_mem"] == pytest.approx(exact)
    runs[-1]["tau_mem"] = np.inf  # one run at the largest P never copies: left out, counted
    assert memorisation_scaling(runs)["censored"] == 1 and memorisation_scaling(runs)["runs"] == 23
    flat = memorisation_scaling([dict(r, tau_mem=np.inf) for r in runs])
    assert flat["exponent"] is None and "not measurable" in flat["measured"]


def test_c_pairs_arms_by_seed_and_needs_matched_entropy():
    def arms(top, bottom, h_top=11.63, h_bottom=11.63):
        return [{"values": {"grammar.zipf_levels": [1], "grammar.zipf_a": 2.0}, "seed": s,
                 "area": top + 0.01 * s, "entropy": h_top} for s in range(5)] + \
               [{"values": {"grammar.zipf_levels": [3], "grammar.zipf_a": 0.22}, "seed": s,
                 "area": bottom + 0.012 * s, "entropy": h_bottom} for s in range(5)]

    c = _sweep_findings(arms(0.1, 0.3))["C"]
    assert c["verdict"] == "holds" and c["statistic"] == pytest.approx(0.2 + 0.002 * 2)
    assert _sweep_findings(arms(0.3, 0.1))["C"]["verdict"] == "reversed"
    confounded = _sweep_findings(arms(0.1, 0.3, h_bottom=12.2))["C"]
    assert confounded["verdict"] == "not measurable" and "not matched" in confounded["measured"]


def test_the_e4_arms_have_matched_entropy():
    from slopscope.experiments import load_config
    from slopscope.experiments.sweeps.sweep import read_sweep

    g = load_config("e4").grammar
    points = [dict(p) for p in read_sweep("e4")["points"]]
    h = [RHM(g.v, g.n, g.m, g.s, g.L, seed=seed, zipf_a=p["grammar.zipf_a"],
             zipf_levels=p["grammar.zipf_levels"]).entropy() for p in points for seed in (0, 7)]
    assert max(h) - min(h) < 0.01 * max(h)
    a = matched_zipf_exponent(g.v, g.n, g.m, g.s, g.L, 3, h[0])
    assert a == pytest.approx(points[1]["grammar.zipf_a"], abs=1e-3)


def test_a_run_seed_derives_grammar_data_and_model_seeds_unless_set():
    from slopscope.experiments import load_config

    config = load_config("e2")
    one, two = resolve_seeds(config, 0), resolve_seeds(config, 1)
    assert len({one["grammar"], one["data"], one["model"]}) == 3
    assert all(one[k] != two[k] for k in ("grammar", "data", "model"))
    assert resolve_seeds(config, 0) == one
    fixed = load_config("e2", ["grammar.seed=5"])
    assert resolve_seeds(fixed, 0)["grammar"] == resolve_seeds(fixed, 1)["grammar"] == 5
    assert resolve_seeds(fixed, 0)["data"] != resolve_seeds(fixed, 1)["data"]


def test_a_is_not_measurable_when_too_few_strings_are_reproduced():
    """The Gaussian row's situation: a handful of training strings reproduced, no held-out one;
    the fifths' fractions are then 0 or one string, and the interval [0, 0] says nothing."""
    steps = [10, 20, 40, 80]
    rng = np.random.default_rng(0)
    t_train, t_test = rng.normal(size=200), rng.normal(size=200)
    few = {"train": np.where(np.arange(200) < 3, 40.0, np.inf), "test": np.full(200, np.inf)}
    a = _finding_a(few, _static(t_train, t_test), steps, FindingsConfig(), seed=0)
    assert a["verdict"] == "not measurable" and "not above 0" in a["measured"]
    a = _finding_a(few, _static(t_train, t_test), steps[:1] + [40], FindingsConfig(), seed=0)
    assert a["verdict"] == "not measurable"
    many = {"train": np.where(np.arange(200) < 12, 40.0, np.inf), "test": np.full(200, np.inf)}
    a = _finding_a(many, _static(t_train, t_test), steps, FindingsConfig(), seed=0)
    assert a["verdict"] != "not measurable"


def test_a_is_not_measurable_before_memorisation_beyond_the_control_begins():
    """A model that generalises and memorises nothing reproduces training and held-out strings
    alike: which strings are memorised first is not asked yet ("not measurable", never "not
    shown"); the same model with the typical fifth copied holds."""
    rng = np.random.default_rng(2)
    t_train, t_test = rng.normal(size=1000), rng.normal(size=1000)
    steps = [10, 100, 1000]

    def general(t):
        return np.where(rng.random(1000) < 0.5 / (1 + np.exp(-t)), 100.0, np.inf)

    taus = {"train": general(t_train), "test": general(t_test)}
    a = _finding_a(taus, _static(t_train, t_test), steps, FindingsConfig(), seed=0)
    assert a["verdict"] == "not measurable" and "no memorisation beyond" in a["measured"]
    assert all(s["verdict"] == "not measurable" for s in a["secondary"])
    copied = taus["train"].copy()
    top = t_train > np.quantile(t_train, 0.8)
    copied[top] = np.minimum(copied[top], 1000.0)
    a = _finding_a({**taus, "train": copied}, _static(t_train, t_test), steps, FindingsConfig(),
                   seed=0)
    assert a["verdict"] == "holds" and a["step"] == 1000 and a["excess_reproduced"] > 0.05


def test_d_names_its_significant_steps_in_prose():
    d = _finding_d(_records([0.3, 0.1, 0.4], [0.02, 0.5, 1e-6], [0.0, 0.01, 0.2]),
                   FindingsConfig())
    assert "over-production at steps 10, under-production at no step" in d["measured"]
    assert "[" not in d["measured"].split("Holm p")[1]
