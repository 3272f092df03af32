"""Sentiment of new texts from saved probes: the best layer, or the mean probability of the K best.

    from affectlab.probes.predict import Predictor
    Predictor.load("models/probes", "models/base").predict(["What a lovely day."], ensemble=3)
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Sequence

import numpy as np

from affectlab.errors import InputError, ModelError
from affectlab.io import read_json
from affectlab.probes.capture import pooled_batches

from affectlab.probes.study import META_FILE, PROBE_FILE


@dataclasses.dataclass(frozen=True)
class Prediction:
    text: str
    label: str           # positive | negative
    probability: float   # P(positive)
    layers: tuple[int, ...]


class Predictor:
    def __init__(self, model, tokenizer, meta: dict, tensors: dict[str, np.ndarray]) -> None:
        self.model, self.tokenizer, self.meta, self.t = model, tokenizer, meta, tensors
        cfg = model.config
        if (cfg.num_hidden_layers + 1, cfg.hidden_size) != (meta["num_layers"], meta["hidden_size"]):
            raise ModelError(f"probes were trained on {meta['model']!r} ({meta['num_layers']} layers x "
                             f"{meta['hidden_size']}); this model has {cfg.num_hidden_layers + 1} x {cfg.hidden_size}")

    @classmethod
    def load(cls, probes_dir: str | Path = "models/probes", model_dir: str | Path = "models/base") -> "Predictor":
        from safetensors.numpy import load_file

        from affectlab.models import load_base

        probes_dir = Path(probes_dir)
        if not (probes_dir / META_FILE).is_file() or not (probes_dir / PROBE_FILE).is_file():
            raise ModelError(f"{probes_dir}/: no {PROBE_FILE} + {META_FILE}; run `dvc repro train_probes`")
        meta = read_json(probes_dir / META_FILE, "run `dvc repro train_probes`")
        model, tokenizer = load_base(model_dir)
        return cls(model, tokenizer, meta, load_file(str(probes_dir / PROBE_FILE)))

    def layers_for(self, ensemble: int | None) -> tuple[int, ...]:
        if ensemble is None:
            return (int(self.meta["best_layer"]),)
        if not 1 <= ensemble <= len(self.meta["ranking"]):
            raise InputError(f"--ensemble: must be between 1 and {len(self.meta['ranking'])}, got {ensemble}")
        return tuple(int(l) for l in self.meta["ranking"][:ensemble])

    def predict(self, texts: Sequence[str], ensemble: int | None = None, source: str = "text",
                batch_size: int = 32) -> list[Prediction]:
        """`ensemble` = K averages the probabilities of the K best layers (by val AUC); None = best layer.
        An empty text is an error naming it (`source` n)."""
        for i, text in enumerate(texts, start=1):
            if not isinstance(text, str) or not text.strip():
                raise InputError(f"{source} {i}: empty text; give a non-empty sentence to classify")
        if not texts:
            raise InputError(f"{source}: no texts to classify")
        layers = list(self.layers_for(ensemble))
        s = SimpleNamespace(pooling=self.meta["pooling"], last_k=self.meta["last_k"],
                            max_length=self.meta["max_length"], batch_size=batch_size)
        probs = np.zeros(len(texts))
        w, b, mean, std = (self.t[k][layers] for k in ("weight", "bias", "mean", "std"))
        for idx, pooled in pooled_batches(self.model, self.tokenizer, list(texts), s):
            x = (pooled[layers] - mean[:, None, :]) / std[:, None, :]
            logits = np.einsum("lnh,lh->ln", x, w) + b[:, None]
            probs[idx] = (1 / (1 + np.exp(-logits))).mean(axis=0)
        names = self.meta["labels"]
        return [Prediction(t, names["1"] if p >= 0.5 else names["0"], float(p), tuple(layers))
                for t, p in zip(texts, probs)]
