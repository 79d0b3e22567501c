"""Assemble the per-checkpoint measurements of a run into Parquet tables and a summary."""

from __future__ import annotations

import numpy as np

from slopscope import measure
from slopscope.experiments.findings import finding_a, finding_d
from slopscope.store import read_json, write_json, write_table


def _load_npz(path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def build_tables(run_dir, steps, static, config, seed, source) -> dict:
    """Write tables/{checkpoints,strings,blocks,typicality}.parquet and summary.json."""
    records = [read_json(run_dir / "measurements" / f"step-{s:08d}.json") for s in steps]
    arrays = [_load_npz(run_dir / "measurements" / f"step-{s:08d}.npz") for s in steps]
    tables = run_dir / "tables"
    scalar_names = list(records[0]["scalars"])
    write_table(tables / "checkpoints.parquet", {
        "step": np.array(steps), **{n: np.array([r["scalars"][n] for r in records])
                                    for n in scalar_names}})
    block_rows = [dict(row, step=r["step"]) for r in records for row in r["blocks"]]
    write_table(tables / "blocks.parquet", {k: [row[k] for row in block_rows]
                                            for k in block_rows[0]})
    columns: dict = {"step": [], "split": [], "index": [], "count": [], "nelbo_per_token": []}
    for step, arr in zip(steps, arrays, strict=True):
        for split in ("train", "test"):
            n = arr[f"count_{split}"].shape[0]
            columns["step"].append(np.full(n, step))
            columns["split"].append(np.full(n, split))
            columns["index"].append(np.arange(n))
            columns["count"].append(arr[f"count_{split}"])
            columns["nelbo_per_token"].append(arr.get(f"nelbo_{split}", np.full(n, np.nan)))
    write_table(tables / "strings.parquet", {k: np.concatenate(v) for k, v in columns.items()})
    typ_cols: dict = {}
    for split in ("train", "test"):
        n = static[split]["t1"].shape[0]
        typ_cols.setdefault("split", []).append(np.full(n, split))
        typ_cols.setdefault("index", []).append(np.arange(n))
        for key, value in static[split].items():
            typ_cols.setdefault(key, []).append(value)
    write_table(tables / "typicality.parquet", {k: np.concatenate(v) for k, v in typ_cols.items()})
    summary = _summary(steps, arrays, static, config, seed, records, source)
    write_json(run_dir / "summary.json", summary)
    return summary


def _summary(steps, arrays, static, config, seed, records, source) -> dict:
    """Memorisation times and their typicality correlations, training vs held-out side by side.
    Figures that need a grammar are None (not available) for token data."""
    out = {"name": config.name, "seed": seed, "source": source.kind, "d": source.d,
           "levels": source.levels, "steps": list(steps), "final": records[-1]["scalars"],
           "splits": {}}
    taus = {split: measure.generation_times(np.stack([a[f"count_{split}"] for a in arrays]),
                                            steps) for split in ("train", "test")}
    for split, tau_gen in taus.items():
        entry = {"reproduced_fraction": float(np.isfinite(tau_gen).mean()),
                 "median_generation_time": float(np.median(tau_gen)),  # inf: not reached
                 "generation_time": _correlations(tau_gen, static[split], seed)}
        true_nll = static[split]["true_nll_per_token"]
        if f"nelbo_{split}" in arrays[0] and np.isfinite(true_nll).all():
            nelbo = np.stack([a[f"nelbo_{split}"] for a in arrays])
            tau_lik = measure.likelihood_times(nelbo, true_nll, steps)
            entry["likelihood_flagged_fraction"] = float(np.isfinite(tau_lik).mean())
            entry["likelihood_time"] = _correlations(tau_lik, static[split], seed)
        elif f"nelbo_{split}" in arrays[0]:  # the threshold -log p(x)/d needs a grammar
            entry["likelihood_flagged_fraction"] = entry["likelihood_time"] = None
        out["splits"][split] = entry
    out["delay"] = {"area": measure.memorisation_area(taus["train"], taus["test"], steps),
                    "onset": measure.onset_step(taus["train"], taus["test"], steps)}
    out["entropy"] = source.entropy()
    out["findings"] = {"A": finding_a(taus, static, steps, config.findings, seed),
                       "D": finding_d(records, config.findings)}
    return out


def _correlations(tau, typicality, seed) -> dict:
    """Spearman of each typicality with the memorisation time (negative: typical first); None
    for a typicality that is not available (NaN: needs a grammar)."""
    out = {}
    for name in ("t1", "t1_kgram", "t2", "t3"):
        if np.isnan(typicality[name]).all():
            out[name] = None
            continue
        if np.isfinite(tau).any() and not np.all(tau == tau[0]):
            rho, low, high = measure.spearman_ci(typicality[name], tau, seed=seed, n_boot=300)
        else:
            rho = low = high = float("nan")
        out[name] = {"rho": rho, "low": low, "high": high}
    return out
