"""Rows of token arrays as single keys: shared by the grammar (unique samples), the measurements
(exact copies) and token data (duplicates)."""

from __future__ import annotations

import numpy as np


def row_keys(strings: np.ndarray) -> np.ndarray:
    """One sortable, hashable key per row (the raw bytes of the row): two rows have equal keys
    exactly when they are equal (same dtype)."""
    rows = np.ascontiguousarray(strings)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).reshape(-1)
