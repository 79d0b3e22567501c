"""Exact entropies of the grammar's string distribution, via positional symbol marginals."""

from __future__ import annotations

import numpy as np


def _entropy_rows(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(axis=-1)


def symbol_marginals(g) -> list:
    """q[depth] (s**depth, parents): probability of each symbol at each position of that depth."""
    q = [g.root_probs[None, :]]
    for depth in range(g.L):
        joint = (q[-1][:, :, None] * g.probs[depth][None]).reshape(q[-1].shape[0], -1)
        slots = [joint @ g.emits[depth][j] for j in range(g.s)]
        q.append(np.stack(slots, axis=1).reshape(-1, g.v))
    return q


def rule_entropy(g) -> np.ndarray:
    """Expected entropy (nats) of the production chosen at one node of each rule level 1..L."""
    q = symbol_marginals(g)
    return np.array(
        [(q[depth] @ _entropy_rows(g.probs[depth])).mean() for depth in range(g.L)]
    )


def string_entropy(g) -> float:
    """H(X) in nats; strings and derivations are in bijection, so H = H(root) + sum over nodes."""
    q = symbol_marginals(g)
    total = float(_entropy_rows(g.root_probs))
    for depth in range(g.L):
        total += float((q[depth] @ _entropy_rows(g.probs[depth])).sum())
    return total
