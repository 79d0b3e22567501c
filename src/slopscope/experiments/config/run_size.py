"""Refuse a run that cannot fit in memory before anything is allocated.

`estimate_run_size` adds up, in exact integer arithmetic (no array is made, no grammar drawn), the
bytes of what a grammar run holds at its peak: the grammar's tables, the training and held-out
strings with their derivations, the generated and reference strings with their parses and block
ids, and the network's parameters, optimiser state and activations for one training batch. The
figures are deliberately generous (about the largest temporary of each stage, not a tight
bound); `check_run_size` compares their sum with the memory available now.
"""

from __future__ import annotations

import math

from slopscope.errors import SlopscopeError, human_bytes

FLOAT = 4  # bytes of a float32 activation or parameter
INT64_BITS = 63  # block ids beyond this many bits are Python ints in object arrays


def _grammar_bytes(v: int, n: int, m: int, s: int, L: int, d: int, internal: int) -> int:
    """Rule tables and their derived forms (codes, digits, probabilities, thresholds, log
    probabilities, one-hot emission matrices, the dense tuple lookup), the depth of every tree
    node, and the exact string count P_max (a Python int)."""
    rows = n * m + (L - 1) * v * m  # productions over all levels
    tables = rows * (s * (4 + 4 + 4 + 8 + 8) + 3 * 8)
    emissions = rows * s * v * 8
    lookup = L * v**s * 4 if v**s <= 2**20 else rows * 16
    p_max = math.ceil(internal * math.log2(m) / 8) * 2 if m > 1 else 8  # the power and a copy
    return tables + emissions + lookup + internal * 8 + p_max


def _string_bytes(v: int, n: int, m: int, s: int, L: int, d: int, internal: int) -> int:
    """One measured string: its tokens, its parse (nodes and rule choices, int32), the largest
    temporary of the block-id computation (int64 digits) and its block ids of sizes 1..L-1."""
    blocks = 0
    for k in range(1, L):
        bits = math.log2(v) + (s**k - 1) // (s - 1) * math.log2(m)
        per_id = 8 if bits <= INT64_BITS else 8 + 40 + math.ceil(bits / 8)
        blocks += s ** (L - k) * per_id
    return d * 4 + (internal + d) * 4 + internal * 4 + d * 8 + blocks


def _model_bytes(config, v: int, d: int) -> tuple[int, str]:
    """(bytes, what): parameters with gradients and AdamW moments (and an EMA copy), and the
    float32 activations kept for the backward pass of one training batch (the backbone's config
    counts both: `memory_counts`)."""
    from slopscope.models import MODELS

    backbone, options = config.model.backbone, config.model.options
    if not MODELS[backbone].trains:  # a control: no network, its samples are strings
        return 0, ""
    config_cls = MODELS[backbone].options
    batch = min(config.train.batch_size, config.data.train)
    try:
        params, acts = config_cls(**options).memory_counts(batch, d, v)
    except SlopscopeError as exc:
        raise SlopscopeError(f"model.options: {exc}") from None
    copies = 5 if config.train.ema is not None else 4
    what = f"{backbone} training batch of {batch} strings of {d} tokens"
    return FLOAT * (acts + copies * params), what


def estimate_run_size(config) -> dict[str, int]:
    """Bytes by part of a grammar run's peak memory (see the module docstring)."""
    g, data, measure = config.grammar, config.data, config.measure
    v, n, m, s, L = g.v, g.n, g.m, g.s, g.L
    d = s**L
    internal = (d - 1) // (s - 1)
    strings = data.train + data.test
    tree = (internal + d) * 4 + internal * 8  # a derivation: nodes, choices and their digits
    per_string = _string_bytes(v, n, m, s, L, d, internal)
    model, what = _model_bytes(config, v, d)
    return {
        "grammar tables": _grammar_bytes(v, n, m, s, L, d, internal),
        f"{strings} training and held-out strings": 2 * strings * tree + strings * per_string,
        f"{measure.generations} generated and {measure.generations} reference strings":
            2 * measure.generations * per_string,
        what or "oracle samples": model,
    }


def check_model_size(config, v: int, d: int, available: int | None = None) -> None:
    """Raise a one-line SlopscopeError when the network's training memory at vocabulary v and
    length d (token data: known once its file is read) exceeds what is available."""
    need, what = _model_bytes(config, v, d)
    if available is None:
        from slopscope.tokendata import files

        available = files.available_memory()
    if need > available:
        raise SlopscopeError(
            f"the {what} needs ~{human_bytes(need)} of memory but ~{human_bytes(available)} is "
            "available; allowed: sequences short enough for this model (shorter lines, or "
            "data.length=K to keep only those of K tokens), a smaller train.batch_size or a "
            "smaller model")


def check_run_size(config, available: int | None = None) -> None:
    """Raise a one-line SlopscopeError when a grammar run would need more memory than is
    available (`available` bytes; default: what the machine has free now). Token data runs are
    checked when their file is read (its length is known only then)."""
    if config.data.path:
        return
    if available is None:
        from slopscope.tokendata import files

        available = files.available_memory()
    parts = estimate_run_size(config)
    need = sum(parts.values())
    if need <= available:
        return
    largest = sorted(parts.items(), key=lambda item: -item[1])[:2]
    detail = "; ".join(f"{name}: ~{human_bytes(size)}" for name, size in largest if size)
    g = config.grammar
    raise SlopscopeError(
        f"this run needs ~{human_bytes(need)} of memory ({detail}) but ~{human_bytes(available)} "
        f"is available; allowed: a run that fits (strings have s**L = {g.s}**{g.L} = "
        f"{g.s**g.L} tokens: lower grammar.L, or data.train, data.test, measure.generations, "
        "train.batch_size or the model size)")
