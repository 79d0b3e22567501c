"""The regime a results row's runs are in, in figures: the learning time of the whole grammar
tau*_L (above chance: every block size learned half the way from chance to every block valid,
onsets "learned"; the share of valid strings alone is fooled where the top level is valid by
chance half of the time; the latest of the per-level times, since the top level's own
conditional share is taken over the few strings valid below it and can cross by chance in a
model that never learned the lower levels), the onset of copying tau_mem, their ratio
(the window, when tau_L comes first), and the share of novel generations valid at every level at
the checkpoint the row's statistic uses (a run finding's own step; the last checkpoint for a
sweep finding, whose delay area spans the whole run).

A row is "in the window" when more than half of its runs learn the whole grammar before they
begin to copy (tau_L < tau_mem); otherwise it is labelled "no window", and is never called a
reproduction of the paper's regime. Times over runs: the geometric mean of those that reach them
and the count that do not (censored), as in the regime study.
"""

from __future__ import annotations

import math

import numpy as np

from slopscope.experiments.studies.regime import MAJORITY, time_centre


def run_figures(summary, table: dict, step: int | None) -> dict | None:
    """One run's regime figures (None: token data, or tables built before above-chance times).
    `table`: its checkpoints table (columns); `step`: the statistic's checkpoint (None: last)."""
    taus = summary.tau_learned
    if taus is None:
        return None
    steps = [int(s) for s in table["step"]]
    at = steps.index(step) if step in steps else len(steps) - 1
    whole = max(taus[k] for k in range(1, summary.levels + 1))
    return {"tau_L": whole, "tau_mem": summary.tau_mem, "last": steps[-1], "step": steps[at],
            "valid": float(table[f"novel_valid_k{summary.levels}"][at])}


def _ratio(run: dict) -> float | None:
    """tau_mem / tau_L when the window opens (tau_mem beyond the run: the last step stands in,
    a lower bound); None when it does not."""
    if not (math.isfinite(run["tau_L"]) and run["tau_L"] < run["tau_mem"]):
        return None
    end = run["tau_mem"] if math.isfinite(run["tau_mem"]) else run["last"]
    return end / run["tau_L"]


def row_figures(runs: list[dict | None]) -> dict | None:
    """The regime of a row from its runs' figures (None: no run has them)."""
    runs = [r for r in runs if r is not None]
    if not runs:
        return None
    ratios = [_ratio(r) for r in runs]
    opened = [x for x in ratios if x is not None]
    valid = [r["valid"] for r in runs if np.isfinite(r["valid"])]
    window = len(opened) > MAJORITY * len(runs)
    never = sum(not math.isfinite(r["tau_L"]) for r in runs)
    if window:
        label = f"in the window ({len(opened)} of {len(runs)} runs learn the grammar first)"
    elif never > MAJORITY * len(runs):
        label = f"no window: the whole grammar never learned ({never} of {len(runs)} runs)"
    else:
        label = (f"no window: copying begins before the whole grammar is learned in "
                 f"{len(runs) - len(opened)} of {len(runs)} runs")
    return {"runs": len(runs), "tau_L": time_centre([r["tau_L"] for r in runs]),
            "tau_mem": time_centre([r["tau_mem"] for r in runs]),
            "ratio": float(np.exp(np.mean(np.log(opened)))) if opened else None,
            "ratio_is_bound": any(x is not None and not math.isfinite(r["tau_mem"])
                                  for r, x in zip(runs, ratios, strict=True)),
            "windows": len(opened), "window": window, "label": label,
            "valid": float(np.mean(valid)) if valid else None,
            "steps": sorted({r["step"] for r in runs})}
