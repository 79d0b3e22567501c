"""Data sets drawn from a grammar: unique, disjoint and exchangeable train/test splits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slopscope.errors import check_int
from slopscope.grammar import RHM
from slopscope.grammar.sampling import unique as unique_trees


@dataclass(frozen=True)
class Split:
    """Disjoint sets of distinct strings, a seeded random partition of one pool. `draws` is how
    many i.i.d. strings were drawn to find the pool's distinct ones (equal to its size when
    indices were drawn without replacement under uniform rules); draws > size records the
    flattening that rejecting duplicates applies to a non-uniform distribution.
    `mean_log_p` = {split: mean exact log p(x)} (the exchangeability check: equal within chance)."""

    train: np.ndarray
    test: np.ndarray
    seed: int
    draws: int
    mean_log_p: dict

    def summary(self) -> dict:
        unique = self.train.shape[0] + self.test.shape[0]
        return {
            "train": int(self.train.shape[0]),
            "test": int(self.test.shape[0]),
            "seed": self.seed,
            "iid_draws": self.draws,
            "duplicates_rejected": self.draws - unique,
            "split": "seeded random partition of one pool of distinct strings",
            "mean_log_p": self.mean_log_p,
        }


def unique_split(grammar: RHM, n_train: int, n_test: int, seed: int) -> Split:
    """`n_train` + `n_test` distinct strings, split into disjoint train and test sets by a seeded
    random permutation of the pool (never "first drawn = training": under a fat tail the most
    probable strings are drawn first, and the held-out set would stop being a control)."""
    n_train = check_int("n_train", n_train, minimum=1)
    n_test = check_int("n_test", n_test, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    trees, draws = unique_trees(grammar, n_train + n_test, rng)
    pool = trees.strings[rng.permutation(n_train + n_test)]
    train, test = pool[:n_train], pool[n_train:]
    mean_log_p = {name: float(grammar.log_prob(part).mean()) if part.shape[0] else None
                  for name, part in (("train", train), ("test", test))}
    return Split(train=train, test=test, seed=seed, draws=draws, mean_log_p=mean_log_p)


def pool_half(train: np.ndarray, test: np.ndarray, seed: int, half: int):
    """(train, test) of counterfactual model `half`: the pool (train + test, equally many) is
    cut into two halves by a permutation seeded with (seed, half // 2); an even `half` trains on
    the first, an odd one on the second. Models 2j and 2j + 1 thus train on disjoint,
    complementary halves, and with an even number of models every pool string is in training for
    exactly half of them. Rows keep their pool order within each half."""
    pool = np.concatenate([np.asarray(train), np.asarray(test)])
    size = pool.shape[0] // 2
    order = np.random.default_rng([seed, half // 2]).permutation(pool.shape[0])
    first, second = np.sort(order[:size]), np.sort(order[size:])
    if half % 2:
        first, second = second, first
    return pool[first], pool[second]
