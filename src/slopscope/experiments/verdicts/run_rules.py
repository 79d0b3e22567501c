"""The rules of the run findings (slopscope.verdicts registry, scope "run"): A and D, each a
function of one run's evidence returning a Verdict (reports only display it). Every verdict is
one of VERDICTS, with its statistic and a 95 % interval:

- holds: the interval lies above 0 (in the finding's direction); reversed: below 0;
- not shown: the interval contains 0; not measurable: the statistic cannot be formed.

A (prototypical first) -- primary statistic declared in the preset (`findings.a_typicality`,
`findings.a_time`): the excess reproduced fraction (training minus held-out) in the most typical
fifth minus that in the least typical fifth, at the checkpoint the time rule picks; the bootstrap
re-applies the time rule to each resample. The other typicalities and time rules are shown as
secondary (no verdict rests on them).

D (partial memorisation = slop) -- at one block size fixed in advance (`findings.d_block_size`):
the slop slope minus the slope of a perfect generaliser (fresh samples of the same size), at every
checkpoint of D's window (`findings.d_window`): "copies", those whose exact copies exceed chance by
less than `findings.d_copy_gate`; "learning", those from the bottom level's learning time tau*_1 up
to (not including) the onset of copying tau_mem (the run's onsets); "generalising", those from the
top level's learning time tau*_L to tau_mem. The learning times are the above-chance ones (onsets
"learned": block size k learned half the way from chance to every block valid), not the share of
valid strings: on the controls, a learner that knows every level but the top one is valid at the
top by chance half of the time (m / v = 1/2), which opened the window before the top level was
learned and made the null fire (fixed on the controls, before any results-page row used a
window). The checkpoints of that window are corrected for multiplicity with Holm's method
(two-sided, family-wise 5 %).
The interval shown is the one of the checkpoint with the smallest p-value, widened to the
simultaneous (Bonferroni) level 1 - 5 %/m over the m window checkpoints, so that it keeps its
coverage although that checkpoint was selected (it excludes 0 exactly when Holm's first step
rejects).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.stats import norm

from slopscope import measure
from slopscope.verdicts import TYPICALITIES, Verdict, format_interval

ALPHA = 0.05
NOT_MEASURABLE = "not measurable"
# A needs this many strings (training and held-out together) reproduced by its checkpoint: with
# fewer, the fifths' reproduced fractions rest on a handful of strings and the bootstrap interval
# collapses (fixed on the controls before any real run)
A_MIN_REPRODUCED = 10
SATURATED = 0.99  # both extreme groups reproduced at least this often: a saturated contrast


def _a_one(taus, static, steps, typicality, time_rule, seed, n_boot=1000) -> Verdict:
    label = f"{typicality}, {time_rule}"
    rule = (f"excess reproduced fraction (train - held-out), most minus least typical fifth "
            f"(or distinct value) by {typicality}, at the {time_rule} checkpoint; not measurable "
            "before memorisation beyond the held-out control has begun (the excess reproduced "
            "fraction at the last checkpoint, its 95 % interval above 0) or with fewer than "
            f"{A_MIN_REPRODUCED} strings reproduced by the checkpoint")
    if np.isnan(static["train"][typicality]).all():
        return Verdict.make(NOT_MEASURABLE, measured=f"{label}: not available (needs a grammar)",
                            rule=rule)
    pooled = np.concatenate([static["train"][typicality], static["test"][typicality]])
    if np.ptp(pooled) == 0:
        return Verdict.make(NOT_MEASURABLE, measured=f"{label}: the typicality does not vary "
                            "(e.g. T3 under uniform rules)", rule=rule)
    if not np.isfinite(taus["train"]).any():
        return Verdict.make(NOT_MEASURABLE, measured=f"{label}: no training string reproduced",
                            rule=rule)
    begun = measure.excess_reproduced(taus["train"], taus["test"], steps)
    if not begun["low"] > 0:
        return Verdict.make(NOT_MEASURABLE, measured=f"{label}: no memorisation beyond the "
                            f"held-out control by the last checkpoint (step {steps[-1]}): excess "
                            "reproduced fraction "
                            f"{format_interval(begun['last'], begun['low'], begun['high'])}, not "
                            "above 0; which strings are memorised first is not asked yet",
                            rule=rule)
    out = measure.excess_contrast(taus["train"], static["train"][typicality], taus["test"],
                                  static["test"][typicality], steps, seed=seed,
                                  time_rule=time_rule, n_boot=n_boot)
    reproduced = int(sum((np.asarray(taus[s]) <= out["step"]).sum() for s in ("train", "test")))
    if reproduced < A_MIN_REPRODUCED:
        return Verdict.make(NOT_MEASURABLE, measured=f"{label}: {reproduced} training and "
                            f"held-out strings reproduced by step {out['step']}, too few to "
                            f"rank groups (at least {A_MIN_REPRODUCED}; the contrast would be "
                            f"{format_interval(out['contrast'], out['low'], out['high'])})",
                            rule=rule, step=out["step"])
    top = len(out["excess"]) - 1
    group = "group" if out["by_value"] else "fifth"
    at = list(steps).index(out["step"])
    text = (f"{label}: contrast {format_interval(out['contrast'], out['low'], out['high'])} "
            f"at step {out['step']} (most typical {group}: train {out['train'][top]:.3f}, "
            f"held-out {out['test'][top]:.3f}; least: train {out['train'][0]:.3f}, held-out "
            f"{out['test'][0]:.3f}; excess reproduced there {begun['curve'][at]:+.3f}, at the "
            f"last checkpoint {begun['last']:+.3f})")
    extra = {"excess_reproduced": begun["curve"][at]}
    if min(out["train"][0], out["train"][top]) >= SATURATED:  # no order left to see
        extra["saturated"] = True
    return Verdict.of(out["contrast"], out["low"], out["high"], text, rule, step=out["step"],
                      **extra)


def finding_a(run) -> Verdict:
    """Finding A with its primary statistic and the secondary variants (`run`: RunEvidence)."""
    taus, static, steps, config, seed = run.taus, run.static, run.steps, run.config, run.seed
    primary = (config.a_typicality, config.a_time)
    out = _a_one(taus, static, steps, *primary, seed)
    out = _with_depth(out, run)
    variants = [(t, r) for t in TYPICALITIES
                for r in measure.TIME_RULES if (t, r) != primary]
    secondary = [_a_one(taus, static, steps, t, r, seed, n_boot=300).to_dict()
                 for t, r in variants if np.ptp(static["train"][t]) > 0]
    return dataclasses.replace(out, details={**out.details, "secondary": secondary})


def _with_depth(found: Verdict, run) -> Verdict:
    """The verdict with how deep memorisation was at the checkpoint its statistic uses: the
    excess reproduced fraction (training minus held-out strings reproduced by then) and the
    excess copy fraction (generations that copy a training string, beyond chance)."""
    step = found.details.get("step")
    if step is None or step not in run.steps or not run.records:
        return found
    at = list(run.steps).index(step)
    depth = {"excess_copies": run.records[at]["scalars"].get("excess_copy_fraction")}
    if "excess_reproduced" not in found.details and run.taus:
        depth["excess_reproduced"] = measure.excess_reproduced(
            run.taus["train"], run.taus["test"], run.steps)["curve"][at]
    return dataclasses.replace(found, details={**found.details, **depth})


# D's windows that start at a learning time: the block size k whose tau_k opens them (None: L)
D_WINDOW_LEVEL = {"learning": 1, "generalising": None}


def _window_text(config) -> str:
    gate = f"{config.d_copy_gate:.0%}"
    if config.d_window == "copies":
        return f"checkpoints with exact copies < {gate} above chance"
    start = ("the bottom level's learning time tau*_1 (block size 1 learned half the way from "
             "chance)" if config.d_window == "learning" else
             "the top level's learning time tau*_L (every block size learned half the way from "
             "chance)")
    return (f"the checkpoints from {start} to the onset of copying tau_mem (exact copies {gate} "
            "above chance)")


def _d_window(run):
    """(is a checkpoint record in D's window, why the window is empty when it is)."""
    config = run.config
    if config.d_window == "copies":
        return (lambda r: r["scalars"]["excess_copy_fraction"] < config.d_copy_gate,
                "no checkpoint with exact copies below the gate")
    levels = run.onsets.get("learned") or {}
    if not levels:
        return (lambda r: False, f"the {config.d_window} window needs per-level validity "
                "(a grammar; `slopscope measure RUN` adds its above-chance times to older runs)")
    k = str(D_WINDOW_LEVEL[config.d_window] or max(map(int, levels)))
    name = f"tau*_{k}"
    # censored times are inf (null once saved)
    start, tau_mem = (math.inf if t is None else t
                      for t in (levels[k], run.onsets.get("memorisation")))
    if not np.isfinite(start):
        why = f"block size {k} was never learned ({name} > {run.steps[-1]})"
    elif tau_mem <= start:
        why = (f"no window: copying began (tau_mem = {tau_mem:.0f}) before block size {k} was "
               f"learned ({name} = {start:.0f})")
    else:
        why = f"no checkpoint between {name} = {start:.0f} and tau_mem = {tau_mem:.0f}"
    return (lambda r: start <= r["step"] < tau_mem), why


def _steps(steps: list) -> str:
    """'steps 100, 200' or 'no step', for prose."""
    return f"steps {', '.join(str(int(s)) for s in steps)}" if steps else "no step"


def finding_d(run) -> Verdict:
    """Finding D from the per-checkpoint measurement records (scalars and block rows), with the
    depth of memorisation at its checkpoint."""
    return _with_depth(_finding_d(run), run)


def _finding_d(run) -> Verdict:
    records, config = run.records, run.config
    blocks = [[row for row in r["blocks"] if row["unit"] == "block"] for r in records]
    sizes = sorted({row["size"] for row in blocks[0]})
    if not sizes:
        return Verdict.make(NOT_MEASURABLE, measured="no blocks to measure")
    size = config.d_block_size if config.d_block_size is not None else sizes[0]
    rule = (f"slop slope minus a perfect generaliser's, at block size {size}, on "
            f"{_window_text(config)}; Holm over those checkpoints")
    if size not in sizes:
        return Verdict.make(NOT_MEASURABLE, measured=f"block size {size} not measured; "
                            f"measured: {sizes}", rule=rule)
    inside, empty = _d_window(run)
    window = [(record["step"], next(r for r in rows if r["size"] == size))
              for record, rows in zip(records, blocks, strict=True) if inside(record)]
    if not window:
        return Verdict.make(NOT_MEASURABLE, measured=empty, rule=rule)
    adjusted = measure.holm([row["excess_slope_p"] for _, row in window])
    if np.isnan(adjusted).all():
        return Verdict.make(NOT_MEASURABLE, measured="slope not measurable (too few units)",
                            rule=rule)
    best = int(np.nanargmin(adjusted))
    step, row = window[best]
    tested = int(np.isfinite(adjusted).sum())  # Holm's family: checkpoints with a p-value
    z95, z_sim = norm.ppf(0.975), norm.ppf(1 - ALPHA / (2 * tested))
    se = (row["excess_slope_high"] - row["excess_slope_low"]) / (2 * z95)  # the row's 95 % CI
    low, high = row["excess_slope"] - z_sim * se, row["excess_slope"] + z_sim * se
    rejected = [(s, r) for (s, r), p in zip(window, adjusted, strict=True) if p < ALPHA]
    signs = {np.sign(r["excess_slope"]) for _, r in rejected}
    result = ("not shown" if not rejected else "holds" if signs == {1.0}
              else "reversed" if signs == {-1.0} else "not shown")
    text = (f"excess slope {format_interval(row['excess_slope'], low, high)} "
            f"(simultaneous over the window) at step {step} (model {row['slope']:.3f}, "
            f"perfect generaliser {row['slope_null']:.3f}; Holm p {adjusted[best]:.3g} over "
            f"{tested} checkpoints); Holm-significant over-production at "
            f"{_steps([s for s, r in rejected if r['excess_slope'] > 0])}, under-production at "
            f"{_steps([s for s, r in rejected if r['excess_slope'] < 0])}")
    slopes = [r["excess_slope"] for _, r in window if np.isfinite(r["excess_slope"])]
    return Verdict.make(
        result, row["excess_slope"], low, high, text, rule, step=int(step),
        block_size=int(size), holm_p=float(adjusted[best]),
        # over seeds D pools a fixed quantity: the mean excess slope over the window
        pooled_statistic=float(np.mean(slopes)) if slopes else None,
        window=[int(s) for s, _ in window], rejected=[int(s) for s, _ in rejected])
