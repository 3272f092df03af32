"""The affect model's GGUF route end to end on a tiny random llama (SmolLM2's tokenizer, grouped-query
attention): base + random LoRA + head + ridge laid out as train_affect writes them, exported with
`export_affect_gguf`, and `affect predict --gguf` from the GGUF + sidecar alone against `affect predict`."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from affectlab.affect import serving
from affectlab.export import gguf as export

TEXTS = ["Who were you texting at 2am?", "meh", "The plumber moved the appointment to half two."]


@pytest.fixture(scope="module")
def affect_dirs(tmp_path_factory):
    from peft import LoraConfig, get_peft_model
    from safetensors.numpy import save_file
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from affectlab.affect.records import AXES
    from affectlab.affect.regression import HEAD, SYSTEM, WEIGHTS
    from affectlab.models import resolve_source
    from affectlab.sft.model import MultiTaskSFT, save_adapter, save_heads

    root = tmp_path_factory.mktemp("affect_gguf")
    src = resolve_source("packaged:smollm2")
    tok = AutoTokenizer.from_pretrained(src.path, gguf_file=src.gguf_file)
    cfg = LlamaConfig(vocab_size=49152, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, rope_theta=100000.0,
                      tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=2)
    torch.manual_seed(0)
    base = LlamaForCausalLM(cfg).eval()
    base.save_pretrained(root / "base")
    tok.save_pretrained(root / "base")
    (root / "base" / "manifest.json").write_text(json.dumps({"source": "packaged:smollm2", "revision": None}))
    lm = get_peft_model(LlamaForCausalLM.from_pretrained(root / "base"),
                        LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    model = MultiTaskSFT(lm, {HEAD: 3}, WEIGHTS)
    torch.nn.init.normal_(model.heads[HEAD].weight, std=0.2)
    out = root / "affect"
    save_adapter(model.lm, out / "adapter")
    save_heads(model, out / "heads.safetensors", {HEAD: list(AXES)})
    rng = np.random.default_rng(0)
    save_file({"weight": rng.normal(size=(3, 64)).astype(np.float32) * 0.3, "bias": np.zeros(3, np.float32),
               "mean": np.zeros(64, np.float32), "std": np.ones(64, np.float32)}, str(out / "ridge.safetensors"),
              metadata={"layer": "1", "alpha": "10.0"})
    manifest = {"axes": list(AXES), "base_dir": str(root / "base"), "default": "lora",
                "selection": {"dev_mae": {"ridge": 0.3, "lora": 0.2}, "rule": "lower mean MAE on the dev split"},
                "ridge": {"layer": 1, "alpha": 10.0, "pooling": "mean", "last_k": 4, "max_length": 48},
                "lora": {"max_seq_len": 64, "system": SYSTEM}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    # The base's own F32 GGUF stands in for the packaged file the ridge is served from (the tiny base is not SmolLM2)
    export.write_gguf(base, root / "base.gguf", "F32", f"{src.path}/{src.gguf_file}", "base")
    return root


@pytest.fixture(scope="module")
def exported(affect_dirs):
    patch = pytest.MonkeyPatch()
    patch.setattr(serving, "base_gguf", lambda source: affect_dirs / "base.gguf")
    result = serving.export_affect_gguf(affect_dirs / "affect", affect_dirs / "affect_gguf", ["F32", "Q8_0"],
                                        affect_dirs / "base")
    yield result
    patch.undo()


def test_f32_round_trip_matches_the_merged_model_and_affect_predict(exported):
    f32 = exported["checks"]["F32"]
    assert f32["tokens_equal"] is True
    assert f32["logits_max_abs_diff"] <= 1e-4 and f32["head_max_abs_diff"] <= 1e-4
    assert exported["checks"]["ridge_max_abs_diff"] <= 1e-4


def test_q8_0_figures_are_reported_and_close(exported):
    q8 = exported["checks"]["Q8_0"]
    assert 0 < q8["logits_max_abs_diff"] < 0.1 and q8["head_max_abs_diff"] < 0.1


def test_the_sidecar_says_how_to_feed_the_heads(affect_dirs, exported):
    folder = affect_dirs / "affect_gguf"
    assert sorted(p.name for p in folder.iterdir()) == ["Modelfile", "affect.Q8_0.gguf", "affect.gguf",
                                                        "heads.safetensors", "ridge.safetensors", "sidecar.json"]
    side = json.loads((folder / "sidecar.json").read_text())
    assert side["axes"] == ["valence", "intimacy", "tension"] and side["output_range"] == [-1.0, 1.0]
    assert side["default"] == "lora" and side["prompt"]["system"] == "Rate the user's affect."
    assert side["ridge"]["layer"] == 1 and side["ridge"]["pooling"] == "mean"
    assert side["ridge"]["base_source"] == "packaged:smollm2" and side["heads"] == ["affect"]
    assert (folder / "Modelfile").read_text().startswith("FROM ./affect.gguf\n")


def test_affect_predict_from_the_gguf_alone_prints_what_affect_predict_prints(affect_dirs, exported, capsys):
    from affectlab.affect.__main__ import main
    from affectlab.affect.regression import AffectPredictor

    assert main(["predict", *TEXTS, "--gguf", str(affect_dirs / "affect_gguf" / "affect.gguf")]) == 0
    printed = [line.split("\t") for line in capsys.readouterr().out.splitlines()[1:]]
    expected = AffectPredictor(affect_dirs / "affect", model="lora").predict(TEXTS)
    assert [row[3] for row in printed] == TEXTS
    assert np.abs(np.array([[float(v) for v in row[:3]] for row in printed]) - expected).max() <= 1.5e-3  # printed to 3 decimals


def test_a_model_without_an_affect_manifest_exports_the_lm_with_its_heads_in_the_sidecar(affect_dirs, tmp_path):
    import shutil

    from affectlab.affect.regression import HEAD

    sft = tmp_path / "sft"
    shutil.copytree(affect_dirs / "affect" / "adapter", sft / "adapter")
    shutil.copyfile(affect_dirs / "affect" / "heads.safetensors", sft / "heads.safetensors")
    src = export.source_gguf_of(affect_dirs / "base")
    result = export.export_model(sft, tmp_path / "sft_gguf", types=["F32"], source_gguf=src,
                                 base_dir=affect_dirs / "base", name="sft", check_prompts=["Hello there.", "Why?"])
    assert result["roundtrip"]["F32"]["logits_max_abs_diff"] <= 1e-4
    side = json.loads((tmp_path / "sft_gguf" / "sidecar.json").read_text())
    assert side["heads"] == [HEAD] and side["labels"][HEAD] == ["valence", "intimacy", "tension"]
    assert side["adapter_merged"] is True and side["gguf"] == {"F32": "sft.gguf"}
