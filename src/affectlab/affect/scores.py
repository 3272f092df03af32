"""Scores of an affect predictor: per-axis MAE and Pearson r against the gold valence / intimacy / tension
(family E's regressors and family C's affect head are scored with the same code)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from affectlab.affect.records import AXES


def targets(records: Sequence[dict]) -> np.ndarray:
    return np.array([[r[a] for a in AXES] for r in records], dtype=np.float32)


def axis_scores(pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """MAE and Pearson r per axis (r is NaN for a constant prediction)."""
    out = {}
    for j, axis in enumerate(AXES):
        out[f"{axis}.mae"] = float(np.abs(pred[:, j] - gold[:, j]).mean())
        same = np.std(pred[:, j]) == 0 or np.std(gold[:, j]) == 0
        out[f"{axis}.r"] = float("nan") if same else float(np.corrcoef(pred[:, j], gold[:, j])[0, 1])
    out["mean.mae"] = float(np.mean([out[f"{a}.mae"] for a in AXES]))
    return out


def mae_of(pred: np.ndarray, gold: np.ndarray) -> float:
    return float(np.abs(pred - gold).mean())
