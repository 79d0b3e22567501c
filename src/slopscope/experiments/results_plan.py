"""The rows of the results page (presets/results.toml) as sweeps and calibrations: what
`slopscope reproduce` runs, and how long that should take."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from importlib import resources

from slopscope.errors import SlopscopeError
from slopscope.experiments.config import load_config
from slopscope.experiments.sweep import grid_points
from slopscope.toml_text import toml_value

FINDINGS = ("A", "B", "C", "D", "E1")
RUN_FINDINGS = ("A", "D")  # one verdict per run, pooled over seeds
# measured on 2 cores, one torch thread per worker: a trained run of 5000 steps (e2-sized), an
# oracle control run (no training)
TRAINED_RUN_SECONDS = 200.0
ORACLE_RUN_SECONDS = 4.0


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    finding: str
    sweep: dict  # base, overrides, seeds, name, and grid or points
    calibration: str  # "self", "none", or the key of the row whose calibration it shares
    calibration_runs: int
    quick: bool

    @property
    def seeds(self) -> int:
        return len(self.sweep["seeds"])

    @property
    def points(self) -> int:
        return len(grid_points(self.sweep))

    def spec_hash(self) -> str:
        """Identity of the row's runs and rule: a finished row with the same hash is skipped."""
        text = json.dumps([self.sweep, self.finding, self.calibration_runs], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def config(self):
        """The resolved configuration of the row's base with its overrides (first grid point)."""
        point = grid_points(self.sweep)[0]
        return load_config(self.sweep["base"], [*self.sweep["overrides"],
                                                *(f"{k}={toml_value(v)}" for k, v in point)])


def read_rows(quick: bool = False) -> list[Row]:
    """The rows of the results page, full or quick."""
    text = resources.files("slopscope.experiments.presets").joinpath("results.toml").read_text()
    spec = tomllib.loads(text)
    prefix = "quick-" if quick else "results-"
    rows = []
    for raw in spec["rows"]:
        if raw["finding"] not in FINDINGS:
            raise SlopscopeError(f"results row {raw['key']}: finding={raw['finding']!r}; "
                                 f"allowed: {', '.join(FINDINGS)}")
        seeds = raw.get("quick_seeds", spec["quick_seeds"]) if quick else \
            raw.get("seeds", spec["seeds"])
        overrides = [*raw.get("overrides", []), *(spec["quick_overrides"] if quick else []),
                     f"name={toml_value(prefix + raw['key'])}"]
        sweep = {"base": raw["base"], "overrides": overrides, "seeds": list(range(seeds)),
                 "name": prefix + raw["key"]}
        for key in ("grid", "points"):
            if key in raw:
                sweep[key] = raw[key]
        runs = spec["quick_calibration_runs"] if quick else \
            raw.get("calibration_runs", spec["calibration_runs"])
        rows.append(Row(raw["key"], raw["title"], raw["finding"], sweep,
                        raw.get("calibration", "self"), runs, quick))
    return rows


def estimate_seconds(rows: list[Row], workers: int) -> dict:
    """Trained and oracle runs of the job and a wall-time estimate on `workers` processes."""
    trained = oracle = 0.0
    counted = set()
    for row in rows:
        steps = row.config().train.steps
        trained += row.seeds * row.points * TRAINED_RUN_SECONDS * steps / 5000
        if row.calibration == "self" and row.key not in counted:
            counted.add(row.key)
            arms = 2 if row.finding not in RUN_FINDINGS else 4
            per_replicate = row.seeds * row.points if row.finding not in RUN_FINDINGS else 1
            oracle += arms * row.calibration_runs * per_replicate * ORACLE_RUN_SECONDS
    runs = sum(row.seeds * row.points for row in rows)
    return {"trained_runs": runs, "seconds": (trained + oracle) / max(workers, 1),
            "oracle_seconds": oracle / max(workers, 1)}
