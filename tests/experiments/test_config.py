"""Experiment configuration: presets, overrides, validation errors."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from slopscope import SlopscopeError
from slopscope.diffusion import MaskedDiffusion
from slopscope.experiments import config_from_dict, load_config, preset_names
from slopscope.experiments.config.schema import parse_override
from slopscope.experiments.run.measured_models import NetworkModel


@pytest.mark.parametrize("name", ["e1", "e2", "e3", "e4", "e5", "e2-prototypical", "e5-slop",
                                  "words", "e2-gpu", "e4-gpu", "w5", "w2", "paper", "paper-cpu"])
def test_every_preset_loads_and_round_trips(name):
    config = load_config(name)
    assert config.name.startswith(name[:2]) or config.name in ("words", "paper", "paper-cpu")
    again = config_from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config and again.hash() == config.hash()
    assert preset_names() == ["counterfactual", "demo", "e1", "e1-gpu", "e2", "e2-gpu", "e3",
                              "e3-gpu", "e4", "e4-gpu", "e5", "e5-gpu", "paper", "paper-cpu",
                              "regime", "regime-unet", "w2", "w3", "w4", "w5", "words"]


def test_the_unet_regime_study_differs_from_the_transformer_one_only_in_the_denoiser():
    from slopscope.experiments.sweeps.sweep import read_sweep

    base, unet = load_config("regime").to_dict(), load_config("regime-unet").to_dict()
    assert {key for key in base if base[key] != unet[key]} == {"name", "description", "model"}
    assert unet["model"] == {"backbone": "unet", "options": {}}
    sweeps = read_sweep("regime"), read_sweep("regime-unet")
    assert sweeps[0]["grid"] == sweeps[1]["grid"] and sweeps[0]["seeds"] == sweeps[1]["seeds"]
    for name in ("w2", "w3", "w4", "w5"):  # the window presets: the U-Net at P = 1536
        config = load_config(name)
        assert config.model.backbone == "unet" and config.data.train == 1536
        assert config.grammar.v == config.grammar.n == 8 and config.grammar.m == 4


def test_paper_scale_presets_for_a_gpu():
    from slopscope.grammar import RHM

    for i in range(1, 6):
        config = load_config(f"e{i}-gpu")
        assert config.grammar.L == 4 and config.data.train >= 4096
        assert config.model.options["width"] >= 256
    top = load_config("e4-gpu").grammar
    h_top = RHM(16, 16, 4, 2, 4, seed=0, zipf_a=top.zipf_a, zipf_levels=top.zipf_levels).entropy()
    h_bottom = RHM(16, 16, 4, 2, 4, seed=0, zipf_a=0.0949, zipf_levels=[4]).entropy()
    assert abs(h_top - h_bottom) / h_top < 0.001  # the arms of C at matched entropy


def test_presets_set_up_the_findings():
    assert load_config("e3").grammar.zipf_levels == "all"
    assert load_config("e4").grammar.zipf_levels == [1]
    assert load_config("e1").grammar.zipf_a is None
    words = load_config("words").data
    assert words.path == "/usr/share/dict/american-english" and words.length == 8 and words.dedup


def test_overrides_reach_nested_keys_with_toml_values():
    config = load_config("e4", ["train.steps=100", "grammar.zipf_levels=[3]",
                                "diffusion.family=uniform", "diffusion.options.chain_length=50",
                                "model.backbone=unet", "model.options.width=32",
                                "train.ema=0.99", "name=my run"])
    assert config.train.steps == 100 and config.train.ema == 0.99
    assert config.grammar.zipf_levels == [3]
    assert config.diffusion.family == "uniform"
    assert config.diffusion.options == {"chain_length": 50}
    assert config.model.backbone == "unet" and config.model.options == {"width": 32}
    assert config.name == "my run"
    assert config.hash() != load_config("e4").hash()


def test_a_toml_file_works_like_a_preset(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[data]\ntrain = 64\n')
    config = load_config(str(path), ["data.test=32"])
    assert (config.name, config.data.train, config.data.test) == ("mine", 64, 32)


@pytest.mark.parametrize("overrides, fragment", [
    (["train.stpes=3"], "unknown key 'train.stpes'; allowed: steps, batch_size"),
    (["bogus=1"], "unknown key 'bogus'; allowed: name, description, seeds"),
    (["train.steps=abc"], "'train.steps' = 'abc' has the wrong type; allowed: int"),
    (["train.steps=2.5"], "'train.steps' = 2.5 has the wrong type"),
    (["grammar.zipf_a=true"], "'grammar.zipf_a' = True has the wrong type"),
    (["diffusion.family=gauss"],
     "'diffusion.family' = 'gauss'; allowed: gaussian, masked, uniform"),
    (["diffusion.options.T=5"], "unknown key 'diffusion.options.T'; allowed: eps"),
    (["diffusion.options.steps=5"], "unknown key 'diffusion.options.steps'; allowed: eps"),
    (["diffusion.family=uniform", "diffusion.options.steps=5"],
     "unknown key 'diffusion.options.steps'; allowed: chain_length, schedule, ce_weight"),
    (["measure.sampler.steps=5"],
     "unknown key 'measure.sampler.steps'; allowed: sampler_steps, skip"),
    (["diffusion.family=gaussian", "measure.sampler.sampler_steps=5"],
     "unknown key 'measure.sampler.sampler_steps'; allowed: none"),
    (["measure.sampler.sampler_steps=0"], "measure.sampler: sampler_steps=0 is too small"),
    (["measure.sampler.skip=1"], "measure.sampler: skip=1 must be true or false"),
    (["measure.sampler=4"], "'measure.sampler' = 4 has the wrong type; allowed: dict"),
    (["measure.sample_steps=4"], "unknown key 'measure.sample_steps'; allowed: generations"),
    (["measure.batch_size=4"], "unknown key 'measure.batch_size'"),
    (["model.backbone=mlp"], "'model.backbone' = 'mlp'; allowed: oracle, transformer, unet"),
    (["model.options.depth=2"], "unknown key 'model.options.depth'; allowed: width, layers"),
    (["train.lr=-1"], "train: lr=-1.0; allowed: a learning rate in (0, 10.0]"),
    (["seeds=[]"], "'seeds' = []; allowed: a non-empty list"),
    (["grammar.m=20"], "grammar: m=20 exceeds v**(s-1)=16"),
    (["grammar.zipf_a=1.0"], "grammar: zipf_a=1.0 given but zipf_levels is empty"),
    (["data.train=0"], "data: train=0 is too small"),
    (["measure.generations=0"], "measure: generations=0 is too small"),
    (["train"], "must look like key.sub=value"),
    (["train=5"], "'train' = 5 has the wrong type; allowed: a table"),
])
def test_bad_configuration_gives_one_line_errors_naming_the_key(overrides, fragment):
    with pytest.raises(SlopscopeError) as info:
        load_config("e2", overrides)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_sources_are_named(tmp_path):
    with pytest.raises(SlopscopeError, match="neither a preset"):
        load_config("e9")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [")
    with pytest.raises(SlopscopeError, match="is not valid TOML"):
        load_config(str(bad))


def test_parse_override_reads_toml_literals_and_falls_back_to_strings():
    assert parse_override("a.b=3") == (["a", "b"], 3)
    assert parse_override("a=[1, 2]") == (["a"], [1, 2])
    assert parse_override("a=masked") == (["a"], "masked")
    assert parse_override('a="x=y"') == (["a"], "x=y")


TINY_MODEL = ["model.options.width=16", "model.options.layers=1", "model.options.heads=2",
              "train.device=cpu"]


def test_measure_sampler_reaches_the_sampler_and_is_not_part_of_the_identity(monkeypatch,
                                                                            tmp_path):
    config = load_config("e2", [*TINY_MODEL, "measure.sampler.sampler_steps=3"])
    assert config.measure.sampler == {"sampler_steps": 3}
    assert config.hash() == load_config("e2", TINY_MODEL).hash()
    assert config.hash() == load_config("e2", [*TINY_MODEL, "measure.sampler.skip=false"]).hash()
    seen = []
    real = MaskedDiffusion.sample

    def spy(self, denoiser, count, seed, **options):
        out, stats = real(self, denoiser, count, seed, return_stats=True, **options)
        seen.append((options, stats))
        return out

    monkeypatch.setattr(MaskedDiffusion, "sample", spy)
    source = SimpleNamespace(v=4, d=8, kind="grammar", grammar=None)
    for cfg, steps in ((config, 3), (load_config("e2", TINY_MODEL), 8)):
        out = NetworkModel(cfg, source, {"model": 0}, tmp_path).generate(5, seed=0, step=0)
        assert out.shape == (5, 8)
        options, stats = seen[-1]
        assert options == cfg.measure.sampler and stats["steps"] == steps


def _saved(family: str, measure: dict, options: dict) -> dict:
    data = load_config("e2", [f"diffusion.family={family}"]).to_dict()
    data["measure"] = {k: v for k, v in data["measure"].items() if k != "sampler"} | measure
    data["diffusion"]["options"] = options
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("family, measure, options, sampler, new_options", [
    # the old runner passed measure.sample_steps (None too) to the masked sampler
    ("masked", {"sample_steps": 16, "batch_size": 64}, {"steps": 4}, {"sampler_steps": 16}, {}),
    ("masked", {"sample_steps": None, "batch_size": 64}, {"steps": 4, "eps": 0.01}, {},
     {"eps": 0.01}),
    ("masked", {"batch_size": 64}, {"steps": 4}, {"sampler_steps": 4}, {}),
    ("masked", {}, {"steps": None}, {}, {}),
    # and nothing to the others; their steps were the chain length
    ("uniform", {"sample_steps": 16, "batch_size": 64}, {"steps": 50}, {},
     {"chain_length": 50}),
    ("gaussian", {"sample_steps": None}, {"steps": 20, "scale": 2.0}, {},
     {"chain_length": 20, "scale": 2.0}),
])
def test_saved_configurations_of_older_versions_are_migrated(family, measure, options, sampler,
                                                             new_options):
    old = _saved(family, measure, options)
    config = config_from_dict(old)
    assert config.measure.sampler == sampler
    assert config.diffusion.options == new_options
    assert config.measure.generations == old["measure"]["generations"]
    again = config_from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config


def test_user_files_are_not_migrated(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text('[measure]\nsample_steps = 4\n')
    with pytest.raises(SlopscopeError, match="unknown key 'measure.sample_steps'"):
        load_config(str(path))
