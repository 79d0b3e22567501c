"""Figures of the pages above the runs (matplotlib, Agg backend, set up in plots.py): the
results page's statistics and E1 scaling figure (report/results.py), the regime study's phase
diagram (report/regime.py). Pure functions from the pages' JSON records to Figures."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from slopscope.report.plots import plt


def results_statistics(rows: list[dict]):
    """Each results row's statistic with its 95 % interval, one panel per finding (its rows in
    both regimes on one scale: circles below the sample complexity, squares in the window;
    filled: holds), with the line at 0 that each verdict is judged against."""
    shown = [r for r in rows if r.get("statistic") is not None]
    findings = list(dict.fromkeys(r["finding"] for r in shown)) or [None]
    groups = [[r for r in shown if r["finding"] == f] for f in findings]
    heights = [max(len(g), 1) for g in groups]
    fig, axes = plt.subplots(len(groups), 1, figsize=(7, 0.45 * sum(heights) + 0.5 * len(groups)
                                                      + 0.6),
                             squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, group in zip(axes[:, 0], groups, strict=True):
        for y, row in enumerate(reversed(group)):
            holds = row["verdict"] == "holds"
            window = row.get("regime") == "in the window"
            ax.errorbar(row["statistic"], y, xerr=[[row["statistic"] - row["low"]],
                                                   [row["high"] - row["statistic"]]],
                        fmt="s" if window else "o", color="C2" if holds else "C1",
                        mfc="C2" if holds else "white", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(range(len(group)),
                      [f"{r['key']}: {r['verdict']}" for r in reversed(group)], fontsize=8)
        ax.set_ylim(-0.6, len(group) - 0.4)
        ax.tick_params(axis="x", labelsize=7)
    axes[0, 0].set_title("Findings: statistic and 95 % interval, one scale per finding\n"
                         "circles: below the sample complexity; squares: in the window; "
                         "filled: holds", fontsize=8)
    fig.tight_layout()
    return fig


def phase_diagram(found: dict, tau: str = "tau"):
    """The regime map: x = P, y = training step (both log); the learning time of each block size
    (`tau`_k: tau, or tau* above chance) and the onset of copying (tau_mem), centres over seeds
    with their bands; regions named by what a model at (P, step) does. Censored times are drawn
    at the top edge."""
    per_p, L = found["per_p"], found["levels"]
    sizes = np.array([p["P"] for p in per_p], dtype=float)
    steps = [s for r in found["runs"] for s in r["steps"]]
    bottom, top = min(steps) / 1.5, max(steps) * 1.5

    def curve(key, part="centre"):
        values = np.array([np.inf if p["times"][key][part] is None else p["times"][key][part]
                           for p in per_p], dtype=float)
        return np.clip(np.where(np.isfinite(values), values, top), bottom, top)

    # the regions on a fine grid of P, each curve straight between its points on the log-log
    # axes, so that the minimum of two curves is drawn where they cross, not at the next P
    dense = np.geomspace(sizes[0], sizes[-1], 50 * len(sizes))

    def region(values):
        return np.exp(np.interp(np.log(dense), np.log(sizes), np.log(values)))

    fig, ax = plt.subplots(figsize=(8.5, 4.5))
    times = [curve(str(k)) for k in range(1, L + 1)]
    mem = curve("mem")
    fine, fine_mem = [region(t) for t in times], region(mem)
    ax.fill_between(dense, bottom, np.minimum(fine[0], fine_mem), color="0.85", label="no rules")
    for k in range(1, L):  # a partial regime ends where copying begins
        upper = np.minimum(np.maximum(fine[k], fine[k - 1]), fine_mem)
        ax.fill_between(dense, fine[k - 1], upper, where=upper > fine[k - 1],
                        color=plt.cm.viridis(k / (L + 1)), alpha=0.25,
                        label=f"partial (block sizes <= {k})")
    ax.fill_between(dense, fine[-1], fine_mem, where=fine_mem > fine[-1], interpolate=True,
                    color="C2", alpha=0.3, label="generalising (the window)")
    ax.fill_between(dense, fine_mem, top, color="C3", alpha=0.15, label="memorising")
    def line(values, key, marker, color, label):
        """Reached centres joined; censored ones as open triangles at the top edge."""
        reached = values < top
        ax.plot(sizes[reached], values[reached], marker + "-", color=color, label=label)
        if (~reached).any():
            ax.plot(sizes[~reached], values[~reached], "^", color=color, mfc="none", ms=8)
        ax.fill_between(sizes, curve(key, "low"), curve(key, "high"), color=color, alpha=0.2)

    for k in range(1, L + 1):
        line(times[k - 1], str(k), "o", plt.cm.viridis(k / (L + 1)), f"{tau}_{k}")
    line(mem, "mem", "s", "C3", "tau_mem")
    ax.plot([], [], "^", color="0.3", mfc="none", label="not reached (most seeds)")
    ax.set(xscale="log", yscale="log", ylim=(bottom, top), xlabel="training-set size P",
           ylabel="training step", title=f"Phase diagram, {tau}_k (bands: seeds' range; open "
           "triangles at the top edge: not reached within the run)")
    ax.set_xticks(sizes, [f"{p:.0f}" for p in sizes])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def times_against_value(found: dict, figure):
    """tau_rule and tau_mem against the grid value a sweep finding compares (log-log; E1: the
    training-set size P), with the fitted exponent; `figure`: the finding's TimesFigure."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    sizes = np.array([w[figure.column] for w in found["window"]], dtype=float)
    reached = False
    for key, label, marker in (("tau_mem", "tau_mem (copying begins)", "o-"),
                               ("tau_rule", "tau_rule (most generations valid)", "s--")):
        values = np.array([np.inf if w[key] is None else w[key] for w in found["window"]],
                          dtype=float)
        reached |= bool(np.isfinite(values).any())
        ax.plot(sizes, np.where(np.isfinite(values), values, np.nan), marker, label=label)
    ax.set(xscale="log", yscale="log", xlabel=figure.axis, ylabel="training step",
           title=found["measured"])
    if not reached:  # nothing to put on the log axis: say so instead
        ax.text(0.5, 0.5, "neither time reached within the runs", ha="center",
                transform=ax.transAxes)
        ax.set_ylim(1, 10)
    ax.title.set_fontsize(8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
