"""params.yaml `sentiment`: how the positive/negative sentence set is generated and filtered."""
from __future__ import annotations

import dataclasses
from typing import Literal

from affectlab.errors import ConfigError
from affectlab.generation import Decoding

LABELS = ("positive", "negative")


@dataclasses.dataclass(frozen=True)
class Filters:
    min_words: int = 4                 # shorter replies are rejected as too_short (empty ones as empty)
    max_words: int = 30                # longer replies are rejected as too_long
    require_end_punctuation: bool = True  # reject replies cut by max_new_tokens (no . ! ? at the end)
    near_duplicate: Literal["normalized", "minilm"] = "minilm"  # normalised-text match or MiniLM cosine
    near_duplicate_threshold: float = 0.9  # MiniLM cosine at or above which a row is a near duplicate
    vader_threshold: float = 0.05      # positive needs compound >= +t, negative <= -t


@dataclasses.dataclass(frozen=True)
class Ollama:
    url: str = "http://127.0.0.1:11434"  # ollama server; only used with backend: ollama
    model: str = "llama3.2:3b"           # ollama model tag
    timeout: float = 120.0               # seconds per request


@dataclasses.dataclass(frozen=True)
class SentimentSettings:
    per_class: int                     # accepted sentences per label
    seed: int                          # seeds topic order and every generation round
    backend: Literal["transformers", "ollama"]  # local HF model (models/base) or an ollama server
    topics_file: str                   # committed topic list, one topic per line
    prompt: str                        # user message; {emotion} and {topic} are filled in
    sub_emotions: dict[str, tuple[str, ...]]  # label -> sub-emotions the prompts cycle through
    batch_size: int                    # prompts per generation round (one checkpoint append per round)
    max_generations: int               # give up (resumable) after this many raw generations
    decoding: Decoding
    filters: Filters
    ollama: Ollama

    def validate(self) -> None:
        where = "params.yaml: sentiment"
        if self.per_class < 1:
            raise ConfigError(f"{where}.per_class: must be >= 1, got {self.per_class}")
        if self.batch_size < 1:
            raise ConfigError(f"{where}.batch_size: must be >= 1, got {self.batch_size}")
        if sorted(self.sub_emotions) != sorted(LABELS):
            raise ConfigError(f"{where}.sub_emotions: keys must be exactly {', '.join(LABELS)}, "
                              f"got {', '.join(self.sub_emotions) or 'none'}")
        for label, emotions in self.sub_emotions.items():
            if not emotions:
                raise ConfigError(f"{where}.sub_emotions.{label}: needs at least one sub-emotion")
        for field in ("{emotion}", "{topic}"):
            if field not in self.prompt:
                raise ConfigError(f"{where}.prompt: must contain {field}, got {self.prompt!r}")
        f = self.filters
        if not 0 < f.min_words <= f.max_words:
            raise ConfigError(f"{where}.filters: need 0 < min_words <= max_words, got {f.min_words}, {f.max_words}")
        if not 0 <= f.vader_threshold < 1:
            raise ConfigError(f"{where}.filters.vader_threshold: must be in [0, 1), got {f.vader_threshold}")
        self.decoding.validate(f"{where}.decoding")
