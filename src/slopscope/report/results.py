"""The results page: <out>/results.md and its figures, read from <out>/results.json."""

from __future__ import annotations

import math
from pathlib import Path

from slopscope.report import plots
from slopscope.store import atomic_write_bytes, atomic_write_text, read_json


def _interval(row) -> str:
    stat = row.get("statistic")
    if stat is None or not math.isfinite(stat):
        return "n/a"
    return f"{stat:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}]"


def _rate(rate) -> str:
    if not rate:
        return "-"
    return (f"{rate['rate']:.3f} [{rate['low']:.2f}, {rate['high']:.2f}] "
            f"({rate['hits']}/{rate['n']})")


def _calibration(row) -> tuple[str, str]:
    found = row.get("calibration")
    if found is None:
        return "not available (no grammar: no oracle controls)", "-"
    return _rate(found.get("false_positive_rate")), _rate(found.get("power"))


def _plainly(row) -> str | None:
    """A sentence for a row that does not reproduce, with the power that was available."""
    if row["verdict"] == "holds":
        return None
    _, power = _calibration(row)
    return (f"- **{row['key']}** does not reproduce here ({row['verdict']}: "
            f"{row['measured']}); the power of its rule on planted controls was {power}.")


def _step(value) -> str:
    """A training step, or 'not reached' (JSON null: never within the runs)."""
    return "not reached" if value is None or not math.isfinite(value) else f"{value:.0f}"


def _save(fig, path: Path) -> str:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plots.plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return path.name


def build_results(out="results") -> Path:
    """Write <out>/results.md (+ statistics.png, e1_scaling.png) from <out>/results.json."""
    out = Path(out)
    data = read_json(out / "results.json")
    rows = data["rows"]
    label = "QUICK (a first look: fewer seeds, shorter runs) — " if data["quick"] else ""
    lines = [f"# slopscope results{' (quick)' if data['quick'] else ''}", "",
             f"{label}Regenerate with `slopscope reproduce{' --quick' if data['quick'] else ''}`."
             " Each row: the statistic with its 95 % interval over seeds (a seed varies the "
             "grammar, the split and the initialisation), the verdict, and the calibration of "
             "that verdict on oracle controls whose answer is known (false-positive rate on the "
             "null; power on planted memorisation). Rules: docs/verdicts.md.", "",
             "| row | finding | seeds x points | statistic [95 % interval] | verdict | "
             "false-positive rate | power |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        fpr, power = _calibration(row)
        lines.append(f"| {row['key']} | {row['title']} | {row['seeds']} x {row['points']} "
                     f"({row['failed']} failed) | {_interval(row)} | **{row['verdict']}** | "
                     f"{fpr} | {power} |")
    lines += ["", "## What each row measured", ""]
    lines += [f"- **{row['key']}**: {row['measured']} (rule: {row['rule']})" for row in rows]
    misses = [text for text in map(_plainly, rows) if text]
    if misses:
        lines += ["", "## What does not reproduce", "", *misses]
    figure = _save(plots.results_statistics(rows), out / "statistics.png")
    lines += ["", f"![statistics with intervals]({figure})"]
    scaling = next((r["scaling"] for r in rows if r.get("scaling")), None)
    if scaling:
        lines += ["", "## Memorisation time against training-set size (E1)", "",
                  f"{scaling['measured']}. Window per P (geometric means over seeds; tau_rule: "
                  "most generations valid at every level; tau_mem: copying begins):", "",
                  "| P | seeds | tau_rule | tau_mem | censored |", "|---|---|---|---|---|"]
        lines += [f"| {w['P']} | {w['seeds']} | {_step(w['tau_rule'])} | {_step(w['tau_mem'])} | "
                  f"{w['censored']} |" for w in scaling["window"]]
        lines += ["", f"![tau against P]({_save(plots.scaling(scaling), out / 'e1_scaling.png')})"]
    path = out / "results.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
