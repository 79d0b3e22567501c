"""Memorisation times, curves and statistics against hand answers and SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from slopscope import SlopscopeError
from slopscope.measure import (
    curves_by_quantile,
    generation_times,
    likelihood_times,
    matched_heldout_score,
    mean_ci,
    memorized_curve,
    score_times,
    spearman,
    spearman_ci,
)
from slopscope.measure.stats import ranks


def test_generation_times_are_first_reproduction_steps_with_censoring():
    steps = [10, 100, 1000]
    counts = np.array([[0, 1, 0, 0], [2, 0, 0, 3], [1, 1, 0, 0]])
    np.testing.assert_array_equal(generation_times(counts, steps), [100, 10, np.inf, 100])


def test_likelihood_times_compare_with_the_true_loss():
    nelbo = np.array([[3.0, 2.0], [1.5, 2.0], [1.0, 1.9]])
    np.testing.assert_array_equal(likelihood_times(nelbo, [2.0, 1.8], [1, 2, 3]), [2, np.inf])


def test_times_reject_bad_checkpoints():
    with pytest.raises(SlopscopeError, match="strictly increasing"):
        generation_times(np.zeros((2, 3)), [5, 5])
    with pytest.raises(SlopscopeError, match="checkpoints"):
        generation_times(np.zeros((2, 3)), [1, 2, 3])


def test_memorized_curve_counts_censored_strings_in_the_denominator():
    curve = memorized_curve([10, 100, np.inf, np.inf], [10, 100, 1000])
    np.testing.assert_allclose(curve["fraction"], [0.25, 0.5, 0.5])
    assert (curve["low"] <= curve["fraction"]).all() and (curve["high"] >= curve["fraction"]).all()
    ci = stats.binomtest(2, 4).proportion_ci(method="wilson")
    assert curve["low"][1] == pytest.approx(ci.low) and curve["high"][1] == pytest.approx(ci.high)


def test_curves_by_quantile_split_by_score():
    tau = np.array([1, 1, 1, np.inf, np.inf, np.inf], dtype=float)
    score = np.array([5, 6, 7, 1, 2, 3], dtype=float)
    low, high = curves_by_quantile(tau, score, [1], quantiles=2)
    assert low["fraction"][0] == 0.0 and high["fraction"][0] == 1.0
    assert low["size"] == high["size"] == 3


def test_spearman_matches_scipy_with_ties_and_infinities():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, 200).astype(float)
    y = x + rng.normal(size=200)
    y[:20] = np.inf  # censored times tie at the end
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    np.testing.assert_allclose(ranks([3, 1, 3, np.inf]), stats.rankdata([3, 1, 3, np.inf]))


def test_spearman_bootstrap_interval_is_reproducible_and_covers_rho():
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    y = 0.5 * x + rng.normal(size=300)
    rho, low, high = spearman_ci(x, y, seed=0, n_boot=500)
    assert low < rho < high
    assert (rho, low, high) == spearman_ci(x, y, seed=0, n_boot=500)
    boot = stats.bootstrap((x, y), lambda a, b: stats.spearmanr(a, b).statistic, paired=True,
                           n_resamples=500, method="percentile", random_state=0)
    assert low == pytest.approx(boot.confidence_interval.low, abs=0.03)
    assert high == pytest.approx(boot.confidence_interval.high, abs=0.03)


def test_mean_ci_matches_the_t_interval():
    values = [1.0, 2.0, 4.0, 3.5]
    mean, low, high = mean_ci(values)
    want = stats.t.interval(0.95, 3, loc=np.mean(values), scale=stats.sem(values))
    assert mean == pytest.approx(2.625)
    assert (low, high) == pytest.approx(want)
    assert np.isnan(mean_ci([3.0])[1])
    mean, low, high = mean_ci([10.0, np.inf])
    assert mean == np.inf and np.isnan(low) and np.isnan(high)


def test_matched_heldout_score_subtracts_the_bin_mean():
    score = matched_heldout_score(nelbo_train=[5.0, 1.0], typ_train=[0.1, 0.9],
                                  nelbo_held=[4.0, 6.0, 2.0, 2.0], typ_held=[0.0, 0.2, 0.8, 1.0],
                                  bins=2)
    np.testing.assert_allclose(score, [0.0, -1.0])


def test_score_times_use_the_threshold():
    scores = np.array([[0.5, -0.1], [-0.2, 0.3]])
    np.testing.assert_array_equal(score_times(scores, [5, 50]), [50, 5])
    np.testing.assert_array_equal(score_times(scores, [5, 50], threshold=-0.15), [50, np.inf])


def excess_by_quantile(reproduced_train, score_train, reproduced_test, score_test, seed,
                       **options):
    """excess_contrast at one checkpoint, from reproduced / not reproduced flags."""
    from slopscope.measure import excess_contrast

    def tau(flags):
        return np.where(np.asarray(flags, dtype=bool), 1.0, np.inf)

    return excess_contrast(tau(reproduced_train), score_train, tau(reproduced_test), score_test,
                           [1], seed, "last", **options)


def test_excess_by_quantile_by_hand():
    score = [1.0, 2.0, 3.0, 4.0]  # pooled with the same held-out scores: groups {1, 2}, {3, 4}
    out = excess_by_quantile([0, 0, 1, 1], score, [0, 0, 1, 0], score, seed=0, groups=2,
                             n_boot=200)
    assert out["train"] == [0.0, 1.0] and out["test"] == [0.0, 0.5]
    assert out["excess"] == [0.0, 0.5] and out["contrast"] == 0.5
    assert out["low"] <= 0.5 <= out["high"]


def test_excess_by_quantile_ignores_how_many_strings_were_reproduced():
    """A generaliser (same reproduction law for both splits) shows no excess, whatever the rate;
    extra memorisation of typical training strings shows up as a positive contrast."""

    rng = np.random.default_rng(0)
    s_train, s_test = rng.normal(size=3000), rng.normal(size=3000)

    def law(s):
        return rng.random(s.shape[0]) < 1 / (1 + np.exp(-(2 * s - 3)))

    null = excess_by_quantile(law(s_train), s_train, law(s_test), s_test, seed=1)
    assert null["low"] < 0 < null["high"]
    typical_memorised = law(s_train) | ((s_train > 0.5) & (rng.random(3000) < 0.3))
    effect = excess_by_quantile(typical_memorised, s_train, law(s_test), s_test, seed=1)
    assert effect["low"] > 0.05 and effect["contrast"] > 0.1


def test_linear_fit_matches_scipy_linregress():
    from scipy import stats as sps

    from slopscope.measure import linear_fit

    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    y = 0.7 * x + rng.normal(size=40)
    fit, ref = linear_fit(x, y), sps.linregress(x, y)
    assert fit["slope"] == pytest.approx(ref.slope) and fit["se"] == pytest.approx(ref.stderr)
    half = sps.t.ppf(0.975, 38) * ref.stderr
    assert fit["low"] == pytest.approx(ref.slope - half)
    assert np.isnan(linear_fit([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])["slope"])


def test_holm_adjusts_step_down_by_hand():
    from slopscope.measure import holm

    adjusted = holm([0.01, 0.04, 0.03, np.nan, 0.5])
    np.testing.assert_allclose(adjusted, [0.04, 0.09, 0.09, np.nan, 0.5])


def test_memorisation_area_by_hand():
    from slopscope.measure import memorisation_area, onset_step

    steps = [10, 100, 1000]  # equal log gaps
    train = np.array([10, 100, np.inf, np.inf])  # reproduced fractions 0.25, 0.5, 0.5
    test = np.array([1000, np.inf, np.inf, np.inf])  # 0, 0, 0.25
    # excess 0.25, 0.5, 0.25 -> trapezoids (0.375 + 0.375) / 2
    assert memorisation_area(train, test, steps) == pytest.approx(0.375)
    assert onset_step(train, test, steps, threshold=0.5) == 100
    assert onset_step(train, test, steps, threshold=0.6) == np.inf


def test_excess_contrast_interval_covers_zero_on_exchangeable_nulls():
    """A generaliser (reproduction time depends on the string's probability, not its split):
    the 95 % interval, which re-applies the halfway rule to each resample, covers the true
    contrast 0 in at least ~90 % of draws."""
    from slopscope.measure import excess_contrast

    rng = np.random.default_rng(11)
    steps = np.array([10, 30, 100, 300, 1000])
    covered = 0
    for rep in range(120):
        logp = rng.normal(size=600)
        typ = logp + rng.normal(size=600)  # typical strings are the probable ones
        tau = np.full(600, np.inf)
        hit = rng.random(600) < 1 / (1 + np.exp(-(logp - 0.5)))
        tau[hit] = steps[rng.integers(0, 5, hit.sum())]
        split = rng.permutation(600)
        tr, te = split[:300], split[300:]
        out = excess_contrast(tau[tr], typ[tr], tau[te], typ[te], steps, seed=rep, n_boot=300)
        covered += out["low"] <= 0 <= out["high"]
    assert covered / 120 >= 0.88


def test_excess_slope_is_null_for_a_generaliser_and_positive_for_a_typical_memoriser():
    from slopscope import RHM
    from slopscope.measure import excess_slope, grammar_block_ids

    g = RHM(v=16, n=16, m=4, s=2, L=3, seed=0)
    train = g.sample(512, seed=1, unique=True)
    fresh = grammar_block_ids(g, g.sample(2000, seed=3))[1]
    train_ids = grammar_block_ids(g, train)[1]
    p_null = [excess_slope(grammar_block_ids(g, g.sample(2000, seed=10 + i))[1], fresh,
                           train_ids, seed=i)["p"] for i in range(20)]
    assert sum(p < 0.05 for p in p_null) <= 3
    counts = np.unique(train_ids, return_counts=True)
    common = counts[0][np.argsort(-counts[1])[:8]]
    typical = train[np.isin(train_ids, common).sum(axis=1) >= 2]
    gens = g.sample(2000, seed=4)
    gens[:300] = typical[np.arange(300) % typical.shape[0]]  # 15 % copies of typical strings
    out = excess_slope(grammar_block_ids(g, gens)[1], fresh, train_ids, seed=0)
    assert out["excess_slope"] > 0 and out["low"] > 0 and out["p"] < 0.01


def test_excess_slope_is_nan_without_three_training_units():
    from slopscope.measure import excess_slope

    ids = np.array([[1, 2], [1, 1]])
    assert np.isnan(excess_slope(ids, ids, ids, seed=0)["excess_slope"])


def test_crossing_step_interpolates_in_log_step():
    from slopscope.measure import crossing_step

    steps = [10, 100, 1000, 10000]
    # 0.04 at 100 and 0.06 at 1000: the crossing of 0.05 is half-way in log step
    assert crossing_step([0, 0.04, 0.06, 0.2], steps, 0.05) == pytest.approx(10**2.5)
    assert crossing_step([0, 0.05, 0.06, 0.2], steps, 0.05) == pytest.approx(100)
    assert crossing_step([0.3, 0.4, 0.5, 0.6], steps, 0.05) == 10  # there from the start
    assert crossing_step([0, 0.01, 0.02, 0.04], steps, 0.05) == np.inf  # censored
    assert crossing_step([np.nan, np.nan, 0.1, 0.2], steps, 0.05) == 1000
    with pytest.raises(SlopscopeError, match="3 values for 4 checkpoints"):
        crossing_step([0, 1, 2], steps, 0.5)
