"""Derivation trees of a batch of strings, level by level."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Trees:
    """Derivations of B strings.

    symbols[q] is (B, s**q): the symbols at depth q (q = 0 is the root class, q = L the tokens).
    rules[l - 1] is (B, s**(l - 1)): the index (0..m-1, table order) of the production applied at
    each node of depth l - 1, i.e. the rule of rule level l. In a parse, -1 marks nodes whose
    subtree is not valid.
    """

    symbols: tuple
    rules: tuple

    @property
    def strings(self) -> np.ndarray:
        return self.symbols[-1]


@dataclass(frozen=True)
class ParseResult(Trees):
    """A bottom-up parse. valid_up_to[b] is the smallest rule level l such that every production
    at levels l..L of string b parses (1 = fully valid string, L + 1 = even the bottom fails)."""

    valid_up_to: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        return self.valid_up_to == 1

    def valid_fraction_by_level(self) -> np.ndarray:
        """Fraction of strings valid up to rule level l, for l = 1..L (index l - 1)."""
        L = len(self.rules)
        return np.array([(self.valid_up_to <= level).mean() for level in range(1, L + 1)])
