"""Turn a resolved configuration and a seed into a self-describing run directory.

    <runs>/<name>-<config hash>-s<seed>/
      config.json            resolved configuration + seed
      grammar.json train.npy test.npy
      checkpoints/           safetensors + JSON per log-spaced step
      generations/step-*.npy  G generated strings per checkpoint
      measurements/step-*.json / .npz   per-checkpoint figures (re-measured only if missing)
      tables/*.parquet       checkpoints, strings, blocks, typicality
      summary.json, report/report.html (+ PNG and SVG figures), done.json

Every stage is skipped when its output exists, so an interrupted run resumes where it stopped and
a finished run does nothing.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
from pathlib import Path

import numpy as np

from slopscope.checkpoints import list_checkpoints
from slopscope.data import unique_split
from slopscope.diffusion import get_family
from slopscope.errors import SlopscopeError
from slopscope.experiments.checkpoint_metrics import (
    checkpoint_metrics,
    generate,
    sampling_seed,
    static_metrics,
)
from slopscope.experiments.config import ExperimentConfig, apply_overrides, config_from_dict
from slopscope.experiments.tables import build_tables
from slopscope.grammar import RHM
from slopscope.models import build_denoiser
from slopscope.report import build_report
from slopscope.store import (
    atomic_write_bytes,
    atomic_write_text,
    load_array,
    read_json,
    save_array,
    write_json,
)
from slopscope.train import load_weights, resolve_device, train


def run_name(config: ExperimentConfig, seed: int) -> str:
    return f"{config.name}-{config.hash()}-s{seed}".replace(" ", "_")


def run_experiment(config: ExperimentConfig, seed: int, runs_dir="runs",
                   progress: bool = True) -> Path:
    """Run (or resume, or skip if done) one seed of an experiment; returns its directory."""
    run_dir = Path(runs_dir) / run_name(config, seed)
    if (run_dir / "done.json").exists():
        return run_dir
    began = time.perf_counter()
    _write_config(run_dir, config, seed)
    g, train_set, test_set = _data(run_dir, config)
    family, net = _model(config, g, seed)
    train(family, net, train_set, dataclasses.replace(config.train, seed=seed),
          run_dir / "checkpoints", extra_hash=config.to_dict(), progress=progress)
    measure_run(run_dir, progress=progress)
    build_report(run_dir)
    write_json(run_dir / "done.json", {"seconds": time.perf_counter() - began})
    return run_dir


def load_run(run_dir):
    """(config, seed, grammar, train, test) of an existing run directory."""
    run_dir = Path(run_dir)
    saved = read_json(run_dir / "config.json")
    config = config_from_dict(saved["config"])
    g = RHM.from_json((run_dir / "grammar.json").read_text())
    return (config, saved["seed"], g, load_array(run_dir / "train.npy"),
            load_array(run_dir / "test.npy"))


def measure_run(run_dir, overrides=(), progress: bool = True, force: bool = False) -> dict:
    """Measure every checkpoint that has no measurements yet, then rebuild the tables and the
    summary; works on old runs without retraining. `overrides` of measure.* keys (e.g.
    measure.generations=20000) are saved in config.json and re-measure every checkpoint."""
    run_dir = Path(run_dir)
    if overrides:
        _update_measure_settings(run_dir, list(overrides))
        force = True
    config, seed, g, train_set, test_set = load_run(run_dir)
    family, net = _model(config, g, seed)
    steps = list_checkpoints(run_dir / "checkpoints")
    if not steps:
        raise SlopscopeError(f"{run_dir} has no checkpoints to measure")
    fresh = g.sample(config.measure.generations, seed=sampling_seed(seed, 0))
    static = static_metrics(g, train_set, test_set, fresh)
    for step in steps:
        stem = run_dir / "measurements" / f"step-{step:08d}"
        if stem.with_suffix(".json").exists() and not force:
            continue
        if progress:
            print(f"measure: step {step} ({steps.index(step) + 1}/{len(steps)})", flush=True)
        load_weights(run_dir / "checkpoints", step, net).eval()
        generations = generate(family, net, config.measure.generations,
                               sampling_seed(seed, step), config.measure.sample_steps)
        save_array(run_dir / "generations" / f"step-{step:08d}.npy", generations)
        scalars, counts, rows = checkpoint_metrics(g, train_set, test_set, static, generations)
        arrays = {f"count_{k}": v for k, v in counts.items()}
        if config.measure.likelihood:
            for split, strings in (("train", train_set), ("test", test_set)):
                nelbo = family.nll_bound(net, strings, seed=sampling_seed(seed, step),
                                         samples=config.measure.nelbo_samples)
                arrays[f"nelbo_{split}"] = nelbo / g.d
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(stem.with_suffix(".npz"), buffer.getvalue())
        write_json(stem.with_suffix(".json"), {"step": step, "scalars": scalars, "blocks": rows})
    summary = build_tables(run_dir, steps, static, config, seed)
    return summary


def _update_measure_settings(run_dir: Path, overrides: list[str]) -> None:
    saved = read_json(run_dir / "config.json")
    bad = [o for o in overrides if not o.strip().startswith("measure.")]
    if bad:
        raise SlopscopeError(f"override {bad[0]!r} would change a finished run; allowed: "
                             "measure.* keys only")
    config = config_from_dict(apply_overrides(saved["config"], overrides))
    saved["config"] = config.to_dict()
    atomic_write_text(run_dir / "config.json", json.dumps(saved, indent=2, sort_keys=True) + "\n")


def _write_config(run_dir: Path, config: ExperimentConfig, seed: int) -> None:
    path = run_dir / "config.json"
    saved = {"config": config.to_dict(), "seed": seed, "hash": config.hash()}
    if path.exists():
        if read_json(path).get("hash") != config.hash():
            raise SlopscopeError(f"{run_dir} holds a run of another configuration")
        return
    atomic_write_text(path, json.dumps(saved, indent=2, sort_keys=True) + "\n")


def _data(run_dir: Path, config: ExperimentConfig):
    if (run_dir / "test.npy").exists():
        _, _, g, train_set, test_set = load_run(run_dir)
        return g, train_set, test_set
    gc, dc = config.grammar, config.data
    g = RHM(gc.v, gc.n, gc.m, gc.s, gc.L, seed=gc.seed, zipf_a=gc.zipf_a,
            zipf_levels=gc.zipf_levels)
    split = unique_split(g, dc.train, dc.test, seed=dc.seed)
    atomic_write_text(run_dir / "grammar.json", g.to_json())
    save_array(run_dir / "train.npy", split.train)
    write_json(run_dir / "data.json", split.summary())
    save_array(run_dir / "test.npy", split.test)  # written last: marks the data complete
    return g, split.train, split.test


def _model(config: ExperimentConfig, g: RHM, seed: int):
    family = get_family(config.diffusion.family, v=g.v, d=g.d, **config.diffusion.options)
    options = dict(config.model.options)
    if config.model.backbone == "unet":
        options.setdefault("branching", g.s)
    net = build_denoiser(family, config.model.backbone, seed=seed, **options)
    return family, net.to(resolve_device(config.train.device))
