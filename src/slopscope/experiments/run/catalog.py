"""The catalogue of run directories: key settings and headline figures, one row per run."""

from __future__ import annotations

from pathlib import Path

from slopscope.errors import SlopscopeError
from slopscope.saved_config import read_saved_config, run_dirs
from slopscope.store import read_json, read_table
from slopscope.summary import has_summary, read_summary
from slopscope.verdicts import RUN, SWEEP, of_scope

FIGURES = ("run", "status", "family", "backbone", "P", "P_max_fraction", "steps", "copies",
           "train_reproduced", "heldout_reproduced", "rho_t1_train", "rho_t1_heldout")


def columns() -> tuple[str, ...]:
    """The catalogue's columns: the run's figures, then one verdict per run finding."""
    return (*FIGURES, *(f"verdict_{f.name.lower()}" for f in of_scope(RUN)))


def catalog(runs_dir) -> list[dict]:
    """One row per run directory under runs_dir (those with a config.json)."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise SlopscopeError(f"{runs_dir} is not a directory of runs")
    rows = []
    for run_dir in run_dirs(runs_dir):
        saved = read_saved_config(run_dir)
        p_max = saved.p_max  # token data: None
        row = {"run": run_dir.name,
               "status": "done" if (run_dir / "done.json").exists() else "incomplete",
               "family": saved.family, "backbone": saved.backbone, "P": saved.train_size,
               "P_max_fraction": None if p_max is None else saved.train_size / p_max,
               "steps": saved.steps}
        try:
            summary = read_summary(run_dir) if has_summary(run_dir) else None
        except SlopscopeError:  # a summary of an older layout: `slopscope measure` renews it
            row["status"] = "re-measure"
            summary = None
        if summary is not None:  # runs measured before verdicts have none
            row.update({f"verdict_{f.name.lower()}": summary.verdict(f.name)
                        for f in of_scope(RUN)})
            row.update(copies=summary.copy_fraction,
                       train_reproduced=summary.train.reproduced_fraction,
                       heldout_reproduced=summary.test.reproduced_fraction,
                       rho_t1_train=summary.train.rho("t1"),
                       rho_t1_heldout=summary.test.rho("t1"))
        rows.append(row)
    return rows


SWEEP_FIGURES = ("sweep", "runs", "failed")


def sweep_columns() -> tuple[str, ...]:
    """The sweep catalogue's columns: the sweep, its runs, then one verdict per sweep finding."""
    return (*SWEEP_FIGURES, *(f"verdict_{f.name.lower()}" for f in of_scope(SWEEP)))


def sweep_catalog(runs_dir) -> list[dict]:
    """One row per sweep directory under runs_dir/sweeps (those with an index): its runs and
    the verdicts of the sweep findings that judged it (findings.json; "-": not judged)."""
    rows = []
    for sweep_dir in sorted((Path(runs_dir) / "sweeps").glob("*/index.parquet")):
        sweep_dir = sweep_dir.parent
        index = read_table(sweep_dir / "index.parquet").to_pylist()
        found = (read_json(sweep_dir / "findings.json")
                 if (sweep_dir / "findings.json").exists() else {})
        rows.append({"sweep": sweep_dir.name, "runs": len(index),
                     "failed": sum(bool(r.get("error")) for r in index),
                     **{f"verdict_{f.name.lower()}": found[f.name]["verdict"]
                        for f in of_scope(SWEEP) if f.name in found}})
    return rows


def format_catalog(rows: list[dict], names: tuple[str, ...] | None = None) -> str:
    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.3g}"
        return str(value)

    names = names or columns()
    table = [list(names)] + [[cell(row.get(c)) for c in names] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(names))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True))
                     for r in table)
