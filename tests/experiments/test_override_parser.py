"""The override parser takes exactly one `key.sub=value`: one dotted key, one TOML value, on one
line. Any other text is refused in one line; no text sets a second key."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slopscope.errors import SlopscopeError
from slopscope.experiments.config.schema import load_config
from slopscope.experiments.config.text import apply_overrides, parse_override
from slopscope.toml_text import toml_value

KEY_PART = re.compile(r"[A-Za-z0-9_-]+")
parts = st.text(alphabet="abcxyz_-09AZ", min_size=1, max_size=6)
keys = st.lists(parts, min_size=1, max_size=4)
values = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3), max_leaves=6)
# texts near the edge: key fragments, '=', TOML values, and second statements
pieces = st.sampled_from(["train", ".", "steps", "=", "40", "\n", "\r", "seeds", "[5]", " ", "'",
                          '"', "#", "{", "}", "a=b", "..", "\x00", "\t", "[train]", "é", "\\"])
edgy = st.lists(pieces, max_size=12).map("".join)


@given(st.one_of(st.text(), edgy))
def test_any_text_is_one_key_and_one_value_or_a_one_line_refusal(text):
    try:
        path, value = parse_override(text)
    except SlopscopeError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message
        return
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)
    assert path and all(KEY_PART.fullmatch(p) for p in path)
    assert [p.strip() for p in text.split("=", 1)[0].split(".")] == path
    node = apply_overrides({}, [text])  # it sets that one key path, and nothing else
    for part in path[:-1]:
        assert list(node) == [part]
        node = node[part]
    assert list(node) == [path[-1]]
    assert repr(node[path[-1]]) == repr(value)  # (nan too)


@given(keys, values)
def test_a_key_and_a_toml_value_round_trip(path, value):
    got_path, got = parse_override(f"{'.'.join(path)}={toml_value(value)}")
    assert got_path == path
    assert got == value or (isinstance(value, float) and math.isclose(got, value))


@pytest.mark.parametrize("text", ["train.steps=40\nseeds=[5]", "train.steps=40\r\nseeds=[5]",
                                  "name=x\n[train]\nsteps=1", "train.steps=40\x00"])
def test_a_second_statement_is_refused_and_sets_nothing(text):
    with pytest.raises(SlopscopeError, match="control character"):
        parse_override(text)
    with pytest.raises(SlopscopeError):
        apply_overrides({"seeds": [0]}, [text])


def test_values_that_are_not_toml_stay_strings_and_keys_stay_bare():
    assert parse_override("data.pattern=[a-z]+") == (["data", "pattern"], "[a-z]+")
    assert parse_override(" train . steps = 40 ") == (["train", "steps"], 40)
    assert parse_override("name=") == (["name"], "")
    with pytest.raises(SlopscopeError, match="key part"):
        parse_override('"train.steps"=4')


def test_a_table_override_merges_key_by_key():
    """`train={steps=30}` sets train.steps and keeps the rest of the preset's [train] table
    (before, it replaced the table: batch size, checkpoints and learning rate fell back to the
    defaults)."""
    preset = load_config("demo")
    merged = load_config("demo", ["train={steps=30, first_checkpoint=5}"])
    assert merged.train.steps == 30 and merged.train.first_checkpoint == 5
    assert merged.train.lr == preset.train.lr == 2e-3
    assert merged.train.checkpoints == preset.train.checkpoints
    nested = apply_overrides({"diffusion": {"options": {"a": 1, "b": 2}}},
                             ["diffusion={options={b=3}}"])
    assert nested == {"diffusion": {"options": {"a": 1, "b": 3}}}
    assert apply_overrides({"train": {"steps": 5}}, ["train.steps={x=1}"]) == {
        "train": {"steps": {"x": 1}}}  # a table over a value replaces it (then a type error)
