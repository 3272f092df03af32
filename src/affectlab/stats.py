"""Statistics shared by the families' reports."""
from __future__ import annotations

import numpy as np


def bootstrap_ci(x: np.ndarray, resamples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Percentile 95% CI of the column means of x (n, k)."""
    if len(x) == 0:
        return np.full(x.shape[1], np.nan), np.full(x.shape[1], np.nan)
    # blocks of 100 resamples bound memory at 100 x n x k values, whatever n and `resamples` are
    means = np.concatenate([x[rng.integers(0, len(x), size=(min(100, resamples - a), len(x)))].mean(axis=1)
                            for a in range(0, resamples, 100)])
    return np.percentile(means, 2.5, axis=0), np.percentile(means, 97.5, axis=0)
