"""Training checkpoints: safetensors tensors + a JSON sidecar, written atomically, verified on load.

A checkpoint at step S is `ckpt-SSSSSSSS.safetensors` (model, EMA, optimiser and generator
state as tensors) and `ckpt-SSSSSSSS.json` (step, config hash, SHA-256 of the tensor file,
optimiser hyper-parameters (a record: a resumed run takes its own, from its configuration),
losses). The JSON is written last, so its presence marks a complete
checkpoint. Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from slopscope.errors import SlopscopeError
from slopscope.store import atomic_write_bytes, write_json

FORMAT = "slopscope.checkpoint"
VERSION = 1


def checkpoint_name(step: int) -> str:
    return f"ckpt-{step:08d}"


def save_checkpoint(directory, step: int, tensors: dict, meta: dict) -> Path:
    """Atomically write the tensor file, then the JSON sidecar that names its hash."""
    directory = Path(directory)
    blob = save_tensors({k: v.detach().contiguous().cpu() for k, v in tensors.items()})
    atomic_write_bytes(directory / f"{checkpoint_name(step)}.safetensors", blob)
    sidecar = dict(meta, format=FORMAT, version=VERSION, step=step,
                   sha256=hashlib.sha256(blob).hexdigest())
    sidecar[SIDECAR_HASH] = sidecar_digest(sidecar)
    return write_json(directory / f"{checkpoint_name(step)}.json", sidecar)


SIDECAR_HASH = "sidecar_sha256"  # the sidecar's own SHA-256 (without this key)


def sidecar_digest(meta: dict) -> str:
    """SHA-256 of a sidecar's content without its own hash (canonical JSON)."""
    content = {k: v for k, v in meta.items() if k != SIDECAR_HASH}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def checkpoint_file(directory, step: int) -> Path:
    """The tensor file of the checkpoint at `step` (named in errors)."""
    return Path(directory) / f"{checkpoint_name(step)}.safetensors"


def model_weights(tensors: dict, prefix: str, model: torch.nn.Module, where) -> dict:
    """The weights under `prefix` ("model/" or "ema/") as a state dict for `model`, after
    checking their names and shapes against the model's own (a checkpoint whose hash is right
    but whose tensors are not this model's is refused, naming the file and the first bad key)."""
    saved = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    expected = model.state_dict()
    unexpected = sorted(set(saved) - set(expected))
    missing = sorted(set(expected) - set(saved))
    fix = "allowed: a checkpoint of this run's model (delete it to resume from an earlier one)"
    if unexpected:
        raise SlopscopeError(f"checkpoint {where} holds tensor '{prefix}{unexpected[0]}' that "
                             f"the model does not have ({len(unexpected)} such); {fix}")
    if missing:
        raise SlopscopeError(f"checkpoint {where} lacks tensor '{prefix}{missing[0]}' of the "
                             f"model ({len(missing)} missing); {fix}")
    for key, value in expected.items():
        if tuple(saved[key].shape) != tuple(value.shape):
            raise SlopscopeError(f"checkpoint {where} has tensor '{prefix}{key}' of shape "
                                 f"{tuple(saved[key].shape)} but the model's is "
                                 f"{tuple(value.shape)}; {fix}")
    return saved


def list_checkpoints(directory) -> list[int]:
    """Steps of the complete checkpoints (JSON sidecar present), ascending."""
    steps = []
    for path in Path(directory).glob("ckpt-*.json"):
        try:
            steps.append(int(path.stem.split("-")[1]))
        except (IndexError, ValueError):
            continue
    return sorted(steps)


def load_checkpoint(directory, step: int, config_hash: str | None = None):
    """(tensors, meta) of the checkpoint at `step`; a clear error if it is corrupt or was made
    with another configuration."""
    directory = Path(directory)
    stem = directory / checkpoint_name(step)
    try:
        meta = json.loads(stem.with_suffix(".json").read_text())
        blob = stem.with_suffix(".safetensors").read_bytes()
    except (OSError, ValueError) as exc:
        raise SlopscopeError(f"checkpoint {stem} is unreadable: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SlopscopeError(f"checkpoint {stem}.json is not a slopscope checkpoint")
    if meta.get("version") != VERSION:
        raise SlopscopeError(
            f"checkpoint {stem}.json has version {meta.get('version')!r}; allowed: {VERSION}"
        )
    if SIDECAR_HASH in meta and meta[SIDECAR_HASH] != sidecar_digest(meta):  # (older: none)
        raise SlopscopeError(
            f"checkpoint {stem}.json was edited (its content differs from the SHA-256 it was "
            f"written with); allowed: delete {stem.name}.json and .safetensors to resume from an "
            "earlier checkpoint")
    if hashlib.sha256(blob).hexdigest() != meta.get("sha256"):
        raise SlopscopeError(
            f"checkpoint {stem}.safetensors is corrupt (SHA-256 differs from its JSON sidecar); "
            "delete it to resume from an earlier one"
        )
    if meta.get("step") != step:
        raise SlopscopeError(f"checkpoint {stem}.json says step {meta.get('step')!r}, its name "
                             f"{step}; delete it to resume from an earlier one")
    if config_hash is not None and meta.get("config_hash") != config_hash:
        raise SlopscopeError(
            f"checkpoint {stem} was made with config {meta.get('config_hash')} but this run has "
            f"config {config_hash}; allowed: resume with the same configuration"
        )
    try:
        tensors = load_tensors(blob)
    except SafetensorError as exc:
        raise SlopscopeError(f"checkpoint {stem}.safetensors is unreadable: {exc}") from None
    return tensors, meta


def state_to_tensors(model: torch.nn.Module, optimizer, generator: torch.Generator,
                     ema: dict | None) -> tuple[dict, dict]:
    """Flatten model, optimiser, generator and EMA state into tensors + JSON-able metadata."""
    tensors = {f"model/{k}": v for k, v in model.state_dict().items()}
    if ema is not None:
        tensors.update({f"ema/{k}": v for k, v in ema.items()})
    opt = optimizer.state_dict()
    for index, state in opt["state"].items():
        for key, value in state.items():
            tensors[f"optim/{index}/{key}"] = torch.as_tensor(value)
    tensors["rng/generator"] = generator.get_state()
    return tensors, {"param_groups": opt["param_groups"]}


def tensors_to_state(tensors: dict, meta: dict, model, optimizer, generator,
                     where="checkpoint") -> dict | None:
    """Restore what `state_to_tensors` saved (names and shapes checked against `model` first;
    `where` names the checkpoint in errors); returns the EMA weights (or None)."""
    weights = model_weights(tensors, "model/", model, where)
    ema = {k[4:]: v for k, v in tensors.items() if k.startswith("ema/")}
    if ema:
        model_weights(tensors, "ema/", model, where)
    if "rng/generator" not in tensors:
        raise SlopscopeError(f"checkpoint {where} lacks the generator state; allowed: a "
                             "training checkpoint written by slopscope")
    model.load_state_dict(weights)
    state: dict = {}
    for key, value in tensors.items():
        if key.startswith("optim/"):
            _, index, name = key.split("/", 2)
            state.setdefault(int(index), {})[name] = value
    # the hyper-parameters are the run's own (its configuration, whose hash the checkpoint
    # matched), never the sidecar's: the sidecar is not covered by the tensors' SHA-256
    groups = optimizer.state_dict()["param_groups"]
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    generator.set_state(tensors["rng/generator"])
    return ema or None
