"""Canonical examples -> token ids with prompt masking, train-only label vocabularies, and the split tables.

Layout of one row: `input_ids = prompt_ids + target_ids`, `labels = [-100] * prompt_length + target_ids`,
so the LM loss sees assistant tokens only and the heads read the hidden state at `prompt_length - 1` (the
last token of the generation prompt, just before the reply). A row without a target (GoEmotions) is a
prompt only: all labels -100, heads only.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

import pandas as pd

from affectlab.errors import InputError
from affectlab.sft.sources import GO_EMOTIONS, SOURCES, SPLITS, Example, load_split_rows, read_source
from affectlab.sft.settings import SftDataSettings

IGNORE = -100
MIN_PROMPT_TOKENS = 16  # a target that leaves less than this for the prompt is dropped (counted)


def build_vocab(train: Iterable[Example]) -> dict[str, list[str]]:
    """Label vocabularies from the TRAIN split only. The emotion head keeps GoEmotions' 28 ids (its
    label space is fixed by the dataset); the strategy vocabulary is the sorted train strategies."""
    train = list(train)
    strategies = sorted({e.strategy for e in train if e.strategy})
    seen_emotions = sorted({e.emotion for e in train if e.emotion}, key=GO_EMOTIONS.index)
    return {"emotion": list(GO_EMOTIONS), "emotion_seen_in_train": seen_emotions, "strategy": strategies}


def label_ids(example: Example, vocab: dict[str, list[str]], counts: Counter, split: str) -> tuple[int, int]:
    """(emotion id, strategy id); a label the train split never had becomes IGNORE and is counted."""
    ids = []
    for head, name, known in (("emotion", example.emotion, vocab["emotion_seen_in_train"]),
                              ("strategy", example.strategy, vocab["strategy"])):
        if name is None:
            ids.append(IGNORE)
        elif name in known:
            ids.append(vocab[head].index(name))
        else:
            counts[f"unseen_label.{split}.{head}"] += 1
            ids.append(IGNORE)
    return ids[0], ids[1]


def encode(example: Example, tokenizer, max_seq_len: int, counts: Counter, split: str) -> dict[str, Any] | None:
    """Tokenise one example with the model's chat template. Too long: the prompt loses tokens from the left
    and the target is kept whole (counted); a target too long to leave room for a prompt is dropped."""
    prompt_text = tokenizer.apply_chat_template(example.prompt, tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    target_ids: list[int] = []
    messages = list(example.prompt)
    if example.target is not None:
        messages.append({"role": "assistant", "content": example.target})
        full = tokenizer.apply_chat_template(messages, tokenize=False)
        # the template's own end-of-turn marker ends the target; fall back to eos if the full chat does not
        # extend the generation prompt (templates that rewrite earlier turns)
        target_text = full[len(prompt_text):] if full.startswith(prompt_text) else example.target + tokenizer.eos_token
        target_ids = tokenizer(target_text, add_special_tokens=False)["input_ids"]
    if len(prompt_ids) + len(target_ids) > max_seq_len:
        if len(target_ids) > max_seq_len - MIN_PROMPT_TOKENS:
            counts[f"drops.{example.source}.target_too_long"] += 1
            return None
        prompt_ids = prompt_ids[len(prompt_ids) + len(target_ids) - max_seq_len:]
        counts[f"truncated.{split}.{example.source}"] += 1
    return {"id": example.id, "source": example.source, "messages": messages,
            "input_ids": prompt_ids + target_ids, "labels": [IGNORE] * len(prompt_ids) + target_ids,
            "prompt_length": len(prompt_ids)}


def prepare(settings: SftDataSettings, tokenizer) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]], dict]:
    """Read the three sources, build train-only vocabularies, encode every split.
    Returns ({split: table}, vocab, metrics)."""
    counts: Counter = Counter()
    examples: dict[str, list[Example]] = {s: [] for s in SPLITS}
    for name in SOURCES:
        src = getattr(settings, name)
        for split, rows in load_split_rows(src, name).items():
            examples[split] += read_source(name, rows, split, src.path, counts, settings.map_emotions)
    vocab = build_vocab(examples["train"])
    if not vocab["strategy"]:
        raise InputError(f"{settings.esconv.path}: the train split has no supporter strategy; the strategy "
                         "head needs at least one")
    tables = {}
    for split in SPLITS:
        rows = []
        for ex in examples[split]:
            row = encode(ex, tokenizer, settings.max_seq_len, counts, split)
            if row is None:
                continue
            row["emotion_label"], row["strategy_label"] = label_ids(ex, vocab, counts, split)
            rows.append(row)
        tables[split] = pd.DataFrame(rows, columns=["id", "source", "messages", "prompt_length", "input_ids",
                                                    "labels", "emotion_label", "strategy_label"])
    return tables, vocab, _metrics(tables, vocab, counts)


def label_distribution(tables: dict[str, pd.DataFrame], vocab: dict[str, list[str]]) -> pd.DataFrame:
    """split, head, label, count: the long distribution behind the `labelled.*` metrics (a plot, not metrics)."""
    rows = []
    for split, t in tables.items():
        for head in ("emotion", "strategy"):
            col = t[f"{head}_label"]
            counts = col[col != IGNORE].value_counts()
            rows += [{"split": split, "head": head, "label": vocab[head][idx], "count": int(n)}
                     for idx, n in sorted(counts.items())]
    return pd.DataFrame(rows, columns=["split", "head", "label", "count"])


def _metrics(tables: dict[str, pd.DataFrame], vocab: dict[str, list[str]], counts: Counter) -> dict[str, Any]:
    m: dict[str, Any] = {}
    for split, t in tables.items():
        m[f"rows.{split}"] = len(t)
        for source in SOURCES:
            m[f"rows.{split}.{source}"] = int((t["source"] == source).sum())
        for head in ("emotion", "strategy"):
            col = t[f"{head}_label"]
            m[f"labelled.{split}.{head}"] = int((col != IGNORE).sum())
        m[f"tokens.{split}.mean"] = round(float(t["input_ids"].map(len).mean()), 1) if len(t) else 0.0
        m[f"tokens.{split}.max"] = int(t["input_ids"].map(len).max()) if len(t) else 0
    m["vocab.emotion"] = len(vocab["emotion"])
    m["vocab.strategy"] = len(vocab["strategy"])
    for key, n in sorted(counts.items()):
        m[key if key.startswith(("truncated", "unseen_label", "drops", "kept_")) else f"drops.{key}"] = n
    for split in SPLITS:  # present even when zero, so `dvc metrics diff` shows a change from 0
        for source in SOURCES:
            m.setdefault(f"truncated.{split}.{source}", 0)
    return m


def target_logits(base, hidden, labels):
    """For a batch of `encode`d rows (torch tensors) and a causal LM's last hidden states: the vocab logits at
    the positions that predict a target token (position t predicts labels[t + 1] != IGNORE), those targets,
    and the [batch, length - 1] mask of the positions. Only there: the vocab projection is the costliest
    matmul of a small model, and prompt and pad positions would be masked out anyway."""
    target = labels[:, 1:]
    sel = target != IGNORE
    return base.get_output_embeddings()(hidden[:, :-1][sel]), target[sel], sel
