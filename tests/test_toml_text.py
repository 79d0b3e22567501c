"""Writing TOML: what tomllib reads back is what was written (None values left out)."""

from __future__ import annotations

import math
import tomllib

from hypothesis import given
from hypothesis import strategies as st

from slopscope.experiments import load_config, preset_names
from slopscope.toml_text import to_toml, toml_value

KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
               max_size=8)
SCALARS = (st.booleans() | st.integers(-2**63, 2**63 - 1) | st.text(max_size=12)
           | st.floats(allow_nan=False, allow_infinity=False))
VALUES = st.recursive(SCALARS | st.none(), lambda inner: st.lists(SCALARS, max_size=3)
                      | st.dictionaries(KEYS, inner, max_size=3), max_leaves=12)


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return value


@given(st.dictionaries(KEYS, VALUES, max_size=5))
def test_a_document_reads_back_as_written(data):
    assert tomllib.loads(to_toml(data)) == _without_none(data)


def test_every_preset_configuration_reads_back():
    for name in preset_names():
        data = load_config(name).to_dict()
        assert tomllib.loads(to_toml(data)) == _without_none(data), name


def test_values_are_toml_literals():
    assert toml_value(True) == "true" and toml_value([1, "a"]) == '[1, "a"]'
    assert math.isinf(tomllib.loads(f"x = {toml_value(-math.inf)}")["x"])
    assert tomllib.loads(f"x = {toml_value({'a b': 1, 'c': None})}")["x"] == {"a b": 1}
