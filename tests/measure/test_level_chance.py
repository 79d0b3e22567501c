"""Chance validity per block size and learning above chance, against exact enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slopscope import RHM
from slopscope.errors import SlopscopeError
from slopscope.measure import above_chance, level_chance, validity_by_level


def _by_block_size(rhm, strings) -> np.ndarray:
    """Share valid at block sizes <= k, for k = 1..L (validity_by_level indexes rule levels)."""
    return validity_by_level(rhm, strings)[::-1]


@pytest.mark.parametrize("sizes", [(3, 2, 2, 2, 2), (4, 2, 3, 2, 2), (3, 3, 2, 2, 3)])
def test_uniform_tokens_are_valid_at_exactly_the_chance_level(sizes):
    v, n, m, s, L = sizes
    rhm = RHM(v=v, n=n, m=m, s=s, L=L, seed=1)
    every = np.array(list(itertools.product(range(v), repeat=rhm.d)))  # each string once
    valid = _by_block_size(rhm, every)
    conditional = valid / np.concatenate([[1.0], valid[:-1]])
    np.testing.assert_allclose(conditional, level_chance(rhm), rtol=1e-12)
    np.testing.assert_allclose(above_chance(valid[None], level_chance(rhm)), 0, atol=1e-12)


def test_chance_by_hand_on_the_regime_grammar():
    # v = n = 8, m = 4, s = 2: 32 of the 64 symbol pairs are right-hand sides at every level
    rhm = RHM(v=8, n=8, m=4, s=2, L=3, seed=0)
    np.testing.assert_allclose(level_chance(rhm), [0.5**4, 0.5**2, 0.5])


def test_a_perfect_generaliser_has_learned_every_level():
    rhm = RHM(v=8, n=8, m=4, s=2, L=3, seed=0)
    valid = _by_block_size(rhm, rhm.sample(500, seed=0))
    np.testing.assert_array_equal(above_chance(valid[None], level_chance(rhm)), [[1, 1, 1]])


def test_a_learner_of_the_bottom_levels_is_at_chance_above_them():
    # blocks of 4 tokens, each the expansion of a uniform symbol two levels up: block sizes 1
    # and 2 learned, the top level paired at random
    rhm = RHM(v=8, n=8, m=4, s=2, L=3, seed=0)
    lower = RHM.from_rules(list(rhm.rules[1:]), rhm.v, rhm.v, probs=list(rhm.probs[1:]))
    strings = lower.sample(2 * 20000, seed=3).reshape(20000, rhm.d)
    learned = above_chance(_by_block_size(rhm, strings)[None], level_chance(rhm))[0]
    np.testing.assert_allclose(learned[:2], 1)
    assert abs(learned[2]) < 0.03  # binomial noise: sd 0.5 / sqrt(20000) / 0.5 = 0.007


def test_nothing_valid_below_leaves_the_next_level_unmeasured():
    out = above_chance([[0.0, 0.0, 0.0], [0.5, 0.25, 0.2]], [0.25, 0.5, 0.5])
    assert np.isnan(out[0, 1:]).all() and out[0, 0] == pytest.approx(-1 / 3)
    np.testing.assert_allclose(out[1], [(0.5 - 0.25) / 0.75, 0.0, (0.8 - 0.5) / 0.5])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.just(1.0), st.floats(0.01, 0.999)), min_size=3, max_size=3),
       st.lists(st.floats(0.01, 0.95), min_size=3, max_size=3))
def test_learned_is_at_most_one_and_one_exactly_when_no_string_is_lost(kept, chance):
    valid = np.cumprod(kept)  # nested: valid at k implies valid at k - 1; kept: the share kept
    learned = above_chance(valid[None], chance)[0]
    assert np.all(learned <= 1 + 1e-12)
    np.testing.assert_array_equal(learned == 1, np.array(kept) == 1)
    assert np.all(learned[np.array(kept) < 1] < 1 - 1e-4)


def test_bad_shapes_and_chance_one_are_named():
    with pytest.raises(SlopscopeError, match="allowed: \\(checkpoints, L\\)"):
        above_chance([[0.5, 0.5]], [0.5, 0.5, 0.5])
    with pytest.raises(SlopscopeError, match="chance levels below 1"):
        above_chance([[0.5]], [1.0])
