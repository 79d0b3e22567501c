"""A finding over seeds: a per-run statistic of A or D (one run per seed, a seed varying the
grammar, the split and the initialisation) pooled as its mean over seeds with a Student-t 95 %
interval. A pools its statistic (the excess contrast at the time rule's checkpoint); D pools the
mean excess slope over its window (its per-run statistic is the one at the checkpoint with the
smallest Holm p-value, a selected value whose mean over seeds would not estimate a fixed
quantity) (the seeds are the independent units, so the interval carries the variation between
grammars). It holds when the interval lies above 0. Runs whose statistic cannot be formed are
left out and counted. Its false-positive rate and power come from the calibration's null and
planted runs, pooled in disjoint groups of as many runs as the row has seeds."""

from __future__ import annotations

from slopscope import measure
from slopscope.experiments.verdicts.run_rules import NOT_MEASURABLE
from slopscope.verdicts import Finding, Verdict, format_interval

RULE = "mean over seeds of the per-run statistic, 95 % t-interval; holds when above 0"


def pooled(found: Finding, verdicts: list[Verdict]) -> Verdict:
    """The pooled verdict of a run finding's per-run verdicts (one per seed)."""
    values = [v.value(found.pooled) for v in verdicts]
    counts = {name: sum(v.verdict == name for v in verdicts) for name in
              dict.fromkeys(v.verdict for v in verdicts)}
    per_seed = ", ".join(f"{n} {name}" for name, n in counts.items())
    return pool(values, per_seed)


def pool(values: list, per_seed: str = "") -> Verdict:
    """The pooled rule on per-seed values (None: not measurable in that seed)."""
    measured = [v for v in values if v is not None]
    if len(measured) < 2:
        return Verdict.make(NOT_MEASURABLE, measured=f"{len(measured)} measurable seed(s) of "
                            f"{len(values)} ({per_seed})", rule=RULE, seeds=len(values))
    mean, low, high = measure.mean_ci(measured)
    text = (f"mean {format_interval(mean, low, high)} over {len(measured)} seeds "
            f"(per seed: {per_seed})")
    return Verdict.of(mean, low, high, text, RULE, seeds=len(values), measurable=len(measured),
                      per_seed=values)


def null_mean(statistics: list) -> dict | None:
    """Mean of the pooled quantity over all null calibration runs with a t-interval: it should
    cover 0 (a finer check than the group rate when groups are few)."""
    values = [s[0] for s in statistics if s[0] is not None]
    if len(values) < 2:
        return None
    mean, low, high = measure.mean_ci(values)
    return {"mean": mean, "low": low, "high": high, "n": len(values)}


def pooled_rate(statistics: list, seeds: int) -> dict | None:
    """How often the pooled rule holds over disjoint groups of `seeds` calibration runs
    ([statistic, low, high] each, in replicate order), with a Wilson 95 % interval; None when
    there is not one full group."""
    groups = len(statistics) // seeds
    if groups < 1 or seeds < 2:
        return None
    hits = sum(pool([s[0] for s in statistics[g * seeds:(g + 1) * seeds]]).verdict == "holds"
               for g in range(groups))
    low, high = measure.stats.wilson_interval(hits, groups)
    return {"rate": hits / groups, "low": float(low), "high": float(high), "hits": hits,
            "n": groups, "group": seeds}
