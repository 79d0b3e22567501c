"""The regime page: <out>/regime.md and phase_diagram.png, read from <out>/regime.json
(slopscope.experiments.studies.regime)."""

from __future__ import annotations

import math
import re
from pathlib import Path

from slopscope.report import captions, page_plots, plots
from slopscope.report.html import format_step
from slopscope.store import atomic_write_text, read_json


def _time(found: dict) -> str:
    text = format_step(found["centre"])
    low, high = found["low"], found["high"]
    if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
        text += f" [{low:.0f}, {high:.0f}]"
    return text + (f" ({found['censored']} censored)" if found["censored"] else "")


def _ratio(window: dict) -> str:
    if window["ratio"] is None:
        return "none"
    return (">" if window["ratio_is_bound"] else "") + f"{window['ratio']:.2f}"


def _middle(window: dict) -> tuple[str, str]:
    middle = window["middle"]
    if middle is None:
        return "-", "-"
    return (f"{middle['valid']:.3f} (step {middle['step']:.0f})",
            f"{middle['excess_copies']:+.4f}")


NAMES = {"tau_mem_linear": "tau_mem grows like P (exponent 1)",
         "hierarchical_order": "levels are learned bottom first",
         "window": "a window opens above a threshold P and widens with P"}


def _analysis(found: dict, runs: list, tau: str, figure: Path) -> list[str]:
    """Anchors, exponents, the per-P table and the phase diagram of one reading of the times
    (`tau`: how the page names them, tau or tau*)."""
    L, per_p = found["levels"], found["per_p"]
    lines = ["### Anchors (the literature's regime, point by point)", ""]
    for key, anchor in found["anchors"].items():  # the level times named as this reading does
        text = re.sub(r"tau_(\d)", tau + r"_\1", anchor["text"])
        lines.append(f"- **{NAMES[key]}**: {anchor['verdict']} — {text}.")
    lines += ["", "### Exponents (tau ~ P^b, OLS on log-log, 95 % interval)", "",
              f"| time | exponent | per-level threshold P ({tau}_k < tau_mem) |", "|---|---|---|",
              f"| tau_mem | {found['fits']['mem']['text']} | - |"]
    lines += [f"| {tau}_{k} | {found['fits'][str(k)]['text']} | "
              f"{found['thresholds'][str(k)] or 'none'} |" for k in range(1, L + 1)]
    lines += ["", "### Times and window per P", "",
              "| P | seeds | " + " | ".join(f"{tau}_{k}" for k in range(1, L + 1))
              + f" | tau_mem | window ratio tau_mem / {tau}_L | novel valid at its middle | "
              "excess copies at its middle |",
              "|---" * (L + 6) + "|"]
    for p in per_p:
        valid, copies = _middle(p["window"])
        lines.append(f"| {p['P']} | {p['seeds']} | "
                     + " | ".join(_time(p["times"][str(k)]) for k in range(1, L + 1))
                     + f" | {_time(p['times']['mem'])} | {_ratio(p['window'])} | {valid} | "
                     f"{copies} |")
    plotted = plots.save_png(page_plots.phase_diagram({**found, "runs": runs}, tau), figure)
    return lines + ["", f"![phase diagram, {tau}]({plotted})", "",
                    f"*{captions.phase_diagram(tau)}*", ""]


def build_regime(out="results/regime") -> Path:
    """Write <out>/regime.md and its phase diagrams from <out>/regime.json."""
    out = Path(out)
    found = read_json(out / "regime.json")
    L, sweep = found["levels"], found["sweep"]
    quick = "QUICK (checks the pipeline; too short to show the regime) — " if found["quick"] \
        else ""
    run_time = (f"; the runs' own wall times sum to {found['run_seconds']:.0f} s"
                if found.get("run_seconds") else "")
    command = found.get("command") or f"slopscope regime{' --quick' if found['quick'] else ''}"
    first = found["runs"][0] if found["runs"] else {}
    model = (f" (denoiser `{first['model']['backbone']}` with options "
             f"{first['model'].get('options', {})}, {first['family']} diffusion)"
             if "model" in first else "")
    lines = [f"# slopscope regime{' (quick)' if found['quick'] else ''}", "",
             f"{quick}Regenerate with `{command}`. "
             f"Sweep `{sweep.get('base')}` with overrides {sweep.get('overrides', [])}{model}, "
             f"P = {found['sizes']}, seeds {sweep.get('seeds')}; {len(found['runs'])} runs, "
             f"wall time of this call {found['seconds']:.0f} s{run_time}. tau_mem: the step at "
             "which exact copies in excess of chance reach 5 %. Two readings of when block size "
             f"k (k = 1: the bottom rule level; k = {L}: the whole grammar) is learned, both from "
             "the novel generations (not copies) of every checkpoint:", "",
             "- **tau*_k, above chance**: the step at which block size k is learned half the way "
             "from chance to every block valid: (share valid at k / share valid at k - 1 - "
             "chance) / (1 - chance), where chance is the share a string valid at k - 1 would "
             "have if the symbols its blocks parse to were paired at random. Added after the "
             "full run, from the same checkpoints.",
             "- **tau_k, as pre-registered**: the step at which half of the novel generations are "
             "valid at block size k. Where chance is high it is reached early: on a grammar with "
             "m / v = 1/2 (e.g. v = n = 8, m = 4), half of the strings valid below the top level "
             "are valid at it by chance.", "",
             "Centres are geometric means over seeds, brackets the seeds' range; rules: "
             "docs/science.md (the regime).", ""]
    if found.get("above_chance"):
        lines += ["## Above chance (tau*_k)", ""]
        lines += _analysis(found["above_chance"], found["runs"], "tau*",
                           out / "phase_diagram_above_chance.png")
    lines += ["## As pre-registered (tau_k)", ""]
    lines += _analysis(found, found["runs"], "tau", out / "phase_diagram.png")
    path = out / "regime.md"
    atomic_write_text(path, "\n".join(lines))
    return path
