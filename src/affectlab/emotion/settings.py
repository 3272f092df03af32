"""params.yaml `emotion`: the emotion scorer (shared by the SFT audit and the base-vs-SFT evaluation)."""
from __future__ import annotations

import dataclasses
from typing import Literal, Optional


@dataclasses.dataclass(frozen=True)
class EmotionSettings:
    backend: Literal["nade", "hf"] = "nade"  # nade: offline fastText+LightGBM (8 Plutchik -> 7); hf: transformers
    model: str = "j-hartmann/emotion-english-distilroberta-base"  # hf backend: hub id or local folder
    revision: Optional[str] = None    # hf backend: hub commit or tag
    max_length: int = 512             # tokens per window (hf: model tokens incl. special ones; nade: words)
    long_text: Literal["truncate", "chunk"] = "truncate"  # truncate = reference; chunk = windows averaged by length
    batch_size: int = 32              # texts per forward pass (hf) or per predict call (nade)
    neutral_threshold: float = 0.3    # nade: neutral = max(0, threshold - strongest emotion), before normalising
