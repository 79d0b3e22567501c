"""A checkpoint whose SHA-256 matches its sidecar but whose tensors are not this model's (a
renamed, missing or reshaped tensor) is refused before loading, naming the file and the key, both
when measuring (load_weights) and when resuming training (train)."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from slopscope import SlopscopeError
from slopscope.checkpoints import SIDECAR_HASH, checkpoint_file, sidecar_digest
from slopscope.diffusion import get_family
from slopscope.models import build_denoiser
from slopscope.store import file_digest
from slopscope.train import TrainConfig, load_weights, train
from tests.tiny import GRAMMARS

G = GRAMMARS["uniform_L3"]
FAM = get_family("masked", v=G.v, d=G.d)
TRAIN = G.sample(24, seed=0, unique=True)
SMALL = dict(width=16, layers=1, heads=2)
CONFIG = TrainConfig(steps=6, batch_size=8, checkpoints=1, first_checkpoint=6, ema=0.9,
                     device="cpu")


def _tamper(path, change) -> None:
    """Rewrite the tensor file with `change(tensors)` and give the sidecar its new SHA-256."""
    tensors = load_file(path)
    change(tensors)
    save_file(tensors, path)
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    meta["sha256"] = file_digest(path)
    meta[SIDECAR_HASH] = sidecar_digest(meta)  # a consistent sidecar
    sidecar.write_text(json.dumps(meta))


def _first(tensors, prefix="model/") -> str:
    return sorted(k for k in tensors if k.startswith(prefix))[0]


def _rename(tensors):
    tensors["model/renamed"] = tensors.pop(_first(tensors))


def _drop(tensors):
    del tensors[_first(tensors)]


def _reshape(tensors):
    key = _first(tensors)
    tensors[key] = torch.zeros(tensors[key].shape[0] + 1, *tensors[key].shape[1:])


def _reshape_ema(tensors):
    key = _first(tensors, "ema/")
    tensors[key] = torch.zeros(tensors[key].shape[0] + 1, *tensors[key].shape[1:])


@pytest.fixture
def trained(tmp_path):
    train(FAM, build_denoiser(FAM, seed=0, **SMALL), TRAIN, CONFIG, tmp_path, progress=False)
    return tmp_path


@pytest.mark.parametrize("change, fragment", [
    (_rename, r"holds tensor 'model/renamed' that the model does not have \(1 such\)"),
    (_drop, r"lacks tensor 'model/\S+' of the model \(1 missing\)"),
    (_reshape, r"has tensor 'model/\S+' of shape \(\d+,.*\) but the model's is \(\d+"),
], ids=["renamed", "missing", "reshaped"])
def test_wrong_tensors_with_the_right_hash_are_refused_naming_file_and_key(trained, change,
                                                                           fragment):
    path = checkpoint_file(trained, 6)
    _tamper(path, change)
    net = build_denoiser(FAM, seed=1, **SMALL)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.raises(SlopscopeError, match=f"checkpoint {path} {fragment}") as caught:
        load_weights(trained, 6, net)
    assert "\n" not in str(caught.value)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # untouched
    with pytest.raises(SlopscopeError, match=fragment):  # resuming training: the same refusal
        train(FAM, build_denoiser(FAM, seed=0, **SMALL), TRAIN, CONFIG, trained, progress=False)


def test_the_ema_weights_are_checked_too(trained):
    _tamper(checkpoint_file(trained, 6), _reshape_ema)
    load_weights(trained, 6, build_denoiser(FAM, seed=1, **SMALL))  # the raw ones still fit
    with pytest.raises(SlopscopeError, match="has tensor 'ema/"):
        load_weights(trained, 6, build_denoiser(FAM, seed=1, **SMALL), use_ema=True)


def test_a_checkpoint_of_another_model_size_is_refused(trained):
    with pytest.raises(SlopscopeError, match=r"ckpt-00000006.safetensors (holds|lacks) tensor"):
        load_weights(trained, 6, build_denoiser(FAM, seed=0, width=16, layers=2, heads=2))
