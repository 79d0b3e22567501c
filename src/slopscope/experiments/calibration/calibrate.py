"""Calibration: every verdict measured on models whose answer is known, through the same pipeline
(`model.backbone = "oracle"`, no training, seconds per run).

- null: the perfect generaliser (memorize = 0). It memorises nothing, so a verdict that "holds"
  is a false positive; the rate must stay at or below the nominal 2.5 % (one side of a 95 %
  interval).
- planted: the generaliser mixed with a memoriser of the most typical fifth (`memorize` share,
  ramping up in log step from the first checkpoint): "holds" is a detection (power). In a sweep,
  the onset of the planted memorisation is later at the grid values the finding says are
  memorised later (B: smaller a; C: the top-level arm; E1: larger P), so B, C and E1 have a true
  effect to detect.
- atypical (runs only): the memoriser of the least typical fifth; A must never hold.
- and the arms a finding adds (slopscope.verdicts `Finding.arms`), e.g. D's slop: no copies on
  purpose, rules drawn with their training frequencies (`sharpen` = 1): common parts
  over-produced, the situation D describes; D's power.

A finding's settings may add oracle options to every arm's controls (`control_overrides`): for a
run preset whose D window starts at a learning time (`findings.d_window` "learning" or
"generalising"), every arm's generaliser is a hierarchical learner: it learns the grammar level
by level, and while it knows only the bottom k levels it draws the symbols k levels up
uniformly, so its common blocks are under-produced, as a young network's are.

Timing (run presets): the controls learn the grammar and begin to memorise when the real runs
do, as the preset's `[controls]` section says (its pilot's measured tau*_k and tau_mem: the
hierarchical learner from `learned`, the planted onset at `memorisation`); `onset` places the
planted onset elsewhere: "first" (the first checkpoint, the default without a measured time),
"early", "middle" or "late" (ONSET_POSITIONS: a quarter, half and 85 % of the way from the
first to the last checkpoint in log step), or a step. Such a calibration is saved as
<name>-onset-<position>.json (and one of some arms only as <name>...-arms-<arm>-<arm>.json).

A sweep's `model.*` keys (its base overrides and grid) are not passed to the oracle, which
replaces the model; the grid values still reach the sweep rules.

Each replicate has its own seed (grammar, split and samples vary). Rates come with Wilson 95 %
intervals. Saved as <runs>/calibration/<name>.json (the config's or the sweep's name), where
the run and sweep reports under <runs> find it."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.errors import SlopscopeError, check_int
from slopscope.experiments.config.run_time import cost_text, run_seconds
from slopscope.experiments.config.schema import load_config, read_toml
from slopscope.experiments.presets import sweep_preset_names
from slopscope.experiments.sweeps.executors import Execution
from slopscope.experiments.sweeps.sweep import Job, grid_points, read_sweep
from slopscope.experiments.verdicts.sweep_rules import run_record, run_settings, sweep_findings
from slopscope.models.oracle import MEMORIZE_BY, ORACLE
from slopscope.store import calibration_path, write_json
from slopscope.summary import read_summary
from slopscope.toml_text import toml_value
from slopscope.train import checkpoint_steps
from slopscope.verdicts import BY_NAME, RUN, SWEEP, arm_named, arms, format_interval, of_scope


def is_sweep(source: str) -> bool:
    if source in sweep_preset_names():
        return True
    return Path(source).is_file() and "base" in read_toml(source)


def oracle_overrides(memorize: float, which: str, onset: int, sharpen: float = 0.0,
                     by: str = "t1") -> list[str]:
    """The oracle control of an arm; `by`: the typicality ranking its typical and atypical fifths
    (the one finding A ranks by when the oracle can compute it: T1, or T3 = exact log p)."""
    extra = [f"model.options.sharpen={sharpen}"] if sharpen else []
    if by != "t1":
        extra.append(f"model.options.memorize_by={toml_value(by)}")
    return [f"model.backbone={ORACLE}", f"model.options.memorize={memorize}",
            f"model.options.memorize_set={toml_value(which)}", f"model.options.onset={onset}",
            *extra]


def _onsets(points, steps) -> list[int]:
    """Planted onset per grid point: the first checkpoint for the point memorised earliest, later
    (log-spaced) for the others, in the order the finding that judges the sweep predicts (its
    `compares` key and `later_when_larger`; the first such finding of the registry decides)."""
    varied = {k for point in points for k, _ in point}
    judged = next((f for f in of_scope(SWEEP) if f.applies_to(varied)), None)
    if judged is None:
        return [steps[0]] * len(points)
    values = [dict(p)[judged.compares] for p in points]
    order = sorted({json.dumps(v) for v in values}, key=json.loads)
    ranks = [order.index(json.dumps(v)) for v in values]
    if not judged.later_when_larger:
        ranks = [len(order) - 1 - r for r in ranks]
    grid = np.geomspace(steps[0], steps[-1], len(order) + 1)
    return [int(round(grid[r])) for r in ranks]


def control_overrides(config, steps) -> list[str]:
    """The oracle options that the findings' settings add to every control of `config`."""
    return [o for part in config.findings.parts() if hasattr(part, "control_overrides")
            for o in part.control_overrides(config, steps)]


ONSET_POSITIONS = {"early": 0.25, "middle": 0.5, "late": 0.85}  # of the log-step range


def planted_onset(config, steps, onset=None) -> int:
    """The step from which the planted memoriser copies (see the module docstring)."""
    if onset is None:
        onset = "measured" if config.controls.memorisation is not None else "first"
    if onset == "measured":
        if config.controls.memorisation is None:
            raise SlopscopeError(f"onset 'measured': {config.name} has no controls.memorisation "
                                 "(a measured tau_mem); allowed: first, early, middle, late or a "
                                 "step")
        return config.controls.memorisation
    if onset == "first":
        return int(steps[0])
    if onset in ONSET_POSITIONS:
        return int(round(steps[0] * (steps[-1] / steps[0]) ** ONSET_POSITIONS[onset]))
    if isinstance(onset, int) and not isinstance(onset, bool) and 1 <= onset <= steps[-1]:
        return onset
    raise SlopscopeError(f"onset={onset!r}; allowed: first, measured, "
                         f"{', '.join(ONSET_POSITIONS)} or a step in 1..{steps[-1]}")


def learning_overrides(config, steps) -> list[str]:
    """The controls' learning: the preset's measured tau*_1 .. tau*_L (a hierarchical learner
    that learns block size 1 at tau*_1 and each larger one a constant ratio later, reaching the
    whole grammar at tau*_L), else what the findings' settings ask for."""
    learned, levels = config.controls.learned, config.grammar.L
    if not learned:
        return control_overrides(config, steps)
    first, whole = learned[0], learned[-1]
    ratio = (whole / first) ** (1 / (levels - 1)) if levels > 1 and whole > first else 1.000001
    return [f"model.options.level_onset={first}", f"model.options.level_ratio={ratio:.6g}"]


def _not_model(overrides) -> list[str]:
    """Overrides without the `model.*` keys (the oracle replaces the model)."""
    return [o for o in overrides if not o.strip().startswith("model.")]


def _jobs(source: str, arm: str, memorize: float, replicate: int,
          onset=None) -> tuple[str, list[Job]]:
    """(base, jobs) of one replicate of one arm."""
    planted = arm_named(arm)
    share = memorize if planted.memorize_set else 0.0
    which = planted.memorize_set or "all"
    if not is_sweep(source):
        config = load_config(source)
        steps = checkpoint_steps(config.train)
        start = planted_onset(config, steps, onset)
        by = config.findings.a_typicality if config.findings.a_typicality in MEMORIZE_BY \
            else "t1"
        overrides = tuple(oracle_overrides(share, which, start, planted.sharpen, by)
                          + learning_overrides(config, steps))
        return source, [Job(overrides, (), replicate)]
    sweep = read_sweep(source)
    points = grid_points(sweep)
    base = _not_model(sweep.get("overrides", []))
    steps = checkpoint_steps(load_config(sweep["base"], base).train)
    onsets = _onsets(points, steps)
    seeds = sweep.get("seeds", [0])
    if any(not 0 <= int(s) < 1000 for s in seeds):
        raise SlopscopeError(f"sweep seeds {seeds} for calibration; allowed: seeds in 0..999 "
                             "(replicate r runs seed 1000 r + s)")
    jobs = []
    for point, onset in zip(points, onsets, strict=True):
        extra = oracle_overrides(share, which, onset, planted.sharpen)
        grid = _not_model(f"{k}={toml_value(v)}" for k, v in point)
        overrides = tuple(base + grid + extra)
        jobs += [Job(overrides, point, 1000 * replicate + int(s)) for s in seeds]
    return sweep["base"], jobs


def _verdicts(jobs: list[Job], rows: list[dict], sweep: bool) -> dict:
    """{finding name: [Verdict]} of one replicate's runs (run findings: one per run); `rows`:
    the executor's row of each job."""
    summaries = [read_summary(r["run_dir"]) for r in rows]
    out = {}
    if sweep:
        runs = [run_record(dict(job.point), job.seed % 1000, s)
                for job, s in zip(jobs, summaries, strict=True)]
        found = sweep_findings(runs, run_settings(rows[0]["run_dir"]))
        out.update({k: [v] for k, v in found.items()})
    for found in of_scope(RUN):
        out[found.name] = [s.findings[found.name] for s in summaries]
    return out


def _rate(hits: int, total: int, measurable: int | None = None) -> dict:
    """'holds' rate with a Wilson interval (and how many verdicts could be formed at all)."""
    low, high = measure.stats.wilson_interval(hits, total)
    out = {"rate": hits / total if total else math.nan, "low": float(low), "high": float(high),
           "hits": hits, "n": total}
    return out if measurable is None else {**out, "measurable": measurable}


def calibrate(source: str, runs: int = 20, memorize: float = 0.3,
              execution: Execution | None = None, report=print, onset=None,
              only_arms=None) -> dict:
    """Run the null and planted controls (and, for runs, the atypical and slop ones) and tabulate
    each verdict's false-positive rate and power, as `execution` says (runs directory, workers:
    default 2, executor); `onset`: where the planted memorisation begins (run presets; see the
    module docstring); `only_arms`: run only these arms of the scope. Returns (and saves) the
    calibration table."""
    execution = execution or Execution()
    runs = check_int("runs", runs, minimum=1)
    if not (isinstance(memorize, (int, float)) and 0 < memorize <= 1):
        raise SlopscopeError(f"memorize={memorize}; allowed: a planted share in (0, 1]")
    sweep = is_sweep(source)
    scope_arms = [arm.name for arm in arms(SWEEP if sweep else RUN)]
    if only_arms:
        unknown = [a for a in only_arms if a not in scope_arms]
        if unknown:
            raise SlopscopeError(f"arm {unknown[0]!r}; allowed: {', '.join(scope_arms)}")
        scope_arms = [a for a in scope_arms if a in only_arms]
    if sweep and onset is not None:
        raise SlopscopeError(f"onset={onset!r} for the sweep {source}: a sweep's planted onsets "
                             "follow its finding's prediction; allowed: onset for run presets")
    start = None
    if sweep:
        name = read_sweep(source).get("name", Path(source).stem)
    else:
        config = load_config(source)
        start = planted_onset(config, checkpoint_steps(config.train), onset)
        name = config.name + ("" if onset is None else f"-onset-{onset}")
    if only_arms:  # a partial table never replaces the full one a report shows
        name += "-arms-" + "-".join(scope_arms)
    out_dir = execution.runs_dir / "calibration" / name
    jobs, base = [], None
    for arm in scope_arms:  # replicate r: replicate 0's jobs with seed r (sweeps: 1000 r + s)
        base, first = _jobs(source, arm, memorize, 0, onset)
        step = 1000 if sweep else 1
        jobs += [(arm, replicate, dataclasses.replace(job, seed=job.seed + step * replicate))
                 for replicate in range(runs) for job in first]
    seconds = {overrides: run_seconds(load_config(base, list(overrides)))  # every configuration
               for overrides in dict.fromkeys(job.overrides for _, _, job in jobs)}  # is valid
    unique = list({(j.overrides, j.seed): j for _, _, j in jobs}.values())  # each run once
    cost = cost_text(len(unique), sum(seconds[j.overrides] for j in unique),
                     execution.workers_or(2))
    report(f"calibrate {source}: oracle controls, {cost} ({runs} replicates x "
           f"{len(scope_arms)} arms)")
    results = execution.under(out_dir).run(base, unique, lambda _: None)
    by_job = {(r["job"].overrides, r["job"].seed): r for r in results}
    failed = [r for r in results if r["error"]]
    if failed:
        raise SlopscopeError(f"{len(failed)} calibration runs failed: {failed[0]['error']}")
    table: dict = {}
    coverage: dict = {}
    statistics: dict = {}  # {verdict: {arm: [[statistic, low, high] per run]}} (pooled rules)
    for arm in scope_arms:
        for replicate in range(runs):
            mine = [j for a, r, j in jobs if a == arm and r == replicate]
            rows = [by_job[(j.overrides, j.seed)] for j in mine]
            for verdict_name, found in _verdicts(mine, rows, sweep).items():
                cell = table.setdefault(verdict_name, {}).setdefault(arm, [0, 0, 0])
                cell[0] += sum(f.verdict == "holds" for f in found)
                cell[1] += len(found)
                cell[2] += sum(f.measurable for f in found)
                pooled = BY_NAME[verdict_name].pooled
                statistics.setdefault(verdict_name, {}).setdefault(arm, []).extend(
                    [f.value(pooled), f.low, f.high] for f in found)
                if arm == BY_NAME[verdict_name].null_arm:
                    covered = [c for c in (f.covers_zero() for f in found) if c is not None]
                    cov = coverage.setdefault(verdict_name, [0, 0])
                    cov[0] += sum(covered)
                    cov[1] += len(covered)
    summary = {"source": source, "replicates": runs, "memorize": memorize, "onset": start,
               "sweep": sweep, "verdicts": {}, "statistics": statistics,
               # the configuration calibrated (a report shows a calibration of its own only)
               "config_hash": None if sweep else config.hash()}
    for verdict_name, arms_seen in table.items():
        summary["verdicts"][verdict_name] = {arm_named(a).label: _rate(*hits) for a, hits in
                                             arms_seen.items()}
        if coverage.get(verdict_name, [0, 0])[1]:
            summary["verdicts"][verdict_name]["null_coverage"] = _rate(*coverage[verdict_name])
    write_json(calibration_path(execution.runs_dir, name), summary)
    report(format_calibration(summary))
    return summary


def format_calibration(summary: dict) -> str:
    onset = "" if summary.get("onset") is None else f" from step {summary['onset']}"
    lines = [f"calibration of {summary['source']}: {summary['replicates']} replicates, planted "
             f"share {summary['memorize']}{onset}; 'holds' rate with Wilson 95 % interval"]
    for verdict_name, rates in summary["verdicts"].items():
        cells = [f"{label} {format_interval(r['rate'], r['low'], r['high'], signed=False)} "
                 f"({r['hits']}/{r['n']}"
                 + (f", {r['measurable']} measurable" if "measurable" in r else "")
                 + ")" for label, r in rates.items()]
        lines.append(f"  {verdict_name:2s} " + "; ".join(cells))
    return "\n".join(lines)
