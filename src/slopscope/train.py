"""The training loop: AdamW, linear warm-up then a constant learning rate (so the step count is a
clean clock), gradient clipping, optional EMA, log-spaced checkpoints and exact resume."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from slopscope import checkpoints as ckpt
from slopscope.errors import MAX_SEED, Interrupted, SlopscopeError, check_int

MAX_STEPS = 10**9  # more training steps than any run could take
# the optimiser and the clipping update all tensors in one call each (PyTorch's CPU default is
# one call per tensor): bit for bit the same weights, and on the tree U-Net's pilot 1.17 times
# faster per training step (benchmarks/deep_run.py; tests/test_train.py holds the identity)
FOREACH = True
LOSS_READS = 100  # steps between two reads of the losses from the device (and progress updates)


WARMUP = 100  # the default warm-up; allowed beside runs shorter than it
MAX_LR = 10.0  # Adam moves each weight by about lr per step: beyond this it only diverges


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2000
    batch_size: int = 256  # the batch is min(batch_size, number of training strings)
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup: int = WARMUP  # linear warm-up steps of the learning rate
    grad_clip: float = 1.0
    ema: float | None = None  # EMA decay (e.g. 0.999); raw and EMA weights are saved, runs
    # measure (sample, NELBO) the EMA ones
    checkpoints: int = 20  # log-spaced checkpoint steps between first_checkpoint and steps
    first_checkpoint: int = 10
    seed: int = 0
    device: str = "auto"  # "auto" = CUDA when present, else CPU
    # stop at the first checkpoint whose generations copy training strings beyond chance at
    # least this often (the excess copy fraction: a memorisation depth); `steps` is the cap
    until: float | None = None

    def __post_init__(self):
        check_int("steps", self.steps, minimum=1, maximum=MAX_STEPS)
        check_int("batch_size", self.batch_size, minimum=1)
        check_int("warmup", self.warmup, minimum=0)
        if self.warmup > max(self.steps, WARMUP):
            raise SlopscopeError(
                f"warmup={self.warmup} is longer than the run (steps={self.steps}): the learning "
                f"rate would never reach lr; allowed: 0..{max(self.steps, WARMUP)} (at most the "
                f"steps, or the default {WARMUP})")
        check_int("checkpoints", self.checkpoints, minimum=1)
        check_int("first_checkpoint", self.first_checkpoint, minimum=1)
        check_int("seed", self.seed, minimum=0, maximum=MAX_SEED)
        if not (0 < self.lr <= MAX_LR):
            raise SlopscopeError(f"lr={self.lr}; allowed: a learning rate in (0, {MAX_LR}] "
                                 "(Adam's steps are about lr in size: larger ones only diverge)")
        for key in ("weight_decay", "grad_clip"):
            value = getattr(self, key)
            if not (value >= 0 and math.isfinite(value)):
                raise SlopscopeError(f"{key}={value}; allowed: a number >= 0"
                                     + (" (0: no clipping)" if key == "grad_clip" else ""))
        if self.lr * self.weight_decay >= 1:
            raise SlopscopeError(f"weight_decay={self.weight_decay} with lr={self.lr}: each step "
                                 "would scale the weights by 1 - lr*weight_decay <= 0; allowed: "
                                 "lr*weight_decay < 1")
        if self.ema is not None and not 0.0 < self.ema < 1.0:
            raise SlopscopeError(f"ema={self.ema}; allowed: a decay in (0, 1) or None")
        if self.until is not None and not 0 < self.until <= 1:
            raise SlopscopeError(f"until={self.until}; allowed: an excess copy fraction in "
                                 "(0, 1], or unset (train all the steps)")
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            raise SlopscopeError(f"device={self.device!r}; allowed: 'auto', 'cpu', 'cuda[:N]'")

    def to_dict(self) -> dict:
        """Its fields; `until` only when set (added later: the hashes of runs and checkpoints
        made before stay the same)."""
        out = dataclasses.asdict(self)
        if out["until"] is None:
            del out["until"]
        return out

    def hash(self, extra: dict | None = None) -> str:
        """Stable hash of everything that changes the weights (device excluded)."""
        data = {k: v for k, v in self.to_dict().items() if k != "device"}
        text = json.dumps({"train": data, "extra": extra or {}}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def checkpoint_steps(config: TrainConfig) -> list[int]:
    """Log-spaced integer steps from first_checkpoint to steps (both included), deduplicated."""
    first = min(config.first_checkpoint, config.steps)
    grid = np.geomspace(first, config.steps, num=config.checkpoints)
    return sorted({int(round(x)) for x in grid} | {config.steps})


def learning_rate(config: TrainConfig, step: int) -> float:
    """Linear warm-up over `warmup` steps, then constant."""
    if config.warmup and step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    return config.lr


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SlopscopeError(f"device={name!r} requested but CUDA is not available")
    return torch.device(name)


@dataclass
class TrainResult:
    steps_done: int
    resumed_from: int | None
    checkpoint_steps: list[int]
    losses: list[float]
    seconds: float


def train(family, model: torch.nn.Module, train_strings, config: TrainConfig, run_dir,
          extra_hash: dict | None = None, progress: bool = True,
          stop_at: int | None = None) -> TrainResult:
    """Train `model` as `family`'s denoiser on `train_strings`, checkpointing into run_dir; up
    to `stop_at` (a checkpoint step) when given, else all the steps.

    If run_dir holds checkpoints of the same configuration, training resumes from the latest
    one (a corrupt or mismatched checkpoint is an error, never a silent restart), so training to
    one checkpoint and then on to the next gives the weights of one run straight through."""
    device = resolve_device(config.device)
    run_dir = Path(run_dir)
    x = family.check_strings(train_strings, "train_strings").to(device)
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay, foreach=FOREACH)
    generator = torch.Generator(device=device).manual_seed(config.seed)
    ema = ({k: v.detach().clone() for k, v in model.state_dict().items()}
           if config.ema is not None else None)
    config_hash = config.hash(extra_hash)
    schedule = checkpoint_steps(config)

    start, resumed_from, losses = 0, None, []
    done = ckpt.list_checkpoints(run_dir)
    if done:
        tensors, meta = ckpt.load_checkpoint(run_dir, done[-1], config_hash)
        ema = ckpt.tensors_to_state(tensors, meta, model, optimizer, generator,
                                    where=ckpt.checkpoint_file(run_dir, done[-1]))
        if ema is not None:
            ema = {k: v.to(device) for k, v in ema.items()}
        start, resumed_from, losses = meta["step"], meta["step"], list(meta.get("losses", []))

    batch = min(config.batch_size, x.shape[0])
    pending = []  # losses of the steps since the last read, on the device
    began = time.perf_counter()
    bar = tqdm(total=config.steps, initial=start, disable=not progress, unit="step",
               desc="train", dynamic_ncols=True)
    model.train()
    end = config.steps if stop_at is None else min(stop_at, config.steps)
    saved, step = start, start
    try:
        for step in range(start, end):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(config, step)
            index = torch.randperm(x.shape[0], generator=generator, device=device)[:batch]
            loss = family.loss(model, x[index], generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip,
                                               foreach=FOREACH)
            optimizer.step()
            if ema is not None:
                with torch.no_grad():
                    for key, value in model.state_dict().items():
                        if value.dtype.is_floating_point:
                            ema[key].mul_(config.ema).add_(value, alpha=1.0 - config.ema)
            pending.append(loss.detach())  # read at checkpoints: no device sync every step
            bar.update(1)
            checkpoint = step + 1 in schedule
            if checkpoint or len(pending) == LOSS_READS:
                losses.extend(torch.stack(pending).tolist())
                pending.clear()
                bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
            if checkpoint:
                tensors, meta = ckpt.state_to_tensors(model, optimizer, generator, ema)
                meta.update(config_hash=config_hash, losses=losses,
                            config=config.to_dict())
                ckpt.save_checkpoint(run_dir, step + 1, tensors, meta)
                saved = step + 1
    except KeyboardInterrupt:
        bar.close()
        raise Interrupted(f"at training step {step + 1} of {config.steps}", saved) from None
    bar.close()
    model.eval()
    return TrainResult(max(start, end), resumed_from, schedule, losses,
                       time.perf_counter() - began)


def load_weights(run_dir, step: int, model: torch.nn.Module, use_ema: bool = False):
    """Load the raw (or EMA) weights of the checkpoint at `step` into `model`."""
    tensors, _ = ckpt.load_checkpoint(run_dir, step)
    prefix = "ema/" if use_ema else "model/"
    if not any(k.startswith(prefix) for k in tensors):
        raise SlopscopeError(f"checkpoint step {step} has no {prefix[:-1]} weights")
    model.load_state_dict(ckpt.model_weights(tensors, prefix, model,
                                             ckpt.checkpoint_file(run_dir, step)))
    return model
