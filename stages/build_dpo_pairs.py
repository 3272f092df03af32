"""Family C, part 3: preference pairs for DPO from the SFT data (the rule: affectlab.sft.dpo).

chosen = the human supporter reply of an ED-v2 / ESConv context of data/sft; rejected = the SFT model's own
sampled reply to the same context. Train pairs from the train split, held-out pairs from the validation split.

Reads  models/base/, models/sft/adapter/, data/sft/{train,validation}.parquet
Writes data/dpo/{train,heldout}.jsonl, metrics/dpo_pairs.json;
       data/dpo.checkpoints/ while running (resumed after a kill; not a DVC out)
Params dpo.pairs
"""
import shutil
from collections import Counter
from pathlib import Path

from affectlab.config import load_params, stage_main
from affectlab.generation import generate_chat
from affectlab.io import fingerprint, read_parquet, write_jsonl_atomic
from affectlab.metrics import write_metrics
from affectlab.models import BASE_DIR
from affectlab.sft.dpo_settings import DpoPairsSettings
from affectlab.sft.merged import load_merged
from affectlab.sft.preference import contexts, make_pairs, sample_rejected

SFT_DATA = Path("data/sft")
SFT_ADAPTER = Path("models/sft/adapter")
OUT = Path("data/dpo")
CHECKPOINTS = Path("data/dpo.checkpoints")  # outside the DVC out, which DVC deletes before a run
SPLITS = {"train": "train", "heldout": "validation"}  # pair split -> data/sft split


@stage_main
def main() -> None:
    p = load_params(DpoPairsSettings)
    model, tokenizer = load_merged(SFT_ADAPTER)
    inputs = [*sorted(BASE_DIR.glob("*.safetensors")), *sorted(SFT_ADAPTER.glob("*.safetensors")),
              *(SFT_DATA / f"{s}.parquet" for s in SPLITS.values())]
    ckpt = CHECKPOINTS / fingerprint(p.model_dump(mode="json"), inputs)

    def generate(prompts, batch_index):
        return generate_chat(model, tokenizer, prompts, p.decoding, batch_size=p.batch_size, seed=p.seed + batch_index)

    counts: Counter = Counter()
    for split, source in SPLITS.items():
        items = contexts(read_parquet(SFT_DATA / f"{source}.parquet", ["id", "source", "messages"]),
                         getattr(p, split), p.seed)
        rejected = sample_rejected(generate, items, ckpt / f"{split}.jsonl", p.batch_size, f"dpo pairs {split}")
        write_jsonl_atomic(make_pairs(items, rejected, split, counts), OUT / f"{split}.jsonl")
    write_metrics({**{k: counts[k] for k in sorted(counts)}}, "metrics/dpo_pairs.json", "build_dpo_pairs")
    shutil.rmtree(CHECKPOINTS, ignore_errors=True)  # finished: every reply is in the outs now


if __name__ == "__main__":
    main()
