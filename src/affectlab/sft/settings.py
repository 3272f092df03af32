"""params.yaml sections of the emotion-aware SFT family: `sft.data`, `sft.mixture`, `sft.lora`, `sft.train`,
`loss` and `quant`. `loss` is top level on purpose: users type `dvc exp run -S loss.strategy=0`."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Optional

import pydantic
from pydantic import Field

from affectlab.config import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, Settings


class TeacherModel(Settings):
    """A model to score with: the prepared base folder, another local folder or a hub id."""
    source: str                   # models/base | local model folder | hub id org/name
    revision: Optional[str]       # hub commit or tag; pinned in the hub profile
    dtype: Literal["float32", "bfloat16", "float16"]
    trust_remote_code: bool


class DatasetSource(Settings):
    """One dataset: a local folder in the hub layout or a hub id (affectlab.hub_data reads both)."""
    path: str                     # local folder (embedded mirror) or hub id org/name
    config: Optional[str]         # hub config name (GoEmotions: simplified)
    revision: Optional[str]       # hub commit or tag; pinned in the hub profile


class SftDataSettings(Settings):
    """`sft.data`: where the three datasets come from and how examples are tokenised."""
    SECTION: ClassVar[str] = "sft.data"
    ed_v2: DatasetSource          # Adapting/empathetic_dialogues_v2 layout
    esconv: DatasetSource         # thu-coai/esconv layout
    go_emotions: DatasetSource    # google-research-datasets/go_emotions, simplified config
    max_seq_len: Annotated[int, Field(ge=32)]  # longer examples lose prompt tokens from the left (counted)
    map_emotions: bool            # map ED-v2 / ESConv emotion names onto GoEmotions labels (else ignored)


class SftMixtureSettings(Settings):
    """`sft.mixture`: dataset i is drawn with probability proportional to n_i ** alpha."""
    SECTION: ClassVar[str] = "sft.mixture"
    alpha: Annotated[float, Field(gt=0, le=1)]  # 1 = proportional to size, -> 0 = uniform over datasets


class LoraSettings(Settings):
    """`sft.lora`: the adapter trained on top of the frozen base model."""
    SECTION: ClassVar[str] = "sft.lora"
    r: PositiveInt
    alpha: PositiveInt
    dropout: Annotated[float, Field(ge=0, lt=1)]
    target_modules: Annotated[tuple[str, ...], Field(min_length=1)]


class SftTrainSettings(Settings):
    """`sft.train`: the optimisation loop."""
    SECTION: ClassVar[str] = "sft.train"
    seed: int                     # LoRA init, head init, dropout and batch sampling
    max_steps: PositiveInt        # optimizer steps
    batch_size: PositiveInt       # examples per micro-batch (per process)
    grad_accum: PositiveInt       # micro-batches per optimizer step
    lr: PositiveFloat             # LoRA learning rate
    head_lr: PositiveFloat        # heads start from zero and are tiny: they need a larger step than LoRA
    weight_decay: NonNegativeFloat
    warmup_steps: NonNegativeInt
    schedule: Literal["linear", "cosine", "constant_with_warmup"]
    max_grad_norm: NonNegativeFloat  # gradient clipping; 0 turns it off
    eval_every: PositiveInt       # steps between validation passes (and always at the end)
    eval_max_examples: PositiveInt  # validation examples per pass, drawn evenly from each source
    checkpoint_every: PositiveInt  # steps between checkpoints (resume after a kill)
    checkpoint_dir: str           # not a DVC out: it must survive a killed run


class LossSettings(Settings):
    """`loss`: L = lm * L_lm + emotion * L_emo + strategy * L_strat + affect * L_affect + safety_kl * KL. A weight
    of 0 removes that term, its head and its rows from the run (an ablation, not a multiplied zero)."""
    SECTION: ClassVar[str] = "loss"
    lm: NonNegativeFloat
    emotion: NonNegativeFloat
    strategy: NonNegativeFloat
    affect: NonNegativeFloat      # valence / intimacy / tension head (MSE) on family E's train split
    safety_kl: NonNegativeFloat   # KL(policy || safety teacher) over the replies of the safety prompt set

    @pydantic.model_validator(mode="after")
    def _one_term_at_least(self) -> LossSettings:
        if not self.active():
            raise ValueError("all weights are 0; at least one of loss.lm, loss.emotion, loss.strategy, "
                             "loss.affect, loss.safety_kl must be > 0")
        return self

    def active(self) -> dict[str, float]:
        terms = ("lm", "emotion", "strategy", "affect", "safety_kl")
        return {k: getattr(self, k) for k in terms if getattr(self, k) > 0}


class SftAffectSettings(Settings):
    """`sft.affect`: the affect head's rows (family E's built train split, data/affect/dataset.jsonl) and the
    natural held-out utterances it is also scored on. E's dev and test rows are never trained on here."""
    SECTION: ClassVar[str] = "sft.affect"
    heldout: str                  # natural utterances with valence / intimacy / tension (E's format); scored only
    max_seq_len: Annotated[int, Field(ge=32)]  # an utterance as one user turn; longer ones lose their start


class SftSafetySettings(Settings):
    """`sft.safety`: the safety-teacher KL term's prompt set and teacher (stage safety_teacher)."""
    SECTION: ClassVar[str] = "sft.safety"
    prompts: str                  # JSONL: prompt_id, prompt, reply (a safe reply)
    disjoint_from: tuple[str, ...]  # evaluation prompt files (prompt_id, prompt) it must share no prompt with
    teacher: TeacherModel         # models/base | local folder | hub id; must share the base model's vocabulary
    top_k: Annotated[int, Field(ge=1, le=1024)]  # teacher tokens kept per reply position (+ one rest bucket)
    max_seq_len: Annotated[int, Field(ge=32)]
    batch_size: PositiveInt
    heldout_every: Annotated[int, Field(ge=2)]  # every n-th prompt is held out of training, scored only
    checkpoint: str               # teacher batches appended here (resume after a kill); not a DVC out


class QuantSettings(Settings):
    """`quant`: QLoRA (bitsandbytes NF4 4-bit base weights)."""
    SECTION: ClassVar[str] = "quant"
    load_in_4bit: Literal["auto", True, False]  # auto = on CUDA only
    compute_dtype: Literal["bfloat16", "float16", "float32"]
    double_quant: bool            # quantise the quantisation constants too (QLoRA paper)
