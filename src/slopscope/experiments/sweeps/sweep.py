"""Sweeps: a grid of overrides x seeds expanded into runs, executed by interchangeable executors.

    base = "e3"                          # preset or TOML file
    overrides = ["train.steps=3000"]     # applied to every run
    seeds = [0, 1, 2]
    [grid]
    "grammar.zipf_a" = [0.25, 1.0, 4.0]

Each run is a plain function of its resolved configuration and seed (`run_experiment`), so any
executor can run it; finished runs are skipped and a failing run does not stop the others.
The default executor uses local processes (Ray and SLURM via submitit are alternatives)
with one torch (and numba) thread each: on 2 cores two
1-thread processes give more total throughput than one 2-thread process.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from slopscope.errors import MAX_SEED, SlopscopeError, check_name
from slopscope.experiments.config.run_time import ANNOUNCE_SECONDS, cost_text, run_seconds
from slopscope.experiments.config.schema import load_config
from slopscope.experiments.presets import sweep_preset_text
from slopscope.experiments.sweeps.aggregate import write_aggregate
from slopscope.experiments.sweeps.executors import Execution
from slopscope.experiments.verdicts.sweep_rules import sweep_findings, sweep_runs, sweep_settings
from slopscope.store import write_json, write_table
from slopscope.summary import has_summary, read_summary
from slopscope.toml_text import toml_value


@dataclass(frozen=True)
class Job:
    overrides: tuple[str, ...]
    point: tuple[tuple[str, object], ...]  # the grid values of this run
    seed: int
    seconds: float = field(default=0.0, compare=False)  # its estimated wall time on one core


def read_sweep(path) -> dict:
    """A sweep file, or a shipped sweep preset by name (e1, e3, e4)."""
    text = sweep_preset_text(str(path))
    if text is not None:
        return tomllib.loads(text)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SlopscopeError(f"cannot read sweep file {path}: {exc}") from None
    allowed = {"base", "overrides", "seeds", "grid", "points", "workers", "name"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SlopscopeError(f"unknown key '{unknown[0]}' in {path}; allowed: "
                             f"{', '.join(sorted(allowed))}")
    if "base" not in data:
        raise SlopscopeError(f"{path} lacks 'base' (a preset or a TOML file)")
    _check_sweep(data, path)
    return data


def _check_sweep(data: dict, path) -> None:
    """The types of a sweep file's top-level keys (the grid values are checked by `expand`)."""
    def bad(key: str, allowed: str):
        return SlopscopeError(f"'{key}' = {data[key]!r} in {path}; allowed: {allowed}")

    if not isinstance(data["base"], str) or not data["base"]:
        raise bad("base", "a preset name or a TOML file path (a string)")
    overrides = data.get("overrides", [])
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise bad("overrides", 'a list of "key.sub=value" strings')
    seeds = data.get("seeds", [0])
    if (not isinstance(seeds, list) or not seeds
            or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= MAX_SEED
                       for x in seeds)):
        raise bad("seeds", f"a non-empty list of ints in 0..{MAX_SEED}")
    workers = data.get("workers", 1)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise bad("workers", "an int >= 1")
    if not isinstance(data.get("grid", {}), dict):
        raise bad("grid", 'a table {"key.sub" = [values]}')
    if "name" in data:
        check_name("name", data["name"])


MAX_GRID_POINTS = 10_000  # grid points of one sweep (each validated, then one run per seed)


def grid_points(sweep: dict) -> list[tuple]:
    """The sweep's grid points: the product of `grid`, or the explicit `points` (a list of
    tables {key: value}, for values that go together, e.g. matched Zipf exponents)."""
    grid, points = sweep.get("grid", {}), sweep.get("points")
    if points is not None:
        if grid:
            raise SlopscopeError("a sweep has either 'grid' or 'points', not both")
        if not isinstance(points, list) or not points or not all(isinstance(p, dict) and p
                                                                 for p in points):
            raise SlopscopeError("'points' must be a non-empty list of tables {key = value}")
        return [tuple(p.items()) for p in points]
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise SlopscopeError(f"grid key '{key}' must list at least one value")
    size = math.prod(len(values) for values in grid.values())
    if size > MAX_GRID_POINTS:  # counted before anything is expanded or validated
        raise SlopscopeError(f"the grid has {size} points; allowed: at most {MAX_GRID_POINTS} "
                             "(a sweep is one run per point and seed)")
    keys = list(grid)
    return [tuple(zip(keys, values, strict=True))
            for values in itertools.product(*(grid[k] for k in keys))]


def expand(sweep: dict) -> list[Job]:
    """Every grid point x seed, validated up front (a bad value fails before anything runs)."""
    base = list(sweep.get("overrides", []))
    jobs = []
    for point in grid_points(sweep):
        overrides = tuple(base + [f"{k}={toml_value(v)}" for k, v in point])
        config = load_config(sweep["base"], list(overrides))  # validates
        for seed in sweep.get("seeds", config.seeds):
            jobs.append(Job(overrides, point, int(seed), run_seconds(config)))
    return jobs


def run_sweep(path, execution: Execution | None = None, report=print) -> Path:
    """Expand and run a sweep as `execution` says (runs directory, workers: default the sweep
    file's, else 2; executor); write its index table, its aggregate table and findings.json;
    returns the sweep directory (its report and the reports of its runs are built from it:
    slopscope.report)."""
    execution = execution or Execution()
    sweep = read_sweep(path)
    jobs = expand(sweep)
    text = json.dumps(sweep, sort_keys=True, default=str)
    name = sweep.get("name", Path(path).stem)
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    sweep_dir = execution.runs_dir / "sweeps" / f"{name}-{digest}"
    write_json(sweep_dir / "sweep.json", sweep)
    workers = execution.workers_or(int(sweep.get("workers", 2)))
    seconds = sum(job.seconds for job in jobs)
    if seconds > ANNOUNCE_SECONDS:
        report(f"sweep {name}: {cost_text(len(jobs), seconds, workers)}")
    results = execution.run(sweep["base"], jobs, report, int(sweep.get("workers", 2)))
    write_index(sweep_dir, results)
    summarise_sweep(sweep_dir)
    failed = sum(r["error"] is not None for r in results)
    report(f"sweep {sweep_dir}: {len(results) - failed} runs done, {failed} failed")
    return sweep_dir


def summarise_sweep(sweep_dir) -> None:
    """(Re)write aggregate.parquet and findings.json from the runs of index.parquet (after a
    sweep, or after its runs were measured again)."""
    write_aggregate(sweep_dir)
    found = sweep_findings(sweep_runs(sweep_dir), sweep_settings(sweep_dir))
    write_json(Path(sweep_dir) / "findings.json", {k: v.to_dict() for k, v in found.items()})


def write_index(sweep_dir: Path, results: list[dict]) -> None:
    """index.parquet: one row per run with its grid values, seed, status and headline figures."""
    rows = []
    for r in sorted(results, key=lambda r: (repr(r["job"].point), r["job"].seed)):
        row = {k: json.dumps(v) for k, v in r["job"].point}
        row.update(seed=r["job"].seed, run_dir=r["run_dir"] or "", error=r["error"] or "")
        if r["run_dir"] and has_summary(r["run_dir"]):
            s = read_summary(r["run_dir"])
            row.update(copies=s.copy_fraction, train_reproduced=s.train.reproduced_fraction,
                       heldout_reproduced=s.test.reproduced_fraction)
        rows.append(row)
    keys = sorted({k for row in rows for k in row})
    write_table(sweep_dir / "index.parquet",
                {k: [row.get(k, None) for row in rows] for k in keys})
