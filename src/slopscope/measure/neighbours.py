"""Nearest-neighbour Hamming distances (M3), the ratio test, and distance histograms."""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.measure import packed
from slopscope.measure.copies import as_row_pair


def nearest_hamming(generations, reference) -> tuple[np.ndarray, np.ndarray]:
    """(d1, d2): Hamming distance of each generation to its nearest and second-nearest reference
    string (d2 = d + 1 when the reference has a single string). Memory is O(G + P): strings are
    bit-packed and compared pairwise in a compiled loop, never as a G x P x d tensor."""
    g, r = as_row_pair(generations, reference, "generations")
    if r.shape[0] == 0:
        raise SlopscopeError("reference is empty; allowed: at least one string")
    d = g.shape[1]
    d1 = np.empty(g.shape[0], dtype=np.int64)
    d2 = np.empty(g.shape[0], dtype=np.int64)
    if g.shape[0] == 0:
        return d1, d2
    lo = min(g.min(), r.min())
    if lo < 0:
        raise SlopscopeError(f"token {lo} is negative; allowed: tokens >= 0")
    vocab = int(max(g.max(), r.max())) + 1
    if vocab > 2**16:
        raise SlopscopeError(f"token {vocab - 1} is too large; allowed: tokens < 65536")
    bits = packed.field_bits(vocab)
    packed.two_nearest(packed.pack(g, bits), packed.pack(r, bits), bits,
                       packed.low_mask(bits), d1, d2)
    d2[d2 > d] = d + 1  # a single reference string: no second neighbour
    return d1, d2


def ratio_test(d1: np.ndarray, d2: np.ndarray, threshold: float = 1 / 3) -> np.ndarray:
    """Bonnaire et al.'s memorisation test adapted to Hamming distance: d1 / d2 < threshold
    (an exact copy with a distinct second neighbour passes; d2 = 0 means a duplicate reference)."""
    d1 = np.asarray(d1, dtype=np.float64)
    d2 = np.asarray(d2, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d2 > 0, d1 / d2, np.where(d1 == 0, 0.0, np.inf))
    return ratio < threshold


def distance_histogram(distances: np.ndarray, d: int) -> np.ndarray:
    """Normalised histogram of distances 0..d."""
    counts = np.bincount(np.asarray(distances, dtype=np.int64), minlength=d + 1)[: d + 1]
    total = counts.sum()
    return counts / total if total else counts.astype(np.float64)


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence (nats, in [0, log 2]) between two histograms."""
    p = np.asarray(p, dtype=np.float64) / np.sum(p)
    q = np.asarray(q, dtype=np.float64) / np.sum(q)
    mid = 0.5 * (p + q)

    def kl(a, b):
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / b[mask])))

    return 0.5 * kl(p, mid) + 0.5 * kl(q, mid)
