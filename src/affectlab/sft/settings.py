"""params.yaml sections of the emotion-aware SFT family: `sft.data`, `sft.mixture`, `sft.lora`, `sft.train`,
`loss` and `quant`. `loss` is top level on purpose: users type `dvc exp run -S loss.strategy=0`."""
from __future__ import annotations

import dataclasses
from typing import Literal, Optional

from affectlab.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class DatasetSource:
    """One dataset: a local folder in the hub layout or a hub id, read by `datasets.load_dataset`."""
    path: str                       # local folder (embedded mirror) or hub id org/name
    config: Optional[str] = None    # hub config name (GoEmotions: simplified)
    revision: Optional[str] = None  # hub commit or tag; pinned in the hub profile


@dataclasses.dataclass(frozen=True)
class DataSettings:
    """`sft.data`: where the three datasets come from and how examples are tokenised."""
    ed_v2: DatasetSource          # Adapting/empathetic_dialogues_v2 layout
    esconv: DatasetSource         # thu-coai/esconv layout
    go_emotions: DatasetSource    # google-research-datasets/go_emotions, simplified config
    max_seq_len: int = 192        # longer examples lose prompt tokens from the left (counted)
    map_emotions: bool = False    # map ED-v2 / ESConv emotion names onto GoEmotions labels (else ignored)

    def __post_init__(self) -> None:
        if self.max_seq_len < 32:
            raise ConfigError(f"sft.data.max_seq_len: must be >= 32, got {self.max_seq_len}")


@dataclasses.dataclass(frozen=True)
class MixtureSettings:
    """`sft.mixture`: dataset i is drawn with probability proportional to n_i ** alpha."""
    alpha: float = 0.5            # 1 = proportional to size, -> 0 = uniform over datasets

    def __post_init__(self) -> None:
        if not 0 < self.alpha <= 1:
            raise ConfigError(f"sft.mixture.alpha: must be in (0, 1], got {self.alpha}")


@dataclasses.dataclass(frozen=True)
class LoraSettings:
    """`sft.lora`: the adapter trained on top of the frozen base model."""
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """`sft.train`: the optimisation loop."""
    seed: int = 0                 # LoRA init, head init, dropout and batch sampling
    max_steps: int = 80           # optimizer steps
    batch_size: int = 4           # examples per micro-batch (per process)
    grad_accum: int = 1           # micro-batches per optimizer step
    lr: float = 2e-4              # LoRA learning rate
    head_lr: float = 2e-3         # heads start from zero and are tiny: they need a larger step than LoRA
    weight_decay: float = 0.0
    warmup_steps: int = 8
    schedule: Literal["linear", "cosine", "constant_with_warmup"] = "cosine"
    max_grad_norm: float = 1.0    # gradient clipping; 0 turns it off
    eval_every: int = 40          # steps between validation passes (and always at the end)
    eval_max_examples: int = 96   # validation examples per pass, drawn evenly from each source
    checkpoint_every: int = 20    # steps between checkpoints (resume after a kill)
    checkpoint_dir: str = "checkpoints/sft"  # not a DVC out: it must survive a killed run

    def __post_init__(self) -> None:
        for name in ("max_steps", "batch_size", "grad_accum", "eval_every", "eval_max_examples", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"sft.train.{name}: must be >= 1, got {getattr(self, name)}")


@dataclasses.dataclass(frozen=True)
class LossSettings:
    """`loss`: L = lm * L_lm + emotion * L_emo + strategy * L_strat. A weight of 0 removes that term and
    its head from the run (an ablation, not a multiplied zero)."""
    lm: float = 1.0
    emotion: float = 0.5
    strategy: float = 0.5

    def __post_init__(self) -> None:
        for name in ("lm", "emotion", "strategy"):
            if getattr(self, name) < 0:
                raise ConfigError(f"loss.{name}: must be >= 0, got {getattr(self, name)}")
        if self.lm == self.emotion == self.strategy == 0:
            raise ConfigError("loss: all weights are 0; at least one of loss.lm, loss.emotion, loss.strategy must be > 0")

    def active(self) -> dict[str, float]:
        return {k: w for k, w in (("lm", self.lm), ("emotion", self.emotion), ("strategy", self.strategy)) if w > 0}


@dataclasses.dataclass(frozen=True)
class QuantSettings:
    """`quant`: QLoRA (bitsandbytes NF4 4-bit base weights)."""
    load_in_4bit: Literal["auto", True, False] = "auto"  # auto = on CUDA only
    compute_dtype: Literal["bfloat16", "float16", "float32"] = "bfloat16"
    double_quant: bool = True     # quantise the quantisation constants too (QLoRA paper)
