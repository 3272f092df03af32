"""EQ-Bench ratings read from the model's log-probabilities instead of parsed from generated text.

Small models rarely answer in the `Emotion: <score>` format (0 of 16 parsed for SmolLM2-135M base and
SFT), so `eval.export.eqbench.scoring: logprob` asks the model directly: for each of the four emotions of
a question, the context is the chat-template rendering of the question with the assistant generation
prompt, followed by `<Emotion>: ` (the answer format the question asks for). Each emotion is scored
independently after the generation prompt, not after the model's own earlier lines: the four ratings then
do not depend on one another's (possibly degenerate) values, and all contexts of a batch can be scored in
one forward pass.

Rating r in 0..10 is the token sequence of `context + str(r)` after the longest prefix it shares with the
tokenized context (so a tokenizer that merges the trailing space into the number is scored on its own
tokens); its log-probability is the sum of those tokens' log-probs. Where one rating's tokens are a proper
prefix of another's ("1" and "10" with digit-split tokenizers such as SmolLM2's), the shorter one is the
event "these tokens, then not a longer candidate's next token", so "1" does not also count the mass of
"10". The 11 probabilities are normalised and the expected rating is sum(r * p_r).

Per context only the longest distinct token prefixes are run (one sequence of context + "1" for a
digit-split tokenizer instead of 11), and a question's text runs once for its four emotions (KV cache):
on SmolLM2-135M that is ~330 tokens per question instead of ~1,300.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from affectlab.generation import render_prompts
from affectlab.progress import progress, timed

RATINGS = tuple(range(11))


def rating_contexts(tokenizer, question: str, emotions: Sequence[str]) -> list[str]:
    """One context per emotion: the rendered question, the generation prompt, then `<Emotion>: `."""
    rendered = render_prompts(tokenizer, [question])[0]
    return [f"{rendered}{emotion}: " for emotion in emotions]


def _candidates(tokenizer, context: str) -> tuple[list[int], list[list[int]]]:
    """(context ids, each rating's continuation ids) split at the prefix every rating shares."""
    enc = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # the template holds BOS
    ctx = enc(context)
    full = [enc(context + str(r)) for r in RATINGS]
    cut = len(ctx)
    for ids in full:
        n = 0
        while n < min(cut, len(ids)) and ids[n] == ctx[n]:
            n += 1
        cut = n
    return ctx[:cut], [ids[cut:] for ids in full]


def _plan(conts: list[list[int]]) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]], list[set[int]]]:
    """Extensions to run after the context, and per rating the prefix it is read from and the next
    tokens that would make it a longer rating (empty unless it is a proper prefix of another)."""
    stops = [{c[len(t)] for c in conts if len(c) > len(t) and c[:len(t)] == t} for t in conts]
    need = [tuple(t) if stop else tuple(t[:-1]) for t, stop in zip(conts, stops)]
    exts = [e for e in set(need) if not any(len(o) > len(e) and o[:len(e)] == e for o in need)]
    return sorted(exts), need, stops


def _common_prefix(seqs: list[list[int]]) -> int:
    n = 0
    while all(len(x) > n and x[n] == seqs[0][n] for x in seqs):
        n += 1
    return n


def rating_distributions(model, tokenizer, questions: Sequence[Sequence[str]], batch_size: int) -> np.ndarray:
    """(number of contexts, 11) probabilities of the ratings 0..10 after each context; `questions` holds
    the contexts of each question (its emotions), which share the rendered question as a prefix."""
    import torch

    plans, seqs = [], []  # seqs: (question, plan index, extension)
    for q, contexts in enumerate(questions):
        for context in contexts:
            ctx, conts = _candidates(tokenizer, context)
            if any(not c for c in conts):
                raise ValueError(f"a rating adds no token after the context ending {context[-40:]!r}")
            exts, need, stops = _plan(conts)
            seqs += [(q, len(plans), ext) for ext in exts]
            plans.append((ctx, conts, exts, need, stops))
    logits_of: dict[tuple[int, tuple[int, ...]], torch.Tensor] = {}
    with timed("eqbench logprob", unit="questions") as stats, torch.inference_mode():
        batches = [list(range(i, min(i + batch_size, len(questions)))) for i in range(0, len(questions), batch_size)]
        for batch in progress(batches, desc="eqbench logprob", unit="batch"):
            rows = [s for s in seqs if s[0] in batch]
            logits_of.update(_forward(model, tokenizer, batch, rows, plans))
            stats["n"] += len(batch)
    dists = np.zeros((len(plans), len(RATINGS)))
    for i, (ctx, conts, exts, need, stops) in enumerate(plans):
        scores = []
        for cont, prefix, stop in zip(conts, need, stops):
            ext = next(e for e in exts if e[:len(prefix)] == prefix)
            lp = logits_of[(i, ext)]
            total = sum(float(lp[j, tok]) for j, tok in enumerate(cont))
            if stop:  # not continued into a longer rating
                total += float(np.log1p(-min(float(lp[len(cont), sorted(stop)].exp().sum()), 1 - 1e-12)))
            scores.append(total)
        scores = np.asarray(scores)
        p = np.exp(scores - scores.max())
        dists[i] = p / p.sum()
    return dists


def _forward(model, tokenizer, batch: list[int], rows: list[tuple], plans: list[tuple]) -> dict:
    """Log-probs at the positions that predict each row's extension (and the one after it).

    The emotions of a question share its rendered text: that prefix runs once per question (left-padded
    across the batch, KV cache kept), then every (emotion, extension) tail runs on a copy of its question's
    cache (right-padded: a pad after the last real token is never attended to)."""
    import torch

    full = {(i, ext): plans[i][0] + list(ext) for _, i, ext in rows}
    cut = {}
    for q in batch:
        mine = [(i, ext) for qq, i, ext in rows if qq == q]
        # the last context token stays in the tail: its logits predict the first rating token
        cut[q] = min(_common_prefix([full[k] for k in mine]), min(len(plans[i][0]) for i, _ in mine) - 1)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    prefixes = [full[next((i, e) for qq, i, e in rows if qq == q)][:cut[q]] for q in batch]
    width = max(map(len, prefixes))
    p_ids = torch.tensor([[pad] * (width - len(x)) + x for x in prefixes])
    p_mask = torch.tensor([[0] * (width - len(x)) + [1] * len(x) for x in prefixes])
    dev = model.device
    cache = None
    if width:
        out = model(input_ids=p_ids.to(dev), attention_mask=p_mask.to(dev), logits_to_keep=1, use_cache=True,
                    position_ids=(p_mask.cumsum(-1) - 1).clamp(min=0).to(dev))  # a plain forward does not derive them
        cache = out.cache
        cache.batch_select_indices(torch.tensor([batch.index(q) for q, _, _ in rows], device=dev))
    tails = [full[(i, ext)][cut[q]:] for q, i, ext in rows]
    t_width = max(map(len, tails))
    t_ids = torch.tensor([x + [pad] * (t_width - len(x)) for x in tails])
    t_mask = torch.tensor([[1] * len(x) + [0] * (t_width - len(x)) for x in tails])
    row_q = [batch.index(q) for q, _, _ in rows]
    mask = torch.cat([p_mask[row_q], t_mask], dim=1)
    start = torch.tensor([cut[q] for q, _, _ in rows])[:, None]
    out = model(input_ids=t_ids.to(dev), attention_mask=mask.to(dev), cache=cache, use_cache=cache is not None,
                position_ids=(start + torch.arange(t_width)[None]).to(dev))
    logprobs = torch.log_softmax(out.logits.float(), dim=-1).cpu()
    got = {}
    for r, (q, i, ext) in enumerate(rows):
        first = len(plans[i][0]) - cut[q] - 1  # tail position of the last context token
        got[(i, ext)] = logprobs[r, first:first + len(ext) + 1]
    return got


def expected_ratings(model, tokenizer, questions: Sequence[str], emotions: Sequence[Sequence[str]],
                     batch_size: int) -> list[dict]:
    """Per question {"ratings": {emotion: expected rating}, "distribution": {emotion: [p_0 .. p_10]}}."""
    contexts = [rating_contexts(tokenizer, q, es) for q, es in zip(questions, emotions)]
    dists = rating_distributions(model, tokenizer, contexts, batch_size)
    out, k = [], 0
    for es in emotions:
        rows = dists[k:k + len(es)]
        k += len(es)
        out.append({"ratings": {e: float(np.dot(RATINGS, p)) for e, p in zip(es, rows)},
                    "distribution": {e: [float(x) for x in p] for e, p in zip(es, rows)}})
    return out


def logprob_answer(model, tokenizer, batch_size: int):
    """An export answer function for EQ-Bench prompts (evaluation.export.Answer): the expected ratings as
    the response text, ratings and distributions in `meta`, the scoring method in `decoding`."""
    def answer(batch: list[dict]) -> list[dict]:
        emotions = [list(p["meta"]["reference"]) for p in batch]  # the question names the reference's four
        rated = expected_ratings(model, tokenizer, [p["prompt"] for p in batch], emotions, batch_size)
        return [{"response": "\n".join(f"{e}: {v:.2f}" for e, v in r["ratings"].items()),
                 "meta": {**p["meta"], "ratings": {e: round(v, 4) for e, v in r["ratings"].items()},
                          "distribution": {e: [round(x, 5) for x in d] for e, d in r["distribution"].items()}},
                 "decoding": {"scoring": "logprob"}} for p, r in zip(batch, rated)]
    return answer
