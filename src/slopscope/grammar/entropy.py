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


def matched_zipf_exponent(v: int, n: int, m: int, s: int, L: int, level: int,
                          target: float, high: float = 50.0) -> float:
    """The Zipf exponent a at rule level `level` (other levels uniform) whose string entropy H(X)
    equals `target` nats: the way to compare tails at different levels without an entropy
    confound (the same a removes s**(level-1) times more entropy at level `level` than at the
    top). H decreases in a; the root is found in [-0.99, high]."""
    from scipy.optimize import brentq

    from slopscope.errors import SlopscopeError
    from slopscope.grammar.rhm import RHM

    def gap(a: float) -> float:
        return RHM(v, n, m, s, L, seed=0, zipf_a=a, zipf_levels=(level,)).entropy() - target

    low = -0.99
    if gap(low) < 0 or gap(high) > 0:
        raise SlopscopeError(f"no Zipf exponent in [{low}, {high}] at level {level} gives "
                             f"H = {target:.4f} nats")
    return float(brentq(gap, low, high, xtol=1e-10))
