"""One error type for bad user input: a single line naming the bad value and what is allowed."""

from __future__ import annotations

import math
import numbers
import unicodedata

import numpy as np


class SlopscopeError(ValueError):
    """Raised for invalid user input. The message is one line: the bad value and what is allowed."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return `value` as a Python int, or raise a one-line error naming it and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SlopscopeError(f"{name}={value!r} must be an integer")
    value = int(value)
    if minimum is not None and value < minimum:
        raise SlopscopeError(f"{name}={value} is too small; allowed: {name} >= {minimum}")
    if maximum is not None and value > maximum:
        raise SlopscopeError(f"{name}={value} is too large; allowed: {name} <= {maximum}")
    return value


MAX_SEED = 2**63 - 1  # seeds are 64-bit: NumPy and torch take no larger one

NAME_LIMIT = 100  # UTF-8 bytes of a run or sweep name (it becomes part of a directory name,
# which the file system limits to 255 bytes, not characters)
# control (C0, DEL, C1), format (U+200B, U+202E), line and paragraph separators
INVISIBLE = ("Cc", "Cf", "Zl", "Zp")


def check_name(name: str, value) -> str:
    """A run or sweep name: one safe path component (it names a directory under --runs-dir), so
    non-empty, at most NAME_LIMIT bytes in UTF-8, without '/', '\\', '..', and without control,
    format (zero-width, bidirectional) or line-break characters, and not '.'; else a one-line
    error naming it."""
    if not isinstance(value, str):
        raise SlopscopeError(f"'{name}' = {value!r} has the wrong type; allowed: str")
    allowed = (f"allowed: a non-empty name of at most {NAME_LIMIT} bytes (UTF-8), one path "
               "component (no '/', '\\', '..', control, invisible or bidirectional "
               "characters)")
    bad = (not value.strip() or value == "." or ".." in value or "/" in value
           or "\\" in value or len(value.encode("utf-8", "surrogatepass")) > NAME_LIMIT
           or any(unicodedata.category(c) in INVISIBLE for c in value))
    if bad:
        raise SlopscopeError(f"'{name}' = {value!r} is not a safe name; {allowed}")
    return value


def as_token_array(strings, length: int, vocab: int, name: str = "strings") -> np.ndarray:
    """Validate a batch of token strings: a (B, length) integer array with tokens in [0, vocab)."""
    arr = np.asarray(strings)
    if arr.ndim == 1 and arr.shape[0] == length:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != length:
        raise SlopscopeError(
            f"{name} has shape {arr.shape}; allowed: (count, {length}) integer tokens"
        )
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
            raise SlopscopeError(f"{name} has dtype {arr.dtype}; allowed: integer tokens")
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise SlopscopeError(f"{name} has non-integer values; allowed: integer tokens")
    if arr.size:
        bad = (arr < 0) | (arr >= vocab)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise SlopscopeError(
                f"{name}[{row}, {col}] = {arr[row, col]} is out of range; "
                f"allowed tokens: 0..{vocab - 1}"
            )
    return np.ascontiguousarray(arr, dtype=np.int32)


def as_seed_generator(seed) -> np.random.Generator:
    """An explicit generator from an int seed (or pass a Generator through)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int("seed", seed, minimum=0))


def human_bytes(size: int | float) -> str:
    """'8.8 TB' (decimal units); beyond yottabytes as a power of ten."""
    size = float(size) if size < 10**300 else math.inf
    for unit in ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"):
        if size < 999.5:
            return f"{size:.3g} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{size:.2g} YB" if math.isfinite(size) else "more than 1e300 B"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during training: where it stopped (`where`) and the step of the last checkpoint
    saved (`saved`: the run resumes from there)."""

    def __init__(self, where: str, saved: int):
        super().__init__(where)
        self.where, self.saved = where, saved
