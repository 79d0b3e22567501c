"""The caption under each figure of the run report: what is plotted, what the control is, and
how to read it. One function per figure, named as the figure; each takes the run's context
(`RunContext`) so a caption can say what this run's figure cannot show (e.g. a reference panel
dropped on a uniform grammar)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunContext:
    levels: int  # grammar depth L (0: token data)
    heldout: int  # number of held-out strings
    mia_reference_dropped: bool = False  # the grammar-reference MIA panel equals the first one
    typicality: str = "T1"  # the score the quintile figure groups by (finding A's)
    groups: int = 5  # its groups: fifths, or fewer when grouped by the score's values


def copies_validity(ctx: RunContext) -> str:
    text = ("Share of the generations at each checkpoint (log step axis) that are exact copies "
            "of a training string (circles) and that equal a held-out string (squares: the "
            "control; a model that only learned the distribution produces those too). Copies "
            "rising above the held-out curve is memorisation. ")
    if not ctx.levels:
        return text + "Validity is not available without a grammar."
    return text + ("Dotted: generations valid at rule levels k..L; thin solid: novel "
                   "generations valid at block size k, with its learning time tau_k (dashed "
                   "line). The red line tau_mem marks where copying begins; between tau_L and "
                   "tau_mem the generations are grammatical and not copies (the window).")


def learned_above_chance(ctx: RunContext) -> str:
    return ("How much of each block size the novel generations have learned beyond chance: 0 = "
            "symbols paired at random, 1 = every block valid, dotted line = half way (tau*_k, "
            "dashed, is where it is first crossed). Below 0: the generations are less valid "
            "than random pairing (early in training, before the model has learned which "
            "symbols occur together at all).")


def memorized_by_quintile(ctx: RunContext) -> str:
    groups = (f"{ctx.typicality} fifth (fifths of the score pooled over both splits" if
              ctx.groups == 5 else f"{ctx.typicality} group (one per value of the score, which "
              f"takes only {ctx.groups} values here")
    return ("Share of the training strings (left) and of the held-out strings (right: the "
            f"control) in each {groups}; 1 = least typical, {ctx.groups} = most typical) "
            "generated at least once by each checkpoint, with Wilson 95 % bands. Memorisation "
            "is the left panel above the right one; finding A compares that excess in the most "
            "and the least typical group, by this score, at the checkpoint marked by the "
            "dashed line (its contrast written beside it).")


def time_vs_typicality(ctx: RunContext) -> str:
    return ("Each training (left) and held-out (right) string: its typicality T1 against the "
            "step at which it was first generated; grey triangles at the top were not generated "
            "by the last checkpoint (censored). The title gives Spearman's correlation with its "
            "95 % interval: negative means typical strings are generated sooner, on the held-out "
            "side too when it only reflects what the model learned.")


def nearest_neighbours(ctx: RunContext) -> str:
    return ("Hamming distance from each generation of the last checkpoint (blue) and from each "
            "held-out string (orange: the control) to its nearest training string. Distance 0 "
            "is an exact copy; a model that generalises puts its generations where the "
            "held-out strings are.")


def blocks_over_training(ctx: RunContext) -> str:
    return ("Aligned blocks of each size over training. Left: excess copying of training blocks "
            "against fresh samples (held-out strings for token data). Middle: the slop slope, "
            "log generated frequency on log training frequency (grey line 1: frequencies "
            "reproduced; above 1: common blocks over-produced). Right: over-production of the "
            "10 most common blocks (1 = as often as in training). Finding D is the slope minus "
            "a perfect generaliser's, judged on the checkpoints shaded in the middle panel (its "
            "window) at the dashed one, its value and interval written below.")


def membership_inference(ctx: RunContext) -> str:
    text = ("Membership inference from the NELBO: the AUC separating training from held-out "
            "strings (band: DeLong 95 %; 0.5 = no signal) and the share of training strings "
            "flagged at 1 % and 0.1 % false positives.")
    if ctx.heldout < 1000:
        unresolved = "0.1 % and 1 % curves are" if ctx.heldout < 100 else "0.1 % curve is"
        text += (f" With {ctx.heldout} held-out strings a false-positive rate under "
                 f"1/{ctx.heldout} cannot be resolved: the {unresolved} the share "
                 "flagged when no held-out string is.")
    if ctx.mia_reference_dropped:
        text += (" The panel with the grammar as reference model is not drawn: p_grammar is "
                 "the same for every string of this grammar, so it equals this one.")
    return text


RUN = {name: globals()[name] for name in (
    "copies_validity", "learned_above_chance", "memorized_by_quintile", "time_vs_typicality",
    "nearest_neighbours", "blocks_over_training", "membership_inference")}


SWEEP = ("Left: per grid point, the share of training strings and of held-out strings (the "
         "control) generated by the last checkpoint, and their difference (memorisation beyond "
         "the control), means over seeds with 95 % t-intervals. Right: the median step at "
         "which a training string is first generated (not reached: not drawn).")


def times_against_value(axis: str) -> str:
    return (f"The step at which copying begins (tau_mem) and at which most generations are "
            f"valid (tau_rule) against {axis}, log-log, one point per grid value (geometric "
            "mean over the seeds that reach it); the title gives the fitted exponent with its "
            "interval. A time missing at a value was not reached there.")


COUNTERFACTUAL_TYPICALITY = (
    "Left: each pool sample's counterfactual reproduction (generated by the models that trained "
    "on it minus those that did not, averaged over checkpoints) against its T1; no held-out "
    "split enters, 0 = generated as often without it. Right: the same per checkpoint, by T1 "
    "fifth (5 = most typical): finding A, held-out free, is the top fifth above the bottom one.")

COUNTERFACTUAL_AGREEMENT = (
    "Share of identical generations of two models trained on disjoint halves of the pool, "
    "sampled with the same noise: 1 = both produce the same string (they generalise to the "
    "same distribution), falling towards 0 as each copies its own half.")

EXTRACTION = (
    "Share of completions that reproduce the whole string when part of it is revealed, per "
    "checkpoint: training strings by mask shape (colour) and sampler (solid: one token per "
    "call; dashed: the time-grid sampler), the held-out strings probed the same way in grey "
    "(the control). Extraction is the training curve above the grey one.")

STATISTICS = (
    "Each row's statistic with its 95 % interval, one panel per finding, against the line at "
    "0 that its verdict is judged by: circles below the sample complexity, squares in the "
    "window, filled where the verdict is \"holds\". An interval clear of 0 on the side the "
    "finding predicts is what \"holds\" means; read each row's trust in the table above.")


def phase_diagram(tau: str) -> str:
    return (f"The regime map: training-set size P (x) against training step (y), both log. "
            f"Lines: the step at which each block size k is learned ({tau}_k) and at which "
            "copying begins (tau_mem), centres over seeds with their bands; censored times sit "
            "on the top edge. The regions name what a model at (P, step) does; the "
            "\"generalising\" region between the top level and tau_mem is the window.")
