"""Family C, part 3: preference pairs from the SFT data and their figures under a model (DPO: sft/dpo.py).

The pair rule. A *context* is an ED-v2 or ESConv example of data/sft: the messages before a supporter turn
whose human reply is the example's target. **chosen** = that human reply; **rejected** = the SFT model's own
reply, sampled for the same context (seed `dpo.pairs.seed` + batch index, so a resumed run samples the same
replies). Train pairs come from data/sft's train split, held-out pairs from its validation split. A pair is
dropped, and counted, when a side is empty or both sides are the same text (whitespace and case folded):
DPO learns nothing from either.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from affectlab.errors import InputError
from affectlab.io import append_jsonl, read_jsonl
from affectlab.progress import progress, timed
from affectlab.sft.encoding import IGNORE, encode, target_logits
from affectlab.sft.sources import Example

log = logging.getLogger(__name__)
DIALOGUE_SOURCES = ("ed_v2", "esconv")  # sources with a human supporter reply (GoEmotions has none)
PAIR_FIELDS = {"pair_id": str, "source": str, "prompt": list, "chosen": str, "rejected": str}


def contexts(table: pd.DataFrame, n: int, seed: int) -> list[dict]:
    """Up to `n` dialogue contexts of a data/sft table (columns id, source, messages), drawn with `seed`, in
    table order: {pair_id, source, prompt (messages before the reply), chosen (the human reply)}."""
    rows = table[table["source"].isin(DIALOGUE_SOURCES)]
    rows = rows[[len(m) > 1 and m[-1]["role"] == "assistant" for m in rows["messages"]]]
    keep = np.sort(np.random.default_rng(seed).permutation(len(rows))[:n])
    return [{"pair_id": r.id, "source": r.source, "prompt": [dict(m) for m in r.messages[:-1]],
             "chosen": r.messages[-1]["content"]} for r in rows.iloc[keep].itertuples()]


def sample_rejected(generate: Callable[[list, int], list[str]], items: list[dict], ckpt: Path,
                    batch_size: int, desc: str) -> dict[str, str]:
    """pair_id -> the model's reply, `generate(prompts, batch_index)` per batch, appended to `ckpt` after each
    batch so a killed run resumes where it stopped (the batch index seeds the sampling: same replies)."""
    done = {r["pair_id"]: r["rejected"] for _, r in read_jsonl(ckpt, allow_truncated_tail=True)} if ckpt.exists() else {}
    if done:
        log.info("%s: resuming, %d of %d replies already sampled", desc, len(done), len(items))
    batches = [items[i:i + batch_size] for i in range(0, len(items), batch_size)]
    with timed(f"sample {desc}", unit="replies") as stats:
        for index, batch in enumerate(progress(batches, desc=desc, unit="batch")):
            if all(c["pair_id"] in done for c in batch):
                continue
            replies = generate([c["prompt"] for c in batch], index)
            rows = [{"pair_id": c["pair_id"], "rejected": r} for c, r in zip(batch, replies)]
            append_jsonl(rows, ckpt)
            done.update((r["pair_id"], r["rejected"]) for r in rows)
            stats["n"] += len(rows)
            log.info("%s: batch %d: %d replies checkpointed to %s", desc, index, len(rows), ckpt)
    return done


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def make_pairs(items: list[dict], rejected: dict[str, str], split: str, counts: Counter) -> list[dict]:
    """Pairs of the documented rule; drops are counted as `<split>.dropped.{empty,identical}`."""
    pairs = []
    for c in items:
        pair = {**c, "rejected": rejected[c["pair_id"]].strip(), "chosen": c["chosen"].strip()}
        if not pair["chosen"] or not pair["rejected"]:
            counts[f"{split}.dropped.empty"] += 1
        elif _folded(pair["chosen"]) == _folded(pair["rejected"]):
            counts[f"{split}.dropped.identical"] += 1
        else:
            pairs.append(pair)
    counts[f"{split}.contexts"] += len(items)
    counts[f"{split}.pairs"] += len(pairs)
    return pairs


def read_pairs(path: str | Path) -> list[dict]:
    """A preference file (JSONL of PAIR_FIELDS); a row with a missing, empty or mistyped side stops with
    `file:line: what is wrong`."""
    pairs = []
    for lineno, row in read_jsonl(path):
        for key, tp in PAIR_FIELDS.items():
            if key not in row:
                raise InputError(f"{path}:{lineno}: missing {key!r} (a preference pair needs "
                                 f"{', '.join(PAIR_FIELDS)})")
            if not isinstance(row[key], tp) or (tp is str and not row[key].strip()) or (tp is list and not row[key]):
                raise InputError(f"{path}:{lineno}: {key!r} must be a non-empty {tp.__name__}, got {row[key]!r:.60}")
        pairs.append(row)
    if not pairs:
        raise InputError(f"{path}: no preference pairs")
    return pairs


def _length(tokenizer, prompt: list[dict], reply: str) -> int:
    text = tokenizer.apply_chat_template([*prompt, {"role": "assistant", "content": reply}], tokenize=False)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def fit_to_length(pairs: Sequence[dict], tokenizer, max_length: int, counts: Counter, split: str) -> list[dict]:
    """Drop a pair's oldest prompt messages until prompt + its longer reply fit `max_length` tokens (counted as
    `<split>.trimmed`), so TRL never truncates: its default cuts the end, i.e. the reply, and keeping the end
    instead is deprecated in TRL 1.16. A pair that does not fit with its last message alone is dropped
    (`<split>.dropped.too_long`)."""
    fitted = []
    for p in pairs:
        prompt = list(p["prompt"])
        while len(prompt) > 1 and max(_length(tokenizer, prompt, p[s]) for s in ("chosen", "rejected")) > max_length:
            prompt = prompt[1:]
        if max(_length(tokenizer, prompt, p[s]) for s in ("chosen", "rejected")) > max_length:
            counts[f"{split}.dropped.too_long"] += 1
            continue
        counts[f"{split}.trimmed"] += len(prompt) < len(p["prompt"])
        fitted.append({**p, "prompt": prompt})
    return fitted


def completion_logps(model, tokenizer, pairs: Sequence[dict], max_length: int, batch_size: int = 8) -> np.ndarray:
    """[n, 2] summed log-probabilities of the chosen and rejected reply tokens (the chat template's reply,
    end-of-turn included) given the prompt (pairs fitted to `max_length`, as in training)."""
    counts: Counter = Counter()
    seqs = [encode(Example(p["pair_id"], p["source"], p["prompt"], p[side]), tokenizer, max_length, counts, "dpo")
            for p in pairs for side in ("chosen", "rejected")]
    if any(s is None for s in seqs):
        raise InputError(f"a reply is longer than dpo.max_length={max_length} tokens leaves room for; raise it")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    out = []
    base = model.get_base_model() if hasattr(model, "get_base_model") else model  # PEFT: LoRA layers stay in
    with torch.inference_mode():
        for start in range(0, len(seqs), batch_size):
            batch = seqs[start:start + batch_size]
            width = max(len(s["input_ids"]) for s in batch)
            ids = torch.tensor([s["input_ids"] + [pad] * (width - len(s["input_ids"])) for s in batch])
            labels = torch.tensor([s["labels"] + [IGNORE] * (width - len(s["labels"])) for s in batch])
            mask = (torch.arange(width)[None, :] < torch.tensor([len(s["input_ids"]) for s in batch])[:, None]).long()
            hidden = base.get_decoder()(input_ids=ids.to(base.device),
                                        attention_mask=mask.to(base.device)).last_hidden_state
            logits, target, sel = target_logits(base, hidden, labels.to(hidden.device))
            lp = torch.zeros(sel.shape, device=hidden.device)
            lp[sel] = torch.log_softmax(logits.float(), -1).gather(-1, target[:, None])[:, 0]
            out += lp.sum(-1).tolist()
    return np.asarray(out, dtype=float).reshape(-1, 2)


def preference_metrics(policy: np.ndarray, reference: np.ndarray | None, beta: float) -> dict[str, float]:
    """On [n, 2] (chosen, rejected) log-probs: `logp_accuracy` (share of pairs whose chosen reply is the more
    likely one) and `logp_margin` (mean log-prob difference); with a reference, the DPO objective's own
    `reward_accuracy` and `reward_margin` (reward = beta * (log pi - log pi_ref), TRL's definition)."""
    diff = policy[:, 0] - policy[:, 1]
    m = {"pairs": len(policy), "logp_accuracy": float((diff > 0).mean()), "logp_margin": float(diff.mean())}
    if reference is not None:
        rewards = beta * (policy - reference)
        margin = rewards[:, 0] - rewards[:, 1]
        m.update(reward_accuracy=float((margin > 0).mean()), reward_margin=float(margin.mean()),
                 reward_chosen=float(rewards[:, 0].mean()), reward_rejected=float(rewards[:, 1].mean()))
    return m
