"""`slopscope counterfactual`: K models (default 8) trained on seeded halves of one pool, and
each pool sample's counterfactual memorisation: its figure under the models that trained on it
minus under the models that did not (slopscope.measure.counterfactual). No held-out split is
needed, so this answers finding A a second way, free of the held-out control's confounds.

The pool is the 2P strings a run of the configuration would split into P training and P
held-out strings (`data.test` is set to `data.train`). The K models are the grid points
`data.half = 0..K-1` of one sweep with a single seed: they share the grammar, the pool, the
initialisation and the sampling noise, and differ only in their training half (models 2j and
2j + 1 train on complementary halves, so every sample is in training for exactly K / 2 models).

Written into the sweep directory:
    counterfactual.parquet  step x pool sample: cf_reproduced (generated at that checkpoint, in
                            minus out), cf_rate (the share of the G generations that are the
                            sample, in minus out), cf_nelbo (NELBO per token, out minus in),
                            each with a Welch interval over models; cf_area (cf_reproduced
                            averaged over the log-spaced checkpoints); t1, t1_kgram, t3 (mean
                            over the in-models)
    counterfactual.json     agreement of disjoint-half pairs per step, membership inference per
                            step with the other models as reference (LiRA), Spearman of cf_area
                            with each typicality, and the held-out-free verdict on A
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.errors import SlopscopeError, check_int
from slopscope.experiments.config.schema import load_config
from slopscope.experiments.run.sources import load_data
from slopscope.experiments.sweeps.executors import Execution
from slopscope.experiments.sweeps.sweep import run_sweep
from slopscope.measure.counterfactual import counterfactual_scores, pair_agreement
from slopscope.rows import row_keys
from slopscope.saved_config import read_saved_config
from slopscope.store import (
    atomic_write_text,
    load_array,
    read_columns,
    read_table,
    write_json,
    write_table,
)
from slopscope.summary import read_summary
from slopscope.toml_text import to_toml
from slopscope.verdicts import format_interval

TYPICALITIES = ("t1", "t1_kgram", "t3")
NELBO_CAP = 100.0  # nats per token: a string a model cannot generate (NELBO inf) counts as this
RULE = ("Spearman of T1 with cf_area (the counterfactual reproduction averaged over "
        "checkpoints), 95 % bootstrap interval over samples; holds when above 0")


def counterfactual_sweep(source: str, overrides=(), models: int = 8, seed: int = 0) -> dict:
    """The sweep of K half-pool models of a preset or TOML file."""
    check_int("models", models, minimum=2)
    if models % 2:
        raise SlopscopeError(f"--models {models}; allowed: an even number >= 2 (complementary "
                             "pairs of halves)")
    config = load_config(source, list(overrides))
    overrides = [*overrides, f"data.test={config.data.train}"]
    return {"base": str(source), "overrides": overrides, "seeds": [int(seed)],
            "grid": {"data.half": list(range(models))}, "name": f"{config.name}-cf"}


def run_counterfactual(source: str, overrides=(), models: int = 8, seed: int = 0,
                       execution: Execution | None = None, report=print) -> Path:
    """Train (or resume) the K models and write the counterfactual tables; returns the sweep
    directory."""
    sweep = counterfactual_sweep(source, overrides, models, seed)
    execution = execution or Execution()
    path = execution.runs_dir / "counterfactual" / f"{sweep['name']}.toml"
    atomic_write_text(path, to_toml(sweep) + "\n")
    sweep_dir = run_sweep(path, execution, report=report)
    analyse(sweep_dir, seed)
    return sweep_dir


def _model_runs(sweep_dir: Path, seed: int | None = None) -> list[Path]:
    """The runs of the sweep (of one seed, when the sweep holds several), in half order."""
    index = [r for r in read_table(sweep_dir / "index.parquet").to_pylist()
             if seed is None or r["seed"] == seed]
    failed = [r for r in index if r.get("error") or not r["run_dir"]]
    if failed:
        raise SlopscopeError(f"{sweep_dir}: {len(failed)} of {len(index)} models failed; run "
                             "the command again to resume them")
    return [Path(r["run_dir"]) for r in sorted(index, key=lambda r: json.loads(r["data.half"]))]


def _pool_position(pool_keys_sorted, order, strings, run) -> np.ndarray:
    """Pool index of each string (the pool of the first model; every model's split is a cut
    of the same pool, or the models are not counterfactual partners)."""
    keys = row_keys(strings)
    at = np.minimum(np.searchsorted(pool_keys_sorted, keys), pool_keys_sorted.shape[0] - 1)
    if not np.array_equal(pool_keys_sorted[at], keys):
        raise SlopscopeError(f"{run} holds strings outside the pool of the first model: not a "
                             "half of the same pool")
    return order[at]


def load_models(sweep_dir, seed: int | None = None) -> dict:
    """Per model k and pool sample i: member[k, i], reproduced[k, c, i] (generated at
    checkpoint c), rate[k, c, i] (its share of the generations), nelbo[k, c, i] (per token),
    the typicalities, steps and run directories."""
    runs = _model_runs(Path(sweep_dir), seed)
    _, train, test = load_data(runs[0])
    pool = np.concatenate([train, test])
    keys = row_keys(pool)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    steps = read_summary(runs[0]).steps
    K, C, N = len(runs), len(steps), pool.shape[0]
    out = {"member": np.zeros((K, N), bool), "reproduced": np.zeros((K, C, N)),
           "rate": np.zeros((K, C, N)),
           "nelbo": np.full((K, C, N), np.nan), "steps": steps, "runs": runs, "pool": N,
           **{name: np.full((K, N), np.nan) for name in TYPICALITIES}}
    for k, run in enumerate(runs):
        _, train_k, test_k = load_data(run)
        generations = read_saved_config(run).generations
        where = {"train": _pool_position(keys, order, train_k, run),
                 "test": _pool_position(keys, order, test_k, run)}
        out["member"][k, where["train"]] = True
        strings, typ = read_columns(run / "tables" / "strings.parquet"), \
            read_columns(run / "tables" / "typicality.parquet")
        for split, at in where.items():
            rows = typ["split"] == split
            for name in TYPICALITIES:
                out[name][k, at[typ["index"][rows]]] = typ[name][rows]
            for c, step in enumerate(steps):
                sel = (strings["split"] == split) & (strings["step"] == step)
                i = at[strings["index"][sel]]
                out["reproduced"][k, c, i] = strings["count"][sel] > 0
                out["rate"][k, c, i] = strings["count"][sel] / generations
                out["nelbo"][k, c, i] = strings["nelbo_per_token"][sel]
    return out


def analyse(sweep_dir, seed: int = 0) -> dict:
    """Write counterfactual.parquet and counterfactual.json of a finished sweep; returns the
    latter's content."""
    sweep_dir = Path(sweep_dir)
    m = load_models(sweep_dir)
    member, steps, N = m["member"], m["steps"], m["pool"]
    typical, area = _typical_and_area(m)
    columns: dict = {}
    for c, step in enumerate(steps):
        rep = counterfactual_scores(m["reproduced"][:, c], member)
        rate = counterfactual_scores(m["rate"][:, c], member)
        nll = counterfactual_scores(-m["nelbo"][:, c], member)
        block = {"step": np.full(N, step), "index": np.arange(N),
                 **_named("cf_reproduced", rep), **_named("cf_rate", rate),
                 **_named("cf_nelbo", nll), **_named("cf_area", area), **typical}
        for key, value in block.items():
            columns.setdefault(key, []).append(np.asarray(value))
    write_table(sweep_dir / "counterfactual.parquet",
                {k: np.concatenate(v) for k, v in columns.items()})
    found = {"models": len(m["runs"]), "pool": N, "steps": steps,
             "agreement": _agreement(m["runs"], steps),
             "membership": _lira(m["nelbo"], member, steps),
             "correlations": _correlations(area[0], typical, seed),
             "finding_a": _verdict(area[0], typical["t1"], seed)}
    write_json(sweep_dir / "counterfactual.json", found)
    return found


def _typical_and_area(m: dict):
    """Typicalities (mean over the in-models) and the counterfactual reproduction area."""
    member = m["member"]
    typical = {name: np.where(member, m[name], 0.0).sum(0) / member.sum(0)
               for name in TYPICALITIES}
    return typical, counterfactual_scores(m["reproduced"].mean(axis=1), member)


def held_out_free_a(sweep_dir, seed: int) -> dict:
    """The verdict on A of the models of one seed of a counterfactual sweep (no tables written:
    the calibration judges many seeds of one sweep)."""
    typical, area = _typical_and_area(load_models(sweep_dir, seed))
    return _verdict(area[0], typical["t1"], seed)


def _lira(nelbo, member, steps) -> list[dict] | None:
    """Per step, membership inference on each model with the others as reference models (LiRA):
    AUC and TPR at 1 % / 0.1 % FPR of its own training half against the other half, mean (and
    min, max of the AUC) over target models; `loss_auc`: the same with the plain -NELBO score.
    A NELBO above NELBO_CAP nats per token (a string the model cannot generate) counts as the
    cap. None when the likelihood was not measured, or with fewer than 4 models (each sample
    then lacks a reference model on one side)."""
    if np.isnan(nelbo).any() or member.shape[0] < 4:
        return None
    score = -np.minimum(nelbo, NELBO_CAP)
    models = member.shape[0]
    out = []
    for c, step in enumerate(steps):
        lira, loss = [], []
        for k in range(models):
            others = np.arange(models) != k
            ratio = measure.lira_scores(score[k, c], score[others, c], member[others])
            lira.append(measure.membership_columns(ratio[member[k]], ratio[~member[k]]))
            loss.append(measure.auc_delong(score[k, c][member[k]], score[k, c][~member[k]])[0])
        aucs = [x["mia_auc"] for x in lira]
        out.append({"step": step, "lira_auc": float(np.mean(aucs)),
                    "lira_auc_min": float(np.min(aucs)), "lira_auc_max": float(np.max(aucs)),
                    **{key.replace("mia_", "lira_"): float(np.mean([x[key] for x in lira]))
                       for key in lira[0] if key.startswith("mia_tpr")},
                    "loss_auc": float(np.mean(loss))})
    return out


def _named(name: str, interval) -> dict:
    """(score, low, high) as the columns name, name_low, name_high."""
    return dict(zip((name, f"{name}_low", f"{name}_high"), interval, strict=True))


def _agreement(runs, steps) -> list[dict]:
    """Per step: share of identical generations of the disjoint-half pairs (2j, 2j + 1), which
    sample with the same noise (mean, min and max over pairs)."""
    out = []
    for step in steps:
        pairs = [pair_agreement(load_array(runs[j] / "generations" / f"step-{step:08d}.npy"),
                                load_array(runs[j + 1] / "generations" / f"step-{step:08d}.npy"))
                 for j in range(0, len(runs) - 1, 2)]
        out.append({"step": step, "mean": float(np.mean(pairs)), "min": float(np.min(pairs)),
                    "max": float(np.max(pairs))})
    return out


def _correlations(score, typical: dict, seed: int) -> dict:
    out = {}
    for name, values in typical.items():
        if np.isnan(values).all() or np.all(score == score[0]):
            out[name] = None
            continue
        rho, low, high = measure.spearman_ci(values, score, seed=seed, n_boot=500)
        out[name] = {"rho": rho, "low": low, "high": high}
    return out


def _verdict(score, t1, seed: int) -> dict:
    """A without a held-out split: more typical samples (T1) have a larger counterfactual
    reproduction area. The rule is fixed here, before any real run."""
    if np.all(score == score[0]):
        return {"verdict": "not measurable", "rule": RULE,
                "measured": "no sample differs in counterfactual reproduction"}
    rho, low, high = measure.spearman_ci(t1, score, seed=seed, n_boot=500)
    return {"verdict": "holds" if low > 0 else "not shown", "rule": RULE, "statistic": rho,
            "low": low, "high": high,
            "measured": f"Spearman(T1, cf_area) = {format_interval(rho, low, high)}"}
