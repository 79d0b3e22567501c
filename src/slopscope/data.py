"""Data sets drawn from a grammar: unique, disjoint train/test splits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slopscope.errors import check_int
from slopscope.grammar import RHM
from slopscope.grammar.sampling import unique as unique_trees


@dataclass(frozen=True)
class Split:
    """Disjoint sets of distinct strings. `draws` is how many i.i.d. strings were drawn to find
    the train + test distinct ones (equal to their count when indices were drawn without
    replacement under uniform rules); draws > count records the flattening that rejecting
    duplicates applies to a non-uniform distribution."""

    train: np.ndarray
    test: np.ndarray
    seed: int
    draws: int

    def summary(self) -> dict:
        unique = self.train.shape[0] + self.test.shape[0]
        return {
            "train": int(self.train.shape[0]),
            "test": int(self.test.shape[0]),
            "seed": self.seed,
            "iid_draws": self.draws,
            "duplicates_rejected": self.draws - unique,
        }


def unique_split(grammar: RHM, n_train: int, n_test: int, seed: int) -> Split:
    """`n_train` + `n_test` distinct strings, split into disjoint train and test sets."""
    n_train = check_int("n_train", n_train, minimum=1)
    n_test = check_int("n_test", n_test, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    trees, draws = unique_trees(grammar, n_train + n_test, np.random.default_rng(seed))
    strings = trees.strings
    return Split(train=strings[:n_train], test=strings[n_train:], seed=seed, draws=draws)
