"""Memorisation times (M2): first checkpoint at which each string is reproduced, or at which its
likelihood crosses a threshold. Censored strings get +inf."""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError


def _check(values, steps) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(values)
    steps = np.asarray(steps, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != steps.shape[0]:
        raise SlopscopeError(f"values have shape {values.shape} for {steps.shape[0]} checkpoints; "
                             "allowed: (checkpoints, strings)")
    if np.any(np.diff(steps) <= 0):
        raise SlopscopeError("checkpoint steps must be strictly increasing")
    return values, steps


def first_step(events, steps) -> np.ndarray:
    """First step whose event flag (checkpoints, strings) is true; +inf if never (censored)."""
    events, steps = _check(events, steps)
    hit = events.astype(bool)
    first = np.argmax(hit, axis=0)
    return np.where(hit.any(axis=0), steps[first], np.inf)


def generation_times(counts, steps) -> np.ndarray:
    """tau_i: first checkpoint step at which training string i was generated (counts > 0)."""
    counts, steps = _check(counts, steps)
    return first_step(counts > 0, steps)


def likelihood_times(nelbo_per_token, true_per_token, steps) -> np.ndarray:
    """First checkpoint step at which a string's per-token NELBO falls below its true per-token
    loss -log p(x)/d (a model that assigns it more than its true probability)."""
    nelbo, steps = _check(nelbo_per_token, steps)
    return first_step(nelbo < np.asarray(true_per_token)[None, :], steps)


def score_times(scores, steps, threshold: float = 0.0) -> np.ndarray:
    """First checkpoint step at which a per-string score (e.g. `matched_heldout_score`) falls
    below `threshold`; +inf if never."""
    scores, steps = _check(scores, steps)
    return first_step(scores < threshold, steps)


def matched_heldout_score(nelbo_train, typ_train, nelbo_held, typ_held, bins: int = 5):
    """Likelihood memorisation score: a training string's NELBO minus the mean NELBO of held-out
    strings in the same typicality quantile bin (bins from the held-out typicality). Negative =
    the model prefers this training string over held-out peers of the same typicality."""
    edges = np.quantile(np.asarray(typ_held, dtype=np.float64), np.linspace(0, 1, bins + 1))
    held_bin = np.clip(np.searchsorted(edges, typ_held, side="right") - 1, 0, bins - 1)
    train_bin = np.clip(np.searchsorted(edges, typ_train, side="right") - 1, 0, bins - 1)
    nelbo_held = np.asarray(nelbo_held, dtype=np.float64)
    means = np.array([nelbo_held[held_bin == b].mean() if (held_bin == b).any() else np.nan
                      for b in range(bins)])
    return np.asarray(nelbo_train, dtype=np.float64) - means[train_bin]


def crossing_step(values, steps, threshold: float) -> float:
    """First step at which a per-checkpoint figure (e.g. the excess copy fraction) reaches
    `threshold`: interpolated linearly in log step between the last checkpoint below and the
    first at or above it; the first checkpoint's step when it is there already; +inf if never
    (censored). NaN values (not measured) never cross."""
    values = np.asarray(values, dtype=np.float64)
    steps = np.asarray(steps, dtype=np.float64)
    if values.ndim != 1 or values.shape != steps.shape or np.any(steps <= 0):
        raise SlopscopeError(f"{values.shape[0]} values for {steps.shape[0]} checkpoints; "
                             "allowed: one value per positive, increasing step")
    hit = np.flatnonzero(values >= threshold)
    if not hit.size:
        return float("inf")
    i = int(hit[0])
    if i == 0 or not np.isfinite(values[i - 1]):
        return float(steps[i])
    share = (threshold - values[i - 1]) / (values[i] - values[i - 1])
    return float(np.exp(np.log(steps[i - 1]) + share * np.log(steps[i] / steps[i - 1])))
