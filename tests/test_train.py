"""Training: it learns, checkpoints are log-spaced, and resume (even after SIGKILL) is exact."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from slopscope import SlopscopeError
from slopscope import train as train_module
from slopscope.checkpoints import SIDECAR_HASH, list_checkpoints, load_checkpoint, sidecar_digest
from slopscope.diffusion import get_family
from slopscope.models import build_denoiser
from slopscope.train import TrainConfig, checkpoint_steps, learning_rate, load_weights, train
from tests.tiny import GRAMMARS

G = GRAMMARS["uniform_L3"]  # v=4, d=8, P_max=384
FAM = get_family("masked", v=G.v, d=G.d)
TRAIN = G.sample(24, seed=0, unique=True)
SMALL = dict(width=32, layers=2, heads=2)

SCRIPT = """
import sys, torch
torch.set_num_threads(1)
from slopscope.diffusion import get_family
from slopscope.models import build_denoiser
from slopscope.train import TrainConfig, train
from tests.tiny import GRAMMARS
g = GRAMMARS["uniform_L3"]
fam = get_family("masked", v=g.v, d=g.d)
train_set = g.sample(24, seed=0, unique=True)
cfg = TrainConfig(steps=int(sys.argv[2]), batch_size=24, checkpoints=12, first_checkpoint=5,
                  ema=0.9)
net = build_denoiser(fam, seed=0, width=32, layers=2, heads=2)
train(fam, net, train_set, cfg, sys.argv[1], progress=False)
torch.save(net.state_dict(), sys.argv[1] + "/final.pt")
"""


def _weights_equal(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.values(), b.values(), strict=True))


def test_checkpoint_steps_are_log_spaced_and_end_at_the_last_step():
    steps = checkpoint_steps(TrainConfig(steps=10_000, checkpoints=5, first_checkpoint=10))
    assert steps == [10, 56, 316, 1778, 10_000]
    assert checkpoint_steps(TrainConfig(steps=3, checkpoints=10, first_checkpoint=10)) == [3]


def test_warmup_then_constant_learning_rate():
    cfg = TrainConfig(lr=1e-3, warmup=10)
    assert learning_rate(cfg, 0) == pytest.approx(1e-4)
    assert learning_rate(cfg, 9) == pytest.approx(1e-3)
    assert learning_rate(cfg, 5000) == 1e-3


def test_a_tiny_network_memorizes_a_tiny_training_set(tmp_path):
    """24 strings of a 384-string grammar: the loss must fall below the generalising bound
    log(P_max)/d (what knowing the grammar alone gives) towards log(24)/d."""
    net = build_denoiser(FAM, seed=0, **SMALL)
    result = train(FAM, net, TRAIN, TrainConfig(steps=1200, batch_size=24, lr=3e-3, warmup=20),
                   tmp_path, progress=False)
    late = np.mean(result.losses[-100:])  # measured 0.67 at 1200 steps
    assert late < math.log(G.P_max) / G.d  # 0.744 nats/token
    nelbo = FAM.nll_bound(net, TRAIN, seed=0, samples=2)
    assert nelbo.mean() < math.log(G.P_max)


def test_same_seed_same_weights_and_different_seed_differs(tmp_path):
    cfg = TrainConfig(steps=30, batch_size=8, checkpoints=2)
    nets = [build_denoiser(FAM, seed=0, **SMALL) for _ in range(3)]
    train(FAM, nets[0], TRAIN, cfg, tmp_path / "a", progress=False)
    train(FAM, nets[1], TRAIN, cfg, tmp_path / "b", progress=False)
    train(FAM, nets[2], TRAIN, TrainConfig(steps=30, batch_size=8, checkpoints=2, seed=1),
          tmp_path / "c", progress=False)
    assert _weights_equal(nets[0].state_dict(), nets[1].state_dict())
    assert not _weights_equal(nets[0].state_dict(), nets[2].state_dict())


def test_resume_from_an_earlier_checkpoint_matches_the_uninterrupted_run(tmp_path):
    cfg = TrainConfig(steps=60, batch_size=8, checkpoints=4, first_checkpoint=5, ema=0.9)
    full = build_denoiser(FAM, seed=0, **SMALL)
    train(FAM, full, TRAIN, cfg, tmp_path / "full", progress=False)
    part = tmp_path / "part"
    train(FAM, build_denoiser(FAM, seed=0, **SMALL), TRAIN, cfg, part, progress=False)
    last = list_checkpoints(part)[-1]
    (part / f"ckpt-{last:08d}.json").unlink()  # as if killed before the last checkpoint
    resumed = build_denoiser(FAM, seed=9, **SMALL)
    result = train(FAM, resumed, TRAIN, cfg, part, progress=False)
    assert result.resumed_from == list_checkpoints(part)[-2]
    assert _weights_equal(full.state_dict(), resumed.state_dict())
    ema_full = load_weights(tmp_path / "full", 60, build_denoiser(FAM, **SMALL), use_ema=True)
    ema_part = load_weights(part, 60, build_denoiser(FAM, **SMALL), use_ema=True)
    assert _weights_equal(ema_full.state_dict(), ema_part.state_dict())
    assert not _weights_equal(ema_full.state_dict(), full.state_dict())


@pytest.mark.parametrize("edit", [{"weight_decay": 1e30}, {"lr": 5.0, "betas": [0.0, 0.0]}, None])
def test_an_edited_sidecar_is_refused_on_resume(tmp_path, edit):
    """The sidecar's optimiser settings are covered by its own SHA-256: an edited one (a weight
    decay of 1e30 trained NaN weights; no parameter groups at all raised a ValueError) is
    refused with one line naming the file, before any training."""
    cfg = TrainConfig(steps=30, batch_size=8, checkpoints=3, first_checkpoint=5, weight_decay=0.01)
    part = tmp_path / "part"
    train(FAM, build_denoiser(FAM, seed=0, **SMALL), TRAIN, cfg, part, progress=False)
    first = list_checkpoints(part)[0]
    for step in list_checkpoints(part)[1:]:
        (part / f"ckpt-{step:08d}.json").unlink()
    sidecar = part / f"ckpt-{first:08d}.json"
    meta = json.loads(sidecar.read_text())
    if edit is None:
        meta["param_groups"] = []
    else:
        meta["param_groups"][0].update(edit)
    sidecar.write_text(json.dumps(meta))
    with pytest.raises(SlopscopeError, match=f"ckpt-{first:08d}.json was edited"):
        train(FAM, build_denoiser(FAM, seed=9, **SMALL), TRAIN, cfg, part, progress=False)


def test_a_sidecar_naming_another_step_is_refused(tmp_path):
    cfg = TrainConfig(steps=10, batch_size=8, checkpoints=1, first_checkpoint=10)
    train(FAM, build_denoiser(FAM, seed=0, **SMALL), TRAIN, cfg, tmp_path, progress=False)
    sidecar = tmp_path / "ckpt-00000010.json"
    meta = {**json.loads(sidecar.read_text()), "step": 3}
    sidecar.write_text(json.dumps({**meta, SIDECAR_HASH: sidecar_digest(meta)}))  # consistent
    with pytest.raises(SlopscopeError, match="says step 3, its name 10; delete it"):
        load_checkpoint(tmp_path, 10)


@pytest.mark.parametrize("ema", [0.9, None])
def test_measurement_uses_the_ema_weights_when_training_keeps_them(tmp_path, ema):
    from slopscope.experiments import load_config
    from slopscope.experiments.run.measured_models import NetworkModel, build_network

    overrides = ["train.steps=20", "train.checkpoints=2", "train.batch_size=8",
                 "train.first_checkpoint=10", "train.device=cpu", "model.options.width=16",
                 "model.options.layers=1", "model.options.heads=2"]
    config = load_config("e2", overrides + ([f"train.ema={ema}"] if ema else []))
    assert config.train.ema == ema
    source = SimpleNamespace(v=G.v, d=G.d, kind="grammar", grammar=None)
    family, net = build_network(config, source, model_seed=0)
    train(family, net, TRAIN, config.train, tmp_path / "checkpoints", progress=False)
    model = NetworkModel(config, source, {"model": 0}, tmp_path)
    assert model.steps() == [10, 20]
    model.at(20)
    tensors, _ = load_checkpoint(tmp_path / "checkpoints", 20)
    loaded = model.net.state_dict()
    ema_saved = {k[4:]: v for k, v in tensors.items() if k.startswith("ema/")}
    raw_saved = {k[6:]: v for k, v in tensors.items() if k.startswith("model/")}
    def same(saved):
        return loaded.keys() == saved.keys() and all(torch.equal(loaded[k], saved[k])
                                                     for k in saved)

    assert same(ema_saved if ema else raw_saved)
    if ema:
        assert not same(raw_saved)
    else:
        assert not ema_saved


def test_sigkill_mid_training_then_resume_gives_the_uninterrupted_weights(tmp_path):
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    steps = "800"
    reference = tmp_path / "reference"
    subprocess.run([sys.executable, "-c", SCRIPT, str(reference), steps], env=env, check=True,
                   cwd=root, timeout=600)
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(killed), steps], env=env,
                            cwd=root)
    deadline = time.time() + 300
    while len(list_checkpoints(killed)) < 6 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "training finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "final.pt").exists()
    assert list_checkpoints(killed)[-1] < int(steps)
    subprocess.run([sys.executable, "-c", SCRIPT, str(killed), steps], env=env, check=True,
                   cwd=root, timeout=600)
    a = torch.load(reference / "final.pt", weights_only=True)
    b = torch.load(killed / "final.pt", weights_only=True)
    assert _weights_equal(a, b)


def test_corrupt_or_mismatched_checkpoints_are_errors_not_restarts(tmp_path):
    cfg = TrainConfig(steps=20, batch_size=8, checkpoints=2)
    train(FAM, build_denoiser(FAM, **SMALL), TRAIN, cfg, tmp_path, progress=False)
    with pytest.raises(SlopscopeError, match="was made with config"):
        train(FAM, build_denoiser(FAM, **SMALL), TRAIN,
              TrainConfig(steps=20, batch_size=8, checkpoints=2, lr=5e-4), tmp_path,
              progress=False)
    blob = tmp_path / "ckpt-00000020.safetensors"
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(SlopscopeError, match="is corrupt"):
        train(FAM, build_denoiser(FAM, **SMALL), TRAIN, cfg, tmp_path, progress=False)
    meta = json.loads((tmp_path / "ckpt-00000020.json").read_text())
    meta["version"] = 99
    (tmp_path / "ckpt-00000020.json").write_text(json.dumps(meta))
    with pytest.raises(SlopscopeError, match="version 99"):
        train(FAM, build_denoiser(FAM, **SMALL), TRAIN, cfg, tmp_path, progress=False)


def test_a_pickle_in_place_of_a_checkpoint_is_refused(tmp_path):
    cfg = TrainConfig(steps=10, batch_size=8, checkpoints=1)
    train(FAM, build_denoiser(FAM, **SMALL), TRAIN, cfg, tmp_path, progress=False)
    torch.save({"x": torch.zeros(2)}, tmp_path / "ckpt-00000010.safetensors")  # a pickle
    with pytest.raises(SlopscopeError, match="corrupt"):
        load_weights(tmp_path, 10, build_denoiser(FAM, **SMALL))


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(steps=0), "steps=0"),
    (dict(lr=-1.0), "lr=-1.0"),
    (dict(ema=1.5), "ema=1.5"),
    (dict(device="tpu"), "device='tpu'"),
])
def test_bad_train_config_is_rejected(kwargs, fragment):
    with pytest.raises(SlopscopeError, match=fragment.replace("(", r"\(")):
        TrainConfig(**kwargs)


@pytest.mark.parametrize("family, backbone", [("uniform", "unet"), ("masked", "transformer")])
def test_the_one_call_optimiser_gives_the_per_tensor_weights_bit_for_bit(tmp_path, monkeypatch,
                                                                       family, backbone):
    """AdamW and gradient clipping over all tensors at once (train.FOREACH, the faster path)
    against PyTorch's per-tensor CPU default: the same weights, with clipping and weight decay
    active."""
    fam = get_family(family, v=G.v, d=G.d)
    config = TrainConfig(steps=60, batch_size=24, lr=3e-3, warmup=5, weight_decay=0.01,
                         grad_clip=0.05, checkpoints=1, first_checkpoint=60, ema=0.9)
    weights = {}
    for foreach in (True, False):
        monkeypatch.setattr(train_module, "FOREACH", foreach)
        net = build_denoiser(fam, backbone, seed=0, width=32, **(
            dict(layers=1, heads=2) if backbone == "transformer" else dict(branching=G.s)))
        train(fam, net, TRAIN, config, tmp_path / str(foreach), progress=False)
        weights[foreach] = net.state_dict()
    assert _weights_equal(weights[True], weights[False])


def test_ctrl_c_in_training_says_where_it_stopped_and_where_it_resumes(tmp_path, monkeypatch):
    """A KeyboardInterrupt at step 23 of 30 (checkpoints at 5, 11, 30) names the step and the
    last checkpoint saved; the command line prints both in one line."""
    from slopscope.errors import Interrupted

    cfg = TrainConfig(steps=30, batch_size=8, checkpoints=3, first_checkpoint=5)
    schedule = checkpoint_steps(cfg)
    calls = {"n": 0}
    real_loss = FAM.loss

    def loss(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 23:
            raise KeyboardInterrupt
        return real_loss(*args, **kwargs)

    monkeypatch.setattr(FAM, "loss", loss)
    with pytest.raises(Interrupted) as caught:
        train(FAM, build_denoiser(FAM, seed=0, **SMALL), TRAIN, cfg, tmp_path, progress=False)
    assert caught.value.where == "at training step 23 of 30"
    assert caught.value.saved == max(s for s in schedule if s < 23)
    assert list_checkpoints(tmp_path) == [s for s in schedule if s < 23]
