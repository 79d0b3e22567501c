"""`slopscope reproduce`: run every row of the results page (experiments/results/rows.toml)
and its calibration, and write <out>/results.json (the report turns it into results.md).

Each finished row (no failed run) is saved as <out>/rows/<key>.json with the hash of its
specification and the revision of its finding's rule (slopscope.verdicts.Finding.revision), and
skipped next time unless either changed, so the job resumes row by row (and across machines,
when the row files are committed); the runs themselves are skipped when their run directories
are done (a run judged under an older rule is judged again from its measurements). Each row
records its own wall time, so a job spread over several calls still adds up.
`only` runs the named rows alone (the others are kept when finished before, else listed as
pending), so one regime or one row can run on its own machine."""

from __future__ import annotations

import time
from pathlib import Path

from slopscope.errors import SlopscopeError
from slopscope.experiments.calibration.calibrate import calibrate
from slopscope.experiments.config.run_time import cost_text
from slopscope.experiments.results.plan import REGIMES, Row, estimate_seconds, read_rows
from slopscope.experiments.results.regime_figures import row_figures, run_figures
from slopscope.experiments.sweeps.executors import Execution
from slopscope.experiments.sweeps.sweep import grid_points, run_sweep
from slopscope.experiments.verdicts.pooled import null_mean, pooled, pooled_rate
from slopscope.store import atomic_write_text, read_columns, read_json, read_table, write_json
from slopscope.summary import has_summary, read_summary
from slopscope.toml_text import to_toml
from slopscope.verdicts import Verdict, findings, format_interval


def reproduce(out="results", execution: Execution | None = None, quick: bool = False,
              report=print, only=None, regime=None) -> Path:
    """Run (or resume) the results page (or the rows named in `only` and those of `regime`) as
    `execution` says (runs directory, workers: default 2, executor); returns the path of
    results.json."""
    out, execution = Path(out), execution or Execution()
    rows = read_rows(quick)
    selected = select_rows(rows, only, regime)
    workers = execution.workers_or(2)
    run = {"execution": execution, "report": report}
    plan = estimate_seconds([row for row in rows if row.key in selected], workers)
    cost = cost_text(plan["trained_runs"], plan["seconds"] * workers, workers)
    report(f"reproduce{' --quick' if quick else ''}: {len(selected)} of {len(rows)} rows: "
           f"trained {cost}, with their oracle calibrations")
    began = time.perf_counter()
    results, calibrations, pending = [], {}, []
    for i, row in enumerate(rows, start=1):
        path = out / "rows" / f"{row.key}.json"
        result, why = finished_row(path, row)
        if result is not None:
            report(f"[{i}/{len(rows)}] {row.key}: done before")
        elif row.key not in selected:
            report(f"[{i}/{len(rows)}] {row.key}: not selected, pending{why}")
            pending.append(row.key)
            continue
        else:
            report(f"[{i}/{len(rows)}] {row.key}: {row.seeds} seeds x {row.points} points "
                   f"({time.perf_counter() - began:.0f} s so far){why}")
            row_began = time.perf_counter()
            calibration = _calibration(row, rows, calibrations, out, run)
            result = _row_result(row, _sweep(row, out, run), calibration)
            result["seconds"] = time.perf_counter() - row_began
            report(f"{row.key}: {result['verdict']}, {result['seconds']:.0f} s")
            if result["failed"]:  # not saved as finished: the next call runs it again
                report(f"{row.key}: {result['failed']} runs failed; the row is not final")
            else:
                write_json(path, result)
        results.append(result)
    path = out / "results.json"
    write_json(path, {"quick": quick, "rows": results, "pending": pending,
                      "seconds": sum(r.get("seconds", 0.0) for r in results)})
    return path


def finished_row(path: Path, row: Row) -> tuple[dict | None, str]:
    """(the saved result of a row finished before under the same specification and the same
    revision of its finding's rule, or None; why a saved row is not final, for the progress
    line). A row saved without a revision was judged under revision 1."""
    if not path.exists():
        return None, ""
    saved = read_json(path)
    if saved.get("spec") != row.spec_hash():
        return None, " (its specification changed)"
    judged, now = saved.get("revision", 1), row.judged.revision
    if judged != now:
        return None, f" (judged under revision {judged} of the {row.finding} rule, now {now})"
    return saved, ""


def select_rows(rows: list[Row], only=None, regime: str | None = None) -> set[str]:
    """The keys of the rows to run: all, or those named and those of a regime (REGIMES); each
    named key must be a row of the page."""
    keys = [row.key for row in rows]
    if not only and regime is None:
        return set(keys)
    unknown = [key for key in only or () if key not in keys]
    if unknown:
        raise SlopscopeError(f"--rows {','.join(unknown)}: not a row of the results page; "
                             f"allowed: {', '.join(keys)}")
    if regime is not None and regime not in REGIMES:
        raise SlopscopeError(f"--regime {regime}: allowed: {', '.join(REGIMES)}")
    return set(only or ()) | {row.key for row in rows if row.regime == regime}


def _sweep(row: Row, out: Path, run: dict) -> Path:
    sweep_file = out / "sweeps" / f"{row.sweep['name']}.toml"
    atomic_write_text(sweep_file, to_toml(row.sweep) + "\n")
    return run_sweep(sweep_file, **run)


def _calibration(row: Row, rows, done: dict, out: Path, run: dict) -> dict | None:
    """The calibration table of the row (its own, or the one of the row it shares)."""
    if row.calibration == "none":
        return None
    source = row if row.calibration == "self" else next(r for r in rows
                                                        if r.key == row.calibration)
    if source.key not in done:
        if source.judged.judges_runs:  # a run configuration: write it out as TOML
            path = out / "sweeps" / f"{source.sweep['name']}-config.toml"
            atomic_write_text(path, to_toml(source.config().to_dict()) + "\n")
        else:
            path = out / "sweeps" / f"{source.sweep['name']}.toml"
            atomic_write_text(path, to_toml(source.sweep) + "\n")
        done[source.key] = calibrate(str(path), source.calibration_runs, **run)
    return done[source.key]


def _row_result(row: Row, sweep_dir: Path, calibration: dict | None) -> dict:
    index = read_table(sweep_dir / "index.parquet").to_pylist()
    done = [r for r in index if r["run_dir"] and has_summary(r["run_dir"])]
    summaries = [read_summary(r["run_dir"]) for r in done]
    if row.judged.judges_runs:
        found = pooled(row.judged, [s.findings[row.finding] for s in summaries])
    else:
        saved = read_json(sweep_dir / "findings.json").get(row.finding)
        found = (Verdict.from_dict(saved) if saved else Verdict.make(
            "not measurable", measured="the sweep gave no runs to judge"))
    return {"key": row.key, "title": row.title, "finding": row.finding, "quick": row.quick,
            "spec": row.spec_hash(), "revision": row.judged.revision, "seeds": row.seeds,
            "points": row.points,
            "runs": len(summaries), "failed": len(index) - len(summaries),
            "sweep_dir": str(sweep_dir), **{k: found.to_dict().get(k) for k in
                                             ("verdict", "statistic", "low", "high", "measured",
                                              "rule", *_figure_details())},
            "note": row.note, "calibration": _rates(row, calibration, found),
            "regime": REGIMES[row.regime], **_regime(row, done, summaries)}


def _figure_details() -> list[str]:
    """The verdict details that the registered findings draw as figures (each a key of every
    row: null where the row's finding draws none)."""
    return list(dict.fromkeys(f.figure.detail for f in findings() if f.figure))


def _regime(row: Row, done: list[dict], summaries: list) -> dict:
    """The regime figures of the row's runs, each at the checkpoint its statistic uses, and
    (a row of several grid points) of each point's runs, so that an arm which never
    generalised is named."""
    figures = []
    for entry, summary in zip(done, summaries, strict=True):
        found = summary.findings.get(row.finding) if row.judged.judges_runs else None
        table = read_columns(Path(entry["run_dir"]) / "tables" / "checkpoints.parquet")
        figures.append(run_figures(summary, table, found.details.get("step") if found else None))
    per_point = _per_point(row, done, figures) if row.points > 1 else None
    return {"regime_figures": row_figures(figures), "regime_per_point": per_point}


def _per_point(row: Row, done: list[dict], figures: list) -> list[dict]:
    """The regime figures of each grid point's runs, labelled key=value as in the index."""
    keys = [key for key, _ in grid_points(row.sweep)[0]]
    labels = [", ".join(f"{key}={entry[key]}" for key in keys) for entry in done]
    return [{"point": label, "figures": row_figures([f for f, at in zip(figures, labels,
                                                                        strict=True)
                                                     if at == label])}
            for label in dict.fromkeys(labels)]


def _rates(row: Row, calibration: dict | None, found: dict) -> dict | None:
    """False-positive rate and power of the row's rule on the controls (power: on the control
    with a true effect, planted memorisation, or for D planted slop)."""
    if calibration is None:
        return None
    judged = row.judged
    if judged.judges_runs:  # the pooled rule, on groups of as many runs as it pooled
        stats = calibration["statistics"].get(row.finding, {})
        group = found.details.get("measurable") or row.seeds
        return {"false_positive_rate": pooled_rate(stats.get(judged.null_arm, []), group),
                "power": pooled_rate(stats.get(judged.power_arm, []), group),
                "null_mean": null_mean(stats.get(judged.null_arm, [])),
                "power_arm": judged.power_arm, "replicates": calibration["replicates"],
                "pooled_over": group}
    rates = calibration["verdicts"].get(row.finding, {})
    return {"false_positive_rate": rates.get(judged.null_label),
            "power": rates.get(judged.power_label), "power_arm": judged.power_arm,
            "replicates": calibration["replicates"], "pooled_over": None}


def describe(result: dict) -> str:
    """One line of a row for the console."""
    text = format_interval(result.get("statistic"), result.get("low"), result.get("high"))
    return f"{result['key']:18s} {result['verdict']:15s} {text}"
