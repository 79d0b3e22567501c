"""Grammars matched in string entropy: the Zipf exponent at one rule level that gives a chosen
entropy H(X), to compare tails at different levels without an entropy confound (finding C).
Built on RHM (entropy.py, below it, needs only a grammar's tables)."""

from __future__ import annotations

from scipy.optimize import brentq

from slopscope.errors import SlopscopeError
from slopscope.grammar.rhm import RHM


def matched_zipf_exponent(v: int, n: int, m: int, s: int, L: int, level: int,
                          target: float, high: float = 50.0) -> float:
    """The Zipf exponent a at rule level `level` (other levels uniform) whose string entropy H(X)
    equals `target` nats: the way to compare tails at different levels without an entropy
    confound (the same a removes s**(level-1) times more entropy at level `level` than at the
    top). H decreases in a; the root is found in [-0.99, high]."""
    def gap(a: float) -> float:
        return RHM(v, n, m, s, L, seed=0, zipf_a=a, zipf_levels=(level,)).entropy() - target

    low = -0.99
    if gap(low) < 0 or gap(high) > 0:
        raise SlopscopeError(f"no Zipf exponent in [{low}, {high}] at level {level} gives "
                             f"H = {target:.4f} nats")
    return float(brentq(gap, low, high, xtol=1e-10))
