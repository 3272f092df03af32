"""Score the think block and the final answer of every sampled assistant turn separately."""
from __future__ import annotations

import pandas as pd

from affectlab.emotion.scorers import EMOTIONS, Scorer
from affectlab.errors import InputError
from affectlab.progress import timed

PARTS = ("think", "response")
KEYS = ["id", "source", "row", "turn", "has_think", "unclosed_think"]


def score_parts(sample: pd.DataFrame, scorer: Scorer, where: str = "sample") -> pd.DataFrame:
    """One row per sample row: KEYS, then `<part>_<emotion>` for the 7 classes and `<part>_empty`,
    `<part>_truncated` for part in think/response. Both parts go through the scorer in one call, so
    batching sees all texts at once."""
    missing = [c for c in KEYS + list(PARTS) if c not in sample.columns]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)} (run `dvc repro sample_sft`)")
    texts = [("" if t is None else str(t)) for part in PARTS for t in sample[part]]
    with timed("score_emotions", unit="texts") as stats:
        scores = scorer.score(texts)
        stats["n"] = int((~scores["empty"]).sum())
    out = sample[KEYS].reset_index(drop=True).copy()
    n = len(sample)
    for k, part in enumerate(PARTS):
        block = scores.iloc[k * n:(k + 1) * n].reset_index(drop=True)
        for e in EMOTIONS:
            out[f"{part}_{e}"] = block[e]
        out[f"{part}_empty"] = block["empty"]
        out[f"{part}_truncated"] = block["truncated"]
    return out
