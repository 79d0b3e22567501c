"""Memorisation in excess of the held-out control (a model that merely learned the distribution
also "reproduces" unseen strings): typicality contrasts for finding A and a censoring-robust delay
statistic for findings B, C and E1. Pure functions of memorisation times (+inf = never)."""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.measure.stats import ranks

TIME_RULES = ("halfway", "last")


def _checkpoint_index(tau, steps) -> np.ndarray:
    """Index of the first checkpoint at which each string is reproduced (len(steps) if never)."""
    return np.searchsorted(np.asarray(steps, dtype=np.float64), np.asarray(tau, np.float64))


def _rule_index(idx_train: np.ndarray, checkpoints: int, rule: str) -> int:
    """The checkpoint a time rule picks from the training strings' reproduction indices.
    halfway: the first at which half of the finally reproduced training strings are (by the last
    one nearly all may be reproduced, leaving no order to see); last: the last checkpoint."""
    if rule == "last":
        return checkpoints - 1
    cum = np.cumsum(np.bincount(idx_train, minlength=checkpoints + 1)[:checkpoints])
    reached = np.flatnonzero(cum >= cum[-1] / 2)
    return int(reached[0]) if cum[-1] > 0 else checkpoints - 1


def excess_contrast(tau_train, score_train, tau_test, score_test, steps, seed: int,
                    time_rule: str = "halfway", groups: int = 5, n_boot: int = 1000,
                    level: float = 0.95) -> dict:
    """Finding A's statistic: the excess (fraction of training strings reproduced minus fraction
    of held-out strings reproduced) in the most typical group minus the least typical one, at the
    checkpoint the time rule picks.

    Groups are quantiles of the pooled score (ties share a group). The percentile bootstrap
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
    group = np.minimum(((ranks(pooled) - 0.5) / pooled.shape[0] * groups).astype(int), groups - 1)
    g_train, g_test = group[:i_train.shape[0]], group[i_train.shape[0]:]

    def fractions(g, hit):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.bincount(g, hit, groups) / np.bincount(g, minlength=groups)

    def evaluate(a, b):
        at = _rule_index(i_train[a], k, time_rule)
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
