"""The reasoner at inference: generate reasoning + answer with the shared prompt, parse the label, and score
every label's likelihood after the generated reasoning (used by evaluation, the CLI and the server)."""
from __future__ import annotations

import copy
from typing import Sequence

import numpy as np

from affectlab.generation import Decoding, generate_chat, render_prompts
from affectlab.reasoning.labels import ANSWER_PREFIX, parse_label, prompt_messages, split_reply


def generate_replies(model, tokenizer, texts: Sequence[str], labels: tuple[str, ...], decoding: Decoding,
                     batch_size: int, seed: int) -> list[str]:
    return generate_chat(model, tokenizer, [prompt_messages(t, labels) for t in texts], decoding,
                         batch_size=batch_size, seed=seed)


def label_logprobs(model, tokenizer, texts: Sequence[str], reasonings: Sequence[str], labels: tuple[str, ...],
                   batch_size: int) -> np.ndarray:
    """(n, len(labels)) log p(" <label>" | prompt, reasoning, "Emotion:"), summed over the label's tokens.
    The prefix is run once per row; multi-token labels continue from a copy of its KV cache."""
    import torch

    prefixes = [r + (reasoning + "\n" if reasoning else "") + ANSWER_PREFIX for r, reasoning in
                zip(render_prompts(tokenizer, [prompt_messages(t, labels) for t in texts]), reasonings)]
    label_ids = [tokenizer(" " + name, add_special_tokens=False)["input_ids"] for name in labels]
    out = np.zeros((len(texts), len(labels)))
    old_side, tokenizer.padding_side = tokenizer.padding_side, "left"
    try:
        with torch.inference_mode():
            for start in range(0, len(prefixes), batch_size):
                enc = tokenizer(prefixes[start:start + batch_size], return_tensors="pt", padding=True,
                                add_special_tokens=False).to(model.device)
                mask = enc["attention_mask"]
                pos = (mask.cumsum(-1) - 1).clamp(min=0)
                # logits of the last position only: the vocab projection of every prompt position was most
                # of the pass's memory (35 rows x ~100 positions x 49k floats) and was thrown away
                res = model(input_ids=enc["input_ids"], attention_mask=mask, position_ids=pos, use_cache=True,
                            logits_to_keep=1)
                first = torch.log_softmax(res.logits[:, -1].float(), -1)
                n = mask.shape[0]
                for j, ids in enumerate(label_ids):
                    score = first[:, ids[0]].clone()
                    if len(ids) > 1:
                        rest = torch.tensor([ids[:-1]] * n, device=mask.device)
                        m2 = torch.cat([mask, torch.ones_like(rest)], 1)
                        p2 = pos[:, -1:] + 1 + torch.arange(len(ids) - 1, device=mask.device)
                        res2 = model(input_ids=rest, attention_mask=m2, position_ids=p2,
                                     cache=copy.deepcopy(res.cache), use_cache=True)
                        lp = torch.log_softmax(res2.logits.float(), -1)
                        score += sum(lp[:, k, ids[k + 1]] for k in range(len(ids) - 1))
                    out[start:start + n, j] = score.cpu().numpy()
    finally:
        tokenizer.padding_side = old_side
    return out


def probabilities(logprobs: np.ndarray) -> np.ndarray:
    z = logprobs - logprobs.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def analyze(model, tokenizer, texts: Sequence[str], labels: tuple[str, ...], decoding: Decoding,
            batch_size: int, seed: int, calibration: dict) -> list[dict]:
    """[{"emotion", "reasoning", "scores", "parsed"}] per text: the parsed answer (or, when the reply has
    none, the most probable label) and every label's calibrated probability: softmax(log p / T + b) with the
    temperature and offsets `evaluate_reasoner` fitted on the validation split (`calibration`, its
    models/reasoner_calibration.json); the label is scored where the reasoner was trained to put it."""
    from affectlab.reasoning.evaluate import calibrated_probabilities

    replies = generate_replies(model, tokenizer, texts, labels, decoding, batch_size, seed)
    reasonings = [split_reply(r) for r in replies]
    after = reasonings if calibration["cot_mode"] == "rationale_first" else [""] * len(replies)
    probs = calibrated_probabilities(label_logprobs(model, tokenizer, texts, after, labels, batch_size),
                                     calibration["temperature"], calibration["offsets"])
    results = []
    for reply, reasoning, p in zip(replies, reasonings, probs):
        parsed = parse_label(reply, labels)
        results.append({"emotion": parsed or labels[int(p.argmax())], "reasoning": reasoning,
                        "scores": {k: round(float(v), 4) for k, v in zip(labels, p)}, "parsed": parsed is not None})
    return results
