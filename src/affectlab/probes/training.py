"""Probes for every layer at once (`linear`, or `mlp`: one hidden ReLU layer with dropout), with per-layer
early stopping on validation AUC.

All probes train together as one batched tensor program: parameters [variants, layers, ...], the same
minibatches for every layer. AdamW is elementwise and the loss is a sum of per-probe losses, so each
linear probe's trajectory is exactly what it would be if trained alone (an MLP's too, up to its random
initialisation and dropout masks, which are drawn for all layers at once); a probe whose validation AUC
has not improved for `patience` epochs keeps its best snapshot and stops counting (it no longer updates
its best). Training ends when every probe has stopped or after `epochs`. Variant 0 learns the real
labels; further variants (the shuffled-label control, the control task) learn other labels on the same rows.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from affectlab.probes.settings import ProbeTrainSettings
from affectlab.progress import progress

log = logging.getLogger(__name__)
PROBE_TYPES = ("linear", "mlp")


@dataclasses.dataclass(frozen=True)
class FittedProbes:
    kind: str               # linear | mlp
    params: dict            # name -> [variants, layers, ...] on standardised activations
    val_auc: np.ndarray     # [variants, layers] at the best epoch
    val_loss: np.ndarray    # [variants, layers] at the best epoch
    best_epoch: np.ndarray  # [variants, layers], 1-based
    epochs_run: int

    @property
    def weight(self) -> np.ndarray:
        return self.params["weight"]

    @property
    def bias(self) -> np.ndarray:
        return self.params["bias"]

    def variant(self, v: int) -> dict[str, np.ndarray]:
        """One variant's parameters ([layers, ...] each): what `probe_logits` and `save_probes` take."""
        return {k: t[v] for k, t in self.params.items()}


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


def _init(kind: str, variants: int, layers: int, hidden: int, s: ProbeTrainSettings, g) -> dict:
    import torch

    if kind == "linear":
        # zero init: logistic regression is convex, so this loses nothing and needs no random draws
        return {"weight": torch.zeros(variants, layers, hidden), "bias": torch.zeros(variants, layers)}
    # nn.Linear's default: uniform in +-1/sqrt(fan_in)
    bound1, bound2 = hidden ** -0.5, s.mlp_width ** -0.5
    u = lambda *shape, b: (torch.rand(*shape, generator=g) * 2 - 1) * b
    return {"w1": u(variants, layers, hidden, s.mlp_width, b=bound1), "b1": u(variants, layers, s.mlp_width, b=bound1),
            "w2": u(variants, layers, s.mlp_width, b=bound2), "b2": u(variants, layers, b=bound2)}


def _forward(kind: str, x, p: dict, dropout: float = 0.0, g=None):
    """Logits [variants, layers, n] of x [layers, n, hidden] under parameters p [variants, layers, ...]."""
    import torch

    if kind == "linear":
        return torch.einsum("lnh,clh->cln", x, p["weight"]) + p["bias"][:, :, None]
    h = torch.relu(torch.einsum("lnh,clhw->clnw", x, p["w1"]) + p["b1"][:, :, None, :])
    if dropout > 0:
        h = h * (torch.rand(h.shape, generator=g) >= dropout) / (1 - dropout)
    return torch.einsum("clnw,clw->cln", h, p["w2"]) + p["b2"][:, :, None]


def fit_probes(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
               s: ProbeTrainSettings, kind: str = "linear") -> FittedProbes:
    """x_* [layers, n, hidden] (standardised), y_* [variants, n] in {0, 1}."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(s.seed)
    g = torch.Generator().manual_seed(s.seed)
    xt, xv = torch.from_numpy(x_train), torch.from_numpy(x_val)
    yt, yv = torch.from_numpy(y_train).float(), torch.from_numpy(y_val).float()
    variants, (layers, n, hidden) = yt.shape[0], xt.shape
    p = {k: t.requires_grad_() for k, t in _init(kind, variants, layers, hidden, s, g).items()}
    opt = torch.optim.AdamW(list(p.values()), lr=s.lr, weight_decay=s.weight_decay)
    best_auc = torch.full((variants, layers), -1.0)
    best_loss = torch.full((variants, layers), float("inf"))
    best = {k: t.detach().clone() for k, t in p.items()}
    best_epoch = torch.zeros(variants, layers, dtype=torch.long)
    waited = torch.zeros(variants, layers, dtype=torch.long)
    epoch = 0
    for epoch in progress(range(1, s.epochs + 1), desc=f"{kind} probe epochs", unit="epochs"):
        for batch in torch.randperm(n, generator=g).split(s.batch_size):
            logits = _forward(kind, xt[:, batch], p, s.mlp_dropout, g)
            target = yt[:, None, batch].expand_as(logits)
            loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(-1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            logits = _forward(kind, xv, p)
            vloss = F.binary_cross_entropy_with_logits(logits, yv[:, None, :].expand_as(logits),
                                                       reduction="none").mean(-1)
            auc = auc_by_probe(logits, yv)
            active = waited < s.patience
            better = active & ((auc > best_auc + 1e-9) | ((auc >= best_auc - 1e-9) & (vloss < best_loss)))
            best_auc = torch.where(better, auc, best_auc)
            best_loss = torch.where(better, vloss, best_loss)
            for k in p:
                best[k][better] = p[k][better]
            best_epoch[better] = epoch
            waited = torch.where(better, torch.zeros_like(waited), waited + active.long())
        if not (waited < s.patience).any():
            break
    log.info("%s probes: %d x %d trained for %d epochs (best epochs %d..%d)", kind, variants, layers, epoch,
             int(best_epoch.min()), int(best_epoch.max()))
    return FittedProbes(kind, {k: t.numpy() for k, t in best.items()}, best_auc.numpy(), best_loss.numpy(),
                        best_epoch.numpy(), epoch)


def probe_logits(x: np.ndarray, params: dict[str, np.ndarray], kind: str = "linear") -> np.ndarray:
    """[layers, n] logits of one variant's probes (params [layers, ...]) on standardised x [layers, n, hidden]."""
    if kind == "linear":
        return np.einsum("lnh,lh->ln", x, params["weight"]) + params["bias"][:, None]
    h = np.maximum(np.einsum("lnh,lhw->lnw", x, params["w1"]) + params["b1"][:, None, :], 0)
    return np.einsum("lnw,lw->ln", h, params["w2"]) + params["b2"][:, None]
