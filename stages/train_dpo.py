"""Family C, part 3: DPO on the SFT model with TRL's DPOTrainer (LoRA on the merged SFT weights; the frozen
SFT model is the reference), then both models scored on the held-out pairs.

Reads  models/base/, models/sft/adapter/, data/dpo/{train,heldout}.jsonl
Writes models/dpo/{adapter/,manifest.json} (apply models/sft/adapter merged, then this adapter),
       plots/dpo_train/loss.csv, metrics/dpo.json; checkpoints/dpo/ while running (resumed after a kill)
Params dpo
"""
from collections import Counter
from pathlib import Path

import pandas as pd

from affectlab.config import load_params, stage_main
from affectlab.io import atomic_dir, fingerprint, write_csv_atomic, write_json_atomic
from affectlab.metrics import write_metrics
from affectlab.models import BASE_DIR, library_versions
from affectlab.sft.dpo import train_dpo
from affectlab.sft.dpo_settings import DpoSettings
from affectlab.sft.merged import load_merged
from affectlab.sft.model import save_adapter
from affectlab.sft.preference import completion_logps, fit_to_length, preference_metrics, read_pairs
from affectlab.sft.train import clear_checkpoint

SFT_ADAPTER = Path("models/sft/adapter")
PAIRS = Path("data/dpo")
OUT = Path("models/dpo")
CURVE_COLUMNS = {"step": "step", "loss": "loss", "rewards/margins": "reward_margin",
                 "rewards/accuracies": "reward_accuracy"}


@stage_main
def main() -> None:
    s = load_params(DpoSettings)
    model, tokenizer = load_merged(SFT_ADAPTER)
    counts: Counter = Counter()
    pairs = {split: fit_to_length(read_pairs(PAIRS / f"{split}.jsonl"), tokenizer, s.max_length, counts, split)
             for split in ("train", "heldout")}
    snapshot = s.model_dump(mode="json")
    snapshot.pop("checkpoint_dir")
    key = fingerprint(snapshot, [*sorted(BASE_DIR.glob("*.safetensors")), *sorted(SFT_ADAPTER.glob("*.safetensors")),
                                 PAIRS / "train.jsonl"])
    result = train_dpo(model, tokenizer, pairs["train"], s, Path(s.checkpoint_dir) / key)
    policy = completion_logps(result.model, tokenizer, pairs["heldout"], s.max_length)
    with result.model.disable_adapter():  # the reference: the SFT model before DPO
        reference = completion_logps(result.model, tokenizer, pairs["heldout"], s.max_length)
    metrics = {f"heldout.sft.{k}": v for k, v in preference_metrics(reference, None, s.beta).items()}
    metrics.update({f"heldout.dpo.{k}": v for k, v in preference_metrics(policy, reference, s.beta).items()})
    metrics.update({f"pairs.{k}": counts[k] for k in sorted(counts)} | {"pairs.train.used": len(pairs["train"])})
    curve = pd.DataFrame(result.history).reindex(columns=list(CURVE_COLUMNS)).rename(columns=CURVE_COLUMNS)
    metrics.update({"steps": s.max_steps, "train.loss.first": float(curve["loss"].iloc[0]),
                    "train.loss.last": float(curve["loss"].iloc[-1]), "resumed_from": result.resumed_from})
    with atomic_dir(OUT) as tmp:
        save_adapter(result.model, tmp / "adapter")  # target_modules sorted: peft keeps a set
        write_json_atomic({"base_dir": str(BASE_DIR), "sft_adapter": str(SFT_ADAPTER), "params": s.model_dump(mode="json"),
                           "apply": "merge models/sft/adapter into the base, then attach adapter/",
                           "fingerprint": key, "versions": library_versions()}, tmp / "manifest.json")
    write_csv_atomic(curve, "plots/dpo_train/loss.csv")
    write_metrics(metrics, "metrics/dpo.json", "train_dpo")
    clear_checkpoint(s.checkpoint_dir)  # the whole folder: a finished run leaves no checkpoint, under any key


if __name__ == "__main__":
    main()
