"""Linear probes for every layer at once, with per-layer early stopping on validation AUC.

All probes train together as one batched tensor program: weights [variants, layers, hidden], the same
minibatches for every layer. AdamW is elementwise and the loss is a sum of per-probe losses, so each
probe's trajectory is exactly what it would be if trained alone; a probe whose validation AUC has not
improved for `patience` epochs keeps its best snapshot and stops counting (it no longer updates its
best). Training ends when every probe has stopped or after `epochs`. Variant 0 learns the real labels;
further variants (the shuffled-label control) learn permuted labels on the same rows.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from affectlab.probes.settings import ProbeTrainSettings
from affectlab.progress import progress

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class FittedProbes:
    weight: np.ndarray      # [variants, layers, hidden] on standardised activations
    bias: np.ndarray        # [variants, layers]
    val_auc: np.ndarray     # [variants, layers] at the best epoch
    val_loss: np.ndarray    # [variants, layers] at the best epoch
    best_epoch: np.ndarray  # [variants, layers], 1-based
    epochs_run: int


def standardizer(x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer, per-unit mean and std of the training rows ([layers, hidden] each). Residual-stream
    activations have a few huge dimensions; standardising lets one learning rate suit every layer."""
    mean = x_train.mean(axis=1)
    std = x_train.std(axis=1) + 1e-6
    return mean.astype(np.float32), std.astype(np.float32)


def auc_by_probe(scores, labels):
    """ROC AUC per probe: scores [variants, layers, n], labels [variants, n] (ties count one half)."""
    import torch

    aucs = []
    for c in range(scores.shape[0]):
        pos, neg = scores[c][:, labels[c] == 1], scores[c][:, labels[c] == 0]
        diff = pos[:, :, None] - neg[:, None, :]
        aucs.append(((diff > 0).float() + 0.5 * (diff == 0).float()).mean(dim=(1, 2)))
    return torch.stack(aucs)


def fit_probes(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
               s: ProbeTrainSettings) -> FittedProbes:
    """x_* [layers, n, hidden] (standardised), y_* [variants, n] in {0, 1}."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(s.seed)
    g = torch.Generator().manual_seed(s.seed)
    xt, xv = torch.from_numpy(x_train), torch.from_numpy(x_val)
    yt, yv = torch.from_numpy(y_train).float(), torch.from_numpy(y_val).float()
    variants, (layers, n, hidden) = yt.shape[0], xt.shape
    # zero init: logistic regression is convex, so this loses nothing and needs no random draws
    w = torch.zeros(variants, layers, hidden, requires_grad=True)
    b = torch.zeros(variants, layers, requires_grad=True)
    opt = torch.optim.AdamW([w, b], lr=s.lr, weight_decay=s.weight_decay)
    best_auc = torch.full((variants, layers), -1.0)
    best_loss = torch.full((variants, layers), float("inf"))
    best_w, best_b = w.detach().clone(), b.detach().clone()
    best_epoch = torch.zeros(variants, layers, dtype=torch.long)
    waited = torch.zeros(variants, layers, dtype=torch.long)
    epoch = 0
    for epoch in progress(range(1, s.epochs + 1), desc="probe epochs", unit="epochs"):
        for batch in torch.randperm(n, generator=g).split(s.batch_size):
            logits = torch.einsum("lnh,clh->cln", xt[:, batch], w) + b[:, :, None]
            target = yt[:, None, batch].expand_as(logits)
            loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(-1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            logits = torch.einsum("lnh,clh->cln", xv, w) + b[:, :, None]
            vloss = F.binary_cross_entropy_with_logits(logits, yv[:, None, :].expand_as(logits),
                                                       reduction="none").mean(-1)
            auc = auc_by_probe(logits, yv)
            active = waited < s.patience
            better = active & ((auc > best_auc + 1e-9) | ((auc >= best_auc - 1e-9) & (vloss < best_loss)))
            best_auc = torch.where(better, auc, best_auc)
            best_loss = torch.where(better, vloss, best_loss)
            best_w[better], best_b[better] = w[better], b[better]
            best_epoch[better] = epoch
            waited = torch.where(better, torch.zeros_like(waited), waited + active.long())
        if not (waited < s.patience).any():
            break
    log.info("probes: %d x %d trained for %d epochs (best epochs %d..%d)", variants, layers, epoch,
             int(best_epoch.min()), int(best_epoch.max()))
    return FittedProbes(best_w.numpy(), best_b.numpy(), best_auc.numpy(), best_loss.numpy(),
                        best_epoch.numpy(), epoch)


def probe_logits(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """[layers, n] logits of one variant's probes (weight [layers, hidden]) on standardised x [layers, n, hidden]."""
    return np.einsum("lnh,lh->ln", x, weight) + bias[:, None]
