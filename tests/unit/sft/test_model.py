"""Heads, pooling, masked losses, ablation by weight 0, LoRA / QLoRA wrapping, mixture proportions."""
import numpy as np
import pytest
import torch

from affectlab.errors import ConfigError
from affectlab.models import load_base
from affectlab.sft.encoding import IGNORE
from affectlab.sft.mixture import MixtureSampler, mixture_weights
from affectlab.sft.model import MultiTaskSFT, add_lora, masked_ce, quantization_kwargs, save_heads
from affectlab.sft.settings import LoraSettings, LossSettings, QuantSettings
from affectlab.tiny_models import tiny_causal_lm
from repo_params import settings

LORA = settings(LoraSettings)


def tiny_sft(loss=None, seed=0):
    lm, tok = tiny_causal_lm(hidden=64, seed=seed)
    torch.manual_seed(seed)
    return MultiTaskSFT(add_lora(lm, LORA, quantized=False), {"emotion": 28, "strategy": 5},
                        loss or settings(LossSettings)), tok


def batch(prompt_length=(3, 5), width=8, emotion=(2, IGNORE), strategy=(IGNORE, 1), targets=True):
    ids = torch.randint(6, 40, (2, width))
    labels = torch.full((2, width), IGNORE)
    if targets:
        for i, n in enumerate(prompt_length):
            labels[i, n:width - 1] = ids[i, n:width - 1]
    return {"input_ids": ids, "attention_mask": torch.ones(2, width, dtype=torch.long), "labels": labels,
            "prompt_length": torch.tensor(prompt_length), "emotion_label": torch.tensor(emotion),
            "strategy_label": torch.tensor(strategy)}


def test_heads_read_the_hidden_state_of_the_last_prompt_token():
    model, _ = tiny_sft()
    torch.nn.init.normal_(model.heads["emotion"].weight)  # heads start at zero: give them a signal to compare
    b = batch()
    out = model(**b)
    hidden = model.lm.get_base_model().model(input_ids=b["input_ids"]).last_hidden_state
    expected = model.heads["emotion"](torch.stack([hidden[0, 2], hidden[1, 4]]))  # prompt_length - 1
    assert torch.allclose(out["emotion_logits"], expected, atol=1e-5)
    wrong = model.heads["emotion"](torch.stack([hidden[0, 3], hidden[1, 5]]))
    assert not torch.allclose(out["emotion_logits"], wrong, atol=1e-3)


def test_all_ignored_batch_gives_zero_finite_losses_and_a_usable_graph():
    model, _ = tiny_sft()
    out = model(**batch(emotion=(IGNORE, IGNORE), strategy=(IGNORE, IGNORE), targets=False))
    assert out["emotion"].item() == 0 and out["strategy"].item() == 0 and out["lm"].item() == 0
    assert torch.isfinite(out["loss"]) and (out["n_lm"], out["n_emotion"], out["n_strategy"]) == (0, 0, 0)
    out["loss"].backward()  # no error, no NaN gradients
    assert all(torch.isfinite(p.grad).all() for p in model.trainable_parameters() if p.grad is not None)


def test_masked_ce_averages_over_labelled_rows_only():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [5.0, -5.0]])
    loss, n = masked_ce(logits, torch.tensor([0, IGNORE, 1]))
    expected = (torch.nn.functional.cross_entropy(logits[[0, 2]], torch.tensor([0, 1]), reduction="mean"))
    assert n == 2 and torch.isclose(loss, expected)


def test_total_loss_is_the_weighted_sum_of_the_terms():
    model, _ = tiny_sft(LossSettings(lm=1.0, emotion=0.5, strategy=2.0, affect=0, safety_kl=0))
    out = model(**batch())
    assert torch.isclose(out["loss"], out["lm"] + 0.5 * out["emotion"] + 2.0 * out["strategy"])
    assert out["n_lm"] == (7 - 3) + (7 - 5)  # target positions n..6 of each row


def test_zero_weight_removes_the_head_its_parameters_and_its_loss(tmp_path):
    model, _ = tiny_sft(LossSettings(lm=1.0, emotion=0.5, strategy=0, affect=0, safety_kl=0))
    assert set(model.heads) == {"emotion"}
    out = model(**batch())
    assert "strategy" not in out and "strategy_logits" not in out
    assert not any("strategy" in n for n, _ in model.named_parameters())
    save_heads(model, tmp_path / "heads.safetensors", {"emotion": ["e"] * 28, "strategy": ["s"] * 5})
    from safetensors import safe_open
    with safe_open(tmp_path / "heads.safetensors", "pt") as f:
        assert set(f.keys()) == {"emotion.weight", "emotion.bias"}
        assert f.metadata()["heads"] == '["emotion"]'


def test_lm_weight_zero_skips_the_vocab_projection():
    model, _ = tiny_sft(LossSettings(lm=0, emotion=1.0, strategy=1.0, affect=0, safety_kl=0))
    out = model(**batch())
    assert "lm" not in out and torch.isclose(out["loss"], out["emotion"] + out["strategy"])


def test_all_zero_weights_are_a_config_error():
    with pytest.raises(ConfigError, match="loss: all weights are 0"):
        settings(LossSettings, lm=0, emotion=0, strategy=0, affect=0, safety_kl=0)


def test_heads_start_at_the_uniform_prediction_and_get_their_own_learning_rate():
    model, _ = tiny_sft()
    out = model(**batch())
    assert torch.isclose(out["emotion"], torch.log(torch.tensor(28.0))) and torch.isclose(out["strategy"], torch.log(torch.tensor(5.0)))
    groups = model.parameter_groups(1e-4, 1e-2, 0.0)
    assert [g["lr"] for g in groups] == [1e-4, 1e-2]
    assert sum(p.numel() for g in groups for p in g["params"]) == sum(p.numel() for p in model.trainable_parameters())


def test_lora_trains_adapter_and_heads_only():
    model, _ = tiny_sft()
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n or n.startswith("heads.") for n in names)
    assert any("q_proj.lora_A" in n for n in names) and any("v_proj.lora_B" in n for n in names)


def test_qlora_path_loads_nf4_prepares_for_kbit_training_and_wraps_lora_on_cpu(tmp_path):
    lm, tok = tiny_causal_lm(hidden=64)
    lm.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    quant = settings(QuantSettings, load_in_4bit=True, compute_dtype="float32")
    q_lm, _ = load_base(tmp_path, **quantization_kwargs(quant, training=False))
    import bitsandbytes as bnb
    assert isinstance(q_lm.model.layers[0].self_attn.q_proj, bnb.nn.Linear4bit)
    assert q_lm.model.layers[0].self_attn.q_proj.weight.quant_type == "nf4"
    peft_lm = add_lora(q_lm, LORA, quantized=True, gradient_checkpointing=False)
    trainable = [n for n, p in peft_lm.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    assert peft_lm.get_base_model().model.norm.weight.dtype == torch.float32  # prepare_model_for_kbit_training
    with torch.no_grad():
        logits = peft_lm(**tok(["i am so happy"], return_tensors="pt")).logits
    assert torch.isfinite(logits).all()


def test_forcing_4bit_training_without_cuda_is_a_clear_config_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match=r"quant.load_in_4bit: true needs a CUDA GPU"):
        quantization_kwargs(settings(QuantSettings, load_in_4bit=True), training=True)
    assert quantization_kwargs(settings(QuantSettings, load_in_4bit="auto"), training=True) == {}  # auto = CUDA only


def test_mixture_weights_are_proportional_to_n_to_the_alpha():
    w = mixture_weights({"a": 100, "b": 400, "c": 0}, 0.5)
    assert w["a"] == pytest.approx(10 / 30) and w["b"] == pytest.approx(20 / 30) and w["c"] == 0
    assert mixture_weights({"a": 100, "b": 400}, 1.0)["b"] == pytest.approx(0.8)


def test_sampled_proportions_match_n_to_the_alpha_within_tolerance():
    sources = ["ed"] * 900 + ["es"] * 100 + ["go"] * 400
    sampler = MixtureSampler(sources, alpha=0.5, seed=3)
    picks = np.array([sources[i] for _ in range(500) for i in sampler.batch(8)])
    expected = np.array([900, 100, 400]) ** 0.5
    expected = expected / expected.sum()
    observed = np.array([(picks == k).mean() for k in ("ed", "es", "go")])
    assert np.abs(observed - expected).max() < 0.02
    assert observed[1] > 100 / 1400 * 1.5  # the small dataset is up-weighted relative to its share


def test_sampler_state_round_trip_replays_the_same_batches():
    s = MixtureSampler(["a"] * 5 + ["b"] * 7, alpha=0.7, seed=1)
    s.batch(4)
    state = s.state_dict()
    first = [s.batch(4) for _ in range(3)]
    t = MixtureSampler(["a"] * 5 + ["b"] * 7, alpha=0.7, seed=99)
    t.load_state_dict(state)
    assert [t.batch(4) for _ in range(3)] == first


def test_a_saved_adapter_lists_its_target_modules_sorted(tmp_path):
    # peft keeps target_modules in a set: their order in adapter_config.json followed the string hash
    import json

    from peft import LoraConfig, get_peft_model

    from affectlab.sft.model import save_adapter
    from affectlab.tiny_models import tiny_causal_lm

    lm, _ = tiny_causal_lm()
    lm = get_peft_model(lm, LoraConfig(r=2, target_modules=["v_proj", "q_proj", "o_proj"]))
    save_adapter(lm, tmp_path / "adapter")
    assert json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())["target_modules"] == \
        ["o_proj", "q_proj", "v_proj"]
