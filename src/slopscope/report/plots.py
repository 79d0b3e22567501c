"""Figures of one run (matplotlib, Agg backend): pure functions from arrays to Figures, and
`run_figures`, the list of the report's figures drawn from the run's tables (a new figure is a
function here and one line in that list); with the helpers every page's figures share
(`save_png`, `log_step_axis`). The results and regime pages draw theirs in page_plots.py."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

from slopscope.report import captions
from slopscope.verdicts import format_interval

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from slopscope.summary import SPLITS  # noqa: E402


def save_png(fig, path) -> str:
    """Write a figure as PNG (110 dpi) atomically and close it; returns the file's name."""
    import io
    from pathlib import Path

    from slopscope.store import atomic_write_bytes

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path).name


def log_step_axis(ax) -> None:
    """Log-scaled step axis without crowded minor labels."""
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())


def _mark_step(ax, step, label: str, color, lw: float = 0.8, ls: str = "--") -> bool:
    """A labelled vertical line at `step` (a learning time or tau_mem); False, drawing nothing,
    when the time is not measured or censored."""
    if step is None or not np.isfinite(step):
        return False
    ax.axvline(step, color=color, lw=lw, ls=ls)
    ax.text(step, 1.0, label, fontsize=6, color=color, rotation=90, va="top")
    return True


def copies_and_validity(steps, table: dict, L: int, taus: dict | None = None,
                        tau_mem: float | None = None):
    """Exact copies and held-out hits per checkpoint, validity per rule level (L = 0: token
    data, whose validity is not available) and, when measured, the share of novel generations
    valid at each block size k with its learning time tau_k and the onset of copying tau_mem
    marked (vertical lines; the window is between tau_L and tau_mem)."""
    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    ax.plot(steps, table["copy_fraction"], "o-", label="exact copies of training strings")
    ax.plot(steps, table["heldout_copy_fraction"], "s--", label="held-out strings generated")
    for level in range(1, L + 1):
        ax.plot(steps, table[f"valid_from_level_{level}"], ":", alpha=0.8,
                label=f"valid rule levels {level}..{L}")
    for k in range(1, L + 1):
        if f"novel_valid_k{k}" not in table:
            break
        color = plt.cm.viridis(k / (L + 1))
        ax.plot(steps, table[f"novel_valid_k{k}"], "-", lw=1, color=color,
                label=f"novel generations valid at block size {k}")
        _mark_step(ax, (taus or {}).get(k), f"tau_{k}", color)
    if not _mark_step(ax, tau_mem, "tau_mem", "C3", lw=1.2, ls="-") and tau_mem is not None \
            and L:  # censored: copying had not begun by the last checkpoint
        ax.text(steps[-1], 1.0, f"tau_mem > {steps[-1]:.0f}", fontsize=6, color="C3",
                ha="right", va="top")
    log_step_axis(ax)
    ax.set(xlabel="training step", ylabel="fraction of generations", ylim=(0, 1.02))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the data
    ax.set_title("Exact copies and grammatical validity" if L else
                 "Exact copies (validity: not available without a grammar)")
    fig.tight_layout()
    return fig


def learned_above_chance(steps, table: dict, L: int, taus: dict | None,
                         tau_mem: float | None):
    """How much of each block size the novel generations have learned beyond chance per
    checkpoint (`novel_learned_k<k>`: 0 = symbols paired at random, 1 = every block valid), with
    the half-way line, each tau*_k and tau_mem marked."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    lowest = -0.3
    for k in range(1, L + 1):
        color = plt.cm.viridis(k / (L + 1))
        values = np.asarray(table[f"novel_learned_k{k}"], dtype=float)
        if np.isfinite(values).any():
            lowest = min(lowest, float(np.nanmin(values)) - 0.05)
        ax.plot(steps, table[f"novel_learned_k{k}"], "o-", ms=3, color=color,
                label=f"block size {k}")
        _mark_step(ax, (taus or {}).get(k), f"tau*_{k}", color)
    ax.axhline(0.5, color="0.5", lw=0.8, ls=":")
    ax.axhline(0.0, color="0.7", lw=0.6)
    _mark_step(ax, tau_mem, "tau_mem", "C3", lw=1.2, ls="-")
    log_step_axis(ax)
    ax.set(xlabel="training step", ylabel="learned beyond chance", ylim=(lowest, 1.05),
           title="Novel generations: each block size learned beyond chance (dotted: half way)")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def _verdict_text(found) -> str:
    """'A: +0.19 [-0.35, +0.57], not shown': a finding's statistic where a figure marks it."""
    return (f"{found.name}: {format_interval(found.statistic, found.low, found.high)}, "
            f"{found.verdict}")


def quintile_groups(curves: dict) -> tuple[str, int]:
    """(the score, e.g. "T3", and the number of groups) of tables/quintiles.parquet; tables
    written before it named its score are by T1."""
    named = curves.get("typicality")
    score = str(named[0]).upper() if named is not None and len(named) else "T1"
    return score, len(set(np.asarray(curves["quintile"]).tolist()))


def memorized_by_quintile(curves: dict, a=None):
    """curves: columns of tables/quintiles.parquet (split, typicality, quintile, step, fraction,
    low, high); `a`: finding A's verdict (with `name`), marked at its checkpoint with its
    contrast."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    score, count = quintile_groups(curves)
    noun = "quintile" if count == 5 else "group"
    split_of, quintile_of = np.asarray(curves["split"]), np.asarray(curves["quintile"])
    for ax, split in zip(axes, ("train", "test"), strict=True):
        for q in sorted(set(quintile_of[split_of == split].tolist())):
            rows = (split_of == split) & (quintile_of == q)
            step, fraction = np.asarray(curves["step"])[rows], np.asarray(curves["fraction"])[rows]
            ax.plot(step, fraction, "o-", ms=3, label=f"{score} {noun} {q}")
            ax.fill_between(step, np.asarray(curves["low"])[rows],
                            np.asarray(curves["high"])[rows], alpha=0.15)
        title = "training strings" if split == "train" else "held-out control"
        if a is not None and a.details.get("step") is not None and a.statistic is not None:
            ax.axvline(a.details["step"], color="0.3", lw=0.8, ls="--")
        log_step_axis(ax)
        ax.set(xlabel="training step", title=f"Reproduced by step: {title}")
    axes[0].set_ylabel("fraction reproduced")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=len(labels))  # off the data
    if a is not None and a.details.get("step") is not None and a.statistic is not None:
        fig.suptitle(f"{_verdict_text(a)} (at the dashed checkpoint, step {a.details['step']})",
                     fontsize=8)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def time_vs_typicality(tau_by_split: dict, t1_by_split: dict, rho_by_split: dict, last_step):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, split in zip(axes, ("train", "test"), strict=True):
        tau, t1 = np.asarray(tau_by_split[split]), np.asarray(t1_by_split[split])
        censored = ~np.isfinite(tau)
        ax.scatter(t1[~censored], tau[~censored], s=8, alpha=0.6, label="reproduced")
        ax.scatter(t1[censored], np.full(censored.sum(), last_step * 1.5), s=8, marker="^",
                   alpha=0.4, color="grey", label="not yet (censored)")
        rho = rho_by_split[split]
        text = format_interval(rho["rho"], rho["low"], rho["high"], 2)
        side = "training strings" if split == "train" else "held-out strings"
        ax.set(yscale="log", xlabel="typicality T1", title=f"{side}: Spearman {text}")
    axes[0].set_ylabel("first reproduction step")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def nearest_neighbours(gen_hist, heldout_hist, d: int):
    fig, ax = plt.subplots(figsize=(6, 3.6))
    x = np.arange(d + 1)
    ax.bar(x - 0.2, gen_hist, width=0.4, label="generations (last checkpoint)")
    ax.bar(x + 0.2, heldout_hist, width=0.4, label="held-out strings")
    ax.set(xlabel="Hamming distance to the nearest training string", ylabel="fraction",
           title="Nearest-neighbour distances")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def blocks_over_training(blocks: dict, d=None):
    """blocks: rows with step, unit, size, excess_copying, slope, overproduction_top_k; `d`:
    finding D's verdict (with `name`), its window shaded and its statistic marked on the slope
    panel."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    unit = np.asarray(blocks["unit"])
    size = np.asarray(blocks["size"])
    step = np.asarray(blocks["step"])
    for k in sorted(set(size[unit == "block"])):
        rows = (unit == "block") & (size == k)
        for ax, key in zip(axes, ("excess_copying", "slope", "overproduction_top_k"),
                           strict=True):
            width = int(np.asarray(blocks["width"])[rows][0]) if "width" in blocks else None
            ax.plot(step[rows], np.asarray(blocks[key], dtype=float)[rows], "o-", ms=3,
                    label=f"{width}-token blocks" if width == k else
                    f"block size {k}" + (f" ({width} tokens)" if width else ""))
    axes[0].set(title="Excess copying of aligned blocks",
                ylabel="vs fresh samples (held-out for token data)")
    axes[1].set(title="Slop slope (log f_gen on log f_train)")
    axes[1].axhline(1.0, color="grey", lw=0.8)
    window = (d.details.get("window") or []) if d is not None else []
    if window:  # D's window, and its statistic (the slope minus the generaliser's) at its step
        axes[1].axvspan(min(window), max(window), color="0.85", zorder=0)
        if d.details.get("step") is not None and d.statistic is not None:
            axes[1].axvline(d.details["step"], color="0.3", lw=0.8, ls="--")
            axes[1].set_title(f"Slop slope (log f_gen on log f_train)\nshaded: D's window; "
                              f"excess slope {_verdict_text(d)}", fontsize=8)
    axes[2].set(title="Over-production of the top-10 blocks")
    axes[2].axhline(1.0, color="grey", lw=0.8)
    for ax, key in zip(axes, ("excess_copying", "slope", "overproduction_top_k"), strict=True):
        if np.isfinite(np.asarray(blocks[key], dtype=float)[unit == "block"]).any():
            log_step_axis(ax)  # (a log axis of no finite value cannot be drawn)
        else:  # e.g. sequences of one token: no slope to fit
            ax.text(0.5, 0.5, "not available", ha="center", va="center",
                    transform=ax.transAxes)
        ax.set(xlabel="training step")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def sweep_points(labels, rows, numeric=None):
    """Reproduced fractions (training, held-out, and their difference) and the median
    first-reproduction step per grid point, with intervals; a numeric x axis when the sweep
    varies one numeric key (log-scaled when its values span a factor of 4 or more)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    if numeric is not None:
        key, x = numeric
    else:
        key, x = None, np.arange(len(labels), dtype=float)
    panels = ((("train_reproduced", "heldout_reproduced", "excess_reproduced"),
               "fraction reproduced by the last checkpoint"),
              (("median_tau_train",), "median first-reproduction step (train)"))
    for ax, (names, title) in zip(axes, panels, strict=True):
        if not any(np.isfinite(float(r[name][0])) for r in rows for name in names):
            ax.text(0.5, 0.5, "not reached in any run", ha="center", va="center",
                    transform=ax.transAxes)
        for offset, name in enumerate(names):
            mean = np.array([r[name][0] for r in rows], dtype=float)
            low = np.array([r[name][1] for r in rows], dtype=float)
            high = np.array([r[name][2] for r in rows], dtype=float)
            err = np.where(np.isfinite(low), [mean - low, high - mean], 0.0)
            shift = 1.0 + 0.03 * offset if numeric is not None else 0.1 * offset
            xs = x * shift if numeric is not None else x + shift
            ax.errorbar(xs, np.where(np.isfinite(mean), mean, np.nan), yerr=err, fmt="o-",
                        capsize=3, label=name.replace("_", " "))
        if numeric is None:
            ax.set_xticks(x, labels, rotation=20, ha="right", fontsize=7)
        else:
            if x.min() > 0 and x.max() / x.min() >= 4:
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel(key)
        ax.set_title(title)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def reference_panel_differs(table: dict) -> bool:
    """Whether membership inference with the grammar as reference model was measured and differs
    from the plain one (it cannot when p_grammar is the same for every string)."""
    ref = np.asarray(table.get("mia_ref_auc", [np.nan]), dtype=float)
    return bool(np.isfinite(ref).any()) and not np.allclose(
        ref, np.asarray(table["mia_auc"], dtype=float), equal_nan=True)


def membership_inference(steps, table: dict):
    """Membership inference per checkpoint from the NELBO: AUC of training against held-out
    strings (DeLong 95 % band; 0.5 = no signal) and the true-positive rate at 1 % and 0.1 %
    false positives; right: the same with the grammar as reference model (when it differs)."""
    variants = [("mia", "score: -NELBO")]
    if reference_panel_differs(table):
        variants.append(("mia_ref", "score: log p_model / p_grammar"))
    fig, axes = plt.subplots(1, len(variants), figsize=(4.8 * len(variants), 3.6), sharey=True,
                             squeeze=False)
    for ax, (prefix, title) in zip(axes[0], variants, strict=True):
        ax.plot(steps, table[f"{prefix}_auc"], "o-", label="AUC (training vs held-out)")
        ax.fill_between(steps, table[f"{prefix}_auc_low"], table[f"{prefix}_auc_high"],
                        alpha=0.2)
        ax.plot(steps, table[f"{prefix}_tpr_at_1pct"], "s--", label="TPR at 1 % FPR")
        ax.plot(steps, table[f"{prefix}_tpr_at_0_1pct"], "^:", label="TPR at 0.1 % FPR")
        ax.axhline(0.5, color="grey", lw=0.8)
        log_step_axis(ax)
        ax.set(xlabel="training step", ylim=(0, 1.02), title=f"Membership inference ({title})")
        ax.title.set_fontsize(9)
    axes[0, 0].set_ylabel("rate")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _marked(summary, figure: str):
    """The verdict of the run finding that `figure` marks (registry: Finding.marked_on), with
    its name attached (None when the run has none)."""
    from slopscope.verdicts import BY_NAME

    name = next((f.name for f in BY_NAME.values() if f.marked_on == figure), None)
    found = summary.findings.get(name)
    return None if found is None else SimpleNamespace(
        name=name, statistic=found.statistic, low=found.low, high=found.high,
        verdict=found.verdict, details=found.details)


def run_figures(tables, summary, heldout: int) -> list[tuple]:
    """[(name, Figure, caption)] of a run report. `tables(name)` gives the columns of
    tables/<name>.parquet as arrays; `summary` is the run's RunSummary; `heldout` the number of
    held-out strings."""
    checkpoints, times, typicality = tables("checkpoints"), tables("times"), tables("typicality")
    neighbours = tables("neighbours")
    steps = checkpoints["step"]

    def by_split(columns, key):
        return {split: columns[key][columns["split"] == split] for split in SPLITS}

    rho = {split: summary.splits[split].generation_time["t1"] for split in SPLITS}
    at = neighbours["step"]
    mia = np.isfinite(checkpoints.get("mia_auc", [np.nan])).any()
    score, groups = quintile_groups(tables("quintiles"))
    context = captions.RunContext(
        levels=summary.levels or 0, heldout=heldout, typicality=score, groups=groups,
        mia_reference_dropped=bool(mia) and np.isfinite(checkpoints.get(
            "mia_ref_auc", [np.nan])).any() and not reference_panel_differs(checkpoints))
    figures = [
        ("copies_validity", lambda: copies_and_validity(
            steps, checkpoints, summary.levels, summary.tau_levels, summary.tau_mem)),
    ] + ([("learned_above_chance", lambda: learned_above_chance(
        steps, checkpoints, summary.levels, summary.tau_learned, summary.tau_mem))]
         if "novel_learned_k1" in checkpoints else []) + [
        ("memorized_by_quintile", lambda: memorized_by_quintile(tables("quintiles"),
                                                                _marked(summary, "quintiles"))),
        ("time_vs_typicality", lambda: time_vs_typicality(
            by_split(times, "generation_time"), by_split(typicality, "t1"), rho, steps[-1])),
        ("nearest_neighbours", lambda: nearest_neighbours(
            neighbours["fraction"][at == steps[-1]], neighbours["fraction"][at == -1],
            summary.d)),
        ("blocks_over_training", lambda: blocks_over_training(tables("blocks"),
                                                              _marked(summary, "slope"))),
    ] + ([("membership_inference", lambda: membership_inference(steps, checkpoints))]
         if mia else [])
    return [(name, draw(), captions.RUN[name](context)) for name, draw in figures]
