"""The application layer: "run, measure, sweep, calibrate or reproduce, then report", for the
command line (cli.py is argparse and printing only) and for notebooks.

The policies that belong to neither the experiments nor the reports live here, once:
- which calibration a report shows (`calibration_for`): the one saved next to the run
  (<runs>/calibration/<name>.json) when it calibrates this configuration, else the one shipped
  with slopscope for its preset;
- when a report is stale (`_fresh`): older than the summary or the calibration it shows;
- the one-line summary of a run (`summary_line`);
- the reports of a sweep's runs;
- how many threads a process computes with (`use_threads`, from slopscope.threads: one by
  default; the CLI calls it once, before any work).
`slopscope.experiments` never imports `slopscope.report`; this module imports both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from slopscope import __version__ as VERSION  # noqa: F401 - the CLI's --version
from slopscope.errors import SlopscopeError
from slopscope.experiments.presets import (
    preset_names,
    shipped_calibration,
    sweep_preset_names,
)
from slopscope.experiments.sweeps.executors import (  # noqa: F401 - the CLI builds them here
    EXECUTOR_OPTIONS,
    EXECUTORS,
    Execution,
)
from slopscope.saved_config import read_saved_config
from slopscope.store import calibration_path, read_json, sweep_name
from slopscope.summary import has_summary, read_summary, summary_path
from slopscope.threads import DEFAULT_THREADS, use_threads  # noqa: F401 - the CLI sets them here

Report = Callable[[str], None]


@dataclass(frozen=True)
class RunDone:
    run_dir: Path
    line: str  # the run's summary line
    page: Path  # its report


# ---- calibrations and reports --------------------------------------------------------------


def _calibrates(path: Path | None, run_dir) -> bool:
    """Whether the calibration file at `path` exists and calibrates this run's configuration
    (its "config_hash" is the run's identity; files without one are accepted)."""
    if path is None or not Path(path).exists():
        return False
    calibrated = read_json(path).get("config_hash")
    return calibrated is None or calibrated == read_saved_config(run_dir).hash


def calibration_for(run_dir) -> Path | None:
    """The calibration a run's report shows: the one saved next to the run when it calibrates
    this configuration, else the one shipped for its preset, else None."""
    name = read_saved_config(run_dir).name
    for path in (calibration_path(Path(run_dir).parent, name), shipped_calibration(name)):
        if _calibrates(path, run_dir):
            return path
    return None


def sweep_calibration_for(sweep_dir) -> Path | None:
    """The calibration of a sweep (<runs>/calibration/<sweep name>.json), when there is one."""
    path = calibration_path(Path(sweep_dir).parent.parent, sweep_name(sweep_dir))
    return path if path.exists() else None


def _fresh(page: Path, inputs: list[Path]) -> bool:
    """Whether a page is newer than every input it shows."""
    return page.exists() and all(not p.exists() or p.stat().st_mtime <= page.stat().st_mtime
                                 for p in inputs)


def run_report(run_dir, force: bool = False) -> Path:
    """A run's report, built (or rebuilt when forced or stale) with its calibration."""
    from slopscope.report import build_report

    run_dir = Path(run_dir)
    calibration = calibration_for(run_dir)
    page = run_dir / "report" / "report.html"
    inputs = [summary_path(run_dir)] + ([calibration] if calibration else [])
    if _fresh(page, inputs) and not force:
        return page
    return build_report(run_dir, calibration)


def sweep_report(sweep_dir) -> Path:
    from slopscope.report import build_sweep_report

    return build_sweep_report(sweep_dir, sweep_calibration_for(sweep_dir))


def report(path) -> Path:
    """Rebuild the report of a run directory or of a sweep directory."""
    path = Path(path)
    if (path / "index.parquet").exists():  # a sweep directory
        from slopscope.experiments.sweeps.sweep import summarise_sweep

        summarise_sweep(path)  # its runs may have been measured again
        return sweep_report(path)
    read_summary(path)  # a one-line error when the run has no measurements yet
    return run_report(path, force=True)


def summary_line(run_dir) -> str:
    """One line: copies, reproduced fractions and every verdict of the run."""
    from slopscope.data_info import read_data_info

    summary = read_summary(run_dir)
    verdicts = "; ".join(
        f"{name} {v.verdict}" + (f" {v.interval()}" if v.statistic is not None
                                 else "")
        for name, v in summary.findings.items()) or "no verdicts (re-measure the run)"
    line = (f"{run_dir}: copies {summary.copy_fraction:.3f} of generations; reproduced train "
            f"{summary.train.reproduced_fraction:.3f} vs held-out "
            f"{summary.test.reproduced_fraction:.3f}; {verdicts}")
    if summary.source == "tokens":
        data = read_data_info(run_dir)
        line += (f"; data: {data.sequences} sequences, {data.duplicates} duplicates "
                 f"({data.duplicates_removed} removed)")
    return line


# ---- the commands ----------------------------------------------------------------------------


def run(source: str, overrides=(), execution: Execution | None = None,
        progress: bool = True) -> Iterator[RunDone]:
    """Run (or resume, or skip) every seed of an experiment, each followed by its report: here,
    one seed after the other, or, when `execution` names workers or another executor (a SLURM
    partition, a Ray cluster), as jobs of that executor."""
    from slopscope.experiments import load_config
    from slopscope.experiments.run.runner import run_experiment
    from slopscope.experiments.sweeps.sweep import Job

    execution = execution or Execution()
    config = load_config(source, list(overrides))
    if execution.executor == "local" and execution.workers is None:
        run_dirs = (run_experiment(config, seed, execution.runs_dir, progress=progress)
                    for seed in config.seeds)
    else:
        jobs = [Job(tuple(overrides), (), seed) for seed in config.seeds]
        rows = execution.run(source, jobs, print if progress else lambda _: None)
        failed = [r["error"] for r in rows if r["error"]]
        if failed:
            raise SlopscopeError(f"{len(failed)} of {len(rows)} seeds failed: {failed[0]}")
        run_dirs = (Path(r["run_dir"]) for r in sorted(rows, key=lambda r: r["job"].seed))
    for run_dir in run_dirs:
        yield RunDone(run_dir, summary_line(run_dir), run_report(run_dir))


def measure(run_dir, overrides=(), force: bool = False, progress: bool = True) -> RunDone:
    """Measure a run's checkpoints again (those without measurements, or all), then report."""
    from slopscope.experiments.run.runner import measure_run

    run_dir = Path(run_dir)
    read_saved_config(run_dir)  # a one-line error when it is not a run directory
    measure_run(run_dir, list(overrides), progress=progress, force=force)
    page = run_report(run_dir)
    return RunDone(run_dir, summary_line(run_dir), page)


@dataclass(frozen=True)
class SweepDone:
    sweep_dir: Path
    page: Path
    failed: int  # runs that failed
    notes: list  # runs without a report, and why


def results_regimes() -> tuple[str, ...]:
    """The regimes of the results page's rows (`slopscope reproduce --regime`)."""
    from slopscope.experiments.results.plan import REGIMES

    return tuple(REGIMES)


def run_presets() -> tuple[str, ...]:
    """The names of the shipped run presets."""
    return tuple(preset_names())


def sweep_presets() -> tuple[str, ...]:
    """The names of the shipped sweep presets."""
    return sweep_preset_names()


def sweep(sweep_file, execution: Execution | None = None) -> SweepDone:
    """Run a sweep, then the reports of its runs and its own."""
    from slopscope.experiments.sweeps.sweep import run_sweep
    from slopscope.store import read_table

    sweep_dir = run_sweep(sweep_file, execution)
    index = read_table(sweep_dir / "index.parquet").to_pylist()
    notes = []
    for row in index:
        if row["run_dir"] and has_summary(row["run_dir"]):
            try:
                run_report(Path(row["run_dir"]))
            except SlopscopeError as exc:  # e.g. a run measured by an older slopscope
                notes.append(f"no report for {row['run_dir']}: {exc}")
    return SweepDone(sweep_dir, sweep_report(sweep_dir), sum(bool(r.get("error")) for r in index),
                     notes)


def calibrate(source: str, runs: int = 20, memorize: float = 0.3,
              execution: Execution | None = None, onset=None, arms=None) -> dict:
    from slopscope.experiments.calibration.calibrate import calibrate as run_calibration

    return run_calibration(source, runs, memorize, execution, onset=onset, only_arms=arms)


def reproduce(out=None, execution: Execution | None = None, quick: bool = False, only=None,
              regime=None) -> tuple[list[str], Path]:
    """Run (or resume) the results page (or the rows in `only` and those of `regime`); (one
    line per row, the path of results.md)."""
    from slopscope.experiments.results.reproduce import describe
    from slopscope.experiments.results.reproduce import reproduce as run_rows
    from slopscope.report.results import build_results

    out = Path(out or ("results/quick" if quick else "results"))
    path = run_rows(out, execution, quick, only=only, regime=regime)
    return [describe(row) for row in read_json(path)["rows"]], build_results(out)


def regime(sweep: str = "regime", out=None, execution: Execution | None = None,
           quick: bool = False) -> Path:
    """Run (or resume) the regime study, then its page; returns regime.md."""
    from slopscope.experiments.studies.regime import default_page, run_regime
    from slopscope.report.regime import build_regime

    out = Path(out or default_page(quick))
    run_regime(out, execution, quick, sweep)
    return build_regime(out)


def counterfactual(source: str, overrides=(), models: int = 8, seed: int = 0,
                   execution: Execution | None = None) -> tuple[dict, Path]:
    """Train the half-pool models and score counterfactual memorisation; (the held-out-free
    verdict on A, the page)."""
    from slopscope.experiments.studies.counterfactual import run_counterfactual
    from slopscope.report.counterfactual import build_counterfactual_report

    sweep_dir = run_counterfactual(source, list(overrides), models, seed, execution)
    page = build_counterfactual_report(sweep_dir, sweep_calibration_for(sweep_dir))
    return read_json(sweep_dir / "counterfactual.json")["finding_a"], page


def calibrate_counterfactual(source: str, overrides=(), replicates: int = 20, models: int = 8,
                             execution: Execution | None = None) -> dict:
    from slopscope.experiments.studies.counterfactual_calibration import (
        calibrate_counterfactual as run_calibration,
    )

    return run_calibration(source, list(overrides), replicates, models, execution=execution)


def probe(run_dir, masks=None, reveal=(0.25, 0.5), sampler_steps=(0,),
          completions: int = 2) -> Path:
    """Extraction probes of a run, then their page."""
    from slopscope.experiments.studies.probe import SHAPES, probe_run
    from slopscope.report.probe import build_probe_report

    probe_run(run_dir, masks or SHAPES, reveal, sampler_steps, completions)
    return build_probe_report(run_dir)


def catalog(runs_dir="runs") -> str:
    from slopscope.experiments.run.catalog import catalog as rows_of
    from slopscope.experiments.run.catalog import format_catalog, sweep_catalog, sweep_columns

    rows = rows_of(runs_dir)
    text = format_catalog(rows) if rows else f"no runs in {runs_dir}"
    sweeps = sweep_catalog(runs_dir)
    if sweeps:
        text += "\n\n" + format_catalog(sweeps, sweep_columns())
    return text
