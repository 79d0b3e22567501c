"""Hamming distances on bit-packed strings (numba, parallel over queries).

Each token takes b bits (b = 1, 2, 4, 8 or 16, the smallest power of two holding the vocabulary),
a string is a few uint64 words; the number of differing tokens between two strings is the
population count of the per-field OR-reduction of their XOR.
"""

from __future__ import annotations

import numba
import numpy as np


def field_bits(vocab: int) -> int:
    bits = 1
    while (1 << bits) < vocab:
        bits *= 2
    if bits > 16:
        raise ValueError(f"vocabulary {vocab} too large for packing")
    return bits


def pack(strings: np.ndarray, bits: int) -> np.ndarray:
    """(B, d) tokens -> (B, words) uint64, `bits` bits per token."""
    B, d = strings.shape
    per_word = 64 // bits
    words = -(-d // per_word)
    padded = np.zeros((B, words * per_word), dtype=np.uint64)
    padded[:, :d] = strings
    shifts = (np.arange(per_word, dtype=np.uint64) * np.uint64(bits))
    return np.bitwise_or.reduce(padded.reshape(B, words, per_word) << shifts, axis=2)


def low_mask(bits: int) -> np.uint64:
    """The lowest bit of every field."""
    mask = 0
    for i in range(64 // bits):
        mask |= 1 << (i * bits)
    return np.uint64(mask)


@numba.njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@numba.njit(cache=True, parallel=True)
def two_nearest(queries, reference, bits, mask, d1, d2):
    """d1[q], d2[q]: smallest and second-smallest token Hamming distance to reference rows."""
    nq, words = queries.shape
    nr = reference.shape[0]
    for q in numba.prange(nq):
        best1 = 1 << 30
        best2 = 1 << 30
        for r in range(nr):
            dist = 0
            for w in range(words):
                x = queries[q, w] ^ reference[r, w]
                shift = 1
                while shift < bits:
                    x = x | (x >> np.uint64(shift))
                    shift *= 2
                dist += _popcount(x & mask)
            if dist < best1:
                best2 = best1
                best1 = dist
            elif dist < best2:
                best2 = dist
        d1[q] = best1
        d2[q] = best2
