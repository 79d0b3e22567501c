"""Parsing, validity per level, exact log-probabilities and aligned block ids."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slopscope import RHM, SlopscopeError
from slopscope.grammar.reference import Reference
from slopscope.grammar.rules import tuple_codes
from slopscope.rows import row_keys
from tests.tiny import GRAMMARS


def test_probabilities_over_the_enumeration_sum_to_one(grammar):
    total = math.fsum(np.exp(grammar.log_prob(grammar.enumerate())))
    assert total == pytest.approx(1.0, abs=1e-12)


def test_uniform_log_prob_is_minus_log_p_max():
    for name in ("uniform_s2", "uniform_s3", "uniform_L3"):
        g = GRAMMARS[name]
        np.testing.assert_allclose(g.log_prob(g.enumerate()), -math.log(g.P_max), rtol=1e-13)


def test_log_prob_matches_the_per_string_reference(grammar):
    ref = Reference(grammar)
    strings = grammar.enumerate()
    expected = np.array([ref.log_prob(x) for x in strings])
    np.testing.assert_allclose(grammar.log_prob(strings), expected, rtol=1e-12)


def test_log_prob_of_a_hand_built_tree():
    """p(x) = p(root) * product of the rule probabilities along the derivation."""
    level1 = np.array([[[0, 1], [1, 0]], [[1, 1], [0, 0]]])  # n = 2 classes
    level2 = np.array([[[0, 0], [0, 1]], [[1, 0], [1, 1]]])  # v = 2 symbols
    g = RHM.from_rules([level1, level2], v=2, n=2, probs=[[0.75, 0.25], [0.9, 0.1]],
                       root_probs=[0.4, 0.6])
    # root 1 -> rule 0 (1, 1); symbol 1 -> rule 1 (1, 1); symbol 1 -> rule 0 (1, 0)
    x = np.array([[1, 1, 1, 0]])
    assert g.log_prob(x)[0] == pytest.approx(math.log(0.6 * 0.75 * 0.1 * 0.9))
    np.testing.assert_array_equal(g.parse(x).rules[1], [[1, 0]])


def _invalid_child(g: RHM, level: int, tup: np.ndarray, slot: int) -> int | None:
    """A symbol for `slot` that makes `tup` emitted by no rule of `level`, if one exists."""
    emitted = set(tuple_codes(g.rules[level - 1].reshape(-1, g.s), g.v).tolist())
    for c in range(g.v):
        trial = tup.copy()
        trial[slot] = c
        if int(tuple_codes(trial, g.v)) not in emitted:
            return c
    return None


def _reexpand(g: RHM, symbol: int, depth: int) -> np.ndarray:
    """Yield of `symbol` at `depth` using production 0 everywhere below it."""
    row = np.array([symbol])
    for level in range(depth + 1, g.L + 1):
        row = g.rules[level - 1][row, 0].reshape(-1)
    return row


@pytest.mark.parametrize("name", ["uniform_L3", "zipf_top_rootprior", "uniform_s3"])
def test_a_corruption_at_level_l_is_detected_exactly_at_level_l(name, rng):
    g = GRAMMARS[name]
    strings, trees = g.sample(40, seed=1, return_trees=True)
    checked = 0
    for level in range(1, g.L + 1):
        for b in range(strings.shape[0]):
            node = rng.integers(0, g.s ** (level - 1))
            slot = int(rng.integers(0, g.s))
            tup = trees.symbols[level][b, node * g.s : (node + 1) * g.s].copy()
            c = _invalid_child(g, level, tup, slot)
            if c is None:
                continue
            child_pos = node * g.s + slot
            width = g.s ** (g.L - level)
            x = strings[b].copy()
            x[child_pos * width : (child_pos + 1) * width] = _reexpand(g, c, level)
            parsed = g.parse(x[None])
            assert parsed.valid_up_to[0] == level + 1  # levels level+1..L parse, level fails
            assert parsed.symbols[level][0, child_pos] == c
            assert parsed.symbols[level - 1][0, node] == -1
            assert g.log_prob(x[None])[0] == -np.inf
            checked += 1
    assert checked >= 20


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), flips=st.integers(1, 3))
def test_parse_of_random_corruptions_matches_the_reference(seed, flips):
    g = GRAMMARS["zipf_top_rootprior"]
    ref = Reference(g)
    rng = np.random.default_rng(seed)
    x = g.sample(30, seed=seed)
    for _ in range(flips):
        rows = np.arange(30)
        x[rows, rng.integers(0, g.d, 30)] = rng.integers(0, g.v, 30)
    parsed = g.parse(x)
    for b in range(30):
        valid_up_to, symbols = ref.parse(x[b])
        assert parsed.valid_up_to[b] == valid_up_to
        for depth, row in enumerate(symbols):
            expect = [-1 if s is None else s for s in row]
            np.testing.assert_array_equal(parsed.symbols[depth][b], expect)


def test_valid_fraction_by_level_counts_levels_from_the_bottom():
    g = GRAMMARS["uniform_L3"]
    parsed = g.parse(g.sample(10, seed=0))
    levels = np.array([1, 2, 3, 4, 1, 1, 1, 1, 1, 1])
    forced = dataclasses.replace(parsed, valid_up_to=levels)
    np.testing.assert_allclose(forced.valid_fraction_by_level(), [0.7, 0.8, 0.9])


# ---- blocks ---------------------------------------------------------------------------------


def _content_ids(x: np.ndarray, width: int) -> np.ndarray:
    """Group ids of aligned token blocks by content (an independent labelling)."""
    B, d = x.shape
    blocks = x.reshape(B * (d // width), width)
    _, inverse = np.unique(row_keys(np.ascontiguousarray(blocks)), return_inverse=True)
    return inverse.reshape(B, d // width)


def test_block_ids_are_equal_exactly_when_block_contents_are_equal(grammar):
    g = grammar
    x = g.sample(3000, seed=8)
    for k in range(1, g.L + 1):
        ids = g.blocks(x, k)
        assert ids.shape == (x.shape[0], g.s ** (g.L - k))
        assert (ids >= 0).all() and (ids < g.block_count(k)).all()
        content = _content_ids(x, g.s**k)
        for pos in range(ids.shape[1]):
            pairs = np.unique(np.stack([ids[:, pos], content[:, pos]], axis=1), axis=0)
            assert np.unique(pairs[:, 0]).size == pairs.shape[0]  # id -> one content
            assert np.unique(pairs[:, 1]).size == pairs.shape[0]  # content -> one id


def test_whole_string_blocks_are_string_indices(grammar):
    x = grammar.sample(200, seed=1)
    np.testing.assert_array_equal(grammar.blocks(x, grammar.L)[:, 0], grammar.index_of(x))


def test_bottom_blocks_count_every_valid_pair_once():
    """Block size 1 ids enumerate the v*m bottom productions (as parent * m**1 radix)."""
    g = GRAMMARS["uniform_L3"]
    ids = g.blocks(g.enumerate(), 1)
    assert np.unique(ids).size == g.v * g.m == g.block_count(1)


def test_invalid_blocks_are_marked_and_valid_ones_survive():
    g = GRAMMARS["uniform_L3"]
    x = g.sample(1, seed=0)
    ids_before = g.blocks(x, 1)
    tup = x[0, :2].copy()
    c = _invalid_child(g, 3, tup, 0)
    x[0, 0] = c
    ids = g.blocks(x, 1)
    assert ids[0, 0] == -1
    np.testing.assert_array_equal(ids[0, 1:], ids_before[0, 1:])
    assert g.blocks(x, 2)[0, 0] == -1 and g.blocks(x, 2)[0, 1] >= 0


def test_block_size_out_of_range_is_rejected():
    g = GRAMMARS["uniform_L3"]
    with pytest.raises(SlopscopeError, match="block size k=4 is too large"):
        g.blocks(g.sample(2, seed=0), 4)
    with pytest.raises(SlopscopeError, match="block size k=0 is too small"):
        g.blocks(g.sample(2, seed=0), 0)


def test_block_ids_beyond_int64_are_exact_python_ints():
    g = RHM(v=16, n=16, m=4, s=2, L=6, seed=0)
    x = g.sample(20, seed=0)
    ids = g.blocks(x, 6)
    assert ids.dtype == object
    np.testing.assert_array_equal(g.string_at(list(ids[:, 0])), x)
    assert g.blocks(x, 4).dtype == np.int64


# ---- bad strings ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, fragment", [
    (np.zeros((2, 7), dtype=int), "shape (2, 7)"),
    (np.full((2, 8), 4), "strings[0, 0] = 4 is out of range; allowed tokens: 0..3"),
    (np.full((2, 8), -1), "strings[0, 0] = -1 is out of range"),
    (np.full((2, 8), 0.5), "non-integer"),
    (np.zeros((2, 2, 8), dtype=int), "shape (2, 2, 8)"),
    (np.array([["a"] * 8]), "dtype <U1"),
])
def test_bad_strings_raise_one_line_errors(bad, fragment):
    g = GRAMMARS["uniform_L3"]
    for call in (g.parse, g.log_prob, g.index_of, lambda x: g.blocks(x, 1)):
        with pytest.raises(SlopscopeError) as info:
            call(bad)
        assert fragment in str(info.value)
        assert "\n" not in str(info.value)


def test_a_single_string_is_accepted_as_a_batch_of_one():
    g = GRAMMARS["uniform_L3"]
    x = g.sample(1, seed=0)
    np.testing.assert_array_equal(g.log_prob(x[0]), g.log_prob(x))


def test_sparse_lookup_path_agrees_with_the_dense_one(monkeypatch):
    """Grammars with v**s above the dense limit use a binary search; results are identical."""
    from slopscope.grammar import kernels

    g = GRAMMARS["zipf_top_rootprior"]
    rng = np.random.default_rng(0)
    x = g.sample(500, seed=1)
    x[rng.random(x.shape) < 0.05] = 0  # some corruptions
    dense = g.parse(x)
    monkeypatch.setattr(kernels, "DENSE_LOOKUP_LIMIT", 0)
    sparse_g = RHM.from_json(g.to_json())
    assert not sparse_g.kernel_tables.dense
    sparse = sparse_g.parse(x)
    np.testing.assert_array_equal(sparse.nodes, dense.nodes)
    np.testing.assert_array_equal(sparse.choices, dense.choices)
    np.testing.assert_array_equal(sparse.valid_up_to, dense.valid_up_to)


def test_large_vocabulary_grammar_round_trips():
    g = RHM(v=1100, n=5, m=3, s=2, L=2, seed=0, zipf_a=1.0, zipf_levels=(2,))
    assert not g.kernel_tables.dense
    x = g.sample(300, seed=0)
    np.testing.assert_array_equal(g.string_at(g.index_of(x)), x)
    ref = Reference(g)
    np.testing.assert_allclose(g.log_prob(x[:20]), [ref.log_prob(r) for r in x[:20]])
