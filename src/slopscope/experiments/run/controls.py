"""Controls whose answer is known, through the same pipeline as a network: `model.backbone =
"oracle"`. No training; its "checkpoints" are the configured checkpoint steps.

Each generation is an exact grammar sample (the perfect generaliser: it memorises nothing) or,
with probability `share(step)`, a uniformly chosen copy of a string of the memorised set (a
planted memoriser). The memorised set is every training string (`all`), or the most (`typical`)
or least (`atypical`) typical fifth of the training strings by T1 (or, with `memorize_by = "t3"`,
by the exact log p: the typicality finding A ranks by).

The share ramps up over the checkpoints: 0 before the step `onset`, then linearly in log step from
0 at `onset` to `memorize` at the last checkpoint (`onset` = 0: `memorize` at every checkpoint).

With `sharpen` > 0 the generaliser is replaced by a slop generator that never copies on purpose:
the grammar's rule tables with rule probabilities proportional to (add-one smoothed training
frequency) ** sharpen (1: the training frequencies; > 1: common rules over-produced).

With `level_onset` > 0 the generaliser is a hierarchical learner with planted learning times: it
has learned block size k (the bottom k rule levels) from step level_onset * level_ratio**(k-1)
on. A string of a learner that knows block sizes up to k is a concatenation of independent
blocks of s**k tokens, each the grammar's expansion of a uniformly drawn symbol k levels above
the leaves (k = 0: uniform random tokens; k = L: the grammar itself), so it is valid at block
sizes <= k and valid above only by chance.

Its likelihood is exact: p(x) = (1 - share) p_gen(x) + share [x in memorised set] / |set|, with
p_gen the grammar (or its sharpened version).
"""

from __future__ import annotations

import math

import numpy as np

from slopscope import measure
from slopscope.models.oracle import OracleConfig


def sharpened(grammar, train, power: float):
    """The grammar's rule tables with rule (and root) probabilities proportional to the add-one
    smoothed training frequencies raised to `power`."""
    from slopscope.grammar import RHM

    tables, root = measure.rule_frequencies(grammar, train)

    def norm(p):
        q = p**power
        return q / q.sum(axis=-1, keepdims=True)

    return RHM.from_rules(list(grammar.rules), grammar.v, grammar.n,
                          probs=[norm(t) for t in tables], root_probs=norm(root))


def memorised_indices(typicality, which: str) -> np.ndarray:
    """Training indices of the memorised set: all, or the most / least typical fifth by a
    typicality score (ties broken by index, so the set is reproducible)."""
    score = np.asarray(typicality, dtype=np.float64)
    if which == "all":
        return np.arange(score.shape[0])
    fifth = max(1, math.ceil(score.shape[0] / 5))
    order = np.argsort(-score if which == "typical" else score, kind="stable")
    return np.sort(order[:fifth])


class PlantedOracle:
    """The perfect generaliser of a grammar, optionally mixed with a planted memoriser."""

    def __init__(self, grammar, train, typicality, config: OracleConfig, steps):
        """`typicality`: the score ranking the training strings for the typical and atypical
        sets (T1, or log p under memorize_by = "t3")."""
        self.config = config
        self.grammar = sharpened(grammar, train, config.sharpen) if config.sharpen else grammar
        self.memorised = np.asarray(train)[memorised_indices(typicality, config.memorize_set)]
        self.first, self.last = int(steps[0]), int(steps[-1])
        self._partial: dict = {}

    def share(self, step: int) -> float:
        """Probability that a generation at `step` is a copy of a memorised string."""
        onset, top = self.config.onset, self.config.memorize
        if onset == 0:
            return top
        if step < onset:
            return 0.0
        if onset >= self.last:
            return top
        return top * min(1.0, math.log(step / onset) / math.log(self.last / onset))

    def learned(self, step: int) -> int:
        """The largest block size the generaliser knows at `step` (L: all of the grammar)."""
        L, onset = self.grammar.L, self.config.level_onset
        if onset == 0:
            return L
        return sum(step >= onset * self.config.level_ratio ** (k - 1) for k in range(1, L + 1))

    def _blocks_grammar(self, k: int):
        """The bottom k rule levels as a grammar of their own, its root uniform over the v
        symbols k levels above the leaves."""
        if k not in self._partial:
            from slopscope.grammar import RHM

            g = self.grammar
            self._partial[k] = RHM.from_rules(list(g.rules[g.L - k:]), g.v, g.v,
                                              probs=list(g.probs[g.L - k:]))
        return self._partial[k]

    def _generalise(self, count: int, rng, step: int) -> np.ndarray:
        g, k = self.grammar, self.learned(step)
        if k == g.L:
            return g.sample(count, seed=rng).astype(np.int64)
        if k == 0:
            return rng.integers(0, g.v, (count, g.d)).astype(np.int64)
        blocks = self._blocks_grammar(k).sample(count * g.d // g.s**k, seed=rng)
        return blocks.reshape(count, g.d).astype(np.int64)

    def _generaliser_log_prob(self, strings, step: int) -> np.ndarray:
        g, k = self.grammar, self.learned(step)
        strings = np.asarray(strings)
        if k == g.L:
            return g.log_prob(strings)
        if k == 0:
            return np.full(strings.shape[0], -g.d * math.log(g.v))
        width = g.s**k
        parts = self._blocks_grammar(k).log_prob(strings.reshape(-1, width))
        return parts.reshape(strings.shape[0], -1).sum(axis=1)

    def generate(self, count: int, seed: int, step: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        out = self._generalise(count, rng, step)
        copies = rng.random(count) < self.share(step)
        picks = rng.integers(0, self.memorised.shape[0], int(copies.sum()))
        out[copies] = self.memorised[picks]
        return out

    def nll(self, strings, step: int) -> np.ndarray:
        """Exact -log p(x) of the mixture, in nats per string."""
        share = self.share(step)
        log_g = self._generaliser_log_prob(strings, step)
        copies = measure.copy_counts(self.memorised, strings)  # times x is in the set
        with np.errstate(divide="ignore"):
            parts = np.stack([np.log1p(-share) + log_g if share < 1 else np.full_like(log_g,
                                                                                     -np.inf),
                              np.log(share * copies / self.memorised.shape[0])])
        return -np.logaddexp.reduce(parts, axis=0)
