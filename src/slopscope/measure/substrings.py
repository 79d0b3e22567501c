"""Substrings of any token data (no grammar needed): content keys of aligned blocks and k-grams,
and the k-gram typicality.

A key identifies a run of tokens by content, the same in every call: the exact radix code of
the tokens when vocab_size**width < 2**62, else a 63-bit FNV-1a hash (collisions have
probability ~ n**2 / 2**64 for n distinct substrings). Blocks or windows made only of the pad
token get the key IGNORED; the metrics leave them out.
"""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError, check_int
from slopscope.measure.copies import _as_rows

IGNORED = -2  # a block made only of padding (the metrics leave it out)
_FNV_PRIME, _FNV_OFFSET = np.uint64(0x100000001B3), np.uint64(0xCBF29CE484222325)


def block_widths(d: int) -> list[int]:
    """Aligned block widths for length d: 2, 4, 8, ... below d that divide d ([1] if none)."""
    d = check_int("d", d, minimum=1)
    widths = [2**i for i in range(1, d.bit_length()) if 2**i < d and d % 2**i == 0]
    return widths or [1]


def token_keys(runs: np.ndarray, vocab_size: int, pad: int | None = None) -> np.ndarray:
    """Content keys (...,) of token runs (..., width); IGNORED where a run is all `pad`."""
    runs = np.asarray(runs, dtype=np.int64)
    width = runs.shape[-1]
    if vocab_size ** width < 2**62:
        keys = np.zeros(runs.shape[:-1], dtype=np.int64)
        for j in range(width):
            keys = keys * vocab_size + runs[..., j]
    else:
        hashed = np.full(runs.shape[:-1], _FNV_OFFSET, dtype=np.uint64)
        for j in range(width):
            hashed = (hashed ^ runs[..., j].astype(np.uint64)) * _FNV_PRIME
        keys = (hashed & np.uint64(2**63 - 1)).astype(np.int64)
    if pad is not None:
        keys = np.where((runs == pad).all(axis=-1), IGNORED, keys)
    return keys


def token_block_ids(strings, widths, vocab_size: int, pad: int | None = None) -> dict:
    """{width: (B, d // width) content keys of the aligned blocks of that width}."""
    rows = _as_rows(strings, "strings")
    out = {}
    for w in widths:
        if w < 1 or rows.shape[1] % w:
            raise SlopscopeError(f"block width={w} does not divide length d={rows.shape[1]}")
        out[w] = token_keys(rows.reshape(rows.shape[0], -1, w), vocab_size, pad)
    return out


def kgram_keys(strings, k: int, vocab_size: int, pad: int | None = None) -> np.ndarray:
    """(B, d - k + 1) content keys of every k-gram (sliding window) of each string."""
    rows = _as_rows(strings, "strings")
    if not 1 <= k <= rows.shape[1]:
        raise SlopscopeError(f"k={k}; allowed: 1 <= k <= d={rows.shape[1]}")
    windows = np.lib.stride_tricks.sliding_window_view(rows, k, axis=1)
    return token_keys(windows, vocab_size, pad)


def kgram_typicality(query, train, sizes, vocab_size: int, query_in_train: bool,
                     pad: int | None = None) -> tuple:
    """T1 over k-grams: (overall (B,), {k: (B,)}). For each k-gram of a query string (any
    position), the number of its occurrences in *other* training strings (anywhere in them);
    per k the mean of log(1 + that count) over the string's k-grams (all-pad ones left out);
    overall the mean over k. query_in_train: the queries are the training strings themselves
    (their own occurrences are then discounted)."""
    per_size = {}
    for k in sizes:
        q = kgram_keys(query, k, vocab_size, pad)
        t = kgram_keys(train, k, vocab_size, pad).reshape(-1)
        values, counts = np.unique(t[t != IGNORED], return_counts=True)
        if values.size == 0:
            found = np.zeros(q.shape, dtype=np.int64)
        else:
            idx = np.minimum(np.searchsorted(values, q), values.shape[0] - 1)
            found = np.where(values[idx] == q, counts[idx], 0)
        valid = q != IGNORED
        if query_in_train:
            found = found - (q[:, :, None] == q[:, None, :]).sum(axis=2)
            if (found[valid] < 0).any():
                raise SlopscopeError("query_in_train=True but a query k-gram is not in the "
                                     "train set")
        logs = np.where(valid, np.log1p(np.maximum(found, 0)), 0.0)
        per_size[k] = logs.sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
    overall = np.mean(np.stack(list(per_size.values())), axis=0)
    return overall, per_size
