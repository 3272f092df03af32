"""Batched chat-template generation with any Hugging Face causal LM.

    decoding = Decoding(max_new_tokens=40, do_sample=True, temperature=0.9, top_p=0.95, repetition_penalty=1.0)
    replies = generate_chat(model, tokenizer, ["Say hi.", [{"role": "user", "content": "Hi"}]],
                            decoding, batch_size=16, seed=7)

A prompt is a user message (str) or a full message list. Prompts are rendered with the tokenizer's chat
template (generation prompt appended), left-padded (decoder-only models continue from the right edge),
and generated in batches; the decoded continuations (special tokens removed, whitespace stripped) come
back in prompt order. Sampling is seeded inside a forked RNG, so the same prompts, batch size and seed
give the same replies on CPU without disturbing the caller's global RNG state.
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


def generate_chat(model, tokenizer, prompts: Sequence[Prompt], decoding: Decoding, *,
                  batch_size: int = 16, seed: int = 0, system: str | None = None) -> list[str]:
    """Generate one reply per prompt; returns the decoded continuations in prompt order.

    `system` adds a system message to prompts that have none (None keeps the template's default)."""
    import torch

    texts = render_prompts(tokenizer, prompts, system)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    old_side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    replies: list[str] = []
    try:
        with torch.random.fork_rng(devices=[]), torch.inference_mode():
            torch.manual_seed(seed)
            for start in range(0, len(texts), batch_size):
                # the template already holds BOS/special tokens; adding them again would double them
                enc = tokenizer(texts[start:start + batch_size], return_tensors="pt", padding=True,
                                add_special_tokens=False).to(model.device)
                out = model.generate(**enc, **decoding.generate_kwargs(), pad_token_id=pad_id)
                new = out[:, enc["input_ids"].shape[1]:]
                replies += [r.strip() for r in tokenizer.batch_decode(new, skip_special_tokens=True)]
    finally:
        tokenizer.padding_side = old_side
    return replies
