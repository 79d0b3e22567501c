"""JSON round trip and exact entropies."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from slopscope import RHM, SlopscopeError
from tests.tiny import GRAMMARS


def test_json_round_trip_is_exact(grammar):
    text = grammar.to_json()
    back = RHM.from_json(text)
    assert back == grammar
    assert back.to_json() == text
    for a, b in zip(back.probs, grammar.probs, strict=True):
        assert a.tobytes() == b.tobytes()  # bit for bit
    x = grammar.sample(100, seed=0)
    np.testing.assert_array_equal(back.sample(100, seed=0), x)
    np.testing.assert_array_equal(back.log_prob(x), grammar.log_prob(x))


def test_json_records_version_origin_and_exact_p_max():
    g = RHM(v=16, n=16, m=4, s=2, L=7, seed=3, zipf_a=0.5, zipf_levels=(2,))
    data = json.loads(g.to_json())
    assert data["format"] == "slopscope.rhm" and data["version"] == 1
    assert int(data["P_max"]) == g.P_max == 16 * 4**127
    assert data["origin"] == {"seed": 3, "zipf_a": 0.5, "zipf_levels": [2]}
    assert RHM.from_json(g.to_json()).origin == data["origin"]


def _mutated(change) -> str:
    data = json.loads(GRAMMARS["uniform_L3"].to_json())
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize("text, fragment", [
    ("{not json", "malformed"),
    ("[1, 2]", "is a list"),
    (_mutated(lambda d: d.pop("rules")), "lacks key(s) ['rules']"),
    (_mutated(lambda d: d.update(version=99)), "version 99"),
    (_mutated(lambda d: d.update(format="other")), "format 'other'"),
    (_mutated(lambda d: d["rules"][0][1].__setitem__(0, d["rules"][0][0][0])),
     "level 1 are ambiguous"),
    (_mutated(lambda d: d["rules"][1][0].append([0])), "not rectangular"),
    (_mutated(lambda d: d["rules"][2][0][0].__setitem__(0, 9)), "symbol 9"),
    (_mutated(lambda d: d["probs"][0][0].__setitem__(0, 0.9)), "sums to 1.4"),
    (_mutated(lambda d: d.update(root_probs=[1.0])), "root_probs has shape (1,)"),
    (_mutated(lambda d: d.update(rules="x")), "'rules' is not a list"),
])
def test_malformed_json_raises_one_line_errors(text, fragment):
    with pytest.raises(SlopscopeError) as info:
        RHM.from_json(text)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_entropy_equals_enumeration(grammar):
    logp = grammar.log_prob(grammar.enumerate())
    p = np.exp(logp)
    with np.errstate(invalid="ignore"):
        exact = -math.fsum(np.where(p > 0, p * logp, 0.0))
    assert grammar.entropy() == pytest.approx(exact, rel=1e-12)


def test_uniform_entropies_are_logs():
    g = GRAMMARS["uniform_s3"]
    assert g.entropy() == pytest.approx(math.log(g.P_max), rel=1e-13)
    np.testing.assert_allclose(g.rule_entropy(), math.log(g.m), rtol=1e-13)


def test_rule_entropy_of_a_zipf_level_is_the_zipf_entropy():
    g = RHM(v=8, n=8, m=4, s=2, L=3, seed=0, zipf_a=1.0, zipf_levels=(3,))
    k = np.arange(1, 5) ** -2.0
    p = k / k.sum()
    np.testing.assert_allclose(g.rule_entropy(), [math.log(4), math.log(4), -(p * np.log(p)).sum()])
