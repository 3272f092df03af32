"""params.yaml `emotion` (the emotion scorer, shared by the SFT audit and the base-vs-SFT evaluation) and
`sft_audit.report` (the audit report)."""
from __future__ import annotations

from typing import ClassVar, Literal, Optional

from affectlab.config import Fraction, PositiveInt, Settings


class EmotionSettings(Settings):
    SECTION: ClassVar[str] = "emotion"
    backend: Literal["nade", "hf"]     # nade: offline fastText+LightGBM (8 Plutchik -> 7); hf: transformers
    model: str                         # hf backend: hub id or local folder
    revision: Optional[str]            # hf backend: hub commit or tag
    max_length: PositiveInt            # tokens per window (hf: model tokens incl. special ones; nade: words)
    long_text: Literal["truncate", "chunk"]  # truncate = reference; chunk = windows averaged by length
    batch_size: PositiveInt            # texts per forward pass (hf) or per predict call (nade)
    neutral_threshold: Fraction        # nade: neutral = max(0, threshold - strongest emotion), before normalising


class AuditReportSettings(Settings):
    SECTION: ClassVar[str] = "sft_audit.report"
    bootstrap: PositiveInt             # bootstrap resamples for the 95% CIs of per-source means
    seed: int                          # seed of the bootstrap
