"""The counterfactual report of a sweep of half-pool models, read from counterfactual.parquet
and counterfactual.json (slopscope.experiments.studies.counterfactual writes them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from slopscope.report import captions
from slopscope.report.html import figure_html, page, table
from slopscope.report.plots import log_step_axis, plt
from slopscope.report.trust import verdict_cell
from slopscope.store import (
    atomic_write_text,
    read_columns,
    read_json,
)
from slopscope.verdicts import HELD_OUT_FREE_A, NULL, PLANTED, format_interval

NAMES = {"t1": "T1 (block typicality)", "t1_kgram": "T1 k-gram", "t3": "T3 (log p)"}


def score_vs_typicality(cf: dict, found: dict):
    """Each pool sample's counterfactual reproduction area against its T1 (left), and the
    counterfactual reproduction per checkpoint by T1 quintile (right)."""
    last = cf["step"] == cf["step"].max()
    t1, area = cf["t1"][last], cf["cf_area"][last]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.scatter(t1, area, s=6, alpha=0.4)
    left.axhline(0, color="grey", lw=0.8)
    a = found["finding_a"]
    left.set(xlabel="T1 (mean over the models that trained on the sample)",
             ylabel="cf_area (in - out, averaged over checkpoints)",
             title=a["measured"])
    left.title.set_fontsize(8)
    edges = np.quantile(t1, np.linspace(0, 1, 6))
    group = np.clip(np.searchsorted(edges, t1, side="right") - 1, 0, 4)
    by_index = dict(zip(cf["index"][last], group, strict=True))
    groups = np.array([by_index[i] for i in cf["index"]])
    for q in range(5):
        means = [cf["cf_reproduced"][(groups == q) & (cf["step"] == s)].mean()
                 for s in found["steps"]]
        right.plot(found["steps"], means, "o-", ms=3, label=f"T1 quintile {q + 1}")
    log_step_axis(right)
    right.axhline(0, color="grey", lw=0.8)
    right.set(xlabel="training step", ylabel="mean cf_reproduced",
              title="Counterfactual reproduction by T1 quintile (5 = most typical)")
    right.title.set_fontsize(8)
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig


def agreement(found: dict):
    """Share of identical generations of disjoint-half model pairs sampled with the same noise."""
    rows = found["agreement"]
    steps = [r["step"] for r in rows]
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.plot(steps, [r["mean"] for r in rows], "o-", label="mean over pairs")
    ax.fill_between(steps, [r["min"] for r in rows], [r["max"] for r in rows], alpha=0.2,
                    label="min-max over pairs")
    log_step_axis(ax)
    ax.set(xlabel="training step", ylabel="identical generations", ylim=(0, 1.02),
           title="Disjoint halves: same noise, same string? (1: generalise, 0: memorise)")
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _calibration(arms: dict) -> str:
    """False-positive rate and power of the verdict, from the file `slopscope counterfactual
    --calibrate` saved (slopscope.app finds it), or how to make one."""
    if not arms:
        return "none yet: slopscope counterfactual --calibrate 20"

    def rate(arm):
        r = arms[arm]
        share = format_interval(r["rate"], r["low"], r["high"], spec=".0%")
        return f"{r['hits']}/{r['n']} = {share}"

    return f"false positives {rate('null')}; power {rate('planted')}"


def _interval(c: dict | None) -> str:
    """rho [low, high]; n/a for a figure that could not be computed (saved as null)."""
    if c is None:
        return "not available"
    if c["rho"] is not None and c["low"] is None:
        return f"{c['rho']:+.3f} "
    return format_interval(c["rho"], c["low"], c["high"], missing="n/a ")


def _lira_table(found: dict) -> str:
    rows = found.get("membership")
    if not rows:
        return ("<p>Not measured: it needs the likelihood (measure.likelihood = true) and at "
                "least 4 models.</p>")
    return ("<p>Each model in turn is the target; the others are its reference models: a sample"
            "'s score is the likelihood ratio of the target's NELBO under the models that "
            "trained on it against those that did not. Means over targets.</p>\n" + table(
                [(r["step"], f"{r['lira_auc']:.3f} ({r['lira_auc_min']:.3f}-"
                  f"{r['lira_auc_max']:.3f})", f"{r['lira_tpr_at_1pct']:.3f}",
                  f"{r['lira_tpr_at_0_1pct']:.3f}", f"{r['loss_auc']:.3f}") for r in rows],
                ("step", "LiRA AUC (min-max)", "TPR at 1 % FPR", "TPR at 0.1 % FPR",
                 "AUC of -NELBO alone")))


def build_counterfactual_report(sweep_dir, calibration: Path | None = None) -> Path:
    """Write <sweep>/counterfactual.html (+ figure PNG/SVG) with the verdict's calibration file
    (or none); returns its path."""
    sweep_dir = Path(sweep_dir)
    found = read_json(sweep_dir / "counterfactual.json")
    cf = read_columns(sweep_dir / "counterfactual.parquet")
    a = found["finding_a"]
    arms = read_json(calibration)["arms"] if calibration and Path(calibration).exists() else {}
    rates = {label: arms[arm] for arm, label in (("null", NULL.label), ("planted", PLANTED.label))
             if arm in arms} or None
    cell, css = verdict_cell(HELD_OUT_FREE_A.name, a["verdict"], rates)
    verdict = table([(HELD_OUT_FREE_A.title, f"{a['measured']} (rule: {a['rule']})",
                      _calibration(arms), cell)],
                    ("finding", "measured", "calibration on oracle controls", "verdict (trust)"),
                    [css])
    rho = table([(NAMES.get(name, name), _interval(c))
                 for name, c in found["correlations"].items()],
                ("typicality", "Spearman with cf_area (95 % bootstrap)"))
    body = "\n".join([
        f"<p>{found['models']} models, each trained on one half of a pool of {found['pool']} "
        "samples (complementary pairs; every sample is in training for half the models). A "
        "sample's counterfactual score is its figure under the models that trained on it minus "
        "under those that did not (Zhang et al. 2021): no held-out split enters. cf_reproduced: "
        "generated at that checkpoint; cf_area: its mean over the log-spaced checkpoints; "
        "cf_nelbo (in the table): NELBO per token, out minus in.</p>",
        f"<h2>Finding A, held-out free</h2>\n{verdict}\n{rho}",
        figure_html(score_vs_typicality(cf, found), "counterfactual_typicality", sweep_dir,
                    captions.COUNTERFACTUAL_TYPICALITY),
        "<h2>Membership inference with reference models (LiRA)</h2>", _lira_table(found),
        "<h2>Disjoint-halves agreement</h2>",
        figure_html(agreement(found), "counterfactual_agreement", sweep_dir,
                    captions.COUNTERFACTUAL_AGREEMENT)])
    path = sweep_dir / "counterfactual.html"
    atomic_write_text(path, page(f"Counterfactual memorisation: {sweep_dir.name}", body))
    return path
