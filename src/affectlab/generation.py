"""Batched chat-template generation with any Hugging Face causal LM.

    decoding = Decoding(max_new_tokens=40, do_sample=True, temperature=0.9, top_p=0.95, repetition_penalty=1.0)
    replies = generate_chat(model, tokenizer, ["Say hi.", [{"role": "user", "content": "Hi"}]],
                            decoding, batch_size=16, seed=7)

A prompt is a user message (str) or a full message list. Prompts are rendered with the tokenizer's chat
template (generation prompt appended), left-padded (decoder-only models continue from the right edge),
and generated in batches; the decoded continuations (special tokens removed, whitespace stripped) come
back in prompt order. Sampling is seeded inside a forked RNG, so the same prompts, batch size and seed
give the same replies on CPU without disturbing the caller's global RNG state.

Decoding runs in an own loop rather than `model.generate` (bench/generation.py measures both on the
embedded default's shapes). Greedy: it feeds the model exactly the inputs `generate` would (positions
from the mask, no mask when nothing is padded, last-position logits, the same repetition penalty), so
the replies are token-identical (unit tests; the bench checks the embedded default's prompts). It saves
work `generate` spends: a row that has ended is dropped from the batch and its KV cache (`generate`
keeps decoding it to the last step). Sampling also draws from the top-p nucleus found among the most
likely tokens instead of sorting all 49k every step, and prefills the prompts' shared opening once.
Sampled replies differ from `generate`'s (other random draws from the same distribution) and are
reproducible by seed. A model the loop cannot serve (encoder-decoder, no KV `Cache`, generation_config
options the loop does not implement) goes to `model.generate`, which stays the reference.
"""
from __future__ import annotations

from typing import Annotated, Sequence, Union

from pydantic import Field

from affectlab.config import PositiveFloat, PositiveInt, Settings

Message = dict
Prompt = Union[str, Sequence[Message]]


class Decoding(Settings):
    """Decoding parameters (a params.yaml sub-section wherever a stage generates text)."""
    max_new_tokens: PositiveInt     # hard cap per reply; longer replies are cut
    do_sample: bool                 # false = greedy (temperature/top_p ignored)
    temperature: PositiveFloat      # sampling temperature
    top_p: Annotated[float, Field(gt=0, le=1)]  # nucleus sampling mass
    repetition_penalty: PositiveFloat  # 1.0 = off

    def generate_kwargs(self) -> dict:
        kwargs = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample,
                  "repetition_penalty": self.repetition_penalty}
        if self.do_sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p, top_k=0)
        return kwargs


def render_prompts(tokenizer, prompts: Sequence[Prompt], system: str | None = None) -> list[str]:
    """Chat-template strings ending with the assistant generation prompt."""
    rendered = []
    for prompt in prompts:
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
        if system is not None and messages[0].get("role") != "system":
            messages = [{"role": "system", "content": system}, *messages]
        rendered.append(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
    return rendered


def generate_ids(model, tokenizer, prompts: Sequence[Prompt], decoding: Decoding, *, batch_size: int = 16,
                 seed: int = 0, system: str | None = None) -> list[list[int]]:
    """Token ids of each reply, up to and including its end-of-sequence token, in prompt order."""
    import torch

    texts = render_prompts(tokenizer, prompts, system)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    old_side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    replies: list[list[int]] = []
    try:
        with torch.random.fork_rng(devices=[]), torch.inference_mode():
            torch.manual_seed(seed)
            for start in range(0, len(texts), batch_size):
                # the template already holds BOS/special tokens; adding them again would double them
                enc = tokenizer(texts[start:start + batch_size], return_tensors="pt", padding=True,
                                add_special_tokens=False).to(model.device)
                replies += generate_batch(model, enc["input_ids"], enc["attention_mask"], decoding, pad_id)
    finally:
        tokenizer.padding_side = old_side
    return replies


def generate_chat(model, tokenizer, prompts: Sequence[Prompt], decoding: Decoding, *,
                  batch_size: int = 16, seed: int = 0, system: str | None = None) -> list[str]:
    """Generate one reply per prompt; returns the decoded continuations in prompt order.

    `system` adds a system message to prompts that have none (None keeps the template's default)."""
    ids = generate_ids(model, tokenizer, prompts, decoding, batch_size=batch_size, seed=seed, system=system)
    return [r.strip() for r in tokenizer.batch_decode(ids, skip_special_tokens=True)]


def generate_batch(model, input_ids, attention_mask, decoding: Decoding, pad_id: int) -> list[list[int]]:
    """One left-padded batch: the decode loop where it serves the model, else `model.generate`."""
    eos = _eos_ids(model)
    if eos and _loop_supports(model):
        replies = _decode(model, input_ids, attention_mask, decoding, eos)
        if replies is not None:
            return replies
    return plain_generate(model, input_ids, attention_mask, decoding, pad_id)


def plain_generate(model, input_ids, attention_mask, decoding: Decoding, pad_id: int) -> list[list[int]]:
    """`model.generate` on one batch, each reply cut after its first end-of-sequence token."""
    out = model.generate(input_ids=input_ids, attention_mask=attention_mask, **decoding.generate_kwargs(),
                         pad_token_id=pad_id)
    eos = set(_eos_ids(model))
    return [_until_eos(row, eos) for row in out[:, input_ids.shape[1]:].tolist()]


def _until_eos(row: list[int], eos: set[int]) -> list[int]:
    for i, token in enumerate(row):
        if token in eos:
            return row[:i + 1]
    return row


def _eos_ids(model) -> list[int]:
    """The ids `generate` stops at: the model's generation_config (int or list), none if unset."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    return [] if eos is None else [eos] if isinstance(eos, int) else list(eos)


# generation_config fields that add logits processors or stopping rules the loop does not implement: a
# model that sets one of them away from its default gets `model.generate`, so its replies stay the same
_GENERATE_ONLY = ("no_repeat_ngram_size", "bad_words_ids", "suppress_tokens", "begin_suppress_tokens",
                  "forced_bos_token_id", "forced_eos_token_id", "min_length", "min_new_tokens", "sequence_bias",
                  "exponential_decay_length_penalty", "encoder_repetition_penalty", "renormalize_logits",
                  "stop_strings", "max_time", "min_p", "typical_p", "epsilon_cutoff", "eta_cutoff",
                  "watermarking_config", "prefill_chunk_size", "cache_implementation", "compile_config")


def _loop_supports(model) -> bool:
    from transformers import GenerationConfig

    config = getattr(model, "config", None)
    gen = getattr(model, "generation_config", None)
    if config is None or gen is None or getattr(config, "is_encoder_decoder", False):
        return False
    defaults = GenerationConfig()
    return all(getattr(gen, name, None) == getattr(defaults, name, None) for name in _GENERATE_ONLY)


def _decode(model, input_ids, attention_mask, decoding: Decoding, eos: list[int]) -> list[list[int]] | None:
    """Greedy or top-p decoding of one batch with a KV cache, dropping rows as they end; None when the
    model returns no `Cache` (a stateful architecture): the caller falls back to `generate`."""
    import torch
    from transformers.cache_utils import Cache
    from transformers.generation.logits_process import RepetitionPenaltyLogitsProcessor

    extra = {"logits_to_keep": 1} if model._supports_logits_to_keep() else {}
    penalty = (RepetitionPenaltyLogitsProcessor(decoding.repetition_penalty)
               if decoding.repetition_penalty != 1.0 else None)
    eos_t = torch.tensor(eos, device=input_ids.device)
    seqs, rows = input_ids, torch.arange(input_ids.shape[0])  # live rows: prompt + reply ids, original index
    replies: list[list[int]] = [[] for _ in range(input_ids.shape[0])]
    out, mask, position_ids = _prefill(model, input_ids, attention_mask, extra, share_prefix=decoding.do_sample)
    for step in range(decoding.max_new_tokens):
        if step:
            out = model(input_ids=step_ids, attention_mask=mask, position_ids=position_ids, cache=cache,
                        use_cache=True, **extra)
        cache = out.cache
        if not isinstance(cache, Cache):
            return None
        scores = out.logits[:, -1].to(dtype=torch.float32, copy=True)
        if penalty is not None:
            scores = penalty(seqs, scores)
        tokens = sample_top_p(scores, decoding.temperature, decoding.top_p) if decoding.do_sample else scores.argmax(-1)
        for row, token in zip(rows.tolist(), tokens.tolist()):
            replies[row].append(token)
        seqs = torch.cat([seqs, tokens[:, None]], dim=-1)
        live = ~torch.isin(tokens, eos_t)
        if not bool(live.any()):
            break
        if not bool(live.all()):  # an ended row costs a full forward per step in generate; drop it here
            keep = live.nonzero().squeeze(1)
            cache.batch_select_indices(keep)
            seqs, rows, tokens, position_ids = seqs[keep], rows[keep], tokens[keep], position_ids[keep]
            mask = None if mask is None else mask[keep]
        step_ids, position_ids = tokens[:, None], position_ids[:, -1:] + 1
        if mask is not None:
            mask = torch.cat([mask, mask.new_ones(len(rows), 1)], dim=-1)
    return replies


def _prefill(model, input_ids, attention_mask, extra: dict, *, share_prefix: bool, min_shared: int = 16):
    """The first forward: (output, 2-D mask or None, positions) for the decode steps.

    Chat prompts share their opening (system prompt, template, often an instruction): 37 of 63-66 tokens
    of generate_sentiment's prompts, 24-42 of export_eval's. With `share_prefix` that prefix runs once
    and its KV cache is copied to every row, which then runs only its own suffix, laid out
    [prefix][left padding][suffix] with positions from the mask: the same arithmetic up to float rounding
    (logits differ by ~2e-6), so it is used for sampling only. Greedy decoding gets generate's own inputs
    (positions from the mask, no mask when unpadded), which keeps its replies token-identical: in the
    unit test a 2e-6 difference met a near-tie within 10 steps and changed a reply."""
    import os

    import torch
    from transformers.cache_utils import Cache

    def whole_prompts():
        position_ids = (attention_mask.long().cumsum(-1) - 1).masked_fill(attention_mask == 0, 0)
        mask = None if bool((attention_mask == 1).all()) else attention_mask
        return (model(input_ids=input_ids, attention_mask=mask, position_ids=position_ids, use_cache=True, **extra),
                mask, position_ids)

    lengths = attention_mask.sum(-1).tolist()
    width = input_ids.shape[1]
    prompts = [row[width - n:] for row, n in zip(input_ids.tolist(), lengths)]
    shared = min(len(os.path.commonprefix(prompts)), min(lengths) - 1)  # every row keeps >= 1 own token
    if not share_prefix or len(prompts) < 2 or shared < min_shared:
        return whole_prompts()
    device = input_ids.device
    head = model(input_ids=torch.tensor([prompts[0][:shared]], device=device),
                 position_ids=torch.arange(shared, device=device)[None], use_cache=True, **extra)
    cache = head.cache
    if not isinstance(cache, Cache):
        return whole_prompts()  # _decode sees no Cache there either and falls back to generate
    cache.batch_repeat_interleave(len(prompts))
    tails = [p[shared:] for p in prompts]
    longest = max(map(len, tails))
    tail_ids = torch.tensor([[0] * (longest - len(t)) + t for t in tails], device=device)
    tail_mask = torch.tensor([[0] * (longest - len(t)) + [1] * len(t) for t in tails], device=device)
    mask = torch.cat([tail_mask.new_ones(len(tails), shared), tail_mask], dim=-1)
    position_ids = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)[:, shared:]
    out = model(input_ids=tail_ids, attention_mask=mask, position_ids=position_ids, cache=cache,
                use_cache=True, **extra)
    return out, mask, position_ids


def sample_top_p(scores, temperature: float, top_p: float):
    """One token per row from softmax(scores / temperature) restricted to the top-p nucleus."""
    import torch

    scores = scores / temperature
    if top_p >= 1.0:
        return torch.multinomial(scores.softmax(-1), 1).squeeze(1)
    index, weights = top_p_nucleus(scores, top_p)
    return index.gather(1, torch.multinomial(weights, 1)).squeeze(1)


def top_p_nucleus(scores, top_p: float, first_k: int = 64):
    """(token ids, unnormalised probabilities) of each row's nucleus: the distribution generate's
    TopPLogitsWarper leaves (a token stays while the mass ranked above it is < top_p), computed on the
    top-k tokens, k growing until every row's nucleus fits, instead of sorting the whole vocabulary
    (49k tokens x 32 rows every step). Ids outside the nucleus have weight 0. Measured on the first-step
    logits of generate_sentiment's prompts (nuclei of 24-50 tokens), batch 32, 1 thread on the loaded
    2-core machine: 24 ms per step vs 699 ms for generate's temperature + top-p warpers and sampling."""
    import torch

    log_total = torch.logsumexp(scores, dim=-1, keepdim=True)
    k = min(first_k, scores.shape[-1])
    while True:
        top, index = scores.topk(k, dim=-1)
        probs = (top - log_total).exp()
        mass = probs.cumsum(-1)
        if k == scores.shape[-1] or bool((mass[:, -1] >= top_p).all()):
            return index, probs * ((mass - probs) < top_p)
        k = min(k * 8, scores.shape[-1])
