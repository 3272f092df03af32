"""params.yaml sections of the emotion reasoning family (D): `reasoner.clean`, `reasoner.cot`,
`reasoner.train` and `reasoner.eval`. The LoRA shape (`sft.lora`), the base model (`model`) and the
emotion scorer (`emotion`) are shared with families C and A."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Optional

import pydantic
from pydantic import Field

from affectlab.config import Fraction, NonNegativeInt, PositiveFloat, PositiveInt, Settings
from affectlab.generation import Decoding
from affectlab.sft.settings import DatasetSource, SftTrainSettings


class ReasonerSplitShares(Settings):
    train: Fraction
    validation: Fraction
    test: Fraction

    @pydantic.model_validator(mode="after")
    def _sum_to_one(self) -> ReasonerSplitShares:
        if abs(self.train + self.validation + self.test - 1) > 1e-6 or min(self.train, self.test) == 0:
            raise ValueError("train + validation + test must be 1, with train and test > 0")
        return self


class ReasonerCleanSettings(Settings):
    """`reasoner.clean`: GoEmotions (raw or simplified) -> one label per text, filtered, split."""
    SECTION: ClassVar[str] = "reasoner.clean"
    source: DatasetSource              # google-research-datasets/go_emotions layout, config raw or simplified
    label_set: Literal["ekman", "go_emotions"]  # the task: 7 Ekman groups or the 28 GoEmotions labels
    drop_very_unclear: bool            # raw: drop rater rows flagged example_very_unclear before aggregating
    min_agreement: PositiveInt         # raw: raters who must give the kept label (the hub's splits use 2)
    single_label: Literal["single_only", "majority"]  # several agreed labels: drop the item, or take the most voted
    neutral_policy: Literal["keep", "drop", "downsample"]  # neutral-dominant items
    neutral_max_share: Fraction        # downsample: neutral items kept up to this share of the kept items
    min_words: PositiveInt             # fewer words: dropped as too short
    url_pattern: str                   # regex for URLs / spam (case-insensitive); a match is dropped
    dedupe: Literal["exact", "normalized"]  # normalized: lower case, letters and digits only
    no_emotion_vader: Fraction         # non-neutral label, |VADER compound| below this and no ! or ?: dropped
    outlier_z: PositiveFloat           # distance to the label's MiniLM centroid above mean + z * std: outlier
    centroid_margin: Fraction          # another label's centroid closer by this cosine margin: mislabelled
    outlier_action: Literal["drop", "flag"]  # flag: kept, marked in the table and counted
    split: ReasonerSplitShares         # used when the source has no official splits (raw has only train)
    seed: int                          # neutral down-sampling and the stratified split

    @pydantic.field_validator("url_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        import re
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"not a valid regular expression ({e})") from None
        return value


class ReasonerTeacherSettings(Settings):
    """`reasoner.cot.teacher`: the LLM asked why a text expresses its gold label."""
    source: str                        # models/base | local model folder | hub id | ollama:<model>
    revision: Optional[str]            # hub id: commit or tag (pin a 40-hex commit)
    ollama_url: str                    # ollama server (source ollama:<model>)
    timeout: PositiveFloat             # seconds per ollama request
    batch_size: PositiveInt            # prompts per generate() call and per checkpoint append
    decoding: Decoding
    min_words: PositiveInt             # chain length bounds (words, final label line excluded)
    max_words: PositiveInt
    checkpoint: str                    # JSONL of teacher replies so far (resumable; not a DVC out)
    max_rows: Optional[PositiveInt]    # ask the teacher for the first N train/validation rows (null: all)


class ReasonerCotSettings(Settings):
    """`reasoner.cot`: a reasoning target per train/validation example."""
    SECTION: ClassVar[str] = "reasoner.cot"
    mode: Literal["none", "rationale_first", "label_first"]  # target: answer only, reasoning first, answer first
    backend: Literal["template", "teacher"]
    cue_words: PositiveInt             # template: most label-specific words of the text cited (at most)
    prior: PositiveFloat               # template: Dirichlet prior of the log-odds (Monroe et al. 2008)
    min_log_odds: float                # template: a word cites the label only above this z-score
    min_count: PositiveInt             # template: words seen fewer times in train are not cues
    teacher: ReasonerTeacherSettings
    seed: int                          # teacher sampling seed


class ReasonerTrainSettings(SftTrainSettings):
    """`reasoner.train`: family C's loop (LM loss on reasoning + answer, prompt masked, no heads)."""
    SECTION: ClassVar[str] = "reasoner.train"
    max_seq_len: Annotated[int, Field(ge=32)]  # longer examples lose prompt tokens from the left (counted)
    curve_per_label: Optional[PositiveInt]  # learning curve: test rows per label scored at every checkpoint


class ReasonerEvalSettings(Settings):
    """`reasoner.eval`: greedy generation on the test split, label likelihoods, baselines."""
    SECTION: ClassVar[str] = "reasoner.eval"
    decoding: Decoding
    batch_size: PositiveInt            # prompts per generate() call / sequences per scoring pass
    per_label: Optional[PositiveInt]   # at most N test rows per gold label, first by id (null = all)
    logreg_c: PositiveFloat            # MiniLM + logistic regression baseline: inverse regularisation
    natural: str                       # the hand-written held-out set (JSONL id, text, label, note; Ekman labels)
    validation_per_label: Optional[PositiveInt]  # validation rows per label the calibration is fitted on
    bootstrap: PositiveInt             # resamples of the 95% interval of macro-F1
    examples: NonNegativeInt           # correct and wrong examples shown in reports/reasoner.md
    seed: int
