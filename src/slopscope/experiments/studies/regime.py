"""The regime study: where a model learns the grammar level by level, where it memorises, and
the window between. A sweep over the training-set size P (x seeds) gives per run the learning
time tau_k of every block size k (most novel generations valid at block size k; k = L: the whole
grammar) and tau_mem (copying begins); this module turns them into a phase diagram, exponents,
per-level thresholds, a window table and the literature's anchors. All rules are fixed here
before any real run:

- Per P, a time's centre is its geometric mean over the seeds that reach it and its band the
  smallest and largest of them; seeds that never reach it are counted as censored. A P whose
  seeds mostly (more than half) never reach a time has that time censored ("not reached").
- Exponents: OLS of log tau on log P over the runs that reach tau, 95 % t-interval; censored runs
  are left out and counted (a censored run at a large P biases the exponent down).
- Per-level threshold: the smallest P at which tau_k < tau_mem (centres; a censored tau_mem is
  later than any tau_k reached).
- Window at P: from tau_L to tau_mem (generalising, not yet copying); its ratio tau_mem / tau_L
  (a lower bound, marked ">", when tau_mem is censored: the last step stands in). At its middle
  (the geometric mean of its ends) the nearest checkpoint's novel full validity and excess
  copies, averaged over seeds.
- Anchors: the tau_mem exponent's interval covers 1; the order tau_1 <= ... <= tau_L holds in
  every run (censored times count as later than any step); the windows open above a threshold
  P (every larger P has one) and widen with P (the ratio does not fall from one P to the next).
"""

from __future__ import annotations

import math

import numpy as np

from slopscope import measure
from slopscope.verdicts import format_interval

KEY = "data.train"
MAJORITY = 0.5  # a P's time is censored when more than this share of its seeds never reach it


def time_centre(values: list[float]) -> dict:
    """Geometric mean, band and censored count of one time over the seeds of one P."""
    done = [v for v in values if v is not None and math.isfinite(v)]
    censored = len(values) - len(done)
    if not done or censored > MAJORITY * len(values):
        return {"centre": math.inf, "low": min(done, default=math.inf),
                "high": max(done, default=math.inf), "censored": censored}
    return {"centre": float(np.exp(np.mean(np.log(done)))), "low": min(done), "high": max(done),
            "censored": censored}


def _exponent(runs: list[dict], time) -> dict:
    """OLS of log tau on log P (runs that reach tau), with a t-interval."""
    done = [r for r in runs if math.isfinite(time(r))]
    fit = measure.linear_fit(np.log([r["P"] for r in done]), np.log([time(r) for r in done])) \
        if done else {"slope": math.nan, "low": math.nan, "high": math.nan}
    exponent = None if not math.isfinite(fit["low"]) else fit["slope"]
    return {"exponent": exponent, "low": fit["low"] if exponent is not None else None,
            "high": fit["high"] if exponent is not None else None, "runs": len(done),
            "censored": len(runs) - len(done),
            "text": (format_interval(fit["slope"], fit["low"], fit["high"], 2, signed=False,
                                     missing="not measurable")
                     + f" over {len(done)} runs ({len(runs) - len(done)} censored)")}


def _at_middle(run: dict, start: float, end: float) -> dict:
    """Novel full validity and excess copies at the checkpoint nearest (in log step) to the
    geometric middle of [start, end]."""
    steps = np.asarray(run["steps"], dtype=float)
    middle = math.sqrt(start * end)
    i = int(np.argmin(np.abs(np.log(steps) - math.log(middle))))
    return {"step": float(steps[i]), "valid": float(run["novel_valid"][i]),
            "excess_copies": float(run["excess_copies"][i])}


def _window(at: list[dict], levels: int, centres: dict) -> dict:
    """The window of one P from the centres of its times and its runs' checkpoints."""
    top, mem = centres[str(levels)]["centre"], centres["mem"]["centre"]
    last = max(r["steps"][-1] for r in at)
    out = {"tau_L": top, "tau_mem": mem, "ratio": None, "ratio_is_bound": False,
           "opens": math.isfinite(top) and top < mem, "middle": None}
    if not out["opens"]:
        return out
    end = mem if math.isfinite(mem) else last
    out.update(ratio=end / top, ratio_is_bound=not math.isfinite(mem))
    middles = [_at_middle(r, top, end) for r in at]
    out["middle"] = {k: float(np.mean([m[k] for m in middles])) for k in middles[0]}
    return out


def _ordered(run: dict, levels: int) -> bool:
    taus = [run["tau"][k] for k in range(1, levels + 1)]
    return all(a <= b for a, b in zip(taus, taus[1:], strict=False))


def regime(runs: list[dict], levels: int) -> dict:
    """The regime figures of a sweep's runs, each {"P", "seed", "tau": {k: tau_k}, "tau_mem",
    "steps", "novel_valid" (novel full validity per checkpoint), "excess_copies"}. The study
    applies it twice: to the pre-registered tau_k (the share of novel generations valid at block
    size k) and to the above-chance tau*_k (onsets "learned"), added after the full run when it
    showed that at the top level of its grammar half of the strings valid below are valid by
    chance."""
    sizes = sorted({r["P"] for r in runs})
    per_p = []
    for size in sizes:
        at = [r for r in runs if r["P"] == size]
        centres = {str(k): time_centre([r["tau"][k] for r in at]) for k in range(1, levels + 1)}
        centres["mem"] = time_centre([r["tau_mem"] for r in at])
        per_p.append({"P": size, "seeds": len(at), "times": centres,
                      "window": _window(at, levels, centres)})
    fits = {"mem": _exponent(runs, lambda r: r["tau_mem"]),
            **{str(k): _exponent(runs, lambda r, k=k: r["tau"][k])
               for k in range(1, levels + 1)}}
    thresholds = {}
    for k in range(1, levels + 1):
        below = [p["P"] for p in per_p
                 if p["times"][str(k)]["centre"] < p["times"]["mem"]["centre"]]
        thresholds[str(k)] = min(below) if below else None
    return {"levels": levels, "sizes": sizes, "per_p": per_p, "fits": fits,
            "thresholds": thresholds, "anchors": _anchors(runs, levels, per_p, fits["mem"])}


def _anchors(runs, levels, per_p, mem_fit) -> dict:
    """The literature's regime, point by point: holds / does not hold / not measurable."""
    if mem_fit["exponent"] is None:
        linear = {"verdict": "not measurable", "text": f"tau_mem exponent {mem_fit['text']}"}
    else:
        inside = mem_fit["low"] <= 1 <= mem_fit["high"]
        linear = {"verdict": "holds" if inside else "does not hold",
                  "text": f"tau_mem ~ P^{mem_fit['text']}: exponent 1 "
                          f"{'inside' if inside else 'outside'} the interval"}
    ordered = sum(_ordered(r, levels) for r in runs)
    order = {"verdict": "holds" if ordered == len(runs) else "does not hold",
             "text": f"tau_1 <= ... <= tau_{levels} in {ordered} of {len(runs)} runs"}
    opens = [p["window"]["opens"] for p in per_p]
    first = next((i for i, o in enumerate(opens) if o), None)
    if first is None:
        window = {"verdict": "does not hold", "text": "no P has a window", "threshold": None}
    else:
        closed_above = all(opens[first:])
        ratios = [p["window"]["ratio"] for p in per_p[first:]]
        widens = all(b >= a for a, b in zip(ratios, ratios[1:], strict=False))
        window = {"verdict": "holds" if closed_above and widens else "does not hold",
                  "threshold": per_p[first]["P"],
                  "text": (f"windows from P = {per_p[first]['P']}"
                           + ("" if closed_above else " but not at every larger P")
                           + (", widening with P" if widens else ", not widening with P")
                           + " (ratios " + ", ".join(f"{r:.2g}" for r in ratios) + ")")}
    return {"tau_mem_linear": linear, "hierarchical_order": order, "window": window}


# ---- the study: a sweep over P, then its regime -------------------------------------------------

SWEEP = "regime"  # the shipped sweep preset (experiments/presets/sweeps/regime.toml)
QUICK = {"seeds": [0], "overrides": ["train.steps=600", "train.checkpoints=6",
                                     "measure.generations=300"]}


def regime_runs(sweep_dir) -> list[dict]:
    """The run records `regime` needs, from a finished sweep over data.train."""
    from pathlib import Path

    from slopscope.experiments.verdicts.sweep_rules import finished_runs
    from slopscope.saved_config import read_saved_config
    from slopscope.store import read_columns, read_json

    out = []
    for row, values, summary in finished_runs(sweep_dir):
        taus = summary.tau_levels
        if taus is None:  # token data, or measured before per-level times
            continue
        table = read_columns(Path(row["run_dir"]) / "tables" / "checkpoints.parquet")
        done = Path(row["run_dir"]) / "done.json"  # the run's own wall time
        saved = read_saved_config(row["run_dir"])
        out.append({"P": values[KEY], "seed": row["seed"], "tau": taus,
                    "tau_learned": summary.tau_learned,
                    "seconds": read_json(done).get("seconds") if done.is_file() else None,
                    "tau_mem": summary.tau_mem, "steps": [int(s) for s in table["step"]],
                    "novel_valid": [float(v) for v in table[f"novel_valid_k{summary.levels}"]],
                    "excess_copies": [float(v) for v in table["excess_copy_fraction"]],
                    "levels": summary.levels, "model": saved.config["model"],
                    "family": saved.family})
    return out


def default_page(quick: bool) -> str:
    """Where `slopscope regime` writes its page when no --out is given."""
    return "results/regime-quick" if quick else "results/regime"


def regime_command(sweep: str, out, quick: bool) -> str:
    """The command line that regenerates a regime page (defaults left out)."""
    from pathlib import Path

    return " ".join(["slopscope regime", *([str(sweep)] if str(sweep) != SWEEP else []),
                     *(["--out", str(out)] if Path(out) != Path(default_page(quick)) else []),
                     *(["--quick"] if quick else [])])


def run_regime(out, execution=None, quick: bool = False, sweep: str = SWEEP, report=print):
    """Run (or resume) the regime sweep and write <out>/regime.json; returns its path."""
    import time
    from pathlib import Path

    from slopscope.errors import SlopscopeError
    from slopscope.experiments.sweeps.sweep import grid_points, read_sweep, run_sweep
    from slopscope.store import atomic_write_text, write_json
    from slopscope.toml_text import to_toml

    began = time.perf_counter()
    spec = dict(read_sweep(sweep))
    if not all(KEY in dict(point) for point in grid_points(spec)):
        raise SlopscopeError(f"regime sweep {sweep!r} does not set {KEY} at every grid point; "
                             f"allowed: a sweep whose grid (or points) varies {KEY}")
    spec["name"] = f"{spec.get('name', Path(str(sweep)).stem)}{'-quick' if quick else ''}"
    if quick:
        spec = {**spec, "seeds": QUICK["seeds"],
                "overrides": [*spec.get("overrides", []), *QUICK["overrides"]]}
    sweep_file = Path(out) / "sweep.toml"
    atomic_write_text(sweep_file, to_toml(spec) + "\n")
    sweep_dir = run_sweep(sweep_file, execution, report=report)
    runs = regime_runs(sweep_dir)
    if not runs:
        raise SlopscopeError(f"the regime sweep {sweep_dir} gave no runs with learning times")
    found = regime(runs, runs[0]["levels"])
    learned = [{**r, "tau": r["tau_learned"]} for r in runs if r["tau_learned"] is not None]
    above = regime(learned, runs[0]["levels"]) if len(learned) == len(runs) else None
    path = Path(out) / "regime.json"
    write_json(path, {**found, "above_chance": above, "quick": quick, "sweep": spec,
                      "command": regime_command(sweep, out, quick),
                      "sweep_dir": str(sweep_dir), "runs": runs,
                      "seconds": time.perf_counter() - began,
                      "run_seconds": sum(r["seconds"] or 0.0 for r in runs)})
    return path
