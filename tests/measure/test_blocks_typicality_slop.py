"""Partial memorisation, validity, typicality and slop on cases with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from slopscope import RHM
from slopscope.measure import (
    block_copy_fraction,
    block_typicality,
    excess_block_copying,
    grammar_block_ids,
    longest_copied_block,
    rule_frequencies,
    rule_ids,
    rule_typicality,
    slop_metrics,
    token_block_ids,
    validity_by_level,
)

G = RHM(v=8, n=8, m=2, s=2, L=4, seed=0)  # d = 16, P_max = 8 * 2**15
TRAIN = G.sample(300, seed=0, unique=True)


def test_fresh_samples_copy_blocks_at_chance_and_copies_copy_everything():
    fresh = G.sample(3000, seed=1)
    copies = TRAIN[np.random.default_rng(0).integers(0, 300, 3000)]
    train_ids = grammar_block_ids(G, TRAIN)
    fresh_ids = grammar_block_ids(G, fresh)
    fresh2_ids = grammar_block_ids(G, G.sample(3000, seed=2))
    excess_fresh = excess_block_copying(fresh2_ids, fresh_ids, train_ids)
    excess_copy = excess_block_copying(grammar_block_ids(G, copies), fresh_ids, train_ids)
    for k in range(1, G.L):
        assert abs(excess_fresh[k]) < 0.02  # two fresh sets differ by sampling error only
        maximum = 1.0 - block_copy_fraction(fresh_ids[k], train_ids[k])
        assert excess_copy[k] == pytest.approx(maximum)
    assert (longest_copied_block(grammar_block_ids(G, copies), train_ids) == G.L - 1).all()


def test_token_block_ids_agree_with_grammar_block_ids():
    strings = G.sample(500, seed=3)
    for k in range(1, G.L):
        content = token_block_ids(strings, [2**k], G.v)[2**k]
        grammar = G.blocks(strings, k)
        for pos in range(content.shape[1]):
            pairs = np.unique(np.stack([content[:, pos], grammar[:, pos]], 1), axis=0)
            assert np.unique(pairs[:, 0]).size == np.unique(pairs[:, 1]).size == pairs.shape[0]


def test_validity_by_level_sees_oracle_samples_valid_and_corruptions_at_their_level():
    x = G.sample(200, seed=4)
    np.testing.assert_array_equal(validity_by_level(G, x), np.ones(G.L))
    level1_pair = {tuple(t) for t in G.rules[G.L - 1].reshape(-1, 2).tolist()}
    bad = next((a, b) for a in range(8) for b in range(8) if (a, b) not in level1_pair)
    x[:50, :2] = bad  # a quarter broken at the bottom level
    frac = validity_by_level(G, x)
    np.testing.assert_allclose(frac, [0.75, 0.75, 0.75, 0.75])


def test_block_typicality_by_hand():
    train_ids = {1: np.array([[0, 5], [0, 6], [1, 6]])}
    overall, per_size = block_typicality(train_ids, train_ids, query_in_train=True)
    # string 0: block 0 shared with 1 other, block 5 with none -> mean(log 2, log 1)
    np.testing.assert_allclose(per_size[1], [math.log(2) / 2, math.log(2), math.log(2) / 2])
    held = {1: np.array([[0, 6], [7, 7]])}
    held_overall, _ = block_typicality(held, train_ids, query_in_train=False)
    np.testing.assert_allclose(held_overall, [(math.log(3) + math.log(3)) / 2, 0.0])
    np.testing.assert_allclose(overall, per_size[1])


def test_a_string_made_of_the_most_common_blocks_ranks_first():
    z = RHM(v=8, n=8, m=4, s=2, L=4, seed=1, zipf_a=0.2, zipf_levels="all")
    train = z.sample(400, seed=0, unique=True)
    # the most common derivation: most common root class, production 0 everywhere
    root = np.bincount(z.parse(train).symbols[0][:, 0]).argmax()
    proto = z.string_at([int(root)])
    queries = np.concatenate([proto, train])
    ids_q, ids_t = grammar_block_ids(z, queries), grammar_block_ids(z, train)
    t1, _ = block_typicality(ids_q, ids_t, query_in_train=False)
    t2 = rule_typicality(z, queries, rule_frequencies(z, train))
    t3 = z.log_prob(queries)
    for t in (t1, t2, t3):
        assert np.argmax(t) == 0


def test_rule_frequencies_are_smoothed_counts():
    g = RHM(v=3, n=2, m=2, s=2, L=1, seed=0)
    x = g.string_at([0, 0, 1, 2])  # root 0 rule 0 twice, root 1 rule 0, root 0 rule 1
    tables, root = rule_frequencies(g, x)
    np.testing.assert_allclose(tables[0], [[3 / 5, 2 / 5], [2 / 3, 1 / 3]])
    np.testing.assert_allclose(root, [4 / 6, 2 / 6])
    np.testing.assert_allclose(rule_typicality(g, x[:1], (tables, root)),
                               [math.log(4 / 6) + math.log(3 / 5)])


def test_slop_slope_is_one_for_matching_and_above_one_for_sharpened_generations():
    rng = np.random.default_rng(0)
    units = np.arange(200)
    p = 1.0 / (units + 1.0)
    p /= p.sum()
    train = rng.choice(units, 200_000, p=p)
    same = slop_metrics(rng.choice(units, 200_000, p=p), train)
    sharp_p = p**2 / (p**2).sum()
    sharp = slop_metrics(rng.choice(units, 200_000, p=sharp_p), train)
    assert abs(same["slope"] - 1) < 4 * same["slope_se"] + 0.02
    assert sharp["slope"] > 1.5
    assert same["kl"] < 0.01 < sharp["kl"]
    assert sharp["entropy_ratio"] < same["entropy_ratio"]
    assert sharp["overproduction_top_k"] > 1.3 > same["overproduction_top_k"] > 0.9
    assert same["unseen_mass"] == 0.0
    with_junk = slop_metrics(np.concatenate([train[:900], [-1] * 50, [999] * 50]), train)
    assert with_junk["unseen_mass"] == pytest.approx(0.1)


def test_rule_ids_mark_invalid_nodes():
    x = G.sample(3, seed=0)
    ids = rule_ids(G, x, G.L)
    assert (ids >= 0).all() and (ids < G.v * G.m).all()
    emitted = {tuple(t) for t in G.rules[G.L - 1].reshape(-1, 2).tolist()}
    x[0, :2] = next((a, b) for a in range(8) for b in range(8) if (a, b) not in emitted)
    broken = rule_ids(G, x, G.L)
    assert broken[0, 0] == -1 and (broken[0, 1:] == ids[0, 1:]).all()


def test_grammar_oracle_generations_are_fully_valid_and_corruptions_fail_at_their_level():
    from slopscope.diffusion import get_family

    fam = get_family("masked", v=G.v, d=G.d)
    gen = fam.sample(fam.grammar_oracle(G), 100, seed=0)
    np.testing.assert_array_equal(validity_by_level(G, gen), np.ones(G.L))
    # swap the two level-1 subtrees' order where that makes the root tuple unknown
    swapped = np.concatenate([gen[:, 8:], gen[:, :8]], axis=1)
    parsed = G.parse(swapped)
    top_ok = parsed.valid
    assert (~top_ok).any()
    assert (parsed.valid_up_to[~top_ok] == 2).all()  # lower levels intact, level 1 fails
    np.testing.assert_allclose(validity_by_level(G, swapped), [top_ok.mean(), 1, 1, 1])
