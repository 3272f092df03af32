"""Temperature-style mixture sampling over datasets: dataset i is drawn with probability n_i^alpha / sum.

alpha = 1 samples in proportion to dataset size; smaller alpha flattens the mixture so the small datasets
(ESConv has far fewer dialogues than ED-v2 in the hub data) are not drowned out (as in multilingual LM
pre-training, e.g. XLM's alpha = 0.3-0.5). Within a dataset examples are drawn uniformly with replacement,
so the whole sampler state is one numpy Generator: checkpointed and restored exactly on resume.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def mixture_weights(sizes: dict[str, int], alpha: float) -> dict[str, float]:
    """{dataset: probability}, proportional to size ** alpha; empty datasets get 0."""
    raw = {k: (n ** alpha if n > 0 else 0.0) for k, n in sizes.items()}
    total = sum(raw.values())
    if total == 0:
        raise ValueError("mixture: every dataset is empty")
    return {k: v / total for k, v in raw.items()}


class MixtureSampler:
    """Draws batches of row indices from a table whose rows are tagged by `sources`."""

    def __init__(self, sources: Sequence[str], alpha: float, seed: int):
        self.names = sorted(set(sources))
        self.members = {k: np.flatnonzero(np.asarray(sources) == k) for k in self.names}
        self.weights = mixture_weights({k: len(v) for k, v in self.members.items()}, alpha)
        self._p = np.array([self.weights[k] for k in self.names])
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> list[int]:
        picks = self.rng.choice(len(self.names), size=size, p=self._p)
        return [int(self.members[self.names[d]][self.rng.integers(len(self.members[self.names[d]]))]) for d in picks]

    def state_dict(self) -> dict[str, Any]:
        return {"bit_generator": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["bit_generator"]
