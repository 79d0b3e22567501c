"""How memorisation time scales with the training-set size P (finding E1's exponent): the OLS
slope of log tau_mem on log P over a sweep's runs, with a t-interval, and per P the steps at
which generations become grammatical (tau_rule) and copying begins (tau_mem). The window between
them is where a model generates valid strings without copying: the range in which to stop
training. Runs whose tau_mem lies beyond their last checkpoint (censored) are left out of the
fit and counted; a censored run at a large P biases the exponent down."""

from __future__ import annotations

import math

import numpy as np

from slopscope import measure
from slopscope.verdicts import format_interval


def _rule(column: str) -> str:
    return (f"OLS slope of log tau_mem on log {column} over the runs that reach tau_mem (95 % "
            "t-interval); tau_mem: the step at which the excess copy fraction reaches D's copy "
            "gate")


def _geometric_mean(values) -> float:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.exp(np.mean(np.log(values)))) if values else math.inf


def memorisation_scaling(runs: list[dict], key: str = "data.train", column: str = "P") -> dict:
    """{"exponent", "low", "high", "runs", "censored", "measured", "rule", "window"}; the window
    lists per value of the grid key `key` (under `column`: E1's P) the geometric means over seeds
    of tau_rule and tau_mem (inf: none reached)."""
    sizes = sorted({r["values"][key] for r in runs})
    window = []
    for size in sizes:
        at = [r for r in runs if r["values"][key] == size]
        window.append({column: size, "seeds": len(at),
                       "tau_rule": _geometric_mean(r["tau_rule"] for r in at),
                       "tau_mem": _geometric_mean(r["tau_mem"] for r in at),
                       "censored": sum(not math.isfinite(r["tau_mem"]) for r in at
                                       if r["tau_mem"] is not None)})
    done = [r for r in runs if r["tau_mem"] is not None and math.isfinite(r["tau_mem"])]
    censored = sum(r["tau_mem"] is not None and not math.isfinite(r["tau_mem"]) for r in runs)
    x = np.log([r["values"][key] for r in done])
    fit = measure.linear_fit(x, np.log([r["tau_mem"] for r in done])) if done else None
    if fit is None or not np.isfinite(fit["low"]):
        return {"exponent": None, "low": None, "high": None, "runs": len(done),
                "censored": censored, "rule": _rule(column), "window": window,
                "measured": f"not measurable: {len(done)} runs reach tau_mem at "
                            f"{np.unique(x).size} values of {column} ({censored} censored)"}
    exponent = format_interval(fit["slope"], fit["low"], fit["high"], 2, signed=False)
    text = f"tau_mem ~ {column}^{exponent} over {len(done)} runs ({censored} censored)"
    return {"exponent": fit["slope"], "low": fit["low"], "high": fit["high"], "runs": len(done),
            "censored": censored, "rule": _rule(column), "window": window, "measured": text}
