"""params.yaml `affect`: the inputs (`affect.data`), candidate harvest (`affect.harvest`), the merged and
split dataset (`affect.build`) and the two regressors (`affect.train`)."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import pydantic
from pydantic import Field

from affectlab.affect.records import ARCHETYPES
from affectlab.config import Fraction, NonNegativeInt, PositiveFloat, PositiveInt, Settings
from affectlab.generation import Decoding
from affectlab.sft.settings import DatasetSource, LoraSettings, SftTrainSettings


class AffectDataSettings(Settings):
    """`affect.data`: the team's labeled files (read by harvest to skip what is labeled, and by build)."""
    SECTION: ClassVar[str] = "affect.data"
    baseline: str                 # JSONL records of the current dataset (run002 + GoEmotions)
    labels_dir: str               # folder of *.jsonl label files written by the labeling tool or import-csv


class AffectHarvestSettings(Settings):
    """`affect.harvest`: where candidates come from."""
    SECTION: ClassVar[str] = "affect.harvest"
    transcripts: str              # folder of *.chat.jsonl interaction logs and *.affect.jsonl affect-head logs
    mapping: str                  # YAML: GoEmotions label combination -> archetype, transcript tag -> archetype
    go_emotions: DatasetSource    # google-research-datasets/go_emotions, simplified config
    goemotions_per_archetype: NonNegativeInt  # balanced pull: at most this many items per mapped archetype
    scenarios: str                # folder of <archetype>.yaml scenario scripts
    dialogues_per_scenario: PositiveInt  # generations per scenario (each gives a few user utterances)
    min_words: PositiveInt        # generated utterances outside [min_words, max_words] are dropped (counted)
    max_words: PositiveInt
    batch_size: PositiveInt       # prompts per generation round (and per checkpoint append)
    seed: int                     # goemotions draw and generation rounds
    decoding: Decoding

    @pydantic.model_validator(mode="after")
    def _word_bounds(self) -> AffectHarvestSettings:
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must be <= max_words ({self.max_words})")
        return self


class AffectSplit(Settings):
    """Fractions per archetype (stratified); each > 0, together 1."""
    train: PositiveFloat
    dev: PositiveFloat
    test: PositiveFloat

    @pydantic.model_validator(mode="after")
    def _sums_to_one(self) -> AffectSplit:
        if abs(self.train + self.dev + self.test - 1) > 1e-6:
            raise ValueError(f"train + dev + test must be 1, got {self.train} + {self.dev} + {self.test}")
        return self


class AffectBuildSettings(Settings):
    """`affect.build`: merge, validation, deduplication, conflicts, split and the coverage targets."""
    SECTION: ClassVar[str] = "affect.build"
    invalid_rows: Literal["error", "skip"]   # skip = drop a bad row and count it
    conflict: Literal["mean", "highest_confidence", "drop"]  # one text, labels further apart than tolerance
    conflict_tolerance: Annotated[float, Field(ge=0, le=2)]  # largest per-axis spread still counted as agreement
    split: AffectSplit
    seed: int
    targets: dict[str, NonNegativeInt]       # archetype -> new rows the labeling run aims at

    @pydantic.field_validator("targets")
    @classmethod
    def _known_archetypes(cls, targets: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(targets) - set(ARCHETYPES))
        missing = sorted(set(ARCHETYPES) - set(targets))
        if unknown or missing:
            raise ValueError(f"must name each archetype once ({', '.join(ARCHETYPES)}); "
                             + (f"unknown: {', '.join(unknown)}" if unknown else f"missing: {', '.join(missing)}"))
        return targets


class AffectRidgeSettings(Settings):
    """Ridge regression on frozen pooled activations (family B's capture), one per layer."""
    pooling: Literal["mean", "last", "last_k"]
    last_k: PositiveInt
    max_length: PositiveInt
    batch_size: PositiveInt
    alphas: Annotated[tuple[PositiveFloat, ...], Field(min_length=1)]  # chosen with the layer on dev


class AffectTrainSettings(Settings):
    """`affect.train`: the ridge regressor and LoRA + a 3-output regression head (family C's loop)."""
    SECTION: ClassVar[str] = "affect.train"
    ridge: AffectRidgeSettings
    lora: LoraSettings
    loop: SftTrainSettings        # family C's loop settings (steps, batch, lr, head_lr, checkpoints, ...)
    max_seq_len: Annotated[int, Field(ge=32)]
    min_confidence: Fraction      # train rows below this rater confidence are left out of training
    heldout: str                  # natural held-out JSONL (affect.heldout): scored only, never fitted or chosen on


class AffectExportSettings(Settings):
    """`affect.export`: the GGUF export of the affect model (stage export_affect_gguf)."""
    SECTION: ClassVar[str] = "affect.export"
    types: Annotated[tuple[Literal["F32", "Q8_0"], ...], Field(min_length=1)]  # F32 first: its round trip is asserted
    tolerance: PositiveFloat      # largest |difference| allowed for F32: logits vs the merged model, head vs `affect predict`

    @pydantic.field_validator("types")
    @classmethod
    def _f32_first(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        if types[0] != "F32" or len(set(types)) != len(types):
            raise ValueError(f"must start with F32 (the file whose round trip is asserted) and name each type once, got {list(types)}")
        return types
