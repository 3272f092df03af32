"""Probes for every layer at once (`linear`, or `mlp`: one hidden ReLU layer with dropout), with per-layer
early stopping on validation AUC; or linear probes solved to scikit-learn's optimum (`newton_cg`).

All probes train together as one batched tensor program: parameters [variants, layers, ...], the same
minibatches for every layer. AdamW is elementwise and the loss is a sum of per-probe losses, so each
linear probe's trajectory is exactly what it would be if trained alone (an MLP's too, up to its random
initialisation and dropout masks, which are drawn for all layers at once); a probe whose validation AUC
has not improved for `patience` epochs keeps its best snapshot and stops counting (it no longer updates
its best). Training ends when every probe has stopped or after `epochs`. Variant 0 learns the real
labels; further variants (the shuffled-label control, the control task) learn other labels on the same rows.

`probes.train.linear_solver: newton_cg` makes a linear probe the textbook one instead: the minimiser of
scikit-learn's LogisticRegression objective (C x the summed log-loss + |w|^2 / 2, bias unpenalised), not
an early-stopped AdamW trajectory. The solver is a truncated Newton method (a few conjugate-gradient steps
on each Newton system, a backtracking line search per probe), every probe's matrix-vector products
batched into one `bmm` over all layers and variants. Those products stream the whole [layers, rows,
hidden] tensor, so their cost is memory traffic: the solver keeps that tensor in bfloat16 (half the bytes:
12 MB at the bench's size, which stays in a 32 MB L3 cache), every other quantity in float32.
bench/probes.py (b) compares both solvers with a scikit-learn loop on float32 activations at the same C.
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
    best_epoch: np.ndarray  # [variants, layers], 1-based (newton_cg: the Newton iterations run)
    epochs_run: int         # newton_cg: Newton iterations

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

    if kind == "linear" and s.linear_solver == "newton_cg":
        return _fit_linear_newton(x_train, y_train, x_val, y_val, s)
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
            auc, vloss = _val_scores(_forward(kind, xv, p), yv)
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


def _val_scores(logits, y_val):
    """(AUC, mean log-loss) per probe of validation logits [variants, layers, n] against y_val [variants, n]."""
    import torch.nn.functional as F

    loss = F.binary_cross_entropy_with_logits(logits, y_val[:, None, :].expand_as(logits), reduction="none").mean(-1)
    return auc_by_probe(logits, y_val), loss


def _fit_linear_newton(x_train, y_train, x_val, y_val, s: ProbeTrainSettings) -> FittedProbes:
    import torch

    weight, bias, iterations = logistic_newton_cg(x_train, y_train, s.linear_c, s.linear_tol, s.linear_max_iter,
                                                  s.linear_cg_steps)
    params = {"weight": weight, "bias": bias}
    logits = _forward("linear", torch.from_numpy(x_val), {k: torch.from_numpy(t) for k, t in params.items()})
    auc, loss = _val_scores(logits, torch.from_numpy(y_val).float())
    return FittedProbes("linear", params, auc.numpy(), loss.numpy(), np.full(weight.shape[:2], iterations), iterations)


def logistic_newton_cg(x: np.ndarray, y: np.ndarray, c: float, tol: float, max_iter: int,
                       cg_steps: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Weights [variants, layers, hidden], biases [variants, layers] and the Newton iterations run, for
    every (variant, layer) probe on x [layers, n, hidden], y [variants, n]: argmin of
    mean log-loss + |w|^2 / (2 c n), scikit-learn's objective divided by c n (same minimiser).

    Stops after the iteration whose Newton decrement (-g.d / 2, the decrease of the mean log-loss the
    step predicts) is <= tol for every probe, or after max_iter (logged with the largest decrement)."""
    import torch
    import torch.nn.functional as F

    data = torch.from_numpy(np.ascontiguousarray(x)).to(torch.bfloat16)  # [L, n, h]
    layers, n, hidden = data.shape
    target = torch.from_numpy(y).float().expand(layers, -1, -1)            # [L, V, n]
    variants = target.shape[1]
    lam = 1.0 / (c * n)

    def rows(v):  # X v for every probe: [L, V, h] -> [L, V, n]; bmm reads the transposed view fastest
        return torch.bmm(v.to(torch.bfloat16), data.transpose(1, 2)).float()

    def cols(u):  # X^T u: [L, V, n] -> [L, V, h]
        return torch.bmm(u.to(torch.bfloat16), data).float()

    def objective(f, w):
        return F.softplus(torch.where(target > 0, -f, f)).mean(-1) + 0.5 * lam * (w * w).sum(-1)

    w, b, f = torch.zeros(layers, variants, hidden), torch.zeros(layers, variants), torch.zeros(layers, variants, n)
    for iteration in range(1, max_iter + 1):
        p = torch.sigmoid(f)
        residual, curvature = (p - target) / n, p * (1 - p) / n
        gw, gb = cols(residual) + lam * w, residual.sum(-1)
        # conjugate gradients on H d = -g, H = [X^T S X + lam I, X^T s; s^T X, sum s] (bias row/column)
        dw, db = torch.zeros_like(w), torch.zeros_like(b)
        rw, rb = -gw, -gb
        pw, pb = rw, rb
        rr = (rw * rw).sum(-1) + rb * rb
        for _ in range(cg_steps):
            u = (rows(pw) + pb[..., None]) * curvature
            hw, hb = cols(u) + lam * pw, u.sum(-1)
            alpha = rr / ((pw * hw).sum(-1) + pb * hb).clamp_min(1e-30)
            dw, db = dw + alpha[..., None] * pw, db + alpha * pb
            rw, rb = rw - alpha[..., None] * hw, rb - alpha * hb
            rr_next = (rw * rw).sum(-1) + rb * rb
            beta = rr_next / rr.clamp_min(1e-30)
            pw, pb, rr = rw + beta[..., None] * pw, rb + beta * pb, rr_next
        slope = (gw * dw).sum(-1) + gb * db
        decrement = -slope / 2
        df = rows(dw) + db[..., None]
        # backtracking (Armijo) per probe: a full Newton step is usually accepted
        start, step = objective(f, w), torch.ones(layers, variants)
        for _ in range(30):
            ok = objective(f + step[..., None] * df, w + step[..., None] * dw) <= start + 1e-4 * step * slope
            if bool(ok.all()):
                break
            step = torch.where(ok, step, step / 2)
        w, b, f = w + step[..., None] * dw, b + step * db, f + step[..., None] * df
        if float(decrement.max()) <= tol:
            break
    else:
        log.warning("linear probes: %d Newton iterations ran out with a Newton decrement of %.2g (tol %.2g): "
                    "raise probes.train.linear_max_iter", max_iter, float(decrement.max()), tol)
    log.info("linear probes: %d x %d solved in %d Newton iterations (largest decrement %.2g)", variants, layers,
             iteration, float(decrement.max()))
    return w.transpose(0, 1).contiguous().numpy(), b.transpose(0, 1).contiguous().numpy(), iteration


def probe_logits(x: np.ndarray, params: dict[str, np.ndarray], kind: str = "linear") -> np.ndarray:
    """[layers, n] logits of one variant's probes (params [layers, ...]) on standardised x [layers, n, hidden]."""
    if kind == "linear":
        return np.einsum("lnh,lh->ln", x, params["weight"]) + params["bias"][:, None]
    h = np.maximum(np.einsum("lnh,lhw->lnw", x, params["w1"]) + params["b1"][:, None, :], 0)
    return np.einsum("lnw,lw->ln", h, params["w2"]) + params["b2"][:, None]
