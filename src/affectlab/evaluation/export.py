"""Resumable export of one model's responses to every prompt set.

Each set has its own answer function: generation for most, or EQ-Bench ratings read from log-probabilities
(`eval.export.eqbench.scoring: logprob`), which fill `response` with the expected ratings and put them and
their distributions in `meta`.

Responses are appended to a checkpoint per (model, set) after every batch; a re-run after a kill skips
the prompts already answered. The checkpoint folder is keyed by a fingerprint of everything that decides
the responses (model weights, adapter, decoding), so a changed model or decoding never resumes stale rows.
It lives outside the DVC outs, because DVC deletes a stage's outs before running it. Under `torchrun
--nproc_per_node N` each process answers its share of the batches (affectlab.distributed) into its own
checkpoint file, and the main process writes the outs.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from affectlab.distributed import map_batches, process_index
from affectlab.evaluation.validation import validate_rows
from affectlab.io import append_jsonl, read_jsonl, write_jsonl_atomic
from affectlab.progress import timed

log = logging.getLogger(__name__)
Generate = Callable[[list[str]], list[str]]
# prompt rows -> one {"response", "meta", "decoding"} per prompt (the rest of an export row is the prompt's)
Answer = Callable[[list[dict]], list[dict]]


def generated(generate: Generate, decoding: dict) -> Answer:
    """Answer prompts by generating a reply each; rows record the decoding."""
    return lambda batch: [{"response": r, "meta": p["meta"], "decoding": decoding}
                          for p, r in zip(batch, generate([p["prompt"] for p in batch]))]


def export_model(answer: dict[str, Answer], sets: dict[str, list[dict]], model: str,
                 out_dir: str | Path, ckpt_dir: str | Path, batch_size: int) -> dict[str, int]:
    """Write `out_dir/{set}.jsonl` for every set, answered by `answer[set]`; returns rows per set
    (resumed ones included)."""
    counts = {}
    rank = process_index()
    for name, prompts in sets.items():
        # one checkpoint per process (`torchrun`: each answers its share of the batches); a resume reads all
        ckpt = Path(ckpt_dir) / (f"{model}_{name}.jsonl" if rank == 0 else f"{model}_{name}.{rank}.jsonl")
        done = {r["prompt_id"]: r for f in sorted(Path(ckpt_dir).glob(f"{model}_{name}.*jsonl"))
                for _, r in read_jsonl(f, allow_truncated_tail=True)}
        todo = [p for p in prompts if p["prompt_id"] not in done]
        if done:
            log.info("%s/%s: resuming, %d of %d prompts already answered", model, name, len(done), len(prompts))

        def answer_batch(batch: list[dict]) -> list[dict]:
            rows = [{"prompt_id": p["prompt_id"], "prompt": p["prompt"], "model": model, **a}
                    for p, a in zip(batch, answer[name](batch))]
            append_jsonl(rows, ckpt)
            return rows

        with timed(f"export {model}/{name}", unit="responses") as stats:
            batches = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)]
            for rows in map_batches(answer_batch, batches, desc=f"{model}/{name}"):
                done.update((r["prompt_id"], r) for r in rows)
                stats["n"] += len(rows)
        ordered = [done[p["prompt_id"]] for p in prompts]
        out = Path(out_dir) / f"{name}.jsonl"
        validate_rows(list(enumerate(ordered, start=1)), out)
        counts[name] = write_jsonl_atomic(ordered, out) if rank == 0 else len(ordered)
    return counts
