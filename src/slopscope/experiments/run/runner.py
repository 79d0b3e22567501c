"""Turn a resolved configuration and a seed into a self-describing run directory.

    <runs>/<name>-<config hash>-s<seed>/
      config.json            resolved configuration + seed
      grammar.json | vocab.json   the grammar, or the vocabulary of your own token data
      train.npy test.npy data.json   the split and what was read, dropped and deduplicated
      checkpoints/           safetensors + JSON per log-spaced step
      generations/step-*.npy  G generated strings per checkpoint
      measurements/step-*.json / .npz   per-checkpoint figures (re-measured only if missing)
      tables/*.parquet       every figure the report shows (slopscope.experiments.run.tables)
      summary.json           headline figures and verdicts (slopscope.summary), done.json

Every stage is skipped when its output exists, so an interrupted run resumes where it stopped and
a finished run does nothing, unless a verdict in its summary was judged under an older revision
of its rule (slopscope.verdicts.Finding.revision): then its tables and summary are rebuilt from
the saved measurements, without training. The report (report/report.html) is built from the
directory alone, by `slopscope.report.build_report` (the CLI calls it after a run).
"""

from __future__ import annotations

import dataclasses
import io
import sys
import time
from pathlib import Path

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.experiments.config.schema import (
    ExperimentConfig,
    apply_overrides,
    check_findings,
    config_from_dict,
)
from slopscope.experiments.run.checkpoint_metrics import (
    checkpoint_metrics,
    sampling_seed,
    static_metrics,
)
from slopscope.experiments.run.measured_models import build_network, measured_model, needs_training
from slopscope.experiments.run.seeds import resolve_seeds
from slopscope.experiments.run.sources import build_data, load_data, source_class
from slopscope.experiments.run.tables import build_tables
from slopscope.saved_config import (
    SavedConfig,
    is_run_dir,
    read_saved_config,
    write_saved_config,
)
from slopscope.store import atomic_write_bytes, read_json, save_array, write_json
from slopscope.summary import RunSummary, read_summary
from slopscope.threads import threads_in_force
from slopscope.train import checkpoint_steps, train
from slopscope.train_cost import describe_cost, step_flops


def run_identity(config: ExperimentConfig) -> str:
    """The config hash, combined with the data file's SHA-256 when the data come from a file
    (a changed file is a different run)."""
    return source_class(config).identity(config)


def run_name(config: ExperimentConfig, seed: int, identity: str | None = None) -> str:
    identity = run_identity(config) if identity is None else identity
    return f"{config.name}-{identity}-s{seed}".replace(" ", "_")


def run_experiment(config: ExperimentConfig, seed: int, runs_dir="runs",
                   progress: bool = True) -> Path:
    """Run (or resume, or skip if done) one seed of an experiment up to its tables and
    summary.json; returns its directory (the report is built from it: slopscope.report)."""
    identity = run_identity(config)  # hashes the data file (if any) once
    run_dir = Path(runs_dir) / run_name(config, seed, identity)
    if (run_dir / "done.json").exists():
        if read_summary(run_dir).stale_findings():  # a rule changed: judge it again (no training)
            measure_run(run_dir, progress=progress)
        return run_dir
    began = time.perf_counter()
    seeds = resolve_seeds(config, seed)
    _write_config(run_dir, config, seed, identity, seeds)
    source, train_set, _ = build_data(run_dir, config, seeds)
    stopped = None
    if needs_training(config):
        family, net = build_network(config, source, seeds["model"])
        train_config = dataclasses.replace(config.train, seed=seeds["model"])
        if progress:  # what it costs, before it starts
            flops = step_flops(family, net, train_set, config.train.batch_size)
            print(describe_cost(flops, config.train.steps), flush=True)
        ends = [None] if config.train.until is None else checkpoint_steps(config.train)
        measurer = None
        for end in ends:  # train.until: checkpoint by checkpoint, each measured before the next
            train(family, net, train_set, train_config, run_dir / "checkpoints",
                  extra_hash=config.identity(), progress=progress, stop_at=end)
            if end is None:
                continue
            measurer = measurer or Measurer(run_dir, progress)
            if _depth(measurer.measure(), end) >= config.train.until:
                stopped = end
                break
    measure_run(run_dir, progress=progress)
    write_json(run_dir / "done.json", {"seconds": time.perf_counter() - began,
                                       **({} if stopped is None else {"stopped_at": stopped})})
    return run_dir


def _depth(records: dict, step: int) -> float:
    """The excess copy fraction measured at `step`."""
    return records[step]["scalars"]["excess_copy_fraction"]


def load_run(run_dir):
    """(config, seeds, source, train, test) of an existing run directory; `seeds` holds the run
    seed and the grammar, data and model seeds derived from it."""
    run_dir = Path(run_dir)
    saved = read_saved_config(run_dir)
    config = config_from_dict(saved.config)
    seeds = saved.seeds or resolve_seeds(config, saved.seed)
    return (config, seeds, *load_data(run_dir))


def measure_run(run_dir, overrides=(), progress: bool = True,
                force: bool = False) -> RunSummary:
    """Measure every checkpoint that has no measurements yet, then rebuild the tables and the
    summary; works on old runs without retraining. `overrides` of measure.* keys (e.g.
    measure.generations=20000) are saved in config.json and re-measure every checkpoint."""
    run_dir = Path(run_dir)
    if overrides:
        _update_measure_settings(run_dir, list(overrides))
        force = force or any(o.strip().startswith("measure.") for o in overrides)
    _record_threads(run_dir)
    measurer = Measurer(run_dir, progress)
    measurer.measure(force)
    return measurer.tables()


class Measurer:
    """What measuring a run's checkpoints needs, prepared once (the run's data, the per-string
    figures, the measured model): `measure` measures the checkpoints that exist and lack
    measurements (train.until calls it after every checkpoint it trains), `tables` builds the
    tables and summary.json."""

    def __init__(self, run_dir, progress: bool = True):
        self.run_dir, self.progress = Path(run_dir), progress
        self.config, seeds, self.source, self.train_set, self.test_set = load_run(run_dir)
        self.seed = seeds["run"]
        fresh = self.source.reference(self.config.measure.generations,
                                      sampling_seed(self.seed, 0), self.test_set)
        self.static = static_metrics(self.source, self.train_set, self.test_set, fresh)
        self.model = measured_model(self.config, self.source, seeds, run_dir, self.train_set,
                                    self.static["train"]["t1"])
        self.steps: list[int] = []

    def measure(self, force: bool = False) -> dict:
        """{step: its measurement record} of every checkpoint there is, measuring those
        without one (all of them with `force`)."""
        steps = self.steps = self.model.steps()
        if not steps:
            raise SlopscopeError(f"{self.run_dir} has no checkpoints to measure")
        records = {}
        for step in steps:
            stem = self.run_dir / "measurements" / f"step-{step:08d}"
            if stem.with_suffix(".json").exists() and not force and _current(stem):
                records[step] = read_json(stem.with_suffix(".json"))
                continue
            if self.progress:
                print(f"measure: step {step} ({steps.index(step) + 1}/{len(steps)})", flush=True)
            records[step] = self._measure_step(step, stem)
        return records

    def _measure_step(self, step: int, stem: Path) -> dict:
        """Generate at one checkpoint, measure, save the record (.json) and arrays (.npz)."""
        config, source, model = self.config, self.source, self.model
        seed = sampling_seed(self.seed, step)
        model.at(step)
        generations = model.generate(config.measure.generations, seed, step)
        save_array(self.run_dir / "generations" / f"step-{step:08d}.npy", generations)
        scalars, counts, rows, nn_hist = checkpoint_metrics(
            source, self.train_set, self.test_set, self.static, generations, seed)
        arrays = {f"count_{k}": v for k, v in counts.items()}
        if config.measure.likelihood:
            for split, strings in (("train", self.train_set), ("test", self.test_set)):
                arrays[f"nelbo_{split}"] = model.nll(strings, seed, step) / source.d
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(stem.with_suffix(".npz"), buffer.getvalue())
        record = {"step": step, "scalars": scalars, "blocks": rows, "nn_hist": nn_hist}
        write_json(stem.with_suffix(".json"), record)
        return record

    def tables(self) -> RunSummary:
        return build_tables(self.run_dir, self.steps, self.static, self.config, self.seed,
                            self.source, self.train_set, self.test_set)


def _current(stem: Path) -> bool:
    """Whether a checkpoint's measurements have every figure the tables need (older records lack
    the excess copy fraction or the neighbour histogram, and are measured again)."""
    record = read_json(stem.with_suffix(".json"))
    return "excess_copy_fraction" in record["scalars"] and "nn_hist" in record


def _update_measure_settings(run_dir: Path, overrides: list[str]) -> None:
    saved = read_saved_config(run_dir)
    bad = [o for o in overrides if not o.strip().startswith(("measure.", "findings."))]
    if bad:
        raise SlopscopeError(f"override {bad[0]!r} would change a finished run; allowed: "
                             "measure.* and findings.* keys only")
    config = config_from_dict(apply_overrides(saved.config, overrides))
    check_findings(config)  # the new verdict rules against the grammar
    write_saved_config(run_dir, dataclasses.replace(saved, config=config.to_dict()))


def _record_threads(run_dir: Path) -> None:
    """Add this process's thread count to the counts the run records (slopscope.threads)."""
    saved = read_saved_config(run_dir)
    recorded = saved.with_threads(threads_in_force())
    if recorded is not saved:
        write_saved_config(run_dir, recorded)


def _write_config(run_dir: Path, config: ExperimentConfig, seed: int, identity: str,
                  seeds: dict) -> None:
    saved = SavedConfig(config.to_dict(), seed, identity, seeds, [threads_in_force()])
    if is_run_dir(run_dir):
        before = read_saved_config(run_dir)
        if before.hash != saved.hash:
            raise SlopscopeError(f"{run_dir} holds a run of another configuration")
        kept = config_from_dict(before.config).to_dict()  # in today's keys
        changed = [key for key in ("measure", "findings") if kept[key] != saved.config[key]]
        if changed:
            print(f"slopscope: note: {run_dir} exists with other {' and '.join(changed)} "
                  f"settings and keeps them; to change them: slopscope measure {run_dir} "
                  f"{changed[0]}.KEY=VALUE", file=sys.stderr)
        _record_threads(run_dir)  # a resumed run: this process trains it on
        return
    write_saved_config(run_dir, saved)
