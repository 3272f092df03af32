"""The training loop: accelerate (so `accelerate launch` on GPUs and `torchrun` on CPU scale it), mixture
batches, gradient accumulation, warmup + schedule, clipping, AMP on CUDA, periodic evaluation, checkpoints
with exact resume.

Why not `transformers.Trainer`: the heads need `prompt_length` pooling and per-term losses, the mixture
sampler and the checkpoint must be resumable bit for bit, and computing LM logits on target tokens only is
faster on CPU (bench/sft_step.py measures it against Trainer + PEFT).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import random
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd
import torch

from affectlab.io import atomic_dir
from affectlab.progress import progress
from affectlab.sft.encoding import IGNORE
from affectlab.sft.mixture import MixtureSampler
from affectlab.sft.model import HEAD_LABELS, REGRESSION_HEADS, MultiTaskSFT, load_heads_into, save_heads
from affectlab.sft.settings import SftTrainSettings

log = logging.getLogger(__name__)
StepCallback = Callable[[int, dict[str, float]], None]


def mixed_precision() -> str:
    """AMP on CUDA only: bf16 where the GPU supports it, else fp16 (accelerate adds a GradScaler)."""
    if not torch.cuda.is_available():
        return "no"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def distributed_state():
    """accelerate's process state, asked for CPU explicitly where there is no CUDA: accelerate 1.15 sees the
    processes of `torchrun --nproc_per_node N` as MULTI_CPU (gloo) only with `cpu=True`; without it each one
    took itself for a lone main process (measured: both printed process 0 of 1), so both trained on the same
    batches and both wrote the outs. (`accelerate launch --cpu --num_processes 2` started one process.)"""
    from accelerate import PartialState
    return PartialState(cpu=not torch.cuda.is_available())


def collate(rows: pd.DataFrame, pad_id: int, device) -> dict[str, torch.Tensor]:
    """Right-padded tensors; padding is masked out of attention and of every loss. Each HEAD_LABELS column
    the table has becomes a tensor: ids (classification) or float vectors (regression, NaN = no label); a
    table with safety rows adds the safety teacher's targets (affectlab.sft.safety.safety_batch)."""
    width = int(rows["input_ids"].map(len).max())
    n = len(rows)
    ids = torch.full((n, width), pad_id, dtype=torch.long)
    labels = torch.full((n, width), IGNORE, dtype=torch.long)
    mask = torch.zeros((n, width), dtype=torch.long)
    for i, (x, y) in enumerate(zip(rows["input_ids"], rows["labels"])):
        ids[i, :len(x)] = torch.tensor(x)
        labels[i, :len(y)] = torch.tensor(y)
        mask[i, :len(x)] = 1
    batch = {"input_ids": ids, "attention_mask": mask, "labels": labels,
             "prompt_length": torch.tensor(rows["prompt_length"].to_numpy(), dtype=torch.long)}
    for name, column in HEAD_LABELS.items():
        if column in rows:
            batch[column] = (torch.tensor(np.stack(rows[column].to_list()), dtype=torch.float32)
                             if name in REGRESSION_HEADS else torch.tensor(rows[column].to_numpy(), dtype=torch.long))
    if "safety_ids" in rows:
        from affectlab.sft.safety import safety_batch
        batch.update(safety_batch(rows))
    return {k: v.to(device) for k, v in batch.items()}


def eval_subset(table: pd.DataFrame, max_examples: int) -> pd.DataFrame:
    """A fixed validation subset drawn evenly from each source (so a big source cannot hide a small one)."""
    sources = sorted(table["source"].unique())
    per = max(1, max_examples // max(len(sources), 1))
    return table.groupby("source", sort=True).head(per).reset_index(drop=True)


class TermTotals:
    """Running per-term loss sums (token-weighted for the LM, example-weighted for heads) and head
    predictions, shared by the per-step training record and the validation pass."""

    def __init__(self, core: MultiTaskSFT):
        self.core = core
        self.sums: dict[str, float] = defaultdict(float)
        self.preds: dict[str, list[int]] = defaultdict(list)
        self.gold: dict[str, list[int]] = defaultdict(list)
        self.batches = 0

    def add(self, out: dict[str, Any], batch: dict[str, torch.Tensor], total: float | None = None) -> None:
        """`total`: this process's share of the global batch's loss, where that is not `out["loss"]`."""
        self.batches += 1
        self.sums["total"] += out["loss"].item() if total is None else total
        for term in self.core.weights:
            if term not in out:  # a head whose labels this table does not carry only predicts
                continue
            self.sums[term] += out[term].item() * out[f"n_{term}"]
            self.sums[f"n_{term}"] += out[f"n_{term}"]
        for name in self.core.heads:
            if HEAD_LABELS[name] not in batch:
                continue
            y = batch[HEAD_LABELS[name]]
            if name in REGRESSION_HEADS:
                keep = ~torch.isnan(y).any(-1)
                self.preds[name] += out[f"{name}_logits"][keep].tolist()
            else:
                keep = y != IGNORE
                self.preds[name] += out[f"{name}_logits"].argmax(-1)[keep].tolist()
            self.gold[name] += y[keep].tolist()

    def loss(self, term: str) -> float | None:
        """Mean over labelled tokens/examples; None when nothing in the window had a label for it."""
        n = self.sums[f"n_{term}"]
        return self.sums[term] / n if n else None

    def merge_processes(self, accelerator) -> None:
        """Sum the window's loss sums and collect the head predictions over all processes, so a step's record
        describes the global batch, not the main process's slice of it."""
        from accelerate.utils import gather_object

        keys = sorted(self.sums)  # the same keys in every process; `batches` too (one per micro-batch)
        local = torch.tensor([self.sums[k] for k in keys], dtype=torch.float64, device=accelerator.device)
        self.sums = defaultdict(float, zip(keys, accelerator.reduce(local, "sum").tolist()))
        for name in self.core.heads:
            self.preds[name] = gather_object(self.preds[name])
            self.gold[name] = gather_object(self.gold[name])

    def accuracy(self, head: str) -> float | None:
        gold = self.gold[head]
        return float(np.mean(np.array(self.preds[head]) == np.array(gold))) if gold else None

    def mae(self, head: str) -> float | None:
        """A regression head's mean absolute error over its outputs."""
        gold = self.gold[head]
        return float(np.abs(np.array(self.preds[head]) - np.array(gold)).mean()) if gold else None


@torch.no_grad()
def head_outputs(model: MultiTaskSFT, table: pd.DataFrame, head: str, batch_size: int, pad_id: int) -> np.ndarray:
    """One head's outputs (logits, or a regression head's values) for every row of `table`, in order."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = [model(**collate(table.iloc[start:start + batch_size], pad_id, device))[f"{head}_logits"].cpu().numpy()
           for start in range(0, len(table), batch_size)]
    model.train(was_training)
    return np.concatenate(out)


@torch.no_grad()
def majority_labels(table: pd.DataFrame) -> dict[str, int]:
    """Each head's most frequent label in `table` (the train split): the majority-class baseline."""
    out = {}
    for name, column in HEAD_LABELS.items():
        if name in REGRESSION_HEADS or column not in table:
            continue
        counts = table[column][table[column] != IGNORE].value_counts()
        if len(counts):
            out[name] = int(max(counts.index, key=lambda label: (counts[label], -label)))
    return out


def evaluate(model: MultiTaskSFT, table: pd.DataFrame, batch_size: int, pad_id: int, device,
             majority: dict[str, int] | None = None) -> dict[str, float]:
    """Token-weighted LM loss, example-weighted head losses, head accuracy and macro-F1, and the accuracy
    of always answering `majority[head]` on the same rows (the baseline a head must beat)."""
    from sklearn.metrics import f1_score

    was_training = model.training
    model.eval()
    totals = TermTotals(model)
    for start in range(0, len(table), batch_size):
        batch = collate(table.iloc[start:start + batch_size], pad_id, device)
        totals.add(model(**batch), batch)
    model.train(was_training)
    # a term with no labelled row in the table (the safety KL: its rows are not in data/sft's validation split)
    # is left out rather than reported as a loss of 0
    m = {f"loss.{t}": totals.loss(t) for t in model.weights if totals.loss(t) is not None}
    m["loss.total"] = sum(model.weights[t] * m.get(f"loss.{t}", 0.0) for t in model.weights)
    for name in model.heads:
        if not totals.gold[name]:  # a head with no labelled row here (train_sft's affect head: E's rows only train)
            continue
        if name in REGRESSION_HEADS:
            m[f"{name}.mae"] = totals.mae(name)
        else:
            m[f"{name}.accuracy"] = totals.accuracy(name)
            m[f"{name}.macro_f1"] = float(f1_score(totals.gold[name], totals.preds[name], average="macro",
                                                   zero_division=0))
            if majority and name in majority:
                m[f"{name}.majority_accuracy"] = float(np.mean(np.array(totals.gold[name]) == majority[name]))
        m[f"{name}.n"] = len(totals.gold[name])
    return m


@dataclasses.dataclass
class FitResult:
    history: list[dict[str, float]]     # one record per optimizer step (train terms, lr, eval at eval steps)
    final_eval: dict[str, float]
    mixture: dict[str, float]
    resumed_from: int                   # 0 = fresh start
    seconds: float
    tokens: int                         # non-pad tokens processed in this run, all processes (after resume)


def fit(model: MultiTaskSFT, train_table: pd.DataFrame, val_table: pd.DataFrame, ts: SftTrainSettings, *,
        alpha: float, pad_id: int, fingerprint: str, on_step: Optional[StepCallback] = None) -> FitResult:
    """Train `model` for `ts.max_steps` optimizer steps. If `ts.checkpoint_dir` holds a checkpoint with the
    same `fingerprint` (same params and data), training resumes from it; a checkpoint is written every
    `ts.checkpoint_every` steps. `on_step(step, record)` is called after each step (logging), and first for
    every step restored from a checkpoint."""
    import time

    from accelerate import Accelerator
    from transformers import get_scheduler

    distributed_state()  # before Accelerator, which takes the process state as first created
    accelerator = Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=mixed_precision(),
                              gradient_accumulation_steps=ts.grad_accum)
    rank, world = accelerator.process_index, accelerator.num_processes
    # One sampler stream in every process: each draws the global batch (world x batch_size) and trains on its
    # own slice. N processes at batch_size b then see the examples one process sees at N x b, and the main
    # process's checkpointed sampler state resumes all of them.
    sampler = MixtureSampler(train_table["source"].tolist(), alpha, ts.seed)
    params = model.trainable_parameters()
    optimizer = torch.optim.AdamW(model.parameter_groups(ts.lr, ts.head_lr, ts.weight_decay))
    scheduler = get_scheduler(ts.schedule, optimizer, num_warmup_steps=ts.warmup_steps,
                              num_training_steps=ts.max_steps)
    model, optimizer = accelerator.prepare(model, optimizer)
    core: MultiTaskSFT = accelerator.unwrap_model(model)
    ckpt = Path(ts.checkpoint_dir)
    history: list[dict[str, float]] = []
    step = load_checkpoint(ckpt, core, optimizer, scheduler, sampler, fingerprint, history)
    resumed_from = step
    for record in history if on_step is not None else ():
        on_step(int(record["step"]), record)  # a resumed run logs whole curves (DVC removed the old ones)
    val = eval_subset(val_table, ts.eval_max_examples)
    majority = majority_labels(train_table)
    model.train()
    tokens, start = 0, time.perf_counter()
    bar = progress(range(step, ts.max_steps), desc="train_sft", total=ts.max_steps - step, unit="step")
    for _ in bar:
        totals, grad_norm = TermTotals(core), None
        for _micro in range(ts.grad_accum):
            rows = sampler.batch(ts.batch_size * world)[rank * ts.batch_size:(rank + 1) * ts.batch_size]
            if world > 1 and step == resumed_from and _micro == 0:
                log.info("process %d of %d: first batch rows %s", rank, world, rows)
            batch = collate(train_table.iloc[rows], pad_id, accelerator.device)
            tokens += int(batch["attention_mask"].sum())
            with accelerator.accumulate(model):
                with accelerator.autocast():
                    out = model(**batch)
                loss = out["loss"] if world == 1 else global_batch_loss(out, core.weights, accelerator)
                accelerator.backward(loss)
                if accelerator.sync_gradients and ts.max_grad_norm > 0:
                    grad_norm = float(accelerator.clip_grad_norm_(params, ts.max_grad_norm))
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            totals.add(out, batch, None if world == 1 else loss.item() / world)
        if not accelerator.optimizer_step_was_skipped:
            scheduler.step()
        if world > 1:
            totals.merge_processes(accelerator)
        step += 1
        record = {"step": step, "lr": scheduler.get_last_lr()[0], **_step_record(totals, grad_norm)}
        if step % ts.eval_every == 0 or step == ts.max_steps:
            record.update({f"eval.{k}": v for k, v in evaluate(core, val, ts.batch_size, pad_id,
                                                                accelerator.device, majority).items()})
        history.append(record)
        # Only the main process writes. No barrier is needed: the others can read the checkpoint only at start,
        # before the first gradient all-reduce, which the main process cannot pass before they reach it.
        if step % ts.checkpoint_every == 0 and step < ts.max_steps and accelerator.is_main_process:
            save_checkpoint(ckpt, core, optimizer, scheduler, sampler, fingerprint, step, history)
        if on_step is not None:
            on_step(step, record)
    seconds = time.perf_counter() - start
    if world > 1:
        tokens = int(accelerator.reduce(torch.tensor(tokens, device=accelerator.device), "sum"))
    log.info("train_sft: %d steps (from %d) in %.1f s, %.0f tokens/s", step - resumed_from, resumed_from,
             seconds, tokens / seconds if seconds else 0.0)
    final = {k.removeprefix("eval."): v for k, v in history[-1].items() if k.startswith("eval.")}
    return FitResult(history, final, sampler.weights, resumed_from, seconds, tokens)


def global_batch_loss(out: dict[str, Any], weights: dict[str, float], accelerator) -> torch.Tensor:
    """This process's share of the loss one process would compute on the whole global batch: each term's sum
    over the labelled tokens/examples here divided by their count over all processes, times the process
    count (DDP averages gradients). A per-process mean instead would halve a head's gradient whenever the
    other process had no labelled example for it (labels are sparse: only GoEmotions rows carry emotions)."""
    local = torch.tensor([float(out[f"n_{t}"]) for t in weights], dtype=torch.float64, device=accelerator.device)
    counts = accelerator.reduce(local, "sum").tolist()
    return accelerator.num_processes * sum(w * out[t] * (out[f"n_{t}"] / max(n, 1.0))
                                           for (t, w), n in zip(weights.items(), counts))


def _step_record(totals: TermTotals, grad_norm: float | None) -> dict[str, float]:
    """Per-step train record; a term with no labelled example in this step is left out (not logged as 0)."""
    rec = {"train.loss.total": totals.sums["total"] / totals.batches}
    if grad_norm is not None:
        rec["train.grad_norm"] = grad_norm
    for term in totals.core.weights:
        if totals.loss(term) is not None:
            rec[f"train.loss.{term}"] = totals.loss(term)
    for name in totals.core.heads:
        if name in REGRESSION_HEADS and totals.mae(name) is not None:
            rec[f"train.{name}.mae"] = totals.mae(name)
        elif name not in REGRESSION_HEADS and totals.accuracy(name) is not None:
            rec[f"train.{name}.accuracy"] = totals.accuracy(name)
    return rec


# ---------------------------------------------------------------- checkpoints -------------------------------
def save_checkpoint(ckpt: Path, core: MultiTaskSFT, optimizer, scheduler, sampler: MixtureSampler,
                    fingerprint: str, step: int, history: list[dict[str, float]]) -> None:
    """adapter/ + heads.safetensors + optimizer.pt + scheduler.pt + rng.pt + state.json, replaced atomically
    (a kill during the write leaves the previous checkpoint)."""
    with atomic_dir(ckpt) as tmp:
        core.lm.save_pretrained(tmp / "adapter")
        save_heads(core, tmp / "heads.safetensors", {n: [] for n in core.heads})
        torch.save(_unwrap_optimizer(optimizer).state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        rng = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        torch.save(rng, tmp / "rng.pt")
        state = {"step": step, "fingerprint": fingerprint, "sampler": sampler.state_dict(),
                 "python_random": random.getstate(), "history": history}
        (tmp / "state.json").write_text(json.dumps(state))
    log.info("checkpoint at step %d -> %s", step, ckpt)


def load_checkpoint(ckpt: Path, core: MultiTaskSFT, optimizer, scheduler, sampler: MixtureSampler,
                    fingerprint: str, history: list[dict[str, float]]) -> int:
    """Restore everything from `ckpt` and return its step; 0 when there is none or it belongs to another
    configuration (then it is ignored, and overwritten at the next checkpoint)."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    state_file = ckpt / "state.json"
    if not state_file.is_file():
        return 0
    state = json.loads(state_file.read_text())
    if state.get("fingerprint") != fingerprint:
        log.warning("%s: checkpoint from another configuration (params or data changed); starting fresh", ckpt)
        return 0
    set_peft_model_state_dict(core.lm, load_file(str(ckpt / "adapter" / "adapter_model.safetensors")))
    load_heads_into(core, ckpt / "heads.safetensors")
    _unwrap_optimizer(optimizer).load_state_dict(torch.load(ckpt / "optimizer.pt", weights_only=True))
    scheduler.load_state_dict(torch.load(ckpt / "scheduler.pt", weights_only=True))
    rng = torch.load(ckpt / "rng.pt", weights_only=True)
    torch.set_rng_state(rng["torch"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    sampler.load_state_dict(state["sampler"])
    version, internal, gauss = state["python_random"]
    random.setstate((version, tuple(internal), gauss))
    history.extend(state["history"])
    log.info("resuming from %s at step %d", ckpt, state["step"])
    return int(state["step"])


def clear_checkpoint(ckpt: str | Path) -> None:
    """Called once the final outputs are written: a finished run must not be 'resumed' by a forced re-run."""
    shutil.rmtree(ckpt, ignore_errors=True)


def _unwrap_optimizer(optimizer):
    return getattr(optimizer, "optimizer", optimizer)
