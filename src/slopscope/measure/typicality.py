"""Typicality of strings relative to a training set.

T1: mean over the string's aligned blocks (sizes k = 1..L-1, or token widths 2, 4, ... for
    user data; padding-only blocks left out) of log(1 + number of *other* training strings
    carrying that block at that position). `kgram_typicality` (measure.substrings) is the
    variant over all k-grams at any position. Counting others makes training,
    held-out and generated strings comparable (a training string does not count itself).
T2: sum over the nodes of its parse (and the root) of the log empirical frequency of the rule,
    p^(k | parent, level) from training-set counts with add-one smoothing.
T3: the exact grammar log-probability (`RHM.log_prob`).
"""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.measure.substrings import IGNORED


def _counts_at_positions(query_ids: np.ndarray, train_ids: np.ndarray) -> np.ndarray:
    """(B, n): number of training strings with the query's block at that position."""
    out = np.zeros(query_ids.shape, dtype=np.int64)
    for pos in range(query_ids.shape[1]):
        values, counts = np.unique(train_ids[:, pos], return_counts=True)
        idx = np.minimum(np.searchsorted(values, query_ids[:, pos]), values.shape[0] - 1)
        hit = (values[idx] == query_ids[:, pos]) & (query_ids[:, pos] >= 0)
        out[:, pos] = np.where(hit, counts[idx], 0)
    return out


def block_typicality(query_ids: dict, train_ids: dict, query_in_train: bool) -> tuple:
    """T1: (overall (B,), per block size {k: (B,)}). query_in_train: the queries are the training
    strings themselves (each then has one occurrence of each of its blocks to discount)."""
    per_size = {}
    for k in sorted(query_ids):
        q, t = np.asarray(query_ids[k]), np.asarray(train_ids[k])
        counted = q != IGNORED  # padding-only blocks are left out
        others = _counts_at_positions(q, t) - (1 if query_in_train else 0)
        if (others[counted] < 0).any():
            raise SlopscopeError("query_in_train=True but a query block is not in the train set")
        logs = np.where(counted, np.log1p(np.maximum(others, 0)), 0.0)
        per_size[k] = logs.sum(axis=1) / np.maximum(counted.sum(axis=1), 1)
    overall = np.mean(np.stack(list(per_size.values())), axis=0)
    return overall, per_size


def rule_frequencies(rhm, train_strings) -> tuple:
    """Add-one smoothed empirical rule probabilities per level (parents, m) and root (n,)."""
    tree = rhm.parse(train_strings)
    if not tree.valid.all():
        raise SlopscopeError("train_strings contain strings the grammar does not generate")
    tables = []
    for level in range(1, rhm.L + 1):
        parents, rules = tree.symbols[level - 1].reshape(-1), tree.rules[level - 1].reshape(-1)
        counts = np.zeros((rhm.parents(level), rhm.m))
        np.add.at(counts, (parents, rules), 1.0)
        tables.append((counts + 1.0) / (counts.sum(1, keepdims=True) + rhm.m))
    root = np.bincount(tree.symbols[0][:, 0], minlength=rhm.n) + 1.0
    return tables, root / root.sum()


def rule_typicality(rhm, strings, frequencies) -> np.ndarray:
    """T2: sum of log empirical rule frequencies over the parse; -inf for invalid strings."""
    tables, root = frequencies
    tree = rhm.parse(strings)
    total = np.log(root)[np.maximum(tree.symbols[0][:, 0], 0)]
    for level in range(1, rhm.L + 1):
        parents = np.maximum(tree.symbols[level - 1], 0)
        rules = np.maximum(tree.rules[level - 1], 0)
        total = total + np.log(tables[level - 1])[parents, rules].sum(axis=1)
    return np.where(tree.valid, total, -np.inf)
