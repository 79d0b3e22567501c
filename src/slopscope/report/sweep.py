"""The report of a sweep: every grid point aggregated over seeds with 95 % intervals."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.report import plots
from slopscope.report.build import figure_html
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
        out.append(entry)
    return out


def _runs(sweep_dir: Path) -> list[dict]:
    """Grid values, seed and the excess memorised fraction of every finished run: the fraction of
    training strings reproduced by the last checkpoint minus the same for held-out strings (the
    control: a model that generalises also "reproduces" unseen strings). Censoring-robust, unlike
    median first-reproduction steps, which are often never reached."""
    out = []
    for row in read_table(sweep_dir / "index.parquet").to_pylist():
        summary = Path(row["run_dir"]) / "summary.json" if row["run_dir"] else None
        if summary is None or not summary.exists():
            continue
        splits = read_json(summary)["splits"]
        values = {k: json.loads(v) for k, v in row.items() if "." in k and v is not None}
        excess = splits["train"]["reproduced_fraction"] - splits["test"]["reproduced_fraction"]
        out.append({"values": values, "seed": row["seed"], "memorised": float(excess)})
    return out


def _trend(runs, key, seed) -> tuple | None:
    x = np.array([r["values"][key] for r in runs], dtype=float)
    y = np.array([r["memorised"] for r in runs], dtype=float)
    if np.unique(x).size < 2 or len(runs) < 3:
        return None
    return measure.spearman_ci(x, y, seed=seed, n_boot=500)


def sweep_findings(sweep_dir, seed: int = 0) -> list[dict]:
    """E1 / B / C verdicts from the grid keys a sweep varies, measured on the excess memorised
    fraction (training minus held-out reproduced by the last checkpoint): Spearman with bootstrap
    intervals for E1 and B, a paired difference over seeds for C."""
    runs = _runs(Path(sweep_dir))
    keys = {k for r in runs for k in r["values"]}
    rows = []
    for key, name, sign in (("data.train", "E1: larger P is memorised later", -1),
                            ("grammar.zipf_a", "B: fat tails (small a) delay memorisation", +1)):
        if key not in keys:
            continue
        result = _trend(runs, key, seed)
        if result is None:
            rows.append({"finding": name, "measured": "too few runs", "verdict": "not measurable"})
            continue
        rho, low, high = result
        holds = (low > 0) if sign > 0 else (high < 0)
        measured = (f"Spearman({key}, excess fraction memorised) {rho:+.2f} "
                    f"[{low:+.2f}, {high:+.2f}]")
        rows.append({"finding": name, "measured": measured,
                     "verdict": "holds" if holds else "not shown"})
    if "grammar.zipf_levels" in keys:
        rows.append(_top_vs_bottom(runs))
    return rows


def _top_vs_bottom(runs) -> dict:
    name = "C: a top-level tail delays memorisation more than a bottom-level one"
    by_seed: dict = {}
    for r in runs:
        levels = r["values"]["grammar.zipf_levels"]
        if isinstance(levels, list) and len(levels) == 1:
            by_seed.setdefault(r["seed"], {})[levels[0]] = r["memorised"]
    diffs = [frac[max(frac)] - frac[min(frac)] for frac in by_seed.values()
             if len(frac) >= 2 and min(frac) != max(frac)]
    if not diffs:
        return {"finding": name, "measured": "needs zipf_levels = [1] and [L] runs",
                "verdict": "not measurable"}
    mean, low, high = measure.mean_ci(diffs)
    if not np.isfinite(low):
        return {"finding": name, "measured": f"bottom minus top excess memorised: {mean:+.3f} "
                f"({len(diffs)} seed(s); no interval)", "verdict": "not measurable"}
    return {"finding": name,
            "measured": f"bottom minus top excess memorised {mean:+.3f} [{low:+.3f}, {high:+.3f}]"
                        f" over {len(diffs)} seeds",
            "verdict": "holds" if low > 0 else "not shown"}


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
    for name in (*METRICS, "excess_reproduced", "rho_t1_train"):
        for i, part in enumerate(("mean", "low", "high")):
            columns[f"{name}_{part}"] = [float(r[name][i]) for r in rows]
    write_table(sweep_dir / "aggregate.parquet", columns)
    figure = figure_html(plots.sweep_points(labels, rows, _numeric_axis(rows)), "sweep",
                          sweep_dir)
    header = "".join(f"<th>{h}</th>" for h in ("grid point", "runs (failed)",
                                                "train reproduced", "held-out reproduced",
                                                "median tau (train)", "Spearman T1 (train)"))
    body = "\n".join(
        f"<tr><td>{html.escape(label)}</td><td>{r['runs']} ({r['failed']})</td>"
        + "".join(f"<td>{_fmt(r[m])}</td>" for m in (*METRICS, "rho_t1_train")) + "</tr>"
        for label, r in zip(labels, rows, strict=True))
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>sweep "
            f"{html.escape(sweep_dir.name)}</title><style>body{{font-family:sans-serif;"
            f"max-width:1100px;margin:2em auto}}td,th{{border:1px solid #ccc;padding:4px 8px}}"
            f"table{{border-collapse:collapse}}img{{max-width:100%}}</style></head><body>"
            f"<h1>Sweep {html.escape(sweep_dir.name)}</h1><p>Means over seeds with 95 % "
            f"t-intervals; tau is the median first-reproduction step of training strings.</p>"
            f"<table><tr>{header}</tr>{body}</table>{figure}</body></html>")
    findings_rows = "".join(
        f"<tr><td>{html.escape(f['finding'])}</td><td>{html.escape(f['measured'])}</td>"
        f"<td>{html.escape(f['verdict'])}</td></tr>" for f in sweep_findings(sweep_dir))
    if findings_rows:
        page = page.replace("<table>", "<h2>Findings</h2><table><tr><th>finding</th><th>"
                            "measured (95 % intervals)</th><th>verdict</th></tr>"
                            f"{findings_rows}</table><h2>Grid points</h2><table>", 1)
    path = sweep_dir / "report.html"
    atomic_write_text(path, page)
    return path
