"""Our SFT training loop vs plain transformers `Trainer` + PEFT, on the same LM-only config and batches.

    python bench/sft_step.py [--steps 12] [--batch 4] [--repeats 1]

Needs `dvc repro prepare_sft_data` (models/base and data/sft). Each loop runs in its own subprocess (so the
peak RSS is its own), both on the identical sequence of batches drawn by our mixture sampler from the
ED-v2 + ESConv rows that have an LM target, with the same LoRA config, seed, optimizer and schedule. Reports
trained tokens/s (non-pad tokens / wall time of the whole training call) and the ratio ours / Trainer
(goal >= 1.0), measured in the same run because the machine is shared.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as affectlab/__init__.py, for both loops alike
sys.path.insert(0, str(ROOT / "src"))


def lm_rows():
    from affectlab.io import read_parquet
    t = read_parquet(ROOT / "data/sft/train.parquet")
    return t[t["source"] != "go_emotions"].reset_index(drop=True)


def settings(args, ckpt: str):
    from affectlab.config import load_params
    from affectlab.sft.settings import LoraSettings, LossSettings, SftTrainSettings
    params = Path(__file__).resolve().parents[1] / "params.yaml"
    ts = load_params(SftTrainSettings, params, dict(
        seed=0, max_steps=args.steps, batch_size=args.batch, grad_accum=1, lr=2e-4, warmup_steps=2, schedule="cosine",
        max_grad_norm=1.0, eval_every=10**6, eval_max_examples=1, checkpoint_every=10**6, checkpoint_dir=ckpt))
    return ts, load_params(LoraSettings, params), load_params(LossSettings, params, dict(lm=1.0, emotion=0.0, strategy=0.0))


def run_ours(args) -> dict:
    import tempfile

    import torch

    from affectlab.models import load_base
    from affectlab.sft.model import MultiTaskSFT, add_lora
    from affectlab.sft.train import fit

    rows = lm_rows()
    ts, lora, loss = settings(args, tempfile.mkdtemp())
    lm, tok = load_base(ROOT / "models/base")
    torch.manual_seed(0)
    model = MultiTaskSFT(add_lora(lm, lora, quantized=False), {}, loss)
    start = time.perf_counter()
    result = fit(model, rows, rows.head(1), ts, alpha=0.5, pad_id=tok.pad_token_id, fingerprint="bench")
    seconds = time.perf_counter() - start  # includes the one-example final eval: conservative for us
    return {"tokens": result.tokens, "seconds": seconds, "mean_loss": sum(r["train.loss.lm"] for r in result.history) / len(result.history)}


def run_trainer(args) -> dict:
    import tempfile

    import torch
    from transformers import Trainer, TrainingArguments

    from affectlab.models import load_base
    from affectlab.sft.mixture import MixtureSampler
    from affectlab.sft.model import add_lora
    from affectlab.sft.train import collate

    rows = lm_rows()
    ts, lora, _ = settings(args, "")
    sampler = MixtureSampler(rows["source"].tolist(), 0.5, ts.seed)  # the same batches as `fit` draws
    order = [i for _ in range(ts.max_steps) for i in sampler.batch(ts.batch_size)]
    lm, tok = load_base(ROOT / "models/base")
    torch.manual_seed(0)
    model = add_lora(lm, lora, quantized=False)
    counted = {"tokens": 0}

    class Ordered(torch.utils.data.IterableDataset):
        def __iter__(self):
            for i in order:
                yield i

    def collator(indices):
        batch = collate(rows.iloc[indices], tok.pad_token_id, "cpu")
        counted["tokens"] += int(batch["attention_mask"].sum())
        return {k: batch[k] for k in ("input_ids", "attention_mask", "labels")}

    targs = TrainingArguments(output_dir=tempfile.mkdtemp(), max_steps=ts.max_steps,
                              per_device_train_batch_size=ts.batch_size, learning_rate=ts.lr,
                              warmup_steps=ts.warmup_steps, lr_scheduler_type=ts.schedule, max_grad_norm=1.0,
                              weight_decay=0.0, logging_steps=ts.max_steps, save_strategy="no", report_to=[],
                              use_cpu=True, dataloader_num_workers=0, remove_unused_columns=False, seed=0,
                              disable_tqdm=True)
    trainer = Trainer(model=model, args=targs, train_dataset=Ordered(), data_collator=collator)
    start = time.perf_counter()
    out = trainer.train()
    seconds = time.perf_counter() - start
    return {"tokens": counted["tokens"], "seconds": seconds, "mean_loss": out.training_loss}


def child(mode: str, args) -> dict:
    result = (run_ours if mode == "ours" else run_trainer)(args)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=1, help="alternate the two loops this many times")
    ap.add_argument("--child", choices=["ours", "trainer"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args)))
        return
    if not (ROOT / "data/sft/train.parquet").is_file():
        sys.exit("run `dvc repro prepare_sft_data` first (needs models/base and data/sft)")
    results: dict[str, list[dict]] = {"trainer": [], "ours": []}
    for _ in range(args.repeats):
        for mode in ("trainer", "ours"):
            proc = subprocess.run([sys.executable, __file__, "--child", mode, "--steps", str(args.steps),
                                   "--batch", str(args.batch)], capture_output=True, text=True, cwd=ROOT)
            line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
            if proc.returncode != 0 or not line:
                sys.exit(f"{mode} failed:\n{proc.stderr[-3000:]}")
            results[mode].append(json.loads(line[0][7:]))
    print(f"\nLM-only LoRA r=8 q/v on models/base, {args.steps} steps x batch {args.batch}, same batches\n")
    print("| loop | tokens | seconds | tokens/s | peak RSS (MB) | mean train loss |")
    print("|---|---:|---:|---:|---:|---:|")
    best = {}
    for mode, label in (("trainer", "transformers Trainer + PEFT"), ("ours", "affectlab fit")):
        for r in results[mode]:
            rate = r["tokens"] / r["seconds"]
            best[mode] = max(best.get(mode, 0), rate)
            print(f"| {label} | {r['tokens']} | {r['seconds']:.1f} | {rate:.0f} | {r['peak_rss_mb']:.0f} | "
                  f"{r['mean_loss']:.3f} |")
    print(f"\ntokens/s ratio ours / Trainer (best of {args.repeats}): {best['ours'] / best['trainer']:.2f}")


if __name__ == "__main__":
    main()
