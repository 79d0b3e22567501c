"""Mixed-radix numbers: value = lead + lead_base * sum_j digit_j * base**j.

This is the bijection between rule choices and integers used for string indices and block ids.
Vectorised in int64 when every value fits; exact Python ints (object arrays) beyond that.
"""

from __future__ import annotations

import numbers

import numpy as np

from slopscope.errors import SlopscopeError

INT64_MAX = 2**63 - 1


def capacity(lead_base: int, base: int, ndigits: int) -> int:
    """Number of distinct values (exact Python int)."""
    return lead_base * base**ndigits


def _chunk_width(base: int) -> int:
    """Digits per int64 chunk: largest K with base**K < 2**62 (at least 1)."""
    width = 1
    while base ** (width + 1) < 2**62:
        width += 1
    return width


def _horner(digits: np.ndarray, base: int) -> np.ndarray:
    """sum_j digits[:, j] * base**j in int64 (caller guarantees no overflow)."""
    acc = np.zeros(digits.shape[0], dtype=np.int64)
    for j in range(digits.shape[1] - 1, -1, -1):
        acc = acc * base + digits[:, j]
    return acc


def encode(lead: np.ndarray, digits: np.ndarray, lead_base: int, base: int) -> np.ndarray:
    """Values for rows of (lead, digits): int64 array if they fit, else an object array of ints."""
    lead = np.asarray(lead, dtype=np.int64).reshape(-1)
    digits = np.asarray(digits, dtype=np.int64).reshape(lead.shape[0], -1)
    ndigits = digits.shape[1]
    if capacity(lead_base, base, ndigits) - 1 <= INT64_MAX:
        return lead + lead_base * _horner(digits, base)
    width = _chunk_width(base)
    chunks = [_horner(digits[:, i : i + width], base) for i in range(0, ndigits, width)]
    radix = base**width
    out = np.empty(lead.shape[0], dtype=object)
    for row in range(lead.shape[0]):
        acc = 0
        for chunk in reversed(chunks):
            acc = acc * radix + int(chunk[row])
        out[row] = int(lead[row]) + lead_base * acc
    return out


def _as_index_array(values, limit: int) -> np.ndarray:
    """Indices as int64 (when the range allows) or an object array of Python ints, range-checked.

    Sequences are read as exact Python ints (no silent float or uint64 coercion by NumPy)."""
    if isinstance(values, np.ndarray):
        arr = values
    elif isinstance(values, numbers.Integral) and not isinstance(values, bool):
        arr = np.array([int(values)], dtype=object)
    else:
        try:
            arr = np.array(values, dtype=object)
        except ValueError:
            raise SlopscopeError("indices must be a 1-D sequence of integers") from None
    if arr.ndim != 1:
        raise SlopscopeError(f"indices have shape {arr.shape}; allowed: a 1-D sequence of integers")
    if np.issubdtype(arr.dtype, np.unsignedinteger) and arr.size and arr.max() > INT64_MAX:
        arr = arr.astype(object)
    if arr.dtype == object:
        for i, value in enumerate(arr):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                raise SlopscopeError(f"index {value!r} at position {i} is not an integer")
        ints = [int(value) for value in arr]
        bad = [value for value in ints if not 0 <= value < limit]
        if bad:
            raise SlopscopeError(f"index {bad[0]} is out of range; allowed: 0 <= index < {limit}")
        if limit - 1 <= INT64_MAX or all(value <= INT64_MAX for value in ints):
            return np.array(ints, dtype=np.int64)
        out = np.empty(len(ints), dtype=object)
        out[:] = ints
        return out
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise SlopscopeError(f"indices have dtype {arr.dtype}; allowed: integers")
    arr = arr.astype(np.int64, copy=False)
    bad = arr < 0
    if limit <= INT64_MAX:
        bad |= arr >= limit
    if bad.any():
        value = arr[np.argmax(bad)]
        raise SlopscopeError(f"index {value} is out of range; allowed: 0 <= index < {limit}")
    return arr


def decode(values, lead_base: int, base: int, ndigits: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `encode`: (lead (B,), digits (B, ndigits)) as int64 arrays."""
    limit = capacity(lead_base, base, ndigits)
    arr = _as_index_array(values, limit)
    if arr.dtype != object:
        lead = arr % lead_base
        rest = arr // lead_base
        digits = np.empty((arr.shape[0], ndigits), dtype=np.int64)
        for j in range(ndigits):
            digits[:, j] = rest % base
            rest = rest // base
        return lead, digits
    width = _chunk_width(base)
    radix = base**width
    nchunks = -(-ndigits // width)
    lead = np.empty(arr.shape[0], dtype=np.int64)
    chunks = np.empty((arr.shape[0], nchunks), dtype=np.int64)
    for row, value in enumerate(arr):
        rest, lead[row] = divmod(int(value), lead_base)
        for i in range(nchunks):
            rest, chunks[row, i] = divmod(rest, radix)
    digits = np.empty((arr.shape[0], nchunks * width), dtype=np.int64)
    for i in range(nchunks):
        rest = chunks[:, i].copy()
        for j in range(width):
            digits[:, i * width + j] = rest % base
            rest //= base
    return lead, digits[:, :ndigits]
