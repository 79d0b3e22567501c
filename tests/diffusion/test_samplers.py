"""The sampler registry: the masked family's samplers are found by name, unknown names fail in
one line, `sample`/`complete` dispatch through the registry (a sampler registered at run time is
used), and the grid sampler with the exact oracle."""

from __future__ import annotations

import numpy as np
import pytest

from slopscope import SlopscopeError
from slopscope.diffusion import (
    SAMPLERS,
    MaskedDiffusion,
    get_family,
    get_sampler,
    list_samplers,
    masked_samplers,
    register_sampler,
    sampler_options,
)
from tests.tiny import GRAMMARS

G = GRAMMARS["zipf_top_rootprior"]  # v=4, d=8, non-uniform
FAM = get_family("masked", v=G.v, d=G.d)


def test_the_masked_family_lists_its_two_samplers_by_name():
    for family in ("masked", MaskedDiffusion, FAM):
        assert list_samplers(family) == ["grid", "one-per-step"]
    assert get_sampler(FAM, "grid") is masked_samplers.grid
    assert get_sampler("masked", "one-per-step") is masked_samplers.one_per_step
    assert FAM.choose_sampler(None, True) == ("one-per-step", {})
    assert FAM.choose_sampler(5, False) == ("grid", {"steps": 5, "skip": False})
    assert sampler_options("masked") == ["sampler_steps", "skip"]  # the options did not change
    assert list_samplers("uniform") == []


def test_unknown_and_duplicate_names_are_one_line_errors():
    with pytest.raises(SlopscopeError) as info:
        get_sampler("masked", "euler")
    assert str(info.value) == "sampler='euler' for family 'masked'; allowed: grid, one-per-step"
    with pytest.raises(SlopscopeError, match="sampler='grid' for family 'nope'; allowed: none"):
        get_sampler("nope", "grid")
    with pytest.raises(SlopscopeError, match="'grid' is already registered for family 'masked'"):
        register_sampler("masked", "grid")(masked_samplers.grid)
    assert SAMPLERS["masked"]["grid"] is masked_samplers.grid  # the failed attempt left it


class _Toy(MaskedDiffusion):
    """A masked family whose options always pick the sampler "positions"."""

    name = "toy"

    def choose_sampler(self, sampler_steps, skip):
        return "positions", {"offset": 1 if sampler_steps is None else int(sampler_steps)}


def test_a_sampler_registered_at_run_time_is_found_and_used(monkeypatch):
    monkeypatch.setitem(SAMPLERS, "toy", {})  # removed again after the test

    @register_sampler("toy", "positions")
    def positions(family, denoiser, x, generator, stats, offset):
        """Fill position i with (i + offset) mod v, without the network."""
        stats["network_calls"] += 1
        fill = (np.arange(family.d) + offset) % family.v
        masked = x == family.mask
        x[masked] = x.new_tensor(fill).expand_as(x)[masked]
        return x

    toy = _Toy(v=G.v, d=G.d)
    assert list_samplers(toy) == ["positions"]
    out, stats = toy.sample(FAM.grammar_oracle(G), 5, seed=0, batch_size=2, return_stats=True)
    np.testing.assert_array_equal(out, np.tile((np.arange(G.d) + 1) % G.v, (5, 1)))
    assert stats["network_calls"] == 3  # once per batch of 2, 2, 1
    strings = G.sample(3, seed=0)
    known = np.zeros(strings.shape, bool)
    known[:, :2] = True
    done = toy.complete(FAM.grammar_oracle(G), strings, known, seed=0, sampler_steps=2)
    np.testing.assert_array_equal(done[:, :2], strings[:, :2])
    np.testing.assert_array_equal(done[:, 2:], np.tile((np.arange(2, G.d) + 2) % G.v, (3, 1)))
    with pytest.raises(SlopscopeError, match="sampler='positions' for family 'masked'"):
        get_sampler(FAM, "positions")  # registered for "toy" only


def test_sample_dispatches_through_the_registry(monkeypatch):
    calls = []

    def counted(family, denoiser, x, generator, stats, **options):
        calls.append(options)
        return masked_samplers.grid(family, denoiser, x, generator, stats, **options)

    oracle = FAM.grammar_oracle(G)
    want = FAM.sample(oracle, 30, seed=3, sampler_steps=4)
    monkeypatch.setitem(SAMPLERS, "masked", {**SAMPLERS["masked"], "grid": counted})
    np.testing.assert_array_equal(FAM.sample(oracle, 30, seed=3, sampler_steps=4), want)
    assert calls == [{"steps": 4, "skip": True}]  # one batch, through the registered function
    FAM.sample(oracle, 30, seed=3)  # sampler_steps=None picks "one-per-step", not "grid"
    assert len(calls) == 1


def test_grid_with_d_steps_and_the_exact_oracle():
    """K = d steps: most strings are grammatical, not all (a step may reveal two tokens, which
    are then drawn independently); with one unknown token every completion is grammatical."""
    oracle = FAM.grammar_oracle(G)
    out, stats = FAM.sample(oracle, 1000, seed=0, sampler_steps=G.d, return_stats=True)
    assert ((out >= 0) & (out < G.v)).all()
    assert stats["steps"] == G.d and stats["network_calls"] <= G.d
    assert 0.7 < G.parse(out).valid.mean() < 1.0
    strings = G.sample(200, seed=1)
    known = np.ones(strings.shape, bool)
    known[np.arange(200), np.arange(200) % G.d] = False
    done = FAM.complete(oracle, strings, known, seed=0, sampler_steps=G.d)
    np.testing.assert_array_equal(done[known], strings[known])
    assert G.parse(done).valid.all()
    assert (done != strings).any()  # the unknown token is drawn, not copied
