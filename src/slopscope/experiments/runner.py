"""Turn a resolved configuration and a seed into a self-describing run directory.

    <runs>/<name>-<config hash>-s<seed>/
      config.json            resolved configuration + seed
      grammar.json | vocab.json   the grammar, or the vocabulary of your own token data
      train.npy test.npy data.json   the split and what was read, dropped and deduplicated
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
import hashlib
import io
import json
import time
from pathlib import Path

import numpy as np

from slopscope.data import unique_split
from slopscope.errors import SlopscopeError
from slopscope.experiments.checkpoint_metrics import (
    checkpoint_metrics,
    sampling_seed,
    static_metrics,
)
from slopscope.experiments.config import ExperimentConfig, apply_overrides, config_from_dict
from slopscope.experiments.measured_models import build_network, measured_model, needs_training
from slopscope.experiments.seeds import resolve_seeds
from slopscope.experiments.sources import GrammarSource, TokenSource
from slopscope.experiments.tables import build_tables
from slopscope.grammar import RHM
from slopscope.report import build_report
from slopscope.store import (
    atomic_write_bytes,
    atomic_write_text,
    file_digest,
    load_array,
    read_json,
    save_array,
    write_json,
)
from slopscope.tokendata import Vocabulary, load_token_data
from slopscope.tokendata import split as split_tokens
from slopscope.train import train


def run_identity(config: ExperimentConfig) -> str:
    """The config hash, combined with the data file's SHA-256 when the data come from a file
    (a changed file is a different run)."""
    if not config.data.path:
        return config.hash()
    if not Path(config.data.path).is_file():
        hint = (" (the system word list: apt-get install wamerican)"
                if config.data.path.startswith("/usr/share/dict/") else "")
        raise SlopscopeError(f"data.path={config.data.path!r} is not a file{hint}; allowed: a "
                             "text, .npy or Parquet file of token sequences")
    digest = file_digest(config.data.path)
    return hashlib.sha256(f"{config.hash()}:{digest}".encode()).hexdigest()[:10]


def run_name(config: ExperimentConfig, seed: int, identity: str | None = None) -> str:
    identity = run_identity(config) if identity is None else identity
    return f"{config.name}-{identity}-s{seed}".replace(" ", "_")


def run_experiment(config: ExperimentConfig, seed: int, runs_dir="runs",
                   progress: bool = True, report: bool = True) -> Path:
    """Run (or resume, or skip if done) one seed of an experiment; returns its directory.
    `report=False` stops at the tables and summary.json (calibration runs)."""
    identity = run_identity(config)  # hashes the data file (if any) once
    run_dir = Path(runs_dir) / run_name(config, seed, identity)
    if (run_dir / "done.json").exists():
        return run_dir
    began = time.perf_counter()
    seeds = resolve_seeds(config, seed)
    _write_config(run_dir, config, seed, identity, seeds)
    source, train_set, _ = _data(run_dir, config, seeds)
    if needs_training(config):
        family, net = build_network(config, source, seeds["model"])
        train(family, net, train_set, dataclasses.replace(config.train, seed=seeds["model"]),
              run_dir / "checkpoints", extra_hash=config.to_dict(), progress=progress)
    measure_run(run_dir, progress=progress)
    if report:
        build_report(run_dir)
    write_json(run_dir / "done.json", {"seconds": time.perf_counter() - began})
    return run_dir


def load_source(run_dir):
    """The run's data source: its grammar, or the vocabulary of its token data."""
    run_dir = Path(run_dir)
    if (run_dir / "vocab.json").exists():
        vocab = Vocabulary.from_json((run_dir / "vocab.json").read_text())
        return TokenSource(vocab, int(read_json(run_dir / "data.json")["length"]))
    return GrammarSource(RHM.from_json((run_dir / "grammar.json").read_text()))


def load_run(run_dir):
    """(config, seeds, source, train, test) of an existing run directory; `seeds` holds the run
    seed and the grammar, data and model seeds derived from it."""
    run_dir = Path(run_dir)
    saved = read_json(run_dir / "config.json")
    config = config_from_dict(saved["config"])
    seeds = saved.get("seeds") or resolve_seeds(config, saved["seed"])
    return (config, seeds, load_source(run_dir), load_array(run_dir / "train.npy"),
            load_array(run_dir / "test.npy"))


def measure_run(run_dir, overrides=(), progress: bool = True, force: bool = False) -> dict:
    """Measure every checkpoint that has no measurements yet, then rebuild the tables and the
    summary; works on old runs without retraining. `overrides` of measure.* keys (e.g.
    measure.generations=20000) are saved in config.json and re-measure every checkpoint."""
    run_dir = Path(run_dir)
    if overrides:
        _update_measure_settings(run_dir, list(overrides))
        force = force or any(o.strip().startswith("measure.") for o in overrides)
    config, seeds, source, train_set, test_set = load_run(run_dir)
    seed = seeds["run"]
    fresh = source.reference(config.measure.generations, sampling_seed(seed, 0), test_set)
    static = static_metrics(source, train_set, test_set, fresh)
    model = measured_model(config, source, seeds, run_dir, train_set, static["train"]["t1"])
    steps = model.steps()
    if not steps:
        raise SlopscopeError(f"{run_dir} has no checkpoints to measure")
    for step in steps:
        stem = run_dir / "measurements" / f"step-{step:08d}"
        if stem.with_suffix(".json").exists() and not force and _current(stem):
            continue
        if progress:
            print(f"measure: step {step} ({steps.index(step) + 1}/{len(steps)})", flush=True)
        model.at(step)
        generations = model.generate(config.measure.generations, sampling_seed(seed, step), step)
        save_array(run_dir / "generations" / f"step-{step:08d}.npy", generations)
        scalars, counts, rows = checkpoint_metrics(source, train_set, test_set, static,
                                                   generations, sampling_seed(seed, step))
        arrays = {f"count_{k}": v for k, v in counts.items()}
        if config.measure.likelihood:
            for split, strings in (("train", train_set), ("test", test_set)):
                nll = model.nll(strings, sampling_seed(seed, step), step)
                arrays[f"nelbo_{split}"] = nll / source.d
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(stem.with_suffix(".npz"), buffer.getvalue())
        write_json(stem.with_suffix(".json"), {"step": step, "scalars": scalars, "blocks": rows})
    summary = build_tables(run_dir, steps, static, config, seed, source)
    return summary


def _current(stem: Path) -> bool:
    """Whether a checkpoint's measurements have every figure the verdicts need (records made
    before the verdicts lack the excess copy fraction and slope, and are measured again)."""
    return "excess_copy_fraction" in read_json(stem.with_suffix(".json"))["scalars"]


def _update_measure_settings(run_dir: Path, overrides: list[str]) -> None:
    saved = read_json(run_dir / "config.json")
    bad = [o for o in overrides if not o.strip().startswith(("measure.", "findings."))]
    if bad:
        raise SlopscopeError(f"override {bad[0]!r} would change a finished run; allowed: "
                             "measure.* and findings.* keys only")
    config = config_from_dict(apply_overrides(saved["config"], overrides))
    saved["config"] = config.to_dict()
    atomic_write_text(run_dir / "config.json", json.dumps(saved, indent=2, sort_keys=True) + "\n")


def _write_config(run_dir: Path, config: ExperimentConfig, seed: int, identity: str,
                  seeds: dict) -> None:
    path = run_dir / "config.json"
    saved = {"config": config.to_dict(), "seed": seed, "hash": identity, "seeds": seeds}
    if path.exists():
        if read_json(path).get("hash") != saved["hash"]:
            raise SlopscopeError(f"{run_dir} holds a run of another configuration")
        return
    atomic_write_text(path, json.dumps(saved, indent=2, sort_keys=True) + "\n")


def _data(run_dir: Path, config: ExperimentConfig, seeds: dict):
    if (run_dir / "test.npy").exists():
        _, _, source, train_set, test_set = load_run(run_dir)
        return source, train_set, test_set
    if config.data.path:
        return _token_data(run_dir, config, seeds["data"])
    gc, dc = config.grammar, config.data
    g = RHM(gc.v, gc.n, gc.m, gc.s, gc.L, seed=seeds["grammar"], zipf_a=gc.zipf_a,
            zipf_levels=gc.zipf_levels)
    split = unique_split(g, dc.train, dc.test, seed=seeds["data"])
    atomic_write_text(run_dir / "grammar.json", g.to_json())
    save_array(run_dir / "train.npy", split.train)
    write_json(run_dir / "data.json", split.summary())
    save_array(run_dir / "test.npy", split.test)  # written last: marks the data complete
    return GrammarSource(g), split.train, split.test


def _token_data(run_dir: Path, config: ExperimentConfig, data_seed: int):
    dc = config.data
    data = load_token_data(dc.path, dc.format, dc.tokens, dc.column, dc.lowercase, dc.pattern,
                           dc.length, dc.pad, dc.dedup, dc.max_vocab)
    train_set, test_set, summary = split_tokens(data, dc.train, dc.test, data_seed)
    summary.update(path=str(dc.path), sha256=file_digest(dc.path))
    atomic_write_text(run_dir / "vocab.json", data.vocab.to_json())
    save_array(run_dir / "train.npy", train_set)
    write_json(run_dir / "data.json", summary)
    save_array(run_dir / "test.npy", test_set)  # written last: marks the data complete
    return TokenSource(data.vocab, data.sequences.shape[1]), train_set, test_set
