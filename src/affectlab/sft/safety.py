"""The safety-teacher KL term of train_sft: keep the policy's next-token distribution on safe replies near a
teacher's, so that supportive fine-tuning does not wear away how the model answers risky requests.

A committed prompt set (prompt, a safe reply; `sft.safety.prompts`) is disjoint from the evaluation sets, the
red-team set above all (`sft.safety.disjoint_from`; a shared prompt stops the stage naming both rows). `safety_teacher` runs the teacher once over each prompt +
reply, rendered with the base model's chat template, and keeps for every reply position the teacher's `top_k`
token ids and log-probs plus the log-prob of the rest of the vocabulary (data/safety/teacher.safetensors); the
teacher is not run again during training. train_sft adds

    loss.safety_kl * mean over reply tokens of KL(policy || teacher)

on the safety rows, which the mixture sampler draws like a further dataset. Every `heldout_every`-th prompt is
held out of training and only scored, so the metrics say whether the term generalises beyond its own prompts.

Which KL: both distributions coarsened to the teacher's top-k tokens plus one bucket for the rest (k + 1
outcomes). Keeping the teacher's whole distribution would cost vocab x 4 bytes per token (~200 KB for
SmolLM2's 49,152 tokens); the coarsened KL is a lower bound of the full one (merging outcomes never raises a
KL) and equal to it where the policy spreads its remaining mass like the teacher. `teacher.topk_mass` in the
stage's metrics says how much of the teacher's probability the kept tokens hold.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch

from affectlab.errors import ConfigError, InputError
from affectlab.io import append_jsonl, fingerprint, read_jsonl
from affectlab.progress import progress
from affectlab.sft.encoding import IGNORE, encode
from affectlab.sft.settings import SftSafetySettings
from affectlab.sft.sources import Example

log = logging.getLogger(__name__)
SOURCE = "safety"  # the rows' source name in the mixture


def read_safety_prompts(path: str | Path, evaluation: dict[str, Sequence[dict]]) -> list[dict]:
    """The safety prompt set, each row checked: a string prompt_id, a non-empty prompt and reply, ids unique, and
    no prompt that is also a prompt of an `evaluation` set ({file: rows}; compared case-, space- and
    punctuation-blind). Each row keeps its line number (`line`) for later errors."""
    from affectlab.affect.records import normalise_text  # case-, space- and punctuation-blind

    taken = {normalise_text(r["prompt"]): (r["prompt_id"], name) for name, rows in evaluation.items() for r in rows}
    rows, seen = [], set()
    for lineno, rec in read_jsonl(path):
        where = f"{path}:{lineno}"
        if not isinstance(rec.get("prompt_id"), str) or rec["prompt_id"] in seen:
            raise InputError(f"{where}: needs a string prompt_id not used by an earlier row, got {rec.get('prompt_id')!r}")
        for field in ("prompt", "reply"):
            if not isinstance(rec.get(field), str) or not rec[field].strip():
                raise InputError(f"{where}: needs a non-empty string {field!r}")
        if normalise_text(rec["prompt"]) in taken:
            other, name = taken[normalise_text(rec["prompt"])]
            raise InputError(f"{where}: prompt {rec['prompt_id']!r} is evaluation prompt {other!r} of {name}; the "
                             "safety set must not share prompts with the evaluation")
        seen.add(rec["prompt_id"])
        rows.append({"prompt_id": rec["prompt_id"], "prompt": rec["prompt"], "reply": rec["reply"], "line": lineno})
    if not rows:
        raise InputError(f"{path}: no prompts")
    return rows


def encode_rows(rows: Sequence[dict], tokenizer, max_seq_len: int, heldout_every: int, counts: Counter,
                path: str | Path) -> pd.DataFrame:
    """Each prompt as one user turn and its reply as the assistant turn (family C's encoding), with its
    split: every `heldout_every`-th row (from the first) is `heldout`, the others `train`. `path`: the
    prompt file the rows were read from (read_safety_prompts), named in errors with the row's line."""
    out = []
    for i, r in enumerate(rows):
        enc = encode(Example(r["prompt_id"], SOURCE, [{"role": "user", "content": r["prompt"]}], r["reply"]),
                     tokenizer, max_seq_len, counts, "safety")
        if enc is None:
            raise InputError(f"{path}:{r['line']}: prompt {r['prompt_id']!r}: its reply is longer than "
                             f"sft.safety.max_seq_len={max_seq_len} tokens allows")
        out.append({"prompt_id": r["prompt_id"], "split": "heldout" if i % heldout_every == 0 else "train",
                    "input_ids": enc["input_ids"], "prompt_length": enc["prompt_length"]})
    return pd.DataFrame(out)


def check_vocabulary(teacher_tokenizer, tokenizer, source: str) -> None:
    """A token-level KL needs the teacher to number tokens as the policy does."""
    if teacher_tokenizer.get_vocab() != tokenizer.get_vocab():
        raise ConfigError(f"sft.safety.teacher.source {source!r}: its tokenizer's vocabulary differs from "
                          "models/base's; the KL is per token, so the teacher must share the base model's vocabulary")


@torch.no_grad()
def teacher_topk(model, table: pd.DataFrame, p: SftSafetySettings, pad_id: int, ckpt_key: str) -> dict[str, list]:
    """{prompt_id: (top-k ids [R, k], log-probs [R, k + 1] with the rest last)} for every reply position,
    batch by batch, appended to `p.checkpoint` so a killed run resumes with the batches it has."""
    from affectlab.sft.train import collate

    ckpt = Path(p.checkpoint)
    done = {}
    if ckpt.is_file():
        done = {r["prompt_id"]: (r["ids"], r["logprobs"])
                for _, r in read_jsonl(ckpt, allow_truncated_tail=True) if r.get("key") == ckpt_key}
        if done:
            log.info("safety teacher: resuming, %d of %d prompts already scored", len(done), len(table))
        else:
            ckpt.unlink()  # another teacher, prompt set or k: nothing in it is ours
    todo = table[~table["prompt_id"].isin(done)]
    model.eval()
    for b, start in enumerate(progress(range(0, len(todo), p.batch_size), desc="safety teacher", unit="batch")):
        rows = todo.iloc[start:start + p.batch_size]
        batch = collate(rows.assign(labels=rows["input_ids"]), pad_id, model.device)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        records = []
        for i, (pid, n, length) in enumerate(zip(rows["prompt_id"], rows["prompt_length"], rows["input_ids"].map(len))):
            ids, logprobs = topk_with_rest(logits[i, n - 1:length - 1], p.top_k)
            records.append({"key": ckpt_key, "prompt_id": pid, "ids": ids.tolist(), "logprobs": logprobs.tolist()})
        append_jsonl(records, ckpt)
        done.update({r["prompt_id"]: (r["ids"], r["logprobs"]) for r in records})
        log.info("safety teacher: batch %d: %d prompts checkpointed", b, len(records))
    return done


def topk_with_rest(logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """([positions, k] top-k token ids, [positions, k + 1] their log-probs and, last, the log-prob of every
    other token together)."""
    ids = logits.topk(k, dim=-1).indices
    return ids, logprobs_with_rest(logits, ids)


def logprobs_with_rest(logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """[positions, k + 1]: the log-probs of `ids` [positions, k] and of all other tokens together."""
    logp = logits.float().log_softmax(-1)
    rest = logp.scatter(-1, ids, float("-inf")).logsumexp(-1, keepdim=True)
    return torch.cat([logp.gather(-1, ids), rest], dim=-1)


def teacher_file(table: pd.DataFrame, scored: dict[str, tuple], meta: dict[str, Any]) -> bytes:
    """data/safety/teacher.safetensors: the rows' token ids and the teacher's reply positions, flat with offsets
    (rows differ in length); the prompt ids and splits in the metadata."""
    from safetensors.numpy import save

    ids = [np.asarray(scored[pid][0], dtype=np.int64) for pid in table["prompt_id"]]
    logprobs = [np.asarray(scored[pid][1], dtype=np.float32) for pid in table["prompt_id"]]
    tensors = {"input_ids": np.concatenate([np.asarray(x, dtype=np.int64) for x in table["input_ids"]]),
               "row_offsets": np.cumsum([0, *table["input_ids"].map(len)]).astype(np.int64),
               "prompt_length": table["prompt_length"].to_numpy(dtype=np.int64),
               "topk_ids": np.concatenate(ids), "topk_logprobs": np.concatenate(logprobs),
               "reply_offsets": np.cumsum([0, *(len(x) for x in ids)]).astype(np.int64)}
    return save(tensors, metadata={"prompt_ids": json.dumps(table["prompt_id"].tolist()),
                                   "splits": json.dumps(table["split"].tolist()), **meta})


def safety_table(path: str | Path) -> pd.DataFrame:
    """The teacher file as training rows: input ids with no LM target (the KL is their only loss), and the
    teacher's top-k ids and log-probs per reply position (`safety_ids`, `safety_logprobs`)."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found; run `dvc repro safety_teacher`")
    with safe_open(str(path), "np") as f:
        meta, t = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    rows, replies = t["row_offsets"], t["reply_offsets"]
    out = []
    for i, (pid, split) in enumerate(zip(json.loads(meta["prompt_ids"]), json.loads(meta["splits"]))):
        ids = t["input_ids"][rows[i]:rows[i + 1]].tolist()
        n = int(t["prompt_length"][i])
        if replies[i + 1] - replies[i] != len(ids) - n:
            raise InputError(f"{path}: row {i} ({pid}): {len(ids) - n} reply tokens but "
                             f"{replies[i + 1] - replies[i]} teacher positions; run `dvc repro safety_teacher --force`")
        out.append({"id": pid, "source": SOURCE, "split": split, "prompt_length": n, "input_ids": ids,
                    "labels": [IGNORE] * len(ids), "emotion_label": IGNORE, "strategy_label": IGNORE,
                    "safety_ids": t["topk_ids"][replies[i]:replies[i + 1]],
                    "safety_logprobs": t["topk_logprobs"][replies[i]:replies[i + 1]]})
    return pd.DataFrame(out)


def safety_batch(rows: pd.DataFrame) -> dict[str, torch.Tensor]:
    """Collated teacher targets, aligned with the reply positions: ids [B, R, k], log-probs [B, R, k + 1] and a
    mask [B, R] (0 for rows of other sources and past each reply's end)."""
    present = [x for x in rows["safety_ids"] if isinstance(x, np.ndarray)]
    k = present[0].shape[1] if present else 1
    width = max((len(x) for x in present), default=1)
    ids = torch.zeros((len(rows), width, k), dtype=torch.long)
    logprobs = torch.zeros((len(rows), width, k + 1), dtype=torch.float32)
    mask = torch.zeros((len(rows), width), dtype=torch.bool)
    for i, (x, y) in enumerate(zip(rows["safety_ids"], rows["safety_logprobs"])):
        if isinstance(x, np.ndarray):
            ids[i, :len(x)] = torch.from_numpy(x)
            logprobs[i, :len(x)] = torch.from_numpy(y)
            mask[i, :len(x)] = True
    return {"safety_ids": ids, "safety_logprobs": logprobs, "safety_mask": mask}


def coarse_kl(logits: torch.Tensor, ids: torch.Tensor, teacher_logprobs: torch.Tensor) -> torch.Tensor:
    """KL(policy || teacher) per position over the teacher's top-k tokens plus the rest: `logits` [N, V] of
    the policy, `ids` [N, k], `teacher_logprobs` [N, k + 1]."""
    policy = logprobs_with_rest(logits, ids)
    return (policy.exp() * (policy - teacher_logprobs)).sum(-1)


def reply_hidden(hidden: torch.Tensor, prompt_length: torch.Tensor, width: int) -> torch.Tensor:
    """[B, width, H]: the hidden states that predict reply tokens 0..width-1 (position prompt_length - 1 + j),
    clamped to the sequence (positions past a reply's end are masked by the caller)."""
    pos = (prompt_length[:, None] - 1 + torch.arange(width, device=hidden.device)[None]).clamp(max=hidden.shape[1] - 1)
    return hidden.gather(1, pos[..., None].expand(-1, -1, hidden.shape[-1]))


@torch.no_grad()
def mean_kl(model, table: pd.DataFrame, batch_size: int, pad_id: int) -> float:
    """Mean KL(policy || teacher) over the reply tokens of `table`'s rows (a MultiTaskSFT `model`)."""
    from affectlab.sft.train import collate

    was_training = model.training
    model.eval()
    base = model.lm.get_base_model()
    total, n = 0.0, 0
    for start in range(0, len(table), batch_size):
        batch = collate(table.iloc[start:start + batch_size], pad_id, next(model.parameters()).device)
        hidden = base.get_decoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        kl, count = model.safety_kl(base, hidden, batch["prompt_length"], batch["safety_ids"],
                                    batch["safety_logprobs"], batch["safety_mask"])
        total, n = total + kl.item() * count, n + count
    model.train(was_training)
    return total / n if n else float("nan")


def fingerprint_of(p: SftSafetySettings, rows: Sequence[dict], tokenizer_dir: str | Path) -> str:
    """The checkpoint's key: the teacher, k and the encoded rows (which carry the base model's template)."""
    return fingerprint({"teacher": p.teacher.model_dump(mode="json"), "top_k": p.top_k,
                        "max_seq_len": p.max_seq_len, "rows": list(rows)}, [Path(tokenizer_dir) / "tokenizer.json"])
