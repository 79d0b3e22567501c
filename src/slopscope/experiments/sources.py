"""Where a run's strings come from: a grammar (RHM) or the user's token data. Both expose what
the measurements need; grammar-only quantities (validity, exact log p, rule typicality) are None
for token data and end up "not available" in tables and report."""

from __future__ import annotations

import numpy as np

from slopscope import measure
from slopscope.grammar import RHM
from slopscope.tokendata import Vocabulary


class GrammarSource:
    kind = "grammar"
    pad = None
    size_prefix = "k"  # per-size columns t1_k1, t1_k2, ...: block level k (s**k tokens)

    def __init__(self, grammar: RHM):
        self.grammar = grammar
        self.v, self.d, self.levels = grammar.v, grammar.d, grammar.L

    def block_ids(self, strings) -> dict:
        """{block size k (levels 1..L-1): ids}; block k spans s**k tokens."""
        return measure.grammar_block_ids(self.grammar, strings)

    def block_width(self, size: int) -> int:
        return self.grammar.s ** size

    def kgram_sizes(self) -> list[int]:
        return [self.block_width(k) for k in range(1, self.levels)] or [1]

    def reference(self, count: int, seed: int, test) -> np.ndarray:
        """Fresh strings from the data distribution (the excess-copying baseline)."""
        return self.grammar.sample(count, seed=seed)

    def validity(self, generations):
        return measure.validity_by_level(self.grammar, generations)

    def log_prob(self, strings):
        return self.grammar.log_prob(strings)

    def entropy(self) -> float:
        """H(X) of the grammar's string distribution, in nats."""
        return float(self.grammar.entropy())

    def rule_typicality(self, train, splits: dict) -> dict:
        """{split: T2} from the training rule frequencies (counted once)."""
        freq = measure.rule_frequencies(self.grammar, train)
        return {name: measure.rule_typicality(self.grammar, strings, freq)
                for name, strings in splits.items()}

    def rule_ids(self, strings, level: int):
        return measure.rule_ids(self.grammar, strings, level)


class TokenSource:
    kind = "tokens"
    levels = 0
    size_prefix = "w"  # per-size columns t1_w2, t1_w4, ...: block width in tokens

    def __init__(self, vocab: Vocabulary, d: int):
        self.vocab, self.v, self.d, self.pad = vocab, vocab.size, d, vocab.pad
        self.widths = measure.block_widths(d)

    def block_ids(self, strings) -> dict:
        """{block width in tokens (2, 4, ... dividing d): content keys}."""
        return measure.token_block_ids(strings, self.widths, self.v, self.pad)

    def block_width(self, size: int) -> int:
        return size

    def kgram_sizes(self) -> list[int]:
        return self.widths

    def reference(self, count: int, seed: int, test) -> np.ndarray:
        """Without a grammar, the held-out split is the fresh reference."""
        return test

    def validity(self, generations):
        return None

    def log_prob(self, strings):
        return None

    def entropy(self):
        return None

    def rule_typicality(self, train, splits: dict):
        return None
