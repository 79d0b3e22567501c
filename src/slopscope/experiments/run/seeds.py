"""One run seed replicates the whole experiment: it derives the grammar seed, the data (split)
seed and the model seed, so that seeds vary the grammar, the split and the initialisation. A
seed set explicitly in the configuration (`grammar.seed`, `data.seed`) holds that part fixed."""

from __future__ import annotations

import numpy as np

_PARTS = {"grammar": 1, "data": 2, "model": 3}


def derived_seed(run_seed: int, part: str) -> int:
    """A seed for one part of the run, independent of the other parts' seeds."""
    return int(np.random.SeedSequence([run_seed, _PARTS[part]]).generate_state(1)[0] >> 1)


def resolve_seeds(config, run_seed: int) -> dict:
    """{"run", "grammar", "data", "model"}: explicit config seeds win, the rest are derived."""
    seeds = {"run": int(run_seed), "model": derived_seed(run_seed, "model")}
    for part, explicit in (("grammar", config.grammar.seed), ("data", config.data.seed)):
        seeds[part] = int(explicit) if explicit is not None else derived_seed(run_seed, part)
    return seeds
