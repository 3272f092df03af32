"""params.yaml `dpo` (DPO after SFT) and its `dpo.pairs` (the preference pairs), loaded apart so that a DPO
setting never re-samples the pairs. Kept out of sft/settings.py so that the SFT stages do not depend on them."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from affectlab.config import NonNegativeInt, PositiveFloat, PositiveInt, Settings
from affectlab.generation import Decoding
from affectlab.sft.settings import LoraSettings


class DpoPairsSettings(Settings):
    """`dpo.pairs`: preference pairs from the SFT data (chosen = the human supporter reply of a context,
    rejected = the SFT model's own sampled reply to it)."""
    SECTION: ClassVar[str] = "dpo.pairs"
    train: PositiveInt            # contexts drawn from data/sft's train split (pairs = these minus drops)
    heldout: PositiveInt          # contexts drawn from its validation split: the held-out pairs
    seed: int                     # which contexts, and the sampling of the rejected replies
    batch_size: PositiveInt       # contexts per generate() call (each batch seeded seed + batch index)
    decoding: Decoding          # how the SFT model samples its reply (the rejected side)


class DpoSettings(Settings):
    """`dpo`: DPO on TRL (LoRA on the merged SFT weights; the frozen SFT model is the reference)."""
    SECTION: ClassVar[str] = "dpo"
    pairs: DpoPairsSettings
    beta: PositiveFloat           # strength of the KL anchor to the reference
    loss_type: Literal["sigmoid", "ipo", "hinge", "robust"]  # TRL DPOConfig.loss_type
    max_steps: PositiveInt
    batch_size: PositiveInt       # pairs per step
    lr: PositiveFloat
    warmup_steps: NonNegativeInt
    max_length: Annotated[int, Field(ge=32)]  # prompt + reply tokens; longer pairs lose the prompt's start
    seed: int                     # LoRA init and pair order
    lora: LoraSettings
    checkpoint_every: PositiveInt  # steps between checkpoints (resume after a kill)
    checkpoint_dir: str           # not a DVC out: it must survive a killed run
