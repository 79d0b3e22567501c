"""The rows of the results page (results/rows.toml) as sweeps and calibrations: what
`slopscope reproduce` runs, and how long that should take."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass
from importlib import resources

from slopscope.errors import SlopscopeError
from slopscope.experiments.config.run_time import oracle_seconds, run_seconds
from slopscope.experiments.config.schema import load_config
from slopscope.experiments.sweeps.sweep import grid_points
from slopscope.toml_text import toml_value
from slopscope.verdicts import BY_NAME, Finding, arms

# the regimes of the results page: presets below the grammar's sample complexity (models copy
# before they generalise) and presets chosen inside the generalisation window
REGIMES = {"below": "below the sample complexity", "window": "in the window"}


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    finding: str
    sweep: dict  # base, overrides, seeds, name, and grid or points
    calibration: str  # "self", "none", or the key of the row whose calibration it shares
    calibration_runs: int
    quick: bool
    note: str = ""  # shown on the page (e.g. the sampler steps and why)
    calibration_sweep: dict | None = None  # the sweep of the row whose calibration it shares
    regime: str = "below"  # REGIMES: the regime its presets were chosen for

    @property
    def judged(self) -> Finding:
        """The registered finding the row judges."""
        return BY_NAME[self.finding]

    @property
    def seeds(self) -> int:
        return len(self.sweep["seeds"])

    @property
    def points(self) -> int:
        return len(grid_points(self.sweep))

    def spec_hash(self) -> str:
        """Identity of the row's runs, rule and calibration: every grid point's resolved
        configuration (so an edited preset counts), the finding, and the calibration (with the
        sweep of a shared one). A finished row with the same hash is skipped."""
        configs = [self.config(point).to_dict() for point in grid_points(self.sweep)]
        text = json.dumps([self.sweep, configs, self.finding, self.calibration,
                           self.calibration_runs, self.calibration_sweep], sort_keys=True,
                          default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def config(self, point=None):
        """The resolved configuration of the row's base with its overrides (at a grid point;
        the first by default)."""
        point = grid_points(self.sweep)[0] if point is None else point
        return load_config(self.sweep["base"], [*self.sweep["overrides"],
                                                *(f"{k}={toml_value(v)}" for k, v in point)])


def read_rows(quick: bool = False) -> list[Row]:
    """The rows of the results page, full or quick."""
    text = resources.files("slopscope.experiments.results").joinpath("rows.toml").read_text()
    spec = tomllib.loads(text)
    prefix = "quick-" if quick else "results-"
    rows = []
    for raw in spec["rows"]:
        if raw["finding"] not in BY_NAME:
            raise SlopscopeError(f"results row {raw['key']}: finding={raw['finding']!r}; "
                                 f"allowed: {', '.join(BY_NAME)}")
        seeds = raw.get("quick_seeds", spec["quick_seeds"]) if quick else \
            raw.get("seeds", spec["seeds"])
        overrides = [*raw.get("overrides", []), *(spec["quick_overrides"] if quick else []),
                     f"name={toml_value(prefix + raw['key'])}"]
        # the sweep's name differs from its runs': a sweep's calibration is saved under the
        # sweep's name and must not pass for the calibration of one of its runs
        sweep = {"base": raw["base"], "overrides": overrides, "seeds": list(range(seeds)),
                 "name": f"{prefix}{raw['key']}-sweep"}
        for key in ("grid", "points"):
            if key in raw:
                sweep[key] = raw[key]
        runs = spec["quick_calibration_runs"] if quick else \
            raw.get("calibration_runs", spec["calibration_runs"])
        regime = raw.get("regime", "below")
        if regime not in REGIMES:
            raise SlopscopeError(f"results row {raw['key']}: regime={regime!r}; allowed: "
                                 f"{', '.join(REGIMES)}")
        rows.append(Row(raw["key"], raw["title"], raw["finding"], sweep,
                        raw.get("calibration", "self"), runs, quick, raw.get("note", ""),
                        regime=regime))
    return [_shared_calibration(row, rows) for row in rows]


def _shared_calibration(row: Row, rows: list[Row]) -> Row:
    """A row that shares another's calibration: that row must exist, calibrate itself and
    judge the same finding."""
    if row.calibration in ("self", "none"):
        return row
    source = next((r for r in rows if r.key == row.calibration), None)
    if source is None or source.calibration != "self" or source.finding != row.finding:
        raise SlopscopeError(f"results row {row.key}: calibration={row.calibration!r}; allowed: "
                             "self, none, or the key of a row of the same finding that "
                             "calibrates itself")
    return dataclasses.replace(row, calibration_sweep=source.sweep)


def estimate_seconds(rows: list[Row], workers: int) -> dict:
    """Trained and oracle runs of the job and a wall-time estimate on `workers` processes."""
    trained = oracle = 0.0
    counted = set()
    for row in rows:
        trained += row.seeds * row.points * run_seconds(row.config())
        if row.calibration == "self" and row.key not in counted:
            counted.add(row.key)
            arm_count = len(arms(row.judged.scope))
            per_replicate = row.seeds * row.points if row.judged.judges_sweeps else 1
            oracle += (arm_count * row.calibration_runs * per_replicate
                       * oracle_seconds(row.config()))
    runs = sum(row.seeds * row.points for row in rows)
    return {"trained_runs": runs, "seconds": (trained + oracle) / max(workers, 1),
            "oracle_seconds": oracle / max(workers, 1)}
