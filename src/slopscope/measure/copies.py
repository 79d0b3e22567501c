"""Exact copies (M1): which generations are training strings, and how often each training string
is reproduced. Sort/hash based on whole rows; no Python loop per string."""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.rows import row_keys


def _as_rows(strings, name: str) -> np.ndarray:
    arr = np.asarray(strings)
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.integer):
        raise SlopscopeError(f"{name} has shape {arr.shape} and dtype {arr.dtype}; allowed: a "
                             "(count, d) integer array")
    return np.ascontiguousarray(arr, dtype=np.int64)


def as_row_pair(queries, reference, query_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validated (queries, reference) int64 row arrays of equal string length."""
    q = _as_rows(queries, query_name)
    r = _as_rows(reference, "reference")
    if q.shape[1] != r.shape[1]:
        raise SlopscopeError(f"{query_name} have length {q.shape[1]} but reference strings have "
                             f"{r.shape[1]}; allowed: equal lengths")
    return q, r


def match_rows(queries, reference) -> np.ndarray:
    """For each query row, the index of an equal `reference` row (first occurrence), or -1."""
    q, r = as_row_pair(queries, reference, "queries")
    if r.shape[0] == 0:
        return np.full(q.shape[0], -1, dtype=np.int64)
    rk, qk = row_keys(r), row_keys(q)
    order = np.argsort(rk, kind="stable")
    sorted_keys = rk[order]
    pos = np.searchsorted(sorted_keys, qk)
    pos_clipped = np.minimum(pos, sorted_keys.shape[0] - 1)
    hit = sorted_keys[pos_clipped] == qk
    return np.where(hit, order[pos_clipped], -1)


def copy_counts(generations, train) -> np.ndarray:
    """Reproduction count N_i of each training string, in training-set order."""
    train = _as_rows(train, "train")
    index = match_rows(generations, train)
    return np.bincount(index[index >= 0], minlength=train.shape[0])


def is_copy(generations, train) -> np.ndarray:
    """Boolean per generation: is it (exactly) a training string?"""
    return match_rows(generations, train) >= 0


def copy_fraction(generations, train) -> float:
    """M1: fraction of generations that are training strings."""
    flags = is_copy(generations, train)
    return float(flags.mean()) if flags.size else float("nan")


def distinct_count(strings) -> int:
    """Number of distinct rows."""
    rows = _as_rows(strings, "strings")
    return int(np.unique(row_keys(rows)).size) if rows.shape[0] else 0
