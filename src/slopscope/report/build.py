"""The HTML report of a run: figures (also saved as PNG and SVG) and a findings table, built
from the run directory alone (tables, summary.json, data.json, config.json): the report reads,
it never measures."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from slopscope.data_info import read_data_info
from slopscope.errors import SlopscopeError
from slopscope.report import plots
from slopscope.report.html import escape, figure_html, page, table
from slopscope.report.sections import (
    calibration_section,
    data_section,
    examples_section,
    regime_section,
)
from slopscope.report.trust import verdict_cell
from slopscope.saved_config import read_saved_config
from slopscope.store import (
    atomic_write_text,
    read_columns,
    read_json,
    run_tables,
)
from slopscope.summary import RunSummary, read_summary
from slopscope.toml_text import to_toml
from slopscope.verdicts import findings as registered


def findings(summary: RunSummary, calibration: dict | None = None) -> list[dict]:
    """Rows (finding, measured, verdict, css) for every registered finding, displayed from
    summary.json (the rules live in slopscope.experiments.verdicts): run findings with their
    secondary variants, sweep findings with the sweep that judges them. Each verdict cell says
    how far it can be trusted (report.trust), from `calibration`: {verdict name: rates}."""
    rows = []
    for found in registered():
        if found.judges_sweeps:
            rows.append({"finding": found.title,
                         "measured": f"needs a sweep: slopscope sweep {found.sweep_preset}",
                         "verdict": "not measurable in one run", "css": "not"})
            continue
        if found.name not in summary.findings:
            continue
        answer = summary.findings[found.name]
        secondary = answer.details.get("secondary")
        if secondary is None:
            measured = f"{answer.measured} (rule: {answer.rule})"
        else:
            measured = answer.measured
        verdict, css = verdict_cell(found.name, answer.verdict,
                                    (calibration or {}).get(found.name),
                                    saturated=answer.details.get("saturated", False))
        rows.append({"finding": found.title + (" (primary)" if secondary is not None else ""),
                     "measured": measured, "verdict": verdict, "css": css})
        for s in secondary or []:
            verdict, css = verdict_cell(found.name, s["verdict"], None, secondary=True,
                                        saturated=s.get("saturated", False))
            rows.append({"finding": f"{found.name} (secondary)", "measured": s["measured"],
                         "verdict": verdict, "css": css})
    return rows


TABLES = ("checkpoints", "blocks", "typicality", "times", "quintiles", "neighbours", "examples")


def build_report(run_dir, calibration: Path | str | None = None) -> Path:
    """Write <run>/report/report.html (+ one PNG and SVG per figure); returns the page path.
    `calibration`: a calibration file of this configuration (slopscope calibrate; the
    application layer, slopscope.app, chooses it), or None."""
    run_dir = Path(run_dir)
    summary = read_summary(run_dir)
    missing = [name for name in TABLES if not (run_tables(run_dir) / f"{name}.parquet").exists()]
    if missing:
        raise SlopscopeError(f"{run_dir} lacks tables/{missing[0]}.parquet (measured by an older "
                             f"slopscope): run `slopscope measure {run_dir}` first")
    saved = read_saved_config(run_dir)
    config = saved.config
    out_dir = run_dir / "report"
    if out_dir.is_symlink():  # never written through a link to elsewhere: a folder of its own
        out_dir.unlink()
    tables = functools.cache(lambda name: read_columns(run_dir / "tables" / f"{name}.parquet"))
    heldout = read_data_info(run_dir).figures.get("test", 0)
    body = "\n".join(figure_html(fig, name, out_dir, caption)
                     for name, fig, caption in plots.run_figures(tables, summary, heldout))
    rates = read_json(calibration)["verdicts"] if calibration and Path(calibration).exists() \
        else None
    rows = findings(summary, rates)
    found = table([(r["finding"], r["measured"], r["verdict"]) for r in rows],
                  ("finding", "measured (95 % bootstrap intervals)", "verdict (trust)"),
                  [r["css"] for r in rows])
    examples = tables("examples")
    content = "\n".join([
        f"<p>{escape(saved.description)}</p>",
        data_section(run_dir, summary.source),
        f"<h2>Findings</h2>\n{found}",
        regime_section(summary),
        calibration_section(calibration, saved.name),
        f"<h2>Figures</h2>\n{body}",
        examples_section({k: np.asarray(v).tolist() for k, v in examples.items()}),
        f"<h2>Configuration</h2><pre>{escape(to_toml(config))}</pre>"])
    path = out_dir / "report.html"
    atomic_write_text(path, page(f"slopscope: {run_dir.name}", content))
    return path
