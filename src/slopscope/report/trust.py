"""How far a verdict can be trusted, in words, from its calibration (slopscope calibrate): the
false-positive rate on its null control (trustworthy up to twice the nominal 2.5 %) and its
power on a planted effect (a "not shown" says little under 50 %). Used by every verdict cell of
the reports and by the calibration section's readings."""

from __future__ import annotations

from slopscope.verdicts import BY_NAME, NULL, PLANTED

MAX_FALSE_POSITIVES = 0.05  # "holds" is trustworthy up to twice the nominal 2.5 %
MIN_POWER = 0.5  # under it a "not shown" says little

TRUSTED, UNTRUSTED = "holds", "untrusted"  # the CSS classes of a verdict cell


def null_and_power(name: str, rates: dict) -> tuple[dict | None, dict | None]:
    """The calibration rates a verdict is trusted by: (its null arm's, its planted arm's)."""
    judged = BY_NAME.get(name)
    return (rates.get(judged.null_label if judged else NULL.label),
            rates.get(judged.power_label if judged else PLANTED.label))


def unjudgeable(null: dict, power: dict) -> bool:
    """Whether the controls cannot judge the verdict: not measurable on every one of them."""
    return null.get("measurable") == 0 and power.get("measurable") == 0


def _percent(rate: dict) -> str:
    return f"{rate['rate']:.0%}"


def verdict_cell(name: str, verdict: str, rates: dict | None, *, secondary: bool = False,
                 saturated: bool = False) -> tuple[str, str]:
    """(text, CSS class) of a verdict cell: the verdict with its trust in words, e.g. "holds
    (not trustworthy at this size: false positives 12 %)", "not shown (power 8 %: says
    little)". `rates`: the verdict's calibration rates (None: not calibrated); secondary
    statistics are never calibrated; a saturated contrast (every string of both extreme groups
    reproduced) says so instead of its verdict."""
    prefix = "secondary: " if secondary else ""
    if saturated and verdict != "not measurable":
        return (f"{prefix}saturated, no order to see (every training string of both extreme "
                "groups reproduced)", UNTRUSTED)
    if verdict.startswith("not measurable") or verdict.startswith("needs") or \
            verdict.endswith("in one run"):
        return prefix + verdict, "not"
    if secondary:
        return f"{prefix}{verdict} (descriptive: not calibrated)", UNTRUSTED
    null, power = null_and_power(name, rates or {})
    if null is None or power is None:
        return f"{verdict} (not calibrated: run slopscope calibrate)", UNTRUSTED
    if unjudgeable(null, power):
        return f"{verdict} (its controls cannot judge it at this size)", UNTRUSTED
    false_positives = f"false positives {_percent(null)}"
    if verdict == "holds":
        if null["rate"] > MAX_FALSE_POSITIVES:
            return f"holds (not trustworthy at this size: {false_positives})", UNTRUSTED
        return f"holds (trustworthy: {false_positives}, power {_percent(power)})", TRUSTED
    if verdict == "not shown":
        if power["rate"] < MIN_POWER:
            return f"not shown (power {_percent(power)}: says little)", UNTRUSTED
        return f"not shown (power {_percent(power)})", "not"
    return f"{verdict} ({false_positives} for holds, power {_percent(power)})", "reversed"
