"""The HTML report of a run: figures (also saved as PNG and SVG) and a findings table, built
from the run directory alone (tables, summary.json, data.json, config.json): the report reads,
it never measures."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.report import plots
from slopscope.report.html import escape, figure_html, page, table, verdict_class
from slopscope.report.sections import calibration_section, data_section, examples_section
from slopscope.store import (
    atomic_write_text,
    calibration_path,
    read_columns,
    read_json,
)
from slopscope.summary import RunSummary, read_summary
from slopscope.toml_text import to_toml


def findings(summary: RunSummary) -> list[dict]:
    """Rows (finding, measured, verdict) for A-D, displayed from summary.json (the rules live in
    slopscope.experiments.verdicts.run_rules)."""
    found = summary.findings
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


def calibration_matches(path, run_dir) -> bool:
    """Whether the calibration file at `path` exists and calibrates this run's configuration
    (its "config_hash" is the run's identity; files without one are accepted)."""
    if path is None or not Path(path).exists():
        return False
    calibrated = read_json(path).get("config_hash")
    return calibrated is None or calibrated == read_json(Path(run_dir) / "config.json")["hash"]


TABLES = ("checkpoints", "blocks", "typicality", "times", "quintiles", "neighbours", "examples")


def build_report(run_dir, calibration: Path | str | None = None) -> Path:
    """Write <run>/report/report.html (+ one PNG and SVG per figure); returns the page path.
    `calibration`: a calibration file of this configuration (slopscope calibrate); by default
    the one saved next to the run (<runs>/calibration/<name>.json), when there is one."""
    run_dir = Path(run_dir)
    summary = read_summary(run_dir)
    missing = [name for name in TABLES if not (run_dir / "tables" / f"{name}.parquet").exists()]
    if missing:
        raise SlopscopeError(f"{run_dir} lacks tables/{missing[0]}.parquet (measured by an older "
                             f"slopscope): run `slopscope measure {run_dir}` first")
    config = read_json(run_dir / "config.json")["config"]
    if calibration is None:
        calibration = calibration_path(run_dir.parent, config["name"])
    if not calibration_matches(calibration, run_dir):  # none, or of another configuration
        calibration = None
    out_dir = run_dir / "report"
    tables = functools.cache(lambda name: read_columns(run_dir / "tables" / f"{name}.parquet"))
    body = "\n".join(figure_html(fig, name, out_dir)
                     for name, fig in plots.run_figures(tables, summary))
    rows = findings(summary)
    found = table([(r["finding"], r["measured"], r["verdict"]) for r in rows],
                  ("finding", "measured (95 % bootstrap intervals)", "verdict"),
                  [verdict_class(r["verdict"]) for r in rows])
    examples = tables("examples")
    content = "\n".join([
        f"<p>{escape(config.get('description', ''))}</p>",
        data_section(run_dir, summary.source),
        f"<h2>Findings</h2>\n{found}",
        calibration_section(calibration, config["name"]),
        f"<h2>Figures</h2>\n{body}",
        examples_section({k: np.asarray(v).tolist() for k, v in examples.items()}),
        f"<h2>Configuration</h2><pre>{escape(to_toml(config))}</pre>"])
    path = out_dir / "report.html"
    atomic_write_text(path, page(f"slopscope: {run_dir.name}", content))
    return path
