"""CoT targets -> family C's encoded tables (prompt masked, LM loss on reasoning + answer, no heads), and
the run settings for `affectlab.sft.run.fit_and_save` (the one training loop)."""
from __future__ import annotations

from collections import Counter

import pandas as pd

from affectlab.models import ModelSettings
from affectlab.reasoning.labels import prompt_messages
from affectlab.reasoning.settings import ReasonerTrainSettings
from affectlab.sft.encoding import IGNORE, encode
from affectlab.sft.run import TABLE_COLUMNS, RunSettings
from affectlab.sft.settings import LoraSettings, LossSettings, QuantSettings, SftMixtureSettings
from affectlab.sft.sources import Example

SOURCE = "reasoner"


def run_settings(model: ModelSettings, lora: LoraSettings, train: ReasonerTrainSettings,
                 quant: QuantSettings) -> RunSettings:
    """The reasoner is trained on its LM loss alone (no emotion/strategy heads: a weight of 0 removes them)
    and on one source (the mixture exponent has no effect on a single dataset)."""
    loss = LossSettings(lm=1.0, emotion=0.0, strategy=0.0, affect=0.0, safety_kl=0.0)
    return RunSettings(model=model, loss=loss, mixture=SftMixtureSettings(alpha=1.0), lora=lora, train=train, quant=quant)


def encode_cot(cot: pd.DataFrame, tokenizer, labels: tuple[str, ...], max_seq_len: int,
               counts: Counter) -> dict[str, pd.DataFrame]:
    """{split: table in sft.run.TABLE_COLUMNS} for the train and validation rows of cot.parquet."""
    tables = {}
    for split in ("train", "validation"):
        rows = []
        for rid, text, target in cot.loc[cot["split"] == split, ["id", "text", "target"]].itertuples(index=False):
            ex = Example(rid, SOURCE, prompt_messages(text, labels), target)
            row = encode(ex, tokenizer, max_seq_len, counts, split)
            if row is not None:
                rows.append({**row, "emotion_label": IGNORE, "strategy_label": IGNORE})
        tables[split] = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return tables
