"""Sentiment of new texts from saved probes: the best layer, or an ensemble of the K best or of named
layers (mean probability, or the vote of the layers' calibrated decisions).

    from affectlab.probes.predict import Predictor
    Predictor.load("models/probes", "models/base").predict(["What a lovely day."], ensemble=3)
    Predictor.load("models/probes", "models/base").predict(["What a lovely day."], layers=[15, 17, 22], vote=True)
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Sequence

import numpy as np

from affectlab.errors import InputError, ModelError
from affectlab.io import read_json
from affectlab.probes.capture import pooled_batches, text_config
from affectlab.probes.decision import combine, sigmoid

from affectlab.probes.study import META_FILE, PROBE_FILE
from affectlab.probes.training import probe_logits


@dataclasses.dataclass(frozen=True)
class Prediction:
    text: str
    label: str           # positive | negative
    probability: float   # P(positive)
    layers: tuple[int, ...]
    threshold: float     # the mean calibrated threshold of those layers (the vote uses each layer's own)


class Predictor:
    def __init__(self, model, tokenizer, meta: dict, tensors: dict[str, np.ndarray]) -> None:
        self.model, self.tokenizer, self.meta, self.t = model, tokenizer, meta, tensors
        cfg = text_config(model)
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

    def layers_for(self, ensemble: int | None = None, layers: Sequence[int] | None = None) -> tuple[int, ...]:
        """The named `layers`, else the `ensemble` best by val AUC, else the best layer."""
        n = len(self.meta["ranking"])
        if layers is not None and ensemble is not None:
            raise InputError("give --layers or --ensemble, not both")
        if layers is not None:
            bad = [l for l in layers if not 0 <= l < n]
            if bad or not layers or len(set(layers)) < len(layers):
                raise InputError(f"--layers: give distinct layers between 0 and {n - 1}, got {','.join(map(str, layers))}")
            return tuple(int(l) for l in layers)
        if ensemble is None:
            return (int(self.meta["best_layer"]),)
        if not 1 <= ensemble <= n:
            raise InputError(f"--ensemble: must be between 1 and {n}, got {ensemble}")
        return tuple(int(l) for l in self.meta["ranking"][:ensemble])

    def predict(self, texts: Sequence[str], ensemble: int | None = None, source: str = "text",
                batch_size: int = 32, layers: Sequence[int] | None = None, vote: bool = False) -> list[Prediction]:
        """`ensemble` = K uses the K best layers (by val AUC), `layers` names them; None of both = the best
        layer. The layers' probabilities are averaged and thresholded at the mean of their calibrated
        thresholds, or with `vote` each layer decides at its own calibrated threshold and the majority wins
        (`decision.combine`). An empty text is an error naming it (`source` n)."""
        for i, text in enumerate(texts, start=1):
            if not isinstance(text, str) or not text.strip():
                raise InputError(f"{source} {i}: empty text; give a non-empty sentence to classify")
        if not texts:
            raise InputError(f"{source}: no texts to classify")
        chosen = list(self.layers_for(ensemble, layers))
        s = SimpleNamespace(pooling=self.meta["pooling"], last_k=self.meta["last_k"],
                            max_length=self.meta["max_length"], batch_size=batch_size)
        kind = self.meta["probe_type"]
        params = {k: v[chosen] for k, v in self.t.items() if k not in ("mean", "std", "threshold")}
        mean, std, threshold = (self.t[k][chosen] for k in ("mean", "std", "threshold"))
        prob = np.zeros((len(chosen), len(texts)))
        for idx, pooled in pooled_batches(self.model, self.tokenizer, list(texts), s):
            x = (pooled[chosen] - mean[:, None, :]) / std[:, None, :]
            prob[:, idx] = sigmoid(probe_logits(x, params, kind))
        _, positive = combine(prob, threshold, "vote" if vote else "mean")
        names = self.meta["labels"]
        return [Prediction(t, names["1"] if pos else names["0"], float(p), tuple(chosen), float(threshold.mean()))
                for t, pos, p in zip(texts, positive, prob.mean(axis=0))]
