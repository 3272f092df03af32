"""The whole probe study on one split: for each probe type (linear, mlp) the real probes, the
shuffled-label control and the control task for every layer, test scores per layer, each layer's
calibrated threshold, the best layer (chosen on validation AUC), and the lexical baselines."""
from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from affectlab.errors import InputError
from affectlab.io import write_json_atomic
from affectlab.probes.dataset import LABEL_IDS, Activations
from affectlab.probes.decision import calibrate_thresholds, combine, sigmoid
from affectlab.probes.evaluation import binary_scores, bow_scores, fit_bow, vader_baseline
from affectlab.probes.settings import ProbeTrainSettings
from affectlab.probes.training import fit_probes, probe_logits, standardizer
from affectlab.progress import timed

PROBE_FILE, META_FILE = "probes.safetensors", "probes.json"
VARIANTS = ("probe", "shuffled", "control")  # real labels, permuted labels, the control task


@dataclasses.dataclass(frozen=True)
class TypeStudy:
    """One probe type's results; `params` are the real-label probes ([layers, ...] each)."""
    kind: str
    params: dict[str, np.ndarray]
    threshold: np.ndarray                  # [layers] calibrated on validation (decision.calibrate_thresholds)
    layers: list[dict[str, Any]]           # per layer: val/test scores of the probe and both controls
    best_layer: int
    ranking: list[int]                     # layers by val AUC (best first): the ensemble order
    epochs_run: int

    def logits(self, x: np.ndarray) -> np.ndarray:
        return probe_logits(x, self.params, self.kind)


@dataclasses.dataclass(frozen=True)
class ProbeStudy:
    mean: np.ndarray                       # [layers, hidden] standardisation of the inputs
    std: np.ndarray
    kind: str                              # the saved probe type (probes.train.probe_type)
    by_type: dict[str, TypeStudy]          # the saved type first, then probes.train.compare_types
    baselines: dict[str, dict[str, float]]  # vader / bow test scores
    ensemble: dict[str, dict[str, float]]  # mean / vote of the K best layers and of the named ones: test scores
    ensemble_k: int
    ensemble_layers: tuple[int, ...]       # probes.train.ensemble_layers
    seconds: float
    bow: Any = dataclasses.field(repr=False)  # the fitted bag-of-words baseline (scores the held-out sets too)

    @property
    def main(self) -> TypeStudy:
        return self.by_type[self.kind]

    @property
    def layers(self) -> list[dict[str, Any]]:
        return self.main.layers

    @property
    def best_layer(self) -> int:
        return self.main.best_layer

    @property
    def ranking(self) -> list[int]:
        return self.main.ranking

    def standardise(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean[:, None, :]) / self.std[:, None, :]


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


def control_task_labels(texts: Sequence[str], y: np.ndarray, seed: int) -> np.ndarray:
    """The control task of Hewitt & Liang (2019) for sentences: every word type gets a random but fixed
    value (a hash of the seed and the word, uniform in [-0.5, 0.5)), a sentence scores the mean value of
    its words, and it is labelled 1 when it scores above the median of its own sentiment class. So the
    labels are a function of the words only, consistent across splits, balanced, and half of each
    sentiment class carries each label (they tell nothing about sentiment): a probe learns them only by
    memorising word identities. Selectivity = task accuracy - control-task accuracy: a probe scoring high
    on the control task is expressive rather than reading what the representation encodes."""
    def value(word: str) -> float:
        return int.from_bytes(hashlib.sha256(f"{seed}:{word}".encode()).digest()[:8], "big") / 2 ** 64 - 0.5

    score = np.array([np.mean([value(w) for w in re.findall(r"[a-z']+", text.lower())] or [0.0]) for text in texts])
    out = np.zeros(len(texts), dtype=np.int64)
    for c in (0, 1):
        rows = np.flatnonzero(y == c)
        order = rows[np.argsort(score[rows], kind="stable")]
        out[order[len(order) // 2:]] = 1
    return out


def _type_study(kind: str, x: np.ndarray, y_fit: np.ndarray, tr, va, te, s: ProbeTrainSettings) -> TypeStudy:
    fitted = fit_probes(x[:, tr], y_fit[:, tr], x[:, va], y_fit[:, va], s, kind)
    real = fitted.variant(0)
    threshold = calibrate_thresholds(y_fit[0, va], sigmoid(probe_logits(x[:, va], real, kind)))
    layers: list[dict[str, Any]] = [{"layer": l} for l in range(x.shape[0])]
    for v, name in enumerate(VARIANTS):
        logits = probe_logits(x[:, te], fitted.variant(v), kind)
        for layer, row in enumerate(layers):
            row.update({f"{name}_{k}": val for k, val in binary_scores(y_fit[v, te], logits[layer], 0.0).items()})
            row[f"{name}_val_auc"] = float(fitted.val_auc[v, layer])
            row[f"{name}_best_epoch"] = int(fitted.best_epoch[v, layer])
    prob = sigmoid(probe_logits(x[:, te], real, kind))
    for layer, row in enumerate(layers):
        row["threshold"] = float(threshold[layer])
        row["probe_accuracy_calibrated"] = float(np.mean((prob[layer] >= threshold[layer]) == y_fit[0, te]))
        row["selectivity"] = row["probe_accuracy"] - row["control_accuracy"]
    # best on validation: highest AUC, then lowest validation loss, then the earlier layer
    ranking = sorted(range(x.shape[0]), key=lambda l: (-fitted.val_auc[0, l], fitted.val_loss[0, l], l))
    return TypeStudy(kind, real, threshold, layers, ranking[0], ranking, fitted.epochs_run)


def ensemble_scores(t: TypeStudy, x: np.ndarray, y: np.ndarray, k: int,
                    named: Sequence[int]) -> dict[str, dict[str, float]]:
    """AUC-ROC and accuracy on standardised x of the mean and the vote of the `k` best layers of `t`
    (`mean`, `vote`) and of the `named` layers (`layers_mean`, `layers_vote`)."""
    logits = t.logits(x)
    out = {}
    for prefix, layers in (("", t.ranking[:k]), ("layers_", list(named))):
        prob = sigmoid(logits[layers])
        for how in ("mean", "vote"):
            score, decision = combine(prob, t.threshold[layers], how)
            out[prefix + how] = {"auc_roc": binary_scores(y, score, 0.5)["auc_roc"],
                                 "accuracy": float(np.mean(decision == y))}
    return out


def run_study(acts: Activations, texts: Mapping[str, str], s: ProbeTrainSettings) -> ProbeStudy:
    """`texts` maps row id -> sentence (for the lexical baselines and the control task)."""
    tr, va, te = (acts.rows(name) for name in ("train", "validation", "test"))
    for name, rows in (("train", tr), ("validation", va), ("test", te)):
        if len(set(acts.y[rows].tolist())) < 2:
            raise InputError(f"activations: the {name} split has {len(rows)} rows and not both classes; "
                             "re-run capture_activations with more rows")
    missing = [i for i in acts.ids if i not in texts]
    if missing:
        raise InputError(f"activations: {len(missing)} row ids (e.g. {missing[0]!r}) are not in the sentence file")
    text = np.array([texts[i] for i in acts.ids], dtype=object)
    with timed("train_probes", unit="probes") as stats:
        mean, std = standardizer(acts.x[:, tr])
        x = (acts.x - mean[:, None, :]) / std[:, None, :]
        rng = np.random.default_rng(s.seed)
        # shuffled control: the same rows and features, labels permuted within train and within val
        y_fit = np.stack([acts.y, acts.y.copy(), control_task_labels(text, acts.y, s.seed)])
        y_fit[1, tr], y_fit[1, va] = uncorrelated_permutation(acts.y[tr], rng), uncorrelated_permutation(acts.y[va], rng)
        for name, rows in (("train", tr), ("validation", va), ("test", te)):
            if len(set(y_fit[2, rows].tolist())) < 2:
                raise InputError(f"activations: the control task gives every {name} row one label; "
                                 "re-run with more rows or another probes.train.seed")
        by_type = {kind: _type_study(kind, x, y_fit, tr, va, te, s) for kind in [s.probe_type, *s.compare_types]}
        stats["n"] = sum(len(t.layers) * len(VARIANTS) for t in by_type.values())
        bow = fit_bow(text[tr], acts.y[tr], s.bow_c, s.seed)
        baselines = {"vader": vader_baseline(text[te], acts.y[te]), "bow": bow_scores(bow, text[te], acts.y[te])}
        k = min(s.ensemble_k, x.shape[0])
        if max(s.ensemble_layers) >= x.shape[0]:
            raise InputError(f"probes.train.ensemble_layers: {list(s.ensemble_layers)} names a layer beyond this "
                             f"model's {x.shape[0]} (0..{x.shape[0] - 1}); set layers that exist")
        ensemble = ensemble_scores(by_type[s.probe_type], x[:, te], acts.y[te], k, s.ensemble_layers)
    return ProbeStudy(mean, std, s.probe_type, by_type, baselines, ensemble, k, tuple(s.ensemble_layers),
                      stats["seconds"], bow)


def at_relative_depth(layers: Sequence[int], num_layers: int, of: int) -> tuple[int, ...]:
    """`layers` of a model with `of` layers (0 = embeddings, `of` - 1 = its last block) at the same relative
    depth in a model with `num_layers`: SmolLM2's 15, 17, 22 of 0..30 are Gemma 3 270M's 9, 10, 13 of 0..18."""
    return tuple(dict.fromkeys(round(l / (of - 1) * (num_layers - 1)) for l in layers))


def save_probes(study: ProbeStudy, attrs: Mapping[str, Any], out_dir: str | Path) -> None:
    """`probes.safetensors` (the saved type's parameters, its calibrated thresholds and the standardisation;
    one row per layer) + `probes.json` (what they are, per-layer scores of every probe type)."""
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    main = study.main
    save_file({**main.params, "threshold": main.threshold, "mean": study.mean, "std": study.std},
              str(out_dir / PROBE_FILE))
    rounded = lambda rows: [{k: round(v, 4) if isinstance(v, float) else v for k, v in l.items()} for l in rows]
    meta = {"model": attrs["model"], "pooling": attrs["pooling"], "last_k": int(attrs["last_k"]),
            "max_length": int(attrs["max_length"]), "num_layers": int(attrs["num_layers"]),
            "hidden_size": int(attrs["hidden_size"]), "labels": {str(v): k for k, v in LABEL_IDS.items()},
            "layer_0": "embeddings; layer i = output of block i (the last includes the final norm)",
            "probe_type": main.kind, "best_layer": main.best_layer, "ranking": main.ranking,
            "ensemble_layers": list(study.ensemble_layers),  # probes.train.ensemble_layers, as this model's layers
            "threshold": "per layer, P(positive) maximising balanced accuracy on the validation split",
            # per layer: val AUC and best epoch, test AUC-ROC / AUC-PR / F1 / accuracy, same for both controls
            "per_layer": rounded(main.layers),
            "compared_types": {t.kind: {"best_layer": t.best_layer, "per_layer": rounded(t.layers)}
                               for t in study.by_type.values() if t.kind != main.kind},
            "baselines": {name: {k: round(v, 4) for k, v in scores.items()} for name, scores in study.baselines.items()}}
    write_json_atomic(meta, out_dir / META_FILE)


def summary_metrics(study: ProbeStudy) -> dict[str, Any]:
    """Flat metrics for `dvc metrics diff`: the best layer on test, controls, baselines, ensembles and,
    per probe type, its best layer, controls and selectivity."""
    best = study.layers[study.best_layer]
    m: dict[str, Any] = {"best.layer": study.best_layer, "layers": len(study.layers),
                         "best.validation.auc_roc": best["probe_val_auc"], "best.threshold": best["threshold"]}
    m.update({f"best.test.{k}": best[f"probe_{k}"] for k in ("auc_roc", "auc_pr", "f1", "accuracy")})
    m["best.test.accuracy_calibrated"] = best["probe_accuracy_calibrated"]
    m["probe.test.auc_roc_max"] = max(l["probe_auc_roc"] for l in study.layers)
    m["layer0.test.auc_roc"] = study.layers[0]["probe_auc_roc"]
    m["shuffled.test.auc_roc_max"] = max(l["shuffled_auc_roc"] for l in study.layers)
    m["shuffled.test.auc_roc_mean"] = float(np.mean([l["shuffled_auc_roc"] for l in study.layers]))
    for name, scores in study.baselines.items():
        m.update({f"{name}.test.{k}": v for k, v in scores.items()})
    for how, scores in study.ensemble.items():
        m.update({f"ensemble.{how}.test.{k}": v for k, v in scores.items()})
    m["ensemble.k"] = study.ensemble_k
    for t in study.by_type.values():
        b = t.layers[t.best_layer]
        m.update({f"types.{t.kind}.best.layer": t.best_layer, f"types.{t.kind}.best.test.auc_roc": b["probe_auc_roc"],
                  f"types.{t.kind}.best.test.accuracy": b["probe_accuracy"],
                  f"types.{t.kind}.control.test.accuracy": b["control_accuracy"],
                  f"types.{t.kind}.shuffled.test.accuracy": b["shuffled_accuracy"],
                  f"types.{t.kind}.selectivity.best": b["selectivity"],
                  f"types.{t.kind}.selectivity.mean": float(np.mean([l["selectivity"] for l in t.layers])),
                  f"types.{t.kind}.control.test.accuracy_max": max(l["control_accuracy"] for l in t.layers)})
    m.update(epochs_run=study.main.epochs_run, seconds=study.seconds)
    return m
