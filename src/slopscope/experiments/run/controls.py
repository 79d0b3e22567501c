"""Controls whose answer is known, through the same pipeline as a network: `model.backbone =
"oracle"`. No training; its "checkpoints" are the configured checkpoint steps.

Each generation is an exact grammar sample (the perfect generaliser: it memorises nothing) or,
with probability `share(step)`, a uniformly chosen copy of a string of the memorised set (a
planted memoriser). The memorised set is every training string (`all`), or the most (`typical`)
or least (`atypical`) typical fifth of the training strings by T1.

The share ramps up over the checkpoints: 0 before the step `onset`, then linearly in log step from
0 at `onset` to `memorize` at the last checkpoint (`onset` = 0: `memorize` at every checkpoint).

With `sharpen` > 0 the generaliser is replaced by a slop generator that never copies on purpose:
the grammar's rule tables with rule probabilities proportional to (add-one smoothed training
frequency) ** sharpen (1: the training frequencies; > 1: common rules over-produced).

Its likelihood is exact: p(x) = (1 - share) p_gen(x) + share [x in memorised set] / |set|, with
p_gen the grammar (or its sharpened version).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from slopscope import measure
from slopscope.errors import SlopscopeError, check_int

ORACLE_BACKBONE = "oracle"  # model.backbone of a control: no network, no training
MEMORIZE_SETS = ("all", "typical", "atypical")


@dataclass(frozen=True)
class OracleConfig:
    memorize: float = 0.0  # share of generations copied from the memorised set (at full ramp)
    memorize_set: str = "all"  # all | typical | atypical (fifths of the training set by T1)
    onset: int = 0  # step at which the share starts to ramp up (0: constant share)
    sharpen: float = 0.0  # > 0: rules drawn with p ~ training frequency ** sharpen (slop)

    def __post_init__(self):
        if not (isinstance(self.memorize, (int, float)) and 0.0 <= self.memorize <= 1.0):
            raise SlopscopeError(f"'memorize' = {self.memorize!r}; allowed: a "
                                 "share in [0, 1]")
        if self.memorize_set not in MEMORIZE_SETS:
            raise SlopscopeError(f"'memorize_set' = {self.memorize_set!r}; "
                                 f"allowed: {', '.join(MEMORIZE_SETS)}")
        check_int("onset", self.onset, minimum=0)
        if not (isinstance(self.sharpen, (int, float)) and 0.0 <= self.sharpen <= 20.0):
            raise SlopscopeError(f"'sharpen' = {self.sharpen!r}; allowed: a "
                                 "number in [0, 20] (0: the grammar itself)")


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


def memorised_indices(t1, which: str) -> np.ndarray:
    """Training indices of the memorised set: all, or the most / least typical fifth by T1
    (ties broken by index, so the set is reproducible)."""
    t1 = np.asarray(t1, dtype=np.float64)
    if which == "all":
        return np.arange(t1.shape[0])
    fifth = max(1, math.ceil(t1.shape[0] / 5))
    order = np.argsort(-t1 if which == "typical" else t1, kind="stable")
    return np.sort(order[:fifth])


class PlantedOracle:
    """The perfect generaliser of a grammar, optionally mixed with a planted memoriser."""

    def __init__(self, grammar, train, t1_train, config: OracleConfig, steps):
        self.config = config
        self.grammar = sharpened(grammar, train, config.sharpen) if config.sharpen else grammar
        self.memorised = np.asarray(train)[memorised_indices(t1_train, config.memorize_set)]
        self.first, self.last = int(steps[0]), int(steps[-1])

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

    def generate(self, count: int, seed: int, step: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        out = self.grammar.sample(count, seed=rng).astype(np.int64)
        copies = rng.random(count) < self.share(step)
        picks = rng.integers(0, self.memorised.shape[0], int(copies.sum()))
        out[copies] = self.memorised[picks]
        return out

    def nll(self, strings, step: int) -> np.ndarray:
        """Exact -log p(x) of the mixture, in nats per string."""
        share = self.share(step)
        log_g = self.grammar.log_prob(strings)
        copies = measure.copy_counts(self.memorised, strings)  # times x is in the set
        with np.errstate(divide="ignore"):
            parts = np.stack([np.log1p(-share) + log_g if share < 1 else np.full_like(log_g,
                                                                                     -np.inf),
                              np.log(share * copies / self.memorised.shape[0])])
        return -np.logaddexp.reduce(parts, axis=0)
