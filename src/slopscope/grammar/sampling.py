"""Ancestral sampling (vectorised over strings), unique sampling and the index -> string map."""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.grammar import radix
from slopscope.grammar.trees import Trees


def expand(g, root: np.ndarray, choices: list) -> Trees:
    """Top-down derivation from root classes (B,) and rule choices per level (B, s**(l-1))."""
    B = root.shape[0]
    symbols = [root.reshape(B, 1).astype(np.int32)]
    for level in range(1, g.L + 1):
        children = g.rules[level - 1][symbols[-1], choices[level - 1]]
        symbols.append(children.reshape(B, g.s**level))
    rules = tuple(np.asarray(c, dtype=np.int32) for c in choices)
    return Trees(symbols=tuple(symbols), rules=rules)


def categorical(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One draw per row of non-negative `weights` (..., K) with positive row sums."""
    cum = np.cumsum(weights, axis=-1)
    target = rng.random(weights.shape[:-1]) * cum[..., -1]
    choice = (cum <= target[..., None]).sum(axis=-1)
    last_positive = weights.shape[-1] - 1 - np.argmax(weights[..., ::-1] > 0, axis=-1)
    return np.minimum(choice, last_positive)


def _draw(rng: np.random.Generator, probs: np.ndarray, uniform: bool, parents: np.ndarray):
    """Rule (or root) indices for each entry of `parents`, under rows probs[parents]."""
    if uniform:
        return rng.integers(0, probs.shape[-1], size=parents.shape)
    return categorical(rng, probs[parents])


def ancestral(g, count: int, rng: np.random.Generator) -> Trees:
    """`count` i.i.d. derivations from the grammar."""
    zeros = np.zeros(count, dtype=np.int64)
    root = _draw(rng, g.root_probs[None, :], g.root_uniform, zeros)
    symbols = root.reshape(count, 1)
    choices = []
    for level in range(1, g.L + 1):
        choice = _draw(rng, g.probs[level - 1], g.level_uniform[level - 1], symbols)
        choices.append(choice)
        symbols = g.rules[level - 1][symbols, choice].reshape(count, g.s**level)
    return expand(g, root, choices)


def string_trees(g, indices) -> Trees:
    """Derivations of the strings with the given indices in [0, P_max)."""
    root, digits = radix.decode(indices, g.n, g.m, g.num_internal)
    choices, start = [], 0
    for level in range(1, g.L + 1):
        width = g.s ** (level - 1)
        choices.append(digits[:, start : start + width])
        start += width
    return expand(g, root, choices)


def row_keys(strings: np.ndarray) -> np.ndarray:
    """One sortable, hashable key per row (raw bytes of the row)."""
    rows = np.ascontiguousarray(strings)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).reshape(-1)


def take_trees(trees: Trees, rows: np.ndarray) -> Trees:
    return Trees(
        symbols=tuple(x[rows] for x in trees.symbols), rules=tuple(x[rows] for x in trees.rules)
    )


def concat_trees(parts: list) -> Trees:
    return Trees(
        symbols=tuple(np.concatenate(x) for x in zip(*(p.symbols for p in parts), strict=True)),
        rules=tuple(np.concatenate(x) for x in zip(*(p.rules for p in parts), strict=True)),
    )


def unique(g, count: int, rng: np.random.Generator, max_draws: int | None = None):
    """`count` distinct strings. Returns (trees, draws): uniform grammars draw indices without
    replacement (draws = count); others reject duplicates of i.i.d. draws in order (draws = all
    i.i.d. strings drawn, which records how much the empirical distribution was flattened)."""
    if count > g.P_max:
        raise SlopscopeError(
            f"count={count} distinct strings requested but the grammar has only "
            f"P_max={g.P_max}; allowed: count <= P_max"
        )
    if g.is_uniform and g.P_max <= 2**62:
        return string_trees(g, rng.choice(g.P_max, size=count, replace=False)), count
    max_draws = max_draws if max_draws is not None else 100 * count + 100_000
    kept: Trees | None = None
    positions = np.zeros(0, dtype=np.int64)  # draw number of each kept string
    draws = 0
    while kept is None or kept.strings.shape[0] < count:
        have = 0 if kept is None else kept.strings.shape[0]
        if draws >= max_draws:
            raise SlopscopeError(
                f"only {have} distinct strings found in {draws} i.i.d. draws; count={count} "
                "is too close to the support of this (fat-tailed) grammar; allowed: a smaller count"
            )
        batch = min(max(int(1.25 * (count - have)) + 64, 1024), max_draws - draws)
        fresh = ancestral(g, batch, rng)
        pool = fresh if kept is None else concat_trees([kept, fresh])
        positions = np.concatenate([positions, draws + np.arange(batch)])
        draws += batch
        _, first = np.unique(row_keys(pool.strings), return_index=True)
        first = np.sort(first)
        kept, positions = take_trees(pool, first), positions[first]
    return take_trees(kept, np.arange(count)), int(positions[count - 1]) + 1
