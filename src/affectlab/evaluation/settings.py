"""params.yaml `eval.export` (base-vs-SFT answers) and `eval.report` (their summary): separate sections, so
a report setting never re-generates answers."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Optional

import pydantic

from affectlab.config import NonNegativeInt, PositiveInt, Settings
from affectlab.generation import Decoding


class EqBenchSettings(Settings):
    source: str                      # local folder in the hub columns, or hub id pbevan11/EQ-Bench
    split: str
    revision: Optional[str]          # hub commit or tag
    limit: Optional[PositiveInt]     # first N questions (null = all)
    scoring: Literal["generate", "logprob"]  # parse generated answers | expected rating from log-probs


class ContextsSettings(Settings):
    source: str                      # a data/sft table (prepare_sft_data): its dialogue contexts and human replies
    n: PositiveInt                   # contexts drawn (fewer when the table has fewer)
    seed: int                        # the draw


class EvalExportSettings(Settings):
    SECTION: ClassVar[str] = "eval.export"
    adapter: str                     # PEFT adapter attached to the base model for the "sft" rows
    dpo_adapter: str                 # DPO adapter attached to base + merged SFT adapter for the "dpo" rows
    eqbench: EqBenchSettings
    qualitative: str                 # committed JSONL prompt files
    redteam: str
    contexts: ContextsSettings       # held-out contexts of C's own SFT data: the data-to-model question
    batch_size: PositiveInt          # prompts per generate() call
    decoding: Decoding
    seed: Optional[int]              # sampling seed: an int when decoding samples, null when greedy (where it
    #                                  would change nothing but still re-run the export when edited)

    @pydantic.model_validator(mode="after")
    def _seed_iff_sampling(self) -> EvalExportSettings:
        if self.decoding.do_sample and self.seed is None:
            raise ValueError("seed: must be an int when decoding.do_sample is true")
        if not self.decoding.do_sample and self.seed is not None:
            raise ValueError(f"seed: must be null with greedy decoding (got {self.seed}; it would change nothing)")
        return self


class EqBenchBaselinesSettings(Settings):
    constant: Annotated[float, pydantic.Field(ge=0, le=10)]  # one rating given to every emotion
    random_draws: PositiveInt        # uniform-random answer sets (integers 0-10) scored and averaged


class EvalReportSettings(Settings):
    SECTION: ClassVar[str] = "eval.report"
    bootstrap: PositiveInt           # resamples for the 95% CIs of the emotion profile
    seed: int                        # bootstrap and the random EQ-Bench baseline
    eqbench_baselines: EqBenchBaselinesSettings
    examples: NonNegativeInt         # qualitative prompts shown side by side in reports/eval.md
