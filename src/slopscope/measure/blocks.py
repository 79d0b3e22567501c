"""Aligned blocks: partial memorisation (M4) and validity per level (M5).

Block ids are integers per (string, position); equal ids at a position mean equal blocks, -1 an
invalid block. For grammar data they come from `RHM.blocks` (position-independent content ids);
for any token data `token_block_ids` (measure.substrings) keys blocks by content; IGNORED (-2)
marks a block made only of padding, which the fractions below leave out.
"""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.measure.substrings import IGNORED


def grammar_block_ids(rhm, strings, sizes=None) -> dict:
    """{k: (B, s**(L-k)) block ids} for block sizes k (default 1..L-1)."""
    sizes = range(1, rhm.L) if sizes is None else sizes
    return {k: np.asarray(rhm.blocks(strings, k)) for k in sizes}


def seen_at_position(query_ids, reference_ids) -> np.ndarray:
    """(B, n) bool: does the query's block occur at the same position in some reference string?
    Invalid (-1) and padding (IGNORED) blocks are never seen."""
    q = np.asarray(query_ids)
    r = np.asarray(reference_ids)
    if q.ndim != 2 or r.ndim != 2 or q.shape[1] != r.shape[1]:
        raise SlopscopeError(f"block id arrays have shapes {q.shape} and {r.shape}; allowed: "
                             "(B, n) and (P, n) with the same n")
    seen = np.zeros(q.shape, dtype=bool)
    for pos in range(q.shape[1]):
        known = np.unique(r[:, pos][r[:, pos] >= 0])
        seen[:, pos] = np.isin(q[:, pos], known) & (q[:, pos] >= 0)
    return seen


def block_copy_fraction(query_ids, reference_ids) -> float:
    """Fraction of the query's aligned blocks (padding left out) that occur at that position in
    the reference."""
    seen = seen_at_position(query_ids, reference_ids)
    counted = np.asarray(query_ids) != IGNORED
    return float(seen[counted].mean()) if counted.any() else float("nan")


def excess_block_copying(gen_ids: dict, fresh_ids: dict, train_ids: dict) -> dict:
    """M4 per block size k: copy fraction of generated blocks minus that of fresh samples from the
    data distribution (grammar samples, or held-out strings for user data)."""
    return {
        k: block_copy_fraction(gen_ids[k], train_ids[k])
        - block_copy_fraction(fresh_ids[k], train_ids[k])
        for k in gen_ids
    }


def longest_copied_block(gen_ids: dict, train_ids: dict) -> np.ndarray:
    """Per generation, the largest block size k with some block seen at its position in training
    (0 when no block of any given size is)."""
    sizes = sorted(gen_ids)
    count = np.asarray(gen_ids[sizes[0]]).shape[0]
    out = np.zeros(count, dtype=np.int64)
    for k in sizes:
        hit = seen_at_position(gen_ids[k], train_ids[k]).any(axis=1)
        out[hit] = np.maximum(out[hit], k)
    return out


def validity_by_level(rhm, generations) -> np.ndarray:
    """M5: fraction of generations whose productions parse at rule levels l..L, for l = 1..L
    (index l - 1; index 0 is the fully valid fraction)."""
    return rhm.parse(generations).valid_fraction_by_level()


def level_chance(rhm) -> np.ndarray:
    """Chance validity per block size k = 1..L (index k - 1): the probability that a string
    whose blocks of s**(k-1) tokens all parse also has its blocks of s**k tokens all parse, when
    the symbols those smaller blocks parse to are uniform and independent (k = 1: uniform tokens).
    A block of s**k tokens parses when its s symbols form one of rule level L - k + 1's
    right-hand sides: (distinct right-hand sides / v**s) ** (d / s**k)."""
    out = []
    for k in range(1, rhm.L + 1):
        table = np.asarray(rhm.rules[rhm.L - k]).reshape(-1, rhm.s)
        per_block = np.unique(table, axis=0).shape[0] / rhm.v**rhm.s
        out.append(per_block ** (rhm.d // rhm.s**k))
    return np.array(out)


def above_chance(valid, chance) -> np.ndarray:
    """How much of each block size is learned beyond chance, per checkpoint: valid[c, k - 1] is
    the share of (novel) generations valid at block sizes <= k at checkpoint c, chance[k - 1] the
    `level_chance`; the result (same shape) is (valid_k / valid_{k-1} - chance_k) / (1 -
    chance_k), with valid_0 = 1: 0 for a model that knows block sizes < k and pairs the next
    symbols at random, 1 when every string valid at k - 1 is valid at k; NaN where valid_{k-1}
    is 0 or not measured."""
    valid = np.asarray(valid, dtype=np.float64)
    chance = np.asarray(chance, dtype=np.float64)
    if valid.ndim != 2 or valid.shape[1] != chance.shape[0] or np.any(chance >= 1):
        raise SlopscopeError(f"validity of shape {valid.shape} with {chance.shape[0]} chance "
                             "levels; allowed: (checkpoints, L) and L chance levels below 1")
    below = np.concatenate([np.ones((valid.shape[0], 1)), valid[:, :-1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        conditional = np.where(below > 0, valid / below, np.nan)
    return (conditional - chance) / (1 - chance)
