"""Measurements: pure functions on arrays (no file I/O)."""

from slopscope.measure.blocks import (
    above_chance,
    block_copy_fraction,
    excess_block_copying,
    grammar_block_ids,
    level_chance,
    longest_copied_block,
    seen_at_position,
    validity_by_level,
)
from slopscope.measure.copies import copy_counts, copy_fraction, distinct_count, is_copy
from slopscope.measure.excess import (
    TIME_RULES,
    curves_by_score_group,
    excess_contrast,
    excess_reproduced,
    memorisation_area,
    onset_step,
)
from slopscope.measure.excess_slop import excess_slope
from slopscope.measure.membership import (
    auc_delong,
    lira_scores,
    membership_columns,
    tpr_at_fpr,
)
from slopscope.measure.neighbours import (
    distance_histogram,
    js_divergence,
    nearest_hamming,
    ratio_test,
)
from slopscope.measure.slop import rule_ids, slop_metrics
from slopscope.measure.stats import (
    curves_by_quantile,
    holm,
    linear_fit,
    mean_ci,
    memorized_curve,
    spearman,
    spearman_ci,
)
from slopscope.measure.substrings import (
    IGNORED,
    block_widths,
    kgram_keys,
    kgram_typicality,
    token_block_ids,
    token_keys,
)
from slopscope.measure.times import (
    crossing_step,
    generation_times,
    likelihood_times,
    matched_heldout_score,
    score_times,
)
from slopscope.measure.typicality import block_typicality, rule_frequencies, rule_typicality

__all__ = [
    "IGNORED", "TIME_RULES", "above_chance", "level_chance", "auc_delong", "lira_scores",
    "membership_columns", "tpr_at_fpr",
    "excess_contrast", "excess_reproduced", "excess_slope", "holm", "linear_fit",
    "memorisation_area", "onset_step", "block_copy_fraction", "block_typicality", "block_widths",
    "copy_counts",
    "copy_fraction", "curves_by_quantile", "curves_by_score_group", "distance_histogram",
    "distinct_count",
    "crossing_step", "excess_block_copying", "generation_times", "grammar_block_ids",
    "is_copy", "js_divergence",
    "kgram_keys", "kgram_typicality",
    "likelihood_times", "longest_copied_block", "matched_heldout_score", "mean_ci",
    "memorized_curve", "nearest_hamming", "ratio_test", "rule_frequencies", "rule_ids",
    "rule_typicality", "score_times", "seen_at_position", "slop_metrics", "spearman", "spearman_ci",
    "token_block_ids", "token_keys",
    "validity_by_level",
]
