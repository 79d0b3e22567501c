"""The regime page: <out>/regime.md and phase_diagram.png, read from <out>/regime.json
(slopscope.experiments.studies.regime)."""

from __future__ import annotations

import math
from pathlib import Path

from slopscope.report import plots
from slopscope.store import atomic_write_text, read_json


def _step(value) -> str:
    return "not reached" if value is None or not math.isfinite(value) else f"{value:.0f}"


def _time(found: dict) -> str:
    text = _step(found["centre"])
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


def build_regime(out="results/regime") -> Path:
    """Write <out>/regime.md and phase_diagram.png from <out>/regime.json."""
    out = Path(out)
    found = read_json(out / "regime.json")
    L, per_p = found["levels"], found["per_p"]
    sweep = found["sweep"]
    quick = "QUICK (checks the pipeline; too short to show the regime) — " if found["quick"] \
        else ""
    lines = [f"# slopscope regime{' (quick)' if found['quick'] else ''}", "",
             f"{quick}Regenerate with `slopscope regime{' --quick' if found['quick'] else ''}`. "
             f"Sweep `{sweep.get('base')}` with overrides {sweep.get('overrides', [])}, "
             f"P = {found['sizes']}, seeds {sweep.get('seeds')}; {len(found['runs'])} runs, "
             f"wall time of this call {found['seconds']:.0f} s. tau_k: the step at which most "
             "novel generations (not copies) are valid at block size k (k = 1: the bottom rule "
             f"level; k = {L}: the whole grammar); tau_mem: the step at which exact copies in "
             "excess of chance reach 5 %. Centres are geometric means over seeds, brackets the "
             "seeds' range; rules: docs/science.md (the regime).", "",
             "## Anchors (the literature's regime, point by point)", ""]
    names = {"tau_mem_linear": "tau_mem grows like P (exponent 1)",
             "hierarchical_order": "levels are learned bottom first",
             "window": "a window opens above a threshold P and widens with P"}
    lines += [f"- **{names[k]}**: {a['verdict']} — {a['text']}."
              for k, a in found["anchors"].items()]
    lines += ["", "## Exponents (tau ~ P^b, OLS on log-log, 95 % interval)", "",
              "| time | exponent | per-level threshold P (tau_k < tau_mem) |", "|---|---|---|",
              f"| tau_mem | {found['fits']['mem']['text']} | - |"]
    lines += [f"| tau_{k} | {found['fits'][str(k)]['text']} | "
              f"{found['thresholds'][str(k)] or 'none'} |" for k in range(1, L + 1)]
    lines += ["", "## Times and window per P", "",
              "| P | seeds | " + " | ".join(f"tau_{k}" for k in range(1, L + 1))
              + " | tau_mem | window ratio tau_mem / tau_L | novel valid at its middle | "
              "excess copies at its middle |",
              "|---" * (L + 6) + "|"]
    for p in per_p:
        valid, copies = _middle(p["window"])
        lines.append(f"| {p['P']} | {p['seeds']} | "
                     + " | ".join(_time(p["times"][str(k)]) for k in range(1, L + 1))
                     + f" | {_time(p['times']['mem'])} | {_ratio(p['window'])} | {valid} | "
                     f"{copies} |")
    figure = plots.save_png(plots.phase_diagram(found), out / "phase_diagram.png")
    lines += ["", f"![phase diagram]({figure})"]
    path = out / "regime.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
