"""Benchmark: what MKL's strict reproducibility mode (`MKL_CBWR=AUTO,STRICT`, set by affectlab/__init__.py)
costs, against MKL's default in the same run. Run from the repo root after `dvc repro prepare_model`:

    python bench/numerics.py [--repeats 3] [--threads 2]

Each mode runs in its own interpreter (MKL reads the variable once, when torch loads it), the two
interleaved `--repeats` times (the shared CPU's load drifts), on models/base: a forward pass of 8 x 192 tokens
(export_eval's prefill shape) and greedy `generate` of 8 x 32 tokens. Printed: seconds per mode (median), the
ratio strict / default, and whether each mode's 1-thread and `--threads` replies are the same tokens. Goal: the
ratio <= 1.1 (bitwise results for at most 10% more time).

Measured (2 cores shared with a running test suite, 2026-12-04, 2 repeats, 2 threads): default 46.4 s
(52.0, 40.9), strict 39.5 s (43.1, 36.0): 0.85x, no cost above the load's drift. On this workload both
modes gave the same tokens under 1 and 2 threads; export_eval sft's EQ-Bench replies did not (docs/reproducibility.md).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = """
import json, sys, time, torch
from transformers import AutoModelForCausalLM
threads = int(sys.argv[1])
model = AutoModelForCausalLM.from_pretrained("models/base", dtype=torch.float32).eval()
ids = torch.randint(100, model.config.vocab_size, (8, 192), generator=torch.Generator().manual_seed(0))
def run(n):
    torch.set_num_threads(n)
    with torch.inference_mode():
        start = time.perf_counter()
        model(input_ids=ids)
        out = model.generate(input_ids=ids[:, :32], attention_mask=torch.ones_like(ids[:, :32]), do_sample=False,
                             max_new_tokens=32, min_new_tokens=32, pad_token_id=0)
        return time.perf_counter() - start, out[:, 32:].tolist()
seconds, many = run(threads)
_, one = run(1)
print(json.dumps({"seconds": seconds, "threads_agree": many == one}))
"""
MODES = {"default": None, "strict": "AUTO,STRICT"}


def child(mode: str, threads: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MKL_CBWR"}
    if MODES[mode]:
        env["MKL_CBWR"] = MODES[mode]
    out = subprocess.run([sys.executable, "-c", CHILD, str(threads)], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    runs = {m: [] for m in MODES}
    for _ in range(a.repeats):
        for mode in MODES:
            runs[mode].append(child(mode, a.threads))
    median = {m: statistics.median(r["seconds"] for r in rs) for m, rs in runs.items()}
    for mode, rs in runs.items():
        each = ", ".join(f"{r['seconds']:.2f}" for r in rs)
        print(f"{mode:8s} {median[mode]:6.2f} s (runs {each}); "
              f"1 vs {a.threads} threads same tokens: {all(r['threads_agree'] for r in rs)}")
    print(f"strict / default: {median['strict'] / median['default']:.3f}x (goal <= 1.1)")


if __name__ == "__main__":
    main()
