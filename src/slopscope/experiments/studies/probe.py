"""`slopscope probe RUN`: extraction probes for masked-diffusion runs. Each training string is
partly revealed (a mask shape and a revealed share) and the model at each checkpoint completes
the rest; a completion that reproduces the string extracts it. Held-out strings, probed the same
way, are the control: a model that generalises completes them as often as training strings.

Mask shapes, for `r` revealed tokens of `d`: prefix (the first r), suffix (the last r), ends
(the first ceil(r/2) and the last floor(r/2)), random (a seeded random r per string). The
sampler's step count is an axis too: 0 = one token per network call (d - r calls), K = the
time-grid sampler with K calls, which reveals several tokens per call.

Written into <run>/probe/:
    probe.parquet  step, shape, reveal, sampler_steps, split, index, extracted (completions that
                   reproduce the string, of `completions`)
    times.parquet  shape, reveal, sampler_steps, split, index, extraction_time (first checkpoint
                   step with an extracting completion; inf: never), t1
    probe.json     per setting and checkpoint: extraction rate of training and held-out strings
                   (Wilson intervals) and their difference; per setting: Spearman of T1 with
                   the training strings' extraction time (negative: typical strings first)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.diffusion import FAMILIES
from slopscope.errors import SlopscopeError, check_int
from slopscope.experiments.run.measured_models import NetworkModel, needs_training
from slopscope.experiments.run.runner import load_run
from slopscope.measure.stats import wilson_interval
from slopscope.store import read_table, write_json, write_table
from slopscope.summary import SPLITS

SHAPES = ("prefix", "suffix", "ends", "random")


def reveal_mask(shape: str, revealed: int, count: int, d: int, seed: int) -> np.ndarray:
    """(count, d) bool, True = revealed, `revealed` tokens per row in the given shape."""
    if shape not in SHAPES:
        raise SlopscopeError(f"mask shape {shape!r}; allowed: {', '.join(SHAPES)}")
    known = np.zeros((count, d), dtype=bool)
    if shape == "prefix":
        known[:, :revealed] = True
    elif shape == "suffix":
        known[:, d - revealed:] = True
    elif shape == "ends":
        head = math.ceil(revealed / 2)
        known[:, :head] = True
        known[:, d - (revealed - head):] = True
    else:
        order = np.argsort(np.random.default_rng(seed).random((count, d)), axis=1)
        np.put_along_axis(known, order[:, :revealed], True, axis=1)
    return known


def check_settings(shapes, reveals, sampler_steps, completions: int) -> None:
    for shape in shapes:
        reveal_mask(shape, 0, 0, 1, 0)  # names a bad shape
    for share in reveals:
        if not (isinstance(share, (int, float)) and 0.0 <= share < 1.0):
            raise SlopscopeError(f"reveal={share!r}; allowed: a share in [0, 1)")
    for steps in sampler_steps:
        check_int("sampler_steps", steps, minimum=0)
    check_int("completions", completions, minimum=1)


def probe_run(run_dir, shapes=SHAPES, reveals=(0.25, 0.5), sampler_steps=(0,),
              completions: int = 2, progress: bool = True) -> Path:
    """Probe every checkpoint of a finished masked-diffusion run; returns <run>/probe."""
    check_settings(shapes, reveals, sampler_steps, completions)
    run_dir = Path(run_dir)
    config, seeds, source, train, test = load_run(run_dir)
    if not needs_training(config) or not FAMILIES[config.diffusion.family].can_complete:
        raise SlopscopeError(f"{run_dir}: probes need a trained network of a family that can "
                             f"complete strings (masked diffusion); this run has family="
                             f"{config.diffusion.family!r}, backbone={config.model.backbone!r}")
    model = NetworkModel(config, source, seeds, run_dir)
    steps = model.steps()
    strings = {"train": train, "test": test}
    rows: dict = {k: [] for k in ("step", "shape", "reveal", "sampler_steps", "split", "index",
                                  "extracted")}
    for c, step in enumerate(steps):
        if progress:
            print(f"probe: step {step} ({c + 1}/{len(steps)})", flush=True)
        model.at(step)
        for setting, (shape, share, k) in enumerate(_settings(shapes, reveals, sampler_steps)):
            for s, split in enumerate(SPLITS):
                x = np.repeat(strings[split], completions, axis=0)
                known = reveal_mask(shape, round(share * source.d), x.shape[0], source.d,
                                    seed=seeds["run"] + s)
                done = model.family.complete(model.net, x, known, seed=_seed(seeds, step,
                                                                            setting, s),
                                             sampler_steps=k or None)
                hits = (done == x).all(axis=1).reshape(-1, completions).sum(axis=1)
                n = hits.shape[0]
                for key, value in (("step", step), ("shape", shape), ("reveal", share),
                                   ("sampler_steps", k), ("split", split)):
                    rows[key].append(np.full(n, value))
                rows["index"].append(np.arange(n))
                rows["extracted"].append(hits)
    out = run_dir / "probe"
    columns = {k: np.concatenate(v) for k, v in rows.items()}
    write_table(out / "probe.parquet", columns)
    t1 = _t1(run_dir)
    times = _times(columns, steps, t1)
    write_table(out / "times.parquet", times)
    write_json(out / "probe.json", _summary(columns, times, steps, completions, seeds["run"]))
    return out


def _settings(shapes, reveals, sampler_steps):
    return [(shape, float(share), int(k)) for shape in shapes for share in reveals
            for k in sampler_steps]


def _seed(seeds: dict, step: int, setting: int, split: int) -> int:
    return int(np.random.SeedSequence([seeds["run"], step, setting, split, 7]).generate_state(1)[0])


def _t1(run_dir: Path) -> dict:
    table = read_table(run_dir / "tables" / "typicality.parquet")
    split, t1 = table.column("split").to_numpy(zero_copy_only=False), \
        table.column("t1").to_numpy()
    return {name: t1[split == name] for name in SPLITS}


def _select(columns: dict, **where) -> np.ndarray:
    keep = np.ones(len(next(iter(columns.values()))), dtype=bool)
    for key, value in where.items():
        keep &= columns[key] == value
    return keep


def _times(columns: dict, steps, t1: dict) -> dict:
    out: dict = {k: [] for k in ("shape", "reveal", "sampler_steps", "split", "index",
                                 "extraction_time", "t1")}
    keys = sorted({(a, float(b), int(c)) for a, b, c in zip(
        columns["shape"], columns["reveal"], columns["sampler_steps"], strict=True)})
    for shape, share, k in keys:
        for split in SPLITS:
            hits = np.stack([columns["extracted"][_select(columns, step=s, shape=shape,
                                                          reveal=share, sampler_steps=k,
                                                          split=split)] for s in steps])
            tau = measure.generation_times(hits, steps)
            n = tau.shape[0]
            for key, value in (("shape", shape), ("reveal", share), ("sampler_steps", k),
                               ("split", split)):
                out[key].append(np.full(n, value))
            out["index"].append(np.arange(n))
            out["extraction_time"].append(tau)
            out["t1"].append(t1[split])
    return {k: np.concatenate(v) for k, v in out.items()}


def _summary(columns: dict, times: dict, steps, completions: int, seed: int) -> dict:
    settings = []
    keys = sorted({(a, float(b), int(c)) for a, b, c in zip(
        times["shape"], times["reveal"], times["sampler_steps"], strict=True)})
    for shape, share, k in keys:
        curve = []
        for step in steps:
            entry = {"step": step}
            for split in SPLITS:
                hits = columns["extracted"][_select(columns, step=step, shape=shape,
                                                    reveal=share, sampler_steps=k, split=split)]
                total = hits.shape[0] * completions
                low, high = wilson_interval(int(hits.sum()), total)
                entry[split] = {"rate": float(hits.sum() / total), "low": float(low),
                                "high": float(high)}
            entry["excess"] = entry["train"]["rate"] - entry["test"]["rate"]
            curve.append(entry)
        rows = _select(times, shape=shape, reveal=share, sampler_steps=k, split="train")
        tau, t1 = times["extraction_time"][rows], times["t1"][rows]
        rho = (measure.spearman_ci(t1, tau, seed=seed, n_boot=300)
               if np.isfinite(tau).any() and not np.all(tau == tau[0]) else (np.nan,) * 3)
        settings.append({"shape": shape, "reveal": share, "sampler_steps": k, "curve": curve,
                         "rho_t1_time": dict(zip(("rho", "low", "high"), rho, strict=True))})
    return {"completions": completions, "steps": list(steps), "settings": settings}
