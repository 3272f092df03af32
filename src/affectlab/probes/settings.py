"""params.yaml `probes`: how activations are captured (`probes.capture`) and probes trained (`probes.train`)."""
from __future__ import annotations

import dataclasses
from typing import Literal

from affectlab.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Split:
    train: float = 0.7   # fractions per class (stratified); must sum to 1
    val: float = 0.15
    test: float = 0.15


@dataclasses.dataclass(frozen=True)
class CaptureSettings:
    pooling: Literal["mean", "last", "last_k"] = "mean"  # over non-pad tokens
    last_k: int = 4                  # tokens averaged by pooling: last_k
    batch_size: int = 32             # sentences per forward pass (memory is bounded by one batch)
    max_length: int = 64             # tokens per sentence; longer ones are truncated (and counted)
    dtype: Literal["float16", "float32"] = "float16"  # storage type of the HDF5 activations
    split: Split = Split()
    seed: int = 13                   # seeds the stratified split

    def validate(self) -> None:
        where = "params.yaml: probes.capture"
        if self.batch_size < 1 or self.max_length < 1 or self.last_k < 1:
            raise ConfigError(f"{where}: batch_size, max_length and last_k must be >= 1")
        s = self.split
        if min(s.train, s.val, s.test) <= 0 or abs(s.train + s.val + s.test - 1) > 1e-6:
            raise ConfigError(f"{where}.split: fractions must be > 0 and sum to 1, got {s.train}, {s.val}, {s.test}")


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    lr: float = 5e-4                 # AdamW learning rate
    weight_decay: float = 1e-3       # AdamW weight decay
    epochs: int = 50                 # upper bound; early stopping usually ends sooner
    patience: int = 10               # epochs without a better val AUC before a layer's probe stops
    batch_size: int = 32             # minibatch size (the same minibatches for every layer)
    seed: int = 13                   # seeds initialisation, minibatch order and the shuffled-label control
    bow_c: float = 1.0               # inverse regularisation of the bag-of-words logistic regression

    def validate(self) -> None:
        where = "params.yaml: probes.train"
        if self.epochs < 1 or self.patience < 1 or self.batch_size < 1:
            raise ConfigError(f"{where}: epochs, patience and batch_size must be >= 1")
        if self.lr <= 0 or self.weight_decay < 0 or self.bow_c <= 0:
            raise ConfigError(f"{where}: lr and bow_c must be > 0, weight_decay >= 0")
