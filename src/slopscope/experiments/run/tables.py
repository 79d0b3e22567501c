"""Assemble the per-checkpoint measurements of a run into Parquet tables and a summary: every
figure the report shows is written here once, so the report only reads.

    tables/checkpoints.parquet  step + every checkpoint scalar + membership inference (mia_*)
    tables/blocks.parquet       step, unit (block | rule), size, width + block and slop figures
    tables/strings.parquet      step, split, index, count (copies generated), nelbo_per_token
    tables/typicality.parquet   split, index, t1, t1_<size>..., t1_kgram, t2, t3, true_nll
    tables/times.parquet        split, index, generation_time, likelihood_time (inf: not yet)
    tables/quintiles.parquet    split, typicality (A's primary score), quintile (its group:
                                1 = least typical; fifths of the score pooled over both
                                splits, or one per value when it has at most 5), size, step,
                                fraction reproduced by that step, Wilson low/high
    tables/neighbours.parquet   step (-1: held-out strings), distance, fraction
    tables/examples.parquet     decoded example strings (slopscope.experiments.run.examples)
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.errors import SlopscopeError
from slopscope.experiments.run.examples import example_rows
from slopscope.experiments.verdicts import RunEvidence, run_verdicts
from slopscope.store import load_array, read_json, write_table
from slopscope.summary import SPLITS, RunSummary, SplitSummary, write_summary
from slopscope.verdicts import BY_NAME

RULE_SHARE = 0.5  # tau_rule: the share of generations valid at every level ("most")
# tau_k, the learning time of block size k: the share of novel generations valid at block size k
# (fixed before any regime run: "most novel generations")
LEVEL_SHARE = 0.5


def _load_npz(path) -> dict:
    """A checkpoint's measured arrays, or one line naming a damaged file and what to do."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise SlopscopeError(f"{path} is damaged ({type(exc).__name__}); allowed: measure the "
                             f"run again: slopscope measure --force {Path(path).parents[1]}"
                             ) from None


def build_tables(run_dir, steps, static, config, seed, source, train, test) -> RunSummary:
    """Write the tables listed above and summary.json."""
    records = [read_json(run_dir / "measurements" / f"step-{s:08d}.json") for s in steps]
    arrays = [_load_npz(run_dir / "measurements" / f"step-{s:08d}.npz") for s in steps]
    tables = run_dir / "tables"
    scalar_names = list(dict.fromkeys(n for r in records for n in r["scalars"]))
    membership = [_membership(a, static) for a in arrays]
    learned = _learned(records, source)
    write_table(tables / "checkpoints.parquet", {
        "step": np.array(steps), **{n: np.array([r["scalars"].get(n, np.nan) for r in records])
                                    for n in scalar_names},
        **learned, **{n: np.array([m[n] for m in membership]) for n in membership[0]}})
    block_rows = [dict(row, step=r["step"]) for r in records for row in r["blocks"]]
    write_table(tables / "blocks.parquet", {k: [row[k] for row in block_rows]
                                            for k in block_rows[0]})
    _string_tables(tables, steps, arrays, static)
    taus = {split: measure.generation_times(np.stack([a[f"count_{split}"] for a in arrays]),
                                            steps) for split in SPLITS}
    likelihood = {split: _likelihood_times(arrays, static[split], split, steps)
                  for split in SPLITS}
    _time_tables(tables, steps, taus, likelihood, static, _a_score(config, static))
    write_table(tables / "neighbours.parquet", _neighbour_columns(steps, records, static))
    last = load_array(run_dir / "generations" / f"step-{steps[-1]:08d}.npy")
    write_table(tables / "examples.parquet", example_rows(
        source, train, test, taus["train"], static["train"]["t1"], arrays[-1]["count_train"],
        last))
    onsets = _onsets(records, steps, config.findings, source.levels, learned)
    findings = run_verdicts(RunEvidence(taus, static, list(steps), records, config.findings,
                                        seed, onsets))
    summary = RunSummary(
        name=config.name, seed=seed, source=source.kind, d=source.d, levels=source.levels,
        steps=list(steps), final=records[-1]["scalars"],
        splits={split: _split_summary(taus[split], likelihood[split], static[split], seed)
                for split in SPLITS},
        delay={"area": measure.memorisation_area(taus["train"], taus["test"], steps),
               "onset": measure.onset_step(taus["train"], taus["test"], steps)},
        onsets=onsets, entropy=source.entropy(),
        findings=findings, revisions={name: BY_NAME[name].revision for name in findings})
    write_summary(run_dir, summary)
    return summary


def _string_tables(tables, steps, arrays, static) -> None:
    """strings.parquet (copies and NELBO per string and checkpoint) and typicality.parquet."""
    columns: dict = {"step": [], "split": [], "index": [], "count": [], "nelbo_per_token": []}
    for step, arr in zip(steps, arrays, strict=True):
        for split in SPLITS:
            n = arr[f"count_{split}"].shape[0]
            columns["step"].append(np.full(n, step))
            columns["split"].append(np.full(n, split))
            columns["index"].append(np.arange(n))
            columns["count"].append(arr[f"count_{split}"])
            columns["nelbo_per_token"].append(arr.get(f"nelbo_{split}", np.full(n, np.nan)))
    write_table(tables / "strings.parquet", {k: np.concatenate(v) for k, v in columns.items()})
    typ_cols: dict = {}
    for split in SPLITS:
        n = static[split]["t1"].shape[0]
        typ_cols.setdefault("split", []).append(np.full(n, split))
        typ_cols.setdefault("index", []).append(np.arange(n))
        for key, value in static[split].items():
            typ_cols.setdefault(key, []).append(value)
    write_table(tables / "typicality.parquet", {k: np.concatenate(v) for k, v in typ_cols.items()})


def _membership(arrays: dict, static: dict) -> dict:
    """Membership inference at one checkpoint, training (members) against held-out strings:
    mia_* scores a string by minus its NELBO per token; mia_ref_* by the log likelihood ratio
    against the grammar itself (true NLL - NELBO per token: the perfect generaliser as the
    reference model, which removes how probable a string is anyway). NaN columns when the
    likelihood was not measured, or (mia_ref_*) without a grammar."""
    missing = np.full(1, np.nan)
    score = {split: -arrays.get(f"nelbo_{split}", missing) for split in SPLITS}
    ratio = {split: score[split] + static[split]["true_nll_per_token"] for split in SPLITS}
    return {**measure.membership_columns(score["train"], score["test"]),
            **measure.membership_columns(ratio["train"], ratio["test"], prefix="mia_ref")}


def _learned(records, source) -> dict:
    """`novel_learned_k<k>` per checkpoint, k = 1..L: how much of block size k the novel
    generations have learned beyond chance (measure.above_chance); {} without a grammar or
    per-level validity."""
    names = [f"novel_valid_k{k}" for k in range(1, source.levels + 1)]
    if not names or not all(n in records[0]["scalars"] for n in names):
        return {}
    valid = np.array([[np.nan if r["scalars"][n] is None else r["scalars"][n] for n in names]
                      for r in records], dtype=np.float64)
    learned = measure.above_chance(valid, source.level_chance())
    return {f"novel_learned_k{k}": learned[:, k - 1] for k in range(1, source.levels + 1)}


def _onsets(records, steps, findings, levels: int, learned: dict) -> dict:
    """tau_mem: the step at which the excess copy fraction of generations reaches D's copy gate
    (copying begins); tau_rule: the step at which most generations (RULE_SHARE) are valid at
    every rule level (None without a grammar); "levels": {k: tau_k} for block sizes k = 1..L,
    the step at which LEVEL_SHARE of the novel generations are valid at block size k (absent
    without a grammar); "learned": {k: tau*_k}, the step at which block size k is learned
    LEVEL_SHARE of the way from chance to every block valid (`novel_learned_k<k>`: the learning
    time of rule level L - k + 1 proper, since at the top level of a grammar with m / v = 1/2
    half of the strings valid below are valid by chance); all interpolated in log step, inf
    (saved as null): not within the run."""
    def scalar(name):
        return [np.nan if r["scalars"].get(name) is None else r["scalars"][name] for r in records]

    valid = scalar("valid")
    out = {"memorisation": measure.crossing_step(scalar("excess_copy_fraction"), steps,
                                                 findings.d_copy_gate),
           "rule": (None if np.isnan(valid).all()
                    else measure.crossing_step(valid, steps, RULE_SHARE))}
    if levels and all(f"novel_valid_k{k}" in records[0]["scalars"] for k in range(1, levels + 1)):
        out["levels"] = {str(k): measure.crossing_step(scalar(f"novel_valid_k{k}"), steps,
                                                       LEVEL_SHARE)
                         for k in range(1, levels + 1)}
    if learned:
        out["learned"] = {str(k): measure.crossing_step(learned[f"novel_learned_k{k}"], steps,
                                                        LEVEL_SHARE)
                          for k in range(1, levels + 1)}
    return out


def _likelihood_times(arrays, typicality: dict, split: str, steps):
    """First step whose NELBO falls below the true loss (None: not measured, or no grammar)."""
    true_nll = typicality["true_nll_per_token"]
    if f"nelbo_{split}" not in arrays[0] or not np.isfinite(true_nll).all():
        return None
    nelbo = np.stack([a[f"nelbo_{split}"] for a in arrays])
    return measure.likelihood_times(nelbo, true_nll, steps)


def _split_summary(tau_gen, tau_lik, typicality, seed) -> SplitSummary:
    """Memorisation times and their typicality correlations. Likelihood figures are None when
    not measured or not available (token data: the threshold -log p(x)/d needs a grammar)."""
    return SplitSummary(
        reproduced_fraction=float(np.isfinite(tau_gen).mean()),
        median_generation_time=float(np.median(tau_gen)),  # inf: not reached
        generation_time=_correlations(tau_gen, typicality, seed),
        likelihood_flagged_fraction=(None if tau_lik is None
                                     else float(np.isfinite(tau_lik).mean())),
        likelihood_time=None if tau_lik is None else _correlations(tau_lik, typicality, seed))


def _a_score(config, static) -> str:
    """The typicality finding A judges by (T1 when the data have no such score)."""
    name = config.findings.a_typicality
    usable = all(name in static[split] and np.isfinite(static[split][name]).all()
                 for split in SPLITS)
    return name if usable else "t1"


def _time_tables(tables, steps, taus: dict, likelihood: dict, static: dict, score: str) -> None:
    """times.parquet (per string) and quintiles.parquet (reproduced fraction by the groups of
    A's score that A compares)."""
    times: dict = {"split": [], "index": [], "generation_time": [], "likelihood_time": []}
    curves: dict = {"split": [], "typicality": [], "quintile": [], "size": [], "step": [],
                    "fraction": [], "low": [], "high": []}
    grouped, _ = measure.curves_by_score_group(
        taus, {split: static[split][score] for split in SPLITS}, steps)
    for split in SPLITS:
        n = taus[split].shape[0]
        times["split"].append(np.full(n, split))
        times["index"].append(np.arange(n))
        times["generation_time"].append(taus[split])
        lik = likelihood[split]
        times["likelihood_time"].append(np.full(n, np.nan) if lik is None else lik)
        for curve in grouped[split]:
            k = len(curve["step"])
            curves["split"].append(np.full(k, split))
            curves["typicality"].append(np.full(k, score))
            curves["quintile"].append(np.full(k, curve["group"] + 1))
            curves["size"].append(np.full(k, curve["size"]))
            for key in ("step", "fraction", "low", "high"):
                curves[key].append(np.asarray(curve[key], dtype=float))
    write_table(tables / "times.parquet", {k: np.concatenate(v) for k, v in times.items()})
    write_table(tables / "quintiles.parquet", {k: np.concatenate(v) for k, v in curves.items()})


def _neighbour_columns(steps, records, static) -> dict:
    """Nearest-neighbour distance histograms: generations at each step, held-out strings (-1)."""
    hists = [(step, np.asarray(r["nn_hist"])) for step, r in zip(steps, records, strict=True)]
    hists.append((-1, np.asarray(static["heldout_nn_hist"])))
    return {"step": np.concatenate([np.full(h.shape[0], s) for s, h in hists]),
            "distance": np.concatenate([np.arange(h.shape[0]) for _, h in hists]),
            "fraction": np.concatenate([h for _, h in hists]).astype(float)}


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
