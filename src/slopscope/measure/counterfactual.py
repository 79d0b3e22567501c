"""Counterfactual memorisation (Zhang et al. 2021): a sample's performance under the models
trained on it minus under the models that never saw it, and the disjoint-halves agreement of
Kadkhodaie et al. (2024). Pure functions of arrays: `member[k, i]` says whether model k trained
on pool sample i, `performance[k, i]` is model k's figure for sample i (higher = better).
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from slopscope.errors import SlopscopeError


def counterfactual_scores(performance, member, level: float = 0.95):
    """(score, low, high) per sample: mean performance over the models that trained on it minus
    the mean over those that did not, with a Welch t-interval over models (NaN where a side has
    fewer than two models or a performance is not finite; the score alone needs one model per
    side). A performance of +-inf (a string a model cannot generate) gives an infinite score."""
    perf = np.asarray(performance, dtype=np.float64)
    member = np.asarray(member, dtype=bool)
    if perf.shape != member.shape or perf.ndim != 2:
        raise SlopscopeError(f"performance {perf.shape} and member {member.shape} must both be "
                             "(models, samples)")
    n_in, n_out = member.sum(axis=0), (~member).sum(axis=0)
    if (n_in == 0).any() or (n_out == 0).any():
        raise SlopscopeError("every sample needs at least one model that trained on it and one "
                             "that did not")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_in = np.where(member, perf, 0.0).sum(axis=0) / n_in
        mean_out = np.where(~member, perf, 0.0).sum(axis=0) / n_out
        score = mean_in - mean_out
        var_in = np.where(member, (perf - mean_in) ** 2, 0.0).sum(axis=0) / (n_in - 1)
        var_out = np.where(~member, (perf - mean_out) ** 2, 0.0).sum(axis=0) / (n_out - 1)
        a, b = var_in / n_in, var_out / n_out
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n_in - 1) + b**2 / (n_out - 1))
        half = np.where(se > 0, sps.t.ppf(0.5 + level / 2, np.where(se > 0, df, 1.0)) * se, 0.0)
    finite = np.isfinite(score) & np.isfinite(se) & (n_in > 1) & (n_out > 1)
    return score, np.where(finite, score - half, np.nan), np.where(finite, score + half, np.nan)


def pair_agreement(first, second) -> float:
    """Share of generations that are the same string in two models sampled with the same noise
    (row g of one against row g of the other): near 1 for two generalisers trained on disjoint
    halves, near 0 for two memorisers (Kadkhodaie et al. 2024)."""
    first, second = np.asarray(first), np.asarray(second)
    if first.shape != second.shape:
        raise SlopscopeError(f"generations {first.shape} and {second.shape} differ in shape: "
                             "agreement needs the same count and length")
    return float((first == second).all(axis=1).mean())
