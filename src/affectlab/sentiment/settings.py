"""params.yaml `sentiment`: how the positive/negative sentence set is generated and filtered."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import pydantic
from pydantic import Field

from affectlab.config import PositiveFloat, PositiveInt, Settings
from affectlab.generation import Decoding

SENTIMENT_LABELS = ("positive", "negative")


class SentimentFilters(Settings):
    min_words: PositiveInt             # shorter replies are rejected as too_short (empty ones as empty)
    max_words: PositiveInt             # longer replies are rejected as too_long
    require_end_punctuation: bool      # reject replies cut by max_new_tokens (no . ! ? at the end)
    near_duplicate: Literal["normalized", "minilm"]  # normalised-text match or MiniLM cosine
    near_duplicate_threshold: Annotated[float, Field(gt=0, le=1)]  # MiniLM cosine at or above which a row is a near duplicate
    vader_threshold: Annotated[float, Field(ge=0, lt=1)]  # positive needs compound >= +t, negative <= -t

    @pydantic.model_validator(mode="after")
    def _word_bounds(self) -> SentimentFilters:
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must be <= max_words ({self.max_words})")
        return self


class SentimentOllama(Settings):
    url: str                           # ollama server; only used with backend: ollama
    model: str                         # ollama model tag
    timeout: PositiveFloat             # seconds per request


class SentimentSettings(Settings):
    SECTION: ClassVar[str] = "sentiment"
    per_class: PositiveInt             # accepted sentences per label
    seed: int                          # seeds topic order and every generation round
    backend: Literal["transformers", "ollama"]  # local HF model (models/base) or an ollama server
    dtype: Literal["float32", "bfloat16"]  # transformers backend: the generating model's weights and arithmetic
    topics_file: str                   # committed topic list, one topic per line
    prompt: str                        # user message; {emotion} and {topic} are filled in
    sub_emotions: dict[str, tuple[str, ...]]  # label -> sub-emotions the prompts cycle through
    batch_size: PositiveInt            # prompts per generation round (one checkpoint append per round)
    max_generations: PositiveInt       # give up (resumable) after this many raw generations
    decoding: Decoding
    filters: SentimentFilters
    ollama: SentimentOllama

    @pydantic.field_validator("prompt")
    @classmethod
    def _prompt_fields(cls, prompt: str) -> str:
        for field in ("{emotion}", "{topic}"):
            if field not in prompt:
                raise ValueError(f"must contain {field}, got {prompt!r}")
        return prompt

    @pydantic.field_validator("sub_emotions")
    @classmethod
    def _one_list_per_label(cls, sub: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        if sorted(sub) != sorted(SENTIMENT_LABELS):
            raise ValueError(f"keys must be exactly {', '.join(SENTIMENT_LABELS)}, got {', '.join(sub) or 'none'}")
        empty = [label for label, emotions in sub.items() if not emotions]
        if empty:
            raise ValueError(f"{empty[0]} needs at least one sub-emotion")
        return sub
