"""The results page: <out>/results.md and its figures, read from <out>/results.json."""

from __future__ import annotations

import math
import re
from pathlib import Path

from slopscope.report import captions, page_plots, plots
from slopscope.report.html import format_step
from slopscope.report.trust import verdict_cell
from slopscope.store import atomic_write_text, read_json
from slopscope.verdicts import BY_NAME, PLANTED, arm_named, format_interval

# the regime of a row saved before rows recorded theirs (all were below the sample complexity)
_OLDER = "below the sample complexity"


def _md(value) -> str:
    """Free text in Markdown, which renders inline HTML: a '<' that could open a tag becomes
    &lt;, and '|' (a table cell's end) and line breaks are escaped."""
    text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", str(value))
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _interval(row) -> str:
    return format_interval(row.get("statistic"), row.get("low"), row.get("high"))


def _rate(rate) -> str:
    if not rate:
        return "-"
    return (f"{rate['rate']:.3f} [{rate['low']:.2f}, {rate['high']:.2f}] "
            f"({rate['hits']}/{rate['n']})")


def _verdict(row) -> str:
    """The row's verdict with its trust in words, from its calibration (report/trust.py)."""
    found, judged = row.get("calibration"), BY_NAME.get(row["finding"])
    rates = None
    if found and judged and found.get("false_positive_rate") and found.get("power"):
        rates = {judged.null_label: found["false_positive_rate"],
                 judged.power_label: found["power"]}
    text, _ = verdict_cell(row["finding"], row["verdict"], rates)
    text = text if rates else f"{row['verdict']} (not calibrated: no oracle controls)"
    if judged and row.get("revision", judged.revision) < judged.revision:
        text += (f"; judged under revision {row['revision']} of the rule (now "
                 f"{judged.revision}): slopscope reproduce judges it again")
    return text


def _calibration(row) -> tuple[str, str]:
    found = row.get("calibration")
    if found is None:
        return "not available (no grammar: no oracle controls)", "-"
    return _rate(found.get("false_positive_rate")), _rate(found.get("power"))


def _plainly(row) -> str | None:
    """A sentence for a row that does not reproduce, with the power that was available."""
    if row["verdict"] == "holds":
        return None
    found = row.get("calibration")
    if found is None:
        power = "not measured (no oracle controls for this data)"
    else:
        arm = arm_named(found.get("power_arm") or PLANTED.name).described
        power = f"{_rate(found.get('power'))} on {arm}"
    return (f"- **{_md(row['key'])}** does not reproduce here ({_md(row['verdict'])}: "
            f"{_md(row['measured'])}); the power of its rule was {power}.")


def _window(w) -> str:
    """The stopping range of one P: generations mostly valid (tau_rule) before copying begins."""
    rule, mem = w["tau_rule"], w["tau_mem"]
    if rule is None or not math.isfinite(rule):
        return "none: most generations never valid"
    if mem is not None and math.isfinite(mem) and mem <= rule:
        return "none: copying begins first"
    return f"{rule:.0f} to {format_step(mem)}"


def _figures(figures: dict | None) -> dict:
    """A row's regime cells (experiments/results/regime_figures.py): tau*_L, tau_mem, window
    ratio, novel validity, regime label."""
    if figures is None:
        return {"tau_L": "-", "tau_mem": "-", "ratio": "-", "valid": "-",
                "label": "not measured (token data, or run before per-level validity)"}

    def time(c):  # censored centres are inf, null once saved
        text = format_step(c["centre"])
        return text + (f" ({c['censored']} censored)" if c["censored"] else "")

    ratio = figures["ratio"]
    return {"tau_L": time(figures["tau_L"]), "tau_mem": time(figures["tau_mem"]),
            "ratio": "-" if ratio is None else f"{'>' if figures['ratio_is_bound'] else ''}"
                                               f"{ratio:.1f}",
            "valid": "-" if figures["valid"] is None else f"{figures['valid']:.2f}",
            "label": figures["label"]}


def _per_point(row) -> str:
    """A row of several grid points: the regime of each point's runs (an arm that never
    generalised is named)."""
    points = row.get("regime_per_point")
    if not points:
        return ""
    parts = []
    for point in points:
        cells = _figures(point["figures"])
        parts.append(f"{_md(point['point'])}: {cells['label']}, tau*_L {cells['tau_L']}, "
                     f"tau_mem {cells['tau_mem']}, window ratio {cells['ratio']}, novel valid "
                     f"{cells['valid']}")
    return " Regime per point: " + "; ".join(parts) + "."


def _null_mean(row) -> str:
    found = (row.get("calibration") or {}).get("null_mean")
    if not found:
        return ""
    return (f" On its {found['n']} null calibration runs the pooled quantity averages "
            f"{format_interval(found['mean'], found['low'], found['high'], 4)} (should cover 0).")


def _figure_of(row: dict):
    """The figure a row's finding adds (slopscope.verdicts TimesFigure), when the row has its
    data."""
    found = BY_NAME.get(row["finding"])
    spec = found.figure if found else None
    return spec if spec is not None and row.get(spec.detail) else None


def _figure_section(row: dict, spec, out: Path, several: bool) -> list[str]:
    """The times against the compared grid value of a sweep finding's row (E1: against P): its
    exponent, the window per value, the figure."""
    data, column = row[spec.detail], spec.column
    exponent = data.get("exponent")
    anchor = ("" if exponent is None or spec.anchor is None else f" {spec.anchor_text} "
              + ("lies inside" if data["low"] <= spec.anchor <= data["high"] else "lies outside")
              + " this interval.")
    stem = f"{row['finding'].lower()}_{spec.detail}"
    name = f"{stem}_{row['key']}.png" if several else f"{stem}.png"
    title = f" ({_md(row['key'])}, {row.get('regime', _OLDER)})" if several else ""
    lines = ["", f"## {spec.heading} ({_md(row['finding'])}){title}", "",
             f"{_md(data['measured'])}.{anchor} Window per {column} (geometric means over the "
             "seeds that reach each onset; tau_rule: most generations valid at every level; "
             "tau_mem: copying begins):", "",
             f"| {column} | seeds | tau_rule | tau_mem | censored | window |",
             "|---|---|---|---|---|---|"]
    windows = [_window(w) for w in data["window"]]
    lines += [f"| {w[column]} | {w['seeds']} | {format_step(w['tau_rule'])} | "
              f"{format_step(w['tau_mem'])} | {w['censored']} | {window} |"
              for w, window in zip(data["window"], windows, strict=True)]
    if all(window.startswith("none") for window in windows):
        lines += ["", f"At no {column} do most generations become valid before copying begins: "
                  "these settings leave no stopping window."]
    figure = plots.save_png(page_plots.times_against_value(data, spec), out / name)
    return [*lines, "", f"![tau against {column}]({figure})", "",
            f"*{captions.times_against_value(spec.axis)}*"]


def _wall_time(row) -> str:
    seconds = row.get("seconds")
    return "" if seconds is None else f" Wall time {seconds:.0f} s."


def _wall_times(rows: list[dict], data: dict) -> str:
    """The job's wall time per regime: the sum of its rows' (each row times itself, so a job
    spread over several calls and machines still adds up)."""
    parts = []
    for regime in dict.fromkeys(row.get("regime", _OLDER) for row in rows):
        seconds = sum(r.get("seconds") or 0.0 for r in rows
                      if r.get("regime", _OLDER) == regime)
        parts.append(f"{regime} {seconds:.0f} s ({seconds / 3600:.1f} h)")
    total = sum(r.get("seconds") or 0.0 for r in rows)
    return (f"Wall time (the sum of the rows' own, on the machine each ran on): "
            f"{'; '.join(parts)}; in all {total:.0f} s ({total / 3600:.1f} h)"
            + (", not counting the pending rows." if data.get("pending") else "."))


def build_results(out="results") -> Path:
    """Write <out>/results.md (+ statistics.png and the findings' own figures, e.g.
    e1_scaling.png) from <out>/results.json."""
    out = Path(out)
    data = read_json(out / "results.json")
    rows = data["rows"]
    label = "QUICK (a first look: fewer seeds, shorter runs) — " if data["quick"] else ""
    lines = [f"# slopscope results{' (quick)' if data['quick'] else ''}", "",
             f"{label}Regenerate with `slopscope reproduce{' --quick' if data['quick'] else ''}`."
             " Each row: the statistic with its 95 % interval over seeds (a seed varies the "
             "grammar, the split and the initialisation), the verdict, and the calibration of "
             "that verdict on oracle controls whose answer is known (false-positive rate on the "
             "null; power on planted memorisation, or for D on planted slop). Rules: "
             "docs/verdicts.md.", "",
             "Each finding's rows are side by side, one per regime: presets below the "
             "grammar's sample complexity (models copy before they generalise) and presets "
             "in the generalisation window. The regime in figures: tau*_L, the step at which "
             "the top rule level is learned half the way from chance to every string valid "
             "(novel generations; docs/science.md, the regime); tau_mem, the step at which "
             "exact copies reach 5 % above chance (geometric means over the runs that reach "
             "them); their ratio when tau*_L comes first; the share of novel generations valid "
             "at every level at the checkpoint the statistic uses. A row whose runs show no "
             "window says so: it does not test the paper's regime.", "",
             "| row | finding | regime | seeds x points | statistic [95 % interval] | verdict | "
             "false-positive rate | power | tau*_L | tau_mem | window ratio | novel valid | "
             "regime in figures |", "|---" * 13 + "|"]
    order = list(dict.fromkeys(row["finding"] for row in rows))
    for row in sorted(rows, key=lambda r: order.index(r["finding"])):
        fpr, power = _calibration(row)
        figures = _figures(row.get("regime_figures"))
        lines.append(f"| {_md(row['key'])} | {_md(row['title'])} | "
                     f"{row.get('regime', _OLDER)} | {row['seeds']} x "
                     f"{row['points']} ({row['failed']} failed) | {_interval(row)} | "
                     f"**{_md(_verdict(row))}** | {fpr} | {power} | {figures['tau_L']} | "
                     f"{figures['tau_mem']} | {figures['ratio']} | {figures['valid']} | "
                     f"{figures['label']} |")
    lines += ["", "## What each row measured", ""]
    lines += [f"- **{_md(row['key'])}**: {_md(row['measured'])} (rule: {_md(row['rule'])})."
              + (f" {_md(row['note']).rstrip('.')}." if row.get("note") else "")
              + _null_mean(row) + _per_point(row) + _wall_time(row) for row in rows]
    lines += ["", _wall_times(rows, data)]
    misses = [text for text in map(_plainly, rows) if text]
    if misses:
        lines += ["", "## What does not reproduce", "", *misses]
    figure = plots.save_png(page_plots.results_statistics(rows), out / "statistics.png")
    lines += ["", f"![statistics with intervals]({figure})", "", f"*{captions.STATISTICS}*"]
    scaled = [(r, _figure_of(r)) for r in rows if _figure_of(r)]
    for row, spec in scaled:
        lines += _figure_section(row, spec, out, several=len(scaled) > 1)
    if data.get("pending"):
        lines += ["", "## Not yet run", "",
                  "Rows of the page whose runs are not finished (`slopscope reproduce` resumes "
                  "them; `--rows` runs some alone): " + ", ".join(data["pending"]) + "."]
    path = out / "results.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
