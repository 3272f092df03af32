"""Emotion scorers: text -> the 7 classes anger, disgust, fear, joy, neutral, sadness, surprise.

`make_scorer(settings).score(texts)` returns a DataFrame with one row per text: the 7 class scores (summing
to 1), `empty` (blank text: scores are NaN, never a crash), `truncated` (the text was longer than one
window) and `windows` (windows scored). Both backends share the long-text policy:
- `truncate` (the reference behaviour of text-classification pipelines): only the first `max_length` tokens;
- `chunk`: consecutive windows of `max_length` tokens, scores averaged weighted by window length.

Backends:
- `nade` (offline default): nade 0.3.1 predicts 8 Plutchik intensities in [0, 1]. Mapping to the 7 classes:
  anger, disgust, fear, joy, sadness and surprise map one to one; trust and anticipation are dropped (no
  counterpart among the 7, and folding them into joy would make every polite text joyful); neutral =
  max(0, neutral_threshold - strongest of the six), i.e. a text whose strongest emotion stays below the
  threshold is partly neutral. The 7 values are then normalised to sum to 1. A token is a whitespace word.
- `hf`: any transformers sequence-classification model whose labels include the 7 classes (default
  j-hartmann/emotion-english-distilroberta-base): all class scores (softmax, or sigmoid for multi-label
  models, like the pipeline with `top_k=None`), restricted to the 7 and renormalised; batches sorted by
  length, `torch.inference_mode`, GPU when present.
"""
from __future__ import annotations

import logging
import re
import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from affectlab.emotion.settings import EmotionSettings
from affectlab.errors import ConfigError, ModelError, first_line
from affectlab.distributed import map_batches

EMOTIONS = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
PLUTCHIK_TO_EMOTION = {"anger": "anger", "disgust": "disgust", "fear": "fear", "joy": "joy",
                       "sadness": "sadness", "surprise": "surprise"}  # trust, anticipation: dropped
log = logging.getLogger(__name__)


class Scorer:
    """Shared long-text policy; a backend provides token spans, a window size and `_predict`."""

    def __init__(self, settings: EmotionSettings):
        self.settings = settings

    window: int  # tokens of text per window

    def _spans(self, text: str) -> list[tuple[int, int]]:
        raise NotImplementedError

    def _predict(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 7) scores in EMOTIONS order, rows summing to 1."""
        raise NotImplementedError

    def score(self, texts: Sequence[str]) -> pd.DataFrame:
        n = len(texts)
        empty = np.array([not (t or "").strip() for t in texts], dtype=bool)
        truncated = np.zeros(n, dtype=bool)
        windows = np.zeros(n, dtype=np.int64)
        owner, pieces, weights = [], [], []
        for i, text in enumerate(texts):
            if empty[i]:
                continue
            spans = self._spans(text)
            if len(spans) <= self.window:
                owner.append(i), pieces.append(text), weights.append(max(len(spans), 1))
                windows[i] = 1
                continue
            truncated[i] = True
            starts = [0] if self.settings.long_text == "truncate" else range(0, len(spans), self.window)
            for a in starts:
                last = min(a + self.window, len(spans)) - 1
                owner.append(i), pieces.append(text[spans[a][0]:spans[last][1]]), weights.append(last - a + 1)
                windows[i] += 1
        scores = np.full((n, len(EMOTIONS)), np.nan)
        if pieces:
            probs = self._predict(pieces)
            w = np.asarray(weights, dtype=np.float64)[:, None]
            sums = np.zeros((n, len(EMOTIONS)))
            np.add.at(sums, owner, probs * w)
            totals = np.zeros(n)
            np.add.at(totals, owner, w[:, 0])
            used = totals > 0
            scores[used] = sums[used] / totals[used, None]
        out = pd.DataFrame(scores, columns=EMOTIONS)
        out["empty"], out["truncated"], out["windows"] = empty, truncated, windows
        return out


class NadeScorer(Scorer):
    def __init__(self, settings: EmotionSettings):
        super().__init__(settings)
        try:
            import nade
        except ImportError:
            raise ModelError("emotion.backend 'nade' needs the PyPI package: pip install nade==0.3.1") from None
        with warnings.catch_warnings():  # nade warns while unpacking its models on first use
            warnings.simplefilter("ignore")
            self.model = nade.Nade()
        self.window = settings.max_length

    def _spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(r"\S+", text)]

    def _predict(self, texts: list[str]) -> np.ndarray:
        step = self.settings.batch_size
        out = map_batches(lambda a: plutchik_to_emotions(self.model.predict(texts[a:a + step]),
                                                         self.settings.neutral_threshold),
                          range(0, len(texts), step), "nade")
        return np.concatenate(out)


def plutchik_to_emotions(plutchik: dict, neutral_threshold: float) -> np.ndarray:
    """nade's {label: array} of 8 Plutchik intensities -> (n, 7) in EMOTIONS order, rows summing to 1."""
    six = {e: np.asarray(plutchik[p].to_pylist() if hasattr(plutchik[p], "to_pylist") else plutchik[p],
                         dtype=np.float64) for p, e in PLUTCHIK_TO_EMOTION.items()}
    strongest = np.max(np.stack(list(six.values())), axis=0)
    six["neutral"] = np.maximum(0.0, neutral_threshold - strongest)
    raw = np.stack([six[e] for e in EMOTIONS], axis=1)
    total = raw.sum(axis=1, keepdims=True)
    # all seven zero (threshold 0 and no emotion detected): nothing was felt, call it neutral
    raw[total[:, 0] == 0, EMOTIONS.index("neutral")] = 1.0
    return raw / raw.sum(axis=1, keepdims=True)


class HfScorer(Scorer):
    def __init__(self, settings: EmotionSettings):
        super().__init__(settings)
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from affectlab.models import resolve_source

        resolved = resolve_source(settings.model, settings.revision)
        try:
            # the classifier is a stock architecture: no param asks for its remote code, so none runs
            kwargs = {**resolved.kwargs(), "trust_remote_code": False}
            self.tokenizer = AutoTokenizer.from_pretrained(resolved.path, **kwargs)
            model = AutoModelForSequenceClassification.from_pretrained(resolved.path, **kwargs)
        except (OSError, ValueError) as e:
            raise ModelError(f"emotion.model {settings.model!r}: cannot load: {first_line(e)}"
                             " (offline? the hub model needs network or a warm HF cache)") from None
        if not self.tokenizer.is_fast:
            raise ModelError(f"emotion.model {settings.model!r}: needs a fast tokenizer (token offsets for chunking)")
        labels = {str(v).lower(): int(k) for k, v in model.config.id2label.items()}
        missing = [e for e in EMOTIONS if e not in labels]
        if missing:
            raise ModelError(f"emotion.model {settings.model!r}: labels {sorted(labels)} lack {missing}; "
                             f"the scorer needs the 7 classes {EMOTIONS}")
        self.columns = [labels[e] for e in EMOTIONS]
        self.multi_label = model.config.problem_type == "multi_label_classification" or model.config.num_labels == 1
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device).eval()
        self.window = settings.max_length - self.tokenizer.num_special_tokens_to_add()
        if self.window < 1:
            raise ConfigError(f"emotion.max_length {settings.max_length} leaves no room for text tokens")

    def _spans(self, text: str) -> list[tuple[int, int]]:
        return self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]

    def _predict(self, texts: list[str]) -> np.ndarray:
        import torch

        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths share a batch: less padding
        out = np.zeros((len(texts), len(EMOTIONS)))
        step = self.settings.batch_size

        def batch(a: int) -> np.ndarray:
            enc = self.tokenizer([texts[i] for i in order[a:a + step]], padding=True, truncation=True,
                                 max_length=self.settings.max_length, return_tensors="pt").to(self.device)
            with torch.inference_mode():
                logits = self.model(**enc).logits.float()
            probs = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)
            chosen = probs[:, self.columns].cpu().numpy().astype(np.float64)
            return chosen / np.clip(chosen.sum(axis=1, keepdims=True), 1e-12, None)

        starts = range(0, len(texts), step)
        for a, scores in zip(starts, map_batches(batch, starts, "emotion")):
            out[order[a:a + step]] = scores
        return out


BACKENDS = {"nade": NadeScorer, "hf": HfScorer}


def make_scorer(settings: EmotionSettings) -> Scorer:
    return BACKENDS[settings.backend](settings)
