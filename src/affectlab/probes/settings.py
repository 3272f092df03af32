"""params.yaml `probes`: how activations are captured (`probes.capture`) and probes trained (`probes.train`)."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import pydantic

from affectlab.config import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, Settings


class ProbeSplit(Settings):
    """Target fractions per class; whole topics go to one split each (see `dataset.topic_split`)."""
    train: PositiveFloat
    validation: PositiveFloat
    test: PositiveFloat

    @pydantic.model_validator(mode="after")
    def _sums_to_one(self) -> ProbeSplit:
        if abs(self.train + self.validation + self.test - 1) > 1e-6:
            raise ValueError(f"train + validation + test must be 1, got {self.train} + {self.validation} + {self.test}")
        return self


class ProbeCaptureSettings(Settings):
    SECTION: ClassVar[str] = "probes.capture"
    pooling: Literal["mean", "last", "last_k"]  # over non-pad tokens
    last_k: PositiveInt              # tokens averaged by pooling: last_k
    batch_size: PositiveInt          # sentences per forward pass (memory is bounded by one batch)
    max_length: PositiveInt          # tokens per sentence; longer ones are truncated (and counted)
    dtype: Literal["float16", "float32"]  # storage type of the HDF5 activations
    split: ProbeSplit
    seed: int                        # orders equal-sized topics when they are dealt to the splits


class ProbeTrainSettings(Settings):
    SECTION: ClassVar[str] = "probes.train"
    probe_type: Literal["linear", "mlp"]  # the probe saved to models/probes and used by `predict`
    compare_types: tuple[Literal["linear", "mlp"], ...]  # also trained, with their controls, and reported beside it
    mlp_width: PositiveInt           # hidden units of the mlp probe
    mlp_dropout: Annotated[float, pydantic.Field(ge=0, lt=1)]  # dropout on those units while training
    ensemble_k: PositiveInt          # the K best layers (by val AUC) whose mean / vote the metrics report
    ensemble_layers: Annotated[tuple[NonNegativeInt, ...], pydantic.Field(min_length=1)]  # and these named layers
    linear_solver: Literal["adamw", "newton_cg"]  # linear probes: early-stopped AdamW, or scikit-learn's optimum
    linear_c: PositiveFloat          # newton_cg: scikit-learn's C (C x summed log-loss + |w|^2 / 2)
    linear_tol: PositiveFloat        # newton_cg: stop when every probe's Newton decrement is <= this
    linear_max_iter: PositiveInt     # newton_cg: Newton iterations at most
    linear_cg_steps: PositiveInt     # newton_cg: conjugate-gradient steps per Newton iteration
    lr: PositiveFloat                # AdamW learning rate
    weight_decay: NonNegativeFloat   # AdamW weight decay
    epochs: PositiveInt              # upper bound; early stopping usually ends sooner
    patience: PositiveInt            # epochs without a better validation AUC before a layer's probe stops
    batch_size: PositiveInt          # minibatch size (the same minibatches for every layer)
    seed: int                        # seeds initialisation, minibatch order and the shuffled-label control
    bow_c: PositiveFloat             # inverse regularisation of the bag-of-words logistic regression

    @pydantic.model_validator(mode="after")
    def _distinct_types(self) -> ProbeTrainSettings:
        if self.probe_type in self.compare_types or len(set(self.compare_types)) < len(self.compare_types):
            raise ValueError(f"compare_types must list other types than probe_type {self.probe_type!r}, each once; "
                             f"got {self.compare_types}")
        return self
