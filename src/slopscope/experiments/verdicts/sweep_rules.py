"""The rules of the sweep findings (slopscope.verdicts registry, scope "sweep"): E1, B and C,
each a function of a sweep's run records returning a Verdict (the sweep report only displays
it); a finding judges a sweep that varies its `compares` grid key. Each run contributes its
delay statistic, the area under its excess-reproduced curve over log step (`summary.json`
"delay"."area"; larger = memorised more and earlier; robust to censoring). A seed varies
grammar, split and initialisation.

- E1 (larger training sets are memorised later): OLS slope of the area on log P (`data.train`)
  over all runs, with a Student-t 95 % interval; holds when the interval lies below 0.
- B (fat tails delay memorisation): OLS slope of the area on log a (`grammar.zipf_a`; smaller a =
  fatter tail); holds when the interval lies above 0.
- C (a top-level tail delays more than a bottom-level one): runs with `grammar.zipf_levels` = [1]
  (top arm) and [L] (bottom arm), paired by seed; mean of area(bottom) - area(top) with a
  Student-t interval; holds when above 0. The arms must have matched string entropy (within 1 %),
  else the comparison is confounded and the verdict is "not measurable".
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.experiments.config.schema import FindingsConfig
from slopscope.experiments.verdicts.run_rules import NOT_MEASURABLE
from slopscope.experiments.verdicts.scaling import memorisation_scaling
from slopscope.saved_config import read_saved_config
from slopscope.store import read_table
from slopscope.summary import has_summary, read_summary
from slopscope.verdicts import SWEEP, Verdict, format_interval, judge, of_scope

ENTROPY_TOLERANCE = 0.01


def finished_runs(sweep_dir):
    """(index row, grid values, RunSummary) of every finished run of a sweep."""
    for row in read_table(Path(sweep_dir) / "index.parquet").to_pylist():
        if row["run_dir"] and has_summary(row["run_dir"]):
            values = {k: json.loads(v) for k, v in row.items() if "." in k and v is not None}
            yield row, values, read_summary(row["run_dir"])


def sweep_runs(sweep_dir) -> list[dict]:
    """Grid values, seed, delay area and grammar entropy of every finished run of a sweep (runs
    measured before delay statistics existed are left out: slopscope measure them)."""
    return [run_record(values, row["seed"], s) for row, values, s in finished_runs(sweep_dir)
            if s.delay_area is not None]


def run_record(values: dict, seed: int, summary) -> dict:
    """What the sweep findings need of one run: its grid values, seed, delay area, entropy and
    onsets."""
    return {"values": values, "seed": seed, "area": summary.delay_area,
            "entropy": summary.entropy, "tau_mem": summary.tau_mem, "tau_rule": summary.tau_rule}


def _directed(fit: dict, sign: int) -> str:
    """holds when the slope's interval lies on the side `sign` of 0."""
    if sign > 0:
        return judge(fit["slope"], fit["low"], fit["high"])
    return judge(-fit["slope"], -fit["high"], -fit["low"])


def _trend(runs, key: str, sign: int, name: str) -> Verdict:
    x = np.array([r["values"][key] for r in runs], dtype=float)
    y = np.array([r["area"] for r in runs], dtype=float)
    rule = (f"OLS slope of the delay area on log {key} over runs, 95 % t-interval; holds when "
            f"{'above' if sign > 0 else 'below'} 0")
    if np.unique(x).size < 2 or len(runs) < 3 or np.any(x <= 0):
        return Verdict.make(NOT_MEASURABLE, measured=f"{name}: too few runs or grid values",
                            rule=rule)
    fit = measure.linear_fit(np.log(x), y)
    points = ", ".join(f"{v:g}: {y[x == v].mean():+.3f}" for v in np.unique(x))
    text = (f"slope {format_interval(fit['slope'], fit['low'], fit['high'], 4)} per unit of "
            f"log {key} over {len(runs)} runs (mean area per value: {points})")
    return Verdict.make(_directed(fit, sign), fit["slope"], fit["low"], fit["high"], text, rule,
                        runs=len(runs), values=sorted(set(x.tolist())))


def size_delay(runs, settings=None) -> Verdict:
    """E1: the delay area falls with log P, and the exponent of tau_mem against P."""
    found = _trend(runs, "data.train", -1, "E1")
    return dataclasses.replace(found, details={**found.details,
                                               "scaling": memorisation_scaling(runs)})


def fat_tail_delay(runs, settings=None) -> Verdict:
    """B: the delay area rises with log a (a smaller a, a fatter tail, delays)."""
    return _trend(runs, "grammar.zipf_a", +1, "B")


def top_vs_bottom(runs, settings=None) -> Verdict:
    """C: paired by seed, the bottom-level arm minus the top-level arm, at matched entropy."""
    rule = ("mean over seeds of area(bottom-level tail) - area(top-level tail), 95 % t-interval, "
            f"arms matched in string entropy within {ENTROPY_TOLERANCE:.0%}")
    arms: dict = {}
    for r in runs:
        levels = r["values"]["grammar.zipf_levels"]
        if isinstance(levels, list) and len(levels) == 1:
            arms.setdefault(levels[0], {})[r["seed"]] = r
    if len(arms) < 2:
        return Verdict.make(NOT_MEASURABLE, measured="needs zipf_levels = [1] and [L] runs",
                            rule=rule)
    top, bottom = arms[min(arms)], arms[max(arms)]
    seeds = sorted(set(top) & set(bottom))
    if any(r["entropy"] is None for arm in (top, bottom) for r in arm.values()):
        return Verdict.make(NOT_MEASURABLE, measured="the arms' entropies are not known",
                            rule=rule)
    entropy = {name: float(np.mean([a[s]["entropy"] for s in a])) for name, a in
               (("top", top), ("bottom", bottom))}
    gap = abs(entropy["top"] - entropy["bottom"]) / max(entropy.values())
    arm_text = (f"H(top arm) {entropy['top']:.3f}, H(bottom arm) {entropy['bottom']:.3f} nats "
                f"({gap:.1%} apart)")
    if gap > ENTROPY_TOLERANCE:
        return Verdict.make(NOT_MEASURABLE, measured=f"arms not matched in entropy: {arm_text}",
                            rule=rule, entropy=entropy)
    diffs = [bottom[s]["area"] - top[s]["area"] for s in seeds]
    if len(diffs) < 2:
        return Verdict.make(NOT_MEASURABLE, measured=f"{len(diffs)} paired seed(s); {arm_text}",
                            rule=rule, entropy=entropy)
    mean, low, high = measure.mean_ci(diffs)
    text = (f"area(bottom) - area(top) {format_interval(mean, low, high)} over {len(diffs)} "
            f"seeds; {arm_text}")
    return Verdict.of(mean, low, high, text, rule, entropy=entropy, runs=2 * len(diffs))


def sweep_findings(runs: list[dict], settings: FindingsConfig | None = None) -> dict:
    """{finding name: Verdict} of the sweep findings that judge a sweep varying these grid keys
    (slopscope.verdicts.Finding.applies_to); each rule reads the runs' records and the findings'
    settings (`settings`, default: the defaults)."""
    from slopscope.experiments.verdicts import rule_of

    settings = settings or FindingsConfig()
    varied = {k for r in runs for k in r["values"]}
    return {f.name: rule_of(f)(runs, settings) for f in of_scope(SWEEP)
            if f.applies_to(varied)}


def run_settings(run_dir) -> FindingsConfig:
    """The findings' settings saved with a run (defaults for keys it does not hold)."""
    return FindingsConfig.from_table(read_saved_config(run_dir).config.get("findings", {}))


def sweep_settings(sweep_dir) -> FindingsConfig:
    """The findings' settings of a sweep: those saved with its first finished run."""
    for row, _, _ in finished_runs(sweep_dir):
        return run_settings(row["run_dir"])
    return FindingsConfig()
