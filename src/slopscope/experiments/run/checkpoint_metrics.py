"""Everything measured at one checkpoint, from its generations (pure: arrays in, dicts out)."""

from __future__ import annotations

import numpy as np

from slopscope import measure


def sampling_seed(seed: int, step: int) -> int:
    """A generation seed that differs per (run seed, checkpoint step)."""
    return int(np.random.SeedSequence([seed, step]).generate_state(1)[0])


def _not_available(count: int) -> np.ndarray:
    return np.full(count, np.nan)


def static_metrics(source, train, test, fresh) -> dict:
    """Per-string typicality and the held-out reference figures that do not change in training.
    `fresh`: what a perfect generaliser would generate, the baseline of excess block copying and
    of D's null slope: G i.i.d. grammar samples (training strings among them at their own
    probability), or for token data the held-out split (of its own size, not G). Grammar-only
    typicalities are NaN (not available) for token data."""
    train_ids = source.block_ids(train)
    out = {"train_ids": train_ids, "fresh_ids": source.block_ids(fresh)}
    t2_by_split = source.rule_typicality(train, {"train": train, "test": test})
    for split, strings in (("train", train), ("test", test)):
        in_train = split == "train"
        ids = train_ids if in_train else source.block_ids(strings)
        t1, per_k = measure.block_typicality(ids, train_ids, query_in_train=in_train)
        kgram, _ = measure.kgram_typicality(strings, train, source.kgram_sizes(), source.v,
                                            query_in_train=in_train, pad=source.pad)
        log_p = source.log_prob(strings)
        n = strings.shape[0]
        out[split] = {
            "t1": t1,
            **{f"t1_{source.size_prefix}{k}": v for k, v in per_k.items()},
            "t1_kgram": kgram,
            "t2": _not_available(n) if t2_by_split is None else t2_by_split[split],
            "t3": _not_available(n) if log_p is None else log_p,
            "true_nll_per_token": _not_available(n) if log_p is None else -log_p / source.d,
        }
    d1, _ = measure.nearest_hamming(test, train)
    out["heldout_nn_hist"] = measure.distance_histogram(d1, source.d)
    return out


def _slop_null(null) -> dict:
    """Block-row columns of the slop slope against a perfect generaliser (NaN: not measured)."""
    keys = ("null_slope", "excess_slope", "low", "high", "p")
    names = ("slope_null", "excess_slope", "excess_slope_low", "excess_slope_high",
             "excess_slope_p")
    return {name: (np.nan if null is None else null[key]) for name, key in zip(names, keys,
                                                                                strict=True)}


def novel_validity(source, generations, copies: np.ndarray) -> dict:
    """`novel_valid_k<k>` for block sizes k = 1..L: the share of novel generations (not copies of
    a training string) whose blocks of s**k tokens all parse, i.e. valid at the bottom k rule
    levels (k = L: fully valid); NaN when no generation is novel. None without a grammar."""
    if source.levels == 0:
        return {}
    novel = generations[~copies]
    validity = source.validity(novel) if novel.shape[0] else None
    L = source.levels
    return {f"novel_valid_k{k}": np.nan if validity is None else float(validity[L - k])
            for k in range(1, L + 1)}


def checkpoint_metrics(source, train, test, static, generations,
                       seed: int) -> tuple[dict, dict, list, np.ndarray]:
    """(scalars, per-string counts {train, test}, rows per block size and rule level, histogram
    of the generations' Hamming distances 0..d to their nearest training string).
    Validity is None (not available) without a grammar. `excess_copy_fraction`: copies in excess
    of the chance rate, which a generaliser shows on held-out strings (scaled to the training
    set's size). Block rows carry the slop slope in excess of fresh strings of the same
    distribution (`excess_slope`, bootstrap interval and p-value; `seed` seeds the bootstrap)."""
    d1, d2 = measure.nearest_hamming(generations, train)
    nn_hist = measure.distance_histogram(d1, source.d)
    validity = source.validity(generations)
    copied = measure.is_copy(generations, train)
    copies = float(copied.mean()) if copied.size else float("nan")
    heldout = measure.copy_fraction(generations, test)
    scalars = {
        "copy_fraction": copies,
        "heldout_copy_fraction": heldout,
        "excess_copy_fraction": copies - heldout * train.shape[0] / test.shape[0],
        "distinct": measure.distinct_count(generations),
        "valid": None if validity is None else float(validity[0]),
        **{f"valid_from_level_{lv}": float(validity[lv - 1])
           for lv in range(1, source.levels + 1)},
        **novel_validity(source, generations, copied),
        "nn_d1_mean": float(d1.mean()),
        "ratio_test_fraction": float(measure.ratio_test(d1, d2).mean()),
        "nn_js_vs_heldout": measure.js_divergence(nn_hist, static["heldout_nn_hist"]),
    }
    counts = {"train": measure.copy_counts(generations, train),
              "test": measure.copy_counts(generations, test)}
    gen_ids = source.block_ids(generations)
    excess = measure.excess_block_copying(gen_ids, static["fresh_ids"], static["train_ids"])
    rows = []
    for k in sorted(gen_ids):
        slop = measure.slop_metrics(gen_ids[k], static["train_ids"][k])
        null = measure.excess_slope(gen_ids[k], static["fresh_ids"][k], static["train_ids"][k],
                                    seed=seed + k)
        rows.append({"unit": "block", "size": k, "width": source.block_width(k),
                     "excess_copying": excess[k],
                     "copy_fraction": measure.block_copy_fraction(gen_ids[k],
                                                                  static["train_ids"][k]),
                     **slop, **_slop_null(null)})
    for level in range(1, source.levels + 1):
        slop = measure.slop_metrics(source.rule_ids(generations, level),
                                    source.rule_ids(train, level))
        rows.append({"unit": "rule", "size": level, "width": source.block_width(source.levels
                                                                               - level + 1),
                     "excess_copying": np.nan, "copy_fraction": np.nan, **slop,
                     **_slop_null(None)})
    scalars["longest_copied_block_mean"] = float(
        measure.longest_copied_block(gen_ids, static["train_ids"]).mean())
    return scalars, counts, rows, nn_hist
