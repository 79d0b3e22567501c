"""Production tables: construction, unambiguity, probabilities and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from slopscope import RHM, SlopscopeError
from slopscope.grammar.rules import tuple_codes, zipf_probs


def test_tables_have_the_right_shapes_and_are_unambiguous(grammar):
    for level, table in enumerate(grammar.rules, start=1):
        assert table.shape == (grammar.parents(level), grammar.m, grammar.s)
        assert table.min() >= 0 and table.max() < grammar.v
        codes = tuple_codes(table.reshape(-1, grammar.s), grammar.v)
        assert np.unique(codes).size == codes.size  # no s-tuple has two parents


def test_levels_are_drawn_independently_and_reproducibly():
    a = RHM(v=8, n=8, m=3, s=2, L=3, seed=7)
    b = RHM(v=8, n=8, m=3, s=2, L=3, seed=7)
    c = RHM(v=8, n=8, m=3, s=2, L=3, seed=8)
    assert a == b
    assert a != c
    assert not np.array_equal(a.rules[1], a.rules[2])


def test_p_max_closed_form(grammar):
    g = grammar
    assert g.P_max == g.n * g.m ** ((g.s**g.L - 1) // (g.s - 1))
    assert g.d == g.s**g.L


def test_p_max_is_an_exact_python_int_beyond_int64():
    g = RHM(v=16, n=16, m=4, s=2, L=7, seed=0)
    assert isinstance(g.P_max, int)
    assert g.P_max == 16 * 4**127


def test_zipf_probabilities_follow_the_power_law_on_named_levels_only():
    g = RHM(v=8, n=8, m=4, s=2, L=3, seed=0, zipf_a=0.5, zipf_levels=(1, 3))
    k = np.arange(1, 5)
    expected = k**-1.5 / (k**-1.5).sum()
    np.testing.assert_allclose(g.probs[0], np.broadcast_to(expected, (8, 4)), rtol=1e-15)
    np.testing.assert_allclose(g.probs[2], np.broadcast_to(expected, (8, 4)), rtol=1e-15)
    np.testing.assert_array_equal(g.probs[1], np.full((8, 4), 0.25))
    np.testing.assert_allclose(zipf_probs(4, 0.5), expected)
    assert g.level_uniform == (False, True, False)


def test_explicit_probs_per_parent_and_root_prior():
    probs = [None, np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8], [1.0, 0.0]])]
    g = RHM(v=4, n=2, m=2, s=2, L=2, seed=0, probs=probs, root_probs=[0.1, 0.9])
    np.testing.assert_array_equal(g.probs[1][3], [1.0, 0.0])
    np.testing.assert_array_equal(g.root_probs, [0.1, 0.9])
    assert not g.is_uniform


def test_from_rules_accepts_explicit_tables_and_agrees_with_the_drawn_grammar(grammar):
    rebuilt = RHM.from_rules([t.tolist() for t in grammar.rules], grammar.v, grammar.n,
                             probs=list(grammar.probs), root_probs=grammar.root_probs)
    assert rebuilt == grammar


LEVEL2 = np.array([[[0, 0], [0, 1]], [[0, 2], [1, 0]], [[1, 1], [1, 2]]])


def _bad_tables():
    ok = [np.array([[[0, 1], [1, 0]], [[2, 2], [0, 0]]]), LEVEL2]
    ambiguous = [ok[0].copy(), ok[1]]
    ambiguous[0][1, 0] = [0, 1]
    out_of_range = [ok[0].copy(), ok[1]]
    out_of_range[0][0, 0, 0] = 3
    return {
        "ambiguous": (ambiguous, "level 1 are ambiguous: tuple (0, 1)"),
        "out of range": (out_of_range, "symbol 3"),
        "wrong parents": ([ok[0], ok[1][:2]], "level 2 have shape (2, 2, 2)"),
        "not 3-d": ([ok[0].reshape(2, 4)], "shape (2, 4)"),
        "floats": ([ok[0] + 0.5], "dtype float64"),
        "empty list": ([], "non-empty list"),
    }


@pytest.mark.parametrize("case", sorted(_bad_tables()))
def test_from_rules_rejects_malformed_tables_with_one_line_errors(case):
    tables, fragment = _bad_tables()[case]
    with pytest.raises(SlopscopeError) as info:
        RHM.from_rules(tables, v=3, n=2)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_from_rules_accepts_the_valid_base_case():
    tables = [np.array([[[0, 1], [1, 0]], [[2, 2], [0, 0]]]), LEVEL2]
    g = RHM.from_rules(tables, v=3, n=2)
    assert g.P_max == 2 * 2**3


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(v=4, n=4, m=5, s=2, L=2), "m=5 exceeds v**(s-1)=4"),
        (dict(v=4, n=5, m=4, s=2, L=2), "n*m=20 exceeds v**s=16"),
        (dict(v=-3, n=4, m=2, s=2, L=2), "v=-3"),
        (dict(v=4, n=0, m=2, s=2, L=2), "n=0"),
        (dict(v=4, n=4, m=2, s=1, L=2), "s=1"),
        (dict(v=4, n=4, m=2, s=2, L=0), "L=0"),
        (dict(v=4.5, n=4, m=2, s=2, L=2), "v=4.5"),
        (dict(v=4, n=4, m=2, s=2, L=2, zipf_a=0.5), "zipf_levels is empty"),
        (dict(v=4, n=4, m=2, s=2, L=2, zipf_a=0.5, zipf_levels=(3,)), "zipf level=3"),
        (dict(v=4, n=4, m=2, s=2, L=2, zipf_a=-2.0, zipf_levels=(1,)), "zipf_a=-2.0"),
        (dict(v=4, n=4, m=2, s=2, L=2, zipf_levels=(1,)), "without zipf_a"),
        (dict(v=4, n=4, m=2, s=2, L=2, probs={1: [0.5, 0.6]}), "sums to 1.1"),
        (dict(v=4, n=4, m=2, s=2, L=2, probs={1: [0.5, 0.2, 0.3]}), "shape (3,)"),
        (dict(v=4, n=4, m=2, s=2, L=2, probs={1: [1.5, -0.5]}), "negative"),
        (dict(v=4, n=4, m=2, s=2, L=2, probs={5: [0.5, 0.5]}), "probs level=5"),
        (dict(v=4, n=4, m=2, s=2, L=2, root_probs=[1.0, 0.0]), "root_probs has shape (2,)"),
        (dict(v=4, n=2, m=2, s=2, L=2, zipf_a=1.0, zipf_levels=(1,), probs={1: [0.5, 0.5]}),
         "both explicit probs and a Zipf tail"),
    ],
)
def test_bad_sizes_and_probabilities_raise_one_line_errors(kwargs, fragment):
    with pytest.raises(SlopscopeError) as info:
        RHM(seed=0, **kwargs)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_negative_seed_is_rejected():
    with pytest.raises(SlopscopeError, match="seed=-1"):
        RHM(v=4, n=4, m=2, s=2, L=2, seed=-1)
