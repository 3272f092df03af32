"""The affect model as GGUF + sidecar: export (with its round-trip checks) and prediction from those files alone.

`export_affect_gguf` writes the LoRA model merged into the base as a GGUF (affectlab.export.gguf), the
regression head (`heads.safetensors`), the ridge (`ridge.safetensors`) and `sidecar.json`: axes, output range,
the default predictor chosen on dev, how the head is fed (system turn + the utterance as a user turn through
the GGUF's chat template, generation prompt, the last prompt token's last-layer hidden state after the final
norm) and how the ridge is fed (the raw utterance through the *base* model, its layer and pooling).

The ridge was fitted on the frozen base model, not on the merged one, so the GGUF route serves it from the
base model's own GGUF (the sidecar's `ridge.base_source`, e.g. `packaged:smollm2`, the file `models/base` was
dequantised from, so the same weights); a base that is not a GGUF cannot serve the ridge this way.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from affectlab.affect.records import AXES
from affectlab.affect.regression import (HEAD, META_FILE, PREDICTORS, RIDGE_FILE, SYSTEM, AffectPredictor,
                                         encode_table, ridge_from_file, ridge_on_lm)
from affectlab.errors import ModelError
from affectlab.export import gguf as export
from affectlab.io import read_json

NAME = "affect"
# The fixed batch of the round-trip checks: varied lengths and registers, none from the training data.
CHECK_TEXTS = ("Who were you texting at 2am?", "I'm at the store, need anything?",
               "Please stop commenting on my body. I've asked before.",
               "The train is delayed by twelve minutes due to signalling.", "meh",
               "There's smoke coming under the door, what do I do, what do I do")


def head_from_file(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    from safetensors.numpy import load_file

    state = load_file(str(path))
    return state[f"{HEAD}.weight"], state[f"{HEAD}.bias"]


def head_on_lm(lm, tokenizer, head: tuple[np.ndarray, np.ndarray], max_seq_len: int, texts: Sequence[str]) -> np.ndarray:
    """The regression head on a plain causal LM (the merged GGUF read back): the same encoding and pooling
    as `regression.head_predictions` on the PEFT model."""
    import torch

    from affectlab.sft.train import collate

    records = [{"text": t, "source": "manual_chat", **{a: 0.0 for a in AXES}} for t in texts]
    table = encode_table(records, tokenizer, max_seq_len).drop(columns="affect_target")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    weight, bias = (torch.as_tensor(a) for a in head)
    out = []
    with torch.inference_mode():
        for start in range(0, len(table), 16):
            batch = collate(table.iloc[start:start + 16], pad_id, "cpu")
            hidden = lm.get_decoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
            pooled = hidden[torch.arange(hidden.shape[0]), batch["prompt_length"] - 1].float()
            out.append((pooled @ weight.T + bias).numpy())
    return np.concatenate(out).clip(-1, 1)


def base_gguf(source: str) -> Path:
    from affectlab.models import resolve_source

    resolved = resolve_source(source)
    if not resolved.gguf_file:
        raise ModelError(f"ridge via GGUF: the base source {source!r} is not a GGUF; serve the ridge with "
                         "`affect predict --model ridge` (from models/affect) instead")
    return Path(resolved.path) / resolved.gguf_file


class GgufAffectPredictor:
    """(valence, intimacy, tension) from an exported GGUF and its sidecar alone (no models/ folder)."""

    def __init__(self, gguf_path: str | Path, model: str | None = None, loaded: tuple | None = None):
        gguf_path = Path(gguf_path)
        folder = gguf_path.parent
        if not (folder / export.SIDECAR).is_file():
            raise ModelError(f"{folder}/: no {export.SIDECAR} beside {gguf_path.name}; run `dvc repro export_affect_gguf`")
        self.sidecar = read_json(folder / export.SIDECAR, "run `dvc repro export_affect_gguf`")
        self.kind = model or self.sidecar["default"]
        if self.kind not in PREDICTORS:
            raise ModelError(f"affect predictor {self.kind!r}: must be one of {', '.join(PREDICTORS)}")
        if self.kind == "lora":
            self.lm, self.tokenizer = loaded or export.load_gguf(gguf_path)
            self.head = head_from_file(folder / self.sidecar["heads_file"])
        else:
            self.lm, self.tokenizer = loaded or export.load_gguf(base_gguf(self.sidecar["ridge"]["base_source"]))
            self.ridge = ridge_from_file(folder / self.sidecar["ridge"]["file"])

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        if self.kind == "lora":
            return head_on_lm(self.lm, self.tokenizer, self.head, self.sidecar["prompt"]["max_seq_len"], texts)
        return ridge_on_lm(self.lm, self.tokenizer, self.ridge, self.sidecar["ridge"], texts)


def affect_sidecar(manifest: dict[str, Any], base_source: str) -> dict[str, Any]:
    return {"kind": "affect", "axes": list(AXES), "output_range": [-1.0, 1.0], "clipped": True,
            "default": manifest["default"], "selection": manifest["selection"],
            "prompt": {"system": SYSTEM, "max_seq_len": manifest["lora"]["max_seq_len"],
                       "render": "chat template of the GGUF over [system, user = the utterance], add_generation_prompt"},
            "head_input": "last layer hidden state (after the final norm) at the last prompt token; "
                          "prediction = clip(hidden @ affect.weight.T + affect.bias, -1, 1)",
            "ridge": {**manifest["ridge"], "file": RIDGE_FILE, "base_source": base_source,
                      "served_from": "the base model's GGUF (base_source), not the merged file: the ridge reads "
                                     "frozen base activations; prediction = clip(((pooled - mean) / std) @ weight.T + bias, -1, 1)"}}


def export_affect_gguf(model_dir: str | Path, out_dir: str | Path, types: Sequence[str],
                       base_dir: str | Path | None = None, check_texts: Sequence[str] = CHECK_TEXTS) -> dict[str, Any]:
    """Write the GGUF(s) + sidecar and measure, per type: the logits' largest difference from the merged model
    on a fixed batch, whether the GGUF tokenizer gives the same ids, and the largest difference of the head
    on the GGUF's hidden states from `affect predict --model lora`; once: ridge via the base GGUF against
    `affect predict --model ridge`."""
    model_dir = Path(model_dir)
    manifest = read_json(model_dir / META_FILE, "run `dvc repro train_affect`")
    base_dir = Path(base_dir or manifest["base_dir"])
    source = read_json(base_dir / "manifest.json", "run `dvc repro prepare_model`")["source"]
    reference = AffectPredictor(model_dir, base_dir, model="lora")  # what `affect predict` computes
    expected = {"lora": reference.predict(check_texts)}
    reference.kind, reference.ridge = "ridge", ridge_from_file(model_dir / RIDGE_FILE)
    expected["ridge"] = reference.predict(check_texts)
    del reference

    def head_check(qtype: str, lm, tokenizer) -> dict[str, float]:
        got = GgufAffectPredictor(Path(out_dir) / export.gguf_name(NAME, qtype), "lora", loaded=(lm, tokenizer))
        return {"head_max_abs_diff": float(np.abs(got.predict(check_texts) - expected["lora"]).max())}

    result = export.export_model(model_dir, out_dir, types=types, source_gguf=export.source_gguf_of(base_dir),
                                 base_dir=base_dir, name=NAME, sidecar=affect_sidecar(manifest, source),
                                 extra_files=[RIDGE_FILE], check_prompts=check_texts, on_loaded=head_check)
    checks: dict[str, Any] = dict(result["roundtrip"])
    try:
        via_gguf = GgufAffectPredictor(Path(out_dir) / result["files"][types[0]], "ridge").predict(check_texts)
        checks["ridge_max_abs_diff"] = float(np.abs(via_gguf - expected["ridge"]).max())
    except ModelError as e:
        checks["ridge_max_abs_diff"] = None
        checks["ridge_note"] = str(e)
    return {"files": result["files"], "checks": checks, "default": manifest["default"]}
