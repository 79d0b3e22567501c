"""Everything measured at one checkpoint, from its generations (pure: arrays in, dicts out)."""

from __future__ import annotations

import numpy as np

from slopscope import measure


def sampling_seed(seed: int, step: int) -> int:
    """A generation seed that differs per (run seed, checkpoint step)."""
    return int(np.random.SeedSequence([seed, step]).generate_state(1)[0])


def generate(family, net, count: int, seed: int, sample_steps):
    options = {"steps": sample_steps} if family.name == "masked" else {}
    return family.sample(net, count, seed, **options)


def static_metrics(g, train, test, fresh) -> dict:
    """Per-string typicality and the held-out reference figures that do not change in training."""
    train_ids = measure.grammar_block_ids(g, train)
    freq = measure.rule_frequencies(g, train)
    out = {"train_ids": train_ids, "fresh_ids": measure.grammar_block_ids(g, fresh)}
    for split, strings in (("train", train), ("test", test)):
        ids = train_ids if split == "train" else measure.grammar_block_ids(g, strings)
        t1, per_k = measure.block_typicality(ids, train_ids, query_in_train=split == "train")
        out[split] = {
            "t1": t1,
            **{f"t1_k{k}": v for k, v in per_k.items()},
            "t2": measure.rule_typicality(g, strings, freq),
            "t3": g.log_prob(strings),
            "true_nll_per_token": -g.log_prob(strings) / g.d,
        }
    d1, _ = measure.nearest_hamming(test, train)
    out["heldout_nn_hist"] = measure.distance_histogram(d1, g.d)
    return out


def checkpoint_metrics(g, train, test, static, generations) -> tuple[dict, dict, list]:
    """(scalars, per-string counts {train, test}, rows per block size)."""
    d1, d2 = measure.nearest_hamming(generations, train)
    validity = measure.validity_by_level(g, generations)
    scalars = {
        "copy_fraction": measure.copy_fraction(generations, train),
        "heldout_copy_fraction": measure.copy_fraction(generations, test),
        "distinct": measure.distinct_count(generations),
        "valid": float(validity[0]),
        **{f"valid_from_level_{lv}": float(validity[lv - 1]) for lv in range(1, g.L + 1)},
        "nn_d1_mean": float(d1.mean()),
        "ratio_test_fraction": float(measure.ratio_test(d1, d2).mean()),
        "nn_js_vs_heldout": measure.js_divergence(measure.distance_histogram(d1, g.d),
                                                  static["heldout_nn_hist"]),
    }
    counts = {"train": measure.copy_counts(generations, train),
              "test": measure.copy_counts(generations, test)}
    gen_ids = measure.grammar_block_ids(g, generations)
    excess = measure.excess_block_copying(gen_ids, static["fresh_ids"], static["train_ids"])
    rows = []
    for k in sorted(gen_ids):
        slop = measure.slop_metrics(gen_ids[k], static["train_ids"][k])
        rows.append({"unit": "block", "size": k, "excess_copying": excess[k],
                     "copy_fraction": measure.block_copy_fraction(gen_ids[k],
                                                                  static["train_ids"][k]),
                     **slop})
    for level in range(1, g.L + 1):
        slop = measure.slop_metrics(measure.rule_ids(g, generations, level),
                                    measure.rule_ids(g, train, level))
        rows.append({"unit": "rule", "size": level, "excess_copying": np.nan,
                     "copy_fraction": np.nan, **slop})
    scalars["longest_copied_block_mean"] = float(
        measure.longest_copied_block(gen_ids, static["train_ids"]).mean())
    return scalars, counts, rows
