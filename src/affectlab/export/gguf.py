"""A trained model folder (base + LoRA adapter + heads) as a llama-architecture GGUF, plus a head sidecar.

The adapter is merged into the base weights (`merge_and_unload`), the weights are written with the `gguf`
package (F32, and quantised types such as Q8_0 with its pure-Python quantiser), and the tokenizer (tokens,
merges, token types, special-token ids) and chat template are copied key by key from a source GGUF (the
shipped SmolLM2 file for the embedded profile), so llama.cpp / ollama tokenise exactly as the source did.

llama.cpp stores Q and K rows in its own rotary layout: `permute_qk` is its converter's permutation
(`reshape(n_head, 2, d / n_head / 2, ...).swapaxes(1, 2)`, the KV-head count for K); transformers undoes it
when it reads a GGUF (`LlamaTensorProcessor`). A missing permutation loads without error and garbles
attention, so `verify_roundtrip` compares logits of the file read back with the merged model's.

The heads never go into the GGUF (llama.cpp has no place for them): they are written beside it as
`heads.safetensors` with `sidecar.json` saying how to feed them (see `write_sidecar`).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from affectlab.errors import ModelError

log = logging.getLogger(__name__)

SIDECAR, HEADS_FILE = "sidecar.json", "heads.safetensors"
TYPES = ("F32", "Q8_0")  # what `export_gguf` can write (Q8_0: gguf's pure-Python quantiser)


def gguf_name(name: str, qtype: str) -> str:
    """`affect.gguf` for F32 (the file the round trip asserts on), `affect.Q8_0.gguf` otherwise."""
    return f"{name}.gguf" if qtype == "F32" else f"{name}.{qtype}.gguf"


def permute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's row order of a Q (n_head = heads) or K (n_head = KV heads) projection."""
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def merged_lm(base_dir: str | Path, adapter_dir: str | Path | None):
    """(causal LM with the adapter merged in, tokenizer), float32, eval mode."""
    from affectlab.models import load_adapter, load_base

    lm, tokenizer = load_base(base_dir)
    if adapter_dir is not None:
        lm = load_adapter(lm, adapter_dir).merge_and_unload()
    return lm.float().eval(), tokenizer


def _rope_theta(cfg) -> float:
    params = getattr(cfg, "rope_parameters", None) or {}
    if params.get("rope_type", "default") != "default":
        raise ModelError(f"GGUF export: rope type {params['rope_type']!r} is not supported (llama default rope only)")
    theta = params.get("rope_theta", getattr(cfg, "rope_theta", None))
    if theta is None:
        raise ModelError("GGUF export: the config has no rope_theta")
    return float(theta)


def copy_tokenizer(writer, source_gguf: str | Path, vocab_size: int) -> int:
    """Copy every `tokenizer.*` key (tokens, merges, token types, special ids, chat template) of
    `source_gguf`; returns the number of keys copied."""
    import gguf

    from affectlab.models import gguf_reader

    reader = gguf_reader(source_gguf)
    copied = 0
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer."):
            continue
        if key == "tokenizer.ggml.tokens" and len(field.data) != vocab_size:
            raise ModelError(f"{source_gguf}: {len(field.data)} tokens, but the model's vocab_size is "
                             f"{vocab_size}; give the GGUF of the model's own base (--tokenizer-gguf)")
        vtype = field.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(key, field.contents(), vtype, sub_type=field.types[-1])
        else:
            writer.add_key_value(key, field.contents(), vtype)
        copied += 1
    if "tokenizer.ggml.tokens" not in reader.fields:
        raise ModelError(f"{source_gguf}: no tokenizer.ggml.tokens (not a GGUF with a tokenizer)")
    return copied


def write_gguf(lm, path: str | Path, qtype: str, source_gguf: str | Path, name: str,
               permute: bool = True) -> dict[str, Any]:
    """Write `lm` (a llama-architecture causal LM) as a GGUF of `qtype` (F32 or Q8_0; norms stay F32).
    `permute=False` exists for the test that shows a file without llama.cpp's Q/K order is wrong."""
    import gguf

    if qtype not in TYPES:
        raise ModelError(f"GGUF export: type {qtype!r} not supported (known: {', '.join(TYPES)})")
    cfg = lm.config
    if cfg.model_type != "llama":
        raise ModelError(f"GGUF export: model_type {cfg.model_type!r}; only llama-architecture models are written")
    n_head, n_kv = cfg.num_attention_heads, cfg.num_key_value_heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // n_head
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, cfg.num_hidden_layers)
    ggml_type = getattr(gguf.GGMLQuantizationType, qtype)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(name)
    writer.add_context_length(cfg.max_position_embeddings)
    writer.add_embedding_length(cfg.hidden_size)
    writer.add_block_count(cfg.num_hidden_layers)
    writer.add_feed_forward_length(cfg.intermediate_size)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(_rope_theta(cfg))
    writer.add_layer_norm_rms_eps(float(cfg.rms_norm_eps))
    writer.add_vocab_size(cfg.vocab_size)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32 if qtype == "F32" else gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    copy_tokenizer(writer, source_gguf, cfg.vocab_size)
    tied = bool(getattr(cfg, "tie_word_embeddings", False))
    counts = {"tensors": 0, "quantised": 0}
    for key, tensor in lm.state_dict().items():
        if tied and key == "lm_head.weight":
            continue  # tied embeddings: llama.cpp and transformers reuse token_embd (no output.weight)
        if key.endswith("rotary_emb.inv_freq"):
            continue
        gname = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if gname is None:
            raise ModelError(f"GGUF export: no GGUF name for tensor {key!r}")
        data = tensor.detach().float().cpu().numpy()
        if gname.endswith("attn_q.weight") and permute:
            data = permute_qk(data, n_head)
        elif gname.endswith("attn_k.weight") and permute:
            data = permute_qk(data, n_kv)
        if qtype != "F32" and data.ndim == 2 and data.shape[-1] % gguf.GGML_QUANT_SIZES[ggml_type][0] == 0:
            writer.add_tensor(gname, gguf.quants.quantize(data, ggml_type), raw_dtype=ggml_type)
            counts["quantised"] += 1
        else:
            writer.add_tensor(gname, np.ascontiguousarray(data, dtype=np.float32))
        counts["tensors"] += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {**counts, "bytes": Path(path).stat().st_size}


def load_gguf(path: str | Path):
    """(model, tokenizer) read back by transformers from a GGUF (dequantised to float32)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from affectlab.models import one_gguf_parse

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such GGUF; run `dvc repro export_affect_gguf` or `python -m affectlab.export gguf`")
    try:
        # a GGUF holds weights and metadata only: never remote code
        with one_gguf_parse():
            tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name, trust_remote_code=False)
            model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32,
                                                         trust_remote_code=False)
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: cannot load the GGUF ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    return model.eval(), tokenizer


def fixed_batch(tokenizer, prompts: Sequence[str]):
    """Right-padded input ids and mask of `prompts` (already rendered strings)."""
    old = tokenizer.padding_side
    tokenizer.padding_side = "right"
    try:
        return tokenizer(list(prompts), return_tensors="pt", padding=True, add_special_tokens=False)
    finally:
        tokenizer.padding_side = old


def max_logit_diff(a, b, batch) -> float:
    """Largest |logit difference| of two causal LMs over the real (non-pad) positions of `batch`."""
    import torch

    with torch.inference_mode():
        la = a(**batch).logits
        lb = b(**batch).logits
    mask = batch["attention_mask"].bool()
    return float((la[mask] - lb[mask]).abs().max())


def sidecar_heads(model_dir: Path) -> dict[str, Any]:
    """The heads of a trained folder (heads.safetensors metadata): names, label vocabularies, pooling."""
    from safetensors import safe_open

    path = model_dir / HEADS_FILE
    if not path.is_file():
        return {"heads": [], "labels": {}}
    with safe_open(str(path), "np") as f:
        meta = f.metadata() or {}
    heads = json.loads(meta.get("heads", "[]"))
    return {"heads": heads, "pooling": meta.get("pooling"),
            "labels": {h: json.loads(meta.get(f"labels.{h}", "[]")) for h in heads}}


def modelfile(gguf_file: str, system: str | None) -> str:
    """An ollama Modelfile for the GGUF (the chat template travels inside the GGUF)."""
    lines = [f"FROM ./{gguf_file}", "PARAMETER temperature 0"]
    if system:
        lines.append(f'SYSTEM """{system}"""')
    return "\n".join(lines) + "\n"


def source_gguf_of(base_dir: str | Path) -> Path:
    """The GGUF a prepared base folder came from (models/base/manifest.json `source`), whose tokenizer keys
    the export copies; a base that was not a GGUF needs `--tokenizer-gguf`."""
    from affectlab.io import read_json
    from affectlab.models import resolve_source

    manifest = Path(base_dir) / "manifest.json"
    if not manifest.is_file():
        raise ModelError(f"{base_dir}/: no manifest.json naming the base model's source; give --tokenizer-gguf")
    source = read_json(manifest, "run `dvc repro prepare_model`")
    resolved = resolve_source(source["source"], source.get("revision"))
    if not resolved.gguf_file:
        raise ModelError(f"{base_dir}/: base source {source['source']!r} is not a GGUF; give --tokenizer-gguf "
                         "(a GGUF of the same tokenizer)")
    return Path(resolved.path) / resolved.gguf_file


def export_model(model_dir: str | Path, out_dir: str | Path, *, types: Sequence[str], source_gguf: str | Path,
                 base_dir: str | Path, name: str, sidecar: dict[str, Any] | None = None,
                 extra_files: Sequence[str] = (), check_prompts: Sequence[str] = (),
                 on_loaded: Callable[[str, Any, Any], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Merge `model_dir`/adapter into `base_dir`, write one GGUF per type into `out_dir` with
    heads.safetensors (+ `extra_files` of model_dir), sidecar.json and an ollama Modelfile, then read each
    GGUF back with transformers and compare its logits on `check_prompts` with the merged model's;
    `on_loaded(type, model, tokenizer)` adds its own checks while a file is loaded (one load per file). Returns {"files", "roundtrip": {type: {logits_max_abs_diff, tokens_equal}}}."""
    import shutil

    from affectlab.io import atomic_dir, write_json_atomic, write_text_atomic
    from affectlab.progress import timed

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    adapter = model_dir / "adapter"
    lm, tokenizer = merged_lm(base_dir, adapter if adapter.is_dir() else None)
    files = {}
    with atomic_dir(out_dir) as tmp:
        for qtype in types:
            with timed(f"write {qtype} GGUF", unit="tensors") as stats:
                info = write_gguf(lm, tmp / gguf_name(name, qtype), qtype, source_gguf, name)
                stats["n"] = info["tensors"]
            files[qtype] = gguf_name(name, qtype)
        for extra in (HEADS_FILE, *extra_files):
            if (model_dir / extra).is_file():
                shutil.copyfile(model_dir / extra, tmp / extra)
        meta = {"format": "affectlab GGUF sidecar 1", "name": name, "gguf": files,
                "source_gguf_tokenizer": Path(source_gguf).name, "adapter_merged": adapter.is_dir(),
                "heads_file": HEADS_FILE if (model_dir / HEADS_FILE).is_file() else None,
                **sidecar_heads(model_dir), **(sidecar or {})}
        write_json_atomic(meta, tmp / SIDECAR)
        write_text_atomic(modelfile(files[types[0]], (sidecar or {}).get("prompt", {}).get("system")),
                          tmp / "Modelfile")
    roundtrip = {}
    if check_prompts:
        rendered = [tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                                  add_generation_prompt=True) for p in check_prompts]
        batch = fixed_batch(tokenizer, rendered)
        for qtype, file in files.items():
            with timed(f"read back {qtype} GGUF", unit="files") as stats:
                back, back_tok = load_gguf(out_dir / file)
                stats["n"] = 1
            same_tokens = back_tok(rendered, add_special_tokens=False)["input_ids"] == \
                tokenizer(rendered, add_special_tokens=False)["input_ids"]
            roundtrip[qtype] = {"logits_max_abs_diff": max_logit_diff(lm, back, batch), "tokens_equal": same_tokens,
                                **(on_loaded(qtype, back, back_tok) if on_loaded else {})}
            del back
    return {"files": files, "roundtrip": roundtrip}
