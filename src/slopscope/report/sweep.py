"""The report of a sweep: every grid point aggregated over seeds with 95 % intervals."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.experiments.sweep_findings import TITLES
from slopscope.report import plots
from slopscope.report.build import figure_html
from slopscope.report.sections import calibration_section
from slopscope.store import atomic_write_text, read_json, read_table, write_table

METRICS = {
    "train_reproduced": ("train", "reproduced_fraction"),
    "heldout_reproduced": ("test", "reproduced_fraction"),
    "median_tau_train": ("train", "median_generation_time"),
}


def aggregate(sweep_dir) -> list[dict]:
    """One row per grid point: mean and 95 % t-interval over seeds of each metric, plus the
    Spearman(T1, tau) of training strings. Failed runs are left out (and counted)."""
    sweep_dir = Path(sweep_dir)
    index = read_table(sweep_dir / "index.parquet").to_pylist()
    fixed = {"seed", "run_dir", "error", "copies", "train_reproduced", "heldout_reproduced"}
    keys = sorted({k for row in index for k in row} - fixed)
    groups: dict = {}
    for row in index:
        point = tuple((k, row.get(k)) for k in keys)
        groups.setdefault(point, []).append(row)
    out = []
    for point, rows in groups.items():
        summaries = [read_json(Path(r["run_dir"]) / "summary.json") for r in rows
                     if r["run_dir"] and (Path(r["run_dir"]) / "summary.json").exists()]
        entry = {"point": {k: json.loads(v) if v is not None else None for k, v in point},
                 "runs": len(summaries), "failed": len(rows) - len(summaries)}
        for name, (split, key) in METRICS.items():
            values = [s["splits"][split].get(key) for s in summaries]
            values = np.array([np.inf if v is None else v for v in values], dtype=float)
            entry[name] = measure.mean_ci(values) if values.size else (np.nan,) * 3
        excess = [s["splits"]["train"]["reproduced_fraction"]
                  - s["splits"]["test"]["reproduced_fraction"] for s in summaries]
        entry["excess_reproduced"] = measure.mean_ci(excess) if excess else (np.nan,) * 3
        rhos = [s["splits"]["train"]["generation_time"]["t1"]["rho"] for s in summaries]
        rhos = np.array([np.nan if r is None else r for r in rhos], dtype=float)
        entry["rho_t1_train"] = measure.mean_ci(rhos) if rhos.size else (np.nan,) * 3
        areas = [s["delay"]["area"] for s in summaries if "delay" in s]
        entry["delay_area"] = measure.mean_ci(areas) if areas else (np.nan,) * 3
        out.append(entry)
    return out


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
    if np.isfinite(low):
        return f"{mean:.3g} [{low:.3g}, {high:.3g}]"
    return f"{mean:.3g}"


def build_sweep_report(sweep_dir) -> Path:
    """Write <sweep>/aggregate.parquet and <sweep>/report.html (+ figure PNG/SVG)."""
    sweep_dir = Path(sweep_dir)
    rows = aggregate(sweep_dir)
    labels = [", ".join(f"{k}={v}" for k, v in r["point"].items()) or "base" for r in rows]
    columns = {"point": labels, "runs": [r["runs"] for r in rows],
               "failed": [r["failed"] for r in rows]}
    for name in (*METRICS, "excess_reproduced", "rho_t1_train", "delay_area"):
        for i, part in enumerate(("mean", "low", "high")):
            columns[f"{name}_{part}"] = [float(r[name][i]) for r in rows]
    write_table(sweep_dir / "aggregate.parquet", columns)
    figure = figure_html(plots.sweep_points(labels, rows, _numeric_axis(rows)), "sweep",
                          sweep_dir)
    header = "".join(f"<th>{h}</th>" for h in ("grid point", "runs (failed)",
                                                "train reproduced", "held-out reproduced",
                                                "median tau (train)", "Spearman T1 (train)",
                                                "delay area (train - held-out)"))
    body = "\n".join(
        f"<tr><td>{html.escape(label)}</td><td>{r['runs']} ({r['failed']})</td>"
        + "".join(f"<td>{_fmt(r[m])}</td>" for m in (*METRICS, "rho_t1_train", "delay_area"))
        + "</tr>"
        for label, r in zip(labels, rows, strict=True))
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>sweep "
            f"{html.escape(sweep_dir.name)}</title><style>body{{font-family:sans-serif;"
            f"max-width:1100px;margin:2em auto}}td,th{{border:1px solid #ccc;padding:4px 8px}}"
            f"table{{border-collapse:collapse}}img{{max-width:100%}}</style></head><body>"
            f"<h1>Sweep {html.escape(sweep_dir.name)}</h1><p>Means over seeds with 95 % "
            f"t-intervals; tau is the median first-reproduction step of training strings.</p>"
            f"<table><tr>{header}</tr>{body}</table>{figure}</body></html>")
    found = read_json(sweep_dir / "findings.json") if (sweep_dir / "findings.json").exists() \
        else {}
    findings_rows = "".join(
        f"<tr><td>{html.escape(TITLES[key])}</td><td>{html.escape(f['measured'])}<br><small>"
        f"rule: {html.escape(f['rule'])}</small></td><td>{html.escape(f['verdict'])}</td></tr>"
        for key, f in found.items())
    if findings_rows:
        page = page.replace("<table>", "<h2>Findings</h2><table><tr><th>finding</th><th>"
                            "measured (95 % intervals)</th><th>verdict</th></tr>"
                            f"{findings_rows}</table><h2>Grid points</h2><table>", 1)
    name = sweep_dir.name.rsplit("-", 1)[0]
    page = page.replace("</body>", calibration_section(
        sweep_dir.parent.parent / "calibration" / f"{name}.json") + "</body>")
    path = sweep_dir / "report.html"
    atomic_write_text(path, page)
    return path
