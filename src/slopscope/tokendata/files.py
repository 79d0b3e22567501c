"""Read a user's token sequences from a file: text (one sequence per line), `.npy` integer arrays,
or a Parquet column of integer lists. Every format becomes the same ragged form (flat token values
+ offsets); bad files get one-line errors that name the file and what is allowed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.tokendata.pattern import compile_pattern

FORMATS = ("auto", "text", "npy", "parquet")
TOKENIZERS = ("chars", "whitespace")
ALLOWED = "a UTF-8 text file with one sequence per line, a .npy integer array or a Parquet column "\
          "of integer lists"
# bytes in memory per byte of input while reading, by format (Python strings and lists for text)
MEMORY_FACTOR = {"text": 12, "npy": 3, "parquet": 3}
MAX_TOKEN_ID = 2**31 - 1  # integer data: token ids are 0..MAX_TOKEN_ID (-1 marks padding later)
IDS = f"integer token ids 0..{MAX_TOKEN_ID}"


@dataclass
class Ragged:
    """Sequences as flat token values and offsets (sequence i is values[offsets[i]:offsets[i+1]]).
    `symbols` holds the token strings of text data (values index it); None for integer data."""

    values: np.ndarray
    offsets: np.ndarray
    symbols: list | None
    info: dict = field(default_factory=dict)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def available_memory() -> int:
    """Bytes of memory available to this process now (MemAvailable on Linux)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def detect_format(path: Path, fmt: str) -> str:
    if fmt not in FORMATS:
        raise SlopscopeError(f"data.format={fmt!r}; allowed: {', '.join(FORMATS)}")
    if fmt != "auto":
        return fmt
    return {".npy": "npy", ".parquet": "parquet", ".pq": "parquet"}.get(path.suffix.lower(), "text")


def check_fits(path, fmt: str = "auto") -> str:
    """The file's format, after the checks that cost no reading: a file, not empty, and small
    enough to read into the memory available (before anything hashes or reads it whole)."""
    path = Path(path)
    if not path.is_file():
        raise SlopscopeError(f"data.path={str(path)!r} is not a file; allowed: {ALLOWED}")
    size = path.stat().st_size
    if size == 0:
        raise SlopscopeError(f"data.path={str(path)!r} is empty; allowed: {ALLOWED}")
    fmt = detect_format(path, fmt)
    need, have = size * MEMORY_FACTOR[fmt], available_memory()
    if need > have:
        raise SlopscopeError(
            f"data.path={str(path)!r} ({size / 2**30:.1f} GiB) needs about {need / 2**30:.1f} GiB "
            f"of memory to read but {have / 2**30:.1f} GiB is available; allowed: a file that "
            "fits in memory (take a subset, e.g. `head -n 1000000 FILE > subset.txt`)")
    return fmt


def read_sequences(path, fmt: str = "auto", tokens: str = "chars", column: str = "",
                   lowercase: bool = False, pattern: str = "") -> Ragged:
    """The sequences of `path`. Text options: `tokens` (chars | whitespace), `lowercase`, and
    `pattern` (a regular expression each line must match in full; other lines are dropped and
    counted). Parquet: `column` (default: the only integer-list column)."""
    path = Path(path)
    fmt = check_fits(path, fmt)
    if fmt == "text":
        if tokens not in TOKENIZERS:
            raise SlopscopeError(f"data.tokens={tokens!r}; allowed: {', '.join(TOKENIZERS)}")
        return _read_text(path, tokens, lowercase, pattern)
    if fmt == "npy":
        return _read_npy(path)
    return _read_parquet(path, column)


def _read_text(path: Path, tokens: str, lowercase: bool, pattern: str) -> Ragged:
    keep = compile_pattern(pattern)
    symbol_ids: dict[str, int] = {}
    values: list[int] = []
    offsets = [0]
    lines = blank = dropped = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            lines = number
            if b"\x00" in raw:
                raise SlopscopeError(f"data.path={str(path)!r} line {number} holds a NUL byte "
                                     f"(binary data?); allowed: {ALLOWED}")
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start:exc.start + 1].hex()
                raise SlopscopeError(f"data.path={str(path)!r} line {number} is not UTF-8 (byte "
                                     f"0x{bad}); allowed: {ALLOWED}") from None
            if lowercase:
                line = line.lower()
            parts = line.split() if tokens == "whitespace" else list(line)
            if not parts:
                blank += 1
                continue
            if keep is not None and not keep.fullmatch(line):
                dropped += 1
                continue
            for part in parts:
                values.append(symbol_ids.setdefault(part, len(symbol_ids)))
            offsets.append(len(values))
    info = {"format": "text", "tokens": tokens, "lines": lines, "blank_lines": blank,
            "dropped_by_pattern": dropped}
    if len(offsets) == 1:
        raise SlopscopeError(f"data.path={str(path)!r} has no sequences ({lines} lines, {blank} "
                             f"blank, {dropped} not matching data.pattern={pattern!r})")
    return Ragged(np.asarray(values, dtype=np.int64), np.asarray(offsets, dtype=np.int64),
                  list(symbol_ids), info)


def _read_npy(path: Path) -> Ragged:
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except ValueError as exc:
        reason = ("an object array" if "objects in dtype" in str(exc) or "Object arrays" in str(exc)
                  else "not a .npy file")
        raise SlopscopeError(f"data.path={str(path)!r} is {reason}; allowed: {ALLOWED}") from None
    if not isinstance(array, np.ndarray) or array.ndim != 2 or \
            not np.issubdtype(array.dtype, np.integer) or 0 in array.shape:
        raise SlopscopeError(f"data.path={str(path)!r} holds a {array.dtype} array of shape "
                             f"{array.shape}{_not_an_id(array)}; allowed: a non-empty "
                             f"(sequences, length) integer array of {IDS}")
    count, length = array.shape
    flat = array.reshape(-1)
    offsets = np.arange(count + 1, dtype=np.int64) * length
    check_token_ids(flat, offsets, f"data.path={str(path)!r}")
    values = np.asarray(flat, dtype=np.int64)
    return Ragged(values, offsets, None, {"format": "npy", "lines": count})


def _not_an_id(array) -> str:
    """' (value 3.5 at sequence 0, position 2)': the first value of a 2-D float array that is no
    integer ('' for other arrays)."""
    if not (isinstance(array, np.ndarray) and array.ndim == 2 and array.size
            and np.issubdtype(array.dtype, np.floating)):
        return ""
    bad = ~np.isfinite(array) | (array != np.floor(array))
    if not bad.any():
        return f" (whole numbers stored as floats, e.g. {array[0, 0].item()!r})"
    row, col = (int(i) for i in np.argwhere(bad)[0])
    return f" (value {array[row, col].item()!r} at sequence {row}, position {col})"


def check_token_ids(values: np.ndarray, offsets: np.ndarray, where: str) -> None:
    """Raise a one-line error naming the first value of integer data that is not a token id
    (negative, or above MAX_TOKEN_ID), with its sequence and position; no copy is made."""
    if values.size == 0:
        return
    low, high = values.min(), values.max()
    if low >= 0 and high <= MAX_TOKEN_ID:
        return
    index = int(np.argmax(values < 0)) if low < 0 else int(np.argmax(values > MAX_TOKEN_ID))
    row = int(np.searchsorted(offsets, index, side="right")) - 1
    hint = " (to pad, store shorter sequences and set data.pad=true)" if low < 0 else ""
    raise SlopscopeError(f"{where} holds token id {int(values[index])} (sequence {row}, position "
                         f"{index - int(offsets[row])}); allowed: {IDS}{hint}")


def _read_parquet(path: Path, column: str) -> Ragged:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SlopscopeError(f"data.path={str(path)!r} is not a Parquet file ({exc}); allowed: "
                             f"{ALLOWED}") from None

    def int_lists(t) -> bool:
        return (pa.types.is_list(t) or pa.types.is_large_list(t)) and \
            pa.types.is_integer(t.value_type)

    candidates = [f.name for f in schema if int_lists(f.type)]
    if not column:
        if len(candidates) != 1:
            raise SlopscopeError(f"data.path={str(path)!r} has integer-list columns "
                                 f"{candidates}; allowed: exactly one, or name it with "
                                 "data.column=NAME")
        column = candidates[0]
    if column not in candidates:
        raise SlopscopeError(f"data.column={column!r} is not an integer-list column of "
                             f"{str(path)!r}; allowed: {', '.join(candidates) or 'none found'}")
    array = pq.read_table(path, columns=[column]).column(column).combine_chunks()
    if array.null_count:
        raise SlopscopeError(f"data.column={column!r} of {str(path)!r} has {array.null_count} "
                             "null rows; allowed: integer lists without nulls")
    if len(array) == 0:
        raise SlopscopeError(f"data.path={str(path)!r} has no rows; allowed: {ALLOWED}")
    flat = array.flatten()
    if flat.null_count:
        raise SlopscopeError(f"data.column={column!r} of {str(path)!r} has null tokens; "
                             "allowed: integer lists without nulls")
    offsets = np.asarray(array.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    raw = flat.to_numpy(zero_copy_only=False)
    if raw.size == 0:
        raise SlopscopeError(f"data.column={column!r} of {str(path)!r} holds only empty lists; "
                             f"allowed: lists of {IDS}")
    check_token_ids(raw, offsets, f"data.column={column!r} of {str(path)!r}")
    return Ragged(raw.astype(np.int64), offsets, None,
                  {"format": "parquet", "column": column, "lines": len(array)})
