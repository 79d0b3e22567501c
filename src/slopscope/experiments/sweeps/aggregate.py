"""The table of a sweep: every grid point aggregated over seeds (mean and 95 % t-interval),
written to <sweep>/aggregate.parquet for the sweep report to display.

Columns: point (label), point_values (JSON of the grid values), runs, failed, and
<metric>_mean/_low/_high for each of METRICS (inf mean: a time never reached)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.store import read_table, write_table
from slopscope.summary import has_summary, read_summary

METRICS = ("train_reproduced", "heldout_reproduced", "excess_reproduced", "median_tau_train",
           "rho_t1_train", "delay_area")


def _metrics(summary) -> dict:
    """The figures of one run that a sweep aggregates (NaN: not available)."""
    rho = summary.train.rho("t1")
    return {"train_reproduced": summary.train.reproduced_fraction,
            "heldout_reproduced": summary.test.reproduced_fraction,
            "excess_reproduced": (summary.train.reproduced_fraction
                                  - summary.test.reproduced_fraction),
            "median_tau_train": summary.train.median_generation_time,
            "rho_t1_train": np.nan if rho is None else rho,
            "delay_area": np.nan if summary.delay_area is None else summary.delay_area}


def aggregate(sweep_dir) -> list[dict]:
    """One row per grid point: {point, runs, failed, metric: (mean, low, high)}. Failed runs are
    left out (and counted); runs measured before delays existed have a NaN delay and are left out
    of that mean."""
    sweep_dir = Path(sweep_dir)
    index = read_table(sweep_dir / "index.parquet").to_pylist()
    fixed = {"seed", "run_dir", "error", "copies", "train_reproduced", "heldout_reproduced"}
    keys = sorted({k for row in index for k in row} - fixed)
    groups: dict = {}
    for row in index:
        groups.setdefault(tuple((k, row.get(k)) for k in keys), []).append(row)
    out = []
    for point, rows in groups.items():
        done = [read_summary(r["run_dir"]) for r in rows
                if r["run_dir"] and has_summary(r["run_dir"])]
        entry = {"point": {k: json.loads(v) if v is not None else None for k, v in point},
                 "runs": len(done), "failed": len(rows) - len(done)}
        for name in METRICS:
            values = np.array([_metrics(s)[name] for s in done], dtype=float)
            values = values[~np.isnan(values)]
            entry[name] = measure.mean_ci(values) if values.size else (np.nan,) * 3
        out.append(entry)
    return out


def point_label(point: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items()) or "base"


def write_aggregate(sweep_dir) -> Path:
    rows = aggregate(sweep_dir)
    columns = {"point": [point_label(r["point"]) for r in rows],
               "point_values": [json.dumps(r["point"]) for r in rows],
               "runs": [r["runs"] for r in rows], "failed": [r["failed"] for r in rows]}
    for name in METRICS:
        for i, part in enumerate(("mean", "low", "high")):
            columns[f"{name}_{part}"] = [float(r[name][i]) for r in rows]
    return write_table(Path(sweep_dir) / "aggregate.parquet", columns)
