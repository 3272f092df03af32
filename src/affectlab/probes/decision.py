"""From probe probabilities to labels: each layer's threshold calibrated on the validation split, and the
ensembles of several layers (the mean probability, or the vote of the calibrated layer decisions).

The rule: a layer's threshold is the one that maximises balanced accuracy (the mean of the true-positive
and true-negative rates) on the validation split, among 0.5 and the midpoints between consecutive distinct
validation probabilities; of equally good thresholds the one nearest 0.5 wins, so a layer already
separated at 0.5 keeps 0.5. Balanced accuracy rather than accuracy, so a threshold cannot win by calling
every row the larger class. Used unchanged by `train_probes` (the reported figures) and `predict`.
"""
from __future__ import annotations

import numpy as np

ENSEMBLES = ("mean", "vote")


def balanced_accuracy(y: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Balanced accuracy of decisions `positive` [..., n] against labels y [n] (0/1)."""
    y = y.astype(bool)
    tpr = (positive & y).sum(-1) / max(y.sum(), 1)
    tnr = (~positive & ~y).sum(-1) / max((~y).sum(), 1)
    return (tpr + tnr) / 2


def calibrate_thresholds(y_val: np.ndarray, prob_val: np.ndarray) -> np.ndarray:
    """One probability threshold per layer ([layers]) from validation labels [n] and probabilities [layers, n]."""
    out = np.empty(len(prob_val), dtype=np.float32)
    for layer, p in enumerate(prob_val):
        u = np.unique(p)
        candidates = np.concatenate([[0.5], (u[1:] + u[:-1]) / 2])
        score = balanced_accuracy(y_val, p[None, :] >= candidates[:, None])
        good = np.flatnonzero(score >= score.max() - 1e-12)
        out[layer] = candidates[good[np.argmin(np.abs(candidates[good] - 0.5))]]
    return out


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(logits, -60, 60)))


def combine(prob: np.ndarray, thresholds: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Score [n] and decision [n] of the layers `prob` [layers, n] with their calibrated `thresholds` [layers].

    mean: the mean probability, positive at or above the mean of the layers' thresholds (one layer: its own
    calibrated threshold). vote: positive when most layers' calibrated decisions are; a tie (an even number
    of layers) goes to the mean rule. Its score (for AUC) is the share of positive votes, ties ranked by the
    mean probability."""
    mean = prob.mean(axis=0)
    by_mean = mean >= thresholds.mean()
    if how == "mean":
        return mean, by_mean
    if how != "vote":
        raise ValueError(f"ensemble must be one of {ENSEMBLES}, got {how!r}")
    share = (prob >= thresholds[:, None]).mean(axis=0)
    decision = np.where(share == 0.5, by_mean, share > 0.5)
    return share + 1e-3 * mean, decision
