"""The report of a sweep, read from the sweep directory: aggregate.parquet (every grid point over
seeds with 95 % intervals) and findings.json (E1, B, C)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from slopscope.report import captions, page_plots, plots
from slopscope.report.html import figure_html, page, table
from slopscope.report.sections import calibration_section
from slopscope.report.trust import verdict_cell
from slopscope.store import atomic_write_text, read_json, read_table, sweep_name
from slopscope.verdicts import BY_NAME, format_interval

COLUMNS = (("train_reproduced", "train reproduced"), ("heldout_reproduced", "held-out reproduced"),
           ("median_tau_train", "median tau (train)"), ("rho_t1_train", "Spearman T1 (train)"),
           ("delay_area", "delay area (train - held-out)"))


def read_aggregate(sweep_dir) -> list[dict]:
    """aggregate.parquet as rows {point, label, runs, failed, metric: (mean, low, high)}."""
    rows = []
    for row in read_table(Path(sweep_dir) / "aggregate.parquet").to_pylist():
        entry = {"point": json.loads(row["point_values"]), "label": row["point"],
                 "runs": row["runs"], "failed": row["failed"]}
        for name in (c[:-len("_mean")] for c in row if c.endswith("_mean")):
            entry[name] = tuple(np.nan if row[f"{name}_{p}"] is None else row[f"{name}_{p}"]
                                for p in ("mean", "low", "high"))
        rows.append(entry)
    return rows


def _numeric_axis(rows) -> tuple | None:
    """(key, values) when the sweep varies one numeric key, for a numeric x axis."""
    keys = {k for r in rows for k in r["point"]}
    if len(keys) != 1:
        return None
    (key,) = keys
    values = [r["point"][key] for r in rows]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return key, np.array(values, dtype=float)
    return None


def _fmt(triple) -> str:
    mean, low, high = triple
    if not np.isfinite(mean):
        return "not reached" if mean == np.inf else "n/a"
    return format_interval(mean, low, high, spec=".3g", missing=f"{mean:.3g}")


def build_sweep_report(sweep_dir, calibration: Path | str | None = None) -> Path:
    """Write <sweep>/report.html (+ figure PNG/SVG); `calibration`: a calibration file of this
    sweep (slopscope calibrate; slopscope.app chooses it), or None."""
    sweep_dir = Path(sweep_dir)
    rows = read_aggregate(sweep_dir)
    labels = [r["label"] for r in rows]
    figure = figure_html(plots.sweep_points(labels, rows, _numeric_axis(rows)), "sweep",
                         sweep_dir, captions.SWEEP)
    grid = table([(r["label"], f"{r['runs']} ({r['failed']})",
                   *(_fmt(r[key]) for key, _ in COLUMNS)) for r in rows],
                 ("grid point", "runs (failed)", *(title for _, title in COLUMNS)))
    found_path = sweep_dir / "findings.json"
    found = read_json(found_path) if found_path.exists() else {}
    figures = {key: BY_NAME[key].figure for key, f in found.items() if key in BY_NAME
               and BY_NAME[key].figure and f.get(BY_NAME[key].figure.detail)}
    rates = read_json(calibration)["verdicts"] if calibration and Path(calibration).exists() \
        else {}
    cells = [verdict_cell(key, f["verdict"], rates.get(key)) for key, f in found.items()]
    findings = table([(BY_NAME[key].title if key in BY_NAME else key,
                       f"{f['measured']} (rule: {f['rule']})"
                       + (f"; {f[figures[key].detail]['measured']}" if key in figures else ""),
                       cell[0]) for (key, f), cell in zip(found.items(), cells, strict=True)],
                     ("finding", "measured (95 % intervals)", "verdict (trust)"),
                     [css for _, css in cells])
    findings += "".join(figure_html(page_plots.times_against_value(found[key][spec.detail], spec),
                                    f"{key.lower()}_{spec.detail}", sweep_dir,
                                    captions.times_against_value(spec.axis))
                        for key, spec in figures.items())
    body = "\n".join([
        "<p>Means over seeds with 95 % t-intervals; tau is the median first-reproduction step "
        "of training strings.</p>",
        f"<h2>Findings</h2>\n{findings}" if found else "",
        f"<h2>Grid points</h2>\n{grid}", figure,
        calibration_section(calibration, sweep_name(sweep_dir))])
    path = sweep_dir / "report.html"
    atomic_write_text(path, page(f"Sweep {sweep_dir.name}", body))
    return path
