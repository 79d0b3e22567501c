"""Derivation trees of a batch of strings, stored breadth-first."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Trees:
    """Derivations of B strings of a grammar with branching s and depth L.

    nodes (B, num_internal + d): symbols of all tree nodes in breadth-first order (root first,
    tokens last); choices (B, num_internal): the production index (0..m-1, table order) applied
    at each internal node. In a parse, -1 marks nodes whose subtree is not valid.

    Views by depth: symbols[q] is (B, s**q), the symbols at depth q (q = 0 is the root class,
    q = L the tokens); rules[l - 1] is (B, s**(l - 1)), the productions of rule level l (applied
    at depth l - 1).
    """

    nodes: np.ndarray
    choices: np.ndarray
    s: int
    L: int

    def _span(self, depth: int) -> slice:
        start = (self.s**depth - 1) // (self.s - 1)
        return slice(start, start + self.s**depth)

    @property
    def symbols(self) -> tuple:
        return tuple(self.nodes[:, self._span(q)] for q in range(self.L + 1))

    @property
    def rules(self) -> tuple:
        return tuple(self.choices[:, self._span(q)] for q in range(self.L))

    @property
    def strings(self) -> np.ndarray:
        return self.nodes[:, self._span(self.L)]

    def take(self, rows) -> Trees:
        return Trees(self.nodes[rows], self.choices[rows], self.s, self.L)

    @staticmethod
    def concat(parts: list) -> Trees:
        first = parts[0]
        return Trees(np.concatenate([p.nodes for p in parts]),
                     np.concatenate([p.choices for p in parts]), first.s, first.L)


@dataclass(frozen=True)
class ParseResult(Trees):
    """A bottom-up parse. valid_up_to[b] is the smallest rule level l such that every production
    at levels l..L of string b parses (1 = fully valid string, L + 1 = even the bottom fails)."""

    valid_up_to: np.ndarray = None

    @property
    def valid(self) -> np.ndarray:
        return self.valid_up_to == 1

    def valid_fraction_by_level(self) -> np.ndarray:
        """Fraction of strings valid up to rule level l, for l = 1..L (index l - 1)."""
        return np.array([(self.valid_up_to <= level).mean() for level in range(1, self.L + 1)])
