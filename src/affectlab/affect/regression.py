"""Two affect regressors from the same split, and their evaluation against two baselines.

(a) Ridge on frozen pooled activations of the base model (family B's `pooled_batches`: one forward pass
    per batch, every layer); the layer and the ridge alpha are chosen on dev by mean MAE.
(b) LoRA + a 3-output regression head trained with family C's loop (`sft.train.fit`, MSE on the hidden
    state of the last prompt token; the utterance is a user turn with no assistant target, so there is
    no LM term). The adapter plus `heads.safetensors` are the exported model.
Baselines: the train split's mean of each axis, and VADER compound as a valence predictor.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from affectlab.affect.records import AXES
from affectlab.affect.scores import axis_scores, mae_of, targets
from affectlab.affect.settings import AffectRidgeSettings, AffectTrainSettings
from affectlab.io import (
    atomic_dir,
    fingerprint,
    read_json,
    write_json_atomic,
    write_safetensors_atomic,
)
from affectlab.lexical import Vader
from affectlab.models import library_versions, load_adapter, load_base
from affectlab.probes.capture import pooled_batches
from affectlab.progress import timed
from affectlab.sft.encoding import encode
from affectlab.sft.model import (
    MultiTaskSFT,
    add_lora,
    load_heads_into,
    save_adapter,
    save_heads,
)
from affectlab.sft.sources import Example
from affectlab.sft.train import clear_checkpoint, fit, head_outputs

log = logging.getLogger(__name__)
HEAD = "affect"
WEIGHTS = {HEAD: 1.0}  # the head's MSE is the only loss term
RIDGE_FILE, META_FILE = "ridge.safetensors", "manifest.json"


# A short system turn instead of the template's default one (SmolLM2 adds ~20 tokens of "You are a helpful
# AI assistant ..."): it names the task and cuts each training sequence by about a third.
SYSTEM = "Rate the user's affect."


def prompt_of(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]


def encode_table(records: Sequence[dict], tokenizer, max_seq_len: int) -> pd.DataFrame:
    """Family C's encoding of each utterance as a user turn with no target (prompt only, all labels
    masked); `affect_target` holds the three axes."""
    rows, counts = [], Counter()
    for i, r in enumerate(records):
        row = encode(Example(str(i), r["source"], prompt_of(r["text"]), None), tokenizer, max_seq_len, counts, "x")
        rows.append({**row, "affect_target": [r[a] for a in AXES]})
    return pd.DataFrame(rows)


def head_predictions(model: MultiTaskSFT, table: pd.DataFrame, batch_size: int, pad_id: int) -> np.ndarray:
    return head_outputs(model, table.drop(columns="affect_target"), HEAD, batch_size, pad_id).clip(-1, 1)


# ------------------------------------------------------------------ (a) ridge ------------------------------
def pooled_all_layers(model, tokenizer, texts: Sequence[str], s: AffectRidgeSettings) -> np.ndarray:
    """[layers, N, hidden] float32."""
    x = None
    with timed("affect ridge capture", unit="texts") as stats:
        for idx, pooled in pooled_batches(model, tokenizer, list(texts), s):
            if x is None:
                x = np.zeros((pooled.shape[0], len(texts), pooled.shape[2]), dtype=np.float32)
            x[:, idx] = pooled
            stats["n"] += len(idx)
    return x


def fit_ridge(x: np.ndarray, y: np.ndarray, split: np.ndarray, alphas: Sequence[float]) -> dict[str, Any]:
    """Ridge per layer and alpha on train (standardised features), scored on dev by mean MAE; the best
    is kept: {layer, alpha, dev_mae, by_layer (dev MAE of each layer's best alpha), weight, bias, mean, std}."""
    from sklearn.linear_model import Ridge

    tr, dev = split == "train", split == "dev"
    best, by_layer = None, []
    for layer in range(x.shape[0]):
        mean, std = x[layer, tr].mean(0), x[layer, tr].std(0) + 1e-6
        z = (x[layer] - mean) / std
        layer_best = None
        for alpha in alphas:
            model = Ridge(alpha=alpha).fit(z[tr], y[tr])
            mae = float(np.abs(model.predict(z[dev]).clip(-1, 1) - y[dev]).mean())
            if layer_best is None or mae < layer_best[0]:
                layer_best = (mae, alpha, model)
        by_layer.append(layer_best[0])
        if best is None or layer_best[0] < best["dev_mae"]:
            best = {"layer": layer, "alpha": layer_best[1], "dev_mae": layer_best[0],
                    "weight": layer_best[2].coef_.astype(np.float32), "bias": layer_best[2].intercept_.astype(np.float32),
                    "mean": mean.astype(np.float32), "std": std.astype(np.float32)}
    best["by_layer"] = by_layer
    return best


def ridge_predict(ridge: dict[str, Any], pooled_layer: np.ndarray) -> np.ndarray:
    return (((pooled_layer - ridge["mean"]) / ridge["std"]) @ ridge["weight"].T + ridge["bias"]).clip(-1, 1)


# ------------------------------------------------------------------ (b) LoRA + regression head -------------
def build_lora_model(s: AffectTrainSettings, base_dir: str | Path, start: np.ndarray):
    """Base + LoRA + the regression head, whose bias starts at `start` (the train means): training starts
    from the constant-mean baseline instead of 0 (zero-init heads, as in family C), which in a budget of a
    few dozen steps is the difference between beating that baseline and not."""
    lm, tokenizer = load_base(base_dir)
    torch.manual_seed(s.loop.seed)
    model = MultiTaskSFT(add_lora(lm, s.lora, quantized=False), {HEAD: len(AXES)}, WEIGHTS)
    with torch.no_grad():
        model.heads[HEAD].bias.copy_(torch.as_tensor(start, dtype=torch.float32))
    return model, tokenizer


# ------------------------------------------------------------------ evaluation -----------------------------
def evaluation_tables(preds: dict[str, np.ndarray], gold: np.ndarray, archetypes: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(model x axis table of MAE and r, archetype x model table of mean MAE over the axes the model
    predicts). A NaN column of a prediction (VADER has no intimacy or tension) is left out."""
    rows, by_arch = [], []
    archetypes = np.asarray(archetypes)
    for name, pred in preds.items():
        have = [j for j in range(len(AXES)) if not np.isnan(pred[:, j]).any()]
        scores = axis_scores(np.nan_to_num(pred), gold)
        for j in have:
            rows.append({"model": name, "axis": AXES[j], "mae": scores[f"{AXES[j]}.mae"], "r": scores[f"{AXES[j]}.r"]})
        for arch in sorted(set(archetypes.tolist())):
            sel = archetypes == arch
            by_arch.append({"archetype": arch, "model": name, "rows": int(sel.sum()),
                            "mae": float(np.abs(pred[sel][:, have] - gold[sel][:, have]).mean())})
    return pd.DataFrame(rows), pd.DataFrame(by_arch)


def baselines(train: Sequence[dict], test: Sequence[dict]) -> dict[str, np.ndarray]:
    mean = targets(train).mean(0)
    vader = Vader()
    v = np.full((len(test), len(AXES)), np.nan, dtype=np.float32)
    v[:, AXES.index("valence")] = [vader.compound(r["text"]) for r in test]
    return {"constant_mean": np.tile(mean, (len(test), 1)), "vader": v}


# ------------------------------------------------------------------ the run --------------------------------
def train_and_evaluate(records: list[dict], s: AffectTrainSettings, base_dir: str | Path, out_dir: str | Path,
                       on_step=None, data_files: Sequence[Path] = (), heldout: Sequence[dict] = ()) -> dict[str, Any]:
    """Train both regressors, write `out_dir` (adapter/, heads.safetensors, ridge.safetensors,
    manifest.json) and return {"scores", "by_archetype" (both with a `set` column: test, and natural for the
    `heldout` rows), "ridge", "fit", "selection" (dev MAE of ridge and LoRA, the default = the lower)}.
    `heldout` is only scored: nothing is fitted or chosen on it."""
    from safetensors.numpy import save

    split = np.array([r["split"] for r in records])
    by = {name: [r for r in records if r["split"] == name] for name in ("train", "dev", "test")}
    train_rows = [r for r in by["train"] if r["confidence"] >= s.min_confidence]
    heldout = list(heldout)

    model, tokenizer = build_lora_model(s, base_dir, targets(train_rows).mean(0))
    base_lm = model.lm.get_base_model()
    with model.lm.disable_adapter():  # frozen base activations for the ridge regressor
        x_all = pooled_all_layers(base_lm, tokenizer, [r["text"] for r in [*records, *heldout]], s.ridge)
    x, x_natural = x_all[:, :len(records)], x_all[:, len(records):]
    keep = np.array([r["split"] != "train" or r["confidence"] >= s.min_confidence for r in records])
    ridge = fit_ridge(x[:, keep], targets(records)[keep], split[keep], s.ridge.alphas)

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    tables = {k: encode_table(v, tokenizer, s.max_seq_len) for k, v in (("train", train_rows), ("dev", by["dev"]),
                                                                       ("test", by["test"]), ("natural", heldout))
              if v}
    key = fingerprint([s.model_dump(mode="json", exclude={"loop": {"checkpoint_dir"}}), str(base_dir)],
                      [*data_files, Path(base_dir) / "config.json"])
    # alpha 1: rows drawn uniformly whatever their source (sources are provenance here, not datasets to balance)
    result = fit(model, tables["train"], tables["dev"], s.loop, alpha=1.0, pad_id=pad_id, fingerprint=key,
                 on_step=on_step)
    lora = lambda name: head_predictions(model, tables[name], s.loop.batch_size, pad_id)  # noqa: E731
    # The default predictor is chosen on the whole dev split (same rows, same clipping for both); the natural
    # set is reported beside it, never used to choose.
    dev_idx = np.flatnonzero(split == "dev")
    dev_gold = targets(by["dev"])
    selection = {"ridge": mae_of(ridge_predict(ridge, x[ridge["layer"], dev_idx]), dev_gold),
                 "lora": mae_of(lora("dev"), dev_gold)}
    default = min(selection, key=selection.get)
    sets = {"test": (by["test"], {"ridge": ridge_predict(ridge, x[ridge["layer"], np.flatnonzero(split == "test")]),
                                  "lora": lora("test")})}
    if heldout:
        sets["natural"] = (heldout, {"ridge": ridge_predict(ridge, x_natural[ridge["layer"]]), "lora": lora("natural")})
    scores, by_arch = [], []
    for name, (rows, preds) in sets.items():
        sc, ba = evaluation_tables({**baselines(train_rows, rows), **preds}, targets(rows),
                                   [r["archetype"] for r in rows])
        scores.append(sc.assign(set=name))
        by_arch.append(ba.assign(set=name))
    out_dir = Path(out_dir)
    manifest = {"axes": list(AXES), "base_dir": str(base_dir), "params": s.model_dump(mode="json"),
                "default": default, "selection": {"dev_mae": selection, "rule": "lower mean MAE on the dev split"},
                "ridge": {"layer": ridge["layer"], "alpha": ridge["alpha"], "pooling": s.ridge.pooling,
                          "last_k": s.ridge.last_k, "max_length": s.ridge.max_length,
                          "input": "the raw utterance, tokenizer defaults, no chat template; frozen base model",
                          "hidden_states_index": "0 = embeddings, i = output of block i"},
                "lora": {"pooling": "hidden state at prompt_length - 1", "max_seq_len": s.max_seq_len,
                         "prompt": "the utterance as one user turn, chat template, generation prompt",
                         "system": SYSTEM},
                "fingerprint": key, "versions": library_versions()}
    with atomic_dir(out_dir) as tmp:
        save_adapter(model.lm, tmp / "adapter")
        save_heads(model, tmp / "heads.safetensors", {HEAD: list(AXES)})
        write_safetensors_atomic(save({k: np.ascontiguousarray(ridge[k]) for k in ("weight", "bias", "mean", "std")},
                                      metadata={"layer": str(ridge["layer"]), "alpha": str(ridge["alpha"])}),
                                 tmp / RIDGE_FILE)
        write_json_atomic(manifest, tmp / META_FILE)
    clear_checkpoint(s.loop.checkpoint_dir)
    return {"scores": pd.concat(scores, ignore_index=True), "by_archetype": pd.concat(by_arch, ignore_index=True),
            "ridge": ridge, "fit": result, "selection": {"dev_mae": selection, "default": default},
            "rows": {**{k: len(v) for k, v in by.items()}, "natural": len(heldout)}, "train_used": len(train_rows)}


PREDICTORS = ("ridge", "lora")


def ridge_from_file(path: str | Path) -> dict[str, Any]:
    from safetensors import safe_open
    from safetensors.numpy import load_file

    ridge = load_file(str(path))
    with safe_open(str(path), "np") as f:
        ridge["layer"] = int(f.metadata()["layer"])
    return ridge


def ridge_on_lm(lm, tokenizer, ridge: dict[str, Any], pooling: dict[str, Any], texts: Sequence[str]) -> np.ndarray:
    """The ridge regressor on a causal LM's pooled hidden states (the frozen base model it was fitted on)."""
    from types import SimpleNamespace

    s = SimpleNamespace(pooling=pooling["pooling"], last_k=pooling["last_k"], max_length=pooling["max_length"],
                        batch_size=16)
    x = np.zeros((len(texts), ridge["mean"].shape[0]), dtype=np.float32)
    for idx, pooled in pooled_batches(lm, tokenizer, list(texts), s):
        x[idx] = pooled[ridge["layer"]]
    return ridge_predict(ridge, x)


class AffectPredictor:
    """The exported model: base + LoRA adapter + regression head (`lora`), or ridge on the frozen base
    model's pooled activations (`ridge`) -> (valence, intimacy, tension). `model=None` takes the default
    train_affect chose on dev (manifest `default`)."""

    def __init__(self, model_dir: str | Path = "models/affect", base_dir: str | Path | None = None,
                 model: str | None = None):
        from affectlab.errors import ModelError

        model_dir = Path(model_dir)
        if not (model_dir / META_FILE).is_file():
            raise ModelError(f"{model_dir}/: no {META_FILE}; run `dvc repro train_affect`")
        self.manifest = read_json(model_dir / META_FILE, "run `dvc repro train_affect`")
        self.kind = model or self.manifest.get("default", "lora")
        if self.kind not in PREDICTORS:
            raise ModelError(f"affect predictor {self.kind!r}: must be one of {', '.join(PREDICTORS)}")
        lm, self.tokenizer = load_base(base_dir or self.manifest["base_dir"])
        self.model = MultiTaskSFT(load_adapter(lm, model_dir / "adapter", "train_affect"), {HEAD: len(AXES)}, WEIGHTS)
        load_heads_into(self.model, model_dir / "heads.safetensors")
        self.ridge = ridge_from_file(model_dir / RIDGE_FILE) if self.kind == "ridge" else None
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        if self.kind == "ridge":
            with self.model.lm.disable_adapter():
                return ridge_on_lm(self.model.lm.get_base_model(), self.tokenizer, self.ridge,
                                   self.manifest["ridge"], texts)
        records = [{"text": t, "source": "manual_chat", **{a: 0.0 for a in AXES}} for t in texts]
        table = encode_table(records, self.tokenizer, self.manifest["lora"]["max_seq_len"])
        return head_predictions(self.model, table, 16, self.pad_id)
