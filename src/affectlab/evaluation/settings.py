"""params.yaml `eval`: base-vs-SFT evaluation exports and their report."""
from __future__ import annotations

import dataclasses
from typing import Optional

from affectlab.generation import Decoding


@dataclasses.dataclass(frozen=True)
class EqBenchSettings:
    source: str = "data/embedded/eqbench"  # local folder in the hub columns, or hub id pbevan11/EQ-Bench
    split: str = "validation"
    revision: Optional[str] = None         # hub commit or tag
    limit: Optional[int] = None            # first N questions (None = all)


@dataclasses.dataclass(frozen=True)
class ReportSettings:
    bootstrap: int = 1000                  # resamples for the 95% CIs of the emotion profile
    seed: int = 0
    examples: int = 6                      # qualitative prompts shown side by side in reports/eval.md


@dataclasses.dataclass(frozen=True)
class EvalSettings:
    adapter: str = "models/sft/adapter"    # PEFT adapter attached to the base model for the "sft" rows
    eqbench: EqBenchSettings = EqBenchSettings()
    qualitative: str = "data/embedded/eval_prompts/qualitative.jsonl"
    redteam: str = "data/embedded/eval_prompts/redteam.jsonl"
    batch_size: int = 8                    # prompts per generate() call
    seed: int = 0                          # sampling seed (unused when decoding is greedy)
    decoding: Decoding = Decoding(max_new_tokens=64, do_sample=False, repetition_penalty=1.1)
    report: ReportSettings = ReportSettings()
