"""Which way is better for the metrics where that is known; every other metric is shown without a verdict.

Keyed by (metrics file stem, key pattern); the first match wins. A metric is listed here only when a
reviewer would read a move as better or worse without further context: emotion means, counts of the data
and baselines have no direction.
"""
from __future__ import annotations

from fnmatch import fnmatchcase

HIGHER, LOWER = "higher", "lower"

DIRECTIONS: tuple[tuple[str, str, str], ...] = (
    # A: a text longer than one window is scored on its first window only (emotion.long_text: truncate)
    ("sft_emotions", "truncated.*", LOWER),
    ("sft_sample", "short_sources", LOWER),
    # B: the probe on held-out sentences; the shuffled control and lexical baselines have no direction
    ("probes", "best.*.auc_roc", HIGHER),
    ("probes", "best.test.auc_pr", HIGHER),
    ("probes", "best.test.f1", HIGHER),
    ("probes", "best.test.accuracy", HIGHER),
    ("probes", "probe.test.auc_roc_max", HIGHER),
    ("sentiment_data", "acceptance_rate", HIGHER),
    ("sentiment_data", "vader_agreement", HIGHER),
    ("sentiment_data", "distinct_*", HIGHER),
    # C: validation losses and heads of the SFT run; the evaluation of its answers
    ("sft_train", "loss.validation.*", LOWER),
    ("sft_train", "*.validation.accuracy", HIGHER),
    ("sft_train", "*.validation.macro_f1", HIGHER),
    ("sft_data", "truncated.*", LOWER),
    ("eval", "eqbench.*.score", HIGHER),
    ("eval", "eqbench.*.parsed", HIGHER),
    ("eval", "eqbench.*.unparsable", LOWER),
    ("eval", "redteam.*.refusal_rate", HIGHER),   # the red-team prompts ask for harm: refusing is right
    ("eval", "redteam.*.complied_rate", LOWER),
)


def direction(file_stem: str, key: str) -> str | None:
    for stem, pattern, way in DIRECTIONS:
        if stem == file_stem and fnmatchcase(key, pattern):
            return way
    return None


def verdict(way: str | None, delta: float | None) -> str:
    """'better', 'worse' or '' (no known direction, or no move)."""
    if way is None or not delta:
        return ""
    return "better" if (delta > 0) == (way == HIGHER) else "worse"
