"""Membership-inference metrics against brute-force pair counting and threshold scans."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slopscope.errors import SlopscopeError
from slopscope.measure.membership import auc_delong, membership_columns, tpr_at_fpr

scores = st.lists(st.sampled_from([-np.inf, -3.0, -1.0, -0.5, 0.0, 0.5, 2.0]), min_size=2,
                  max_size=25)


def _pairwise(x, y):
    """psi(x_i, y_j): 1 if x_i > y_j, 1/2 if equal, 0 otherwise."""
    x, y = np.asarray(x, float)[:, None], np.asarray(y, float)[None, :]
    return (x > y) + 0.5 * (x == y)


@settings(max_examples=80, deadline=None)
@given(scores, scores)
def test_auc_and_delong_variance_match_pair_counting(x, y):
    psi = _pairwise(x, y)
    auc, low, high = auc_delong(x, y)
    assert auc == pytest.approx(psi.mean())
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    se = np.sqrt(v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(y))
    assert low == pytest.approx(max(0.0, psi.mean() - 1.959963984540054 * se))
    assert high == pytest.approx(min(1.0, psi.mean() + 1.959963984540054 * se))


@settings(max_examples=80, deadline=None)
@given(scores, scores, st.sampled_from([0.01, 0.1, 0.2, 0.5]))
def test_tpr_is_the_best_rate_whose_false_positives_stay_within_the_budget(x, y, fpr):
    """Brute force over every strict threshold: the largest TPR with FPR <= fpr."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    best = 0.0
    for t in np.concatenate([x, y, [np.inf]]):
        if (y > t).mean() <= fpr + 1e-12:
            best = max(best, (x > t).mean())
    tpr, low, high, achieved = tpr_at_fpr(x, y, fpr)
    assert tpr == pytest.approx(best)
    assert achieved <= fpr + 1e-12
    assert low <= tpr <= high


def test_a_perfect_separation_gives_auc_one_and_full_recall():
    members, nonmembers = np.zeros(50), np.full(200, -np.inf)
    assert auc_delong(members, nonmembers) == (1.0, 1.0, 1.0)
    assert tpr_at_fpr(members, nonmembers, 0.001)[0] == 1.0


def test_identical_scores_give_auc_one_half_and_no_recall():
    cols = membership_columns(np.ones(30), np.ones(40))
    assert cols["mia_auc"] == 0.5
    assert cols["mia_tpr_at_1pct"] == 0.0 and cols["mia_tpr_at_0_1pct"] == 0.0


def test_exchangeable_scores_give_an_interval_around_one_half():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(200):
        _, low, high = auc_delong(rng.normal(size=100), rng.normal(size=100))
        hits += low <= 0.5 <= high
    assert 0.90 <= hits / 200 <= 0.99  # nominal 95 %


def test_unmeasured_scores_give_nan_and_bad_rates_a_clear_error():
    assert np.isnan(membership_columns([np.nan, 1.0], [0.0])["mia_auc"])
    with pytest.raises(SlopscopeError, match="fpr=1.5"):
        tpr_at_fpr([1.0], [0.0], 1.5)
    with pytest.raises(SlopscopeError, match="members and non-members"):
        auc_delong([], [0.0])


def test_lira_ranks_a_sample_by_the_side_its_score_falls_on():
    from slopscope.measure.membership import lira_scores

    reference = np.array([[0.0, 1.0], [0.2, 1.2], [1.0, 0.0], [1.2, 0.2]])
    member = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], bool)  # in-models score high
    # each sample: in-models score 0.0, 0.2 (mean 0.1), out-models 1.0, 1.2 (mean 1.1)
    scores = lira_scores(np.array([0.1, 1.1]), reference, member)
    assert scores[0] > 0 > scores[1]  # at the in-mean: member-like; at the out-mean: not
    # equal spreads: the ratio is the difference of squared distances over 2 sd^2, with sd
    # pooled over samples (4 deviations of 0.1, one mean per sample: 2 degrees of freedom)
    sd = np.sqrt(4 * 0.01 / 2)
    assert scores[0] == pytest.approx(0.5 * (1.0 / sd) ** 2)
    assert scores[1] == pytest.approx(-scores[0])
    with pytest.raises(SlopscopeError, match="finite scores"):
        lira_scores(np.array([np.inf, 0.0]), reference, member)
    same = lira_scores(np.zeros(2), np.zeros((4, 2)), member)  # no spread at all: no evidence
    np.testing.assert_array_equal(same, 0.0)
