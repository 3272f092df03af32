"""One DPO step of the train_dpo stage vs the same step of a plain `trl` DPOTrainer, on the same pairs.

    python bench/dpo_step.py [--steps 2] [--repeats 3]      # from the repo root

Needs models/base (`dvc repro prepare_model`). The policy is the model train_dpo starts from, base + merged
models/sft/adapter, or models/base where that adapter is not there yet (both variants alike; the run says
which). The pairs are data/dpo/train.jsonl where build_dpo_pairs has run; otherwise the first batch of the
stage's own rule: `contexts` of data/sft's train split (or of the same table built in memory from the
embedded sources by `prepare`, when data/sft is not there), rejected replies sampled by the policy with
dpo.pairs.decoding and seed dpo.pairs.seed, as build_dpo_pairs samples its batch 0. They are fitted to
dpo.max_length as the stage does, and the first dpo.batch_size of them are the whole training set, so every
step of both variants trains on the same batch.

- stage: `affectlab.sft.dpo.train_dpo` itself, with params.yaml's `dpo` section (max_steps and checkpoint_dir
  overridden: warm-up + timed steps, a temporary folder; checkpoint_every stays, no checkpoint falls on a
  measured step).
- plain: `DPOTrainer(model, DPOConfig(...), conversational(pairs), tokenizer, peft_config)` with DPOConfig's
  defaults except: bf16=False (TRL defaults it to True, and DPOConfig() then refuses a CPU-only machine:
  "Your setup doesn't support bf16/gpu"; use_cpu=True instead would train under bf16 autocast, another
  precision than the stage's fp32), per_device_train_batch_size=dpo.batch_size (the same batch),
  max_steps (warm-up + timed steps) and output_dir (a temporary folder). Same model, same LoRA config
  (peft LoraConfig built from dpo.lora exactly as the stage builds it), same pairs. The other defaults that
  differ from the stage's settings (lr 1e-6, seed 42, max_length 1024: no fitted pair reaches 256 tokens;
  logging every 10 steps, not every step) do not change what a step computes; beta 0.1 and the sigmoid
  loss are both DPOConfig's defaults and params.yaml's values.

Each variant runs in its own subprocess (its peak RSS, ru_maxrss, is its own and includes loading the model),
alternating stage, plain, stage, plain ... for --repeats rounds; each subprocess trains one warm-up step and
then --steps timed steps. A step's time is the interval between two `on_step_end` callbacks (batch fetch,
collation, policy and reference forward, backward, optimizer step and the previous step's logging). tokens/s =
non-pad tokens of the collated batch (prompt + chosen and prompt + rejected rows) / step time, the median over
all timed steps; the same with the subprocess's CPU time (all threads) per step, which the other jobs on a
shared machine disturb far less than wall time. Both variants must see the same tokens per step (checked).
Goal (issue 18): stage / plain >= 1.0x ("the stage only adds what it needs").

Measured (defaults: 3 rounds x (1 warm-up + 2 timed steps), 2 shared cores at load average 3.0-3.7, torch
2 threads; policy base + merged models/sft/adapter, pairs from contexts of data/sft with rejected replies
sampled by it, since data/dpo was not built yet; 4 pairs = 819 tokens per step in both variants):

| variant | tokens/step | median s/step | tokens/s | CPU s/step | tokens/CPU s | peak RSS (MB) | first-step loss |
|---|---:|---:|---:|---:|---:|---:|---:|
| stage | 819 | 12.70 | 64 | 12.64 | 65 | 3744 | 0.6931 |
| plain | 819 | 14.65 | 56 | 14.51 | 56 | 2646 | 0.6931 |

stage / plain = 1.15x tokens/s (per round 1.22, 1.16, 1.09; by CPU time 1.15x): the goal is met. Earlier
runs with models/base as the policy (before models/sft existed): 1.20x (load 3.3-4.1; CPU 1.19x), 1.20x
(load 4.1-6.3, wall steps 12-42 s; CPU 1.23x) and 0.80x (load 3.1-6.0, wall time only): at load above ~4
the wall-time ratio is noise, the CPU-time one is not.

Why: the only setting that matters is activation checkpointing. DPOConfig turns it on by default (TRL's
base config sets gradient_checkpointing=True), the stage turns it off (`activation_checkpointing=False`):
the plain step recomputes the policy forward in its backward (+15-23% CPU per step) and keeps ~1.1 GB less at its
peak (2.6 vs 3.7 GB, which includes the loaded model). Plain with activation_checkpointing=False as the only
further override, alternated with the stage (a one-off run, base policy, 2 rounds): CPU s/step 13.8/14.4
and 12.4/12.8 vs the stage's 13.6/12.9 and 13.8/12.3, peak RSS 3357/3757 vs 3558/3691 MB: the same step; the
stage's logging every step, its checkpoint callback and its explicit settings add nothing measurable.
Not measured: the stage's checkpoint save every dpo.checkpoint_every steps (no measured step has one).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as affectlab/__init__.py, for both variants alike
sys.path.insert(0, str(ROOT / "src"))
SFT_ADAPTER = ROOT / "models/sft/adapter"


def settings(steps: int = 1, ckpt: str = "unused"):
    from affectlab.config import load_params
    from affectlab.sft.dpo_settings import DpoSettings
    return load_params(DpoSettings, ROOT / "params.yaml", {"max_steps": steps, "checkpoint_dir": ckpt})


def load_policy():
    """(model, tokenizer, name): what train_dpo starts from, or the base model until models/sft exists."""
    from affectlab.models import load_base
    from affectlab.sft.merged import load_merged
    if (SFT_ADAPTER / "adapter_config.json").is_file():
        return (*load_merged(SFT_ADAPTER), "base + merged models/sft/adapter")
    return (*load_base(ROOT / "models/base"), "models/base (models/sft not built yet)")


def build_pairs() -> tuple[list[dict], str]:
    """The stage's first batch of fitted pairs and where they came from."""
    from affectlab.generation import generate_chat
    from affectlab.io import read_parquet
    from affectlab.sft.preference import contexts, fit_to_length, make_pairs, read_pairs

    s = settings()
    model, tokenizer, policy = load_policy()
    if (ROOT / "data/dpo/train.jsonl").is_file():
        pairs, origin = read_pairs(ROOT / "data/dpo/train.jsonl"), "data/dpo/train.jsonl"
    else:
        if (ROOT / "data/sft/train.parquet").is_file():
            table, origin = read_parquet(ROOT / "data/sft/train.parquet", ["id", "source", "messages"]), "data/sft"
        else:
            from affectlab.config import load_params
            from affectlab.sft.encoding import prepare
            from affectlab.sft.settings import SftDataSettings
            table = prepare(load_params(SftDataSettings, ROOT / "params.yaml"), tokenizer)[0]["train"]
            origin = "embedded sources (prepare, in memory)"
        items = contexts(table, s.pairs.train, s.pairs.seed)[:s.pairs.batch_size]  # build_dpo_pairs' batch 0
        replies = generate_chat(model, tokenizer, [c["prompt"] for c in items], s.pairs.decoding,
                                batch_size=s.pairs.batch_size, seed=s.pairs.seed)
        pairs = make_pairs(items, {c["pair_id"]: r for c, r in zip(items, replies)}, "train", Counter())
        origin = f"contexts of {origin}, rejected sampled by {policy}"
    fitted = fit_to_length(pairs, tokenizer, s.max_length, Counter(), "train")[:s.batch_size]
    if len(fitted) < s.batch_size:
        sys.exit(f"only {len(fitted)} usable pairs, dpo.batch_size is {s.batch_size}")
    return fitted, origin


def instrument():
    """Replace trl.DPOTrainer (train_dpo imports it when called) by a subclass that records step-end times and
    each collated batch's non-pad tokens; the same subclass serves both variants."""
    import trl
    from transformers import TrainerCallback

    record = {"ends": [], "cpu_ends": [], "tokens": [], "losses": []}

    class StepClock(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            record["ends"].append(time.perf_counter())
            record["cpu_ends"].append(time.process_time())

        def on_step_end(self, args, state, control, **kwargs):
            record["ends"].append(time.perf_counter())
            record["cpu_ends"].append(time.process_time())

    class Measured(trl.DPOTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.add_callback(StepClock())
            collate = self.data_collator

            def counting(examples):
                batch = collate(examples)
                record["tokens"].append(int(batch["attention_mask"].sum()))
                return batch
            self.data_collator = counting

        def compute_loss(self, *args, **kwargs):
            loss = super().compute_loss(*args, **kwargs)
            record["losses"].append(float((loss[0] if isinstance(loss, tuple) else loss).detach()))
            return loss

    trl.DPOTrainer = Measured
    return record


def lora_config(s):
    from peft import LoraConfig
    return LoraConfig(r=s.lora.r, lora_alpha=s.lora.alpha, lora_dropout=s.lora.dropout,
                      target_modules=list(s.lora.target_modules), bias="none", task_type="CAUSAL_LM")


def plain_config(s, steps: int, out: str):
    """DPOConfig's defaults but for what the docstring lists."""
    from trl import DPOConfig
    return DPOConfig(output_dir=out, per_device_train_batch_size=s.batch_size, max_steps=steps, bf16=False)


def run(mode: str, steps: int, pairs: list[dict]) -> dict:
    import torch

    from affectlab.sft.dpo import conversational, train_dpo

    record = instrument()
    import trl
    model, tokenizer, policy = load_policy()
    out = tempfile.mkdtemp(prefix=f"dpo_bench_{mode}_")
    s = settings(1 + steps, out)
    if mode == "stage":
        train_dpo(model, tokenizer, pairs, s, Path(out) / "run")
    else:
        trainer = trl.DPOTrainer(model=model, args=plain_config(s, 1 + steps, out),
                                 train_dataset=conversational(pairs), processing_class=tokenizer,
                                 peft_config=lora_config(s))
        trainer.train()
    def steps_of(ends):
        return [b - a for a, b in zip(ends, ends[1:])]
    seconds, cpu = steps_of(record["ends"]), steps_of(record["cpu_ends"])
    assert len(seconds) == len(record["tokens"]) == 1 + steps, (seconds, record["tokens"])
    return {"policy": policy, "seconds": seconds, "cpu_seconds": cpu, "tokens": record["tokens"],
            "losses": record["losses"], "threads": torch.get_num_threads()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2, help="timed steps per subprocess, after one warm-up step")
    ap.add_argument("--repeats", type=int, default=3, help="alternate the two variants this many times")
    ap.add_argument("--child", choices=["stage", "plain"], help=argparse.SUPPRESS)
    ap.add_argument("--pairs", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        result = run(args.child, args.steps, json.loads(Path(args.pairs).read_text()))
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(result))
        return
    if not (ROOT / "models/base/config.json").is_file():
        sys.exit("run `dvc repro prepare_model` first (needs models/base)")
    pairs, origin = build_pairs()
    pairs_file = Path(tempfile.mkdtemp(prefix="dpo_bench_")) / "pairs.json"
    pairs_file.write_text(json.dumps(pairs))
    results: dict[str, list[dict]] = {"stage": [], "plain": []}
    loads = [os.getloadavg()[0]]
    for _ in range(args.repeats):
        for mode in ("stage", "plain"):
            proc = subprocess.run([sys.executable, __file__, "--child", mode, "--steps", str(args.steps),
                                   "--pairs", str(pairs_file)], capture_output=True, text=True, cwd=ROOT)
            line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
            if proc.returncode != 0 or not line:
                sys.exit(f"{mode} failed:\n{proc.stderr[-3000:]}")
            results[mode].append(json.loads(line[0][7:]))
            loads.append(os.getloadavg()[0])
    batches = {mode: {t for r in rs for t in r["tokens"]} for mode, rs in results.items()}
    if batches["stage"] != batches["plain"] or len(batches["stage"]) != 1:
        sys.exit(f"the variants did not train on the same batch (tokens per step: {batches})")
    s = settings()
    print(f"\npolicy: {results['stage'][0]['policy']}; pairs: {origin}; batch {s.batch_size} pairs, "
          f"{args.repeats} x (1 warm-up + {args.steps} timed steps) per variant, alternating; "
          f"torch threads {results['stage'][0]['threads']}; load average {min(loads):.1f}-{max(loads):.1f}\n")
    print("| variant | tokens/step | median s/step | tokens/s | CPU s/step | tokens/CPU s | peak RSS (MB) | "
          "first-step loss |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rates, cpu_rates = {}, {}
    for mode in ("stage", "plain"):
        rs = results[mode]
        timed = [step for r in rs for step in zip(r["tokens"][1:], r["seconds"][1:], r["cpu_seconds"][1:])]
        rates[mode] = statistics.median(t / sec for t, sec, _ in timed)
        cpu_rates[mode] = statistics.median(t / cpu for t, _, cpu in timed)
        print(f"| {mode} | {'/'.join(map(str, sorted({t for t, _, _ in timed})))} | "
              f"{statistics.median(sec for _, sec, _ in timed):.2f} | {rates[mode]:.0f} | "
              f"{statistics.median(cpu for _, _, cpu in timed):.2f} | {cpu_rates[mode]:.0f} | "
              f"{statistics.median(r['peak_rss_mb'] for r in rs):.0f} | {rs[0]['losses'][0]:.4f} |")
    rounds = [statistics.median(b["seconds"][1:]) / statistics.median(a["seconds"][1:])  # same tokens per step
              for a, b in zip(results["stage"], results["plain"])]
    print(f"\ntokens/s ratio stage / plain (medians): {rates['stage'] / rates['plain']:.2f}x; per round: "
          f"{', '.join(f'{r:.2f}' for r in rounds)}; by CPU time: {cpu_rates['stage'] / cpu_rates['plain']:.2f}x")
    for mode in ("stage", "plain"):
        print(f"{mode} s/step (warm-up first) per run: " +
              "; ".join(" ".join(f"{x:.1f}" for x in r["seconds"]) for r in results[mode]))


if __name__ == "__main__":
    main()
