"""The whole probe study on one split: real probes and the shuffled-label control for every layer,
test scores per layer, lexical baselines, and the best layer (chosen on validation AUC)."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from affectlab.errors import InputError
from affectlab.io import write_json_atomic
from affectlab.probes.dataset import LABEL_IDS, Activations
from affectlab.probes.evaluation import binary_scores, bow_scores, fit_bow, vader_baseline
from affectlab.probes.settings import ProbeTrainSettings
from affectlab.probes.training import fit_probes, probe_logits, standardizer
from affectlab.progress import timed

PROBE_FILE, META_FILE = "probes.safetensors", "probes.json"


@dataclasses.dataclass(frozen=True)
class ProbeStudy:
    mean: np.ndarray                       # [layers, hidden] standardisation of the inputs
    std: np.ndarray
    weight: np.ndarray                     # [layers, hidden] real-label probes
    bias: np.ndarray                       # [layers]
    layers: list[dict[str, Any]]           # per layer: val/test scores of the probe and the control
    baselines: dict[str, dict[str, float]]  # vader / bow test scores
    best_layer: int
    ranking: list[int]                     # layers by val AUC (best first): the ensemble order
    epochs_run: int
    seconds: float
    bow: Any = dataclasses.field(repr=False)  # the fitted bag-of-words baseline (scores the held-out sets too)


def uncorrelated_permutation(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A permutation of binary labels `y` that agrees with `y` as often as independent labels would.

    A plain random permutation of a few dozen labels often keeps 70% of them by chance (12 of 16 in one
    smoke run), and the "shuffled" probe then learns real sentiment. Here each class keeps its label on
    the share of its rows that independence predicts (positives keep 1 on n1 * n1/n of them), so the
    control's labels carry no information about the real ones in this sample."""
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    keep_pos = round(len(pos) * len(pos) / len(y))     # positives that stay 1
    out = np.zeros_like(y)
    out[rng.permutation(pos)[:keep_pos]] = 1
    out[rng.permutation(neg)[:len(pos) - keep_pos]] = 1  # the rest of the 1s go to negatives
    return out


def run_study(acts: Activations, texts: Mapping[str, str], s: ProbeTrainSettings) -> ProbeStudy:
    """`texts` maps row id -> sentence (for the lexical baselines)."""
    tr, va, te = (acts.rows(name) for name in ("train", "validation", "test"))
    for name, rows in (("train", tr), ("validation", va), ("test", te)):
        if len(set(acts.y[rows].tolist())) < 2:
            raise InputError(f"activations: the {name} split has {len(rows)} rows and not both classes; "
                             "re-run capture_activations with more rows")
    missing = [i for i in acts.ids if i not in texts]
    if missing:
        raise InputError(f"activations: {len(missing)} row ids (e.g. {missing[0]!r}) are not in the sentence file")
    with timed("train_probes", unit="probes") as stats:
        mean, std = standardizer(acts.x[:, tr])
        x = (acts.x - mean[:, None, :]) / std[:, None, :]
        rng = np.random.default_rng(s.seed)
        # control: the same rows and features, labels permuted within train and within val
        y_fit = np.stack([acts.y, acts.y.copy()])
        y_fit[1, tr], y_fit[1, va] = uncorrelated_permutation(acts.y[tr], rng), uncorrelated_permutation(acts.y[va], rng)
        fitted = fit_probes(x[:, tr], y_fit[:, tr], x[:, va], y_fit[:, va], s)
        stats["n"] = fitted.weight.shape[0] * fitted.weight.shape[1]
        layers = []
        for variant, name in ((0, "probe"), (1, "shuffled")):
            logits = probe_logits(x[:, te], fitted.weight[variant], fitted.bias[variant])
            for layer in range(x.shape[0]):
                if variant == 0:
                    layers.append({"layer": layer})
                scores = binary_scores(acts.y[te], logits[layer], threshold=0.0)
                layers[layer].update({f"{name}_{k}": v for k, v in scores.items()})
                layers[layer][f"{name}_val_auc"] = float(fitted.val_auc[variant, layer])
                layers[layer][f"{name}_best_epoch"] = int(fitted.best_epoch[variant, layer])
        text = np.array([texts[i] for i in acts.ids], dtype=object)
        bow = fit_bow(text[tr], acts.y[tr], s.bow_c, s.seed)
        baselines = {"vader": vader_baseline(text[te], acts.y[te]), "bow": bow_scores(bow, text[te], acts.y[te])}
    # best on validation: highest AUC, then lowest validation loss, then the earlier layer
    ranking = sorted(range(x.shape[0]), key=lambda l: (-fitted.val_auc[0, l], fitted.val_loss[0, l], l))
    return ProbeStudy(mean, std, fitted.weight[0], fitted.bias[0], layers, baselines, ranking[0], ranking,
                      fitted.epochs_run, stats["seconds"], bow)


def save_probes(study: ProbeStudy, attrs: Mapping[str, Any], out_dir: str | Path) -> None:
    """`probes.safetensors` (weight, bias, mean, std; one row per layer) + `probes.json` (what they are)."""
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({"weight": study.weight, "bias": study.bias, "mean": study.mean, "std": study.std},
              str(out_dir / PROBE_FILE))
    meta = {"model": attrs["model"], "pooling": attrs["pooling"], "last_k": int(attrs["last_k"]),
            "max_length": int(attrs["max_length"]), "num_layers": int(attrs["num_layers"]),
            "hidden_size": int(attrs["hidden_size"]), "labels": {str(v): k for k, v in LABEL_IDS.items()},
            "layer_0": "embeddings; layer i = output of block i (the last includes the final norm)",
            "best_layer": study.best_layer, "ranking": study.ranking,
            # per layer: val AUC and best epoch, test AUC-ROC / AUC-PR / F1 / accuracy, same for the control
            "per_layer": [{k: round(v, 4) if isinstance(v, float) else v for k, v in l.items()} for l in study.layers],
            "baselines": {name: {k: round(v, 4) for k, v in scores.items()} for name, scores in study.baselines.items()}}
    write_json_atomic(meta, out_dir / META_FILE)


def summary_metrics(study: ProbeStudy) -> dict[str, Any]:
    """Flat metrics for `dvc metrics diff`: the best layer on test, controls and baselines."""
    best = study.layers[study.best_layer]
    m: dict[str, Any] = {"best.layer": study.best_layer, "layers": len(study.layers),
                         "best.validation.auc_roc": best["probe_val_auc"]}
    m.update({f"best.test.{k}": best[f"probe_{k}"] for k in ("auc_roc", "auc_pr", "f1", "accuracy")})
    m["probe.test.auc_roc_max"] = max(l["probe_auc_roc"] for l in study.layers)
    m["layer0.test.auc_roc"] = study.layers[0]["probe_auc_roc"]
    m["shuffled.test.auc_roc_max"] = max(l["shuffled_auc_roc"] for l in study.layers)
    m["shuffled.test.auc_roc_mean"] = float(np.mean([l["shuffled_auc_roc"] for l in study.layers]))
    for name, scores in study.baselines.items():
        m.update({f"{name}.test.{k}": v for k, v in scores.items()})
    m.update(epochs_run=study.epochs_run, seconds=study.seconds)
    return m
