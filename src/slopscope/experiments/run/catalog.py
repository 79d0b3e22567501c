"""The catalogue of run directories: key settings and headline figures, one row per run."""

from __future__ import annotations

from pathlib import Path

from slopscope.errors import SlopscopeError
from slopscope.store import read_json
from slopscope.summary import has_summary, read_summary

COLUMNS = ("run", "status", "family", "backbone", "P", "P_max_fraction", "steps", "copies",
           "train_reproduced", "heldout_reproduced", "rho_t1_train", "rho_t1_heldout", "verdict_a",
           "verdict_d")


def catalog(runs_dir) -> list[dict]:
    """One row per run directory under runs_dir (those with a config.json)."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise SlopscopeError(f"{runs_dir} is not a directory of runs")
    rows = []
    for config_path in sorted(runs_dir.glob("*/config.json")):
        run_dir = config_path.parent
        config = read_json(config_path)["config"]
        g = config["grammar"]
        p_max = g["n"] * g["m"] ** ((g["s"] ** g["L"] - 1) // (g["s"] - 1))
        from_file = bool(config["data"].get("path"))  # token data: no P_max
        row = {"run": run_dir.name,
               "status": "done" if (run_dir / "done.json").exists() else "incomplete",
               "family": config["diffusion"]["family"],
               "backbone": config["model"]["backbone"], "P": config["data"]["train"],
               "P_max_fraction": None if from_file else config["data"]["train"] / p_max,
               "steps": config["train"]["steps"]}
        try:
            summary = read_summary(run_dir) if has_summary(run_dir) else None
        except SlopscopeError:  # a summary of an older layout: `slopscope measure` renews it
            row["status"] = "re-measure"
            summary = None
        if summary is not None:  # runs measured before verdicts have none
            row.update(verdict_a=summary.verdict("A"), verdict_d=summary.verdict("D"),
                       copies=summary.copy_fraction,
                       train_reproduced=summary.train.reproduced_fraction,
                       heldout_reproduced=summary.test.reproduced_fraction,
                       rho_t1_train=summary.train.rho("t1"),
                       rho_t1_heldout=summary.test.rho("t1"))
        rows.append(row)
    return rows


def format_catalog(rows: list[dict]) -> str:
    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.3g}"
        return str(value)

    table = [list(COLUMNS)] + [[cell(row.get(c)) for c in COLUMNS] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True))
                     for r in table)
