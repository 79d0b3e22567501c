"""Statistics with honest intervals: Spearman with bootstrap CIs, memorised-fraction curves with
censoring, and aggregation over seeds."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from slopscope.errors import SlopscopeError


def ranks(x) -> np.ndarray:
    """Average ranks (1-based) with ties sharing their mean rank; +inf ranks last."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    boundaries = np.flatnonzero(sorted_x[1:] != sorted_x[:-1]) + 1  # inf == inf ties
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [x.shape[0]]])
    avg = (starts + ends + 1) / 2.0
    out = np.empty_like(x)
    out[order] = np.repeat(avg, ends - starts)
    return out


def spearman(x, y) -> float:
    """Spearman's rho (Pearson correlation of average ranks)."""
    rx, ry = ranks(x), ranks(y)
    if rx.shape != ry.shape or rx.shape[0] < 2:
        raise SlopscopeError("spearman needs two equally long samples of at least 2 values")
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = math.sqrt((rx**2).sum() * (ry**2).sum())
    return float((rx * ry).sum() / denom) if denom > 0 else float("nan")


def spearman_ci(x, y, seed: int, n_boot: int = 1000, level: float = 0.95) -> tuple:
    """(rho, low, high): percentile bootstrap interval over resampled pairs."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    rho = spearman(x, y)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(0, x.shape[0], x.shape[0])
        value = spearman(x[idx], y[idx])
        if np.isfinite(value):
            boots.append(value)
    alpha = (1 - level) / 2
    low, high = np.quantile(boots, [alpha, 1 - alpha]) if boots else (np.nan, np.nan)
    return rho, float(low), float(high)


def wilson_interval(successes, total, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (arrays allowed)."""
    z = sps.norm.ppf(0.5 + level / 2)
    successes, total = np.asarray(successes, float), np.asarray(total, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / total
        centre = (p + z**2 / (2 * total)) / (1 + z**2 / total)
        half = z * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / (1 + z**2 / total)
    return centre - half, centre + half


def memorized_curve(tau, steps, level: float = 0.95) -> dict:
    """Fraction of strings with memorisation time <= each checkpoint step, with Wilson intervals.
    Censoring is administrative (every string is observed at every checkpoint until the last), so
    the Kaplan-Meier estimate equals this empirical fraction; never-memorised strings (tau = inf)
    stay in every denominator."""
    tau = np.asarray(tau, dtype=np.float64)
    steps = np.asarray(steps, dtype=np.float64)
    hits = (tau[None, :] <= steps[:, None]).sum(axis=1)
    low, high = wilson_interval(hits, tau.shape[0], level)
    return {"step": steps, "fraction": hits / max(tau.shape[0], 1), "low": low, "high": high}


def curves_by_quantile(tau, score, steps, quantiles: int = 5) -> list[dict]:
    """memorized_curve for each quantile group of `score` (group 0 = lowest scores)."""
    score = np.asarray(score, dtype=np.float64)
    edges = np.quantile(score, np.linspace(0, 1, quantiles + 1))
    group = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, quantiles - 1)
    tau = np.asarray(tau, dtype=np.float64)
    return [dict(memorized_curve(tau[group == q], steps), group=q, size=int((group == q).sum()))
            for q in range(quantiles)]


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) over seeds with a Student-t interval (nan interval for one seed, or when
    a value is infinite, e.g. a memorisation time that was never reached)."""
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean())
    if values.shape[0] < 2 or not np.all(np.isfinite(values)):
        return mean, float("nan"), float("nan")
    half = sps.t.ppf(0.5 + level / 2, values.shape[0] - 1) * values.std(ddof=1)
    half /= math.sqrt(values.shape[0])
    return mean, mean - half, mean + half


def linear_fit(x, y, level: float = 0.95) -> dict:
    """Ordinary least squares of y on x: slope, its standard error (as scipy.stats.linregress)
    and a Student-t interval with n - 2 degrees of freedom (nan when fewer than 3 points or no
    spread in x)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise SlopscopeError(f"linear_fit needs two equally long 1-d samples, got {x.shape} "
                             f"and {y.shape}")
    nan = float("nan")
    if x.shape[0] < 3 or np.ptp(x) == 0:
        return {"slope": nan, "se": nan, "low": nan, "high": nan, "n": int(x.shape[0])}
    xc = x - x.mean()
    slope = float((xc * (y - y.mean())).sum() / (xc**2).sum())
    resid = y - y.mean() - slope * xc
    se = float(np.sqrt((resid**2).sum() / (x.shape[0] - 2) / (xc**2).sum()))
    half = float(sps.t.ppf(0.5 + level / 2, x.shape[0] - 2)) * se
    return {"slope": slope, "se": se, "low": slope - half, "high": slope + half,
            "n": int(x.shape[0])}


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control; nan entries left out)."""
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full_like(p, np.nan)
    present = np.flatnonzero(np.isfinite(p))
    order = present[np.argsort(p[present], kind="stable")]
    m = order.shape[0]
    adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out
