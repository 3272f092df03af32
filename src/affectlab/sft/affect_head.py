"""Family C's affect head: family E's valence / intimacy / tension labels as a 3-output regression head of
train_sft (`loss.affect`, MSE on the hidden state of the last prompt token, like the emotion head).

Its rows are E's built train split (data/affect/dataset.jsonl), each utterance one user turn with no reply, as
C's GoEmotions rows are; E's dev and test rows are never trained on here. After training the head is scored on
E's test split and on the natural held-out utterances (`sft.affect.heldout`, E's format, never cleaned),
beside the constant-mean baseline (E's train mean per axis) on the same rows, with E's own scoring code.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from affectlab.affect.records import AXES
from affectlab.affect.scores import axis_scores, targets
from affectlab.errors import InputError
from affectlab.io import read_jsonl
from affectlab.sft.encoding import IGNORE, encode
from affectlab.sft.sources import Example

DATASET = Path("data/affect/dataset.jsonl")
HEAD, COLUMN, SOURCE = "affect", "affect_target", "affect"
NO_TARGET = [float("nan")] * len(AXES)  # rows of the other sources carry no affect label


def read_splits(path: str | Path = DATASET) -> dict[str, list[dict]]:
    """E's built records by split (train / dev / test)."""
    by: dict[str, list[dict]] = {"train": [], "dev": [], "test": []}
    for lineno, row in read_jsonl(path):
        if row.get("split") not in by:
            raise InputError(f"{path}:{lineno}: split must be train, dev or test, got {row.get('split')!r}; "
                             "run `dvc repro build_affect`")
        by[row["split"]].append(row)
    if not by["train"] or not by["test"]:
        raise InputError(f"{path}: no train or no test rows; run `dvc repro build_affect`")
    return by


def affect_rows(records: Sequence[dict], tokenizer, max_seq_len: int, name: str) -> pd.DataFrame:
    """Training rows (sft.run.TABLE_COLUMNS + `affect_target`): the utterance as a user turn, no LM target."""
    counts: Counter = Counter()
    rows = []
    for i, r in enumerate(records):
        row = encode(Example(f"affect:{name}:{i}", SOURCE, [{"role": "user", "content": r["text"]}], None),
                     tokenizer, max_seq_len, counts, name)
        rows.append({**row, "emotion_label": IGNORE, "strategy_label": IGNORE, COLUMN: [float(r[a]) for a in AXES]})
    return pd.DataFrame(rows)


def with_affect_column(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with an `affect_target` for every row (NaN where it has none), as the loop's collate needs."""
    column = table[COLUMN] if COLUMN in table else pd.Series([None] * len(table), index=table.index)
    return table.assign(**{COLUMN: [v if isinstance(v, list) else NO_TARGET for v in column]})


def affect_scores(predict, sets: dict[str, tuple[pd.DataFrame, list[dict]]], train: Sequence[dict]) -> dict[str, float]:
    """Per set: the head's MAE per axis and their mean, beside the constant train mean's on the same rows.
    `predict(table)` returns the head's [N, 3] outputs, clipped to [-1, 1] as E's predictors are."""
    mean = targets(train).mean(0)
    m: dict[str, float] = {}
    for name, (table, records) in sets.items():
        gold = targets(records)
        for label, pred in (("head", predict(table)), ("constant_mean", np.tile(mean, (len(records), 1)))):
            scores = axis_scores(pred, gold)
            m.update({f"affect.{name}.{label}_mae.{axis}": scores[f"{axis}.mae"] for axis in (*AXES, "mean")})
        m[f"affect.{name}.rows"] = len(records)
    return m
