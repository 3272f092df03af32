"""Capture pooled activations of every layer with ONE forward pass per batch.

The reference workflow ran the model four times (10 hooked layers per pass) to avoid running out of
memory; here `output_hidden_states=True` returns all layers from one pass and each is pooled at once,
so peak memory is one batch x layers x tokens x hidden (tens of MB), never N x layers. Sentences are
sorted by token length before batching, so padding (wasted compute) stays small.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import numpy as np

from affectlab.probes.dataset import LABEL_IDS
from affectlab.probes.settings import ProbeCaptureSettings
from affectlab.progress import progress, timed


def text_config(model):
    """The config holding the text layers: the model's own for a causal LM, `text_config` for a multimodal
    wrapper (Gemma 3 4B-it's Gemma3ForConditionalGeneration), whose forward pass on text alone returns the
    text model's hidden states."""
    return model.config.get_text_config()


def pool(hidden_states: Sequence, attention_mask, pooling: str, last_k: int = 4):
    """[layers, batch, hidden] float32 from per-layer [batch, tokens, hidden] tensors, over non-pad tokens
    only (either padding side): `mean` of all, `last` token, or the mean of the `last_k` tokens."""
    import torch

    mask = attention_mask.to(torch.float32)
    if pooling != "mean":
        k = 1 if pooling == "last" else last_k
        from_end = mask.flip(-1).cumsum(-1).flip(-1)  # 1 at the last real token, 2 before it, ...
        mask = mask * (from_end <= k)
    weights = mask / mask.sum(-1, keepdim=True)
    return torch.stack([torch.einsum("bth,bt->bh", h.to(torch.float32), weights) for h in hidden_states])


def token_lengths(tokenizer, texts: Sequence[str]) -> np.ndarray:
    enc = tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
    return np.array([len(ids) for ids in enc])


class Pooling(Protocol):
    """What pooling needs: `probes.capture` settings, or the same fields saved with trained probes."""
    pooling: str
    last_k: int
    max_length: int
    batch_size: int


def pooled_batches(model, tokenizer, texts: Sequence[str], s: Pooling,
                   lengths: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (row indices, pooled [layers, batch, hidden] float32) in length-sorted batches; `lengths`
    are the texts' token lengths when the caller has them already."""
    import torch

    lengths = token_lengths(tokenizer, texts) if lengths is None else lengths
    order = np.argsort(lengths, kind="stable")
    trunk = model.base_model  # the transformer without the LM head: the head's logits are not needed
    old_side = tokenizer.padding_side
    tokenizer.padding_side = "right"
    try:
        with torch.inference_mode():
            for start in range(0, len(order), s.batch_size):
                idx = order[start:start + s.batch_size]
                enc = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True, truncation=True,
                                max_length=s.max_length).to(model.device)
                out = trunk(**enc, output_hidden_states=True, use_cache=False)
                yield idx, pool(out.hidden_states, enc["attention_mask"], s.pooling, s.last_k).cpu().numpy()
    finally:
        tokenizer.padding_side = old_side


def write_activations(model, tokenizer, rows: Sequence[dict], split: np.ndarray, s: ProbeCaptureSettings,
                      out_dir: str | Path, model_name: str) -> dict:
    """Write `layer_XX.h5` per layer into `out_dir`, appending each batch to resizable datasets."""
    import h5py

    texts = [r["text"] for r in rows]
    cfg = text_config(model)
    num_layers, hidden = cfg.num_hidden_layers + 1, cfg.hidden_size
    lengths = token_lengths(tokenizer, texts)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    attrs = {"model": model_name, "pooling": s.pooling, "last_k": s.last_k, "num_layers": num_layers,
             "hidden_size": hidden, "max_length": s.max_length}
    with contextlib.ExitStack() as stack, timed("capture_activations", unit="rows") as stats:
        files = []
        for layer in range(num_layers):
            f = stack.enter_context(h5py.File(out_dir / f"layer_{layer:02d}.h5", "w"))
            f.attrs.update({**attrs, "layer": layer})
            chunk = min(s.batch_size, len(rows))
            f.create_dataset("activations", (0, hidden), maxshape=(None, hidden), dtype=s.dtype, chunks=(chunk, hidden))
            f.create_dataset("labels", (0,), maxshape=(None,), dtype="i1", chunks=(chunk,))
            for name in ("ids", "split"):
                f.create_dataset(name, (0,), maxshape=(None,), dtype=h5py.string_dtype(), chunks=(chunk,))
            files.append(f)
        batches = pooled_batches(model, tokenizer, texts, s, lengths)
        for idx, pooled in progress(batches, desc="capture", total=-(-len(rows) // s.batch_size), unit="batches"):
            n0, n1 = stats["n"], stats["n"] + len(idx)
            columns = {"labels": np.array([LABEL_IDS[rows[i]["label"]] for i in idx], dtype="i1"),
                       "ids": [rows[i]["id"] for i in idx], "split": [str(split[i]) for i in idx]}
            for layer, f in enumerate(files):
                for name in ("activations", *columns):
                    f[name].resize(n1, axis=0)
                f["activations"][n0:n1] = pooled[layer].astype(s.dtype)
                for name, values in columns.items():
                    f[name][n0:n1] = values
            stats["n"] = n1
    return {"rows": len(rows), "layers": num_layers, "hidden_size": hidden, "pooling": s.pooling,
            "dtype": s.dtype, "truncated_rows": int((lengths > s.max_length).sum()),
            "tokens": int(np.minimum(lengths, s.max_length).sum()),
            **{f"rows.{name}": int((split == name).sum()) for name in ("train", "validation", "test")},
            "seconds": stats["seconds"], "rows_per_s": len(rows) / stats["seconds"]}
