"""Tiny models laid out as the pipeline exports them (models/base, probes, reasoner, affect), for the UI tests:
real files the real loaders read, written in seconds."""
from __future__ import annotations

import json
from pathlib import Path

from repo_params import settings

POSITIVE = ["i am so happy and grateful", "this is wonderful news", "thank you so much for your help",
            "i feel joy and love and pride"]
NEGATIVE = ["i feel sad and lonely", "i am angry that nobody listened", "i am afraid of the exam",
            "that food was disgusting"]


def write_models(root: Path) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model

    from affectlab.affect.records import AXES
    from affectlab.affect.regression import HEAD, WEIGHTS
    from affectlab.probes.capture import write_activations
    from affectlab.probes.dataset import read_activations, stratified_split
    from affectlab.probes.settings import ProbeCaptureSettings, ProbeSplit, ProbeTrainSettings
    from affectlab.probes.study import run_study, save_probes
    from affectlab.reasoning.labels import EKMAN
    from affectlab.sft.model import MultiTaskSFT, save_adapter, save_heads
    from affectlab.tiny_models import tiny_causal_lm

    def tiny():
        return tiny_causal_lm(layers=2, hidden=32, seed=0)

    model, tok = tiny()
    model.save_pretrained(root / "base")
    tok.save_pretrained(root / "base")
    # B: probes trained on the tiny model's activations, as train_probes does
    rows = [{"id": f"{lab[:3]}-{i:03d}", "text": f"{pool[i % len(pool)]} {'today' if i % 2 else 'now'}", "label": lab}
            for lab, pool in (("positive", POSITIVE), ("negative", NEGATIVE)) for i in range(12)]
    split = stratified_split([r["label"] for r in rows], ProbeSplit(train=0.5, validation=0.25, test=0.25), seed=0)
    write_activations(model, tok, rows, split, settings(ProbeCaptureSettings, batch_size=8, dtype="float32"),
                      root / "acts", "tiny")
    acts = read_activations(root / "acts", model="tiny", pooling="mean")
    study = run_study(acts, {r["id"]: r["text"] for r in rows}, settings(ProbeTrainSettings, lr=0.05, epochs=20, patience=5, ensemble_layers=(1, 2)))
    save_probes(study, acts.attrs, root / "probes")
    # D: a LoRA adapter (random, not zero, so it changes the model) and the label set
    torch.manual_seed(0)
    get_peft_model(tiny()[0], LoraConfig(r=2, target_modules=["q_proj"], init_lora_weights=False)) \
        .save_pretrained(root / "reasoner" / "adapter")
    (root / "reasoner" / "labels.json").write_text(json.dumps({"labels": list(EKMAN)}))
    (root / "reasoner_calibration.json").write_text(json.dumps(
        {"labels": list(EKMAN), "cot_mode": "rationale_first", "temperature": 2.0, "offsets": [0.0] * len(EKMAN)}))
    # E: adapter + 3-output regression head + manifest, as train_affect writes them
    affect = MultiTaskSFT(get_peft_model(tiny()[0], LoraConfig(r=2, target_modules=["q_proj"])), {HEAD: len(AXES)}, WEIGHTS)
    torch.nn.init.normal_(affect.heads[HEAD].weight, std=0.5)   # heads start at 0: make the answer depend on the text
    save_adapter(affect.lm, root / "affect" / "adapter")
    save_heads(affect, root / "affect" / "heads.safetensors", {HEAD: list(AXES)})
    (root / "affect" / "manifest.json").write_text(json.dumps({"axes": list(AXES), "base_dir": str(root / "base"),
                                                                "lora": {"max_seq_len": 64}}))
    return root
