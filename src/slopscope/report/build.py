"""The HTML report of a run: figures (also saved as PNG and SVG) and a findings table."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.report import plots
from slopscope.report.sections import calibration_section, data_section, examples_section
from slopscope.store import atomic_write_bytes, atomic_write_text, load_array, read_json, read_table


def _columns(path) -> dict:
    table = read_table(path)
    return {name: table.column(name).to_numpy(zero_copy_only=False)
            for name in table.column_names}


def _taus(strings: dict, steps) -> dict:
    out = {}
    for split in ("train", "test"):
        rows = strings["split"] == split
        n = int(strings["index"][rows].max()) + 1
        counts = strings["count"][rows].reshape(len(steps), n)
        out[split] = measure.generation_times(counts, steps)
    return out


def findings(summary: dict) -> list[dict]:
    """Rows (finding, measured, verdict) for A-D, displayed from summary.json (the rules live in
    slopscope.experiments.findings)."""
    found = summary.get("findings", {})
    rows = []
    if "A" in found:
        a = found["A"]
        rows.append({"finding": "A: prototypical strings memorised first (primary)",
                     "measured": a["measured"], "verdict": a["verdict"]})
        rows += [{"finding": "A (secondary)", "measured": s["measured"],
                  "verdict": f"secondary: {s['verdict']}"} for s in a.get("secondary", [])]
    for name in ("B: fat tails delay memorisation", "C: the delay is larger for top-level tails"):
        rows.append({"finding": name, "measured": "needs a sweep: slopscope sweep e3 / e4",
                     "verdict": "not measurable in one run"})
    if "D" in found:
        rows.append({"finding": "D: partial memorisation = slop",
                     "measured": f"{found['D']['measured']} (rule: {found['D']['rule']})",
                     "verdict": found["D"]["verdict"]})
    return rows


def figure_html(fig, name: str, out_dir: Path) -> str:
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=110)
    svg = io.BytesIO()
    fig.savefig(svg, format="svg")
    atomic_write_bytes(out_dir / f"{name}.png", png.getvalue())
    atomic_write_bytes(out_dir / f"{name}.svg", svg.getvalue())
    plots.plt.close(fig)
    data = base64.b64encode(png.getvalue()).decode()
    return f'<figure><img alt="{name}" src="data:image/png;base64,{data}"></figure>'


def build_report(run_dir) -> Path:
    """Write <run>/report/report.html (+ one PNG and SVG per figure); returns the page path."""
    run_dir = Path(run_dir)
    summary = read_json(run_dir / "summary.json")
    config = read_json(run_dir / "config.json")["config"]
    checkpoints = _columns(run_dir / "tables" / "checkpoints.parquet")
    blocks = _columns(run_dir / "tables" / "blocks.parquet")
    strings = _columns(run_dir / "tables" / "strings.parquet")
    typ = _columns(run_dir / "tables" / "typicality.parquet")
    steps = checkpoints["step"]
    levels, d = summary["levels"], summary["d"]
    taus = _taus(strings, steps)
    t1 = {split: typ["t1"][typ["split"] == split] for split in ("train", "test")}
    rho = {split: summary["splits"][split]["generation_time"]["t1"] for split in ("train", "test")}
    train_set, test_set = load_array(run_dir / "train.npy"), load_array(run_dir / "test.npy")
    last = load_array(run_dir / "generations" / f"step-{int(steps[-1]):08d}.npy")
    gen_d1, _ = measure.nearest_hamming(last, train_set)
    held_d1, _ = measure.nearest_hamming(test_set, train_set)
    at_last = (strings["split"] == "train") & (strings["step"] == steps[-1])
    train_counts = strings["count"][at_last][np.argsort(strings["index"][at_last])]
    out_dir = run_dir / "report"
    figures = [
        ("copies_validity", plots.copies_and_validity(steps, checkpoints, levels)),
        ("memorized_by_quintile", plots.memorized_by_quintile(steps, taus, t1)),
        ("time_vs_typicality", plots.time_vs_typicality(taus, t1, rho, steps[-1])),
        ("nearest_neighbours", plots.nearest_neighbours(
            measure.distance_histogram(gen_d1, d), measure.distance_histogram(held_d1, d), d)),
        ("blocks_over_training", plots.blocks_over_training(blocks)),
    ]
    body = "\n".join(figure_html(fig, name, out_dir) for name, fig in figures)
    rows = "\n".join(
        f"<tr><td>{html.escape(r['finding'])}</td><td>{html.escape(r['measured'])}</td>"
        f"<td class='{r['verdict'].split()[0].strip(':')}'>{html.escape(r['verdict'])}</td></tr>"
        for r in findings(summary))
    page = _PAGE.format(title=html.escape(f"slopscope: {run_dir.name}"),
                        description=html.escape(config.get("description", "")),
                        data=data_section(run_dir, summary),
                        rows=rows, figures=body,
                        calibration=calibration_section(
                            run_dir.parent / "calibration" / f"{config['name']}.json"),
                        examples=examples_section(run_dir, train_set, test_set, taus, t1,
                                                  train_counts, last),
                        config=html.escape(str(config)))
    path = out_dir / "report.html"
    atomic_write_text(path, page)
    return path


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; }}
td.holds {{ color: #070; font-weight: bold; }} td.not {{ color: #a50; }}
img {{ max-width: 100%; }} pre {{ white-space: pre-wrap; font-size: 0.8em; }}
</style></head><body>
<h1>{title}</h1><p>{description}</p>
{data}
<h2>Findings</h2>
<table><tr><th>finding</th><th>measured (95 % bootstrap intervals)</th><th>verdict</th></tr>
{rows}
</table>
{calibration}
<h2>Figures</h2>
{figures}
{examples}
<h2>Configuration</h2><pre>{config}</pre>
</body></html>
"""
