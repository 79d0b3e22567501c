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
