"""Membership inference from a per-string score (higher = more likely a training string): the
area under the ROC curve of training (members) against held-out strings (non-members), with
DeLong's interval, and the true-positive rate at a fixed false-positive rate.

The score the runs give it is minus the NELBO per token: a model that memorises gives its
training strings a lower bound than held-out strings of the same distribution. A perfect
memoriser gives AUC 1; a perfect generaliser, whose likelihood does not depend on the split,
gives AUC 0.5 within error (exactly 0.5 when every string has the same probability).
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from slopscope.errors import SlopscopeError
from slopscope.measure.stats import ranks, wilson_interval

FALSE_POSITIVE_RATES = (0.01, 0.001)  # the rates at which the true-positive rate is reported


def _scores(members, nonmembers) -> tuple[np.ndarray, np.ndarray] | None:
    """The two samples as float arrays; None when a score is NaN (not measured)."""
    x = np.asarray(members, dtype=np.float64).ravel()
    y = np.asarray(nonmembers, dtype=np.float64).ravel()
    if x.size == 0 or y.size == 0:
        raise SlopscopeError(f"membership inference needs members and non-members; got "
                             f"{x.size} and {y.size}")
    if np.isnan(x).any() or np.isnan(y).any():
        return None
    return x, y


def auc_delong(members, nonmembers, level: float = 0.95) -> tuple[float, float, float]:
    """(AUC, low, high): the probability that a member scores above a non-member (ties count
    one half), with DeLong's normal interval clipped to [0, 1]. -inf scores are allowed (a
    string the model cannot generate); NaN scores give NaN (not measured)."""
    pair = _scores(members, nonmembers)
    if pair is None:
        return (np.nan, np.nan, np.nan)
    x, y = pair
    m, n = x.size, y.size
    joint = ranks(np.concatenate([x, y]))
    rank_x, rank_y = joint[:m], joint[m:]
    auc = float((rank_x.sum() - m * (m + 1) / 2) / (m * n))
    # structural components: per member, the share of non-members it beats; per non-member,
    # the share of members that beat it (midranks count ties one half)
    v10 = (rank_x - ranks(x)) / n
    v01 = 1.0 - (rank_y - ranks(y)) / m
    var = (v10.var(ddof=1) / m if m > 1 else 0.0) + (v01.var(ddof=1) / n if n > 1 else 0.0)
    half = sps.norm.ppf(0.5 + level / 2) * float(np.sqrt(var))
    return auc, max(0.0, auc - half), min(1.0, auc + half)


def tpr_at_fpr(members, nonmembers, fpr: float) -> tuple[float, float, float, float]:
    """(true-positive rate, Wilson low, high, achieved false-positive rate) of the threshold
    that flags at most floor(fpr * non-members) non-members: members flagged are those scoring
    strictly above the (k+1)-th highest non-member score. With fewer than 1 / fpr non-members
    that threshold flags none of them (achieved rate 0): a stricter test, never a looser one.
    The interval counts members only (the threshold is held fixed)."""
    if not 0.0 < fpr < 1.0:
        raise SlopscopeError(f"fpr={fpr!r}; allowed: a rate in (0, 1)")
    pair = _scores(members, nonmembers)
    if pair is None:
        return (np.nan, np.nan, np.nan, np.nan)
    x, y = pair
    allowed = int(np.floor(fpr * y.size + 1e-9))
    threshold = np.sort(y)[::-1][allowed]
    hits = int((x > threshold).sum())
    rate = hits / x.size
    low, high = wilson_interval(hits, x.size)
    return (rate, max(0.0, min(float(low), rate)), min(1.0, max(float(high), rate)),
            float((y > threshold).sum() / y.size))


def membership_columns(members, nonmembers, prefix: str = "mia") -> dict:
    """The checkpoint-table columns of one checkpoint: <prefix>_auc (+ _low, _high) and
    <prefix>_tpr_at_<rate> for each of FALSE_POSITIVE_RATES (NaN: not measured)."""
    auc, low, high = auc_delong(members, nonmembers)
    out = {f"{prefix}_auc": auc, f"{prefix}_auc_low": low, f"{prefix}_auc_high": high}
    for rate in FALSE_POSITIVE_RATES:
        out[f"{prefix}_tpr_at_{_rate_name(rate)}"] = tpr_at_fpr(members, nonmembers, rate)[0]
    return out


def _rate_name(rate: float) -> str:
    """0.01 -> '1pct', 0.001 -> '0_1pct'."""
    return f"{rate * 100:g}pct".replace(".", "_")


def lira_scores(target, reference, reference_member, floor: float = 1e-6) -> np.ndarray:
    """Per sample, the log likelihood ratio of a target model's score under the reference
    models that trained on the sample against those that did not (LiRA, Carlini et al. 2022,
    online, with one global standard deviation per side as the paper advises for few models).
    `target`: (samples,); `reference`: (models, samples) scores; `reference_member`: (models,
    samples) bool. Scores must be finite (cap them first); a side with no model gives NaN."""
    ref = np.asarray(reference, dtype=np.float64)
    member = np.asarray(reference_member, dtype=bool)
    target = np.asarray(target, dtype=np.float64)
    if not (np.isfinite(ref).all() and np.isfinite(target).all()):
        raise SlopscopeError("LiRA needs finite scores: cap infinite likelihood bounds first")
    out = {}
    for side, mask in (("in", member), ("out", ~member)):
        count = mask.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(mask, ref, 0.0).sum(axis=0) / count
        spread = np.where(mask, ref - mean, 0.0)
        dof = max(int(mask.sum() - (count > 0).sum()), 1)
        sd = max(float(np.sqrt((spread**2).sum() / dof)), floor)
        out[side] = np.where(count > 0, -0.5 * ((target - mean) / sd) ** 2 - np.log(sd), np.nan)
    return out["in"] - out["out"]
