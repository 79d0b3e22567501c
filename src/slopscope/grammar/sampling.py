"""Ancestral sampling (vectorised over strings), unique sampling and the index -> string map."""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.grammar import kernels, radix
from slopscope.grammar.trees import Trees
from slopscope.rows import row_keys


def expand(g, root: np.ndarray, choices: np.ndarray) -> Trees:
    """Derivations from root classes (B,) and production choices (B, num_internal), BFS order."""
    nodes = kernels.expand(g.kernel_tables, root, choices, g.m, g.s, g.d)
    return Trees(nodes, np.ascontiguousarray(choices, dtype=np.int32), g.s, g.L)


def derive(g, root: np.ndarray, choose) -> Trees:
    """Level-by-level derivation where `choose(level, parents)` picks the productions (B, width)
    applied to the parent symbols: for rule probabilities that depend on the parent symbol."""
    B = root.shape[0]
    symbols = np.asarray(root, dtype=np.int32).reshape(B, 1)
    choices = []
    for level in range(1, g.L + 1):
        choice = np.asarray(choose(level, symbols), dtype=np.int32).reshape(B, -1)
        choices.append(choice)
        symbols = g.flat_rules[level - 1][symbols * g.m + choice].reshape(B, -1)
    return expand(g, root, np.concatenate(choices, axis=1))


def cumulative(probs: np.ndarray) -> np.ndarray:
    """Inverse-CDF thresholds (rows, K-1): draw k = #{j : u >= thresholds[j]} for u ~ U[0, 1).

    Where no probability mass remains above index j the threshold is +inf, so rounding in the
    cumulative sum can never select a zero-probability tail."""
    cum = np.cumsum(probs, axis=-1)[:, :-1]
    tail_empty = np.cumsum(probs[:, ::-1], axis=-1)[:, ::-1][:, 1:] == 0
    return np.where(tail_empty, np.inf, cum)


def draw_choices(rng: np.random.Generator, thresholds: np.ndarray, uniform: bool,
                 parents: np.ndarray) -> np.ndarray:
    """One index per entry of `parents`, with probabilities from row `parents` of the table
    whose inverse-CDF thresholds are given (a single row is shared by all parents)."""
    count = thresholds.shape[1] + 1
    dtype = np.uint8 if count <= 256 else np.int32  # small draws are cheaper to generate
    if uniform:
        return rng.integers(0, count, size=parents.shape, dtype=dtype)
    u = rng.random(parents.shape)
    choice = np.zeros(parents.shape, dtype=dtype)
    shared = thresholds.shape[0] == 1
    for j in range(thresholds.shape[1]):
        choice += u >= (thresholds[0, j] if shared else thresholds[parents, j])
    return choice


def categorical(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One draw per row of non-negative `weights` (..., K) with positive row sums."""
    cum = np.cumsum(weights, axis=-1)
    target = rng.random(weights.shape[:-1]) * cum[..., -1]
    choice = (cum <= target[..., None]).sum(axis=-1)
    last_positive = weights.shape[-1] - 1 - np.argmax(weights[..., ::-1] > 0, axis=-1)
    return np.minimum(choice, last_positive)


def ancestral(g, count: int, rng: np.random.Generator, leaves_only: bool = False):
    """`count` i.i.d. derivations from the grammar (Trees), or with leaves_only just the strings.
    Levels whose rule probabilities do not depend on the parent (uniform or one shared vector,
    the usual case) are drawn up front and expanded by a compiled loop; the random stream is the
    same either way."""
    root = draw_choices(rng, g.root_thresholds, g.root_uniform, np.zeros(count, dtype=np.int32))

    def choose(level, parents):
        return draw_choices(rng, g.thresholds[level - 1], g.level_uniform[level - 1], parents)

    if any(t.shape[0] > 1 for t in g.thresholds):
        trees = derive(g, root, choose)
        return np.ascontiguousarray(trees.strings) if leaves_only else trees
    choices = np.empty((count, g.num_internal), dtype=np.uint8 if g.m <= 256 else np.int32)
    start = 0
    for level in range(1, g.L + 1):
        width = g.s ** (level - 1)
        placeholder = np.broadcast_to(np.int32(0), (count, width))  # parents are not needed
        choices[:, start : start + width] = choose(level, placeholder)
        start += width
    if leaves_only:
        return kernels.expand(g.kernel_tables, root, choices, g.m, g.s, g.d, leaves_only=True)
    return expand(g, root, choices)


def string_trees(g, indices) -> Trees:
    """Derivations of the strings with the given indices in [0, P_max)."""
    root, digits = radix.decode(indices, g.n, g.m, g.num_internal)
    return expand(g, root, digits)


def unique(g, count: int, rng: np.random.Generator, max_draws: int | None = None):
    """`count` distinct strings. Returns (trees, draws): uniform grammars draw indices without
    replacement (draws = count); others reject duplicates of i.i.d. draws in order (draws = the
    number of i.i.d. strings it took, which records how much the empirical law was flattened)."""
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
    while kept is None or kept.nodes.shape[0] < count:
        have = 0 if kept is None else kept.nodes.shape[0]
        if draws >= max_draws:
            raise SlopscopeError(
                f"only {have} distinct strings found in {draws} i.i.d. draws; count={count} "
                "is too close to the support of this (fat-tailed) grammar; allowed: a smaller count"
            )
        batch = min(max(int(1.25 * (count - have)) + 64, 1024), max_draws - draws)
        fresh = ancestral(g, batch, rng)
        pool = fresh if kept is None else Trees.concat([kept, fresh])
        positions = np.concatenate([positions, draws + np.arange(batch)])
        draws += batch
        _, first = np.unique(row_keys(pool.strings), return_index=True)
        first = np.sort(first)
        kept, positions = pool.take(first), positions[first]
    return kept.take(np.arange(count)), int(positions[count - 1]) + 1
