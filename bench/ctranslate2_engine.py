"""CTranslate2 as a generation engine: convert a Hugging Face llama model once, then generate batches with it.

    generator = ct2_generator(model, tokenizer, Path(".cache/ctranslate2"), threads=torch.get_num_threads())
    ids = ct2_generate_ids(generator, tokenizer, prompts, decoding, batch_size=16, seed=7)

The converted model lives in `<cache>/<key>/`, the key a hash of the weights, config, quantization and
ctranslate2's version, so a model is converted once however many times it is used (the folder is no
DVC out: it is rebuilt from the model whenever missing). A PEFT model is merged into a copy first, and
the conversion works on a copy (the converter dismantles the model it reads).
Prompts are rendered and tokenized exactly as `generation.generate_ids` does; CTranslate2 takes each
prompt unpadded and returns the reply ids up to and including the end-of-sequence token.

Where its replies differ from `model.generate` (bench/generation.py measures the rate):
- float32 kernels other than torch's: logits differ by rounding, and a near-tie can flip a greedy token;
- its repetition penalty counts the generated tokens only (and, for a batch of unequal prompts, the part of
  a longer prompt beyond the shortest one, which it decodes step by step); generate's also penalises every
  prompt token, so with a penalty != 1 replies differ more often;
- sampled replies come from its own RNG (seeded with `ctranslate2.set_random_seed`, a process-wide state).
"""
from __future__ import annotations

import copy
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Sequence

from affectlab.errors import ModelError
from affectlab.generation import Decoding, Prompt, render_prompts
from affectlab.io import atomic_dir


def model_key(model, quantization: str) -> str:
    """sha256 of the weights (names, dtypes, shapes, bytes), the config, the quantization and ctranslate2's
    version: two models share a converted folder only if they compute the same thing."""
    import ctranslate2
    import torch

    h = hashlib.sha256(json.dumps([model.config.to_json_string(), quantization, ctranslate2.__version__]).encode())
    with torch.no_grad():
        for name, tensor in sorted(model.state_dict().items()):
            t = tensor.detach().cpu().contiguous()
            h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
            h.update(t.view(torch.uint8).numpy() if t.numel() else b"")
    return h.hexdigest()[:16]


def plain_copy(model):
    """A copy to convert, a PEFT model's adapter merged into it: the converter takes the layers' modules
    apart as it goes (`delattr(layer, "self_attn")`), so it never sees the caller's model."""
    model = copy.deepcopy(model)
    return model.merge_and_unload() if hasattr(model, "merge_and_unload") else model


def convert(model, tokenizer, cache_dir: Path, quantization: str = "float32") -> Path:
    """The converted folder for `model`, converting it only when `<cache_dir>/<key>/` is missing."""
    if hasattr(model, "merge_and_unload"):
        model = plain_copy(model)  # the key is the merged weights': what the converted model computes
    out = Path(cache_dir) / model_key(model, quantization)
    if (out / "model.bin").is_file():
        return out
    model = plain_copy(model)
    from ctranslate2.converters import TransformersConverter

    class InMemory(TransformersConverter):
        """The converter reads the config from a folder; the weights and tokenizer come from memory."""
        def load_model(self, model_class, path, **kwargs):
            return model

        def load_tokenizer(self, tokenizer_class, path, **kwargs):
            return tokenizer

    theta = _rope_theta(model.config)
    with tempfile.TemporaryDirectory() as config_dir:
        model.config.save_pretrained(config_dir)
        converter = InMemory(config_dir)
        spec = converter._load()
        # transformers 5 moved rope_theta into rope_parameters; the converter's fallback is 10000, and
        # SmolLM2's base is 100000: a wrong base converts without error and garbles every position
        bases = {float(layer.self_attention.rotary_base) for layer in spec.decoder.layer}
        if bases != {theta}:
            raise ModelError(f"ctranslate2 conversion: rope base {sorted(bases)}, the model's is {theta}")
        spec.validate()
        spec.optimize(quantization=quantization)
        with atomic_dir(out) as tmp:
            spec.save(str(tmp))
    return out


def _rope_theta(config) -> float:
    params = getattr(config, "rope_parameters", None) or {}
    return float(params.get("rope_theta", getattr(config, "rope_theta", 10000.0)))


def ct2_generator(model, tokenizer, cache_dir: Path, *, threads: int, quantization: str = "float32"):
    """A CPU `ctranslate2.Generator` for `model` (converted once per model into `cache_dir`)."""
    import ctranslate2

    path = convert(model, tokenizer, cache_dir, quantization)
    compute = "int8_float32" if quantization.startswith("int8") else quantization
    return ctranslate2.Generator(str(path), device="cpu", compute_type=compute, intra_threads=threads,
                                 inter_threads=1)


def ct2_generate_ids(generator, tokenizer, prompts: Sequence[Prompt], decoding: Decoding, eos: Sequence[int], *,
                     batch_size: int = 16, seed: int = 0, system: str | None = None) -> list[list[int]]:
    """Token ids of each reply, up to and including its end-of-sequence token (one of `eos`), in prompt order."""
    import ctranslate2

    texts = render_prompts(tokenizer, prompts, system)
    # the template already holds BOS/special tokens; adding them again would double them
    tokens = [tokenizer.convert_ids_to_tokens(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    options = dict(max_length=decoding.max_new_tokens, include_prompt_in_result=False, end_token=list(eos),
                   return_end_token=True, repetition_penalty=decoding.repetition_penalty)
    if decoding.do_sample:  # top-k 0: the whole vocabulary, as generate's top_k=0
        options.update(sampling_topk=0, sampling_topp=decoding.top_p, sampling_temperature=decoding.temperature)
    ctranslate2.set_random_seed(seed)
    replies: list[list[int]] = []
    for start in range(0, len(tokens), batch_size):
        results = generator.generate_batch(tokens[start:start + batch_size], **options)
        replies += [r.sequences_ids[0] for r in results]
    return replies
