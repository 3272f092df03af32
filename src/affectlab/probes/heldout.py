"""Held-out sentiment sets a lexicon cannot solve (negation minimal pairs, implicit sentiment, contrast
with "but"), and the scores of every layer's probe and of the lexical baselines on them.

The probes are trained on generated sentences that passed a VADER filter, so in-distribution test AUC
measures lexical separability; these sets ask whether a layer reads sentiment where the words alone
mislead or say nothing. A set is one `<name>.jsonl` file (rows: id, text, label, note; read by
`dataset.read_probe_sets`).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from affectlab.errors import InputError
from affectlab.probes.dataset import LABEL_IDS, Activations
from affectlab.probes.evaluation import binary_scores, bow_scores, vader_compound
from affectlab.probes.decision import sigmoid
from affectlab.probes.study import ProbeStudy, ensemble_scores


def pair_accuracy(pairs: Sequence[str | None], y: np.ndarray, score: np.ndarray) -> float:
    """Share of minimal pairs whose positive sentence scores above its negative twin (a tie counts one
    half): the probe must tell apart sentences that share almost every word."""
    groups: dict[str, list[int]] = {}
    for i, pair in enumerate(pairs):
        groups.setdefault(pair, []).append(i)
    wins = []
    for idx in groups.values():
        pos, neg = [i for i in idx if y[i] == 1], [i for i in idx if y[i] == 0]
        wins += [1.0 if score[p] > score[n] else 0.5 if score[p] == score[n] else 0.0 for p in pos for n in neg]
    return float(np.mean(wins))


def evaluate_heldout(study: ProbeStudy, acts: Activations, sets: Mapping[str, list[dict]]) -> dict[str, dict]:
    """Per set: every layer's probe AUC-ROC (`auc_by_layer`), the AUC at the layer chosen on the
    in-distribution validation split (`val_layer_auc_roc`, the honest figure), the best layer and its AUC
    on the set itself (`best_layer`, `best_auc_roc`: chosen on the data it is scored on, so optimistic),
    the AUC at the layer that is best on the mean of the other sets (`other_sets_layer_auc_roc`: held out
    from this set, and not tied to the lexical validation split),
    layer 0 (embeddings), the VADER and bag-of-words baselines, and pair accuracies where rows have pairs;
    the accuracy of the validation-chosen layer at 0.5 and at its calibrated threshold, the mean and vote
    ensembles of the K best layers, and every other probe type's AUC at its own validation-chosen layer.
    `acts` holds the sets' activations with the set name as each row's split."""
    out = {}
    for name, rows in sets.items():
        idx = acts.rows(name)
        by_id = {r["id"]: r for r in rows}
        if sorted(acts.ids[idx].tolist()) != sorted(by_id):
            raise InputError(f"held-out activations: the rows of set {name!r} differ from its sentence file; "
                             "re-run capture_activations")
        ordered = [by_id[i] for i in acts.ids[idx]]
        y = acts.y[idx]
        if any(LABEL_IDS[r["label"]] != v for r, v in zip(ordered, y)):
            raise InputError(f"held-out activations: labels of set {name!r} differ from its sentence file; "
                             "re-run capture_activations")
        x = study.standardise(acts.x[:, idx])
        logits = study.main.logits(x)
        auc = [binary_scores(y, logits[layer], threshold=0.0)["auc_roc"] for layer in range(len(logits))]
        texts = [r["text"] for r in ordered]
        compound, bow = vader_compound(texts), study.bow.predict_proba(texts)[:, 1]
        val_auc = auc[study.best_layer]
        vader_auc = binary_scores(y, compound, threshold=1e-9)["auc_roc"]
        # best_relative_depth: best_layer / blocks, comparable across architectures of different depths
        res = {"rows": len(idx), "val_layer_auc_roc": val_auc, "best_layer": int(np.argmax(auc)),
               "best_relative_depth": int(np.argmax(auc)) / (len(auc) - 1),
               "best_auc_roc": max(auc), "layer0_auc_roc": auc[0], "vader_auc_roc": vader_auc,
               "bow_auc_roc": bow_scores(study.bow, texts, y)["auc_roc"], "probe_minus_vader": val_auc - vader_auc,
               "auc_by_layer": auc}
        prob = sigmoid(logits[study.best_layer])
        res.update(accuracy=float(np.mean((prob >= 0.5) == y)),
                   accuracy_calibrated=float(np.mean((prob >= study.main.threshold[study.best_layer]) == y)))
        for how, scores in ensemble_scores(study.main, x, y, study.ensemble_k, study.ensemble_layers).items():
            res.update({f"ensemble_{how}_{k}": v for k, v in scores.items()})
        for t in study.by_type.values():
            if t.kind != study.kind:
                other = t.logits(x)
                res[f"{t.kind}_auc_by_layer"] = [binary_scores(y, l, threshold=0.0)["auc_roc"] for l in other]
                res[f"{t.kind}_auc_roc"] = res[f"{t.kind}_auc_by_layer"][t.best_layer]
        if all(r.get("pair") for r in ordered):
            pairs = [r["pair"] for r in ordered]
            res.update(pair_accuracy=pair_accuracy(pairs, y, logits[study.best_layer]),
                       vader_pair_accuracy=pair_accuracy(pairs, y, compound),
                       bow_pair_accuracy=pair_accuracy(pairs, y, bow))
        out[name] = res
    # a layer chosen without looking at the set: the best mean AUC over the other held-out sets
    for name, res in out.items():
        others = [r["auc_by_layer"] for n, r in out.items() if n != name]
        if others:
            layer = int(np.argmax(np.mean(others, axis=0)))
            res.update(other_sets_layer=layer, other_sets_layer_auc_roc=res["auc_by_layer"][layer])
    return out


def heldout_metrics(results: Mapping[str, dict]) -> dict[str, Any]:
    """`heldout.<set>.<column>` for every scalar of `evaluate_heldout` (the per-layer curve goes to the plot)."""
    return {f"heldout.{name}.{k}": v for name, res in results.items() for k, v in res.items()
            if not k.endswith("auc_by_layer")}
