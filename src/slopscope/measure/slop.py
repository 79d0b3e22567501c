"""Slop: are common parts over-produced? Frequencies of blocks (or rules) in generations vs. in
the training set, pooled over positions."""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.measure.stats import linear_fit
from slopscope.measure.substrings import IGNORED


def _frequencies(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(ids).reshape(-1)
    values, counts = np.unique(ids[ids != IGNORED], return_counts=True)
    return values, counts


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def slop_metrics(gen_ids, train_ids, top_k: int = 10) -> dict:
    """Compare generated and training frequencies of units (block or rule ids; -1 = invalid,
    IGNORED = padding, left out).

    slope / slope_se: OLS slope of log f_gen on log f_train over units present in both (> 1: common
    units over-produced); kl: KL(f_gen || f_train) on the training support, f_gen renormalised
    there; entropy_ratio: H(f_gen) / H(f_train); overproduction_top_k: generated mass of the k most
    common training units over their training mass; unseen_mass: share of generated units (invalid
    ones included) never seen in training; distinct_gen / distinct_train: numbers of units."""
    g_vals, g_counts = _frequencies(gen_ids)
    t_vals, t_counts = _frequencies(train_ids)
    t_counts = t_counts[t_vals != -1]
    t_vals = t_vals[t_vals != -1]
    if t_vals.size == 0 or g_vals.size == 0:
        raise SlopscopeError("slop_metrics needs valid training units and some generated units")
    f_gen = g_counts / g_counts.sum()
    f_train = t_counts / t_counts.sum()
    pos = np.minimum(np.searchsorted(t_vals, g_vals), t_vals.shape[0] - 1)
    shared = (t_vals[pos] == g_vals) & (g_vals != -1)
    slope, slope_se = _ols_slope(np.log(f_train[pos[shared]]), np.log(f_gen[shared]))
    gen_on_train = np.zeros_like(f_train)  # generated mass of each training unit
    gen_on_train[pos[shared]] = f_gen[shared]
    kl = float("nan")
    if gen_on_train.sum() > 0:
        q = gen_on_train / gen_on_train.sum()
        mask = q > 0
        kl = float((q[mask] * np.log(q[mask] / f_train[mask])).sum())
    valid = g_vals != -1
    h_gen = _entropy(g_counts[valid] / g_counts[valid].sum()) if valid.any() else float("nan")
    h_train = _entropy(f_train)
    top = np.argsort(-f_train, kind="stable")[:top_k]
    return {
        "slope": slope,
        "slope_se": slope_se,
        "kl": kl,
        "entropy_ratio": h_gen / h_train if h_train > 0 else float("nan"),
        "overproduction_top_k": float(gen_on_train[top].sum() / f_train[top].sum()),
        "unseen_mass": float(f_gen[~shared].sum()),
        "distinct_gen": int(valid.sum()),
        "distinct_train": int(t_vals.shape[0]),
    }


def _ols_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope of y on x and its standard error (nan when fewer than 3 points or no spread)."""
    fit = linear_fit(x, y)
    return fit["slope"], fit["se"]


def rule_ids(rhm, strings, level: int) -> np.ndarray:
    """Ids parent * m + k of the productions used at rule level `level` (-1 where invalid)."""
    tree = rhm.parse(strings)
    parents, rules = tree.symbols[level - 1], tree.rules[level - 1]
    return np.where(rules >= 0, parents * rhm.m + rules, -1)
