"""Memorisation in excess of the held-out control (a model that merely learned the distribution
also "reproduces" unseen strings): typicality contrasts for finding A and a censoring-robust delay
statistic for findings B, C and E1. Pure functions of memorisation times (+inf = never)."""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.measure.stats import memorized_curve, ranks

TIME_RULES = ("excess-half", "halfway", "last")


def _checkpoint_index(tau, steps) -> np.ndarray:
    """Index of the first checkpoint at which each string is reproduced (len(steps) if never)."""
    return np.searchsorted(np.asarray(steps, dtype=np.float64), np.asarray(tau, np.float64))


def _reproduced_by(idx: np.ndarray, checkpoints: int) -> np.ndarray:
    """Fraction of the strings reproduced by each checkpoint."""
    counts = np.bincount(idx, minlength=checkpoints + 1)[:checkpoints]
    return np.cumsum(counts) / max(idx.shape[0], 1)


def _rule_index(idx_train: np.ndarray, idx_test: np.ndarray, checkpoints: int,
                rule: str) -> int:
    """The checkpoint a time rule picks from the strings' reproduction indices.
    excess-half: the first at which the excess reproduced fraction (training minus held-out)
    reaches half of its value at the last checkpoint (the last one when it never rises above 0):
    memorisation beyond the held-out control, not reproduction, which in a model that generalises
    is mostly generalisation; halfway: the first at which half of the finally reproduced training
    strings are (by the last one nearly all may be reproduced, leaving no order to see); last:
    the last checkpoint."""
    if rule == "last":
        return checkpoints - 1
    if rule == "excess-half":
        excess = _reproduced_by(idx_train, checkpoints) - _reproduced_by(idx_test, checkpoints)
        if excess[-1] <= 0:
            return checkpoints - 1
        return int(np.flatnonzero(excess >= excess[-1] / 2)[0])
    cum = np.cumsum(np.bincount(idx_train, minlength=checkpoints + 1)[:checkpoints])
    reached = np.flatnonzero(cum >= cum[-1] / 2)
    return int(reached[0]) if cum[-1] > 0 else checkpoints - 1


def excess_reproduced(tau_train, tau_test, steps, level: float = 0.95) -> dict:
    """The excess reproduced fraction (training minus held-out) at each checkpoint, and at the
    last one with its Wald interval for a difference of two proportions: {"curve", "last",
    "low", "high"}. Memorisation beyond the held-out control has begun when `low` > 0."""
    from scipy.stats import norm

    steps = np.asarray(steps)
    k = steps.shape[0]
    i_train, i_test = _checkpoint_index(tau_train, steps), _checkpoint_index(tau_test, steps)
    f_train, f_test = _reproduced_by(i_train, k), _reproduced_by(i_test, k)
    p, q = f_train[-1], f_test[-1]
    se = np.sqrt(p * (1 - p) / max(i_train.shape[0], 1) + q * (1 - q) / max(i_test.shape[0], 1))
    z = norm.ppf(0.5 + level / 2)
    return {"curve": (f_train - f_test).tolist(), "last": float(p - q),
            "low": float(p - q - z * se), "high": float(p - q + z * se)}


def score_groups(pooled: np.ndarray, groups: int) -> tuple[np.ndarray, int, bool]:
    """(group of each string, number of groups, whether grouped by value): quantiles of the
    score (ties share a group), or, when the score takes at most `groups` distinct values (T3
    under a Zipf tail on the root's productions only: one value per root production), one group
    per distinct value, in order."""
    values, inverse = np.unique(pooled, return_inverse=True)
    if values.shape[0] <= groups:
        return inverse.astype(int), int(values.shape[0]), True
    group = np.minimum(((ranks(pooled) - 0.5) / pooled.shape[0] * groups).astype(int), groups - 1)
    return group, groups, False


def curves_by_score_group(taus: dict, scores: dict, steps, groups: int = 5
                          ) -> tuple[dict, bool]:
    """({split: [memorized_curve of each group, with "group" and "size"]}, grouped by value):
    the groups finding A compares (`score_groups` of the score pooled over the splits, in the
    order of `taus`; group 0 the least typical)."""
    names = list(taus)
    pooled = np.concatenate([np.asarray(scores[name], float) for name in names])
    group, count, by_value = score_groups(pooled, groups)
    out, start = {}, 0
    for name in names:
        tau = np.asarray(taus[name], dtype=np.float64)
        mine = group[start:start + tau.shape[0]]
        start += tau.shape[0]
        out[name] = [dict(memorized_curve(tau[mine == g], steps), group=g,
                          size=int((mine == g).sum())) for g in range(count)]
    return out, by_value


def excess_contrast(tau_train, score_train, tau_test, score_test, steps, seed: int,
                    time_rule: str = "halfway", groups: int = 5, n_boot: int = 1000,
                    level: float = 0.95) -> dict:
    """Finding A's statistic: the excess (fraction of training strings reproduced minus fraction
    of held-out strings reproduced) in the most typical group minus the least typical one, at the
    checkpoint the time rule picks.

    Groups are quantiles of the pooled score (ties share a group), or its distinct values when
    it takes no more than `groups` of them (`score_groups`). The percentile bootstrap
    resamples strings within each split and re-applies the time rule to every resample, so the
    interval accounts for how the checkpoint was chosen."""
    if time_rule not in TIME_RULES:
        raise SlopscopeError(f"time rule {time_rule!r}; allowed: {', '.join(TIME_RULES)}")
    steps = np.asarray(steps)
    k = steps.shape[0]
    i_train, i_test = _checkpoint_index(tau_train, steps), _checkpoint_index(tau_test, steps)
    pooled = np.concatenate([np.asarray(score_train, float), np.asarray(score_test, float)])
    if i_train.shape[0] + i_test.shape[0] != pooled.shape[0] or min(i_train.size,
                                                                     i_test.size) < 1:
        raise SlopscopeError("excess_contrast needs a time and a score per string of each split")
    group, groups, by_value = score_groups(pooled, groups)
    g_train, g_test = group[:i_train.shape[0]], group[i_train.shape[0]:]

    def fractions(g, hit):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.bincount(g, hit, groups) / np.bincount(g, minlength=groups)

    def evaluate(a, b):
        at = _rule_index(i_train[a], i_test[b], k, time_rule)
        f_train = fractions(g_train[a], i_train[a] <= at)
        f_test = fractions(g_test[b], i_test[b] <= at)
        excess = f_train - f_test
        present = np.flatnonzero(np.isfinite(excess))
        value = excess[present[-1]] - excess[present[0]] if present.size >= 2 else np.nan
        return value, at, f_train, f_test

    everything = (np.arange(i_train.shape[0]), np.arange(i_test.shape[0]))
    contrast, at, f_train, f_test = evaluate(*everything)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        value = evaluate(rng.integers(0, i_train.shape[0], i_train.shape[0]),
                         rng.integers(0, i_test.shape[0], i_test.shape[0]))[0]
        if np.isfinite(value):
            boots.append(value)
    alpha = (1 - level) / 2
    low, high = np.quantile(boots, [alpha, 1 - alpha]) if boots else (np.nan, np.nan)
    return {"contrast": float(contrast), "low": float(low), "high": float(high),
            "step": int(steps[at]), "time_rule": time_rule, "train": f_train.tolist(),
            "test": f_test.tolist(), "excess": (f_train - f_test).tolist(),
            "by_value": by_value,
            "reproduced_train": int((i_train < k).sum())}


def memorisation_area(tau_train, tau_test, steps) -> float:
    """Delay statistic that survives censoring: the area under the excess-reproduced curve
    (fraction of training strings reproduced by each checkpoint minus the same for held-out
    strings) over log step, divided by the log-step range (so in [-1, 1]; larger = more and
    earlier memorisation; one checkpoint: the excess there)."""
    steps = np.asarray(steps, dtype=np.float64)
    curve = [(np.asarray(tau_train)[None, :] <= steps[:, None]).mean(axis=1),
             (np.asarray(tau_test)[None, :] <= steps[:, None]).mean(axis=1)]
    excess = curve[0] - curve[1]
    if steps.shape[0] == 1:
        return float(excess[0])
    log_t = np.log(steps)
    area = ((excess[1:] + excess[:-1]) / 2 * np.diff(log_t)).sum()
    return float(area / (log_t[-1] - log_t[0]))


def onset_step(tau_train, tau_test, steps, threshold: float = 0.1) -> float:
    """First checkpoint step at which the excess reproduced fraction reaches `threshold`
    (+inf if never: censored)."""
    steps = np.asarray(steps, dtype=np.float64)
    excess = ((np.asarray(tau_train)[None, :] <= steps[:, None]).mean(axis=1)
              - (np.asarray(tau_test)[None, :] <= steps[:, None]).mean(axis=1))
    hit = np.flatnonzero(excess >= threshold)
    return float(steps[hit[0]]) if hit.size else float("inf")
