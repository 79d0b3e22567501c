"""Slop in excess of a perfect generaliser: the slope of log f_gen on log f_train (block or rule
frequencies) minus the same slope for fresh samples of the data distribution of the same size.
A perfect generaliser's slope is not 1: regression dilution pulls it to about 0.4-0.6 on uniform
grammars, and a fat tail pushes it to about 1.0-1.1; only the difference is over-production."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy import stats as sps

from slopscope.measure.substrings import IGNORED


def _unit_matrix(ids: np.ndarray, units: np.ndarray) -> sparse.csr_matrix:
    """(rows, units) counts of each training unit in each row of ids (others left out)."""
    ids = np.asarray(ids).reshape(ids.shape[0], -1)
    pos = np.minimum(np.searchsorted(units, ids), units.shape[0] - 1)
    hit = (units[pos] == ids) & (ids != -1) & (ids != IGNORED)
    rows = np.broadcast_to(np.arange(ids.shape[0])[:, None], ids.shape)[hit]
    return sparse.csr_matrix((np.ones(rows.shape[0]), (rows, pos[hit])),
                             shape=(ids.shape[0], units.shape[0]))


def _slopes(counts: np.ndarray, x: np.ndarray) -> np.ndarray:
    """OLS slope of log counts on x per row of counts (units with a zero count left out)."""
    present = counts > 0
    n = present.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(present, np.log(np.where(present, counts, 1.0)), 0.0)
        mx = (present * x).sum(axis=1) / n
        my = y.sum(axis=1) / n
        xc = np.where(present, x - mx[:, None], 0.0)
        slope = (xc * (y - my[:, None])).sum(axis=1) / (xc**2).sum(axis=1)
    return np.where((n >= 3), slope, np.nan)


def excess_slope(gen_ids, fresh_ids, train_ids, seed: int, n_boot: int = 200,
                 level: float = 0.95) -> dict:
    """Model slope minus perfect-generaliser slope, with a normal bootstrap interval and a
    two-sided p-value (generations and fresh strings resampled as rows); NaN everywhere when the
    training set has fewer than 3 distinct units.

    gen_ids, fresh_ids, train_ids: (strings, blocks) unit ids (-1 invalid, IGNORED padding)."""
    train_ids = np.asarray(train_ids)
    values, t_counts = np.unique(train_ids[(train_ids != -1) & (train_ids != IGNORED)],
                                 return_counts=True)
    if values.shape[0] < 3:  # no slope to fit: not measurable
        nan = float("nan")
        return {"slope": nan, "null_slope": nan, "excess_slope": nan, "low": nan, "high": nan,
                "se": nan, "p": nan}
    x = np.log(t_counts / t_counts.sum())
    rng = np.random.default_rng(seed)
    out = {}
    for name, ids in (("model", gen_ids), ("null", fresh_ids)):
        matrix = _unit_matrix(np.asarray(ids), values)
        rows = matrix.shape[0]
        draws = rng.integers(0, rows, (n_boot, rows)) + rows * np.arange(n_boot)[:, None]
        weights = np.bincount(draws.ravel(), minlength=n_boot * rows).reshape(n_boot, rows)
        counts = np.vstack([np.asarray(matrix.sum(axis=0)), (matrix.T @ weights.T).T])
        out[name] = _slopes(counts, x[None, :])
    diffs = out["model"][1:] - out["null"][1:]
    point = float(out["model"][0] - out["null"][0])
    se = float(np.nanstd(diffs, ddof=1)) if np.isfinite(diffs).sum() > 2 else float("nan")
    z = float(sps.norm.ppf(0.5 + level / 2))
    p = float(2 * sps.norm.sf(abs(point) / se)) if se > 0 else float("nan")
    return {"slope": float(out["model"][0]), "null_slope": float(out["null"][0]),
            "excess_slope": point, "low": point - z * se, "high": point + z * se, "se": se,
            "p": p}
