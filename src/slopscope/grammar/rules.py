"""Production tables and rule probabilities of the Random Hierarchy Model.

Rule level l (1 = top, L = bottom) holds a table of shape (parents, m, s): for each parent symbol,
m distinct s-tuples of child symbols. Level 1 has n parents (the root classes); the others have v.
Within a level no tuple appears twice, so every valid string has exactly one parse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from slopscope.errors import SlopscopeError, check_int, human_bytes

MAX_TUPLES = 2**62  # tuple keys (base-v numbers with s digits) must fit in int64
# A string has d = s**L tokens, and the grammar computes the exact string count
# P_max = n * m**((d - 1)/(s - 1)) as a Python int: cap both so that making a grammar stays fast
# (a 2**20-bit power takes milliseconds; 2**40 tokens would take hours and terabytes).
MAX_LENGTH = 2**24
MAX_COUNT_BITS = 2**20


def check_sizes(v, n, m, s, L) -> tuple[int, int, int, int, int]:
    """Validate the five size parameters; returns them as ints. Cheap for any input: no power
    is computed before its size is known to be bounded."""
    v = check_int("v", v, minimum=2)
    n = check_int("n", n, minimum=1)
    m = check_int("m", m, minimum=1)
    s = check_int("s", s, minimum=2)
    L = check_int("L", L, minimum=1)
    if s > 62 or v**s > MAX_TUPLES:  # v >= 2, so s > 62 alone means v**s > 2**62
        raise SlopscopeError(f"v**s = {v}**{s} is too large; allowed: v**s <= 2**62")
    tuples = v**s
    if m > v ** (s - 1):
        raise SlopscopeError(
            f"m={m} exceeds v**(s-1)={v ** (s - 1)}: v*m={v * m} rules would need more than "
            f"the v**s={tuples} distinct s-tuples; allowed: m <= v**(s-1)"
        )
    if n * m > tuples:
        raise SlopscopeError(
            f"n*m={n * m} exceeds v**s={tuples} distinct s-tuples; allowed: n*m <= v**s"
        )
    if not _length_ok(m, s, L):
        limit = max(k for k in range(1, 64) if _length_ok(m, s, k))
        length = f"{s}**{L}" if L > 64 else f"{s}**{L} = {s**L}"
        count = ""
        if m > 1 and L <= 64:  # bytes of P_max = n*m**((s**L-1)/(s-1)) as an exact integer
            bits = (s**L - 1) // (s - 1) * math.log2(m)
            count = (f" (the exact string count P_max = n*m**((s**L-1)/(s-1)) alone would be an "
                     f"integer of ~2**{math.log2(bits):.0f} bits, ~{human_bytes(bits / 8)})")
        raise SlopscopeError(
            f"L={L} is too large: strings of s**L = {length} tokens{count}; allowed: L <= {limit} "
            f"for s={s}, m={m} (at most {MAX_LENGTH} tokens per string and a P_max of at most "
            f"2**{MAX_COUNT_BITS.bit_length() - 1} bits)"
        )
    return v, n, m, s, L


def _length_ok(m: int, s: int, L: int) -> bool:
    """Whether strings of s**L tokens and their count P_max stay within the caps above."""
    if L > MAX_LENGTH.bit_length():  # s >= 2: s**L > MAX_LENGTH; never compute a huge power
        return False
    d = s**L
    return d <= MAX_LENGTH and (d - 1) // (s - 1) * math.log2(m) <= MAX_COUNT_BITS


def parents_at(level: int, v: int, n: int) -> int:
    """Number of parent symbols of rule level `level` (1-based)."""
    return n if level == 1 else v


def tuple_digits(codes: np.ndarray, v: int, s: int) -> np.ndarray:
    """Base-v digits of tuple codes, most significant first: (..., s)."""
    codes = np.asarray(codes, dtype=np.int64)
    out = np.empty(codes.shape + (s,), dtype=np.int64)
    for j in range(s - 1, -1, -1):
        out[..., j] = codes % v
        codes = codes // v
    return out


def tuple_codes(children: np.ndarray, v: int) -> np.ndarray:
    """Inverse of `tuple_digits`: (..., s) children -> int64 codes."""
    children = np.asarray(children, dtype=np.int64)
    acc = children[..., 0].copy()
    for j in range(1, children.shape[-1]):
        acc *= v
        acc += children[..., j]
    return acc


def draw_rules(v: int, n: int, m: int, s: int, L: int, rng: np.random.Generator) -> list:
    """Independent tables per level, tuples drawn without replacement from all v**s tuples."""
    rules = []
    for level in range(1, L + 1):
        parents = parents_at(level, v, n)
        codes = rng.choice(v**s, size=parents * m, replace=False)
        rules.append(tuple_digits(codes, v, s).reshape(parents, m, s).astype(np.int32))
    return rules


def validate_rules(rules, v: int, n: int) -> tuple[list, int, int, int]:
    """Check explicit tables (list of L arrays, level 1 first, shaped (parents, m, s)).

    Returns (tables as int32 arrays, m, s, L).
    """
    v = check_int("v", v, minimum=2)
    n = check_int("n", n, minimum=1)
    if isinstance(rules, np.ndarray) or not isinstance(rules, Sequence) or len(rules) == 0:
        raise SlopscopeError("rules must be a non-empty list of L integer arrays, level 1 first")
    tables = []
    for level, table in enumerate(rules, start=1):
        arr = np.asarray(table)
        if arr.ndim != 3:
            raise SlopscopeError(
                f"rules for level {level} have shape {arr.shape}; allowed: (parents, m, s)"
            )
        if arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
            raise SlopscopeError(
                f"rules for level {level} have dtype {arr.dtype} and size {arr.size}; "
                "allowed: a non-empty integer array"
            )
        tables.append(arr.astype(np.int64))
    m, s = tables[0].shape[1], tables[0].shape[2]
    L = len(tables)
    check_sizes(v, n, m, s, L)
    for level, arr in enumerate(tables, start=1):
        want = (parents_at(level, v, n), m, s)
        if arr.shape != want:
            raise SlopscopeError(
                f"rules for level {level} have shape {arr.shape}; allowed: {want} "
                f"(parents = {'n' if level == 1 else 'v'}, m, s)"
            )
        bad = (arr < 0) | (arr >= v)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise SlopscopeError(
                f"rules for level {level} contain symbol {arr[where]} at {where}; "
                f"allowed symbols: 0..{v - 1}"
            )
        codes = tuple_codes(arr.reshape(-1, s), v)
        uniq, counts = np.unique(codes, return_counts=True)
        if (counts > 1).any():
            dup = tuple(int(x) for x in tuple_digits(uniq[np.argmax(counts > 1)], v, s))
            raise SlopscopeError(
                f"rules for level {level} are ambiguous: tuple {dup} appears "
                f"{counts.max()} times; allowed: each s-tuple at most once per level"
            )
    return [t.astype(np.int32) for t in tables], m, s, L


def zipf_probs(m: int, a: float) -> np.ndarray:
    """p_k proportional to k**-(1+a), k = 1..m."""
    k = np.arange(1, m + 1, dtype=np.float64)
    w = k ** -(1.0 + a)
    return w / w.sum()


def _as_prob_rows(values, rows: int, m: int, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64) if values is not None else None
    if arr is None:
        return np.full((rows, m), 1.0 / m)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (rows, arr.shape[0]))
    if arr.shape != (rows, m):
        raise SlopscopeError(
            f"{what} has shape {np.shape(values)}; allowed: ({m},) or ({rows}, {m})"
        )
    return normalized(arr, what)


def normalized(arr: np.ndarray, what: str) -> np.ndarray:
    """Rows of non-negative finite numbers summing to 1 (within 1e-6), renormalised exactly."""
    arr = np.array(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or (arr < 0).any():
        raise SlopscopeError(f"{what} contains a negative or non-finite value; allowed: p >= 0")
    sums = arr.sum(axis=-1, keepdims=True)
    bad = np.abs(sums - 1.0) > 1e-6
    if bad.any():
        raise SlopscopeError(
            f"{what} sums to {float(sums[bad][0]):.6g}; allowed: probabilities summing to 1"
        )
    # renormalise only when visibly off, so that normalised tables round-trip bit for bit
    return np.where(np.abs(sums - 1.0) > 1e-12, arr / sums, arr)


def resolve_probs(L: int, v: int, n: int, m: int, zipf_a, zipf_levels, probs) -> list:
    """Per-level (parents, m) probability tables from zipf_a/zipf_levels and explicit `probs`."""
    tables: list = [None] * L
    if probs is not None:
        if isinstance(probs, Mapping):
            items = list(probs.items())
        elif isinstance(probs, Sequence) and not isinstance(probs, str) and len(probs) == L:
            items = [(level, p) for level, p in enumerate(probs, start=1) if p is not None]
        else:
            raise SlopscopeError(
                f"probs must be a list of {L} entries (None = uniform) or a dict level -> vector"
            )
        for level, p in items:
            level = check_int("probs level", level, minimum=1, maximum=L)
            rows = parents_at(level, v, n)
            tables[level - 1] = _as_prob_rows(p, rows, m, f"probs[level {level}]")
    levels = resolve_zipf_levels(L, zipf_a, zipf_levels)
    for level in levels:
        if tables[level - 1] is not None:
            raise SlopscopeError(
                f"level {level} has both explicit probs and a Zipf tail; allowed: one of them"
            )
        tables[level - 1] = _as_prob_rows(zipf_probs(m, zipf_a), parents_at(level, v, n), m, "zipf")
    for level in range(1, L + 1):
        if tables[level - 1] is None:
            tables[level - 1] = _as_prob_rows(None, parents_at(level, v, n), m, "uniform")
    return tables


def resolve_zipf_levels(L: int, zipf_a, zipf_levels) -> tuple[int, ...]:
    """The 1-based levels that carry a Zipf tail ('all' = every level)."""
    if zipf_a is None:
        if zipf_levels not in (None, (), [], ""):
            raise SlopscopeError(f"zipf_levels={zipf_levels!r} given without zipf_a; set zipf_a")
        return ()
    if isinstance(zipf_a, bool) or not isinstance(zipf_a, (int, float)) or not np.isfinite(zipf_a):
        raise SlopscopeError(f"zipf_a={zipf_a!r} must be a finite number (p_k ~ k**-(1+a))")
    if zipf_a <= -1:
        raise SlopscopeError(f"zipf_a={zipf_a} must be > -1 so that p_k ~ k**-(1+a) decreases")
    if zipf_levels == "all":
        return tuple(range(1, L + 1))
    if isinstance(zipf_levels, int) and not isinstance(zipf_levels, bool):
        zipf_levels = (zipf_levels,)
    if zipf_levels is None or len(zipf_levels) == 0:
        raise SlopscopeError(
            f"zipf_a={zipf_a} given but zipf_levels is empty; allowed: levels in 1..{L} or 'all'"
        )
    levels = tuple(check_int("zipf level", lv, minimum=1, maximum=L) for lv in zipf_levels)
    if len(set(levels)) != len(levels):
        raise SlopscopeError(f"zipf_levels={zipf_levels!r} repeats a level")
    return tuple(sorted(levels))
