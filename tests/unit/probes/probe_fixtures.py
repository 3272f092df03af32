"""Small synthetic sentence sets and activations for the probe tests."""
import numpy as np

from affectlab.probes.dataset import Activations

POSITIVE = ["i am so happy and grateful", "this is wonderful news", "what a surprise i did win the prize",
            "thank you so much for your help", "i feel joy and love and pride", "you are not alone"]
NEGATIVE = ["i feel sad and lonely", "i am angry that nobody listened", "i am afraid of the exam",
            "that food was disgusting", "i felt sick and cannot sleep", "nobody listened to me at work"]


def sentence_rows(n_per_class: int = 12) -> list[dict]:
    rows = []
    for label, pool in (("positive", POSITIVE), ("negative", NEGATIVE)):
        for i in range(n_per_class):
            rows.append({"id": f"{label[:3]}-{i:04d}", "text": f"{pool[i % len(pool)]} {'today' if i % 2 else 'now'}",
                         "label": label})
    return rows


def separable_activations(n: int = 120, hidden: int = 16, layers: int = 3, seed: int = 0) -> Activations:
    """Layer 0 is pure noise; from layer 1 on the label shifts one direction, more with depth."""
    rng = np.random.default_rng(seed)
    y = np.array([1, 0] * (n // 2))
    x = rng.normal(size=(layers, n, hidden)).astype(np.float32)
    direction = rng.normal(size=hidden)
    direction /= np.linalg.norm(direction)
    for layer in range(1, layers):
        x[layer] += (2.0 * layer * (2 * y[:, None] - 1) * direction).astype(np.float32)
    split = np.array((["train"] * 7 + ["validation"] * 2 + ["test"] * 2) * (n // 11 + 1))[:n]
    rng.shuffle(split)
    ids = np.array([f"r{i}" for i in range(n)])
    attrs = {"model": "synthetic", "pooling": "mean", "last_k": 4, "max_length": 64, "num_layers": layers,
             "hidden_size": hidden, "layer": 0}
    return Activations(x, y, ids, split, attrs)
